"""Charts of the "Tune and understand" page: curvature, range test, sweep, theory.

Altair over tidy rows, like ``curves``: every builder is pure and returns a
chart with a ``description``; non-finite values are dropped, never drawn, and
diverged sweep cells are marked as such, not coloured as "large".
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from gddash import titles
from gddash.charts.style import (
    OPTIMUM_COLOR,
    described,
    evenly,
    field_tip,
    log_axis,
    sentence,
)
from gddash.tuning.curvature import Curvature
from gddash.tuning.predictions import Demonstration
from gddash.tuning.range_test import RangeTest
from gddash.tuning.sweep import Sweep

# Heights in px include the title, axes and the legend under the plot.
HEIGHT = 300
RANGE_HEIGHT = 440
THEORY_HEIGHT = 460
HEATMAP_HEIGHT = 380
SEED_COLORS = ["#0072B2", "#D55E00", "#009E73"]  # Okabe–Ito, as the variants
MEASURED_COLOR = "#0072B2"
OVERLAY_COLORS = ["#D55E00", "#A67C00"]
DIVERGED_FILL = "#8C8C8C"
# What each sweep outcome is called on the chart, and whether lower is better.
SWEEP_METRICS = {
    "gap": ("gap to optimum", "final gap to the optimum"),
    "rows": ("rows to 1%", "rows to within 1% of the optimum"),
    "seconds": ("seconds to 1%", "seconds to within 1% of the optimum"),
    "status": ("status", "how the run ended"),
}
GAP_FLOOR = 1e-16  # relative to the starting gap: a log axis needs a positive value
MAX_POINTS = 600  # per line


def eigenvalue_chart(curvature: Curvature) -> alt.Chart:
    """The Hessian's eigenvalues at θ*, largest first, on a log axis."""
    shown = curvature.shown()[::-1]
    total = len(curvature.eigenvalues)
    floor = curvature.largest * 1e-16
    rows = pd.DataFrame(
        {
            "rank": np.arange(1, len(shown) + 1),
            "eigenvalue": np.maximum(shown, floor),
            "exact": shown,
        }
    )
    # A log axis has no zero: bars start a little below the smallest value.
    rows["base"] = float(rows["eigenvalue"].min()) / 2
    more = f" (the largest {len(shown)} of {total})" if total > len(shown) else ""
    what = "XᵀX/m" if curvature.loss == "squared" else "Xᵀ diag(p(1 − p)) X/m at θ*"
    bars = (
        alt.Chart(rows)
        .mark_bar(color=MEASURED_COLOR)
        .encode(
            x=alt.X(
                "rank:O",
                title="eigenvalue, largest first",
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y(
                "eigenvalue:Q",
                scale=alt.Scale(type="log"),
                axis=log_axis(rows[["eigenvalue", "base"]].stack(), "λ"),
            ),
            y2=alt.Y2("base:Q"),
            tooltip=[
                field_tip("rank", "ordinal", title="rank"),
                field_tip("exact", "quantitative", title="λ", format=".4g"),
            ],
        )
    )
    chart = bars.properties(
        height=HEIGHT,
        title=alt.Title(
            f"Eigenvalues of {what}{more}",
            subtitle=f"κ = λ_max/λ_min = {_number(curvature.condition_number)}",
        ),
    )
    return described(
        chart,
        sentence(
            f"Bar chart of the {len(shown)} largest eigenvalues of the loss's "
            f"Hessian {what} on a log scale{more}",
            f"The condition number is {_number(curvature.condition_number)}",
        ),
    )


def range_test_chart(
    tests: tuple[RangeTest, ...], stable_rate: float | None
) -> alt.LayerChart:
    """Loss against the rate (log axis) for each seed, with its steepest point (▼),
    divergence point (✕) and, for the squared loss, the exact limit 2/λ_max."""
    lines, marks = [], []
    for test in tests:
        keep = evenly(len(test.rates), MAX_POINTS)
        lines.append(
            pd.DataFrame(
                {
                    "seed": f"seed {test.seed}",
                    "rate": test.rates[keep],
                    "loss": test.losses[keep],
                }
            )
        )
        for label, rate in (
            ("steepest", test.steepest),
            ("divergence", test.divergence),
        ):
            if rate is None:
                continue
            loss = float(np.interp(np.log(rate), np.log(test.rates), test.losses))
            marks.append(
                {
                    "seed": f"seed {test.seed}",
                    "point": label,
                    "rate": rate,
                    "loss": loss,
                }
            )
    rows = pd.concat(lines, ignore_index=True)
    seeds = list(dict.fromkeys(rows["seed"]))
    color = alt.Color(
        field="seed",
        type="nominal",
        scale=alt.Scale(domain=seeds, range=SEED_COLORS[: len(seeds)]),
        legend=alt.Legend(orient="bottom", direction="horizontal", title=None),
    )
    x = alt.X(
        field="rate",
        type="quantitative",
        scale=alt.Scale(type="log"),
        axis=log_axis(rows["rate"], "learning rate η (log scale)"),
    )
    y = alt.Y(
        field="loss",
        type="quantitative",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(format="~g", title="full-data loss after the update (log)"),
    )
    layers = [
        alt.Chart(rows)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=x,
            y=y,
            color=color,
            tooltip=[
                field_tip("seed"),
                field_tip("rate", "quantitative", title="η", format=".3g"),
                field_tip("loss", "quantitative", format=".4g"),
            ],
        )
    ]
    if marks:
        points = pd.DataFrame(marks)
        layers.append(
            alt.Chart(points)
            .mark_point(size=140, filled=True, opacity=0.9)
            .encode(
                x=x,
                y=y,
                color=color,
                shape=alt.Shape(
                    field="point",
                    type="nominal",
                    scale=alt.Scale(
                        domain=["steepest", "divergence"],
                        range=["triangle-down", "cross"],
                    ),
                    legend=alt.Legend(
                        orient="bottom", direction="horizontal", title=None
                    ),
                ),
                tooltip=[
                    field_tip("seed"),
                    field_tip("point"),
                    field_tip("rate", "quantitative", title="η", format=".3g"),
                ],
            )
        )
    said = "Each seed draws other rows for each update: the suggestion is noisy."
    if stable_rate is not None and math.isfinite(stable_rate):
        limit = pd.DataFrame({"rate": [stable_rate], "label": ["2/λ_max"]})
        layers.append(
            alt.Chart(limit)
            .mark_rule(color=OPTIMUM_COLOR, strokeDash=[6, 3], size=2)
            .encode(
                x=x,
                tooltip=[
                    field_tip("label", title="exact limit"),
                    field_tip("rate", "quantitative", title="η", format=".4g"),
                ],
            )
        )
        layers.append(
            alt.Chart(limit)
            .mark_text(color=OPTIMUM_COLOR, align="left", dx=4, dy=4, baseline="top")
            .encode(x=x, y=alt.value(0), text=alt.Text(field="label"))
        )
        said += f" Dashed: the exact stability limit 2/λ_max = {stable_rate:.3g}."
    chart = alt.layer(*layers).properties(
        height=RANGE_HEIGHT,
        title=alt.TitleParams(
            f"Loss against the rate, {len(tests)} seeds: the suggestion is noisy",
            anchor="start",
        ),
    )
    return described(
        chart,
        sentence(
            f"Line chart of the loss against the learning rate for {len(tests)} "
            "seeds, with the steepest-descent and divergence points marked",
            said,
        ),
    )


def sweep_rows(sweep: Sweep) -> pd.DataFrame:
    """The sweep as tidy cells with log-axis bounds for each rate column."""
    rows = sweep.frame()
    rates = np.array(sweep.settings.rates)
    logs = np.log10(rates)
    step = float(np.diff(logs).mean()) if len(rates) > 1 else 1.0
    edges = np.concatenate(
        [[logs[0] - step / 2], (logs[:-1] + logs[1:]) / 2, [logs[-1] + step / 2]]
    )
    index = {r: k for k, r in enumerate(rates)}
    position = rows["learning rate"].map(index)
    rows["rate_lo"] = 10.0 ** edges[position.to_numpy()]
    rows["rate_hi"] = 10.0 ** edges[position.to_numpy() + 1]
    rows["rule title"] = rows["rule"].map(titles.RULE)
    rows["cell"] = [
        f"{r}|{b}|{eta!r}"
        for r, b, eta in zip(
            rows["rule"], rows["batch size"], rows["learning rate"], strict=True
        )
    ]
    rows["diverged"] = rows["status"] == "diverged"
    floor = GAP_FLOOR * max(sweep.initial_gap, 1e-300)
    rows["shown gap"] = np.where(
        rows["diverged"], np.nan, np.maximum(rows["gap to optimum"], floor)
    )
    rows["status title"] = rows["status"].map(titles.STATUS)
    return rows


def sweep_heatmap(
    sweep: Sweep, rule: str, metric: str = "gap", stable_rate: float | None = None
) -> alt.LayerChart:
    """One rule's heatmap: rate (log) × batch size, coloured by ``metric``.

    The colour scale spans every rule's cells, so that heatmaps drawn side by
    side compare. Diverged cells are grey with a ✕ and say "diverged" on hover;
    cells that never came within 1% are left empty for the rows and seconds
    metrics. A point selection named ``cell`` (its ``cell`` field:
    "rule|batch|rate") lets a page load the clicked run.
    """
    if metric not in SWEEP_METRICS:
        raise ValueError(
            f"metric must be one of {sorted(SWEEP_METRICS)}. Got {metric!r}."
        )
    every = sweep_rows(sweep)
    rows = every[every["rule"] == rule].copy()
    title = SWEEP_METRICS[metric][0]
    color_field = {"gap": "shown gap", "rows": "rows to 1%", "seconds": "seconds to 1%"}
    x = alt.X(
        "rate_lo:Q",
        scale=alt.Scale(type="log"),
        axis=log_axis(every["learning rate"], "learning rate η"),
    )
    y = alt.Y("batch size:O", sort="descending", title="batch size")
    pick = alt.selection_point(name="cell", fields=["cell"], on="click")
    tips = [
        field_tip("rule title", title="rule"),
        field_tip("batch size", "quantitative", title="batch size"),
        field_tip("learning rate", "quantitative", title="η", format=".3g"),
        field_tip("status title", title="status"),
        field_tip("gap to optimum", "quantitative", format=".3g"),
        field_tip("rows to 1%", "quantitative", format=",.0f"),
        field_tip("seconds to 1%", "quantitative", format=".3g"),
    ]
    base = alt.Chart(rows).encode(x=x, x2="rate_hi:Q", y=y, tooltip=tips)
    if metric == "status":
        color = alt.Color(
            "status title:N",
            scale=alt.Scale(
                domain=list(titles.STATUS.values()),
                range=["#009E73", "#A67C00", DIVERGED_FILL],
            ),
            legend=alt.Legend(orient="bottom", title=None),
        )
        cells = base.mark_rect(stroke="white").encode(color=color)
    else:
        values = every[color_field[metric]].to_numpy(dtype=float)
        values = values[np.isfinite(values) & (values > 0)]
        domain = [float(values.min()), float(values.max())] if len(values) else None
        scale = {"type": "log", "scheme": "viridis"}
        color = alt.Color(
            f"{color_field[metric]}:Q",
            scale=alt.Scale(**scale, **({"domain": domain} if domain else {})),
            legend=alt.Legend(
                orient="bottom",
                title=f"{title} (log; darker is better)",
                titleLimit=0,
                gradientLength=200,
            ),
        )
        cells = (
            base.mark_rect(stroke="white")
            .encode(color=color)
            .transform_filter("!datum.diverged")
        )
    layers = [
        cells.add_params(pick).encode(
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45))
        )
    ]
    if metric != "status":
        layers.append(
            base.mark_rect(color=DIVERGED_FILL, stroke="white").transform_filter(
                "datum.diverged"
            )
        )
    layers.append(
        alt.Chart(rows)
        .mark_text(text="✕", fontSize=13, color="white")
        .encode(
            x=alt.X("learning rate:Q", scale=alt.Scale(type="log")),
            y=y,
            tooltip=tips,
        )
        .transform_filter("datum.diverged")
    )
    limit_note = ""
    if stable_rate is not None and math.isfinite(stable_rate):
        limit = pd.DataFrame({"limit": [stable_rate], "label": ["2/λ_max"]})
        layers.append(
            alt.Chart(limit)
            .mark_rule(color=OPTIMUM_COLOR, strokeDash=[6, 3], size=2)
            .encode(
                x=alt.X("limit:Q", scale=alt.Scale(type="log")),
                tooltip=[
                    field_tip("label", title="batch limit"),
                    field_tip("limit", "quantitative", title="η", format=".4g"),
                ],
            )
        )
        limit_note = f"Dashed: 2/λ_max = {stable_rate:.3g}, batch descent's limit"
    chart = alt.layer(*layers).properties(
        height=HEATMAP_HEIGHT,
        title=alt.TitleParams(titles.RULE[rule], anchor="start"),
    )
    return described(
        chart,
        sentence(
            f"Heatmap of the {title} of {titles.RULE[rule]} for "
            f"{len(sweep.settings.rates)} learning rates and "
            f"{len(sweep.settings.batch_sizes)} batch sizes",
            "Grey cells marked with a cross diverged",
            limit_note,
        ),
    )


def theory_chart(demo: Demonstration, loss_star: float) -> alt.LayerChart:
    """A run's measured gap to the optimum with what theory predicts (dashed)."""
    trace = demo.trace
    scale = max(abs(float(trace.loss[0]) - loss_star), abs(loss_star), 1e-300)
    floor = GAP_FLOOR * scale
    lines = [("measured", "measured", trace.updates, trace.loss)]
    for overlay in demo.overlays:
        label = f"{overlay.name}: {overlay.formula}"
        lines.append((label, overlay.name, overlay.updates, overlay.loss))
    frames = []
    for label, kind, updates, losses in lines:
        gap = np.asarray(losses, dtype=float) - loss_star
        keep = np.flatnonzero(np.isfinite(gap) & (updates >= 0))
        keep = keep[evenly(len(keep), MAX_POINTS)]
        frames.append(
            pd.DataFrame(
                {
                    "line": label,
                    "kind": kind,
                    "update": np.asarray(updates)[keep],
                    "gap": np.maximum(gap[keep], floor),
                }
            )
        )
    rows = pd.concat(frames, ignore_index=True)
    domain = [label for label, *_ in lines]
    colors = [MEASURED_COLOR, *OVERLAY_COLORS[: len(domain) - 1]]
    chart = (
        alt.Chart(rows)
        .mark_line(clip=True)
        .encode(
            x=alt.X(field="update", type="quantitative", title="parameter updates"),
            y=alt.Y(
                field="gap",
                type="quantitative",
                scale=alt.Scale(type="log"),
                axis=log_axis(rows["gap"], "loss − optimal loss (log)"),
            ),
            color=alt.Color(
                field="line",
                type="nominal",
                scale=alt.Scale(domain=domain, range=colors),
                legend=alt.Legend(
                    orient="bottom",
                    direction="horizontal",
                    columns=1,
                    title=None,
                    labelLimit=0,
                ),
            ),
            strokeDash=alt.StrokeDash(
                field="line",
                type="nominal",
                scale=alt.Scale(
                    domain=domain, range=[[1, 0], *[[6, 3], [2, 2]][: len(domain) - 1]]
                ),
                legend=None,
            ),
            tooltip=[
                field_tip("line"),
                field_tip("update", "quantitative", format=",d"),
                field_tip("gap", "quantitative", format=".3g"),
            ],
        )
        .properties(
            height=THEORY_HEIGHT, title=alt.TitleParams(demo.title, anchor="start")
        )
    )
    return described(
        chart,
        sentence(
            f"Line chart of the gap to the optimal loss of the run {demo.title}, "
            "measured",
            "with " + (", ".join(o.formula for o in demo.overlays) or "no prediction"),
        ),
    )


def _number(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.3g}"
