"""Compiled inner loops (numba): the row-by-row updates of the stochastic variants.

Stochastic updates depend on each other (row i+1 sees the θ that row i wrote), so
they cannot be vectorised across steps; a compiled loop runs them at memory speed.
This module imports numba, so the rest of the engine imports it lazily: only a
stochastic run pays the import and the (disk-cached) compile.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path


def _choose_cache_dir() -> None:
    """Cache compiled code beside the sources, or in a temp folder if read-only."""
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    here = Path(__file__).resolve().parent
    if not os.access(here, os.W_OK):
        cache = Path(tempfile.gettempdir()) / "gddash-numba-cache"
        os.environ["NUMBA_CACHE_DIR"] = str(cache)


_choose_cache_dir()

import numba  # noqa: E402  (after choosing the cache folder)
import numpy as np  # noqa: E402

from gddash.engine import rules  # noqa: E402

_jit = numba.njit(cache=True, nogil=True)
_learning_rate_at = _jit(rules.learning_rate_at)
_apply_update = _jit(rules.apply_update)

# A residual beyond this magnitude means θ has blown up: stop before inf/nan spread.
BLOW_UP = 1e150

# Integer slots of ``ipar`` and float slots of ``fpar`` (packed to keep the call cheap).
I_POS, I_COUNT, I_BATCH, I_LOGISTIC, I_RULE, I_SCHEDULE, I_T, I_STRIDE = range(8)
F_LR0, F_UPE, F_POWER_T, F_DROP, F_STEP_EPOCHS, F_DECAY, F_BETA1, F_BETA2, F_EPS = (
    range(9)
)


@_jit
def _sigmoid(z):
    # σ(z) = 1/(1+e^−z), evaluated on the side where exp cannot overflow.
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@_jit
def _row_dot(X, i, theta):
    # Four partial sums shorten the add-latency chain that serialises SGD.
    d = theta.shape[0]
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    a3 = 0.0
    j = 0
    while j + 4 <= d:
        a0 += X[i, j] * theta[j]
        a1 += X[i, j + 1] * theta[j + 1]
        a2 += X[i, j + 2] * theta[j + 2]
        a3 += X[i, j + 3] * theta[j + 3]
        j += 4
    while j < d:
        a0 += X[i, j] * theta[j]
        j += 1
    return (a0 + a1) + (a2 + a3)


@_jit
def _snapshot(path, row, theta):
    # An explicit loop: numba lowers the slice assignment path[row, :] = theta
    # about 30 times slower at compile time (2 s of a cold start, measured).
    for j in range(theta.shape[0]):
        path[row, j] = theta[j]


@_jit
def _rows_dot(X, a, b):
    """x_a · x_b with four partial sums, as in ``_row_dot``.

    (One ``_dot(a, b)`` over row views would be shorter, but numba's views cost
    24% of an SGD epoch here: 14.7 against 11.9 ms at 10⁶ × 10, measured.)
    """
    d = X.shape[1]
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    a3 = 0.0
    j = 0
    while j + 4 <= d:
        a0 += X[a, j] * X[b, j]
        a1 += X[a, j + 1] * X[b, j + 1]
        a2 += X[a, j + 2] * X[b, j + 2]
        a3 += X[a, j + 3] * X[b, j + 3]
        j += 4
    while j < d:
        a0 += X[a, j] * X[b, j]
        j += 1
    return (a0 + a1) + (a2 + a3)


@_jit
def _sgd_rows(X, y, theta, pos, count, lr, logistic, t, stride, path):
    """``count`` one-row plain updates from row ``pos``; returns updates done.

    θ ← θ − s xᵢ with s = η (prediction − yᵢ): row i+1 needs the θ that row i
    wrote, so rows form one dependency chain. For the log-loss the chain also
    holds an exp; there the next prediction is computed as
    x₍ᵢ₊₁₎·θ_new = x₍ᵢ₊₁₎·θ_old − s (x₍ᵢ₊₁₎·xᵢ), whose two dot products do not
    wait for s (measured at 10⁶ × 10: 29 → 25 ms). For the squared loss the
    plain loop is faster (11.5 ms against 13.9 ms: the extra dot product costs
    more than the latency it hides).
    """
    n = y.shape[0]
    d = theta.shape[0]
    next_snapshot = (t // stride + 1) * stride
    z = _row_dot(X, pos, theta)
    for k in range(count):
        i = pos + k
        # The squared loss's prediction is x·θ; the log-loss's is σ(z) (z ahead).
        r = (_sigmoid(z) if logistic else _row_dot(X, i, theta)) - y[i]
        if not abs(r) < BLOW_UP:
            return k
        step = lr * r
        if logistic and i + 1 < n:
            ahead = _row_dot(X, i + 1, theta)  # with θ before this update
            z = ahead - step * _rows_dot(X, i + 1, i)
        for j in range(d):
            theta[j] -= step * X[i, j]
        t += 1
        if t == next_snapshot:
            _snapshot(path, t // stride, theta)
            next_snapshot += stride
    return count


@_jit
def _batch_gradient(X, y, pos, end, theta, logistic, grad):
    """grad ← mean over rows pos:end of (prediction − y)·x; False on blow-up.

    prediction = x·θ for the squared loss, σ(x·θ) for the log-loss.
    """
    d = theta.shape[0]
    for j in range(d):
        grad[j] = 0.0
    for i in range(pos, end):
        z = _row_dot(X, i, theta)
        r = (_sigmoid(z) if logistic else z) - y[i]
        if not abs(r) < BLOW_UP:
            return False
        for j in range(d):
            grad[j] += r * X[i, j]
    scale = 1.0 / (end - pos)
    for j in range(d):
        grad[j] *= scale
    return True


@_jit
def plain_rows(X, y, theta, grad, ipar, fpar, path):
    """Run ``ipar[I_COUNT]`` plain updates θ ← θ − η g at a constant η.

    Updates take ``ipar[I_BATCH]`` consecutive rows each, from row
    ``ipar[I_POS]`` on (the caller gathers shuffled rows into a contiguous
    block first: random reads inside this dependent loop would stall on every
    cache miss). θ is written to ``path[t // stride]`` whenever the update count
    t is a multiple of ``stride``. Returns the number of updates done, smaller
    than asked only when a residual blew up (θ is then left as it was before
    that update). Kept lean so that it compiles in well under a second;
    schedules and the other rules live in ``adaptive_rows``.
    """
    n = y.shape[0]
    d = theta.shape[0]
    pos, count, batch = ipar[I_POS], ipar[I_COUNT], ipar[I_BATCH]
    logistic = ipar[I_LOGISTIC] == 1
    t, stride = ipar[I_T], ipar[I_STRIDE]
    lr = fpar[F_LR0]
    if batch == 1:
        return _sgd_rows(X, y, theta, pos, count, lr, logistic, t, stride, path)
    next_snapshot = (t // stride + 1) * stride  # a counter, not a modulo per update
    for k in range(count):
        end = min(pos + batch, n)
        t += 1
        if not _batch_gradient(X, y, pos, end, theta, logistic, grad):
            return k
        for j in range(d):
            theta[j] -= lr * grad[j]
        pos = end
        if t == next_snapshot:
            _snapshot(path, t // stride, theta)
            next_snapshot += stride
    return count


@_jit
def adaptive_rows(X, y, theta, grad, m, v, ipar, fpar, path):
    """As ``plain_rows``, for any update rule and schedule (rule state in m, v)."""
    n = y.shape[0]
    pos, count, batch = ipar[I_POS], ipar[I_COUNT], ipar[I_BATCH]
    logistic = ipar[I_LOGISTIC] == 1
    rule, schedule = ipar[I_RULE], ipar[I_SCHEDULE]
    t, stride = ipar[I_T], ipar[I_STRIDE]
    next_snapshot = (t // stride + 1) * stride
    for k in range(count):
        end = min(pos + batch, n)
        t += 1
        lr = _learning_rate_at(
            schedule, fpar[F_LR0], t, fpar[F_UPE], fpar[F_POWER_T], fpar[F_DROP],
            fpar[F_STEP_EPOCHS], fpar[F_DECAY],
        )  # fmt: skip
        if not _batch_gradient(X, y, pos, end, theta, logistic, grad):
            return k
        _apply_update(
            rule, theta, grad, lr, m, v, t, fpar[F_BETA1], fpar[F_BETA2], fpar[F_EPS]
        )
        pos = end
        if t == next_snapshot:
            _snapshot(path, t // stride, theta)
            next_snapshot += stride
    return count


def new_params() -> tuple[np.ndarray, np.ndarray]:
    """Fresh packed parameter arrays for ``descend_rows``."""
    return np.zeros(8, dtype=np.int64), np.zeros(9, dtype=np.float64)
