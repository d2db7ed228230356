"""Where a large comparison is, in the words the page's bar and the command line share.

``compare_source`` reports ``progress(label, Progress or None)``: None as each run
starts, then after each streamed chunk. A ``Tracker`` follows those calls (from
the computing thread) and hands out ``Snapshot``s (to the page's polling script,
or the command line's printer); ``progress_line`` words a snapshot.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named in annotations: the command line's --help
    from gddash.scale.stream import Progress  # then does not import numba


@dataclass(frozen=True)
class Snapshot:
    """Where a running comparison is, read between reports."""

    label: str  # the run in progress ("" before the first: the one-pass sums)
    runs_started: int
    n_runs: int
    progress: Progress | None  # of the streamed run in progress
    seconds: float
    newton: bool = False  # θ* by Newton's method (log-loss, Huber): passes a step


class Tracker:
    """The ``progress`` callback of ``compare_source``, safe to read from another
    thread: the run in progress, how far it got, the seconds since the start."""

    def __init__(self, n_runs: int, *, newton: bool = False) -> None:
        self.n_runs, self.newton = n_runs, newton
        self.started = time.perf_counter()
        self._lock = threading.Lock()
        self._label, self._runs_started = "", 0
        self._progress: Progress | None = None

    def __call__(self, label: str, progress: Progress | None) -> None:
        with self._lock:
            if progress is None:  # a run starts
                self._label, self._runs_started = label, self._runs_started + 1
            self._progress = progress

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                self._label,
                self._runs_started,
                self.n_runs,
                self._progress,
                time.perf_counter() - self.started,
                newton=self.newton,
            )


def progress_line(snap: Snapshot) -> tuple[float, str]:
    """The share done and a sentence: rows processed, passes done and the
    estimated time left of the run in progress (before the first run: the pass
    for the sums, without its seconds, which the page counts on its own)."""
    if snap.runs_started == 0:
        optimum = (
            "then Newton's method for the optimum θ*, a pass a step"
            if snap.newton
            else "and from them the optimum θ*"
        )
        return 0.0, f"One pass over the source for its sums, {optimum}…"
    k, n, p = snap.runs_started, max(snap.n_runs, 1), snap.progress
    within = 0.0 if p is None else p.seconds / max(p.seconds + p.seconds_left, 1e-9)
    fraction = min(max(((k - 1) + within) / n, 0.0), 1.0)
    head = f"{snap.label} (run {k} of {n})"
    if p is None:
        return fraction, f"{head}…"
    passes = f"{p.passes:.3g}"
    return fraction, (
        f"{head}: {p.rows:,} rows processed, "
        f"{passes} pass{'' if passes == '1' else 'es'}, "
        f"{duration(p.seconds_left)} left in this run"
    )


def duration(seconds: float) -> str:
    """A time left in words: "under a second", "about 4 s", "about 2 min 5 s"."""
    if not math.isfinite(seconds):
        return "an unknown time"
    seconds = max(round(float(seconds)), 0)
    if seconds == 0:
        return "under a second"
    if seconds < 60:
        return f"about {seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"about {minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min"
