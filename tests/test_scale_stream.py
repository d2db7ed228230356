"""Streaming SGD and mini-batch through partitions: exact where it must be, bounded."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gddash.engine import (
    HuberRegression,
    LinearRegression,
    LogisticRegression,
    Settings,
    descend,
    shuffle,
)
from gddash.engine.kernels import design_rows
from gddash.errors import SettingsError
from gddash.scale import gram
from gddash.scale import stream as streaming
from gddash.scale.columns import Columns
from gddash.scale.stream import StreamSettings, stream, to_trace

dd = pytest.importorskip("dask.dataframe")
COLUMNS = Columns("y", ("a", "b"))


def data(n=240, seed=0, logistic=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)) * [2.0, 0.5] + [1.0, -3.0]
    y = x @ [1.5, -2.0] + rng.normal(size=n)
    if logistic:
        y = (y > np.median(y)) * 1.0
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})


def prepared(table, npartitions):
    frame = dd.from_pandas(table, npartitions=npartitions)
    stats = gram.moments(frame, COLUMNS)
    scale = gram.scaling(stats, COLUMNS)
    X, y = scale.design(table[["a", "b"]].to_numpy()), table["y"].to_numpy()
    return frame, scale, stats, X, y


@pytest.mark.parametrize(
    ("variant", "logistic", "more"),
    [
        ("sgd", False, {}),
        ("minibatch", False, {}),
        ("sgd", True, {}),
        # The rule's state, the schedule's clock and L1's totals carry over.
        ("sgd", False, {"rule": "adam", "schedule": "invscaling"}),
        ("sgd", True, {"penalty": "l1", "alpha": 0.01}),
        ("minibatch", False, {"rule": "momentum", "penalty": "l2", "alpha": 0.1}),
    ],
)
def test_one_partition_in_order_equals_in_memory_descent(variant, logistic, more):
    table = data(logistic=logistic)
    frame, scale, stats, X, y = prepared(table, 1)
    descent = Settings(
        variant=variant, learning_rate=0.02, batch_size=8, shuffle=False, max_points=4,
        **more,
    )  # fmt: skip
    settings = StreamSettings(descent=descent, epochs=3.0, chunk_rows=10_000, points=4)
    task = "logistic" if logistic else "linear"
    streamed = stream(frame, COLUMNS, scale, stats.n, settings, task=task)
    Problem = LogisticRegression if logistic else LinearRegression
    expected = descend(Problem(X, y, intercept=True), replace(descent, max_epochs=3.0))
    np.testing.assert_array_equal(streamed.thetas[-1], expected.theta)
    np.testing.assert_array_equal(streamed.rows, expected.samples)
    np.testing.assert_array_equal(streamed.thetas, expected.path)


def test_shuffled_streaming_is_seeded_and_ends_near_the_optimum():
    table = data(2000)
    frame, scale, stats, *_ = prepared(table, 4)
    descent = Settings(variant="sgd", learning_rate=0.01, seed=3)
    settings = StreamSettings(descent=descent, epochs=2.0, chunk_rows=300)
    first = stream(frame, COLUMNS, scale, stats.n, settings)
    again = stream(frame, COLUMNS, scale, stats.n, settings)
    np.testing.assert_array_equal(first.thetas, again.thetas)
    note = first.notes[0]
    assert "within their partition" in note and "never interleaved" in note
    assert "largest partition here holds 500 rows" in note
    compact = gram.compact_problem(gram.gram(stats, scale))
    trace = to_trace(first, compact.evaluate, settings, stats.n)
    star_loss = compact.optimum()[1]
    assert trace.final_loss < star_loss * 1.05
    assert trace.samples[-1] == 2 * stats.n and trace.epochs[-1] == 2.0


def test_the_row_budget_the_stop_flag_and_progress():
    table = data(600)
    frame, scale, stats, *_ = prepared(table, 6)
    seen = []
    settings = StreamSettings(
        descent=Settings(variant="sgd", learning_rate=0.01),
        epochs=5.0,
        chunk_rows=50,
        max_rows=450,
    )
    run = stream(frame, COLUMNS, scale, stats.n, settings, progress=seen.append)
    assert run.rows[-1] == 450 and run.reason == "budget"
    assert seen[-1].rows == 450 and seen[-1].passes == pytest.approx(0.75)
    calls = []
    stopped = stream(
        frame, COLUMNS, scale, stats.n, settings,
        stop=lambda: calls.append(1) or len(calls) >= 2,
    )  # fmt: skip
    assert stopped.reason == "stopped" and 0 < stopped.rows[-1] < 450
    assert "what was computed is kept" in stopped.message


@pytest.mark.parametrize(
    ("epochs", "reads"), [(1.0, {6}), (1.5, {9, 10, 11}), (2.0, {12})]
)
def test_a_run_reads_the_pieces_of_the_epochs_its_budget_reaches_and_no_more(
    epochs, reads
):
    """Reading stops at the budget's last epoch (mid-epoch, the two reading
    threads may have begun the next two pieces); the run is the same with
    pieces and through the frame's partitions."""
    table = data(600)
    frame, scale, stats, *_ = prepared(table, 6)
    read = []
    pieces = [
        lambda p=part: read.append(1) or p.compute() for part in frame.to_delayed()
    ]
    settings = StreamSettings(
        descent=Settings(variant="sgd", learning_rate=0.01), epochs=epochs
    )
    direct = stream(frame, COLUMNS, scale, stats.n, settings, pieces=pieces)
    assert len(read) in reads and direct.rows[-1] == int(600 * epochs)
    through_frame = stream(frame, COLUMNS, scale, stats.n, settings)
    np.testing.assert_array_equal(through_frame.thetas, direct.thetas)


def test_a_source_whose_partitions_are_gone_ends_at_once_with_theta_zero():
    """No piece to read (its files vanished after the Gram pass): the run ends
    instead of waiting for rows that never come."""
    frame, scale, stats, *_ = prepared(data(60), 2)
    settings = StreamSettings(descent=Settings(variant="sgd", learning_rate=0.01))
    run = stream(frame, COLUMNS, scale, stats.n, settings, pieces=[])
    assert run.rows.tolist() == [0] and not run.thetas.any()


def test_batch_descent_is_not_streamed():
    with pytest.raises(SettingsError, match="Streaming runs 'sgd' or 'minibatch'"):
        StreamSettings(descent=Settings(variant="batch"))


def test_a_budget_must_be_positive():
    with pytest.raises(SettingsError, match="'max_rows' parameter must be"):
        StreamSettings(max_rows=0)


@pytest.mark.parametrize("variant", ["minibatch", "sgd"])
def test_many_partitions_in_order_equal_in_memory_descent(variant):
    """Chunks end anywhere (7 partitions, a 10-row buffer); a mini-batch split by a
    chunk's end waits for its other rows, so mini-batch descent is the in-memory
    one bit for bit. Per-row SGD regroups its rows at chunk ends (the compiled
    loop takes rows four at a time), which changes only the rounding."""
    table = data()
    frame, scale, stats, X, y = prepared(table, 7)
    descent = Settings(
        variant=variant, learning_rate=0.02, batch_size=8, shuffle=False, max_points=5
    )
    settings = StreamSettings(descent=descent, epochs=2.5, chunk_rows=10, points=5)
    streamed = stream(frame, COLUMNS, scale, stats.n, settings)
    problem = LinearRegression(X, y, intercept=True)
    expected = descend(problem, replace(descent, max_epochs=2.5))
    np.testing.assert_array_equal(streamed.rows, expected.samples)
    np.testing.assert_array_equal(streamed.updates, expected.updates)
    if variant == "minibatch":
        np.testing.assert_array_equal(streamed.thetas, expected.path)
    else:
        np.testing.assert_allclose(streamed.thetas, expected.path, rtol=1e-13)


def test_a_run_that_blows_up_stops_there_and_says_what_to_do():
    table = data(600)
    frame, scale, stats, *_ = prepared(table, 3)
    settings = StreamSettings(
        descent=Settings(variant="sgd", learning_rate=1e3, shuffle=False), epochs=2.0
    )
    run = stream(frame, COLUMNS, scale, stats.n, settings)
    assert run.reason == "diverged" and run.rows[-1] < 600
    assert "lower the learning rate (try 100)" in run.message
    assert np.isfinite(run.thetas).all()


def test_an_empty_last_partition_still_ends_the_epoch():
    """Rows of a batch wait across chunks only within an epoch: when the last
    partition has no complete row, the epoch still ends with its short batch."""
    table = data()
    table.loc[210:, "y"] = np.nan  # the last of 8 partitions: 30 incomplete rows
    frame, scale, stats, _, _ = prepared(table, 8)
    kept = table.iloc[:210]
    X, y = scale.design(kept[["a", "b"]].to_numpy()), kept["y"].to_numpy()
    descent = Settings(
        variant="minibatch", learning_rate=0.02, batch_size=8, shuffle=False
    )
    settings = StreamSettings(descent=descent, epochs=2.0, points=3)
    streamed = stream(frame, COLUMNS, scale, stats.n, settings)
    problem = LinearRegression(X, y, intercept=True)
    expected = descend(problem, replace(descent, max_epochs=2.0, max_points=3))
    assert stats.n == 210
    np.testing.assert_array_equal(streamed.thetas, expected.path)


def test_the_trace_records_the_schedules_rate_at_each_recorded_update():
    table = data()
    frame, scale, stats, X, y = prepared(table, 1)
    descent = Settings(
        variant="sgd", schedule="invscaling", learning_rate=0.05, shuffle=False,
        max_points=5,
    )  # fmt: skip
    settings = StreamSettings(descent=descent, epochs=2.0, points=5)
    streamed = stream(frame, COLUMNS, scale, stats.n, settings)
    compact = gram.compact_problem(gram.gram(stats, scale))
    trace = to_trace(streamed, compact.evaluate, settings, stats.n)
    expected = descend(
        LinearRegression(X, y, intercept=True), replace(descent, max_epochs=2.0)
    )
    np.testing.assert_array_equal(trace.learning_rate, expected.learning_rate)
    np.testing.assert_allclose(trace.loss, expected.loss, rtol=1e-10)


@pytest.mark.parametrize("variant", ["sgd", "minibatch"])
def test_huber_streamed_in_order_equals_in_memory_descent(variant):
    table = data()
    table["y"] += np.random.default_rng(4).standard_t(2, size=len(table))
    frame, scale, stats, X, y = prepared(table, 1)
    descent = Settings(
        variant=variant, learning_rate=0.05, batch_size=8, shuffle=False, max_points=4
    )
    settings = StreamSettings(descent=descent, epochs=2.0, points=4)
    streamed = stream(frame, COLUMNS, scale, stats.n, settings, epsilon=0.5)
    problem = HuberRegression(X, y, epsilon=0.5, intercept=True)
    expected = descend(problem, replace(descent, max_epochs=2.0))
    np.testing.assert_array_equal(streamed.thetas, expected.path)


def test_local_parquet_pieces_read_by_pyarrow_stream_as_the_dask_partitions(tmp_path):
    """Pieces are whole row groups up to the block size, as Dask's partitions
    are; read straight through pyarrow they give the same run bit for bit."""
    from gddash.scale.columns import choose
    from gddash.scale.sources import Access, parquet_pieces, resolve

    table = data(600)
    table.loc[7, "a"] = np.nan  # an incomplete row is dropped on both paths
    for k in range(3):
        part = table.iloc[k * 200 : (k + 1) * 200]
        part.to_parquet(tmp_path / f"p{k}.parquet", row_group_size=50, index=False)
    source = resolve(".", Access(tmp_path))
    columns, frame = choose(source, "y", None)
    stats = gram.moments(frame, columns)
    scale = gram.scaling(stats, columns)
    sizes = [p().num_rows for p in parquet_pieces(source, columns.names, blocksize=1)]
    assert sizes == [50] * 12  # a row group is the smallest piece
    pieces = parquet_pieces(source, columns.names)
    assert len(pieces) == frame.npartitions == 3
    settings = StreamSettings(
        descent=Settings(variant="sgd", learning_rate=0.01, seed=4), chunk_rows=64
    )
    through_dask = stream(frame, columns, scale, stats.n, settings)
    direct = stream(frame, columns, scale, stats.n, settings, pieces=pieces)
    np.testing.assert_array_equal(direct.thetas, through_dask.thetas)
    assert direct.rows[-1] == 599


def one_partition(n=20_000, seed=5):
    """Enough rows for several shuffle windows (8,192 rows) and a short last one."""
    return prepared(data(n, seed), 1)


@pytest.mark.parametrize(
    ("variant", "more"),
    [
        ("sgd", {}),
        ("sgd", {"rule": "adam", "schedule": "invscaling"}),
        ("sgd", {"penalty": "l1", "alpha": 0.01}),
        ("minibatch", {"batch_size": 32}),
        (
            "minibatch",
            {"batch_size": 100, "rule": "momentum", "penalty": "l2", "alpha": 0.1},
        ),
    ],
)
@pytest.mark.parametrize("chunk_rows", [50, 8_195, 65_536])
def test_one_partition_shuffled_equals_in_memory_shuffled_descent(
    variant, more, chunk_rows
):
    """The rows are drawn as descend draws an epoch's, and the chunks end where
    descend's compiled loop would cut anyway: the same θ bit for bit, whatever
    the chunk size, over two epochs and a stride that is not a multiple of 4."""
    frame, scale, stats, X, y = one_partition()
    descent = Settings(
        variant=variant, learning_rate=0.005, seed=11, max_points=8, **more
    )
    settings = StreamSettings(
        descent=descent, epochs=2.0, chunk_rows=chunk_rows, points=8
    )
    streamed = stream(frame, COLUMNS, scale, stats.n, settings)
    problem = LinearRegression(X, y, intercept=True)
    expected = descend(problem, replace(descent, max_epochs=2.0))
    assert (expected.updates[1] - expected.updates[0]) % 4 != 0
    np.testing.assert_array_equal(streamed.updates, expected.updates)
    np.testing.assert_array_equal(streamed.thetas, expected.path)


@pytest.mark.parametrize("shuffled", [True, False])
def test_one_large_partition_in_order_equals_in_memory_descent(shuffled):
    """Chunks smaller than the partition still give descend's per-row SGD bit
    for bit in file order too (they end on its groups of four rows)."""
    frame, scale, stats, X, y = one_partition()
    descent = Settings(
        variant="sgd", learning_rate=0.005, shuffle=shuffled, seed=2, max_points=6
    )
    settings = StreamSettings(descent=descent, epochs=1.5, chunk_rows=1_001, points=6)
    streamed = stream(frame, COLUMNS, scale, stats.n, settings)
    expected = descend(
        LinearRegression(X, y, intercept=True), replace(descent, max_epochs=1.5)
    )
    np.testing.assert_array_equal(streamed.thetas, expected.path)


@pytest.mark.parametrize("variant", ["sgd", "minibatch"])
@pytest.mark.parametrize("shuffled", [True, False])
def test_the_chunk_size_changes_nothing_with_many_partitions(variant, shuffled):
    table = data(3_000)
    frame, scale, stats, *_ = prepared(table, 7)
    descent = Settings(
        variant=variant, learning_rate=0.01, batch_size=7, shuffle=shuffled, seed=1
    )
    runs = []
    for rows in (1, 37, 65_536):
        settings = StreamSettings(
            descent=descent, epochs=2.5, chunk_rows=rows, points=9
        )
        runs.append(stream(frame, COLUMNS, scale, stats.n, settings))
    for run in runs[1:]:
        np.testing.assert_array_equal(run.thetas, runs[0].thetas)
        np.testing.assert_array_equal(run.rows, runs[0].rows)


@pytest.mark.parametrize("variant", ["sgd", "minibatch"])
def test_shuffled_partitions_visit_every_row_once_an_epoch(monkeypatch, variant):
    """y is the row's number: the rows run_rows receives show the order. Each
    epoch is a permutation of all rows, each partition's rows are consecutive
    in it (rows of different partitions are never interleaved) and shuffled within, and
    the partitions' order changes from epoch to epoch."""
    n, parts = 1_000, 5
    table = data(n)
    table["y"] = np.arange(n, dtype=float)
    frame, scale, stats, *_ = prepared(table, parts)
    bounds = np.cumsum([0, *(len(p) for p in frame.partitions)])
    seen = []

    def recording(X, y, *args, **kwargs):
        seen.extend(y.astype(int).tolist())
        return run_rows(X, y, *args, **kwargs)

    run_rows = streaming.run_rows
    monkeypatch.setattr(streaming, "run_rows", recording)
    descent = Settings(variant=variant, batch_size=8, learning_rate=1e-6, seed=7)
    settings = StreamSettings(descent=descent, epochs=3.0, chunk_rows=64)
    stream(frame, COLUMNS, scale, stats.n, settings)
    epochs = np.array(seen).reshape(3, n)
    visits = []
    for rows in epochs:
        assert sorted(rows) == list(range(n))
        partition = np.searchsorted(bounds, rows, side="right") - 1
        runs = partition[np.flatnonzero(np.diff(partition, prepend=-1))]
        assert sorted(runs) == list(range(parts))  # each partition once, in one run
        assert not np.all(np.diff(rows) == 1)
        visits.append(runs.tolist())
    assert len({tuple(v) for v in visits}) > 1


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 300),
    p=st.integers(1, 4),
    kept=st.data(),
    seed=st.integers(0, 2**32 - 1),
    shuffled=st.booleans(),
    cut=st.data(),
)
def test_design_rows_equal_the_standardised_design_in_that_order(
    n, p, kept, seed, shuffled, cut
):
    """The compiled gather gives ``Scaling.design(x)[order]`` exactly (the same
    IEEE operations), for any slice of the order and any kept features, with
    or without the blocks read ahead."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) * rng.uniform(0.1, 1e3, size=p) + rng.normal(size=p)
    target = rng.normal(size=n)
    keep = np.array(
        sorted(kept.draw(st.sets(st.integers(0, p - 1), min_size=1))), dtype=np.int64
    )
    scaling = gram.Scaling(
        tuple(f"x{k}" for k in keep),
        keep,
        rng.normal(size=len(keep)) * 10,
        rng.uniform(0.01, 100, size=len(keep)),
    )
    blocks = shuffle.epoch_rows(rng, n) if shuffled else None
    order = None if blocks is None else shuffle.window_order(*blocks)
    start = cut.draw(st.integers(0, n))
    stop = cut.draw(st.integers(start, n))
    out = (
        np.full((stop - start, len(keep) + 1), np.nan),
        np.full(stop - start, np.nan),
    )
    columns = [np.asfortranarray(x)[:, k] for k in keep]
    ahead = None if blocks is None else blocks[0]  # a hint that changes nothing
    design_rows(
        columns, scaling.means, scaling.scales, target, order, start, out, ahead=ahead
    )
    rows = np.arange(n) if order is None else order
    np.testing.assert_array_equal(out[0], scaling.design(x)[rows[start:stop]])
    np.testing.assert_array_equal(out[1], target[rows[start:stop]])


@pytest.mark.parametrize("p", [1, 2, 3])  # a lone feature, a pair, both
def test_design_rows_refuses_rows_outside_the_partition(p):
    column = np.arange(5.0)
    out = (np.empty((3, p + 1)), np.empty(3))
    features, means, scales = [column] * p, [0.0] * p, [1.0] * p
    with pytest.raises(ValueError, match="row 9 is not in a column of 5"):
        design_rows(features, means, scales, column, np.array([0, 9, 1]), 0, out)
    with pytest.raises(ValueError, match=r"rows 3\.\.5 of 5"):
        design_rows(features, means, scales, column, None, 3, out)


def test_design_rows_refuses_columns_of_different_lengths():
    """Two features are gathered in one loop, which reads both at each row."""
    out = (np.empty((3, 3)), np.empty(3))
    short, column = np.arange(4.0), np.arange(5.0)
    with pytest.raises(ValueError, match="columns must be of one length"):
        design_rows([column, short], [0.0] * 2, [1.0] * 2, column, None, 0, out)
