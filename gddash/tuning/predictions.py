"""Theory on the curves: four runs on the visitor's data, each with its prediction.

Batch descent (exact per-eigendirection decay on the squared loss), heavy-ball
momentum at its optimal settings (the √κ rate), constant-rate mini-batch or SGD
(the noise floor, an approximation) and the same with a 1/t schedule (an O(1/k)
guide). The runs are the engine's; the predictions come from ``theory``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gddash import compare
from gddash.compare import CompareSettings, Optimum
from gddash.data import Dataset
from gddash.engine import LinearRegression, LogisticRegression, Settings, Trace
from gddash.engine import descend as engine_descend
from gddash.tuning import theory
from gddash.tuning.curvature import Curvature, hessian_at
from gddash.tuning.sweep import variant_of

Problem = LinearRegression | LogisticRegression


@dataclass(frozen=True)
class Demonstration:
    """One run and what theory says about it (no overlays: nothing applies)."""

    key: str  # "batch" | "momentum" | "noise" | "decay"
    title: str
    trace: Trace
    overlays: tuple[theory.Overlay, ...]
    note: str


def residuals(dataset: Dataset, theta_star: np.ndarray) -> np.ndarray:
    """Per-row derivative of the loss in z = x·θ at θ*: xθ* − y, or σ(xθ*) − y."""
    z = dataset.X @ theta_star
    if dataset.task == "linear":
        return z - dataset.y
    return np.exp(-np.logaddexp(0.0, -z)) - dataset.y


def work(
    n_samples: int, n_params: int, task: str, *, batch_size: int, epochs: float
) -> int:
    """Row × parameter products of the four runs (``compare.work``'s count):
    two batch runs and two of ``batch_size`` rows, ``epochs`` passes each."""
    size = min(batch_size, max(n_samples - 1, 1))
    pair = CompareSettings(
        variants=("batch", variant_of(size, n_samples)),
        batch_size=size,
        epochs=epochs,
    )
    return 2 * compare.work(n_samples, n_params, task, pair)


def demonstrations(
    dataset: Dataset,
    problem: Problem,
    optimum: Optimum,
    curvature: Curvature,
    **settings,
) -> tuple[Demonstration, ...]:
    """The four runs and their overlays (see ``_demonstrations`` for the settings).

    A diverged run's overflow, or a gap of exactly zero, is a value to draw
    (or drop), never a warning.
    """
    with np.errstate(all="ignore"):
        return _demonstrations(dataset, problem, optimum, curvature, **settings)


def _demonstrations(
    dataset: Dataset,
    problem: Problem,
    optimum: Optimum,
    curvature: Curvature,
    *,
    learning_rate: float,
    batch_size: int,
    epochs: float,
    seed: int = 0,
    descend: Callable[[Problem, Settings], Trace] = engine_descend,
) -> tuple[Demonstration, ...]:
    """The four runs and their overlays, with ``epochs`` passes each."""
    n = dataset.n_samples
    squared = dataset.task == "linear"
    star, loss_star = optimum.theta, optimum.loss
    shared = dict(max_epochs=epochs, seed=seed, eps=0.0)
    shown = []

    # 1. Batch: exact on the squared loss.
    batch = descend(problem, Settings(learning_rate=learning_rate, **shared))
    hessian = None
    if squared:
        hessian = getattr(problem, "hessian", None)
        hessian = hessian_at(dataset.X, "linear") if hessian is None else hessian
        overlay = theory.batch_decay(
            hessian,
            batch.path[0],
            star,
            loss_star,
            learning_rate,
            batch.updates,
        )
        note = overlay.note
    else:
        overlay = None
        note = (
            "The exact decay needs a constant Hessian, which only the squared loss "
            "has; near θ* the log-loss behaves like the quadratic of its Hessian."
        )
    shown.append(
        Demonstration(
            "batch",
            f"Batch, plain, η = {learning_rate:.3g}",
            batch,
            () if overlay is None else (overlay,),
            note,
        )
    )

    # 2. Heavy ball at Polyak's optimal settings.
    rate, beta = curvature.momentum_rate, curvature.momentum_beta
    heavy = descend(
        problem,
        Settings(learning_rate=rate, rule="momentum", momentum=beta, **shared),
    )
    overlays = []
    if squared:
        overlays.append(
            theory.momentum_decay(
                hessian, heavy.path[0], star, loss_star, rate, beta, heavy.updates
            )
        )
    if math.isfinite(curvature.condition_number) and heavy.status != "diverged":
        overlays.append(
            theory.momentum_rate(curvature, heavy.updates, heavy.loss, loss_star)
        )
        note = overlays[-1].note + ("" if squared else " (local: the Hessian at θ*).")
    else:
        note = "κ is infinite (a flat direction): no √κ rate applies."
    shown.append(
        Demonstration(
            "momentum",
            f"Batch, momentum at its optimum (η = {rate:.3g}, β = {_short(beta)})",
            heavy,
            tuple(overlays),
            note,
        )
    )

    # 3. Constant-rate stochastic: the noise floor.
    size = min(batch_size, max(n - 1, 1))
    variant = variant_of(size, n)
    noisy = descend(
        problem,
        Settings(
            variant=variant, batch_size=size, learning_rate=learning_rate, **shared
        ),
    )
    eigenvalues, vectors = np.linalg.eigh(hessian_at(dataset.X, dataset.task, star))
    noise = theory.gradient_noise(dataset.X, residuals(dataset, star), vectors)
    floor = theory.noise_floor(eigenvalues, noise, learning_rate, size, n)
    what = "SGD" if size == 1 else f"Mini-batch of {size}"
    if math.isfinite(floor) and variant != "batch":
        overlay = theory.noise_floor_overlay(floor, loss_star, noisy.updates, size)
        overlays, note = (overlay,), overlay.note
    else:
        overlays = ()
        note = "ηλ ≥ 2 on some direction: the iterates have no stationary level."
    shown.append(
        Demonstration(
            "noise", f"{what}, constant η = {learning_rate:.3g}", noisy, overlays, note
        )
    )

    # 4. The same with η_t = η₀/t: no floor, O(1/k) at best.
    decaying = descend(
        problem,
        Settings(
            variant=variant,
            batch_size=size,
            learning_rate=learning_rate,
            schedule="invscaling",
            power_t=1.0,
            **shared,
        ),
    )
    per_epoch = math.ceil(n / size) if variant != "batch" else 1
    overlay = theory.inverse_k(decaying.updates, decaying.loss, loss_star, per_epoch)
    shown.append(
        Demonstration(
            "decay",
            f"{what}, η_t = {learning_rate:.3g}/t",
            decaying,
            (overlay,),
            overlay.note,
        )
    )
    return tuple(shown)


def _short(value: float) -> str:
    """Three significant digits, and 0 for rounding-level values (β = 1e-32)."""
    return "0" if abs(value) < 1e-12 else f"{value:.3g}"
