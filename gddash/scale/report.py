"""A comparison written to a folder: the page's table, traces, charts and settings.

table.csv, traces.csv, traces.parquet, loss_curves.html and gradient_norms.html
(Altair's ``chart.save``), contours.html (Plotly's ``write_html``, squared loss),
settings.json: the same numbers the page shows, for a job without a browser.
"""

from __future__ import annotations

import json
from pathlib import Path

from gddash import charts, compare, export, slices


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
    if comparison.dataset.task == "linear" and len(comparison.optimum.theta) >= 2:
        grid = slices.slice_grid(comparison, 0, 1, n=40, problem=problem)
        figure = charts.contour_figure(grid, [], title="Loss over θ₀ and θ₁")
        figure.write_html(out / "contours.html", include_plotlyjs="cdn")
        written.append(out / "contours.html")
    summary = {**settings, "verdict": comparison.verdict,
               "optimum": comparison.optimum.note}  # fmt: skip
    put("settings.json", json.dumps(summary, indent=2, default=str).encode())
    return written
