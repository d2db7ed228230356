"""Full-data losses and gradients of any row loss, one Dask pass per stack of θ.

The way dask-glm computes its gradients: every partition returns its sums of
ℓ(x·θ, y) and ∂ℓ/∂z · x for all k points at once, and the sums are added. A
``PassProblem`` offers what ``descend`` reads of a problem, so batch descent on
a source is the engine's own loop with one pass per update.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gddash.engine import Minimum, Penalty
from gddash.engine.optima import quadratic_minimum, subgradient_norm
from gddash.errors import DataError, SettingsError
from gddash.scale.columns import Columns, column_values
from gddash.scale.gram import BLOCK_ROWS, Scaling

LOSSES = ("log", "huber")
SEPARABLE_LOSS = 1e-9
# Relative changes of F this small are its rounding, not the step's effect.
ROUNDING = 1e-14
# Where F can go no lower, a subgradient this small still counts as converged.
CLOSE_ENOUGH = 1e-6


def partition_sums(
    part,
    columns: Columns,
    scale: Scaling,
    loss: str,
    epsilon: float,
    thetas: np.ndarray,
    hessian: bool = False,
):
    """Sums over one partition or piece: losses (k,), gradients (k, d), XᵀWX at θ₀.

    ``part`` is a pandas frame (a Dask partition) or a pyarrow table (a piece).
    The standardised design is gathered ``BLOCK_ROWS`` rows at a time straight
    from its columns (``kernels.design_rows``), and each point's loss and
    gradient over the block are the engine's compiled pass (``loss_sums``), the
    one in-memory problems evaluate with: a few MB at a time, one read per point.
    The Hessian at θ₀ is the engine's compiled ``curvature_sums`` over the block.
    """
    # numba is imported on first use
    from gddash.engine.data_pass import curvature_sums, loss_sums
    from gddash.engine.kernels import design_rows

    values, _ = column_values(part, columns)
    features, y = [values[k] for k in scale.kept], values[-1]
    if loss == "log" and len(y) and not np.isin(y, (0.0, 1.0)).all():
        raise DataError(
            f"The target {columns.target!r} holds values other than 0 and 1: "
            "logistic regression needs a 0/1 target."
        )
    thetas = np.ascontiguousarray(thetas, dtype=np.float64)
    k, d = thetas.shape
    totals, grads = np.zeros(k), np.zeros((k, d))
    curvature = np.zeros((d, d)) if hessian else None
    block_curvature = np.empty((d, d))
    block = min(len(y), BLOCK_ROWS)
    X, target = np.empty((block, d)), np.empty(block)
    grad = np.empty(d)
    for start in range(0, len(y), BLOCK_ROWS):
        b = min(BLOCK_ROWS, len(y) - start)
        rows, ys = X[:b], target[:b]
        design_rows(features, scale.means, scale.scales, y, None, start, (rows, ys))
        for i, theta in enumerate(thetas):
            totals[i] += loss_sums(
                rows, ys, theta, 0, b, grad, loss=loss, epsilon=epsilon
            )
            grads[i] += grad
        if hessian:  # XᵀWX, W the loss's second derivatives at θ₀
            curvature_sums(rows, ys, thetas[0], 0, b, block_curvature,
                           loss=loss, epsilon=epsilon)  # fmt: skip
            curvature += block_curvature
    return totals, grads, curvature


def piece_sums(piece: Callable[[], object], *args):
    """``partition_sums`` of the piece read by ``piece()`` (a task of a pass)."""
    return partition_sums(piece(), *args)


@dataclass(frozen=True, eq=False)
class PassProblem:
    """A logistic or Huber problem on a Dask frame: every evaluation is one pass.

    Offers what ``descend`` reads of a problem for batch descent (``kind``,
    ``n_samples``, ``n_params``, ``penalised``, ``evaluate``,
    ``validation_losses``, ``stable_learning_rate``).
    """

    frame: object  # dask.dataframe.DataFrame of the chosen columns
    columns: Columns
    scale: Scaling
    n: int
    loss: str = "log"
    epsilon: float = 0.1
    intercept: bool = True
    # Readers of a local Parquet source's pieces (``sources.parquet_pieces``):
    # then a pass reads them through pyarrow, as the Gram pass does, not ``frame``.
    pieces: tuple[Callable[[], object], ...] | None = None

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise SettingsError(
                f"The 'loss' parameter must be one of {LOSSES}. Got {self.loss!r} "
                "instead."
            )

    @property
    def kind(self) -> str:
        return "logistic" if self.loss == "log" else "huber"

    @property
    def n_samples(self) -> int:
        return self.n

    @property
    def n_params(self) -> int:
        return len(self.scale.kept) + 1

    n_features = n_params

    @functools.cached_property
    def penalised(self) -> np.ndarray:
        mask = np.ones(self.n_params, dtype=bool)
        mask[0] = not self.intercept
        return mask

    def sums(self, thetas: np.ndarray, hessian: bool = False):
        """One pass: mean losses (k,), mean gradients (k, d), Hessian at θ₀."""
        import dask

        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        if hessian and len(thetas) != 1:
            raise SettingsError("The Hessian is computed at one point at a time.")
        args = (self.columns, self.scale, self.loss, self.epsilon, thetas, hessian)
        if self.pieces is None:
            task, parts = dask.delayed(partition_sums), self.frame.to_delayed()
        else:
            task, parts = dask.delayed(piece_sums), self.pieces
        found = dask.compute(*[task(p, *args) for p in parts])
        losses = sum(f[0] for f in found) / self.n
        grads = sum(f[1] for f in found) / self.n
        curvature = sum(f[2] for f in found) / self.n if hessian else None
        return losses, grads, curvature

    def evaluate(
        self, thetas: np.ndarray, penalty: Penalty | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full-data losses (k,) and gradients (k, d) at thetas (k, d): one pass."""
        thetas = np.atleast_2d(thetas)
        with np.errstate(all="ignore"):
            losses, grads, _ = self.sums(thetas)
        if penalty is None:
            return losses, grads
        total, _, reported = penalty.add_to(losses, grads, thetas, self.penalised)
        return total, reported

    def validation_losses(self, thetas: np.ndarray) -> None:
        return None

    def stable_learning_rate(self, batch_size: int) -> None:
        return None  # unknown without another pass; the message then omits it


def newton_minimum(
    problem: PassProblem,
    penalty: Penalty | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 50,
    stop: Callable[[], bool] | None = None,
) -> Minimum:
    """θ* by (proximal) Newton steps, one pass over the data per step.

    At θ, one pass gives the loss's gradient g and Hessian H (for Huber, XᵀX
    over the rows inside ±ε). The step goes to the minimiser θ̂ of the model

        g·(v − θ) + ½ (v − θ)ᵀ H (v − θ) + penalty(v)

    (with an L1 part, found by coordinate descent in O(d²) a sweep, as glmnet
    does; without one, the Newton step (H + l2·M) s = ∇F), then θ + t(θ̂ − θ)
    for the first t in 1, ½, … ½⁹ that lowers F (Lee, Sun and Saunders 2014):
    t = 1 is tried in one pass, which also gives g and H there for the next
    step; only when it fails are all ten tried, in a second pass (and a third
    gives g and H at the shorter step). Near θ* a step can change F by less
    than F's rounding: the full step is then taken if F does not rise beyond
    that, and kept if it shrinks the subgradient there (else undone, and the
    run ends). Stops when the minimum-norm subgradient of F is at most
    ``tol``; unpenalised, when the loss falls below 1e-9 (separable classes).
    ``max_iter`` caps the steps, and ``stop()`` turning true ends them early:
    ``converged`` is then False.
    """
    l1 = 0.0 if penalty is None else penalty.l1
    l2 = 0.0 if penalty is None else penalty.l2
    mask = problem.penalised
    theta = np.zeros(problem.n_params)
    fractions = 0.5 ** np.arange(10)

    def objective(losses, thetas):
        return losses if penalty is None else losses + penalty.values(thetas, mask)

    converged, separable, value = False, False, None
    blind = None  # (θ, F, subgradient norm) before a step F could not judge
    grads = H = None  # F's gradient and curvature at θ, once a pass gave them
    for _ in range(max_iter):
        if stop is not None and stop():
            break
        if grads is None:
            losses, grads, H = problem.sums(theta, hessian=True)
            value = float(objective(losses, theta[None, :])[0])
        smooth = grads[0] + l2 * mask * theta  # the gradient of F's smooth part
        size = subgradient_norm(theta, smooth, l1, mask)
        if blind is not None and size >= blind[2]:  # it did not help: undo it
            theta, value, size = blind
            converged = size <= CLOSE_ENOUGH
            break
        blind = None
        if size <= tol:
            converged = True
            break
        if penalty is None and value < SEPARABLE_LOSS:
            separable = True
            break
        if l1 == 0.0:
            target = theta - np.linalg.lstsq(H + l2 * np.diag(mask), smooth)[0]
        else:
            # The model solved a thousand times more tightly than F is now:
            # inexact steps that keep Newton's fast local convergence.
            sub_tol = max(1e-3 * size, 1e-15)
            target = _model_minimum(theta, grads[0], H, l1, l2, mask, tol=sub_tol)
        trials = theta + fractions[:, None] * (target - theta)
        # The full step is nearly always taken: one pass tries it alone, and
        # gives the gradient and curvature there for the next step with its
        # loss (one pass a step, not two: the curvature costs 0.65 s a pass
        # over 10⁷ rows, the loss alone 0.49 s). Only when the full step does
        # not lower F does a second pass try the shorter ones.
        losses, step_grads, step_H = problem.sums(trials[:1], hessian=True)
        tried = objective(losses, trials[:1])
        if not tried[0] < value and tried[0] - value <= ROUNDING * abs(value):
            # F cannot tell the full step from θ (on 300 rows, a step from a
            # gradient of 7e-10 to 2e-17 raised F by one unit in its last
            # place): judge it by the subgradient there.
            blind = (theta, value, size)
        if tried[0] < value or blind is not None:
            theta, value = trials[0], float(tried[0])
            grads, H = step_grads, step_H
            continue
        tried = objective(problem.sums(trials)[0], trials)
        better = np.flatnonzero(tried < value)
        if len(better) == 0:
            # Rounding: no lower point within reach of the step.
            converged = size <= CLOSE_ENOUGH
            break
        theta, value = trials[better[0]], float(tried[better[0]])
        grads = H = None  # a pass at the shorter step's θ for the next one
    if value is None:  # stopped before the first pass
        value = float(objective(problem.sums(theta)[0], theta[None, :])[0])
    newton = (
        "Newton's method"
        if l1 == 0.0
        else "proximal Newton (coordinate descent on each step's quadratic model)"
    )
    method = (
        f"{newton}, one pass over the data per step (the step's loss, gradient "
        "and curvature together)"
    )
    return Minimum(theta, value, method, separable, converged or separable)


def _model_minimum(theta, g, H, l1, l2, mask, *, tol, sweeps=10_000):
    """argmin over v of g·(v − θ) + ½(v − θ)ᵀH(v − θ) + l1‖v_M‖₁ + ½l2‖v_M‖²:
    the engine's coordinate descent on a quadratic, from v = θ, where the
    model's smooth gradient is g + l2·M·θ."""
    v, _ = quadratic_minimum(
        theta, g + l2 * mask * theta, H, l1, l2, mask, tol=tol, max_sweeps=sweeps
    )
    return v
