"""SGD and mini-batch streamed through a source's partitions, in bounded memory.

Partitions are visited in a seeded random order; their rows pass through a
shuffle buffer (see ``SHUFFLE_NOTE``); each chunk the buffer lets go is run by
the engine's ``run_rows`` in one call (the compiled loops of ``descend``, with
θ, the rule's state and the update count carried over, and no evaluation).
That is exactly per-row (or per-batch) descent over the streamed order, with
any rule, schedule and penalty.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from gddash.engine import Settings, plan, run_rows, start_rows
from gddash.errors import SettingsError
from gddash.scale.columns import Columns, column_values
from gddash.scale.gram import Scaling

BUFFER_ROWS = 65_536
READ_AHEAD = 1  # partitions read, each in a thread, while the descent runs
SHUFFLE_NOTE = (
    "Rows are not fully shuffled: each epoch visits the partitions in a seeded "
    "random order, and rows are shuffled within a buffer of {buffer:,} rows "
    "(about {megabytes:.1f} MB here) that mixes neighbouring partitions; rows "
    "farther apart than the buffer never swap places."
)


def standardised(part, columns: Columns, scale: Scaling):
    """A partition's design [1, z] (m, k + 1) and target (m,), straight from its
    columns: rows with a missing or infinite value dropped, as ``complete_rows``
    does, and z = (x − mean) / scale as ``Scaling.design`` computes it (the same
    numbers), with no (m, p + 1) copy of the partition in between.

    ``part`` is a pandas frame (a Dask partition) or a pyarrow table (a piece).
    """
    values, _ = column_values(part, columns)
    m = len(values[-1])
    X = np.empty((m, len(scale.kept) + 1))
    X[:, 0] = 1.0
    z = np.empty(m)  # each column formed contiguously, then copied into place
    for j, k in enumerate(scale.kept):
        np.subtract(values[k], scale.means[j], out=z)
        z /= scale.scales[j]
        X[:, j + 1] = z
    return X, np.ascontiguousarray(values[-1])


def shuffle_note(buffer_rows: int, n_params: int) -> str:
    """``SHUFFLE_NOTE`` with this buffer's size in rows and megabytes."""
    megabytes = buffer_rows * (n_params + 1) * 8 / 1e6
    return SHUFFLE_NOTE.format(buffer=buffer_rows, megabytes=megabytes)


@dataclass(frozen=True, kw_only=True)
class StreamSettings:
    """How to stream: the run's ``Settings`` plus budgets and the buffer.

    Parameters
    ----------
    descent : Settings
        Variant ("sgd" or "minibatch"), rule, schedule, learning rate, batch
        size, seed, shuffle, penalty: the engine's ``run_rows`` carries the
        rule's state and the update count from chunk to chunk.
    epochs : float > 0, max_rows : int >= 1 or None, max_seconds : float > 0 or None
        Budgets: whichever ends first ends the run.
    buffer_rows : int >= 1
        Rows held for shuffling (memory grows with it, not with the source).
    points : int >= 2
        θ recorded at about this many evenly spaced row counts.
    """

    descent: Settings = dataclasses.field(
        default_factory=lambda: Settings(variant="sgd")
    )
    epochs: float = 1.0
    max_rows: int | None = None
    max_seconds: float | None = None
    buffer_rows: int = BUFFER_ROWS
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
            ("buffer_rows", self.buffer_rows, self.buffer_rows >= 1, "an int >= 1"),
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


class _Buffer:
    """Rows waiting to be let go; shuffled with ``rng`` when ``shuffle`` is on.

    When it holds ``size`` rows or more, it shuffles and lets go all but a random
    half-buffer, which stays to mix with the next partition. Unshuffled, it lets
    every row go at once: holding rows back would change nothing but the copies.
    """

    def __init__(self, size: int, rng, shuffle: bool) -> None:
        self.size, self.rng, self.shuffle = size, rng, shuffle
        self.x, self.y = None, None

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        if self.x is None or len(self.x) == 0:
            self.x, self.y = x, y
        else:
            self.x, self.y = np.concatenate([self.x, x]), np.concatenate([self.y, y])

    def release(self, final: bool):
        """The rows let go now (possibly none); ``final`` empties the buffer."""
        if self.x is None:
            return None
        held = len(self.x)
        if not final and (held == 0 or (self.shuffle and held < self.size)):
            return None
        if self.shuffle:
            # np.take gathers rows several times faster than fancy indexing.
            order = self.rng.permutation(len(self.x))
            self.x, self.y = np.take(self.x, order, axis=0), np.take(self.y, order)
        keep = 0 if final or not self.shuffle else self.size // 2
        cut = len(self.x) - keep
        out = (self.x[:cut], self.y[:cut])
        self.x, self.y = self.x[cut:], self.y[cut:]
        return out


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
    "logistic". Each chunk the buffer
    lets go runs through the engine's ``run_rows`` in one call, which carries
    θ, the rule's state and the update count to the next chunk and evaluates
    nothing: the recorded θ are evaluated afterwards, together (``to_trace``).
    A mini-batch split by a chunk's end waits for the rest of its rows, so only
    an epoch's last batch is short, as in memory. θ is recorded every ``stride``
    updates, ``stride = ⌈updates / (points − 1)⌉`` as ``descend`` records, so one
    partition in file order gives ``descend``'s path bit for bit.

    ``pieces`` (e.g. ``sources.parquet_pieces``) read the source piece by piece
    instead of ``frame``'s partitions: each returns a pandas frame or a pyarrow
    table of the chosen columns. ``progress`` is called after every chunk; when
    ``stop()`` turns true the run ends there and keeps what it computed.
    Memory: two partitions (the next one is read while this one is descended
    on) plus the buffer and one chunk.
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
    # Two streams of random numbers, so that the next epoch's partition order
    # can be drawn while this epoch's rows are still being shuffled.
    order_rng, buffer_rng = np.random.default_rng(s.seed).spawn(2)
    state = start_rows(s, len(scale.kept) + 1)
    record = [(state.theta, 0, 0.0)]  # (θ, updates, seconds)
    start = time.perf_counter()
    reason, message = "budget", ""
    if pieces is None:
        pieces = [partition.compute for partition in frame.to_delayed()]
    buffer = _Buffer(settings.buffer_rows, buffer_rng, s.shuffle)

    def visits():
        """(partition, last of its epoch) in streamed order, epoch after epoch."""
        last = len(pieces) - 1
        while True:
            order = order_rng.permutation(len(pieces)) if s.shuffle else None
            for k in range(len(pieces)):
                yield (pieces[k if order is None else order[k]], k == last)

    def load(piece):
        """A piece's standardised design and target (in the reading thread)."""
        return standardised(piece(), columns, scale)

    def chunks():
        """(X, y, epoch ends) in streamed order. The next ``READ_AHEAD``
        partitions are read by as many threads while this one's rows are
        descended on (the compiled loop releases the GIL)."""
        with ThreadPoolExecutor(max_workers=READ_AHEAD) as reader:
            upcoming = visits()
            pending = collections.deque()
            for partition, final in upcoming:
                pending.append((reader.submit(load, partition), final))
                if len(pending) <= READ_AHEAD:
                    continue
                loaded, this_final = pending.popleft()
                X, y = loaded.result()
                del loaded  # the future holds its partition while it lives
                # Shuffled, a partition enters the buffer ``buffer_rows`` rows at
                # a time, so that each shuffle permutes a buffer's worth of rows
                # (in cache), not a whole partition; unshuffled, all at once.
                step = max(settings.buffer_rows if s.shuffle else len(y), 1)
                for at in range(0, max(len(y), 1), step):
                    ends = this_final and at + step >= len(y)
                    buffer.add(X[at : at + step], y[at : at + step])
                    released = buffer.release(final=ends)
                    if released is not None:
                        yield (*released, ends)
                del X, y

    def elapsed() -> float:
        return time.perf_counter() - start

    waiting = None  # rows of a batch that the last chunk split
    # Closing the chunks ends the reading thread, also on an early stop.
    with contextlib.closing(chunks()) as released:
        for X, y, epoch_end in released:
            if waiting is not None:
                X, y = np.concatenate([waiting[0], X]), np.concatenate([waiting[1], y])
                waiting = None
            whole = len(y) if epoch_end else len(y) - len(y) % batch
            take = min(whole, (total - state.updates) * batch)
            if take < len(y) and not epoch_end:
                waiting = (X[take:], y[take:])
            t0, seconds0 = state.updates, elapsed()
            done = run_rows(
                X[:take], y[:take], state, s, n_samples=n_rows, stride=stride,
                loss=loss, epsilon=0.1 if epsilon is None else epsilon,
            )  # fmt: skip
            state, seconds1 = done.state, elapsed()
            del X, y  # the next chunk is formed while these would still be held
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
            rows = rows_after(state.updates)
            if progress is not None:
                spent = elapsed()
                left = spent / max(rows, 1) * (budget - rows)
                if settings.max_seconds is not None:
                    left = min(left, max(settings.max_seconds - spent, 0.0))
                progress(Progress(rows, rows / n_rows, spent, left))
            if state.updates >= total:
                break
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
    return Streamed(
        np.array(thetas),
        np.array([rows_after(int(t)) for t in steps], dtype=np.int64),
        steps,
        np.array(seconds, dtype=float),
        reason,
        message or ending(reason, rows_done, n_rows),
        (shuffle_note(settings.buffer_rows, len(state.theta)),) if s.shuffle else (),
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
