"""The comparison on a source: the variants a small source turns into batch descent."""

import numpy as np
import pandas as pd
import pytest

from gddash.compare import CompareSettings
from gddash.engine import (
    HuberRegression,
    LinearRegression,
    LogisticRegression,
    Settings,
    descend,
    minimum,
)
from gddash.errors import DataError, SettingsError
from gddash.scale.compare import compare_source
from gddash.scale.sources import Access, resolve

pytest.importorskip("dask.dataframe")


def test_a_mini_batch_of_every_row_runs_as_batch_descent(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 2))
    data = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": x @ [1.0, -1.0]})
    data.to_csv(tmp_path / "d.csv", index=False)
    source = resolve("d.csv", Access(tmp_path))
    settings = CompareSettings(variants=("batch", "minibatch"), batch_size=32)
    comparison, _ = compare_source(source, "y", None, settings)
    batch, minibatch = (comparison.primary(v) for v in ("batch", "minibatch"))
    np.testing.assert_array_equal(minibatch.path, batch.path)
    np.testing.assert_array_equal(minibatch.samples, batch.samples)


def regression_source(tmp_path, n=600, files=3, logistic=False):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 2))
    y = x @ [1.0, -2.0] + 0.5 + rng.normal(size=n) * 0.3
    if logistic:
        y = (y > 0.5) * 1.0
    data = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})
    per_file = n // files
    for k in range(files):
        part = data.iloc[k * per_file : (k + 1) * per_file]
        part.to_parquet(tmp_path / f"p{k}.parquet", index=False)
    return resolve(".", Access(tmp_path)), data


def test_the_row_budget_ends_streamed_runs_and_leaves_batch_alone(tmp_path):
    source, _ = regression_source(tmp_path)
    settings = CompareSettings(epochs=2.0, descent=Settings(learning_rate=0.05))
    comparison, _ = compare_source(source, "y", None, settings, max_rows=250)
    assert comparison.primary("sgd").samples[-1] == 250
    assert comparison.primary("minibatch").samples[-1] == 256  # whole batches
    assert comparison.primary("batch").samples[-1] == 2 * 600
    assert "Stopped at its budget after 250 rows" in comparison.primary("sgd").message


def test_a_budget_that_is_not_positive_is_refused_before_any_pass(tmp_path):
    source, _ = regression_source(tmp_path)
    with pytest.raises(SettingsError, match="'max_seconds' parameter must be"):
        compare_source(source, "y", None, CompareSettings(), max_seconds=0)


def test_stop_ends_the_streamed_run_and_skips_the_remaining_variants(tmp_path):
    source, _ = regression_source(tmp_path)
    settings = CompareSettings(epochs=3.0, descent=Settings(learning_rate=0.05))
    polls = []

    def stop():  # turns true at the second poll inside the SGD run
        polls.append(1)
        return len(polls) >= 3

    comparison, _ = compare_source(
        source, "y", None, settings, chunk_rows=50, stop=stop
    )
    assert comparison.settings.variants == ("batch", "sgd")
    assert list(comparison.traces) == ["batch", "sgd"] and len(comparison.table) == 2
    sgd = comparison.primary("sgd")
    rows = int(sgd.samples[-1])
    assert 0 < rows < 3 * 600
    assert sgd.message.startswith(f"Stopped by the user after {rows:,} rows")
    assert comparison.primary("batch").samples[-1] == 3 * 600  # finished first


def test_stopped_batch_descent_on_passes_keeps_the_steps_it_took(tmp_path):
    """Batch descent of the log-loss (a pass per step) stopped after its fifth
    pass is the first five points of the unstopped run, and says where it stopped."""
    source, data = regression_source(tmp_path, logistic=True)
    settings = CompareSettings(
        variants=("batch", "sgd"), epochs=20.0,
        descent=Settings(learning_rate=0.5, max_points=100),
    )  # fmt: skip
    full, problem = compare_source(source, "y", None, settings, task="logistic")
    passes = []  # polls once batch descent has started (θ*'s steps poll too)

    def started(label, progress):
        passes.append(0)

    stopped, _ = compare_source(
        source, "y", None, settings, task="logistic", progress=started,
        stop=lambda: bool(passes) and (passes.append(1) or len(passes) > 5),
    )  # fmt: skip
    batch, reference = stopped.primary("batch"), full.primary("batch")
    assert list(stopped.traces) == ["batch"]
    np.testing.assert_array_equal(batch.path, reference.path[:5])
    np.testing.assert_array_equal(batch.loss, reference.loss[:5])
    np.testing.assert_array_equal(batch.samples, reference.samples[:5])
    assert batch.message.startswith("Stopped by the user after 2,400 rows (4 passes)")
    # The unstopped run is the engine's batch descent on the same rows.
    X = problem.scale.design(data[["a", "b"]].to_numpy())
    expected = descend(
        LogisticRegression(X, data["y"].to_numpy(), intercept=True),
        settings.settings_for("batch"),
    )
    np.testing.assert_allclose(reference.path, expected.path, rtol=1e-10, atol=1e-13)


def reference_problem(comparison, data, model, epsilon=None):
    """The in-memory engine's problem on the same rows, standardised as the
    source was (the standardisation itself is pinned in test_scale_gram)."""
    dataset = comparison.dataset
    z = (data[["a", "b"]].to_numpy() - dataset.means) / dataset.scales
    X, y = np.column_stack([np.ones(len(z)), z]), data["y"].to_numpy()
    if model == "huber":
        return HuberRegression(X, y, epsilon=epsilon, intercept=True)
    Problem = LogisticRegression if model == "logistic" else LinearRegression
    return Problem(X, y, intercept=True)


@pytest.mark.parametrize(
    ("model", "penalty"),
    [
        ("linear", {"penalty": "l1", "alpha": 0.05}),
        ("linear", {"penalty": "elasticnet", "alpha": 0.1, "l1_ratio": 0.3}),
        ("huber", {}),
        ("huber", {"penalty": "l1", "alpha": 0.02}),
        ("logistic", {"penalty": "l1", "alpha": 0.02}),
        ("logistic", {"penalty": "elasticnet", "alpha": 0.05, "l1_ratio": 0.5}),
    ],
)
def test_huber_and_l1_penalties_give_the_engines_optimum_and_batch_path(
    tmp_path, model, penalty
):
    source, data = regression_source(tmp_path, logistic=model == "logistic")
    if model == "huber":  # heavy tails, where Huber differs from least squares
        data["y"] += np.random.default_rng(5).standard_t(2, size=len(data))
        for k, path in enumerate(sorted(tmp_path.glob("p*.parquet"))):
            data.iloc[k * 200 : (k + 1) * 200].to_parquet(path, index=False)
    settings = CompareSettings(
        variants=("batch",), epochs=10.0, epsilon=0.5 if model == "huber" else None,
        descent=Settings(learning_rate=0.3, **penalty),
    )  # fmt: skip
    task = "logistic" if model == "logistic" else "linear"
    comparison, _ = compare_source(source, "y", None, settings, task=task)
    reference = reference_problem(comparison, data, model, epsilon=0.5)
    term = settings.descent.penalty_term
    expected = minimum(reference, term)
    found = comparison.optimum
    np.testing.assert_allclose(found.theta, expected.theta, rtol=0, atol=1e-8)
    assert found.loss == pytest.approx(expected.loss, rel=1e-12)
    batch = descend(reference, settings.settings_for("batch"))
    mine = comparison.primary("batch")
    np.testing.assert_allclose(mine.loss, batch.loss, rtol=1e-10)
    np.testing.assert_allclose(mine.path, batch.path, rtol=1e-10, atol=1e-12)


def test_a_stop_during_the_newton_steps_keeps_an_approximate_optimum(tmp_path):
    source, _ = regression_source(tmp_path, logistic=True)
    settings = CompareSettings(variants=("batch", "sgd"), epochs=5.0)
    polls = []
    comparison, _ = compare_source(
        source, "y", None, settings, task="logistic",
        stop=lambda: polls.append(1) or len(polls) > 2,
    )  # fmt: skip
    assert "stopped by the user before it converged" in comparison.optimum.note
    assert list(comparison.traces) == ["batch"]
    batch = comparison.primary("batch")
    assert batch.samples.tolist() == [0]  # its first point, then the stop
    assert batch.message.startswith("Stopped by the user after 0 rows")


# ---------------------------------------------------------------------------------
# A CSV value that is not a number, past the rows whose types were inferred
# ---------------------------------------------------------------------------------


def text_source(tmp_path, value="abc", rows=10_000, files=3):
    """``files`` CSV files; the second holds ``value`` in column 'b' at row 5,000."""
    rng = np.random.default_rng(2)
    for k in range(files):
        x = rng.normal(size=(rows, 2))
        y = (x @ [1.0, -1.0] > 0) * 1.0
        data = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}).astype(object)
        if k == 1:
            data.loc[5_000, "b"] = value
        data.to_csv(tmp_path / f"part-{k}.csv", index=False)
    return resolve(".", Access(tmp_path))


TEXT_IN_B = r"The column 'b' holds 'abc' in the file 'part-1\.csv'.*leave it out"


@pytest.mark.parametrize(
    ("task", "variants"),
    [("linear", ("batch",)), ("logistic", ("batch", "sgd")), ("linear", ("sgd",))],
)
def test_text_in_the_second_csv_file_is_a_data_error_naming_column_value_and_file(
    tmp_path, task, variants
):
    source = text_source(tmp_path)
    settings = CompareSettings(variants=variants)
    with pytest.raises(DataError, match=TEXT_IN_B):
        compare_source(source, "y", ["a", "b"], settings, task=task)


def every_pass(frame, columns):
    """Each pass compare_source makes over a source's frame, by itself."""
    from gddash.scale import gram, passes
    from gddash.scale.compare import _sample
    from gddash.scale.stream import StreamSettings, stream

    scale = gram.Scaling(("a", "b"), np.arange(2), np.zeros(2), np.ones(2))
    huber = passes.PassProblem(frame, columns, scale, 30_000, loss="huber")
    return {
        "gram": lambda: gram.moments(frame, columns),
        "log-loss / Huber pass": lambda: huber.sums(np.zeros((1, 3))),
        "sgd stream": lambda: stream(frame, columns, scale, 30_000, StreamSettings()),
        "surface sample": lambda: _sample(frame, columns, scale, "linear"),
    }


@pytest.mark.parametrize(
    "name", ["gram", "log-loss / Huber pass", "sgd stream", "surface sample"]
)
def test_every_pass_over_the_frame_gives_the_data_error(tmp_path, name):
    from gddash.scale.columns import choose

    source = text_source(tmp_path, files=2)
    if name == "surface sample":  # the sample is the first partition's rows
        (tmp_path / "part-0.csv").unlink()
        source = resolve(".", Access(tmp_path))
    columns, frame = choose(source, "y", ["a", "b"])
    with pytest.raises(DataError, match=TEXT_IN_B):
        every_pass(frame, columns)[name]()


def test_missing_value_markers_are_left_out_as_missing_rows(tmp_path):
    source = text_source(tmp_path, value="n/a")
    comparison, _ = compare_source(source, "y", None, CompareSettings())
    assert "1 rows with a missing value were left out." in comparison.dataset.notes


def test_the_sample_is_the_first_pieces_first_rows_not_the_whole_piece(
    tmp_path, monkeypatch
):
    """The fit's sample: the first SAMPLE_ROWS rows of the first piece, those
    complete, cut before they become float64 arrays."""
    from gddash.scale import compare as scale_compare
    from gddash.scale import gram
    from gddash.scale.columns import choose
    from gddash.scale.sources import parquet_pieces

    data = pd.DataFrame(np.arange(600.0).reshape(200, 3), columns=["a", "b", "y"])
    data.loc[3, "b"] = np.nan
    data.to_parquet(tmp_path / "p.parquet", row_group_size=50, index=False)
    source = resolve(".", Access(tmp_path))
    columns, frame = choose(source, "y", None)
    scale = gram.scaling(gram.moments(frame, columns), columns)
    monkeypatch.setattr(scale_compare, "SAMPLE_ROWS", 20)
    seen = []
    real = scale_compare.arrays
    monkeypatch.setattr(
        scale_compare,
        "arrays",
        lambda part, c: seen.append(part.num_rows) or real(part, c),
    )
    pieces = parquet_pieces(source, columns.names)
    dataset = scale_compare._sample(frame, columns, scale, "linear", pieces)
    assert seen == [20]  # only the rows the sample keeps became arrays
    kept = data.iloc[:20].drop(index=3)
    np.testing.assert_array_equal(dataset.y, kept["y"].to_numpy())
    np.testing.assert_array_equal(dataset.X, scale.design(kept[["a", "b"]].to_numpy()))


def test_an_empty_parquet_file_first_in_the_folder_is_passed_over(tmp_path):
    data = pd.DataFrame(np.arange(90.0).reshape(30, 3), columns=["a", "b", "y"])
    data.iloc[:0].to_parquet(tmp_path / "p0.parquet", index=False)
    data.to_parquet(tmp_path / "p1.parquet", index=False)
    comparison, _ = compare_source(
        resolve(".", Access(tmp_path)), "y", None, CompareSettings(epochs=1.0)
    )
    np.testing.assert_array_equal(comparison.dataset.y, data["y"].to_numpy())
