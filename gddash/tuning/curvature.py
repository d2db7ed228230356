"""The loss's curvature at its optimum, and the learning rates it implies.

For the squared loss L(θ) = ‖Xθ − y‖²/(2m) the Hessian is XᵀX/m everywhere; for
the mean log-loss it is Xᵀ diag(p(1 − p)) X/m, here taken at θ* (its curvature
where descent ends up). Its eigenvalues λ₁ ≤ … ≤ λ_d set everything a constant
rate can do on the quadratic (or, for the log-loss, near θ*).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gddash.data import Dataset
from gddash.errors import DataError

# Eigenvalues drawn on the chart: beyond this many parameters only the largest.
SHOWN_EIGENVALUES = 50
# The full symmetric eigen-solve is O(d³); more parameters than this are refused.
MAX_PARAMETERS = 1_500
# An eigenvalue below this share of λ_max counts as zero (a flat direction).
FLAT = 1e-12


@dataclass(frozen=True)
class Curvature:
    """Eigenvalues of the Hessian at θ* and the constant rates they imply.

    Attributes
    ----------
    eigenvalues : ndarray (d,), ascending
    loss : {"squared", "log"}
    condition_number : float
        κ = λ_max / λ_min; inf when a direction is flat (λ_min ≤ 1e-12 λ_max).
    stable_rate : float
        2/λ_max: batch plain descent diverges above it (for the log-loss, near θ*).
    best_rate : float
        2/(λ_min + λ_max): the constant rate whose slowest direction contracts
        fastest, by (κ − 1)/(κ + 1) per update.
    momentum_rate, momentum_beta : float
        Polyak's heavy-ball optimum on the quadratic: η = 4/(√λ_max + √λ_min)²,
        β = ((√κ − 1)/(√κ + 1))², every direction contracting by √β per update.
    """

    eigenvalues: np.ndarray
    loss: str
    condition_number: float
    stable_rate: float
    best_rate: float
    momentum_rate: float
    momentum_beta: float

    def __post_init__(self) -> None:
        self.eigenvalues.setflags(write=False)

    @property
    def largest(self) -> float:
        return float(self.eigenvalues[-1])

    @property
    def smallest(self) -> float:
        return float(self.eigenvalues[0])

    @property
    def contraction(self) -> float:
        """(κ − 1)/(κ + 1): the error's worst per-update factor at ``best_rate``."""
        kappa = self.condition_number
        return 1.0 if math.isinf(kappa) else (kappa - 1) / (kappa + 1)

    @property
    def momentum_contraction(self) -> float:
        """(√κ − 1)/(√κ + 1) = √β: heavy ball's per-update factor at its optimum."""
        return math.sqrt(self.momentum_beta)

    def shown(self, limit: int = SHOWN_EIGENVALUES) -> np.ndarray:
        """The largest ``limit`` eigenvalues, ascending (all of them when fewer)."""
        return self.eigenvalues[-limit:]


def curvature_of(hessian: np.ndarray, loss: str = "squared") -> Curvature:
    """Eigen-analysis of a symmetric positive semi-definite Hessian (d, d)."""
    hessian = np.asarray(hessian, dtype=np.float64)
    if hessian.ndim != 2 or hessian.shape[0] != hessian.shape[1]:
        raise DataError(f"A Hessian must be square. Got shape {hessian.shape}.")
    if hessian.shape[0] > MAX_PARAMETERS:
        raise DataError(
            f"The model has {hessian.shape[0]:,} parameters; the curvature is "
            f"computed for at most {MAX_PARAMETERS:,}. Choose fewer features."
        )
    # Rounding can leave a flat direction's eigenvalue at −1e-17: clip it to 0.
    eigenvalues = np.clip(np.linalg.eigvalsh(hessian), 0.0, None)
    top = float(eigenvalues[-1])
    if not top > 0:
        raise DataError(
            "The loss is flat in every direction (all features are zero, or every "
            "prediction is certain): there is no curvature to analyse."
        )
    low = float(eigenvalues[0])
    flat = low <= FLAT * top
    kappa = math.inf if flat else top / low
    root_top, root_low = math.sqrt(top), 0.0 if flat else math.sqrt(low)
    ratio = (root_top - root_low) / (root_top + root_low)
    return Curvature(
        eigenvalues=eigenvalues,
        loss=loss,
        condition_number=kappa,
        stable_rate=2.0 / top,
        best_rate=2.0 / (top + (0.0 if flat else low)),
        momentum_rate=4.0 / (root_top + root_low) ** 2,
        momentum_beta=ratio**2,
    )


def hessian_at(X: np.ndarray, task: str, theta: np.ndarray | None = None) -> np.ndarray:
    """The loss's Hessian: XᵀX/m (squared loss), Xᵀ diag(p(1 − p)) X/m (log-loss).

    ``theta`` (θ*, say) is needed for the log-loss only: p = σ(Xθ).
    """
    X = np.asarray(X, dtype=np.float64)
    m = X.shape[0]
    if task == "linear":
        return (X.T @ X) / m
    if theta is None:
        raise ValueError("The log-loss's Hessian depends on θ: pass theta.")
    z = X @ np.asarray(theta, dtype=np.float64)
    p = np.exp(-np.logaddexp(0.0, -z))  # σ(z) without overflow
    weights = p * (1.0 - p)
    return (X.T * weights) @ X / m


def dataset_curvature(
    dataset: Dataset, theta_star: np.ndarray, *, hessian: np.ndarray | None = None
) -> Curvature:
    """The curvature of ``dataset``'s loss at θ* (``hessian`` if already formed)."""
    loss = "squared" if dataset.task == "linear" else "log"
    if hessian is None:
        hessian = hessian_at(dataset.X, dataset.task, theta_star)
    return curvature_of(hessian, loss)


@dataclass(frozen=True)
class Scaling:
    """κ with the features as prepared (standardised) and in their own units."""

    standardized: float
    raw: float

    @property
    def factor(self) -> float:
        """How many times worse raw conditioning is (inf when raw is singular)."""
        if math.isinf(self.raw):
            return math.inf
        return self.raw / self.standardized


def raw_design(dataset: Dataset) -> np.ndarray:
    """X in the features' own units: standardized · scale + mean (intercept kept)."""
    return dataset.unscale(dataset.X)


def scaling_effect(dataset: Dataset, theta_star: np.ndarray) -> Scaling:
    """κ of the Hessian with standardised features against raw ones.

    For the log-loss the weights p(1 − p) are those at the standardised θ*: with
    an intercept the raw model's optimum makes the same predictions (it is the
    same model in other units), so the weights are the raw optimum's too.
    """
    standardized = dataset_curvature(dataset, theta_star).condition_number
    design = raw_design(dataset)
    if dataset.task == "linear":
        raw = hessian_at(design, "linear")
    else:
        z = dataset.X @ theta_star  # the same predictions as the raw optimum's
        p = np.exp(-np.logaddexp(0.0, -z))
        raw = (design.T * (p * (1.0 - p))) @ design / dataset.n_samples
    return Scaling(standardized, curvature_of(raw).condition_number)
