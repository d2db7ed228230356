"""Chart builders, checked through their specs (``chart.to_dict()``, ``fig.data``).

Every comparison here is a real ``compare.run`` on a small dataset, so the
charts are checked against the numbers the engine produced: the optimum rule
against the closed-form loss, slices against ½·mean((Xθ − y)²) computed here,
fitted lines against ``np.polyfit``.
"""

import ast
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from gddash import charts, compare, data, slices
from gddash.charts import VARIANT_COLORS, X_AXES
from gddash.compare import VARIANT_TITLES, CompareSettings
from gddash.engine import Settings

TITLES = list(VARIANT_TITLES.values())


# --------------------------------------------------------------------------------------
# Datasets and comparisons (module scope: each is run once)
# --------------------------------------------------------------------------------------


def line_dataset(validation_fraction=0.0):
    """The bundled noisy line: intercept + one feature, so two parameters."""
    frame = data.read_csv(data.load_sample("line"))
    options = data.PrepareOptions(validation_fraction=validation_fraction)
    return data.prepare(frame, "y", ["x"], options)


def linear_dataset(n=150, d=3, seed=0):
    """Intercept + d−1 standard normal features, y linear in them plus noise."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.standard_normal((n, d - 1))])
    y = X @ rng.uniform(-2, 2, d) + 0.3 * rng.standard_normal(n)
    names = ("intercept", *(f"x{k}" for k in range(1, d)))
    return data.Dataset(X=X, y=y, feature_names=names, target_name="y", task="linear")


def logistic_dataset(n=200, seed=0):
    """Two overlapping classes (not separable, so the log-loss has a minimum)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = (x + rng.standard_normal(n) > 0).astype(float)
    X = np.column_stack([np.ones(n), x])
    return data.Dataset(
        X=X,
        y=y,
        feature_names=("intercept", "x"),
        target_name="label",
        task="logistic",
        class_labels=("no", "yes"),
    )


def run(dataset, *, learning_rate=0.05, **options):
    options = {"epochs": 3.0, "batch_size": 16, **options}
    settings = CompareSettings(descent=Settings(learning_rate=learning_rate), **options)
    return compare.run(dataset, settings)


@pytest.fixture(scope="module")
def comparison():
    """All three variants, three seeds for the stochastic ones, validation rows."""
    return run(line_dataset(validation_fraction=0.2), repeats=3)


@pytest.fixture(scope="module")
def single():
    """One seed per variant, no validation rows."""
    return run(line_dataset())


@pytest.fixture(scope="module")
def diverged():
    """Batch is stable at 1.5 on the standardized line; single rows are not."""
    result = run(line_dataset(), learning_rate=1.5, epochs=5.0)
    assert result.primary("sgd").status == "diverged"
    assert result.primary("batch").status != "diverged"
    return result


@pytest.fixture(scope="module")
def exploded(single):
    """SGD's last points overflowed to inf / NaN, as a run past the float range does."""
    trace = single.primary("sgd")
    loss, path, gradient = trace.loss.copy(), trace.path.copy(), trace.gradient.copy()
    loss[-3:] = [np.inf, np.nan, np.inf]
    path[-2:] = np.inf
    gradient[-3:] = np.nan
    broken = dataclasses.replace(
        trace, loss=loss, path=path, gradient=gradient, status="diverged"
    )
    return dataclasses.replace(single, traces={**single.traces, "sgd": (broken,)})


@pytest.fixture(scope="module")
def three_params():
    return run(linear_dataset(d=3), learning_rate=0.1)


@pytest.fixture(scope="module")
def classification():
    return run(logistic_dataset(), learning_rate=0.5)


# --------------------------------------------------------------------------------------
# Reading specs
# --------------------------------------------------------------------------------------


def mark_of(layer):
    mark = layer["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def layers_of(spec, mark):
    return [layer for layer in spec["layer"] if mark_of(layer) == mark]


def rows_of(spec, layer=None):
    """The rows a layer draws (or a facet chart's shared rows)."""
    name = (layer or spec)["data"]["name"]
    return pd.DataFrame(spec["datasets"][name])


def total_rows(spec):
    return sum(len(rows) for rows in spec.get("datasets", {}).values())


def title_text(spec):
    title = spec["title"]
    return " ".join([title["text"], *title.get("subtitle", [])])


def primary_lines(spec):
    """Training-curve rows of the line layer, per variant title."""
    (line,) = layers_of(spec, "line")
    rows = rows_of(spec, line)
    return line, rows[rows["curve"] == "training"]


def rule_value(spec):
    (rule,) = layers_of(spec, "rule")
    field = rule["encoding"]["y"]["field"]
    return float(rows_of(spec, rule)[field].iloc[0]), rows_of(spec, rule)["label"][0]


# --------------------------------------------------------------------------------------
# Colours
# --------------------------------------------------------------------------------------


def relative_luminance(color):
    channels = [int(color[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    high, low = sorted([relative_luminance(a), relative_luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_variant_has_a_distinct_colour_readable_on_light_and_dark():
    assert set(VARIANT_COLORS) == set(TITLES)
    assert len(set(VARIANT_COLORS.values())) == len(TITLES)
    for color in VARIANT_COLORS.values():
        # WCAG's 3:1 for graphics, against white and Streamlit's dark background
        assert contrast(color, "#FFFFFF") >= 3.0, color
        assert contrast(color, "#0E1117") >= 3.0, color


def test_a_variant_keeps_its_colour_when_others_are_left_out(single):
    subset = run(line_dataset(), variants=("minibatch", "sgd"), epochs=1.0)
    for result in (single, subset):
        line, _ = primary_lines(charts.loss_curves(result).to_dict())
        scale = line["encoding"]["color"]["scale"]
        titles = [VARIANT_TITLES[v] for v in result.traces]
        reference = "optimal loss (closed form)"  # the rule, last and grey
        assert scale["domain"] == [*titles, reference]
        assert scale["range"] == [
            *(VARIANT_COLORS[t] for t in titles),
            charts.REFERENCE_COLOR,
        ]


# --------------------------------------------------------------------------------------
# Loss curves
# --------------------------------------------------------------------------------------


def test_loss_curves_draw_each_variants_first_run_as_one_line(comparison):
    spec = charts.loss_curves(comparison).to_dict()
    line, training = primary_lines(spec)
    assert line["encoding"]["color"]["field"] == "variant"
    assert list(training["variant"].unique()) == TITLES
    for variant in comparison.traces:
        trace = comparison.primary(variant)
        drawn = training[training["variant"] == VARIANT_TITLES[variant]]
        np.testing.assert_array_equal(drawn["loss"], trace.loss)
        np.testing.assert_array_equal(drawn["epochs"], trace.epochs)
        assert set(drawn["seed"]) == {comparison.settings.descent.seed}


def test_the_optimum_rule_sits_at_the_closed_form_loss(comparison):
    spec = charts.loss_curves(comparison).to_dict()
    value, label = rule_value(spec)
    assert value == comparison.optimum.loss
    assert label == "optimal loss (closed form)"


def test_the_optimum_rule_of_a_log_loss_says_newton(classification):
    assert "Newton" in classification.optimum.note
    value, label = rule_value(charts.loss_curves(classification).to_dict())
    assert value == classification.optimum.loss
    assert label == "optimal loss (Newton)"


@pytest.mark.parametrize("x", sorted(X_AXES))
def test_the_x_axis_switches_field_title_and_values(comparison, x):
    spec = charts.loss_curves(comparison, x=x).to_dict()
    line, training = primary_lines(spec)
    assert line["encoding"]["x"] == {
        "field": x,
        "title": X_AXES[x],
        "type": "quantitative",
    }
    batch = training[training["variant"] == "Batch"]
    np.testing.assert_array_equal(batch[x], getattr(comparison.primary("batch"), x))
    for layer in spec["layer"]:  # every layer on the same axis: one merged title
        if "x" in layer["encoding"] and "field" in layer["encoding"]["x"]:
            assert layer["encoding"]["x"]["title"] == X_AXES[x]


def test_x_must_be_one_of_the_four_axes(comparison):
    with pytest.raises(ValueError, match="x must be one of"):
        charts.loss_curves(comparison, x="steps")


def test_log_scale_draws_the_gap_above_the_optimum_positive_only(comparison):
    spec = charts.loss_curves(comparison, log_scale=True).to_dict()
    line, rows = primary_lines(spec)
    y = line["encoding"]["y"]
    assert y["field"] == "gap"
    assert y["scale"] == {"type": "log"}
    assert y["title"] == "loss − optimal loss (log)"
    assert "log" in spec["title"]["text"]
    assert (rows["gap"] > 0).all()
    floor = rows["gap"].min()
    expected = np.maximum(rows["loss"] - comparison.optimum.loss, floor)
    np.testing.assert_allclose(rows["gap"], expected, rtol=0, atol=0)
    for band in layers_of(spec, "area"):
        assert (rows_of(spec, band)[["low", "high"]] > 0).all().all()
    # the gap of a validation loss has no sign: left out on this scale
    assert set(rows_of(spec, line)["curve"]) == {"training"}
    value, label = rule_value(spec)
    assert label == "within 1% of the optimal loss"
    assert value == pytest.approx(compare.TARGET_FRACTION * comparison.optimum.loss)


def test_a_band_spans_the_seeds_of_each_repeated_variant(comparison):
    spec = charts.loss_curves(comparison).to_dict()
    (area,) = layers_of(spec, "area")
    assert area["encoding"]["y"]["field"] == "low"
    assert area["encoding"]["y2"]["field"] == "high"
    bands = rows_of(spec, area)
    assert set(bands["variant"]) == {"Stochastic (SGD)", "Mini-batch"}
    assert set(bands["seeds"]) == {3}
    for variant in ("sgd", "minibatch"):
        band = bands[bands["variant"] == VARIANT_TITLES[variant]]
        assert len(band) <= charts.BAND_POINTS
        assert (band["low"] <= band["high"]).all()
        for trace in comparison.traces[variant]:  # every seed lies inside its band
            seed_loss = np.interp(band["epochs"], trace.epochs, trace.loss)
            assert (band["low"] <= seed_loss + 1e-12).all()
            assert (seed_loss <= band["high"] + 1e-12).all()


def test_a_single_seed_draws_no_band(single):
    assert not layers_of(charts.loss_curves(single).to_dict(), "area")


def test_validation_curves_are_dashed_and_can_be_hidden(comparison):
    spec = charts.loss_curves(comparison).to_dict()
    (line,) = layers_of(spec, "line")
    assert set(rows_of(spec, line)["curve"]) == {"training", "validation"}
    dash = line["encoding"]["strokeDash"]
    assert dash["field"] == "curve"
    assert dash["scale"]["domain"] == ["training", "validation"]
    hidden = charts.loss_curves(comparison, show_validation=False).to_dict()
    (line,) = layers_of(hidden, "line")
    assert set(rows_of(hidden, line)["curve"]) == {"training"}
    assert "strokeDash" not in line["encoding"]


def test_hover_shows_exact_values_and_the_legend_highlights_a_variant(comparison):
    spec = charts.loss_curves(comparison).to_dict()
    params = {p["name"]: p for p in spec["params"]}
    assert params["legend"]["bind"] == "legend"
    assert params["legend"]["select"]["fields"] == ["variant"]
    assert params["hover"]["select"]["nearest"] is True
    (points,) = layers_of(spec, "point")
    tooltip = {t["field"]: t for t in points["encoding"]["tooltip"]}
    assert {"variant", "epochs", "loss"} <= set(tooltip)
    digits = int(tooltip["loss"]["format"].strip(".g~"))
    assert digits >= 6
    (line,) = layers_of(spec, "line")
    assert line["encoding"]["opacity"]["condition"][0]["param"] == "legend"


def test_non_finite_points_are_dropped_and_the_variant_stays_in_the_legend(exploded):
    trace = exploded.primary("sgd")
    for spec in (
        charts.loss_curves(exploded).to_dict(),
        charts.loss_curves(exploded, log_scale=True).to_dict(),
    ):
        line, rows = primary_lines(spec)
        sgd = rows[rows["variant"] == "Stochastic (SGD)"]
        assert len(sgd) == np.isfinite(trace.loss).sum() == len(trace.loss) - 3
        assert np.isfinite(sgd["loss"]).all()
        color = line["encoding"]["color"]
        assert "Stochastic (SGD)" in color["scale"]["domain"]
        assert "— diverged" in color["legend"]["labelExpr"]
        assert "Diverged: Stochastic (SGD)" in title_text(spec)


def test_a_diverged_run_does_not_flatten_the_others(diverged):
    spec = charts.loss_curves(diverged).to_dict()
    line, rows = primary_lines(spec)
    low, high = line["encoding"]["y"]["scale"]["domain"]
    tame = rows[rows["variant"] != "Stochastic (SGD)"]["loss"]
    assert high == pytest.approx(tame.max() + 0.05 * (tame.max() - low))
    assert rows["loss"].max() > 1e3 * high  # the blow-up is there, off the chart
    assert line["mark"]["clip"] is True
    assert "leave the top of the chart" in title_text(spec)


def test_huge_losses_get_compact_axis_labels_rather_than_cut_off_digits():
    everything_diverged = run(
        line_dataset(), variants=("batch", "sgd"), learning_rate=50
    )
    spec = charts.loss_curves(everything_diverged).to_dict()
    line, rows = primary_lines(spec)
    assert rows["loss"].max() > 1e9  # so "~g" labels read 1e+9, not 1,000,000,000
    assert line["encoding"]["y"]["axis"]["format"] == "~g"


# compare.summary_table takes np.linalg.norm of the overflowed θ: numpy warns there.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_a_run_that_overflowed_everywhere_still_charts():
    blown = run(line_dataset(), variants=("batch", "sgd"), learning_rate=1e200)
    assert all(r[0].status == "diverged" for r in blown.traces.values())
    assert not np.isfinite(blown.primary("batch").loss).all()
    for chart in (
        charts.loss_curves(blown),
        charts.loss_curves(blown, log_scale=True),
        charts.gradient_norms(blown),
        charts.fit_view(blown),
    ):
        spec = chart.to_dict()
        for rows in spec["datasets"].values():
            values = pd.DataFrame(rows).select_dtypes("number").to_numpy(float)
            assert np.isfinite(values).all()


# --------------------------------------------------------------------------------------
# Gradient norms
# --------------------------------------------------------------------------------------


def test_gradient_norms_are_drawn_on_a_log_axis_with_the_eps_rule(single):
    spec = charts.gradient_norms(single).to_dict()
    line, rows = primary_lines(spec)
    assert line["encoding"]["y"]["scale"]["type"] == "log"
    assert (rows["grad_norm"] > 0).all()
    batch = rows[rows["variant"] == "Batch"]
    np.testing.assert_allclose(batch["grad_norm"], single.primary("batch").grad_norm)
    value, label = rule_value(spec)
    assert value == single.settings.descent.eps
    assert label == "ε (convergence threshold)"


def test_no_eps_rule_when_eps_is_zero():
    settings = CompareSettings(
        epochs=1.0, descent=Settings(learning_rate=0.05, eps=0.0)
    )
    result = compare.run(line_dataset(), settings)
    spec = charts.gradient_norms(result).to_dict()
    assert not layers_of(spec, "rule")


# --------------------------------------------------------------------------------------
# Loss slices
# --------------------------------------------------------------------------------------


def half_mse(dataset, theta):
    """½·mean((Xθ − y)²), straight from the definition."""
    residual = dataset.X @ theta - dataset.y
    return 0.5 * np.mean(residual**2)


def test_a_two_parameter_slice_is_the_whole_surface_with_its_minimum_at_the_optimum(
    single,
):
    star, best = single.optimum.theta, single.optimum.loss
    span = ((star[0] - 1, star[0] + 1), (star[1] - 2, star[1] + 2))
    grid = slices.slice_grid(single, 0, 1, n=21, span=span)
    assert grid.Z.shape == (21, 21)
    row, col = np.argmin(np.abs(grid.b - star[1])), np.argmin(np.abs(grid.a - star[0]))
    assert (row, col) == (10, 10)
    assert grid.Z[row, col] == pytest.approx(best, rel=1e-9)
    assert np.unravel_index(np.argmin(grid.Z), grid.Z.shape) == (10, 10)
    assert "whole loss surface" in grid.note
    full = slices.slice_grid(single, 0, 1)
    assert full.Z.min() >= best - 1e-9 * abs(best)
    assert full.a_name == "θ₀ (intercept)"
    assert full.b_name == "θ₁ (x)"


def test_a_slice_of_three_parameters_matches_the_loss_computed_directly(three_params):
    dataset, star = three_params.dataset, three_params.optimum.theta
    grid = slices.slice_grid(three_params, 1, 2, n=7)
    rng = np.random.default_rng(1)
    for row, col in rng.integers(0, 7, size=(6, 2)):
        theta = star.copy()
        theta[1], theta[2] = grid.a[col], grid.b[row]
        assert grid.Z[row, col] == pytest.approx(half_mse(dataset, theta), rel=1e-10)
    assert (grid.i, grid.j) == (1, 2)
    assert "Other parameters held at their optimal values" in grid.note


def test_the_slice_covers_the_optimum_and_every_path(comparison, three_params):
    for result, (i, j) in ((comparison, (0, 1)), (three_params, (2, 0))):
        grid = slices.slice_grid(result, i, j, n=10)
        star = result.optimum.theta
        assert grid.contains(np.array([star[i]]), np.array([star[j]])).all()
        for variant in result.traces:
            path = result.primary(variant).path
            assert grid.contains(path[:, i], path[:, j]).all(), variant


def test_a_diverged_path_is_cut_at_a_sane_range(diverged):
    grid = slices.slice_grid(diverged, 0, 1, n=10)
    star = diverged.optimum.theta
    reach = max(
        np.abs(diverged.primary(v).path - star).max(axis=0).max()
        for v in ("batch", "minibatch")
    )
    assert np.abs(grid.a - star[0]).max() <= 1.1 * 7 * reach
    assert np.abs(diverged.primary("sgd").path).max() > 1e3 * reach
    assert "Diverged paths run off this range" in grid.note
    paths = {p.name: p for p in charts.comparison_paths(diverged, grid)}
    cut = paths["Stochastic (SGD) — diverged"]
    assert len(cut.a) >= 1
    assert grid.contains(cut.a, cut.b).all()


def test_a_log_loss_slice_shrinks_its_grid_to_the_work_budget(
    classification, monkeypatch
):
    problem = compare.problem_for(classification.dataset)
    m = classification.dataset.n_samples
    monkeypatch.setattr(slices, "LOGISTIC_GRID_BUDGET", 144 * m)
    grid = slices.slice_grid(classification, 0, 1, n=30, problem=problem)
    assert grid.Z.shape == (12, 12)
    assert "Grid reduced to 12×12" in grid.note
    thetas = np.array([[grid.a[3], grid.b[5]]])
    assert grid.Z[5, 3] == pytest.approx(problem.evaluate(thetas)[0][0], rel=1e-12)
    assert grid.Z.min() >= classification.optimum.loss - 1e-9


def test_a_slice_reuses_the_problem_it_is_given(single):
    problem = compare.problem_for(single.dataset)
    given = slices.slice_grid(single, 0, 1, n=8, problem=problem)
    built = slices.slice_grid(single, 0, 1, n=8)
    np.testing.assert_allclose(given.Z, built.Z, rtol=1e-12)


@pytest.mark.parametrize(
    ("i", "j", "n", "message"),
    [(0, 0, 10, "different"), (0, 2, 10, r"\[0, 2\)"), (-1, 1, 10, "index"),
     (0, 1, 1, "n must be")],
)  # fmt: skip
def test_slice_arguments_are_checked(single, i, j, n, message):
    with pytest.raises(ValueError, match=message):
        slices.slice_grid(single, i, j, n=n)


def test_a_surface_grid_checks_shapes_and_never_aliases_the_callers_arrays():
    a, b = np.linspace(0, 1, 4), np.linspace(0, 2, 3)
    Z = np.zeros((3, 4))
    grid = charts.SurfaceGrid(a, b, Z, "x", "y")
    Z[0, 0] = 99.0
    assert grid.Z[0, 0] == 0.0
    assert not grid.Z.flags.writeable
    with pytest.raises(ValueError, match="shape"):
        charts.SurfaceGrid(a, b, Z.T, "x", "y")
    with pytest.raises(ValueError, match="increasing"):
        charts.SurfaceGrid(a[::-1], b, Z, "x", "y")


# --------------------------------------------------------------------------------------
# Paths, surfaces and contours
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def line_grid(comparison):
    return slices.slice_grid(comparison, 0, 1, n=20)


def test_each_variant_path_is_drawn_at_its_true_loss(comparison, line_grid):
    paths = charts.comparison_paths(comparison, line_grid)
    assert [p.name for p in paths] == TITLES
    for path, variant in zip(paths, comparison.traces, strict=True):
        trace = comparison.primary(variant)
        assert path.color == VARIANT_COLORS[VARIANT_TITLES[variant]]
        assert len(path.a) <= charts.MAX_PATH_POINTS
        for end in (0, -1):  # first and last points are always kept
            assert path.a[end] == trace.path[end, 0]
            assert path.b[end] == trace.path[end, 1]
            assert path.z[end] == trace.loss[end]
            assert path.steps[end] == trace.updates[end]
        rows = np.searchsorted(trace.updates, path.steps)
        np.testing.assert_array_equal(path.z, trace.loss[rows])
    sgd = comparison.primary("sgd")
    assert len(sgd.loss) > charts.MAX_PATH_POINTS  # so the thinning was exercised


def optimum_point(result, grid):
    star = result.optimum.theta
    return (star[grid.i], star[grid.j], result.optimum.loss)


def test_the_surface_figure_has_the_surface_the_paths_and_a_steady_camera(
    comparison, line_grid
):
    paths = charts.comparison_paths(comparison, line_grid)
    fig = charts.surface_figure(
        line_grid,
        paths,
        title="Loss surface",
        optimum=optimum_point(comparison, line_grid),
    )
    surface, *drawn, optimum = fig.data
    assert isinstance(surface, go.Surface)
    np.testing.assert_array_equal(surface.z, line_grid.Z)
    assert 0 < surface.opacity < 1
    assert surface.contours.z.show and surface.contours.z.project.z
    assert [type(t) for t in drawn] == [go.Scatter3d] * len(paths)
    for trace, path in zip(drawn, paths, strict=True):
        assert trace.name == path.name
        assert trace.line.color == trace.marker.color == path.color
        assert trace.mode == "lines+markers"
        symbols = trace.marker.symbol
        assert symbols[0] == "circle" and symbols[-1] == "x"
        np.testing.assert_array_equal(trace.z, path.z)
    assert optimum.marker.symbol == "diamond"
    assert (optimum.x[0], optimum.y[0]) == tuple(comparison.optimum.theta)
    assert fig.layout.uirevision == "keep"
    assert fig.layout.scene.camera.eye.z > 0
    assert fig.layout.scene.xaxis.title.text == line_grid.a_name
    assert fig.layout.scene.yaxis.title.text == line_grid.b_name
    assert fig.layout.title.text == "Loss surface"
    assert "whole loss surface" in fig.layout.title.subtitle.text


def test_the_contour_figure_has_the_contours_the_paths_and_the_optimum(
    comparison, line_grid
):
    paths = charts.comparison_paths(comparison, line_grid)
    fig = charts.contour_figure(
        line_grid, paths, title="Contours", optimum=optimum_point(comparison, line_grid)
    )
    contour, *drawn, optimum = fig.data
    assert isinstance(contour, go.Contour)
    np.testing.assert_array_equal(contour.customdata, line_grid.Z)  # hover: Z
    assert [type(t) for t in drawn] == [go.Scatter] * len(paths)
    assert [t.line.color for t in drawn] == [p.color for p in paths]
    assert all(t.marker.symbol[0] != t.marker.symbol[-1] for t in drawn)
    assert optimum.marker.symbol == "star"
    assert fig.layout.uirevision == "keep"
    assert tuple(fig.layout.xaxis.range) == (line_grid.a[0], line_grid.a[-1])
    assert fig.layout.xaxis.title.text == line_grid.a_name
    assert fig.layout.yaxis.scaleanchor is None  # parameters keep their own scales


def bowl_and_rosenbrock():
    xs, ys = np.linspace(-2, 2, 41), np.linspace(-1, 3, 41)
    X, Y = np.meshgrid(xs, ys)
    bowl = charts.SurfaceGrid(xs, ys, X**2 + Y**2, "x", "y", z_name="f(x, y)")
    rosen = (1 - X) ** 2 + 100 * (Y - X**2) ** 2
    return bowl, charts.SurfaceGrid(xs, ys, rosen, "x", "y", z_name="f(x, y)")


def test_contour_levels_are_log_spaced_when_values_span_decades():
    bowl, rosen = bowl_and_rosenbrock()
    even = charts.contour_figure(bowl, [], title="bowl").data[0]
    assert even.ncontours == 20
    np.testing.assert_array_equal(even.z, bowl.Z)
    logged = charts.contour_figure(rosen, [], title="Rosenbrock").data[0]
    assert logged.autocontour is False
    low = rosen.Z.min()
    # monotone in Z, and the colour bar reads in values of Z, not of the log
    order = np.argsort(rosen.Z.ravel())
    assert np.all(np.diff(logged.z.ravel()[order]) >= 0)
    ticks = [float(t) for t in logged.colorbar.ticktext]
    assert ticks[0] == pytest.approx(low, abs=1e-6)
    assert ticks[-1] == pytest.approx(rosen.Z.max(), rel=1e-2)
    assert "log-spaced" in logged.colorbar.title.text


def test_the_explorer_can_draw_its_own_surface_path_and_current_point():
    bowl, _ = bowl_and_rosenbrock()
    path = charts.Path3D(
        "Adam",
        [1.5, 1.0, 0.2],
        [2.0, 1.0, 0.1],
        [6.25, 2.0, 0.05],
        "#CC79A7",
        steps=[0, 1, 2],
    )
    kwargs = {
        "optimum": (0, 0, 0),
        "optimum_name": "minimum",
        "current_point": (1, 1, 2),
    }
    for build in (charts.surface_figure, charts.contour_figure):
        fig = build(bowl, [path], title="f(x, y) = x² + y²", **kwargs)
        names = [trace.name for trace in fig.data]
        assert names == ["f(x, y)", "Adam", "minimum", "current point"]
        assert fig.data[-1].x == (1,)
        assert fig.layout.uirevision == "keep"
    custom = charts.surface_figure(bowl, [], title="t", uirevision="explorer-1")
    assert custom.layout.uirevision == "explorer-1"


def test_a_path_needs_arrays_of_one_length():
    with pytest.raises(ValueError, match="equal lengths"):
        charts.Path3D("p", [0, 1], [0, 1], [0], "#000000")


# --------------------------------------------------------------------------------------
# Arrows
# --------------------------------------------------------------------------------------


def cell_lengths(field, dx, dy):
    return np.hypot(field.u / dx, field.v / dy)


def test_arrows_point_down_the_gradient_with_one_length_in_grid_cells():
    xs, ys = np.linspace(-3, 3, 7), np.linspace(-1, 1, 5)  # cells 1 wide, 0.5 high
    X, Y = np.meshgrid(xs, ys)
    gx, gy = 2 * X, 50 * Y  # f = x² + 25y²: magnitudes differ by far
    field = charts.arrow_field(xs, ys, gx, gy)
    keep = (gx != 0) | (gy != 0)  # no direction at the minimum itself
    assert len(field) == keep.sum() == 34
    np.testing.assert_allclose(cell_lengths(field, 1.0, 0.5), 0.8)
    g = np.column_stack([gx[keep], gy[keep]])
    direction = np.column_stack([field.u, field.v])
    np.testing.assert_allclose(
        direction / np.linalg.norm(direction, axis=1, keepdims=True),
        -g / np.linalg.norm(g, axis=1, keepdims=True),
        atol=1e-12,
    )
    np.testing.assert_allclose(field.magnitude, np.linalg.norm(g, axis=1))
    np.testing.assert_array_equal(field.x, X[keep])
    longer = charts.arrow_field(xs, ys, gx, gy, length=0.5)
    np.testing.assert_allclose(cell_lengths(longer, 1.0, 0.5), 0.5)


def test_arrows_drop_nan_and_infinite_gradients_and_survive_huge_ones():
    xs, ys = np.linspace(0, 1, 3), np.linspace(0, 1, 2)
    gx = np.array([[1.0, np.nan, 1e300], [np.inf, 2.0, -1e300]])
    gy = np.array([[0.0, 1.0, 1e300], [1.0, -np.inf, 0.0]])
    field = charts.arrow_field(xs, ys, gx, gy)
    assert len(field) == 3
    np.testing.assert_allclose(cell_lengths(field, 0.5, 1.0), 0.8)
    assert np.isfinite([field.u, field.v]).all()
    assert field.u[1] < 0 and field.v[1] < 0  # −(1e300, 1e300) still points down


def test_arrow_field_checks_its_shapes():
    with pytest.raises(ValueError, match="shape"):
        charts.arrow_field(
            np.arange(3.0), np.arange(2.0), np.ones((3, 2)), np.ones((3, 2))
        )
    with pytest.raises(ValueError, match="length"):
        charts.arrow_field(
            np.arange(2.0), np.arange(2.0), np.ones((2, 2)), np.ones((2, 2)), length=0
        )


def test_the_contour_figure_draws_arrows_as_one_trace_of_segments():
    _, rosen = bowl_and_rosenbrock()
    xs, ys = np.linspace(-2, 2, 9), np.linspace(-1, 3, 9)
    X, Y = np.meshgrid(xs, ys)
    field = charts.arrow_field(
        xs, ys, -2 * (1 - X) - 400 * X * (Y - X**2), 200 * (Y - X**2)
    )
    fig = charts.contour_figure(rosen, [], title="Rosenbrock", arrows=field)
    contour, arrows = fig.data
    assert arrows.name == "−∇f (steepest descent)"
    x = np.asarray(arrows.x, dtype=float).reshape(-1, 3)
    y = np.asarray(arrows.y, dtype=float).reshape(-1, 3)
    assert len(x) == len(field)
    assert np.isnan(x[:, 2]).all() and np.isnan(y[:, 2]).all()  # separated segments
    np.testing.assert_allclose(x[:, :2].mean(axis=1), field.x)  # centred on the grid
    np.testing.assert_allclose(x[:, 1] - x[:, 0], field.u)
    np.testing.assert_allclose(y[:, 1] - y[:, 0], field.v)
    assert arrows.marker.symbol == "arrow"
    assert arrows.marker.angleref == "previous"
    assert contour.colorbar.len < 1  # room for the arrows' colour bar


# --------------------------------------------------------------------------------------
# Fit view
# --------------------------------------------------------------------------------------


def test_one_feature_shows_the_data_and_each_fitted_line(single):
    spec = charts.fit_view(single).to_dict()
    (points,) = layers_of(spec, "circle")
    (lines,) = layers_of(spec, "line")
    raw = data.read_csv(data.load_sample("line"))
    shown = rows_of(spec, points)
    np.testing.assert_allclose(np.sort(shown["x"]), np.sort(raw["x"]))  # original units
    fitted = rows_of(spec, lines)
    assert list(fitted["line"].unique()) == [*TITLES, "least squares"]
    least = fitted[fitted["line"] == "least squares"]
    slope, intercept = np.polyfit(raw["x"], raw["y"], 1)
    np.testing.assert_allclose(least["y"], intercept + slope * least["x"], rtol=1e-9)
    color = lines["encoding"]["color"]["scale"]
    assert color["range"][:3] == [VARIANT_COLORS[t] for t in TITLES]
    assert "rows shown" not in title_text(spec)


@pytest.fixture(scope="module")
def many_rows():
    """6,000 rows and two features: more than a scatter plot may embed."""
    return run(linear_dataset(n=6_000, d=3), variants=("batch", "sgd"), epochs=1.0)


def test_several_features_show_predicted_against_actual_per_variant(many_rows):
    spec = charts.fit_view(many_rows).to_dict()
    assert spec["facet"]["column"]["field"] == "variant"
    marks = [mark_of(layer) for layer in spec["spec"]["layer"]]
    assert marks == ["circle", "rule"]
    rows = rows_of(spec)
    counts = rows["variant"].value_counts()  # 5,000 points shared by two panels
    assert counts.to_dict() == {"Batch": 2_500, "Stochastic (SGD)": 2_500}
    assert "A random 2,500 of 6,000 rows shown (seed 0)." in title_text(spec)
    dataset, theta = many_rows.dataset, many_rows.primary("batch").theta
    batch = rows[rows["variant"] == "Batch"]
    predicted = dataset.X @ theta
    matched = np.isin(predicted, batch["predicted"].to_numpy())
    assert matched.sum() == 2_500  # the drawn points are X @ θ for sampled rows
    again = rows_of(charts.fit_view(many_rows).to_dict())
    pd.testing.assert_frame_equal(rows, again)  # the sample is seeded


def test_one_feature_with_many_rows_says_it_is_sampled():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(5_500)
    dataset = data.Dataset(
        X=np.column_stack([np.ones_like(x), x]),
        y=1 + 2 * x + rng.standard_normal(5_500),
        feature_names=("intercept", "x"),
        target_name="y",
        task="linear",
    )
    spec = charts.fit_view(run(dataset, variants=("batch",), epochs=1.0)).to_dict()
    (points,) = layers_of(spec, "circle")
    assert len(rows_of(spec, points)) == charts.MAX_FIT_POINTS
    assert "A random 5,000 of 5,500 rows shown" in title_text(spec)


def test_classification_shows_probabilities_per_class_with_the_threshold(
    classification,
):
    spec = charts.fit_view(classification).to_dict()
    assert spec["facet"]["column"]["field"] == "variant"
    assert spec["facet"]["row"]["field"] == "actual"
    bars, rule = spec["spec"]["layer"]
    assert mark_of(bars) == "bar" and mark_of(rule) == "rule"
    assert rule["encoding"]["x"] == {"datum": 0.5}
    rows = rows_of(spec)
    dataset = classification.dataset
    for title in TITLES:
        per_class = rows[rows["variant"] == title].groupby("actual")["rows"].sum()
        assert per_class["actual: yes"] == (dataset.y == 1).sum()
        assert per_class["actual: no"] == (dataset.y == 0).sum()
    text = title_text(spec)
    assert "accuracy" in text
    for _, row in classification.table.iterrows():
        assert f"{row['variant']} {row['accuracy']:.1%}" in text
    assert "All 200 training rows." in text
    assert len(rows) <= 20 * 2 * len(TITLES)


# --------------------------------------------------------------------------------------
# Bounds and purity
# --------------------------------------------------------------------------------------


def test_every_altair_chart_embeds_a_bounded_number_of_rows(comparison, many_rows):
    for result in (comparison, many_rows):
        for chart in (
            charts.loss_curves(result, x="samples"),
            charts.loss_curves(result, log_scale=True),
            charts.gradient_norms(result),
            charts.fit_view(result),
        ):
            spec = chart.to_dict()  # the default transformer refuses > 5,000
            assert total_rows(spec) <= 20_000
            for rows in spec["datasets"].values():
                assert len(rows) <= charts.MAX_DATASET_ROWS


CHART_MODULES = sorted(Path(charts.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("path", CHART_MODULES, ids=lambda p: p.name)
def test_the_builders_never_render(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & {"show", "write_html", "write_image", "display"}


@pytest.mark.parametrize("path", CHART_MODULES, ids=lambda p: p.name)
def test_chart_modules_draw_and_never_compute_a_loss(path):
    """The loss slice is computed in gddash.slices; charts only draw grids."""
    source = path.read_text(encoding="utf-8")
    assert "problem_for" not in source and ".evaluate(" not in source
    assert len(source.splitlines()) <= 800


def test_the_old_names_still_import_from_charts():
    assert {"Path3D", "SurfaceGrid", "loss_curves", "fit_view"} <= set(charts.__all__)
    for name in charts.__all__:
        assert getattr(charts, name) is not None
    assert charts.slice_grid is slices.slice_grid  # for callers not yet moved
    with pytest.raises(AttributeError):
        charts.no_such_builder  # noqa: B018


def test_animation_frames_have_unique_names_following_the_longest_path():
    short = charts.Path3D("short", np.arange(3.0), np.zeros(3), np.zeros(3), "#000",
                          steps=np.arange(3))  # fmt: skip
    long = charts.Path3D("long", np.arange(50.0), np.zeros(50), np.zeros(50), "#111",
                         steps=np.arange(50))  # fmt: skip
    fig = charts.animate_paths(
        go.Figure(), [short, long], three_d=True, max_frames=20,
        caption=lambda k: f"at {k}",
    )  # fmt: skip
    names = [frame.name for frame in fig.frames]
    assert len(names) == len(set(names)) == 20
    assert names[0] == "0" and names[-1] == "49"
    assert fig.frames[-1].layout.annotations[0].text == "at 49"
    assert [s.label for s in fig.layout.sliders[0].steps] == names
    # the short path rests at its last point once it has ended
    assert fig.frames[-1].data[0].x == (2.0,)


def test_separable_classes_are_said_under_the_loss_curves():
    X = np.column_stack([np.ones(6), [-3.0, -2, -1, 1, 2, 3]])
    separable = data.Dataset(
        X, np.array([0.0, 0, 0, 1, 1, 1]), ("intercept", "x"), "y", "logistic"
    )
    comparison = run(separable, variants=("batch",), learning_rate=0.5)
    spec = charts.loss_curves(comparison).to_dict()
    assert "The classes are separable" in title_text(spec)
    assert "optimal loss (Newton)" in json.dumps(spec)


def test_a_thinned_path_keeps_its_ends_and_labels_each_kept_point_with_its_step():
    n = 10_001
    steps = np.arange(n)
    path = charts.Path3D(
        "long", steps * 1.0, -steps * 1.0, steps**2.0, "#000000", steps
    )
    thin = path.thinned(300)
    assert len(thin.a) == 300
    assert (thin.steps[0], thin.steps[-1]) == (0, n - 1)
    np.testing.assert_array_equal(thin.a, thin.steps)  # each point with its own step
    np.testing.assert_array_equal(thin.z, thin.steps**2.0)
    assert path.thinned(n) is path


def test_slope_decay_plots_every_nonzero_slope_and_the_eps_line():
    from gddash.engine import Objective, descend

    parabola = Objective(lambda t: t @ t, lambda t: 2 * t, 1)
    trace = descend(parabola, Settings(learning_rate=0.5, theta0=(1.0,), eps=1e-6))
    spec = charts.slope_decay(trace, 1e-6).to_dict()  # validates against Vega-Lite
    (line,) = layers_of(spec, "line")
    rows = rows_of(spec, line)
    assert rows["slope"].gt(0).all()
    assert len(rows) == (np.abs(trace.gradient[:, 0]) > 0).sum()
    assert line["encoding"]["y"]["scale"]["type"] == "log"
    assert "cannot be drawn on a log axis" in json.dumps(spec["title"])  # η = 0.5: 0
    assert rule_value(spec) == (1e-6, "ε = 1e-06")


def test_batch_size_sweep_is_log_log_and_names_the_budget():
    sweep = pd.DataFrame(
        {
            "batch size": [1, 8, 64],
            "updates": [600, 75, 10],
            "gap to optimum": [1e-2, 1e-3, 1e-4],
            "loss rose on": [0.4, 0.2, 0.0],
        }
    )
    spec = charts.batch_size_sweep(sweep, epochs=3.0).to_dict()
    assert spec["encoding"]["x"]["scale"]["type"] == "log"
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    assert "Same budget (3 epochs)" in json.dumps(spec["title"])


# --------------------------------------------------------------------------------------
# Hostile names: user text is data and plain text, never syntax or markup
# --------------------------------------------------------------------------------------

HOSTILE_NAMES = [
    "time:s",
    "size.m2",
    "a[0]",
    "<b>x</b>",
    "$y$",
    "naïve 温度",
    "back\\slash",
    "q\"uote's",
    "*_star_*",
    "%{x}",
    "1 < 2 > 0",
]
VEGA_SYNTAX = set(".[]\\:")


def hostile_frame(feature, target, n=60, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    return pd.DataFrame({feature: x, target: 3.0 - 0.5 * x + rng.normal(0, 0.2, n)})


def encoded_fields(spec):
    """(channel, field, layer) of every encoding that names a field, any depth."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for channel, enc in node.get("encoding", {}).items():
                for item in enc if isinstance(enc, list) else [enc]:
                    if isinstance(item, dict) and "field" in item:
                        found.append((channel, item["field"], node))
            for key in ("layer", "spec"):
                child = node.get(key)
                for part in child if isinstance(child, list) else [child]:
                    walk(part)

    walk(spec)
    return found


def assert_fields_point_at_data(spec):
    """Every encoded field is a plain column of the rows its layer draws."""
    for channel, field, layer in encoded_fields(spec):
        assert not VEGA_SYNTAX & set(field), (channel, field)
        name = layer.get("data", spec.get("data", {})).get("name")
        assert name is not None, (channel, field)
        columns = set(pd.DataFrame(spec["datasets"][name]).columns)
        assert field in columns, (channel, field, columns)


@pytest.mark.parametrize("feature", HOSTILE_NAMES)
def test_a_fit_view_of_any_column_name_validates_and_draws_its_rows(feature):
    target = f"target {feature}"
    frame = hostile_frame(feature, target)
    dataset = data.prepare(frame, target, [feature])
    chart = charts.fit_view(run(dataset, variants=("batch",), epochs=1.0))
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert_fields_point_at_data(spec)
    (points,) = layers_of(spec, "circle")
    shown = rows_of(spec, points)
    np.testing.assert_allclose(np.sort(shown["x"]), np.sort(frame[feature]))
    np.testing.assert_allclose(np.sort(shown["y"]), np.sort(frame[target]))
    x, y = points["encoding"]["x"], points["encoding"]["y"]
    assert (x["axis"]["title"], y["axis"]["title"]) == (feature, target)
    tips = {tip["field"]: tip["title"] for tip in points["encoding"]["tooltip"]}
    assert tips == {"x": feature, "y": target}
    assert spec["title"]["text"].startswith(f"{target} against {feature}")


@pytest.mark.parametrize("name", ["time:s", "size.m2", "<b>x</b>", "naïve 温度"])
def test_every_builder_validates_with_hostile_feature_and_target_names(name):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            name: rng.normal(size=80),
            f"{name}[1]": rng.normal(size=80),
            f"y.{name}": rng.normal(size=80),
        }
    )
    frame[f"y.{name}"] += 2 * frame[name]
    frame["class:" + name] = np.where(frame[name] > 0, "ja:<b>", "nein.$")
    regression = run(data.prepare(frame, f"y.{name}", [name, f"{name}[1]"]))
    logistic = run(data.prepare(frame, "class:" + name, [name]), learning_rate=0.5)
    built = [
        charts.loss_curves(regression),
        charts.loss_curves(regression, log_scale=True, x="updates"),
        charts.gradient_norms(regression),
        charts.fit_view(regression),
        charts.fit_view(logistic),
        charts.loss_curves(logistic),
    ]
    for chart in built:
        assert_fields_point_at_data(chart.to_dict())
    predicted = built[3].to_dict()
    assert f"predicted y.{name}" in json.dumps(predicted, ensure_ascii=False)
    histograms = rows_of(built[4].to_dict())
    assert set(histograms["actual"]) == {"actual: ja:<b>", "actual: nein.$"}
    assert histograms["rows"].sum() == len(TITLES) * len(frame)


def plotly_text(fig):
    """Everything Plotly renders: the figure less ``layout.meta``, plain text for
    the page (Plotly shows meta only through "%{meta}", which no template uses)."""
    spec = fig.to_dict()
    spec["layout"].pop("meta", None)
    text = json.dumps(spec, ensure_ascii=False)
    assert "%{meta" not in text
    return text


MARKUP = {
    "<b>bold</b>": "&lt;b&gt;bold&lt;/b&gt;",
    "<a href='https://evil.example'>win</a>": "&lt;a href='https://evil.example'&gt;",
    "<img src=x onerror=alert(1)>": "&lt;img src=x onerror=alert(1)&gt;",
}


def hostile_grid():
    a_name, b_name, z_name = MARKUP
    xs = np.linspace(-1, 1, 5)
    Z = np.add.outer(xs**2, xs**2)
    return charts.SurfaceGrid(
        xs, xs, Z, a_name, b_name, z_name=z_name, note="note <i>italic</i> 5%{y}"
    )


def hostile_path(name="%{x} R&D <br>"):
    t = np.linspace(1, 0, 6)
    return charts.Path3D(name, t, t, 2 * t**2, "#0072B2", steps=np.arange(6))


def test_plotly_figures_show_names_titles_and_notes_as_escaped_text():
    grid, path = hostile_grid(), hostile_path()
    arrows = charts.arrow_field(grid.a, grid.b, 2 * np.ones((5, 5)), np.ones((5, 5)))
    figures = [
        charts.surface_figure(
            grid, [path], title="<b>title</b>", optimum=(0, 0, 0), optimum_name="<sup>o"
        ),
        charts.contour_figure(
            grid, [path], title="<b>title</b>", arrows=arrows, current_point=(0, 0, 0)
        ),
    ]
    for fig in figures:
        text = plotly_text(fig)
        for raw, escaped in MARKUP.items():
            assert raw not in text
            assert escaped in text
        assert "<b>title" not in text and "&lt;b&gt;title&lt;/b&gt;" in text
        assert "<i>" not in text and "&lt;i&gt;italic&lt;/i&gt; 5&#37;{y}" in text
        # The user's "%{x}" is no hover placeholder; the builders' own still are.
        assert "&#37;{x} R&amp;D &lt;br&gt;" in text
        assert "%{x} R&D" not in text
        hovers = [t.hovertemplate for t in fig.data if t.hovertemplate]
        assert all("%{x" in h or "%{customdata" in h for h in hovers)
    assert "&lt;sup&gt;o" in plotly_text(figures[0])


def test_curve_figure_and_animation_escape_the_formula_names_and_read_out():
    path = hostile_path("<b>rule</b>")
    xs = np.linspace(-1, 1, 9)
    fig = charts.curve_figure(
        xs, xs**2, [path], title="f(x) = <img src=x>", variable="<u>x</u>",
        current=(0.5, 0.25, 1.0),
    )  # fmt: skip
    fig = charts.animate_paths(
        fig, [path], three_d=False, caption=lambda k: f"<b>step {k}</b> %{{x}}"
    )
    text = plotly_text(fig)
    for raw in ("<img", "<u>", "<b>rule", "<b>step"):
        assert raw not in text
    assert "f(x) = &lt;img src=x&gt;" in text
    assert "&lt;u&gt;x&lt;/u&gt;" in fig.layout.xaxis.title.text
    assert fig.layout.annotations[0].text == "&lt;b&gt;step 0&lt;/b&gt; &#37;{x}"
    assert fig.frames[-1].layout.annotations[0].text.startswith("&lt;b&gt;step 5")


def test_slice_names_carry_the_columns_and_the_figures_escape_them():
    frame = hostile_frame("<b>x</b>", "y")
    frame["%{z}"] = np.random.default_rng(0).normal(size=len(frame))
    comparison = run(data.prepare(frame, "y", ["<b>x</b>", "%{z}"]))
    grid = slices.slice_grid(comparison, 1, 2, n=5)
    assert grid.a_name == "θ₁ (<b>x</b>)" and grid.b_name == "θ₂ (%{z})"
    text = plotly_text(charts.contour_figure(grid, [], title="t"))
    assert "θ₁ (&lt;b&gt;x&lt;/b&gt;)" in text and "θ₂ (&#37;{z})" in text
    assert "<b>x" not in text and "(%{z})" not in text


# --------------------------------------------------------------------------------------
# Accessibility: every chart says what it shows
# --------------------------------------------------------------------------------------


def every_altair_chart(comparison, classification, three_params):
    from gddash.engine import Objective, descend

    parabola = Objective(lambda t: t @ t, lambda t: 2 * t, 1)
    trace = descend(parabola, Settings(learning_rate=0.3, theta0=(1.0,), eps=1e-6))
    sweep = pd.DataFrame(
        {
            "batch size": [1, 8],
            "updates": [60, 8],
            "gap to optimum": [1e-2, 1e-3],
            "loss rose on": [0.4, 0.2],
        }
    )
    return {
        "Training loss": charts.loss_curves(comparison),
        "Training loss above the optimum": charts.loss_curves(
            comparison, log_scale=True
        ),
        "Gradient norm": charts.gradient_norms(comparison),
        "y against x": charts.fit_view(comparison),
        "Predicted against actual": charts.fit_view(three_params),
        "Predicted probability": charts.fit_view(classification),
        "How fast |f′| shrinks": charts.slope_decay(trace, 1e-6),
        "Same budget (2 epochs)": charts.batch_size_sweep(sweep, 2.0),
    }


def test_every_altair_chart_has_a_description_naming_its_title_and_content(
    comparison, classification, three_params
):
    charts_by_title = every_altair_chart(comparison, classification, three_params)
    for title, chart in charts_by_title.items():
        spec = chart.to_dict()
        said = spec["description"]
        assert said == charts.description(chart)
        assert title in said, (title, said)
        assert said != "Vega visualization" and len(said) > len(title) + 30
        assert said.split(":")[0] in {
            "Line chart", "Scatter plot", "Scatter plots", "Histograms"
        }  # fmt: skip
    assert "Batch, Stochastic (SGD), Mini-batch" in charts.description(
        charts_by_title["Training loss"]
    )


def test_every_plotly_figure_carries_a_description_of_what_it_shows(line_grid):
    path = hostile_path("Plain")
    surface = charts.surface_figure(line_grid, [path], title="Loss surface")
    contour = charts.contour_figure(line_grid, [path], title="Contours")
    xs = np.linspace(-1, 1, 9)
    curve = charts.curve_figure(xs, xs**2, [path], title="f(x) = x²")
    said = {name: charts.description(fig) for name, fig in
            {"surface": surface, "contour": contour, "curve": curve}.items()}  # fmt: skip
    assert said["surface"].startswith("Loss surface. A 3-D surface of loss over θ₀")
    assert "with the paths of Plain" in said["surface"]
    assert said["contour"].startswith("Contours. A contour map of loss over θ₀")
    assert said["curve"] == (
        "f(x) = x². A line chart of f(x) against x, with the steps of Plain."
    )
    animated = charts.animate_paths(curve, [path], three_d=False)
    assert charts.description(animated).endswith(
        "Play and the step slider move a marker along each path."
    )
    assert charts.description(go.Figure()) == ""


# --------------------------------------------------------------------------------------
# Readable details: ticks, labels, legends, phones and dark theme
# --------------------------------------------------------------------------------------


def test_gradient_norms_label_powers_of_ten_with_room_for_each_decade(single):
    spec = charts.gradient_norms(single).to_dict()
    line, rows = primary_lines(spec)
    axis = line["encoding"]["y"]["axis"]
    ticks = np.log10(axis["values"])
    np.testing.assert_array_equal(ticks, np.round(ticks))  # powers of ten only
    assert len(ticks) <= 8
    shown = np.concatenate([rows["grad_norm"], [single.settings.descent.eps]])
    assert axis["values"][0] <= shown.min() * 10 and axis["values"][-1] >= shown.max()
    decades = np.log10(shown.max() / shown.min())
    assert spec["height"] >= 300 and spec["height"] / max(decades, 1) >= 30


def test_log_axes_over_many_decades_skip_decades_to_keep_eight_labels():
    axis = charts.style.log_axis(np.array([1e-12, 3.0, 4e7]), "gap").to_dict()
    ticks = np.log10(axis["values"])
    assert len(ticks) <= 8 and ticks[0] <= -12 and ticks[-1] >= np.log10(4e7)
    assert np.all(np.diff(ticks) == np.diff(ticks)[0])


@pytest.mark.parametrize("log_scale", [False, True])
def test_reference_lines_are_named_in_the_legend_not_under_the_curves(
    comparison, single, log_scale
):
    for spec in (
        charts.loss_curves(comparison, log_scale=log_scale).to_dict(),
        charts.gradient_norms(single).to_dict(),
    ):
        assert not layers_of(spec, "text")  # no label for the curves to cover
        (rule,) = layers_of(spec, "rule")
        _, label = rule_value(spec)
        color = rule["encoding"]["color"]
        assert rows_of(spec, rule)[color["field"]][0] == label
        assert color["scale"]["domain"][-1] == label
        assert color["scale"]["range"][-1] == charts.REFERENCE_COLOR
        assert rule["mark"]["strokeDash"] == [4, 3]


def test_log_axis_labels_read_as_decimals_or_short_powers_of_ten():
    axis = charts.style.log_axis(np.array([1e-6, 1.0, 1e6]), "t").to_dict()
    assert axis["values"] == [1e-6, 1e-4, 1e-2, 1.0, 1e2, 1e4, 1e6]  # 13 decades
    assert "'~g'" in axis["labelExpr"] and "'.0e'" in axis["labelExpr"]


def year_dataset():
    years = np.arange(1970, 1983, dtype=float)
    mpg = 10 + 0.8 * (years - 1970) + np.sin(years)
    return data.prepare(pd.DataFrame({"Year": years, "MPG": mpg}), "MPG", ["Year"])


def test_whole_numbers_below_ten_thousand_print_without_separators():
    spec = charts.fit_view(run(year_dataset(), variants=("batch",))).to_dict()
    (points,) = layers_of(spec, "circle")
    x_axis, y_axis = points["encoding"]["x"]["axis"], points["encoding"]["y"]["axis"]
    assert (x_axis["format"], x_axis["tickMinStep"]) == ("d", 1)  # 1980, not 1,980
    assert "format" not in y_axis  # MPG has decimals: Vega's own labels
    assert charts.style.integer_like(np.array([1980.0, 2024.0, -3.0]))
    assert not charts.style.integer_like(np.array([1980.0, 12_000.0]))  # 12,000 reads
    assert not charts.style.integer_like(np.array([1.5, 2.0]))
    assert not charts.style.integer_like(np.array([np.nan]))


def test_predicted_against_actual_years_keep_whole_titles_and_plain_labels():
    years = np.arange(1950, 2010, dtype=float)
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {"a": rng.normal(size=60), "b": rng.normal(size=60), "Year": years}
    )
    dataset = data.prepare(frame, "Year", ["a", "b"])
    spec = charts.fit_view(run(dataset, variants=("batch",))).to_dict()
    (points,) = [layer for layer in spec["spec"]["layer"] if mark_of(layer) == "circle"]
    for channel, title in (("x", "actual Year"), ("y", "predicted Year")):
        axis = points["encoding"][channel]["axis"]
        assert (axis["title"], axis["titleLimit"], axis["format"]) == (title, 0, "d")


def test_legends_sit_under_the_chart_with_whole_labels(diverged):
    for chart in (charts.loss_curves(diverged), charts.fit_view(diverged)):
        spec = chart.to_dict()
        legends = [
            enc["legend"]
            for _, _, layer in encoded_fields(spec)
            for enc in layer["encoding"].values()
            if isinstance(enc, dict) and enc.get("legend")
        ]
        assert legends
        for legend in legends:
            assert (legend["orient"], legend["labelLimit"]) == ("bottom", 0)
            assert legend["columns"] <= 2


def test_charts_leave_text_and_background_colours_to_the_theme(comparison, line_grid):
    for chart in (charts.loss_curves(comparison), charts.fit_view(comparison)):
        spec = chart.to_dict()
        assert set(spec.get("config", {})) <= {"view"}  # Altair's default size only
        assert "background" not in spec and "color" not in json.dumps(spec["title"])
    for fig in (
        charts.surface_figure(line_grid, [], title="t"),
        charts.contour_figure(line_grid, [], title="t"),
    ):
        layout = fig.layout  # the page's template (Streamlit's theme) applies
        assert layout.paper_bgcolor is None and layout.plot_bgcolor is None
        assert layout.font.color is None and layout.title.font.color is None
        assert layout.legend.font.color is None


def test_every_fixed_colour_reads_on_light_and_dark_backgrounds():
    fixed = {
        **charts.RULE_COLORS,
        "reference": charts.REFERENCE_COLOR,
        "optimum": charts.OPTIMUM_COLOR,
        "current": charts.CURRENT_COLOR,
    }
    for name, color in fixed.items():
        assert contrast(color, "#FFFFFF") >= 3.0, name
        assert contrast(color, "#0E1117") >= 3.0, name
    assert len(set(charts.RULE_COLORS.values())) == len(charts.RULE_COLORS)


def test_plotly_titles_start_below_the_modebar_and_fit_a_phone(line_grid):
    long_title = "f(x, y) = " + " + ".join(f"x^{k}*y" for k in range(12))
    for fig in (
        charts.surface_figure(line_grid, [], title=long_title),
        charts.contour_figure(line_grid, [], title=long_title),
        charts.curve_figure(np.arange(3.0), np.arange(3.0), [], title=long_title),
    ):
        title = fig.layout.title
        assert (title.yref, title.y, title.yanchor) == ("container", 1.0, "top")
        assert title.pad.t >= charts.MODEBAR_ROOM
        lines = title.text.split("<br>")
        assert len(lines) >= 2 and max(map(len, lines)) <= charts.WRAP_CHARS
        note_lines = (
            len(title.subtitle.text.split("<br>")) if title.subtitle.text else 0
        )
        assert fig.layout.margin.t >= title.pad.t + 20 * (len(lines) + note_lines)


def test_an_animated_figure_puts_its_legend_under_the_controls_not_on_the_read_out(
    line_grid,
):
    paths = [hostile_path("Plain"), hostile_path("Momentum")]
    fig = charts.surface_figure(line_grid, paths, title="f")
    top = fig.layout.margin.t
    long_read_out = "Plain, step 12: position (0.12, 0.34), f = 1.00, ‖∇f‖ = 0.03, "
    fig = charts.animate_paths(
        fig, paths, three_d=True, caption=lambda k: long_read_out + "converged"
    )
    (read_out,) = fig.layout.annotations
    assert (read_out.yref, read_out.y, read_out.yanchor) == ("paper", 1.0, "bottom")
    assert read_out.text.count("<br>") == 1  # wrapped for a phone
    assert fig.layout.margin.t >= top + 2 * 20  # room for both lines
    legend = fig.layout.legend
    assert (legend.yref, legend.y, legend.yanchor) == ("container", 0.0, "bottom")
    assert fig.layout.margin.b >= charts.CONTROLS_HEIGHT + 22  # controls + legend


def test_flat_figures_put_the_legend_under_the_x_axis_title(line_grid):
    paths = [hostile_path(name) for name in ("Plain", "Momentum", "Adam")]
    xs = np.linspace(-1, 1, 9)
    for fig in (
        charts.contour_figure(line_grid, paths, title="c", current_point=(0, 0, 0)),
        charts.curve_figure(xs, xs**2, paths, title="f", current=(0.0, 0.0, 0.0)),
    ):
        legend = fig.layout.legend
        assert (legend.yref, legend.y, legend.yanchor) == ("container", 0.0, "bottom")
        entries = sum(
            t.showlegend is not False for t in fig.data if t.type != "contour"
        )
        rows = -(-entries // 2)  # two entries a row on a phone
        assert fig.layout.margin.b >= charts.AXIS_ROOM + charts.LEGEND_ROW * rows
    animated = charts.animate_paths(fig, paths, three_d=False)
    controls = animated.layout.updatemenus[0]
    assert controls.pad.t >= charts.AXIS_ROOM  # the buttons clear the axis title
    assert animated.layout.margin.b >= (
        charts.AXIS_ROOM + charts.CONTROLS_HEIGHT + charts.LEGEND_ROW * 3
    )


# --------------------------------------------------------------------------------------
# Penalties, Huber and softmax (issue 15)
# --------------------------------------------------------------------------------------


def iris_dataset(validation_fraction=0.0):
    frame = data.read_csv(data.load_sample("iris"))
    sample = next(s for s in data.samples(tasks=data.TASKS) if s.key == "iris")
    options = data.PrepareOptions(
        task="softmax", validation_fraction=validation_fraction
    )
    return data.prepare(frame, sample.default_target, sample.default_features, options)


@pytest.fixture(scope="module")
def iris_l1():
    settings = CompareSettings(
        epochs=5,
        descent=Settings(learning_rate=0.2, penalty="l1", alpha=1e-2),
    )
    return compare.run(iris_dataset(validation_fraction=0.2), settings)


def test_an_l1_slice_equals_the_penalised_loss_computed_directly(three_params):
    from gddash.engine import Penalty

    settings = dataclasses.replace(
        three_params.settings,
        descent=Settings(learning_rate=0.1, penalty="l1", alpha=0.3),
    )
    result = compare.run(three_params.dataset, settings)
    dataset, star = result.dataset, result.optimum.theta
    # A span through 0 on both penalised weights, so the kinks are on the grid.
    grid = slices.slice_grid(result, 1, 2, n=9, span=((-1.0, 1.0), (-1.0, 1.0)))
    assert grid.z_name == "loss + penalty" and "kinks" in grid.note
    for row in range(9):
        for col in range(9):
            theta = star.copy()
            theta[1], theta[2] = grid.a[col], grid.b[row]
            penalty = 0.3 * np.abs(theta[1:]).sum()  # the intercept is not penalised
            expected = half_mse(dataset, theta) + penalty
            assert grid.Z[row, col] == pytest.approx(expected, rel=1e-10)
    # The kink: the slope changes by 2α across θ₁ = 0 (the middle column).
    left = grid.Z[4, 4] - grid.Z[4, 3]
    right = grid.Z[4, 5] - grid.Z[4, 4]
    assert right - left == pytest.approx(
        2 * 0.3 * 0.25 + 0.25**2 * np.mean(dataset.X[:, 1] ** 2), rel=1e-8
    )
    assert Penalty("l1", 0.3) == result.optimum.penalty


def test_a_softmax_slice_names_class_and_feature_and_matches_the_cross_entropy(
    iris_l1,
):
    dataset, star = iris_l1.dataset, iris_l1.optimum.theta
    d = dataset.n_features
    i, j = 3, d + 3  # petal_length for setosa and for versicolor
    grid = slices.slice_grid(iris_l1, i, j, n=5)
    assert grid.a_name == "θ[setosa, petal_length]"
    assert grid.b_name == "θ[versicolor, petal_length]"
    theta = star.copy()
    theta[i], theta[j] = grid.a[2], grid.b[1]
    scores = dataset.X @ theta.reshape(3, d).T
    top = scores.max(axis=1, keepdims=True)
    log_sum = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
    cross_entropy = np.mean(
        log_sum - scores[np.arange(len(scores)), dataset.y.astype(int)]
    )
    weights = theta.reshape(3, d)[:, 1:]  # intercepts are not penalised
    expected = cross_entropy + 1e-2 * np.abs(weights).sum()
    assert grid.Z[1, 2] == pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match=r"\[0, 15\)"):
        slices.slice_grid(iris_l1, 0, 15)


def test_softmax_class_views_count_every_row_once(iris_l1):
    dataset = iris_l1.dataset
    confusion, accuracy = charts.class_views(iris_l1, "batch")
    spec = confusion.to_dict()
    cells = next(v for v in spec["datasets"].values() if "actual" in v[0])
    assert sum(c["rows"] for c in cells if "rows" in c) == dataset.n_samples
    assert "Batch, train rows" in json.dumps(spec["title"])
    validation = charts.class_views(iris_l1, "sgd", rows="validation")
    assert "validation rows (30)" in json.dumps(validation[0].to_dict()["title"])
    assert accuracy.to_dict()
    assert charts.fit_view(iris_l1).to_dict()


def test_the_coefficient_path_at_the_chosen_alpha_is_the_minimum():
    from gddash import paths
    from gddash.engine import Penalty, minimum

    dataset = linear_dataset(n=120, d=4)
    problem = compare.problem_for(dataset)
    names = compare.parameter_names(dataset)
    for penalty in (Penalty("l2", 0.05), Penalty("elasticnet", 0.02, 0.5)):
        path = paths.coefficient_path(problem, penalty, names)
        assert set(path["feature"]) == set(names[1:])  # no intercept line
        at = path[path["alpha"] == penalty.alpha]
        expected = minimum(problem, penalty).theta[1:]
        np.testing.assert_allclose(at["coefficient"], expected, atol=1e-10)
        chart = charts.coefficient_path(path, penalty.alpha).to_dict()
        rules = [
            rows
            for rows in chart["datasets"].values()
            if rows and rows[0].get("label") == "chosen alpha"
        ]
        assert rules == [[{"alpha": penalty.alpha, "label": "chosen alpha"}]]
    lasso = paths.coefficient_path(problem, Penalty("l1", 0.01), names)
    top = lasso[lasso["alpha"] == lasso["alpha"].max()]
    np.testing.assert_allclose(top["coefficient"], 0.0, atol=1e-9)  # all zero


def test_an_animation_of_many_paths_holds_at_most_max_markers():
    # Each frame holds a validated Plotly marker per path: six rules' animation
    # is capped by markers in all, not frames alone.
    from gddash.charts.animation import MAX_MARKERS

    paths = [
        charts.Path3D(
            f"rule {k}", np.arange(400.0), np.arange(400.0), np.zeros(400), "#000"
        )
        for k in range(6)
    ]
    fig = charts.animate_paths(go.Figure(), paths, three_d=True)
    assert len(fig.frames) * len(paths) <= MAX_MARKERS
    assert len(fig.frames) >= MAX_MARKERS // len(paths) - 1
    one = charts.animate_paths(go.Figure(), paths[:1], three_d=True)
    assert len(one.frames) >= 140  # a single path keeps its 150 frames
