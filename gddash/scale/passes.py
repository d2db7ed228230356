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
from gddash.scale.columns import Columns, arrays
from gddash.scale.gram import BLOCK_ROWS, Scaling

LOSSES = ("log", "huber")
SEPARABLE_LOSS = 1e-9


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # ½(1 + tanh(z/2)) equals 1/(1 + e^{−z}) and never overflows.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def partition_sums(
    part,
    columns: Columns,
    scale: Scaling,
    loss: str,
    epsilon: float,
    thetas: np.ndarray,
    hessian: bool = False,
):
    """Sums over one partition: losses (k,), gradients (k, d), and XᵀWX at θ₀.

    Rows are taken ``BLOCK_ROWS`` at a time, so the (rows × k) products of many
    points at once (a trace's recorded θ, a contour grid) stay a few MB.
    """
    x, y, _ = arrays(part, columns)
    if loss == "log" and len(y) and not np.isin(y, (0.0, 1.0)).all():
        raise DataError(
            f"The target {columns.target!r} holds values other than 0 and 1: "
            "logistic regression needs a 0/1 target."
        )
    k, d = thetas.shape
    values, grads = np.zeros(k), np.zeros((k, d))
    curvature = np.zeros((d, d)) if hessian else None
    for start in range(0, len(y), BLOCK_ROWS):
        X = scale.design(x[start : start + BLOCK_ROWS])
        Z = X @ thetas.T  # (m, k): z = x·θ for every row and point
        target = y[start : start + BLOCK_ROWS, None]
        if loss == "log":
            # Stable log(1 + e^z) − yz = max(z, 0) + log1p(e^{−|z|}) − yz.
            block = np.maximum(Z, 0.0) + np.log1p(np.exp(-np.abs(Z))) - target * Z
            p = _sigmoid(Z)
            dz = p - target
            weights = p[:, 0] * (1.0 - p[:, 0]) if hessian else None
        else:  # Huber: ½r² inside ±ε, ε|r| − ½ε² beyond
            r = Z - target
            inside = np.abs(r) <= epsilon
            block = np.where(
                inside, 0.5 * r * r, epsilon * np.abs(r) - 0.5 * epsilon**2
            )
            dz = np.clip(r, -epsilon, epsilon)
            weights = inside[:, 0].astype(float) if hessian else None
        values += block.sum(axis=0)
        grads += (X.T @ dz).T
        if hessian:
            curvature += (X * weights[:, None]).T @ X
    return values, grads, curvature


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
        task = dask.delayed(partition_sums)
        args = (self.columns, self.scale, self.loss, self.epsilon, thetas, hessian)
        found = dask.compute(*[task(p, *args) for p in self.frame.to_delayed()])
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
    """θ* by (proximal) Newton steps, one pass per step and one per line search.

    At θ, one pass gives the loss's gradient g and Hessian H (for Huber, XᵀX
    over the rows inside ±ε). The step goes to the minimiser θ̂ of the model

        g·(v − θ) + ½ (v − θ)ᵀ H (v − θ) + penalty(v)

    (with an L1 part, found by coordinate descent in O(d²) a sweep, as glmnet
    does; without one, the Newton step (H + l2·M) s = ∇F), then θ + t(θ̂ − θ)
    for t = 1, ½, … ½⁹ is tried in one pass and the first that lowers F is
    kept (Lee, Sun and Saunders 2014). Stops when the minimum-norm subgradient
    of F is at most ``tol``; unpenalised, when the loss falls below 1e-9
    (separable classes). ``max_iter`` caps the steps, and ``stop()`` turning
    true ends them early: ``converged`` is then False.
    """
    l1 = 0.0 if penalty is None else penalty.l1
    l2 = 0.0 if penalty is None else penalty.l2
    mask = problem.penalised
    theta = np.zeros(problem.n_params)
    fractions = 0.5 ** np.arange(10)

    def objective(losses, thetas):
        return losses if penalty is None else losses + penalty.values(thetas, mask)

    converged, separable, value = False, False, None
    for _ in range(max_iter):
        if stop is not None and stop():
            break
        losses, grads, H = problem.sums(theta, hessian=True)
        value = float(objective(losses, theta[None, :])[0])
        size = subgradient_norm(theta, grads[0] + l2 * mask * theta, l1, mask)
        if size <= tol:
            converged = True
            break
        if penalty is None and value < SEPARABLE_LOSS:
            separable = True
            break
        if l1 == 0.0:
            grad = grads[0] + l2 * mask * theta
            target = theta - np.linalg.lstsq(H + l2 * np.diag(mask), grad)[0]
        else:
            # The model solved a thousand times more tightly than F is now:
            # inexact steps that keep Newton's fast local convergence.
            sub_tol = max(1e-3 * size, 1e-15)
            target = _model_minimum(theta, grads[0], H, l1, l2, mask, tol=sub_tol)
        trials = theta + fractions[:, None] * (target - theta)
        tried = objective(problem.sums(trials)[0], trials)
        better = np.flatnonzero(tried < value)
        if len(better) == 0:
            # Rounding: no lower point within reach of the step.
            smooth = grads[0] + l2 * mask * theta
            converged = subgradient_norm(theta, smooth, l1, mask) <= 1e-6
            break
        theta, value = trials[better[0]], float(tried[better[0]])
    if value is None:  # stopped before the first pass
        value = float(objective(problem.sums(theta)[0], theta[None, :])[0])
    method = (
        "Newton's method, one pass over the data per step"
        if l1 == 0.0
        else "proximal Newton (coordinate descent on each step's quadratic "
        "model), one pass over the data per step"
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
