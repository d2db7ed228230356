"""One compiled read of the data: Σ ℓ and Σ ∂ℓ/∂z · x over a range of rows (numba).

A tile of rows is multiplied by θ, its loss terms (``losses``) are computed, and
its gradient is added while the tile is still in cache. The loss's ``terms``
avoid libm calls so that the compiler vectorises them. Used for the log-loss's
full-data loss and gradient (the squared loss has an exact shortcut through
XᵀX, see ``problems``) and Huber's. Compiled and cached like ``kernels``.
"""

from __future__ import annotations

import numba
import numpy as np

from gddash.engine import losses
from gddash.engine.kernels import read_only

# Rows per tile: at d = 10 a tile (20 KB) stays in L1 from the product to the gradient.
TILE = 256

# Element-wise maths in the order written ("contract" only fuses a·b + c), which
# the split of ln 2 in losses.exp_minus relies on.
_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
# Sums over rows and features: "reassoc" lets the compiler split them over
# vector lanes (the order differs from the one written by ~1e-16, the same on
# every run). Compiled and cached on their own: they take no loss.
_sums = numba.njit(**(_OPTIONS | {"fastmath": {"contract", "reassoc"}}))

# The tile functions take row slices and index them from 0 only: with
# start + i, numba guards every index against negative values, which turns
# the loads of y into gathers.


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


@numba.njit(**_OPTIONS)
def sums(X, y, theta, start, stop, grad, scratch, loss):
    """Σ ℓ and Σ ∂ℓ/∂z · x over rows start..stop−1; the latter into grad.

    Sums are formed per tile and then added up, so that rounding grows with
    the number of tiles rather than of rows. ``scratch`` holds 3·TILE + d
    values: a tile's z, derivatives and losses, and its gradient.
    """
    d = X.shape[1]
    z = scratch[:TILE]
    residual = scratch[TILE : 2 * TILE]
    values = scratch[2 * TILE : 3 * TILE]
    tile_grad = scratch[3 * TILE : 3 * TILE + d]
    for j in range(d):
        grad[j] = 0.0
    total = 0.0
    for first in range(start, stop, TILE):
        m = min(TILE, stop - first)
        rows, ys = X[first : first + m], y[first : first + m]
        _tile_products(rows, theta, z[:m])
        for i in range(m):
            values[i], residual[i] = losses.terms(loss, z[i], ys[i])
        total += _tile_sums(rows, residual[:m], values[:m], tile_grad)
        for j in range(d):
            grad[j] += tile_grad[j]
    return total


@_sums
def _tile_weighted_products(X, weight, out):
    # out = Σ weight_i x_i x_iᵀ over the rows of X, lower triangle, four rows
    # per pass over it.
    m, d = X.shape
    for a in range(d):
        for b in range(a + 1):
            out[a, b] = 0.0
    for q in range(m // 4):
        i = 4 * q
        w0 = weight[i]
        w1 = weight[i + 1]
        w2 = weight[i + 2]
        w3 = weight[i + 3]
        for a in range(d):
            u0 = w0 * X[i, a]
            u1 = w1 * X[i + 1, a]
            u2 = w2 * X[i + 2, a]
            u3 = w3 * X[i + 3, a]
            for b in range(a + 1):
                out[a, b] += (u0 * X[i, b] + u1 * X[i + 1, b]) + (
                    u2 * X[i + 2, b] + u3 * X[i + 3, b]
                )
    for i in range(4 * (m // 4), m):
        for a in range(d):
            u = weight[i] * X[i, a]
            for b in range(a + 1):
                out[a, b] += u * X[i, b]


@numba.njit(**_OPTIONS)
def weighted_gram(X, y, theta, start, stop, out, scratch, tile_out, loss):
    """Σ ℓ''(x·θ, y) x xᵀ over rows start..stop−1 into out (lower triangle),
    formed per tile and then added up, as ``sums``. ``scratch`` holds 2·TILE
    values (a tile's z and weights); ``tile_out`` is d × d."""
    d = X.shape[1]
    z = scratch[:TILE]
    weight = scratch[TILE : 2 * TILE]
    for a in range(d):
        for b in range(d):
            out[a, b] = 0.0
    for first in range(start, stop, TILE):
        m = min(TILE, stop - first)
        rows, ys = X[first : first + m], y[first : first + m]
        _tile_products(rows, theta, z[:m])
        for i in range(m):
            weight[i] = losses.curvature(loss, z[i], ys[i])
        _tile_weighted_products(rows, weight[:m], tile_out)
        for a in range(d):
            for b in range(a + 1):
                out[a, b] += tile_out[a, b]


def curvature_sums(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    start: int,
    stop: int,
    out: np.ndarray,
    *,
    loss: str,
    epsilon: float = 0.1,
) -> None:
    """out ← Σ ℓ''(x·θ, y) x xᵀ over rows start..stop−1 (d × d, symmetric):
    the loss's Hessian sum, which Newton's method on a large source needs.
    Per 10⁶ rows a pass with it costs 1.6× the CPU of a loss pass; through
    numpy ((X·√w)ᵀ(X·√w) on each block) it cost 2.6× with BLAS on one thread,
    as the server keeps it, and 5.6× with BLAS's threads inside the pass's own.

    ``loss`` is a name in ``losses.LOSS_IDS``; ``epsilon`` is Huber's ε.
    """
    n, d = X.shape
    if not 0 <= start <= stop <= n:
        raise ValueError(f"rows {start}..{stop} are outside 0..{n}")
    if y.shape != (n,) or theta.shape != (d,) or out.shape != (d, d):
        raise ValueError(
            f"X {X.shape}, y {y.shape}, theta {theta.shape} and out {out.shape} "
            "do not describe the same rows and features"
        )
    scratch, tile_out = np.empty(2 * TILE), np.empty((d, d))
    X, y = read_only(X), read_only(y)  # one compiled type (see kernels.read_only)
    weighted_gram(
        X, y, theta, start, stop, out, scratch, tile_out, losses.loss_of(loss, epsilon)
    )
    lower = np.tril_indices(d, -1)
    out[lower[::-1]] = out[lower]  # the upper triangle from the lower


def loss_sums(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    start: int,
    stop: int,
    grad: np.ndarray,
    *,
    loss: str,
    epsilon: float = 0.1,
) -> float:
    """Σ ℓ and Σ ∂ℓ/∂z · x over rows start..stop−1 (the latter into grad).

    ``loss`` is a name in ``losses.LOSS_IDS``; ``epsilon`` is Huber's ε.

    For the log-loss y must hold 0 and 1 only (its terms use 1 − 2y = ±1).
    """
    n, d = X.shape
    if not 0 <= start <= stop <= n:
        raise ValueError(f"rows {start}..{stop} are outside 0..{n}")
    if y.shape != (n,) or theta.shape != (d,) or grad.shape != (d,):
        raise ValueError(
            f"X {X.shape}, y {y.shape}, theta {theta.shape} and grad {grad.shape} "
            "do not describe the same rows and features"
        )
    scratch = np.empty(3 * TILE + d)
    X, y = read_only(X), read_only(y)  # one compiled type (see kernels.read_only)
    return sums(X, y, theta, start, stop, grad, scratch, losses.loss_of(loss, epsilon))
