"""Loss and gradient evaluation: exact, stable, validated at the boundary."""

import warnings
from fractions import Fraction

import numpy as np
import pytest

from gddash.engine import LinearRegression, LogisticRegression, Objective
from gddash.errors import DataError


def exact_half_mse(X, y, theta):
    """½·mean((Xθ − y)²) in exact rational arithmetic (an independent reference)."""
    total = Fraction(0)
    for row, target in zip(X.tolist(), y.tolist(), strict=True):
        r = sum(Fraction(a) * Fraction(t) for a, t in zip(row, theta, strict=True))
        total += (r - Fraction(target)) ** 2
    return float(total / (2 * len(y)))


def test_loss_near_the_optimum_keeps_its_precision_on_nearly_noise_free_data():
    rng = np.random.default_rng(0)
    n = 400
    X = np.column_stack([np.ones(n), rng.uniform(0, 100, n), rng.uniform(0, 100, n)])
    y = X @ [3.0, 2.0, -1.0] + 1e-6 * rng.standard_normal(n)
    problem = LinearRegression(X, y)
    theta_star = np.linalg.lstsq(X, y, rcond=None)[0]
    for theta in (theta_star, theta_star + 1e-9, theta_star * (1 + 1e-7)):
        loss = problem.evaluate(theta)[0][0]
        exact = exact_half_mse(X, y, theta.tolist())
        assert loss == pytest.approx(exact, rel=1e-8)
    # The textbook expansion c − 2θᵀb + θᵀGθ loses the answer entirely here.
    G, b, c = X.T @ X, X.T @ y, y @ y
    naive = (c - 2 * theta_star @ b + theta_star @ G @ theta_star) / (2 * n)
    assert abs(naive - exact_half_mse(X, y, theta_star.tolist())) > 1e-2 * abs(naive)


def test_linear_loss_and_gradient_match_the_definition_away_from_the_optimum():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((50, 4)), rng.standard_normal(50)
    thetas = rng.standard_normal((5, 4))
    losses, grads = LinearRegression(X, y).evaluate(thetas)
    for theta, loss, grad in zip(thetas, losses, grads, strict=True):
        r = X @ theta - y
        assert loss == pytest.approx(r @ r / 100, rel=1e-12)
        np.testing.assert_allclose(grad, X.T @ r / 50, rtol=1e-10, atol=1e-13)


def test_logistic_loss_is_stable_for_huge_margins_without_warnings():
    X = np.array([[1.0, 1e4], [1.0, -1e4], [1.0, 0.0]])
    y = np.array([1.0, 0.0, 1.0])
    problem = LogisticRegression(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = problem.evaluate(np.array([0.0, 1.0]))
        wrong, _ = problem.evaluate(np.array([0.0, -1.0]))
    assert loss[0] == pytest.approx(np.log(2) / 3)
    assert wrong[0] == pytest.approx((1e4 + 1e4 + np.log(2)) / 3)
    assert np.isfinite(grad).all()


def test_logistic_gradient_matches_central_differences():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300_000, 3))  # large enough to use the threaded path
    y = (rng.random(300_000) < 0.4).astype(float)
    problem = LogisticRegression(X, y)
    theta = np.array([0.3, -0.2, 0.1])
    _, grad = problem.evaluate(theta)
    h = 1e-6
    numeric = [
        (problem.evaluate(theta + h * e)[0][0] - problem.evaluate(theta - h * e)[0][0])
        / (2 * h)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(grad[0], numeric, rtol=1e-5, atol=1e-9)
    z = X @ theta
    direct = np.mean(np.logaddexp(0, z) - y * z)
    assert problem.evaluate(theta)[0][0] == pytest.approx(direct, rel=1e-12)


def test_logistic_loss_at_zero_is_log_two():
    X = np.array([[1.0, 2.0], [1.0, -1.0]])
    loss, grad = LogisticRegression(X, np.array([1.0, 0.0])).evaluate(np.zeros(2))
    assert loss[0] == pytest.approx(np.log(2))
    np.testing.assert_allclose(grad[0], X.T @ (0.5 - np.array([1.0, 0.0])) / 2)


def test_objective_evaluates_the_given_callables():
    problem = Objective(lambda t: t @ t, lambda t: 2 * t, n_features=2)
    losses, grads = problem.evaluate(np.array([[2.0, 2.0], [1.0, 0.0]]))
    np.testing.assert_allclose(losses, [8.0, 1.0])
    np.testing.assert_allclose(grads, [[4.0, 4.0], [2.0, 0.0]])


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.ones((3, 2)), np.ones(4), "X has 3 rows but y has 4"),
        (np.ones((3, 2)), np.ones((3, 1)), "y must be a 1-D array (n_samples,). Got shape (3, 1): pass y.ravel()"),
        (np.ones(3), np.ones(3), "X must be a 2-D array (n_samples, n_features). Got an array of shape (3,)"),
        (np.ones((3, 2)), np.ones((3, 2)), "y must be a 1-D array (n_samples,). Got shape (3, 2)"),
        (np.array([[1.0, np.nan], [1.0, 2.0]]), np.ones(2), "X contains 1 NaN or infinite value(s), first at index (0, 1)"),
        (np.ones((2, 2)), np.array([1.0, np.inf]), "y contains 1 NaN or infinite value(s), first at index (1,)"),
        (np.array([["a", "b"]]), np.ones(1), "X must hold real numbers. Got dtype <U1"),
        (np.ones((0, 2)), np.ones(0), "X must have at least one row and one column"),
    ],
)  # fmt: skip
def test_bad_arrays_are_refused_with_a_message_that_says_what_to_do(X, y, message):
    with pytest.raises(DataError) as error:
        LinearRegression(X, y)
    assert message in str(error.value)


def test_logistic_refuses_labels_other_than_zero_and_one():
    with pytest.raises(DataError, match=r"only 0 and 1 .* Got values 1, 2: encode"):
        LogisticRegression(np.ones((2, 1)), np.array([1.0, 2.0]))


def test_validation_rows_must_match_the_features():
    with pytest.raises(DataError, match="validation X has 3 columns but X has 2"):
        LinearRegression(np.ones((3, 2)), np.ones(3), np.ones((2, 3)), np.ones(2))
    with pytest.raises(DataError, match="Give both X_val and y_val, or neither"):
        LinearRegression(np.ones((3, 2)), np.ones(3), X_val=np.ones((2, 2)))


def test_problems_never_copy_or_write_to_well_formed_input():
    X = np.ascontiguousarray(np.random.default_rng(0).standard_normal((20, 2)))
    y = np.ones(20)
    problem = LinearRegression(X, y)
    assert problem.X is X and problem.y is y


def test_logistic_evaluation_of_a_stack_equals_one_point_at_a_time():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((500, 3))
    y = (rng.random(500) < 0.5).astype(float)
    problem = LogisticRegression(X, y)
    thetas = rng.standard_normal((12, 3))
    thetas[3] = np.nan
    losses, grads = problem.evaluate(thetas)
    for k, theta in enumerate(thetas):
        if k == 3:
            assert np.isnan(losses[k]) and np.isnan(grads[k]).all()
            continue
        one_loss, one_grad = problem.evaluate(theta)
        assert losses[k] == pytest.approx(one_loss[0], rel=1e-12)
        np.testing.assert_allclose(grads[k], one_grad[0], rtol=1e-10, atol=1e-14)
