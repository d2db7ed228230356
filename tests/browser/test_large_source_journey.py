"""The compare page's large source, as a visitor of a server that allows it.

A server of its own (the shared one does not allow reading files): started with
``GDDASH_DATA_ROOT`` naming a folder that holds a partitioned Parquet dataset.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tests.browser.chromium import start_server, stop_server
from tests.browser.conftest import SCREENSHOTS, VIEWPORT, App

pytestmark = pytest.mark.browser

VARIANTS = ["Batch", "Stochastic (SGD)", "Mini-batch"]


@pytest.fixture(scope="module")
def large_server(chromium_path, tmp_path_factory):
    """A server whose data folder holds sales/ (four Parquet files)."""
    root = tmp_path_factory.mktemp("data-root")
    (root / "sales").mkdir()
    rng = np.random.default_rng(3)
    for k in range(4):
        price, area = rng.normal(size=(2, 5_000))
        units = 20 - 4 * price + 2.5 * area + rng.normal(size=5_000)
        frame = pd.DataFrame({"price": price, "area": area, "units": units})
        frame.to_parquet(root / "sales" / f"part-{k:02d}.parquet", index=False)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log = SCREENSHOTS / "large-server.log"
    try:
        process, url = start_server(log, env={"GDDASH_DATA_ROOT": str(root)})
    except SystemExit as why:
        pytest.fail(f"{why}; see {log}")
    try:
        yield url
    finally:
        stop_server(process)


def test_a_visitor_compares_on_a_parquet_folder(browser, expect, large_server):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    try:
        # Opened on the upload option, which computes nothing until a file
        # comes: the sample's comparison would only add to the test's time.
        app = App(context.new_page(), large_server).open("/?source=upload")
        page = app.page
        app.rerun(lambda: app.pick("Data", "Path or URL (large data)"))
        box = page.get_by_role("textbox", name="Path or URL")
        box.fill("sales")
        app.rerun(lambda: box.press("Enter"))
        expect(page.get_by_text("4 Parquet files")).to_be_visible()
        expect(app.combo("Target (what to predict)")).to_have_value("units")
        expect(app.tags("Features")).to_have_text(["price", "area"])
        expect(
            page.get_by_text("Rows are shuffled within their partition")
        ).to_be_visible()

        run = page.get_by_role("button", name="Run on this source")
        app.rerun(run.click)
        verdict = page.get_by_test_id("stAlertContentSuccess")
        expect(verdict).to_contain_text("within 1% of the optimal loss")
        expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
        page.get_by_text("Results", exact=True).scroll_into_view_if_needed()
        app.screenshot("large-1-parquet-folder")
        grid = page.get_by_test_id("stDataFrame").last
        grid.scroll_into_view_if_needed()
        app.screenshot("large-2-table", grid)
        table = app.comparison()
        assert table["variant"].tolist() == VARIANTS
        assert (table["rows processed"] == 20_000).all()  # one epoch each
        expect(page).to_have_url(re.compile(r"[?&]path=sales(&|$)"))
    finally:
        context.close()
