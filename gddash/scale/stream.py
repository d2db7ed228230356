"""SGD and mini-batch streamed through a source's partitions, in bounded memory.

Partitions are visited in a seeded random order; their rows pass through a
shuffle buffer (see ``SHUFFLE_NOTE``); each chunk the buffer lets go is run by
the engine's own ``descend`` (one pass over the chunk, in the chunk's order,
θ carried over). For the plain rule with a constant rate this is exactly
per-row (or per-batch) descent over the streamed order.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gddash.engine import LinearRegression, LogisticRegression, Settings, descend
from gddash.errors import SettingsError
from gddash.scale.columns import Columns, arrays
from gddash.scale.gram import Scaling

BUFFER_ROWS = 65_536
SHUFFLE_NOTE = (
    "Rows are not fully shuffled: each epoch visits the partitions in a seeded "
    "random order, and rows are shuffled within a buffer of {buffer:,} rows "
    "(about {megabytes:.1f} MB here) that mixes neighbouring partitions; rows "
    "farther apart than the buffer never swap places."
)


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
        Variant ("sgd" or "minibatch"), learning rate, batch size, seed,
        shuffle, penalty (None or "l2"); only the plain rule with a constant
        schedule, whose state is θ alone, can be carried across chunks exactly.
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
        if s.rule != "plain" or s.schedule != "constant":
            raise SettingsError(
                "Streaming carries only θ from one chunk to the next, so it runs the "
                f"plain rule with a constant schedule. Got rule={s.rule!r}, "
                f"schedule={s.schedule!r}: choose rule='plain', schedule='constant'."
            )
        if s.penalty not in (None, "l2"):
            raise SettingsError(
                f"Streaming supports penalty None or 'l2'. Got {s.penalty!r}: L1's "
                "running totals cannot be carried across chunks yet."
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
    half-buffer, which stays to mix with the next partition.
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
        if self.x is None or (not final and len(self.x) < self.size):
            return None
        if self.shuffle:
            order = self.rng.permutation(len(self.x))
            self.x, self.y = self.x[order], self.y[order]
        keep = 0 if final else self.size // 2
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
    progress: Callable[[Progress], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Streamed:
    """Stream ``settings.descent.variant`` over ``frame`` (a Dask frame) and record θ.

    ``task`` is "linear" (squared loss) or "logistic". ``progress`` is called
    after every chunk; when ``stop()`` turns true the run ends there and keeps
    what it computed. Memory: one partition plus the buffer plus one chunk.
    """
    s, batch = settings.descent, settings.batch
    Problem = {"linear": LinearRegression, "logistic": LogisticRegression}[task]
    budget = math.ceil(settings.epochs * n_rows - 1e-9)
    if settings.max_rows is not None:
        budget = min(budget, settings.max_rows)
    # Recording marks on whole batches, so that chunks never split a batch.
    grid = np.linspace(0, budget, settings.points) / batch
    marks = np.unique(np.append(grid.round().astype(int) * batch, budget))
    marks = marks[marks <= budget]
    rng = np.random.default_rng(s.seed)
    chunk_settings = dataclasses.replace(
        s, shuffle=False, max_epochs=1.0, max_updates=None, eps=0.0, tol=None,
        max_points=2, theta0=None,
    )  # fmt: skip
    theta = np.zeros(len(scale.kept) + 1) if s.theta0 is None else np.array(s.theta0)
    record = [(theta.copy(), 0, 0, 0.0)]
    rows = updates = 0
    start = time.perf_counter()
    reason, message = "budget", ""
    partitions = frame.to_delayed()
    buffer = _Buffer(settings.buffer_rows, rng, s.shuffle)

    def chunks():
        """Chunks in streamed order, epoch after epoch (each a whole-batch count)."""
        while True:
            order = (
                rng.permutation(len(partitions))
                if s.shuffle
                else range(len(partitions))
            )
            for k, i in enumerate(order):
                x, y, _ = arrays(partitions[i].compute(), columns)
                buffer.add(scale.design(x), y)
                released = buffer.release(final=k == len(partitions) - 1)
                if released is not None:
                    yield released

    def elapsed() -> float:
        return time.perf_counter() - start

    for X, y in chunks():
        at = 0
        while at < len(y) and rows < budget:
            # Up to the next recording mark, in whole batches where possible.
            mark = marks[np.searchsorted(marks, rows, side="right")]
            take = min(len(y) - at, mark - rows)
            if take > batch and take % batch:
                take -= take % batch
            piece = slice(at, at + take)
            trace = descend(
                Problem(X[piece], y[piece], intercept=True),
                dataclasses.replace(chunk_settings, theta0=tuple(theta)),
            )
            theta = trace.theta.copy()
            at += take
            rows += take
            updates += math.ceil(take / batch)
            if trace.status == "diverged":
                reason, message = "diverged", trace.message
                break
            if rows in marks or rows >= budget:
                record.append((theta.copy(), rows, updates, elapsed()))
        if progress is not None:
            spent = elapsed()
            left = spent / max(rows, 1) * (budget - rows)
            if settings.max_seconds is not None:
                left = min(left, max(settings.max_seconds - spent, 0.0))
            progress(Progress(rows, rows / n_rows, spent, left))
        if reason == "diverged" or rows >= budget:
            break
        if settings.max_seconds is not None and elapsed() >= settings.max_seconds:
            reason = "seconds"
            break
        if stop is not None and stop():
            reason = "stopped"
            break
    if record[-1][1] != rows:
        record.append((theta.copy(), rows, updates, elapsed()))
    thetas, counts, steps, seconds = zip(*record, strict=True)
    return Streamed(
        np.array(thetas),
        np.array(counts, dtype=np.int64),
        np.array(steps, dtype=np.int64),
        np.array(seconds),
        reason,
        message or _message(reason, rows, n_rows),
        (shuffle_note(settings.buffer_rows, len(theta)),) if s.shuffle else (),
    )


def _message(reason: str, rows: int, n_rows: int) -> str:
    done = f"{rows:,} rows ({rows / n_rows:.3g} passes)"
    return {
        "budget": f"Stopped at its budget after {done}.",
        "seconds": f"Stopped at its time budget after {done}.",
        "stopped": f"Stopped on request after {done}; what was computed is kept.",
    }[reason]


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
        learning_rate=np.full(len(losses), settings.descent.learning_rate),
        path=streamed.thetas.copy(),
        status=status,
        reason="diverged" if diverged else "budget",
        message=streamed.message,
        variant=settings.descent.variant,
        batch_size=settings.batch,
        notes=streamed.notes,
    )
