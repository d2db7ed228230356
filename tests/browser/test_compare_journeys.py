"""The "Compare on your data" page as a visitor uses it, in a real Chromium."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gddash import compare, data
from gddash.compare import CompareSettings
from gddash.data import PrepareOptions
from gddash.engine import Settings

pytestmark = pytest.mark.browser

VARIANTS = ["Batch", "Stochastic (SGD)", "Mini-batch"]
STATUSES = {"converged", "max_iter", "diverged"}
TIMING = ["seconds", "seconds to 1%"]  # wall-clock columns: never equal twice


@pytest.fixture(scope="module")
def houses_csv(tmp_path_factory) -> Path:
    """price = 1 + 3·rooms − 2·age + noise; the last column ('noise') is unrelated.

    gddash suggests the last column as the target, so the visitor has to choose.
    """
    rng = np.random.default_rng(7)
    rooms, age, noise = rng.normal(size=(3, 150))
    price = 1 + 3 * rooms - 2 * age + 0.1 * rng.normal(size=150)
    frame = pd.DataFrame({"rooms": rooms, "price": price, "age": age, "noise": noise})
    path = tmp_path_factory.mktemp("csv") / "houses.csv"
    frame.round(4).to_csv(path, index=False)
    return path


def check_table(table: pd.DataFrame) -> None:
    assert table["variant"].tolist() == VARIANTS
    assert set(table["status"]) <= STATUSES
    assert np.isfinite(table["final loss"]).all()
    assert table["message"].str.len().gt(20).all()


def offline_table(raw: bytes, *, target: str, features: list[str], lr: float):
    """What gddash.compare computes for these settings (others at the defaults)."""
    dataset = data.prepare(data.read_csv(raw), target, features, PrepareOptions())
    settings = CompareSettings(descent=Settings(learning_rate=lr))
    return compare.run(dataset, settings).table


def test_first_visit_shows_loss_curves_the_3d_surface_and_a_three_row_table(
    expect, app
):
    app.open("/")
    page = app.page
    # Loss curves, gradient norms and the fit view are Vega charts, drawn as SVG.
    charts = page.get_by_test_id("stVegaLiteChart")
    app.visible(charts.first.locator("svg.marks"))
    expect(charts).to_have_count(3)
    expect(charts.locator("svg.marks")).to_have_count(3)
    legend = charts.first.locator("svg text").all_text_contents()
    assert {"Batch", "Stochastic (SGD)", "Mini-batch"} <= set(legend)
    # The 3-D loss surface: a Plotly surface with the three paths on it.
    surface = app.visible(page.locator(".js-plotly-plot").first)
    types = surface.evaluate("plot => plot._fullData.map(trace => trace.type)")
    assert "surface" in types and types.count("scatter3d") >= 3
    # Drawn by WebGL: without it, Plotly keeps the data above but shows "WebGL is
    # not supported by your browser" in place of the scene.
    expect(surface).not_to_contain_text("WebGL")
    verdict = page.get_by_test_id("stAlertContentSuccess")
    expect(verdict).to_contain_text("within 1% of the optimal loss")
    expect(page.get_by_test_id("stDataFrame").last).to_be_visible()
    page.get_by_text("Loss curves", exact=True).scroll_into_view_if_needed()
    app.screenshot("1a-first-visit")
    app.screenshot("1b-first-visit-surface", page.get_by_test_id("stPlotlyChart").first)
    table = app.comparison()
    check_table(table)
    assert table["R²"].between(0.5, 1).all()  # the noisy line: y = 4 + 3x + noise
    # Built on the click from a weakly held comparison: every run's every point.
    traces = pd.read_csv(io.BytesIO(app.download("Full traces (CSV)")))
    assert set(traces["variant"]) == {"batch", "sgd", "minibatch"}
    assert traces["loss"].notna().all()


def test_an_uploaded_csv_runs_with_the_chosen_target_and_features(
    expect, app, houses_csv
):
    page = app.open("/").page
    app.rerun(lambda: app.pick("Data", "Upload a CSV"))
    expect(page).to_have_url(re.compile(r"source=upload"))
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    app.rerun(lambda: uploader.set_input_files(houses_csv))
    expect(app.combo("Target (what to predict)")).to_have_value("noise")  # last column
    app.choose("Target (what to predict)", "price")
    features = page.get_by_test_id("stMultiSelect").filter(has_text="Features")
    features.get_by_role("button", name="Remove price").click()
    expect(app.tags("Features")).to_have_text(["rooms", "age"])
    app.type_into("Learning rate η", "0.5", submit=False)
    # The offline reference below assumes the page's defaults for everything else.
    for label, default in [("Epochs (passes)", "20"), ("Mini-batch size", "32")]:
        expect(app.spin(label)).to_have_value(default)
    expect(app.spin("Seed")).to_have_value("0")
    app.rerun(lambda: page.get_by_role("button", name="Run comparison").click())
    expect(page).to_have_url(re.compile(r"target=price"))
    expect(page).to_have_url(re.compile(r"features=rooms&features=age"))
    page.get_by_text("Results", exact=True).scroll_into_view_if_needed()
    app.screenshot("2-upload")

    table = app.comparison()
    check_table(table)
    # price is a near-exact linear function; SGD at η = 0.5 ends a little noisy
    assert table["R²"].gt(0.95).all() and table["R²"].max() > 0.999
    expected = offline_table(
        houses_csv.read_bytes(), target="price", features=["rooms", "age"], lr=0.5
    )
    assert table["final loss"].tolist() == pytest.approx(
        expected["final loss"].tolist(), rel=1e-9
    )
    assert table["status"].tolist() == expected["status"].tolist()


def test_a_malformed_file_gets_a_readable_error_and_a_good_file_then_works(
    expect, app, houses_csv, tmp_path
):
    page = app.open("/?source=Upload+a+CSV").page
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    app.rerun(lambda: uploader.set_input_files(broken))
    error = app.visible(page.get_by_test_id("stAlertContentError"))
    message = error.inner_text()
    assert "broken.csv could not be used." in message
    assert len(message) > 60 and "Traceback" not in message
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stDownloadButton")).to_have_count(0)
    app.screenshot("3a-malformed-file")

    # Replacing the file reruns twice (without a file, then with the new one):
    # wait for the results of the second run.
    uploader.set_input_files(houses_csv)
    app.visible(page.get_by_test_id("stDownloadButton").first)
    app.settle()
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    app.screenshot("3b-recovered")
    check_table(app.comparison())


def test_a_copied_compare_link_restores_the_settings_and_results(expect, new_app):
    first = new_app().open("/")
    page = first.page
    sample = "Diabetes progression (real, regression)"
    first.rerun(lambda: first.choose("Sample dataset", sample))
    first.type_into("Learning rate η", "0.05", submit=False)
    first.choose("Update rule", "Adam")
    first.type_into("Epochs (passes)", "7", submit=False)
    first.rerun(lambda: page.get_by_role("button", name="Run comparison").click())
    expect(page).to_have_url(re.compile(r"rule=adam"))
    link = page.url
    for part in ("sample=diabetes", "lr=0.05", "epochs=7", "target=progression"):
        assert part in link, link
    chosen = first.tags("Features").all_text_contents()
    before = first.comparison()
    assert len(chosen) == 10

    second = new_app().open(link.removeprefix(first.base_url))
    expect(second.combo("Sample dataset")).to_have_value(sample)
    expect(second.combo("Update rule")).to_have_value("Adam")
    expect(second.spin("Learning rate η")).to_have_value("0.05")
    expect(second.spin("Epochs (passes)")).to_have_value("7")
    expect(second.tags("Features")).to_have_text(chosen)
    expect(second.page.get_by_test_id("stAlertContentWarning")).to_have_count(0)
    second.screenshot("5a-shared-compare-link")
    after = second.comparison()
    pd.testing.assert_frame_equal(
        before.drop(columns=TIMING), after.drop(columns=TIMING)
    )
    assert after["epochs"].tolist() == [7, 7, 7]
    assert all(math.isfinite(v) for v in after["final loss"])
