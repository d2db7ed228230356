"""The words of a large comparison's progress, shared by the page's bar and the CLI."""

import threading

import pytest

from gddash.scale.progress import Snapshot, Tracker, duration, progress_line
from gddash.scale.stream import Progress


def test_the_progress_line_before_the_runs_says_how_theta_star_is_found():
    """Least squares finds θ* from the one-pass sums; log-loss and Huber take
    Newton's steps of a pass each, which can last minutes."""
    squared = Snapshot("", 0, 3, None, 12.0)
    newton = Snapshot("", 0, 3, None, 12.0, newton=True)
    assert progress_line(squared) == (
        0.0,
        "One pass over the source for its sums, and from them the optimum θ*…",
    )
    fraction, text = progress_line(newton)
    assert fraction == 0.0
    assert "then Newton's method for the optimum θ*, a pass a step" in text


@pytest.mark.parametrize(
    ("rows", "passes", "left", "said"),
    [
        (1_200_000, 1.0, 0.3, "1,200,000 rows processed, 1 pass, under a second left"),
        (900_000, 0.75, 4.4, "900,000 rows processed, 0.75 passes, about 4 s left"),
        (
            3_000_000,
            2.5,
            125.0,
            "3,000,000 rows processed, 2.5 passes, about 2 min 5 s left",
        ),
    ],
)
def test_the_progress_line_of_a_run_counts_rows_passes_and_time_left(
    rows, passes, left, said
):
    snap = Snapshot("Mini-batch", 3, 3, Progress(rows, passes, 1.0, left), 12.0)
    fraction, text = progress_line(snap)
    assert text == f"Mini-batch (run 3 of 3): {said} in this run"
    assert 2 / 3 <= fraction <= 1.0


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (float("inf"), "an unknown time"),
        (0.4, "under a second"),
        (59.4, "about 59 s"),
        (3_725.0, "about 1 h 2 min"),
    ],
)
def test_a_time_left_is_said_in_the_largest_units_that_fit(seconds, said):
    assert duration(seconds) == said


def test_the_tracker_follows_the_runs_reported_from_another_thread():
    tracker = Tracker(3, newton=True)
    assert tracker.snapshot().runs_started == 0 and tracker.snapshot().newton

    def computing() -> None:  # as compare_source reports from the page's thread
        tracker("Batch", None)
        tracker("Stochastic (SGD)", None)
        tracker("Stochastic (SGD)", Progress(500, 0.5, 2.0, 2.0))

    worker = threading.Thread(target=computing)
    worker.start()
    worker.join()
    snap = tracker.snapshot()
    assert (snap.label, snap.runs_started, snap.n_runs) == ("Stochastic (SGD)", 2, 3)
    assert snap.progress == Progress(500, 0.5, 2.0, 2.0)
    fraction, text = progress_line(snap)
    assert fraction == pytest.approx((1 + 0.5) / 3)
    assert text.startswith("Stochastic (SGD) (run 2 of 3): 500 rows processed")
