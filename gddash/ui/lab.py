"""Compare on your data: load a CSV, run batch vs SGD vs mini-batch, see who wins.

Reads top to bottom like the page: data, set-up form, checks, run, results.
Every setting is written to the address bar on every run, so the URL is the
share link (see ``gddash.ui.links``).
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from gddash import (
    charts,
    compare,
    data,
    export,
    limits,
    paths,
    plain,
    share,
    table,
    titles,
)
from gddash.charts.models import LEGEND_FEATURES
from gddash.compare import CompareSettings
from gddash.data import PrepareOptions
from gddash.engine import RULES, SCHEDULES, SHUFFLE_NOTE, Settings
from gddash.errors import GddashError
from gddash.page_settings import (
    LAB,
    LAB_DATA_KEYS,
    LAB_DEFAULTS,
    LAB_SAMPLES,
    LAB_SOURCES,
    LAB_UPLOAD_KEYS,
    LARGE,
    LEARNING_RATES,
    MAX_ALPHA,
    MAX_BATCH,
    MAX_EPOCHS,
    MAX_HUBER_EPSILON,
    MAX_REPEATS,
    MAX_SEED,
    MAX_UPDATES,
    TOL_CHOICES,
    VALIDATION_STEP,
    tol_label,
)
from gddash.ui import cache, large_source, links, session_data

PAGE = "lab"
FORM_KEYS = (
    "target",
    "features",
    "model",
    "huber_eps",
    "penalty",
    "alpha",
    "l1_ratio",
    "std",
    "missing",
    "val",
    "variants",
    "lr",
    "rule",
    "bs",
    "schedule",
    "budget",
    "epochs",
    "updates",
    "eps",
    "tol",
    "seed",
    "repeats",
)
# How a value is named in a link warning (and on its widget).
SHOWN = {
    "source": LAB_SOURCES.get,
    "sample": lambda key: LAB_SAMPLES[key].title,
    "model": titles.MODEL.get,
    "penalty": titles.PENALTY.get,
    "missing": titles.MISSING.get,
    "variants": titles.VARIANT.get,
    "rule": titles.RULE.get,
    "schedule": titles.SCHEDULE.get,
    "budget": titles.BUDGET.get,
    "tol": tol_label,
    "x_axis": titles.X_AXIS.get,
}
UPLOAD_LIMITS = (
    f"Up to {limits.MAX_UPLOAD_MB} MB, {limits.MAX_ROWS:,} rows, "
    f"{limits.MAX_COLUMNS} columns and {limits.MAX_CELLS:,} cells (rows × columns) "
    "on this shared server. Larger? Upload a random sample of the rows, e.g. "
    "`shuf -n 100000 big.csv` (keep the header line) or `df.sample(100_000)`."
)


def size_text(n_bytes: int) -> str:
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes} bytes"


def settle_data_choices(link, key, summary, frame, sample, usable, targets) -> None:
    """Target, features, model and learning rate for this data, before the form.

    A new dataset brings its suggestions (quietly: nothing was refused); a
    link's choices apply to the first data of the session, checked against its
    columns.
    """
    state = st.session_state
    if session_data.claim_compare_data(key):  # other data: its choices go
        links.forget(PAGE, LAB_DATA_KEYS)
    target = sample.default_target if sample else summary.suggested_target
    links.place(link, "target", targets, target)
    target = state["target"]
    features = list(
        sample.default_features
        if sample and sample.default_features and sample.default_target == target
        else [f for f in summary.suggested_features if f != target]
    )
    links.place(link, "features", usable, features, many=True)
    if target in state["features"]:
        state["features"] = [f for f in state["features"] if f != target]
        state["_moved_target"] = target
    suggested = summary.column(target).task or "linear"
    links.place(link, "model", list(titles.MODEL), suggested)
    if not ("lr" in state or "lr" in link.values or "lr" in links.kept_values(PAGE)):
        state["lr"] = suggested_rate(key, frame, sample)
    links.settle(link, ["lr"], {})


def suggested_rate(key, frame, sample) -> float:
    """A learning rate every variant can use on this data's default set-up."""
    state = st.session_state
    options = PrepareOptions(task=task_of(state["model"]))
    try:
        dataset = cache.dataset_of(
            key,
            state["target"],
            tuple(state["features"]),
            options,
            frame,
            shared=sample is not None,
        )
        return compare.suggested_learning_rate(dataset)
    except GddashError:
        return 0.01


def task_of(model: str) -> str:
    """The data's task for a model: Huber regression fits a numeric target."""
    return "linear" if model == "huber" else model


def stable_rate(problem, settings: CompareSettings, batch_size: int) -> float:
    """The problem's stable rate, lowered by the L2 part of the penalty.

    Each bound is 2/(largest curvature); L2 adds l2 to every curvature, so
    2/(c + l2) = 1/(1/η_max + l2/2).
    """
    stable = problem.stable_learning_rate(batch_size)
    penalty = settings.descent.penalty_term
    if penalty is None or penalty.l2 == 0:
        return stable
    return 1.0 / (1.0 / stable + penalty.l2 / 2.0)


def coefficient_path(dataset_id: str, comparison, problem) -> pd.DataFrame:
    """The comparison's coefficient path, computed once per session and set-up."""
    settings = comparison.settings
    if not compare.fits(problem, comparison.dataset, settings):
        problem = compare.problem_for(comparison.dataset, settings)

    def compute() -> pd.DataFrame:
        with cache.heavy_work():
            return paths.coefficient_path(
                problem,
                settings.descent.penalty_term,
                compare.parameter_names(comparison.dataset),
                chosen=comparison.optimum.theta,
            )

    return cache.remember("path", f"{dataset_id}|{settings!r}", compute)


def path_height(n_lines: int) -> int:
    """The coefficient path's height: Streamlit fits title, axes and the legend
    (two names a row, drawn up to charts.models.LEGEND_FEATURES) in it."""
    legend_rows = -(-n_lines // 2) if n_lines <= LEGEND_FEATURES else 0
    return 380 + 22 * legend_rows


def take_target_out_of_features() -> None:
    """On Run: a column chosen as the target leaves the features (said once)."""
    state = st.session_state
    target, features = state.get("target"), state.get("features", [])
    if target in features:
        state["features"] = [f for f in features if f != target]
        state["_moved_target"] = target


def column_kinds(summary) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "column": [c.name for c in summary.columns],
            "kind": [c.kind for c in summary.columns],
            "missing": [c.n_missing for c in summary.columns],
            "what it holds": [c.description for c in summary.columns],
        }
    )


def show_notes(notes, *, title: str) -> None:
    """Notes of the data layer; they quote column names, so shown literally."""
    if notes:
        st.info("\n".join(f"- {plain.literal(n)}" for n in notes), title=title)


def show_results(
    link: links.Link,
    link_facts: dict[str, object],
    comparison: compare.Comparison,
    *,
    surface,
    settings_json: str,
    share_note: str,
    timing,
    command: str | None = None,
    path=None,
    path_note: str | None = None,
    notes=(),
    surface_note: str | None = None,
    fit_note: str | None = None,
) -> None:
    """The results of a comparison, in memory or on a large source, top to bottom.

    ``surface(i, j)`` is the loss grid over parameters i and j; ``path()`` the
    coefficient path (asked for only with a penalty of α > 0; without one,
    ``path_note`` says why it is not drawn); ``timing()`` the
    closing caption, called last so that it can say how long the page took;
    ``command`` the command line that repeats the run, shown when given.
    """
    st.header("Results", anchor=False)
    diverged = (comparison.table["status"] == "diverged").any()
    arrived = comparison.table["epochs to 1%"].notna().any()
    (st.warning if diverged else st.success if arrived else st.info)(comparison.verdict)
    timing_caption = st.empty()  # filled at the end with what the visitor waited for
    show_notes(notes, title="About these numbers:")

    st.subheader("Loss curves", anchor=False)
    links.show_again(PAGE, "results", ("x_axis", "log_y", "p1", "p2"))
    links.drawn(PAGE, "results")
    a, b = st.columns([3, 1])
    # Radio buttons wrap on a phone; a segmented control ran off its right edge.
    x_axis = a.radio(
        "x-axis",
        list(titles.X_AXIS),
        key="x_axis",
        horizontal=True,
        format_func=SHOWN["x_axis"],
    )
    log_y = b.toggle("Log scale", key="log_y")
    links.publish(link, link_facts)
    st.altair_chart(
        charts.loss_curves(comparison, x=x_axis, log_scale=log_y),
        width="stretch",
    )
    st.altair_chart(
        charts.gradient_norms(comparison, x=x_axis),
        width="stretch",
    )

    st.subheader("Comparison", anchor=False)
    st.dataframe(
        table.styled(comparison.table),
        hide_index=True,
        width="stretch",
        placeholder=table.MISSING,
        column_config={"variant": st.column_config.TextColumn(pinned=True)},
        alt="Comparison table: one row per variant, best values highlighted.",
    )
    with st.expander("Why each run stopped"):
        for _, row in comparison.table.iterrows():
            variant, message = (
                plain.literal(row["variant"]),
                plain.literal(row["message"]),
            )
            st.markdown(f"**{variant}** — {message}")

    penalty_term = comparison.settings.descent.penalty_term
    if penalty_term is not None:
        st.subheader("Coefficient path", anchor=False)
        if penalty_term.alpha > 0 and path is not None:
            coefficients = path()
            st.altair_chart(
                charts.coefficient_path(coefficients, penalty_term.alpha).properties(
                    height=path_height(coefficients["feature"].nunique())
                ),
                width="stretch",
            )
            st.caption(
                "Each penalised coefficient of θ* (computed, not descended) over "
                "the penalty strength α; the dashed line is this run's α."
            )
        elif penalty_term.alpha > 0:
            st.info(path_note or "The coefficient path is not drawn here.")
        else:
            st.info(
                "With α = 0 the penalty does nothing: choose α above 0 to see the "
                "coefficients shrink along their path."
            )

    st.subheader("Loss surface", anchor=False)
    dataset = comparison.dataset
    names = list(compare.parameter_names(dataset))
    links.place(link, "p1", names, names[0])
    links.place(link, "p2", names, names[min(1, len(names) - 1)])
    a, b = st.columns(2)
    p1 = a.selectbox("First parameter", names, key="p1")
    p2 = b.selectbox("Second parameter", names, key="p2")
    links.publish(link, link_facts)
    links.warn(link, SHOWN)  # a link's plotted parameters may not exist here
    if p1 == p2:
        st.info("Pick two different parameters to draw the loss surface over them.")
    else:
        grid = surface(names.index(p1), names.index(p2))
        paths = charts.comparison_paths(comparison, grid)
        star = comparison.optimum.theta
        marker = (star[names.index(p1)], star[names.index(p2)], comparison.optimum.loss)
        surface_tab, contour_tab = st.tabs(["3-D surface", "Contours"])
        about = f"the exact loss over {p1} and {p2}, with each variant's path"
        with surface_tab:
            st.plotly_chart(
                charts.surface_figure(
                    grid, paths, title="Loss over two parameters", optimum=marker
                ),
                key="surface",
                width="stretch",
                alt=f"3-D surface of {about}.",
            )
        with contour_tab:
            st.plotly_chart(
                charts.contour_figure(
                    grid, paths, title="Contours of the loss", optimum=marker
                ),
                key="contours",
                width="stretch",
                alt=f"Contour map of {about}.",
            )
        if surface_note:
            st.caption(surface_note)

    st.subheader("Fit", anchor=False)
    if dataset.task == "softmax":
        row_sets = ["train"] + (["validation"] if dataset.X_val is not None else [])
        tabs = st.tabs([titles.VARIANT[v] for v in comparison.traces])
        for tab, variant in zip(tabs, comparison.traces, strict=True):
            with tab:
                for rows in row_sets:
                    views = charts.class_views(comparison, variant, rows=rows)
                    if views is None:
                        st.info("This run's parameters are not finite: no fit.")
                        break
                    a, b = st.columns(2)
                    a.altair_chart(views[0], width="stretch")
                    b.altair_chart(views[1], width="stretch")
    else:
        st.altair_chart(
            charts.fit_view(comparison),
            width="stretch",
        )
    if fit_note:
        st.caption(fit_note)

    st.subheader("Take it with you", anchor=False)
    a, b, c = st.columns(3)
    a.download_button(
        "Comparison table (CSV)",
        export.csv_bytes(comparison.table),
        file_name="gddash-comparison.csv",
        on_click="ignore",
        mime="text/csv",
        icon=":material/table:",
    )
    b.download_button(
        "Full traces (CSV)",
        # Built when clicked (every recorded point of every run can be megabytes),
        # holding the comparison weakly: Streamlit keeps this callable until the
        # visitor's stored session expires, long after their results were freed.
        export.when_clicked(compare.traces_csv, comparison),
        file_name="gddash-traces.csv",
        on_click="ignore",
        mime="text/csv",
        icon=":material/timeline:",
    )
    c.download_button(
        "Settings (JSON)",
        settings_json,
        file_name="gddash-settings.json",
        on_click="ignore",
        mime="application/json",
        icon=":material/settings:",
    )
    st.caption(share_note)
    if command is not None:
        with st.expander("The same run from a terminal", icon=":material/terminal:"):
            st.code(command, language="bash", wrap_lines=True)
            st.caption(large_source.COMMAND_NOTE)
    timing_caption.caption(timing())


# ---------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------


def main() -> None:
    """The page, top to bottom. Its values are locals: they are freed when a run
    ends, not kept alive by the functions a module-level page would leave behind
    (a callback keeps its module's globals, and with them every frame drawn)."""
    page_started = time.perf_counter()
    state = st.session_state
    link = links.open_link(PAGE, LAB)
    links.settle(link, LAB_DEFAULTS, LAB_DEFAULTS)
    link_file = {k: link.values.pop(k) for k in LAB_UPLOAD_KEYS if k in link.values}
    if link_file:
        state["_link_file"] = link_file

    st.title("Batch vs stochastic vs mini-batch gradient descent", anchor=False)
    st.caption(
        "Batch descent uses every row for each step, stochastic (SGD) a single row, "
        "mini-batch a small batch. Run all three on the same data with the same budget "
        "and see which gets closest to the exact optimum — in passes over the data and "
        "in seconds."
    )
    link_notices = st.container()  # filled once the widgets hold their values

    # 1. Data -------------------------------------------------------------------------
    # The large source only where the server's owner allows it (off by default).
    server = large_source.server_access(large_source.server_settings())
    if state.get("source") == LARGE and not server.offered:
        state["source"] = LAB_DEFAULTS["source"]
        link_notices.warning(
            "This link compares on large data read from a path or URL, which this "
            "server does not offer: its owner has not allowed reading files or "
            "URLs. Showing a bundled sample instead.",
            icon=":material/link_off:",
        )
    source = st.segmented_control(
        "Data",
        list(LAB_SOURCES if server.offered else titles.SOURCE),
        key="source",
        required=True,
        format_func=SHOWN["source"],
    )
    sample = None
    other_file = False  # an upload that is not the file the opened link names
    upload_facts: dict[str, object] = {"file": None, "bytes": None, "sha": None}
    if source == LARGE:
        large = large_source.section(link, upload_facts, SHOWN, link_notices)
        show_results(
            link,
            upload_facts,
            large.comparison,
            notes=large.notes,
            surface=large.surface,
            surface_note=large.surface_note,
            path=large.coefficient_path if large.squared else None,
            path_note=large.path_note,
            fit_note=large.fit_note,
            settings_json=large.settings_json(),
            share_note=large_source.SHARE_NOTE,
            timing=large.timing,
            command=large.command(),
        )
        return
    if source == "upload":
        st.file_uploader(
            "CSV file (comma, semicolon, tab or pipe separated; "
            "decimal commas are fine)",
            type=["csv", "txt", "tsv"],
            key="upload",
            on_change=session_data.keep_upload,
            help=UPLOAD_LIMITS,
        )
        st.caption(UPLOAD_LIMITS)
        asked_file = state.get("_link_file")
        upload = session_data.current_upload()
        if upload is None:
            links.publish(link, upload_facts)
            if asked_file and asked_file.get("file"):
                st.info(
                    f"This link was made with {plain.code(asked_file['file'])} "
                    f"({size_text(int(asked_file.get('bytes', 0)))}, fingerprint "
                    f"{plain.code(asked_file.get('sha', '?'))}). Upload that file to "
                    "see the same results; its settings are already restored.",
                    icon=":material/link:",
                )
            else:
                st.info(
                    "Upload a CSV file to compare the variants on your own data, or "
                    "switch to a bundled sample."
                )
            st.stop()
        other_file = bool(
            asked_file
            and asked_file.get("sha")
            and not upload.key.startswith(str(asked_file["sha"]))
        )
        if other_file:
            st.warning(
                f"{plain.code(upload.name)} is not the file this link was made with "
                f"({plain.code(asked_file.get('file', '?'))}, fingerprint "
                f"{plain.code(asked_file['sha'])}): its target and features wait for "
                "that file; this one starts from its own suggestions.",
                icon=":material/difference:",
            )
        if state.get("upload") is None:  # back from another page
            st.caption(
                f"Using {plain.code(upload.name)}, uploaded earlier; upload a file to "
                "replace it."
            )
        name, key = upload.name, upload.key
        upload_facts = {
            "file": upload.name,
            "bytes": upload.size,
            "sha": upload.key[:12],
        }

        def load() -> bytes:
            # getvalue() is Streamlit's own bytes; getbuffer() would copy them.
            return upload.file.getvalue()

        shared = False
    else:
        sample_key = st.selectbox(
            "Sample dataset",
            list(LAB_SAMPLES),
            key="sample",
            format_func=SHOWN["sample"],
        )
        sample = LAB_SAMPLES[sample_key]
        st.caption(sample.description)
        raw, name = data.load_sample(sample_key), f"{sample_key}.csv"
        key = cache.digest(raw)
        shared = True

    try:
        if shared:
            frame, read_notes = cache.read_table(key, raw)
        else:
            frame, read_notes = cache.upload_table(key, load)
    except GddashError as error:
        links.publish(link, upload_facts)
        st.error(
            f"**{plain.literal(name)} could not be used.** {plain.literal(str(error))}"
        )
        st.stop()
    summary = cache.column_summary(key, frame, shared=shared)

    with st.expander(
        f"Preview of {plain.literal(name)}: "
        f"{len(frame):,} rows × {frame.shape[1]} columns"
    ):
        st.dataframe(frame.head(50), width="stretch", height=240, alt="First 50 rows")
        st.dataframe(
            column_kinds(summary), hide_index=True, width="stretch", alt="Column kinds"
        )
    show_notes(read_notes, title="While reading the file:")
    if summary.suggested_target is None:
        st.error(plain.literal(summary.explanation))
        st.stop()

    # 2. Set-up -----------------------------------------------------------------------
    targets = [c.name for c in summary.columns if c.usable_as_target]
    usable = [c.name for c in summary.columns if c.usable_as_feature]
    # A link's target and features belong to the file it names: another file gets
    # its own suggestions, and the link's choices wait for the right one.
    data_link = links.Link(PAGE, LAB) if source == "upload" and other_file else link
    settle_data_choices(data_link, key, summary, frame, sample, usable, targets)
    links.show_again(PAGE, "form", FORM_KEYS)
    with st.form("setup"):
        left, right = st.columns(2, gap="large")
        with left:
            st.subheader("Model", anchor=False)
            target = st.selectbox("Target (what to predict)", targets, key="target")
            st.caption(plain.literal(summary.explanation))
            features = st.multiselect(
                "Features",
                usable,
                key="features",
                wrap=True,
                help="The columns the model predicts from. A column chosen as the "
                "target is taken out of the features when you run.",
            )
            model = st.radio(
                "Model",
                list(titles.MODEL),
                key="model",
                horizontal=True,
                format_func=SHOWN["model"],
                help="Suggested from the target: two values, logistic; 3–20 classes, "
                "softmax; numbers, linear. Huber regression fits numbers robustly: "
                "squared loss for residuals within ε, linear beyond.",
            )
            huber_epsilon = st.number_input(
                "Huber ε (Huber regression only)",
                min_value=0.0,
                max_value=MAX_HUBER_EPSILON,
                format="%g",
                key="huber_eps",
                help="Where the Huber loss turns from squared to linear, in units "
                "of the target (scikit-learn's SGDRegressor epsilon, default 0.1). "
                "Must be above 0.",
            )
            penalty = st.selectbox(
                "Penalty",
                list(titles.PENALTY),
                key="penalty",
                format_func=SHOWN["penalty"],
                help="Added to the mean loss as scikit-learn does: α·½‖w‖² (L2), "
                "α·‖w‖₁ (L1), or α·(ρ‖w‖₁ + (1−ρ)/2‖w‖²) (elastic net, ρ = "
                "l1_ratio). The intercept is never penalised.",
            )
            a, b = st.columns(2)
            alpha = a.number_input(
                "α (penalty strength)",
                min_value=0.0,
                max_value=MAX_ALPHA,
                format="%g",
                key="alpha",
                help="scikit-learn's alpha; its SGD default is 0.0001.",
            )
            l1_ratio = b.number_input(
                "l1_ratio ρ (elastic net only)",
                min_value=0.0,
                max_value=1.0,
                format="%g",
                key="l1_ratio",
                help="The L1 share of the elastic net, from 0 (ridge) to 1 (lasso).",
            )
            standardize = st.toggle(
                "Standardize features",
                key="std",
                help="Scale each feature to mean 0, standard deviation 1. "
                "Turn it off to "
                "see how poor scaling stretches the loss surface and slows descent.",
            )
            missing = st.radio(
                "Missing values",
                list(titles.MISSING),
                key="missing",
                horizontal=True,
                format_func=SHOWN["missing"],
            )
            validation = st.slider(
                "Validation share",
                0.0,
                0.5,
                step=VALIDATION_STEP,
                key="val",
                help="Rows held out and scored at every recorded point "
                "(never trained on).",
            )
        with right:
            st.subheader("Descent", anchor=False)
            variants = st.multiselect(
                "Variants",
                list(titles.VARIANT),
                key="variants",
                format_func=SHOWN["variants"],
                wrap=True,
                help="Batch uses every row for each update; stochastic one row; "
                "mini-batch a few. The stochastic variants take the rows in a new "
                "order every epoch. " + SHUFFLE_NOTE,
            )
            # One row per pair of inputs, so that the tab order reads across.
            a, b = st.columns(2)
            learning_rate = a.number_input(
                "Learning rate η",
                min_value=LEARNING_RATES[0],
                max_value=LEARNING_RATES[1],
                format="%g",
                key="lr",
            )
            rule = b.selectbox(
                "Update rule", RULES, key="rule", format_func=SHOWN["rule"]
            )
            a, b = st.columns(2)
            batch_size = a.number_input("Mini-batch size", 1, MAX_BATCH, key="bs")
            schedule = b.selectbox(
                "Schedule",
                SCHEDULES,
                key="schedule",
                format_func=SHOWN["schedule"],
                help="Constant η₀; inverse scaling η₀/t^0.25 (t = update count); step "
                "decay halves η every 10 epochs; exponential decay η₀·e^(−0.1·epoch).",
            )
            budget = st.radio(
                "Fair budget",
                list(titles.BUDGET),
                key="budget",
                horizontal=True,
                format_func=SHOWN["budget"],
                help="Same passes: every variant reads the data the same "
                "number of times "
                "(equal work). Same updates: every variant moves θ the same number of "
                "times (batch then does far more work per update).",
            )
            a, b = st.columns(2)
            epochs = a.number_input(
                "Epochs (passes)", 0.01, MAX_EPOCHS, key="epochs", format="%g"
            )
            updates = b.number_input("Updates", 1, MAX_UPDATES, key="updates")
            a, b = st.columns(2)
            eps = a.number_input("ε on ‖∇L‖", 0.0, 1e6, format="%.0e", key="eps")
            tol = b.selectbox(
                "tol",
                TOL_CHOICES,
                key="tol",
                format_func=tol_label,
                help="Also stop when the loss improved by less than tol for 5 epochs "
                "in a row (scikit-learn's rule).",
            )
            a, b = st.columns(2)
            seed = a.number_input("Seed", 0, MAX_SEED, key="seed")
            repeats = b.number_input(
                "Seeds",
                1,
                MAX_REPEATS,
                key="repeats",
                help="Repeat stochastic variants over this many seeds and draw the "
                "spread as a band.",
            )
        st.form_submit_button(
            "Run comparison",
            type="primary",
            icon=":material/play_arrow:",
            on_click=take_target_out_of_features,
        )

    # 3. Checks -----------------------------------------------------------------------
    links.drawn(PAGE, "form")
    links.publish(link, upload_facts)
    links.warn(link, SHOWN, where=link_notices)
    moved = state.pop("_moved_target", None)
    if moved is not None:
        st.caption(
            f"{plain.code(moved)} is the target, so it was taken out of the features."
        )
    if not features:
        st.error(
            "Choose at least one feature: the model needs something to predict from."
        )
        st.stop()
    if not variants:
        st.error("Choose at least one variant to run.")
        st.stop()

    options = PrepareOptions(
        missing=missing,
        standardize=standardize,
        validation_fraction=validation,
        seed=int(seed) if validation > 0 else 0,  # it only draws the validation split
        task=task_of(model),
    )
    dataset_id = cache.dataset_key(key, target, features, options)
    try:
        dataset = cache.dataset_of(
            key, target, tuple(features), options, frame, shared=shared
        )
        settings = CompareSettings(
            variants=tuple(variants),
            batch_size=int(batch_size),
            budget=budget,
            epochs=float(epochs),
            updates=int(updates),
            repeats=int(repeats),
            descent=Settings(
                learning_rate=float(learning_rate),
                rule=rule,
                schedule=schedule,
                eps=float(eps),
                tol=float(tol) or None,
                seed=int(seed),
                penalty=None if penalty == "none" else penalty,
                alpha=None if alpha is None else float(alpha),
                l1_ratio=float(l1_ratio),
            ),
            epsilon=float(huber_epsilon) if model == "huber" else None,
        )
    except GddashError as error:
        st.error(plain.literal(str(error)))
        st.stop()
    show_notes(dataset.notes, title="Preparing the data:")

    if "minibatch" in variants and batch_size >= dataset.n_samples:
        st.warning(
            f"The mini-batch size {batch_size} is not smaller than the "
            f"{dataset.n_samples:,} training rows, so mini-batch runs as batch "
            "descent. "
            "Choose a smaller size to see the difference."
        )
    n_params = compare.n_params_of(dataset)
    work = compare.work_for(dataset, settings)
    if work > limits.COMPARISON_WORK:
        st.warning(
            f"This comparison would compute about {work / 1e6:,.0f} million "
            f"row × parameter products ({len(compare.runs_of(settings))} runs on "
            f"{dataset.n_samples:,} rows × {n_params} parameters), more than "
            f"the {limits.COMPARISON_WORK / 1e6:,.0f} million (about two seconds) this "
            "shared server allows per comparison. Lower the epochs, updates or seeds, "
            "choose fewer features, or compare on a sample of the rows.",
            icon=":material/hourglass_disabled:",
        )
        st.stop()
    # Batch descent's limit: 2/λ_max of XᵀX/m (least squares, Huber), 8/λ_max for
    # the flatter log-loss, 4/λ_max for softmax; an L2 penalty lowers it.
    problem = cache.problem(dataset_id, dataset, settings, shared=shared)
    stable = stable_rate(problem, settings, dataset.n_samples)
    if rule == "plain" and "batch" in variants and learning_rate > stable:
        formula = {"logistic": "8/λ_max", "softmax": "4/λ_max"}.get(model, "2/λ_max")
        if settings.descent.penalty_term and settings.descent.penalty_term.l2 > 0:
            formula += ", with the L2 penalty added to λ_max"
        st.warning(
            f"η = {learning_rate:g} is above {stable:.3g}, the largest stable learning "
            f"rate of batch descent on this data ({formula} of XᵀX/m): batch will "
            f"diverge. Try {compare.suggested_learning_rate(dataset):g}."
        )

    # A large comparison runs and draws its results one visitor at a time in the
    # server (small ones skip the queue): the charts' Python work shares the
    # interpreter with every other visitor's page.
    with cache.heavy_work(work):
        # 4. Run -----------------------------------------------------------------------
        progress = st.progress(0.0, text="Starting…")

        def show_progress(label: str, done: int, total: int) -> None:
            # Also where a closed tab stops the work: Streamlit ends the script at its
            # next call once the visitor's session is gone.
            progress.progress(done / total, text=f"Running {label}…")

        computed = time.perf_counter()
        try:
            comparison = cache.comparison(
                dataset_id,
                settings,
                dataset,
                shared=shared,
                progress=show_progress,
                work=work,
            )
        except GddashError as error:
            progress.empty()
            st.error(plain.literal(str(error)))
            st.stop()
        progress.empty()
        computed = time.perf_counter() - computed

        # 5. Results -------------------------------------------------------------------
        show_results(
            link,
            upload_facts,
            comparison,
            surface=lambda i, j: cache.loss_slice(
                dataset_id, settings, i, j, comparison, shared=shared
            ),
            path=lambda: coefficient_path(dataset_id, comparison, problem),
            settings_json=share.settings_json(
                data=name,
                target=target,
                features=features,
                prepare=options,
                compare=settings,
            ),
            share_note="Every setting on this page is part of its web address: copy "
            "the address bar to share exactly this comparison. With an uploaded file "
            "the link names the file (name, size and fingerprint) and asks the "
            "recipient to upload it.",
            timing=lambda: (
                f"Optimum by {comparison.optimum.note}: loss "
                f"{comparison.optimum.loss:.6g}. "
                f"{dataset.n_samples:,} training rows, {n_params} parameters. "
                f"This page computed in {time.perf_counter() - page_started:.2f} s "
                f"on the server (the runs {computed:.2f} s); your browser then draws "
                "the charts."
            ),
        )


main()
