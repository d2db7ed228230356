"""The data a visitor works on, shared by the compare and tune pages.

The compare page owns the upload (its file widget) and knows which data its
settings belong to; the tune page reads the same upload and can hand the
compare page a run on that data. The session-state keys stay in this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from gddash.ui import cache

_UPLOAD = "_upload"  # the visitor's Upload, kept past page switches
_COMPARE_DATA = "_data_key"  # the data the compare page's settings belong to


@dataclass(frozen=True)
class Upload:
    """The visitor's file: one reference to Streamlit's copy, never a second."""

    name: str
    size: int
    key: str  # sha256 of the bytes
    file: UploadedFile


def keep_upload(widget_key: str = "upload") -> None:
    """Remember the uploaded file past a page switch; free its results when it goes.

    The compare page's uploader calls this when its file changes.
    """
    uploaded = st.session_state.get(widget_key)
    cache.forget_session_data()
    if uploaded is None:
        st.session_state[_UPLOAD] = None
        return
    # getvalue() is Streamlit's own bytes; getbuffer() would copy them.
    st.session_state[_UPLOAD] = Upload(
        uploaded.name, uploaded.size, cache.digest(uploaded.getvalue()), uploaded
    )


def current_upload() -> Upload | None:
    """The file this visitor uploaded last, if any."""
    return st.session_state.get(_UPLOAD)


def compare_data_key() -> str | None:
    """The data the compare page's settings belong to (None before its first run)."""
    return st.session_state.get(_COMPARE_DATA)


def claim_compare_data(key: str) -> bool:
    """Make ``key`` the compare page's data; True when it replaced other data."""
    state = st.session_state
    replaced = _COMPARE_DATA in state and state[_COMPARE_DATA] != key
    state[_COMPARE_DATA] = key
    return replaced
