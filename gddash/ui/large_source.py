"""The compare page's large-data source: a path or URL, compared in the background.

Offered only where the server allows it (``gddash.scale.sources.Access``: local
files under ``GDDASH_DATA_ROOT``, URLs with ``GDDASH_ALLOW_URLS=1``; read from
the environment, or from the root of ``.streamlit/secrets.toml``). ``section``
draws the source's part of the page, top to bottom: the location, its columns
(read from the schema alone), the set-up form, and after a click on Run the
run's progress with a Stop button. The compare page then draws the results as
it does for data in memory.

The run is ``gddash.scale.compare.compare_source`` in a background thread that
this session holds (a session-scoped ``st.cache_resource``: when the tab
disconnects Streamlit releases it, which stops the run); the script polls it
every ``POLL_SECONDS`` and draws the progress. A click on Stop reruns the
script, which sets the run's stop flag, waits for the thread and shows what it
computed. One run per session (Run again stops the last one first), and one
per server at a time: a run holds a partition per thread in memory and a core
or more for as long as its budgets allow. It does not take the page's
``cache.heavy_work`` slot, which would make every visitor's ordinary
comparison queue behind it for minutes.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from gddash import compare, limits, paths, plain, share, titles
from gddash.cli import command_line
from gddash.compare import CompareSettings
from gddash.engine import RULES, SCHEDULES, Settings
from gddash.errors import DataError, GddashError
from gddash.page_settings import (
    LAB_DATA_KEYS,
    LARGE_DEFAULTS,
    LARGE_LEARNING_RATE,
    LEARNING_RATES,
    MAX_ALPHA,
    MAX_BATCH,
    MAX_EPOCHS,
    MAX_HUBER_EPSILON,
    MAX_PATH_LENGTH,
    MAX_ROWS_BUDGET,
    MAX_SECONDS_BUDGET,
    MAX_SEED,
)
from gddash.scale import cluster
from gddash.scale.compare import by_newton, compare_source, from_sums, surface_grid
from gddash.scale.progress import Snapshot, Tracker, progress_line
from gddash.scale.sources import (
    ROOT_VARIABLE,
    SCHEDULER_VARIABLE,
    URLS_VARIABLE,
    Access,
    Source,
    error_text,
    listed,
    read,
    resolve,
)
from gddash.scale.stream import Progress, shuffle_note
from gddash.ui import cache, links, session_data

POLL_SECONDS = 0.2
# What gddash.scale.compare.compare_source fits: least squares and Huber
# (task "linear", Huber with CompareSettings.epsilon) and logistic regression.
MODELS = ("linear", "logistic", "huber")
SHARE_NOTE = (
    "Every setting on this page is part of its web address: copy the address bar "
    "to share this comparison. The recipient's server must hold the same path, and "
    "the run starts when they press Run."
)
COMMAND_NOTE = (
    "Run it from gddash's folder on a machine that holds the same path: a relative "
    "path is read from the working folder, or from under GDDASH_DATA_ROOT when that "
    "is set. Add --scheduler ADDRESS to run it on a Dask cluster. It prints its "
    "progress and the table, and writes the table, traces, charts and settings into "
    "report/; Ctrl-C stops it and keeps what was computed."
)
FORMATS = {"csv": "CSV", "parquet": "Parquet"}
FORM_KEYS = (
    "target",
    "features",
    "model",
    "huber_eps",
    "penalty",
    "alpha",
    "l1_ratio",
    "variants",
    "lr",
    "bs",
    "rule",
    "schedule",
    "big_epochs",
    "big_rows",
    "big_seconds",
    "seed",
)
_LOG = logging.getLogger(__name__)
# One large run at a time in the whole server (see the module's docstring).
_SERVER_SLOT = threading.BoundedSemaphore(1)
_SERIAL = itertools.count(1)


# ---------------------------------------------------------------------------------
# What the server allows, and what a source holds (no Streamlit calls)
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerAccess:
    """The server's large-data settings: what may be read, and where it runs."""

    access: Access | None  # None: the settings name no usable folder (see problem)
    problem: str | None = None  # why the settings cannot be used, for the owner
    scheduler: str | None = None  # a Dask scheduler's address; None: local threads

    @property
    def offered(self) -> bool:
        """Whether the page offers the large source at all."""
        if self.access is None:
            return self.problem is not None
        return self.access.root is not None or self.access.allow_urls


def server_access(environ: dict[str, str]) -> ServerAccess:
    """The settings in ``environ`` (``GDDASH_DATA_ROOT``, ``GDDASH_ALLOW_URLS``,
    ``GDDASH_DASK_SCHEDULER``); a root that is not a folder is a problem to show."""
    try:
        access = Access.from_env(environ)
    except GddashError as error:
        return ServerAccess(None, str(error))
    return ServerAccess(access, None, cluster.scheduler_address(environ))


@dataclass(frozen=True)
class Schema:
    """A source's columns and their types, read without reading its rows."""

    columns: tuple[str, ...]
    dtypes: tuple[str, ...]
    numeric: tuple[str, ...]  # the columns a large comparison can use
    files: int  # files read: a folder's or glob's, a URL glob's as listed

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "column": self.columns,
                "type": self.dtypes,
                "usable": [c in self.numeric for c in self.columns],
            }
        )


def read_schema(source: Source) -> Schema:
    """The columns of ``source`` from its schema (Parquet footers, a CSV's first
    block): no pass over the rows."""
    source = listed(source)
    frame = read(source)
    names = [str(c) for c in frame.columns]
    dtypes = [frame.dtypes[c] for c in frame.columns]
    numeric = [
        name
        for name, dtype in zip(names, dtypes, strict=True)
        if pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
    ]
    if not numeric:
        raise DataError(
            f"{source.location!r} has no numeric column: a large comparison reads "
            "numeric columns only."
        )
    files = len(source.listing or source.paths)
    return Schema(tuple(names), tuple(str(d) for d in dtypes), tuple(numeric), files)


def suggested_columns(numeric: tuple[str, ...]) -> tuple[str, list[str]]:
    """A target (the last numeric column, where tables usually keep it) and the
    other numeric columns as features, the first ``MAX_SOURCE_FEATURES`` of them."""
    target = numeric[-1]
    return target, [c for c in numeric if c != target][: limits.MAX_SOURCE_FEATURES]


def source_key(source: Source) -> str:
    """What a source's schema depends on: its files, their sizes and times."""
    if source.remote:
        return f"{source.location}|{source.paths}"
    stats = []
    for path in source.paths:
        try:
            found = os.stat(path)
            stats.append((path, found.st_size, found.st_mtime_ns))
        except OSError:
            stats.append((path, None, None))
    return f"{source.location}|{stats}"


@dataclass(frozen=True)
class Request:
    """One large comparison, as the form asked for it."""

    source: Source
    target: str
    features: tuple[str, ...]
    model: str  # one of MODELS; Huber's ε is settings.epsilon
    settings: CompareSettings
    max_rows: int | None
    max_seconds: float | None
    scheduler: str | None

    @property
    def task(self) -> str:
        """compare_source's task: Huber regression fits a numeric target."""
        return "logistic" if self.model == "logistic" else "linear"


def rows_of(comparison: compare.Comparison) -> int | None:
    """The source's row count, read off a run that processed rows."""
    for traces in comparison.traces.values():
        for trace in traces:
            done = trace.epochs > 0
            if done.any():
                k = int(done.argmax())
                return round(float(trace.samples[k] / trace.epochs[k]))
    return None


# ---------------------------------------------------------------------------------
# The run in the background
# ---------------------------------------------------------------------------------


class Busy(Exception):
    """Another session's large run holds the server's slot."""


@dataclass(eq=False)
class Job:
    """``compare_source`` of one request, in a thread, with a stop flag."""

    request: Request
    serial: int = field(default_factory=lambda: next(_SERIAL))
    result: tuple[compare.Comparison, object] | None = None
    error: str | None = None
    stopped: bool = False  # by the visitor's Stop
    seconds: float | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _tracker: Tracker = field(init=False)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        r = self.request
        self._tracker = Tracker(
            len(compare.runs_of(r.settings)),
            newton=by_newton(r.task, r.settings.epsilon),
        )

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._work, name=f"gddash-large-{self.serial}", daemon=True
        )
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds; True once the run has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def stop(self) -> None:
        """The visitor's Stop: end the run soon, keeping what it computed."""
        self.stopped = self.running
        self._stop.set()

    def abandon(self) -> None:
        """The session is gone: end the run, nobody will read it."""
        self._stop.set()

    def snapshot(self) -> Snapshot:
        return self._tracker.snapshot()

    def _report(self, label: str, progress: Progress | None) -> None:
        self._tracker(label, progress)

    def _work(self) -> None:
        r = self.request
        try:
            with cluster.scheduler(r.scheduler):
                self.result = compare_source(
                    r.source,
                    r.target,
                    list(r.features),
                    r.settings,
                    task=r.task,
                    max_rows=r.max_rows,
                    max_seconds=r.max_seconds,
                    progress=self._report,
                    stop=self._stop.is_set,
                )
        except GddashError as error:
            self.error = str(error)
        except Exception as error:  # a file Dask could not read, a cluster gone …
            _LOG.exception("A large comparison failed")
            self.error = f"{type(error).__name__}: {error_text(error, r.source)}"
        finally:
            self.seconds = self._tracker.snapshot().seconds
            _SERVER_SLOT.release()


def stop_when_released(held: dict[str, Job]) -> None:
    """Streamlit released this session's runs (its tab disconnected): stop them."""
    for job in held.values():
        job.abandon()


@st.cache_resource(scope="session", show_spinner=False, on_release=stop_when_released)
def _session_jobs() -> dict[str, Job]:
    """This session's large run: released (and so stopped) when the tab
    disconnects."""
    return {}


def current_job() -> Job | None:
    """This session's last large run, running or ended."""
    return _session_jobs().get("job")


def start(request: Request) -> Job:
    """Start ``request`` as this session's run (its last one has ended); ``Busy``
    if another session's run holds the server."""
    if not _SERVER_SLOT.acquire(blocking=False):
        raise Busy
    job = Job(request)
    _session_jobs()["job"] = job  # the last run's results are let go
    job.start()
    return job


# ---------------------------------------------------------------------------------
# The page's part
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    """A large comparison that ended, with what the results section needs."""

    request: Request
    comparison: compare.Comparison
    problem: object
    seconds: float
    stopped: bool
    serial: int

    @property
    def notes(self) -> list[str]:
        """What the numbers rest on: the data's notes, then the runs' (the shuffle)."""
        notes = list(self.comparison.dataset.notes)
        for traces in self.comparison.traces.values():
            notes += [n for t in traces for n in t.notes if n not in notes]
        return notes

    @property
    def sample_rows(self) -> int:
        """Rows of the sample the fit (and a surface off least squares) is on."""
        return len(self.comparison.dataset.y)

    @property
    def squared(self) -> bool:
        """Least squares: the problem is the one-pass sums, O(d²) a loss."""
        return from_sums(self.problem)

    @property
    def surface_note(self) -> str | None:
        if self.squared:
            return None
        return (
            f"For {titles.MODEL[self.request.model].lower()} on a large source the "
            f"surface is the loss over the first {self.sample_rows:,} rows (a point "
            "over every row would be a pass over the source); the paths are drawn "
            "at their loss over every row."
        )

    @property
    def path_note(self) -> str | None:
        if self.squared:
            return None
        return (
            "On a large source the coefficient path is drawn for least squares "
            "only: for this loss every α would take its own passes over the data."
        )

    def coefficient_path(self) -> pd.DataFrame:
        """θ*(α) of least squares on the one-pass sums (no pass over the rows)."""
        comparison = self.comparison
        return cache.remember(
            "large_path",
            str(self.serial),
            lambda: paths.coefficient_path(
                self.problem,
                comparison.settings.descent.penalty_term,
                compare.parameter_names(comparison.dataset),
                chosen=comparison.optimum.theta,
            ),
        )

    @property
    def fit_note(self) -> str:
        return f"Drawn on the first {self.sample_rows:,} rows of the source."

    def settings_json(self) -> str:
        r = self.request
        return share.settings_json(
            data=r.source.location,
            target=r.target,
            features=list(r.features),
            model=r.model,
            compare=r.settings,
            max_rows=r.max_rows,
            max_seconds=r.max_seconds,
            scheduler=r.scheduler or "threads",
        )

    def command(self) -> str:
        """The command line that repeats this run headless (``python -m gddash``)."""
        r = self.request
        return command_line(
            r.source.location, r.target, r.features, r.task, r.settings,
            max_rows=r.max_rows, max_seconds=r.max_seconds,
        )  # fmt: skip

    def timing(self) -> str:
        optimum, n_rows = self.comparison.optimum, rows_of(self.comparison)
        rows = f"{n_rows:,} rows, " if n_rows else ""
        return (
            f"Optimum by {optimum.note}: loss {optimum.loss:.6g}. {rows}"
            f"{len(optimum.theta)} parameters. The comparison took "
            f"{self.seconds:.2f} s on {where_it_runs(self.request.scheduler)}; your "
            "browser then draws the charts."
        )

    def surface(self, i: int, j: int):
        """The loss over θ_i, θ_j (``surface_grid``: the sample's off least squares)."""
        return cache.remember(
            "large_slice",
            f"{self.serial}|{i}|{j}",
            lambda: surface_grid(self.comparison, self.problem, i, j),
        )


def server_settings() -> dict[str, str]:
    """The large-data settings from the environment, else from the root of
    ``.streamlit/secrets.toml`` (Streamlit also copies those into the
    environment once it has read the file)."""
    names = (ROOT_VARIABLE, URLS_VARIABLE, SCHEDULER_VARIABLE)
    found: dict[str, str] = {}
    with contextlib.suppress(FileNotFoundError):  # no secrets file: environment
        found = {k: str(st.secrets[k]) for k in names if k in st.secrets}
    return {**found, **{k: os.environ[k] for k in names if k in os.environ}}


def where_it_runs(scheduler: str | None) -> str:
    if scheduler:
        return f"the Dask cluster at {plain.code(scheduler)}"
    return "this machine's threads (Dask's local scheduler)"


def what_may_be_read(server: ServerAccess) -> str:
    parts = []
    if server.access is not None and server.access.root is not None:
        parts.append(
            "a CSV or Parquet file, a folder of them or a glob such as "
            "`sales/*.csv`, relative to this server's data folder"
        )
    if server.access is not None and server.access.allow_urls:
        parts.append("a URL (`https://`, `s3://` … with its fsspec package)")
    return "Read through Dask, a partition at a time: " + ", or ".join(parts) + "."


def section(link, facts, shown, notices) -> Finished:
    """The large source's part of the compare page; returns an ended comparison
    for the results, or stops the script (nothing to show yet)."""
    state = st.session_state
    server = server_access(server_settings())
    links.settle(link, LARGE_DEFAULTS, LARGE_DEFAULTS)
    links.show_again(link.page, "large", ("path", *FORM_KEYS))

    def publish_and_stop() -> None:
        links.publish(link, facts)
        links.warn(link, shown, where=notices)
        st.stop()

    location = st.text_input(
        "Path or URL",
        key="path",
        max_chars=MAX_PATH_LENGTH,
        placeholder="e.g. sales/2026/ or sales/*.parquet",
        help="A file, a folder (every CSV or Parquet file under it, but names "
        "starting with . or _) or a glob (`*` within a name, `**` once for any "
        "depth of folders). Nothing is read until you choose the columns and "
        "press Run, but the columns themselves.",
    )
    if server.problem is not None:
        st.error(plain.literal(server.problem))
        publish_and_stop()
    st.caption(what_may_be_read(server))
    if not location.strip():
        st.info("Type the path of a CSV or Parquet file, folder or glob to compare on.")
        publish_and_stop()
    try:
        source = resolve(location, server.access)
        schema = cache.remember(
            "large_schema", source_key(source), lambda: read_schema(source)
        )
    except GddashError as error:
        st.error(
            "**This path or URL could not be used.** "  # the error names it
            f"{plain.literal(str(error))}"
        )
        publish_and_stop()
    n_files = schema.files
    with st.expander(
        f"Columns of {plain.literal(location)}: {len(schema.columns)} columns in "
        f"{n_files:,} {FORMATS[source.format]} file{'s' if n_files != 1 else ''}"
    ):
        st.dataframe(
            schema.table(), hide_index=True, width="stretch", alt="Column types"
        )

    # The set-up: the page's own keys, checked against this source's columns.
    if session_data.claim_compare_data(f"large|{source.location}"):
        links.forget(link.page, LAB_DATA_KEYS)
    target, features = suggested_columns(schema.numeric)
    links.place(link, "target", schema.numeric, target)
    links.place(link, "features", schema.numeric, features, many=True)
    links.place(link, "model", MODELS, "linear")
    if not ("lr" in state or "lr" in link.values):
        state["lr"] = links.kept_values(link.page).get("lr", LARGE_LEARNING_RATE)
    links.settle(link, ["lr"], {})
    with st.form("large_setup"):
        left, right = st.columns(2, gap="large")
        with left:
            st.subheader("Model", anchor=False)
            target = st.selectbox(
                "Target (what to predict)", schema.numeric, key="target"
            )
            features = st.multiselect(
                "Features",
                schema.numeric,
                key="features",
                wrap=True,
                help="Numeric columns; a row with a missing value is left out. "
                "Features are standardised from the same pass that sums them. "
                f"At most {limits.MAX_SOURCE_FEATURES} (XᵀX grows with their "
                "square).",
            )
            if len(schema.numeric) - 1 > limits.MAX_SOURCE_FEATURES:
                st.caption(
                    f"This source has {len(schema.numeric):,} numeric columns; a "
                    f"comparison takes at most {limits.MAX_SOURCE_FEATURES} features, "
                    f"so the first {limits.MAX_SOURCE_FEATURES} are suggested."
                )
            model = st.radio(
                "Model",
                MODELS,
                key="model",
                horizontal=True,
                format_func=titles.MODEL.get,
                help="Logistic regression needs a target of 0s and 1s. Huber "
                "regression fits numbers robustly: squared loss for residuals "
                "within ε, linear beyond.",
            )
            huber_epsilon = st.number_input(
                "Huber ε (Huber regression only)",
                min_value=0.0,
                max_value=MAX_HUBER_EPSILON,
                format="%g",
                key="huber_eps",
                help="Where the Huber loss turns from squared to linear, in units "
                "of the target. Must be above 0.",
            )
            a, b, c = st.columns(3)
            penalty = a.selectbox(
                "Penalty",
                list(titles.PENALTY),
                key="penalty",
                format_func=titles.PENALTY.get,
                help="Added to the mean loss as scikit-learn does; the intercept "
                "is never penalised.",
            )
            alpha = b.number_input(
                "α (strength)", 0.0, MAX_ALPHA, format="%g", key="alpha"
            )
            l1_ratio = c.number_input(
                "l1_ratio ρ", 0.0, 1.0, format="%g", key="l1_ratio"
            )
        with right:
            st.subheader("Descent", anchor=False)
            variants = st.multiselect(
                "Variants",
                list(titles.VARIANT),
                key="variants",
                format_func=titles.VARIANT.get,
                wrap=True,
            )
            a, b, c = st.columns(3)
            learning_rate = a.number_input(
                "Learning rate η",
                min_value=LEARNING_RATES[0],
                max_value=LEARNING_RATES[1],
                format="%g",
                key="lr",
            )
            batch_size = b.number_input("Mini-batch size", 1, MAX_BATCH, key="bs")
            seed = c.number_input("Seed", 0, MAX_SEED, key="seed")
            a, b = st.columns(2)
            rule = a.selectbox(
                "Update rule", RULES, key="rule", format_func=titles.RULE.get
            )
            schedule = b.selectbox(
                "Schedule", SCHEDULES, key="schedule", format_func=titles.SCHEDULE.get
            )
            a, b, c = st.columns(3)
            epochs = a.number_input(
                "Epochs (passes)", 0.01, MAX_EPOCHS, key="big_epochs", format="%g"
            )
            max_rows = b.number_input(
                "Rows processed",
                0,
                MAX_ROWS_BUDGET,
                step=100_000,
                key="big_rows",
                help="Each stochastic run ends after this many rows (0: no limit), "
                "its epochs or its seconds, whichever comes first. Batch descent's "
                "budget is its epochs: on the squared loss its steps cost no pass.",
            )
            max_seconds = c.number_input(
                "Seconds",
                0.0,
                MAX_SECONDS_BUDGET,
                format="%g",
                key="big_seconds",
                help="Each stochastic run ends after this many seconds (0: no limit).",
            )
            st.caption("Budgets of each stochastic run; 0 means no limit.")
        st.caption(shuffle_note() + f" Computed on {where_it_runs(server.scheduler)}.")
        submitted = st.form_submit_button(
            "Run on this source", type="primary", icon=":material/play_arrow:"
        )
    links.drawn(link.page, "large")
    links.publish(link, facts)
    links.warn(link, shown, where=notices)

    features = [f for f in features if f != target]
    if not features:
        st.error("Choose at least one feature other than the target.")
        st.stop()
    if not variants:
        st.error("Choose at least one variant to run.")
        st.stop()
    try:
        request = Request(
            source=source,
            target=target,
            features=tuple(features),
            model=model,
            settings=CompareSettings(
                variants=tuple(variants),
                batch_size=int(batch_size),
                epochs=float(epochs),
                descent=Settings(
                    learning_rate=float(learning_rate),
                    rule=rule,
                    schedule=schedule,
                    seed=int(seed),
                    penalty=None if penalty == "none" else penalty,
                    alpha=float(alpha),
                    l1_ratio=float(l1_ratio),
                ),
                epsilon=float(huber_epsilon) if model == "huber" else None,
            ),
            max_rows=int(max_rows) or None,
            max_seconds=float(max_seconds) or None,
            scheduler=server.scheduler,
        )
    except GddashError as error:
        st.error(plain.literal(str(error)))
        st.stop()

    # The run: started by a click only, never by a link.
    job = current_job()
    if submitted and job is not None and job.running:  # one run per session
        job.stop()
        st.info(
            "Your last run is stopping and keeps what it computed; press Run again "
            "once it has, to start this one.",
            icon=":material/stop_circle:",
        )
    elif submitted:
        try:
            job = start(request)
        except Busy:
            st.warning(
                "Another large comparison is running on this server; one runs at a "
                "time. Press Run again once it has ended.",
                icon=":material/hourglass_top:",
            )
            st.stop()
    if job is not None and job.running:
        controls = st.empty()
        if controls.button(
            "Stop and keep the results",
            key="big_stop",
            icon=":material/stop_circle:",
            help="Ends the run in progress where it is; runs not started yet are "
            "left out.",
        ):
            job.stop()
        bar = st.progress(0.0, text="Starting…")
        while not job.wait(POLL_SECONDS):
            snap = job.snapshot()
            fraction, text = progress_line(snap)
            if snap.runs_started == 0:  # the sums' pass: no rows to count, so seconds
                text += f" ({snap.seconds:.0f} s)"
            bar.progress(fraction, text=text)
        bar.empty()
        controls.empty()
    if job is None or job.request != request:
        st.info(
            "Press **Run on this source** to compare the variants: a run reads the "
            "whole source, so it starts only on a click.",
            icon=":material/play_arrow:",
        )
        st.stop()
    if job.error is not None:
        # Refused before any run began (the source's checks, its sums pass) or
        # failed within one: the heading says which, the error says why.
        began = job.snapshot().runs_started > 0
        st.error(
            f"**The comparison on {plain.literal(location)} could not "
            f"{'finish' if began else 'start'}.** {plain.literal(job.error)}"
        )
        st.stop()
    if job.stopped:
        st.warning(
            "Stopped: the results below hold what was computed before the stop; "
            "runs that had not started are left out.",
            icon=":material/stop_circle:",
        )
    comparison, problem = job.result
    return Finished(
        request, comparison, problem, job.seconds or 0.0, job.stopped, job.serial
    )
