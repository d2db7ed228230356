"""The loss pieces and the full-data pass built on them.

The log-loss's terms write e^−a and log1p(e) as polynomials (so that they
vectorise); these tests hold them, and the derivative the SGD loops use, to
values exact to 120 bits (mpmath), and the whole pass to a row-by-row sum in
Python floats.
"""

import math
import warnings

import mpmath
import numpy as np
import pytest

from gddash.engine import data_pass, losses


def exactly(function, values: np.ndarray) -> np.ndarray:
    with mpmath.workprec(120):
        return np.array([float(function(mpmath.mpf(float(v)))) for v in values])


def ulps(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    return np.abs(actual - expected) / np.spacing(np.abs(expected))


def test_exp_minus_is_within_an_ulp_from_zero_to_underflow():
    a = np.concatenate([np.linspace(0.0, 745.0, 20_001), [1e-300, 0.5, 708.3]])
    got = np.array([losses.exp_minus(v) for v in a])
    expected = exactly(lambda v: mpmath.exp(-v), a)
    normal = expected > np.finfo(float).tiny  # subnormals: absolute error only
    assert ulps(got[normal], expected[normal]).max() <= 1.0
    assert np.abs(got[~normal] - expected[~normal]).max() <= 5e-324


@pytest.mark.parametrize(
    ("a", "expected"), [(746.0, 0.0), (1e4, 0.0), (math.inf, 0.0), (0.0, 1.0)]
)
def test_exp_minus_underflows_to_zero_and_is_one_at_zero(a, expected):
    assert losses.exp_minus(a) == expected


def test_exp_minus_keeps_a_nan():
    assert math.isnan(losses.exp_minus(math.nan))


def test_log1p_unit_is_within_three_ulps_on_zero_to_one():
    e = np.concatenate([np.linspace(0.0, 1.0, 20_001), np.geomspace(1e-300, 1, 999)])
    e = np.append(e, [0.015315, 0.125335])  # 3 ulps off (found on a finer grid)
    got = np.array([losses.log1p_unit(v) for v in e])
    expected = exactly(mpmath.log1p, e)
    nonzero = expected > 0
    assert ulps(got[nonzero], expected[nonzero]).max() <= 3.0
    assert (got[~nonzero] == 0.0).all()


def reference_sums(X, y, theta):
    """Σ log(1 + e^z) − y z and Σ (σ(z) − y) x, row by row in Python floats."""
    loss, grad = [], np.zeros(X.shape[1])
    for x, label in zip(X, y, strict=True):
        z = math.fsum(x * theta)
        loss.append(max(z, 0.0) + math.log1p(math.exp(-abs(z))) - label * z)
        sigma = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
        grad += (sigma - label) * x
    return math.fsum(loss), grad


@pytest.mark.parametrize("scale", [0.1, 3.0, 40.0])
@pytest.mark.parametrize("rows", [1, 7, 256, 1_001])
def test_logistic_sums_equal_a_row_by_row_sum(scale, rows):
    rng = np.random.default_rng(rows)
    X = scale * rng.standard_normal((rows, 4))
    y = (rng.random(rows) < 0.5).astype(float)
    theta = rng.standard_normal(4)
    grad = np.empty(4)
    loss = data_pass.loss_sums(X, y, theta, 0, rows, grad, loss="log")
    expected_loss, expected_grad = reference_sums(X, y, theta)
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-12 * rows)


def test_logistic_sums_of_huge_margins_are_finite_and_silent():
    X = np.array([[1e4], [-1e4], [1e4], [-1e4]])
    y = np.array([1.0, 1.0, 0.0, 0.0])
    grad = np.empty(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = data_pass.loss_sums(X, y, np.ones(1), 0, 4, grad, loss="log")
    # Rows 2 and 3 are wrong by a margin of 1e4 each (loss 1e4, residual ∓1);
    # rows 1 and 4 are right by as much (loss e^−1e4 = 0, residual 0).
    assert loss == 2e4
    np.testing.assert_array_equal(grad, [2e4])


def test_the_log_loss_derivative_is_sigma_minus_y_within_two_ulps():
    rng = np.random.default_rng(5)
    z = np.concatenate([rng.normal(0.0, 5.0, 300), [0.0, 40.0, -40.0, 700.0, -700.0]])
    for label in (0.0, 1.0):
        got = np.array([losses.log_derivative(v, label) for v in z])
        expected = exactly(lambda v, y=label: 1 / (1 + mpmath.exp(-v)) - y, z)
        nonzero = expected != 0
        assert ulps(got[nonzero], expected[nonzero]).max() <= 2.0
        assert (np.abs(got[~nonzero]) < 1e-300).all()


@pytest.mark.parametrize("z", [-3.0, 0.0, 0.25, 8.0, 1e4, -1e4])
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_each_loss_s_terms_are_its_value_and_derivative(z, label):
    for value, derivative, terms in (
        (losses.squared_value, losses.squared_derivative, losses.squared_terms),
        (losses.log_value, losses.log_derivative, losses.log_terms),
    ):
        term_value, term_derivative = terms(z, label)
        assert term_value == pytest.approx(value(z, label), rel=1e-15)
        assert term_derivative == pytest.approx(derivative(z, label), rel=1e-15)


def test_the_log_loss_value_is_stable_where_the_naive_formula_overflows():
    assert losses.log_value(1e4, 0.0) == 1e4  # log(1 + e^1e4) without overflow
    assert losses.log_value(-1e4, 0.0) == 0.0
    assert losses.log_value(0.0, 1.0) == pytest.approx(math.log(2.0), rel=1e-15)
    assert losses.squared_value(3.0, 1.0) == 2.0
    assert losses.squared_derivative(3.0, 1.0) == 2.0


STALE = (
    "the compiled loops disagree with losses.py as it is now: if you edited "
    "losses.py or rules.py, numba's cache is stale; delete "
    "gddash/engine/__pycache__/*.nbi and *.nbc"
)


@pytest.mark.parametrize("loss", sorted(losses.LOSS_IDS))
def test_every_loss_reaches_the_compiled_loops_as_written(loss):
    # The loops against the loss's own Python source (py_func), for every loss
    # in LOSS_IDS: a new loss that is not wired in, or a stale cache, fails here.
    from gddash.engine import kernels

    number = losses.loss_of(loss, 0.3)
    rng = np.random.default_rng(9)
    X, y = rng.standard_normal((8, 3)), (rng.random(8) < 0.5) * 1.0
    theta = rng.standard_normal(3)
    expected = theta.copy()
    for x, label in zip(X, y, strict=True):
        r = losses.derivative.py_func(number, float(x @ expected), label)
        expected = expected - 0.1 * r * x
    got = theta.copy()
    kernels.sgd_rows(
        X, y, got, loss=loss, learning_rate=0.1, count=8, t=0, stride=9,
        path=np.empty((1, 3)), grouped=False, epsilon=0.3,
    )  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=1e-13, err_msg=STALE)
    grad = np.empty(3)
    total = data_pass.loss_sums(X, y, theta, 0, 8, grad, loss=loss, epsilon=0.3)
    z = X @ theta
    value_and_slope = [
        losses.terms.py_func(number, v, t) for v, t in zip(z, y, strict=True)
    ]
    values, slopes = np.array(value_and_slope).T
    assert total == pytest.approx(values.sum(), rel=1e-13), STALE
    np.testing.assert_allclose(grad, X.T @ slopes, rtol=1e-12, err_msg=STALE)


def reference_curvature(X, y, theta, loss, epsilon):
    """Σ ℓ'' x xᵀ with ℓ'' in numpy's own functions: σ(1 − σ) for the log-loss
    (σ through logaddexp), Huber's indicator of |z − y| <= ε, squared's 1."""
    z = X @ theta
    if loss == "log":
        sigma = np.exp(-np.logaddexp(0.0, -z))
        weight = sigma * (1.0 - sigma)
    elif loss == "huber":
        weight = (np.abs(z - y) <= epsilon) * 1.0
    else:
        weight = np.ones(len(z))
    return (X.T * weight) @ X


@pytest.mark.parametrize("loss", sorted(losses.LOSS_IDS))
@pytest.mark.parametrize(("rows", "start"), [(1, 0), (7, 2), (256, 0), (1_003, 5)])
def test_curvature_sums_equal_numpys_weighted_products(loss, rows, start):
    """Tiles of 256 rows, four rows at a time: row counts and starts around
    both edges; margins wide enough that the log-loss's weights underflow."""
    rng = np.random.default_rng(rows)
    X = rng.standard_normal((rows + start, 5)) * [1.0, 3.0, 0.1, 10.0, 1.0]
    y = (rng.random(rows + start) < 0.5) * 1.0
    theta = rng.standard_normal(5)
    out = np.full((5, 5), np.nan)
    data_pass.curvature_sums(
        X, y, theta, start, start + rows, out, loss=loss, epsilon=0.7
    )
    expected = reference_curvature(X[start:], y[start:], theta, loss, 0.7)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12, err_msg=STALE)
    np.testing.assert_array_equal(out, out.T)


def test_the_log_losss_curvature_is_sigma_times_one_minus_sigma_within_four_ulps():
    z = np.concatenate([np.linspace(-40.0, 40.0, 2_001), [0.0, 700.0, -700.0]])
    log = losses.loss_of("log")
    got = np.array([losses.curvature(log, v, 0.0) for v in z])
    expected = exactly(lambda v: mpmath.exp(-v) / (1 + mpmath.exp(-v)) ** 2, z)
    nonzero = expected > np.finfo(float).tiny
    assert ulps(got[nonzero], expected[nonzero]).max() <= 4.0
