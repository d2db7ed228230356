"""The squared loss from one pass: counts, means and co-moments of every column.

Each partition gives its row count, column means and centred co-moment matrix
Σ(v − v̄)(v − v̄)ᵀ over [features, target]; partitions merge exactly by Chan et
al.'s pairwise rule, so no raw sum of squares ever cancels. From those: the
standardisation (population std, as ``gddash.data.prepare``), then XᵀX, Xᵀy, yᵀy
of the standardised design [1, z] in O(d²), independent of the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import numpy as np

from gddash.engine import LinearRegression
from gddash.errors import DataError
from gddash.scale.columns import Columns, complete_rows

BLOCK_ROWS = 65_536  # rows centred at a time: a few MB, never a partition's copy


@dataclass(frozen=True)
class Moments:
    """n, means (p + 1,) and co-moments (p + 1, p + 1) of [features, target]."""

    n: int
    mean: np.ndarray
    comoment: np.ndarray
    dropped: int = 0  # rows left out for a missing value


def partition_moments(part, columns: Columns) -> Moments:
    """One partition's moments (a task of the pass): its column means, then the
    co-moments Σ (v − v̄)(v − v̄)ᵀ as products cᵀc (BLAS) of centred blocks of
    ``BLOCK_ROWS`` rows, so that no centred copy of the whole partition is made."""
    values, dropped = complete_rows(part, columns)
    n, k = values.shape
    if n == 0:
        return Moments(0, np.zeros(k), np.zeros((k, k)), dropped)
    mean = values.mean(axis=0)
    comoment = np.zeros((k, k))
    for start in range(0, n, BLOCK_ROWS):
        centred = values[start : start + BLOCK_ROWS] - mean
        comoment += centred.T @ centred
    return Moments(n, mean, comoment, dropped)


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


def moments(frame, columns: Columns) -> Moments:
    """The one pass: every partition's moments, merged (a Dask reduction)."""
    import dask

    tasks = [dask.delayed(partition_moments)(p, columns) for p in frame.to_delayed()]
    found = dask.compute(*tasks)
    total = reduce(merge, found)
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
