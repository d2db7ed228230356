"""Distributed passes of the log-loss (and Huber) equal the in-memory engine."""

import numpy as np
import pandas as pd
import pytest

from gddash.engine import (
    HuberRegression,
    LogisticRegression,
    Penalty,
    Settings,
    descend,
    minimum,
)
from gddash.errors import DataError
from gddash.scale import gram
from gddash.scale.columns import Columns
from gddash.scale.passes import PassProblem, newton_minimum

dd = pytest.importorskip("dask.dataframe")
COLUMNS = Columns("y", ("a", "b"))


def logistic_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)) * [2.0, 0.5] + [1.0, -3.0]
    p = 1 / (1 + np.exp(-(x @ [1.0, -2.0] - 5.0)))
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (rng.random(n) < p) * 1.0})


def problems(data, loss="log"):
    frame = dd.from_pandas(data, npartitions=3)
    stats = gram.moments(frame, COLUMNS)
    scale = gram.scaling(stats, COLUMNS)
    mine = PassProblem(frame, COLUMNS, scale, stats.n, loss=loss, epsilon=0.5)
    X = scale.design(data[["a", "b"]].to_numpy())
    y = data["y"].to_numpy()
    Reference = LogisticRegression if loss == "log" else HuberRegression
    kwargs = {} if loss == "log" else {"epsilon": 0.5}
    return mine, Reference(X, y, intercept=True, **kwargs)


@pytest.fixture(scope="module")
def logistic():
    return problems(logistic_frame())


def test_losses_and_gradients_at_a_stack_of_points_in_one_pass(logistic):
    mine, reference = logistic
    thetas = np.random.default_rng(1).normal(size=(5, 3))
    for got, want in zip(
        mine.evaluate(thetas), reference.evaluate(thetas), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_batch_descent_equals_the_engine(logistic):
    mine, reference = logistic
    settings = Settings(variant="batch", learning_rate=0.5, max_epochs=15)
    trace = gram.batch_trace(mine, settings, mine.n)
    expected = descend(reference, settings)
    np.testing.assert_allclose(trace.loss, expected.loss, rtol=1e-10)
    np.testing.assert_allclose(trace.path, expected.path, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("penalty", [None, Penalty("l2", alpha=0.05)])
def test_newton_optimum_equals_the_engine(logistic, penalty):
    mine, reference = logistic
    got, want = newton_minimum(mine, penalty), minimum(reference, penalty)
    assert got.converged
    np.testing.assert_allclose(got.theta, want.theta, rtol=1e-8, atol=1e-9)
    assert got.loss == pytest.approx(want.loss, rel=1e-10)


def test_huber_losses_equal_the_engine():
    data = logistic_frame(120)
    data["y"] = data["a"] * 2 + np.random.default_rng(3).standard_t(2, size=120)
    mine, reference = problems(data, loss="huber")
    thetas = np.random.default_rng(1).normal(size=(3, 3))
    for got, want in zip(
        mine.evaluate(thetas), reference.evaluate(thetas), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("loss", ["log", "huber"])
def test_the_passs_hessian_is_the_mean_of_the_losss_weighted_products(loss):
    """Against numpy on the in-memory design: Xᵀ diag(ℓ'') X / n, ℓ'' = σ(1 − σ)
    for the log-loss and 1 inside ±ε for Huber's (ε = 0.5 here)."""
    data = logistic_frame(400, seed=2)
    if loss == "huber":
        data["y"] = data["a"] + np.random.default_rng(3).standard_t(2, size=400)
    mine, reference = problems(data, loss=loss)
    theta = np.array([0.3, -0.8, 1.1])
    X, y = reference.X, reference.y
    z = X @ theta
    if loss == "log":
        sigma = 1.0 / (1.0 + np.exp(-z))
        weight = sigma * (1.0 - sigma)
    else:
        weight = (np.abs(z - y) <= 0.5) * 1.0
    assert 0 < weight.sum() < len(weight)  # both kinds of rows, for Huber
    expected = (X.T * weight) @ X / len(y)
    got = mine.sums(theta, hessian=True)[2]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_a_target_that_is_not_zero_or_one_is_refused():
    data = logistic_frame(30)
    data.loc[4, "y"] = 2.0
    mine, _ = problems(data.assign(y=data["y"].where(data.index != 4, 0.0)))
    bad = PassProblem(
        dd.from_pandas(data, npartitions=2), COLUMNS, mine.scale, 30, loss="log"
    )
    with pytest.raises(DataError, match="values other than 0 and 1"):
        bad.evaluate(np.zeros(3))


@pytest.mark.parametrize("loss", ["log", "huber"])
def test_a_pass_over_pyarrow_pieces_equals_the_pass_over_the_frame(tmp_path, loss):
    from gddash.scale.sources import Access, parquet_pieces, resolve

    data = logistic_frame(5_000, seed=4)
    if loss == "huber":
        data["y"] = (
            data["a"] - data["b"] + np.random.default_rng(5).standard_t(2, 5_000)
        )
    for k, start in enumerate(range(0, 5_000, 1_700)):
        part = data.iloc[start : start + 1_700]
        part.to_parquet(tmp_path / f"part-{k}.parquet", index=False, row_group_size=700)
    source = resolve(str(tmp_path), Access(tmp_path))
    pieces = parquet_pieces(source, COLUMNS.names)
    assert len(pieces) == 3
    frame, _ = problems(data, loss=loss)
    from_pieces = PassProblem(  # no frame: every pass must read the pieces
        None, COLUMNS, frame.scale, frame.n, loss=loss, epsilon=0.5,
        pieces=tuple(pieces),
    )  # fmt: skip
    thetas = np.random.default_rng(6).normal(size=(4, 3))
    for got, want in zip(from_pieces.sums(thetas), frame.sums(thetas), strict=True):
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    hessians = (
        from_pieces.sums(thetas[:1], hessian=True)[2],
        frame.sums(thetas[:1], hessian=True)[2],
    )
    np.testing.assert_allclose(*hessians, rtol=1e-12, atol=1e-14)


class SeenToTwelveDecimals:
    """A problem of passes whose F = 1 + Σ log cosh(θ − c) is seen only to 12
    decimals, as rounding hides a loss's last changes near θ*; its gradient
    (tanh) and Hessian (sech²) are exact."""

    def __init__(self, c):
        self.c = np.asarray(c, dtype=float)
        self.n_params = len(self.c)
        self.penalised = np.ones(self.n_params, dtype=bool)

    def sums(self, thetas, hessian=False):
        delta = np.atleast_2d(thetas) - self.c
        losses = np.round(1.0 + np.log(np.cosh(delta)).sum(axis=1), 12)
        curvature = np.diag(1 / np.cosh(delta[0]) ** 2) if hessian else None
        return losses, np.tanh(delta), curvature


def test_newton_takes_steps_the_loss_cannot_see_while_they_shrink_the_gradient():
    # From θ = 0 Newton's iterates near c are ~6e-11 and then ~1e-31 away: F
    # cannot tell those two apart, so a search on F alone stops at the first.
    problem = SeenToTwelveDecimals([0.5, -0.3])
    found = newton_minimum(problem, tol=1e-14)
    assert found.converged
    np.testing.assert_allclose(found.theta, problem.c, rtol=0, atol=1e-14)


def test_a_step_the_loss_cannot_see_is_undone_when_it_grows_the_gradient():
    class Flat(SeenToTwelveDecimals):
        """F looks flat; its gradient is arctan's, where Newton's steps from
        ±2 overshoot ever further."""

        def sums(self, thetas, hessian=False):
            delta = np.atleast_2d(thetas) - self.c
            curvature = np.diag(1 / (1 + delta[0] ** 2)) if hessian else None
            return np.ones(len(delta)), np.arctan(delta), curvature

    problem = Flat([-2.0])  # θ starts at 0, 2 from c: the step goes to -5.5
    found = newton_minimum(problem)
    assert not found.converged
    np.testing.assert_array_equal(found.theta, [0.0])  # as before the step
