"""The "Tune and understand" page as a visitor uses it, in a real Chromium."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import App

pytestmark = pytest.mark.browser

SECTIONS = [
    "1. Curvature",
    "2. Learning-rate range test",
    "3. Sweep: learning rate × batch size",
    "4. Tuned vs tuned",
    "5. Theory on the curves",
]


def test_the_tune_page_draws_every_section_and_a_clicked_cell_opens_in_compare(
    expect, app: App
):
    page = app.open("/tune").page
    expect(page.locator("h2")).to_have_text(SECTIONS)
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(9)
    expect(charts.locator("svg.marks, canvas")).to_have_count(9)
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        "Tuned comparison"
    )
    app.screenshot("tune-1-page")

    # Click the first coloured cell of the sweep (Plain, SGD, the smallest rate).
    heatmap = charts.nth(2)
    heatmap.scroll_into_view_if_needed()
    app.screenshot("tune-2-sweep", heatmap)
    cell = heatmap.locator("g.mark-rect path").first
    app.rerun(lambda: cell.click(force=True))
    picked = app.visible(page.get_by_text(re.compile(r"^Picked: ")))
    text = picked.inner_text()
    rate = re.search(r"η = ([0-9.e+-]+):", text).group(1)
    rule = re.search(r"Picked: (\w+),", text).group(1)
    button = page.get_by_role("button", name="Open this run in the compare page")
    app.rerun(button.click)

    # The compare page, with that run's settings, ran it.
    expect(page.locator("h1").first).to_contain_text("Batch vs stochastic")
    expect(app.spin("Learning rate η")).to_have_value(rate)
    expect(app.combo("Update rule")).to_have_value(rule)
    expect(page).to_have_url(re.compile(rf"lr={re.escape(rate)}"))
    expect(page.get_by_test_id("stDataFrame").last).to_be_visible()
    expect(app.tags("Variants")).to_have_text(["Stochastic (SGD)"])
    app.fail_on_exception()


def test_the_tune_page_fits_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        app = App(context.new_page(), server.url).open("/tune")
        assert app.page.get_by_test_id("stException").count() == 0
        app.screenshot("tune-3-phone")
        wide = app.page.evaluate(
            """() => [...document.querySelectorAll(
                    'h1, h2, p, button, [data-testid="stVegaLiteChart"]')]
                .filter((e) => e.offsetParent !== null)
                .filter((e) => e.getBoundingClientRect().right
                    > document.documentElement.clientWidth + 1)
                .map((e) => e.tagName + ': ' + (e.innerText || '').slice(0, 60))"""
        )
        assert wide == []
    finally:
        context.close()
