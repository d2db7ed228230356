"""Losses as pieces: what one row contributes, as small compiled functions.

A row with features x and target y is scored through its prediction z = x·θ.
A loss is three functions of (z, y) (Huber's also of its ε), each a few lines:

    derivative(z, y)  ∂ℓ/∂z; by the chain rule the row's gradient is ∂ℓ/∂θ = ∂ℓ/∂z · x
    value(z, y)       ℓ itself
    terms(z, y)       (ℓ, ∂ℓ/∂z) together, for the full-data pass (``data_pass``)

Every loop uses the same pieces, through ``derivative`` and ``terms`` at the
bottom, which pick a loss by its ``Loss`` (number and ε): the one-row SGD update
θ ← θ − η ∂ℓ/∂z · x, the mini-batch mean gradient (``kernels``) and the
full-data sums (``data_pass``). The loss is the same for a whole run, so the
branch is always predicted. ``*_derivative`` sits on the SGD loop's dependency
chain, so it is built for latency; ``*_terms`` runs over a tile of rows, so it
is built for the compiler to vectorise (no libm call: ``exp_minus`` and
``log1p_unit`` below).

``curvature`` gives ∂²ℓ/∂z² for Newton's method on a large source.

To add a loss: write its three functions here, give it a number in
``LOSS_IDS`` and a branch in ``derivative``, ``terms`` and ``curvature``, and
name it in its problem's ``loss`` (``problems``). Then clear numba's cache of
the compiled loops, which does not notice edits to this file (see ``kernels``).

Penalties live in ``penalties``: the loops add l2·w to the gradient they form
(``kernels.batch_updates``, ``kernels.penalised_sgd_updates``, and beside
``Problem.evaluate`` for batch descent). The grouped SGD loop
(``kernels.four_rows_at_a_time``) relies on every update being a multiple of
the row xᵢ, which a penalty breaks: a penalised run takes the one-row loop.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

# Inlined into each loop at numba's level: the loops call them once a row.
_piece = numba.njit(inline="always", error_model="numpy")

SQUARED, LOG, HUBER = range(3)
LOSS_IDS = {"squared": SQUARED, "log": LOG, "huber": HUBER}


class Loss(NamedTuple):
    """A loss as the compiled loops take it: its number and Huber's ε."""

    kind: int  # one of LOSS_IDS
    epsilon: float = 0.1  # Huber's threshold; unused by the other losses


def loss_of(name: str, epsilon: float = 0.1) -> Loss:
    """The ``Loss`` of a loss named in ``LOSS_IDS``."""
    return Loss(LOSS_IDS[name], float(epsilon))


# -- squared loss: ℓ = ½ (z − y)² -----------------------------------------------------
@_piece
def squared_derivative(z, y):
    """∂ℓ/∂z = z − y, the residual."""
    return z - y


@_piece
def squared_value(z, y):
    """ℓ = ½ (z − y)²."""
    r = z - y
    return 0.5 * r * r


@_piece
def squared_terms(z, y):
    """(ℓ, ∂ℓ/∂z) of the squared loss."""
    r = z - y
    return 0.5 * r * r, r


# -- log-loss: ℓ = log(1 + e^z) − y z, y in {0, 1}, P(y = 1) = σ(z) -------------------
# Both are written through w = (1 − 2y) z, the margin signed so that w > 0 is
# the wrong side: ℓ = log(1 + e^w) and ∂ℓ/∂z = σ(z) − y = (1 − 2y) σ(w). With
# e = e^−|w| <= 1 neither overflows however large |z| is, and σ(z) − y has no
# cancellation when σ(z) is close to y.
@_piece
def log_derivative(z, y):
    """∂ℓ/∂z = σ(z) − y."""
    sign = 1.0 - 2.0 * y
    w = sign * z
    e = math.exp(-abs(w))
    return sign * ((1.0 if w >= 0.0 else e) / (1.0 + e))


@_piece
def log_value(z, y):
    """ℓ = log(1 + e^z) − y z = max(w, 0) + log1p(e^−|w|)."""
    w = (1.0 - 2.0 * y) * z
    return max(w, 0.0) + math.log1p(math.exp(-abs(w)))


@_piece
def log_terms(z, y):
    """(ℓ, ∂ℓ/∂z) of the log-loss, with the polynomial exp and log1p below."""
    sign = 1.0 - 2.0 * y
    w = sign * z
    e = exp_minus(abs(w))
    return max(w, 0.0) + log1p_unit(e), sign * ((1.0 if w >= 0.0 else e) / (1.0 + e))


# -- Huber: ℓ = ½ r² for |r| <= ε, ε |r| − ½ ε² beyond, r = z − y (sklearn's) ----
# Quadratic near the fit, linear for outliers: an outlier pulls with force ε at
# most, so a few wild targets cannot drag the line.
@_piece
def huber_derivative(z, y, epsilon):
    """∂ℓ/∂z = r clipped to [−ε, ε]."""
    r = z - y
    if r > epsilon:
        return epsilon
    if r < -epsilon:
        return -epsilon
    return r


@_piece
def huber_value(z, y, epsilon):
    """ℓ = ½ r² inside ±ε, ε |r| − ½ ε² outside."""
    r = abs(z - y)
    if r <= epsilon:
        return 0.5 * r * r
    return epsilon * r - 0.5 * epsilon * epsilon


@_piece
def huber_terms(z, y, epsilon):
    """(ℓ, ∂ℓ/∂z) of the Huber loss."""
    return huber_value(z, y, epsilon), huber_derivative(z, y, epsilon)


# -- e^−a and log1p as polynomials, so that a loop over rows vectorises ------------
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 in two parts: k·_LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10


@_piece
def exp_minus(a):
    """e^−a for a >= 0, within an ulp of the exact value (tested).

    With x = −a, k = round(x/ln 2) and r = x − k ln 2 (|r| <= ln(2)/2):
    e^x = 2^k e^r, e^r by its Taylor series to r¹³ (the rest < 1e-17). 2^k is
    built from exponent bits in two halves, so that k down to −1443 (a capped
    at 1000, inf included; e^−a is 0 beyond 745) underflows to 0 instead of
    wrapping. Written so that a NaN stays NaN (min(a, 1000) would give 1000).
    """
    x = -1000.0 if a > 1000.0 else -a
    k = math.floor(x * _LOG2E + 0.5)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    half = math.floor(k * 0.5)
    # 2^m as a float64: the biased exponent m + 1023 in bits 52..62
    scale1 = np.int64(np.int64(half + 1023.0) << 52).view(np.float64)
    scale2 = np.int64(np.int64(k - half + 1023.0) << 52).view(np.float64)
    return p * scale1 * scale2


@_piece
def log1p_unit(e):
    """log1p(e) for 0 <= e <= 1, within 3 ulps of the exact value (tested).

    log(1 + e) = 2 atanh(s) = Σ 2 s^(2i+1)/(2i+1) with s = e/(2 + e) <= 1/3;
    after 17 terms the rest is < s^34/35 <= 9^−17/35 < 1e-17 relative.
    """
    s = e / (2.0 + e)
    q = s * s
    p = 2.0 / 33.0
    p = p * q + 2.0 / 31.0
    p = p * q + 2.0 / 29.0
    p = p * q + 2.0 / 27.0
    p = p * q + 2.0 / 25.0
    p = p * q + 2.0 / 23.0
    p = p * q + 2.0 / 21.0
    p = p * q + 2.0 / 19.0
    p = p * q + 2.0 / 17.0
    p = p * q + 2.0 / 15.0
    p = p * q + 2.0 / 13.0
    p = p * q + 2.0 / 11.0
    p = p * q + 2.0 / 9.0
    p = p * q + 2.0 / 7.0
    p = p * q + 2.0 / 5.0
    p = p * q + 2.0 / 3.0
    p = p * q + 2.0
    return s * p


# -- a loss by its number: what the loops call ---------------------------------------
@_piece
def derivative(loss, z, y):
    """∂ℓ/∂z of the ``Loss`` ``loss``."""
    if loss.kind == LOG:
        return log_derivative(z, y)
    if loss.kind == HUBER:
        return huber_derivative(z, y, loss.epsilon)
    return squared_derivative(z, y)


@_piece
def terms(loss, z, y):
    """(ℓ, ∂ℓ/∂z) of the ``Loss`` ``loss``."""
    if loss.kind == LOG:
        return log_terms(z, y)
    if loss.kind == HUBER:
        return huber_terms(z, y, loss.epsilon)
    return squared_terms(z, y)


@_piece
def curvature(loss, z, y):
    """∂²ℓ/∂z² of the ``Loss`` ``loss``: the weight of row x in the Hessian's
    Σ ℓ'' x xᵀ (Newton's method on a source, ``data_pass.curvature_sums``).

    Log-loss: σ(z)(1 − σ(z)) = e/(1 + e)² with e = e^−|z| (never overflows);
    Huber: 1 inside ±ε, 0 beyond (its second derivative where it has one);
    squared: 1.
    """
    if loss.kind == LOG:
        e = exp_minus(abs(z))
        return e / ((1.0 + e) * (1.0 + e))
    if loss.kind == HUBER:
        return 1.0 if abs(z - y) <= loss.epsilon else 0.0
    return 1.0
