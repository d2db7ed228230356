"""Chart builders: a ``Comparison`` (or a grid of values) in, a chart or figure out.

Every builder is a pure function: it reads its arguments, returns an Altair chart
(2-D charts) or a Plotly figure (3-D surfaces, contours and animations), and
draws nothing itself. The pages render them; the tests read their specs
(``chart.to_dict()``, ``fig.data``, ``fig.layout``).

Modules, one job each:

* ``style``: colours, sizes, and how user text and axes are shown (shared);
* ``curves``: loss and gradient-norm curves, and the learn page's line charts;
* ``surfaces``: ``SurfaceGrid``, ``Path3D``, ``ArrowField`` and the surface,
  contour and function-curve figures;
* ``fits``: how well the final parameters fit the data;
* ``models``: the coefficient path over alpha, the confusion matrix and the
  accuracy per class;
* ``tuning``: the tune page's sweeps and races;
* ``animation``: paths played in the browser.

The loss slice a surface draws is computed in ``gddash.slices``.
"""

from __future__ import annotations

from gddash.charts.animation import CONTROLS_HEIGHT, animate_paths
from gddash.charts.curves import (
    BAND_POINTS,
    MAX_LINE_POINTS,
    X_AXES,
    batch_size_sweep,
    gradient_norms,
    loss_curves,
    slope_decay,
)
from gddash.charts.fits import MAX_FIT_POINTS, class_views, fit_view
from gddash.charts.models import class_accuracy, coefficient_path, confusion_matrix
from gddash.charts.style import (
    AXIS_ROOM,
    CURRENT_COLOR,
    LEGEND_ROW,
    MAX_DATASET_ROWS,
    MODEBAR_ROOM,
    OPTIMUM_COLOR,
    REFERENCE_COLOR,
    RULE_COLORS,
    SURFACE_COLORSCALE,
    VARIANT_COLORS,
    WRAP_CHARS,
    description,
)
from gddash.charts.surfaces import (
    MAX_PATH_POINTS,
    ArrowField,
    Path3D,
    SurfaceGrid,
    arrow_field,
    comparison_paths,
    contour_figure,
    curve_figure,
    surface_figure,
)
from gddash.charts.tuning import (
    eigenvalue_chart,
    range_test_chart,
    sweep_heatmap,
    sweep_rows,
    theory_chart,
)

__all__ = [
    "AXIS_ROOM",
    "BAND_POINTS",
    "CONTROLS_HEIGHT",
    "CURRENT_COLOR",
    "LEGEND_ROW",
    "MAX_DATASET_ROWS",
    "MAX_FIT_POINTS",
    "MAX_LINE_POINTS",
    "MAX_PATH_POINTS",
    "MODEBAR_ROOM",
    "OPTIMUM_COLOR",
    "REFERENCE_COLOR",
    "RULE_COLORS",
    "SURFACE_COLORSCALE",
    "VARIANT_COLORS",
    "WRAP_CHARS",
    "X_AXES",
    "ArrowField",
    "Path3D",
    "SurfaceGrid",
    "animate_paths",
    "arrow_field",
    "batch_size_sweep",
    "class_accuracy",
    "class_views",
    "coefficient_path",
    "comparison_paths",
    "confusion_matrix",
    "contour_figure",
    "curve_figure",
    "description",
    "eigenvalue_chart",
    "fit_view",
    "gradient_norms",
    "loss_curves",
    "range_test_chart",
    "slope_decay",
    "surface_figure",
    "sweep_heatmap",
    "sweep_rows",
    "theory_chart",
]


def __getattr__(name: str) -> object:
    """``charts.slice_grid``, for callers that still import it from here: the
    slice is computed in ``gddash.slices``. Imported on first use, because
    ``gddash.slices`` itself imports ``charts.surfaces``."""
    if name == "slice_grid":
        from gddash.slices import slice_grid

        return slice_grid
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
