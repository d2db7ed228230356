"""The model charts (gddash.charts.models), checked through their specs.

Counts and accuracies are checked against scikit-learn's metrics; every spec
is validated by ``chart.to_dict()`` against the Vega-Lite schema, and user text
(feature names, class labels) must arrive as data, never as a field name.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from gddash.charts import models
from gddash.charts.style import MAX_DATASET_ROWS, REFERENCE_COLOR, description

HOSTILE = [
    "time:s",
    "size.m2",
    "a[0]",
    "back\\slash",
    'q"uote',
    "it's",
    "$y$",
    "*_star_*",
    "<b>x</b>",
    "1 < 2 > 0",
    "naïve 温度 😀",
    "%{x}",
]
VEGA_SYNTAX = set(".[]\\:")


def layers(spec: dict) -> list[dict]:
    return spec["layer"]


def rows_of(spec: dict, layer: dict) -> pd.DataFrame:
    name = layer.get("data", spec.get("data", {}))["name"]
    return pd.DataFrame(spec["datasets"][name])


def assert_fields_are_internal(spec: dict) -> None:
    """Every encoded field is a fixed column of its layer's rows, never user text."""
    for layer in layers(spec):
        columns = set(rows_of(spec, layer).columns)
        for channel, enc in layer.get("encoding", {}).items():
            for item in enc if isinstance(enc, list) else [enc]:
                if isinstance(item, dict) and "field" in item:
                    assert not VEGA_SYNTAX & set(item["field"]), (channel, item)
                    assert item["field"] in columns, (channel, item, columns)


def path_frame(features, alphas=None) -> pd.DataFrame:
    """A made-up ridge path: coefficient j shrinks like c_j / (1 + alpha)."""
    alphas = np.logspace(-3, 2, 30) if alphas is None else alphas
    return pd.DataFrame(
        [
            (alpha, feature, (j + 1) * (-1) ** j / (1 + alpha))
            for alpha in alphas
            for j, feature in enumerate(features)
        ],
        columns=["alpha", "feature", "coefficient"],
    )


# --------------------------------------------------------------------------------------
# coefficient_path
# --------------------------------------------------------------------------------------


def test_the_path_draws_every_coefficient_over_a_log_alpha_axis():
    path = path_frame(["x1", "x2", "x3"])
    chart = models.coefficient_path(path, chosen_alpha=0.5)
    spec = chart.to_dict()
    assert_fields_are_internal(spec)
    line, points, rule = layers(spec)
    assert line["mark"]["type"] == "line"
    assert line["encoding"]["x"]["scale"]["type"] == "log"
    assert line["encoding"]["color"]["scale"]["domain"] == ["x1", "x2", "x3"]
    shown = rows_of(spec, line).sort_values(["feature", "alpha"], ignore_index=True)
    expected = path.sort_values(["feature", "alpha"], ignore_index=True)
    pd.testing.assert_frame_equal(shown, expected)
    assert rows_of(spec, rule)["alpha"].tolist() == [0.5]
    assert rule["mark"]["color"] == REFERENCE_COLOR
    tips = {tip["field"]: tip.get("title") for tip in points["encoding"]["tooltip"]}
    assert tips == {
        "feature": "coefficient of",
        "alpha": "alpha",
        "coefficient": "value",
    }
    assert "Dashed line: the chosen alpha = 0.5." in spec["title"]["subtitle"]
    assert description(chart) == (
        "Line chart: each of the 3 coefficients against the penalty strength alpha "
        "on a log axis, with a dashed line at the chosen alpha = 0.5."
    )


def test_no_penalty_draws_no_rule_and_undrawable_points_are_counted():
    path = path_frame(["a", "b"], alphas=np.array([0.0, 0.01, 0.1, 1.0, -0.5]))
    path.loc[3, "coefficient"] = np.nan
    spec = models.coefficient_path(path, chosen_alpha=0.0).to_dict()
    assert len(layers(spec)) == 2
    shown = rows_of(spec, layers(spec)[0])
    assert (shown["alpha"] > 0).all() and len(shown) == 5
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "No penalty was chosen (alpha = 0), so no alpha is marked." in subtitle
    assert "5 point(s) with alpha <= 0 or a non-finite value are not drawn." in subtitle


def test_many_coefficients_lose_the_legend_and_stay_within_the_row_limit():
    features = [f"f{j}" for j in range(40)]
    path = path_frame(features, alphas=np.logspace(-4, 2, 400))
    spec = models.coefficient_path(path, chosen_alpha=1.0).to_dict()
    line = layers(spec)[0]
    assert line["encoding"]["color"]["legend"] is None
    assert "Hover a line to name its coefficient." in spec["title"]["subtitle"]
    shown = rows_of(spec, line)
    assert len(shown) <= MAX_DATASET_ROWS
    assert set(shown["feature"]) == set(features)
    ends = shown.groupby("feature")["alpha"].agg(["min", "max"])
    assert (ends["min"] == 1e-4).all() and (ends["max"] == 100.0).all()
    dashes = line["encoding"]["strokeDash"]["scale"]["range"]
    assert dashes[0] != dashes[6], "past six colours the dash tells lines apart"


def test_the_path_names_missing_columns():
    with pytest.raises(ValueError, match="Missing: 'feature'"):
        models.coefficient_path(pd.DataFrame({"alpha": [1.0], "value": [2.0]}), 1.0)


def test_hostile_feature_names_are_data_in_the_path():
    path = path_frame(HOSTILE)
    spec = models.coefficient_path(path, chosen_alpha=0.1).to_dict()
    assert_fields_are_internal(spec)
    line = layers(spec)[0]
    assert line["encoding"]["color"]["scale"]["domain"] == HOSTILE
    assert set(rows_of(spec, line)["feature"]) == set(HOSTILE)


# --------------------------------------------------------------------------------------
# confusion_matrix and class_accuracy
# --------------------------------------------------------------------------------------


def predictions(k=3, n=200, seed=0):
    """True classes and predictions that are right about 70% of the time."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n).astype(float)  # as Dataset.y holds them
    wrong = rng.random(n) < 0.3
    y_pred = np.where(wrong, rng.integers(0, k, n), y_true)
    return y_true, y_pred


def test_the_confusion_matrix_counts_as_scikit_learn_with_rows_actual():
    labels = ("setosa", "versicolor", "virginica")
    y_true, y_pred = predictions()
    chart = models.confusion_matrix(labels, y_true, y_pred)
    spec = chart.to_dict()
    assert_fields_are_internal(spec)
    cells, text = layers(spec)
    assert (cells["mark"]["type"], text["mark"]["type"]) == ("rect", "text")
    assert cells["encoding"]["y"]["field"] == "actual"
    assert cells["encoding"]["x"]["field"] == "predicted"
    assert cells["encoding"]["y"]["sort"] == list(labels)
    assert text["encoding"]["text"]["field"] == "rows"
    shown = rows_of(spec, cells)
    grid = shown.pivot(index="actual", columns="predicted", values="rows")
    grid = grid.loc[list(labels), list(labels)].to_numpy()
    np.testing.assert_array_equal(grid, metrics.confusion_matrix(y_true, y_pred))
    right = int(np.trace(grid))
    assert description(chart).startswith("Heatmap: Confusion matrix, how many rows")
    assert f"{right} of 200 on the diagonal." in description(chart)
    assert f"{right:,} of 200 rows right" in " ".join(spec["title"]["subtitle"])


def test_every_class_pair_has_a_cell_even_without_rows():
    spec = models.confusion_matrix(["a", "b", "c"], [0, 0, 1], [0, 1, 1]).to_dict()
    shown = rows_of(spec, layers(spec)[0])
    assert len(shown) == 9 and shown["rows"].sum() == 3
    assert shown.loc[shown["actual"] == "c", "share"].isna().all()


def test_accuracy_per_class_is_scikit_learns_recall():
    labels = ("B", "a", "b", "é")
    y_true, y_pred = predictions(k=4, seed=3)
    chart = models.class_accuracy(labels, y_true, y_pred)
    spec = chart.to_dict()
    assert_fields_are_internal(spec)
    bars, rule = layers(spec)
    shown = rows_of(spec, bars).set_index("class").loc[list(labels)]
    expected = metrics.recall_score(y_true, y_pred, average=None)
    np.testing.assert_allclose(shown["accuracy"], expected)
    overall = metrics.accuracy_score(y_true, y_pred)
    assert rows_of(spec, rule)["accuracy"].tolist() == [pytest.approx(overall)]
    assert bars["encoding"]["x"]["scale"]["domain"] == [0, 1]
    assert description(chart).startswith("Bar chart: Accuracy per class")


def test_a_class_without_rows_has_no_bar_and_is_named():
    spec = models.class_accuracy(["p", "q", "r"], [0, 1, 1], [0, 1, 0]).to_dict()
    assert rows_of(spec, layers(spec)[0])["class"].tolist() == ["p", "q"]
    assert "No rows, so no bar: r." in spec["title"]["subtitle"]


@pytest.mark.parametrize("builder", [models.confusion_matrix, models.class_accuracy])
def test_hostile_labels_are_data(builder):
    k = len(HOSTILE)
    y_true, y_pred = predictions(k=k, n=400, seed=1)
    chart = builder(HOSTILE, y_true, y_pred, title="Batch GD: <i>validation</i>")
    spec = chart.to_dict()
    assert_fields_are_internal(spec)
    first = layers(spec)[0]
    assert first["encoding"]["y"]["sort"] == HOSTILE
    field = first["encoding"]["y"]["field"]
    assert set(rows_of(spec, first)[field]) == set(HOSTILE)
    assert spec["title"]["text"] == "Batch GD: <i>validation</i>"
    assert "naïve 温度 😀" in json.dumps(spec, ensure_ascii=False)


def test_labels_that_print_alike_get_distinct_bands():
    spec = models.confusion_matrix([1, "1", 2], [0, 1, 2], [0, 1, 2]).to_dict()
    assert layers(spec)[0]["encoding"]["x"]["sort"] == ["1", "1 (2)", "2"]


@pytest.mark.parametrize(
    ("y_true", "y_pred", "message"),
    [
        ([0, 1, 3], [0, 1, 2], "y_true must hold class indices 0 to 2"),
        ([0, 1, 2], [0, 1.5, 2], "y_pred must hold class indices 0 to 2"),
        ([0, 1, 2], [0, -1, 2], "y_pred must hold class indices 0 to 2"),
        ([0, 1, 2], [0, 1], "must have the same length. Got 3 and 2"),
        ([[0, 1]], [[0, 1]], r"y_true must be 1-D. Got shape \(1, 2\)"),
    ],
)
@pytest.mark.parametrize("builder", [models.confusion_matrix, models.class_accuracy])
def test_bad_predictions_are_refused(builder, y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        builder(["a", "b", "c"], np.array(y_true), np.array(y_pred))


def test_one_label_is_refused():
    with pytest.raises(ValueError, match="at least 2 classes"):
        models.class_accuracy(["a"], np.zeros(3), np.zeros(3))
