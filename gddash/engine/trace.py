"""The result of a descent run: a frozen record of points along the way.

Recording is bounded: at most ``max_points`` points, evenly spaced in updates,
always including the first and the last, so memory does not grow with
n_samples × epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STATUSES = ("converged", "max_iter", "diverged")


@dataclass(frozen=True, eq=False)
class Trace:
    """Recorded points of one run, plus how and why it ended.

    Arrays have one entry per recorded point (k of them, k <= max_points);
    ``path`` and ``gradient`` have shape (k, n_features). Values are of the
    user's objective as given: for a maximised function, f and ∇f (not −f).
    Wall seconds of points inside one compiled stretch of stochastic updates
    are interpolated linearly in updates between measured boundaries.
    """

    updates: np.ndarray  # (k,) int: updates applied before this point
    epochs: np.ndarray  # (k,) float: rows processed / n_samples
    samples: np.ndarray  # (k,) int: rows whose gradient was evaluated for updates
    seconds: np.ndarray  # (k,) float: wall time since the run started
    loss: np.ndarray  # (k,) float: full-data training loss (or f)
    val_loss: np.ndarray | None  # (k,) float, when validation rows were given
    gradient: np.ndarray  # (k, d) full-data gradient
    learning_rate: np.ndarray  # (k,) learning rate of the update that led here
    path: np.ndarray  # (k, d) θ at each point
    status: str  # "converged" | "max_iter" | "diverged"
    reason: str  # "eps" | "tol" | "budget" | "diverged"
    message: str  # a sentence a person understands, with advice
    variant: str  # the variant that actually ran ("batch" if batch_size >= n)
    batch_size: int  # rows per update that actually ran
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("updates", "epochs", "samples", "seconds", "loss", "val_loss"):
            arr = getattr(self, name)
            if arr is not None:
                arr.setflags(write=False)
        self.gradient.setflags(write=False)
        self.learning_rate.setflags(write=False)
        self.path.setflags(write=False)

    def __repr__(self) -> str:
        return (
            f"Trace(variant={self.variant!r}, status={self.status!r}, "
            f"points={len(self.updates)}, updates={self.n_updates}, "
            f"loss={self.final_loss:.6g})"
        )

    @property
    def theta(self) -> np.ndarray:
        """Final parameters, shape (n_features,)."""
        return self.path[-1]

    @property
    def grad_norm(self) -> np.ndarray:
        """‖∇L‖ at each point, shape (k,)."""
        return np.linalg.norm(self.gradient, axis=1)

    @property
    def final_loss(self) -> float:
        return float(self.loss[-1])

    @property
    def n_updates(self) -> int:
        return int(self.updates[-1])

    @property
    def n_epochs(self) -> float:
        return float(self.epochs[-1])

    @property
    def n_samples_processed(self) -> int:
        return int(self.samples[-1])

    @property
    def seconds_total(self) -> float:
        return float(self.seconds[-1])


class Recorder:
    """Collects raw points (update, time, loss, θ, gradient), at most ``max_points``.

    The caller keeps points on an even grid of updates; only the run's final
    point may fall off it, and if the bound is reached it replaces the last grid
    point. Points come one at a time (batch) or in blocks (a compiled stretch).
    """

    COLUMNS = ("updates", "seconds", "loss", "val_loss", "path", "gradient")

    def __init__(self, max_points: int) -> None:
        self.max_points = max_points
        self._points: list[tuple] = []
        self._blocks: list[tuple[np.ndarray, ...]] = []
        self._count = 0

    def add_point(self, t, seconds, loss, val_loss, theta, grad) -> None:
        self._make_room(1)
        self._points.append((t, seconds, loss, val_loss, theta.copy(), grad.copy()))
        self._count += 1

    def add_block(self, updates, seconds, loss, val_loss, path, gradient) -> None:
        """Append k points as arrays of equal length (path, gradient: (k, d))."""
        self._flush()
        self._make_room(len(updates))
        self._blocks.append((updates, seconds, loss, val_loss, path, gradient))
        self._count += len(updates)

    def _make_room(self, k: int) -> None:
        # Only an off-grid final point can overflow the bound: drop the point
        # recorded just before it, so the first and last are always kept.
        if self._count + k <= self.max_points:
            return
        self._flush()
        *rest, last = self._blocks
        if len(last[0]) > 1:
            self._blocks[-1] = tuple(a[:-1] for a in last)
        else:
            self._blocks = rest
        self._count -= 1

    def _flush(self) -> None:
        if self._points:
            columns = zip(*self._points, strict=True)
            self._blocks.append(tuple(np.array(c) for c in columns))
            self._points = []

    def columns(self) -> dict[str, np.ndarray]:
        self._flush()
        return {
            name: np.concatenate([block[k] for block in self._blocks])
            for k, name in enumerate(self.COLUMNS)
        }
