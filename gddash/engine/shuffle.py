"""The row order of a shuffled epoch: blocks of rows in random order, then windows.

Each epoch, with the run's generator ``rng`` (``np.random.default_rng(seed)``):

1. the rows are cut into blocks of ``BLOCK_ROWS`` consecutive rows (the last
   block may be shorter), and the blocks are put in ``rng.permutation`` order;
2. the rows of the blocks, in that order, are cut into windows of
   ``WINDOW_ROWS`` consecutive rows (the last window may be shorter), and one
   arrangement of a window's positions, ``rng.permutation(min(n, WINDOW_ROWS))``,
   is applied to every window (the last, shorter one skips the positions it lacks).

A window's rows lie in its blocks, so they are gathered by copying the blocks
(memory read in order) and rearranging the copy in cache; one permutation per
epoch is all the random numbers that rows within windows cost.

It is not a full shuffle: rows from far apart in the file never meet within a
window except through the block order. Data of at most ``WINDOW_ROWS`` rows is
one window, and its order is a full shuffle.
"""

from __future__ import annotations

import numpy as np

# Consecutive rows that move together (64 rows of 10 features: 5 KB).
BLOCK_ROWS = 64
# Rows shuffled together: 128 blocks, about 640 KB at 10 features (fits in L2).
WINDOW_ROWS = 8_192

SHUFFLE_NOTE = (
    f"Shuffling visits blocks of {BLOCK_ROWS} consecutive rows in a fresh random "
    f"order each epoch and rearranges each window of {WINDOW_ROWS:,} rows "
    f"({WINDOW_ROWS // BLOCK_ROWS} blocks) by one random permutation drawn for the "
    "epoch, so that reading the rows stays fast. It is not a full shuffle: rows "
    "from far apart in the file never meet within a window except through the "
    f"block order. Data of up to {WINDOW_ROWS:,} rows is shuffled completely."
)


def epoch_rows(
    rng: np.random.Generator, n: int, out: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's draws: the rows block by block in their random order, and the
    permutation of a window's positions (``epoch_order`` combines them).

    Window w of the epoch is ``rows[w·WINDOW_ROWS :][:m][positions]`` for its
    m rows, where ``positions`` keeps the values below m. ``out``: an int64
    array of at least n values that receives the rows (returned as ``out[:n]``),
    for a caller that draws many epochs: no array is allocated of n values.
    """
    count = -(-n // BLOCK_ROWS)
    blocks = rng.permutation(count)
    rows = np.empty(n, np.int64) if out is None else out[:n]
    offsets = np.arange(BLOCK_ROWS)

    def fill(at: int, chosen: np.ndarray) -> None:
        """rows[at:] ← the full blocks ``chosen``, one after another."""
        span = rows[at : at + len(chosen) * BLOCK_ROWS].reshape(-1, BLOCK_ROWS)
        np.add((chosen * BLOCK_ROWS)[:, None], offsets, out=span)

    short = n % BLOCK_ROWS  # rows of the last block, when it is not full
    if not short:
        fill(0, blocks)
    else:  # the blocks before the short one, the short one, those after it
        t = int(np.flatnonzero(blocks == count - 1)[0])
        fill(0, blocks[:t])
        rows[t * BLOCK_ROWS : t * BLOCK_ROWS + short] = np.arange(n - short, n)
        fill(t * BLOCK_ROWS + short, blocks[t + 1 :])
    return rows, rng.permutation(min(WINDOW_ROWS, n))


def epoch_order(rng: np.random.Generator, n: int) -> np.ndarray:
    """The row order of one shuffled epoch of ``n`` rows (see the module docstring).

    A permutation of range(n) as int64; it draws from ``rng``, so successive
    calls give successive epochs and the same seed gives the same orders.
    """
    return window_order(*epoch_rows(rng, n))


def window_order(
    rows: np.ndarray, within: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """The epoch's order from ``epoch_rows``: each window of rows rearranged.
    ``out``: an int64 array of at least len(rows) values that receives it."""
    n = len(rows)
    full = n - n % WINDOW_ROWS
    order = np.empty_like(rows) if out is None else out[:n]
    if full:  # every whole window, rearranged alike
        windows = (-1, WINDOW_ROWS)
        # In its default mode ("raise") np.take writes into a copy of ``out``
        # first; "clip" writes in place, and clips nothing: ``within`` holds
        # positions of a window.
        np.take(
            rows[:full].reshape(windows), within, 1,
            order[:full].reshape(windows), mode="clip",
        )  # fmt: skip
    if full < n:  # a shorter last window: the positions it has, in that order
        order[full:] = rows[full:][within[within < n - full]]
    return order
