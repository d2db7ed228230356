"""The numbers behind "How it works", computed without Streamlit.

Each lesson is checked against an independent reference: a gradient written out
with numpy, eigenvalues from ``np.linalg.eigvalsh``, derivatives by hand,
scikit-learn's logistic regression for θ*, and the engine's own run at the rate
a check suggests.
"""

import math

import altair as alt
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from gddash import codegen, compare, data, lessons
from gddash.codegen import advice, bundle
from gddash.compare import CompareSettings
from gddash.engine import Objective, Settings, descend
from gddash.functions import get_preset, symbolic_function


def sample(key):
    """A bundled sample prepared as the learn page prepares it."""
    meta = next(s for s in data.samples() if s.key == key)
    frame = data.read_csv(data.load_sample(key))
    features = meta.default_features or [
        c for c in frame.columns if c != meta.default_target
    ]
    return data.prepare(
        frame,
        meta.default_target,
        list(features),
        data.PrepareOptions(task=meta.task),
    )


@pytest.fixture(scope="module")
def line():
    return sample("line")


@pytest.fixture(scope="module")
def breast_cancer():
    return sample("breast_cancer")


def objective(f):
    """The engine's objective of a parsed formula, as the explorer builds it."""
    return Objective(f.value, f.gradient, f.n_vars)


def run(dataset, variant, rule, rate, epochs=bundle.CODE_EPOCHS):
    """The code section's run of ``variant`` at ``rate``, and its engine settings."""
    settings = CompareSettings(
        variants=(variant,),
        batch_size=bundle.CODE_BATCH,
        epochs=epochs,
        descent=Settings(learning_rate=rate, rule=rule),
    ).settings_for(variant)
    return descend(compare.problem_for(dataset), settings), settings


# --------------------------------------------------------------------------------------
# Formulas
# --------------------------------------------------------------------------------------


def test_first_steps_are_minus_eta_times_the_slope():
    preset = get_preset("parabola")  # f = x² + 2x + 3, f′ = 2x + 2
    f = symbolic_function(preset.text, preset.variables)
    trace = descend(objective(f), lessons.function_settings(preset, max_epochs=50.0))
    steps = lessons.first_steps(trace, k=6)
    x = steps["x_k"].to_numpy()
    assert len(steps) == 6
    np.testing.assert_allclose(steps["f′(x_k)"], 2 * x + 2, rtol=1e-15)
    np.testing.assert_allclose(
        steps["step x_{k+1} − x_k"], -preset.learning_rate * (2 * x + 2), rtol=1e-12
    )
    np.testing.assert_allclose(steps["f(x_k)"], x**2 + 2 * x + 3, rtol=1e-15)


def test_last_steps_show_x_with_every_digit():
    preset = get_preset("parabola")
    f = symbolic_function(preset.text, preset.variables)
    trace = descend(objective(f), lessons.function_settings(preset, eps=0.0))
    last = lessons.last_steps(trace, k=3)
    assert list(last["k"]) == list(trace.updates[-3:])
    assert [float(v) for v in last["x_k (all digits)"]] == list(trace.path[-3:, 0])


def test_floating_point_story_names_the_double_where_x_sticks():
    preset = get_preset("parabola")
    f = symbolic_function(preset.text, preset.variables)
    stalled = descend(objective(f), lessons.function_settings(preset, eps=0.0))
    exact = descend(
        objective(f),
        lessons.function_settings(preset, eps=0.0, learning_rate=0.3),
    )
    story = lessons.floating_point_story(stalled, exact, preset.learning_rate)
    # Doubles just above −1 are 2⁻⁵³ apart: x = −1 + 2⁻⁵² is two of them away.
    assert float(stalled.theta[0]) == -1.0 + 2.0**-52
    assert "x sticks at -0.9999999999999998, 2 doubles away from −1" in story
    assert f"reaches f′ = 0 exactly after {exact.n_updates} updates" in story


def test_difference_quotients_approach_the_partials_until_rounding_takes_over():
    f = symbolic_function(get_preset("himmelblau").text, ("x", "y"))
    exact, table = lessons.difference_quotients(f, (1.0, 2.0))
    # Himmelblau (x² + y − 11)² + (x + y² − 7)² at (1, 2), differentiated by hand:
    # ∂x = 4x(x² + y − 11) + 2(x + y² − 7) = −36, ∂y = 2(x² + y − 11) + 4y(…) = −32.
    assert list(exact) == [-36.0, -32.0]
    errors = dict(zip(table["h"], table["error along x"], strict=True))
    assert errors["1e-05"] < 1e-3 < errors["0.1"]
    assert errors["1e-14"] > errors["1e-05"]  # cancellation in f(x + h) − f(x)


def test_gradient_vector_latex_prints_the_parsed_formula():
    f = symbolic_function("x^2 + 3*y", ("x", "y"))
    value, gradient = lessons.gradient_vector_latex(f)
    assert value == "f(x, y) = x^{2} + 3 y"
    assert gradient == r"\nabla f(x, y) = \left( 2 x, 3 \right)"


# --------------------------------------------------------------------------------------
# Batch, SGD and mini-batch
# --------------------------------------------------------------------------------------


def test_gradient_errors_match_a_naive_half_mse_gradient(line):
    sizes = (1, 16, line.n_samples)
    table = lessons.gradient_errors(line, sizes, seed=3)
    X, y = line.X, line.y
    full = -X.T @ y / len(y)  # ∇ of 1/(2m)‖Xθ − y‖² at θ = 0
    rng = np.random.default_rng(3)
    for size, mean, worst in table.itertuples(index=False):
        order = rng.permutation(len(y))
        batches = np.array_split(order, math.ceil(len(y) / size))
        errors = [
            np.linalg.norm(-X[b].T @ y[b] / len(b) - full) / np.linalg.norm(full)
            for b in batches
        ]
        assert mean == pytest.approx(np.mean(errors), rel=1e-10)
        assert worst == pytest.approx(np.max(errors), rel=1e-10)
    assert table["mean error"].iloc[-1] < 1e-12  # every row: the exact gradient


def test_batch_size_sweep_makes_one_update_per_batch_per_epoch(line):
    sizes = (1, 16, 64, line.n_samples)
    sweep = lessons.batch_size_sweep(line, sizes)
    epochs = lessons.TYPES_SETTINGS.epochs
    expected = [math.ceil(line.n_samples / b) * epochs for b in sizes[:-1]] + [epochs]
    assert list(sweep["updates"]) == expected
    assert (sweep["gap to optimum"] >= -1e-12).all()
    assert sweep["loss rose on"].iloc[-1] == 0.0  # full batch at a stable rate


def test_sweep_verdict_says_when_an_extreme_size_wins():
    def sweep(gaps):
        return pd.DataFrame({"batch size": [1, 16, 200], "gap to optimum": gaps})

    assert "a batch of 16 ended closest" in lessons.sweep_verdict(sweep([3, 1, 2]))
    assert "the extreme size 200" in lessons.sweep_verdict(sweep([3, 2, 1]))


def test_cost_table_reads_rows_times_features_times_8_bytes(line):
    settings = CompareSettings(batch_size=8, epochs=1.0)
    cost = lessons.cost_table(line, settings)
    assert list(cost["rows per update"]) == [line.n_samples, 1, 8]
    assert list(cost["bytes per update"]) == [
        rows * line.n_features * 8 for rows in (line.n_samples, 1, 8)
    ]
    assert list(cost["updates in the epoch"]) == [1, line.n_samples, 25]
    story = lessons.cost_story(cost, one_pass=0.0)
    assert f"{cost['bytes per update'].iloc[1]} bytes" in story


def test_stories_quote_the_comparison(line):
    types = compare.run(line, lessons.TYPES_SETTINGS)
    after = lessons.loss_after_one_pass(types)
    sgd = types.primary("sgd")
    # Between the losses recorded on either side of epoch 1.
    i = np.searchsorted(sgd.epochs, 1.0) - 1
    around = sgd.loss[i : i + 2]
    assert around.min() <= after["Stochastic (SGD)"] <= around.max()
    decaying = compare.run(line, lessons.DECAYING_SGD).primary("sgd")
    story = lessons.sgd_story(types, decaying)
    assert f"{after['Stochastic (SGD)']:.3g} for SGD" in story
    assert f"ends with ‖∇L‖ = {decaying.grad_norm[-1]:.2g}" in story
    errors = lessons.gradient_errors(line, (1, lessons.TYPES_SETTINGS.batch_size))
    assert "a 16-row one by" in lessons.batch_story(types, errors)


def test_rate_lesson_limit_is_two_over_the_top_eigenvalue():
    dataset = sample("ill_conditioned")
    lesson = lessons.rate_lesson(dataset)
    top = np.linalg.eigvalsh(dataset.X.T @ dataset.X / dataset.n_samples)[-1]
    assert lesson.top == pytest.approx(top, rel=1e-12)
    assert lesson.limit == pytest.approx(2 / top, rel=1e-12)
    statuses = {run.label: run.status for run in lesson.runs}
    assert [run.learning_rate for run in lesson.runs] == [
        float(f"{factor * 2 / top:.3g}") for factor in lessons.RATE_FACTORS.values()
    ]
    assert statuses["Too large (1.2 × limit)"] == "diverged"
    assert statuses["About right (0.5 × limit = 1/λ_max)"] != "diverged"


# --------------------------------------------------------------------------------------
# Chart specs
# --------------------------------------------------------------------------------------


def test_wrap_title_breaks_long_titles_at_spaces():
    title = "Training loss above the optimum (log scale), a title far too long"
    spec = lessons.wrap_title({"title": {"text": title, "subtitle": "short"}}, 20)
    lines = spec["title"]["text"]
    assert all(len(line) <= 20 for line in lines)
    assert " ".join(lines) == title
    assert spec["title"]["subtitle"] == ["short"]
    assert lessons.wrap_title({"mark": "line"}) == {"mark": "line"}


def test_spec_of_drops_altairs_view_size():
    chart = alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_line().encode(x="a:Q")
    spec = lessons.spec_of(chart.properties(title="A title"))
    assert "continuousWidth" not in spec.get("config", {}).get("view", {})
    assert spec["title"] == {"text": ["A title"]}


# --------------------------------------------------------------------------------------
# The code section: the exported run's settings
# --------------------------------------------------------------------------------------


def test_adams_rate_is_a_step_in_theta_not_a_curvature_bound(breast_cancer):
    optimum = compare.optimum_for(breast_cancer)
    # θ* of the unpenalised log-loss, by scikit-learn (X has its column of ones).
    reference = LogisticRegression(
        C=np.inf, fit_intercept=False, tol=1e-12, max_iter=10_000
    ).fit(breast_cancer.X, breast_cancer.y)
    distance = np.max(np.abs(reference.coef_[0]))
    assert advice.travel(breast_cancer, optimum) == pytest.approx(distance, rel=1e-4)
    settings, choice = bundle.code_settings(breast_cancer, "sgd", "adam", optimum)
    n_updates = breast_cancer.n_samples * 20
    assert choice.learning_rate == float(f"{3 * distance / n_updates:.1g}")
    assert 0.001 <= choice.learning_rate <= 0.01
    assert settings.descent.learning_rate == choice.learning_rate
    assert "2/λ_max of plain descent does not apply" in choice.reason


@pytest.mark.parametrize("variant", ["batch", "sgd", "minibatch"])
@pytest.mark.parametrize(
    "rule", ["plain", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
)
def test_every_default_export_on_the_line_passes_its_check(line, variant, rule):
    optimum = compare.optimum_for(line)
    settings, _ = bundle.code_settings(line, variant, rule, optimum)
    trace, engine = run(line, variant, rule, settings.descent.learning_rate)
    assert codegen.check_run(trace, line, engine, optimum) is None


def test_code_export_writes_the_scripts_of_the_run_it_made(breast_cancer):
    export = bundle.code_export(breast_cancer, "sgd", "adam")
    engine = export.settings.settings_for("sgd")
    assert engine.learning_rate == export.rate.learning_rate
    trace = descend(compare.problem_for(breast_cancer), engine)
    assert np.array_equal(export.trace.theta, trace.theta)  # same seed, same path
    for text in (export.numpy_text, export.torch_text):
        assert f"N_UPDATES = {trace.n_updates}  #" in text
        assert f"LEARNING_RATE = {engine.learning_rate!r}  # η₀" in text
    assert export.check is None


def test_curve_with_paths_draws_the_function_and_each_run():
    f = symbolic_function("x^2", ("x",))
    trace = descend(objective(f), Settings(learning_rate=0.1, theta0=(2.0,)))
    figure = lessons.curve_with_paths(
        f, (-3.0, 3.0), [(trace, "descent", "#000000")], "A parabola"
    )
    xs = np.asarray(figure.data[0].x)
    assert xs[0] == -3.0 and xs[-1] == 3.0
    np.testing.assert_allclose(np.asarray(figure.data[0].y), xs**2)
    assert any(item.name == "descent" for item in figure.data)
