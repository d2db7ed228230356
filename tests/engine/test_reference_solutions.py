"""The engine against independent references: the seed's loop, lstsq, scikit-learn."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import SGDClassifier, SGDRegressor

from gddash.engine import (
    LinearRegression,
    LogisticRegression,
    Settings,
    conditioning,
    descend,
    least_squares,
)


def seed_gradient_descent(X, y, learning_rate=0.01, num_iterations=1000):
    """The numpy example of the seed material, as written there."""
    m = len(y)
    theta = np.zeros(X.shape[1])
    for _ in range(num_iterations):
        predictions = X.dot(theta)
        error = predictions - y
        gradient = X.T.dot(error) / m
        theta = theta - learning_rate * gradient
    return theta


def regression_data(n=200, d=3, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, d - 1))])
    y = X @ rng.uniform(-2, 2, d) + noise * rng.standard_normal(n)
    return X, y


def test_batch_reproduces_the_seed_example_to_1e_12():
    X = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]])
    y = np.array([2.0, 4.0, 6.0])
    trace = descend(
        LinearRegression(X, y), Settings(learning_rate=0.01, max_epochs=1000, eps=0)
    )
    expected = seed_gradient_descent(X, y)
    assert trace.n_updates == 1000
    np.testing.assert_allclose(trace.theta, expected, rtol=0, atol=1e-12)


def test_batch_reaches_the_lstsq_optimum_on_a_well_conditioned_problem():
    X, y = regression_data()
    theta_star, loss_star = least_squares(X, y)
    rate = conditioning(X).suggested_learning_rate
    trace = descend(
        LinearRegression(X, y),
        Settings(learning_rate=rate, max_epochs=5000, eps=1e-12),
    )
    assert trace.status == "converged"
    np.testing.assert_allclose(trace.theta, theta_star, rtol=1e-8)
    assert trace.final_loss == pytest.approx(loss_star, rel=1e-12)


@pytest.mark.parametrize("epochs", [1, 3])
def test_sgd_matches_sklearn_sgdregressor_update(epochs):
    X, y = regression_data(n=300, d=4)
    rate = 0.01
    trace = descend(
        LinearRegression(X, y),
        Settings(
            variant="sgd", learning_rate=rate, max_epochs=epochs, shuffle=False, eps=0
        ),
    )
    reference = SGDRegressor(
        penalty=None,
        learning_rate="constant",
        eta0=rate,
        shuffle=False,
        max_iter=epochs,
        tol=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X[:, 1:], y)
    assert trace.n_updates == epochs * len(y)
    assert abs(trace.theta[0] - reference.intercept_[0]) < 1e-10
    np.testing.assert_allclose(trace.theta[1:], reference.coef_, rtol=0, atol=1e-10)


def test_logistic_sgd_matches_sklearn_sgdclassifier_update():
    X, y = regression_data(n=300, d=3, noise=1.0)
    labels = (y > np.median(y)).astype(float)
    rate = 0.05
    trace = descend(
        LogisticRegression(X, labels),
        Settings(variant="sgd", learning_rate=rate, max_epochs=2, shuffle=False, eps=0),
    )
    reference = SGDClassifier(
        loss="log_loss",
        penalty=None,
        learning_rate="constant",
        eta0=rate,
        shuffle=False,
        max_iter=2,
        tol=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X[:, 1:], labels)
    assert abs(trace.theta[0] - reference.intercept_[0]) < 1e-10
    np.testing.assert_allclose(trace.theta[1:], reference.coef_[0], atol=1e-10)


def test_logistic_batch_matches_sklearn_unpenalised_logistic_regression():
    rng = np.random.default_rng(3)
    n = 400
    Z = rng.standard_normal((n, 2))
    labels = (Z @ [1.5, -1.0] + 0.3 + rng.logistic(size=n) > 0).astype(float)
    X = np.column_stack([np.ones(n), Z])
    trace = descend(
        LogisticRegression(X, labels),
        Settings(learning_rate=2.0, max_epochs=20000, eps=1e-8),
    )
    reference = SkLogisticRegression(
        C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=100
    ).fit(Z, labels)
    assert trace.status == "converged"
    np.testing.assert_allclose(trace.theta[0], reference.intercept_[0], atol=1e-5)
    np.testing.assert_allclose(trace.theta[1:], reference.coef_[0], atol=1e-5)


def test_least_squares_loss_is_the_floor_of_every_variant():
    X, y = regression_data(n=150)
    _, loss_star = least_squares(X, y)
    for variant in ("batch", "sgd", "minibatch"):
        trace = descend(
            LinearRegression(X, y),
            Settings(variant=variant, learning_rate=0.05, max_epochs=30, batch_size=16),
        )
        assert trace.loss.min() >= loss_star - 1e-12


def test_conditioning_gives_the_exact_stability_limit_of_batch_descent():
    X, y = regression_data(n=100, d=3)
    limit = conditioning(X).stable_learning_rate
    problem = LinearRegression(X, y)
    below = descend(problem, Settings(learning_rate=0.98 * limit, max_epochs=3000))
    above = descend(problem, Settings(learning_rate=1.02 * limit, max_epochs=3000))
    assert below.status in ("converged", "max_iter")
    assert below.final_loss < below.loss[0]
    assert above.status == "diverged"
    assert f"below {limit:.3g}" in above.message


def test_conditioning_reports_the_condition_number_of_x_transpose_x():
    X = np.column_stack([np.ones(4), [1.0, 2.0, 3.0, 4.0]])
    result = conditioning(X)
    eigenvalues = np.linalg.eigvalsh(X.T @ X / 4)
    np.testing.assert_allclose(result.eigenvalues, eigenvalues)
    assert result.condition_number == pytest.approx(eigenvalues[-1] / eigenvalues[0])
    assert conditioning(np.ones((3, 2))).condition_number == float("inf")
