"""Softmax regression: a textbook loop, scikit-learn's multinomial fit, refusals.

θ is the (K, d) weight matrix flattened row-major. Unpenalised, the loss does
not change when one vector is added to every class's weights; descent from 0
keeps Σ_c θ_c = 0, so scikit-learn's weights are compared after centring them
over the classes. On iris the setosa class is linearly separable from the
others, so the unpenalised loss has no minimum there (the weights grow for
ever): the iris fit is compared with an L2 penalty, C = 1/(m·α), and the
unpenalised one by its probabilities.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from gddash.engine import Penalty, Settings, SoftmaxRegression, descend
from gddash.engine.optima import minimum
from gddash.errors import DataError, SettingsError


def three_classes(n=400, seed=0, spread=1.2):
    """Three overlapping Gaussian clouds in 2-D (not separable), ones column first."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 1.0], [1.0, -0.5], [-1.0, -0.5]])
    labels = rng.integers(0, 3, n)
    Z = centres[labels] + spread * rng.standard_normal((n, 2))
    return np.column_stack([np.ones(n), Z]), labels.astype(float)


def iris():
    data = load_iris()
    Z = (data.data - data.data.mean(axis=0)) / data.data.std(axis=0)
    return Z, data.target.astype(float)


def centred(intercept, coef):
    """scikit-learn's (K,) intercepts and (K, d) weights as our θ, centred."""
    weights = np.column_stack([intercept, coef])
    return (weights - weights.mean(axis=0)).ravel()


def textbook_sgd(X, y, k, rate, epochs, l2=0.0):
    """Per-row SGD on the cross-entropy, one row at a time, in file order."""
    d = X.shape[1]
    W = np.zeros((k, d))
    for _ in range(epochs):
        for x, label in zip(X, y, strict=True):
            scores = W @ x
            p = np.exp(scores - logsumexp(scores))
            p[int(label)] -= 1.0
            gradient = np.outer(p, x)
            gradient[:, 1:] += l2 * W[:, 1:]  # the intercept column is free
            W = W - rate * gradient
    return W.ravel()


def loss_by_formula(X, y, theta, k):
    scores = X @ theta.reshape(k, -1).T
    picked = scores[np.arange(len(y)), y.astype(int)]
    return float(np.mean(logsumexp(scores, axis=1) - picked))


# -- the update and the loss ------------------------------------------------------------
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_per_row_sgd_equals_a_textbook_loop(l2):
    X, y = three_classes(n=200)
    trace = descend(
        SoftmaxRegression(X, y, intercept=True),
        Settings(
            variant="sgd", learning_rate=0.1, max_epochs=2, shuffle=False, eps=0,
            penalty="l2" if l2 else None, alpha=l2 or None,
        ),
    )  # fmt: skip
    expected = textbook_sgd(X, y, 3, 0.1, 2, l2)
    assert trace.n_updates == 400
    np.testing.assert_allclose(trace.theta, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("points", [1, 7])
def test_loss_and_gradient_equal_the_formula(points):
    X, y = three_classes(n=300, seed=1)
    problem = SoftmaxRegression(X, y)
    rng = np.random.default_rng(2)
    thetas = 3 * rng.standard_normal((points, 9))
    losses, grads = problem.evaluate(thetas)
    for k, theta in enumerate(thetas):
        assert losses[k] == pytest.approx(loss_by_formula(X, y, theta, 3), rel=1e-13)
        step = 1e-6
        for j in (0, 4, 8):  # central differences of the loss
            e = np.zeros(9)
            e[j] = step
            slope = (
                loss_by_formula(X, y, theta + e, 3)
                - loss_by_formula(X, y, theta - e, 3)
            ) / (2 * step)
            assert grads[k, j] == pytest.approx(slope, abs=1e-8)


def test_huge_scores_neither_overflow_nor_warn():
    X, y = three_classes(n=50)
    theta = np.array([1e4, 0, 0, -1e4, 0, 0, 0, 0, 0], dtype=float)
    with np.errstate(all="raise"):
        loss, grad = SoftmaxRegression(X, y).evaluate(theta)
    assert math.isfinite(loss[0]) and np.isfinite(grad).all()
    # Scores (1e4, −1e4, 0): class 1 rows cost 2e4, class 2 rows 1e4.
    expected = np.mean(np.select([y == 1, y == 2], [2e4, 1e4], 0.0))
    assert loss[0] == pytest.approx(expected, rel=1e-12)


# -- converging to scikit-learn's multinomial fit ---------------------------------------
def test_batch_converges_to_sklearn_unpenalised_multinomial_on_three_classes():
    X, y = three_classes()
    trace = descend(
        SoftmaxRegression(X, y, intercept=True),
        Settings(learning_rate=2.0, max_epochs=50_000, eps=1e-10),
    )
    reference = SkLogisticRegression(C=np.inf, tol=1e-14, max_iter=10_000)
    reference.fit(X[:, 1:], y)
    assert trace.status == "converged"
    expected = centred(reference.intercept_, reference.coef_)
    np.testing.assert_allclose(trace.theta, expected, rtol=0, atol=1e-5)
    assert abs(trace.theta.reshape(3, 3).sum(axis=0)).max() < 1e-12  # Σ_c θ_c = 0


def test_batch_converges_to_sklearn_l2_multinomial_on_iris():
    Z, y = iris()
    X = np.column_stack([np.ones(len(y)), Z])
    alpha = 0.01
    trace = descend(
        SoftmaxRegression(X, y, intercept=True),
        Settings(learning_rate=2.0, max_epochs=50_000, eps=1e-10, penalty="l2",
                 alpha=alpha),
    )  # fmt: skip
    reference = SkLogisticRegression(C=1 / (len(y) * alpha), tol=1e-14, max_iter=10_000)
    reference.fit(Z, y)
    assert trace.status == "converged"
    expected = centred(reference.intercept_, reference.coef_)
    np.testing.assert_allclose(trace.theta, expected, rtol=0, atol=1e-5)


def test_unpenalised_iris_minimum_has_sklearn_s_probabilities():
    # Separable setosa: no finite minimiser, but both searches end where the
    # predicted probabilities agree.
    Z, y = iris()
    problem = SoftmaxRegression(np.column_stack([np.ones(len(y)), Z]), y)
    found = minimum(problem)
    reference = SkLogisticRegression(C=np.inf, tol=1e-14, max_iter=100_000).fit(Z, y)
    np.testing.assert_allclose(
        problem.probabilities(found.theta), reference.predict_proba(Z), atol=1e-5
    )


@pytest.mark.parametrize(
    "penalty", [None, Penalty("l2", 0.01), Penalty("elasticnet", 0.01, 0.5)]
)
def test_the_softmax_optimum_satisfies_the_optimality_conditions(penalty):
    X, y = three_classes(seed=3)
    problem = SoftmaxRegression(X, y, intercept=True)
    found = minimum(problem, penalty)
    _, subgradient = problem.evaluate(found.theta, penalty)
    assert found.converged and not found.separable
    assert np.linalg.norm(subgradient) < 1e-8


@pytest.mark.parametrize(
    ("variant", "rule", "schedule"),
    [
        ("sgd", "plain", "invscaling"),
        ("minibatch", "adam", "constant"),
        ("minibatch", "momentum", "exponential"),
        ("batch", "nesterov", "constant"),
    ],
)
@pytest.mark.parametrize("penalty", [None, "l1"])
def test_every_variant_and_rule_approaches_the_optimum(
    variant, rule, schedule, penalty
):
    X, y = three_classes(seed=4)
    problem = SoftmaxRegression(X, y, intercept=True)
    best = minimum(problem, None if penalty is None else Penalty(penalty, 0.01))
    rate = {"adam": 0.01, "momentum": 0.01, "nesterov": 0.1}.get(rule, 0.2)
    trace = descend(
        problem,
        Settings(
            variant=variant, rule=rule, schedule=schedule, learning_rate=rate,
            max_epochs=200, batch_size=16, decay=0.01, penalty=penalty,
            alpha=0.01, seed=2,
        ),
    )  # fmt: skip
    assert best.loss - 1e-12 <= trace.final_loss < best.loss * (1 + 5e-3)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), rate=st.floats(0.01, 1.0))
def test_a_mini_batch_of_every_row_is_batch_descent(seed, rate):
    X, y = three_classes(n=40, seed=seed % 5)
    problem = SoftmaxRegression(X, y)
    batch = descend(problem, Settings(learning_rate=rate, max_epochs=20, eps=0))
    mini = descend(
        problem,
        Settings(variant="minibatch", batch_size=40, learning_rate=rate,
                 max_epochs=20, eps=0, seed=seed),
    )  # fmt: skip
    np.testing.assert_allclose(mini.theta, batch.theta, rtol=1e-12, atol=1e-14)


def test_same_seed_same_path():
    X, y = three_classes(n=300)
    problem = SoftmaxRegression(X, y)
    runs = [
        descend(problem, Settings(variant="sgd", learning_rate=0.1, max_epochs=3,
                                  seed=7))
        for _ in range(2)
    ]  # fmt: skip
    np.testing.assert_array_equal(runs[0].path, runs[1].path)


def test_a_blow_up_is_a_diverged_status():
    X, y = three_classes(n=100)
    trace = descend(
        SoftmaxRegression(100 * X, y),
        Settings(learning_rate=1e6, max_epochs=50, variant="minibatch", batch_size=8),
    )
    assert trace.status == "diverged"
    assert "lower the learning rate" in trace.message


# -- refusals ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("y", "kwargs", "error", "message"),
    [
        (
            np.zeros(30),
            {},
            SettingsError,
            "Softmax regression needs a target with 2 to 20 classes. Got 1 distinct value: a target with one class has nothing to tell apart.",
        ),
        (
            np.arange(30.0),
            {},
            SettingsError,
            "Softmax regression needs a target with 2 to 20 classes. Got 30 distinct values: is it a numeric target? Use a regression loss.",
        ),
        (
            np.arange(30.0) % 3 + 0.5,
            {},
            DataError,
            "y must hold class indices 0, 1, …, 2 for softmax regression. Got non-integer values 0.5, 1.5, 2.5: encode each class as its index.",
        ),
        (
            np.arange(30.0) % 3 - 1,
            {},
            DataError,
            "y must hold class indices 0..2 for 3 classes. Got values from -1 to 1: encode each class as its index, or set n_classes.",
        ),
        (
            np.arange(30.0) % 3,
            {"n_classes": 21},
            SettingsError,
            "The 'n_classes' parameter must be an int in [2, 20]. Got 21 instead.",
        ),
        (
            np.arange(30.0) % 3,
            {"n_classes": 2},
            DataError,
            "y must hold class indices 0..1 for 2 classes. Got values from 0 to 2: encode each class as its index, or set n_classes.",
        ),
        (
            np.arange(30.0) % 3,
            {"n_classes": 4},
            DataError,
            "y has no rows of class 3: every class 0..3 needs at least one training row (without one, its weights would run off to -inf).",
        ),
        (
            np.arange(30.0) % 3 * 2,
            {},
            DataError,
            "y has no rows of class 1, 3: every class 0..4 needs at least one training row (without one, its weights would run off to -inf).",
        ),
    ],
)
def test_bad_targets_are_refused_with_a_clear_message(y, kwargs, error, message):
    X = np.ones((30, 2))
    with pytest.raises(error) as caught:
        SoftmaxRegression(X, y, **kwargs)
    assert str(caught.value) == message


def test_ten_thousand_levels_are_refused():
    X = np.ones((10_000, 1))
    with pytest.raises(SettingsError, match="Got 10000 distinct values"):
        SoftmaxRegression(X, np.arange(10_000.0))


def test_validation_labels_must_be_known_classes():
    X, y = three_classes(n=30)
    with pytest.raises(DataError, match=r"y_val must hold class indices 0\.\.2"):
        SoftmaxRegression(X, y, X[:5], np.array([0, 1, 2, 3, 0.0]))


def test_the_intercept_column_of_every_class_is_unpenalised():
    X, y = three_classes(n=30)
    mask = SoftmaxRegression(X, y, intercept=True).penalised
    assert mask.tolist() == [False, True, True] * 3
    assert SoftmaxRegression(X, y).n_params == 9


def test_the_start_at_zero_is_answered_exactly_from_a_cache():
    X, y = three_classes(n=300, seed=5)
    problem = SoftmaxRegression(X, y)
    thetas = np.zeros((2, 9))
    thetas[1, 3] = 0.5
    cached, cached_grads = problem.evaluate(thetas)
    from gddash.engine.softmax import _softmax_values

    direct, direct_grads = _softmax_values(X, y, thetas, 3)
    np.testing.assert_allclose(cached, direct, rtol=1e-14)
    np.testing.assert_allclose(cached_grads, direct_grads, rtol=1e-12, atol=1e-15)
    assert cached[0] == math.log(3)
