"""The comparison on a large source: the page's table and traces, from passes.

Squared loss: one pass, then batch descent and θ* in O(d²). Log-loss: one pass
per batch step and per Newton step. SGD and mini-batch: streamed. The result is
a ``gddash.compare.Comparison``, so the table, verdict and charts are the page's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from gddash import compare
from gddash.data.dataset import Dataset
from gddash.engine import plan
from gddash.errors import SettingsError
from gddash.scale import gram, passes
from gddash.scale.columns import arrays, choose
from gddash.scale.sources import Source
from gddash.scale.stream import BUFFER_ROWS, Progress, StreamSettings, stream, to_trace

SAMPLE_ROWS = 10_000  # rows of the first partition kept for the accuracy column
TASKS = ("linear", "logistic")


def compare_source(
    source: Source,
    target: str,
    features: list[str] | None,
    settings: compare.CompareSettings,
    *,
    task: str = "linear",
    buffer_rows: int = BUFFER_ROWS,
    progress: Callable[[str, Progress | None], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[compare.Comparison, object]:
    """Run every variant of ``settings`` on ``source``; return (comparison, problem).

    ``progress(label, Progress or None)`` is called as each run starts (None)
    and after each streamed chunk. R² is over all rows (from the one-pass
    sums); a logistic comparison's accuracy is over the first partition's rows.
    """
    if task not in TASKS:
        raise SettingsError(f"The task must be one of {TASKS}. Got {task!r} instead.")
    if settings.budget != "epochs":
        raise SettingsError(
            "A large source is compared on an epochs budget: use budget='epochs'."
        )
    columns, frame = choose(source, target, features)
    stats = gram.moments(frame, columns)
    scale = gram.scaling(stats, columns)
    penalty = settings.descent.penalty_term
    compact = gram.compact_problem(gram.gram(stats, scale))
    if task == "linear":
        problem = compact
        found = compare.optimum_for(None, compact, penalty)
    else:
        problem = passes.PassProblem(frame, columns, scale, stats.n)
        best = passes.newton_minimum(problem, penalty)
        found = compare.Optimum(
            best.theta, best.loss, best.method, closed_form=False,
            separable=best.separable, penalty=penalty,
        )  # fmt: skip

    def evaluate(thetas):
        return problem.evaluate(thetas, penalty)

    traces = []
    for variant, k in compare.runs_of(settings):
        label = compare.run_label(variant, k, settings.repeats)
        if progress is not None:
            progress(label, None)
        run_settings = settings.settings_for(variant, k)
        if variant == "batch" or plan(stats.n, run_settings).as_batch:
            # A mini-batch of every row is batch descent, as descend runs it.
            traces.append(gram.batch_trace(problem, run_settings, stats.n))
            continue
        streaming = StreamSettings(
            descent=run_settings, epochs=settings.epochs, buffer_rows=buffer_rows
        )
        report = None
        if progress is not None:
            report = functools.partial(progress, label)
        streamed = stream(
            frame,
            columns,
            scale,
            stats.n,
            streaming,
            task=task,
            progress=report,
            stop=stop,
        )
        traces.append(to_trace(streamed, evaluate, streaming, stats.n))
    dataset = _sample(frame, columns, scale, task)
    comparison = compare.assemble(dataset, settings, traces, found)
    if task == "linear":
        comparison = _with_full_r2(comparison, compact, stats)
    else:
        table = comparison.table.rename(
            columns={"accuracy": f"accuracy (first {len(dataset.y):,} rows)"}
        )
        comparison = _replace(comparison, table=table)
    return comparison, problem


def _sample(frame, columns, scale, task: str) -> Dataset:
    """The first partition's rows (at most ``SAMPLE_ROWS``) as a ``Dataset``."""
    x, y, _ = arrays(frame.to_delayed()[0].compute(), columns)
    X = scale.design(x[:SAMPLE_ROWS])
    return Dataset(
        X=X,
        y=y[:SAMPLE_ROWS],
        feature_names=scale.parameter_names,
        target_name=columns.target,
        task=task,
        means=scale.means,
        scales=scale.scales,
        class_labels=(0.0, 1.0) if task == "logistic" else None,
        notes=scale.notes,
    )


def _with_full_r2(comparison, compact, stats):
    """R² = 1 − mean(r²)/var(y) over all rows: mean(r²) = 2·L(θ) from the sums."""
    variance = stats.comoment[-1, -1] / stats.n
    table = comparison.table.copy()
    for row, variant in enumerate(comparison.traces):
        theta = comparison.primary(variant).theta
        if np.isfinite(theta).all():
            loss = float(compact.evaluate(theta[None, :])[0][0])
            table.loc[row, "R²"] = 1.0 - 2.0 * loss / variance
    return _replace(comparison, table=table)


def _replace(comparison, **changes):
    import dataclasses

    return dataclasses.replace(comparison, **changes)
