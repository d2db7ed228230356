"""The coefficient path: θ* of the penalised objective over a log grid of alpha.

How every penalised coefficient shrinks as the penalty's strength α grows (the
lasso / ridge path), each point computed by ``engine.minimum`` — the same
reference the comparison measures its runs against, so at the chosen α the
path's coefficients are the comparison's θ*. The grid runs from well below the
chosen α to where the penalty dominates: ‖∇L(0)‖∞ / ρ, the α at which the lasso
sets every weight to 0 (ρ = the L1 share; for ridge, where no α zeroes a weight,
ρ is taken as 0.01, i.e. 100 × that gradient: weights shrink to about 1%).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from gddash.compare import Problem
from gddash.engine import Penalty, minimum

PATH_ALPHAS = 24  # grid points besides the chosen alpha
PATH_DECADES_BELOW = 3  # the grid starts 10³ below the chosen alpha (at least)
PATH_TOL = 1e-6  # the path's optima: finer than a chart shows
PATH_MAX_ITER = 300
# Row × parameter products of one α's optimum on a problem that reads rows,
# times the grid points: the path then costs about as much as a comparison.
PATH_WORK = 2e8
MIN_PATH_ALPHAS = 6


def alpha_grid(problem: Problem, penalty: Penalty, n: int = PATH_ALPHAS) -> np.ndarray:
    """n log-spaced alphas covering the chosen one and where the penalty dominates.

    Returns an increasing array that includes ``penalty.alpha`` when it is > 0.
    """
    zero = np.zeros((1, problem.n_params))
    gradient = problem.evaluate(zero)[1][0][problem.penalised]
    strongest = float(np.max(np.abs(gradient))) if gradient.size else 1.0
    high = max(strongest / max(penalty.rho, 0.01), 10.0 * penalty.alpha, 1e-12)
    low = min(penalty.alpha, high) if penalty.alpha > 0 else high
    low = min(low / 10**PATH_DECADES_BELOW, high * 1e-4)
    grid = np.geomspace(low, high, n)
    if penalty.alpha > 0:
        grid = np.union1d(grid, [penalty.alpha])
    return grid


def path_alphas(problem: Problem) -> int:
    """Grid points the path can afford: PATH_ALPHAS, fewer on large row-reading
    problems (least squares works from XᵀX and never needs fewer)."""
    if problem.kind == "linear":
        return PATH_ALPHAS
    cost = problem.n_samples * problem.n_params * 50  # ~50 passes per optimum
    return int(np.clip(PATH_WORK // max(cost, 1), MIN_PATH_ALPHAS, PATH_ALPHAS))


def coefficient_path(
    problem: Problem,
    penalty: Penalty,
    names: tuple[str, ...],
    *,
    chosen: np.ndarray | None = None,
    n: int | None = None,
) -> pd.DataFrame:
    """θ*(α) for α on ``alpha_grid``, in long rows (alpha, feature, coefficient).

    Parameters
    ----------
    problem : the comparison's problem
    penalty : Penalty
        The chosen penalty; its kind and l1_ratio are kept along the path.
    names : tuple of str, length problem.n_params
        Each entry of θ's name (``compare.parameter_names``); only the penalised
        entries (not the intercept) get a line.
    chosen : ndarray of shape (n_params,) or None
        θ* at the chosen α when already known (the comparison's optimum), so it
        is not computed twice; None computes it like every other point.
    n : int or None
        Grid points besides the chosen α; None: ``path_alphas(problem)``.

    Returns
    -------
    pandas.DataFrame
        Columns alpha, feature, coefficient; ``charts.coefficient_path`` draws it.
    """
    alphas = alpha_grid(problem, penalty, path_alphas(problem) if n is None else n)
    mask = problem.penalised
    shown = [name for name, on in zip(names, mask, strict=True) if on]
    frames = []
    for alpha in alphas:
        if chosen is not None and alpha == penalty.alpha:
            theta = np.asarray(chosen, dtype=float)
        elif alpha == penalty.alpha:
            theta = minimum(problem, penalty).theta
        else:
            at = dataclasses.replace(penalty, alpha=float(alpha))
            theta = minimum(problem, at, tol=PATH_TOL, max_iter=PATH_MAX_ITER).theta
        frames.append(
            pd.DataFrame(
                {"alpha": float(alpha), "feature": shown, "coefficient": theta[mask]}
            )
        )
    return pd.concat(frames, ignore_index=True)
