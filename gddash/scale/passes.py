"""Full-data losses and gradients of any row loss, one Dask pass per stack of θ.

The way dask-glm computes its gradients: every partition returns its sums of
ℓ(x·θ, y) and ∂ℓ/∂z · x for all k points at once, and the sums are added. A
``PassProblem`` offers what ``descend`` reads of a problem, so batch descent on
a source is the engine's own loop with one pass per update.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from gddash.engine import Minimum, Penalty
from gddash.errors import DataError, SettingsError
from gddash.scale.columns import Columns, arrays
from gddash.scale.gram import Scaling

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
    """Sums over one partition: losses (k,), gradients (k, d), and XᵀWX at θ₀."""
    x, y, _ = arrays(part, columns)
    X = scale.design(x)
    Z = X @ thetas.T  # (m, k): z = x·θ for every row and point
    y = y[:, None]
    if loss == "log":
        if len(y) and not np.isin(y, (0.0, 1.0)).all():
            raise DataError(
                f"The target {columns.target!r} holds values other than 0 and 1: "
                "logistic regression needs a 0/1 target."
            )
        # Stable log(1 + e^z) − yz = max(z, 0) + log1p(e^{−|z|}) − yz.
        values = np.maximum(Z, 0.0) + np.log1p(np.exp(-np.abs(Z))) - y * Z
        p = _sigmoid(Z)
        dz = p - y
        weights = p[:, 0] * (1.0 - p[:, 0]) if hessian else None
    else:  # Huber: ½r² inside ±ε, ε|r| − ½ε² beyond
        r = Z - y
        inside = np.abs(r) <= epsilon
        values = np.where(inside, 0.5 * r * r, epsilon * np.abs(r) - 0.5 * epsilon**2)
        dz = np.clip(r, -epsilon, epsilon)
        weights = inside[:, 0].astype(float) if hessian else None
    grads = (X.T @ dz).T
    curvature = (X * weights[:, None]).T @ X if hessian else None
    return values.sum(axis=0), grads, curvature


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
) -> Minimum:
    """θ* by Newton's method, one pass per step (and one per line search).

    Each step solves (H + l2·M) s = ∇F, then tries θ − s, θ − s/2, … θ − s/2⁹ in
    one pass and keeps the first that lowers F. Stops when ‖∇F‖ <= tol; on
    separable classes (no penalty) when the loss falls below 1e-9.
    """
    if penalty is not None and penalty.l1 > 0:
        raise SettingsError(
            "The optimum of an L1 or elastic-net penalty on a large source is not "
            "computed yet: use penalty=None or 'l2'."
        )
    l2 = 0.0 if penalty is None else penalty.l2
    mask = problem.penalised.astype(float)
    theta = np.zeros(problem.n_params)
    fractions = 0.5 ** np.arange(10)
    converged, separable = False, False
    for _ in range(max_iter):
        losses, grads, H = problem.sums(theta, hessian=True)
        value = losses[0] + 0.5 * l2 * np.sum(mask * theta * theta)
        grad = grads[0] + l2 * mask * theta
        if np.linalg.norm(grad) <= tol:
            converged = True
            break
        if penalty is None and value < SEPARABLE_LOSS:
            separable = True
            break
        step = np.linalg.lstsq(H + l2 * np.diag(mask), grad, rcond=None)[0]
        trials = theta - fractions[:, None] * step
        tried = problem.sums(trials)[0] + 0.5 * l2 * (mask * trials * trials).sum(1)
        better = np.flatnonzero(tried < value)
        if len(better) == 0:
            converged = np.linalg.norm(grad) <= 1e-6  # rounding: no lower point
            break
        theta = trials[better[0]]
    else:
        losses, grads, _ = problem.sums(theta)
        value = losses[0] + 0.5 * l2 * np.sum(mask * theta * theta)
    method = "Newton's method, one pass over the data per step"
    return Minimum(theta, float(value), method, separable, converged or separable)
