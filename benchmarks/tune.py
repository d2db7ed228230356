"""How long the tune page's sweep takes: 6 rates × 6 batch sizes × 3 rules.

Prints, for the default sample (the noisy line, 200 rows) and a 10⁵-row sample
(the first 100,000 rows of the bundled large synthetic sample), the sweep's
time with two threads and with one, its cells and work, against the issue's
targets (issue 17): under 3 s and under 30 s on this 2-core machine. Also the
range test (three seeds) and the theory runs on the same data.

Run: ``python benchmarks/tune.py`` (about a minute) or ``--quick`` (default sample).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gddash import compare, data  # noqa: E402
from gddash.data import PrepareOptions  # noqa: E402
from gddash.engine import warm_up  # noqa: E402
from gddash.tuning import curvature, predictions, range_test, sweep  # noqa: E402
from tests.browser.chromium import machine  # noqa: E402

TARGETS = {"default sample": 3.0, "10⁵ rows": 30.0}


def default_sample() -> data.Dataset:
    frame = data.read_csv(data.load_sample("line"))
    return data.prepare(frame, "y", ["x"], PrepareOptions())


def hundred_thousand_rows() -> data.Dataset:
    # Read with bare pandas: the page's reader caps an upload's cells.
    frame = pd.read_csv(io.BytesIO(data.load_sample("large"))).head(100_000)
    features = [c for c in frame.columns if c != "y"]
    return data.prepare(frame, "y", features, PrepareOptions())


def timed(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(name: str, dataset: data.Dataset, repeats: int) -> bool:
    problem = compare.problem_for(dataset)
    optimum = compare.optimum_for(dataset, problem)
    bend = curvature.dataset_curvature(dataset, optimum.theta)
    stable = problem.stable_learning_rate(dataset.n_samples)
    settings = sweep.SweepSettings(
        rates=sweep.rate_grid(stable, 6),
        batch_sizes=sweep.batch_grid(dataset.n_samples, 6, include=(32,)),
        rules=("plain", "momentum", "adam"),
        epochs=20.0,
    )
    work = sweep.check_work(
        dataset.n_samples, dataset.n_features, dataset.task, settings
    )
    two = timed(lambda: sweep.run(problem, optimum, settings, threads=2), repeats)
    one = timed(lambda: sweep.run(problem, optimum, settings, threads=1), 1)
    ranges = timed(
        lambda: range_test.run_seeds(problem, range_test.RangeSettings(), 3), repeats
    )
    theory = timed(
        lambda: predictions.demonstrations(
            dataset,
            problem,
            optimum,
            bend,
            learning_rate=compare.suggested_learning_rate(dataset),
            batch_size=32,
            epochs=20.0,
        ),
        repeats,
    )
    target = TARGETS[name]
    verdict = "PASS" if two < target else "MISS"
    print(
        f"{name}: {dataset.n_samples:,} rows × {dataset.n_features} parameters, "
        f"{settings.n_cells} cells of 20 epochs, {work / 1e6:,.0f} million products"
    )
    print(
        f"  sweep, 2 threads {two:6.2f} s   (1 thread {one:6.2f} s, "
        f"speed-up {one / two:.2f}×)   target < {target:g} s   {verdict}"
    )
    print(f"  range test, 3 seeds {ranges:6.2f} s;  theory, 4 runs {theory:6.2f} s")
    return verdict == "PASS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="default sample only")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    warm_up()  # compile (or load) the loops first: a server does it at start
    cases = [("default sample", default_sample)]
    if not args.quick:
        cases.append(("10⁵ rows", hundred_thousand_rows))
    results = [measure(name, make(), args.repeats) for name, make in cases]
    print("all PASS" if all(results) else "some MISS")


if __name__ == "__main__":
    main()
