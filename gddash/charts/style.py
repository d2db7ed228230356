"""What every chart shares: colours, sizes, and how user text and axes are shown.

* **Colours.** Each variant keeps one colour everywhere (``VARIANT_COLORS``,
  Okabe–Ito hues that colour-blind readers can tell apart). Every fixed colour
  drawn on the page background keeps at least 3:1 contrast on white and on
  Streamlit's dark background, and no text or background colour is fixed, so
  the page's theme applies. Surfaces and contour fills are grey
  (``SURFACE_COLORSCALE``), so the coloured paths are the only hues on a plot.
* **User text is data, never markup.** Column names, formulas and file names
  reach Altair only as titles and data values (encodings name internal fields,
  ``field_tip``), and reach Plotly, which reads titles, legend names and hover
  text as an HTML subset, only through ``plain_text`` or ``wrapped``.
* **Every chart says what it shows** (``description``).
* **Phones.** Legends sit under the chart, labels never cut; Plotly titles
  start below the modebar and wrap at ``WRAP_CHARS``.
"""

from __future__ import annotations

import html
import json
import math
import textwrap
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gddash.compare import VARIANT_TITLES, Comparison

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
MAX_DATASET_ROWS = 5_000  # rows per embedded dataset (Altair's default limit)
WRAP_CHARS = 56  # characters per line of a Plotly title (a phone's width)
MODEBAR_ROOM = 32  # px above a Plotly title, where the modebar sits
AXIS_ROOM = 56  # px under a flat plot for the x axis's tick labels and title
LEGEND_ROW = 26  # px per row of a horizontal Plotly legend


def evenly(k: int, limit: int) -> np.ndarray:
    """At most ``limit`` indices into range(k), evenly spread, first and last kept."""
    if k <= limit:
        return np.arange(k)
    return np.unique(np.round(np.linspace(0, k - 1, limit)).astype(int))


def sample_rows(n: int, limit: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of a seeded random sample of at most ``limit`` of n rows."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def field_tip(field: str, kind: str = "nominal", **options: object) -> alt.Tooltip:
    """A tooltip naming its field as data, never as Altair shorthand."""
    return alt.Tooltip(field=field, type=kind, **options)


def variant_titles(comparison: Comparison) -> list[str]:
    """The display titles of the comparison's variants, in its order."""
    return [VARIANT_TITLES[v] for v in comparison.traces]


def diverged_titles(comparison: Comparison) -> list[str]:
    """The titles of the variants whose first-seed run diverged."""
    return [
        VARIANT_TITLES[v]
        for v in comparison.traces
        if comparison.primary(v).status == "diverged"
    ]


def variant_color(
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


def plain_text(value: object) -> str:
    """Text shown literally by Plotly, which reads titles, names and hover text
    as an HTML subset: ``&``, ``<`` and ``>`` become entities, and so does ``%``,
    so that "%{x}" in a name is not a hover placeholder. (Plotly knows numeric
    entities and only a few named ones: quotes stay as they are.)"""
    return html.escape(str(value), quote=False).replace("%", "&#37;")


def wrapped(text: str, width: int = WRAP_CHARS) -> str:
    """Plotly titles do not wrap: break long text into escaped lines with <br>.

    ``width`` characters fit a phone's 390 px at Plotly's title font sizes.
    """
    if not text:
        return ""
    return "<br>".join(plain_text(line) for line in textwrap.wrap(text, width))


def line_count(text: str, width: int = WRAP_CHARS) -> int:
    """How many lines ``wrapped`` breaks ``text`` into."""
    return len(textwrap.wrap(text, width)) if text else 0


def sentence(*parts: str) -> str:
    """Parts joined into one description, each ending with a full stop."""
    return " ".join(p if p.endswith((".", "?", "!")) else p + "." for p in parts if p)


def described(chart: alt.TopLevelMixin, what: str) -> alt.TopLevelMixin:
    """The chart with a ``description``: Vega's accessible name for it."""
    return chart.properties(description=what)


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


def log_axis(values: np.ndarray | pd.Series, title: str) -> alt.Axis:
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


def integer_like(values: np.ndarray) -> bool:
    """Whether every finite value is a whole number below 10,000 in size.

    Such values (years, counts, ratings) are labelled without thousands
    separators or decimals: 1980, not "1,980" or "1,980.5".
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not values.size or np.abs(values).max() >= 10_000:
        return False
    return bool(np.all(np.abs(values - np.round(values)) <= 1e-9 * np.abs(values)))


def value_axis(values: np.ndarray, title: str) -> alt.Axis:
    """An axis for a data column, its title never cut (``titleLimit=0``)."""
    if integer_like(values):
        return alt.Axis(title=title, format="d", tickMinStep=1, titleLimit=0)
    return alt.Axis(title=title, titleLimit=0)


def title_block(title: str, note: str = "") -> tuple[dict, int]:
    """A Plotly title (and note as subtitle) that starts below the modebar, and
    the top margin in px that holds both.

    The modebar floats over the top right of a figure; on a phone it would
    cover a title that started at the top, so the title leaves it a strip.
    """
    block = {
        "text": wrapped(title),
        "subtitle": {"text": wrapped(note)},
        "yref": "container",
        "y": 1.0,
        "yanchor": "top",
        "pad": {"t": MODEBAR_ROOM},
    }
    top = MODEBAR_ROOM + 24 * max(line_count(title), 1) + 18 * line_count(note) + 16
    return block, top


def legend_rows(fig: go.Figure) -> int:
    """Rows of a horizontal legend on a phone, which fits about two entries."""
    entries = sum(
        1
        for trace in fig.data
        if trace.type not in ("surface", "contour") and trace.showlegend is not False
    )
    return math.ceil(entries / 2)


def legend_under_axis(fig: go.Figure, below: int = 0, axis: int = AXIS_ROOM) -> None:
    """The legend at the bottom of the figure, under ``axis`` px for the x axis's
    labels and title and ``below`` px of controls, never on them."""
    fig.update_layout(
        margin={"b": axis + below + LEGEND_ROW * legend_rows(fig)},
        legend={
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0.0,
            "xanchor": "left",
            "x": 0.0,
        },
    )
