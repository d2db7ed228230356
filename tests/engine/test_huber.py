"""The Huber loss: its pieces, scikit-learn's SGD update, and the optimum."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDRegressor

from gddash.engine import HuberRegression, Penalty, Settings, descend, losses
from gddash.engine.optima import minimum
from gddash.errors import SettingsError


def outlier_data(n=300, d=4, seed=0, share=0.05):
    """A line with noise, and a few targets moved far off it."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, d - 1))
    y = 0.5 + Z @ rng.uniform(-2, 2, d - 1) + 0.3 * rng.standard_normal(n)
    y += (rng.random(n) < share) * rng.normal(0, 20, n)
    return np.column_stack([np.ones(n), Z]), y


def huber_reference(r, epsilon):
    """ℓ and ℓ' of scikit-learn's Huber loss, written from its definition."""
    if abs(r) <= epsilon:
        return 0.5 * r * r, r
    return epsilon * abs(r) - 0.5 * epsilon**2, math.copysign(epsilon, r)


@settings(max_examples=200, deadline=None)
@given(z=st.floats(-1e6, 1e6), y=st.floats(-1e6, 1e6), epsilon=st.floats(1e-3, 1e3))
def test_huber_pieces_are_the_definition(z, y, epsilon):
    value, slope = huber_reference(z - y, epsilon)
    assert losses.huber_value(z, y, epsilon) == pytest.approx(value, rel=1e-12)
    assert losses.huber_derivative(z, y, epsilon) == slope
    assert losses.huber_terms(z, y, epsilon) == (
        losses.huber_value(z, y, epsilon),
        losses.huber_derivative(z, y, epsilon),
    )


def test_huber_is_continuous_with_its_slope_at_the_threshold():
    for r in (0.1, -0.1):
        inside = losses.huber_value(r * (1 - 1e-12), 0.0, 0.1)
        outside = losses.huber_value(r * (1 + 1e-12), 0.0, 0.1)
        assert inside == pytest.approx(outside, abs=1e-13)
    assert losses.huber_derivative(5.0, 0.0, 0.1) == 0.1
    assert losses.huber_derivative(-5.0, 0.0, 0.1) == -0.1


@pytest.mark.parametrize("epsilon", [0.1, 1.35])
@pytest.mark.parametrize(
    ("penalty", "extra"),
    [(None, {}), ("l2", {"alpha": 0.01}), ("elasticnet", {"alpha": 0.01})],
)
def test_huber_sgd_equals_sklearn_sgdregressor(epsilon, penalty, extra):
    X, y = outlier_data()
    rate = 0.01
    trace = descend(
        HuberRegression(X, y, epsilon=epsilon, intercept=True),
        Settings(
            variant="sgd", learning_rate=rate, max_epochs=3, shuffle=False, eps=0,
            penalty=penalty, l1_ratio=0.5, **extra,
        ),
    )  # fmt: skip
    reference = SGDRegressor(
        loss="huber", epsilon=epsilon, penalty=penalty, alpha=extra.get("alpha", 0),
        l1_ratio=0.5, learning_rate="constant", eta0=rate, shuffle=False,
        max_iter=3, tol=None,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X[:, 1:], y)
    assert abs(trace.theta[0] - reference.intercept_[0]) < 1e-10
    np.testing.assert_allclose(trace.theta[1:], reference.coef_, rtol=0, atol=1e-10)


def row_by_row(X, y, theta, epsilon):
    pieces = [
        huber_reference(float(x @ theta) - t, epsilon)
        for x, t in zip(X, y, strict=True)
    ]
    values, slopes = np.array(pieces).T
    return math.fsum(values) / len(y), X.T @ slopes / len(y)


@pytest.mark.parametrize("points", [1, 9])  # the compiled pass, and the numpy stack
def test_full_data_loss_and_gradient_equal_a_row_by_row_sum(points):
    X, y = outlier_data(n=1001)
    problem = HuberRegression(X, y, epsilon=0.5)
    thetas = np.random.default_rng(1).standard_normal((points, 4))
    values, grads = problem.evaluate(thetas)
    for k, theta in enumerate(thetas):
        value, grad = row_by_row(X, y, theta, 0.5)
        assert values[k] == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(grads[k], grad, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("penalty", [None, Penalty("l2", 0.05)])
def test_huber_optimum_equals_scipy_and_batch_descent_reaches_it(penalty):
    X, y = outlier_data(seed=2)
    problem = HuberRegression(X, y, epsilon=1.0, intercept=True)
    found = minimum(problem, penalty)

    def objective(theta):
        loss, grad = problem.evaluate(theta[None, :], penalty)
        return loss[0], grad[0]

    independent = minimize(objective, np.ones(4), jac=True, method="BFGS",
                           options={"gtol": 1e-12})  # fmt: skip
    assert found.converged
    np.testing.assert_allclose(found.theta, independent.x, atol=1e-6)
    trace = descend(
        problem,
        Settings(
            learning_rate=1.0, max_epochs=20_000, eps=1e-11,
            penalty=None if penalty is None else "l2", alpha=0.05,
        ),
    )  # fmt: skip
    assert trace.status == "converged"
    np.testing.assert_allclose(trace.theta, found.theta, atol=1e-8)
    assert trace.final_loss == pytest.approx(found.loss, rel=1e-12)


def test_huber_is_pulled_less_by_outliers_than_the_squared_loss():
    X, y = outlier_data(seed=3, share=0.1)
    clean = outlier_data(seed=3, share=0.0)[1]
    huber = minimum(HuberRegression(X, y, epsilon=0.5)).theta
    squared = np.linalg.lstsq(X, y, rcond=None)[0]
    truth = np.linalg.lstsq(X, clean, rcond=None)[0]
    assert np.linalg.norm(huber - truth) < 0.3 * np.linalg.norm(squared - truth)


@pytest.mark.parametrize("variant", ["sgd", "minibatch"])
def test_stochastic_huber_runs_reach_near_the_optimum(variant):
    X, y = outlier_data(seed=4)
    problem = HuberRegression(X, y, epsilon=1.0, intercept=True)
    best = minimum(problem)
    trace = descend(
        problem,
        Settings(variant=variant, learning_rate=0.01, max_epochs=100, batch_size=8),
    )
    assert best.loss - 1e-12 <= trace.final_loss < best.loss * (1 + 3e-3)


@pytest.mark.parametrize(
    ("epsilon", "message"),
    [
        (0.0, "The 'epsilon' parameter must be a float in (0, inf). Got 0.0 instead."),
        (
            -1.0,
            "The 'epsilon' parameter must be a float in (0, inf). Got -1.0 instead.",
        ),
        (
            math.nan,
            "The 'epsilon' parameter must be a float in (0, inf). Got nan instead.",
        ),
        (
            math.inf,
            "The 'epsilon' parameter must be a float in (0, inf). Got inf instead.",
        ),
        (
            True,
            "The 'epsilon' parameter must be a float in (0, inf). Got True instead.",
        ),
    ],
)
def test_a_bad_epsilon_is_refused(epsilon, message):
    X, y = outlier_data(n=10)
    with pytest.raises(SettingsError) as caught:
        HuberRegression(X, y, epsilon=epsilon)
    assert str(caught.value) == message
