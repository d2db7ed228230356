"""Compiled inner loops (numba): the row-by-row updates of the stochastic variants.

Stochastic updates depend on each other (row i+1 sees the θ that row i wrote), so
they cannot be vectorised across steps; compiled loops run them instead. This
module imports numba and is imported only to compile: ``native`` loads the
stored machine code of the C wrappers at the bottom, and calls this module's
``compile_c`` when there is none yet. Each kernel is compiled on its own, so a
run compiles only the loop it uses.

The loops allocate nothing and cannot raise (``_nrt=False``, numpy's error
model: an integer division by zero would give 0, not an exception), so their
machine code needs nothing from numba's runtime when it runs.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import carray, types
from numba.extending import intrinsic

from gddash.engine import native, rules
from gddash.engine.native import (
    F_BETA1,
    F_BETA2,
    F_DECAY,
    F_DROP,
    F_EPS,
    F_LR0,
    F_POWER_T,
    F_STEP_EPOCHS,
    F_UPE,
    I_BATCH,
    I_COUNT,
    I_LOGISTIC,
    I_POS,
    I_RULE,
    I_SCHEDULE,
    I_STRIDE,
    I_T,
    N_FLOAT,
    N_INT,
)

# "contract" lets a*b + c become one fused multiply-add (one rounding instead of
# two); sums are still evaluated in the order written, so results are repeatable.
_jit = numba.njit(nogil=True, _nrt=False, error_model="numpy", fastmath={"contract"})
_learning_rate_at = _jit(rules.learning_rate_at)
_apply_update = _jit(rules.apply_update)
# Small helpers are inlined into each loop at numba's level: no compile of their
# own (the first SGD compile: 0.80 → 0.65 s, measured) and nothing to cache.
_inline = numba.njit(inline="always")

# A residual beyond this magnitude means θ has blown up: stop before inf/nan spread.
BLOW_UP = 1e150


@intrinsic
def float_from_bits(typingctx, bits):
    """The float64 whose IEEE 754 bits are the int64 ``bits``."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def bits_of(typingctx, x):
    """The IEEE 754 bits of the float64 ``x``, as an int64."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def fused_multiply_add(typingctx, a, b, c):
    """a·b + c rounded once, always. Where a product has two uses the compiler
    otherwise multiplies once and adds twice: a rounding and an add more."""

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float64(types.float64, types.float64, types.float64), codegen


# 2^x = 2^(k/128) 2^r with k = round(128 x) and |r| <= 1/256: the 128 values
# 2^(j/128) as bits, and 1.5·2^52, which rounds a sum to an integer in its low bits.
_POWERS_BITS = np.array([2.0 ** (j / 128) for j in range(128)]).view(np.int64)
_ROUNDER = 6755399441055744.0
_ROUNDER_BITS = int(np.array([_ROUNDER]).view(np.int64)[0])
_LOG2_E = 1.0 / math.log(2.0)


# 2^r − 1 = Σ (r ln 2)^i / i!, i = 1..5, for |r| <= 1/256 (the rest < 1e-18)
_P1, _P2, _P3, _P4, _P5 = (math.log(2.0) ** i / math.factorial(i) for i in range(1, 6))


@_jit  # compiled once, not inlined at each of its five uses: 1.05 → 0.91 s
def _sigmoid_base2(u):
    """σ(u ln 2) = 1/(1 + 2^−u), within 1.5 eps of the exact value (tested).

    On the logistic SGD chain every row waits for one σ, so it is built for
    latency (~45 cycles deep): u = z/ln 2 is formed off the chain, which makes
    the range reduction of 2^−u one exact subtraction (e^−z needs two fused
    multiply-adds); a table of 2^(j/128) and a degree-5 polynomial evaluated in
    two halves at once; 1 + 2^−u from the last fused multiply-add. 2^−u may
    overflow to inf for u far below 0, which gives σ = 0 as it should; beyond
    |u| = 1000 (and NaN) libm answers. Measured at 10⁶ × 10, a logistic SGD
    epoch: 18.4 ms with σ through libm's exp, 15.9 ms so. (The full-data pass
    has its own exponential in ``logistic_pass``, without a table, so that the
    compiler can vectorise it.)
    """
    x = -u
    if not abs(x) < 1000.0:
        return 1.0 / (1.0 + math.exp(x * math.log(2.0)))
    t = x * 128.0 + _ROUNDER
    k = bits_of(t) - _ROUNDER_BITS  # the integer nearest 128 x
    r = x - (t - _ROUNDER) * (1.0 / 128.0)  # exact: |r| <= 1/256
    r2 = r * r
    low = _P2 + r * _P3
    high = _P4 + r * _P5
    two_r_minus_1 = r * _P1 + r2 * (low + r2 * high)
    scale = float_from_bits(_POWERS_BITS[k & 127] + ((k >> 7) << 52))
    return 1.0 / fused_multiply_add(scale, two_r_minus_1, 1.0 + scale)


@_jit  # "contract" only: "reassoc" could lengthen the chain written out here
def _logistic_steps(a0, a1, a2, a3, c10, c20, c21, c30, c31, c32, lr, y):
    """The steps s_k = η(σ(z_k) − y_k) of a group of four rows (see ``sgd_rows``).

    s_l = ησ_l − ηy_l, so z_k = b_k − (η c_k,k−1) σ_k−1, where b_k (all the
    rest) is formed while σ_k−1 is being computed: each row waits on its
    predecessor's σ for one fused multiply-add only (and both terms are scaled
    by 1/ln 2 for ``_sigmoid_base2`` off the chain too).
    """
    ly0, ly1, ly2 = lr * y[0], lr * y[1], lr * y[2]
    g = _LOG2_E
    sig = _sigmoid_base2(a0 * g)
    s0 = lr * sig - ly0
    sig = _sigmoid_base2((a1 + ly0 * c10) * g - (lr * c10 * g) * sig)
    s1 = lr * sig - ly1
    b2 = (a2 - s0 * c20) + ly1 * c21
    sig = _sigmoid_base2(b2 * g - (lr * c21 * g) * sig)
    s2 = lr * sig - ly2
    b3 = ((a3 - s0 * c30) - s1 * c31) + ly2 * c32
    sig = _sigmoid_base2(b3 * g - (lr * c32 * g) * sig)
    return s0, s1, s2, lr * sig - lr * y[3]


@_inline
def _predict(z, logistic):
    """The model's prediction from z = x·θ: z itself, or σ(z) for the log-loss."""
    if not logistic:
        return z
    return _sigmoid_base2(z * _LOG2_E)


@_inline
def _row_dot(x, theta):
    # Only for the odd rows that no group of four takes: kept short to compile.
    z = 0.0
    for j in range(theta.shape[0]):
        z += x[j] * theta[j]
    return z


@_inline
def _step_row(theta, step, x):
    # θ ← θ − step·x
    for j in range(theta.shape[0]):
        theta[j] -= step * x[j]


@_inline
def _snapshot(path, row, theta):
    # An explicit loop: numba lowers the slice assignment path[row, :] = theta
    # about 30 times slower at compile time (2 s of a cold start, measured).
    for j in range(theta.shape[0]):
        path[row, j] = theta[j]


def _one_row_kernel(logistic: bool):
    """The one-row loop for one loss (a constant to the compiler, so the loop
    of each loss carries no branch for the other and is compiled on its own).

    It is inlined into its C wrapper, whose options it then compiles with: one
    compile instead of two (0.80 → 0.71 s, measured).
    """

    @_inline
    def sgd_rows(X, y, theta, ipar, fpar, path, saved):
        """Run ``ipar[I_COUNT]`` plain one-row updates θ ← θ − η rᵢ xᵢ.

        rᵢ = prediction − yᵢ. Rows are taken in order from row ``ipar[I_POS]``
        (the caller gathers shuffled rows into a contiguous block first: random
        reads inside this dependent loop would stall on every cache miss). θ
        is written to ``path[t // stride]`` whenever the update count t is a
        multiple of ``stride``. Returns the number of updates done, smaller
        than asked only when a residual blew up (θ is then left as it was
        before that update). ``saved`` is room for a copy of θ.

        Rows go four at a time. Row k of a group sees θ_k = θ − Σ_{l<k} s_l x_l,
        where s_l = η r_l is row l's step, so its prediction needs
        z_k = a_k − Σ_{l<k} s_l c_kl with a_k = x_k·θ and c_kl = x_k·x_l. One
        pass over the features computes a group's four a_k and six c_kl; none
        waits for a step, so only the scalar chain s₀ → s₁ → s₂ → s₃ is
        sequential (for the squared loss one fused multiply-add per step,
        s_k = η(a_k − y_k) − Σ s_l (η c_kl)). The same pass first applies the
        previous group's steps to θ. Measured at 10⁶ × 10: 12.9 ms an epoch a
        row at a time, 5 ms this way.
        """
        d = theta.shape[0]
        pos, count = ipar[I_POS], ipar[I_COUNT]
        t, stride = ipar[I_T], ipar[I_STRIDE]
        lr = fpar[F_LR0]
        done = 0
        while done < count:
            # A stretch runs up to the next snapshot (or the end).
            stretch = min(count - done, (t // stride + 1) * stride - t)
            start = pos + done
            for j in range(d):
                saved[j] = theta[j]
            # Blow-up is checked once a stretch, on the sum of all |s| (a NaN
            # or inf stays in the sum); a stretch that trips it is redone row
            # by row below, which stops exactly before the offending row.
            total = 0.0
            p = start  # the previous group's first row, and its steps (none yet)
            s0 = s1 = s2 = s3 = 0.0
            i = start
            grouped = start + stretch - stretch % 4
            while i < grouped:
                a0 = a1 = a2 = a3 = 0.0
                c10 = c20 = c21 = c30 = c31 = c32 = 0.0
                # Four-row slices indexed from 0: with X[i + 1, j] numba guards
                # each index against wrapping around below 0, 80 instructions a
                # group; measured at 10⁶ × 10, 4.97 → 4.47 ms an epoch.
                before, rows, ys = X[p : p + 4], X[i : i + 4], y[i : i + 4]
                c03 = 0.0  # x_i·x_p+3 (log-loss only, see below)
                for j in range(d):
                    v = theta[j] - s0 * before[0, j] - s1 * before[1, j]
                    v = v - s2 * before[2, j]
                    u = v - s3 * before[3, j]
                    theta[j] = u
                    x0 = rows[0, j]
                    x1 = rows[1, j]
                    x2 = rows[2, j]
                    x3 = rows[3, j]
                    if logistic:
                        # Row i's dot product without the previous group's last
                        # step, and the product that adds it: the sum over the
                        # features need not wait for s3, the latest σ of the
                        # chain (16.2 → 14.3 ms an epoch at 10⁶ × 10, measured).
                        a0 += x0 * v
                        c03 += x0 * before[3, j]
                    else:
                        a0 += x0 * u
                    a1 += x1 * u
                    a2 += x2 * u
                    a3 += x3 * u
                    c10 += x1 * x0
                    c20 += x2 * x0
                    c21 += x2 * x1
                    c30 += x3 * x0
                    c31 += x3 * x1
                    c32 += x3 * x2
                if logistic:
                    a0 -= s3 * c03
                    s0, s1, s2, s3 = _logistic_steps(
                        a0, a1, a2, a3, c10, c20, c21, c30, c31, c32, lr, ys
                    )
                else:
                    s0 = lr * (a0 - ys[0])
                    s1 = lr * (a1 - ys[1]) - s0 * (lr * c10)
                    s2 = lr * (a2 - ys[2]) - s0 * (lr * c20) - s1 * (lr * c21)
                    s3 = lr * (a3 - ys[3]) - s0 * (lr * c30) - s1 * (lr * c31)
                    s3 -= s2 * (lr * c32)
                total += abs(s0) + abs(s1) + abs(s2) + abs(s3)
                p = i
                i += 4
            if i > start:  # apply the last group's steps
                before = X[p : p + 4]
                for j in range(d):
                    u = theta[j] - s0 * before[0, j] - s1 * before[1, j]
                    theta[j] = u - s2 * before[2, j] - s3 * before[3, j]
            if not total < lr * BLOW_UP:
                for j in range(d):
                    theta[j] = saved[j]
                i = start
            while i < start + stretch:  # the rows left, one at a time
                z = _row_dot(X[i], theta)
                if logistic:  # a constant: the squared loop compiles no σ
                    z = _sigmoid_base2(z * _LOG2_E)
                r = z - y[i]
                if not abs(r) < BLOW_UP:
                    return i - pos
                _step_row(theta, lr * r, X[i])
                i += 1
            done += stretch
            t += stretch
            if t % stride == 0:
                _snapshot(path, t // stride, theta)
        return done

    return sgd_rows


_sgd_squared = _one_row_kernel(False)
_sgd_logistic = _one_row_kernel(True)


@_jit
def _batch_gradient(X, y, pos, end, theta, logistic, grad):
    """grad ← mean over rows pos:end of (prediction − y)·x; False on blow-up.

    Rows go four at a time: their four dot products share one pass over the
    features, and their four contributions are added to grad in one more.
    """
    d = theta.shape[0]
    for j in range(d):
        grad[j] = 0.0
    i = pos
    while i + 4 <= end:
        rows, ys = X[i : i + 4], y[i : i + 4]  # indexed from 0: see sgd_rows
        a0 = a1 = a2 = a3 = 0.0
        for j in range(d):
            t = theta[j]
            a0 += rows[0, j] * t
            a1 += rows[1, j] * t
            a2 += rows[2, j] * t
            a3 += rows[3, j] * t
        r0 = _predict(a0, logistic) - ys[0]
        r1 = _predict(a1, logistic) - ys[1]
        r2 = _predict(a2, logistic) - ys[2]
        r3 = _predict(a3, logistic) - ys[3]
        if not abs(r0) + abs(r1) + abs(r2) + abs(r3) < BLOW_UP:  # NaN fails too
            return False
        for j in range(d):
            grad[j] += (
                r0 * rows[0, j] + r1 * rows[1, j] + r2 * rows[2, j] + r3 * rows[3, j]
            )
        i += 4
    while i < end:
        x = X[i]
        r = _predict(_row_dot(x, theta), logistic) - y[i]
        if not abs(r) < BLOW_UP:
            return False
        for j in range(d):
            grad[j] += r * x[j]
        i += 1
    scale = 1.0 / (end - pos)
    for j in range(d):
        grad[j] *= scale
    return True


@_jit
def plain_rows(X, y, theta, grad, ipar, fpar, path):
    """As ``sgd_rows``, for updates of ``ipar[I_BATCH]`` rows: θ ← θ − η g_batch."""
    n = y.shape[0]
    d = theta.shape[0]
    pos, count, batch = ipar[I_POS], ipar[I_COUNT], ipar[I_BATCH]
    logistic = ipar[I_LOGISTIC] == 1
    t, stride = ipar[I_T], ipar[I_STRIDE]
    lr = fpar[F_LR0]
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


# -- C wrappers: what ``native`` stores and calls (arguments as in native.SIGNATURES)
def _one_row_c(loop):
    """The C wrapper of one loss's one-row loop."""

    def wrapper(X, n, d, y, theta, ipar, fpar, path, path_rows, scratch):
        return loop(
            carray(X, (n, d)),
            carray(y, n),
            carray(theta, d),
            carray(ipar, N_INT),
            carray(fpar, N_FLOAT),
            carray(path, (path_rows, d)),
            carray(scratch, d),
        )

    return wrapper


def _plain_rows_c(X, n, d, y, theta, grad, ipar, fpar, path, path_rows):
    return plain_rows(
        carray(X, (n, d)),
        carray(y, n),
        carray(theta, d),
        carray(grad, d),
        carray(ipar, N_INT),
        carray(fpar, N_FLOAT),
        carray(path, (path_rows, d)),
    )


def _adaptive_rows_c(X, n, d, y, theta, grad, m, v, ipar, fpar, path, path_rows):
    return adaptive_rows(
        carray(X, (n, d)),
        carray(y, n),
        carray(theta, d),
        carray(grad, d),
        carray(m, d),
        carray(v, d),
        carray(ipar, N_INT),
        carray(fpar, N_FLOAT),
        carray(path, (path_rows, d)),
    )


# Each wrapper with its fastmath options. The one-row loops may reorder their sums
# ("reassoc"): the result differs from the order written by about 1e-16 and is
# the same on every run; measured on a first version at 10⁶ × 10: 5.2 ms an
# epoch without, 4.4 with.
C_FUNCTIONS = {
    "sgd_squared": (_one_row_c(_sgd_squared), {"contract", "reassoc"}),
    "sgd_logistic": (_one_row_c(_sgd_logistic), {"contract", "reassoc"}),
    "plain_rows": (_plain_rows_c, {"contract"}),
    "adaptive_rows": (_adaptive_rows_c, {"contract"}),
}

_NUMBA_TYPES = {
    "float*": types.CPointer(types.float64),
    "int*": types.CPointer(types.int64),
    "int": types.int64,
    "float": types.float64,
}


def compile_c(name: str, function, fastmath: set[str]):
    """Compile ``function`` as the C-callable kernel ``name`` (a numba ``cfunc``)."""
    returns, args = native.SIGNATURES[name]
    signature = _NUMBA_TYPES[returns](*(_NUMBA_TYPES[native.KINDS[a]] for a in args))
    return numba.cfunc(signature, nogil=True, error_model="numpy", fastmath=fastmath)(
        function
    )
