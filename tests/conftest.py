"""Suite-wide collection rules.

``scripts/test`` runs the suite on every core with pytest-xdist (``-n auto
--dist loadgroup``). The browser tests share one Streamlit server and one
Chromium per worker (session fixtures) and each of them draws on both cores, so
they form one group that runs on a single worker, in order, while the other
workers take the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

BROWSER = Path(__file__).resolve().parent / "browser"


# Before pytest-xdist's worker reads the group marks in this same hook (it adds
# "@browser" to each grouped test's id, which pytest 9.2 ignores: hence the pin
# of pytest 8.4 in requirements-dev.txt). This file, loaded at collection, runs
# first anyway; tryfirst says that it must.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("browser"))
