"""Penalties (l2, l1, elasticnet) against scikit-learn and textbook maths.

Conversions of α, with m rows and our objective 1/(2m)‖Xθ − y‖² + α R(w):
- ``Ridge(alpha=α_R)`` minimises ‖Xw − y‖² + α_R ‖w‖²: α_R = m·α;
- ``Lasso(alpha=α)`` and ``ElasticNet(alpha=α, l1_ratio=ρ)`` minimise
  1/(2m)‖Xw − y‖² + αρ‖w‖₁ + ½α(1 − ρ)‖w‖²: the same α and ρ;
- ``SGDRegressor`` / ``SGDClassifier``: the same α and ρ (our definition);
- ``LogisticRegression(C=C)`` minimises C Σ ℓ + ½‖w‖²: C = 1/(m·α).
Each test fits scikit-learn without the ones column (fit_intercept=True) and
the engine with it (``intercept=True``: column 0 is not penalised).
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, Ridge, SGDClassifier, SGDRegressor
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from gddash.engine import (
    LinearRegression,
    LogisticRegression,
    Objective,
    Penalty,
    Settings,
    descend,
)
from gddash.engine.optima import minimum
from gddash.errors import DataError, SettingsError

ALPHA = 0.05


def regression_data(n=300, d=5, seed=0):
    """A ones column, then features of which the last two do not matter."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, d - 1))
    coef = np.zeros(d - 1)
    coef[: d - 3] = rng.uniform(-2, 2, d - 3)
    y = 0.5 + Z @ coef + 0.3 * rng.standard_normal(n)
    return np.column_stack([np.ones(n), Z]), y


def fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


PENALTY_CASES = [
    ("l2", {}),
    ("l1", {}),
    ("elasticnet", {"l1_ratio": 0.4}),
]


# -- per-row SGD is scikit-learn's update, penalty included ---------------------------
@pytest.mark.parametrize(("penalty", "extra"), PENALTY_CASES)
@pytest.mark.parametrize("epochs", [1, 4])
def test_penalised_sgd_equals_sklearn_sgdregressor(penalty, extra, epochs):
    X, y = regression_data()
    rate = 0.01
    trace = descend(
        LinearRegression(X, y, intercept=True),
        Settings(
            variant="sgd", learning_rate=rate, max_epochs=epochs, shuffle=False,
            eps=0, penalty=penalty, alpha=ALPHA, **extra,
        ),
    )  # fmt: skip
    reference = fit_quietly(
        SGDRegressor(
            penalty=penalty, alpha=ALPHA, l1_ratio=extra.get("l1_ratio", 0.15),
            learning_rate="constant", eta0=rate, shuffle=False, max_iter=epochs,
            tol=None,
        ),
        X[:, 1:], y,
    )  # fmt: skip
    assert trace.n_updates == epochs * len(y)
    assert abs(trace.theta[0] - reference.intercept_[0]) < 1e-10
    np.testing.assert_allclose(trace.theta[1:], reference.coef_, rtol=0, atol=1e-10)
    if penalty != "l2":  # L1's truncated gradient sets the idle weights to 0 exactly
        assert (trace.theta[-2:] == 0.0).all() == (reference.coef_[-2:] == 0.0).all()


@pytest.mark.parametrize(("penalty", "extra"), PENALTY_CASES)
def test_penalised_logistic_sgd_equals_sklearn_sgdclassifier(penalty, extra):
    X, y = regression_data(seed=4)
    labels = (y > np.median(y)).astype(float)
    rate = 0.05
    trace = descend(
        LogisticRegression(X, labels, intercept=True),
        Settings(
            variant="sgd", learning_rate=rate, max_epochs=3, shuffle=False, eps=0,
            penalty=penalty, alpha=0.01, **extra,
        ),
    )  # fmt: skip
    reference = fit_quietly(
        SGDClassifier(
            loss="log_loss", penalty=penalty, alpha=0.01,
            l1_ratio=extra.get("l1_ratio", 0.15), learning_rate="constant",
            eta0=rate, shuffle=False, max_iter=3, tol=None,
        ),
        X[:, 1:], labels,
    )  # fmt: skip
    assert abs(trace.theta[0] - reference.intercept_[0]) < 1e-10
    np.testing.assert_allclose(trace.theta[1:], reference.coef_[0], atol=1e-10)


def test_penalised_sgd_with_invscaling_equals_sklearn():
    # scikit-learn's invscaling is η₀ / t^power_t with t counted from 1, as ours.
    X, y = regression_data(seed=2)
    trace = descend(
        LinearRegression(X, y, intercept=True),
        Settings(
            variant="sgd", learning_rate=0.05, schedule="invscaling", power_t=0.3,
            max_epochs=2, shuffle=False, eps=0, penalty="elasticnet", alpha=ALPHA,
            l1_ratio=0.7,
        ),
    )  # fmt: skip
    reference = fit_quietly(
        SGDRegressor(
            penalty="elasticnet", alpha=ALPHA, l1_ratio=0.7,
            learning_rate="invscaling", eta0=0.05, power_t=0.3, shuffle=False,
            max_iter=2, tol=None,
        ),
        X[:, 1:], y,
    )  # fmt: skip
    assert abs(trace.theta[0] - reference.intercept_[0]) < 1e-10
    np.testing.assert_allclose(trace.theta[1:], reference.coef_, atol=1e-10)


def test_without_intercept_every_weight_is_penalised():
    X, y = regression_data(seed=3)
    Z = X[:, 1:]
    trace = descend(
        LinearRegression(Z, y),
        Settings(
            variant="sgd", learning_rate=0.01, max_epochs=2, shuffle=False, eps=0,
            penalty="l2", alpha=ALPHA,
        ),
    )  # fmt: skip
    reference = fit_quietly(
        SGDRegressor(
            penalty="l2", alpha=ALPHA, learning_rate="constant", eta0=0.01,
            shuffle=False, max_iter=2, tol=None, fit_intercept=False,
        ),
        Z, y,
    )  # fmt: skip
    np.testing.assert_allclose(trace.theta, reference.coef_, atol=1e-10)


# -- batch descent reaches scikit-learn's penalised optima ------------------------------
def test_batch_l2_converges_to_sklearn_ridge():
    X, y = regression_data()
    m = len(y)
    trace = descend(
        LinearRegression(X, y, intercept=True),
        Settings(learning_rate=0.5, max_epochs=20_000, eps=1e-12, penalty="l2",
                 alpha=ALPHA),
    )  # fmt: skip
    reference = Ridge(alpha=m * ALPHA, tol=1e-14).fit(X[:, 1:], y)
    assert trace.status == "converged"
    assert abs(trace.theta[0] - reference.intercept_) < 1e-8
    np.testing.assert_allclose(trace.theta[1:], reference.coef_, rtol=0, atol=1e-8)


@pytest.mark.parametrize(
    ("penalty", "reference"),
    [
        (Penalty("l1", ALPHA), Lasso(alpha=ALPHA, tol=1e-14, max_iter=100_000)),
        (
            Penalty("elasticnet", ALPHA, 0.3),
            ElasticNet(alpha=ALPHA, l1_ratio=0.3, tol=1e-14, max_iter=100_000),
        ),
    ],
)
def test_batch_l1_converges_to_sklearn_lasso_and_elastic_net(penalty, reference):
    X, y = regression_data()
    trace = descend(
        LinearRegression(X, y, intercept=True),
        Settings(
            learning_rate=0.5, max_epochs=20_000, eps=1e-10, penalty=penalty.kind,
            alpha=penalty.alpha, l1_ratio=penalty.l1_ratio,
        ),
    )  # fmt: skip
    reference.fit(X[:, 1:], y)
    assert trace.status == "converged"
    assert abs(trace.theta[0] - reference.intercept_) < 1e-6
    np.testing.assert_allclose(trace.theta[1:], reference.coef_, rtol=0, atol=1e-6)
    # The proximal step lands weights on 0 exactly, where scikit-learn's do.
    np.testing.assert_array_equal(trace.theta[1:] == 0.0, reference.coef_ == 0.0)
    assert (trace.theta == 0.0).any()


def test_batch_l2_logistic_converges_to_sklearn_logistic_regression():
    X, y = regression_data(seed=5)
    labels = (y + np.random.default_rng(1).logistic(size=len(y)) > 0.5).astype(float)
    alpha = 0.01
    trace = descend(
        LogisticRegression(X, labels, intercept=True),
        Settings(learning_rate=4.0, max_epochs=20_000, eps=1e-10, penalty="l2",
                 alpha=alpha),
    )  # fmt: skip
    reference = SkLogisticRegression(C=1 / (len(y) * alpha), tol=1e-12, max_iter=1000)
    reference.fit(X[:, 1:], labels)
    assert trace.status == "converged"
    assert abs(trace.theta[0] - reference.intercept_[0]) < 1e-6
    np.testing.assert_allclose(trace.theta[1:], reference.coef_[0], atol=1e-6)


# -- the references themselves -------------------------------------------------------
@pytest.mark.parametrize(
    ("penalty", "reference", "atol"),
    [
        (Penalty("l2", ALPHA), Ridge(alpha=300 * ALPHA, tol=1e-14), 1e-12),
        (Penalty("l1", ALPHA), Lasso(alpha=ALPHA, tol=1e-14, max_iter=10**5), 1e-10),
        (
            Penalty("elasticnet", 0.2, 0.5),
            ElasticNet(alpha=0.2, l1_ratio=0.5, tol=1e-14, max_iter=10**5),
            1e-10,
        ),
    ],
)
def test_penalised_least_squares_optimum_equals_sklearn(penalty, reference, atol):
    X, y = regression_data()
    found = minimum(LinearRegression(X, y, intercept=True), penalty)
    reference.fit(X[:, 1:], y)
    assert found.converged
    assert abs(found.theta[0] - reference.intercept_) < atol
    np.testing.assert_allclose(found.theta[1:], reference.coef_, rtol=0, atol=atol)


@pytest.mark.parametrize(
    "penalty", [Penalty("l2", 0.02), Penalty("l1", 0.01), Penalty("elasticnet", 0.02)]
)
def test_penalised_logistic_optimum_satisfies_the_optimality_conditions(penalty):
    X, y = regression_data(seed=6)
    labels = (y > 0.5).astype(float)
    problem = LogisticRegression(X, labels, intercept=True)
    found = minimum(problem, penalty)
    _, subgradient = problem.evaluate(found.theta[None, :], penalty)
    assert found.converged and not found.separable
    assert np.linalg.norm(subgradient) < 1e-8
    # No nearby point is lower (a kink or a curve, the minimum is the minimum).
    rng = np.random.default_rng(0)
    around = found.theta + 1e-4 * rng.standard_normal((50, len(found.theta)))
    assert (problem.evaluate(around, penalty)[0] >= found.loss).all()


def test_l1_logistic_optimum_equals_sklearn_saga():
    X, y = regression_data(seed=6)
    labels = (y > 0.5).astype(float)
    alpha = 0.01
    found = minimum(LogisticRegression(X, labels, intercept=True), Penalty("l1", alpha))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn 1.8+ deprecates 'penalty'
        reference = SkLogisticRegression(
            penalty="l1", solver="saga", C=1 / (len(y) * alpha), tol=1e-12,
            max_iter=100_000,
        ).fit(X[:, 1:], labels)  # fmt: skip
    np.testing.assert_allclose(found.theta[1:], reference.coef_[0], atol=1e-6)


# -- every variant and rule reaches the penalised optimum ---------------------------------
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
@pytest.mark.parametrize(
    ("variant", "rule", "schedule", "rate"),
    [
        ("batch", "momentum", "constant", 0.2),
        ("batch", "adam", "constant", 0.05),
        ("minibatch", "plain", "invscaling", 0.2),
        ("minibatch", "rmsprop", "exponential", 0.01),
        ("sgd", "plain", "invscaling", 0.05),
        ("sgd", "nesterov", "step", 0.01),
    ],
)
def test_every_variant_and_rule_approaches_the_penalised_optimum(
    penalty, variant, rule, schedule, rate
):
    X, y = regression_data(n=200)
    problem = LinearRegression(X, y, intercept=True)
    spec = Penalty(penalty, 0.1, 0.5)
    best = minimum(problem, spec)
    trace = descend(
        problem,
        Settings(
            variant=variant, rule=rule, schedule=schedule, learning_rate=rate,
            max_epochs=300, batch_size=16, eps=0, penalty=penalty, alpha=0.1,
            l1_ratio=0.5, decay=0.01, step_epochs=50, seed=1,
        ),
    )  # fmt: skip
    assert trace.status == "max_iter"
    assert trace.final_loss >= best.loss - 1e-12  # nothing beats the optimum
    assert trace.final_loss - best.loss < 5e-3 * best.loss
    # The trace records the penalised objective, the reference's definition.
    loss, _ = problem.evaluate(trace.path[-1:], spec)
    assert trace.final_loss == pytest.approx(loss[0], rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    alpha=st.floats(0.0, 2.0),
    ratio=st.floats(0.0, 1.0),
    rate=st.floats(1e-3, 0.3),
    seed=st.integers(0, 2**16),
)
def test_a_small_batch_step_never_raises_the_penalised_objective(
    alpha, ratio, rate, seed
):
    # Proximal gradient with a step below 1/L is a descent method (convex, any α).
    X, y = regression_data(n=60, seed=seed % 7)
    problem = LinearRegression(X, y, intercept=True)
    top = float(np.linalg.eigvalsh(problem.hessian)[-1])
    trace = descend(
        problem,
        Settings(
            learning_rate=rate / (top + alpha), max_epochs=30, eps=0,
            penalty="elasticnet", alpha=alpha, l1_ratio=ratio, seed=seed,
        ),
    )  # fmt: skip
    assert (np.diff(trace.loss) <= 1e-12 * np.abs(trace.loss[:-1])).all()


# -- what is recorded ---------------------------------------------------------------------
def test_the_l1_kink_is_in_the_evaluated_objective():
    X, y = regression_data()
    problem = LinearRegression(X, y, intercept=True)
    spec = Penalty("l1", 0.5)
    star = minimum(problem, spec).theta
    assert star[-1] == 0.0  # an idle weight sits on the kink
    steps = np.linspace(-1e-3, 1e-3, 201)
    thetas = np.tile(star, (len(steps), 1))
    thetas[:, -1] = steps
    losses, _ = problem.evaluate(thetas, spec)
    # Slopes at either side of 0 differ by 2α (|w| has a corner there), not ~0.
    left = (losses[100] - losses[0]) / 1e-3
    right = (losses[200] - losses[100]) / 1e-3
    assert right - left == pytest.approx(2 * 0.5, rel=1e-2)


def test_the_recorded_gradient_is_the_minimum_norm_subgradient():
    spec = Penalty("elasticnet", alpha=1.0, l1_ratio=0.5)  # l1 = l2 = 0.5
    thetas = np.array([[3.0, 2.0, 0.0, 0.0, -1.0]])
    grads = np.array([[0.1, 0.1, 0.3, -0.8, 0.2]])
    mask = np.array([False, True, True, True, True])
    total, smooth, reported = spec.add_to(np.array([1.0]), grads, thetas, mask)
    assert total[0] == 1.0 + 0.5 * 3 + 0.25 * (4 + 1)  # the intercept is free
    np.testing.assert_allclose(smooth, [[0.1, 1.1, 0.3, -0.8, -0.3]])
    # intercept: g; w ≠ 0: g + l1 sign(w); w = 0: g shrunk towards 0 by l1
    np.testing.assert_allclose(reported, [[0.1, 1.6, 0.0, -0.3, -0.8]])


def test_an_unpenalised_run_is_unchanged_by_alpha_zero():
    X, y = regression_data()
    problem = LinearRegression(X, y, intercept=True)
    common = dict(variant="sgd", learning_rate=0.01, max_epochs=2, shuffle=False)
    plain = descend(problem, Settings(**common))
    zero = descend(problem, Settings(**common, penalty="elasticnet", alpha=0.0))
    np.testing.assert_allclose(zero.theta, plain.theta, rtol=1e-13)


# -- refusals ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"penalty": "l2"},
            "The 'alpha' parameter must be a float in [0, inf) with penalty='l2'. Got None instead.",
        ),
        (
            {"penalty": "l1", "alpha": -0.1},
            "The 'alpha' parameter must be a float in [0, inf) or None. Got -0.1 instead.",
        ),
        (
            {"penalty": "l1", "alpha": math.inf},
            "The 'alpha' parameter must be a float in [0, inf) or None. Got inf instead.",
        ),
        (
            {"penalty": "l1", "alpha": math.nan},
            "The 'alpha' parameter must be a float in [0, inf) or None. Got nan instead.",
        ),
        (
            {"penalty": "l2", "alpha": "0.1"},
            "The 'alpha' parameter must be a float in [0, inf) or None. Got '0.1' instead.",
        ),
        (
            {"penalty": "elasticnet", "alpha": 0.1, "l1_ratio": 1.5},
            "The 'l1_ratio' parameter must be a float in [0, 1]. Got 1.5 instead.",
        ),
        (
            {"penalty": "elasticnet", "alpha": 0.1, "l1_ratio": -0.01},
            "The 'l1_ratio' parameter must be a float in [0, 1]. Got -0.01 instead.",
        ),
        (
            {"penalty": "elasticnet", "alpha": 0.1, "l1_ratio": math.nan},
            "The 'l1_ratio' parameter must be a float in [0, 1]. Got nan instead.",
        ),
        (
            {"penalty": "ridge", "alpha": 0.1},
            "The 'penalty' parameter must be one of ('l2', 'l1', 'elasticnet') or None. Got 'ridge' instead.",
        ),
        (
            {"penalty": "l2", "alpha": True},
            "The 'alpha' parameter must be a float in [0, inf) or None. Got True instead.",
        ),
    ],
)
def test_bad_penalty_settings_are_refused_with_sklearn_style_messages(fields, message):
    with pytest.raises(SettingsError) as caught:
        Settings(**fields)
    assert str(caught.value) == message


def test_a_penalty_object_is_validated_like_the_settings():
    with pytest.raises(SettingsError, match="'alpha' parameter must be a float in"):
        Penalty("l2", alpha=-1.0)
    with pytest.raises(SettingsError, match="'l1_ratio'"):
        Penalty("elasticnet", alpha=1.0, l1_ratio=2.0)


def test_a_function_cannot_be_penalised():
    f = Objective(lambda t: float(t @ t), lambda t: 2 * t, 2)
    with pytest.raises(SettingsError, match="penalty='l2' penalises a model"):
        descend(f, Settings(penalty="l2", alpha=0.1))


def test_intercept_true_needs_the_ones_column_first():
    X, y = regression_data()
    with pytest.raises(DataError, match="column 0 of X is the column of ones"):
        LinearRegression(X[:, 1:], y, intercept=True)
    with pytest.raises(DataError, match="column 0 of X is the column of ones"):
        LogisticRegression(X[:, ::-1], (y > 0) * 1.0, intercept=True)


def test_the_penalised_mask_leaves_the_intercept_alone():
    X, y = regression_data()
    assert LinearRegression(X, y, intercept=True).penalised.tolist() == [
        False, True, True, True, True,
    ]  # fmt: skip
    assert LinearRegression(X, y).penalised.all()


# -- runs that go wrong, and repeat ---------------------------------------------------------
@pytest.mark.parametrize("rule", ["plain", "momentum"])
def test_a_penalised_blow_up_is_a_diverged_status(rule):
    X, y = regression_data()
    trace = descend(
        LinearRegression(100 * X[:, 1:], y),
        Settings(variant="sgd", learning_rate=10.0, max_epochs=5, penalty="l1",
                 alpha=0.1, rule=rule),
    )  # fmt: skip
    assert trace.status == "diverged"
    assert "lower the learning rate" in trace.message


def test_a_shuffled_penalised_run_repeats_bit_for_bit():
    X, y = regression_data(n=5000)
    problem = LinearRegression(X, y, intercept=True)
    settings = Settings(variant="sgd", learning_rate=0.01, max_epochs=3, seed=11,
                        penalty="elasticnet", alpha=0.01)  # fmt: skip
    first, second = descend(problem, settings), descend(problem, settings)
    np.testing.assert_array_equal(first.path, second.path)
    np.testing.assert_array_equal(first.loss, second.loss)


def test_the_truncated_gradient_persists_across_epochs_and_stretches():
    # One run of 3 epochs recorded at every update (many compiled stretches)
    # equals the run recorded only at its end: u and q carry over.
    X, y = regression_data(n=100)
    problem = LinearRegression(X, y, intercept=True)
    common = dict(variant="sgd", learning_rate=0.02, max_epochs=3, shuffle=False,
                  eps=0, penalty="l1", alpha=0.05)  # fmt: skip
    fine = descend(problem, Settings(**common, max_points=301))
    coarse = descend(problem, Settings(**common, max_points=2))
    np.testing.assert_array_equal(fine.theta, coarse.theta)


# -- the references' own contract ---------------------------------------------------------
def test_an_unpenalised_minimum_is_the_existing_reference():
    from gddash.engine import least_squares, logistic_optimum

    X, y = regression_data()
    found = minimum(LinearRegression(X, y))
    np.testing.assert_allclose(found.theta, least_squares(X, y)[0], atol=1e-12)
    assert found.method == "closed form (normal equations)"
    labels = (y > 0.5) * 1.0
    found = minimum(LogisticRegression(X, labels))
    np.testing.assert_allclose(found.theta, logistic_optimum(X, labels).theta)
    assert found.method == "Newton's method" and not found.separable


def test_a_reference_out_of_iterations_says_so():
    X, y = regression_data()
    found = minimum(LinearRegression(X, y), Penalty("l1", 0.01), max_iter=1)
    assert not found.converged
    assert found.method == "coordinate descent"
