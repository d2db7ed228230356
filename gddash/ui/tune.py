"""Tune and understand: curvature, a range test, a sweep, a tuned race, theory.

Reads top to bottom like the page: data, set-up, then the five sections. The
computing is in ``gddash.tuning`` (tested without Streamlit); this script lays
out, keeps each result in the visitor's session (``cache.remember``) and
writes every setting to the address bar (``gddash.ui.links``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from gddash import compare, data, limits, plain, table, titles
from gddash.charts import tuning as charts
from gddash.data import PrepareOptions
from gddash.engine import RULES
from gddash.errors import GddashError
from gddash.page_settings import (
    LEARNING_RATES,
    MAX_BATCH,
    MAX_EPOCHS,
    MAX_REPEATS,
    MAX_SEED,
    SAMPLES,
    TUNE,
    TUNE_DATA,
    TUNE_DATA_KEYS,
    TUNE_DEFAULTS,
    TUNE_METRICS,
)
from gddash.tuning import curvature, predictions, range_test, sweep, tuned
from gddash.ui import cache, links, session_data

PAGE = "tune"
COMPARE_PAGE = "gddash/ui/lab.py"
SHOWN = {
    "t_data": TUNE_DATA.get,
    "t_rules": titles.RULE.get,
    "t_metric": TUNE_METRICS.get,
}


def compare_page_data(options: list[str]) -> str:
    """The data the compare page last showed (its sample, or the upload)."""
    kept = links.kept_values("lab")
    if kept.get("source") == "upload" and "upload" in options:
        return "upload"
    sample = kept.get("sample")
    return sample if sample in options else options[0]


def load_table(choice: str) -> tuple[str, pd.DataFrame, bool]:
    """(key, frame, shared) of a sample or of the session's upload."""
    if choice == "upload":
        upload = session_data.current_upload()
        frame, _ = cache.upload_table(upload.key, upload.file.getvalue)
        return upload.key, frame, False
    raw = data.load_sample(choice)
    key = cache.digest(raw)
    frame, _ = cache.read_table(key, raw)
    return key, frame, True


def settle_data(link, key, summary, sample, usable, targets) -> None:
    """Target and features for this data: the compare page's if it shows the
    same data, else the sample's or the data's suggestions."""
    state = st.session_state
    if state.get("_tune_data_key") != key:
        if "_tune_data_key" in state:
            links.forget(PAGE, TUNE_DATA_KEYS)
        state["_tune_data_key"] = key
    lab = links.kept_values("lab")
    same = session_data.compare_data_key() == key and lab.get("target") in targets
    if same:
        target, features = lab["target"], list(lab.get("features", []))
    elif sample is not None:
        target = sample.default_target
        features = list(sample.default_features or [])
    else:
        target, features = summary.suggested_target, []
    links.place(link, "t_target", targets, target)
    target = state["t_target"]
    if not features or target in features:
        features = [f for f in summary.suggested_features if f != target]
    links.place(link, "t_features", usable, features, many=True)


def open_in_compare(values: dict[str, object], data_key: str) -> None:
    """Show one run on the compare page: its widgets' values, then switch.

    The compare page settles each widget from session state first and, after a
    page switch, from what it last published (``links.kept_values``); both get
    the run's values. Claiming the data tells it they belong to this data, so it
    does not replace them with the data's suggestions.
    """
    state = st.session_state
    links.kept_values("lab").update(values)
    for key, value in values.items():
        state[key] = value
    session_data.claim_compare_data(data_key)
    st.switch_page(COMPARE_PAGE)


def run_values(cell: sweep.Cell, base: dict[str, object]) -> dict[str, object]:
    """The compare page's settings that reproduce one sweep cell."""
    return base | {
        "variants": [cell.variant],
        "lr": cell.learning_rate,
        "rule": cell.rule,
        "bs": min(int(cell.batch_size), MAX_BATCH),
    }


def picked_cell(event, result: sweep.Sweep) -> sweep.Cell | None:
    """The sweep cell a heatmap click selected (None: nothing selected)."""
    try:
        points = event.selection["cell"]
    except (AttributeError, KeyError, TypeError):
        return None
    for point in points or []:
        parts = str(point.get("cell", "")).split("|")
        for cell in result.cells:
            if [cell.rule, str(cell.batch_size), repr(cell.learning_rate)] == parts:
                return cell
    return None


def main() -> None:
    state = st.session_state
    link = links.open_link(PAGE, TUNE)
    links.settle(link, TUNE_DEFAULTS, TUNE_DEFAULTS)

    st.title("Tune and understand", anchor=False)
    st.caption(
        "Why did batch zig-zag, why did that rate diverge, and who wins when every "
        "variant gets its own best learning rate? The curvature of the loss "
        "answers the first two exactly; a sweep answers the third."
    )
    notices = st.container()

    # Data ------------------------------------------------------------------------
    options = list(SAMPLES) + (["upload"] if session_data.current_upload() else [])
    links.place(link, "t_data", options, compare_page_data(options))
    choice = st.selectbox(
        "Data",
        options,
        key="t_data",
        format_func=SHOWN["t_data"],
        help="The bundled samples, and your upload from the compare page.",
    )
    sample = SAMPLES.get(choice)
    try:
        key, frame, shared = load_table(choice)
    except GddashError as error:
        links.publish(link)
        shown = TUNE_DATA.get(choice, choice)
        st.error(f"**{plain.literal(shown)}**: {plain.literal(str(error))}")
        st.stop()
    summary = cache.column_summary(key, frame, shared=shared)
    targets = [c.name for c in summary.columns if c.kind in ("numeric", "binary")]
    usable = [c.name for c in summary.columns if c.usable_as_feature]
    if not targets:
        links.publish(link)
        st.error(plain.literal(summary.explanation))
        st.stop()
    settle_data(link, key, summary, sample, usable, targets)
    a, b = st.columns([1, 2])
    target = a.selectbox("Target", targets, key="t_target")
    features = b.multiselect("Features", usable, key="t_features")
    features = [f for f in features if f != target]
    if not features:
        links.publish(link)
        st.info("Choose at least one feature (other than the target).")
        st.stop()
    binary = summary.column(target).kind == "binary"
    model = "logistic" if binary else "linear"
    options_ = PrepareOptions(task=model)
    dataset_id = cache.dataset_key(key, target, features, options_)
    try:
        dataset = cache.dataset_of(
            key, target, tuple(features), options_, frame, shared=shared
        )
    except GddashError as error:
        links.publish(link)
        st.error(plain.literal(str(error)))
        st.stop()
    if not (
        "t_lr" in state or "t_lr" in link.values or "t_lr" in links.kept_values(PAGE)
    ):
        state["t_lr"] = compare.suggested_learning_rate(dataset)
    links.settle(link, ["t_lr"], {})
    st.caption(
        f"{titles.MODEL[model]} of {plain.code(target)} on {len(features)} "
        f"feature(s), standardised, with an intercept: {dataset.n_samples:,} rows, "
        f"{dataset.n_features} parameters."
    )

    cols = st.columns(5)
    rate = cols[0].number_input(
        "Learning rate η", *LEARNING_RATES, key="t_lr", format="%g"
    )
    epochs = cols[1].number_input(
        "Epochs (passes)", 0.01, MAX_EPOCHS, key="t_epochs", format="%g"
    )
    batch_size = cols[2].number_input("Mini-batch size", 1, MAX_BATCH, key="t_bs")
    seed = cols[3].number_input("Seed", 0, MAX_SEED, key="t_seed")
    repeats = cols[4].number_input("Seeds", 1, MAX_REPEATS, key="t_repeats")

    problem = cache.problem(dataset_id, dataset, shared=shared)
    optimum = cache.optimum(dataset_id, dataset, shared=shared)
    try:
        bend = cache.remember(
            "tune_curvature",
            dataset_id,
            lambda: curvature.dataset_curvature(
                dataset, optimum.theta, hessian=getattr(problem, "hessian", None)
            ),
        )
        scaling = cache.remember(
            "tune_scaling",
            dataset_id,
            lambda: curvature.scaling_effect(dataset, optimum.theta),
        )
    except GddashError as error:
        links.publish(link)
        st.warning(plain.literal(str(error)))
        st.stop()
    stable = problem.stable_learning_rate(dataset.n_samples)
    squared = dataset.task == "linear"

    # 1. Curvature ------------------------------------------------------------------
    st.header("1. Curvature", anchor=False)
    m = st.columns(4)
    m[0].metric("Condition number κ", fmt(bend.condition_number))
    m[1].metric("Stable limit 2/λ_max", fmt(bend.stable_rate))
    m[2].metric("Best batch rate 2/(λ_min+λ_max)", fmt(bend.best_rate))
    m[3].metric(
        "Heavy ball η, β", f"{fmt(bend.momentum_rate)}, {fmt(bend.momentum_beta)}"
    )
    st.altair_chart(charts.eigenvalue_chart(bend), width="stretch")
    if len(bend.eigenvalues) > len(bend.shown()):
        st.caption(
            f"{len(bend.eigenvalues):,} parameters: the chart shows the largest "
            f"{len(bend.shown())} eigenvalues; κ uses all of them."
        )
    where = "" if squared else " (for the log-loss, at θ*: the curvature near the end)"
    st.markdown(
        f"Plain batch descent shrinks the error along each eigenvector by "
        f"|1 − ηλ| per update{where}: fast along the stiff directions, slow along "
        f"the flat ones, and above η = 2/λ_max the stiffest grows instead. At "
        f"the best constant rate the slowest direction still keeps "
        f"(κ − 1)/(κ + 1) = {fmt(bend.contraction)} of its error per update; heavy-"
        f"ball momentum at its optimum keeps (√κ − 1)/(√κ + 1) = "
        f"{fmt(bend.momentum_contraction)}."
    )
    st.info(
        f"**Why the page standardises.** κ with standardised features: "
        f"{fmt(scaling.standardized)}; with the columns in their own units: "
        f"{fmt(scaling.raw)} ({fmt(scaling.factor)} times larger). Plain descent "
        "needs about κ updates per e-fold of error, so standardising is the cheapest "
        "speed-up there is.",
        icon=":material/straighten:",
    )

    # 2. Range test -----------------------------------------------------------------
    st.header("2. Learning-rate range test", anchor=False)
    st.caption(
        "Smith (2017), fastai's lr_find: one run from θ = 0 whose rate doubles every "
        "update, from 10⁻⁶ to 10³. The loss barely moves, falls fastest (▼, a "
        "classic pick), then blows up (✕)."
    )
    range_bs = st.number_input(
        "Rows per update in the range test", 1, MAX_BATCH, key="t_range_bs"
    )
    settings = range_test.RangeSettings(batch_size=int(range_bs), seed=int(seed))
    try:
        start = float(problem.evaluate(np.zeros(dataset.n_features))[0][0])
        range_test.check_start(start, optimum.loss)
        tests = cache.remember(
            "tune_range",
            f"{dataset_id}|{settings!r}",
            lambda: range_test.run_seeds(problem, settings, 3),
        )
    except GddashError as error:
        st.info(plain.literal(str(error)), icon=":material/info:")
    else:
        st.altair_chart(
            charts.range_test_chart(tests, bend.stable_rate if squared else None),
            width="stretch",
        )
        limit = (
            f" Dashed: the exact limit 2/λ_max = {fmt(bend.stable_rate)}."
            if squared
            else ""
        )
        st.caption(
            "Each seed draws other rows for each update, so the points move from "
            f"seed to seed.{limit}"
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "seed": [t.seed for t in tests],
                    "steepest ▼": [t.steepest for t in tests],
                    "divergence ✕": [t.divergence for t in tests],
                }
            ).style.format(table.readable, subset=["steepest ▼", "divergence ✕"]),
            hide_index=True,
            placeholder=table.MISSING,
        )
        if squared and int(range_bs) >= dataset.n_samples:
            st.caption(
                "With every row per update the loss can rise only above 2/λ_max, "
                "so ✕ is never left of the dashed line; it can lag it, because the "
                "rates near 1/λ_max all but erase the stiffest direction first."
            )

    # 3. Sweep ----------------------------------------------------------------------
    st.header("3. Sweep: learning rate × batch size", anchor=False)
    a, b, c, d = st.columns([3, 1, 1, 2])
    rules = a.multiselect(
        "Update rules", RULES, key="t_rules", format_func=SHOWN["t_rules"]
    )
    n_rates = b.number_input("Rates", 2, 12, key="t_rates")
    n_sizes = c.number_input("Batch sizes", 2, 12, key="t_sizes")
    metric = d.radio(
        "Colour by",
        list(TUNE_METRICS),
        key="t_metric",
        format_func=SHOWN["t_metric"],
        horizontal=True,
    )
    race_on = st.toggle(
        "Tuned vs tuned: race every variant at its best rate from the sweep",
        key="t_race",
    )
    links.publish(link)
    links.warn(link, SHOWN, where=notices)
    result = None
    if not rules:
        st.info("Choose at least one update rule to sweep.")
    else:
        grid = sweep.SweepSettings(
            rates=sweep.rate_grid(stable, int(n_rates)),
            batch_sizes=sweep.batch_grid(
                dataset.n_samples, int(n_sizes), include=(int(batch_size),)
            ),
            rules=tuple(rules),
            epochs=float(epochs),
            seed=int(seed),
            repeats=int(repeats),
        )
        try:
            work = sweep.check_work(
                dataset.n_samples, dataset.n_features, dataset.task, grid
            )
        except GddashError as error:
            st.warning(plain.literal(str(error)), icon=":material/hourglass_disabled:")
        else:
            result_key = f"{dataset_id}|{grid!r}"
            # A link never starts more work than a comparison: a larger sweep
            # waits for the visitor's click.
            waits = work > limits.COMPARISON_WORK and not cache.held(
                "tune_sweep", result_key
            )
            if waits and not st.button(
                "Run the sweep", icon=":material/play_arrow:", key="t_sweep_go"
            ):
                st.info(
                    f"This sweep computes about {work / 1e6:,.0f} million row × "
                    f"parameter products ({grid.n_cells} runs), more than one "
                    "comparison: it starts when you press the button, and takes "
                    "several seconds."
                )
            else:
                bar = st.progress(0.0, text="Sweeping…")

                def progress(done: int, total: int) -> None:
                    # Also where a closed tab stops the work (Streamlit ends the run).
                    bar.progress(done / total, text=f"Sweeping: run {done} of {total}")

                def compute() -> sweep.Sweep:
                    with cache.heavy_work(work):
                        return sweep.run(problem, optimum, grid, progress=progress)

                result = cache.remember("tune_sweep", result_key, compute)
                bar.empty()
    if result is not None:
        limit = bend.stable_rate if squared else None
        st.caption(
            f"{TUNE_METRICS[metric]} after {float(epochs):g} epochs, the same seeds in "
            "every cell; grey ✕: diverged"
            + (
                f"; dashed: 2/λ_max = {fmt(limit)}, batch descent's limit"
                if limit
                else ""
            )
            + ". Hover a cell to read its run."
        )
        picks = state.setdefault("_tune_picks", {})
        for column, rule in zip(st.columns(len(grid.rules)), grid.rules, strict=True):
            event = column.altair_chart(
                charts.sweep_heatmap(result, rule, metric, limit),
                width="stretch",
                key=f"t_heat_{rule}",
                on_select="rerun",
                selection_mode="cell",
            )
            # Each heatmap keeps its own selection: the latest click wins.
            now = picked_cell(event, result)
            if now != picks.get(rule):
                picks[rule] = now
                state["_tune_picked"] = now
        cell = state.get("_tune_picked")
        if cell is not None and cell not in result.cells:
            cell = None  # a pick from an earlier sweep
        if cell is None:
            st.caption("Click a cell to load that run into the compare page.")
        else:
            st.markdown(
                f"Picked: {titles.RULE[cell.rule]}, batch size {cell.batch_size:,}, "
                f"η = {cell.learning_rate:g}: {plain.literal(cell.message)}"
            )
            if st.button(
                "Open this run in the compare page", icon=":material/compare_arrows:"
            ):
                base = {
                    "source": "upload" if choice == "upload" else "sample",
                    "target": target,
                    "features": features,
                    "model": model,
                    "std": True,
                    "missing": "drop",
                    "val": 0.0,
                    "schedule": "constant",
                    "budget": "epochs",
                    "epochs": float(epochs),
                    "seed": int(seed),
                    "repeats": int(repeats),
                }
                if sample is not None:
                    base["sample"] = choice
                open_in_compare(run_values(cell, base), key)

    # 4. Tuned vs tuned -------------------------------------------------------------
    st.header("4. Tuned vs tuned", anchor=False)
    if result is None:
        st.info("The race needs the sweep above.")
    elif not race_on:
        st.caption("Switch on “Tuned vs tuned” above to race the tuned variants.")
    else:
        choices = tuned.choose(result, tuple(titles.VARIANT), int(batch_size))
        race = cache.remember(
            "tune_race",
            f"{dataset_id}|{grid!r}|{int(batch_size)}",
            lambda: tuned.race(dataset, problem, optimum, result, choices),
        )
        (st.success if len(race.table) else st.warning)(race.verdict)
        if len(race.table):
            st.dataframe(
                table.styled(tuned.readable_table(race.table)),
                hide_index=True,
                width="stretch",
                placeholder=table.MISSING,
                alt="Tuned comparison: a row per variant and rule, at its chosen rate.",
            )

    # 5. Theory on the curves -------------------------------------------------------
    st.header("5. Theory on the curves", anchor=False)
    st.caption(
        "Four runs on this data, each with what theory predicts for it (dashed). "
        "Exact lines are identities of the squared loss; the others are labelled "
        "as rates or approximations."
    )
    cost = predictions.work(
        dataset.n_samples,
        dataset.n_features,
        dataset.task,
        batch_size=int(batch_size),
        epochs=float(epochs),
    )
    if cost > limits.COMPARISON_WORK:
        st.warning(
            f"These four runs would compute about {cost / 1e6:,.0f} million row × "
            f"parameter products, more than the {limits.COMPARISON_WORK / 1e6:,.0f} "
            "million this shared server allows. Lower the epochs.",
            icon=":material/hourglass_disabled:",
        )
        return

    def demonstrate() -> tuple[predictions.Demonstration, ...]:
        with cache.heavy_work(cost):
            return predictions.demonstrations(
                dataset,
                problem,
                optimum,
                bend,
                learning_rate=float(rate),
                batch_size=int(batch_size),
                epochs=float(epochs),
                seed=int(seed),
            )

    demos = cache.remember(
        "tune_theory",
        f"{dataset_id}|{float(rate)!r}|{int(batch_size)}|{float(epochs)!r}|{int(seed)}",
        demonstrate,
    )
    for demo in demos:
        if demo.trace.status == "diverged":
            st.warning(
                f"{demo.title} diverged: {plain.literal(demo.trace.message)}",
                icon=":material/trending_up:",
            )
    for pair in (demos[:2], demos[2:]):
        for column, demo in zip(st.columns(2), pair, strict=False):
            column.altair_chart(
                charts.theory_chart(demo, optimum.loss), width="stretch"
            )
            column.caption(demo.note)


def fmt(value: float) -> str:
    """Three significant digits; ∞; and 0 for rounding-level values (1e-32)."""
    if math.isinf(value):
        return "∞"
    return "0" if abs(value) < 1e-12 else f"{value:.3g}"


main()
