"""The compiled loops against a row-at-a-time Python loop written from the formulas.

The kernels process rows four at a time (``sgd_rows`` with a look-ahead through
x_k·x_l, the mini-batch gradient with four dot products per pass); these
tests pin that the grouping changes nothing but rounding, including where a
run blows up part-way through a group and where snapshots fall, and that the
grouped loop and the textbook one-row loop agree to 1e-11.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gddash.engine import kernels, rules


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


def one_row_updates(X, y, theta, pos, count, lr, logistic, grouped=True):
    """``kernels.sgd_rows`` from row ``pos``, no snapshots: the updates done."""
    return kernels.sgd_rows(
        X[pos:],
        y[pos:],
        theta,
        loss="log" if logistic else "squared",
        learning_rate=lr,
        count=count,
        t=0,
        stride=count + 1,
        path=np.empty((1, len(theta))),
        grouped=grouped,
    )


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


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    d=st.integers(1, 7),
    seed=st.integers(0, 1000),
    logistic=st.booleans(),
    lr=st.floats(1e-4, 0.2),
)
def test_the_four_row_look_ahead_equals_the_one_row_loop_to_1e_11(
    n, d, seed, logistic, lr
):
    X, y = rows(n, d, seed, logistic)
    theta0 = np.random.default_rng(seed + 1).standard_normal(d)
    grouped, one_row = theta0.copy(), theta0.copy()
    assert one_row_updates(X, y, grouped, 0, n, lr, logistic, grouped=True) == n
    assert one_row_updates(X, y, one_row, 0, n, lr, logistic, grouped=False) == n
    np.testing.assert_allclose(grouped, one_row, rtol=1e-11, atol=1e-11)


def test_sgd_rows_snapshots_theta_on_the_stride_grid():
    X, y = rows(50, 3, 7, logistic=False)
    stride, t0 = 6, 4  # the run starts off the grid, after 4 earlier updates
    path = np.full((60 // stride + 1, 3), np.nan)
    theta = np.zeros(3)
    done = kernels.sgd_rows(
        X, y, theta, loss="squared", learning_rate=0.05, count=50, t=t0,
        stride=stride, path=path,
    )  # fmt: skip
    assert done == 50
    for t in range(stride, t0 + 50 + 1, stride):
        _, expected = reference_rows(X, y, np.zeros(3), 0, t - t0, 0.05, False)
        np.testing.assert_allclose(path[t // stride], expected, rtol=1e-12)
    assert np.isnan(path[0]).all()  # no snapshot before the run's first update


def one_batch_update(X, y, theta, batch_size, logistic, lr=0.5):
    """One plain ``batch_rows`` update on rows 0..batch_size−1: (done, new θ)."""
    theta = theta.copy()
    d = len(theta)
    state = {k: np.zeros(d) for k in ("grad", "m", "v")}
    done = kernels.batch_rows(
        X,
        y,
        theta,
        loss="log" if logistic else "squared",
        batch_size=batch_size,
        count=1,
        t=0,
        stride=2,
        path=np.empty((1, d)),
        rule=kernels.Rule(rules.PLAIN, 0.9, 0.999, 1e-8),
        schedule=kernels.Schedule(rules.CONSTANT, lr, 1.0, 0.25, 0.5, 10.0, 0.1),
        **state,
    )
    return done, theta


@pytest.mark.parametrize("logistic", [False, True])
@pytest.mark.parametrize("rows_in_batch", [1, 3, 4, 9])
def test_a_batch_update_steps_along_the_mean_gradient_of_its_rows(
    logistic, rows_in_batch
):
    X, y = rows(20, 5, 3, logistic)
    theta = np.random.default_rng(0).standard_normal(5)
    done, updated = one_batch_update(X[2:], y[2:], theta, rows_in_batch, logistic)
    rows_x, rows_y = X[2 : 2 + rows_in_batch], y[2 : 2 + rows_in_batch]
    z = rows_x @ theta
    prediction = 1 / (1 + np.exp(-z)) if logistic else z
    expected = theta - 0.5 * rows_x.T @ (prediction - rows_y) / rows_in_batch
    assert done == 1
    np.testing.assert_allclose(updated, expected, rtol=1e-12, atol=1e-14)


def test_a_batch_update_stops_before_a_non_finite_derivative():
    X, y = rows(8, 2, 0, logistic=False)
    theta = np.array([np.nan, 0.0])
    done, updated = one_batch_update(X, y, theta, 8, logistic=False)
    assert done == 0
    np.testing.assert_array_equal(updated, theta)


def sgd_arguments(n=12, d=3):
    rng = np.random.default_rng(0)
    return {
        "X": rng.standard_normal((n, d)),
        "y": rng.standard_normal(n),
        "theta": np.zeros(d),
        "loss": "squared",
        "learning_rate": 0.01,
        "count": n,
        "t": 0,
        "stride": 4,
        "path": np.zeros((n // 4 + 1, d)),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"y": np.zeros(11)}, "same rows and features"),
        ({"theta": np.zeros(2)}, "same rows and features"),
        ({"path": np.zeros((2, 3))}, "do not fit a path of 2 rows"),
        ({"stride": 0}, "a snapshot every 0"),
        ({"count": 13, "path": np.zeros((9, 3))}, "need 13 rows, but there are 12"),
    ],
)
def test_arguments_a_loop_would_read_or_write_past_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        kernels.sgd_rows(**(sgd_arguments() | change))


def test_a_window_gather_copies_exactly_the_rows_of_its_order():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((300, 3)), rng.standard_normal(300)
    rows = rng.permutation(300)[:70]  # any rows, e.g. a window's blocks
    positions = rng.permutation(70)
    buffers = [(np.full((80, 3), np.nan), np.full(80, np.nan)) for _ in range(2)]
    kernels.window_rows(X, y, rows, positions, *buffers)
    out_x, out_y = buffers[1]
    np.testing.assert_array_equal(out_x[:70], X[rows[positions]])
    np.testing.assert_array_equal(out_y[:70], y[rows[positions]])
    assert np.isnan(out_y[70:]).all()  # nothing written past the window


@pytest.mark.parametrize(
    ("rows", "positions", "message"),
    [
        ([0, 300], [1, 0], "rows must lie in 0..299"),
        ([0, -1], [1, 0], "rows must lie in 0..299"),
        ([0, 1], [2, 0], "positions must be 2 values in 0..1"),
        ([0, 1], [0], "positions must be 2 values in 0..1"),
    ],
)
def test_a_window_gather_refuses_rows_outside_the_data(rows, positions, message):
    X, y = np.zeros((300, 3)), np.zeros(300)
    buffers = [(np.empty((4, 3)), np.empty(4)) for _ in range(2)]
    with pytest.raises(ValueError, match=message):
        kernels.window_rows(X, y, np.array(rows), np.array(positions), *buffers)


# -- the penalised and softmax loops refuse what they would read past ----------------------
def _penalised_arguments(**change):
    X = np.ones((4, 2))
    arguments = dict(
        X=X, y=np.ones(4), theta=np.zeros(2), loss="squared", count=4, t=0,
        stride=4, path=np.empty((2, 2)),
        schedule=kernels.Schedule(0, 0.1, 4.0, 0.25, 0.5, 10.0, 0.1),
        penalty=kernels.Shrinkage(0.1, 0.1, np.ones(2, dtype=bool)),
        q=np.zeros(2), u=np.zeros(1),
    )  # fmt: skip
    return arguments | change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"q": np.zeros(3)}, "q must be shaped like theta"),
        ({"u": np.zeros(2)}, "u hold one value"),
        (
            {"penalty": kernels.Shrinkage(0.1, 0.1, np.ones(3, dtype=bool))},
            "the penalty's mask",
        ),
        ({"count": 5}, "5 updates"),
    ],
)
def test_penalised_rows_refuse_mismatched_arguments(change, message):
    with pytest.raises(ValueError, match=message):
        kernels.penalised_sgd_rows(**_penalised_arguments(**change))


def test_penalised_rows_run_and_keep_their_l1_state():
    arguments = _penalised_arguments()
    assert kernels.penalised_sgd_rows(**arguments) == 4
    assert arguments["u"][0] == pytest.approx(4 * 0.1 * 0.1)  # Σ η·l1


def _softmax_arguments(**change):
    arguments = dict(
        X=np.ones((4, 2)), y=np.array([0.0, 1, 2, 0]), theta=np.zeros(6),
        n_classes=3, batch_size=1, count=4, t=0, stride=4, path=np.empty((2, 6)),
        rule=kernels.Rule(0, 0.9, 0.999, 1e-8),
        schedule=kernels.Schedule(0, 0.1, 4.0, 0.25, 0.5, 10.0, 0.1),
        grad=np.zeros(6), m=np.zeros(6), v=np.zeros(6),
    )  # fmt: skip
    return arguments | change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"theta": np.zeros(4)}, "do not describe the same rows and 3 classes"),
        ({"y": np.array([0.0, 1, 3, 0])}, "class indices in 0..2"),
        ({"grad": np.zeros(5)}, "grad, m, v must be shaped like theta"),
        ({"count": 5}, "5 updates need 5 rows"),
        ({"stride": 1}, "do not fit the path"),
    ],
)
def test_softmax_rows_refuse_mismatched_arguments(change, message):
    with pytest.raises(ValueError, match=message):
        kernels.softmax_rows(**_softmax_arguments(**change))
