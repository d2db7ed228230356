"""Penalties R(w) on the weights, with scikit-learn's meaning (SGDRegressor).

The objective is mean loss + α R(w), where w is θ without its unpenalised
entries (the intercept; a problem's ``penalised`` mask says which):

    l2:          R(w) = ½ ‖w‖²
    l1:          R(w) = ‖w‖₁
    elasticnet:  R(w) = ρ ‖w‖₁ + (1 − ρ)/2 ‖w‖²     (ρ = l1_ratio)

Each is l1·‖w‖₁ + ½ l2·‖w‖² with l1 = αρ and l2 = α(1 − ρ) (ρ is 0 for "l2"
and 1 for "l1", as in scikit-learn). This module holds the values and the
recorded (sub)gradients; the loops' updates are ``rules.penalty_gradient`` /
``rules.penalty_after`` and scikit-learn's scheme in
``kernels.penalised_sgd_updates``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gddash.engine.validate import is_real, must

PENALTIES = ("l2", "l1", "elasticnet")


@dataclass(frozen=True)
class Penalty:
    """α R(w) for ``kind`` in {"l2", "l1", "elasticnet"}; α >= 0, ρ in [0, 1].

    >>> Penalty("elasticnet", alpha=0.1, l1_ratio=0.5).l1
    0.05
    """

    kind: str
    alpha: float
    l1_ratio: float = 0.15

    def __post_init__(self) -> None:
        must(
            self.kind in PENALTIES, "penalty", f"one of {PENALTIES} or None", self.kind
        )
        must(
            is_real(self.alpha) and 0 <= self.alpha < math.inf,
            "alpha",
            "a float in [0, inf)",
            self.alpha,
        )
        must(
            is_real(self.l1_ratio) and 0 <= self.l1_ratio <= 1,
            "l1_ratio",
            "a float in [0, 1]",
            self.l1_ratio,
        )
        object.__setattr__(self, "alpha", float(self.alpha))
        object.__setattr__(self, "l1_ratio", float(self.l1_ratio))

    @property
    def rho(self) -> float:
        """The share of ‖w‖₁: 0 for "l2", 1 for "l1", l1_ratio for "elasticnet"."""
        return {"l2": 0.0, "l1": 1.0}.get(self.kind, self.l1_ratio)

    @property
    def l1(self) -> float:
        """αρ, the weight of ‖w‖₁."""
        return self.alpha * self.rho

    @property
    def l2(self) -> float:
        """α(1 − ρ), the weight of ½‖w‖² (its gradient is l2·w)."""
        return self.alpha * (1.0 - self.rho)

    def values(self, thetas: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """α R(w) at a stack of points thetas (k, p); ``mask`` (p,) marks w in θ."""
        w = np.atleast_2d(thetas)[:, mask]
        return self.l1 * np.abs(w).sum(axis=1) + 0.5 * self.l2 * np.einsum(
            "kd,kd->k", w, w
        )

    def add_to(
        self,
        losses: np.ndarray,
        grads: np.ndarray,
        thetas: np.ndarray,
        mask: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The penalised objective from the loss's values (k,) and gradients (k, p).

        Returns the objective (k,), its smooth gradient (loss + l2·w, what an
        update steps along) and its minimum-norm subgradient (what is recorded
        and tested for convergence): where wⱼ ≠ 0 the gradient plus l1·sign(wⱼ),
        where wⱼ = 0 the smooth gradient shrunk towards 0 by l1 (0 when
        |gⱼ| <= l1, i.e. when 0 is in the subdifferential). With l1 = 0 the
        last two are the same array.
        """
        thetas = np.atleast_2d(thetas)
        smooth = grads + self.l2 * thetas * mask
        total = losses + self.values(thetas, mask)
        if self.l1 == 0.0:
            return total, smooth, smooth
        sign = np.sign(thetas)
        at_zero = soft(smooth, self.l1)
        reported = np.where(sign != 0.0, smooth + self.l1 * sign, at_zero)
        return total, smooth, np.where(mask, reported, smooth)

    def __repr__(self) -> str:
        ratio = f", l1_ratio={self.l1_ratio:g}" if self.kind == "elasticnet" else ""
        return f"Penalty({self.kind!r}, alpha={self.alpha:g}{ratio})"


def soft(values: np.ndarray, threshold: float) -> np.ndarray:
    """Soft-thresholding sign(v)·max(|v| − τ, 0): the proximal map of τ‖·‖₁."""
    return np.sign(values) * np.maximum(np.abs(values) - threshold, 0.0)
