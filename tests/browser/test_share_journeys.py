"""Share links in a real Chromium: what a visitor copies is what the recipient sees.

The journeys of the share-link issue: a first-column target, chart options after
a run with a warning, data changes that must not talk about links, an uploaded
file named by the link, and the upload cap said on the page.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.browser

TIMING = ["seconds", "seconds to 1%"]  # wall-clock columns: never equal twice


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def run(app) -> None:
    app.rerun(lambda: app.page.get_by_role("button", name="Run comparison").click())


def same_table(before: pd.DataFrame, after: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        before.drop(columns=TIMING), after.drop(columns=TIMING)
    )


def no_link_warning(expect, app) -> None:
    expect(app.page.get_by_text(re.compile("The link's"))).to_have_count(0)


def upload(app, path: Path) -> None:
    uploader = app.page.get_by_test_id("stFileUploaderDropzoneInput")
    app.rerun(lambda: uploader.set_input_files(path))


def csv_file(folder: Path, name: str, columns: dict[str, np.ndarray]) -> Path:
    path = folder / name
    pd.DataFrame(columns).round(4).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Three small CSVs in the shapes of cars.csv, spector.csv and longley.csv."""
    folder = tmp_path_factory.mktemp("share")
    rng = np.random.default_rng(11)
    hp, weight = rng.normal(100, 30, 120), rng.normal(3000, 500, 120)
    cars = {
        "Miles_per_Gallon": 50 - 0.1 * hp - 0.005 * weight + rng.normal(0, 1, 120),
        "Horsepower": hp,
        "Weight_in_lbs": weight,
        "Year": rng.integers(70, 83, 120).astype(float),
    }
    gpa, tuce = rng.normal(3, 0.4, 32), rng.normal(22, 4, 32)
    spector = {"GPA": gpa, "TUCE": tuce, "GRADE": (gpa + rng.normal(0, 0.3, 32) > 3)}
    years = np.arange(1947, 1963, dtype=float)
    longley = {"GNP": np.linspace(234, 554, 16), "YEAR": years}
    longley["TOTEMP"] = 60000 + 20 * longley["GNP"] + rng.normal(0, 200, 16)
    spector["GRADE"] = spector["GRADE"].astype(int)
    return {
        "cars": csv_file(folder, "cars.csv", cars),
        "spector": csv_file(folder, "spector.csv", spector),
        "longley": csv_file(folder, "longley.csv", longley),
    }


def test_a_first_column_target_travels_in_the_link(expect, new_app):
    first = new_app().open("/?sample=diabetes")
    page = first.page
    first.choose("Target (what to predict)", "age")  # the first option
    features = page.get_by_test_id("stMultiSelect").filter(has_text="Features")
    features.get_by_role("combobox").click()
    page.get_by_role("option", name="progression", exact=True).click()
    page.keyboard.press("Escape")
    run(first)
    asked = query(page.url)
    assert asked["target"] == ["age"]
    assert "progression" in asked["features"] and "age" not in asked["features"]
    expect(page.get_by_text("age is the target, so it was taken out")).to_be_visible()
    before = first.comparison()

    second = new_app().open(page.url.removeprefix(first.base_url))
    expect(second.combo("Target (what to predict)")).to_have_value("age")
    expect(second.page.get_by_test_id("stAlertContentError")).to_have_count(0)
    no_link_warning(expect, second)
    second.screenshot("6a-first-column-target-link")
    same_table(before, second.comparison())


def test_chart_options_reach_the_link_after_a_run_that_warned(expect, new_app):
    first = new_app().open("/?lr=50")  # batch diverges: an extra warning
    page = first.page
    expect(page.get_by_test_id("stAlertContentWarning").first).to_be_visible()
    first.type_into("Learning rate η", "0.1", submit=False)
    first.type_into("Mini-batch size", "1000", submit=False)
    run(first)
    first.type_into("Mini-batch size", "32", submit=False)
    run(first)
    first.rerun(lambda: first.pick("x-axis", "Seconds"))
    log = page.get_by_test_id("stCheckbox").filter(has_text="Log scale")
    first.rerun(lambda: log.locator("label").click())
    expect(page).to_have_url(re.compile(r"x_axis=seconds"))
    expect(page).to_have_url(re.compile(r"log_y=true"))
    expect(page).to_have_url(re.compile(r"bs=32"))

    second = new_app().open(page.url.removeprefix(first.base_url))
    radio = second.page.get_by_role("radiogroup", name="x-axis")
    expect(radio.get_by_role("radio", name="Seconds")).to_be_checked()
    second_log = second.page.get_by_test_id("stCheckbox").filter(has_text="Log scale")
    expect(second_log.locator("input[type=checkbox]")).to_be_checked()
    no_link_warning(expect, second)


def test_changing_data_resets_quietly_without_talking_about_links(expect, app, files):
    page = app.open("/").page
    app.rerun(lambda: app.pick("Data", "Upload a CSV"))
    for name in ("cars", "spector", "longley"):
        upload(app, files[name])
        no_link_warning(expect, app)
    app.rerun(lambda: app.pick("Data", "Bundled sample"))
    for sample in (
        "Breast cancer diagnosis (real, classification)",
        "Noisy line (1 feature)",
    ):
        app.rerun(lambda sample=sample: app.choose("Sample dataset", sample))
        no_link_warning(expect, app)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_an_upload_link_names_its_file_and_checks_the_one_uploaded(
    expect, new_app, files
):
    first = new_app().open("/?source=upload")
    upload(first, files["cars"])
    first.choose("Target (what to predict)", "Miles_per_Gallon")
    run(first)
    asked = query(first.page.url)
    assert asked["file"] == ["cars.csv"] and len(asked["sha"][0]) == 12
    assert asked["target"] == ["Miles_per_Gallon"]
    before = first.comparison()

    second = new_app().open(first.page.url.removeprefix(first.base_url))
    prompt = second.page.get_by_test_id("stAlertContentInfo")
    expect(prompt).to_contain_text("This link was made with cars.csv")
    expect(prompt).to_contain_text(asked["sha"][0])
    second.screenshot("6b-upload-link-asks-for-its-file")
    upload(second, files["longley"])
    expect(
        second.page.get_by_text(re.compile("is not the file this link"))
    ).to_be_visible()
    upload(second, files["cars"])
    expect(
        second.page.get_by_text(re.compile("is not the file this link"))
    ).to_have_count(0)
    expect(second.combo("Target (what to predict)")).to_have_value("Miles_per_Gallon")
    same_table(before, second.comparison())


def test_the_upload_page_states_the_caps_and_what_to_do_with_a_larger_file(expect, app):
    page = app.open("/?source=upload").page
    caps = page.get_by_text(re.compile(r"Up to 10 MB, 1,000,000 rows, 200 columns"))
    expect(caps).to_be_visible()
    expect(page.get_by_text(re.compile("random sample of the rows"))).to_be_visible()
    app.screenshot("6c-upload-caps")
