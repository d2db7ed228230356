"""A page's settings in its web address: read once from a link, written every run.

``open_link`` reads the link once; ``settle`` then gives each setting its
value, before the page draws its widget, from, in order: the widget itself (the
visitor's last choice), the link the visitor opened (the page's first run in
the session only), what the page held before the visitor went to another page,
or the page's default. Values the link carried but the page cannot use are
refused with a reason, and ``warn`` names them, with what was used instead,
once: link warnings belong to a link. ``publish`` writes every setting into the
address bar, defaults and first options included, so the address is always the
whole set-up.

Choices that depend on the data (target, features, parameters to plot) are not
settled blindly: the page checks them against its options with ``place``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import streamlit as st

from gddash import plain, share
from gddash.share import Field


@dataclass
class Link:
    """What this run of a page took from its link, and what it refused."""

    page: str
    fields: tuple[Field, ...]
    values: dict[str, object] = field(default_factory=dict)  # not yet placed
    refused: dict[str, tuple[str, str]] = field(default_factory=dict)

    def refuse(self, key: str, text: str, why: str) -> None:
        """Record a link value the page found unusable for its data."""
        self.refused[key] = (text, why)


def open_link(page: str, fields: Sequence[Field]) -> Link:
    """The link's values for ``page``, read on its first run in this session.

    Values wait in session state until the page places them (an upload link's
    target waits for the upload); refusals wait until ``warn`` shows them.
    """
    state = st.session_state
    link = Link(page, tuple(fields))
    # Which sections the last run drew (``show_again``); this run starts afresh.
    state[f"_drawn_before_{page}"] = state.get(f"_drawn_{page}", set())
    state[f"_drawn_{page}"] = set()
    if f"_opened_{page}" not in state:
        state[f"_opened_{page}"] = True
        query = {key: st.query_params.get_all(key) for key in st.query_params}
        state[f"_asked_{page}"], state[f"_refused_{page}"] = share.read_link(
            fields, query
        )
    # The same dicts as in session state: a value placed or a refusal shown is
    # gone for the following runs too.
    link.values = state[f"_asked_{page}"]
    link.refused = state[f"_refused_{page}"]
    return link


def settle(link: Link, keys: Iterable[str], defaults: Mapping[str, object]) -> None:
    """Give each of ``keys`` its value in session state before its widget is drawn.

    The widget's own value wins; then the link's (first run only); then the
    value kept from before a page switch; then ``defaults``.
    """
    state = st.session_state
    kept = kept_values(link.page)
    for key in keys:
        if key in state:
            link.values.pop(key, None)
        elif key in link.values:
            state[key] = link.values.pop(key)
        elif key in kept:
            state[key] = kept[key]
        elif key in defaults:
            state[key] = defaults[key]


def show_again(page: str, section: str, keys: Iterable[str]) -> None:
    """Before a section's widgets: if the last run did not draw them, resend them.

    A widget that was not drawn (the page stopped before it) is new to the
    browser when it comes back, and the browser would show its default, not
    the value session state still holds. Assigning the value again makes
    Streamlit send it with the widget.
    """
    state = st.session_state
    if section not in state.get(f"_drawn_before_{page}", set()):
        for key in keys:
            if key in state:
                state[key] = state[key]


def drawn(page: str, section: str) -> None:
    """Mark a section's widgets as drawn in this run (see ``show_again``)."""
    st.session_state[f"_drawn_{page}"].add(section)


def kept_values(page: str) -> dict[str, object]:
    """The settings ``page`` last published (kept across page switches)."""
    return st.session_state.setdefault(f"_kept_{page}", {})


def place(
    link: Link,
    key: str,
    options: Sequence[object],
    fallback: object,
    *,
    many: bool = False,
) -> None:
    """Give a data-dependent widget a value among ``options`` before it is drawn.

    The widget's own value wins if it is still an option; then the link's value
    (refused with a reason if it is not an option here), then the value kept
    from before a page switch, then ``fallback`` (the data's suggestion).
    """
    state = st.session_state
    allowed = set(options)

    def usable(value: object) -> bool:
        if many:
            return isinstance(value, list) and all(v in allowed for v in value)
        return value in allowed

    if key in state and usable(state[key]):
        return
    if key in link.values:
        asked = link.values.pop(key)
        if many and isinstance(asked, list):
            kept = [v for v in asked if v in allowed]
            missing = [str(v) for v in asked if v not in allowed]
            if missing:
                link.refuse(key, ", ".join(missing), "no such column in this data")
            state[key] = kept if kept else fallback
            return
        if usable(asked):
            state[key] = asked
            return
        link.refuse(key, str(asked), "it is not a choice for this data")
    kept = kept_values(link.page).get(key)
    state[key] = kept if kept is not None and usable(kept) else fallback


def forget(page: str, keys: Iterable[str]) -> None:
    """Drop the values of ``keys`` (the data changed: its suggestions apply)."""
    kept = kept_values(page)
    for key in keys:
        kept.pop(key, None)
        if key in st.session_state:
            del st.session_state[key]


def publish(link: Link, extra: Mapping[str, object] | None = None) -> None:
    """Write every setting of the page (and ``extra`` link-only fields) to the URL."""
    state = st.session_state
    kept = kept_values(link.page)
    for f in link.fields:
        if f.key in state:
            kept[f.key] = state[f.key]
    for key, value in (extra or {}).items():
        if value is None:
            kept.pop(key, None)
        else:
            kept[key] = value
    wanted = share.write_link(link.fields, kept)
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)


def warn(
    link: Link,
    shown: Mapping[str, Callable[[object], str]] | None = None,
    where=st,
) -> None:
    """One warning per refused link value, naming it as text, and what is used now.

    Shown on the run that opened the link (and the following runs until the
    page's settings are complete), never for a visitor who opened no link.
    """
    shown = shown or {}
    for key, (text, why) in list(link.refused.items()):
        value = st.session_state.get(key)
        label = shown.get(key, str)
        if isinstance(value, list):
            now = ", ".join(label(v) for v in value) or "none"
        else:
            now = label(value) if value is not None else "the default"
        where.warning(
            f"The link's **{key}** value {plain.code(text)} was not used: "
            f"{plain.literal(why)}. Using {plain.code(now)} instead.",
            icon=":material/link_off:",
        )
    link.refused.clear()
