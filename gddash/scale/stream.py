"""SGD and mini-batch streamed through a source's partitions, in bounded memory.

Each epoch visits the partitions in a seeded random order; within a partition
the rows are shuffled as the in-memory engine shuffles an epoch
(``engine.shuffle.epoch_order``, see ``SHUFFLE_NOTE``). A compiled loop
(``kernels.design_rows``) gathers the standardised rows, in that order, from the
partition's columns into one reused chunk, which the engine's ``run_rows`` runs
in one call (the compiled loops of ``descend``, with θ, the rule's state and the
update count carried over, and no evaluation). That is exactly per-row (or
per-batch) descent over the streamed order, with any rule, schedule and
penalty; with one partition it is ``descend``'s run bit for bit.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from gddash.engine import Settings, plan, run_rows, shuffle, start_rows
from gddash.errors import SettingsError
from gddash.scale.columns import Columns, column_values
from gddash.scale.gram import Scaling
from gddash.scale.sources import BLOCK_BYTES

# Rows of the standardised design held at a time (the chunk that ``run_rows``
# takes): memory grows with it; the row order and θ do not depend on it.
CHUNK_ROWS = 65_536
SHUFFLE_NOTE = (
    "Rows are shuffled within their partition as in-memory data is shuffled "
    f"(blocks of {shuffle.BLOCK_ROWS} consecutive rows in a fresh random order, "
    f"rearranged within windows of {shuffle.WINDOW_ROWS:,} rows), and each epoch "
    "visits the partitions in a seeded random order: rows of different partitions "
    "are never interleaved. {size}"
)


def shuffle_note(rows: int | None = None, n_columns: int = 0) -> str:
    """``SHUFFLE_NOTE`` with the largest partition's size when known (``rows``
    rows of ``n_columns`` float64 columns), else the size partitions are cut to."""
    if rows is None:
        size = (
            "A partition is a run of whole Parquet row groups of one file up to "
            f"about {BLOCK_BYTES / 1e6:.0f} MB (a larger group is one of its own), "
            f"or a block of a CSV file of up to {2 * BLOCK_BYTES / 1e6:.0f} MB."
        )
    else:
        size = (
            f"The largest partition here holds {rows:,} rows (about "
            f"{rows * n_columns * 8 / 1e6:.3g} MB of the chosen columns)."
        )
    return SHUFFLE_NOTE.format(size=size)


def chunk_end(
    start: int, m: int, room: int, *, held: int, batch: int, shuffled: bool,
    before: int, stride: int,
) -> int:  # fmt: skip
    """Where a chunk that takes rows ``start..`` of an m-row partition ends.

    The chunk holds ``room`` rows, ``held`` of them already (a mini-batch the
    previous partition split). Mini-batches: whole batches, except at the
    partition's end. Per-row SGD: only where ``descend`` would also cut, so
    that the rounding is its own. Its compiled loop takes rows four at a time
    from the start of each stretch, and a stretch starts at an epoch's start,
    every ``WINDOW_ROWS`` rows of a shuffled epoch, and after every update whose
    count is a multiple of ``stride`` (``before`` updates precede row 0). A
    cut there, or a multiple of four rows after one, leaves every group of four
    as descend forms it.
    """
    end = min(start + room - held, m)
    window = shuffle.WINDOW_ROWS
    if batch == 1 and shuffled:
        end = min(end, (start // window + 1) * window)
    if end == m:
        return m
    if batch > 1:
        return end - (held + end - start) % batch
    last = max(end // window * window if shuffled else 0, end - (before + end) % stride)
    cut = end - (end - last) % 4
    return cut if cut > start else end


@dataclass(frozen=True, kw_only=True)
class StreamSettings:
    """How to stream: the run's ``Settings`` plus budgets and the chunk size.

    Parameters
    ----------
    descent : Settings
        Variant ("sgd" or "minibatch"), rule, schedule, learning rate, batch
        size, seed, shuffle, penalty: the engine's ``run_rows`` carries the
        rule's state and the update count from chunk to chunk.
    epochs : float > 0, max_rows : int >= 1 or None, max_seconds : float > 0 or None
        Budgets: whichever ends first ends the run.
    chunk_rows : int >= 1
        Rows of the standardised design held at a time (memory grows with it,
        not with the source); neither the row order nor θ depends on it.
    points : int >= 2
        θ recorded at about this many evenly spaced row counts.
    """

    descent: Settings = dataclasses.field(
        default_factory=lambda: Settings(variant="sgd")
    )
    epochs: float = 1.0
    max_rows: int | None = None
    max_seconds: float | None = None
    chunk_rows: int = CHUNK_ROWS
    points: int = 21

    def __post_init__(self) -> None:
        s = self.descent
        if s.variant not in ("sgd", "minibatch"):
            raise SettingsError(
                f"Streaming runs 'sgd' or 'minibatch'. Got {s.variant!r}: run batch "
                "descent through gram.batch_trace instead."
            )
        checks = [
            ("epochs", self.epochs, 0 < self.epochs < math.inf, "a float in (0, inf)"),
            (
                "max_rows",
                self.max_rows,
                self.max_rows is None or self.max_rows >= 1,
                "an int in [1, inf) or None",
            ),
            (
                "max_seconds",
                self.max_seconds,
                self.max_seconds is None or self.max_seconds > 0,
                "a float in (0, inf) or None",
            ),
            ("chunk_rows", self.chunk_rows, self.chunk_rows >= 1, "an int >= 1"),
            ("points", self.points, self.points >= 2, "an int >= 2"),
        ]
        for name, value, ok, what in checks:
            if not ok:
                raise SettingsError(
                    f"The {name!r} parameter must be {what}. Got {value!r} instead."
                )

    @property
    def batch(self) -> int:
        return 1 if self.descent.variant == "sgd" else self.descent.batch_size


@dataclass(frozen=True)
class Progress:
    """Where a streamed run is: rows processed, passes done, time spent and left."""

    rows: int
    passes: float
    seconds: float
    seconds_left: float


@dataclass(frozen=True)
class Streamed:
    """θ recorded along a streamed run (the first at 0 rows, the last at the end)."""

    thetas: np.ndarray  # (k, d)
    rows: np.ndarray  # (k,) rows processed before each θ
    updates: np.ndarray  # (k,)
    seconds: np.ndarray  # (k,)
    reason: str  # "budget", "seconds", "stopped" or "diverged"
    message: str
    notes: tuple[str, ...] = ()


def stream(
    frame,
    columns: Columns,
    scale: Scaling,
    n_rows: int,
    settings: StreamSettings,
    *,
    task: str = "linear",
    epsilon: float | None = None,
    pieces: Sequence[Callable[[], object]] | None = None,
    progress: Callable[[Progress], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Streamed:
    """Stream ``settings.descent.variant`` over ``frame`` (a Dask frame) and record θ.

    ``task`` is "linear" (squared loss, or Huber's with ``epsilon`` set) or
    "logistic". Each chunk runs through the engine's ``run_rows`` in one call,
    which carries θ, the rule's state and the update count to the next chunk
    and evaluates nothing: the recorded θ are evaluated afterwards, together
    (``to_trace``). A mini-batch split by a partition's end waits for the rest
    of its rows, so only an epoch's last batch is short, as in memory. θ is
    recorded every ``stride`` updates, ``stride = ⌈updates / (points − 1)⌉`` as
    ``descend`` records.

    Shuffled, partition k's rows are ``shuffle.epoch_order`` drawn from
    ``np.random.default_rng(seed)`` (as ``descend`` draws an epoch's), the
    partitions' order from a stream spawned from it: with one partition, the
    run is ``descend``'s bit for bit, shuffled or in file order.

    ``pieces`` (e.g. ``sources.parquet_pieces``) read the source piece by piece
    instead of ``frame``'s partitions: each returns a pandas frame or a pyarrow
    table of the chosen columns. ``progress`` is called after each partition
    and about every ``chunk_rows`` rows; when ``stop()`` turns true the run
    ends there and keeps what it computed. Memory: one chunk and three
    partitions' chosen columns (the next two are read while one is descended on).
    """
    s = settings.descent
    loss = {"linear": "squared", "logistic": "log"}[task]
    if epsilon is not None and task == "linear":
        loss = "huber"
    planned = plan(n_rows, dataclasses.replace(s, max_epochs=settings.epochs))
    batch, per_epoch = planned.batch_size, planned.updates_per_epoch
    total = planned.n_updates
    if settings.max_rows is not None:
        total = min(total, -(-settings.max_rows // batch))
    stride = max(1, math.ceil(total / (settings.points - 1)))

    def rows_after(t: int) -> int:
        """Rows processed after t updates (an epoch's last batch may be short)."""
        epochs, within = divmod(t, per_epoch)
        return epochs * n_rows + min(within * batch, n_rows)

    budget = rows_after(total)
    rows_rng = np.random.default_rng(s.seed)  # each partition's rows, as descend's
    order_rng = rows_rng.spawn(1)[0]  # the partitions' order: a stream of its own
    state = start_rows(s, len(scale.kept) + 1)
    record = [(state.theta, 0, 0.0)]  # (θ, updates, seconds)
    start = time.perf_counter()
    reason, message = "budget", ""
    # Threads that read ahead (see ``parts``): two for Dask's partitions, one
    # for pieces decoded straight through pyarrow.
    readers = 2 if pieces is None else 1
    if pieces is None:
        pieces = [partition.compute for partition in frame.to_delayed()]
    largest = 0  # rows of the largest partition read

    def visits():
        """(partition, last of its epoch) in streamed order, for the epochs the
        budget reaches into (so no piece past them is read)."""
        last = len(pieces) - 1
        for _ in range(-(-budget // n_rows)):
            order = order_rng.permutation(len(pieces)) if s.shuffle else None
            for k in range(len(pieces)):
                yield (pieces[k if order is None else order[k]], k == last)

    def values_of(piece: Callable[[], object]) -> list[np.ndarray]:
        """A piece read and its chosen columns taken (``column_values``): in a
        reading thread, whose sum per column that finds a missing value is
        then not the descending thread's (SGD over 10⁶ rows: 4.5 of its ~80 ms)."""
        return column_values(piece(), columns)[0]

    def parts() -> Iterator[tuple[list[np.ndarray], bool]]:
        """(a piece's chosen columns, last of its epoch) in streamed order. While one is
        gathered and descended on, the next two are read (pyarrow, pandas'
        parser and the compiled loops release the GIL), by ``readers`` threads.
        pandas parses a CSV block on one thread, at several times the cost of
        descending on it: two threads read 2·10⁷ CSV rows for SGD in 6.2 s, not
        10.9. pyarrow decodes a Parquet piece (``sources.parquet_pieces``) at
        about the cost of gathering and descending on it, so one reading thread
        and this one fill two cores, and a second reader only takes time from
        this thread: on a two-core machine, SGD over 10⁶ rows took 88–107 ms
        (medians of 15–25 runs) with one, 93–116 ms with two, one faster in
        each of six alternating rounds."""
        upcoming = visits()
        with ThreadPoolExecutor(max_workers=readers) as pool:
            reading = collections.deque()  # (future, last of its epoch), in order

            def read_ahead() -> None:
                """Start reading the next piece, if the budget reaches it."""
                following = next(upcoming, None)
                if following is not None:
                    reading.append((pool.submit(values_of, following[0]), following[1]))

            first = next(upcoming, None)
            if first is None:  # a source of no partitions
                return
            piece, final = first
            read_ahead()  # the second piece, while this thread reads the first
            values = values_of(piece)
            read_ahead()  # and the third, while the first is descended on
            while True:
                yield values, final
                if not reading:  # the budget's last epoch is done
                    return
                future, final = reading.popleft()
                values = future.result()
                del future  # a future holds its piece while it lives
                read_ahead()

    def chunks() -> Iterator[tuple[np.ndarray, np.ndarray, bool]]:
        """(X, y, a partition's last) in streamed order: views of one reused
        chunk, whole batches except an epoch's last."""
        from gddash.engine.kernels import design_rows  # imports numba: on first use

        nonlocal largest
        room = max(settings.chunk_rows, batch, 4)  # four: see chunk_end
        window = shuffle.WINDOW_ROWS
        X, y = np.empty((room, len(scale.kept) + 1)), np.empty(room)
        # Each partition's row order, in arrays reused from partition to
        # partition: the server hands every freed array of 1 MiB or more back
        # to the system (``gddash.allocator``), so a fresh one would cost a page
        # fault per 4 KiB at first use (SGD over 10⁶ rows, measured with that
        # threshold at 256 KiB: 0.110 s → 0.086 s).
        rows_buffer, order_buffer = np.empty(0, np.int64), np.empty(0, np.int64)
        held, streamed = 0, 0  # rows of a split batch at the chunk's front; rows out
        with contextlib.closing(parts()) as read:
            for values, final in read:
                features, target = [values[k] for k in scale.kept], values[-1]
                m, at, before = len(target), 0, streamed
                # ``epoch_order``'s draws, its blocks kept for reading ahead.
                blocks, order = None, None
                if s.shuffle:
                    if len(rows_buffer) < m:
                        rows_buffer, order_buffer = np.empty((2, m), np.int64)
                    blocks = shuffle.epoch_rows(rows_rng, m, out=rows_buffer)
                    order = shuffle.window_order(*blocks, out=order_buffer)
                largest = max(largest, m)
                while at < m:
                    end = chunk_end(
                        at, m, room, held=held, batch=batch, shuffled=s.shuffle,
                        before=before, stride=stride,
                    )  # fmt: skip
                    n = held + end - at
                    ahead = None
                    if blocks is not None:  # the chunk's windows, block by block
                        ahead = blocks[0][
                            at // window * window : -(-end // window) * window
                        ]
                    design_rows(features, scale.means, scale.scales, target, order,
                                at, (X[held:n], y[held:n]), ahead=ahead)  # fmt: skip
                    at = end
                    # A batch the partition's end splits waits for the next one's
                    # rows, unless the epoch ends here.
                    whole = n if at < m or final else n - n % batch
                    if whole:
                        yield X[:whole], y[:whole], at == m
                    X[: n - whole], y[: n - whole] = X[whole:n], y[whole:n]
                    held, streamed = n - whole, streamed + whole
                del features, target, order, blocks
                if final and held:  # the epoch's short last batch (an empty partition)
                    yield X[:held], y[:held], True
                    held, streamed = 0, streamed + held

    def elapsed() -> float:
        return time.perf_counter() - start

    reported = 0  # rows at the last progress report
    # Closing the chunks ends the reading thread, also on an early stop.
    with contextlib.closing(chunks()) as released:
        for X, y, partition_end in released:
            take = min(len(y), (total - state.updates) * batch)
            t0, seconds0 = state.updates, elapsed()
            done = run_rows(
                X[:take], y[:take], state, s, n_samples=n_rows, stride=stride,
                loss=loss, epsilon=0.1 if epsilon is None else epsilon,
            )  # fmt: skip
            state, seconds1 = done.state, elapsed()
            # A recorded θ's time: interpolated in the chunk by its update count.
            share = (done.steps - t0) / max(state.updates - t0, 1)
            seconds = seconds0 + (seconds1 - seconds0) * share
            record.extend(zip(done.thetas, done.steps.tolist(), seconds, strict=True))
            if done.blew_up:
                reason = "diverged"
                message = (
                    f"Diverged: a prediction overflowed at update {state.updates + 1}: "
                    f"lower the learning rate (try {s.learning_rate / 10:.3g})."
                )
                break
            if state.updates >= total:
                break
            rows = rows_after(state.updates)
            if rows - reported < settings.chunk_rows and not partition_end:
                continue  # progress, clock and stop flag: each partition or buffer
            reported = rows
            if progress is not None:
                spent = elapsed()
                left = spent / max(rows, 1) * (budget - rows)
                if settings.max_seconds is not None:
                    left = min(left, max(settings.max_seconds - spent, 0.0))
                progress(Progress(rows, rows / n_rows, spent, left))
            if settings.max_seconds is not None and elapsed() >= settings.max_seconds:
                reason = "seconds"
                break
            if stop is not None and stop():
                reason = "stopped"
                break
    if record[-1][1] != state.updates:
        record.append((state.theta, state.updates, elapsed()))
    thetas, steps, seconds = zip(*record, strict=True)
    steps = np.array(steps, dtype=np.int64)
    rows_done = rows_after(state.updates)
    if progress is not None:
        spent = elapsed()
        progress(Progress(rows_done, rows_done / n_rows, spent, 0.0))
    note = shuffle_note(largest, len(columns.names))
    return Streamed(
        np.array(thetas),
        np.array([rows_after(int(t)) for t in steps], dtype=np.int64),
        steps,
        np.array(seconds, dtype=float),
        reason,
        message or ending(reason, rows_done, n_rows),
        (note,) if s.shuffle else (),
    )


def ending(reason: str, rows: int, n_rows: int) -> str:
    """Why a run ended ("budget", "seconds" or "stopped"), after how many rows."""
    done = f"{rows:,} rows ({rows / n_rows:.3g} passes)"
    return {
        "budget": f"Stopped at its budget after {done}.",
        "seconds": f"Stopped at its time budget after {done}.",
        "stopped": f"Stopped by the user after {done}; what was computed is kept.",
    }[reason]


def learning_rates(updates: np.ndarray, descent: Settings, n_rows: int) -> np.ndarray:
    """The schedule's learning rate at each of ``updates`` (as the loops used it)."""
    from gddash.engine import rules

    s = descent
    per_epoch = plan(n_rows, dataclasses.replace(s, max_epochs=1.0)).updates_per_epoch

    def rate(t: int) -> float:
        return rules.learning_rate_at(
            rules.SCHEDULE_IDS[s.schedule], s.learning_rate, max(t, 1), per_epoch,
            s.power_t, s.drop, s.step_epochs, s.decay,
        )  # fmt: skip

    return np.array([rate(int(t)) for t in updates], dtype=float)


def to_trace(
    streamed: Streamed,
    evaluate: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    settings: StreamSettings,
    n_rows: int,
):
    """A ``Trace`` of a streamed run: full-data losses at every recorded θ from
    ``evaluate(thetas)`` (one pass for them all, or O(d²) each for the squared loss).
    """
    from gddash.engine import Trace

    losses, grads = evaluate(streamed.thetas)
    rates = learning_rates(streamed.updates, settings.descent, n_rows)
    diverged = streamed.reason == "diverged" or not np.isfinite(losses[-1])
    status = "diverged" if diverged else "max_iter"
    return Trace(
        updates=streamed.updates.copy(),
        epochs=streamed.rows / n_rows,
        samples=streamed.rows.copy(),
        seconds=streamed.seconds.copy(),
        loss=np.asarray(losses, dtype=float),
        val_loss=None,
        gradient=np.asarray(grads, dtype=float),
        learning_rate=rates,
        path=streamed.thetas.copy(),
        status=status,
        reason="diverged" if diverged else "budget",
        message=streamed.message,
        variant=settings.descent.variant,
        batch_size=settings.batch,
        notes=streamed.notes,
    )
