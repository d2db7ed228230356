"""A comparison written to a folder: the page's table, traces, charts and settings.

table.csv, traces.csv, traces.parquet, loss_curves.html and gradient_norms.html
(Altair's ``chart.save``), surface.html and contours.html (Plotly's
``write_html``: the loss over the first two parameters with every variant's path,
as the page draws them), settings.json: the same numbers the page shows, for a
job without a browser. The HTML files load Vega and plotly.js from their CDNs.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from gddash import charts, compare, export
from gddash.scale.compare import from_sums, surface_grid


def write(
    comparison: compare.Comparison, out: Path, settings: dict, problem=None
) -> list[Path]:
    """Write every file into ``out`` (created if needed); return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def put(name: str, data: bytes) -> None:
        (out / name).write_bytes(data)
        written.append(out / name)

    put("table.csv", export.csv_bytes(comparison.table))
    put("traces.csv", compare.traces_csv(comparison))
    compare.traces_frame(comparison).to_parquet(out / "traces.parquet", index=False)
    written.append(out / "traces.parquet")
    for name, chart in (
        ("loss_curves.html", charts.loss_curves(comparison)),
        ("gradient_norms.html", charts.gradient_norms(comparison)),
    ):
        chart.save(str(out / name))
        written.append(out / name)
    notes = []
    if len(comparison.optimum.theta) >= 2:
        grid, note = loss_grid(comparison, problem)
        notes += [note] if note else []
        paths = charts.comparison_paths(comparison, grid)
        star = comparison.optimum
        marker = (star.theta[0], star.theta[1], star.loss)
        for name, draw, title in (
            ("surface.html", charts.surface_figure, "Loss over two parameters"),
            ("contours.html", charts.contour_figure, "Contours of the loss"),
        ):
            figure = draw(grid, paths, title=title, optimum=marker)
            figure.write_html(out / name, include_plotlyjs="cdn")
            written.append(out / name)
    summary = {**settings, "verdict": comparison.verdict,
               "optimum": comparison.optimum.note}  # fmt: skip
    if notes:
        summary["notes"] = [*summary.get("notes", []), *notes]
    put("settings.json", json.dumps(summary, indent=2, default=str).encode())
    return written


def loss_grid(comparison: compare.Comparison, problem=None):
    """(grid, note) of the loss over θ₀, θ₁ as the page draws it
    (``scale.compare.surface_grid``); off least squares the note, also put in
    the figure's subtitle, says it is the sample's."""
    grid = surface_grid(comparison, problem)
    if from_sums(problem):
        return grid, None
    rows = len(comparison.dataset.y)
    note = (
        f"The surface and contours are the loss over the first {rows:,} rows of "
        "the source (a point over every row would be a pass over it); the paths "
        "are drawn at their loss over every row."
    )
    return dataclasses.replace(grid, note=f"{note} {grid.note}"), note
