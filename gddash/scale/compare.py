"""The comparison on a large source: the page's table and traces, from passes.

Squared loss (any penalty): one pass, then batch descent and θ* in O(d²).
Log-loss and Huber (any penalty): one pass per batch step and per (proximal)
Newton step. SGD and mini-batch: streamed. The result is a
``gddash.compare.Comparison``, so the table, verdict and charts are the page's.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from gddash import compare, slices
from gddash.data.dataset import Dataset
from gddash.engine import Trace, plan
from gddash.errors import SettingsError
from gddash.scale import gram, passes
from gddash.scale.columns import arrays, choose
from gddash.scale.sources import Source, parquet_pieces
from gddash.scale.stream import (
    CHUNK_ROWS,
    Progress,
    StreamSettings,
    ending,
    learning_rates,
    stream,
    to_trace,
)

SAMPLE_ROWS = 10_000  # rows of the first piece kept for the fit and accuracy
TASKS = ("linear", "logistic")


def by_newton(task: str, epsilon: float | None) -> bool:
    """Whether θ* comes from Newton's method, a pass or two per step (the
    log-loss, Huber's loss), rather than from the one pass's sums (squared)."""
    return task == "logistic" or epsilon is not None


def from_sums(problem) -> bool:
    """Least squares: ``problem`` is the one-pass sums, O(d²) a loss at any n."""
    return getattr(problem, "kind", None) == "linear"


def surface_grid(comparison: compare.Comparison, problem, i: int = 0, j: int = 1):
    """The loss over θ_i, θ_j as a large source's page and report draw it: the
    whole source's for least squares (``problem``, the one-pass sums), else the
    sample's (``comparison.dataset``), since a point over every row would be a
    pass over the source (a 40 × 40 grid over 10⁸ rows: minutes)."""
    whole = problem if from_sums(problem) else None
    return slices.slice_grid(comparison, i, j, problem=whole)


def compare_source(
    source: Source,
    target: str,
    features: list[str] | None,
    settings: compare.CompareSettings,
    *,
    task: str = "linear",
    chunk_rows: int = CHUNK_ROWS,
    max_rows: int | None = None,
    max_seconds: float | None = None,
    progress: Callable[[str, Progress | None], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[compare.Comparison, object]:
    """Run every variant of ``settings`` on ``source``; return (comparison, problem).

    Parameters
    ----------
    task : {"linear", "logistic"}
        "linear" fits the squared loss, or Huber's loss when
        ``settings.epsilon`` is set (as on the compare page); "logistic" the
        log-loss of a 0/1 target. ``settings.descent``'s penalty (L2, L1,
        elastic net) applies to all of them.
    max_rows : int >= 1 or None
        Rows each streamed run (SGD, mini-batch) may process, besides
        ``settings.epochs``: whichever ends first ends the run.
    max_seconds : float > 0 or None
        Seconds each streamed run may take. Neither budget touches batch
        descent, whose steps on the squared loss cost O(d²) each; on other
        losses it takes ``settings.epochs`` passes.
    progress : callable or None
        ``progress(label, Progress or None)`` is called as each run starts
        (None) and after each streamed chunk.
    stop : callable or None
        Polled after every streamed chunk, before every pass of batch descent
        on a pass problem, and between runs. Once it returns True the run in
        progress ends there (its message says it was stopped by the user and
        after how many rows) and the remaining runs are skipped: the
        comparison holds the runs computed (``settings.variants`` narrowed to
        them). The first run always keeps at least its starting point. θ* is
        computed first: on a pass problem a stop also ends its Newton steps,
        and the optimum's note then says θ* is approximate.

    R² is over all rows (from the one-pass sums); a logistic comparison's
    accuracy is over the sample the fit chart draws (``_sample``: the first
    ``SAMPLE_ROWS`` rows of the first piece that has complete ones).
    """
    if task not in TASKS:
        raise SettingsError(f"The task must be one of {TASKS}. Got {task!r} instead.")
    if settings.budget != "epochs":
        raise SettingsError(
            "A large source is compared on an epochs budget: use budget='epochs'."
        )
    epsilon = settings.epsilon
    if epsilon is not None and task != "linear":
        raise SettingsError(
            "Huber regression needs a numeric target: use task='linear' with "
            "epsilon, or leave epsilon unset for logistic regression."
        )
    # The budgets are checked before any pass (StreamSettings names them).
    StreamSettings(max_rows=max_rows, max_seconds=max_seconds, chunk_rows=chunk_rows)
    columns, frame = choose(source, target, features)
    # A local Parquet source is read piece by piece straight through pyarrow,
    # by the Gram pass, the log-loss and Huber passes and every streamed run
    # (CSV and URLs through Dask).
    pieces = parquet_pieces(source, columns.names)
    stats = gram.moments(frame, columns, pieces=pieces)
    scale = gram.scaling(stats, columns)
    penalty = settings.descent.penalty_term
    compact = gram.compact_problem(gram.gram(stats, scale))
    if not by_newton(task, epsilon):
        # Squared loss, any penalty: θ* on the compact rows (closed form, or
        # coordinate descent with L1), whose loss is the source's at every θ.
        problem = compact
        found = compare.optimum_for(None, compact, penalty)
    else:
        loss = "log" if task == "logistic" else "huber"
        problem = passes.PassProblem(
            frame, columns, scale, stats.n, loss=loss, epsilon=epsilon or 0.1,
            pieces=None if pieces is None else tuple(pieces),
        )  # fmt: skip
        best = passes.newton_minimum(problem, penalty, stop=stop)
        note = best.method
        if not best.converged and stop is not None and stop():
            note += " (stopped by the user before it converged: θ* is approximate)"
        elif not best.converged:
            note += " (stopped at its iteration cap: θ* is approximate)"
        found = compare.Optimum(
            best.theta, best.loss, note, closed_form=False,
            separable=best.separable, problem=compare.identity(problem),
            penalty=penalty,
        )  # fmt: skip

    def evaluate(thetas):
        return problem.evaluate(thetas, penalty)

    def stopped() -> bool:
        return stop is not None and bool(stop())

    done = []  # (variant, trace) of every run computed
    for variant, k in compare.runs_of(settings):
        if done and stopped():
            break
        label = compare.run_label(variant, k, settings.repeats)
        if progress is not None:
            progress(label, None)
        run_settings = settings.settings_for(variant, k)
        if variant == "batch" or plan(stats.n, run_settings).as_batch:
            # A mini-batch of every row is batch descent, as descend runs it.
            if problem is compact or stop is None:
                trace = gram.batch_trace(problem, run_settings, stats.n)
            else:
                trace = _stoppable_batch(problem, run_settings, stats.n, stopped)
            done.append((variant, trace))
            continue
        streaming = StreamSettings(
            descent=run_settings,
            epochs=settings.epochs,
            max_rows=max_rows,
            max_seconds=max_seconds,
            chunk_rows=chunk_rows,
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
            epsilon=epsilon,
            pieces=pieces,
            progress=report,
            stop=stop,
        )
        done.append((variant, to_trace(streamed, evaluate, streaming, stats.n)))
    dataset = _sample(frame, columns, scale, task, pieces)
    comparison = _assemble(dataset, settings, done, found)
    if task == "linear":
        comparison = _with_full_r2(comparison, compact, stats)
    else:
        table = comparison.table.rename(
            columns={"accuracy": f"accuracy (first {len(dataset.y):,} rows)"}
        )
        comparison = dataclasses.replace(comparison, table=table)
    return comparison, problem


def _assemble(dataset, settings, done, found) -> compare.Comparison:
    """``compare.assemble``, or, after a stop, the comparison of the runs done."""
    if len(done) == len(compare.runs_of(settings)):
        return compare.assemble(dataset, settings, [t for _, t in done], found)
    grouped: dict[str, list[Trace]] = {}
    for variant, trace in done:
        grouped.setdefault(variant, []).append(trace)
    traces = {v: tuple(t) for v, t in grouped.items()}
    table = compare.summary_table(dataset, traces, found)
    return compare.Comparison(
        dataset=dataset,
        settings=dataclasses.replace(settings, variants=tuple(traces)),
        traces=traces,
        optimum=found,
        table=table,
        verdict=compare.verdict(table, traces, found),
    )


class _Stopped(Exception):
    """``stop()`` turned true before a pass of batch descent."""


class _Watched:
    """A pass problem that polls ``stop`` before each pass and keeps every point
    batch descent evaluated (θ after 0, 1, 2, … updates), so that a stopped run
    still has its trace."""

    def __init__(self, problem, stop: Callable[[], bool]) -> None:
        self._problem, self._stop = problem, stop
        self.seen: list[tuple[np.ndarray, float, np.ndarray, float]] = []
        self._start = time.perf_counter()

    def __getattr__(self, name: str):
        return getattr(self._problem, name)

    def evaluate(self, thetas, penalty=None):
        if self.seen and self._stop():
            raise _Stopped
        losses, grads = self._problem.evaluate(thetas, penalty)
        seconds = time.perf_counter() - self._start
        self.seen.append((np.array(thetas[0]), losses[0], grads[0], seconds))
        return losses, grads


def _stoppable_batch(problem, settings, n_rows: int, stopped) -> Trace:
    """Batch descent, one pass per step, that ends where ``stopped()`` turns true."""
    watched = _Watched(problem, stopped)
    try:
        return gram.batch_trace(watched, settings, n_rows)
    except _Stopped:
        pass
    columns = zip(*watched.seen, strict=True)
    thetas, losses, grads, seconds = (np.array(v) for v in columns)
    penalty = settings.penalty_term
    if penalty is not None:
        losses, _, grads = penalty.add_to(losses, grads, thetas, problem.penalised)
    # The points descend would have recorded: every stride-th, and the last.
    updates = np.arange(len(thetas))
    stride = max(1, -(-len(thetas) // max(settings.max_points - 1, 1)))
    keep = np.unique(np.append(updates[::stride], updates[-1]))
    rows = updates[keep].astype(np.int64) * n_rows
    return Trace(
        updates=updates[keep],
        epochs=rows / n_rows,
        samples=rows,
        seconds=seconds[keep],
        loss=losses[keep],
        val_loss=None,
        gradient=grads[keep],
        learning_rate=learning_rates(updates[keep], settings, n_rows),
        path=thetas[keep],
        status="max_iter",
        reason="budget",
        message=ending("stopped", int(rows[-1]), n_rows),
        variant="batch",
        batch_size=n_rows,
    )


def _sample(frame, columns, scale, task: str, pieces=None) -> Dataset:
    """The first ``SAMPLE_ROWS`` rows of the first piece (or partition) that has
    complete ones, those complete, as a ``Dataset``: cut before they become
    float64, so a piece of narrow columns (int8: 8x) is never converted whole
    for a sample, and an empty file first in the folder is passed over."""
    readers = pieces or [partition.compute for partition in frame.to_delayed()]
    for read in readers:
        part = read()
        if isinstance(part, pd.DataFrame):
            head = part.iloc[:SAMPLE_ROWS]
        else:
            head = part.slice(0, SAMPLE_ROWS)
        x, y, _ = arrays(head, columns)
        if len(y):
            break
    return Dataset(
        X=scale.design(x),
        y=y,
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
    return dataclasses.replace(comparison, table=table)
