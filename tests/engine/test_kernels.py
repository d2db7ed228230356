"""The compiled loops against a row-at-a-time Python loop written from the formulas.

The kernels process rows four at a time (``sgd_rows`` with a look-ahead through
x_k·x_l, ``_batch_gradient`` with four dot products per pass); these
tests pin that the grouping changes nothing but rounding, including where a
run blows up part-way through a group and where snapshots fall.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gddash.engine import kernels, native


def reference_rows(X, y, theta, pos, count, lr, logistic):
    """Plain one-row updates in Python floats; stops before a residual ≥ 1e150."""
    theta = [float(v) for v in theta]
    for k in range(count):
        i = pos + k
        z = math.fsum(X[i, j] * theta[j] for j in range(len(theta)))
        prediction = 1.0 / (1.0 + math.exp(-z)) if logistic else z
        r = prediction - y[i]
        if not abs(r) < kernels.BLOW_UP:
            return k, np.array(theta)
        theta = [theta[j] - lr * r * X[i, j] for j in range(len(theta))]
    return count, np.array(theta)


def one_row_updates(X, y, theta, pos, count, lr, logistic):
    """``native.sgd_rows`` with no snapshots: the updates done, θ in place."""
    ipar, fpar = native.new_params()
    ipar[native.I_POS], ipar[native.I_COUNT] = pos, count
    ipar[native.I_LOGISTIC], ipar[native.I_STRIDE] = int(logistic), count + 1
    fpar[native.F_LR0] = lr
    return native.sgd_rows(X, y, theta, ipar, fpar, np.empty((1, len(theta))))


def rows(n, d, seed, logistic):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if logistic:
        return X, (rng.random(n) < 0.5).astype(float)
    return X, X @ rng.uniform(-2, 2, d) + 0.1 * rng.standard_normal(n)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    d=st.integers(1, 7),
    seed=st.integers(0, 1000),
    logistic=st.booleans(),
    lr=st.floats(1e-4, 0.2),
    data=st.data(),
)
def test_grouped_one_row_updates_equal_the_row_at_a_time_loop(
    n, d, seed, logistic, lr, data
):
    X, y = rows(n, d, seed, logistic)
    pos = data.draw(st.integers(0, n - 1))
    count = data.draw(st.integers(0, n - pos))
    theta0 = np.random.default_rng(seed + 1).standard_normal(d)
    theta = theta0.copy()
    done = one_row_updates(X, y, theta, pos, count, lr, logistic)
    expected_done, expected = reference_rows(X, y, theta0, pos, count, lr, logistic)
    assert done == expected_done == count
    np.testing.assert_allclose(theta, expected, rtol=1e-11, atol=1e-12)


def test_a_blow_up_stops_before_the_offending_row_wherever_it_falls_in_a_group():
    positions = set()
    for seed in range(24):
        X, y = rows(200, 3, seed, logistic=False)
        theta = np.zeros(3)
        lr = 40.0  # far beyond the stable rate: residuals grow geometrically
        done = one_row_updates(X, y, theta, 0, 200, lr, False)
        expected_done, expected = reference_rows(X, y, np.zeros(3), 0, 200, lr, False)
        assert done == expected_done < 200
        np.testing.assert_allclose(theta, expected, rtol=1e-9)
        assert np.isfinite(theta).all()
        positions.add(done % 4)
    assert positions == {0, 1, 2, 3}  # every place in a group was exercised


def test_sgd_rows_snapshots_theta_on_the_stride_grid():
    X, y = rows(50, 3, 7, logistic=False)
    ipar, fpar = native.new_params()
    stride, t0 = 6, 4  # the run starts off the grid, after 4 earlier updates
    ipar[native.I_COUNT], ipar[native.I_T], ipar[native.I_STRIDE] = 50, t0, stride
    fpar[native.F_LR0] = 0.05
    path = np.full((60 // stride + 1, 3), np.nan)
    theta = np.zeros(3)
    assert native.sgd_rows(X, y, theta, ipar, fpar, path) == 50
    for t in range(stride, t0 + 50 + 1, stride):
        _, expected = reference_rows(X, y, np.zeros(3), 0, t - t0, 0.05, False)
        np.testing.assert_allclose(path[t // stride], expected, rtol=1e-12)
    assert np.isnan(path[0]).all()  # no snapshot before the run's first update


@pytest.mark.parametrize("logistic", [False, True])
@pytest.mark.parametrize("rows_in_batch", [1, 3, 4, 9])
def test_batch_gradient_is_the_mean_gradient_over_the_batch(logistic, rows_in_batch):
    X, y = rows(20, 5, 3, logistic)
    theta = np.random.default_rng(0).standard_normal(5)
    grad = np.empty(5)
    pos, end = 2, 2 + rows_in_batch
    assert kernels._batch_gradient(X, y, pos, end, theta, logistic, grad)
    z = X[pos:end] @ theta
    prediction = 1 / (1 + np.exp(-z)) if logistic else z
    expected = X[pos:end].T @ (prediction - y[pos:end]) / rows_in_batch
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-14)


def test_batch_gradient_reports_a_non_finite_residual():
    X, y = rows(8, 2, 0, logistic=False)
    theta = np.array([np.nan, 0.0])
    assert not kernels._batch_gradient(X, y, 0, 8, theta, False, np.empty(2))


def test_the_chains_sigmoid_is_within_one_and_a_half_eps_of_the_exact_value():
    import mpmath

    mpmath.mp.prec = 120
    rng = np.random.default_rng(11)
    u = np.concatenate(
        [
            rng.normal(0.0, 4.0, 400),
            rng.uniform(-1070.0, 1070.0, 400),  # both tails, the libm part too
            [0.0, 1e-300, -1e-300, 1 / 256, -1 / 256, 999.9, -999.9, 1000.5],
        ]
    )
    for value in u:
        exact = 1 / (1 + mpmath.power(2, -mpmath.mpf(float(value))))
        got = kernels._sigmoid_base2(float(value))
        if exact < 1e-300:  # below double precision's normal range
            assert got < 1e-300
            continue
        assert abs(mpmath.mpf(got) - exact) <= 1.5 * 2**-52 * exact, value
    assert kernels._sigmoid_base2(math.inf) == 1.0
    assert kernels._sigmoid_base2(-math.inf) == 0.0
    assert math.isnan(kernels._sigmoid_base2(math.nan))
