"""Compiled row loops (numba): the updates of the stochastic variants, the
gather of a shuffled window's rows (``gather_window``), and of a streamed
partition's standardised rows from its columns (``design_rows``).

Stochastic updates depend on each other (row i+1 sees the θ that row i wrote),
so they cannot be vectorised across steps; compiled loops run them instead.

The textbook loop is ``one_row_at_a_time``: for each row, θ ← θ − η ∂ℓ/∂z · x.
``four_rows_at_a_time`` computes exactly the same updates (up to rounding; a
test pins the two together) with a look-ahead that lets four rows share one
pass over the features. ``mean_gradient`` and ``batch_updates`` do the same for
mini-batches with any update rule, schedule and penalty. A penalised per-row
run takes ``penalised_sgd_updates`` (scikit-learn's scheme), softmax
regression ``softmax_updates`` (any batch size). Every loop takes the loss as
a ``losses.Loss`` and calls ``losses.derivative``.

Compiled with numba's on-disk cache (``cache=True``): the first process
compiles and writes the machine code beside this file (or, where that folder
is read-only, in numba's user cache folder; ``NUMBA_CACHE_DIR`` overrides
both), later processes load it. ``descent.warm_up`` compiles them all. numba
notices when this file changes, not when ``losses.py`` or ``rules.py`` (whose
functions are compiled into these loops) do: after editing those, delete the
cache (``gddash/engine/__pycache__/*.nbi`` and ``*.nbc``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from gddash.engine import losses, rules

# error_model="numpy": a division by zero gives inf or nan, not an exception.
# "contract" lets a·b + c become one fused multiply-add (one rounding instead
# of two); sums are still evaluated in the order written, so results repeat.
_BATCH_OPTIONS = dict(
    cache=True, nogil=True, error_model="numpy", fastmath={"contract"}
)
# The one-row loops may also reorder their sums ("reassoc"): the result differs
# from the order written by about 1e-16 and is the same on every run.
_SGD_OPTIONS = _BATCH_OPTIONS | {"fastmath": {"contract", "reassoc"}}
_sgd_jit = numba.njit(**_SGD_OPTIONS)
_batch_jit = numba.njit(**_BATCH_OPTIONS)
_learning_rate_at = _batch_jit(rules.learning_rate_at)
_apply_update = _batch_jit(rules.apply_update)
_penalty_gradient = _batch_jit(rules.penalty_gradient)
_penalty_after = _batch_jit(rules.penalty_after)


@_batch_jit
def penalised_update(theta, grad, lr, m, v, t, rule, l1, l2, mask, old):
    """θ ← rule(θ, g, η) with a penalty (see ``rules.penalty_gradient``)."""
    _penalty_gradient(rule.kind, theta, grad, l1, l2, mask, old)
    _apply_update(rule.kind, theta, grad, lr, m, v, t, rule.beta1, rule.beta2, rule.eps)
    _penalty_after(rule.kind, theta, lr, l1, mask, old, m)


# A derivative beyond this magnitude means θ has blown up: stop before inf/nan spread.
BLOW_UP = 1e150


class Rule(NamedTuple):
    """An update rule and its constants (see ``rules.apply_update``)."""

    kind: int  # one of rules.RULE_IDS
    beta1: float
    beta2: float
    eps: float


class Schedule(NamedTuple):
    """A learning-rate schedule and its constants (see ``rules.learning_rate_at``)."""

    kind: int  # one of rules.SCHEDULE_IDS
    learning_rate: float
    updates_per_epoch: float
    power_t: float
    drop: float
    step_epochs: float
    decay: float


# -- one row at a time, and four ----------------------------------------------------
@_sgd_jit
def one_row_at_a_time(X, y, theta, lr, start, stop, loss):
    """Plain SGD on rows start..stop−1: θ ← θ − η ∂ℓ(xᵢ)/∂θ = θ − η ℓ'(xᵢ·θ, yᵢ) xᵢ.

    Returns the row it stopped before: ``stop``, or the first row whose
    derivative blew up (θ is then as it was before that row).
    """
    d = theta.shape[0]
    for i in range(start, stop):
        z = 0.0
        for j in range(d):
            z += X[i, j] * theta[j]
        r = losses.derivative(loss, z, y[i])  # ∂ℓ/∂z
        if not abs(r) < BLOW_UP:  # NaN fails too
            return i
        for j in range(d):
            theta[j] -= lr * r * X[i, j]
    return stop


@_sgd_jit
def four_rows_at_a_time(X, y, theta, lr, start, stop, loss):
    """The updates of ``one_row_at_a_time`` on rows start..stop−1 (a multiple
    of four rows), four at a time; returns Σ |stepᵢ| (inf or NaN on blow-up).

    Row k of a group sees θ_k = θ − Σ_{l<k} s_l x_l, where s_l = η ℓ'_l is row
    l's step, so its prediction is z_k = a_k − Σ_{l<k} s_l c_kl with a_k = x_k·θ
    and c_kl = x_k·x_l. One pass over the features computes a group's four a_k
    and six c_kl, and first applies the previous group's four steps to θ; no
    product waits for a step, so only the scalar chain s₀ → s₁ → s₂ → s₃ is
    sequential. Rows are read as four-row slices indexed from 0, which numba
    needs no negative-index guard for.
    """
    d = theta.shape[0]
    total = 0.0
    p = start  # the previous group's first row, and its steps (none yet)
    s0 = s1 = s2 = s3 = 0.0
    for i in range(start, stop, 4):
        before, rows, ys = X[p : p + 4], X[i : i + 4], y[i : i + 4]
        a0 = a1 = a2 = a3 = 0.0
        c10 = c20 = c21 = c30 = c31 = c32 = 0.0
        for j in range(d):
            u = theta[j] - s0 * before[0, j] - s1 * before[1, j]
            u = u - s2 * before[2, j] - s3 * before[3, j]
            theta[j] = u
            x0, x1, x2, x3 = rows[0, j], rows[1, j], rows[2, j], rows[3, j]
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
        # Each z_k subtracts its newest step last, so it waits one multiply-add.
        s0 = lr * losses.derivative(loss, a0, ys[0])
        s1 = lr * losses.derivative(loss, a1 - s0 * c10, ys[1])
        s2 = lr * losses.derivative(loss, (a2 - s0 * c20) - s1 * c21, ys[2])
        s3 = lr * losses.derivative(
            loss, ((a3 - s0 * c30) - s1 * c31) - s2 * c32, ys[3]
        )
        total += abs(s0) + abs(s1) + abs(s2) + abs(s3)
        p = i
    if stop > start:  # the last group's steps
        before = X[p : p + 4]
        for j in range(d):
            u = theta[j] - s0 * before[0, j] - s1 * before[1, j]
            theta[j] = u - s2 * before[2, j] - s3 * before[3, j]
    return total


@_sgd_jit
def sgd_updates(X, y, theta, saved, lr, count, t, stride, path, grouped, loss):
    """``count`` plain SGD updates on rows 0..count−1, in order; the number done.

    Row k is update t + k + 1; θ is written to ``path[u // stride]`` after every
    update u that is a multiple of ``stride``. Fewer than ``count`` updates are
    done only when a derivative blew up, and θ is then as it was before that
    row. ``grouped`` takes rows four at a time (``four_rows_at_a_time``), else
    one at a time; ``saved`` is room for a copy of θ.
    """
    d = theta.shape[0]
    done = np.int64(0)  # not the literal 0, which numba would compile callees for
    while done < count:
        # A stretch runs up to the next snapshot (or the end).
        stop = done + min(count - done, (t // stride + 1) * stride - t)
        i = done
        if grouped:
            for j in range(d):
                saved[j] = theta[j]
            i = stop - (stop - done) % 4
            total = four_rows_at_a_time(X, y, theta, lr, done, i, loss)
            if not total < lr * BLOW_UP:  # redo the stretch one row at a time
                for j in range(d):
                    theta[j] = saved[j]
                i = done
        i = one_row_at_a_time(X, y, theta, lr, i, stop, loss)
        if i < stop:
            return i
        t += stop - done
        done = stop
        if t % stride == 0:  # a snapshot (a loop: numba compiles path[k] = θ slowly)
            for j in range(d):
                path[t // stride, j] = theta[j]
    return done


# -- mini-batches, any rule and schedule -------------------------------------------
@_batch_jit
def mean_gradient(X, y, start, stop, theta, grad, loss):
    """grad ← mean over rows start..stop−1 of ∂ℓ/∂z · x; False on blow-up.

    Rows go four at a time: their four dot products share one pass over the
    features, and their four contributions are added to grad in one more.
    """
    d = theta.shape[0]
    for j in range(d):
        grad[j] = 0.0
    i = start
    while i + 4 <= stop:
        rows, ys = X[i : i + 4], y[i : i + 4]  # indexed from 0: see above
        a0 = a1 = a2 = a3 = 0.0
        for j in range(d):
            t = theta[j]
            a0 += rows[0, j] * t
            a1 += rows[1, j] * t
            a2 += rows[2, j] * t
            a3 += rows[3, j] * t
        r0 = losses.derivative(loss, a0, ys[0])
        r1 = losses.derivative(loss, a1, ys[1])
        r2 = losses.derivative(loss, a2, ys[2])
        r3 = losses.derivative(loss, a3, ys[3])
        if not abs(r0) + abs(r1) + abs(r2) + abs(r3) < BLOW_UP:  # NaN fails too
            return False
        for j in range(d):
            grad[j] += (
                r0 * rows[0, j] + r1 * rows[1, j] + r2 * rows[2, j] + r3 * rows[3, j]
            )
        i += 4
    while i < stop:
        z = 0.0
        for j in range(d):
            z += X[i, j] * theta[j]
        r = losses.derivative(loss, z, y[i])
        if not abs(r) < BLOW_UP:
            return False
        for j in range(d):
            grad[j] += r * X[i, j]
        i += 1
    scale = 1.0 / (stop - start)
    for j in range(d):
        grad[j] *= scale
    return True


@_batch_jit
def batch_updates(
    X, y, theta, grad, m, v, batch, count, t, stride, path, rule, schedule, loss,
    l1, l2, mask, old,
):  # fmt: skip
    """``count`` updates of ``batch`` rows each from row 0: θ ← rule(θ, g, η_t).

    g is the batch's mean gradient, η_t the schedule's rate at update t; the
    rule's state is in m and v. A penalty (l1, l2 on the entries ``mask``
    marks) goes through ``penalised_update``; ``old`` is its scratch.
    Snapshots and the result as in ``sgd_updates``.
    """
    n = y.shape[0]
    start = np.int64(0)  # not the literal 0 (see sgd_updates)
    next_snapshot = (t // stride + 1) * stride  # a counter, not a modulo per update
    for k in range(count):
        stop = min(start + batch, n)
        t += 1
        lr = _learning_rate_at(
            schedule.kind, schedule.learning_rate, t, schedule.updates_per_epoch,
            schedule.power_t, schedule.drop, schedule.step_epochs, schedule.decay,
        )  # fmt: skip
        if not mean_gradient(X, y, start, stop, theta, grad, loss):
            return k
        if l1 == 0.0 and l2 == 0.0:  # a call less per update when unpenalised
            _apply_update(
                rule.kind, theta, grad, lr, m, v, t, rule.beta1, rule.beta2, rule.eps
            )
        else:
            penalised_update(theta, grad, lr, m, v, t, rule, l1, l2, mask, old)
        start = stop
        if t == next_snapshot:
            for j in range(theta.shape[0]):
                path[t // stride, j] = theta[j]
            next_snapshot += stride
    return count


# -- one row at a time with a penalty: scikit-learn's scheme -------------------------
@_sgd_jit
def penalised_sgd_updates(
    X, y, theta, count, t, stride, path, loss, schedule, l1, l2, mask, q, u
):
    """``count`` plain SGD updates with a penalty on rows 0..count−1, as
    scikit-learn's ``_plain_sgd`` does them; the number done.

    Per row, with η the schedule's rate and r = ℓ'(x·θ, y):
      w ← max(0, 1 − η·l2) · w            (L2 as a shrink, clipped at 0)
      θ ← θ − η r x                        (the intercept too)
      u ← u + η·l1; for each wⱼ, with wⱼ⁰ its value before this clip:
      wⱼ > 0: wⱼ ← max(0, wⱼ − (u + qⱼ));  wⱼ < 0: wⱼ ← min(0, wⱼ + (u − qⱼ))
      qⱼ ← qⱼ + (wⱼ − wⱼ⁰)
    The last three lines are the cumulative L1 penalty of Tsuruoka et al.
    (2009): u is the total L1 each weight could have received so far, qⱼ what
    wⱼ did receive, so a weight is pulled to 0 by what it is owed and no
    further. u (a one-value array) and q persist across calls, as across
    epochs in scikit-learn. Snapshots as in ``sgd_updates``.
    """
    d = theta.shape[0]
    next_snapshot = (t // stride + 1) * stride
    for k in range(count):
        t += 1
        lr = _learning_rate_at(
            schedule.kind, schedule.learning_rate, t, schedule.updates_per_epoch,
            schedule.power_t, schedule.drop, schedule.step_epochs, schedule.decay,
        )  # fmt: skip
        z = 0.0
        for j in range(d):
            z += X[k, j] * theta[j]
        r = losses.derivative(loss, z, y[k])
        if not abs(r) < BLOW_UP:  # NaN fails too
            return k
        shrink = max(0.0, 1.0 - lr * l2)
        for j in range(d):
            w = theta[j] * shrink if mask[j] else theta[j]
            theta[j] = w - lr * r * X[k, j]
        if l1 != 0.0:
            u[0] += lr * l1
            for j in range(d):
                if mask[j]:
                    w0 = theta[j]
                    if w0 > 0.0:
                        theta[j] = max(0.0, w0 - (u[0] + q[j]))
                    elif w0 < 0.0:
                        theta[j] = min(0.0, w0 + (u[0] - q[j]))
                    q[j] += theta[j] - w0
        if t == next_snapshot:
            for j in range(d):
                path[t // stride, j] = theta[j]
            next_snapshot += stride
    return count


# -- softmax regression: K scores a row, any batch size, rule and schedule ------------
@_batch_jit
def softmax_updates(
    X, y, theta, grad, m, v, scores, batch, count, t, stride, path, rule, schedule,
    l1, l2, mask, old,
):  # fmt: skip
    """``count`` softmax updates of ``batch`` rows each from row 0; the number done.

    θ holds K rows of d weights (row-major, θ[c·d + j]); row i's scores are
    s_c = θ_c·xᵢ and its class probabilities p_c = e^{s_c − max s} / Σ e^{…}
    (shifted by the largest score, so nothing overflows). The cross-entropy
    −log p_{yᵢ} has gradient (p_c − [c = yᵢ]) xᵢ for class c; g is its mean
    over the batch, then the rule, the schedule and a penalty as in
    ``batch_updates`` (per-row SGD is batch = 1; its L1 is the proximal step,
    not scikit-learn's truncated gradient, which has no softmax to match).
    Stops before an update whose scores are not finite (θ blew up).
    """
    n, d = X.shape
    classes = scores.shape[0]
    start = np.int64(0)
    next_snapshot = (t // stride + 1) * stride
    for k in range(count):
        stop = min(start + batch, n)
        t += 1
        lr = _learning_rate_at(
            schedule.kind, schedule.learning_rate, t, schedule.updates_per_epoch,
            schedule.power_t, schedule.drop, schedule.step_epochs, schedule.decay,
        )  # fmt: skip
        for j in range(theta.shape[0]):
            grad[j] = 0.0
        for i in range(start, stop):
            top = -np.inf
            for c in range(classes):
                s = 0.0
                for j in range(d):
                    s += theta[c * d + j] * X[i, j]
                scores[c] = s
                top = max(top, s)
            total = 0.0
            for c in range(classes):
                scores[c] = math.exp(scores[c] - top)
                total += scores[c]
            if not (abs(top) < BLOW_UP and total < BLOW_UP):  # NaN fails too
                return k
            label = int(y[i])
            for c in range(classes):
                r = scores[c] / total - (1.0 if c == label else 0.0)
                for j in range(d):
                    grad[c * d + j] += r * X[i, j]
        scale = 1.0 / (stop - start)
        for j in range(theta.shape[0]):
            grad[j] *= scale
        penalised_update(theta, grad, lr, m, v, t, rule, l1, l2, mask, old)
        start = stop
        if t == next_snapshot:
            for j in range(theta.shape[0]):
                path[t // stride, j] = theta[j]
            next_snapshot += stride
    return count


# -- a shuffled window's rows, gathered ------------------------------------------------
@_batch_jit
def gather_window(X, y, rows, positions, tmp_x, tmp_y, out_x, out_y):
    """Row k of out is X[rows[positions[k]]] (y likewise), read in two passes.

    ``rows`` lists a window's rows block by block, so the first pass copies
    runs of consecutive rows into tmp (memory read in order); the second
    rearranges tmp, which is small enough to stay in cache.
    """
    d = X.shape[1]
    for k in range(rows.shape[0]):
        i = rows[k]
        for j in range(d):
            tmp_x[k, j] = X[i, j]
        tmp_y[k] = y[i]
    for k in range(positions.shape[0]):
        p = positions[k]
        for j in range(d):
            out_x[k, j] = tmp_x[p, j]
        out_y[k] = tmp_y[p]


# -- a partition's standardised design, gathered from its columns ----------------------
# No fastmath: (x − mean) / scale must round exactly as numpy's does in
# ``gddash.scale.gram.Scaling.design``, so that streamed rows equal in-memory ones.
@numba.njit(cache=True, nogil=True, error_model="numpy")
def standardised_column(column, mean, scale, order, start, out, j, ahead):
    """out[i, j] = (column[r] − mean) / scale for every row i of out, where r is
    ``order[start + i]`` (``start + i`` when order is empty: file order).

    ``ahead`` lists the same rows in runs of consecutive rows (a shuffled
    epoch's blocks, ``shuffle.epoch_rows``), or nothing. One value per cache
    line of them is read first, in that order: those reads wait on no one and
    run ahead, so that the gather's reads in shuffled order find their lines
    in cache. A hint: it changes no value written. Returns the rows written
    (all, or the first whose r lies outside the column: nothing is read there)
    and the sum of the values read ahead, which keeps those reads compiled in.
    """
    n = column.shape[0]
    touched = 0.0
    for k in range(0, ahead.shape[0], 8):  # 8 float64 to a 64-byte line
        r = ahead[k]
        if 0 <= r < n:
            touched += column[r]
    in_order = order.shape[0] == 0
    for i in range(out.shape[0]):
        r = start + i if in_order else order[start + i]
        if r < 0 or r >= n:
            return i, touched
        out[i, j] = (column[r] - mean) / scale
    return out.shape[0], touched


@numba.njit(cache=True, nogil=True, error_model="numpy")
def standardised_pair(first, second, means, scales, order, start, out, j, ahead):
    """``standardised_column`` for two columns of equal length at once, into
    out[:, j] and out[:, j + 1], with (means[0], scales[0]) and (means[1],
    scales[1]). Same values; half the passes over ``order`` and over out's rows,
    and two reads in flight per row: gathering 10⁶ rows of 10 features and the
    target took 25 ms with pairs, 33 ms a column at a time."""
    n = first.shape[0]
    touched = 0.0
    for k in range(0, ahead.shape[0], 8):  # see standardised_column
        r = ahead[k]
        if 0 <= r < n:
            touched += first[r] + second[r]
    in_order = order.shape[0] == 0
    for i in range(out.shape[0]):
        r = start + i if in_order else order[start + i]
        if r < 0 or r >= n:
            return i, touched
        out[i, j] = (first[r] - means[0]) / scales[0]
        out[i, j + 1] = (second[r] - means[1]) / scales[1]
    return out.shape[0], touched


# -- the Python face: checks that keep every read and write inside the arrays ----------
def read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a``: numba compiles a loop once per argument type,
    and a data set's arrays are read-only, so every caller passes X and y so."""
    if not a.flags.writeable:
        return a
    view = a.view()
    view.flags.writeable = False
    return view


def _check(X, y, theta, path, count: int, t: int, stride: int, rows: int) -> None:
    """Refuse arguments a loop would read or write past (it checks no index)."""
    n, d = X.shape
    if y.shape != (n,) or theta.shape != (d,) or path.ndim != 2 or path.shape[1] != d:
        raise ValueError(
            f"X {X.shape}, y {y.shape}, theta {theta.shape} and path {path.shape} "
            "do not describe the same rows and features"
        )
    if stride < 1 or count < 0 or t < 0 or (t + count) // stride >= len(path):
        raise ValueError(
            f"{count} updates from update {t}, a snapshot every {stride}, "
            f"do not fit a path of {len(path)} rows"
        )
    if rows > n:
        raise ValueError(f"{count} updates need {rows} rows, but there are {n}")


def sgd_rows(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    *,
    loss: str,
    learning_rate: float,
    count: int,
    t: int,
    stride: int,
    path: np.ndarray,
    grouped: bool = True,
    epsilon: float = 0.1,
) -> int:
    """Plain one-row updates on rows 0..count−1 of X, θ in place (see ``sgd_updates``).

    Returns the number of updates done: ``count``, or fewer on blow-up.
    ``epsilon`` is Huber's ε (``loss="huber"``).
    """
    _check(X, y, theta, path, count, t, stride, rows=count)
    saved = np.empty_like(theta)
    return sgd_updates(
        read_only(X), read_only(y), theta, saved, float(learning_rate), count, t,
        stride, path, bool(grouped), losses.loss_of(loss, epsilon),
    )  # fmt: skip


class Shrinkage(NamedTuple):
    """A penalty as the loops take it (see ``penalties``): the weights l1 = αρ
    and l2 = α(1 − ρ), and which entries of θ are penalised."""

    l1: float
    l2: float
    mask: np.ndarray  # (p,) bool


def no_shrinkage(size: int) -> Shrinkage:
    """No penalty on a θ of ``size`` entries."""
    return Shrinkage(0.0, 0.0, np.zeros(size, dtype=np.bool_))


def _shrinkage(penalty: Shrinkage | None, theta: np.ndarray) -> Shrinkage:
    # The mask is passed read-only, like X and y: one compiled type either way.
    if penalty is None:
        penalty = no_shrinkage(theta.shape[0])
    mask = read_only(np.ascontiguousarray(penalty.mask, dtype=np.bool_))
    if mask.shape != theta.shape:
        raise ValueError(f"the penalty's mask {mask.shape} must be shaped like theta")
    return Shrinkage(float(penalty.l1), float(penalty.l2), mask)


def penalised_sgd_rows(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    *,
    loss: str,
    count: int,
    t: int,
    stride: int,
    path: np.ndarray,
    schedule: Schedule,
    penalty: Shrinkage,
    q: np.ndarray,
    u: np.ndarray,
    epsilon: float = 0.1,
) -> int:
    """Penalised plain one-row updates on rows 0..count−1, θ, q, u in place
    (see ``penalised_sgd_updates``); the number of updates done."""
    _check(X, y, theta, path, count, t, stride, rows=count)
    if q.shape != theta.shape or u.shape != (1,):
        raise ValueError("q must be shaped like theta and u hold one value")
    penalty = _shrinkage(penalty, theta)
    schedule = Schedule(int(schedule.kind), *(float(v) for v in schedule[1:]))
    return penalised_sgd_updates(
        read_only(X), read_only(y), theta, count, t, stride, path,
        losses.loss_of(loss, epsilon), schedule, penalty.l1, penalty.l2,
        penalty.mask, q, u,
    )  # fmt: skip


def batch_rows(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    *,
    loss: str,
    batch_size: int,
    count: int,
    t: int,
    stride: int,
    path: np.ndarray,
    rule: Rule,
    schedule: Schedule,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    penalty: Shrinkage | None = None,
    epsilon: float = 0.1,
) -> int:
    """Updates of ``batch_size`` rows each from row 0, θ, m, v in place
    (see ``batch_updates``); the number of updates done."""
    rows = (count - 1) * batch_size + 1 if count else 0
    _check(X, y, theta, path, count, t, stride, rows=rows)
    if batch_size < 1 or not grad.shape == m.shape == v.shape == theta.shape:
        raise ValueError("batch_size must be >= 1 and grad, m, v shaped like theta")
    rule = Rule(int(rule.kind), *(float(v) for v in rule[1:]))
    schedule = Schedule(int(schedule.kind), *(float(v) for v in schedule[1:]))
    penalty = _shrinkage(penalty, theta)
    return batch_updates(
        read_only(X), read_only(y), theta, grad, m, v, batch_size, count, t, stride,
        path, rule, schedule, losses.loss_of(loss, epsilon), *penalty,
        np.empty_like(theta),
    )  # fmt: skip


def softmax_rows(
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    *,
    n_classes: int,
    batch_size: int,
    count: int,
    t: int,
    stride: int,
    path: np.ndarray,
    rule: Rule,
    schedule: Schedule,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    penalty: Shrinkage | None = None,
) -> int:
    """Softmax updates of ``batch_size`` rows each from row 0, θ (K·d), m, v in
    place (see ``softmax_updates``); the number of updates done. y holds class
    indices 0..K−1 as floats."""
    n, d = X.shape
    p = n_classes * d
    rows = (count - 1) * batch_size + 1 if count else 0
    if y.shape != (n,) or theta.shape != (p,) or path.ndim != 2 or path.shape[1] != p:
        raise ValueError(
            f"X {X.shape}, y {y.shape}, theta {theta.shape} and path {path.shape} "
            f"do not describe the same rows and {n_classes} classes"
        )
    if stride < 1 or count < 0 or t < 0 or (t + count) // stride >= len(path):
        raise ValueError("the updates do not fit the path")
    if rows > n or batch_size < 1:
        raise ValueError(f"{count} updates need {rows} rows, but there are {n}")
    if not grad.shape == m.shape == v.shape == theta.shape:
        raise ValueError("grad, m, v must be shaped like theta")
    if n and not (y.min() >= 0 and y.max() < n_classes):
        raise ValueError(f"y must hold class indices in 0..{n_classes - 1}")
    rule = Rule(int(rule.kind), *(float(v) for v in rule[1:]))
    schedule = Schedule(int(schedule.kind), *(float(v) for v in schedule[1:]))
    penalty = _shrinkage(penalty, theta)
    return softmax_updates(
        read_only(X), read_only(y), theta, grad, m, v, np.empty(n_classes),
        batch_size, count, t, stride, path, rule, schedule, *penalty,
        np.empty_like(theta),
    )  # fmt: skip


def window_rows(
    X: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray,
    positions: np.ndarray,
    tmp: tuple[np.ndarray, np.ndarray],
    out: tuple[np.ndarray, np.ndarray],
) -> None:
    """out ← the rows ``rows[positions]`` of X and y (see ``gather_window``);
    tmp and out are (x, y) buffers of at least len(rows) rows."""
    n, m = len(y), len(rows)
    if rows.dtype != np.int64 or positions.dtype != np.int64:
        raise ValueError("rows and positions must be int64")
    if m and not (rows.min() >= 0 and rows.max() < n):
        raise ValueError(f"rows must lie in 0..{n - 1}")
    inside = m == 0 or (positions.min() >= 0 and positions.max() < m)
    if len(positions) != m or not inside:
        raise ValueError(f"positions must be {m} values in 0..{m - 1}")
    for x_buffer, y_buffer in (tmp, out):
        if len(x_buffer) < m or len(y_buffer) < m or x_buffer.shape[1:] != X.shape[1:]:
            raise ValueError(f"buffers of {m} rows of {X.shape[1]} values are needed")
    gather_window(read_only(X), read_only(y), rows, positions, *tmp, *out)


def design_rows(
    features: list[np.ndarray],
    means: np.ndarray,
    scales: np.ndarray,
    target: np.ndarray,
    order: np.ndarray | None,
    start: int,
    out: tuple[np.ndarray, np.ndarray],
    *,
    ahead: np.ndarray | None = None,
) -> None:
    """out ← the standardised design [1, z] and target of rows ``order[start:]``
    of a partition held as columns (``order`` None: rows ``start..`` in file order).

    Row i of out_x is [1, (f₀[r] − means₀) / scales₀, …] and out_y[i] = target[r]
    for r = order[start + i]: ``Scaling.design(x)[order]`` without forming x or
    the whole design. One compiled loop per two features
    (``standardised_pair``), and per the odd one and the target
    (``standardised_column``), so any number of features runs the same
    compiled code. ``ahead``: the same rows in runs of consecutive rows, read
    ahead as a hint (see the loops).
    """
    out_x, out_y = out
    m = len(out_y)
    order = np.empty(0, np.int64) if order is None else order
    ahead = np.empty(0, np.int64) if ahead is None else ahead
    rows = len(target) if len(order) == 0 else len(order)
    if order.dtype != np.int64 or ahead.dtype != np.int64:
        raise ValueError("order and ahead must be int64")
    if not 0 <= start <= start + m <= rows:
        raise ValueError(f"rows {start}..{start + m - 1} of {rows} are needed")
    contiguous = out_x.flags.c_contiguous and out_y.flags.c_contiguous
    if out_x.shape != (m, len(features) + 1) or not contiguous:
        raise ValueError(
            f"out must be C-contiguous ({m}, {len(features) + 1}) and ({m},) arrays"
        )
    out_x[:, 0] = 1.0
    columns = [
        read_only(np.ascontiguousarray(column, dtype=np.float64))
        for column in (*features, target)
    ]
    means = np.asarray(means, dtype=np.float64)
    scales = np.asarray(scales, dtype=np.float64)
    if len({len(column) for column in columns}) > 1:
        raise ValueError("the columns must be of one length")

    p = len(features)
    written = []
    for j in range(0, p - 1, 2):  # the features two at a time
        pair = slice(j, j + 2)
        written.append(standardised_pair(
            columns[j], columns[j + 1], means[pair], scales[pair], order, start,
            out_x, j + 1, ahead,
        )[0])  # fmt: skip
    if p % 2:
        written.append(standardised_column(
            columns[p - 1], means[p - 1], scales[p - 1], order, start, out_x, p,
            ahead,
        )[0])  # fmt: skip
    # The target is a column too: (y − 0) / 1 is y exactly.
    written.append(standardised_column(
        columns[p], 0.0, 1.0, order, start, out_y.reshape(m, 1), 0, ahead
    )[0])  # fmt: skip
    if min(written) < m:  # every loop stops at the same row
        raise ValueError(
            f"row {order[start + min(written)]} is not in a column of {len(target)}"
        )
