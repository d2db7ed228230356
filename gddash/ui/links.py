"""A shared link on a page: what its URL asked for, and what it could not set.

Pages call ``asked`` before drawing their widgets (which rewrite the URL) and
``warn_ignored`` after, so a visitor who opened a link learns which of its
values were refused and what was used instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import streamlit as st

from gddash import share


def asked(keys: Iterable[str]) -> dict[str, list[str]]:
    """The query parameters among ``keys`` as the link carried them."""
    return {k: st.query_params.get_all(k) for k in keys if k in st.query_params}


def warn_ignored(
    url_asked: Mapping[str, list[str]],
    labels: Mapping[str, Callable[[object], str]],
    where=st,
) -> None:
    """One warning per value of the link that the page's widgets did not take."""
    values = {k: st.session_state.get(k) for k in url_asked if k in st.session_state}
    for notice in share.ignored_params(url_asked, values, labels):
        where.warning(notice, icon=":material/link_off:")
