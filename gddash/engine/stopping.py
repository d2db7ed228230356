"""When a run stops, and the sentence that says why.

Three outcomes, checked in this order at every evaluated point: diverged (the
loss or θ is not finite, or the loss ran away by a factor of 1e10), converged
(‖∇L‖ <= ε, or no loss improvement > tol for n_iter_no_change epochs), and
max_iter (the budget ran out). Divergence is a result, never an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RUNAWAY_FACTOR = 1e10


@dataclass(frozen=True)
class Blowup:
    """How a run diverged: ``kind`` for the advice, ``text`` for the sentence."""

    kind: str  # "theta" | "undefined" | "infinite" | "runaway" | "overflow"
    text: str


@dataclass(frozen=True)
class Stop:
    status: str  # "converged" | "max_iter" | "diverged"
    reason: str  # "eps" | "tol" | "budget" | "diverged"
    message: str


def _fmt(x: float) -> str:
    return f"{x:.3g}"


class StopRules:
    """Stateful checker fed with each evaluated point of one run.

    ``loss`` here is the minimised quantity (−f when maximising); ``what`` names
    the objective in sentences ("loss" or "f"), and sentences give its values as
    the user wrote it (``sign`` × the minimised quantity).
    """

    def __init__(
        self, settings, *, initial_loss: float, what: str, sign: float = 1.0
    ) -> None:
        self.eps = settings.eps
        self.tol = settings.tol
        self.patience = settings.n_iter_no_change
        self.what = what
        self.sign = sign
        self.initial = initial_loss
        self.scale = max(abs(initial_loss), 1.0) if math.isfinite(initial_loss) else 1.0
        self.best = math.inf
        self.no_improvement = 0

    def diverged(self, t: int, loss: float, theta: np.ndarray) -> Blowup | None:
        """How the run has diverged at update t, or None if it has not."""
        if not np.isfinite(theta).all():
            return Blowup("theta", f"θ became non-finite at update {t}")
        value = self.sign * loss  # in the user's terms
        if math.isnan(loss):
            return Blowup("undefined", f"{self.what} became nan at update {t}")
        if not math.isfinite(loss):
            return Blowup("infinite", f"{self.what} became {value} at update {t}")
        if abs(loss - self.initial) > RUNAWAY_FACTOR * self.scale:
            start = self.sign * self.initial
            return Blowup(
                "runaway",
                f"{self.what} ran away from {_fmt(start)} to {_fmt(value)} "
                f"by update {t}",
            )
        return None

    def flags(
        self, losses: np.ndarray, thetas: np.ndarray, grads: np.ndarray
    ) -> np.ndarray:
        """Points (k,) where divergence or the ε rule might stop the run.

        A vectorised pre-screen for a stretch of points; the scalar checks then
        decide, in order, at the flagged ones only.
        """
        runaway = ~(np.abs(losses - self.initial) <= RUNAWAY_FACTOR * self.scale)
        bad_theta = ~np.isfinite(thetas).all(axis=1)
        small = np.einsum("kd,kd->k", grads, grads) <= self.eps * self.eps
        return runaway | bad_theta | small

    def converged_by_gradient(self, grad_norm: float) -> bool:
        return grad_norm <= self.eps

    def converged_by_tol(self, loss: float) -> bool:
        """Called once per completed epoch (sklearn's n_iter_no_change rule)."""
        if self.tol is None:
            return False
        if loss > self.best - self.tol:
            self.no_improvement += 1
        else:
            self.no_improvement = 0
        self.best = min(self.best, loss)
        return self.no_improvement >= self.patience


def converged_message(what: str, grad_norm: float, eps: float, t: int) -> str:
    sym = "∇f" if what == "f" else "∇L"
    unit = "step" if what == "f" else "update"
    return (
        f"Converged: ‖{sym}‖ = {_fmt(grad_norm)} ≤ ε = {_fmt(eps)} "
        f"after {t} {unit}{'s' if t != 1 else ''}."
    )


def tol_message(what: str, tol: float, patience: int, epochs: float) -> str:
    return (
        f"Converged: the {what} improved by less than tol = {_fmt(tol)} for "
        f"{patience} consecutive epochs (stopped after {_fmt(epochs)} epochs)."
    )


def budget_message(
    *,
    epochs: float,
    updates: int,
    grad_norm: float,
    eps: float,
    what: str,
    stochastic_constant: bool,
) -> str:
    sym = "∇f" if what == "f" else "∇L"
    if what == "f":
        budget = f"{updates} iterations"
    else:
        budget = f"{epochs:.6g} epochs ({updates} updates)"
    advice = "raise the budget or the learning rate"
    if stochastic_constant:
        advice = (
            "with a constant learning rate, stochastic updates keep jittering around "
            "the optimum, so ‖∇L‖ may never reach ε: raise the budget, use a "
            "decaying schedule or a larger batch, or loosen ε"
        )
    return (
        f"Not converged after {budget}: ‖{sym}‖ = {_fmt(grad_norm)} > "
        f"ε = {_fmt(eps)}; {advice}."
    )


def diverged_message(
    blowup: Blowup,
    learning_rate: float,
    stable: float | None,
    function: bool,
    maximize: bool = False,
) -> str:
    if function and blowup.kind == "undefined":
        return (
            f"Diverged: {blowup.text}: f is undefined there. Start elsewhere or "
            "lower the learning rate."
        )
    if stable is not None and learning_rate > stable:
        advice = f"lower the learning rate below {_fmt(stable)}"
    else:
        advice = f"lower the learning rate (try {_fmt(learning_rate / 10)})"
    if function and blowup.kind in ("runaway", "infinite"):
        extremum = "maximum" if maximize else "minimum"
        advice += f", or check that f has a {extremum} in that direction"
    return f"Diverged: {blowup.text}: {advice}."
