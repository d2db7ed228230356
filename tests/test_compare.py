"""The comparison layer: fair budgets, the summary table and the verdict's numbers."""

import dataclasses
import json
import math
import re

import numpy as np
import pytest
from sklearn.metrics import r2_score

from gddash import compare, data, share
from gddash.compare import CompareSettings, Optimum
from gddash.engine import RULES, SCHEDULES, Settings, Trace, least_squares
from gddash.errors import SettingsError


def line_dataset(**options):
    frame = data.read_csv(data.load_sample("line"))
    return data.prepare(frame, "y", None, data.PrepareOptions(**options))


def fake_trace(loss, *, epochs, seconds, status="max_iter", theta=(0.0, 0.0)):
    """A hand-made trace: every number in it is chosen by the test."""
    k = len(loss)
    path = np.tile(np.asarray(theta, dtype=float), (k, 1))
    return Trace(
        updates=np.arange(k),
        epochs=np.asarray(epochs, dtype=float),
        samples=(np.asarray(epochs) * 100).astype(int),
        seconds=np.asarray(seconds, dtype=float),
        loss=np.asarray(loss, dtype=float),
        val_loss=None,
        gradient=np.ones((k, 2)),
        learning_rate=np.full(k, 0.1),
        path=path,
        status=status,
        reason="budget",
        message=f"{status} message",
        variant="batch",
        batch_size=1,
    )


def test_run_compares_every_variant_with_the_same_number_of_epochs():
    dataset = line_dataset()
    comparison = compare.run(
        dataset, CompareSettings(epochs=5, descent=Settings(learning_rate=0.1))
    )
    assert list(comparison.table["variant"]) == [
        "Batch",
        "Stochastic (SGD)",
        "Mini-batch",
    ]
    for variant in ("batch", "sgd", "minibatch"):
        assert comparison.primary(variant).n_epochs == pytest.approx(5.0)
    assert comparison.primary("batch").n_updates == 5
    assert comparison.primary("sgd").n_updates == 5 * dataset.n_samples


def test_the_updates_budget_gives_every_variant_the_same_number_of_updates():
    settings = CompareSettings(budget="updates", updates=40, batch_size=10)
    comparison = compare.run(line_dataset(), settings)
    assert {t.n_updates for runs in comparison.traces.values() for t in runs} == {40}
    assert comparison.primary("minibatch").n_samples_processed == 400


def test_repeats_run_stochastic_variants_over_consecutive_seeds_only():
    settings = CompareSettings(repeats=3, epochs=2, descent=Settings(seed=5))
    comparison = compare.run(line_dataset(), settings)
    assert len(comparison.traces["batch"]) == 1
    sgd = comparison.traces["sgd"]
    assert len(sgd) == 3
    assert not np.array_equal(sgd[0].theta, sgd[1].theta)
    assert settings.settings_for("sgd", 2).seed == 7
    spread = comparison.table.set_index("variant").loc["Stochastic (SGD)"]
    assert spread["loss spread over seeds"] == pytest.approx(
        np.ptp([t.final_loss for t in sgd])
    )


def test_table_metrics_match_independent_computations():
    dataset = line_dataset()
    comparison = compare.run(dataset, CompareSettings(epochs=30))
    row = comparison.table.set_index("variant").loc["Batch"]
    trace = comparison.primary("batch")
    theta_star = np.linalg.lstsq(dataset.X, dataset.y, rcond=None)[0]
    assert row["R²"] == pytest.approx(r2_score(dataset.y, dataset.X @ trace.theta))
    assert row["distance to θ*"] == pytest.approx(
        np.linalg.norm(trace.theta - theta_star)
    )
    assert row["gap to optimum"] == pytest.approx(
        trace.final_loss - comparison.optimum.loss
    )
    assert row["final ‖∇L‖"] == pytest.approx(trace.grad_norm[-1])


def test_accuracy_is_reported_for_classification():
    frame = data.read_csv(data.load_sample("breast_cancer"))
    sample = next(s for s in data.samples() if s.key == "breast_cancer")
    dataset = data.prepare(frame, sample.default_target, sample.default_features,
                           data.PrepareOptions())  # fmt: skip
    comparison = compare.run(dataset, CompareSettings(variants=("batch",), epochs=50,
                                                      descent=Settings(learning_rate=1.0)))  # fmt: skip
    accuracy = comparison.table["accuracy"].iloc[0]
    theta = comparison.primary("batch").theta
    assert accuracy == pytest.approx(
        np.mean((dataset.X @ theta >= 0) == (dataset.y == 1))
    )
    assert comparison.optimum.note == "Newton's method"


def test_separable_classes_are_explained_in_the_optimum_note():
    X = np.column_stack([np.ones(6), [-3.0, -2, -1, 1, 2, 3]])
    dataset = data.Dataset(
        X, np.array([0.0, 0, 0, 1, 1, 1]), ("intercept", "x"), "y", "logistic"
    )
    optimum = compare.optimum_for(dataset)
    assert "perfectly separable" in optimum.note
    assert optimum.separable and not optimum.closed_form


def test_verdict_names_the_winner_in_passes_and_in_seconds_with_the_numbers():
    optimum = Optimum(np.zeros(2), 1.0, "closed form")
    traces = {
        "batch": (fake_trace([5, 3, 1.005], epochs=[0, 1, 2], seconds=[0, 0.001, 0.002]),),
        "sgd": (fake_trace([5, 1.009, 1.2, 1.004], epochs=[0, 0.5, 1, 1.5], seconds=[0, 0.01, 0.02, 0.03]),),
        "minibatch": (fake_trace([5, 2, 1.5], epochs=[0, 1, 2], seconds=[0, 0.004, 0.008]),),
    }  # fmt: skip
    dataset = line_dataset()
    table = compare.summary_table(dataset, traces, optimum)
    text = compare.verdict(table, traces, optimum)
    assert text == (
        "Stochastic (SGD) came within 1% of the optimal loss in the fewest passes over "
        "the data (0.5 epochs), Batch in the least time (2 ms); Mini-batch did not get "
        "there in the budget. As expected, batch descent was the "
        "steadier: its loss rose on 0% of recorded steps, Stochastic (SGD)'s on 33%."
    )


def test_verdict_says_when_the_first_to_arrive_did_not_stay():
    optimum = Optimum(np.zeros(2), 1.0, "closed form")
    traces = {
        "batch": (fake_trace([5, 3, 2], epochs=[0, 1, 2], seconds=[0, 1, 2]),),
        "sgd": (fake_trace([5, 1.001, 1.5], epochs=[0, 1, 2], seconds=[0, 1, 2]),),
    }
    table = compare.summary_table(line_dataset(), traces, optimum)
    assert "(1 epochs, though its noisy steps did not stay there)" in compare.verdict(
        table, traces, optimum
    )


def test_verdict_reports_divergence_and_the_closest_when_nobody_arrives():
    optimum = Optimum(np.zeros(2), 1.0, "closed form")
    traces = {
        "batch": (fake_trace([5, 4, 3], epochs=[0, 1, 2], seconds=[0, 1, 2]),),
        "sgd": (fake_trace([5, np.inf], epochs=[0, 1], seconds=[0, 1], status="diverged"),),
    }  # fmt: skip
    table = compare.summary_table(line_dataset(), traces, optimum)
    assert compare.verdict(table, traces, optimum) == (
        "Stochastic (SGD) diverged with this learning rate (see the table for the limit "
        "to stay under). No variant came within 1% of the optimal loss within the "
        "budget; Batch got closest (gap 2)."
    )


def test_a_diverging_variant_does_not_stop_the_others():
    comparison = compare.run(
        line_dataset(),  # batch is stable below 2.0 here, per-row SGD is not at 1.5
        CompareSettings(epochs=20, descent=Settings(learning_rate=1.5)),
    )
    statuses = dict(
        zip(comparison.table["variant"], comparison.table["status"], strict=True)
    )
    assert statuses["Stochastic (SGD)"] == "diverged"
    assert statuses["Batch"] != "diverged"
    assert "diverged with this learning rate" in comparison.verdict


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variants": ()}, "Choose at least one variant to compare."),
        (
            {"variants": ("batch", "adam")},
            "Unknown variant(s) ['adam']: choose among batch, sgd, minibatch.",
        ),
        (
            {"budget": "seconds"},
            "The budget must be 'epochs' or 'updates'. Got 'seconds'.",
        ),
        ({"repeats": 0}, "Repeats must be a whole number from 1 to 20. Got 0."),
    ],
)
def test_invalid_comparison_settings_are_refused(kwargs, message):
    with pytest.raises(SettingsError) as error:
        CompareSettings(**kwargs)
    assert str(error.value) == message


def test_settings_json_is_plain_json():
    text = share.settings_json(compare=CompareSettings(), target="y")
    loaded = json.loads(text)
    assert loaded["target"] == "y"
    assert loaded["compare"]["descent"]["learning_rate"] == 0.01
    assert loaded["compare"]["variants"] == ["batch", "sgd", "minibatch"]


def test_the_optimum_equals_the_svd_least_squares_solution():
    dataset = line_dataset(standardize=False)
    optimum = compare.optimum_for(dataset)
    theta, loss = least_squares(dataset.X, dataset.y)
    np.testing.assert_allclose(optimum.theta, theta, rtol=1e-10)
    assert optimum.loss == pytest.approx(loss, rel=1e-12)
    assert optimum.note == "closed form (normal equations)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": -1.0}, "Epochs must be a number above 0. Got -1.0 instead."),
        ({"epochs": math.nan}, "Epochs must be a number above 0. Got nan instead."),
        ({"updates": 0}, "Updates must be a whole number of at least 1. Got 0 instead."),
        ({"batch_size": 2.5}, "Batch size must be a whole number of at least 1. Got 2.5 instead."),
    ],
)  # fmt: skip
def test_a_comparison_refuses_a_bad_budget_in_its_own_words(options, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        CompareSettings(**options)


def test_whole_float_budgets_become_ints_for_the_engine():
    settings = CompareSettings(budget="updates", updates=5.0, batch_size=8.0)
    engine = settings.settings_for("minibatch", seed_offset=2)
    assert (engine.max_updates, engine.batch_size) == (5, 8)
    assert engine.seed == settings.descent.seed + 2


# --- Models and penalties (issue 15) -----------------------------------------------


def sample_dataset(key, task=None, **options):
    sample = next(s for s in data.samples(tasks=data.TASKS) if s.key == key)
    frame = data.read_csv(data.load_sample(key))
    options = data.PrepareOptions(task=task, **options)
    return data.prepare(frame, sample.default_target, sample.default_features, options)


def test_batch_with_l2_reaches_sklearn_ridge():
    # Ours: 1/(2m)‖Xθ − y‖² + α/2 ‖w‖²; Ridge: ‖Xw + b − y‖² + α_R ‖w‖², the same
    # minimiser when α_R = m·α (multiply ours by 2m). Both leave the intercept alone.
    from sklearn.linear_model import Ridge

    dataset = sample_dataset("diabetes")
    alpha = 0.05
    rate = 0.9 * compare.problem_for(dataset).stable_learning_rate(dataset.n_samples)
    settings = CompareSettings(
        variants=("batch",),
        epochs=200_000,
        descent=Settings(learning_rate=rate, eps=1e-12, penalty="l2", alpha=alpha),
    )
    comparison = compare.run(dataset, settings)
    ridge = Ridge(alpha=dataset.n_samples * alpha, tol=1e-14).fit(
        dataset.X[:, 1:], dataset.y
    )
    expected = np.concatenate([[ridge.intercept_], ridge.coef_])
    np.testing.assert_allclose(comparison.optimum.theta, expected, atol=1e-8)
    np.testing.assert_allclose(comparison.primary("batch").theta, expected, atol=1e-8)
    assert comparison.optimum.note == "closed form (normal equations)"
    assert comparison.optimum.penalty == settings.descent.penalty_term


def test_softmax_on_iris_builds_a_table_with_accuracy():
    dataset = sample_dataset("iris", "softmax")
    settings = CompareSettings(
        epochs=10, descent=Settings(learning_rate=0.2, penalty="l2", alpha=1e-3)
    )
    comparison = compare.run(dataset, settings)
    table = comparison.table
    assert "accuracy" in table and "R²" not in table
    for variant, row in zip(settings.variants, table.itertuples(), strict=True):
        theta = comparison.primary(variant).theta.reshape(3, -1)  # (K, d) row-major
        expected = np.mean(np.argmax(dataset.X @ theta.T, axis=1) == dataset.y)
        assert row.accuracy == pytest.approx(expected)
        assert row.accuracy > 0.8
    assert comparison.optimum.theta.shape == (3 * dataset.n_features,)
    assert "Newton" in comparison.optimum.note
    assert comparison.verdict
    names = compare.parameter_names(dataset)
    assert names[dataset.n_features] == "versicolor, intercept"
    frame = compare.traces_frame(comparison)
    assert "theta[virginica, petal_width]" in frame


def test_huber_is_chosen_by_its_epsilon_and_scored_by_r2_from_residuals():
    dataset = sample_dataset("auto_mpg")
    settings = CompareSettings(epsilon=2.0, descent=Settings(learning_rate=0.05))
    problem = compare.problem_for(dataset, settings)
    assert (problem.kind, problem.epsilon, problem.intercept) == ("huber", 2.0, True)
    comparison = compare.run(dataset, settings)
    theta = comparison.primary("batch").theta
    assert comparison.table.loc[0, "R²"] == pytest.approx(
        r2_score(dataset.y, dataset.X @ theta)
    )
    # θ* minimises the Huber loss: its gradient vanishes there.
    _, gradient = problem.evaluate(comparison.optimum.theta[None, :])
    assert np.abs(gradient).max() < 1e-8


def test_a_cached_optimum_of_another_objective_is_not_used():
    dataset = line_dataset()
    plain_problem = compare.problem_for(dataset)
    plain_optimum = compare.optimum_for(dataset, plain_problem)
    settings = CompareSettings(
        epochs=2, descent=Settings(penalty="l1", alpha=0.5, learning_rate=0.01)
    )
    comparison = compare.run(
        dataset, settings, problem=plain_problem, optimum=plain_optimum
    )
    assert comparison.optimum.note == "coordinate descent"
    assert comparison.optimum.theta[1] != pytest.approx(plain_optimum.theta[1])
    huber = CompareSettings(epochs=2, epsilon=0.5)
    assert not compare.fits(plain_problem, dataset, huber)
    result = compare.run(dataset, huber, problem=plain_problem, optimum=plain_optimum)
    assert result.optimum.problem[:2] == ("huber", 0.5)


@pytest.mark.parametrize("epsilon", [0.0, -1.0, math.nan, math.inf, "0.1"])
def test_huber_epsilon_must_be_above_zero(epsilon):
    with pytest.raises(SettingsError, match="Huber's epsilon must be a number above 0"):
        CompareSettings(epsilon=epsilon)


def test_huber_needs_a_numeric_target():
    dataset = sample_dataset("breast_cancer")
    with pytest.raises(SettingsError, match="Huber regression needs a numeric"):
        compare.problem_for(dataset, CompareSettings(epsilon=0.1))


def test_the_work_estimate_weighs_softmax_classes_huber_and_the_penalty():
    settings = CompareSettings(variants=("sgd",), epochs=100)
    logistic = compare.work(1000, 5, "logistic", settings)
    softmax = compare.work(1000, 15, "softmax", settings, n_classes=3)
    assert softmax > 2.5 * logistic  # three classes: about three times the work
    assert compare.work(1000, 5, "huber", settings) > compare.work(
        1000, 5, "linear", settings
    )
    penalised = dataclasses.replace(
        settings, descent=Settings(penalty="l2", alpha=1e-4)
    )
    assert compare.work(1000, 5, "linear", penalised) > compare.work(
        1000, 5, "linear", settings
    )
    iris = sample_dataset("iris", "softmax")
    assert compare.work_for(iris, settings) == compare.work(
        iris.n_samples, 3 * iris.n_features, "softmax", settings, n_classes=3
    )


def test_the_work_estimate_charges_each_update_for_its_rule_and_schedule():
    # Per-row SGD on 6 parameters: Adam's per-update bookkeeping (two moments, a
    # square root and a division per parameter) made a link at the old limit
    # cost four times plain SGD's CPU; the estimate must grow with it.
    def work(**descent) -> int:
        settings = CompareSettings(
            variants=("sgd",), epochs=1, descent=Settings(**descent)
        )
        return compare.work(1000, 6, "linear", settings)

    plain = work()
    assert plain == 1000 * 6 * 6 + 1000 * 6  # XᵀX once, then 6 products a row
    assert work(rule="adam") == plain + 1000 * math.ceil(2.5 * 6)
    assert plain < work(rule="momentum") < work(rule="rmsprop") < work(rule="adam")
    assert work(schedule="invscaling") > work(schedule="step") > plain
    assert set(compare.RULE_WORK) == set(RULES)
    assert set(compare.SCHEDULE_WORK) == set(SCHEDULES)


@pytest.mark.parametrize(
    ("sample", "task", "epsilon"),
    [
        ("line", "linear", None),
        ("line", "linear", 1.35),
        ("breast_cancer", "logistic", None),
        ("iris", "softmax", None),
    ],
)
def test_a_given_problem_of_the_same_objective_is_used_not_rebuilt(
    sample, task, epsilon, monkeypatch
):
    dataset = sample_dataset(sample, task)
    settings = CompareSettings(variants=("batch",), epochs=2, epsilon=epsilon)
    problem = compare.problem_for(dataset, settings)
    assert compare.fits(problem, dataset, settings)
    built = []
    monkeypatch.setattr(
        compare, "problem_for", lambda *a, **k: built.append(a) or problem
    )
    compare.run(dataset, settings, problem=problem)
    assert built == []  # the page's cached problem serves the run as it is
    other = dataclasses.replace(settings, epsilon=2.0 if epsilon else None)
    if epsilon:  # another Huber ε is another objective
        assert not compare.fits(problem, dataset, other)
