"""Compare on your data: load a CSV, run batch vs SGD vs mini-batch, see who wins.

Reads top to bottom like the page: data, set-up form, checks, run, results.
Every setting is bound to the URL, so the address bar is the share link.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from gddash import charts, compare, data, share
from gddash.compare import RULE_TITLES, VARIANT_TITLES, CompareSettings
from gddash.data import PrepareOptions
from gddash.engine import RULES, SCHEDULES, Settings, plan
from gddash.errors import GddashError
from gddash.ui import cache, links

# Rows processed by one comparison (all variants and seeds) before we ask the user
# to reduce it: about two seconds of compute here, far less than a frozen server.
WORK_LIMIT = 60_000_000
URL_KEYS = (
    "source",
    "sample",
    "target",
    "features",
    "model",
    "std",
    "missing",
    "val",
    "variants",
    "bs",
    "rule",
    "lr",
    "schedule",
    "budget",
    "epochs",
    "updates",
    "eps",
    "tol",
    "seed",
    "repeats",
    "x_axis",
    "log_y",
    "p1",
    "p2",
)
# Bound widgets write the label of their value to the URL, so labels are short.
LABELS = {
    "source": {"sample": "Bundled sample", "upload": "Upload a CSV"}.get,
    "model": {"linear": "Linear regression", "logistic": "Logistic regression"}.get,
    "missing": {"drop": "Drop rows", "mean": "Fill with the mean"}.get,
    "variants": VARIANT_TITLES.get,
    "rule": RULE_TITLES.get,
    "schedule": {
        "constant": "Constant",
        "invscaling": "Inverse scaling",
        "step": "Step decay",
        "exponential": "Exponential decay",
    }.get,
    "budget": {"epochs": "Same passes", "updates": "Same updates"}.get,
    "tol": lambda tol: "off" if tol == 0 else f"{tol:g}",
    "x_axis": {
        "epochs": "Epochs",
        "updates": "Updates",
        "samples": "Rows processed",
        "seconds": "Seconds",
    }.get,
}
SAMPLES = {s.key: s for s in data.samples()}
LABELS["sample"] = lambda key: SAMPLES[key].title


def adopt_new_data(key: str, summary, frame: pd.DataFrame, sample) -> None:
    """On a new dataset, set target, features, model and learning rate to suggestions.

    Runs before the widgets are drawn. On a session's first data the URL (a shared
    link) or these suggestions decide; on a later change the suggestions win.
    """
    if st.session_state.get("_data_key") == key:
        return
    first = "_data_key" not in st.session_state
    st.session_state["_data_key"] = key
    target = sample.default_target if sample else summary.suggested_target
    if target is None:
        return
    features = list(
        sample.default_features
        if sample and sample.default_features
        else [f for f in summary.suggested_features if f != target]
    )
    model = "logistic" if summary.column(target).kind == "binary" else "linear"
    suggestions = {"target": target, "features": features, "model": model}
    try:
        dataset = cache.prepared(
            key, target, tuple(features), PrepareOptions(task=model), frame
        )
        suggestions["lr"] = compare.suggested_learning_rate(dataset)
    except GddashError:
        suggestions["lr"] = 0.01
    for name, value in suggestions.items():
        if not first or (name not in st.session_state and name not in st.query_params):
            st.session_state[name] = value


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
    if notes:
        st.info(f"**{title}**\n\n" + "\n".join(f"- {n}" for n in notes))


def best_cells(table: pd.DataFrame) -> pd.io.formats.style.Styler:
    """Highlight the best value of each comparable column."""
    lower = [
        "final loss",
        "validation loss",
        "gap to optimum",
        "distance to θ*",
        "seconds",
        "seconds to 1%",
        "epochs to 1%",
        "rows to 1%",
        "final ‖∇L‖",
    ]
    higher = [c for c in ("R²", "accuracy") if c in table]
    ok = table["status"] != "diverged"

    def mark(column: pd.Series) -> list[str]:
        values = pd.to_numeric(column, errors="coerce").where(ok)
        if values.notna().sum() < 2:
            return [""] * len(column)
        best = values.max() if column.name in higher else values.min()
        return [
            "font-weight: bold; background-color: rgba(46,160,67,0.25)"
            if v == best
            else ""
            for v in values
        ]

    present = [c for c in lower + higher if c in table]
    return table.style.apply(mark, subset=present)


TABLE_FORMAT = {
    "final loss": st.column_config.NumberColumn(format="%.6g"),
    "loss spread over seeds": st.column_config.NumberColumn(format="%.3g"),
    "validation loss": st.column_config.NumberColumn(format="%.6g"),
    "gap to optimum": st.column_config.NumberColumn(format="%.3g"),
    "distance to θ*": st.column_config.NumberColumn(format="%.3g"),
    "R²": st.column_config.NumberColumn(format="%.4f"),
    "accuracy": st.column_config.NumberColumn(format="%.3f"),
    "epochs": st.column_config.NumberColumn(format="%.4g"),
    "updates": st.column_config.NumberColumn(format="%d"),
    "rows processed": st.column_config.NumberColumn(format="%d"),
    "seconds": st.column_config.NumberColumn(format="%.3g"),
    "seconds to 1%": st.column_config.NumberColumn(format="%.3g"),
    "epochs to 1%": st.column_config.NumberColumn(format="%.3g"),
    "rows to 1%": st.column_config.NumberColumn(format="%d"),
    "final ‖∇L‖": st.column_config.NumberColumn(format="%.3g"),
    "message": st.column_config.TextColumn(width="medium"),
}


def traces_csv(comparison) -> bytes:
    frames = []
    for variant, runs in comparison.traces.items():
        for k, trace in enumerate(runs):
            frame = pd.DataFrame(
                {
                    "variant": variant,
                    "seed": comparison.settings.descent.seed + k,
                    "update": trace.updates,
                    "epoch": trace.epochs,
                    "rows_processed": trace.samples,
                    "seconds": trace.seconds,
                    "loss": trace.loss,
                    "grad_norm": trace.grad_norm,
                    "learning_rate": trace.learning_rate,
                }
            )
            if trace.val_loss is not None:
                frame["validation_loss"] = trace.val_loss
            for j, name in enumerate(comparison.dataset.feature_names):
                frame[f"theta[{name}]"] = trace.path[:, j]
            frames.append(frame)
    return pd.concat(frames).to_csv(index=False).encode()


# ---------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------

url_asked = links.asked(URL_KEYS)

st.title("Batch vs stochastic vs mini-batch gradient descent")
st.caption(
    "Batch descent uses every row for each step, stochastic (SGD) a single row, "
    "mini-batch a small batch. Run all three on the same data with the same budget "
    "and see which gets closest to the exact optimum — in passes over the data and "
    "in seconds."
)


def keep_upload() -> None:
    """Remember the uploaded file past a page switch (the widget forgets it)."""
    uploaded = st.session_state.get("upload")
    st.session_state["_upload"] = (
        None if uploaded is None else (uploaded.name, uploaded.getvalue())
    )


# 1. Data -------------------------------------------------------------------------
source = st.segmented_control(
    "Data",
    ["sample", "upload"],
    key="source",
    bind="query-params",
    required=True,
    default="sample",
    format_func=LABELS["source"],
)
sample = None
if source == "upload":
    st.file_uploader(
        "CSV file (comma, semicolon, tab or pipe separated; decimal commas are fine)",
        type=["csv", "txt", "tsv"],
        key="upload",
        on_change=keep_upload,
    )
    if st.session_state.get("_upload") is None:
        st.info(
            "Upload a CSV file to compare the variants on your own data, or switch to "
            "a bundled sample. Opened a shared link? Its settings are restored; "
            "upload the same file to reproduce its results."
        )
        st.stop()
    name, raw = st.session_state["_upload"]
    if st.session_state.get("upload") is None:  # back from another page
        st.caption(f"Using **{name}**, uploaded earlier; upload a file to replace it.")
else:
    sample_key = st.selectbox(
        "Sample dataset",
        list(SAMPLES),
        key="sample",
        bind="query-params",
        format_func=LABELS["sample"],
    )
    sample = SAMPLES[sample_key]
    st.caption(sample.description)
    raw, name = data.load_sample(sample_key), f"{sample_key}.csv"

key = cache.digest(raw)
try:
    frame, read_notes = cache.read_table(key, raw)
except GddashError as error:
    st.error(f"**{name} could not be used.** {error}")
    st.stop()
summary = cache.column_summary(key, frame)
adopt_new_data(key, summary, frame, sample)

with st.expander(f"Preview of {name}: {len(frame):,} rows × {frame.shape[1]} columns"):
    st.dataframe(frame.head(50), width="stretch", height=240)
    st.dataframe(column_kinds(summary), hide_index=True, width="stretch")
    st.caption(summary.explanation)
show_notes(read_notes, title="While reading the file:")
if summary.suggested_target is None:
    st.error(summary.explanation)
    st.stop()

# 2. Set-up -----------------------------------------------------------------------
columns = [c.name for c in summary.columns]
targets = [c.name for c in summary.columns if c.kind in ("numeric", "binary")]
usable = [c.name for c in summary.columns if c.usable_as_feature]
with st.form("setup"):
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Model")
        target = st.selectbox(
            "Target (what to predict)", targets, key="target", bind="query-params"
        )
        features = st.multiselect(
            "Features", usable, key="features", bind="query-params"
        )
        model = st.radio(
            "Model",
            ["linear", "logistic"],
            key="model",
            bind="query-params",
            horizontal=True,
            format_func=LABELS["model"],
        )
        standardize = st.toggle(
            "Standardize features",
            value=True,
            key="std",
            bind="query-params",
            help="Scale each feature to mean 0, standard deviation 1. Turn it off to "
            "see how poor scaling stretches the loss surface and slows descent.",
        )
        missing = st.radio(
            "Missing values",
            ["drop", "mean"],
            key="missing",
            bind="query-params",
            horizontal=True,
            format_func=LABELS["missing"],
        )
        validation = st.slider(
            "Validation share",
            0.0,
            0.5,
            0.0,
            0.05,
            key="val",
            bind="query-params",
            help="Rows held out and scored at every recorded point (never trained on).",
        )
    with right:
        st.subheader("Descent")
        variants = st.multiselect(
            "Variants",
            list(VARIANT_TITLES),
            default=list(VARIANT_TITLES),
            key="variants",
            bind="query-params",
            format_func=LABELS["variants"],
        )
        a, b = st.columns(2)
        batch_size = a.number_input(
            "Mini-batch size", 1, 1_000_000, 32, key="bs", bind="query-params"
        )
        learning_rate = b.number_input(
            "Learning rate η",
            min_value=1e-8,
            max_value=1e6,
            format="%g",
            key="lr",
            bind="query-params",
        )
        rule = a.selectbox(
            "Update rule",
            RULES,
            key="rule",
            bind="query-params",
            format_func=LABELS["rule"],
        )
        schedule = b.selectbox(
            "Schedule",
            SCHEDULES,
            key="schedule",
            bind="query-params",
            format_func=LABELS["schedule"],
            help="Constant η₀; inverse scaling η₀/t^0.25 (t = update count); step "
            "decay halves η every 10 epochs; exponential decay η₀·e^(−0.1·epoch).",
        )
        budget = st.radio(
            "Fair budget",
            ["epochs", "updates"],
            key="budget",
            bind="query-params",
            horizontal=True,
            format_func=LABELS["budget"],
            help="Same passes: every variant reads the data the same number of times "
            "(equal work). Same updates: every variant moves θ the same number of "
            "times (batch then does far more work per update).",
        )
        a, b = st.columns(2)
        epochs = a.number_input(
            "Epochs (passes)",
            0.01,
            100_000.0,
            20.0,
            key="epochs",
            bind="query-params",
            format="%g",
        )
        updates = b.number_input(
            "Updates", 1, 10_000_000, 200, key="updates", bind="query-params"
        )
        a, b, c, d = st.columns(4)
        eps = a.number_input(
            "ε on ‖∇L‖", 0.0, 1e6, 1e-6, format="%.0e", key="eps", bind="query-params"
        )
        tol = b.selectbox(
            "tol",
            [0.0, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6],
            key="tol",
            bind="query-params",
            format_func=LABELS["tol"],
            help="Also stop when the loss improved by less than tol for 5 epochs "
            "in a row (scikit-learn's rule).",
        )
        seed = c.number_input("Seed", 0, 2**31 - 1, 0, key="seed", bind="query-params")
        repeats = d.number_input(
            "Seeds",
            1,
            10,
            1,
            key="repeats",
            bind="query-params",
            help="Repeat stochastic variants over this many "
            "seeds and draw the spread as a band.",
        )
    st.form_submit_button(
        "Run comparison", type="primary", icon=":material/play_arrow:"
    )

# 3. Checks -----------------------------------------------------------------------
links.warn_ignored(url_asked, LABELS)
if not features:
    st.error("Choose at least one feature: the model needs something to predict from.")
    st.stop()
if target in features:
    st.error(
        f"'{target}' is both the target and a feature: a model that sees the answer "
        "learns nothing. Remove it from the features or pick another target."
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
    task=model,
)
dataset_id = cache.dataset_key(key, target, features, options)
try:
    dataset = cache.prepared(key, target, tuple(features), options, frame)
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
        ),
    )
except GddashError as error:
    st.error(str(error))
    st.stop()
show_notes(dataset.notes, title="Preparing the data:")

if "minibatch" in variants and batch_size >= dataset.n_samples:
    st.warning(
        f"The mini-batch size {batch_size} is not smaller than the "
        f"{dataset.n_samples:,} training rows, so mini-batch runs as batch descent. "
        "Choose a smaller size to see the difference."
    )
# Batch descent's limit: 2/λ_max of XᵀX/m, or 8/λ_max for the flatter log-loss.
stable = cache.problem(dataset_id, dataset).stable_learning_rate(dataset.n_samples)
if rule == "plain" and "batch" in variants and learning_rate > stable:
    formula = "8/λ_max" if model == "logistic" else "2/λ_max"
    st.warning(
        f"η = {learning_rate:g} is above {stable:.3g}, the largest stable learning "
        f"rate of batch descent on this data ({formula} of XᵀX/m): batch will "
        f"diverge. Try {compare.suggested_learning_rate(dataset):g}."
    )

runs = compare.runs_of(settings)
work = 0  # rows the comparison's updates read, as the engine will run them
for variant, _ in runs:
    planned = plan(dataset.n_samples, settings.settings_for(variant))
    work += planned.n_updates * planned.batch_size
if work > WORK_LIMIT:
    st.warning(
        f"This comparison would process about {work:,.0f} rows ({len(runs)} runs), "
        f"more than the {WORK_LIMIT:,} this server allows per comparison. Lower the "
        "epochs, updates or seeds, or compare on a smaller sample of the rows."
    )
    st.stop()

# 4. Run --------------------------------------------------------------------------
started = time.perf_counter()
progress = st.progress(0.0, text="Starting…")
try:
    best = cache.optimum(dataset_id, dataset)
    traces = []
    for done, (variant, k) in enumerate(runs):
        label = compare.run_label(variant, k, settings.repeats)
        progress.progress(done / len(runs), text=f"Running {label}…")
        traces.append(cache.one_run(dataset_id, settings, variant, k, dataset))
    comparison = compare.assemble(dataset, settings, traces, best)
except GddashError as error:
    progress.empty()
    st.error(str(error))
    st.stop()
progress.empty()
elapsed = time.perf_counter() - started

# 5. Results ----------------------------------------------------------------------
st.header("Results")
diverged = (comparison.table["status"] == "diverged").any()
arrived = comparison.table["epochs to 1%"].notna().any()
(st.warning if diverged else st.success if arrived else st.info)(comparison.verdict)
st.caption(
    f"Optimum by {comparison.optimum.note}: loss {comparison.optimum.loss:.6g}. "
    f"{dataset.n_samples:,} training rows, {dataset.n_features} parameters; "
    f"page computed in {elapsed:.2f} s."
)

st.subheader("Loss curves")
a, b, _ = st.columns([2, 1, 2])
x_axis = a.segmented_control(
    "x-axis",
    ["epochs", "updates", "samples", "seconds"],
    key="x_axis",
    bind="query-params",
    default="epochs",
    required=True,
    format_func=LABELS["x_axis"],
)
log_y = b.toggle("Log scale", key="log_y", bind="query-params")
st.altair_chart(
    charts.loss_curves(comparison, x=x_axis, log_scale=log_y), width="stretch"
)
st.altair_chart(charts.gradient_norms(comparison, x=x_axis), width="stretch")

st.subheader("Comparison")
st.dataframe(
    best_cells(comparison.table.dropna(axis=1, how="all")),
    column_config=TABLE_FORMAT,
    hide_index=True,
    width="stretch",
)
with st.expander("What each status means"):
    for _, row in comparison.table.iterrows():
        st.markdown(f"**{row['variant']}** — {row['message']}")

st.subheader("Loss surface")
names = list(dataset.feature_names)
a, b = st.columns(2)
p1 = a.selectbox("First parameter", names, index=0, key="p1", bind="query-params")
p2 = b.selectbox(
    "Second parameter",
    names,
    index=min(1, len(names) - 1),
    key="p2",
    bind="query-params",
)
if p1 == p2:
    st.info("Pick two different parameters to draw the loss surface over them.")
else:
    grid = cache.loss_slice(
        dataset_id, settings, names.index(p1), names.index(p2), comparison
    )
    paths = charts.comparison_paths(comparison, grid)
    star = comparison.optimum.theta
    marker = (star[names.index(p1)], star[names.index(p2)], comparison.optimum.loss)
    surface_tab, contour_tab = st.tabs(["3-D surface", "Contours"])
    with surface_tab:
        st.plotly_chart(
            charts.surface_figure(
                grid, paths, title="Loss over two parameters", optimum=marker
            ),
            key="surface",
            width="stretch",
        )
    with contour_tab:
        st.plotly_chart(
            charts.contour_figure(
                grid, paths, title="Contours of the loss", optimum=marker
            ),
            key="contours",
            width="stretch",
        )

st.subheader("Fit")
st.altair_chart(charts.fit_view(comparison), width="stretch")

st.subheader("Take it with you")
a, b, c = st.columns(3)
a.download_button(
    "Comparison table (CSV)",
    comparison.table.to_csv(index=False).encode(),
    file_name="gddash-comparison.csv",
    on_click="ignore",
    mime="text/csv",
    icon=":material/table:",
)
b.download_button(
    "Full traces (CSV)",
    traces_csv(comparison),
    file_name="gddash-traces.csv",
    on_click="ignore",
    mime="text/csv",
    icon=":material/timeline:",
)
c.download_button(
    "Settings (JSON)",
    share.settings_json(
        data=name, target=target, features=features, prepare=options, compare=settings
    ),
    file_name="gddash-settings.json",
    on_click="ignore",
    mime="application/json",
    icon=":material/settings:",
)
st.caption(
    "Every setting on this page is part of its web address: copy the address bar to "
    "share exactly this comparison. With an uploaded file the link restores the "
    "settings and asks for the file again."
)
