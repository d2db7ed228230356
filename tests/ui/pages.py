"""Opening the app's pages in AppTest as a visitor's browser would, and reading them."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
EXPLORER = "gddash/ui/explore.py"
LEARN = "gddash/ui/learn.py"


def open_page(page: str | None = None, **query) -> AppTest:
    """A fresh session that opened ``page`` (default: the compare page) with ``query``.

    The first run is the page's own, as when a browser opens /explore?…: before
    any run AppTest finds a page by its file's name, and each page's file is
    named as its address (app.py).
    """
    at = AppTest.from_file(APP, default_timeout=90)
    if page is not None:
        at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def texts(elements) -> str:
    """The elements' text as a reader sees it (user text is escaped Markdown)."""
    text = "\n".join(str(e.value) for e in elements)
    text = re.sub(r"`+ ?| ?`+|\*\*", "", text)  # code spans and bold, as shown
    return re.sub(r"\\(.)", r"\1", text)
