"""Independent references: the closed-form optimum and the data's conditioning."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gddash.engine.problems import check_arrays


def least_squares(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The least-squares optimum θ* (numpy's lstsq, SVD-based) and its loss.

    Returns θ* of shape (n_features,) and L(θ*) = ‖Xθ* − y‖² / (2m), the floor
    that no descent on the same data can go below.
    """
    X, y = check_arrays(X, y)
    theta, *_ = np.linalg.lstsq(X, y, rcond=None)
    residual = X @ theta - y
    return theta, float(residual @ residual) / (2 * X.shape[0])


@dataclass(frozen=True)
class Conditioning:
    """How hard the squared loss is for plain gradient descent.

    ``eigenvalues`` of XᵀX/m (ascending), the condition number λ_max/λ_min
    (inf when XᵀX is singular) and the largest stable constant learning rate
    of batch descent, 2/λ_max: above it every run diverges.
    """

    eigenvalues: np.ndarray
    condition_number: float
    stable_learning_rate: float

    @property
    def suggested_learning_rate(self) -> float:
        """1/λ_max: half the stable limit, fast on the stiffest direction."""
        return self.stable_learning_rate / 2


def conditioning(X: np.ndarray) -> Conditioning:
    """Eigen-analysis of XᵀX/m for X of shape (n_samples, n_features)."""
    X, _ = check_arrays(X, np.zeros(np.asarray(X).shape[0]))
    eigenvalues = np.linalg.eigvalsh((X.T @ X) / X.shape[0])
    top = float(eigenvalues[-1])
    low = float(eigenvalues[0])
    cond = top / low if low > top * 1e-15 else float("inf")
    return Conditioning(eigenvalues, cond, 2.0 / top if top > 0 else float("inf"))


@dataclass(frozen=True)
class LogisticOptimum:
    """The minimiser of the mean log-loss, by Newton's method (independent of descent).

    ``separable`` is True when the classes can be split perfectly: the loss then
    has no minimum (it tends to 0 as ‖θ‖ grows) and ``theta`` is where the
    search stopped.
    """

    theta: np.ndarray
    loss: float
    separable: bool


def logistic_optimum(
    X: np.ndarray, y: np.ndarray, *, max_iter: int = 100
) -> LogisticOptimum:
    """Minimise the mean log-loss with damped Newton steps (Hessian XᵀWX/m).

    Converges quadratically on well-posed data; stops when the Newton decrement
    is below 1e-20 or when the loss falls under 1e-9 with θ growing (separable).
    """
    X, y = check_arrays(X, y)
    m, d = X.shape
    theta = np.zeros(d)

    def loss_of(t: np.ndarray) -> float:
        z = X @ t
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    loss = loss_of(theta)
    for _ in range(max_iter):
        z = X @ theta
        p = np.exp(-np.logaddexp(0.0, -z))  # σ(z) without overflow
        grad = X.T @ (p - y) / m
        hessian = (X.T * (p * (1 - p))) @ X / m + 1e-12 * np.eye(d)
        step = np.linalg.lstsq(hessian, grad, rcond=None)[0]
        decrement = float(grad @ step)
        if decrement < 1e-20:
            break
        rate = 1.0
        while rate > 1e-10:  # backtracking: accept the first step that lowers L
            candidate = theta - rate * step
            new_loss = loss_of(candidate)
            if new_loss <= loss - 0.25 * rate * decrement:
                break
            rate /= 2
        theta, loss = candidate, new_loss
        if loss < 1e-9:
            break
    return LogisticOptimum(theta, loss, separable=loss < 1e-6)
