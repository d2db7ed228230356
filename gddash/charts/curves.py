"""Loss and gradient-norm curves of a comparison, and the learn page's line charts.

Altair charts over tidy rows (variant, seed, curve, x, value). Every dataset
keeps at most ``MAX_DATASET_ROWS`` rows: lines are thinned evenly (first and
last point kept) and seed bands are resampled on ``BAND_POINTS`` points.
Non-finite values are dropped, never drawn: a diverged run's curve stops at
the blow-up, and the variant stays in the legend, marked "diverged".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from gddash import compare
from gddash.charts.style import (
    MAX_DATASET_ROWS,
    REFERENCE_COLOR,
    RULE_COLORS,
    VARIANT_COLORS,
    described,
    diverged_titles,
    evenly,
    field_tip,
    log_axis,
    sentence,
    variant_color,
    variant_titles,
)
from gddash.compare import VARIANT_TITLES, Comparison, Optimum
from gddash.engine import Trace

X_AXES = {
    "epochs": "passes over the data (epochs)",
    "updates": "parameter updates",
    "samples": "rows processed",
    "seconds": "wall time (s)",
}
_X_FORMATS = {"epochs": ".4~g", "updates": ",d", "samples": ",d", "seconds": ".4~g"}
_CURVES = ("training", "validation")
# Chart heights in px include the title, axes and the legend under the plot.
CURVES_HEIGHT = 420
GRADIENT_HEIGHT = 380
MAX_LINE_POINTS = 1_000  # per line (traces are bounded the same way)
BAND_POINTS = 400  # resampled points of a min–max band over seeds
GAP_FLOOR = 1e-12  # log-gap floor, relative to the loss scale


# How θ* was found (the start of ``Optimum.note``), as the legend names it.
_METHODS = {
    "coordinate descent": "coordinate descent",
    "L-BFGS": "L-BFGS",
    "proximal gradient (FISTA)": "FISTA",
}


def _optimum_label(optimum: Optimum) -> str:
    if optimum.closed_form:
        return "optimal loss (closed form)"
    method = next((m for m in _METHODS if optimum.note.startswith(m)), None)
    return f"optimal loss ({_METHODS.get(method, 'Newton')})"


def _x_values(trace: Trace, x: str) -> np.ndarray:
    return np.asarray(getattr(trace, x), dtype=float)


def _check_x(x: str) -> None:
    if x not in X_AXES:
        raise ValueError(f"x must be one of {sorted(X_AXES)}. Got {x!r} instead.")


def _gap_floor(comparison: Comparison) -> float:
    """Smallest gap drawn on the log axis: GAP_FLOOR × the scale of the losses."""
    initial = [
        float(runs[0].loss[0])
        for runs in comparison.traces.values()
        if math.isfinite(runs[0].loss[0])
    ]
    optimum = comparison.optimum.loss
    scale = max([abs(optimum)] + [abs(v - optimum) for v in initial] + [1e-300])
    return GAP_FLOOR * scale


def _line_rows(
    lines: list[tuple[dict[str, object], np.ndarray, np.ndarray]], x: str, y: str
) -> pd.DataFrame:
    """Tidy rows of several lines: (labels, xs, ys) each, finite points only.

    Each line is thinned evenly (first and last point kept) so that all of them
    together stay within ``MAX_DATASET_ROWS``.
    """
    per_line = min(MAX_LINE_POINTS, MAX_DATASET_ROWS // max(len(lines), 1))
    frames = []
    for labels, xs, ys in lines:
        finite = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
        idx = finite[evenly(len(finite), per_line)]
        frames.append(pd.DataFrame({**labels, x: xs[idx], y: ys[idx]}))
    return pd.concat(frames, ignore_index=True)


def _curve_rows(
    comparison: Comparison, x: str, validation: bool, floor: float | None
) -> pd.DataFrame:
    """Tidy rows (variant, seed, curve, x, loss[, gap]) of every primary run."""
    seed = comparison.settings.descent.seed
    lines = []
    for variant in comparison.traces:
        trace = comparison.primary(variant)
        curves = {"training": trace.loss}
        if validation and trace.val_loss is not None:
            curves["validation"] = trace.val_loss
        for curve, loss in curves.items():
            labels = {"variant": VARIANT_TITLES[variant], "seed": seed, "curve": curve}
            lines.append((labels, _x_values(trace, x), loss))
    rows = _line_rows(lines, x, "loss")
    if floor is not None:
        rows["gap"] = np.maximum(rows["loss"] - comparison.optimum.loss, floor)
    return rows


def _band_rows(comparison: Comparison, x: str, floor: float | None) -> pd.DataFrame:
    """Min–max of the training loss over seeds, on a common grid of x values.

    Each seed's finite points are interpolated linearly in x; at each grid point
    the band spans the seeds that reached it (a run that stopped early drops out).
    """
    frames = []
    for variant, runs in comparison.traces.items():
        if len(runs) < 2:
            continue
        curves = []
        for trace in runs:
            xs, loss = _x_values(trace, x), trace.loss
            keep = np.isfinite(xs) & np.isfinite(loss)
            if keep.sum() >= 2:
                curves.append((xs[keep], loss[keep]))
        if len(curves) < 2:
            continue
        grid = np.linspace(
            min(c[0][0] for c in curves), max(c[0][-1] for c in curves), BAND_POINTS
        )
        values = np.full((len(curves), BAND_POINTS), np.nan)
        for k, (xs, loss) in enumerate(curves):
            inside = (grid >= xs[0]) & (grid <= xs[-1])
            values[k, inside] = np.interp(grid[inside], xs, loss)
        reached = ~np.isnan(values).all(axis=0)
        low = np.nanmin(values[:, reached], axis=0)
        high = np.nanmax(values[:, reached], axis=0)
        if floor is not None:
            low = np.maximum(low - comparison.optimum.loss, floor)
            high = np.maximum(high - comparison.optimum.loss, floor)
        frames.append(
            pd.DataFrame(
                {
                    "variant": VARIANT_TITLES[variant],
                    x: grid[reached],
                    "low": low,
                    "high": high,
                    "seeds": len(curves),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["variant", x, "low", "high", "seeds"])
    return pd.concat(frames, ignore_index=True)


def _linear_y_domain(comparison: Comparison, rows: pd.DataFrame) -> list[float] | None:
    """A y range that ignores diverged runs' blow-ups (None: let Vega choose).

    Without it one diverged run at 1e12 flattens every other curve to the axis.
    """
    diverged = set(diverged_titles(comparison))
    if not diverged or len(diverged) == len(comparison.traces):
        return None
    tame = rows.loc[~rows["variant"].isin(diverged), "loss"]
    high = max(float(tame.max()), comparison.optimum.loss)
    low = min(0.0, float(tame.min()), comparison.optimum.loss)
    if float(rows["loss"].max()) <= high:
        return None
    return [low, high + 0.05 * (high - low)]


# Tick labels between 0.001 and 100,000 (and 0) as plain digits; others as "~g".
PLAIN_TICKS = (
    "datum.value == 0 || (abs(datum.value) >= 0.001 && abs(datum.value) < 1e5)"
    " ? format(datum.value, '~r') : datum.label"
)


@dataclass(frozen=True)
class _Frame:
    """What every layer of a line chart shares: axes, colours and the legend."""

    x: str  # field (and key of X_AXES)
    y_title: str
    y_scale: alt.Scale | None  # None: Vega-Lite's default linear scale
    clip: bool  # marks are clipped to an explicit y domain
    color: alt.Color
    legend: alt.Parameter  # click a legend entry to highlight that variant
    y_axis: alt.Axis | None = None  # None: compact "~g" labels

    def x_enc(self) -> alt.X:
        return alt.X(field=self.x, type="quantitative", title=X_AXES[self.x])

    def y_enc(self, field: str) -> alt.Y:
        # "~g": 3e+11 rather than a "300,000,000,000" cut off at the axis edge
        # when every run diverged. Vega sets "~g"'s precision from the tick step,
        # which writes 60 as "6e+1": ordinary magnitudes get plain digits.
        axis = self.y_axis or alt.Axis(format="~g", labelExpr=PLAIN_TICKS, titleLimit=0)
        scale = {} if self.y_scale is None else {"scale": self.y_scale}
        return alt.Y(
            field=field, type="quantitative", title=self.y_title, axis=axis, **scale
        )


def _frame(
    comparison: Comparison,
    x: str,
    y_title: str,
    *,
    log: bool = False,
    domain: list[float] | None = None,
    values: np.ndarray | None = None,
    reference: str | None = None,
) -> _Frame:
    """Axes for ``comparison``'s variants; an explicit y domain clips the marks.

    A log axis is labelled at the powers of ten spanned by ``values``; a
    ``reference`` line gets a grey legend entry after the variants.
    """
    axis = None
    if log:
        scale = alt.Scale(type="log")
        if values is not None:
            axis = log_axis(values, y_title)
    else:
        scale = None if domain is None else alt.Scale(domain=domain)
    extra = None if reference is None else {reference: REFERENCE_COLOR}
    color = variant_color(
        variant_titles(comparison), diverged_titles(comparison), extra=extra
    )
    legend = alt.selection_point(fields=["variant"], bind="legend", name="legend")
    return _Frame(x, y_title, scale, domain is not None, color, legend, axis)


def _line_layers(
    frame: _Frame,
    rows: pd.DataFrame,
    y_field: str,
    tooltip: list[alt.Tooltip],
    *,
    dashed: bool,
) -> list[alt.Chart]:
    """One line per variant (validation dashed) and hover points with exact values."""
    hover = alt.selection_point(
        on="pointerover", nearest=True, clear="pointerout", empty=False, name="hover"
    )
    base = alt.Chart(rows).encode(
        x=frame.x_enc(), y=frame.y_enc(y_field), color=frame.color
    )
    encoding = {
        "opacity": alt.when(frame.legend)
        .then(alt.value(1.0))
        .otherwise(alt.value(0.15))
    }
    if dashed:
        # No second legend (it would not fit beside the colours on a phone):
        # the subtitle says "Dashed: validation loss."
        encoding["strokeDash"] = alt.StrokeDash(
            field="curve",
            type="nominal",
            scale=alt.Scale(domain=list(_CURVES), range=[[1, 0], [6, 4]]),
            legend=None,
        )
    lines = (
        base.mark_line(strokeWidth=2, clip=frame.clip)
        .encode(**encoding)
        .add_params(frame.legend)
    )
    points = (
        base.mark_point(filled=True, size=45, clip=frame.clip)
        .encode(
            opacity=alt.when(hover).then(alt.value(1.0)).otherwise(alt.value(0.0)),
            tooltip=tooltip,
        )
        .add_params(hover)
    )
    return [lines, points]


def _band_layer(frame: _Frame, bands: pd.DataFrame, what: str) -> alt.Chart:
    """Shaded min–max over seeds, highlighted with its variant's line."""
    return (
        alt.Chart(bands)
        .mark_area(clip=frame.clip)
        .encode(
            x=frame.x_enc(),
            y=frame.y_enc("low"),
            y2=alt.Y2(field="high"),
            color=frame.color,
            opacity=alt.when(frame.legend)
            .then(alt.value(0.22))
            .otherwise(alt.value(0.04)),
            tooltip=[
                field_tip("variant"),
                field_tip("seeds", "quantitative", title="seeds"),
                field_tip("low", "quantitative", title=f"lowest {what}", format=".6g"),
                field_tip(
                    "high", "quantitative", title=f"highest {what}", format=".6g"
                ),
            ],
        )
    )


def _rule_layer(frame: _Frame, value: float, label: str, field: str) -> alt.Chart:
    """A dashed grey horizontal line at ``value``, named in the legend.

    Curves run along the line as they converge, and a stochastic one crosses
    it all the time, so a label on the plot would sit under them: the name
    goes in the legend (``_frame(reference=label)``) and in the tooltip.
    """
    data = pd.DataFrame({field: [value], "variant": [label], "label": [label]})
    return (
        alt.Chart(data)
        .mark_rule(strokeDash=[4, 3], strokeWidth=1.5)
        .encode(
            y=frame.y_enc(field),
            color=frame.color,
            tooltip=[
                field_tip("label", title="line"),
                field_tip(field, "quantitative", title="value", format=".8g"),
            ],
        )
    )


def loss_curves(
    comparison: Comparison,
    *,
    x: str = "epochs",
    log_scale: bool = False,
    show_validation: bool = True,
) -> alt.LayerChart:
    """Loss of each variant against data passes, updates, rows processed or seconds.

    One line per variant (its first-seed run); a min–max band over the seeds of
    stochastic variants run more than once; validation dashed; a dashed rule at
    the optimal loss L*. Clicking a legend entry highlights that variant; hovering
    shows exact values. When a variant diverged, the y range is set by the others
    and the diverged curve leaves the top of the chart.

    On a log scale the chart shows the gap L − L* instead of L: that is what
    shrinks geometrically, and it stays positive where a loss may be 0. Gaps are
    clipped below at ``GAP_FLOOR`` × the loss scale; the rule then marks "within
    1%" of L*, and validation curves are left out (a validation loss can lie below
    the training optimum, so its gap has no sign).

    Parameters
    ----------
    comparison : Comparison
    x : {"epochs", "updates", "samples", "seconds"}, default "epochs"
    log_scale : bool, default False
    show_validation : bool, default True
        Draw validation curves when the dataset has validation rows.

    Returns
    -------
    alt.LayerChart
        Layers: band (when any seeds were repeated), lines, hover points, rule,
        rule label.
    """
    _check_x(x)
    optimum = comparison.optimum
    floor = _gap_floor(comparison) if log_scale else None
    rows = _curve_rows(comparison, x, show_validation and not log_scale, floor)
    bands = _band_rows(comparison, x, floor)
    validation = bool(rows["curve"].eq("validation").any())
    subtitle = []
    if log_scale:
        y_field = "gap"
        first = comparison.primary(next(iter(comparison.traces)))
        target = max(compare.target_loss(first, optimum) - optimum.loss, floor)
        spanned = np.concatenate([rows["gap"], bands["low"], bands["high"], [target]])
        near = "within 1% of the optimal loss"
        frame = _frame(
            comparison,
            x,
            "loss − optimal loss (log)",
            log=True,
            values=spanned,
            reference=near,
        )
        title = "Training loss above the optimum (log scale)"
        subtitle.append(
            f"Gap to the {_optimum_label(optimum)} L* = {optimum.loss:.6g}; "
            f"gaps below {floor:.1e} are drawn at {floor:.1e}."
        )
        rule = _rule_layer(frame, target, near, "gap")
    else:
        y_field = "loss"
        domain = _linear_y_domain(comparison, rows)
        frame = _frame(
            comparison, x, "loss", domain=domain, reference=_optimum_label(optimum)
        )
        title = "Training loss" + (" and validation loss" if validation else "")
        rule = _rule_layer(frame, optimum.loss, _optimum_label(optimum), "loss")
        if validation:
            subtitle.append("Dashed: validation loss.")
        if frame.clip:
            subtitle.append("Diverged runs leave the top of the chart.")
    if not bands.empty:
        subtitle.append("Shaded: lowest to highest loss over the seeds.")
    diverged = diverged_titles(comparison)
    if diverged:
        subtitle.append(
            f"Diverged: {', '.join(diverged)} (the curve stops at the blow-up)."
        )
    if optimum.separable:
        subtitle.append("The classes are separable: the log-loss has no minimum.")
    tooltip = [
        field_tip("variant"),
        field_tip("curve"),
        field_tip(x, "quantitative", title=X_AXES[x], format=_X_FORMATS[x]),
        field_tip("loss", "quantitative", format=".8g"),
    ]
    if log_scale:
        tooltip.append(
            field_tip("gap", "quantitative", title="loss − L*", format=".6g")
        )
    lines = _line_layers(frame, rows, y_field, tooltip, dashed=validation)
    band = [] if bands.empty else [_band_layer(frame, bands, y_field)]
    chart = alt.layer(*band, *lines, rule).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"),
        height=CURVES_HEIGHT,
    )
    shown = "the gap to the optimal loss" if log_scale else "the loss"
    return described(
        chart,
        sentence(
            f"Line chart: {title}",
            f"{shown.capitalize()} of {', '.join(variant_titles(comparison))} against "
            f"{X_AXES[x]}, with a dashed line "
            + (
                "where the loss is within 1% of the optimal loss"
                if log_scale
                else f"at the {_optimum_label(optimum)}"
            ),
            *subtitle,
        ),
    )


def gradient_norms(comparison: Comparison, *, x: str = "epochs") -> alt.LayerChart:
    """‖∇L‖ of each variant's first-seed run on a log axis, with a rule at ε.

    Zero norms (an exact optimum) are drawn at ``GAP_FLOOR`` × the largest initial
    norm; non-finite ones are dropped. The rule is left out when ε = 0.

    Parameters
    ----------
    comparison : Comparison
    x : {"epochs", "updates", "samples", "seconds"}, default "epochs"

    Returns
    -------
    alt.LayerChart
        Layers: lines, hover points, and the ε rule and its label when ε > 0.
    """
    _check_x(x)
    with np.errstate(over="ignore", invalid="ignore"):
        norms = {v: comparison.primary(v).grad_norm for v in comparison.traces}
    initial = [float(n[0]) for n in norms.values() if np.isfinite(n[0])]
    floor = GAP_FLOOR * max([*initial, 1e-300])
    lines = [
        (
            {"variant": VARIANT_TITLES[variant], "curve": "training"},
            _x_values(comparison.primary(variant), x),
            np.maximum(norm, floor),
        )
        for variant, norm in norms.items()
    ]
    rows = _line_rows(lines, x, "grad_norm")
    eps = comparison.settings.descent.eps
    spanned = np.concatenate([rows["grad_norm"], [eps] if eps > 0 else []])
    threshold = "ε (convergence threshold)"
    frame = _frame(
        comparison,
        x,
        "‖∇L‖ (log)",
        log=True,
        values=spanned,
        reference=threshold if eps > 0 else None,
    )
    tooltip = [
        field_tip("variant"),
        field_tip(x, "quantitative", title=X_AXES[x], format=_X_FORMATS[x]),
        field_tip("grad_norm", "quantitative", title="‖∇L‖", format=".6g"),
    ]
    layers = _line_layers(frame, rows, "grad_norm", tooltip, dashed=False)
    if eps > 0:
        layers.append(_rule_layer(frame, eps, threshold, "grad_norm"))
    title = "Gradient norm of the full-data loss"
    subtitle = ["Converged when ‖∇L‖ ≤ ε."] if eps > 0 else []
    # The height holds title, axes and legend too (Streamlit fits the chart in
    # it): GRADIENT_HEIGHT leaves about 30 px per decade for ~7 decades.
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"),
        height=GRADIENT_HEIGHT,
    )
    return described(
        chart,
        sentence(
            f"Line chart: {title}",
            f"‖∇L‖ of {', '.join(variant_titles(comparison))} against {X_AXES[x]} on a "
            "log axis" + (f", with a dashed line at ε = {eps:g}" if eps > 0 else ""),
            *subtitle,
        ),
    )


def slope_decay(trace: Trace, eps: float) -> alt.LayerChart:
    """|f′(x_k)| per update of a 1-variable run on a log axis, with the ε line."""
    norms = np.abs(trace.gradient[:, 0])
    shown = norms > 0
    rows = pd.DataFrame({"update": trace.updates[shown], "slope": norms[shown]})
    spanned = np.concatenate([rows["slope"], [eps] if eps > 0 else []])
    y_scale = alt.Scale(type="log")
    line = (
        alt.Chart(rows)
        .mark_line(point=True, color=RULE_COLORS["plain"])
        .encode(
            x=alt.X(field="update", type="quantitative", title="update k"),
            y=alt.Y(
                field="slope",
                type="quantitative",
                scale=y_scale,
                axis=log_axis(spanned, "|f′(x_k)| (log)"),
            ),
            tooltip=[
                field_tip("update", "quantitative"),
                field_tip("slope", "quantitative", title="|f′(x_k)|", format=".3g"),
            ],
        )
    )
    layers = [line]
    if eps > 0:
        rule = pd.DataFrame({"eps": [eps], "label": [f"ε = {eps:g}"]})
        layers.append(
            alt.Chart(rule)
            .mark_rule(color=REFERENCE_COLOR, strokeDash=[4, 3])
            .encode(
                y=alt.Y(field="eps", type="quantitative", scale=y_scale),
                tooltip=[field_tip("label")],
            )
        )
    zeros = int((~shown).sum())
    subtitle = "A straight line on a log axis: a fixed factor per step."
    if zeros:
        subtitle += (
            f" {zeros} point(s) with f′ exactly 0 cannot be drawn on a log axis."
        )
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(
            "How fast |f′| shrinks", subtitle=subtitle, anchor="start"
        ),
        height=260,
    )
    return described(
        chart,
        sentence(
            "Line chart: How fast |f′| shrinks",
            "The slope's size at each update on a log axis"
            + (f", with a dashed line at ε = {eps:g}" if eps > 0 else ""),
            subtitle,
        ),
    )


def batch_size_sweep(sweep: pd.DataFrame, epochs: float) -> alt.Chart:
    """Final gap to the optimum against the batch size (log–log), same epochs.

    ``sweep`` has columns "batch size", "updates", "gap to optimum" and
    "loss rose on" (a share), one row per batch size.
    """
    title = f"Same budget ({epochs:g} epochs), other batch sizes"
    gap = "loss − optimal loss after the budget (log)"
    chart = (
        alt.Chart(sweep)
        .mark_line(point=True, color=VARIANT_COLORS[VARIANT_TITLES["minibatch"]])
        .encode(
            x=alt.X(
                field="batch size",
                type="quantitative",
                scale=alt.Scale(type="log"),
                axis=log_axis(sweep["batch size"], "batch size"),
            ),
            y=alt.Y(
                field="gap to optimum",
                type="quantitative",
                scale=alt.Scale(type="log"),
                axis=log_axis(sweep["gap to optimum"], gap),
            ),
            tooltip=[
                field_tip("batch size", "quantitative"),
                field_tip("updates", "quantitative"),
                field_tip("gap to optimum", "quantitative", format=".3g"),
                field_tip("loss rose on", "quantitative", format=".0%"),
            ],
        )
        .properties(title=alt.TitleParams(title, anchor="start"), height=240)
    )
    return described(
        chart,
        sentence(
            f"Line chart: {title}",
            "The gap to the optimal loss after the budget against the batch size, "
            "both on log axes",
        ),
    )
