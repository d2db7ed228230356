"""Update rules and learning-rate schedules as small pure-ish functions.

Each function is written with explicit element loops over plain floats and
arrays so that the *same source* runs as ordinary Python for batch descent and
is compiled by numba for the per-row loops of the stochastic variants (see
``kernels.py``). Only ``theta`` and the rule's own state arrays are written to.

Notation: g is the gradient of the minimised loss at θ, η the learning rate,
t the 1-based update count.
"""

from __future__ import annotations

import math

import numpy as np

PLAIN, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADAM = range(6)
RULE_IDS = {
    "plain": PLAIN,
    "momentum": MOMENTUM,
    "nesterov": NESTEROV,
    "adagrad": ADAGRAD,
    "rmsprop": RMSPROP,
    "adam": ADAM,
}
CONSTANT, INVSCALING, STEP, EXPONENTIAL = range(4)
SCHEDULE_IDS = {
    "constant": CONSTANT,
    "invscaling": INVSCALING,
    "step": STEP,
    "exponential": EXPONENTIAL,
}


def learning_rate_at(
    schedule: int,
    lr0: float,
    t: int,
    updates_per_epoch: float,
    power_t: float,
    drop: float,
    step_epochs: float,
    decay: float,
) -> float:
    """Learning rate of update t (1-based).

    constant:    η₀
    invscaling:  η₀ / t^power_t            (scikit-learn's "invscaling", t in updates)
    step:        η₀ · drop^⌊e / step_epochs⌋   with e = (t − 1) / updates_per_epoch
    exponential: η₀ · exp(−decay · e)
    """
    if schedule == CONSTANT:
        return lr0
    if schedule == INVSCALING:
        return lr0 / t**power_t
    epoch = (t - 1) / updates_per_epoch
    if schedule == STEP:
        return lr0 * drop ** math.floor(epoch / step_epochs)
    return lr0 * math.exp(-decay * epoch)


def apply_update(
    rule: int,
    theta: np.ndarray,
    grad: np.ndarray,
    lr: float,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    beta1: float,
    beta2: float,
    eps: float,
) -> None:
    """One update of θ in place from gradient g; m and v are the rule's state.

    plain:     θ ← θ − η g
    momentum:  m ← β m + g;              θ ← θ − η m          (PyTorch's form)
    nesterov:  m ← β m + g;              θ ← θ − η (g + β m)  (PyTorch's form of
               Nesterov: the look-ahead folded into the update, no extra gradient)
    adagrad:   v ← v + g²;               θ ← θ − η g / (√v + ε)
    rmsprop:   v ← β₂ v + (1 − β₂) g²;   θ ← θ − η g / (√v + ε)
    adam:      m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
               θ ← θ − η m̂ / (√v̂ + ε)  with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)
    """
    d = theta.shape[0]
    if rule == PLAIN:
        for j in range(d):
            theta[j] -= lr * grad[j]
    elif rule == MOMENTUM:
        for j in range(d):
            m[j] = beta1 * m[j] + grad[j]
            theta[j] -= lr * m[j]
    elif rule == NESTEROV:
        for j in range(d):
            m[j] = beta1 * m[j] + grad[j]
            theta[j] -= lr * (grad[j] + beta1 * m[j])
    elif rule == ADAGRAD:
        for j in range(d):
            v[j] += grad[j] * grad[j]
            theta[j] -= lr * grad[j] / (math.sqrt(v[j]) + eps)
    elif rule == RMSPROP:
        for j in range(d):
            v[j] = beta2 * v[j] + (1.0 - beta2) * grad[j] * grad[j]
            theta[j] -= lr * grad[j] / (math.sqrt(v[j]) + eps)
    else:  # ADAM
        bias1 = 1.0 - beta1**t
        bias2 = 1.0 - beta2**t
        for j in range(d):
            m[j] = beta1 * m[j] + (1.0 - beta1) * grad[j]
            v[j] = beta2 * v[j] + (1.0 - beta2) * grad[j] * grad[j]
            theta[j] -= lr * (m[j] / bias1) / (math.sqrt(v[j] / bias2) + eps)


# A penalty l1‖w‖₁ + ½ l2‖w‖² on the entries ``mask`` marks (see ``penalties``)
# wraps any rule: ``penalty_gradient``, then ``apply_update``, then
# ``penalty_after``. The smooth part joins the gradient: g ← g + l2·w. For L1:
#   plain:  θ ← soft(θ − η g, η·l1), the proximal (ISTA) step: w lands on 0
#           exactly, and its fixed points are the penalised minima;
#   others: g ← the minimum-norm subgradient (g + l1·sign(wⱼ) where wⱼ ≠ 0, g
#           shrunk towards 0 by l1 where wⱼ = 0), the rule's step, and a weight
#           that crossed 0 stops at 0 (as OWL-QN's orthant projection), its
#           velocity mⱼ too (else momentum can cycle across 0 for ever). A
#           soft-threshold by η·l1 after a momentum or adaptive step would stop
#           at the wrong point, since those steps are not η g.
def penalty_gradient(
    rule: int,
    theta: np.ndarray,
    grad: np.ndarray,
    l1: float,
    l2: float,
    mask: np.ndarray,
    old: np.ndarray,
) -> None:
    """grad ← what the rule steps along (see above); old ← θ."""
    d = theta.shape[0]
    for j in range(d):
        old[j] = theta[j]
        if not mask[j]:
            continue
        w = theta[j]
        grad[j] += l2 * w
        if l1 == 0.0 or rule == PLAIN:
            continue
        if w > 0.0:
            grad[j] += l1
        elif w < 0.0:
            grad[j] -= l1
        else:
            g = grad[j]
            grad[j] = max(g - l1, 0.0) if g > 0.0 else min(g + l1, 0.0)


def penalty_after(
    rule: int,
    theta: np.ndarray,
    lr: float,
    l1: float,
    mask: np.ndarray,
    old: np.ndarray,
    m: np.ndarray,
) -> None:
    """The L1 part after the rule's step: soft-threshold (plain) or no crossing."""
    if l1 == 0.0:
        return
    step = lr * l1
    for j in range(theta.shape[0]):
        if not mask[j]:
            continue
        w = theta[j]
        if rule == PLAIN:
            theta[j] = max(w - step, 0.0) if w > 0.0 else min(w + step, 0.0)
        elif old[j] * w < 0.0:
            theta[j] = 0.0
            m[j] = 0.0
