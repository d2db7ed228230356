"""``python -m gddash compare``, end to end on a small CSV and a Parquet folder."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gddash.cli import main

pytest.importorskip("dask.dataframe")


def table(n=300, seed=0, logistic=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = x @ [1.5, -2.0] + 4.0 + rng.normal(size=n) * 0.5
    if logistic:
        y = (y > 4.0) * 1.0
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})


def test_a_csv_gives_the_table_traces_charts_and_settings(tmp_path, capsys):
    table().to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "report"
    code = main(["compare", str(tmp_path / "d.csv"), "--target", "y",
                 "--epochs", "2", "--out", str(out)])  # fmt: skip
    assert code == 0
    # The verdict, then the table's main columns as text, then the files.
    printed = capsys.readouterr().out.splitlines()
    header = next(line for line in printed if line.startswith("variant"))
    assert "final loss" in header and "gap to optimum" in header
    at = printed.index(header)
    assert [line.split()[0] for line in printed[at + 1 : at + 4]] == [
        "Batch", "Stochastic", "Mini-batch"
    ]  # fmt: skip
    assert printed[-1] == str(out / "settings.json")
    names = {p.name for p in out.iterdir()}
    assert names >= {"table.csv", "traces.csv", "traces.parquet", "loss_curves.html",
                     "gradient_norms.html", "surface.html", "contours.html",
                     "settings.json"}  # fmt: skip
    result = pd.read_csv(out / "table.csv")
    # Two epochs: SGD has fitted, batch has taken two small steps.
    r2 = dict(zip(result["variant"], result["R²"], strict=True))
    assert len(result) == 3 and r2["Stochastic (SGD)"] > 0.9 > r2["Batch"]
    traces = pd.read_parquet(out / "traces.parquet")
    assert set(traces["variant"]) == {"batch", "sgd", "minibatch"}
    settings = json.loads((out / "settings.json").read_text())
    assert settings["target"] == "y" and settings["epochs"] == 2.0
    assert "<html" in (out / "loss_curves.html").read_text().lower()


def test_a_parquet_folder_with_the_log_loss(tmp_path):
    folder = tmp_path / "pq"
    folder.mkdir()
    data = table(logistic=True)
    for k in range(3):
        data.iloc[k * 100 : (k + 1) * 100].to_parquet(folder / f"part-{k}.parquet")
    out = tmp_path / "report"
    code = main(["compare", str(folder), "--target", "y", "--task", "logistic",
                 "--variants", "batch", "sgd", "--epochs", "1", "--learning-rate",
                 "0.1", "--out", str(out)])  # fmt: skip
    assert code == 0
    result = pd.read_csv(out / "table.csv")
    assert list(result["variant"].str.contains("SGD|Batch", regex=True)) == [True] * 2
    assert any(c.startswith("accuracy (first") for c in result.columns)


def test_a_refused_input_is_a_message_not_a_traceback(tmp_path, capsys):
    table().to_csv(tmp_path / "d.csv", index=False)
    code = main(["compare", str(tmp_path / "d.csv"), "--target", "nope",
                 "--out", str(tmp_path / "r")])  # fmt: skip
    assert code == 2
    assert "No column 'nope'" in capsys.readouterr().err


def test_a_scheduler_that_is_not_an_address_is_a_message(tmp_path, capsys):
    table().to_csv(tmp_path / "d.csv", index=False)
    code = main(["compare", str(tmp_path / "d.csv"), "--target", "y",
                 "--scheduler", "no-port", "--out", str(tmp_path / "r")])  # fmt: skip
    assert code == 2
    assert "Could not reach the Dask scheduler at 'no-port'" in capsys.readouterr().err


def test_huber_with_an_l1_penalty_from_the_command_line(tmp_path):
    table().to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "report"
    code = main(["compare", str(tmp_path / "d.csv"), "--target", "y", "--variants",
                 "batch", "--epsilon", "1.0", "--penalty", "l1", "--alpha", "0.01",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    settings = json.loads((out / "settings.json").read_text())
    assert settings["epsilon"] == 1.0 and settings["penalty"] == "l1"
    assert settings["optimum"].startswith("proximal Newton")


def test_text_deep_in_a_csv_file_is_a_message_naming_column_and_file(tmp_path, capsys):
    folder = tmp_path / "csv"
    folder.mkdir()
    for k in range(2):
        data = table(n=6_000, seed=k).astype(object)
        if k == 1:
            data.loc[5_000, "a"] = "abc"
        data.to_csv(folder / f"part-{k}.csv", index=False)
    code = main(["compare", str(folder), "--target", "y",
                 "--out", str(tmp_path / "r")])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "The column 'a' holds 'abc' in the file 'part-1.csv'" in err
    assert "Traceback" not in err and not (tmp_path / "r").exists()


def run_pressing_ctrl_c(tmp_path, monkeypatch, presses: int) -> tuple[int, Path]:
    """Run 50 epochs on a small CSV, pressing Ctrl-C ``presses`` times at SGD's
    first chunk: a real SIGINT to this process, taken by the command's handler.
    Returns the exit code and the report folder."""
    import signal

    import gddash.scale.compare as scale_compare

    real = scale_compare.compare_source

    def compare_source(*args, progress, **kwargs):
        pressed = []

        def pressing(label, p):
            progress(label, p)
            if p is not None and label.startswith("Stochastic") and not pressed:
                pressed.append(True)
                for _ in range(presses):
                    signal.raise_signal(signal.SIGINT)

        return real(*args, progress=pressing, **kwargs)

    monkeypatch.setattr(scale_compare, "compare_source", compare_source)
    table().to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "report"
    code = main(["compare", str(tmp_path / "d.csv"), "--target", "y",
                 "--epochs", "50", "--out", str(out)])  # fmt: skip
    return code, out


def test_ctrl_c_stops_like_the_pages_stop_and_writes_what_was_computed(
    tmp_path, capsys, monkeypatch
):
    code, out = run_pressing_ctrl_c(tmp_path, monkeypatch, presses=1)
    assert code == 0
    said = capsys.readouterr()
    assert "Stopped by Ctrl-C" in said.out and "Stopping:" in said.err
    # SGD ended where it was; mini-batch, not started, is left out.
    result = pd.read_csv(out / "table.csv")
    assert list(result["variant"]) == ["Batch", "Stochastic (SGD)"]
    settings = json.loads((out / "settings.json").read_text())
    assert settings["stopped_by_ctrl_c"] and settings["variants"] == ["batch", "sgd"]
    traces = pd.read_parquet(out / "traces.parquet")
    assert traces.loc[traces["variant"] == "sgd", "epoch"].max() < 50


def test_a_second_ctrl_c_abandons_the_run_and_writes_nothing(
    tmp_path, capsys, monkeypatch
):
    code, out = run_pressing_ctrl_c(tmp_path, monkeypatch, presses=2)
    assert code == 130
    err = capsys.readouterr().err
    assert "abandoned at the second Ctrl-C" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("where", ["a-file", "a-file/report"])
def test_an_out_folder_that_cannot_be_written_is_refused_before_any_pass(
    tmp_path, capsys, monkeypatch, where
):
    import gddash.scale.compare as scale_compare

    def never(*args, **kwargs):
        raise AssertionError("the comparison ran")

    monkeypatch.setattr(scale_compare, "compare_source", never)
    table().to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "a-file").write_text("not a folder")
    code = main(["compare", str(tmp_path / "d.csv"), "--target", "y",
                 "--out", str(tmp_path / where)])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "a-file" in err and "a file" in err and "--out" in err


def test_a_penalty_without_alpha_takes_the_pages_default(tmp_path):
    table().to_csv(tmp_path / "d.csv", index=False)
    for extra, alpha in ((["--penalty", "l2"], 0.0001), ([], None)):
        out = tmp_path / f"report{len(extra)}"
        code = main(["compare", str(tmp_path / "d.csv"), "--target", "y",
                     "--variants", "batch", *extra, "--out", str(out)])  # fmt: skip
        assert code == 0
        assert json.loads((out / "settings.json").read_text())["alpha"] == alpha


@pytest.mark.parametrize(("every", "lines"), [(1e9, 0), (0.0, 50)])
def test_progress_lines_come_at_each_run_start_and_then_at_most_every_few_seconds(
    tmp_path, capsys, monkeypatch, every, lines
):
    import gddash.cli as cli

    monkeypatch.setattr(cli, "PRINT_SECONDS", every)
    table().to_csv(tmp_path / "d.csv", index=False)
    code = main(["compare", str(tmp_path / "d.csv"), "--target", "y", "--variants",
                 "batch", "sgd", "--epochs", "50", "--out", str(tmp_path / "r")])  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err.splitlines()
    assert err[:3] == [
        "  One pass over the source for its sums, and from them the optimum θ*…",
        "  Batch (run 1 of 2)…",
        "  Stochastic (SGD) (run 2 of 2)…",
    ]
    # One partition: SGD reports after each of its 50 passes.
    assert sum("rows processed" in line for line in err) == lines


def test_the_surface_and_contours_hold_every_variants_path_as_on_the_page(tmp_path):
    table().to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "report"
    assert main(["compare", str(tmp_path / "d.csv"), "--target", "y",
                 "--out", str(out)]) == 0  # fmt: skip
    for name in ("surface.html", "contours.html"):
        html = (out / name).read_text()
        for trace in ("Batch", "Stochastic (SGD)", "Mini-batch", "optimum θ*"):
            assert f'"name":"{trace}"' in html, (name, trace)
    # Least squares: the whole source's loss, so no note about a sample.
    assert json.loads((out / "settings.json").read_text())["notes"] == []


def test_a_huber_surface_is_drawn_on_the_sample_not_with_passes_over_the_source():
    """Each point over every row would be a pass over the source: minutes for
    a 40 × 40 grid over 10⁸ rows. The page draws the sample's; so does the CLI."""
    from gddash import data
    from gddash.compare import CompareSettings, run
    from gddash.scale import report

    dataset = data.prepare(table(n=200), "y", None, data.PrepareOptions())
    comparison = run(dataset, CompareSettings(variants=("batch",), epsilon=1.0))

    class Source:  # a pass problem that must not be asked for the grid
        kind = "huber"

        def evaluate(self, thetas, penalty=None):
            raise AssertionError("a pass over the source for the surface")

    grid, note = report.loss_grid(comparison, Source())
    assert note.startswith("The surface and contours are the loss over the first 200")
    assert grid.note.startswith(note) and grid.Z.shape[0] >= 10


def test_the_rule_and_schedule_reach_the_runs_as_the_pages_form_sets_them(tmp_path):
    from gddash.compare import CompareSettings
    from gddash.engine import Settings
    from gddash.scale.compare import compare_source
    from gddash.scale.sources import Access, resolve

    table().to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "report"
    code = main(["compare", str(tmp_path / "d.csv"), "--target", "y", "--rule",
                 "adam", "--schedule", "invscaling", "--out", str(out)])  # fmt: skip
    assert code == 0
    page = CompareSettings(  # the command line's defaults besides the two
        epochs=1.0, batch_size=32,
        descent=Settings(learning_rate=0.01, rule="adam", schedule="invscaling"),
    )  # fmt: skip
    source = resolve(str(tmp_path / "d.csv"), Access("/", True))
    expected, _ = compare_source(source, "y", None, page)
    written = pd.read_csv(out / "table.csv")
    np.testing.assert_array_equal(
        written["final loss"], expected.table["final loss"].to_numpy()
    )
    settings = json.loads((out / "settings.json").read_text())
    assert (settings["rule"], settings["schedule"]) == ("adam", "invscaling")


def test_a_relative_path_is_read_from_the_working_folder(tmp_path, monkeypatch):
    """With no data folder set, the command reads what a shell would name: the
    README's own example is a relative path."""
    monkeypatch.delenv("GDDASH_DATA_ROOT", raising=False)
    (tmp_path / "data").mkdir()
    table().to_csv(tmp_path / "data" / "d.csv", index=False)
    monkeypatch.chdir(tmp_path)
    code = main(["compare", "data/d.csv", "--target", "y", "--variants", "batch",
                 "--out", "report"])  # fmt: skip
    assert code == 0
    assert (tmp_path / "report" / "table.csv").exists()


# Any name a column or file may have, "-x" too; but argparse drops a value of
# exactly "--", even after "=".
names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1
).filter(lambda name: name != "--" and name.strip() == name)


@settings(max_examples=60, deadline=None)
@given(
    location=names,
    target=names,
    features=st.lists(names, min_size=1, max_size=4),
    task=st.sampled_from(["linear", "logistic"]),
    variants=st.lists(
        st.sampled_from(["batch", "sgd", "minibatch"]), min_size=1, unique=True
    ),
    epochs=st.floats(1e-3, 1e3),
    rate=st.floats(1e-6, 10.0),
    rule=st.sampled_from(
        ["plain", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    ),
    schedule=st.sampled_from(["constant", "invscaling", "step", "exponential"]),
    batch=st.integers(1, 10_000),
    seed=st.integers(0, 10**6),
    penalty=st.sampled_from([None, "l2", "l1", "elasticnet"]),
    alpha=st.floats(0.0, 10.0),
    l1_ratio=st.floats(0.0, 1.0),
    epsilon=st.none() | st.floats(1e-3, 10.0),
    budgets=st.tuples(
        st.none() | st.integers(1, 10**9), st.none() | st.floats(0.1, 1e5)
    ),
)
def test_the_command_the_page_shows_parses_back_to_the_same_run(
    location, target, features, task, variants, epochs, rate, rule, schedule,
    batch, seed, penalty, alpha, l1_ratio, epsilon, budgets,
):  # fmt: skip
    import shlex

    from gddash.cli import command_line, compare_settings, parser
    from gddash.compare import CompareSettings
    from gddash.engine import Settings

    asked = CompareSettings(
        variants=tuple(variants), epochs=epochs, batch_size=batch,
        epsilon=epsilon,
        descent=Settings(
            learning_rate=rate, rule=rule, schedule=schedule, seed=seed,
            penalty=penalty, alpha=alpha if penalty else None,
            l1_ratio=l1_ratio if penalty == "elasticnet" else 0.15,
        ),
    )  # fmt: skip
    max_rows, max_seconds = budgets
    command = command_line(location, target, features, task, asked,
                           max_rows=max_rows, max_seconds=max_seconds)  # fmt: skip
    words = shlex.split(command)
    assert words[:4] == ["python", "-m", "gddash", "compare"]
    args = parser().parse_args(words[3:])
    assert (args.source, args.target, args.features) == (location, target, features)
    assert (args.task, args.max_rows, args.max_seconds) == (task, max_rows, max_seconds)
    assert compare_settings(args) == asked


def test_a_column_or_source_that_starts_with_a_dash_survives_the_shown_command():
    """argparse reads "-y" as an option: the command gives such a column as
    --target=-y (--features=NAME for each feature) and such a source after "--"."""
    import shlex

    from gddash.cli import command_line, compare_settings, parser
    from gddash.compare import CompareSettings

    command = command_line("-odd.parquet", "-y", ["b", "-a"], "linear",
                           CompareSettings())  # fmt: skip
    assert "--target=-y --features=b --features=-a" in command
    assert command.endswith("--out report -- -odd.parquet")
    args = parser().parse_args(shlex.split(command)[3:])
    assert (args.source, args.target, args.features) == (
        "-odd.parquet",
        "-y",
        ["b", "-a"],
    )
    assert compare_settings(args) == CompareSettings()


def test_a_missing_file_is_named_without_a_data_folder_when_none_is_set(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("GDDASH_DATA_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    code = main(["compare", "nothing.csv", "--target", "y", "--out", "report"])
    assert code == 2
    said = capsys.readouterr().err
    assert f"No file or folder '{tmp_path / 'nothing.csv'}'." in said
    assert "data folder" not in said
