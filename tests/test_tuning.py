"""gddash.tuning against independent references: numpy's eigvalsh, the engine's
own traces, closed forms and a simulation written here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gddash import compare, data
from gddash.compare import CompareSettings
from gddash.data import Dataset, PrepareOptions
from gddash.engine import (
    LinearRegression,
    LogisticRegression,
    Settings,
    descend,
    logistic_optimum,
)
from gddash.errors import DataError, SettingsError
from gddash.tuning import curvature, range_test, sweep, theory, tuned


def regression(n=300, d=3, seed=0, scales=(1.0, 1.0, 1.0), noise=0.3):
    """An intercept and d correlated features of given scales; y linear + noise."""
    rng = np.random.default_rng(seed)
    mix = np.eye(d) + 0.4 * rng.normal(size=(d, d))
    Z = rng.normal(size=(n, d)) @ mix * np.array(scales[:d])
    X = np.column_stack([np.ones(n), Z])
    y = X @ rng.normal(size=d + 1) + noise * rng.normal(size=n)
    return X, y


def classification(n=400, seed=1):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    p = 1 / (1 + np.exp(-(X @ np.array([0.3, 1.5, -1.0]))))
    return X, (rng.random(n) < p).astype(float)


# --- Curvature ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_eigenvalues_and_kappa_equal_numpy_eigvalsh_of_xtx_over_n(seed):
    X, y = regression(seed=seed, scales=(1.0, 5.0, 0.2))
    expected = np.linalg.eigvalsh(X.T @ X / len(X))
    found = curvature.curvature_of(curvature.hessian_at(X, "linear"))
    np.testing.assert_allclose(found.eigenvalues, expected, rtol=1e-12)
    assert found.condition_number == pytest.approx(expected[-1] / expected[0])
    assert found.stable_rate == pytest.approx(2 / expected[-1])
    assert found.best_rate == pytest.approx(2 / (expected[0] + expected[-1]))
    root = np.sqrt(expected[[0, -1]])
    assert found.momentum_rate == pytest.approx(4 / root.sum() ** 2)
    kappa = expected[-1] / expected[0]
    assert found.momentum_beta == pytest.approx(
        ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    )
    # The engine's own Hessian of the squared loss gives the same spectrum.
    engine = curvature.curvature_of(LinearRegression(X, y).hessian)
    np.testing.assert_allclose(engine.eigenvalues, expected, rtol=1e-10)


def test_the_log_loss_hessian_at_theta_star_is_the_engine_gradients_jacobian():
    X, y = classification()
    problem = LogisticRegression(X, y)
    star = logistic_optimum(X, y).theta
    h = 1e-6  # central differences of the engine's gradient: an independent Hessian
    columns = []
    for j in range(X.shape[1]):
        step = np.zeros(X.shape[1])
        step[j] = h
        up = problem.evaluate((star + step)[None, :])[1][0]
        down = problem.evaluate((star - step)[None, :])[1][0]
        columns.append((up - down) / (2 * h))
    numeric = np.column_stack(columns)
    np.testing.assert_allclose(
        curvature.hessian_at(X, "logistic", star), numeric, rtol=1e-6, atol=1e-9
    )


def test_a_flat_direction_has_infinite_kappa_and_a_zero_hessian_is_refused():
    X = np.column_stack([np.ones(5), np.ones(5)])  # two equal columns
    found = curvature.curvature_of(curvature.hessian_at(X, "linear"))
    assert math.isinf(found.condition_number)
    assert found.stable_rate == pytest.approx(1.0)  # λ_max = 2
    with pytest.raises(DataError, match="flat in every direction"):
        curvature.curvature_of(np.zeros((2, 2)))


def test_many_parameters_show_the_largest_eigenvalues_only():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 120))
    found = curvature.curvature_of(curvature.hessian_at(X, "linear"))
    assert len(found.shown()) == curvature.SHOWN_EIGENVALUES
    assert found.shown()[-1] == found.largest


def test_standardizing_lowers_kappa_by_what_the_raw_columns_give():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {"area": rng.normal(1500, 400, 200), "rooms": rng.normal(4, 1.5, 200)}
    )
    frame["price"] = 50 * frame["area"] + 1e4 * frame["rooms"] + rng.normal(size=200)
    dataset = data.prepare(frame, "price", ["area", "rooms"], PrepareOptions())
    star = compare.optimum_for(dataset).theta
    effect = curvature.scaling_effect(dataset, star)
    raw = np.column_stack([np.ones(200), frame[["area", "rooms"]].to_numpy()])
    expected = np.linalg.eigvalsh(raw.T @ raw / 200)
    assert effect.raw == pytest.approx(expected[-1] / expected[0], rel=1e-6)
    standardized = np.linalg.eigvalsh(dataset.X.T @ dataset.X / 200)
    assert effect.standardized == pytest.approx(standardized[-1] / standardized[0])
    assert effect.factor > 1e4


# --- Theory overlays ------------------------------------------------------------


@pytest.mark.parametrize("rate_share", [0.1, 0.5, 0.9, 0.999])
def test_exact_batch_decay_equals_the_engines_loss_at_every_recorded_step(
    rate_share,
):
    X, y = regression(scales=(1.0, 3.0, 0.5))
    problem = LinearRegression(X, y)
    star, loss_star = problem.optimum()
    stable = 2 / np.linalg.eigvalsh(X.T @ X / len(X))[-1]
    rate = rate_share * stable
    trace = descend(problem, Settings(learning_rate=rate, max_epochs=300, eps=0.0))
    overlay = theory.batch_decay(
        problem.hessian, np.zeros(4), star, loss_star, rate, trace.updates
    )
    assert overlay.exact
    np.testing.assert_allclose(overlay.loss, trace.loss, rtol=0, atol=1e-9)


def test_exact_momentum_decay_equals_the_engines_heavy_ball_run():
    X, y = regression(seed=2, scales=(1.0, 4.0, 0.3))
    problem = LinearRegression(X, y)
    star, loss_star = problem.optimum()
    found = curvature.curvature_of(problem.hessian)
    trace = descend(
        problem,
        Settings(
            learning_rate=found.momentum_rate,
            rule="momentum",
            momentum=found.momentum_beta,
            max_epochs=200,
            eps=0.0,
        ),
    )
    overlay = theory.momentum_decay(
        problem.hessian,
        np.zeros(4),
        star,
        loss_star,
        found.momentum_rate,
        found.momentum_beta,
        trace.updates,
    )
    np.testing.assert_allclose(overlay.loss, trace.loss, rtol=0, atol=1e-9)
    # The √κ line has the slope β per update.
    rate = theory.momentum_rate(found, trace.updates, trace.loss, loss_star)
    gaps = rate.loss - loss_star
    assert gaps[1] / gaps[0] == pytest.approx(
        found.momentum_beta ** (trace.updates[1] - trace.updates[0])
    )


def test_the_noise_floor_matches_a_simulation_of_its_model():
    """Its model: e ← (1 − ηλ) e − η ξ, ξ ~ N(0, s/b); mean ½λe², simulated here."""
    lam, s, rate, b = np.array([0.5, 2.0]), np.array([1.0, 3.0]), 0.3, 4
    rng = np.random.default_rng(0)
    e = np.zeros((20_000, 2))
    total = np.zeros(2)
    for step in range(400):
        e = (1 - rate * lam) * e - rate * rng.normal(size=e.shape) * np.sqrt(s / b)
        if step >= 200:
            total += (0.5 * lam * e**2).mean(axis=0)
    simulated = total.sum() / 200
    # An n this large makes the without-replacement factor (n − b)/(n − 1) ≈ 1.
    floor = theory.noise_floor(lam, s, rate, b, n_samples=10**12)
    assert floor == pytest.approx(simulated, rel=0.02)
    assert theory.noise_floor(lam, s, 1.5, b, 100) == math.inf  # ηλ_max > 2
    assert theory.noise_floor(lam, s, rate, 100, 100) == 0.0  # batch: no noise


def test_gradient_noise_is_the_per_row_gradient_variance_along_each_eigenvector():
    X, y = regression(n=50, seed=5)
    star, _ = LinearRegression(X, y).optimum()
    r = X @ star - y
    _, vectors = np.linalg.eigh(X.T @ X / 50)
    grads = r[:, None] * X  # per-row gradients; their mean is 0 at θ*
    covariance = grads.T @ grads / 50
    expected = np.einsum("ji,jk,ki->i", vectors, covariance, vectors)
    np.testing.assert_allclose(
        theory.gradient_noise(X, r, vectors), expected, rtol=1e-10
    )


def test_the_inverse_k_guide_passes_through_the_anchor_with_slope_minus_one():
    updates = np.arange(0, 101, 10)
    losses = 1.0 + 5.0 / np.maximum(updates, 1)
    guide = theory.inverse_k(updates, losses, 1.0, anchor=20)
    assert "1/k" in guide.formula
    at = dict(zip(guide.updates.tolist(), guide.loss - 1.0, strict=True))
    assert at[20] == pytest.approx(0.25) and at[40] == pytest.approx(0.125)


# --- Sweep ---------------------------------------------------------------------


def test_rate_grid_is_log_spaced_up_to_a_little_above_the_stable_rate():
    rates = sweep.rate_grid(2.0, 6)
    assert rates[-1] == 3.0 and rates[0] == pytest.approx(0.003)
    ratios = np.diff(np.log10(rates))
    np.testing.assert_allclose(ratios, 0.6, atol=0.01)


def test_batch_grid_spans_one_to_n_and_keeps_the_compare_pages_size():
    assert sweep.batch_grid(200, 6) == (1, 4, 8, 32, 64, 200)
    assert sweep.batch_grid(200, 6, include=(50,))[-1] == 200
    assert 50 in sweep.batch_grid(200, 6, include=(50,))
    assert sweep.batch_grid(3, 6) == (1, 2, 3)


def test_sweep_work_is_the_sum_of_its_cells_comparisons_with_xtx_formed_once():
    settings = sweep.SweepSettings(
        rates=(0.01, 0.1), batch_sizes=(1, 8, 100), rules=("plain", "adam")
    )
    total = sweep.work(100, 3, "linear", settings)
    cells = 0
    for rule in settings.rules:
        for b in settings.batch_sizes:
            variant = sweep.variant_of(b, 100)
            one = CompareSettings(
                variants=(variant,),
                batch_size=b,
                epochs=settings.epochs,
                descent=Settings(rule=rule),
            )
            cells += 2 * (compare.work(100, 3, "linear", one) - 100 * 9)
    assert total == 100 * 9 + cells


def test_a_sweep_over_the_cap_is_refused_before_it_runs():
    settings = sweep.SweepSettings(
        rates=sweep.rate_grid(1.0, 6), batch_sizes=(1, 2, 4), epochs=1000.0
    )
    with pytest.raises(SettingsError, match="million row × parameter products"):
        sweep.check_work(1_000_000, 10, "linear", settings)


def line_problem():
    X, y = regression(n=200, d=1, seed=6)
    problem = LinearRegression(X, y)
    star, loss = problem.optimum()
    optimum = compare.Optimum(star, loss, "closed form")
    return problem, optimum


def test_a_sweep_marks_diverged_cells_and_does_not_depend_on_threads():
    problem, optimum = line_problem()
    stable = 2 / np.linalg.eigvalsh(problem.hessian)[-1]
    settings = sweep.SweepSettings(
        rates=sweep.rate_grid(stable, 4),
        batch_sizes=sweep.batch_grid(200, 3),
        rules=("plain", "momentum"),
        epochs=5.0,
    )
    one = sweep.run(problem, optimum, settings, threads=1)
    two = sweep.run(problem, optimum, settings, threads=2)
    assert len(one.cells) == settings.n_cells
    top = [c for c in one.cells if c.rule == "plain" and c.batch_size == 200]
    assert top[-1].status == "diverged" and math.isnan(top[-1].final_gap)
    assert all(c.status != "diverged" for c in top[:-1])
    strip = [(c.status, c.final_gap, c.rows_to_target) for c in one.cells]
    assert strip == [(c.status, c.final_gap, c.rows_to_target) for c in two.cells]


# --- Tuned vs tuned ---------------------------------------------------------------


def test_tuned_vs_tuned_picks_the_known_best_rate_and_says_the_race_is_tuned():
    # One feature of ±1: XᵀX/n = 1, so batch at η = 1 lands on θ* in one update
    # and every other rate of the grid leaves a gap (1 − η)²·gap₀.
    x = np.tile([1.0, -1.0], 50)
    y = 2.0 * x + np.random.default_rng(0).normal(size=100) * 0.1
    dataset = Dataset(
        X=x[:, None], y=y, feature_names=("x",), target_name="y", task="linear"
    )
    problem = compare.problem_for(dataset)
    optimum = compare.optimum_for(dataset, problem)
    settings = sweep.SweepSettings(
        rates=(0.25, 0.5, 1.0, 1.5, 1.9),
        batch_sizes=(1, 100),
        rules=("plain",),
        epochs=1.0,
    )
    result = sweep.run(problem, optimum, settings)
    choices = tuned.choose(result, ("batch", "sgd"))
    batch = next(c for c in choices if c.variant == "batch")
    assert batch.learning_rate == 1.0
    race = tuned.race(dataset, problem, optimum, result, choices)
    row = race.table[race.table["variant"] == "Batch"].iloc[0]
    assert row["chosen η"] == 1.0
    assert row["gap to optimum"] == pytest.approx(0.0, abs=1e-12)
    assert race.verdict.startswith("Tuned comparison")
    assert "Plain: Batch η = 1," in race.verdict


# --- Range test ----------------------------------------------------------------


def test_range_test_divergence_is_within_one_grid_step_of_two_over_lambda_max():
    X, y = regression(n=200, d=2, seed=8, scales=(1.0, 1.0))
    problem = LinearRegression(X, y)
    stable = 2 / np.linalg.eigvalsh(problem.hessian)[-1]
    settings = range_test.RangeSettings(batch_size=10**6)  # batch descent
    result = range_test.run(problem, settings)
    steps = math.log(result.divergence / stable) / math.log(settings.ratio)
    assert abs(steps) <= 1.0
    assert result.steepest < result.divergence


@pytest.mark.parametrize("seed", range(5))
def test_on_batch_least_squares_the_loss_never_rises_below_two_over_lambda_max(seed):
    # A step η raises L only if η > 2‖g‖²/gᵀHg ≥ 2/λ_max: the point never lies below.
    X, y = regression(seed=seed, scales=(1.0, 10.0, 0.1))
    problem = LinearRegression(X, y)
    stable = 2 / np.linalg.eigvalsh(problem.hessian)[-1]
    result = range_test.run(problem, range_test.RangeSettings(batch_size=10**6))
    assert result.divergence >= stable
    rises = np.flatnonzero(np.diff(result.losses) > 0) + 1
    assert (result.rates[rises] >= stable).all()


def test_range_test_chains_exactly_one_engine_run():
    """Batch plain updates at the test's rates, written out here."""
    X, y = regression(n=60, seed=9)
    problem = LinearRegression(X, y)
    settings = range_test.RangeSettings(low=1e-3, high=1.0, steps=8, batch_size=60)
    result = range_test.run(problem, settings)
    theta, expected = np.zeros(4), []
    for rate in settings.rates():
        theta = theta - rate * X.T @ (X @ theta - y) / 60
        expected.append(np.sum((X @ theta - y) ** 2) / 120)
    np.testing.assert_allclose(result.losses, expected[: len(result.losses)], rtol=1e-9)


def test_three_seeds_of_a_mini_batch_range_test_differ():
    X, y = regression(n=500, seed=10)
    tests = range_test.run_seeds(
        LinearRegression(X, y), range_test.RangeSettings(batch_size=8)
    )
    assert [t.seed for t in tests] == [0, 1, 2]
    assert not np.array_equal(tests[0].losses[:10], tests[1].losses[:10])


def test_a_range_test_at_the_optimum_is_refused_with_a_sentence():
    with pytest.raises(DataError, match="already the optimal loss"):
        range_test.check_start(0.0, 0.0)
    range_test.check_start(1.0, 0.5)  # a gap: fine


# --- Charts ----------------------------------------------------------------------


def test_the_heatmap_marks_diverged_cells_draws_the_limit_and_selects_a_cell():
    from gddash.charts import tuning as charts

    problem, optimum = line_problem()
    stable = 2 / np.linalg.eigvalsh(problem.hessian)[-1]
    settings = sweep.SweepSettings(
        rates=sweep.rate_grid(stable, 4),
        batch_sizes=(1, 200),
        rules=("plain",),
        epochs=5.0,
    )
    result = sweep.run(problem, optimum, settings)
    spec = charts.sweep_heatmap(result, "plain", "gap", stable).to_dict()
    layers = spec["layer"]
    filters = [t["filter"] for layer in layers for t in layer.get("transform", [])]
    assert "datum.diverged" in filters and "!datum.diverged" in filters
    params = spec.get("params", []) + [
        p for lay in layers for p in lay.get("params", [])
    ]
    assert [p["name"] for p in params] == ["cell"]
    assert any(layer["mark"]["type"] == "rule" for layer in layers)
    rows = charts.sweep_rows(result)
    diverged = rows[rows["diverged"]]
    assert diverged["shown gap"].isna().all()  # never coloured as "large"
    assert set(rows["cell"]) == {
        f"plain|{c.batch_size}|{c.learning_rate!r}" for c in result.cells
    }


def test_theory_and_range_charts_label_their_formulas_and_the_limit():
    from gddash.charts import tuning as charts
    from gddash.charts.style import description
    from gddash.tuning import predictions

    X, y = regression(n=200, seed=11)
    frame = pd.DataFrame(X[:, 1:], columns=["a", "b", "c"]).assign(y=y)
    dataset = data.prepare(frame, "y", ["a", "b", "c"], PrepareOptions())
    problem = compare.problem_for(dataset)
    optimum = compare.optimum_for(dataset, problem)
    bend = curvature.dataset_curvature(dataset, optimum.theta)
    demos = predictions.demonstrations(
        dataset, problem, optimum, bend, learning_rate=0.1, batch_size=8, epochs=3
    )
    assert [d.key for d in demos] == ["batch", "momentum", "noise", "decay"]
    spec = charts.theory_chart(demos[0], optimum.loss).to_dict()
    labels = spec["encoding"]["color"]["scale"]["domain"]
    assert labels == ["measured", "exact decay: L* + ½ Σᵢ λᵢ (1 − ηλᵢ)^(2k) cᵢ²"]
    tests = range_test.run_seeds(problem, range_test.RangeSettings(), 3)
    chart = charts.range_test_chart(tests, bend.stable_rate)
    assert "noisy" in chart.to_dict()["title"]["text"]
    assert f"{bend.stable_rate:.3g}" in description(chart)
