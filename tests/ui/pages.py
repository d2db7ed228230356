"""Opening the app's pages in AppTest as a visitor's browser would, and reading them."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
EXPLORER = "gddash/ui/explorer.py"
LEARN = "gddash/ui/learn.py"


def open_page(page: str | None = None, **query) -> AppTest:
    """A fresh session that opened ``page`` (default: the compare page) with ``query``.

    AppTest always starts on the default page; a browser opening /explore?… runs
    the explorer first, so the query is set only once the other page is chosen.
    """
    at = AppTest.from_file(APP, default_timeout=90)
    if page is not None:
        at.run()
        at.switch_page(page)
        for key in list(at.query_params):
            del at.query_params[key]
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def texts(elements) -> str:
    """The elements' text as a reader sees it (user text is escaped Markdown)."""
    text = "\n".join(str(e.value) for e in elements)
    text = re.sub(r"`+ ?| ?`+|\*\*", "", text)  # code spans and bold, as shown
    return re.sub(r"\\(.)", r"\1", text)
