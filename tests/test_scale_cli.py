"""``python -m gddash compare``, end to end on a small CSV and a Parquet folder."""

import json

import numpy as np
import pandas as pd
import pytest

from gddash.__main__ import main

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
    names = {p.name for p in out.iterdir()}
    assert names >= {"table.csv", "traces.csv", "traces.parquet", "loss_curves.html",
                     "gradient_norms.html", "contours.html", "settings.json"}  # fmt: skip
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
