"""Tests of the bundled sample datasets and of data/make_synthetic.py."""

from __future__ import annotations

import contextlib
import importlib.util
import io

import numpy as np
import pytest

from gddash import limits
from gddash.data import (
    DATA_DIR,
    PAGE_TASKS,
    TASKS,
    PrepareOptions,
    Sample,
    describe_columns,
    load_sample,
    prepare,
    read_csv,
    samples,
)
from gddash.errors import DataError

README = (DATA_DIR / "README.md").read_text(encoding="utf-8")
EVERY = samples(tasks=TASKS)
REAL = ("diabetes", "auto_mpg", "breast_cancer", "iris", "engel")


def load_generator_module():
    path = DATA_DIR / "make_synthetic.py"
    spec = importlib.util.spec_from_file_location("make_synthetic_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalogue_shape():
    catalogue = EVERY
    keys = [s.key for s in catalogue]
    assert len(catalogue) >= 6
    assert len(set(keys)) == len(keys)
    assert keys[0] == "line", "the app opens on the first sample"
    assert all(isinstance(s, Sample) for s in catalogue)
    assert {"seed", "ill_conditioned", "large", *REAL} <= set(keys)
    assert sum(s.task == "logistic" for s in catalogue if s.key in REAL) >= 1
    assert sum(s.task == "linear" for s in catalogue if s.key in REAL) >= 2
    assert sum(s.task == "softmax" for s in catalogue if s.key in REAL) >= 1


def test_samples_need_a_filename_or_a_generator():
    with pytest.raises(ValueError, match="exactly one of filename and generator"):
        Sample("k", "t", "d", "y", None, "linear", 3)


def test_pages_list_the_samples_of_the_tasks_they_fit():
    listed = samples()
    assert {s.task for s in listed} == set(PAGE_TASKS) == {"linear", "logistic"}
    assert listed == tuple(s for s in EVERY if s.task != "softmax")
    assert [s.key for s in samples(tasks=("softmax",))] == ["iris"]
    assert load_sample("iris").startswith(b"sepal_length,")
    with pytest.raises(ValueError, match="tasks must be among"):
        samples(tasks=("multinomial",))


@pytest.mark.parametrize("sample", EVERY, ids=lambda s: s.key)
def test_each_sample_loads_and_prepares_as_advertised(sample):
    df = read_csv(load_sample(sample.key), max_cells=limits.SAMPLE_CELLS)
    assert len(df) == sample.n_rows
    assert sample.default_target in df.columns
    assert set(sample.default_features or ()) <= set(df.columns)
    summary = describe_columns(df)
    assert summary.suggested_target == sample.default_target
    assert summary.suggested_task == sample.task
    dataset = prepare(df, sample.default_target, sample.default_features)
    assert dataset.task == sample.task
    assert np.isfinite(dataset.X).all() and np.isfinite(dataset.y).all()
    assert sample.title and sample.description and sample.source


@pytest.mark.parametrize("sample", EVERY, ids=lambda s: s.key)
def test_each_sample_is_documented_with_a_licence(sample):
    name = sample.filename or "make_synthetic.py"
    assert f"`{name}`" in README
    section = README.split(f"### {sample.key}\n", 1)
    assert len(section) == 2, f"data/README.md needs a '### {sample.key}' section"
    body = section[1].split("\n### ", 1)[0]
    assert "Licence:" in body and "Source:" in body


def test_committed_files_are_exactly_the_catalogued_ones():
    committed = {p.name for p in DATA_DIR.glob("*.csv")}
    catalogued = {s.filename for s in EVERY if s.filename}
    assert committed == catalogued


def test_the_seed_example():
    df = read_csv(load_sample("seed"))
    np.testing.assert_array_equal(df[["x1", "x2"]].to_numpy(), [[1, 2], [2, 3], [3, 4]])
    np.testing.assert_array_equal(df["y"].to_numpy(), [2, 4, 6])


def test_the_default_line_recovers_its_parameters():
    df = read_csv(load_sample("line"))
    slope, intercept = np.polyfit(df["x"], df["y"], 1)
    assert intercept == pytest.approx(4.0, abs=0.02)
    assert slope == pytest.approx(3.0, abs=0.02)


def test_the_ill_conditioned_pair_is_fixed_by_standardizing():
    df = read_csv(load_sample("ill_conditioned"))
    assert df["area_sqft"].corr(df["rooms"]) > 0.9
    raw = prepare(
        df, "price", ["area_sqft", "rooms"], PrepareOptions(standardize=False)
    )
    scaled = prepare(df, "price", ["area_sqft", "rooms"])
    assert np.linalg.cond(raw.X.T @ raw.X) > 1e6
    assert np.linalg.cond(scaled.X.T @ scaled.X) < 100


def test_real_data_sanity():
    cancer = read_csv(load_sample("breast_cancer"))
    assert cancer["diagnosis"].value_counts().to_dict() == {
        "benign": 357,
        "malignant": 212,
    }
    cars = read_csv(load_sample("auto_mpg"))
    assert cars["horsepower"].isna().sum() == 6 and cars["mpg"].isna().sum() == 8
    assert describe_columns(cars).column("origin").kind == "categorical"
    diabetes = read_csv(load_sample("diabetes"))
    assert diabetes.shape == (442, 11)
    engel = read_csv(load_sample("engel"))
    assert engel.shape == (235, 2)


def test_the_iris_sample_is_fishers_iris_with_three_species():
    df = read_csv(load_sample("iris"))
    assert list(df.columns) == [
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
        "species",
    ]
    assert df["species"].value_counts().to_dict() == {
        "setosa": 50,
        "versicolor": 50,
        "virginica": 50,
    }
    # Fisher's values as scikit-learn ships them (not UCI's, which differ in two)
    iris = pytest.importorskip("sklearn.datasets").load_iris()
    np.testing.assert_array_equal(df.iloc[:, :4].to_numpy(), iris.data)
    assert list(df["species"]) == list(iris.target_names[iris.target])


def test_the_iris_sample_prepares_for_softmax_in_scikit_learns_class_order():
    df = read_csv(load_sample("iris"))
    summary = describe_columns(df)
    assert "it has 3 classes ('setosa', 'versicolor', 'virginica')" in (
        summary.explanation
    )
    dataset = prepare(df, "species")
    assert dataset.task == "softmax" and dataset.n_classes == 3
    assert dataset.class_labels == ("setosa", "versicolor", "virginica")
    iris = pytest.importorskip("sklearn.datasets").load_iris()
    np.testing.assert_array_equal(dataset.y, iris.target)
    assert dataset.feature_names == (
        "intercept",
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
    )
    held = prepare(df, "species", options=PrepareOptions(validation_fraction=0.2))
    assert set(np.unique(held.y)) == {0.0, 1.0, 2.0} and len(held.y_val) == 30


def test_large_sample_is_generated_deterministically_and_cached():
    sample = next(s for s in EVERY if s.key == "large")
    assert sample.filename is None and sample.generator
    assert sample.n_rows >= 200_000
    first = load_sample("large")
    assert load_sample("large") is first  # cached in-process
    module = load_generator_module()
    assert module.csv_bytes(module.large()) == first


def test_unknown_sample_lists_the_keys():
    with pytest.raises(DataError) as caught:
        load_sample("nope")
    assert "There is no sample 'nope'. Choose one of: 'line'," in str(caught.value)


def test_make_synthetic_imports_without_side_effects():
    before = {p: p.stat().st_mtime_ns for p in DATA_DIR.iterdir()}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        load_generator_module()
    assert printed.getvalue() == ""
    assert {p: p.stat().st_mtime_ns for p in DATA_DIR.iterdir()} == before


def test_committed_synthetic_files_match_their_generator():
    module = load_generator_module()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = module.main(["--check"])
    assert status == 0, printed.getvalue()


def test_generators_depend_only_on_their_seed():
    module = load_generator_module()
    assert module.line().equals(module.line())
    assert not module.line(seed=1).equals(module.line())
    assert module.line(n_rows=10).shape == (10, 2)


def test_no_sample_is_downloaded():
    package = sorted((DATA_DIR.parent / "gddash" / "data").glob("*.py"))
    assert package  # the data layer's modules, read as text
    source = "".join(path.read_text(encoding="utf-8") for path in package)
    source += (DATA_DIR / "make_synthetic.py").read_text(encoding="utf-8")
    for needle in ("urllib", "requests", "http://", "https://", "fetch_"):
        assert needle not in source
