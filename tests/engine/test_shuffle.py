"""The shuffled epoch's row order: a permutation, reproducible, and fair per position."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from gddash import engine
from gddash.engine.shuffle import (
    BLOCK_ROWS,
    WINDOW_ROWS,
    epoch_order,
    epoch_rows,
    window_order,
)


def block_window_order(rng, n, block=64, window=8192):
    """A shuffled epoch written from its definition: blocks of ``block`` rows
    in random order, then every run of ``window`` rows rearranged by one
    permutation of a window's positions (the last run keeps those it has)."""
    blocks = rng.permutation(-(-n // block))
    rows = np.concatenate(
        [np.arange(b * block, min(b * block + block, n)) for b in blocks]
    )
    positions = rng.permutation(min(window, n))
    parts = [rows[s : s + window] for s in range(0, n, window)]
    return np.concatenate([w[[p for p in positions if p < len(w)]] for w in parts])


@settings(max_examples=60, deadline=None)
@given(
    n=st.one_of(
        st.integers(1, 3 * BLOCK_ROWS),
        st.integers(1, 3 * WINDOW_ROWS + 2 * BLOCK_ROWS + 1),
    ),
    seed=st.integers(0, 2**32),
)
def test_the_order_is_a_permutation_of_the_rows_and_repeats_with_its_seed(n, seed):
    order = epoch_order(np.random.default_rng(seed), n)
    assert order.dtype == np.int64
    np.testing.assert_array_equal(np.sort(order), np.arange(n))
    np.testing.assert_array_equal(order, epoch_order(np.random.default_rng(seed), n))


@pytest.mark.parametrize("n", [1, 5, 64, 65, 8192, 8193, 3 * 8192, 3 * 8192 + 100])
def test_the_order_is_the_one_the_docstring_states(n):
    rng, reference = np.random.default_rng(11), np.random.default_rng(11)
    for _ in range(2):  # successive epochs draw on from the same generator
        expected = block_window_order(reference, n, BLOCK_ROWS, WINDOW_ROWS)
        np.testing.assert_array_equal(epoch_order(rng, n), expected)


@pytest.mark.parametrize("n", [1, 5, 64, 65, 127, 8192, 8193, 3 * 8192 + 100])
def test_orders_written_into_reused_arrays_equal_fresh_ones(n):
    # A streamed source draws every partition's order into the same two arrays,
    # longer than the partition and holding the last one's values.
    rng, fresh = np.random.default_rng(5), np.random.default_rng(5)
    rows_out, order_out = np.full((2, n + 300), -7, np.int64)
    for _ in range(2):
        rows, within = epoch_rows(rng, n, out=rows_out)
        order = window_order(rows, within, out=order_out)
        expected = block_window_order(fresh, n, BLOCK_ROWS, WINDOW_ROWS)
        np.testing.assert_array_equal(order, expected)
        assert np.shares_memory(rows, rows_out) and np.shares_memory(order, order_out)
        assert len(rows) == len(order) == n


def test_successive_epochs_and_other_seeds_give_other_orders():
    rng = np.random.default_rng(0)
    first, second = epoch_order(rng, 1000), epoch_order(rng, 1000)
    other = epoch_order(np.random.default_rng(1), 1000)
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_data_of_one_window_gets_every_order_equally_often():
    # 3 rows: one block, one window, so all 6 orders must be equally likely.
    counts = dict.fromkeys(itertools.permutations(range(3)), 0)
    for seed in range(1200):
        counts[tuple(epoch_order(np.random.default_rng(seed), 3).tolist())] += 1
    assert stats.chisquare(list(counts.values())).pvalue > 1e-4


@pytest.mark.parametrize("position", ["first", "last"])
def test_each_row_is_equally_likely_at_a_position_across_seeds(position):
    # Three full windows. Over seeds, the row at one position must be uniform:
    # its 16th of the file (which block order alone decides) and its offset
    # within its block (which only the window shuffle decides).
    n = 3 * WINDOW_ROWS
    at = 0 if position == "first" else n - 1
    rows = np.array(
        [epoch_order(np.random.default_rng(seed), n)[at] for seed in range(2000)]
    )
    sixteenths = np.bincount(rows // (n // 16), minlength=16)
    offsets = np.bincount(rows % BLOCK_ROWS, minlength=BLOCK_ROWS)
    assert stats.chisquare(sixteenths).pvalue > 1e-4
    assert stats.chisquare(offsets).pvalue > 1e-4


def test_every_window_of_an_epoch_is_rearranged_alike_and_epochs_differ():
    # Position k of each window holds the row at the same place of its window's
    # blocks: with whole blocks, the same offset within a block.
    rng = np.random.default_rng(4)
    first, second = epoch_order(rng, 2 * WINDOW_ROWS), epoch_order(rng, 2 * WINDOW_ROWS)
    offsets = first.reshape(2, WINDOW_ROWS) % BLOCK_ROWS
    np.testing.assert_array_equal(offsets[0], offsets[1])
    assert not np.array_equal(offsets[0], second[:WINDOW_ROWS] % BLOCK_ROWS)


def test_the_scheme_is_stated_for_the_page_with_its_numbers():
    note = engine.SHUFFLE_NOTE
    assert f"blocks of {BLOCK_ROWS} consecutive rows" in note
    assert f"{WINDOW_ROWS:,} rows" in note
    assert "not a full shuffle" in note
