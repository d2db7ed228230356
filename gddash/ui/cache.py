"""The expensive steps behind the pages, cached and bounded in memory.

Two kinds of memory, chosen by who can use a result:
- What comes from our own samples and formulas is shared by every visitor
  (``st.cache_resource``: one object, never copied, never mutated; bounded in
  entries and time).
- What comes from a visitor's upload serves only that visitor, so it lives in
  the visitor's session, one result per step (``remember``), replaced when the
  visitor changes data and freed when the tab disconnects. Refusals are kept like
  results, so a bad file or formula costs its work once.
Keys are sha256 digests of bytes plus settings, never a large DataFrame (which
Streamlit would hash from a sample).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import pandas as pd
import streamlit as st

from gddash import allocator, charts, compare, data, functions, limits, slices
from gddash.compare import CompareSettings, Comparison, Optimum
from gddash.data import ColumnSummary, Dataset, PrepareOptions
from gddash.engine import Objective, Settings, Trace, descend
from gddash.errors import ExpressionError, GddashError

_TTL = 3600
T = TypeVar("T")

# Parsing a large upload, running a comparison or an explorer run and drawing its
# results take memory and a core: one at a time in the whole server, so eight
# visitors uploading together queue instead of holding eight parses, and the
# second core stays free for everyone else (two at once made a bystander 3x
# slower, benchmarks/abuse.py). Reentrant: a page holding it for its run and
# charts calls the caches, which take it again for the run alone.
_HEAVY = threading.RLock()
WAIT_POLL_SECONDS = 0.25
WAITING = (
    "Another visitor's large run is using this shared server's heavy-work slot; "
    "yours starts as soon as it ends."
)


@contextlib.contextmanager
def heavy_work(work: float = math.inf) -> Iterator[None]:
    """Hold the server's one slot for memory- and CPU-heavy work.

    Work below ``limits.LIGHT_WORK`` (a small comparison, a short explorer run)
    goes straight through: a visitor's default page must not queue behind a
    large run. The thread holding the slot may take it again. While it waits,
    the page says so, and every quarter second it redraws that note: a
    Streamlit call is where a closed tab ends the script, so a visitor who left
    never runs their work after waiting for it.
    """
    if work < limits.LIGHT_WORK:
        yield
        return
    note = None
    if not _HEAVY.acquire(blocking=False):
        note = st.empty()
        while not _HEAVY.acquire(timeout=WAIT_POLL_SECONDS):
            note.info(WAITING, icon=":material/hourglass_top:")
    try:  # from here on the slot is held, whatever ends the script
        if note is not None:
            note.empty()
        yield
    finally:
        _HEAVY.release()


def digest(raw: bytes | memoryview) -> str:
    """The identity of an upload or sample: sha256 of its bytes."""
    return hashlib.sha256(raw).hexdigest()


def _release(results: dict[str, tuple[str, object]]) -> None:
    """A session ended: free its results now and hand the pages back."""
    results.clear()
    allocator.give_back_free_pages()


@st.cache_resource(scope="session", show_spinner=False, on_release=_release)
def _session_results() -> dict[str, tuple[str, object]]:
    """This session's results, by slot: Streamlit drops them as soon as the tab
    disconnects (a session-scoped cache), not when the stored session expires,
    which waits until another visitor connects."""
    return {}


def remember(slot: str, key: str, compute: Callable[[], T]) -> T:
    """This session's result of ``compute`` for ``key``: one per slot, refusals too.

    A ``GddashError`` is kept and raised again for the same key, so a refused
    upload or formula is not redone on every rerun.
    """
    memo = _session_results()
    held = memo.get(slot)
    if held is None or held[0] != key:
        memo.pop(slot, None)  # free the old result before computing the new one
        try:
            held = (key, compute())
        except GddashError as error:
            held = (key, error)
        memo[slot] = held
    if isinstance(held[1], GddashError):
        raise type(held[1])(str(held[1]))
    return held[1]


def held(slot: str, key: str) -> bool:
    """Whether this session already holds the result (or refusal) for ``key``."""
    found = _session_results().get(slot)
    return found is not None and found[0] == key


def forget_session_data() -> None:
    """Free everything this session computed from its upload."""
    _session_results().clear()


# --- Tables and datasets ------------------------------------------------------------


def _read(
    raw: bytes | memoryview, max_cells: int = limits.MAX_CELLS
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    with heavy_work():
        # Within gddash.limits, checked on the raw bytes before parsing.
        frame = data.read_csv(raw, max_cells=max_cells)
    return frame, tuple(frame.attrs.get("notes", ()))


@st.cache_resource(max_entries=12, ttl=_TTL, show_spinner="Reading the CSV…")
def read_table(key: str, _raw: bytes) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``data.read_csv`` of a bundled sample whose digest is ``key`` (shared)."""
    return _read(_raw, limits.SAMPLE_CELLS)


def upload_table(
    key: str, load: Callable[[], bytes | memoryview]
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``data.read_csv`` of this visitor's upload (kept in the session)."""
    return remember("table", key, lambda: _read(load()))


@st.cache_resource(max_entries=12, ttl=_TTL, show_spinner=False)
def _shared_summary(key: str, _frame: pd.DataFrame) -> ColumnSummary:
    return data.describe_columns(_frame)


def column_summary(key: str, frame: pd.DataFrame, *, shared: bool) -> ColumnSummary:
    """What each column holds and which target to suggest."""
    if shared:
        return _shared_summary(key, frame)
    return remember("summary", key, lambda: data.describe_columns(frame))


@st.cache_resource(max_entries=16, ttl=_TTL, show_spinner="Preparing the data…")
def prepared(
    key: str,
    target: str,
    features: tuple[str, ...],
    options: PrepareOptions,
    _frame: pd.DataFrame,
) -> Dataset:
    """``data.prepare`` of the sample table ``key`` (shared, read-only arrays)."""
    return data.prepare(_frame, target, list(features), options)


def dataset_of(
    key: str,
    target: str,
    features: tuple[str, ...],
    options: PrepareOptions,
    frame: pd.DataFrame,
    *,
    shared: bool,
) -> Dataset:
    """The prepared dataset, shared for samples, in the session for uploads."""
    if shared:
        return prepared(key, target, features, options, frame)
    dataset_id = dataset_key(key, target, features, options)
    return remember(
        "dataset",
        dataset_id,
        lambda: data.prepare(frame, target, list(features), options),
    )


def dataset_key(key: str, target: str, features, options: PrepareOptions) -> str:
    return f"{key}|{target}|{tuple(features)}|{options!r}"


# --- Problems, optima and runs ------------------------------------------------------


def objective_key(
    dataset_id: str, dataset: Dataset, settings: CompareSettings | None = None
) -> str:
    """What a problem is built from: the data, the model and Huber's ε."""
    if settings is None:
        return dataset_id
    return f"{dataset_id}|{compare.model_of(dataset, settings)}|{settings.epsilon!r}"


@st.cache_resource(max_entries=16, ttl=_TTL, show_spinner=False)
def _problem(key: str, _dataset: Dataset, _settings: CompareSettings | None):
    # Shared and never mutated: a problem holds read-only arrays and XᵀX.
    return compare.problem_for(_dataset, _settings)


def problem(
    dataset_id: str,
    dataset: Dataset,
    settings: CompareSettings | None = None,
    *,
    shared: bool = True,
):
    """The engine problem of a dataset and the settings' model (built once)."""
    key = objective_key(dataset_id, dataset, settings)
    if shared:
        return _problem(key, dataset, settings)
    return remember("problem", key, lambda: compare.problem_for(dataset, settings))


def _optimum_of(dataset_id, dataset, settings, shared) -> Optimum:
    penalty = None if settings is None else settings.descent.penalty_term
    built = problem(dataset_id, dataset, settings, shared=shared)
    return compare.optimum_for(dataset, built, penalty)


@st.cache_resource(max_entries=16, ttl=_TTL, show_spinner="Finding the optimum…")
def _optimum(
    key: str, dataset_id: str, _dataset: Dataset, _settings: CompareSettings | None
) -> Optimum:
    return _optimum_of(dataset_id, _dataset, _settings, True)


def optimum(
    dataset_id: str,
    dataset: Dataset,
    settings: CompareSettings | None = None,
    *,
    shared: bool = True,
) -> Optimum:
    """θ* of the settings' objective (model, ε, penalty) and its loss."""
    penalty = None if settings is None else settings.descent.penalty_term
    key = f"{objective_key(dataset_id, dataset, settings)}|{penalty!r}"
    if shared:
        return _optimum(key, dataset_id, dataset, settings)
    return remember(
        "optimum", key, lambda: _optimum_of(dataset_id, dataset, settings, False)
    )


def comparison(
    dataset_id: str,
    settings: CompareSettings,
    dataset: Dataset,
    *,
    shared: bool,
    progress: Callable[[str, int, int], None] | None = None,
    work: float = math.inf,
) -> Comparison:
    """The page's comparison, through ``compare.run`` (kept in the session).

    Chart options rerun the page without changing the comparison, so the last
    one is kept; a new dataset or setting replaces it.
    """

    def compute() -> Comparison:
        with heavy_work(work):
            return compare.run(
                dataset,
                settings,
                problem=problem(dataset_id, dataset, settings, shared=shared),
                optimum=optimum(dataset_id, dataset, settings, shared=shared),
                progress=progress,
            )

    return remember("comparison", f"{dataset_id}|{settings!r}", compute)


def loss_slice(
    dataset_id: str,
    settings: CompareSettings,
    i: int,
    j: int,
    comparison: Comparison,
    *,
    shared: bool,
) -> charts.SurfaceGrid:
    """The exact loss over θ_i, θ_j for the page's comparison (kept in the session).

    For the log-loss every grid point is a pass over the rows, and chart options
    rerun the page without changing the surface.
    """
    return remember(
        "slice",
        f"{dataset_id}|{settings!r}|{i}|{j}",
        lambda: slices.slice_grid(
            comparison,
            i,
            j,
            problem=problem(dataset_id, comparison.dataset, settings, shared=shared),
        ),
    )


# --- Formulas -------------------------------------------------------------------------


@st.cache_resource(max_entries=128, ttl=_TTL, show_spinner=False)
def _symbolic(
    text: str, variables: tuple[str, ...]
) -> functions.SymbolicFunction | ExpressionError:
    # A refusal is cached like a result: a hostile link costs its work once.
    return functions.try_symbolic(text, variables)


def symbolic(text: str, variables: tuple[str, ...]) -> functions.SymbolicFunction:
    """Parse and differentiate a formula once (shared, immutable); refusals raise."""
    outcome = _symbolic(text, variables)
    if isinstance(outcome, ExpressionError):
        raise ExpressionError(str(outcome))
    return outcome


@st.cache_data(max_entries=128, ttl=_TTL, show_spinner=False)
def function_run(text: str, variables: tuple[str, ...], settings: Settings) -> Trace:
    """The engine's run on a formula: the explorer's, and the learn page's demos."""
    f = symbolic(text, variables)
    return descend(Objective(f.value, f.gradient, len(variables)), settings)
