"""The full-data objective over two parameters, the others at the optimum.

``slice_grid`` evaluates a comparison's exact objective (its loss plus its
penalty, with no smoothing: an L1 penalty's kinks stay sharp) on a grid of two
parameters (through ``compare.problem_for``) and returns a ``SurfaceGrid`` the
chart builders draw; the computing lives here, the drawing in ``charts``.
"""

from __future__ import annotations

import math

import numpy as np

from gddash import compare
from gddash.charts.surfaces import SurfaceGrid
from gddash.compare import Comparison, Problem

LOGISTIC_GRID_BUDGET = 3e7  # grid points × rows (× classes) for a row-reading slice
MIN_LOGISTIC_GRID = 10
DIVERGED_REACH = 3.0  # slice range: at most this × the converging paths' reach
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _subscript(k: int) -> str:
    return str(k).translate(_SUBSCRIPTS)


def _slice_range(
    comparison: Comparison, coordinate: int, margin: float = 0.1
) -> tuple[tuple[float, float], bool]:
    """Range of one parameter covering θ* and every primary path, and whether a
    diverged path had to be cut off.

    Converging paths are covered whole; diverged ones at most up to
    ``DIVERGED_REACH`` × the converging paths' distance from θ* (their start
    included), so that a blow-up to 1e12 does not shrink the bowl to a dot.
    """
    star = float(comparison.optimum.theta[coordinate])
    tame, wild = [np.array([star])], []
    for variant in comparison.traces:
        trace = comparison.primary(variant)
        column = trace.path[:, coordinate]
        column = column[np.isfinite(column)]
        if trace.status == "diverged":
            tame.append(column[:1])
            wild.append(column)
        else:
            tame.append(column)
    tame_values = np.concatenate(tame)
    low, high = float(tame_values.min()), float(tame_values.max())
    reach = float(np.max(np.abs(tame_values - star)))
    reach = reach if reach > 0 else max(1.0, abs(star))
    clipped = False
    if wild:
        wild_values = np.concatenate(wild)
        low_w = max(float(wild_values.min()), star - DIVERGED_REACH * reach)
        high_w = min(float(wild_values.max()), star + DIVERGED_REACH * reach)
        clipped = bool(wild_values.min() < low_w or wild_values.max() > high_w)
        low, high = min(low, low_w), max(high, high_w)
    pad = margin * (high - low) if high > low else max(1.0, abs(star))
    return (low - pad, high + pad), clipped


def _logistic_grid_size(n: int, n_samples: int, n_classes: int = 1) -> int:
    """Grid side keeping n² × n_samples × n_classes within LOGISTIC_GRID_BUDGET
    (at least 10): softmax reads every row once per class."""
    fit = math.isqrt(int(LOGISTIC_GRID_BUDGET // max(n_samples * n_classes, 1)))
    return max(min(n, fit), MIN_LOGISTIC_GRID)


def axis_name(comparison: Comparison, k: int) -> str:
    """How parameter k is named on an axis: "θ₁ (x)", or for softmax the class
    and the feature it weighs, "θ[setosa, petal_length]"."""
    dataset = comparison.dataset
    if dataset.task == "softmax":
        return f"θ[{compare.parameter_names(dataset)[k]}]"
    return f"θ{_subscript(k)} ({dataset.feature_names[k]})"


def slice_grid(
    comparison: Comparison,
    i: int,
    j: int,
    *,
    n: int = 60,
    span: tuple[tuple[float, float], tuple[float, float]] | None = None,
    problem: Problem | None = None,
) -> SurfaceGrid:
    """The exact full-data objective over parameters θ_i and θ_j, all others at θ*.

    F = L + α R(w) (the comparison's penalty, if any, exactly: L1's kinks are
    not smoothed) is evaluated on the n × n grid with ``problem.evaluate``: for
    the squared loss that is the engine's anchored quadratic, O(n² d²) and
    independent of the number of rows; for the log-loss, Huber and softmax every
    grid point costs a pass over the rows (K for softmax), so n is reduced until
    n² × n_samples × K <= 3e7 (at least 10), and the note says so.

    Parameters
    ----------
    comparison : Comparison
    i, j : int
        Distinct parameter indices in [0, problem.n_params): for softmax any two
        of the K·n_features weights, θ[c·d + j] weighing feature j for class c.
    n : int in [2, 400], default 60
        Grid points per axis.
    span : ((a_min, a_max), (b_min, b_max)) or None
        The ranges to draw; None covers θ* and every variant's path plus a 10%
        margin (diverged paths are cut at 3× the others' reach around θ*).
    problem : LinearRegression, LogisticRegression, HuberRegression,
        SoftmaxRegression or None
        ``compare.problem_for(comparison.dataset, comparison.settings)``, built
        once by the caller; None (or a problem of another model or Huber ε,
        e.g. one cached for the data alone) builds it here.

    Returns
    -------
    SurfaceGrid
        With ``Z[k, l] = L(θ*)`` but θ_i = a[l], θ_j = b[k].
    """
    dataset, settings = comparison.dataset, comparison.settings
    if problem is None or not compare.fits(problem, dataset, settings):
        problem = compare.problem_for(dataset, settings)
    d = problem.n_params
    for name, k in (("i", i), ("j", j)):
        if not (isinstance(k, int | np.integer) and 0 <= k < d):
            raise ValueError(
                f"{name} must be a parameter index in [0, {d}). Got {k!r}."
            )
    if i == j:
        raise ValueError(f"i and j must be different parameters. Got i = j = {i}.")
    if not (isinstance(n, int) and 2 <= n <= 400):
        raise ValueError(f"n must be an int in [2, 400]. Got {n!r} instead.")
    notes = []
    if d == 2:
        notes.append("This is the whole loss surface: the model has two parameters.")
    else:
        notes.append(
            "Other parameters held at their optimal values; paths are drawn at their "
            "true loss, so where a path's other parameters are not yet optimal it "
            "floats above this slice."
        )
    if comparison.optimum.separable:
        notes.append(
            "The classes are separable: θ* is where Newton's method stopped, far "
            "out along a direction in which the log-loss keeps falling."
        )
    penalty = settings.descent.penalty_term
    if penalty is not None and penalty.l1 > 0:
        notes.append(
            "The L1 part of the penalty is exact here: its kinks (where a "
            "penalised weight is 0) are drawn as they are, not smoothed."
        )
    if problem.kind != "linear":
        classes = dataset.n_classes if problem.kind == "softmax" else 1
        reduced = _logistic_grid_size(n, dataset.n_samples, classes)
        if reduced < n:
            notes.append(
                f"Grid reduced to {reduced}×{reduced} points: each point of the "
                f"loss is a pass over all {dataset.n_samples:,} rows."
            )
            n = reduced
    if span is None:
        (a_span, a_cut), (b_span, b_cut) = (_slice_range(comparison, k) for k in (i, j))
        if a_cut or b_cut:
            notes.append("Diverged paths run off this range.")
    else:
        a_span, b_span = span
    a, b = np.linspace(*a_span, n), np.linspace(*b_span, n)
    thetas = np.tile(np.asarray(comparison.optimum.theta, dtype=float), (n * n, 1))
    grid_a, grid_b = np.meshgrid(a, b)
    thetas[:, i], thetas[:, j] = grid_a.ravel(), grid_b.ravel()
    losses, _ = problem.evaluate(thetas, penalty)
    return SurfaceGrid(
        a=a,
        b=b,
        Z=losses.reshape(n, n),
        a_name=axis_name(comparison, i),
        b_name=axis_name(comparison, j),
        z_name="loss" if penalty is None else "loss + penalty",
        i=i,
        j=j,
        note=" ".join(notes),
    )
