"""Every page at a phone's width and a desktop's, in the light and the dark theme.

Each combination is screenshotted into tests/screenshots/looks-*.png to be
looked at, and checked for what a reader would notice at once: nothing wider
than the screen, the theme actually applied, no traceback, and the main
elements drawn.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENSHOTS, App

pytestmark = pytest.mark.browser

WIDTHS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1400, "height": 1000},
}
PAGES = {"compare": "/", "explore": "/explore", "learn": "/learn"}
# The app's background in each theme (Streamlit's defaults, not set by us).
BACKGROUND = {"light": "rgb(255, 255, 255)", "dark": "rgb(23, 22, 20)"}
THEME_TIMEOUT_MS = 15_000  # a switch takes 1-3 s on a loaded two-core machine


def overflowing(app: App) -> list[str]:
    """Visible elements of the main block that stick out past the right edge."""
    return app.page.evaluate(
        """() => {
            const right = document.documentElement.clientWidth + 1;
            const main = document.querySelector('[data-testid="stMain"]');
            return [...main.querySelectorAll(
                'h1, h2, h3, p, .katex-display, [data-testid="stVegaLiteChart"], '
                + '[data-testid="stPlotlyChart"], [data-testid="stMetric"], button'
            )]
                .filter((e) => e.offsetParent !== null)
                // Tables and tab bars scroll sideways by design.
                .filter((e) => !e.closest('[data-testid="stDataFrame"], [role="tablist"]'))
                .filter((e) => !e.closest('.katex-display, [data-testid="stCode"]')
                    || e.matches('.katex-display'))
                .filter((e) => e.getBoundingClientRect().right > right
                    && !e.closest('[style*="overflow"]'))
                .map((e) => e.tagName + ': ' + (e.innerText || '').slice(0, 60));
        }"""
    )


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_fits_the_screen_in_each_theme(browser, server, expect, page, width):
    # Loaded once at its width, then in each theme: the app follows the system's
    # colour scheme as it changes, as a visitor's browser switching to dark does
    # (a page load costs 7-11 s on a two-core machine, a switch 1-3 s).
    context = browser.new_context(viewport=WIDTHS[width], color_scheme="light")
    try:
        app = App(context.new_page(), server.url).open(PAGES[page])
        for theme in ("light", "dark"):
            app.page.emulate_media(color_scheme=theme)
            app.page.set_viewport_size(WIDTHS[width])
            app.settle()
            # Streamlit re-themes a moment after the scheme changes (1-3 s here,
            # sometimes after the page has settled): a retrying assertion.
            expect(app.page.get_by_test_id("stApp")).to_have_css(
                "background-color", BACKGROUND[theme], timeout=THEME_TIMEOUT_MS
            )
            assert app.page.get_by_test_id("stException").count() == 0
            assert overflowing(app) == []
            # A tall screenshot of the whole page, to look at.
            height = app.page.evaluate(
                """() => document.querySelector('[data-testid="stMain"]').scrollHeight"""
            )
            app.page.set_viewport_size(
                {"width": WIDTHS[width]["width"], "height": min(height, 9000)}
            )
            app.settle()
            app.page.screenshot(
                path=SCREENSHOTS / f"looks-{page}-{width}-{theme}.png",
                animations="disabled",
            )
    finally:
        context.close()
