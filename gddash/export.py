"""CSV files gddash hands out, safe to open in a spreadsheet.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula, so a column named ``=HYPERLINK(…)`` in an upload
would come back as a live link in the user's export. Following OWASP's
CSV-injection guidance, such a text cell (and header) is prefixed with a single
quote, which spreadsheets show as text. Numbers are written as numbers: a
negative number is data, not a formula.
"""

from __future__ import annotations

import io
import weakref
from collections.abc import Callable
from typing import TypeVar

import pandas as pd

T = TypeVar("T")
GONE = (
    b"These results are no longer held by the server (new data or settings "
    b"replaced them). Run again, then download.\r\n"
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: object) -> object:
    """``value`` unchanged, or with a leading ``'`` if it is text a sheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose header and text cells cannot start a formula."""
    safe = frame.copy()
    safe.columns = [spreadsheet_text(str(name)) for name in frame.columns]
    for k in range(safe.shape[1]):  # by position: column names may repeat
        values = safe.iloc[:, k]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            safe.isetitem(k, values.map(spreadsheet_text, na_action="ignore"))
    return safe


def csv_bytes(frame: pd.DataFrame, **to_csv: object) -> bytes:
    """``frame`` as UTF-8 CSV without its index, spreadsheet-safe (see module doc).

    Extra keyword arguments go to ``DataFrame.to_csv`` (e.g. ``float_format``).
    """
    buffer = io.StringIO()
    # RFC 4180's CRLF line ends: the writer then quotes any cell holding a CR or
    # an LF, which would otherwise split a row in two.
    safe_frame(frame).to_csv(buffer, index=False, lineterminator="\r\n", **to_csv)
    return buffer.getvalue().encode("utf-8")


def when_clicked(build: Callable[[T], bytes], source: T) -> Callable[[], bytes]:
    """A download's data: ``build(source)`` made when the button is clicked.

    ``source`` is held weakly. Streamlit keeps a session's download callables
    until its stored session expires, which waits for another visitor to
    connect, so a callable holding the comparison or the dataset kept a departed
    visitor's upload alive after their results were freed. The page holds
    ``source`` for as long as it shows the button; a dead reference gives
    ``GONE``, a one-line note, instead of data.
    """
    held = weakref.ref(source)

    def data() -> bytes:
        source = held()
        return GONE if source is None else build(source)

    return data
