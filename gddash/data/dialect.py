"""What sniffing learns about a CSV file and how pandas' parser is told it.

The dialect (encoding, delimiter, decimal mark, header), the spellings of missing
values, the shapes numbers are written in, and a stream that hands the raw bytes to
the parser without copying them.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

NUMERIC_SHARE = 0.8

MISSING_MARKERS = ("", "NA", "N/A", "NaN", "null", "None", "?", "-")

CsvSource = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]

# The C parser matches missing markers exactly, so list the spellings people use.
_NA_SPELLINGS = tuple(
    sorted(
        {v for m in MISSING_MARKERS for v in (m, m.lower(), m.upper(), m.title())}
        | {"#N/A", "nan"}
    )
)

_NA_LOWER = frozenset(m.lower() for m in _NA_SPELLINGS)

_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "'|'"}

_SCAN_BYTES = 1 << 20  # block size when walking the raw bytes

# A number dressed for people: an optional currency sign, thousands commas and a
# trailing percent sign, e.g. "$1,200.50", "-€15", "12.5%". Each run of spaces
# has one place in the pattern: with "\s*[$€£¥]?\s*" a cell of 8,000 spaces
# around a "$" took 3.7 s (the regex tries every split of the spaces, holding
# the GIL), and a 10 MB upload of such cells would hold the server for hours.
_DECORATED = re.compile(
    r"(?P<sign>[-+]?)\s*(?:[$€£¥]\s*)?(?P<sign2>[-+]?)"
    r"(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d*)?\s*%?"
)

_DECIMAL_COMMA = re.compile(r"[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+)?,\d+(?:[eE][-+]?\d+)?")

_DECIMAL_POINT = re.compile(r"[-+]?\d*\.\d+(?:[eE][-+]?\d+)?")

_DOT_THOUSANDS = re.compile(
    r"[-+]?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|[-+]?\d{1,3}(?:\.\d{3})+,\d+"
)

_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class _Dialect:
    """What sniffing found out about a file before the full parse."""

    encoding: str
    delimiter: str
    decimal: str
    thousands: str | None
    names: tuple[str, ...]
    unnamed: tuple[str, ...]  # names given to columns whose header cell is blank
    has_header: bool
    skip_lines: int


def _flat(view: memoryview) -> memoryview:
    """A one-dimensional view of unsigned bytes over the same memory."""
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


class _ViewReader(io.RawIOBase):
    """A read-only binary stream over a byte view, for the parser (no copy)."""

    def __init__(self, view: memoryview) -> None:
        super().__init__()
        self._view = view
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._view[self._position : self._position + len(buffer)]
        buffer[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


def _stream(data: memoryview) -> io.BufferedReader:
    return io.BufferedReader(_ViewReader(data), buffer_size=_SCAN_BYTES)


def _blocks(data: memoryview, size: int = _SCAN_BYTES) -> Iterator[bytes]:
    """Successive pieces of ``data`` as bytes, ``size`` at a time (small copies)."""
    for start in range(0, len(data), size):
        yield data[start : start + size].tobytes()


def _extra_values_message(
    line: int | str, saw: int | str, width: int | str, separator: str
) -> str:
    return (
        f"Line {line} of the file has {saw} values but the header has {width} "
        f"(values are separated by {separator}). A value probably contains the "
        "separator: put quotes around that value, or remove the extra separator."
    )


def _parse_options(dialect: _Dialect) -> dict[str, object]:
    """Keyword arguments of ``pandas.read_csv`` that reproduce the sniffed dialect.

    A UTF-8 byte-order mark has been cut off the bytes already, so the parser
    reads plain UTF-8 (natively, without a text wrapper).
    """
    return {
        "sep": dialect.delimiter,
        "decimal": dialect.decimal,
        "thousands": dialect.thousands,
        "encoding": "utf-8" if dialect.encoding == "utf-8-sig" else dialect.encoding,
        "header": 0 if dialect.has_header else None,
        "names": list(dialect.names) or None,
        "skiprows": dialect.skip_lines,
        "index_col": False,
        "na_values": list(_NA_SPELLINGS),
        "keep_default_na": False,
        # Blank lines stay as empty rows so that row numbers match a spreadsheet.
        "skip_blank_lines": False,
        "engine": "c",
    }
