"""What the comparison layer costs, and how fast an exact loss surface is.

Prints, in one run:

1. ``compare.run`` of batch, SGD and mini-batch (10 epochs) at 10⁵ and 10⁶ rows
   against the sum of the bare engine calls it makes (one problem build plus
   three ``descend`` calls): the traces, the optimum, the table and the verdict
   should add at most 20%.
2. A 100 × 100 loss-surface grid at 10⁶ rows (``charts.slice_grid``, the engine's
   O(d²)-per-point anchored quadratic) against the naive evaluation of the loss
   over all rows at every grid point: at least 100× faster, same values to 1e-9
   relative. The naive side is timed on a sample of grid points and scaled up
   (it would take minutes in full); its values are compared on that sample.

Run: ``python benchmarks/compare.py`` (about a minute) or ``--quick`` (10⁵ only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gddash import charts, compare
from gddash.data import Dataset
from gddash.engine import LinearRegression, Settings, descend


def synthetic(n: int, d: int = 10, seed: int = 0) -> Dataset:
    """Standardized-looking features with an intercept, a linear target + noise."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, d - 1))])
    y = X @ rng.uniform(-2, 2, d) + 0.5 * rng.standard_normal(n)
    names = ("intercept", *(f"x{j}" for j in range(1, d)))
    return Dataset(X, y, names, "y", "linear")


def median_seconds(work, repeats: int) -> float:
    work()  # warm-up: compiles the kernels, fills caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def comparison_overhead(n: int, repeats: int) -> tuple[float, float]:
    dataset = synthetic(n)
    settings = compare.CompareSettings(
        epochs=10, descent=Settings(learning_rate=0.05, eps=0)
    )

    def bare() -> None:
        problem = LinearRegression(dataset.X, dataset.y)
        for variant, k in compare.runs_of(settings):
            descend(problem, settings.settings_for(variant, k))

    def full() -> None:
        compare.run(dataset, settings)

    return median_seconds(bare, repeats), median_seconds(full, repeats)


def surface_speed(n: int, sample: int) -> tuple[float, float, float]:
    """Seconds for the grid, naive seconds scaled to the grid, max relative error."""
    dataset = synthetic(n)
    settings = compare.CompareSettings(epochs=1, descent=Settings(learning_rate=0.05))
    comparison = compare.run(dataset, settings)
    problem = compare.problem_for(dataset)
    grid_time = median_seconds(
        lambda: charts.slice_grid(comparison, 1, 2, n=100, problem=problem), 3
    )
    grid = charts.slice_grid(comparison, 1, 2, n=100, problem=problem)
    rng = np.random.default_rng(1)
    picks = rng.choice(100 * 100, size=sample, replace=False)
    X, y = dataset.X, dataset.y
    errors = []
    start = time.perf_counter()
    for flat in picks:
        row, col = divmod(int(flat), 100)
        theta = comparison.optimum.theta.copy()
        theta[1], theta[2] = grid.a[col], grid.b[row]
        residual = X @ theta - y  # the naive way: every row, every grid point
        naive = float(residual @ residual) / (2 * n)
        errors.append(abs(grid.Z[row, col] - naive) / naive)
    naive_time = (time.perf_counter() - start) / sample * 100 * 100
    return grid_time, naive_time, max(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10⁵ rows only")
    args = parser.parse_args()
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    print("gddash comparison-layer benchmark")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    header = ("rows", "bare engine", "compare.run", "overhead")
    print(f"{header[0]:>10}  {header[1]:>12}  {header[2]:>12}  {header[3]:>9}  target")
    for n in sizes:
        bare, full = comparison_overhead(n, repeats=3 if n > 100_000 else 5)
        overhead = full / bare - 1
        check = "PASS" if overhead <= 0.20 else "MISS"
        print(
            f"{n:>10,}  {bare * 1e3:>9.1f} ms  {full * 1e3:>9.1f} ms  "
            f"{overhead:>8.1%}  <= 20%  {check}"
        )
    n = sizes[-1]
    grid_time, naive_time, error = surface_speed(n, sample=40 if args.quick else 25)
    ratio = naive_time / grid_time
    check = "PASS" if ratio >= 100 and error <= 1e-9 else "MISS"
    print(
        f"\n100 x 100 loss surface at {n:,} rows: grid {grid_time * 1e3:.1f} ms, "
        f"naive (scaled from a sample) {naive_time:.1f} s -> {ratio:,.0f}x faster "
        f"(target >= 100x), max relative difference {error:.1e} (target <= 1e-9)  "
        f"{check}"
    )


if __name__ == "__main__":
    main()
