"""Multi-class softmax regression: K classes, K rows of weights, one θ.

θ is the K × d weight matrix flattened row-major (θ[c·d + j] weighs feature j
for class c), so every rule, schedule and penalty treats it as one vector.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from gddash.engine.penalties import Penalty
from gddash.engine.problems import _CHUNK, _Rows, _validation_arrays, check_arrays
from gddash.engine.validate import is_int, must
from gddash.errors import DataError, SettingsError

MIN_CLASSES = 2
MAX_CLASSES = 20


def check_labels(y: np.ndarray, n_classes: int, label: str) -> None:
    """Refuse a target that is not class indices 0..K−1 (as floats)."""
    if not (np.floor(y) == y).all():
        bad = y[np.floor(y) != y][:3]
        shown = ", ".join(f"{v:g}" for v in bad)
        raise DataError(
            f"{label} must hold class indices 0, 1, …, {n_classes - 1} for softmax "
            f"regression. Got non-integer values {shown}: encode each class as its "
            "index."
        )
    if not ((y >= 0) & (y < n_classes)).all():
        low, high = float(y.min()), float(y.max())
        raise DataError(
            f"{label} must hold class indices 0..{n_classes - 1} for {n_classes} "
            f"classes. Got values from {low:g} to {high:g}: encode each class as "
            "its index, or set n_classes."
        )


@dataclass(frozen=True, eq=False, repr=False)
class SoftmaxRegression(_Rows):
    """Softmax (multinomial logistic) regression with the mean cross-entropy.

    Scores s = Θx (Θ of shape (K, d)), probabilities p = softmax(s), loss
    L(θ) = 1/m Σ log Σ_c e^{s_ic} − s_{i,yᵢ}; ∇_Θ L = (P − Y)ᵀX / m with Y the
    one-hot targets. Computed through log-sum-exp shifted by the largest score,
    so no score overflows. Starting from θ = 0, gradient steps keep Σ_c Θ_c = 0
    (each row's gradient sums to zero over classes), which picks one of the
    minimisers of the over-parameterised unpenalised loss.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,), class indices 0..K−1 as numbers
    X_val, y_val : arrays or None
    n_classes : int in [2, 20] or None
        K; None takes max(y) + 1. Every class must appear in y.
    intercept : bool, default False
        Column 0 of X is the column of ones; a penalty leaves its K weights alone.
    """

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    n_classes: int | None = field(default=None, kw_only=True)
    intercept: bool = field(default=False, kw_only=True)

    kind = "softmax"
    loss = "softmax"

    def __post_init__(self) -> None:
        X, y = check_arrays(self.X, self.y)
        k = self.n_classes
        if k is None:
            levels = len(np.unique(y))
            if levels < MIN_CLASSES or levels > MAX_CLASSES:
                raise SettingsError(
                    f"Softmax regression needs a target with {MIN_CLASSES} to "
                    f"{MAX_CLASSES} classes. Got {levels} distinct value"
                    f"{'s' if levels != 1 else ''}: "
                    + (
                        "a target with one class has nothing to tell apart."
                        if levels < MIN_CLASSES
                        else "is it a numeric target? Use a regression loss."
                    )
                )
            integers = (np.floor(y) == y).all()
            k = max(int(y.max()) + 1, levels) if integers else levels
            check_labels(y, k, "y")
        must(
            is_int(k) and MIN_CLASSES <= k <= MAX_CLASSES,
            "n_classes",
            f"an int in [{MIN_CLASSES}, {MAX_CLASSES}]",
            self.n_classes if self.n_classes is not None else k,
        )
        check_labels(y, k, "y")
        present = np.bincount(y.astype(np.int64), minlength=k)
        if (present == 0).any():
            missing = ", ".join(str(c) for c in np.flatnonzero(present == 0)[:5])
            raise DataError(
                f"y has no rows of class {missing}: every class 0..{k - 1} needs "
                "at least one training row (without one, its weights would run "
                "off to -inf)."
            )
        object.__setattr__(self, "n_classes", int(k))
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        self._check_intercept()
        val = _validation_arrays(self)
        if val is not None:
            check_labels(val[1], k, "y_val")
            object.__setattr__(self, "X_val", val[0])
            object.__setattr__(self, "y_val", val[1])

    @property
    def n_params(self) -> int:
        """K · d: one weight per class and feature."""
        return self.n_classes * self.n_features

    def evaluate(
        self, thetas: np.ndarray, penalty: Penalty | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full-data losses (k,) and gradients (k, K·d); one pass over X per point.

        With a penalty: the penalised objective and its minimum-norm subgradient.
        """
        thetas = np.atleast_2d(thetas)
        zero = ~thetas.any(axis=1)
        if zero.any() and len(thetas) <= 4:  # a run's start: answered from a cache
            losses, grads = np.empty(len(thetas)), np.empty(thetas.shape)
            losses[zero], grads[zero] = math.log(self.n_classes), self._at_zero
            rest = ~zero
            losses[rest], grads[rest] = _softmax_values(
                self.X, self.y, thetas[rest], self.n_classes
            )
        else:
            losses, grads = _softmax_values(self.X, self.y, thetas, self.n_classes)
        return self._with_penalty(losses, grads, thetas, penalty)

    @functools.cached_property
    def _at_zero(self) -> np.ndarray:
        """∇L at θ = 0, where every class has p = 1/K: (1/K − Y)ᵀX / m (and
        L = log K). Every run from zeros starts here, so it is computed once."""
        counts = np.zeros((self.n_classes, self.n_features))
        classes = np.arange(self.n_classes, dtype=np.float64)
        for start in range(0, self.n_samples, _CHUNK):
            block = self.X[start : start + _CHUNK]
            onehot = self.y[start : start + _CHUNK, None] == classes  # Y, (rows, K)
            counts += onehot.T.astype(np.float64) @ block  # Yᵀ X
        mean = self.X.sum(axis=0) / self.n_classes
        return ((mean - counts) / self.n_samples).ravel()

    def validation_losses(self, thetas: np.ndarray) -> np.ndarray | None:
        if self.X_val is None:
            return None
        thetas = np.atleast_2d(thetas)
        return _softmax_values(self.X_val, self.y_val, thetas, self.n_classes)[0]

    def probabilities(
        self, theta: np.ndarray, X: np.ndarray | None = None
    ) -> np.ndarray:
        """Class probabilities (n, K) at θ for X (the training rows by default)."""
        X = self.X if X is None else X
        scores = X @ np.asarray(theta).reshape(self.n_classes, -1).T
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        return p / p.sum(axis=1, keepdims=True)

    # diag(p) − ppᵀ ≼ ½ I bounds the Hessian by ½ XᵀX/m ⊗ I (Böhning):
    # 4/λ_max batch, 4/max‖xᵢ‖² rows.
    curvature_bound: ClassVar[float] = 0.5


def _softmax_values(
    X: np.ndarray, y: np.ndarray, thetas: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy (k,) and gradients (k, K·d) at k points, in row blocks."""
    n, d = X.shape
    losses = np.full(len(thetas), np.nan)
    grads = np.full(thetas.shape, np.nan, dtype=np.float64)
    labels = y.astype(np.int64)
    with np.errstate(all="ignore"):
        for k in np.flatnonzero(np.isfinite(thetas).all(axis=1)):
            weights = thetas[k].reshape(n_classes, d)
            total = 0.0
            grad = np.zeros((n_classes, d))
            for start in range(0, n, _CHUNK):
                block = X[start : start + _CHUNK]
                rows = labels[start : start + _CHUNK]
                scores = block @ weights.T  # (rows, K)
                top = scores.max(axis=1, keepdims=True)
                shifted = np.exp(scores - top)
                sums = shifted.sum(axis=1, keepdims=True)
                # −log p_y = log Σ e^{s_c} − s_y, both shifted by the top score
                picked = scores[np.arange(len(rows)), rows]
                total += float(np.sum(np.log(sums[:, 0]) + top[:, 0] - picked))
                residual = shifted / sums
                residual[np.arange(len(rows)), rows] -= 1.0  # P − Y
                grad += residual.T @ block
            losses[k] = total / n
            grads[k] = grad.ravel() / n
    return losses, grads
