"""Chart builders: a ``Comparison`` (or a grid of values) in, a chart or figure out.

Every builder is a pure function: it reads its arguments, returns an Altair chart
(2-D charts) or a Plotly figure (3-D surfaces and contours), and draws nothing
itself. The pages render them; the tests read their specs (``chart.to_dict()``,
``fig.data``, ``fig.layout``).

Shared conventions:

* **Colours.** Each variant keeps one colour everywhere (``VARIANT_COLORS``,
  Okabe–Ito hues that colour-blind readers can tell apart and that keep at least
  3:1 contrast on both a white and Streamlit's dark background). Surfaces and
  contour fills are grey (``SURFACE_COLORSCALE``), so the coloured paths are the
  only hues on a loss plot.
* **Bounded data.** Altair embeds its data in the page, so every dataset of a
  chart keeps at most ``MAX_DATASET_ROWS`` rows (Altair's default limit, so
  ``to_dict()`` works anywhere) and a chart about 20,000 in all: lines are
  thinned evenly (first and last point kept), seed bands are resampled on
  ``BAND_POINTS`` points, scatter plots show a seeded sample of at most
  ``MAX_FIT_POINTS`` points and say so in their title, histograms are binned
  in numpy.
* **Non-finite values are dropped, never drawn.** A diverged run's curve stops
  at the blow-up; the variant stays in the legend, marked "diverged".
* **User text is data, never markup.** Column names, formulas and file names
  reach Altair only as titles and data values (encodings name internal fields),
  and reach Plotly, which reads titles, legend names and hover text as an HTML
  subset, only through ``_text`` (escaped).
* **Every chart says what it shows.** Altair charts carry a ``description``
  (the accessible name Vega gives the chart); Plotly figures carry the same
  sentence in ``layout.meta["description"]`` (``description(fig)``) for the
  page to show beside the figure, since plotly.js gives a figure no accessible
  name of its own.
* **Phones and dark theme.** Legends sit under the chart and are never cut;
  Plotly titles start below the modebar; colours are mid-tones with at least
  3:1 contrast on white and on Streamlit's dark background, and no text or
  background colour is fixed, so the theme applies.
"""

from __future__ import annotations

import html
import json
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gddash import compare
from gddash.compare import VARIANT_TITLES, Comparison, Optimum
from gddash.engine import LinearRegression, LogisticRegression, Trace

__all__ = [
    "BAND_POINTS",
    "MAX_DATASET_ROWS",
    "MAX_FIT_POINTS",
    "MAX_LINE_POINTS",
    "MAX_PATH_POINTS",
    "RULE_COLORS",
    "SURFACE_COLORSCALE",
    "VARIANT_COLORS",
    "X_AXES",
    "ArrowField",
    "Path3D",
    "SurfaceGrid",
    "animate_paths",
    "arrow_field",
    "batch_size_sweep",
    "comparison_paths",
    "contour_figure",
    "curve_figure",
    "description",
    "fit_view",
    "gradient_norms",
    "loss_curves",
    "slice_grid",
    "slope_decay",
    "surface_figure",
]

# Okabe & Ito (2008) colour-blind-safe hues; blue, vermillion and bluish green
# each keep >= 3:1 contrast on white and on Streamlit's dark #0E1117.
VARIANT_COLORS = {
    VARIANT_TITLES["batch"]: "#0072B2",
    VARIANT_TITLES["sgd"]: "#D55E00",
    VARIANT_TITLES["minibatch"]: "#009E73",
}
REFERENCE_COLOR = "#8C8C8C"  # rules and reference lines: mid grey, both themes
OPTIMUM_COLOR = "#CC79A7"  # Okabe–Ito reddish purple, unused by the variants
# Arrows are drawn over the light contour fill, never on the page background.
ARROW_COLOR = "#3A3A3A"
# The current point and tangent lie on the page background: a mid grey
# (4.5:1 on white, 4.2:1 on #0E1117) reads in both themes.
CURRENT_COLOR = "#767676"
# Light (low loss, where paths end) to mid grey (high loss): hue-free on purpose.
SURFACE_COLORSCALE = [[0.0, "#FAFAFA"], [0.5, "#CFCFCF"], [1.0, "#8A8A8A"]]
ARROW_COLORSCALE = [[0.0, "#BDBDBD"], [1.0, "#000000"]]

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
MAX_DATASET_ROWS = 5_000  # rows per embedded dataset (Altair's default limit)
MAX_LINE_POINTS = 1_000  # per line (traces are bounded the same way)
BAND_POINTS = 400  # resampled points of a min–max band over seeds
MAX_PATH_POINTS = 300  # per path on a surface or contour
MAX_FIT_POINTS = 5_000  # points in a fit scatter, all variants together
GAP_FLOOR = 1e-12  # log-gap floor, relative to the loss scale
LOG_LEVELS_RATIO = 10.0  # max/median of Z − min beyond which contours are log-spaced
LOGISTIC_GRID_BUDGET = 3e7  # grid points × rows for an exact log-loss slice
MIN_LOGISTIC_GRID = 10
DIVERGED_REACH = 3.0  # slice range: at most this × the converging paths' reach
WRAP_CHARS = 56  # characters per line of a Plotly title (a phone's width)
MODEBAR_ROOM = 32  # px above a Plotly title, where the modebar sits
AXIS_ROOM = 56  # px under a flat plot for the x axis's tick labels and title
LEGEND_ROW = 26  # px per row of a horizontal Plotly legend
CONTROLS_HEIGHT = 110  # px of an animation's Play buttons and, under them, slider
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _evenly(k: int, limit: int) -> np.ndarray:
    """At most ``limit`` indices into range(k), evenly spread, first and last kept."""
    if k <= limit:
        return np.arange(k)
    return np.unique(np.round(np.linspace(0, k - 1, limit)).astype(int))


def _sample_rows(n: int, limit: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of a seeded random sample of at most ``limit`` of n rows."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def _tip(field: str, kind: str = "nominal", **options: object) -> alt.Tooltip:
    """A tooltip naming its field as data, never as Altair shorthand."""
    return alt.Tooltip(field=field, type=kind, **options)


def _titles(comparison: Comparison) -> list[str]:
    return [VARIANT_TITLES[v] for v in comparison.traces]


def _variant_color(
    titles: Sequence[str],
    diverged: Sequence[str] = (),
    *,
    field: str = "variant",
    extra: dict[str, str] | None = None,
) -> alt.Color:
    """The colour channel with a fixed domain → colour mapping (stable colours).

    Diverged variants stay in the legend, their label suffixed with "diverged".
    ``extra`` adds reference entries (name → colour) after the variants. The
    legend sits under the chart in two columns, labels never cut: beside the
    chart it would take 40% of a phone's width.
    """
    colors = {t: VARIANT_COLORS[t] for t in titles} | (extra or {})
    scale = alt.Scale(domain=list(colors), range=list(colors.values()))
    legend = {
        "title": "variant" if extra is None else "line",
        "symbolOpacity": 1,
        "orient": "bottom",
        "direction": "horizontal",
        "columns": 2,
        "labelLimit": 0,
    }
    if diverged:
        names = json.dumps(list(diverged))  # a JSON array is a valid Vega literal
        legend["labelExpr"] = (
            f"indexof({names}, datum.label) >= 0 "
            "? datum.label + ' — diverged' : datum.label"
        )
    return alt.Color(
        field=field, type="nominal", scale=scale, legend=alt.Legend(**legend)
    )


def _diverged(comparison: Comparison) -> list[str]:
    return [
        VARIANT_TITLES[v]
        for v in comparison.traces
        if comparison.primary(v).status == "diverged"
    ]


def _optimum_label(optimum: Optimum) -> str:
    how = "closed form" if optimum.closed_form else "Newton"
    return f"optimal loss ({how})"


def _x_values(trace: Trace, x: str) -> np.ndarray:
    return np.asarray(getattr(trace, x), dtype=float)


def _check_x(x: str) -> None:
    if x not in X_AXES:
        raise ValueError(f"x must be one of {sorted(X_AXES)}. Got {x!r} instead.")


def _subscript(k: int) -> str:
    return str(k).translate(_SUBSCRIPTS)


def _text(value: object) -> str:
    """Text shown literally by Plotly, which reads titles, names and hover text
    as an HTML subset: ``&``, ``<`` and ``>`` become entities, and so does ``%``,
    so that "%{x}" in a name is not a hover placeholder. (Plotly knows numeric
    entities and only a few named ones: quotes stay as they are.)"""
    return html.escape(str(value), quote=False).replace("%", "&#37;")


def _wrap(text: str, width: int = WRAP_CHARS) -> str:
    """Plotly titles do not wrap: break long text into escaped lines with <br>.

    ``width`` characters fit a phone's 390 px at Plotly's title font sizes.
    """
    if not text:
        return ""
    return "<br>".join(_text(line) for line in textwrap.wrap(text, width))


def _lines(text: str, width: int = WRAP_CHARS) -> int:
    return len(textwrap.wrap(text, width)) if text else 0


def _described(chart: alt.TopLevelMixin, what: str) -> alt.TopLevelMixin:
    """The chart with a ``description``: Vega's accessible name for it."""
    return chart.properties(description=what)


def _sentence(*parts: str) -> str:
    """Parts joined into one description, each ending with a full stop."""
    return " ".join(p if p.endswith((".", "?", "!")) else p + "." for p in parts if p)


def _log_axis(values: np.ndarray | pd.Series, title: str) -> alt.Axis:
    """A log axis labelled at powers of ten only, at most 8 labels.

    Vega's own log ticks label 1, 2, … 9 in every decade; over many decades
    the labels collide and most are hidden, so the decades are chosen here.
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if not finite.size:
        return alt.Axis(format="~g", title=title, titleLimit=0)
    low = math.floor(math.log10(finite.min()))
    high = math.ceil(math.log10(finite.max()))
    stride = max(1, math.ceil((high - low + 1) / 8))
    ticks = [10.0**k for k in range(low, high + stride, stride)]
    # 0.01 to 1000 as decimals; beyond, "1e-6" and "1e6" (not 0.000001).
    label = (
        "datum.value >= 0.01 && datum.value < 10000 ? format(datum.value, '~g')"
        " : replace(format(datum.value, '.0e'), 'e+', 'e')"
    )
    return alt.Axis(values=ticks, labelExpr=label, title=title, titleLimit=0)


def _integer_like(values: np.ndarray) -> bool:
    """Whether every finite value is a whole number below 10,000 in size.

    Such values (years, counts, ratings) are labelled without thousands
    separators or decimals: 1980, not "1,980" or "1,980.5".
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not values.size or np.abs(values).max() >= 10_000:
        return False
    return bool(np.all(np.abs(values - np.round(values)) <= 1e-9 * np.abs(values)))


def _value_axis(values: np.ndarray, title: str) -> alt.Axis:
    """An axis for a data column, its title never cut (``titleLimit=0``)."""
    if _integer_like(values):
        return alt.Axis(title=title, format="d", tickMinStep=1, titleLimit=0)
    return alt.Axis(title=title, titleLimit=0)


# --------------------------------------------------------------------------------------
# Loss curves and gradient norms (Altair)
# --------------------------------------------------------------------------------------


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
        idx = finite[_evenly(len(finite), per_line)]
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
    diverged = set(_diverged(comparison))
    if not diverged or len(diverged) == len(comparison.traces):
        return None
    tame = rows.loc[~rows["variant"].isin(diverged), "loss"]
    high = max(float(tame.max()), comparison.optimum.loss)
    low = min(0.0, float(tame.min()), comparison.optimum.loss)
    if float(rows["loss"].max()) <= high:
        return None
    return [low, high + 0.05 * (high - low)]


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
        # when every run diverged; small values read as usual (0.25, 12).
        axis = self.y_axis or alt.Axis(format="~g", titleLimit=0)
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
            axis = _log_axis(values, y_title)
    else:
        scale = None if domain is None else alt.Scale(domain=domain)
    extra = None if reference is None else {reference: REFERENCE_COLOR}
    color = _variant_color(_titles(comparison), _diverged(comparison), extra=extra)
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
                _tip("variant"),
                _tip("seeds", "quantitative", title="seeds"),
                _tip("low", "quantitative", title=f"lowest {what}", format=".6g"),
                _tip("high", "quantitative", title=f"highest {what}", format=".6g"),
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
                _tip("label", title="line"),
                _tip(field, "quantitative", title="value", format=".8g"),
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
    diverged = _diverged(comparison)
    if diverged:
        subtitle.append(
            f"Diverged: {', '.join(diverged)} (the curve stops at the blow-up)."
        )
    if optimum.separable:
        subtitle.append("The classes are separable: the log-loss has no minimum.")
    tooltip = [
        _tip("variant"),
        _tip("curve"),
        _tip(x, "quantitative", title=X_AXES[x], format=_X_FORMATS[x]),
        _tip("loss", "quantitative", format=".8g"),
    ]
    if log_scale:
        tooltip.append(_tip("gap", "quantitative", title="loss − L*", format=".6g"))
    lines = _line_layers(frame, rows, y_field, tooltip, dashed=validation)
    band = [] if bands.empty else [_band_layer(frame, bands, y_field)]
    chart = alt.layer(*band, *lines, rule).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"),
        height=CURVES_HEIGHT,
    )
    shown = "the gap to the optimal loss" if log_scale else "the loss"
    return _described(
        chart,
        _sentence(
            f"Line chart: {title}",
            f"{shown.capitalize()} of {', '.join(_titles(comparison))} against "
            f"{X_AXES[x]}, with a dashed line "
            + (
                "where the loss is within 1% of the optimal loss"
                if log_scale
                else f"at the {_optimum_label(optimum)}"
            ),
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
                axis=_log_axis(spanned, "|f′(x_k)| (log)"),
            ),
            tooltip=[
                _tip("update", "quantitative"),
                _tip("slope", "quantitative", title="|f′(x_k)|", format=".3g"),
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
                tooltip=[_tip("label")],
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
    return _described(
        chart,
        _sentence(
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
                axis=_log_axis(sweep["batch size"], "batch size"),
            ),
            y=alt.Y(
                field="gap to optimum",
                type="quantitative",
                scale=alt.Scale(type="log"),
                axis=_log_axis(sweep["gap to optimum"], gap),
            ),
            tooltip=[
                _tip("batch size", "quantitative"),
                _tip("updates", "quantitative"),
                _tip("gap to optimum", "quantitative", format=".3g"),
                _tip("loss rose on", "quantitative", format=".0%"),
            ],
        )
        .properties(title=alt.TitleParams(title, anchor="start"), height=240)
    )
    return _described(
        chart,
        _sentence(
            f"Line chart: {title}",
            "The gap to the optimal loss after the budget against the batch size, "
            "both on log axes",
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
        _tip("variant"),
        _tip(x, "quantitative", title=X_AXES[x], format=_X_FORMATS[x]),
        _tip("grad_norm", "quantitative", title="‖∇L‖", format=".6g"),
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
    return _described(
        chart,
        _sentence(
            f"Line chart: {title}",
            f"‖∇L‖ of {', '.join(_titles(comparison))} against {X_AXES[x]} on a "
            "log axis" + (f", with a dashed line at ε = {eps:g}" if eps > 0 else ""),
            *subtitle,
        ),
    )


# --------------------------------------------------------------------------------------
# Loss surfaces (Plotly)
# --------------------------------------------------------------------------------------


def _frozen(values: object, name: str, ndim: int) -> np.ndarray:
    array = np.array(values, dtype=float)  # always a copy: never the caller's array
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D. Got shape {array.shape} instead.")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class SurfaceGrid:
    """Values of a function of two coordinates on a rectangular grid.

    Attributes
    ----------
    a : ndarray (n_a,), increasing
        First coordinate (Plotly's x).
    b : ndarray (n_b,), increasing
        Second coordinate (Plotly's y).
    Z : ndarray (n_b, n_a)
        ``Z[k, l]`` is the value at ``(a[l], b[k])``: rows follow b, as in
        ``np.meshgrid(a, b)`` and Plotly's ``z[y][x]``. NaN where undefined.
    a_name, b_name, z_name : str
        Axis titles.
    i, j : int
        Which parameters a and b are (for a loss slice; 0 and 1 otherwise).
    note : str
        A sentence shown with the chart (what is held fixed, what was reduced).
    """

    a: np.ndarray
    b: np.ndarray
    Z: np.ndarray
    a_name: str
    b_name: str
    z_name: str = "loss"
    i: int = 0
    j: int = 1
    note: str = ""

    def __post_init__(self) -> None:
        for name, ndim in (("a", 1), ("b", 1), ("Z", 2)):
            object.__setattr__(self, name, _frozen(getattr(self, name), name, ndim))
        if self.Z.shape != (len(self.b), len(self.a)):
            raise ValueError(
                f"Z must have shape (len(b), len(a)) = ({len(self.b)}, "
                f"{len(self.a)}). Got {self.Z.shape} instead."
            )
        for name in ("a", "b"):
            axis = getattr(self, name)
            if len(axis) < 2 or not (
                np.isfinite(axis).all() and np.all(np.diff(axis) > 0)
            ):
                raise ValueError(
                    f"{name} must hold at least 2 finite, increasing values."
                )

    def __repr__(self) -> str:
        finite = self.Z[np.isfinite(self.Z)]
        span = f"[{finite.min():.4g}, {finite.max():.4g}]" if finite.size else "—"
        return (
            f"SurfaceGrid({self.a_name!r} × {self.b_name!r}, "
            f"shape={self.Z.shape}, {self.z_name} in {span})"
        )

    def contains(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether each point (a, b) lies inside the grid's rectangle."""
        return (
            (a >= self.a[0]) & (a <= self.a[-1]) & (b >= self.b[0]) & (b <= self.b[-1])
        )


@dataclass(frozen=True, eq=False)
class Path3D:
    """A descent path over a ``SurfaceGrid``: points (a, b) and their values z.

    ``steps`` (optional, same length) labels the points in hover text, e.g.
    the update count of each recorded point.
    """

    name: str
    a: np.ndarray
    b: np.ndarray
    z: np.ndarray
    color: str
    steps: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("a", "b", "z"):
            object.__setattr__(self, name, _frozen(getattr(self, name), name, 1))
        if self.steps is not None:
            object.__setattr__(self, "steps", _frozen(self.steps, "steps", 1))
        lengths = {len(self.a), len(self.b), len(self.z)}
        if self.steps is not None:
            lengths.add(len(self.steps))
        if len(lengths) != 1:
            raise ValueError(f"Path3D arrays must have equal lengths. Got {lengths}.")

    def __repr__(self) -> str:
        return f"Path3D({self.name!r}, points={len(self.a)}, color={self.color!r})"

    def thinned(self, limit: int = MAX_PATH_POINTS) -> Path3D:
        """At most ``limit`` of the points, evenly spread, first and last kept.

        For a static line: the figure stays small however long the run was.
        """
        keep = _evenly(len(self.a), limit)
        if len(keep) == len(self.a):
            return self
        steps = None if self.steps is None else self.steps[keep]
        a, b, z = self.a[keep], self.b[keep], self.z[keep]
        return Path3D(self.name, a, b, z, self.color, steps)


def _slice_range(
    comparison: Comparison, coordinate: int, margin: float = 0.1
) -> tuple[tuple[float, float], bool]:
    """Range of one parameter covering θ* and every primary path, and whether a
    diverged path had to be cut off.

    Converging paths are covered whole; diverged ones at most up to
    ``DIVERGED_REACH`` × the converging paths' distance from θ* (their start
    included), so that a blow-up to 1e12 does not shrink the bowl to a dot.
    """
    star = float(comparison.optimum.theta[coordinate])
    tame, wild = [np.array([star])], []
    for variant in comparison.traces:
        trace = comparison.primary(variant)
        column = trace.path[:, coordinate]
        column = column[np.isfinite(column)]
        if trace.status == "diverged":
            tame.append(column[:1])
            wild.append(column)
        else:
            tame.append(column)
    tame_values = np.concatenate(tame)
    low, high = float(tame_values.min()), float(tame_values.max())
    reach = float(np.max(np.abs(tame_values - star)))
    reach = reach if reach > 0 else max(1.0, abs(star))
    clipped = False
    if wild:
        wild_values = np.concatenate(wild)
        low_w = max(float(wild_values.min()), star - DIVERGED_REACH * reach)
        high_w = min(float(wild_values.max()), star + DIVERGED_REACH * reach)
        clipped = bool(wild_values.min() < low_w or wild_values.max() > high_w)
        low, high = min(low, low_w), max(high, high_w)
    pad = margin * (high - low) if high > low else max(1.0, abs(star))
    return (low - pad, high + pad), clipped


def _logistic_grid_size(n: int, n_samples: int) -> int:
    """Grid side keeping n² × n_samples within LOGISTIC_GRID_BUDGET (>= 10)."""
    fit = math.isqrt(int(LOGISTIC_GRID_BUDGET // max(n_samples, 1)))
    return max(min(n, fit), MIN_LOGISTIC_GRID)


def slice_grid(
    comparison: Comparison,
    i: int,
    j: int,
    *,
    n: int = 60,
    span: tuple[tuple[float, float], tuple[float, float]] | None = None,
    problem: LinearRegression | LogisticRegression | None = None,
) -> SurfaceGrid:
    """The exact full-data loss over parameters θ_i and θ_j, all others at θ*.

    L is evaluated on the n × n grid with ``problem.evaluate``: for the squared
    loss that is the engine's anchored quadratic, O(n² d²) and independent of the
    number of rows; for the log-loss every grid point costs a pass over the rows,
    so n is reduced until n² × n_samples <= 3e7 (at least 10), and the note says so.

    Parameters
    ----------
    comparison : Comparison
    i, j : int
        Distinct parameter indices in [0, n_features).
    n : int in [2, 400], default 60
        Grid points per axis.
    span : ((a_min, a_max), (b_min, b_max)) or None
        The ranges to draw; None covers θ* and every variant's path plus a 10%
        margin (diverged paths are cut at 3× the others' reach around θ*).
    problem : LinearRegression or LogisticRegression or None
        ``compare.problem_for(comparison.dataset)``, built once by the caller;
        None builds it here (a pass over the rows for the squared loss).

    Returns
    -------
    SurfaceGrid
        With ``Z[k, l] = L(θ*)`` but θ_i = a[l], θ_j = b[k].
    """
    dataset = comparison.dataset
    d = dataset.n_features
    for name, k in (("i", i), ("j", j)):
        if not (isinstance(k, int | np.integer) and 0 <= k < d):
            raise ValueError(
                f"{name} must be a parameter index in [0, {d}). Got {k!r}."
            )
    if i == j:
        raise ValueError(f"i and j must be different parameters. Got i = j = {i}.")
    if not (isinstance(n, int) and 2 <= n <= 400):
        raise ValueError(f"n must be an int in [2, 400]. Got {n!r} instead.")
    problem = compare.problem_for(dataset) if problem is None else problem
    notes = []
    if d == 2:
        notes.append("This is the whole loss surface: the model has two parameters.")
    else:
        notes.append(
            "Other parameters held at their optimal values; paths are drawn at their "
            "true loss, so where a path's other parameters are not yet optimal it "
            "floats above this slice."
        )
    if comparison.optimum.separable:
        notes.append(
            "The classes are separable: θ* is where Newton's method stopped, far "
            "out along a direction in which the log-loss keeps falling."
        )
    if dataset.task == "logistic":
        reduced = _logistic_grid_size(n, dataset.n_samples)
        if reduced < n:
            notes.append(
                f"Grid reduced to {reduced}×{reduced} points: each point of the "
                f"log-loss is a pass over all {dataset.n_samples:,} rows."
            )
            n = reduced
    if span is None:
        (a_span, a_cut), (b_span, b_cut) = (_slice_range(comparison, k) for k in (i, j))
        if a_cut or b_cut:
            notes.append("Diverged paths run off this range.")
    else:
        a_span, b_span = span
    a, b = np.linspace(*a_span, n), np.linspace(*b_span, n)
    thetas = np.tile(np.asarray(comparison.optimum.theta, dtype=float), (n * n, 1))
    grid_a, grid_b = np.meshgrid(a, b)
    thetas[:, i], thetas[:, j] = grid_a.ravel(), grid_b.ravel()
    losses, _ = problem.evaluate(thetas)
    names = dataset.feature_names
    return SurfaceGrid(
        a=a,
        b=b,
        Z=losses.reshape(n, n),
        a_name=f"θ{_subscript(i)} ({names[i]})",
        b_name=f"θ{_subscript(j)} ({names[j]})",
        z_name="loss",
        i=i,
        j=j,
        note=" ".join(notes),
    )


def comparison_paths(comparison: Comparison, grid: SurfaceGrid) -> list[Path3D]:
    """Each variant's first-seed path in the grid's two coordinates, at its true loss.

    z is the recorded full-data loss (exact, all parameters as they were), at most
    ``MAX_PATH_POINTS`` points evenly spaced with the first and last kept.
    Non-finite points are dropped; a diverged path is cut where it first leaves
    the grid's rectangle, so that a blow-up does not rescale the scene.

    Parameters
    ----------
    comparison : Comparison
    grid : SurfaceGrid
        From ``slice_grid`` (its ``i`` and ``j`` pick the coordinates).

    Returns
    -------
    list of Path3D, one per variant in comparison order
    """
    paths = []
    for variant in comparison.traces:
        trace = comparison.primary(variant)
        title = VARIANT_TITLES[variant]
        a, b, z = trace.path[:, grid.i], trace.path[:, grid.j], trace.loss
        keep = np.isfinite(a) & np.isfinite(b) & np.isfinite(z)
        if trace.status == "diverged":
            title += " — diverged"
            outside = np.flatnonzero(~keep | ~grid.contains(a, b))
            if len(outside):  # cut at the first point off the rectangle
                keep[outside[0] :] = False
        idx = np.flatnonzero(keep)
        idx = idx[_evenly(len(idx), MAX_PATH_POINTS)]
        paths.append(
            Path3D(
                name=title,
                a=a[idx],
                b=b[idx],
                z=z[idx],
                color=VARIANT_COLORS[VARIANT_TITLES[variant]],
                steps=trace.updates[idx],
            )
        )
    return paths


def _marker_pattern(k: int, start: object, middle: object, end: object) -> list:
    """Per-point values: start at the first point, end at the last, middle between."""
    if k <= 1:
        return [start] * k
    return [start] + [middle] * (k - 2) + [end]


def _hover(grid: SurfaceGrid, z: bool) -> str:
    a, b = _text(grid.a_name), _text(grid.b_name)
    text = f"{a} = %{{x:.6g}}<br>{b} = %{{y:.6g}}"
    if z:
        text += f"<br>{_text(grid.z_name)} = %{{z:.8g}}"
    return text


def _path_hover(grid: SurfaceGrid, path: Path3D, three_d: bool) -> str:
    step = "update %{customdata:,.0f}<br>" if path.steps is not None else ""
    value = "%{z:.8g}" if three_d else "%{text}"
    return (
        f"<b>{_text(path.name)}</b><br>{step}{_hover(grid, z=False)}"
        f"<br>{_text(grid.z_name)} = {value}<extra></extra>"
    )


def _title_block(title: str, note: str = "") -> tuple[dict, int]:
    """A Plotly title (and note as subtitle) that starts below the modebar, and
    the top margin in px that holds both.

    The modebar floats over the top right of a figure; on a phone it would
    cover a title that started at the top, so the title leaves it a strip.
    """
    block = {
        "text": _wrap(title),
        "subtitle": {"text": _wrap(note)},
        "yref": "container",
        "y": 1.0,
        "yanchor": "top",
        "pad": {"t": MODEBAR_ROOM},
    }
    top = MODEBAR_ROOM + 24 * max(_lines(title), 1) + 18 * _lines(note) + 16
    return block, top


def _layout(
    fig: go.Figure,
    title: str,
    note: str,
    height: int,
    uirevision: str,
    *,
    flat: bool,
    what: str,
) -> None:
    """Title with the grid's note as subtitle below the modebar, a horizontal
    legend under the plot (below the x axis title on a flat chart), the constant
    ``uirevision``, and ``what`` the figure shows as its description."""
    block, top = _title_block(title, note)
    fig.update_layout(
        title=block,
        height=height,
        uirevision=uirevision,
        margin={"l": 10, "r": 10, "t": top, "b": 10},
        meta={"description": _sentence(title, what, note)},
    )
    if flat:
        _legend_under_axis(fig)
    else:
        fig.update_layout(
            legend={"orientation": "h", "yanchor": "top", "y": 0.0, "x": 0}
        )


def _legend_rows(fig: go.Figure) -> int:
    """Rows of a horizontal legend on a phone, which fits about two entries."""
    entries = sum(
        1
        for trace in fig.data
        if trace.type not in ("surface", "contour") and trace.showlegend is not False
    )
    return math.ceil(entries / 2)


def _legend_under_axis(fig: go.Figure, below: int = 0, axis: int = AXIS_ROOM) -> None:
    """The legend at the bottom of the figure, under ``axis`` px for the x axis's
    labels and title and ``below`` px of controls, never on them."""
    fig.update_layout(
        margin={"b": axis + below + LEGEND_ROW * _legend_rows(fig)},
        legend={
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0.0,
            "xanchor": "left",
            "x": 0.0,
        },
    )


def description(chart: alt.TopLevelMixin | go.Figure) -> str:
    """What a chart or figure shows, in a sentence or two of plain text.

    An Altair chart's ``description`` (Vega makes it the chart's accessible
    name) or a Plotly figure's ``layout.meta["description"]``: plotly.js names
    no figure, so the page passes this as the element's accessible name
    (Streamlit's ``alt=``) or shows it beside the figure as plain text.
    """
    if isinstance(chart, go.Figure):
        meta = chart.layout.meta
        return str(meta.get("description", "")) if isinstance(meta, dict) else ""
    value = getattr(chart, "description", alt.Undefined)
    return "" if value is alt.Undefined else str(value)


def _names(paths: Sequence[Path3D]) -> str:
    return ", ".join(path.name for path in paths)


def surface_figure(
    grid: SurfaceGrid,
    paths: Sequence[Path3D],
    *,
    title: str,
    optimum: tuple[float, float, float] | None = None,
    optimum_name: str = "optimum θ*",
    current_point: tuple[float, float, float] | None = None,
    floor_contours: bool = True,
    height: int = 520,
    uirevision: str = "keep",
) -> go.Figure:
    """A rotatable 3-D surface with descent paths drawn on (or above) it.

    Parameters
    ----------
    grid : SurfaceGrid
    paths : sequence of Path3D
        Each drawn as lines+markers in its colour: a filled circle at the start,
        an x at the end.
    title : str
    optimum : (a, b, z) or None
        Marked with a diamond.
    optimum_name : str, default "optimum θ*"
    current_point : (a, b, z) or None
        An open circle, e.g. the explorer's step scrubber position.
    floor_contours : bool, default True
        Project contour lines of the surface onto the floor of the scene.
    height : int, default 520
    uirevision : str, default "keep"
        A constant keeps the user's camera when the figure is re-sent with new
        data (Plotly keeps UI state while ``layout.uirevision`` is unchanged).

    Returns
    -------
    go.Figure
        Traces: the Surface, one Scatter3d per path, then the optimum and the
        current point when given. ``grid.note`` is the title's subtitle.
    """
    Z = np.where(np.isfinite(grid.Z), grid.Z, np.nan)
    contours = {
        "z": {
            "show": floor_contours,
            "project": {"z": True},
            "usecolormap": False,
            "color": REFERENCE_COLOR,
            "width": 1,
        }
    }
    fig = go.Figure(
        go.Surface(
            x=grid.a,
            y=grid.b,
            z=Z,
            name=_text(grid.z_name),
            colorscale=SURFACE_COLORSCALE,
            opacity=0.8,
            contours=contours if floor_contours else None,
            colorbar={
                "title": {"text": _text(grid.z_name)},
                "len": 0.6,
                "thickness": 12,
            },
            hovertemplate=_hover(grid, z=True) + "<extra></extra>",
        )
    )
    for path in paths:
        k = len(path.a)
        fig.add_trace(
            go.Scatter3d(
                x=path.a,
                y=path.b,
                z=path.z,
                name=_text(path.name),
                mode="lines+markers",
                line={"color": path.color, "width": 5},
                marker={
                    "color": path.color,
                    "size": _marker_pattern(k, 6, 2, 8),
                    "symbol": _marker_pattern(k, "circle", "circle", "x"),
                },
                customdata=path.steps,
                hovertemplate=_path_hover(grid, path, three_d=True),
            )
        )
    for point, name, symbol, color in (
        (optimum, optimum_name, "diamond", OPTIMUM_COLOR),
        (current_point, "current point", "circle-open", CURRENT_COLOR),
    ):
        if point is not None:
            fig.add_trace(
                go.Scatter3d(
                    x=[point[0]],
                    y=[point[1]],
                    z=[point[2]],
                    name=_text(name),
                    mode="markers",
                    marker={"color": color, "size": 8, "symbol": symbol},
                    hovertemplate=f"<b>{_text(name)}</b><br>{_hover(grid, z=True)}"
                    "<extra></extra>",
                )
            )
    what = (
        f"A 3-D surface of {grid.z_name} over {grid.a_name} and {grid.b_name}"
        + (f", with the paths of {_names(paths)}" if paths else "")
        + (f" and the {optimum_name}" if optimum is not None else "")
    )
    _layout(fig, title, grid.note, height, uirevision, flat=False, what=what)
    fig.update_layout(
        scene={
            "domain": {"x": [0, 1], "y": [0, 1]},
            "xaxis": {"title": {"text": _text(grid.a_name)}},
            "yaxis": {"title": {"text": _text(grid.b_name)}},
            "zaxis": {"title": {"text": _text(grid.z_name)}},
            "camera": {"eye": {"x": 1.2, "y": -1.3, "z": 0.8}},
            "aspectmode": "manual",
            "aspectratio": {"x": 1.0, "y": 1.0, "z": 0.7},
        },
    )
    return fig


# --------------------------------------------------------------------------------------
# Contours and arrows (Plotly)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ArrowField:
    """Arrows of −∇f: each centred on (x, y) with vector (u, v) in data units.

    ``magnitude`` is ‖∇f‖ at (x, y), shown by the arrowhead's colour and on hover;
    the arrow length is common to all (see ``arrow_field``).
    """

    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    magnitude: np.ndarray

    def __post_init__(self) -> None:
        for name in ("x", "y", "u", "v", "magnitude"):
            object.__setattr__(self, name, _frozen(getattr(self, name), name, 1))
        lengths = {len(getattr(self, n)) for n in ("x", "y", "u", "v", "magnitude")}
        if len(lengths) != 1:
            raise ValueError(
                f"ArrowField arrays must have equal lengths. Got {lengths}."
            )

    def __len__(self) -> int:
        return len(self.x)


def arrow_field(
    xs: np.ndarray,
    ys: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    *,
    length: float | None = None,
) -> ArrowField:
    """Arrows pointing down the slope (along −∇f), all of one readable length.

    The axes of a contour plot have different units, so lengths are measured in
    grid cells: an arrow d = −∇f becomes (d_x/Δx, d_y/Δy) in cells, is scaled to
    ``length`` cells, and is mapped back to data units. Its direction in data
    units is exactly that of −∇f, and on screen every arrow has the same length
    whatever its direction. The magnitude ‖∇f‖, which can span orders of
    magnitude, is kept in ``magnitude`` and shown by colour, not length.

    Parameters
    ----------
    xs : ndarray (nx,), ys : ndarray (ny,)
        The coarse grid's axes, increasing, at least 2 values each.
    gx, gy : ndarray (ny, nx)
        ∂f/∂x and ∂f/∂y at (xs[l], ys[k]) in entry [k, l].
    length : float or None
        Arrow length in grid cells; None means 0.8 (neighbours do not touch).

    Returns
    -------
    ArrowField
        Points where a component is NaN or infinite, or where ∇f = 0 (no
        direction), are dropped.
    """
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    gx, gy = np.asarray(gx, dtype=float), np.asarray(gy, dtype=float)
    if xs.ndim != 1 or ys.ndim != 1 or len(xs) < 2 or len(ys) < 2:
        raise ValueError("xs and ys must be 1-D grid axes with at least 2 values each.")
    if gx.shape != (len(ys), len(xs)) or gy.shape != gx.shape:
        raise ValueError(
            f"gx and gy must have shape (len(ys), len(xs)) = ({len(ys)}, {len(xs)}). "
            f"Got {gx.shape} and {gy.shape}."
        )
    cells = 0.8 if length is None else float(length)
    if not (cells > 0 and math.isfinite(cells)):
        raise ValueError(f"length must be a float in (0, inf). Got {length!r} instead.")
    dx = (xs[-1] - xs[0]) / (len(xs) - 1)
    dy = (ys[-1] - ys[0]) / (len(ys) - 1)
    grid_x, grid_y = np.meshgrid(xs, ys)
    keep = np.isfinite(gx) & np.isfinite(gy) & ((gx != 0) | (gy != 0))
    gx, gy = gx[keep], gy[keep]
    # Direction in cell units, rescaled by its largest component first so that
    # huge gradients (1e300) do not overflow on the way to unit length.
    cx, cy = -gx / dx, -gy / dy
    biggest = np.maximum(np.abs(cx), np.abs(cy))
    cx, cy = cx / biggest, cy / biggest
    norm = np.hypot(cx, cy)
    with np.errstate(over="ignore"):
        magnitude = np.hypot(gx, gy)
    return ArrowField(
        x=grid_x[keep],
        y=grid_y[keep],
        u=cells * dx * cx / norm,
        v=cells * dy * cy / norm,
        magnitude=magnitude,
    )


def _contour_trace(grid: SurfaceGrid) -> go.Contour:
    """Filled contours of the grid, log-spaced when its values span decades.

    When the values span orders of magnitude (max of Z − min beyond
    ``LOG_LEVELS_RATIO`` × its median, as in a narrow valley) the contours are
    drawn on log10(Z − min + δ), δ = 1e-3 × the median, with 24 evenly spaced
    levels and the colour bar's ticks labelled in values of Z; otherwise 20
    evenly spaced levels of Z itself. Hover always shows Z.
    """
    Z = np.where(np.isfinite(grid.Z), grid.Z, np.nan)
    values, levels = Z, {"ncontours": 20}
    z_name = _text(grid.z_name)
    colorbar = {"title": {"text": z_name}, "thickness": 12}
    finite = Z[np.isfinite(Z)]
    if finite.size:
        low = float(finite.min())
        top, median = float(finite.max() - low), float(np.median(finite - low))
        if median > 0 and top > LOG_LEVELS_RATIO * median:
            delta = 1e-3 * median
            values = np.log10(Z - low + delta)
            start, end = math.log10(delta), math.log10(top + delta)
            levels = {
                "autocontour": False,
                "contours": {"start": start, "end": end, "size": (end - start) / 24},
            }
            ticks = np.linspace(start, end, 6)
            colorbar = {
                "title": {"text": f"{z_name}<br>(log-spaced levels)"},
                "thickness": 12,
                "tickvals": ticks,
                "ticktext": [f"{10**t - delta + low:.3g}" for t in ticks],
            }
    return go.Contour(
        x=grid.a,
        y=grid.b,
        z=values,
        customdata=Z,
        name=z_name,
        colorscale=SURFACE_COLORSCALE,
        line={"width": 0.6, "color": REFERENCE_COLOR},
        colorbar=colorbar,
        hovertemplate=_hover(grid, z=False)
        + f"<br>{z_name} = %{{customdata:.6g}}<extra></extra>",
        **levels,
    )


def _arrow_trace(arrows: ArrowField) -> go.Scatter:
    """All arrows as one trace: NaN-separated shafts, heads turned along them.

    Arrowheads are coloured by log10‖∇f‖ (light: nearly flat, black: steep).
    """
    k = len(arrows)
    half_u, half_v = arrows.u / 2, arrows.v / 2
    gap = np.full(k, np.nan)
    xs = np.column_stack([arrows.x - half_u, arrows.x + half_u, gap]).ravel()
    ys = np.column_stack([arrows.y - half_v, arrows.y + half_v, gap]).ravel()
    shade = np.log10(np.maximum(arrows.magnitude, 1e-300))
    ticks = np.linspace(shade.min(), shade.max(), 4)
    return go.Scatter(
        x=xs,
        y=ys,
        name="−∇f (steepest descent)",
        mode="lines+markers",
        connectgaps=False,
        line={"color": ARROW_COLOR, "width": 1.2},
        marker={
            "symbol": "arrow",
            "angleref": "previous",  # each head points along its own shaft
            "size": np.tile([0, 9, 0], k),
            "color": np.repeat(shade, 3),
            "colorscale": ARROW_COLORSCALE,
            "showscale": True,
            "colorbar": {
                "title": {"text": "‖∇f‖<br>(arrowheads)"},
                "y": 0,
                "yanchor": "bottom",
                "len": 0.4,
                "thickness": 10,
                "tickvals": ticks,
                "ticktext": [f"{10**t:.2g}" for t in ticks],
            },
        },
        customdata=np.repeat(
            np.column_stack([arrows.x, arrows.y, arrows.magnitude]), 3, axis=0
        ),
        hovertemplate="−∇f at (%{customdata[0]:.4g}, %{customdata[1]:.4g})"
        "<br>‖∇f‖ = %{customdata[2]:.4g}<extra></extra>",
    )


def contour_figure(
    grid: SurfaceGrid,
    paths: Sequence[Path3D],
    *,
    title: str,
    optimum: tuple[float, float, float] | None = None,
    optimum_name: str = "optimum θ*",
    arrows: ArrowField | None = None,
    current_point: tuple[float, float, float] | None = None,
    height: int = 480,
    uirevision: str = "keep",
) -> go.Figure:
    """Filled contours of the grid with the paths, optimum and optional −∇f arrows.

    Levels are log-spaced when the values span orders of magnitude (the colour
    bar still reads in values). The axes keep their own scales: parameters may
    have different units, so the aspect ratio is not forced to 1.

    Parameters
    ----------
    grid : SurfaceGrid
    paths : sequence of Path3D
        Lines+markers in each path's colour: circle at the start, x at the end.
    title : str
    optimum : (a, b, z) or None
        Marked with a star.
    optimum_name : str, default "optimum θ*"
    arrows : ArrowField or None
        Drawn as short arrows (one trace), e.g. from ``arrow_field``.
    current_point : (a, b, z) or None
    height : int, default 480
    uirevision : str, default "keep"

    Returns
    -------
    go.Figure
        Traces: the Contour, one Scatter per path, then arrows, optimum and
        current point when given.
    """
    fig = go.Figure(_contour_trace(grid))
    for path in paths:
        k = len(path.a)
        fig.add_trace(
            go.Scatter(
                x=path.a,
                y=path.b,
                name=_text(path.name),
                mode="lines+markers",
                line={"color": path.color, "width": 2.5},
                marker={
                    "color": path.color,
                    "size": _marker_pattern(k, 10, 4, 12),
                    "symbol": _marker_pattern(k, "circle", "circle", "x"),
                    "line": {"color": "white", "width": 1},
                },
                text=[f"{value:.8g}" for value in path.z],
                customdata=path.steps,
                hovertemplate=_path_hover(grid, path, three_d=False),
            )
        )
    if arrows is not None and len(arrows):
        fig.add_trace(_arrow_trace(arrows))
        # Two colour bars on the right: the values' above, the arrows' below.
        fig.update_traces(
            colorbar={"len": 0.55, "y": 1, "yanchor": "top"},
            selector={"type": "contour"},
        )
    for point, name, symbol, color, size in (
        (optimum, optimum_name, "star", OPTIMUM_COLOR, 16),
        (current_point, "current point", "circle-open", CURRENT_COLOR, 14),
    ):
        if point is not None:
            fig.add_trace(
                go.Scatter(
                    x=[point[0]],
                    y=[point[1]],
                    name=_text(name),
                    mode="markers",
                    marker={
                        "color": color,
                        "size": size,
                        "symbol": symbol,
                        "line": {"color": "white", "width": 1},
                    },
                    text=[f"{point[2]:.8g}"],
                    hovertemplate=f"<b>{_text(name)}</b><br>{_hover(grid, z=False)}"
                    f"<br>{_text(grid.z_name)} = %{{text}}<extra></extra>",
                )
            )
    what = (
        f"A contour map of {grid.z_name} over {grid.a_name} (across) and "
        f"{grid.b_name} (up)"
        + (f", with the paths of {_names(paths)}" if paths else "")
        + (", arrows pointing downhill" if arrows is not None and len(arrows) else "")
        + (f" and the {optimum_name}" if optimum is not None else "")
    )
    _layout(fig, title, grid.note, height, uirevision, flat=True, what=what)
    fig.update_xaxes(title_text=_text(grid.a_name), range=[grid.a[0], grid.a[-1]])
    fig.update_yaxes(title_text=_text(grid.b_name), range=[grid.b[0], grid.b[-1]])
    return fig


# --------------------------------------------------------------------------------------
# Fit view (Altair)
# --------------------------------------------------------------------------------------


def _score_line(comparison: Comparison, column: str, fmt: str) -> str:
    table = comparison.table
    if column not in table:
        return ""
    parts = [
        f"{row['variant']} {format(row[column], fmt)}"
        for _, row in table.iterrows()
        if row[column] is not None and np.isfinite(row[column])
    ]
    return f"{column}: " + ", ".join(parts) if parts else ""


def _sample_note(shown: int, total: int) -> list[str]:
    if shown == total:
        return []
    return [f"A random {shown:,} of {total:,} rows shown (seed 0)."]


def _finite_thetas(comparison: Comparison) -> dict[str, np.ndarray]:
    """Final θ of each variant's first-seed run, when finite."""
    thetas = {}
    for variant in comparison.traces:
        theta = comparison.primary(variant).theta
        if np.isfinite(theta).all():
            thetas[VARIANT_TITLES[variant]] = theta
    return thetas


def _once_per_facet(chart: alt.Chart, by: Sequence[str]) -> alt.Chart:
    """Collapse a layer's rows to one per facet, for a constant mark (a rule)."""
    return chart.transform_aggregate(rows="count()", groupby=list(by))


def _predicted_vs_actual(comparison: Comparison) -> alt.FacetChart:
    """Several features: predicted against actual, one panel per variant."""
    dataset = comparison.dataset
    thetas = _finite_thetas(comparison)
    # The same sampled rows in every panel, MAX_FIT_POINTS points in all.
    rows = _sample_rows(dataset.n_samples, MAX_FIT_POINTS // max(len(thetas), 1))
    X, y = dataset.X[rows], dataset.y[rows]
    frames = [pd.DataFrame(columns=["variant", "actual", "predicted"])]
    with np.errstate(all="ignore"):
        for title, theta in thetas.items():
            predicted = X @ theta
            keep = np.isfinite(predicted)
            frames.append(
                pd.DataFrame(
                    {"variant": title, "actual": y[keep], "predicted": predicted[keep]}
                )
            )
    data = pd.concat(frames, ignore_index=True).astype(
        {"actual": float, "predicted": float}
    )
    # The axes cover the targets and the predictions of runs that did not
    # diverge; a diverged run's predictions are clipped at the edges.
    diverged = _diverged(comparison)
    tame = data.loc[~data["variant"].isin(diverged), "predicted"].to_numpy()
    values = np.concatenate([y, tame])
    low, high = float(values.min()), float(values.max())
    pad = 0.03 * (high - low) if high > low else 1.0
    domain = [low - pad, high + pad]
    scale = alt.Scale(domain=domain, zero=False)
    clip = not data["predicted"].between(*domain).all()
    target = dataset.target_name
    titles = _titles(comparison)
    # Both axes in the target's units, labelled alike (1980, not "1,980").
    points = (
        alt.Chart()
        .mark_circle(size=14, opacity=0.5, clip=clip)
        .encode(
            x=alt.X(
                field="actual",
                type="quantitative",
                scale=scale,
                axis=_value_axis(y, f"actual {target}"),
            ),
            y=alt.Y(
                field="predicted",
                type="quantitative",
                scale=scale,
                axis=_value_axis(y, f"predicted {target}"),
            ),
            color=_variant_color(titles, diverged),
            tooltip=[
                _tip("variant"),
                _tip("actual", "quantitative", title=f"actual {target}", format=".6g"),
                _tip(
                    "predicted",
                    "quantitative",
                    title=f"predicted {target}",
                    format=".6g",
                ),
            ],
        )
    )
    identity = _once_per_facet(
        alt.Chart()
        .mark_rule(color=REFERENCE_COLOR, strokeDash=[4, 3])
        .encode(
            x=alt.datum(domain[0]),
            y=alt.datum(domain[0]),
            x2=alt.datum(domain[1]),
            y2=alt.datum(domain[1]),
        ),
        ["variant"],
    )
    subtitle = ["Dashed: predicted = actual (a perfect fit)."]
    subtitle += [line for line in [_score_line(comparison, "R²", ".4f")] if line]
    subtitle += _sample_note(len(rows), dataset.n_samples)
    if clip:
        subtitle.append("Diverged predictions leave the chart.")
    missing = sorted(set(titles) - set(data["variant"]))
    if missing:
        subtitle.append(f"Not shown (non-finite parameters): {', '.join(missing)}.")
    title = "Predicted against actual (training rows)"
    chart = (
        alt.layer(points, identity, data=data)
        .properties(width=220, height=220)
        .facet(
            column=alt.Column(field="variant", type="nominal", sort=titles, title=None),
            title=alt.TitleParams(title, subtitle=subtitle, anchor="start"),
        )
    )
    return _described(
        chart,
        _sentence(
            f"Scatter plots: {title}",
            f"One panel per variant ({', '.join(thetas)}): each row's predicted "
            f"{target} against its actual {target}, with the line predicted = actual",
            *subtitle,
        ),
    )


def _fitted_lines(comparison: Comparison) -> alt.LayerChart:
    """One feature: the data in original units, each variant's line, least squares."""
    dataset = comparison.dataset
    rows = _sample_rows(dataset.n_samples, MAX_FIT_POINTS)
    column = int(dataset.has_intercept)
    feature = dataset.feature_names[column]
    target = dataset.target_name
    x = dataset.unscale(dataset.X[rows])[:, column]
    y = dataset.y[rows]
    # The user's column names are titles only: the fields are "x" and "y", so
    # a name like "time:s" or "size.m2" is never read as Vega-Lite syntax.
    points = pd.DataFrame({"x": x, "y": y})
    ends = np.array([x.min(), x.max()]) if len(x) else np.array([0.0, 1.0])
    lines = []
    fitted = {**_finite_thetas(comparison), "least squares": comparison.optimum.theta}
    for title, theta in fitted.items():
        intercept, slopes = dataset.to_original_units(theta)
        with np.errstate(all="ignore"):
            fitted_y = float(intercept) + float(slopes[0]) * ends
        if np.isfinite(fitted_y).all():
            lines.append(
                pd.DataFrame(
                    {
                        "line": title,
                        "x": ends,
                        "y": fitted_y,
                        "intercept": float(intercept),
                        "slope": float(slopes[0]),
                    }
                )
            )
    line_data = pd.concat(lines, ignore_index=True)
    # The y axis covers the data and every line but those of diverged runs,
    # which are cut at its edges.
    diverged = _diverged(comparison)
    tame = line_data.loc[~line_data["line"].isin(diverged), "y"].to_numpy()
    values = np.concatenate([y, tame])
    low, high = float(values.min()), float(values.max())
    pad = 0.05 * (high - low) if high > low else 1.0
    domain = [low - pad, high + pad]
    clip = not line_data["y"].between(*domain).all()
    y_scale = alt.Scale(domain=domain, zero=False) if clip else alt.Scale(zero=False)
    titles = _titles(comparison)
    color = _variant_color(
        titles, diverged, field="line", extra={"least squares": REFERENCE_COLOR}
    )
    x_enc = alt.X(
        field="x",
        type="quantitative",
        scale=alt.Scale(zero=False),
        axis=_value_axis(x, feature),
    )
    y_enc = alt.Y(
        field="y", type="quantitative", scale=y_scale, axis=_value_axis(y, target)
    )
    scatter = (
        alt.Chart(points)
        .mark_circle(size=18, opacity=0.45, color=REFERENCE_COLOR)
        .encode(
            x=x_enc,
            y=y_enc,
            tooltip=[
                _tip("x", "quantitative", title=feature, format=".6g"),
                _tip("y", "quantitative", title=target, format=".6g"),
            ],
        )
    )
    fit = (
        alt.Chart(line_data)
        .mark_line(strokeWidth=2.5, clip=clip)
        .encode(
            x=x_enc,
            y=y_enc,
            color=color,
            strokeDash=alt.when(alt.datum.line == "least squares")
            .then(alt.value([6, 4]))
            .otherwise(alt.value([1, 0])),
            tooltip=[
                _tip("line", title="fitted line"),
                _tip("intercept", "quantitative", format=".6g"),
                _tip("slope", "quantitative", format=".6g"),
            ],
        )
    )
    subtitle = ["Data in original units; dashed: the least-squares line."]
    missing = sorted(set(titles) - set(line_data["line"]))
    if missing:
        subtitle.append(f"Not drawn (non-finite parameters): {', '.join(missing)}.")
    if clip:
        subtitle.append("Diverged runs' lines leave the chart.")
    subtitle += _sample_note(len(rows), dataset.n_samples)
    title = f"{target} against {feature}, with each variant's fitted line"
    chart = alt.layer(scatter, fit).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"),
        height=CURVES_HEIGHT,
    )
    return _described(
        chart,
        _sentence(
            f"Scatter plot: {title}",
            f"Each row's {target} against its {feature}, with the fitted lines of "
            f"{', '.join(sorted(set(line_data['line']), key=list(fitted).index))}",
            *subtitle,
        ),
    )


def _class_name(dataset, k: int) -> str:
    labels = dataset.class_labels
    return str(k) if labels is None else str(labels[k])


def _probability_histograms(comparison: Comparison) -> alt.FacetChart:
    """Counts of σ(Xθ) in 20 bins, per variant (columns) and actual class (rows).

    Binned over all rows in numpy, so no sampling is needed: at most 20 × 2 bars
    per variant are embedded, whatever the number of rows.
    """
    dataset = comparison.dataset
    edges = np.linspace(0.0, 1.0, 21)
    frames = [pd.DataFrame(columns=["variant", "actual", "from", "to", "rows"])]
    for title, theta in _finite_thetas(comparison).items():
        with np.errstate(all="ignore"):
            z = dataset.X @ theta
            probability = 0.5 * (1.0 + np.tanh(0.5 * z))  # σ(z) without overflow
        for k in (0, 1):
            chosen = probability[(dataset.y == k) & np.isfinite(probability)]
            counts, _ = np.histogram(chosen, bins=edges)
            frames.append(
                pd.DataFrame(
                    {
                        "variant": title,
                        "actual": f"actual: {_class_name(dataset, k)}",
                        "from": edges[:-1],
                        "to": edges[1:],
                        "rows": counts,
                    }
                )
            )
    data = pd.concat(frames, ignore_index=True)
    titles = _titles(comparison)
    positive = _class_name(dataset, 1)
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X(
                field="from",
                type="quantitative",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(title=f"predicted P({positive})", titleLimit=0),
            ),
            x2=alt.X2(field="to"),
            y=alt.Y(field="rows", type="quantitative", title="rows"),
            y2=alt.datum(0),
            color=_variant_color(titles, _diverged(comparison)),
            tooltip=[
                _tip("variant"),
                _tip("actual"),
                _tip("from", "quantitative", title="P from", format=".2f"),
                _tip("to", "quantitative", title="P to", format=".2f"),
                _tip("rows", "quantitative", format=","),
            ],
        )
    )
    threshold = _once_per_facet(
        alt.Chart()
        .mark_rule(color=REFERENCE_COLOR, strokeDash=[4, 3])
        .encode(x=alt.datum(0.5)),
        ["variant", "actual"],
    )
    subtitle = [
        f"Right of the 0.5 line a row is predicted '{positive}', left of it "
        f"'{_class_name(dataset, 0)}'.",
        f"All {dataset.n_samples:,} training rows.",
    ]
    missing = sorted(set(titles) - set(data["variant"]))
    if missing:
        subtitle.append(f"Not shown (non-finite parameters): {', '.join(missing)}.")
    accuracy = _score_line(comparison, "accuracy", ".1%")
    title = "Predicted probability by actual class" + (
        f" — {accuracy}" if accuracy else ""
    )
    chart = (
        alt.layer(bars, threshold, data=data)
        .properties(width=220, height=110)
        .facet(
            column=alt.Column(field="variant", type="nominal", sort=titles, title=None),
            row=alt.Row(field="actual", type="nominal", title=None),
            title=alt.TitleParams(title, subtitle=subtitle, anchor="start"),
        )
    )
    return _described(
        chart,
        _sentence(
            f"Histograms: {title}",
            f"For each variant and each actual class, how many rows get each "
            f"predicted probability of '{positive}', with the 0.5 threshold",
            *subtitle,
        ),
    )


def fit_view(comparison: Comparison) -> alt.TopLevelMixin:
    """How well each variant's final parameters fit the training rows.

    * Regression, one feature: the data in original units with each variant's
      fitted line and the least-squares line.
    * Regression, several features: predicted against actual, one panel per
      variant, with the line predicted = actual.
    * Classification: histograms of the predicted probability σ(Xθ) per variant
      and actual class, with the 0.5 decision threshold; accuracy in the title.

    Scatter plots show a seeded sample of at most ``MAX_FIT_POINTS`` rows and say
    so; histograms are binned over all rows.

    Parameters
    ----------
    comparison : Comparison

    Returns
    -------
    alt.LayerChart or alt.FacetChart
    """
    dataset = comparison.dataset
    if dataset.task == "logistic":
        return _probability_histograms(comparison)
    if dataset.n_features - int(dataset.has_intercept) == 1:
        return _fitted_lines(comparison)
    return _predicted_vs_actual(comparison)


# --------------------------------------------------------------------------------------
# The function explorer: animation in the browser, and the 1-D curve
# --------------------------------------------------------------------------------------

# Update rules side by side in the explorer: four Okabe–Ito hues, with ochre
# and violet in place of its orange and sky blue, which fall below 3:1 on
# white; every colour keeps >= 3:1 on white and on Streamlit's dark #0E1117.
RULE_COLORS = {
    "plain": "#0072B2",
    "momentum": "#D55E00",
    "nesterov": "#009E73",
    "adagrad": "#CC79A7",
    "rmsprop": "#A67C00",
    "adam": "#8E6AC8",
}


def animate_paths(
    fig: go.Figure,
    paths: Sequence[Path3D],
    *,
    three_d: bool,
    max_frames: int = 150,
    frame_ms: int = 60,
    caption: Callable[[int], str] | None = None,
) -> go.Figure:
    """Add a moving marker per path with Play/Pause and a step slider (in the browser).

    The animation runs in Plotly itself, so playing it sends nothing to the
    server: no rerun, no flicker, and a 3-D camera the user turned stays put.
    Frames follow the longest path; shorter paths rest at their last point.
    ``caption(k)``, if given, is plain text shown above the plot at frame k
    (point index k of the longest path), e.g. the read-outs of that step; it is
    escaped and wrapped to a phone's width. The legend moves under the Play
    button and slider, so that neither covers the read-out.
    """
    if not paths:
        return fig
    marker = go.Scatter3d if three_d else go.Scatter
    longest = max(len(p.a) for p in paths)
    steps = _evenly(longest, max_frames)
    first = len(fig.data)

    def points(k: int) -> list:
        out = []
        for path in paths:
            i = min(k, len(path.a) - 1)
            coords = {"x": [path.a[i]], "y": [path.b[i]]}
            if three_d:
                coords["z"] = [path.z[i]]
            out.append(
                marker(
                    **coords,
                    mode="markers",
                    marker={"color": path.color, "size": 9 if three_d else 12,
                            "line": {"color": "white", "width": 1}},
                    name=_text(f"{path.name} (now)"),
                    showlegend=False,
                    hoverinfo="skip",
                )
            )  # fmt: skip
        return out

    for trace in points(0):
        fig.add_trace(trace)
    indices = list(range(first, first + len(paths)))
    longest_path = max(paths, key=lambda p: len(p.a))
    # Frame names must be unique: label frames by the longest path's steps.
    labels = [
        str(int(longest_path.steps[k])) if longest_path.steps is not None else str(k)
        for k in steps
    ]

    texts = {int(k): caption(int(k)) for k in steps} if caption is not None else {}

    def note(k: int) -> list[dict]:
        if caption is None:
            return []
        return [
            {
                "text": _wrap(texts[int(k)] if int(k) in texts else caption(int(k))),
                "xref": "paper",
                "yref": "paper",
                "x": 0.0,
                "y": 1.0,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "align": "left",
                "font": {"size": 13},
                "name": "readout",
            }
        ]

    fig.frames = [
        go.Frame(
            data=points(int(k)),
            traces=indices,
            name=label,
            layout={"annotations": note(k)} if caption else None,
        )
        for k, label in zip(steps, labels, strict=True)
    ]
    if caption is not None:
        fig.update_layout(annotations=note(0))
    play = {
        "frame": {"duration": frame_ms, "redraw": three_d},
        "fromcurrent": True,
        "transition": {"duration": 0},
    }
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    # From the top: title, read-out, plot, (x axis), Play and slider, legend.
    read_out = max((_lines(text) for text in texts.values()), default=0)
    top = (fig.layout.margin.t or MODEBAR_ROOM + 40) + 20 * read_out
    axis = 0 if three_d else AXIS_ROOM
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    said = _sentence(
        meta.get("description", ""),
        "Play and the step slider move a marker along each path",
    )
    fig.update_layout(
        margin={"t": top},
        meta={**meta, "description": said},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": -0.02,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"r": 8, "t": 8 + axis},
                # Plotly's near-white buttons would hide the theme's light
                # text in dark mode: a translucent grey suits both themes.
                "bgcolor": "rgba(128, 128, 128, 0.2)",
                "bordercolor": REFERENCE_COLOR,
                "showactive": False,
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {"label": "❚❚ Pause", "method": "animate",
                     "args": [[None], pause]},
                ],
            }
        ],
        sliders=[
            {
                # Under the buttons at full width, its "step" read-out at the
                # right: beside the buttons it would overlap them on a phone.
                "active": 0,
                "x": 0.0,
                "len": 1.0,
                "y": -0.02,
                "yanchor": "top",
                "pad": {"t": 44 + axis},
                "currentvalue": {"prefix": "step ", "font": {"size": 12},
                                 "xanchor": "right"},
                "steps": [
                    {"label": label, "method": "animate",
                     "args": [[label], {**pause, "frame": {"duration": 0,
                                                           "redraw": three_d}}]}
                    for label in labels
                ],
            }
        ],
    )  # fmt: skip
    _legend_under_axis(fig, below=CONTROLS_HEIGHT, axis=axis)
    return fig


def curve_figure(
    xs: np.ndarray,
    fx: np.ndarray,
    paths: Sequence[Path3D],
    *,
    title: str,
    current: tuple[float, float, float] | None = None,
    variable: str = "x",
    y_range: tuple[float, float] | None = None,
    height: int = 420,
) -> go.Figure:
    """f(x) with each path's points on it and the tangent line at the current point.

    ``paths`` reuse ``Path3D`` with a = x, b = f(x) (z unused); ``current`` is
    (x, f(x), f'(x)): the tangent through it has slope f'(x), the gradient in 1-D.
    """
    var = _text(variable)
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=np.where(np.isfinite(fx), fx, np.nan),
            mode="lines",
            name=f"f({var})",
            line={"color": REFERENCE_COLOR, "width": 2},
            hovertemplate=f"{var} = %{{x:.4g}}<br>f = %{{y:.6g}}<extra></extra>",
        )
    )
    for path in paths:
        fig.add_trace(
            go.Scatter(
                x=path.a,
                y=path.b,
                mode="lines+markers",
                name=_text(path.name),
                line={"color": path.color, "width": 1, "dash": "dot"},
                marker={"color": path.color, "size": 7},
                customdata=path.steps,
                hovertemplate=f"step %{{customdata}}<br>{var} = %{{x:.6g}}"
                f"<br>f = %{{y:.6g}}<extra>{_text(path.name)}</extra>",
            )
        )
    if current is not None and all(np.isfinite(current)):
        x0, f0, slope = current
        half = (xs.max() - xs.min()) / 8
        fig.add_trace(
            go.Scatter(
                x=[x0 - half, x0 + half],
                y=[f0 - slope * half, f0 + slope * half],
                mode="lines",
                name=f"tangent, slope f′ = {slope:.4g}",
                line={"color": CURRENT_COLOR, "width": 2, "dash": "dash"},
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[x0], y=[f0], mode="markers", name="current point",
                marker={"color": CURRENT_COLOR, "size": 13, "symbol": "circle-open",
                        "line": {"width": 3}},
            )
        )  # fmt: skip
    block, top = _title_block(title)
    what = (
        f"A line chart of f({variable}) against {variable}"
        + (f", with the steps of {_names(paths)}" if paths else "")
        + (" and the tangent at the current point" if current is not None else "")
    )
    fig.update_layout(
        title=block,
        height=height,
        margin={"l": 10, "r": 10, "t": top},
        xaxis={"title": {"text": var}},
        yaxis={"title": {"text": f"f({var})"}, "range": y_range},
        uirevision="keep",
        meta={"description": _sentence(title, what)},
    )
    _legend_under_axis(fig)
    return fig
