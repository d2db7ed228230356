"""``run_rows`` fed epoch by epoch is ``descend`` bit for bit, with no evaluation."""

import math
from dataclasses import replace

import numpy as np
import pytest

from gddash.engine import (
    HuberRegression,
    LinearRegression,
    LogisticRegression,
    Settings,
    descend,
    plan,
    run_rows,
    start_rows,
)
from gddash.errors import SettingsError

N, EPOCHS, POINTS = 62, 2.5, 6


def rows(loss, n=N, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    y = X @ [0.5, 1.0, -2.0, 0.3] + rng.normal(size=n)
    if loss == "log":
        y = (y > 0.5) * 1.0
    return X, y


def problem_of(loss, X, y):
    if loss == "log":
        return LogisticRegression(X, y, intercept=True)
    if loss == "huber":
        return HuberRegression(X, y, intercept=True, epsilon=0.5)
    return LinearRegression(X, y, intercept=True)


def streamed_path(X, y, settings, loss, chunk=None):
    """θ at 0, at every multiple of descend's stride, and at the end; the counts.

    Rows are fed epoch by epoch in file order, each epoch in pieces of ``chunk``
    rows (whole batches) when given.
    """
    n = len(y)
    planned = plan(n, settings)
    stride = max(1, math.ceil(planned.n_updates / (settings.max_points - 1)))
    state = start_rows(settings, X.shape[1])
    path, steps = [state.theta], [0]
    epsilon = 0.5 if loss == "huber" else 0.1
    while state.updates < planned.n_updates:
        left = planned.n_updates - state.updates
        m = min(n, left * planned.batch_size)  # this epoch's rows (the last may stop)
        for lo in range(0, m, chunk or m):
            hi = min(lo + (chunk or m), m)
            done = run_rows(
                X[lo:hi], y[lo:hi], state, settings, n_samples=n, stride=stride,
                loss=loss, epsilon=epsilon,
            )  # fmt: skip
            state = done.state
            path.extend(done.thetas)
            steps.extend(done.steps.tolist())
    if steps[-1] != state.updates:
        path.append(state.theta)
        steps.append(state.updates)
    return np.array(path), np.array(steps)


CASES = [
    # (variant, rule, schedule, penalty, loss)
    ("sgd", "plain", "constant", None, "squared"),
    ("sgd", "plain", "constant", None, "log"),
    ("sgd", "plain", "constant", None, "huber"),
    ("sgd", "plain", "invscaling", "l2", "squared"),
    ("sgd", "plain", "constant", "elasticnet", "log"),
    ("sgd", "adam", "constant", None, "squared"),
    ("minibatch", "plain", "constant", None, "squared"),
    ("minibatch", "momentum", "step", "l2", "log"),
    ("minibatch", "adam", "exponential", "l1", "huber"),
    ("minibatch", "rmsprop", "invscaling", None, "squared"),
]


@pytest.mark.parametrize(("variant", "rule", "schedule", "penalty", "loss"), CASES)
def test_epoch_by_epoch_equals_descend_bit_for_bit(
    variant, rule, schedule, penalty, loss
):
    X, y = rows(loss)
    settings = Settings(
        variant=variant, rule=rule, schedule=schedule, penalty=penalty, alpha=0.01,
        learning_rate=0.02, batch_size=5, shuffle=False, max_epochs=EPOCHS,
        max_points=POINTS, eps=0.0, step_epochs=1.0, decay=0.5,
    )  # fmt: skip
    expected = descend(problem_of(loss, X, y), settings)
    path, steps = streamed_path(X, y, settings, loss)
    np.testing.assert_array_equal(steps, expected.updates)
    np.testing.assert_array_equal(path, expected.path)


@pytest.mark.parametrize("rule", ["plain", "adam"])
def test_mini_batches_split_at_whole_batches_change_nothing(rule):
    X, y = rows("squared")
    settings = Settings(
        variant="minibatch", rule=rule, batch_size=5, shuffle=False, max_epochs=2,
        max_points=POINTS, learning_rate=0.05,
    )  # fmt: skip
    whole, _ = streamed_path(X, y, settings, "squared")
    pieces, _ = streamed_path(X, y, settings, "squared", chunk=15)
    np.testing.assert_array_equal(pieces, whole)


def test_the_state_passed_in_is_never_written():
    X, y = rows("squared")
    settings = Settings(variant="sgd", rule="adam", theta0=(1.0, 0.0, 0.0, 0.0))
    state = start_rows(settings, 4)
    before = [a.copy() for a in (state.theta, state.m, state.v, state.q, state.u)]
    after = run_rows(X, y, state, settings, n_samples=N, stride=7).state
    for old, new in zip(before, (state.theta, state.m, state.v), strict=False):
        np.testing.assert_array_equal(old, new)
    assert state.updates == 0 and after.updates == N
    assert not np.array_equal(after.theta, state.theta)


def test_a_blow_up_stops_before_the_update_and_says_so():
    X, y = rows("squared")
    settings = Settings(variant="sgd", learning_rate=1000.0, shuffle=False)
    done = run_rows(X, y, start_rows(settings, 4), settings, n_samples=N, stride=N)
    assert done.blew_up and 0 < done.state.updates < N
    assert np.isfinite(done.state.theta).all()
    expected = descend(problem_of("squared", X, y), replace(settings, max_epochs=1))
    assert expected.status == "diverged"


@pytest.mark.parametrize(
    ("settings", "kwargs", "message"),
    [
        (Settings(variant="batch"), {}, "is batch descent: use descend"),
        (Settings(variant="minibatch", batch_size=100), {}, "is batch descent"),
        (Settings(variant="sgd"), {"loss": "hinge"}, "'loss' parameter must be"),
        (Settings(variant="sgd"), {"stride": 0}, "'stride' parameter must be"),
        (Settings(variant="sgd", theta0=(1.0,)), {}, "theta0 has 1 values"),
    ],
)
def test_refusals(settings, kwargs, message):
    X, y = rows("squared")
    with pytest.raises(SettingsError, match=message):
        state = start_rows(settings, 4)
        run_rows(X, y, state, settings, **{"n_samples": N, "stride": 5, **kwargs})
