"""Which learning rate suits an update rule, and whether a run is worth handing over.

The code export writes scripts that redo a run exactly, so a run that diverged,
ended above its starting loss or fell far short would be handed over as if it
were a fit. ``check_run`` says so, with a rate to try; ``rule_rate`` picks the
rate, by the curvature of the data for plain and momentum descent and by the
distance to θ* for the adaptive rules, whose step does not follow the curvature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gddash import compare
from gddash.compare import Optimum
from gddash.data import Dataset
from gddash.engine import Settings, Trace

ADAPTIVE = ("adagrad", "rmsprop", "adam")
# The usual starting range for Adam's η, when θ* gives no better guide.
ADAPTIVE_FALLBACK = 0.01


@dataclass(frozen=True)
class RateChoice:
    """A learning rate for one update rule on one dataset, and why."""

    learning_rate: float
    reason: str  # one or two sentences, plain text with numbers


def _round1(value: float) -> float:
    """``value`` to one significant digit (a rate to type, not to trust to 1%)."""
    return float(f"{value:.1g}")


def travel(dataset: Dataset, optimum: Optimum, start=None) -> float | None:
    """How far θ* is from the start in its farthest coordinate, max |θ*ⱼ − θ0ⱼ|.

    None when the log-loss has no minimum (separable classes) or θ* is not finite.
    """
    if optimum.separable or not np.all(np.isfinite(optimum.theta)):
        return None
    theta0 = np.zeros_like(optimum.theta) if start is None else np.asarray(start)
    return float(np.max(np.abs(optimum.theta - theta0)))


def rule_rate(
    dataset: Dataset,
    rule: str,
    n_updates: int,
    optimum: Optimum,
    base: Settings,
    *,
    model: str | None = None,
) -> RateChoice:
    """A learning rate for ``rule`` that a run of ``n_updates`` updates can use.

    Plain descent is stable for η < 2/λ_max and per-row updates in mean square
    for η < 2/tr(XᵀX/m): ``compare.suggested_learning_rate`` takes half of the
    latter (×4 for the log-loss, whose curvature is at most a quarter; Huber's
    is at most the squared loss's, so its rate is the same). Softmax's
    cross-entropy curves at most half as much as the squared loss (Böhning's
    bound), so it takes 2/tr. An L2 part of a penalty adds l2 = α(1 − ρ) to
    every curvature: the rate becomes 1/(1/η + l2). Momentum's velocity sums up
    to 1/(1 − β) steps, so it gets (1 − β) of that. The adaptive rules divide
    each coordinate's step by its gradient's own size, so curvature does not
    bound them: Adam moves each coordinate by about η per update, RMSProp by
    about η (up to η/√(1 − ρ) in its first steps, which have no bias
    correction), and AdaGrad's steps shrink like η/√t, so N updates travel
    about 2η√N. Their η is set from the distance D to θ* (``travel``): three
    times what covers D in the run's updates (D/N for Adam; RMSProp capped at
    D·√(1 − ρ); for AdaGrad D/(2√N)). Without θ* (separable classes) it is 0.01.

    ``model`` is what is fitted (None: the dataset's task).
    """
    model = dataset.task if model is None else model
    n_updates = max(int(n_updates), 1)
    if rule not in ADAPTIVE:
        rate = compare.suggested_learning_rate(dataset)
        if model == "logistic":
            reason = (
                "4/trace of XᵀX/m: the log-loss curves at most a quarter as much as "
                "the squared loss, whose one-row updates stay stable below 2/trace"
            )
        elif model == "softmax":
            reason = (
                "2/trace of XᵀX/m: the cross-entropy curves at most half as much as "
                "the squared loss, whose one-row updates stay stable below 2/trace"
            )
        else:
            reason = (
                "1/trace of XᵀX/m, half of 2/trace, below which one-row updates "
                "stay stable (and batch too: trace ≥ λ_max)"
            )
            if model == "huber":
                reason += "; Huber's loss curves no more than the squared loss"
        penalty = base.penalty_term
        if penalty is not None and penalty.l2 > 0:
            rate = float(f"{1 / (1 / rate + penalty.l2):.2g}")
            reason += (
                f", lowered to 1/(1/η + l2) because the penalty's ½ l2‖w‖² adds "
                f"l2 = {penalty.l2:g} to every curvature"
            )
        if rule in ("momentum", "nesterov"):
            rate = float(f"{rate * (1 - base.momentum):.2g}")
            reason += (
                f", × (1 − β) = {1 - base.momentum:g} because the velocity adds "
                f"up to 1/(1 − β) = {1 / (1 - base.momentum):g} steps"
            )
        return RateChoice(rate, reason + ".")
    distance = travel(dataset, optimum, base.theta0)
    name = {"adam": "Adam", "rmsprop": "RMSProp", "adagrad": "AdaGrad"}[rule]
    lead = (
        f"{name} scales each coordinate's step by that coordinate's own gradient "
        "size, so the curvature bound 2/λ_max of plain descent does not apply: "
    )
    if distance is None or distance == 0:
        return RateChoice(
            ADAPTIVE_FALLBACK,
            lead + f"η is about the step in θ; {ADAPTIVE_FALLBACK:g} is a usual start "
            "(0.001–0.01).",
        )
    d = f"{distance:.3g}"
    if rule == "adam":
        rate = _round1(3 * distance / n_updates)
        how = (
            f"it moves each coordinate by about η per update, and θ* is {d} away in "
            f"its farthest coordinate, so η ≈ 3 × {d} / {n_updates:,} updates"
        )
    elif rule == "rmsprop":
        cap = distance * math.sqrt(1 - base.beta2)
        rate = _round1(min(3 * distance / n_updates, cap))
        how = (
            f"it moves each coordinate by about η per update (up to "
            f"η/√(1 − ρ) = {1 / math.sqrt(1 - base.beta2):.3g}η at first), and θ* "
            f"is {d} away in its farthest coordinate, so η ≈ 3 × {d} / "
            f"{n_updates:,} updates, at most {d}·√(1 − ρ)"
        )
    else:
        rate = _round1(3 * distance / (2 * math.sqrt(n_updates)))
        how = (
            f"its steps shrink like η/√t, so {n_updates:,} updates travel about "
            f"2η√N per coordinate, and θ* is {d} away, so η ≈ 3 × {d} / "
            f"(2√{n_updates:,})"
        )
    return RateChoice(rate, lead + how + ".")


@dataclass(frozen=True)
class RunCheck:
    """A run that should not be handed over silently, and what to try instead.

    ``kind`` is "diverged"; "worse" (ended above its starting loss); "noisy"
    (came close to the optimum, then ended far from it again); or "slow"
    (never closed half the gap to the optimal loss).
    """

    kind: str
    sentence: str  # what happened, with the numbers
    suggested_rate: float | None
    advice: str  # the rate to try and why (or what else to change)

    @property
    def text(self) -> str:
        return f"{self.sentence} {self.advice}"


# A run whose final gap to the optimal loss is more than this share of its
# starting gap is reported ("noisy" if it had once been within it, else "slow").
GAP_SHARE = 0.5


def check_run(
    trace: Trace,
    dataset: Dataset,
    settings: Settings,
    optimum: Optimum,
    *,
    model: str | None = None,
) -> RunCheck | None:
    """Whether an exported run diverged, ended worse than it started, or fell short.

    None for a run that ends having closed at least half the gap between its
    starting loss and the optimal loss. Otherwise the check says what happened
    and suggests a learning rate: ``rule_rate``'s when it lies on the helpful
    side of the run's rate, else a quarter of the run's rate (too large or too
    noisy), or more epochs (too slow at a rate that should not grow).
    ``optimum`` must be the minimum of the run's objective (penalty included:
    ``models.optimum_for``); ``model`` as in ``rule_rate``.
    """
    rate = settings.learning_rate
    start, end = float(trace.loss[0]), float(trace.final_loss)
    best = optimum.loss
    closest = float(np.nanmin(trace.loss))
    choice = rule_rate(
        dataset, settings.rule, trace.n_updates, optimum, settings, model=model
    )
    too_large = True
    if trace.status == "diverged" or not np.isfinite(end):
        kind = "diverged"
        sentence = (
            f"This run diverged at η = {rate:g}: the exported scripts reproduce a "
            "blow-up, not a fit."
        )
    elif end > start:
        kind = "worse"
        sentence = (
            f"This run ended worse than it started: loss {start:.4g} at the start, "
            f"{end:.4g} after {trace.n_updates:,} updates (optimal {best:.4g}); "
            f"η = {rate:g} is too large for it."
        )
    elif end - best <= GAP_SHARE * max(start - best, 0.0):
        return None
    elif closest - best <= GAP_SHARE * (end - best):
        kind = "noisy"
        why = (
            "each step overshoots the minimum"
            if trace.variant == "batch"
            else "the noise of its few-row gradients keeps it bouncing"
        )
        sentence = (
            f"This run came within {closest - best:.3g} of the optimal loss "
            f"{best:.4g} but ended {end - best:.3g} above it: at η = {rate:g} {why}."
        )
    else:
        kind, too_large = "slow", False
        sentence = (
            f"This run fell short: loss {start:.4g} at the start, {end:.4g} after "
            f"{trace.n_updates:,} updates, far from the optimal {best:.4g}."
        )
    if too_large == (choice.learning_rate < rate):
        return RunCheck(
            kind,
            sentence,
            choice.learning_rate,
            f"Try η = {choice.learning_rate:g}: {choice.reason}",
        )
    if not too_large:
        return RunCheck(
            kind,
            sentence,
            None,
            "A larger η would not be safe for this rule; give it more epochs.",
        )
    smaller = _round1(rate / 4)
    return RunCheck(
        kind,
        sentence,
        smaller,
        f"Try η = {smaller:g}, a quarter of this run's: rows far from the average "
        "can make a rate unstable that the average allows, and a smaller step "
        "shrinks the noise.",
    )
