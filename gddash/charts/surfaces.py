"""Functions of two coordinates on a grid, and descent paths over them (Plotly).

``SurfaceGrid`` holds the values, ``Path3D`` a path and ``ArrowField`` the
−∇f arrows; ``surface_figure`` draws a rotatable 3-D surface, ``contour_figure``
filled contours, and ``curve_figure`` a function of one variable. Every name
and title is shown as plain text (``plain_text``), and each figure says what
it shows in ``layout.meta["description"]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from gddash.charts.style import (
    ARROW_COLOR,
    ARROW_COLORSCALE,
    CURRENT_COLOR,
    OPTIMUM_COLOR,
    REFERENCE_COLOR,
    SURFACE_COLORSCALE,
    VARIANT_COLORS,
    evenly,
    legend_under_axis,
    plain_text,
    sentence,
    title_block,
)
from gddash.compare import VARIANT_TITLES, Comparison

MAX_PATH_POINTS = 300  # per path on a surface or contour
LOG_LEVELS_RATIO = 10.0  # max/median of Z − min beyond which contours are log-spaced


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
        keep = evenly(len(self.a), limit)
        if len(keep) == len(self.a):
            return self
        steps = None if self.steps is None else self.steps[keep]
        a, b, z = self.a[keep], self.b[keep], self.z[keep]
        return Path3D(self.name, a, b, z, self.color, steps)


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
        From ``gddash.slices.slice_grid`` (its ``i`` and ``j`` pick the
        coordinates).

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
        idx = idx[evenly(len(idx), MAX_PATH_POINTS)]
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
    a, b = plain_text(grid.a_name), plain_text(grid.b_name)
    text = f"{a} = %{{x:.6g}}<br>{b} = %{{y:.6g}}"
    if z:
        text += f"<br>{plain_text(grid.z_name)} = %{{z:.8g}}"
    return text


def _path_hover(grid: SurfaceGrid, path: Path3D, three_d: bool) -> str:
    step = "update %{customdata:,.0f}<br>" if path.steps is not None else ""
    value = "%{z:.8g}" if three_d else "%{text}"
    return (
        f"<b>{plain_text(path.name)}</b><br>{step}{_hover(grid, z=False)}"
        f"<br>{plain_text(grid.z_name)} = {value}<extra></extra>"
    )


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
    block, top = title_block(title, note)
    fig.update_layout(
        title=block,
        height=height,
        uirevision=uirevision,
        margin={"l": 10, "r": 10, "t": top, "b": 10},
        meta={"description": sentence(title, what, note)},
    )
    if flat:
        legend_under_axis(fig)
    else:
        fig.update_layout(
            legend={"orientation": "h", "yanchor": "top", "y": 0.0, "x": 0}
        )


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
            name=plain_text(grid.z_name),
            colorscale=SURFACE_COLORSCALE,
            opacity=0.8,
            contours=contours if floor_contours else None,
            colorbar={
                "title": {"text": plain_text(grid.z_name)},
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
                name=plain_text(path.name),
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
                    name=plain_text(name),
                    mode="markers",
                    marker={"color": color, "size": 8, "symbol": symbol},
                    hovertemplate=f"<b>{plain_text(name)}</b><br>{_hover(grid, z=True)}"
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
            "xaxis": {"title": {"text": plain_text(grid.a_name)}},
            "yaxis": {"title": {"text": plain_text(grid.b_name)}},
            "zaxis": {"title": {"text": plain_text(grid.z_name)}},
            "camera": {"eye": {"x": 1.2, "y": -1.3, "z": 0.8}},
            "aspectmode": "manual",
            "aspectratio": {"x": 1.0, "y": 1.0, "z": 0.7},
        },
    )
    return fig


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
    z_name = plain_text(grid.z_name)
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
                name=plain_text(path.name),
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
                    name=plain_text(name),
                    mode="markers",
                    marker={
                        "color": color,
                        "size": size,
                        "symbol": symbol,
                        "line": {"color": "white", "width": 1},
                    },
                    text=[f"{point[2]:.8g}"],
                    hovertemplate=f"<b>{plain_text(name)}</b><br>"
                    f"{_hover(grid, z=False)}"
                    f"<br>{plain_text(grid.z_name)} = %{{text}}<extra></extra>",
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
    fig.update_xaxes(title_text=plain_text(grid.a_name), range=[grid.a[0], grid.a[-1]])
    fig.update_yaxes(title_text=plain_text(grid.b_name), range=[grid.b[0], grid.b[-1]])
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
    var = plain_text(variable)
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
                name=plain_text(path.name),
                line={"color": path.color, "width": 1, "dash": "dot"},
                marker={"color": path.color, "size": 7},
                customdata=path.steps,
                hovertemplate=f"step %{{customdata}}<br>{var} = %{{x:.6g}}"
                f"<br>f = %{{y:.6g}}<extra>{plain_text(path.name)}</extra>",
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
    block, top = title_block(title)
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
        meta={"description": sentence(title, what)},
    )
    legend_under_axis(fig)
    return fig
