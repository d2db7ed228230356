"""The compare page's large source (a path or URL read through Dask), in AppTest.

The server's data folder is a tmp_path holding a partitioned Parquet folder and
a CSV glob; ``GDDASH_DATA_ROOT`` points at it for the page's process.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from gddash import limits
from gddash.compare import CompareSettings
from gddash.engine import Settings
from gddash.errors import DataError
from gddash.scale import compare as scale_compare
from gddash.scale.compare import compare_source
from gddash.scale.sources import Access, resolve
from gddash.ui import large_source
from tests.ui.pages import APP, open_page, texts

pytest.importorskip("dask.dataframe")

ROWS = 600  # per file; three files


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A data folder allowed by the server: parts/ and clicks/ (Parquet; clicks
    has a 0/1 target) and csvs/ (CSV)."""
    rng = np.random.default_rng(0)
    (tmp_path / "parts").mkdir()
    (tmp_path / "csvs").mkdir()
    (tmp_path / "clicks").mkdir()
    for k in range(3):
        x = rng.normal(size=(ROWS, 2))
        y = 3.0 + x @ [1.5, -2.0] + 0.1 * rng.normal(size=ROWS)
        frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})
        frame.to_parquet(tmp_path / "parts" / f"part-{k}.parquet", index=False)
        frame.to_csv(tmp_path / "csvs" / f"part-{k}.csv", index=False)
        clicks = frame.assign(clicked=(y + rng.normal(size=ROWS) > 3.0).astype(int))
        clicks.drop(columns="y").to_parquet(
            tmp_path / "clicks" / f"part-{k}.parquet", index=False
        )
    monkeypatch.setenv("GDDASH_DATA_ROOT", str(tmp_path))
    monkeypatch.delenv("GDDASH_ALLOW_URLS", raising=False)
    monkeypatch.delenv("GDDASH_DASK_SCHEDULER", raising=False)
    return tmp_path


def data_options(at: AppTest) -> list[str]:
    """The titles offered by the "Data" segmented control."""
    return [option.content for option in at.get("button_group")[0].proto.options]


def run(at: AppTest) -> AppTest:
    next(b for b in at.button if "Run on this source" in str(b.label)).click()
    return at.run()


def comparison_table(at: AppTest) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "variant" in df.value.columns)


def test_the_option_is_hidden_unless_the_server_allows_it(monkeypatch):
    monkeypatch.delenv("GDDASH_DATA_ROOT", raising=False)
    monkeypatch.delenv("GDDASH_ALLOW_URLS", raising=False)
    at = open_page(source="large", path="parts")
    assert not at.exception
    assert not any("large data" in option for option in data_options(at))
    assert "which this server does not offer" in texts(at.warning)
    assert at.session_state["source"] == "sample"
    assert len(comparison_table(at)) == 3  # the sample's comparison instead


def test_the_setting_may_come_from_secrets_toml(root, monkeypatch):
    monkeypatch.delenv("GDDASH_DATA_ROOT")
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["GDDASH_DATA_ROOT"] = str(root)
    at.query_params["source"], at.query_params["path"] = "large", "parts"
    at = at.run()
    assert not at.exception
    assert "Columns of parts: 3 columns in 3 Parquet files" in [
        e.label for e in at.expander
    ]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../elsewhere", "contains '..'"),
        ("/etc/hostname", "is outside the data folder"),
        ("https://example.com/d.csv", "Reading URLs is off on this server"),
        ("parts/nothing.parquet", "No file or folder"),
    ],
)
def test_refused_locations_are_named_as_text_and_nothing_runs(root, path, message):
    at = open_page(source="large", path=path)
    assert not at.exception
    assert any("large data" in option for option in data_options(at))
    shown = texts(at.error)
    assert message in shown and "could not be used" in shown
    assert shown.count(path) == 1  # named once, by the reason
    assert not [b for b in at.button if "Run on this source" in str(b.label)]


def test_a_run_shows_the_table_of_compare_source_called_directly(root):
    at = open_page(source="large", path="parts")
    assert not at.exception
    assert at.selectbox(key="target").value == "y"
    assert at.multiselect(key="features").value == ["a", "b"]
    assert "Press Run on this source" in texts(at.info)  # a link alone runs nothing
    assert "rows of different partitions are never interleaved" in texts(at.caption)
    at = run(at)
    assert not at.exception
    shown = comparison_table(at)
    expected, _ = compare_source(
        resolve("parts", Access(root)),
        "y",
        ["a", "b"],
        CompareSettings(epochs=1.0, descent=Settings(learning_rate=0.01, seed=0)),
    )
    assert list(shown["variant"]) == ["Batch", "Stochastic (SGD)", "Mini-batch"]
    for column in ("final loss", "distance to θ*", "rows processed"):
        np.testing.assert_allclose(
            shown[column].astype(float), expected.table[column].astype(float)
        )
    assert f"loss {expected.optimum.loss:.6g}" in texts(at.caption)
    assert len(at.get("plotly_chart")) == 2  # the surface and its contours


def test_a_row_group_too_large_to_read_is_refused_before_the_run(root, monkeypatch):
    monkeypatch.setattr(limits, "MAX_GROUP_BYTES", ROWS * 3 * 8 - 1)
    at = run(open_page(source="large", path="parts"))
    assert not at.exception
    shown = texts(at.error)
    assert "holds a row group of 600 rows" in shown
    assert "Choose fewer columns, or rewrite the file" in shown
    assert "could not start." in shown  # nothing ran: it did not "finish" either
    assert not [df for df in at.dataframe if "variant" in df.value.columns]


def test_a_wide_source_suggests_as_many_features_as_a_run_takes(root, monkeypatch):
    """XᵀX grows with the square of the features: a source wider than the cap
    suggests its first features only, and more, from a link, are refused by
    the run with the numbers (a 3,000-column file took 2.5 min and 1.1 GB)."""
    monkeypatch.setattr(limits, "MAX_SOURCE_FEATURES", 1)
    at = open_page(source="large", path="parts")
    assert at.multiselect(key="features").value == ["a"]
    said = "This source has 3 numeric columns; a comparison takes at most 1 features"
    assert said in texts(at.caption)
    at = run(at)
    assert not at.exception and len(comparison_table(at)) == 3
    at = run(open_page(source="large", path="parts", features=["a", "b"]))
    assert not at.exception
    shown = texts(at.error)
    assert "2 feature columns are more than a comparison takes (1)" in shown
    assert "could not start." in shown


def test_a_failure_within_a_run_says_the_comparison_could_not_finish(root, monkeypatch):
    def fails(*args, **kwargs):
        raise DataError("The disk went away in the middle of a pass.")

    monkeypatch.setattr(scale_compare, "stream", fails)  # batch runs, then SGD fails
    at = run(open_page(source="large", path="parts"))
    assert not at.exception
    shown = texts(at.error)
    assert "could not finish." in shown
    assert "The disk went away in the middle of a pass." in shown


def test_a_rows_budget_ends_the_stochastic_runs_early_and_says_so(root):
    at = open_page(source="large", path="csvs/*.csv", big_rows="500")
    at = run(at)
    assert not at.exception
    table = comparison_table(at).set_index("variant")
    assert table.loc["Stochastic (SGD)", "rows processed"] == 500
    assert table.loc["Mini-batch", "rows processed"] <= 500 + 31
    assert table.loc["Batch", "rows processed"] == 3 * ROWS  # its budget: epochs
    assert "after 500 rows" in texts(at.markdown)


def test_the_command_shown_under_a_run_repeats_it_headless(root, capsys):
    """The page shows the command line that repeats its run; run here, with the
    server's data folder set, it gives the page's numbers."""
    import shlex

    from gddash.cli import main

    at = open_page(source="large", path="csvs/*.csv", big_rows="500", rule="adam")
    at = run(at)
    assert not at.exception
    command = next(c.value for c in at.get("code") if "gddash compare" in c.value)
    assert command.startswith("python -m gddash compare 'csvs/*.csv' --target y")
    assert "--rule adam" in command and "--max-rows 500" in command
    words = shlex.split(command)
    out = root / "report"
    assert main([*words[3:-1], str(out)]) == 0  # --out report/, under tmp_path
    capsys.readouterr()
    shown, written = comparison_table(at), pd.read_csv(out / "table.csv")
    for column in ("final loss", "rows processed"):
        np.testing.assert_allclose(shown[column].astype(float), written[column])


def test_stop_keeps_what_was_computed(root, monkeypatch):
    # Clicking Stop mid-run is a rerun AppTest cannot make while the script
    # waits; the button calls the run's stop(), so this calls it after the
    # first streamed chunk (the run's progress callback is a method of it).
    def stop_after_first_chunk(*args, progress, **kwargs):
        job = progress.__self__

        def report(label, done):
            progress(label, done)
            if done is not None:
                job.stop()

        return compare_source(*args, progress=report, **kwargs)

    monkeypatch.setattr(large_source, "compare_source", stop_after_first_chunk)
    at = open_page(source="large", path="parts", big_epochs="3")
    at = run(at)
    assert not at.exception
    assert "Stopped: the results below hold what was computed" in texts(at.warning)
    table = comparison_table(at).set_index("variant")
    assert list(table.index) == ["Batch", "Stochastic (SGD)"]  # mini-batch not run
    assert table.loc["Stochastic (SGD)", "rows processed"] < 3 * 3 * ROWS
    assert len(at.get("plotly_chart")) == 2


def address(at: AppTest) -> dict[str, list[str]]:
    query = dict(at.query_params)
    return {k: list(v) if isinstance(v, list) else [v] for k, v in query.items()}


def test_a_shared_link_restores_the_set_up_and_waits_for_a_click(root):
    asked = {
        "source": "large",
        "path": "csvs/*.csv",
        "target": "a",
        "features": ["b"],
        "model": "linear",
        "big_epochs": "2",
        "big_rows": "1000",
        "big_seconds": "30",
    }
    a = open_page(**asked)
    assert not a.exception
    assert not a.warning  # every value was taken
    assert a.session_state["features"] == ["b"] and a.session_state["big_rows"] == 1000
    assert not [df for df in a.dataframe if "variant" in df.value.columns]
    assert "Press Run on this source" in texts(a.info)
    link = address(a)  # what the page wrote back: the same set-up
    assert {k: link[k] for k in asked} == {
        k: v if isinstance(v, list) else [v] for k, v in asked.items()
    }
    b = open_page(None, **link)
    for key in ("path", "target", "features", "big_epochs", "big_rows", "big_seconds"):
        assert b.session_state[key] == a.session_state[key], key


def test_a_run_waits_while_another_session_holds_the_server(root):
    at = open_page(source="large", path="parts")
    assert large_source._SERVER_SLOT.acquire(blocking=False)
    try:
        at = run(at)
    finally:
        large_source._SERVER_SLOT.release()
    assert not at.exception
    assert "Another large comparison is running on this server" in texts(at.warning)
    assert not [df for df in at.dataframe if "variant" in df.value.columns]


def test_a_closed_tab_stops_its_run(root, monkeypatch):
    # Streamlit calls stop_when_released with the session's runs when the tab
    # disconnects (the session-scoped cache's on_release).
    started = threading.Event()

    def until_stopped(*args, stop, **kwargs):
        started.set()
        while not stop():
            threading.Event().wait(0.01)
        raise large_source.DataError("stopped")

    monkeypatch.setattr(large_source, "compare_source", until_stopped)
    request = large_source.Request(
        resolve("parts", Access(root)), "y", ("a",), "linear",
        CompareSettings(), None, None, None,
    )  # fmt: skip
    assert large_source._SERVER_SLOT.acquire(blocking=False)
    job = large_source.Job(request)
    job.start()
    assert started.wait(5)
    large_source.stop_when_released({"job": job})
    assert job.wait(5) and not job.stopped  # ended, and not by a visitor's Stop
    assert large_source._SERVER_SLOT.acquire(blocking=False)  # the slot is free
    large_source._SERVER_SLOT.release()


def test_logistic_regression_runs_with_its_sample_based_notes(root):
    at = open_page(source="large", path="clicks", model="logistic")
    assert at.selectbox(key="target").value == "clicked"
    at = run(at)
    assert not at.exception
    table = comparison_table(at)
    assert f"accuracy (first {ROWS:,} rows)" in table.columns
    assert f"the loss over the first {ROWS:,} rows" in texts(at.caption)
    assert len(at.get("plotly_chart")) == 2
    at.selectbox(key="target").set_value("a")  # numbers, not classes: refused
    at.multiselect(key="features").set_value(["b"])
    at = run(at)
    assert not at.exception
    assert "holds values other than 0 and 1" in texts(at.error)


def test_penalties_and_huber_as_on_the_page(root):
    at = open_page(source="large", path="parts", penalty="l1", alpha="0.05")
    at = run(at)
    assert not at.exception
    assert "Coefficient path" in [h.value for h in at.subheader]
    paths = [c for c in at.get("vega_lite_chart") if "alpha" in str(c.proto.spec)]
    assert paths  # θ*(α) from the one-pass sums
    at.radio(key="model").set_value("huber")
    at.selectbox(key="penalty").set_value("l2")
    at = run(at)
    assert not at.exception
    assert len(comparison_table(at)) == 3
    shown = texts(at.info) + texts(at.caption)
    assert "drawn for least squares only" in shown
    assert "huber regression (robust) on a large source" in shown


def test_the_column_list_counts_a_url_globs_files_and_a_folders(root, tmp_path):
    """The column list says how many files it read: a URL glob's as listed
    (it used to say 1, the URL itself), a folder's as found."""
    import fsspec

    from gddash.scale.sources import Source

    fs = fsspec.filesystem("memory")
    for k in range(4):
        with fs.open(f"/{tmp_path.name}/part-{k}.parquet", "wb") as file:
            pd.DataFrame({"a": [1.0, 2.0], "y": [3.0, 4.0]}).to_parquet(file)
    url = f"memory://{tmp_path.name}/*.parquet"  # a store that lists, as s3:// does
    schema = large_source.read_schema(Source(url, "parquet", (url,), remote=True))
    assert schema.files == 4 and schema.numeric == ("a", "y")
    folder = resolve("parts", Access(root))
    assert large_source.read_schema(folder).files == 3
