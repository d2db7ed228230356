"""The learning-rate range test (Smith, 2017; fastai's ``lr_find``).

One run whose rate grows exponentially, η_t = η_lo · (η_hi/η_lo)^(t/(T − 1)),
one update per rate, with the full-data loss after each update. The loss first
barely moves (rate too small), then falls fastest (the *steepest* point, a
classic suggestion), then rises and blows up (the *divergence* point).

The engine has no growing schedule, so each update is its own ``descend`` call
of ``max_updates=1`` from the previous θ, at that update's rate, with the plain
rule (which keeps no state between updates, so the chain is exactly one run).
A stochastic update draws its rows with seed (seed, t), so the rows differ
from update to update and from seed to seed.

On batch least squares the loss can rise only at a rate above 2/λ_max (a step
η raises L iff η > 2‖g‖²/gᵀHg ≥ 2/λ_max), so the divergence point is never
below the stability limit. It can lie above it: the rates near 1/λ_max all but
erase the stiffest direction, which must grow back before the loss rises, so
the finer the grid and the larger κ, the more steps it lags (measured on the
bundled samples: up to 2.4 doublings, up to 6 steps of ×1.3).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gddash.engine import LinearRegression, LogisticRegression, Settings, Trace
from gddash.engine import descend as engine_descend
from gddash.errors import DataError, SettingsError

Problem = LinearRegression | LogisticRegression
# The run stops once the loss is this many times its best so far (fastai's rule).
BLOW_UP = 4.0
MAX_STEPS = 400
# A start this close to the optimum (relative to the loss) has nothing to find.
AT_OPTIMUM = 1e-10


@dataclass(frozen=True, kw_only=True)
class RangeSettings:
    """The rates to try and the rows each update reads.

    Parameters
    ----------
    low, high : float, 0 < low < high: the first and last rate
    steps : int in [3, MAX_STEPS]: updates (one per rate)
    batch_size : int >= 1 (>= n: batch descent)
    seed : int >= 0
    """

    low: float = 1e-6
    high: float = 1e3
    steps: int = 31  # the rate doubles per update
    batch_size: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        if not (0 < self.low < self.high < math.inf):
            raise SettingsError(
                "The range test needs rates 0 < lowest < highest. Got "
                f"{self.low!r} and {self.high!r}."
            )
        if not (isinstance(self.steps, int) and 3 <= self.steps <= MAX_STEPS):
            raise SettingsError(
                f"The range test takes 3 to {MAX_STEPS} steps. Got {self.steps!r}."
            )
        if not (isinstance(self.batch_size, int) and self.batch_size >= 1):
            raise SettingsError(f"Batch size must be >= 1. Got {self.batch_size!r}.")

    def rates(self) -> np.ndarray:
        """η_t for t = 0 … steps − 1: log-spaced from ``low`` to ``high``."""
        return np.geomspace(self.low, self.high, self.steps)

    @property
    def ratio(self) -> float:
        """The grid step: η_{t+1}/η_t."""
        return (self.high / self.low) ** (1.0 / (self.steps - 1))


@dataclass(frozen=True)
class RangeTest:
    """The loss after each update against that update's rate.

    ``rates`` and ``losses`` stop where the loss blew up (≥ ``BLOW_UP`` × its
    best, or not finite). ``steepest`` is the rate where the loss fell fastest
    per log-rate; ``divergence`` the rate of the first update after which the
    loss kept rising until the end (None when it never rose).
    """

    rates: np.ndarray
    losses: np.ndarray
    initial_loss: float
    steepest: float | None
    divergence: float | None
    seed: int

    def __post_init__(self) -> None:
        self.rates.setflags(write=False)
        self.losses.setflags(write=False)


def check_start(initial_loss: float, optimal_loss: float) -> None:
    """Refuse a range test that starts at the optimum: no rate has work to do."""
    gap = initial_loss - optimal_loss
    if gap <= AT_OPTIMUM * max(abs(initial_loss), abs(optimal_loss), 1e-300):
        raise DataError(
            f"The loss at the start (θ = 0) is already the optimal loss "
            f"({initial_loss:.6g}): every learning rate leaves it there, so a range "
            "test has nothing to show. Choose another target or features."
        )


def steepest_point(rates: np.ndarray, losses: np.ndarray) -> float | None:
    """The rate where the loss falls fastest per log-rate (fastai's "steep")."""
    if len(losses) < 3:
        return None
    slope = np.gradient(losses, np.log(rates))
    index = int(np.argmin(slope))
    return float(rates[index]) if slope[index] < 0 else None


def divergence_point(rates: np.ndarray, losses: np.ndarray) -> float | None:
    """The rate of the update that began the final rise: the loss went up after
    it and at every later update (None when the loss ended falling)."""
    rises = np.diff(losses) > 0  # rises[t]: update t + 1 raised the loss
    if len(rises) == 0 or not rises[-1]:
        return None
    falling = np.flatnonzero(~rises)
    start = 0 if len(falling) == 0 else int(falling[-1]) + 1
    return float(rates[start + 1])


def run(
    problem: Problem,
    settings: RangeSettings,
    *,
    descend: Callable[[Problem, Settings], Trace] = engine_descend,
) -> RangeTest:
    """One range test: ``settings.steps`` updates from θ = 0, one rate each."""
    n = problem.n_samples
    batch = min(settings.batch_size, n)
    variant = "batch" if batch >= n else ("sgd" if batch == 1 else "minibatch")
    theta = np.zeros(problem.n_features)
    initial = float(problem.evaluate(theta[None, :])[0][0])
    rates, losses = [], []
    best = initial
    for t, rate in enumerate(settings.rates()):
        trace = descend(
            problem,
            Settings(
                variant=variant,
                batch_size=batch,
                learning_rate=float(rate),
                max_epochs=1e12,
                max_updates=1,
                eps=0.0,
                # One seed per (seed, update): each update draws its own rows.
                seed=settings.seed * MAX_STEPS + t,
                max_points=2,
                theta0=tuple(theta),
            ),
        )
        loss = trace.final_loss
        rates.append(float(rate))
        losses.append(loss)
        if trace.status == "diverged" or not math.isfinite(loss):
            break
        theta = trace.theta
        best = min(best, loss)
        if loss > BLOW_UP * best:
            break
    rates_a, losses_a = np.array(rates), np.array(losses)
    finite = np.isfinite(losses_a)
    shown_rates, shown_losses = rates_a[finite], losses_a[finite]
    return RangeTest(
        rates=shown_rates,
        losses=shown_losses,
        initial_loss=initial,
        steepest=steepest_point(shown_rates, shown_losses),
        divergence=_divergence(rates_a, losses_a),
        seed=settings.seed,
    )


def _divergence(rates: np.ndarray, losses: np.ndarray) -> float | None:
    """``divergence_point`` with a non-finite last loss counted as a rise."""
    shown = np.where(np.isfinite(losses), losses, np.inf)
    return divergence_point(rates, shown)


def run_seeds(
    problem: Problem,
    settings: RangeSettings,
    seeds: int = 3,
    *,
    descend: Callable[[Problem, Settings], Trace] = engine_descend,
) -> tuple[RangeTest, ...]:
    """The range test for ``seeds`` seeds (seed, seed + 1, …): its noise, shown."""
    import dataclasses

    return tuple(
        run(
            problem,
            dataclasses.replace(settings, seed=settings.seed + k),
            descend=descend,
        )
        for k in range(seeds)
    )
