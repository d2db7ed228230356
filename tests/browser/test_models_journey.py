"""Softmax regression with a penalty on the compare page, in a real Chromium."""

from __future__ import annotations

import pytest

from gddash import titles
from gddash.page_settings import LAB_SAMPLES

pytestmark = pytest.mark.browser


def test_iris_softmax_with_l2_draws_the_table_confusion_matrix_and_path(expect, app):
    app.open("/")
    page = app.page
    app.rerun(lambda: app.choose("Sample dataset", LAB_SAMPLES["iris"].title))
    expect(app.page.get_by_role("radiogroup", name="Model")).to_be_visible()
    assert page.get_by_role("radio", name=titles.MODEL["softmax"]).is_checked()
    app.choose("Penalty", titles.PENALTY["l2"])
    app.type_into("α (penalty strength)", "0.01", submit=False)
    app.rerun(lambda: page.get_by_role("button", name="Run comparison").click())
    app.fail_on_exception()

    path = page.get_by_text("Coefficient path", exact=True)
    app.visible(path)
    charts = page.get_by_test_id("stVegaLiteChart")
    app.visible(charts.first.locator("svg.marks"))
    texts = " ".join(charts.locator("svg text").all_text_contents())
    assert "Confusion matrix — Batch, train rows (150)" in texts
    assert "Accuracy per class" in texts
    assert "setosa" in texts and "virginica" in texts
    assert "alpha" in texts  # the coefficient path's axis
    path.scroll_into_view_if_needed()
    app.screenshot("models-1-iris-softmax-l2-path")
    page.get_by_text("Fit", exact=True).scroll_into_view_if_needed()
    app.screenshot("models-2-iris-softmax-confusion")

    table = app.comparison()
    assert table["accuracy"].between(0.8, 1.0).all()
    assert (table["status"] != "diverged").all()
    assert "penalty=l2" in page.url and "alpha=0.01" in page.url
