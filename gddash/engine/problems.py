"""What is minimised: the squared, Huber, log- or softmax cross-entropy loss,
or any smooth f(θ).

A problem answers three questions for the descent loop: the full-data loss and
gradient at θ (one θ or a stack of them), the rows to feed stochastic updates,
and a learning rate below which plain batch descent is stable. A data problem
also says which entries of θ a penalty leaves alone (``penalised``):
``intercept=True`` means column 0 of X is the ones column, whose weight is not
penalised, as scikit-learn's ``fit_intercept`` does not penalise its intercept.
``evaluate(thetas, penalty)`` adds a ``penalties.Penalty`` to the loss.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from gddash.engine.penalties import Penalty
from gddash.engine.validate import is_real, must
from gddash.errors import DataError

# Rows per chunk when a pass over X must not allocate an n-sized temporary.
_CHUNK = 8_192  # measured: 8k-row blocks stay in cache; 64k ones ran 20x slower


def check_arrays(X: object, y: object, *, name: str = "") -> tuple[np.ndarray, ...]:
    """Validate X (n, d) and y (n,) and return them as float64 C-contiguous arrays.

    Nothing is copied when the input already has that layout; nothing is ever
    written to. Refuses the shapes that numpy would silently broadcast.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    what = f"{name} " if name else ""
    if X.ndim != 2:
        raise DataError(
            f"{what}X must be a 2-D array (n_samples, n_features). "
            f"Got an array of shape {X.shape} instead."
        )
    if y.ndim == 2 and y.shape[1] == 1:
        raise DataError(
            f"{what}y must be a 1-D array (n_samples,). Got shape {y.shape}: "
            "pass y.ravel() (a column vector would broadcast to an n×n residual)."
        )
    if y.ndim != 1:
        raise DataError(
            f"{what}y must be a 1-D array (n_samples,). Got shape {y.shape} instead."
        )
    if X.shape[0] != y.shape[0]:
        raise DataError(
            f"{what}X has {X.shape[0]} rows but y has {y.shape[0]}: "
            "they must describe the same samples."
        )
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise DataError(
            f"{what}X must have at least one row and one column. Got shape {X.shape}."
        )
    for label, arr in (("X", X), ("y", y)):
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise DataError(
                f"{what}{label} must hold real numbers. Got dtype {arr.dtype} instead."
            )
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    for label, arr in (("X", X), ("y", y)):
        if np.isfinite(arr).all():  # the common case: one pass, nothing to report
            continue
        bad = ~np.isfinite(arr)
        where = np.argwhere(bad)[0]
        raise DataError(
            f"{what}{label} contains {int(bad.sum())} NaN or infinite value(s), "
            f"first at index {tuple(int(i) for i in where)}: drop or impute them."
        )
    return X, y


class _Quadratic:
    """L(θ) = ‖Xθ − y‖² / (2m), evaluated in O(d²) from G = XᵀX, b = Xᵀy, c = yᵀy.

    Expanding (c − 2θᵀb + θᵀGθ)/(2m) cancels catastrophically near the optimum,
    so the loss is written as an exact Taylor expansion around an anchor θₐ (the
    normal equations' solution): L(θ) = Lₐ + gₐ·δ + ½ δᵀHδ with δ = θ − θₐ and
    H = G/m. Its terms are small wherever L is small. Lₐ itself is taken from the
    expansion when that is accurate (rounding error ≈ 1e-16·c/(2m), i.e. below
    1e-10 of Lₐ), and otherwise from the residuals Xθₐ − y in one more pass.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        m, d = X.shape
        gram = np.zeros((d, d))
        xty = np.zeros(d)
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, m, _CHUNK):  # one pass: each block is read once
                block = X[start : start + _CHUNK]
                gram += block.T @ block
                xty += block.T @ y[start : start + _CHUNK]
            yty = float(y @ y)
        if not (
            np.isfinite(gram).all() and np.isfinite(xty).all() and np.isfinite(yty)
        ):
            raise DataError(
                "Values are too large for a squared loss: their squares overflow "
                f"float64 (largest |X| {np.abs(X).max():.3g}, "
                f"|y| {np.abs(y).max():.3g}). Rescale the columns, e.g. standardize "
                "them or change units."
            )
        self.hessian = gram / m  # H = XᵀX/m, the loss's constant curvature
        anchor, *_ = np.linalg.lstsq(self.hessian, xty / m, rcond=None)
        energy = yty / (2 * m)
        expanded = energy - anchor @ xty / m + 0.5 * anchor @ self.hessian @ anchor
        if expanded > 1e-6 * energy:
            loss_a, grad_a = float(expanded), self.hessian @ anchor - xty / m
        else:  # a near-perfect fit: only the residuals themselves are accurate
            loss_a, grad_a = _residual_loss_and_gradient(X, y, anchor)
        self.anchor, self.loss_a, self.grad_a = anchor, loss_a, grad_a

    def values(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Losses (k,) and gradients (k, d) at a stack of points thetas (k, d)."""
        delta = thetas - self.anchor
        h_delta = delta @ self.hessian
        grads = self.grad_a + h_delta
        losses = delta @ self.grad_a + 0.5 * np.einsum("kd,kd->k", h_delta, delta)
        return self.loss_a + losses, grads


def _residual_loss_and_gradient(
    X: np.ndarray, y: np.ndarray, theta: np.ndarray
) -> tuple[float, np.ndarray]:
    """½·mean(r²) and Xᵀr/m with r = Xθ − y, in row blocks (bounded memory)."""
    m = X.shape[0]
    total = 0.0
    grad = np.zeros(X.shape[1])
    for start in range(0, m, _CHUNK):
        r = X[start : start + _CHUNK] @ theta - y[start : start + _CHUNK]
        total += float(r @ r)
        grad += X[start : start + _CHUNK].T @ r
    return total / (2 * m), grad / m


class _Rows:
    """What the two data problems share: rows X (n, d) and a target y (n,)."""

    X: np.ndarray

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_samples={self.n_samples}, "
            f"n_features={self.n_features})"
        )

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_params(self) -> int:
        """The length of θ: one weight per feature (per class for softmax)."""
        return self.X.shape[1]

    @functools.cached_property
    def penalised(self) -> np.ndarray:
        """(n_params,) bool: the entries of θ a penalty applies to (all but the
        intercept's, column 0, when ``intercept`` is True)."""
        columns = np.ones(self.n_features, dtype=bool)
        columns[0] = not self.intercept
        mask = np.tile(columns, self.n_params // self.n_features)
        mask.flags.writeable = False
        return mask

    def _check_intercept(self) -> None:
        if self.intercept and not (self.X[:, 0] == 1.0).all():
            raise DataError(
                "intercept=True says that column 0 of X is the column of ones (an "
                "unpenalised intercept), but it holds other values: put the ones "
                "first, or pass intercept=False."
            )

    def _with_penalty(self, losses, grads, thetas, penalty: Penalty | None):
        """The penalised objective and its minimum-norm subgradient."""
        if penalty is None:
            return losses, grads
        total, _, reported = penalty.add_to(losses, grads, thetas, self.penalised)
        return total, reported

    @functools.cached_property
    def _largest_row_norm2(self) -> float:
        """max ‖xᵢ‖², computed once (the stochastic stability bound reads it)."""
        return float(_max_row_norm2(self.X))

    # c with ℓ'' <= c for the row loss: the Hessian is then at most c·XᵀX/m.
    curvature_bound: ClassVar[float] = 1.0

    def stable_learning_rate(self, batch_size: int) -> float:
        """A learning rate below which plain descent cannot diverge.

        With the Hessian at most c·XᵀX/m (``curvature_bound``): batch below
        2/(c λ_max(XᵀX/m)); stochastic below 2/(c max‖xᵢ‖²), since each batch's
        X_BᵀX_B/|B| has λ_max <= max‖xᵢ‖².
        """
        scale = 2.0 / self.curvature_bound
        if batch_size >= self.n_samples:
            return scale / self._largest_curvature
        return scale / self._largest_row_norm2

    @functools.cached_property
    def _largest_curvature(self) -> float:
        """λ_max(XᵀX/m), computed once: the page asks for it on every rerun."""
        gram = (self.X.T @ self.X) / self.n_samples
        return float(np.linalg.eigvalsh(gram)[-1])


@dataclass(frozen=True, eq=False, repr=False)
class LinearRegression(_Rows):
    """Linear least squares with loss L(θ) = 1/(2m) Σ (xᵢ·θ − yᵢ)².

    Gradient ∇L = Xᵀ(Xθ − y)/m, the convention of the seed's numpy example, so
    per-row SGD on it is scikit-learn's ``SGDRegressor`` update. Full-data loss
    and gradient cost O(d²) after one O(n d²) pass that forms XᵀX.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Include a column of ones for an intercept. Never modified.
    y : array of shape (n_samples,)
    X_val, y_val : arrays or None
        Optional validation rows, scored at every recorded point.
    intercept : bool, default False
        Column 0 of X is the column of ones, and a penalty leaves its weight alone.
    """

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    intercept: bool = field(default=False, kw_only=True)
    _train: _Quadratic = field(init=False)
    _val: _Quadratic | None = field(init=False)

    kind = "linear"
    loss = "squared"  # the row loss, by its name in ``losses``
    epsilon = 0.1  # unused: the loops take one ε for every loss

    def __post_init__(self) -> None:
        X, y = check_arrays(self.X, self.y)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        self._check_intercept()
        object.__setattr__(self, "_train", _Quadratic(X, y))
        val = _validation_arrays(self)
        object.__setattr__(self, "_val", None if val is None else _Quadratic(*val))

    @property
    def hessian(self) -> np.ndarray:
        """XᵀX/m, the (constant) Hessian of the loss, shape (d, d)."""
        return self._train.hessian

    def optimum(self) -> tuple[np.ndarray, float]:
        """θ* from the normal equations (H θ = Xᵀy/m, O(d³)) and its loss.

        The loss at θ* comes from the exact expansion, with the residuals
        themselves where that is needed for precision (see ``_Quadratic``).
        """
        theta = self._train.anchor.copy()
        return theta, float(self._train.values(theta[None, :])[0][0])

    def evaluate(
        self, thetas: np.ndarray, penalty: Penalty | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full-data losses (k,) and gradients (k, d) at thetas (k, d); O(k d²).

        With a penalty: the penalised objective and its minimum-norm subgradient.
        """
        thetas = np.atleast_2d(thetas)
        with np.errstate(all="ignore"):
            losses, grads = self._train.values(thetas)
            return self._with_penalty(losses, grads, thetas, penalty)

    def validation_losses(self, thetas: np.ndarray) -> np.ndarray | None:
        if self._val is None:
            return None
        with np.errstate(all="ignore"):
            return self._val.values(np.atleast_2d(thetas))[0]

    @functools.cached_property
    def _largest_curvature(self) -> float:
        # ℓ'' = 1: 2/λ_max(XᵀX/m) is exact for the quadratic; XᵀX is already held.
        return float(np.linalg.eigvalsh(self.hessian)[-1])


@dataclass(frozen=True, eq=False, repr=False)
class LogisticRegression(_Rows):
    """Binary logistic regression: mean log-loss of P(y=1|x) = σ(x·θ).

    L(θ) = 1/m Σ log(1 + e^{zᵢ}) − yᵢ zᵢ with zᵢ = xᵢ·θ, computed in the stable
    form max(z, 0) + log1p(e^{−|z|}) − y z; ∇L = Xᵀ(σ(Xθ) − y)/m. Every full
    evaluation touches all rows (one fused compiled pass).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,) with values 0 and 1 only
    X_val, y_val : arrays or None
    intercept : bool, default False
        Column 0 of X is the column of ones, and a penalty leaves its weight alone.
    """

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    intercept: bool = field(default=False, kw_only=True)

    kind = "logistic"
    loss = "log"  # the row loss, by its name in ``losses``
    epsilon = 0.1  # unused: the loops take one ε for every loss

    def __post_init__(self) -> None:
        X, y = check_arrays(self.X, self.y)
        _check_binary(y, "y")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        self._check_intercept()
        val = _validation_arrays(self)
        if val is not None:
            _check_binary(val[1], "y_val")
            object.__setattr__(self, "X_val", val[0])
            object.__setattr__(self, "y_val", val[1])

    def evaluate(
        self, thetas: np.ndarray, penalty: Penalty | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full-data losses (k,) and gradients (k, d); one pass over X per point.

        At θ = 0 (where every dataset run starts) all zᵢ = 0, so the loss is
        log 2 and the gradient Xᵀ(½ − y)/m: computed once and reused. With a
        penalty: the penalised objective and its minimum-norm subgradient.
        """
        thetas = np.atleast_2d(thetas)
        losses, grads = _logistic_values(self.X, self.y, thetas, self._at_zero)
        return self._with_penalty(losses, grads, thetas, penalty)

    @functools.cached_property
    def _at_zero(self) -> np.ndarray:
        return (self.X.T @ (0.5 - self.y)) / self.n_samples

    def validation_losses(self, thetas: np.ndarray) -> np.ndarray | None:
        if self.X_val is None:
            return None
        return _logistic_values(self.X_val, self.y_val, np.atleast_2d(thetas))[0]

    # σ' <= ¼ bounds the Hessian by XᵀX/(4m): 8/λ_max batch, 8/max‖xᵢ‖² rows.
    curvature_bound: ClassVar[float] = 0.25


@dataclass(frozen=True, eq=False, repr=False)
class HuberRegression(_Rows):
    """Linear regression with scikit-learn's Huber loss: robust to outliers.

    L(θ) = 1/m Σ ℓ(xᵢ·θ − yᵢ) with ℓ(r) = ½ r² for |r| <= ε and ε|r| − ½ε²
    beyond (``SGDRegressor(loss="huber", epsilon=ε)``); ∇L = Xᵀ clip(r, ±ε)/m.
    Every full evaluation touches all rows (one fused compiled pass).

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
    X_val, y_val : arrays or None
    epsilon : float in (0, inf), default 0.1
        Where the loss turns from quadratic to linear, in units of y.
    intercept : bool, default False
        Column 0 of X is the column of ones, and a penalty leaves its weight alone.
    """

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    epsilon: float = field(default=0.1, kw_only=True)
    intercept: bool = field(default=False, kw_only=True)

    kind = "huber"
    loss = "huber"  # the row loss, by its name in ``losses``

    def __post_init__(self) -> None:
        eps = self.epsilon
        must(is_real(eps) and 0 < eps < math.inf, "epsilon", "a float in (0, inf)", eps)
        object.__setattr__(self, "epsilon", float(eps))
        X, y = check_arrays(self.X, self.y)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        self._check_intercept()
        val = _validation_arrays(self)
        if val is not None:
            object.__setattr__(self, "X_val", val[0])
            object.__setattr__(self, "y_val", val[1])

    def evaluate(
        self, thetas: np.ndarray, penalty: Penalty | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full-data losses (k,) and gradients (k, d); one pass over X per point.

        With a penalty: the penalised objective and its minimum-norm subgradient.
        """
        thetas = np.atleast_2d(thetas)
        losses, grads = _huber_values(self.X, self.y, thetas, self.epsilon)
        return self._with_penalty(losses, grads, thetas, penalty)

    def validation_losses(self, thetas: np.ndarray) -> np.ndarray | None:
        if self.X_val is None:
            return None
        thetas = np.atleast_2d(thetas)
        return _huber_values(self.X_val, self.y_val, thetas, self.epsilon)[0]

    # ℓ'' <= 1 bounds the Hessian by XᵀX/m: 2/λ_max batch, 2/max‖xᵢ‖² rows.
    curvature_bound: ClassVar[float] = 1.0


def _huber_values(
    X: np.ndarray, y: np.ndarray, thetas: np.ndarray, epsilon: float
) -> tuple[np.ndarray, np.ndarray]:
    """Mean Huber losses (k,) and gradients (k, d): compiled for a few points,
    numpy blocks (Z = X_b Θᵀ) for a stack such as a loss-surface grid."""
    losses = np.full(len(thetas), np.nan)
    grads = np.full(thetas.shape, np.nan, dtype=np.float64)
    finite = np.isfinite(thetas).all(axis=1)
    if len(thetas) > 4:
        losses[finite], grads[finite] = _huber_stack(X, y, thetas[finite], epsilon)
        return losses, grads
    for k in np.flatnonzero(finite):
        losses[k], grads[k] = _fused_logistic_pass(X, y, thetas[k], "huber", epsilon)
    return losses, grads


def _huber_stack(
    X: np.ndarray, y: np.ndarray, thetas: np.ndarray, epsilon: float
) -> tuple[np.ndarray, np.ndarray]:
    """The same formulas as ``losses.huber_terms``, on k points at once."""
    n = y.shape[0]
    loss = np.zeros(len(thetas))
    grad = np.zeros(thetas.shape)
    rows = max(1, min(_CHUNK, 2_000_000 // max(len(thetas), 1)))
    with np.errstate(all="ignore"):
        for start in range(0, n, rows):
            block = X[start : start + rows]
            r = block @ thetas.T - y[start : start + rows, None]  # (rows, k)
            a = np.abs(r)
            inside = a <= epsilon
            loss += np.sum(
                np.where(inside, 0.5 * r * r, epsilon * a - 0.5 * epsilon**2), axis=0
            )
            grad += np.clip(r, -epsilon, epsilon).T @ block
    return loss / n, grad / n


@dataclass(frozen=True, eq=False)
class Objective:
    """Any differentiable f(θ) of a few variables, from value and gradient callables.

    The explorer plugs symbolic functions in here. It has no rows: every
    variant is batch, and one epoch is one update.

    Parameters
    ----------
    value : callable, θ (d,) -> float
    gradient : callable, θ (d,) -> array (d,)
    n_features : int, the number of variables (1 or 2 in the explorer)
    """

    value: Callable[[np.ndarray], float]
    gradient: Callable[[np.ndarray], np.ndarray]
    n_features: int

    kind = "function"
    n_samples = 1

    def __post_init__(self) -> None:
        n = self.n_features
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise DataError(
                f"An objective needs n_features >= 1 variables. Got {n!r} instead."
            )

    def evaluate(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        thetas = np.atleast_2d(thetas)
        losses = np.empty(len(thetas))
        grads = np.empty_like(thetas, dtype=np.float64)
        with np.errstate(all="ignore"):
            for k, theta in enumerate(thetas):
                try:
                    losses[k] = self.value(theta)
                    gradient = np.asarray(self.gradient(theta), dtype=np.float64)
                except (ArithmeticError, ValueError):  # e.g. log of a negative
                    losses[k], grads[k] = np.nan, np.nan
                    continue
                # Checked outside the try: a wrong shape is a bug to report,
                # not a point where f is undefined.
                if gradient.shape != (self.n_features,):
                    raise DataError(
                        f"The gradient returned an array of shape {gradient.shape}; "
                        f"it must have shape ({self.n_features},), one partial "
                        "derivative per variable."
                    )
                grads[k] = gradient
        return losses, grads

    @property
    def n_params(self) -> int:
        return self.n_features

    def validation_losses(self, thetas: np.ndarray) -> None:
        return None

    def stable_learning_rate(self, batch_size: int) -> None:
        return None


Problem = LinearRegression | LogisticRegression | HuberRegression | Objective


def _validation_arrays(problem) -> tuple[np.ndarray, np.ndarray] | None:
    if problem.X_val is None and problem.y_val is None:
        return None
    if problem.X_val is None or problem.y_val is None:
        raise DataError("Give both X_val and y_val, or neither.")
    X_val, y_val = check_arrays(problem.X_val, problem.y_val, name="validation")
    if X_val.shape[1] != problem.X.shape[1]:
        raise DataError(
            f"validation X has {X_val.shape[1]} columns but X has "
            f"{problem.X.shape[1]}: they must have the same features."
        )
    return X_val, y_val


def _check_binary(y: np.ndarray, label: str) -> None:
    if not ((y == 0.0) | (y == 1.0)).all():  # a sort-free check: O(n)
        values = np.unique(y)
        shown = ", ".join(f"{v:g}" for v in values[:5])
        raise DataError(
            f"{label} must contain only 0 and 1 for logistic regression. "
            f"Got values {shown}{' ...' if len(values) > 5 else ''}: "
            "encode the two classes as 0 and 1."
        )


def _max_row_norm2(X: np.ndarray) -> float:
    best = 0.0
    for start in range(0, X.shape[0], _CHUNK):
        block = X[start : start + _CHUNK]
        best = max(best, float(np.einsum("ij,ij->i", block, block).max()))
    return best


def _logistic_values(
    X: np.ndarray,
    y: np.ndarray,
    thetas: np.ndarray,
    grad_at_zero: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    losses = np.full(len(thetas), np.nan)
    grads = np.full(thetas.shape, np.nan, dtype=np.float64)
    finite = np.isfinite(thetas).all(axis=1)
    if len(thetas) > 4:  # a stack (e.g. a loss-surface grid): all at once
        losses[finite], grads[finite] = _logistic_stack(X, y, thetas[finite])
        return losses, grads
    for k in np.flatnonzero(finite):
        if grad_at_zero is not None and not thetas[k].any():
            losses[k], grads[k] = math.log(2.0), grad_at_zero
        else:
            losses[k], grads[k] = _fused_logistic_pass(X, y, thetas[k])
    return losses, grads


def _logistic_stack(
    X: np.ndarray, y: np.ndarray, thetas: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Losses and gradients at k points in one pass: Z = X_b Θᵀ block by block.

    The same formulas as the compiled single-point pass (``losses.log_terms``).
    """
    n = y.shape[0]
    loss = np.zeros(len(thetas))
    grad = np.zeros(thetas.shape)
    rows = max(1, min(_CHUNK, 2_000_000 // max(len(thetas), 1)))  # bound Z's size
    for start in range(0, n, rows):
        block = X[start : start + rows]
        sign = 1.0 - 2.0 * y[start : start + rows, None]
        # w = (1 − 2y) z: the loss is log(1 + e^w) and the residual σ(z) − y is
        # (1 − 2y) σ(w), both without cancellation however large |z| is.
        w = sign * (block @ thetas.T)  # (rows, k)
        e = np.exp(-np.abs(w))
        loss += np.sum(np.maximum(w, 0.0) + np.log1p(e), axis=0)
        residual = sign * (np.where(w >= 0.0, 1.0, e) / (1.0 + e))
        grad += residual.T @ block
    return loss / n, grad / n


def _fused_logistic_pass(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    loss: str = "log",
    epsilon: float = 0.1,
) -> tuple[float, np.ndarray]:
    """Mean log-loss and its gradient in one compiled read of X (y is 0 or 1).

    Per row, with z = x·θ: loss = log(1 + e^z) − y z, computed as
    max(w, 0) + log1p(e^−|z|) with w = (1 − 2y) z (that is max(z, 0) − y z,
    without its cancellation) so that e^z never overflows (|z| = 1e4 is fine);
    gradient (σ(z) − y) x with σ from the same e^−|z|. The rows are cut
    into fixed chunks that the calling thread and the pool's take in turn (the
    kernel releases the GIL); the chunks' sums are added in chunk order, so the
    result does not depend on the number of threads or on who took what.
    Any row loss (``loss``, with Huber's ``epsilon``) takes the same pass.
    """
    from gddash.engine.data_pass import loss_sums  # imports numba: on first use

    n, d = X.shape
    theta = np.array(theta, dtype=np.float64)
    chunks = -(-n // _ROWS_PER_CHUNK)
    losses = np.zeros(chunks)
    grads = np.zeros((chunks, d))
    claims = itertools.count()  # next() is atomic under the GIL: one taker a chunk

    def work() -> None:
        while (k := next(claims)) < chunks:
            lo, hi = k * _ROWS_PER_CHUNK, min((k + 1) * _ROWS_PER_CHUNK, n)
            losses[k] = loss_sums(
                X, y, theta, lo, hi, grads[k], loss=loss, epsilon=epsilon
            )

    helpers = [_pool().submit(work) for _ in range(min(_THREADS, chunks) - 1)]
    work()
    for helper in helpers:  # one not started yet (pool busy elsewhere) has no work left
        if not helper.cancel():
            helper.result()
    return math.fsum(losses) / n, grads.sum(axis=0) / n


_THREADS = min(4, os.cpu_count() or 1)
# A unit of work: ~0.5 ms at d = 10. Small enough that a thread held up by a
# busy core leaves its share to the others; large enough to amortise the handover.
_ROWS_PER_CHUNK = 65_536


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="gddash")
