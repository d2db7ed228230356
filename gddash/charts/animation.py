"""Descent paths played in the browser: Plotly frames, a Play button and a slider.

The animation runs in Plotly itself, so playing it sends nothing to the server:
no rerun, no flicker, and a 3-D camera the user turned stays put.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import plotly.graph_objects as go

from gddash.charts.style import (
    AXIS_ROOM,
    MODEBAR_ROOM,
    REFERENCE_COLOR,
    evenly,
    legend_under_axis,
    line_count,
    plain_text,
    sentence,
    wrapped,
)
from gddash.charts.surfaces import Path3D

CONTROLS_HEIGHT = 110  # px of an animation's Play buttons and, under them, slider
MAX_MARKERS = 300  # frames x paths in one animation


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
    Frames follow the longest path (at most ``max_frames``, and at most
    ``MAX_MARKERS`` markers in all); shorter paths rest at their last point.
    ``caption(k)``, if given, is plain text shown above the plot at frame k
    (point index k of the longest path), e.g. the read-outs of that step; it is
    escaped and wrapped to a phone's width. The legend moves under the Play
    button and slider, so that neither covers the read-out.
    """
    if not paths:
        return fig
    marker = go.Scatter3d if three_d else go.Scatter
    longest = max(len(p.a) for p in paths)
    # Every frame holds a marker per path, each a validated Plotly object: at most
    # MAX_MARKERS of them (six rules: 50 frames), the page's costliest Python.
    frames = max(2, min(max_frames, MAX_MARKERS // len(paths)))
    steps = evenly(longest, frames)
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
                    name=plain_text(f"{path.name} (now)"),
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
                "text": wrapped(texts[int(k)] if int(k) in texts else caption(int(k))),
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
    read_out = max((line_count(text) for text in texts.values()), default=0)
    top = (fig.layout.margin.t or MODEBAR_ROOM + 40) + 20 * read_out
    axis = 0 if three_d else AXIS_ROOM
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    said = sentence(
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
    legend_under_axis(fig, below=CONTROLS_HEIGHT, axis=axis)
    return fig
