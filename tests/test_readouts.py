"""The explorer's read-outs: how a run is described at each step and at its end."""

from __future__ import annotations

import numpy as np
import pytest

from gddash import readouts
from gddash.engine import Objective, Settings, descend


def run(value, gradient, start, **settings):
    problem = Objective(value, gradient, len(start))
    return descend(problem, Settings(theta0=tuple(start), **settings))


def bowl(theta):
    return float(theta @ theta)


def bowl_gradient(theta):
    return 2 * theta


def test_the_status_at_step_zero_says_how_the_run_will_end():
    trace = run(bowl, bowl_gradient, [2.0, 2.0], learning_rate=0.1, max_epochs=500)
    assert trace.status == "converged"
    assert readouts.status_at(trace, 0) == "Running"
    assert readouts.ending(trace) == (
        f"The run ends at step {trace.updates[-1]:,}: it converged."
    )
    assert "(it converged later)" in readouts.readout_caption(trace)(0)
    assert readouts.status_at(trace, readouts.last_step(trace)) == (
        "Converged (‖∇f‖ ≤ ε)"
    )


def test_a_diverging_run_reads_diverged_at_its_end():
    trace = run(bowl, bowl_gradient, [2.0, 2.0], learning_rate=1.5, max_epochs=500)
    assert trace.status == "diverged"
    assert readouts.ending(trace).endswith("it diverged.")
    assert readouts.status_at(trace, readouts.last_step(trace)) == "Diverged"


def test_ascent_on_a_bowl_is_called_unbounded_not_a_rate_problem():
    trace = run(
        bowl,
        bowl_gradient,
        [1.0, 1.0],
        learning_rate=0.1,
        max_epochs=5000,
        maximize=True,
    )
    note = readouts.unbounded_note(trace, bowl, maximize=True)
    assert note is not None and "unbounded above" in note and "no maximum" in note


def test_a_function_falling_forever_is_called_unbounded_not_short_of_budget():
    def f(theta):  # 1/x + y: no minimum as y decreases
        return float(1 / theta[0] + theta[1])

    def grad(theta):
        return np.array([-1 / theta[0] ** 2, 1.0])

    trace = run(f, grad, [2.0, 0.0], learning_rate=0.01, max_epochs=300)
    assert trace.status == "max_iter"
    note = readouts.unbounded_note(trace, f, maximize=False)
    assert note is not None and "unbounded below" in note


@pytest.mark.parametrize("rate", [0.1, 1.5])
def test_a_bowl_descended_is_never_called_unbounded(rate):
    trace = run(bowl, bowl_gradient, [2.0, 2.0], learning_rate=rate, max_epochs=100)
    assert readouts.unbounded_note(trace, bowl, maximize=False) is None


def test_a_slow_but_bounded_run_is_not_called_unbounded():
    trace = run(bowl, bowl_gradient, [2.0, 2.0], learning_rate=1e-4, max_epochs=50)
    assert trace.status == "max_iter"
    assert readouts.unbounded_note(trace, bowl, maximize=False) is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [(2.0, "2.00"), (0.001234, "0.00123"), (123456.0, "1.23e+05"), (0.0, "0.00")],
)
def test_readout_numbers_use_two_decimals_unless_that_hides_the_value(value, shown):
    assert readouts.fmt(value) == shown


def test_the_animation_caption_names_the_step_its_slider_names():
    import plotly.graph_objects as go

    from gddash import charts

    trace = run(bowl, bowl_gradient, [2.0, 2.0], learning_rate=0.01, max_epochs=400)
    rows = np.arange(0, len(trace.updates), 3)  # a path that kept every third point
    path = charts.Path3D(
        "Plain",
        trace.path[rows, 0],
        trace.path[rows, 1],
        trace.loss[rows],
        "#1f77b4",
        steps=trace.updates[rows],
    )
    caption = readouts.readout_caption(trace, rows=rows)
    figure = charts.animate_paths(go.Figure(), [path], three_d=False, caption=caption)
    for frame in figure.frames:
        shown = frame.layout.annotations[0].text.replace("<br>", " ")
        assert shown.startswith(f"step {frame.name}:"), (frame.name, shown)
