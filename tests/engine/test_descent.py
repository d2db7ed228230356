"""The descent loop: variants, update rules, schedules, statuses and recording."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gddash.engine import (
    LinearRegression,
    LogisticRegression,
    Objective,
    Settings,
    descend,
    plan,
)
from gddash.errors import DataError, SettingsError
from tests.engine.test_shuffle import block_window_order


def regression_data(n=120, d=3, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, d - 1))])
    return X, X @ rng.uniform(-2, 2, d) + noise * rng.standard_normal(n)


def naive_reference(X, y, *, batch_size, epochs, lr, rule, shuffle, seed,
                    logistic=False, momentum=0.9, beta2=0.999, eps=1e-8):  # fmt: skip
    """Mini-batch descent written straight from the textbook formulas, in numpy."""
    n, d = X.shape
    theta, m, v, t = np.zeros(d), np.zeros(d), np.zeros(d), 0
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = block_window_order(rng, n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            z = X[rows] @ theta
            pred = 1 / (1 + np.exp(-z)) if logistic else z
            g = X[rows].T @ (pred - y[rows]) / len(rows)
            t += 1
            if rule == "plain":
                theta = theta - lr * g
            elif rule == "momentum":
                m = momentum * m + g
                theta = theta - lr * m
            elif rule == "nesterov":
                m = momentum * m + g
                theta = theta - lr * (g + momentum * m)
            elif rule == "adagrad":
                v = v + g**2
                theta = theta - lr * g / (np.sqrt(v) + eps)
            elif rule == "rmsprop":
                v = beta2 * v + (1 - beta2) * g**2
                theta = theta - lr * g / (np.sqrt(v) + eps)
            elif rule == "adam":
                m = momentum * m + (1 - momentum) * g
                v = beta2 * v + (1 - beta2) * g**2
                m_hat, v_hat = m / (1 - momentum**t), v / (1 - beta2**t)
                theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


RULES = ["plain", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    ("variant", "batch_size"), [("sgd", 1), ("minibatch", 16), ("batch", 0)]
)
def test_every_rule_and_variant_matches_the_textbook_reference(
    rule, variant, batch_size
):
    X, y = regression_data(n=70)
    size = {"sgd": 1, "minibatch": 16, "batch": 70}[variant]
    trace = descend(
        LinearRegression(X, y),
        Settings(variant=variant, batch_size=max(batch_size, 1), rule=rule,
                 learning_rate=0.01, max_epochs=3, shuffle=True, seed=7, eps=0),
    )  # fmt: skip
    expected = naive_reference(
        X, y, batch_size=size, epochs=3, lr=0.01, rule=rule, shuffle=True, seed=7
    )
    np.testing.assert_allclose(trace.theta, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize(("variant", "batch_size"), [("sgd", 1), ("minibatch", 48)])
def test_shuffled_runs_longer_than_a_window_follow_the_block_and_window_order(
    variant, batch_size
):
    # 8,192 + 719 rows: two windows, the second short, and a short last block.
    X, y = regression_data(n=8192 + 719)
    trace = descend(
        LinearRegression(X, y),
        Settings(variant=variant, batch_size=batch_size, learning_rate=1e-3,
                 max_epochs=2, seed=5, eps=0),
    )  # fmt: skip
    expected = naive_reference(
        X, y, batch_size=batch_size, epochs=2, lr=1e-3, rule="plain", shuffle=True,
        seed=5,
    )  # fmt: skip
    np.testing.assert_allclose(trace.theta, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("rule", ["plain", "adam"])
def test_logistic_minibatch_matches_the_textbook_reference(rule):
    X, y = regression_data(n=90)
    labels = (y > 0).astype(float)
    trace = descend(
        LogisticRegression(X, labels),
        Settings(variant="minibatch", batch_size=8, rule=rule, learning_rate=0.1,
                 max_epochs=4, seed=3, eps=0),
    )  # fmt: skip
    expected = naive_reference(
        X, labels, batch_size=8, epochs=4, lr=0.1, rule=rule, shuffle=True, seed=3,
        logistic=True,
    )  # fmt: skip
    np.testing.assert_allclose(trace.theta, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    ("name", "f", "grad", "start", "minimum", "lr", "iterations"),
    [
        ("parabola", lambda t: (t - 3) @ (t - 3), lambda t: 2 * (t - 3), (0.0, 0.0), (3.0, 3.0), 0.1, 3000),
        ("rosenbrock", lambda t: (1 - t[0]) ** 2 + 100 * (t[1] - t[0] ** 2) ** 2,
         lambda t: np.array([-2 * (1 - t[0]) - 400 * t[0] * (t[1] - t[0] ** 2),
                             200 * (t[1] - t[0] ** 2)]),
         (-1.0, 1.5), (1.0, 1.0), 1e-3, 60000),
    ],
)  # fmt: skip
def test_each_rule_reaches_the_known_minimum(
    rule, name, f, grad, start, minimum, lr, iterations
):
    rates = {"adagrad": 0.5, "rmsprop": 0.01, "adam": 0.02}
    if name == "rosenbrock":
        rates = {"adagrad": 0.1, "rmsprop": 1e-3, "adam": 1e-2}
    trace = descend(
        Objective(f, grad, n_features=2),
        Settings(rule=rule, learning_rate=rates.get(rule, lr), max_epochs=iterations,
                 eps=1e-6, theta0=start, max_points=500),
    )  # fmt: skip
    np.testing.assert_allclose(trace.theta, minimum, atol=2e-3)


def test_minibatch_with_batch_size_n_is_batch_and_says_so():
    X, y = regression_data(n=40)
    batch = descend(LinearRegression(X, y), Settings(learning_rate=0.1, max_epochs=50))
    mini = descend(
        LinearRegression(X, y),
        Settings(variant="minibatch", batch_size=40, learning_rate=0.1, max_epochs=50),
    )
    np.testing.assert_array_equal(mini.path, batch.path)
    np.testing.assert_array_equal(mini.loss, batch.loss)
    assert mini.variant == "batch"
    assert mini.notes == ("Batch size 40 ≥ 40 rows: ran as batch descent.",)


def test_minibatch_of_n_minus_one_rows_keeps_the_short_last_batch():
    X, y = regression_data(n=41)
    trace = descend(
        LinearRegression(X, y),
        Settings(variant="minibatch", batch_size=40, learning_rate=0.1, max_epochs=3,
                 eps=0, shuffle=False),
    )  # fmt: skip
    assert trace.n_updates == 6
    assert trace.n_samples_processed == 3 * 41
    assert trace.n_epochs == 3.0
    expected = naive_reference(
        X, y, batch_size=40, epochs=3, lr=0.1, rule="plain", shuffle=False, seed=0
    )
    np.testing.assert_allclose(trace.theta, expected, rtol=1e-12)


def test_same_seed_gives_the_identical_trace_and_different_seeds_differ():
    X, y = regression_data(n=200)
    problem = LinearRegression(X, y)

    def run(seed):
        return descend(problem, Settings(variant="sgd", learning_rate=0.01,
                                         max_epochs=3, seed=seed))  # fmt: skip

    first, again, other = run(1), run(1), run(2)
    np.testing.assert_array_equal(first.path, again.path)
    np.testing.assert_array_equal(first.loss, again.loss)
    assert not np.array_equal(first.theta, other.theta)


def test_shuffle_off_visits_rows_in_file_order_whatever_the_seed():
    X, y = regression_data(n=50)
    problem = LinearRegression(X, y)
    a, b = (
        descend(problem, Settings(variant="sgd", shuffle=False, seed=s, max_epochs=2))
        for s in (0, 99)
    )
    np.testing.assert_array_equal(a.path, b.path)


# -- statuses ------------------------------------------------------------------


def test_converged_by_gradient_norm_says_so_with_the_numbers():
    X, y = regression_data()
    trace = descend(LinearRegression(X, y), Settings(learning_rate=0.5, eps=1e-6))
    assert (trace.status, trace.reason) == ("converged", "eps")
    assert trace.grad_norm[-1] <= 1e-6 < trace.grad_norm[-2]
    assert trace.message.startswith("Converged: ‖∇L‖ = ")
    assert f"after {trace.n_updates} updates." in trace.message


def test_converged_by_tol_stops_after_n_iter_no_change_epochs():
    X, y = regression_data(noise=1.0)
    trace = descend(
        LinearRegression(X, y),
        Settings(variant="sgd", learning_rate=0.01, tol=1e-3, n_iter_no_change=3,
                 eps=0, max_epochs=500),
    )  # fmt: skip
    assert (trace.status, trace.reason) == ("converged", "tol")
    assert trace.n_epochs < 500 and trace.n_epochs == int(trace.n_epochs)
    assert trace.message == (
        "Converged: the loss improved by less than tol = 0.001 for 3 consecutive "
        f"epochs (stopped after {trace.n_epochs:.3g} epochs)."
    )


def test_max_iter_says_not_converged_and_gives_advice():
    X, y = regression_data()
    trace = descend(LinearRegression(X, y), Settings(learning_rate=1e-4, max_epochs=50))
    assert (trace.status, trace.reason) == ("max_iter", "budget")
    assert trace.message.startswith(
        "Not converged after 50 epochs (50 updates): ‖∇L‖ = "
    )
    assert trace.message.endswith("; raise the budget or the learning rate.")


def test_max_iter_of_constant_rate_sgd_explains_the_noise_floor():
    X, y = regression_data(noise=1.0)
    trace = descend(
        LinearRegression(X, y),
        Settings(variant="sgd", learning_rate=0.05, max_epochs=5),
    )
    assert trace.status == "max_iter"
    assert "keep jittering around the optimum" in trace.message


def test_divergence_is_a_status_with_the_stable_limit_and_no_warnings():
    X = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]])
    y = np.array([2.0, 4.0, 6.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = descend(LinearRegression(X, y), Settings(learning_rate=0.8,
                                                         max_epochs=100_000))  # fmt: skip
    limit = 2 / np.linalg.eigvalsh(X.T @ X / 3)[-1]
    assert trace.status == "diverged"
    assert trace.message.startswith("Diverged: loss ")
    assert trace.message.endswith(f": lower the learning rate below {limit:.3g}.")
    assert trace.n_updates < 200


def test_divergence_to_infinity_is_reported_as_such():
    X, y = regression_data(n=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = descend(
            LinearRegression(X, y),
            Settings(variant="sgd", learning_rate=1e3, max_epochs=100, eps=0),
        )
    assert trace.status == "diverged"
    assert "lower the learning rate below" in trace.message
    assert trace.n_updates < 3000


def test_stochastic_divergence_of_an_adaptive_rule_suggests_a_tenth():
    X, y = regression_data(n=30)
    trace = descend(
        LinearRegression(X, y),
        Settings(variant="sgd", rule="momentum", learning_rate=10.0, max_epochs=50),
    )
    assert trace.status == "diverged"
    assert trace.message.endswith("lower the learning rate (try 1).")


def test_values_whose_squares_overflow_are_refused_with_advice():
    X, y = regression_data(n=30)
    with pytest.raises(DataError, match=r"too large for a squared loss.*standardize"):
        LinearRegression(X, y * 1e200)


def test_an_undefined_point_of_a_function_stops_with_a_clear_status():
    problem = Objective(lambda t: math.log(t[0]), lambda t: np.array([1 / t[0]]), 1)
    trace = descend(problem, Settings(learning_rate=2.0, theta0=(1.0,), maximize=False))
    assert trace.status == "diverged"
    assert "became nan at update 1: f is undefined there" in trace.message


def test_gradient_ascent_is_descent_on_minus_f():
    f = lambda t: 4 - t @ t  # noqa: E731
    grad = lambda t: -2 * t  # noqa: E731
    trace = descend(
        Objective(f, grad, 2),
        Settings(learning_rate=0.1, maximize=True, theta0=(1.0, -2.0), eps=1e-8),
    )
    assert trace.status == "converged"
    np.testing.assert_allclose(trace.theta, 0, atol=1e-8)
    assert trace.loss[-1] == pytest.approx(4.0)
    assert np.all(np.diff(trace.loss) >= 0)  # f rises at every step
    np.testing.assert_allclose(trace.gradient[0], [-2.0, 4.0])  # ∇f, not ∇(−f)


def test_ascent_that_runs_away_speaks_of_f_as_written_and_of_a_maximum():
    cup = Objective(lambda t: t @ t + 1.0, lambda t: 2 * t, 1)
    trace = descend(cup, Settings(learning_rate=0.5, maximize=True, theta0=(1.0,)))
    assert trace.status == "diverged"
    assert "f ran away from 2 to " in trace.message
    grown = float(trace.message.split(" to ")[1].split(" by")[0])
    assert grown > 1e10  # f itself, not −f
    assert "check that f has a maximum in that direction" in trace.message


def test_descent_that_runs_away_speaks_of_a_minimum():
    cap = Objective(lambda t: 1.0 - t @ t, lambda t: -2 * t, 1)
    trace = descend(cap, Settings(learning_rate=0.5, theta0=(1.0,)))
    assert trace.status == "diverged"
    assert "f ran away from 0 to -" in trace.message
    assert "check that f has a minimum in that direction" in trace.message


def test_seed_bowl_starts_at_position_value_and_gradient_of_the_seed():
    bowl = Objective(lambda t: t @ t, lambda t: 2 * t, 2)
    trace = descend(bowl, Settings(learning_rate=0.01, theta0=(2.0, 2.0)))
    np.testing.assert_array_equal(trace.path[0], [2.0, 2.0])
    assert trace.loss[0] == 8.0
    np.testing.assert_array_equal(trace.gradient[0], [4.0, 4.0])
    np.testing.assert_allclose(trace.path[1], [1.96, 1.96])


def test_schedules_follow_their_formulas():
    X, y = regression_data(n=20)
    problem = LinearRegression(X, y)
    common = dict(learning_rate=0.1, max_epochs=10, eps=0, max_points=100)
    inv = descend(problem, Settings(schedule="invscaling", power_t=0.5, **common))
    np.testing.assert_allclose(inv.learning_rate[1:], 0.1 / np.sqrt(np.arange(1, 11)))
    step = descend(
        problem, Settings(schedule="step", drop=0.5, step_epochs=4, **common)
    )
    np.testing.assert_allclose(
        step.learning_rate[1:], [0.1] * 4 + [0.05] * 4 + [0.025] * 2
    )
    exp = descend(problem, Settings(schedule="exponential", decay=0.2, **common))
    np.testing.assert_allclose(
        exp.learning_rate[1:], 0.1 * np.exp(-0.2 * np.arange(10))
    )


# -- recording -----------------------------------------------------------------


def test_recording_is_bounded_evenly_spaced_and_keeps_first_and_last():
    X, y = regression_data(n=500)
    trace = descend(
        LinearRegression(X, y),
        Settings(
            variant="sgd", learning_rate=0.001, max_epochs=7, max_points=50, eps=0
        ),
    )
    assert len(trace.updates) <= 50
    assert trace.updates[0] == 0 and trace.updates[-1] == 3500
    assert len(set(np.diff(trace.updates[:-1]))) == 1
    assert np.all(np.diff(trace.seconds) >= 0)
    np.testing.assert_allclose(trace.epochs, trace.updates / 500)


def test_recorded_losses_are_the_full_data_losses_at_the_recorded_points():
    X, y = regression_data(n=300)
    problem = LinearRegression(X, y, X[:50], y[:50])
    trace = descend(problem, Settings(variant="minibatch", batch_size=7, max_epochs=2))
    for theta, loss, val in zip(trace.path, trace.loss, trace.val_loss, strict=True):
        r = X @ theta - y
        assert loss == pytest.approx(r @ r / 600, rel=1e-10)
        rv = X[:50] @ theta - y[:50]
        assert val == pytest.approx(rv @ rv / 100, rel=1e-10)


def test_logistic_stochastic_runs_record_at_least_once_per_epoch():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 3))
    y = (X[:, 0] > 0).astype(float)
    trace = descend(
        LogisticRegression(X, y),
        Settings(variant="sgd", learning_rate=0.01, max_epochs=4, eps=0),
    )
    updates = trace.updates
    for epoch in range(4):  # every epoch has a recorded (and checked) point
        assert ((updates > epoch * 2000) & (updates <= (epoch + 1) * 2000)).any()
    assert updates[0] == 0 and updates[-1] == 8000


# -- properties ----------------------------------------------------------------

small_problems = st.integers(2, 30).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.float64, (n, 2), elements=st.floats(-10, 10)),
        hnp.arrays(np.float64, (n,), elements=st.floats(-10, 10)),
    )
)


@settings(max_examples=40, deadline=None)
@given(small_problems)
def test_a_tiny_learning_rate_never_increases_a_convex_loss(data):
    X, y = data
    top = np.linalg.eigvalsh(X.T @ X / len(y))[-1]
    rate = 0.1 / max(top, 1e-12)
    trace = descend(LinearRegression(X, y), Settings(learning_rate=rate, max_epochs=40))
    assert np.all(np.diff(trace.loss) <= 1e-12 * (1 + np.abs(trace.loss[:-1])))


@settings(max_examples=30, deadline=None)
@given(small_problems, st.sampled_from(["batch", "sgd", "minibatch"]),
       st.integers(2, 60), st.integers(1, 40))  # fmt: skip
def test_the_callers_arrays_are_never_mutated_and_traces_stay_bounded(
    data, variant, max_points, epochs
):
    X, y = data
    X0, y0 = X.copy(), y.copy()
    trace = descend(
        LinearRegression(X, y),
        Settings(variant=variant, batch_size=3, learning_rate=1e-3,
                 max_epochs=epochs, max_points=max_points),
    )  # fmt: skip
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert 2 <= len(trace.updates) <= max_points or trace.n_updates == 0
    assert trace.updates[0] == 0
    assert not trace.path.flags.writeable


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    variant=st.sampled_from(["batch", "sgd", "minibatch"]),
    batch_size=st.integers(1, 80),
    epochs=st.floats(0.05, 3.0),
    cap=st.none() | st.integers(1, 50),
)
def test_plan_is_exactly_what_descend_runs(n, variant, batch_size, epochs, cap):
    X, y = regression_data(n=n, d=2)
    s = Settings(
        variant=variant,
        batch_size=batch_size,
        max_epochs=epochs,
        max_updates=cap,
        learning_rate=1e-3,
        eps=0.0,
    )
    planned = plan(n, s)
    trace = descend(LinearRegression(X, y), s)
    assert (trace.n_updates, trace.batch_size) == (
        planned.n_updates,
        planned.batch_size,
    )
    assert (trace.variant == "batch") == planned.as_batch


# -- settings validation ------------------------------------------------------------


def test_numpy_numbers_are_accepted_as_settings():
    settings = Settings(
        variant="minibatch",
        batch_size=np.int64(4),
        learning_rate=np.float32(0.05),
        seed=np.int32(3),
        theta0=np.zeros(2, dtype=np.float32),
    )
    X, y = regression_data(n=40, d=2)
    trace = descend(LinearRegression(X, y), settings)
    assert trace.batch_size == 4 and trace.status == "max_iter"


def test_a_gradient_of_the_wrong_shape_is_refused_with_the_expected_shape():
    flat = Objective(lambda t: t @ t, lambda t: np.array([2 * t[0]]), 2)
    with pytest.raises(DataError, match=r"shape \(1,\); it must have shape \(2,\)"):
        descend(flat, Settings(theta0=(1.0, 1.0)))


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_an_objective_needs_at_least_one_variable(n):
    with pytest.raises(DataError, match="n_features >= 1"):
        Objective(lambda t: 0.0, lambda t: t, n)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rate": 0.0}, "The 'learning_rate' parameter must be a float in (0, inf). Got 0.0 instead."),
        ({"learning_rate": -0.1}, "The 'learning_rate' parameter must be a float in (0, inf). Got -0.1 instead."),
        ({"learning_rate": math.inf}, "The 'learning_rate' parameter must be a float in (0, inf). Got inf instead."),
        ({"batch_size": 0}, "The 'batch_size' parameter must be an int in [1, inf). Got 0 instead."),
        ({"variant": "full"}, "The 'variant' parameter must be one of ('batch', 'sgd', 'minibatch'). Got 'full' instead."),
        ({"rule": "lion"}, "The 'rule' parameter must be one of ('plain', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'). Got 'lion' instead."),
        ({"max_epochs": 0}, "The 'max_epochs' parameter must be a float in (0, inf). Got 0 instead."),
        ({"momentum": 1.0}, "The 'momentum' parameter must be a float in [0, 1). Got 1.0 instead."),
        ({"eps": -1e-6}, "The 'eps' parameter must be a float in [0, inf). Got -1e-06 instead."),
        ({"tol": -1.0}, "The 'tol' parameter must be a float in [0, inf) or None. Got -1.0 instead."),
        ({"max_points": 1}, "The 'max_points' parameter must be an int in [2, inf). Got 1 instead."),
        ({"seed": -1}, "The 'seed' parameter must be an int in [0, inf). Got -1 instead."),
        ({"theta0": (1.0, math.nan)}, "The 'theta0' parameter must be a tuple of finite floats or None."),
        ({"theta0": 3.0}, "The 'theta0' parameter must be a tuple of finite floats or None. Got 3.0 instead."),
        ({"batch_size": True}, "The 'batch_size' parameter must be an int in [1, inf). Got True instead."),
    ],
)  # fmt: skip
def test_invalid_settings_are_refused_with_the_exact_message(kwargs, message):
    with pytest.raises(SettingsError) as error:
        Settings(**kwargs)
    assert str(error.value).startswith(message)


def test_settings_that_contradict_the_problem_are_refused():
    bowl = Objective(lambda t: t @ t, lambda t: 2 * t, 2)
    with pytest.raises(SettingsError, match="variant 'sgd' needs data rows"):
        descend(bowl, Settings(variant="sgd"))
    X, y = regression_data()
    with pytest.raises(SettingsError, match="a regression loss is always minimised"):
        descend(LinearRegression(X, y), Settings(maximize=True))
    with pytest.raises(
        SettingsError, match="theta0 has 2 values but the problem has 3"
    ):
        descend(LinearRegression(X, y), Settings(theta0=(0.0, 0.0)))
