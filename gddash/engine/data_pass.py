"""Compiled full-data pass of the log-loss: its sum and gradient at one θ (numba).

Reads X once: a tile of rows is multiplied by θ, its loss terms and residuals
are computed, and its gradient is added while the tile is still in cache. exp
and log1p are written out as polynomials so that the compiler vectorises them
(as libm calls they took 13 ms per 10⁶ rows; the whole element-wise step here
takes 1.8 ms). Imported on first use only, like ``kernels``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import carray

from gddash.engine.kernels import float_from_bits
from gddash.engine.native import TILE

# error_model="numpy": a division by zero gives inf instead of raising, so no
# check stops the loops from vectorising (none can happen here).
# Element-wise maths in the order written ("contract" only fuses a·b + c), which
# the split of ln 2 in _exp_minus relies on.
_exact = numba.njit(nogil=True, _nrt=False, error_model="numpy", fastmath={"contract"})
# Sums over rows and features: "reassoc" lets the compiler split them over
# vector lanes (the order differs from the one written by ~1e-16, the same on
# every run).
_sums = numba.njit(
    nogil=True,
    _nrt=False,
    error_model="numpy",
    fastmath={"contract", "reassoc"},
)


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 in two parts: k·_LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10


@_exact
def _exp_minus(a):
    # e^−a for a >= 0, within an ulp of the exact value (tested). With x = −a,
    # k = round(x/ln 2) and r = x − k ln 2, |r| <= ln(2)/2: e^x = 2^k e^r, e^r by
    # its Taylor series to r¹³ (the rest < 1e-17). 2^k is built from exponent
    # bits in two halves, so that k down to −1443 (a capped at 1000, inf
    # included; e^−a is 0 beyond 745) underflows to 0 instead of wrapping.
    # Written so that a NaN stays NaN (min(a, 1000) would give 1000).
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
    scale1 = float_from_bits(np.int64(half + 1023.0) << 52)
    scale2 = float_from_bits(np.int64(k - half + 1023.0) << 52)
    return p * scale1 * scale2


@_exact
def _log1p_unit(e):
    # log1p(e) for 0 <= e <= 1, within 3 ulps of the exact value (tested):
    # log(1 + e) = 2 atanh(s) = Σ 2 s^(2i+1)/(2i+1) with s = e/(2 + e) <= 1/3;
    # after 17 terms the rest is < s^34/35 <= 9^−17/35 < 1e-17 relative.
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


# The tile functions below take row slices and index them from 0 only: with
# start + i, numba guards every index against negative values (wraparound),
# which turned the loads of y into gathers; measured 6.3 → 4.6 ms per 10⁶ rows
# in cache.


@_sums
def _tile_products(X, theta, z):
    # z_i = x_i·θ for the rows of X, four rows per pass over θ.
    m, d = X.shape
    for q in range(m // 4):
        i = 4 * q
        z0 = 0.0
        z1 = 0.0
        z2 = 0.0
        z3 = 0.0
        for j in range(d):
            t = theta[j]
            z0 += X[i, j] * t
            z1 += X[i + 1, j] * t
            z2 += X[i + 2, j] * t
            z3 += X[i + 3, j] * t
        z[i] = z0
        z[i + 1] = z1
        z[i + 2] = z2
        z[i + 3] = z3
    for i in range(4 * (m // 4), m):
        zi = 0.0
        for j in range(d):
            zi += X[i, j] * theta[j]
        z[i] = zi


@_exact
def _tile_terms(z, y, residual, loss):
    # With s = 1 − 2y (±1) and w = s z, the row's loss log(1 + e^z) − y z is
    # log(1 + e^w) = max(w, 0) + log1p(e), e = e^−|z|, exact in its max term;
    # its residual σ(z) − y is s σ(w), σ(w) = (1 or e)/(1 + e) on either side of 0.
    for i in range(z.shape[0]):
        sign = 1.0 - 2.0 * y[i]
        w = sign * z[i]
        e = _exp_minus(abs(w))
        loss[i] = max(w, 0.0) + _log1p_unit(e)
        residual[i] = sign * ((1.0 if w >= 0.0 else e) / (1.0 + e))


@_sums
def _tile_sums(X, residual, loss, grad):
    # Σ loss_i, and Σ residual_i x_i into grad, four rows per pass over grad.
    m, d = X.shape
    for j in range(d):
        grad[j] = 0.0
    for q in range(m // 4):
        i = 4 * q
        r0 = residual[i]
        r1 = residual[i + 1]
        r2 = residual[i + 2]
        r3 = residual[i + 3]
        for j in range(d):
            grad[j] += (r0 * X[i, j] + r1 * X[i + 1, j]) + (
                r2 * X[i + 2, j] + r3 * X[i + 3, j]
            )
    for i in range(4 * (m // 4), m):
        for j in range(d):
            grad[j] += residual[i] * X[i, j]
    total = 0.0
    for i in range(m):
        total += loss[i]
    return total


@_exact
def logistic_sums(X, y, theta, start, stop, grad, scratch):
    """Σ loss and Σ (σ(z) − y) x over rows start .. stop−1; the latter into grad.

    y must hold 0 and 1 only (the loss's formulas use 1 − 2y = ±1).

    Sums are formed per tile and then added up, so that rounding grows with
    the number of tiles rather than of rows. ``scratch`` holds 3·TILE + d
    values: a tile's z, residuals and losses, and its gradient.
    """
    d = X.shape[1]
    z = scratch[:TILE]
    residual = scratch[TILE : 2 * TILE]
    loss = scratch[2 * TILE : 3 * TILE]
    tile_grad = scratch[3 * TILE : 3 * TILE + d]
    for j in range(d):
        grad[j] = 0.0
    total = 0.0
    for first in range(start, stop, TILE):
        m = min(TILE, stop - first)
        rows = X[first : first + m]
        _tile_products(rows, theta, z[:m])
        _tile_terms(z[:m], y[first : first + m], residual[:m], loss[:m])
        total += _tile_sums(rows, residual[:m], loss[:m], tile_grad)
        for j in range(d):
            grad[j] += tile_grad[j]
    return total


# The C wrapper that ``native`` stores and calls (arguments as in native.SIGNATURES).
def _logistic_sums_c(X, n, d, y, theta, start, stop, grad, scratch):
    return logistic_sums(
        carray(X, (n, d)),
        carray(y, n),
        carray(theta, d),
        start,
        stop,
        carray(grad, d),
        carray(scratch, 3 * TILE + d),
    )


C_FUNCTIONS = {"logistic_sums": (_logistic_sums_c, {"contract"})}
