"""The one-pass sums of the squared loss equal the in-memory engine on the same rows."""

import numpy as np
import pandas as pd
import pytest

from gddash.engine import LinearRegression, Penalty, Settings, descend, minimum
from gddash.errors import DataError
from gddash.scale import gram
from gddash.scale.columns import Columns, arrays

dd = pytest.importorskip("dask.dataframe")


def frame(n=400, seed=0, offset=1e4):
    """Three features, one far from 0 (a raw sum of squares would cancel)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * [1.0, 5.0, 0.1] + [offset, 0.0, 3.0]
    y = x @ [0.5, -2.0, 7.0] + rng.normal(size=n)
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y})


def in_memory(data: pd.DataFrame, features=("a", "b", "c"), offset=1e4):
    """Standardised as gddash.data.prepare does: population std, intercept first.

    Column a is shifted back by its offset first: x − 1e4 is exact in floating
    point and leaves z unchanged, but standardising x ≈ 1e4 directly would round
    z by ~1e-12, which the sums of 400 rows turn into ~1e-6 (not a fair reference).
    """
    x = data[list(features)].to_numpy() - [offset, 0.0, 0.0][: len(features)]
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.column_stack([np.ones(len(z)), z]), data["y"].to_numpy()


COLUMNS = Columns("y", ("a", "b", "c"))


@pytest.fixture(scope="module")
def pieces():
    data = frame()
    stats = gram.moments(dd.from_pandas(data, npartitions=5), COLUMNS)
    scale = gram.scaling(stats, COLUMNS)
    return data, stats, scale, gram.compact_problem(gram.gram(stats, scale))


def test_moments_merged_over_partitions_equal_numpy(pieces):
    data, stats, scale, _ = pieces
    values = data.to_numpy()
    assert stats.n == len(data)
    np.testing.assert_allclose(stats.mean, values.mean(axis=0), rtol=1e-14)
    centred = values - values.mean(axis=0)
    np.testing.assert_allclose(stats.comoment, centred.T @ centred, rtol=1e-11)
    np.testing.assert_allclose(scale.scales, values[:, :3].std(axis=0), rtol=1e-13)


@pytest.mark.parametrize("k", [2, 3, 4, 5, 11, 13])
@pytest.mark.parametrize("m", [0, 1, 7, gram.CENTRED_ROWS, 2 * gram.CENTRED_ROWS + 3])
def test_compiled_moments_equal_numpy(k, m):
    """Column counts around the 4 × 4 tiles, row counts around the blocks; one
    column far from 0 and one read-only, as pyarrow's buffers are."""
    rng = np.random.default_rng(k * 1000 + m)
    values = [rng.normal(size=m) * (j + 1) + (1e4 if j == 1 else j) for j in range(k)]
    values[0].flags.writeable = False
    mine = gram.block_moments(values, 3)
    assert mine.n == m and mine.dropped == 3
    if m == 0:
        assert not mine.mean.any() and not mine.comoment.any()
        return
    rows = np.column_stack(values)
    centred = rows - rows.mean(axis=0)
    scale = np.sqrt(np.outer(*2 * [(centred**2).sum(axis=0) + 1.0]))
    np.testing.assert_allclose(mine.mean, rows.mean(axis=0), rtol=1e-14, atol=1e-14)
    error = np.abs(mine.comoment - centred.T @ centred) / scale
    assert error.max() < 1e-13
    np.testing.assert_array_equal(mine.comoment, mine.comoment.T)


def test_gram_equals_the_standardised_design(pieces):
    data, stats, scale, _ = pieces
    X, y = in_memory(data)
    sums = gram.gram(stats, scale)
    np.testing.assert_allclose(sums.xtx, X.T @ X, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(sums.xty, X.T @ y, rtol=1e-10, atol=1e-9)
    assert sums.yty == pytest.approx(y @ y, rel=1e-12)
    np.testing.assert_allclose(scale.design(data[["a", "b", "c"]].to_numpy()), X)


def test_losses_optimum_and_batch_trace_equal_the_engine(pieces):
    data, _, _, compact = pieces
    reference = LinearRegression(*in_memory(data), intercept=True)
    thetas = np.random.default_rng(1).normal(size=(6, 4)) * 3
    pairs = zip(compact.evaluate(thetas), reference.evaluate(thetas), strict=True)
    for mine, theirs in pairs:
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        compact.optimum()[0], reference.optimum()[0], rtol=1e-10, atol=1e-10
    )
    assert compact.optimum()[1] == pytest.approx(reference.optimum()[1], rel=1e-10)
    settings = Settings(variant="batch", learning_rate=0.3, max_epochs=60)
    trace = gram.batch_trace(compact, settings, len(data))
    expected = descend(reference, settings)
    np.testing.assert_allclose(trace.loss, expected.loss, rtol=1e-10)
    np.testing.assert_allclose(trace.path, expected.path, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(trace.samples, expected.samples)


def test_ridge_optimum_equals_the_engine(pieces):
    data, _, _, compact = pieces
    reference = LinearRegression(*in_memory(data), intercept=True)
    ridge = Penalty("l2", alpha=0.1)
    mine, theirs = minimum(compact, ridge), minimum(reference, ridge)
    np.testing.assert_allclose(mine.theta, theirs.theta, rtol=1e-10, atol=1e-12)
    assert mine.loss == pytest.approx(theirs.loss, rel=1e-10)


def test_a_perfect_fit_still_gives_the_optimum():
    data = frame()
    data["y"] = 2.0 * data["a"] - data["b"]
    stats = gram.moments(dd.from_pandas(data, npartitions=3), COLUMNS)
    compact = gram.compact_problem(gram.gram(stats, gram.scaling(stats, COLUMNS)))
    reference = LinearRegression(*in_memory(data), intercept=True)
    np.testing.assert_allclose(
        compact.optimum()[0], reference.optimum()[0], rtol=1e-8, atol=1e-8
    )


def test_constant_features_are_dropped_with_a_note_and_missing_rows_counted():
    data = frame(60)
    data["k"] = 4.0
    data.loc[3, "b"] = np.nan
    columns = Columns("y", ("a", "k", "b"))
    stats = gram.moments(dd.from_pandas(data, npartitions=2), columns)
    scale = gram.scaling(stats, columns)
    assert scale.names == ("a", "b") and stats.n == 59 and stats.dropped == 1
    assert any("'k' was dropped" in note for note in scale.notes)


def test_a_file_without_a_chosen_column_is_refused():
    with pytest.raises(DataError, match="has no column 'c'"):
        arrays(pd.DataFrame({"a": [1.0], "b": [2.0], "y": [1.0]}), COLUMNS)


def test_local_parquet_read_by_pyarrow_gives_the_dask_moments(tmp_path):
    """The pass over pyarrow pieces (several row groups each, so several record
    batches) equals the pass over Dask's partitions: same rows kept and dropped
    (a NaN, a null in an integer column), the same moments to rounding."""
    from gddash.scale.columns import choose
    from gddash.scale.sources import Access, parquet_pieces, resolve

    data = frame(900, seed=2)
    data["k"] = pd.array(np.arange(900) % 7, dtype="Int64")  # integers, one null
    data.loc[5, "k"] = pd.NA
    data.loc[400, "b"] = np.nan
    for f in range(3):
        part = data.iloc[f * 300 : (f + 1) * 300]
        part.to_parquet(tmp_path / f"p{f}.parquet", row_group_size=70, index=False)
    source = resolve(".", Access(tmp_path))
    columns, lazy = choose(source, "y", ["a", "b", "k", "c"])
    pieces = parquet_pieces(source, columns.names, blocksize=25_000)
    assert any(p().num_rows > 70 for p in pieces)  # pieces of several row groups
    through_dask = gram.moments(lazy, columns)
    direct = gram.moments(lazy, columns, pieces=pieces)
    assert direct.n == through_dask.n == 898 and direct.dropped == 2
    np.testing.assert_allclose(direct.mean, through_dask.mean, rtol=1e-13)
    np.testing.assert_allclose(direct.comoment, through_dask.comoment, rtol=1e-12)
    kept = data.drop(index=[5, 400])[columns.names].to_numpy(dtype=float)
    centred = kept - kept.mean(axis=0)
    np.testing.assert_allclose(direct.comoment, centred.T @ centred, rtol=1e-11)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_pyarrow_batch_with_a_missing_or_infinite_value_drops_that_row(bad):
    """The batch's moments are found before any search for such values: the bad
    value must still send the batch through column_values, which drops its row."""
    pa = pytest.importorskip("pyarrow")
    data = frame(50, seed=3)
    data.loc[7, "c"] = bad
    stats = gram.partition_moments(pa.Table.from_pandas(data), COLUMNS)
    kept = data.drop(index=7)[COLUMNS.names].to_numpy()
    centred = kept - kept.mean(axis=0)
    assert stats.n == 49 and stats.dropped == 1
    np.testing.assert_allclose(stats.mean, kept.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(stats.comoment, centred.T @ centred, rtol=1e-11)
