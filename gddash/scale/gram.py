"""The squared loss from one pass: counts, means and co-moments of every column.

Each partition gives its row count, column means and centred co-moment matrix
Σ(v − v̄)(v − v̄)ᵀ over [features, target]; partitions (and the blocks of rows
inside one) merge exactly by Chan et al.'s pairwise rule, so no raw sum of
squares ever cancels. From those: the standardisation (population std, as
``gddash.data.prepare``), then XᵀX, Xᵀy, yᵀy of the standardised design [1, z]
in O(d²), independent of the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce

import numba
import numpy as np
import pandas as pd
from numba import typed

from gddash.engine import LinearRegression
from gddash.errors import DataError
from gddash.scale.columns import Columns, column_arrays, complete

BLOCK_ROWS = 65_536  # rows standardised at a time: a few MB, never a partition's copy
# Rows the compiled pass centres at a time: at 11 columns the (12, 4096) block
# (384 KB) stays in L2 while its products are formed.
CENTRED_ROWS = 4_096


@dataclass(frozen=True)
class Moments:
    """n, means (p + 1,) and co-moments (p + 1, p + 1) of [features, target]."""

    n: int
    mean: np.ndarray
    comoment: np.ndarray
    dropped: int = 0  # rows left out for a missing value


def block_moments(values: list[np.ndarray], dropped: int = 0) -> Moments:
    """The moments of rows given as one float64 array per column (k arrays of m).

    One compiled loop (a test pins it to numpy's centred products): blocks of
    ``CENTRED_ROWS`` rows, each centred on its own means while in cache and
    merged by Chan's rule, so that every value is read from memory once.
    """
    columns = typed.List()
    for v in values:
        view = v.view()  # read-only, as pyarrow's buffers are: one item type
        view.flags.writeable = False
        columns.append(view)
    n, mean, comoment = _comoments(columns, CENTRED_ROWS)
    return Moments(n, mean, comoment, dropped)


# "reassoc" lets the compiler split the sums over rows across vector lanes (an
# order that differs from the written one by rounding, the same on every run);
# no "nnan" or "ninf": a NaN or ±inf must reach the means (``_batch_moments``).
@numba.njit(
    cache=True, nogil=True, error_model="numpy", fastmath={"contract", "reassoc"}
)
def _comoments(columns, block_rows):
    # n, means and Σ(v − v̄)(v − v̄)ᵀ of the k columns, block_rows rows at a
    # time: a block's means, its rows centred on them (one read of memory),
    # their products, then Chan's merge into the rows before. The centred
    # block has k rounded up to 4 rows, the extra ones zero, so the products
    # go in 4 × 4 tiles of the lower triangle: 16 sums from 8 loads a row.
    k, m = len(columns), len(columns[0])
    k4 = (k + 3) // 4 * 4
    centred = np.zeros((k4, block_rows))
    block_mean = np.empty(k)
    product = np.empty((k4, k4))
    n, mean, comoment = 0, np.zeros(k), np.zeros((k, k))
    for start in range(0, m, block_rows):
        b = min(block_rows, m - start)
        for j in range(k):
            v = columns[j][start : start + b]
            block_mean[j] = v.sum() / b
            row = centred[j]
            for r in range(b):
                row[r] = v[r] - block_mean[j]
        for i in range(0, k4, 4):
            a0, a1, a2, a3 = centred[i], centred[i + 1], centred[i + 2], centred[i + 3]
            for j in range(0, i + 1, 4):
                b0, b1 = centred[j], centred[j + 1]
                b2, b3 = centred[j + 2], centred[j + 3]
                s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = 0.0
                s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = 0.0
                for r in range(b):
                    x0, x1, x2, x3 = a0[r], a1[r], a2[r], a3[r]
                    y0, y1, y2, y3 = b0[r], b1[r], b2[r], b3[r]
                    s00 += x0 * y0
                    s01 += x0 * y1
                    s02 += x0 * y2
                    s03 += x0 * y3
                    s10 += x1 * y0
                    s11 += x1 * y1
                    s12 += x1 * y2
                    s13 += x1 * y3
                    s20 += x2 * y0
                    s21 += x2 * y1
                    s22 += x2 * y2
                    s23 += x2 * y3
                    s30 += x3 * y0
                    s31 += x3 * y1
                    s32 += x3 * y2
                    s33 += x3 * y3
                product[i, j : j + 4] = s00, s01, s02, s03
                product[i + 1, j : j + 4] = s10, s11, s12, s13
                product[i + 2, j : j + 4] = s20, s21, s22, s23
                product[i + 3, j : j + 4] = s30, s31, s32, s33
        # Chan's merge: C += C_block + (n b / (n + b)) δδᵀ, δ = block mean − mean.
        w = n * b / (n + b)
        for i in range(k):
            for j in range(i + 1):
                delta = (block_mean[i] - mean[i]) * (block_mean[j] - mean[j])
                comoment[i, j] += product[i, j] + w * delta
        for j in range(k):
            mean[j] += (block_mean[j] - mean[j]) * (b / (n + b))
        n += b
    for i in range(k):
        for j in range(i):
            comoment[j, i] = comoment[i, j]
    return n, mean, comoment


def partition_moments(part, columns: Columns) -> Moments:
    """One partition's or piece's moments (a task of the pass).

    ``part`` is a pandas frame (a Dask partition) or a pyarrow ``Table`` (a
    piece of ``sources.parquet_pieces``); a table is taken record batch by
    record batch (each a run of its row group), whose columns are the reader's
    buffers as they are, and their moments merged.
    """
    if isinstance(part, pd.DataFrame):
        return _batch_moments(part, columns)
    found = [_batch_moments(b, columns) for b in part.to_batches()]
    if not found:  # a piece of no rows
        return _batch_moments(part, columns)
    return reduce(merge, found)


def _batch_moments(part, columns: Columns) -> Moments:
    """A frame's or record batch's moments, its columns read once: a NaN or ±inf
    reaches its column's mean (the compiled loop keeps IEEE arithmetic), and
    only then are the incomplete rows found and dropped (``complete``)."""
    values = column_arrays(part, columns)
    found = block_moments(values)
    return found if np.isfinite(found.mean).all() else block_moments(*complete(values))


def merge(a: Moments, b: Moments) -> Moments:
    """Moments of two row sets together (Chan, Golub and LeVeque 1979):
    C = C_a + C_b + (n_a n_b / n) δδᵀ with δ = mean_b − mean_a."""
    n = a.n + b.n
    if a.n == 0 or b.n == 0:
        kept = a if b.n == 0 else b
        return Moments(kept.n, kept.mean, kept.comoment, a.dropped + b.dropped)
    delta = b.mean - a.mean
    mean = a.mean + delta * (b.n / n)
    comoment = a.comoment + b.comoment + np.outer(delta, delta) * (a.n * b.n / n)
    return Moments(n, mean, comoment, a.dropped + b.dropped)


def piece_moments(piece: Callable[[], object], columns: Columns) -> Moments:
    """The moments of a piece read by ``piece()`` (a task of the pyarrow pass)."""
    return partition_moments(piece(), columns)


def moments(
    frame, columns: Columns, pieces: Sequence[Callable[[], object]] | None = None
) -> Moments:
    """The one pass: every partition's moments, merged.

    A task per partition of ``frame`` (a Dask frame), or, when ``pieces`` is
    given (``sources.parquet_pieces`` of a local Parquet source), a task per
    piece that reads it straight through pyarrow: no Dask frame, no pandas
    conversion. Either way the tasks are ``dask.delayed`` ones, run by the
    scheduler in force (``cluster.scheduler``: a cluster's workers, which must
    then see the files, as they must for ``frame``; or local threads), and
    merged in order, so a run's numbers do not depend on where it ran.
    """
    import dask

    if pieces is None:
        parts = frame.to_delayed()
        tasks = [dask.delayed(partition_moments)(p, columns) for p in parts]
    else:
        tasks = [dask.delayed(piece_moments)(p, columns) for p in pieces]
    k = len(columns.names)
    nothing = Moments(0, np.zeros(k), np.zeros((k, k)))  # a source of no rows
    total = reduce(merge, dask.compute(*tasks), nothing)
    if total.n < 2:
        raise DataError(
            f"Only {total.n} complete row(s) in the source ({total.dropped} with a "
            "missing value): a comparison needs at least 2."
        )
    return total


@dataclass(frozen=True)
class Scaling:
    """Standardisation of the kept features: z = (x − mean) / scale."""

    names: tuple[str, ...]  # kept feature names (constant columns dropped)
    kept: np.ndarray  # (k,) indices of the kept features among the chosen ones
    means: np.ndarray
    scales: np.ndarray
    notes: tuple[str, ...] = ()

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return ("intercept", *self.names)

    def design(self, x: np.ndarray) -> np.ndarray:
        """The standardised design [1, z] (m, k + 1) of raw feature rows x (m, p).

        z is formed ``BLOCK_ROWS`` rows at a time in x's own layout (a
        partition's columns are column-major) and copied into the row-major
        design the compiled loops read: one transposing copy instead of strided
        arithmetic, and no whole-partition temporary (the same numbers).
        """
        every = len(self.kept) == x.shape[1]  # then kept is 0..p−1: no copy of x
        X = np.empty((len(x), len(self.kept) + 1))
        X[:, 0] = 1.0
        for start in range(0, len(x), BLOCK_ROWS):
            rows = x[start : start + BLOCK_ROWS]
            z = (rows if every else rows[:, self.kept]) - self.means
            z /= self.scales
            X[start : start + BLOCK_ROWS, 1:] = z
        return X


def scaling(stats: Moments, columns: Columns) -> Scaling:
    """Means and population standard deviations; constant features dropped
    (with a note), as ``gddash.data.prepare`` does."""
    p = len(columns.features)
    means = stats.mean[:p]
    stds = np.sqrt(np.maximum(np.diag(stats.comoment)[:p], 0.0) / stats.n)
    kept = np.flatnonzero(stds > 1e-14 * np.abs(means))
    notes = [
        f"Feature {columns.features[j]!r} was dropped: it is constant, which adds "
        "nothing and makes XᵀX singular."
        for j in range(p)
        if j not in set(kept.tolist())
    ]
    if stats.dropped:
        notes.append(f"{stats.dropped:,} rows with a missing value were left out.")
    if len(kept) == 0:
        raise DataError(
            "No usable feature is left: every chosen feature is constant. Choose "
            "features whose values vary."
        )
    names = tuple(columns.features[j] for j in kept)
    return Scaling(names, kept, means[kept], stds[kept], tuple(notes))


@dataclass(frozen=True)
class Gram:
    """XᵀX (d, d), Xᵀy (d,), yᵀy and n of the standardised design [1, z]; also
    ȳ and Σ(y − ȳ)², which the compact rows need without cancellation."""

    xtx: np.ndarray
    xty: np.ndarray
    yty: float
    n: int
    y_mean: float
    yy_centred: float


def gram(stats: Moments, scale: Scaling) -> Gram:
    """XᵀX, Xᵀy, yᵀy of [1, z] from the moments, exactly (Σz = 0 by construction).

    With C the co-moments: Σ 1 = n, Σ z = 0, Σ zzᵀ = D⁻¹ C_xx D⁻¹,
    Σ z y = D⁻¹ C_xy (Σ z ȳ = 0), Σ y = n ȳ, Σ y² = C_yy + n ȳ².
    """
    k, n = scale.kept, stats.n
    c_xx = stats.comoment[np.ix_(k, k)] / np.outer(scale.scales, scale.scales)
    c_xy = stats.comoment[k, -1] / scale.scales
    y_mean = stats.mean[-1]
    d = len(k) + 1
    xtx = np.zeros((d, d))
    xtx[0, 0] = n
    xtx[1:, 1:] = c_xx
    xty = np.concatenate([[n * y_mean], c_xy])
    yty = float(stats.comoment[-1, -1] + n * y_mean * y_mean)
    return Gram(xtx, xty, yty, n, float(y_mean), float(stats.comoment[-1, -1]))


def compact_problem(sums: Gram) -> LinearRegression:
    """A ``LinearRegression`` of d + 1 rows with exactly the loss of all n rows.

    With y꜀ = y − ȳ and A = [[XᵀX, Xᵀy꜀], [y꜀ᵀX, y꜀ᵀy꜀]] = SᵀS (Cholesky, or a
    symmetric square root when A is singular), rows [M r꜀] = √(k/n) H S for
    k = d + 1 and H the reflection that turns S's first column into a column of
    ones; then r = r꜀ + ȳ. So ‖Mθ − r‖²/(2k) = ‖Xθ − y‖²/(2n) for every θ,
    column 0 of M is the intercept, and every engine function (``descend``,
    ``minimum``) runs on it in O(d²). Centring y first keeps the last pivot (the
    residual sum of squares) free of the cancellation yᵀy − ... would suffer.
    """
    d, n = len(sums.xty), sums.n
    xty = sums.xty - sums.y_mean * sums.xtx[:, 0]  # Xᵀy꜀ (column 0 is the ones)
    A = np.empty((d + 1, d + 1))
    A[:d, :d], A[:d, d], A[d, :d] = sums.xtx, xty, xty
    A[d, d] = sums.yy_centred
    try:
        S = np.linalg.cholesky(A).T  # upper: A = SᵀS
    except np.linalg.LinAlgError:  # y is exactly linear in X: A is singular
        values, vectors = np.linalg.eigh(A)
        S = np.sqrt(np.maximum(values, 0.0))[:, None] * vectors.T
    k = d + 1
    u = S[:, 0] / np.sqrt(n)  # unit vector (S[:, 0] has norm √A₀₀ = √n)
    w = u - np.full(k, 1.0 / np.sqrt(k))
    rows = np.sqrt(k / n) * S
    if w @ w > 0:  # H = I − 2wwᵀ/wᵀw maps u onto ones/√k
        rows = rows - np.outer(w, (2.0 / (w @ w)) * (w @ rows))
    rows[:, 0] = 1.0  # exactly ones (the reflection leaves ~1e-16 of rounding)
    target = rows[:, d] + sums.y_mean  # Mθ − r = M(θ − ȳe₀) − r꜀
    return LinearRegression(rows[:, :d].copy(), target, intercept=True)


def batch_trace(problem, settings, n_rows: int):
    """``descend`` with ``settings`` (variant "batch") on a compact or pass problem,
    its rows-processed column counted in the source's ``n_rows``."""
    import dataclasses

    from gddash.engine import descend

    trace = descend(problem, dataclasses.replace(settings, variant="batch"))
    samples = trace.updates.astype(np.int64) * n_rows
    return dataclasses.replace(trace, samples=samples, epochs=samples / n_rows)
