"""What theory predicts for a run's loss curve, to draw beside the measured one.

Each prediction is an ``Overlay``: loss values at given update counts plus the
formula it comes from, and whether it is exact or an approximation. On the
squared loss L(θ) = ‖Xθ − y‖²/(2m) with H = XᵀX/m, plain batch descent at a
constant rate η moves the error e = θ − θ* by e ← (I − ηH) e, so in H's
eigenbasis (λᵢ, qᵢ) each coordinate cᵢ = qᵢ·e₀ shrinks by (1 − ηλᵢ) per update
and the loss gap is exactly ½ Σ λᵢ (1 − ηλᵢ)^(2k) cᵢ².
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gddash.tuning.curvature import Curvature


@dataclass(frozen=True)
class Overlay:
    """A predicted loss curve: ``loss`` at ``updates``, and where it comes from.

    ``formula`` is the line's label on the chart; ``exact`` says whether it is
    an identity (True) or an approximation or rate (False); ``note`` says more.
    """

    name: str
    formula: str
    updates: np.ndarray
    loss: np.ndarray
    exact: bool
    note: str = ""

    def __post_init__(self) -> None:
        self.updates.setflags(write=False)
        self.loss.setflags(write=False)


def eigen_coordinates(
    hessian: np.ndarray, theta0: np.ndarray, theta_star: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(λ ascending, c): H's eigenvalues and the initial error θ₀ − θ* in its basis."""
    eigenvalues, vectors = np.linalg.eigh(np.asarray(hessian, dtype=np.float64))
    error = np.asarray(theta0, dtype=np.float64) - np.asarray(theta_star)
    return eigenvalues, vectors.T @ error


def batch_decay(
    hessian: np.ndarray,
    theta0: np.ndarray,
    theta_star: np.ndarray,
    loss_star: float,
    learning_rate: float,
    updates: np.ndarray,
) -> Overlay:
    """The exact loss of plain batch descent on the squared loss after k updates.

    L(θ_k) = L* + ½ Σᵢ λᵢ (1 − ηλᵢ)^(2k) cᵢ², with (λᵢ, cᵢ) from
    ``eigen_coordinates``. Directions with λᵢ = 0 carry no loss: the gradient
    never moves them, and they do not change the loss either.
    """
    eigenvalues, c = eigen_coordinates(hessian, theta0, theta_star)
    k = np.asarray(updates, dtype=np.float64)[:, None]
    factor = (1.0 - learning_rate * eigenvalues)[None, :]
    with np.errstate(over="ignore", invalid="ignore"):
        # A diverging rate overflows to inf quietly; 0^0 = 1 keeps k = 0 exact.
        power = np.abs(factor) ** (2 * k)
        gap = 0.5 * (power * (eigenvalues * c**2)[None, :]).sum(axis=1)
    return Overlay(
        name="exact decay",
        formula="L* + ½ Σᵢ λᵢ (1 − ηλᵢ)^(2k) cᵢ²",
        updates=np.asarray(updates, dtype=np.int64).copy(),
        loss=loss_star + gap,
        exact=True,
        note=(
            "Exact for plain batch descent on the squared loss: each eigen-"
            "direction of XᵀX/m shrinks by (1 − ηλᵢ) per update."
        ),
    )


def momentum_decay(
    hessian: np.ndarray,
    theta0: np.ndarray,
    theta_star: np.ndarray,
    loss_star: float,
    learning_rate: float,
    beta: float,
    updates: np.ndarray,
) -> Overlay:
    """The exact loss of batch heavy-ball momentum on the squared loss.

    The engine's momentum (m ← βm + g, θ ← θ − ηm, m₀ = 0) is Polyak's heavy
    ball θ_{k+1} = θ_k − ηg_k + β(θ_k − θ_{k−1}), so each eigen-coordinate
    follows e₁ = (1 − ηλ)e₀, e_{k+1} = (1 + β − ηλ)e_k − βe_{k−1}; the gap is
    ½ Σ λᵢ eᵢ,ₖ².
    """
    eigenvalues, c = eigen_coordinates(hessian, theta0, theta_star)
    updates = np.asarray(updates, dtype=np.int64)
    wanted = np.zeros(int(updates.max(initial=0)) + 1, dtype=bool)
    wanted[updates] = True
    gaps = {}
    previous, current = c, (1.0 - learning_rate * eigenvalues) * c
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(len(wanted)):
            if k == 0:
                error = c
            elif k == 1:
                error = current
            else:
                previous, current = (
                    current,
                    (1 + beta - learning_rate * eigenvalues) * current
                    - beta * previous,
                )
                error = current
            if wanted[k]:
                gaps[k] = 0.5 * float(np.sum(eigenvalues * error**2))
    return Overlay(
        name="exact decay",
        formula="L* + ½ Σᵢ λᵢ eᵢ,ₖ², eₖ₊₁ = (1 + β − ηλᵢ)eₖ − βeₖ₋₁",
        updates=updates.copy(),
        loss=loss_star + np.array([gaps[int(k)] for k in updates]),
        exact=True,
        note=(
            "Exact for batch heavy-ball momentum on the squared loss: each "
            "eigendirection follows a two-term recurrence."
        ),
    )


def momentum_rate(
    curvature: Curvature,
    updates: np.ndarray,
    losses: np.ndarray,
    loss_star: float,
) -> Overlay:
    """Heavy ball at its optimal (η, β): the gap falls like ((√κ − 1)/(√κ + 1))^(2k).

    At Polyak's optimum every direction's error turns with modulus √β per
    update, times a factor linear in k for the two extreme directions, so the
    line shows the slope β^k through the measured gap halfway: a rate, not a level.
    """
    updates = np.asarray(updates, dtype=np.int64)
    gaps = np.asarray(losses, dtype=np.float64) - loss_star
    # Anchor halfway through the points still above rounding (a run that lands
    # on θ* exactly has a zero gap after it, which no rate line passes through).
    alive = np.flatnonzero(np.isfinite(gaps) & (gaps > 1e-12 * abs(gaps[0])))
    half = int(alive[len(alive) // 2]) if len(alive) else 0
    k0, gap0 = int(updates[half]), float(gaps[half])
    k = updates.astype(np.float64)
    with np.errstate(all="ignore"):
        gap = gap0 * curvature.momentum_beta ** (k - k0)
    return Overlay(
        name="√κ rate",
        formula=f"gap ∝ ((√κ − 1)/(√κ + 1))^(2k) (through update {k0:,})",
        updates=updates.copy(),
        loss=loss_star + gap,
        exact=False,
        note=(
            "The rate of heavy-ball momentum at η = 4/(√λ_max + √λ_min)², "
            "β = ((√κ − 1)/(√κ + 1))²: √κ in place of plain descent's κ."
        ),
    )


def gradient_noise(
    X: np.ndarray, residuals: np.ndarray, vectors: np.ndarray
) -> np.ndarray:
    """sᵢ = qᵢᵀ Σ qᵢ with Σ = mean of rⱼ² xⱼxⱼᵀ: the per-row gradient's variance
    along each eigenvector qᵢ (the columns of ``vectors``) at θ*.

    At θ* the mean gradient is zero, so Σ is the per-row gradient's covariance.
    """
    projected = np.asarray(X) @ vectors  # (m, d): xⱼ·qᵢ
    return (residuals[:, None] ** 2 * projected**2).mean(axis=0)


def noise_floor(
    eigenvalues: np.ndarray,
    noise: np.ndarray,
    learning_rate: float,
    batch_size: int,
    n_samples: int,
) -> float:
    """The loss gap constant-rate SGD settles to, approximately (η λ_max < 2).

    Model: θ ← θ − η (H(θ − θ*) + ξ) with ξ independent, of covariance Σ/b
    scaled by (n − b)/(n − 1) for rows drawn without replacement. Its stationary
    covariance C solves C = (I − ηH) C (I − ηH) + η² Σ_b, and the expected gap
    ½ tr(HC) is, in H's eigenbasis, η/(2b') Σᵢ sᵢ/(2 − ηλᵢ) with b' the scaled
    batch. The real row noise is neither independent nor additive (shuffled
    epochs cancel some of it), so this is an approximation.
    """
    if batch_size >= n_samples:
        return 0.0
    shrink = (n_samples - batch_size) / max(n_samples - 1, 1)
    with np.errstate(divide="ignore"):
        terms = noise / (2.0 - learning_rate * np.asarray(eigenvalues))
    if np.any(terms < 0) or not np.all(np.isfinite(terms)):
        return math.inf  # ηλ ≥ 2 on some direction: no stationary level
    return float(learning_rate * shrink / (2.0 * batch_size) * terms.sum())


def noise_floor_overlay(
    floor: float, loss_star: float, updates: np.ndarray, batch_size: int
) -> Overlay:
    """The noise floor as a flat line at L* + floor."""
    k = np.asarray(updates, dtype=np.int64).copy()
    return Overlay(
        name="noise floor",
        formula="L* + η/(2b) · Σᵢ sᵢ/(2 − ηλᵢ)  (approx.)",
        updates=k,
        loss=np.full(len(k), loss_star + floor),
        exact=False,
        note=(
            f"Approximation for constant-rate SGD with batch size {batch_size}: "
            "sᵢ is the variance of one row's gradient at θ* along eigenvector i "
            "(from the residuals at θ*), scaled by (n − b)/(n − 1)."
        ),
    )


def inverse_k(
    updates: np.ndarray, losses: np.ndarray, loss_star: float, anchor: int
) -> Overlay:
    """A gap ∝ 1/k reference through the measured gap at update ``anchor``.

    A decaying schedule (η_t → 0 with Σ η_t = ∞) removes the noise floor and
    the gap of SGD on a strongly convex loss falls as O(1/k) at best: the line
    shows that slope, not a level (its constant is the measured one).
    """
    updates = np.asarray(updates, dtype=np.int64)
    position = int(np.searchsorted(updates, anchor))
    position = min(max(position, 1 if len(updates) > 1 else 0), len(updates) - 1)
    k0 = max(int(updates[position]), 1)
    gap0 = float(losses[position]) - loss_star
    shown = updates[updates >= 1]
    return Overlay(
        name="O(1/k)",
        formula=f"gap ∝ 1/k (through update {k0:,})",
        updates=shown.copy(),
        loss=loss_star + gap0 * k0 / shown.astype(np.float64),
        exact=False,
        note="The best rate SGD with a decaying schedule can reach: a slope guide.",
    )
