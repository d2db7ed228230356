"""Browser end-to-end tests: one Streamlit server and one Chromium per test session.

The server is ``streamlit run app.py`` on a free port of 127.0.0.1, started from the
repository root; its log goes to ``tests/screenshots/server.log``. Chromium is
Debian's (``/usr/bin/chromium``, or ``GDDASH_CHROMIUM``); Playwright never downloads
a browser. Without Chromium or Playwright the tests skip and say why, except under
``CI=true``, where a missing browser fails the run.

Synchronisation never sleeps: a page is ready when its first script run finished
(the title is drawn and ``stApp`` says ``data-test-script-state="notRunning"``)
and it is drawn (no loading skeletons, every visible chart has its SVG or canvas);
an action that reruns the script is wrapped in ``App.rerun``, which waits for the
``script_finished`` message on Streamlit's websocket (registered before the action,
so a fast run cannot be missed) and then for the page to settle.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.browser.chromium import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN,
    IDLE,
    script_finished,
    start_server,
    stop_server,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "screenshots"
VIEWPORT = {"width": 1400, "height": 2400}
RUN_TIMEOUT_MS = 60_000  # a page run on a loaded two-core machine


# -- Skip or fail when there is no browser ----------------------------------------------


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the 'playwright' package is not installed (pip install playwright)"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Chromium's path; skips every browser test without it (fails under CI=true)."""
    reason = missing_browser()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                f"CI=true but the browser tests cannot run: {reason}.", pytrace=False
            )
        pytest.skip(f"Browser tests skipped: {reason}.")
    return CHROMIUM


# -- The server -------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str  # e.g. http://127.0.0.1:40123
    pid: int
    log: Path


@pytest.fixture(scope="session")
def server(chromium_path: str) -> Iterator[Server]:
    """``streamlit run app.py`` on a free local port for the whole test session."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log = SCREENSHOTS / "server.log"
    try:
        process, url = start_server(log)
    except SystemExit as why:
        pytest.fail(f"{why}; see {log}")
    try:
        yield Server(url, process.pid, log)
    finally:
        stop_server(process)


# -- The browser and pages ---------------------------------------------------------------


@pytest.fixture(scope="session")
def expect(chromium_path: str):
    """Playwright's retrying ``expect`` (a fixture, so that a missing package skips)."""
    from playwright.sync_api import expect

    return expect


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class App:
    """One browser tab on the app, with the few moves the journeys need."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self._socket = None
        page.on("websocket", self._remember)
        page.set_default_timeout(RUN_TIMEOUT_MS)

    def _remember(self, socket) -> None:
        if socket.url.endswith("/_stcore/stream"):
            self._socket = socket

    # Waiting -------------------------------------------------------------------------

    def open(self, path: str = "/") -> App:
        """Load ``path`` (with its query string) and wait for its first run to end."""
        self.page.goto(self.base_url + path)
        self.page.locator(IDLE).wait_for()
        # The title is drawn by the script, so a drawn title and an idle app mean
        # that the first run finished (before it, the app is idle and empty).
        self.page.locator("h1").first.wait_for()
        self.settle()
        return self

    def settle(self) -> None:
        """Wait for the app to be connected, idle and drawn; fail on a traceback."""
        self.page.locator(IDLE).wait_for()
        self.fail_on_exception()
        self.page.wait_for_function(DRAWN)

    def fail_on_exception(self) -> None:
        error = self.page.get_by_test_id("stException")
        if error.count():
            pytest.fail(f"The page raised: {error.first.inner_text()[:2000]}")

    def rerun(self, action: Callable[[], object]) -> None:
        """Do ``action`` (which makes the script rerun) and wait for that run."""
        assert self._socket is not None, "open() the page first"
        with self._socket.expect_event(
            "framereceived", predicate=script_finished, timeout=RUN_TIMEOUT_MS
        ):
            action()
        self.settle()

    def visible(self, locator):
        """Wait until ``locator`` (or a traceback) shows; return it."""
        error = self.page.get_by_test_id("stException")
        locator.or_(error).first.wait_for(state="visible")
        self.fail_on_exception()
        return locator

    # Widgets ------------------------------------------------------------------------

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the selectbox ``label`` (no rerun inside a form)."""
        self.combo(label).click()
        self.page.get_by_role("option", name=option, exact=True).click()

    def pick(self, group: str, option: str) -> None:
        """Press ``option`` in the segmented control or radio group ``group``."""
        self.page.get_by_role("radiogroup", name=group).get_by_text(
            option, exact=True
        ).click()

    # Widget values: assert them with ``expect(...).to_have_value(...)``, which
    # retries. A freshly mounted number input can show its minimum for a moment
    # before the value from the URL arrives, so a one-off read may be stale.

    def spin(self, label: str):
        return self.page.get_by_role("spinbutton", name=label, exact=True)

    def combo(self, label: str):
        return self.page.get_by_role("combobox", name=label, exact=True)

    def tags(self, label: str):
        """The chosen values of the multiselect ``label`` (use ``to_have_text``)."""
        box = self.page.get_by_test_id("stMultiSelect").filter(has=self.combo(label))
        return box.locator("[data-tag] [title]")

    def type_into(self, label: str, value: str, *, submit: bool) -> None:
        """Type into a number input; Enter reruns, Tab only commits (in a form)."""
        box = self.spin(label)
        box.fill(value)
        box.press("Enter" if submit else "Tab")

    def metric(self, label: str):
        """The value of the ``st.metric`` labelled ``label``."""
        label_cell = self.page.get_by_test_id("stMetricLabel").get_by_text(
            label, exact=True
        )
        return (
            self.page.get_by_test_id("stMetric")
            .filter(has=label_cell)
            .get_by_test_id("stMetricValue")
        )

    def metrics(self) -> dict[str, str]:
        """Label -> value of every ``st.metric`` on the page (after ``settle``)."""
        return self.page.get_by_test_id("stMetric").evaluate_all(
            """metrics => Object.fromEntries(metrics.map(m => [
                m.querySelector('[data-testid=stMetricLabel]').innerText.trim(),
                m.querySelector('[data-testid=stMetricValue]').innerText.trim()]))"""
        )

    def slide_to_end(self, label: str) -> None:
        """Move the slider ``label`` to its maximum with the keyboard (reruns)."""
        thumb = (
            self.page.get_by_test_id("stSlider")
            .filter(has_text=label)
            .get_by_role("slider")
        )

        def press_end() -> None:
            thumb.focus()
            thumb.press("End")

        self.rerun(press_end)

    def download(self, label: str) -> bytes:
        """Click the download button ``label``; return the file's bytes.

        Streamlit reruns the page after a download click (``on_click="rerun"`` is
        the default), which greys the page for a moment: take screenshots first.
        """
        button = self.visible(
            self.page.get_by_test_id("stDownloadButton")
            .filter(has_text=label)
            .get_by_role("button")
        )
        with self.page.expect_download() as info:
            button.click()
        return Path(info.value.path()).read_bytes()

    def comparison(self) -> pd.DataFrame:
        """The comparison table, as the "Comparison table (CSV)" download."""
        return pd.read_csv(io.BytesIO(self.download("Comparison table (CSV)")))

    def screenshot(self, name: str, element=None) -> Path:
        """Save tests/screenshots/<name>.png: the tall viewport, or one element."""
        path = SCREENSHOTS / f"{name}.png"
        (element or self.page).screenshot(path=path, animations="disabled")
        return path


@pytest.fixture
def new_app(browser, server: Server):
    """Open tabs in fresh browser contexts (no shared cookies or session)."""
    contexts = []

    def make() -> App:
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        contexts.append(context)
        return App(context.new_page(), server.url)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots(server: Server) -> Path:
    """The git-ignored folder for screenshots, the server log and figures."""
    return SCREENSHOTS


@pytest.fixture
def app(new_app) -> App:
    """One tab in its own browser context."""
    return new_app()
