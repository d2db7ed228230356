"""CSV bytes -> validated DataFrame -> ``Dataset`` (X, y, names, scaling).

Three steps, each usable on its own::

    df = read_csv(uploaded_bytes)          # sniff, parse, repair; df.attrs["notes"]
    summary = describe_columns(df)         # kinds, gaps, a suggested target and task
    ds = prepare(df, target="y", features=["a", "b"], options=PrepareOptions())

Every refusal is a ``DataError`` whose message names the problem and the fix;
everything handled automatically is described by a sentence in the notes.

Conventions used in every message:

* **Row numbers** are spreadsheet rows: the header line is row 1, the first data
  row is row 2 (blank lines before the header count too, as a spreadsheet shows
  them).
* **Mostly numeric**: a text column becomes numeric when at least
  ``NUMERIC_SHARE`` (80 %) of its non-missing cells parse as numbers; the other
  cells become missing values and a note says how many, with an example.
* **Invalid cells**: ``inf``, ``-Infinity``, ``1e999`` and other values that are
  not finite floats are never used as numbers; they become missing values, with a
  note.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import importlib.util
import io
import itertools
import os
import re
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Literal

import numpy as np
import pandas as pd

from gddash import limits
from gddash.errors import DataError, SettingsError

__all__ = [
    "DATA_DIR",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_LINE_BYTES",
    "MAX_ROWS",
    "MISSING_MARKERS",
    "NUMERIC_SHARE",
    "ColumnInfo",
    "ColumnSummary",
    "Dataset",
    "PrepareOptions",
    "Sample",
    "describe_columns",
    "load_sample",
    "prepare",
    "read_csv",
    "samples",
]

MAX_ROWS = limits.MAX_ROWS
MAX_COLUMNS = limits.MAX_COLUMNS
MAX_CELLS = limits.MAX_CELLS
MAX_LINE_BYTES = limits.MAX_LINE_BYTES
NUMERIC_SHARE = 0.8
MISSING_MARKERS = ("", "NA", "N/A", "NaN", "null", "None", "?", "-")

Task = Literal["linear", "logistic"]
Kind = Literal["numeric", "binary", "categorical", "text", "constant", "identifier"]
CsvSource = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# The C parser matches missing markers exactly, so list the spellings people use.
_NA_SPELLINGS = tuple(
    sorted(
        {v for m in MISSING_MARKERS for v in (m, m.lower(), m.upper(), m.title())}
        | {"#N/A", "nan"}
    )
)
_NA_LOWER = frozenset(m.lower() for m in _NA_SPELLINGS)
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "'|'"}
# Excel writes "sep=;" as the first line of some exports to name the delimiter.
_EXCEL_SEPARATOR = re.compile(r"sep=([,;\t|])")
_SNIFF_BYTES = 64 * 1024
_SNIFF_ROWS = 200
_SCAN_BYTES = 1 << 20  # block size when walking the raw bytes
_QUOTE, _LF, _CR = ord('"'), ord("\n"), ord("\r")
_CONSISTENT = 0.9  # share of sniffed rows whose field count matches the header's
_BLOCK_ROWS = 1 << 15  # rows per block when streaming columns through a buffer

# Leading bytes of common non-CSV files, with what to tell the user.
_SIGNATURES = (
    (
        b"PK\x03\x04",
        "a ZIP archive (an Excel .xlsx or LibreOffice .ods workbook is one)",
    ),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel workbook (.xls)"),
    (b"\x1f\x8b", "compressed with gzip (.gz)"),
    (b"BZh", "compressed with bzip2 (.bz2)"),
    (b"\xfd7zXZ\x00", "compressed with xz (.xz)"),
    (b"(\xb5/\xfd", "compressed with zstd (.zst)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (.7z)"),
    (b"%PDF", "a PDF document"),
    (b"PAR1", "a Parquet file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"SQLite format 3\x00", "an SQLite database"),
)

# A number dressed for people: an optional currency sign, thousands commas and a
# trailing percent sign, e.g. "$1,200.50", "-€15", "12.5%".
_DECORATED = re.compile(
    r"(?P<sign>[-+]?)\s*[$€£¥]?\s*(?P<sign2>[-+]?)"
    r"(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d*)?\s*%?"
)
_DECIMAL_COMMA = re.compile(r"[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+)?,\d+(?:[eE][-+]?\d+)?")
_DECIMAL_POINT = re.compile(r"[-+]?\d*\.\d+(?:[eE][-+]?\d+)?")
_DOT_THOUSANDS = re.compile(
    r"[-+]?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|[-+]?\d{1,3}(?:\.\d{3})+,\d+"
)
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?")
# "id", "row_id", "Customer ID", "patientId", "Unnamed: 0" (pandas' saved index);
# case-insensitive except the camelCase form, so that "paid" or "valid" do not match.
_IDENTIFIER_NAME = re.compile(
    r"^(?i:id|idx|index|key|row|rowid|row_id|row_number|rownum|unnamed: ?\d+)$"
    r"|(?i:[_\s.-]id)$|[a-z]I[dD]$"
)
_C_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_TARGET_NAMES = ("target", "y", "label", "class", "outcome", "response")
# Label pairs whose "positive" member should become 1 in a logistic target.
_POSITIVE_LABELS = {
    frozenset({"no", "yes"}): "yes",
    frozenset({"n", "y"}): "y",
    frozenset({"false", "true"}): "true",
    frozenset({"f", "t"}): "t",
    frozenset({"negative", "positive"}): "positive",
    frozenset({"neg", "pos"}): "pos",
    frozenset({"fail", "pass"}): "pass",
    frozenset({"absent", "present"}): "present",
}


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


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


def read_csv(
    source: CsvSource,
    *,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
    max_cells: int = MAX_CELLS,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> pd.DataFrame:
    """Read a user's CSV file into a DataFrame, or explain why it cannot be used.

    The raw bytes are checked first, without decoding them: no line may be longer
    than ``max_line_bytes``, no row may hold more values than the header, and rows
    × columns must stay within ``max_cells``, so that a hostile file is refused
    before the parser allocates anything for it. The file is then sniffed on a
    small prefix (encoding, delimiter among ``,`` ``;`` tab ``|``, decimal
    commas, header), parsed once by pandas' C parser, and only the columns that
    did not come out numeric are looked at again.

    Parameters
    ----------
    source : bytes, memoryview, binary file object or path
        The CSV content: raw bytes or any buffer (read in place, not copied), a
        binary file object such as ``io.BytesIO`` or Streamlit's ``UploadedFile``
        (its buffer is used in place when it has ``getbuffer``, else it is read
        whole), or a path to a file.
    max_rows : int, default MAX_ROWS (1,000,000)
        Largest number of data rows accepted.
    max_columns : int, default MAX_COLUMNS (200)
        Largest number of columns accepted.
    max_cells : int, default MAX_CELLS (4,000,000)
        Largest number of data rows × columns accepted.
    max_line_bytes : int, default MAX_LINE_BYTES (65,536)
        Longest line (and longest row, when a quoted value spans lines) accepted,
        in bytes.

    Returns
    -------
    pandas.DataFrame
        Shape (n_rows, n_columns) with n_rows >= 2. Numeric columns are int64,
        float64 (NaN marks missing and invalid cells) or bool; other columns are
        text. ``df.attrs["notes"]`` is a list of sentences about everything that
        was handled; ``df.attrs["read_options"]`` holds the ``sep``, ``decimal``,
        ``thousands`` and ``encoding`` that were used; ``df.attrs["invalid_cells"]``
        maps column names to counts of cells that were not usable numbers.

    Raises
    ------
    DataError
        For an empty, binary, compressed or malformed file, a file with a header
        only or fewer than 2 data rows, duplicate column names, no numeric column,
        a row with more values than the header, an unclosed quote, or more rows,
        columns, cells or bytes per line than the limits.
    """
    caps = _Caps(max_rows, max_columns, max_cells, max_line_bytes)
    notes: list[str] = []
    data = _refuse_non_text(_source_view(source), notes)
    encoding = _detect_encoding(data, notes)
    if encoding == "utf-8-sig":
        data = data[len(codecs.BOM_UTF8) :]  # a view: the parser then reads UTF-8
    raw = np.frombuffer(data, dtype=np.uint8)
    _check_line_lengths(raw, caps)
    dialect = _sniff(data, encoding, caps, notes)
    _check_records(raw, dialect, caps)
    del raw
    df = _parse(data, dialect, caps)
    first_row = dialect.skip_lines + (2 if dialect.has_header else 1)
    invalid = _repair_columns(df, data, dialect, first_row, notes)
    df = _drop_unnamed(_drop_empty_rows(df, notes), dialect, notes)
    _check_shape(df, dialect)
    _note_missing(df, notes)
    notes.insert(0, _summary_sentence(df, dialect))
    if any(" in row " in note for note in notes):
        notes.append(
            "Row numbers are spreadsheet rows: the header is row 1, "
            "the first data row is row 2."
        )
    df.attrs["notes"] = notes
    df.attrs["invalid_cells"] = invalid
    df.attrs["read_options"] = {
        "sep": dialect.delimiter,
        "decimal": dialect.decimal,
        "thousands": dialect.thousands,
        "encoding": dialect.encoding,
    }
    return df


@dataclass(frozen=True)
class _Caps:
    """The limits one ``read_csv`` call enforces, validated."""

    rows: int
    columns: int
    cells: int
    line_bytes: int

    def __post_init__(self) -> None:
        for option, value, low in (
            ("max_rows", self.rows, 2),
            ("max_columns", self.columns, 1),
            ("max_cells", self.cells, 2),
            ("max_line_bytes", self.line_bytes, 1),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise SettingsError(
                    f"The '{option}' parameter must be an integer >= {low}. "
                    f"Got {value!r} instead."
                )

    def sentence(self) -> str:
        """E.g. 'at most 1,000,000 data rows and 200 columns, and at most ...'."""
        return (
            f"at most {self.rows:,} data rows and {self.columns:,} columns, and at "
            f"most {self.cells:,} cells (data rows × columns)"
        )


def _source_view(source: CsvSource) -> memoryview:
    """The whole content of ``source`` as a flat byte view, copying no buffer."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _flat(memoryview(source))
    if isinstance(source, str | os.PathLike):
        if isinstance(source, str) and "\n" in source:
            raise TypeError("read_csv takes bytes or a path, not CSV text: encode it.")
        path = Path(source)
        try:
            return memoryview(path.read_bytes())
        except FileNotFoundError:
            raise DataError(f"No file at '{path}'. Check the path.") from None
        except IsADirectoryError:
            raise DataError(
                f"'{path}' is a folder, not a file. Pick a CSV file."
            ) from None
    getbuffer = getattr(source, "getbuffer", None)  # io.BytesIO, UploadedFile
    content = getbuffer() if callable(getbuffer) else source.read()
    if isinstance(content, str):
        raise TypeError("read_csv needs a binary file object: open the file with 'rb'.")
    return _flat(memoryview(content))


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


def _refuse_non_text(data: memoryview, notes: list[str]) -> memoryview:
    """Refuse empty and binary files; re-encode UTF-16 text (Excel's) as UTF-8."""
    if all(block.isspace() for block in _blocks(data)):  # also true when empty
        raise DataError(
            "The file is empty. Upload a CSV text file with a header line "
            "and at least 2 rows of data."
        )
    head = data[:_SNIFF_BYTES].tobytes()
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _utf16_to_utf8(data, notes)
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise DataError(
                f"This file is {what}, not a CSV text file. Open it in the program "
                "that made it and save or export it as 'CSV UTF-8 (comma delimited)'."
            )
    if b"\x00" in head:
        raise DataError(
            "This file is not text (it contains NUL bytes), so it is not a CSV file. "
            "Export your table as 'CSV UTF-8 (comma delimited)' and upload that."
        )
    return data


def _utf16_to_utf8(data: memoryview, notes: list[str]) -> memoryview:
    """UTF-16 text re-encoded as UTF-8 block by block (no whole-file string)."""
    decoder = codecs.getincrementaldecoder("utf-16")()
    out = bytearray()
    try:
        for start in range(0, len(data), _SCAN_BYTES):
            block = data[start : start + _SCAN_BYTES]
            text = decoder.decode(block, final=start + _SCAN_BYTES >= len(data))
            out += text.encode("utf-8")
    except UnicodeDecodeError:
        raise DataError(
            "The file starts like UTF-16 text but is not valid UTF-16. "
            "Save it again as 'CSV UTF-8'."
        ) from None
    notes.append(
        "The file was UTF-16 text (Excel's 'Unicode text'); it was read as such."
    )
    return memoryview(out)


def _detect_encoding(data: memoryview, notes: list[str]) -> str:
    """The encoding to parse with: UTF-8 (BOM or not), else cp1252 or Latin-1."""
    if data[: len(codecs.BOM_UTF8)] == codecs.BOM_UTF8:
        bad = _first_invalid_utf8(data)
        if bad is None:
            notes.append(
                "The file starts with a UTF-8 byte-order mark (as Excel writes it); "
                "it was skipped."
            )
            return "utf-8-sig"
    else:
        # isascii is a fast C scan; most files never need the full UTF-8 check.
        ascii_only = all(block.isascii() for block in _blocks(data))
        bad = None if ascii_only else _first_invalid_utf8(data)
        if bad is None:
            return "utf-8"
    line = _count_line_ends(np.frombuffer(data, dtype=np.uint8)[:bad]) + 1
    # Windows-1252 leaves five bytes undefined; Latin-1 decodes every byte.
    encoding = "cp1252"
    undefined = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
    if any(b in block for block in _blocks(data) for b in undefined):
        encoding = "latin-1"
    label = "Windows-1252 (Western European)" if encoding == "cp1252" else "Latin-1"
    notes.append(
        f"The file is not valid UTF-8 (first bad byte on line {line}), so it was read "
        f"as {label}. If accented letters look wrong, save the file as 'CSV UTF-8'."
    )
    return encoding


def _first_invalid_utf8(data: memoryview) -> int | None:
    """Offset of the first byte that breaks UTF-8, or None; decodes in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _SCAN_BYTES):
        # error.start counts from the bytes carried over from the previous chunk
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(
                data[start : start + _SCAN_BYTES],
                final=start + _SCAN_BYTES >= len(data),
            )
        except UnicodeDecodeError as error:
            return max(0, start - pending + error.start)
    return None


# --- The raw-byte checks -----------------------------------------------------------
# A line ends at "\n", or at a "\r" not followed by "\n" (old Mac files), as for
# pandas' C parser. The checks walk the bytes in blocks of _SCAN_BYTES with numpy,
# so their memory stays a few blocks whatever the file holds.


def _line_ends(raw: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Offsets, relative to ``start``, of the line ends in ``raw[start:stop]``."""
    block = raw[start:stop]
    ends = block == _LF
    returns = block == _CR
    if returns.any():
        followed = np.empty_like(ends)
        followed[:-1] = ends[1:]
        followed[-1] = stop < len(raw) and raw[stop] == _LF
        ends |= returns & ~followed
    return np.flatnonzero(ends)


def _count_line_ends(raw: np.ndarray) -> int:
    return sum(
        len(_line_ends(raw, start, min(start + _SCAN_BYTES, len(raw))))
        for start in range(0, len(raw), _SCAN_BYTES)
    )


def _check_line_lengths(raw: np.ndarray, caps: _Caps) -> None:
    """Refuse the first line longer than ``caps.line_bytes``, quotes or not.

    A long line is what makes a parser build one column per value: checked before
    anything is decoded or split, it bounds every later step.
    """
    lines, line_start = 0, 0  # line ends seen so far; offset of the open line
    for start in range(0, len(raw), _SCAN_BYTES):
        ends = _line_ends(raw, start, min(start + _SCAN_BYTES, len(raw))) + start
        if len(ends):
            starts = np.concatenate(([line_start], ends[:-1] + 1))
            over = np.flatnonzero(ends - starts > caps.line_bytes)
            if len(over):
                first = int(over[0])
                _refuse_long_line(
                    lines + first + 1, int(ends[first] - starts[first]), caps
                )
            lines, line_start = lines + len(ends), int(ends[-1]) + 1
    if len(raw) - line_start > caps.line_bytes:
        _refuse_long_line(lines + 1, len(raw) - line_start, caps)


def _refuse_long_line(line: int, length: int, caps: _Caps) -> None:
    which = "The first line (the header)" if line == 1 else f"Line {line:,}"
    raise DataError(
        f"{which} of the file is {length:,} bytes long, more than the limit of "
        f"{caps.line_bytes:,} bytes for one line. Keep only the columns you need "
        f"(at most {caps.columns:,}) and check that every row of the table ends "
        "with a line break; a file this shape is usually not a table."
    )


@dataclass(frozen=True)
class _Records:
    """What the quote-aware walk over the bytes found (see ``_check_records``)."""

    count: int  # records (rows of the file: header, data, blank lines) in all
    first_extra: tuple[int, int, int] | None  # (record, line, values) of a long row
    first_long: tuple[int, int] | None  # (line, bytes) of a row over the limit
    open_quote_line: int | None  # line where the row with an unclosed quote starts


def _walk_records(
    raw: np.ndarray, delimiter: str, width: int, first_data: int, limit: int
) -> _Records:
    """Find rows (records) in the raw bytes as pandas' C parser splits them.

    A quote opens a quoted value only at the start of a value (after a
    delimiter, a line end or the start of the file); inside one, a run of quotes
    of even length is escaped quotes and a run of odd length closes it. So each
    run of quotes maps the state (inside or outside quotes) by one of three
    maps: identity (even run), toggle (odd run at the start of a value), or
    "outside" (odd run elsewhere: it closes a value if one is open and is a
    literal character otherwise). The state after each run is then the parity of
    the toggles since the last "outside" run: prefix sums, no Python loop. Line
    ends and delimiters outside quotes end records and values.

    Stops at the first record after ``first_data`` with more than ``width``
    values or more than ``limit`` bytes.
    """
    sep = ord(delimiter)
    quoted = 0  # state at the start of the block: 1 inside a quoted value
    records, record_start, record_line, record_seps = 0, 0, 1, 0
    lines = 0
    start = 0
    while start < len(raw):
        stop = _block_stop(raw, start)
        block = raw[start:stop]
        runs, after = _quote_states(raw, start, stop, sep, quoted)
        ends = _line_ends(raw, start, stop)
        record_ends = ends[_outside(ends, runs, after, quoted)]
        seps = np.flatnonzero(block == sep)
        seps = seps[_outside(seps, runs, after, quoted)]
        if len(record_ends):
            before = np.searchsorted(seps, record_ends)
            values = np.diff(before, prepend=0) + 1
            values[0] += record_seps
            starts = np.concatenate(([record_start], record_ends[:-1] + start + 1))
            lengths = record_ends + start - starts
            index = records + np.arange(len(record_ends))
            bad = ((index >= first_data) & (values > width)) | (lengths > limit)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                line = record_line
                if i:
                    line = lines + int(np.searchsorted(ends, record_ends[i - 1])) + 2
                return _Records(
                    int(index[i]) + 1,
                    (int(index[i]), line, int(values[i]))
                    if index[i] >= first_data and values[i] > width
                    else None,
                    (line, int(lengths[i])) if lengths[i] > limit else None,
                    None,
                )
            last = record_ends[-1]
            records += len(record_ends)
            record_start = int(last) + start + 1
            record_line = lines + int(np.searchsorted(ends, last)) + 2
            record_seps = len(seps) - int(before[-1])
        else:
            record_seps += len(seps)
        lines += len(ends)
        if len(runs):
            quoted = int(after[-1])
        start = stop
    if quoted:
        return _Records(records + 1, None, None, record_line)
    if record_start < len(raw):  # a last row without a line end
        values, length = record_seps + 1, len(raw) - record_start
        extra = records >= first_data and values > width
        if extra or length > limit:
            return _Records(
                records + 1,
                (records, record_line, values) if extra else None,
                (record_line, length) if length > limit else None,
                None,
            )
        records += 1
    return _Records(records, None, None, None)


def _block_stop(raw: np.ndarray, start: int) -> int:
    """End of the block starting at ``start``, moved so no run of quotes is cut."""
    stop = min(start + _SCAN_BYTES, len(raw))
    while stop < len(raw) and raw[stop - 1] == _QUOTE and raw[stop] == _QUOTE:
        window = raw[stop : stop + _SCAN_BYTES] != _QUOTE
        stop += int(np.argmax(window)) if window.any() else len(window)
    return stop


def _quote_states(
    raw: np.ndarray, start: int, stop: int, sep: int, quoted: int
) -> tuple[np.ndarray, np.ndarray]:
    """Offsets of the runs of quotes in ``raw[start:stop]`` and the state after each.

    ``quoted`` is the state before the block (1 inside a quoted value).
    """
    is_quote = (raw[start:stop] == _QUOTE).view(np.int8)
    edges = np.diff(is_quote, prepend=np.int8(0), append=np.int8(0))
    runs = np.flatnonzero(edges == 1)
    if not len(runs):
        return runs, runs
    odd = ((np.flatnonzero(edges == -1) - runs) & 1).astype(bool)
    previous = raw[np.maximum(runs + start - 1, 0)]
    at_value_start = (previous == sep) | (previous == _LF) | (previous == _CR)
    at_value_start[(runs + start) == 0] = True
    toggles = np.cumsum(odd & at_value_start)
    closes = np.where(odd & ~at_value_start, np.arange(len(runs)), -1)
    last_close = np.maximum.accumulate(closes)
    since = toggles - np.where(last_close >= 0, toggles[np.maximum(last_close, 0)], 0)
    after = (since + np.where(last_close >= 0, 0, quoted)) & 1
    return runs, after


def _outside(
    offsets: np.ndarray, runs: np.ndarray, after: np.ndarray, quoted: int
) -> np.ndarray:
    """Which bytes at ``offsets`` of a block lie outside quoted values."""
    if not len(runs):
        return np.full(len(offsets), not quoted)
    k = np.searchsorted(runs, offsets) - 1  # the last run of quotes before each
    return np.where(k >= 0, after[np.maximum(k, 0)], quoted) == 0


def _check_records(raw: np.ndarray, dialect: _Dialect, caps: _Caps) -> None:
    """Refuse, before parsing, rows with more values than the header, an unclosed
    quote, a row (spanning lines) over the byte limit, and too many rows or cells.
    """
    width = len(dialect.names)
    first_data = dialect.skip_lines + int(dialect.has_header)
    found = _walk_records(raw, dialect.delimiter, width, first_data, caps.line_bytes)
    separator = _DELIMITER_NAMES[dialect.delimiter]
    if found.open_quote_line is not None:
        raise DataError(
            "A quoted value is never closed (a '\"' without its partner): it is in "
            f"the row that starts on line {found.open_quote_line:,}. Fix the quotes "
            "in the file: every value that starts with '\"' must end with one."
        )
    if found.first_long is not None:
        line, length = found.first_long
        raise DataError(
            f"The row that starts on line {line:,} is {length:,} bytes long, more than "
            f"the limit of {caps.line_bytes:,} bytes for one row: a quoted value in it "
            "spans several lines. Check that every '\"' that opens a value also "
            "closes it, and shorten or remove the long values."
        )
    if found.first_extra is not None:
        record, line, values = found.first_extra
        if record == first_data:
            raise DataError(
                f"Row {record + 1} has {values:,} values but the header has {width} "
                f"(values are separated by {separator}). A value probably contains "
                "the separator: put quotes around that value, or remove the extra "
                "separator; if the first column has no header, give it one."
            )
        raise DataError(_extra_values_message(line, values, width, separator))
    rows = found.count - first_data
    if rows > caps.rows:
        raise DataError(
            f"The file has more than {caps.rows:,} data rows ({rows:,}), more than the "
            f"limit: {caps.sentence()}. Upload a sample of the rows (for example "
            f"every {_ordinal(-(-rows // caps.rows))} row)."
        )
    if rows * width > caps.cells:
        step = _ordinal(-(-rows * width // caps.cells))
        raise DataError(
            f"The file has {rows:,} data rows × {width:,} columns = {rows * width:,} "
            f"cells, more than the limit of {caps.cells:,} cells that one upload may "
            "hold in memory. Remove the columns you do not need, or upload a sample "
            f"of the rows (for example every {step} row)."
        )


def _extra_values_message(
    line: int | str, saw: int | str, width: int | str, separator: str
) -> str:
    return (
        f"Line {line} of the file has {saw} values but the header has {width} "
        f"(values are separated by {separator}). A value probably contains the "
        "separator: put quotes around that value, or remove the extra separator."
    )


def _ordinal(n: int) -> str:
    """'2nd', '3rd', '10th', '21st'."""
    suffix = (
        "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    )
    return f"{n}{suffix}"


def _sniff(data: memoryview, encoding: str, caps: _Caps, notes: list[str]) -> _Dialect:
    """Find delimiter, decimal mark, header and leading blank lines on a prefix."""
    text, complete = _prefix_text(data, encoding, caps.line_bytes)
    skip, start = 0, 0
    while (end := text.find("\n", start)) >= 0 and not text[start:end].strip():
        skip, start = skip + 1, end + 1  # blank lines before the header
    if skip:
        notes.append(
            f"Skipped {_plural(skip, 'empty line', 'empty lines')} before the header."
        )
    end = text.find("\n", start)
    hint = _EXCEL_SEPARATOR.fullmatch(text[start : end if end >= 0 else None].strip())
    if hint:  # Excel's "sep=;" first line names the delimiter
        skip, start = skip + 1, end + 1
        delimiter = hint.group(1)
        rows = _split_rows(text[start:], delimiter, complete)
        notes.append(
            f"The first line, '{hint.group(0)}', names the delimiter "
            f"({_DELIMITER_NAMES.get(delimiter, repr(delimiter))}); it was skipped."
        )
    else:
        delimiter, rows = _choose_delimiter(text[start:], complete)
    decimal, thousands = _choose_decimal(rows[1:], delimiter)
    header = [cell.strip() for cell in rows[0]] if rows else []
    if len(header) > caps.columns:
        raise DataError(
            f"The file has {len(header):,} columns, more than the limit: "
            f"{caps.sentence()}. Keep only the columns you need and upload again."
        )
    has_header = not all(_PLAIN_NUMBER.fullmatch(cell) for cell in header)
    names, unnamed = _column_names(rows[0] if rows else [], has_header, notes)
    return _Dialect(
        encoding, delimiter, decimal, thousands, names, unnamed, has_header, skip
    )


def _prefix_text(data: memoryview, encoding: str, line_bytes: int) -> tuple[str, bool]:
    """Decode the first ~64 KiB, cut at a line end so no character is split.

    When the first line is longer than that, it is taken whole: the line-length
    check has bounded it by ``line_bytes`` already.
    """
    head = data[: max(_SNIFF_BYTES, line_bytes + 2)].tobytes()
    if len(head) == len(data):
        return head.decode(encoding), True
    end = max(head.rfind(b"\n", 0, _SNIFF_BYTES), head.rfind(b"\r", 0, _SNIFF_BYTES))
    if end < 0:  # a first line longer than the prefix
        ends = [i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0]
        end = min(ends, default=len(head))
    return head[:end].decode(encoding, errors="replace"), False


def _split_rows(text: str, delimiter: str, complete: bool) -> list[list[str]]:
    """Split the prefix with the csv module (quotes, embedded delimiters/newlines)."""
    # newline="": lines end at "\n", "\r\n" or a lone "\r", as for the parser
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"')
    rows: list[list[str]] = []
    # A broken quote in the prefix stops the reader: score on what was read.
    with contextlib.suppress(csv.Error):
        rows.extend(row for row in itertools.islice(reader, _SNIFF_ROWS + 1) if row)
    if not complete and len(rows) > 2:
        rows.pop()  # the prefix may cut the last record in two
    return rows


def _choose_delimiter(text: str, complete: bool) -> tuple[str, list[list[str]]]:
    """Pick the delimiter whose rows agree with the header's field count.

    A delimiter that splits the header wins over one that does not occur in it.
    Among those, delimiters whose rows match the header's width in at least 90 %
    of the sniffed rows come first, then more columns, then more agreement, then
    the order ``,`` ``;`` tab ``|``. A one-column file has no delimiter in its
    header, so the candidate its rows agree with best (one that never occurs)
    gives the single column.
    """
    best: tuple[tuple[bool, bool, int, float, int], str, list[list[str]]] | None = None
    for order, delimiter in enumerate(_DELIMITER_NAMES):
        rows = _split_rows(text, delimiter, complete)
        if not rows:
            continue
        width = len(rows[0])
        data_rows = rows[1:]
        agree = (
            sum(len(r) == width for r in data_rows) / len(data_rows) if data_rows else 1
        )
        consistent = agree >= _CONSISTENT
        score = (width > 1, consistent, width if consistent else 0, agree, -order)
        if best is None or score > best[0]:
            best = (score, delimiter, rows)
    if best is None:
        return ",", []
    return best[1], best[2]


def _choose_decimal(rows: list[list[str]], delimiter: str) -> tuple[str, str | None]:
    """Decimal comma when the delimiter is not ',' and numbers like '3,14' dominate."""
    if delimiter == ",":
        return ".", None
    cells = [cell.strip() for row in rows for cell in row]
    commas = sum(bool(_DECIMAL_COMMA.fullmatch(c)) for c in cells)
    thousands = sum(bool(_DOT_THOUSANDS.fullmatch(c)) for c in cells)
    points = sum(bool(_DECIMAL_POINT.fullmatch(c)) for c in cells) - thousands
    if commas == 0 or commas < points:
        return ".", None
    return ",", "." if thousands else None


def _column_names(
    raw: list[str], has_header: bool, notes: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Clean header names: strip spaces, name blanks, refuse duplicates.

    Returns the names and the subset given to blank header cells.
    """
    if not has_header:
        names = tuple(f"column_{i + 1}" for i in range(len(raw)))
        if raw:
            notes.append(
                "The first line holds only numbers, so it was read as data, not as "
                f"column names; the columns were named {names[0]} … {names[-1]}."
            )
        return names, ()
    stripped = [cell.strip() for cell in raw]
    if any(s != r for s, r in zip(stripped, raw, strict=True)):
        notes.append("Spaces around column names were removed.")
    duplicates = {n: k for n, k in Counter(s for s in stripped if s).items() if k > 1}
    if duplicates:
        listed = ", ".join(f"'{name}' ({count}×)" for name, count in duplicates.items())
        raise DataError(
            f"Duplicate column names: {listed}. "
            "Rename them so each column has a unique header."
        )
    names = []
    for position, name in enumerate(stripped):
        if not name:
            name = f"column_{position + 1}"
            while name in stripped or name in names:
                name += "_"
        names.append(name)
    blanks = tuple(n for n, s in zip(names, stripped, strict=True) if not s)
    return tuple(names), blanks


def _parse(data: memoryview, dialect: _Dialect, caps: _Caps) -> pd.DataFrame:
    """One pass of pandas' C parser with the sniffed dialect; errors -> DataError."""
    try:
        with warnings.catch_warnings():
            # Mixed chunks of a large file give object columns; we repair them below.
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            # A first data row longer than the header would be cut short with only
            # this warning (the raw-byte check refuses such rows first).
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                _stream(data), **_parse_options(dialect), nrows=caps.rows + 1
            )
    except pd.errors.ParserWarning:
        raise DataError(
            f"Row {dialect.skip_lines + 2} has more values than the header "
            f"({len(dialect.names)}). A value probably contains the separator: put "
            "quotes around that value, or remove the extra separator."
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            "The file has no columns. Upload a CSV text file with a header line "
            "and at least 2 rows of data."
        ) from None
    except pd.errors.ParserError as error:
        raise DataError(_explain_parser_error(str(error), dialect)) from None
    if len(df) > caps.rows:
        raise DataError(
            f"The file has more than {caps.rows:,} data rows, more than the limit: "
            f"{caps.sentence()}. Upload a sample of the rows (for example every "
            "10th row)."
        )
    return df


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


def _explain_parser_error(message: str, dialect: _Dialect) -> str:
    """Turn the C parser's message into one a spreadsheet user can act on."""
    separator = _DELIMITER_NAMES[dialect.delimiter]
    match = _C_ERROR.search(message)
    if match:
        expected, line, saw = match.groups()
        return _extra_values_message(line, saw, expected, separator)
    if "EOF inside string" in message:
        return (
            "A quoted value is never closed (a '\"' without its partner). "
            f"Fix the quotes in the file. Details: {message.strip()}"
        )
    return (
        f"The file could not be read as a table with values separated by {separator}: "
        f"{message.strip()}. Check that it is a CSV text file."
    )


def _repair_columns(
    df: pd.DataFrame,
    data: memoryview,
    dialect: _Dialect,
    first_row: int,
    notes: list[str],
) -> dict[str, int]:
    """Make float columns finite and mostly-numeric text columns numeric, in place.

    Returns the number of invalid cells per column (cells that are now missing).
    """
    invalid: dict[str, int] = {}
    for position, name in enumerate(df.columns):
        column = df[name]
        if pd.api.types.is_float_dtype(column.dtype):
            count = _clear_infinite(df, name, position, data, dialect, first_row, notes)
        elif pd.api.types.is_numeric_dtype(column.dtype):
            continue  # int64 and bool columns cannot hold invalid cells
        else:
            count = _recover_numbers(df, name, dialect, first_row, notes)
        if count:
            invalid[name] = count
    return invalid


def _clear_infinite(
    df: pd.DataFrame,
    name: str,
    position: int,
    data: memoryview,
    dialect: _Dialect,
    first_row: int,
    notes: list[str],
) -> int:
    """Set inf/-inf cells of a float column to NaN, with a note quoting the file."""
    values = df[name].to_numpy()
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(values)):  # one pass, no temporary: the common case
            return 0
    infinite = np.isinf(values)
    if not infinite.any():
        return 0
    rows = np.flatnonzero(infinite)
    example = _raw_cell(data, dialect, position, int(rows[0]))
    df[name] = np.where(infinite, np.nan, values)
    notes.append(
        _invalid_sentence(name, len(rows), example, first_row + int(rows[0]), True)
    )
    return len(rows)


def _raw_cell(data: memoryview, dialect: _Dialect, position: int, row: int) -> str:
    """The text of one cell as written in the file (re-reads up to that row only)."""
    options = _parse_options(dialect) | {"na_values": None, "keep_default_na": False}
    cells = pd.read_csv(
        _stream(data), **options, usecols=[position], dtype=str, nrows=row + 1
    )
    return str(cells.iloc[row, 0])


def _recover_numbers(
    df: pd.DataFrame, name: str, dialect: _Dialect, first_row: int, notes: list[str]
) -> int:
    """Turn a mostly numeric text column into float64; keep other text, stripped.

    Cells holding a padded missing-value marker (' NA') become missing. If at
    least NUMERIC_SHARE of the remaining cells parse as numbers, the column
    becomes float64 and the rest (stray text, inf, 1e999) become NaN with a note.
    """
    column = df[name]
    is_text = _text_cells(column)
    text = column.where(is_text).astype("str")
    stripped = text.str.strip()
    padded_marker = stripped.str.lower().isin(_NA_LOWER).to_numpy() & is_text
    candidates = stripped.mask(padded_marker)
    parsed, n_commas = _parse_numbers(candidates, dialect)
    # Cells that pandas already parsed (mixed chunks of big files) stay as they are.
    already = pd.to_numeric(column.mask(is_text), errors="coerce").to_numpy(dtype=float)
    numbers = np.where(is_text, parsed, already)
    filled = candidates.notna().to_numpy() | (~is_text & column.notna().to_numpy())
    n_filled = int(filled.sum())
    n_decorated = 0
    if (
        _numeric_share(numbers) < NUMERIC_SHARE * n_filled
        and dialect.decimal == "."
        and _looks_decorated(candidates)
    ):
        # "$1,200" or "12%": numbers a person wrote for people, not text.
        decorated = _decorated_numbers(candidates)
        undecorated = np.where(np.isnan(numbers), decorated, numbers)
        if _numeric_share(undecorated) >= NUMERIC_SHARE * n_filled:
            n_decorated = int((np.isnan(numbers) & ~np.isnan(decorated)).sum())
            numbers = undecorated
    finite = np.isfinite(numbers)
    if n_filled and _numeric_share(numbers) < NUMERIC_SHARE * n_filled:
        _keep_text(df, name, column, stripped, padded_marker, notes)
        return 0
    not_numbers = filled & np.isnan(numbers)
    infinite = np.isinf(numbers)
    df[name] = np.where(finite, numbers, np.nan)
    for mask, is_infinite in ((not_numbers, False), (infinite, True)):
        if mask.any():
            row = int(np.flatnonzero(mask)[0])
            example = str(column.iloc[row])
            notes.append(
                _invalid_sentence(
                    name, int(mask.sum()), example, first_row + row, is_infinite
                )
            )
    if n_commas:
        notes.append(
            f"Column '{name}': {_plural(n_commas, 'number', 'numbers')} written with "
            "a decimal comma (2,5 = 2.5) were read as such."
        )
    if n_decorated:
        notes.append(
            f"Column '{name}': {_plural(n_decorated, 'number', 'numbers')} written "
            "with a currency sign, thousands commas or a % sign (like '$1,200' or "
            "'12%') were read as plain numbers: $1,200 = 1200, 12% = 12."
        )
    if padded_marker.any():
        notes.append(
            f"Column '{name}': {_plural(int(padded_marker.sum()), 'cell', 'cells')} "
            "with spaces around a missing-value marker (like ' NA') read as missing."
        )
    return int(not_numbers.sum() + infinite.sum())


def _numeric_share(numbers: np.ndarray) -> int:
    """How many cells parsed as numbers (inf counts: it is reported, not text)."""
    return int((~np.isnan(numbers)).sum())


def _looks_decorated(candidates: pd.Series, sample: int = 1_000) -> bool:
    """Do the first filled cells pass as decorated numbers? (A cheap gate: the
    full parse costs ~1 µs a cell, too much to spend on every text column.)"""
    head = candidates.dropna().head(sample)
    if head.empty:
        return False
    return _numeric_share(_decorated_numbers(head)) >= NUMERIC_SHARE * len(head)


def _decorated_numbers(candidates: pd.Series) -> np.ndarray:
    """'$1,200' → 1200.0, '12%' → 12.0, '-€15' → −15.0; NaN for anything else."""
    parts = candidates.str.extract(f"^{_DECORATED.pattern}$")
    sign = (parts["sign"].fillna("") + parts["sign2"].fillna("")).str[:1]
    digits = parts["digits"].str.replace(",", "", regex=False)
    text = sign + digits + parts["fraction"].fillna("")
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)


def _text_cells(column: pd.Series) -> np.ndarray:
    """Mask of cells holding text; object columns may mix text and parsed numbers."""
    if pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
        return column.notna().to_numpy()
    # Mixed object columns only come from large files parsed in chunks: rare, so a
    # Python-level check is acceptable here.
    return np.fromiter(
        (isinstance(v, str) for v in column), dtype=bool, count=len(column)
    )


def _parse_numbers(candidates: pd.Series, dialect: _Dialect) -> tuple[np.ndarray, int]:
    """Parse text cells as floats in the file's decimal convention (NaN if not).

    In a file whose delimiter is not ',', a comma in a cell can only be a decimal
    comma, so a column written with decimal commas is read even when most of the
    file uses points. Returns the numbers and how many cells needed that.
    """
    if dialect.decimal == ",":
        if dialect.thousands:
            candidates = candidates.str.replace(dialect.thousands, "", regex=False)
        candidates = candidates.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(candidates, errors="coerce").to_numpy(
        dtype=float, copy=True
    )
    if dialect.delimiter == "," or dialect.decimal == ",":
        return numbers, 0
    commas = candidates.str.fullmatch(_DECIMAL_COMMA.pattern).fillna(False)
    commas = commas.to_numpy(dtype=bool) & np.isnan(numbers)
    if commas.any():
        swapped = candidates[commas].str.replace(",", ".", regex=False)
        numbers[commas] = pd.to_numeric(swapped, errors="coerce").to_numpy(float)
    return numbers, int(commas.sum())


def _keep_text(
    df: pd.DataFrame,
    name: str,
    column: pd.Series,
    stripped: pd.Series,
    padded_marker: np.ndarray,
    notes: list[str],
) -> None:
    """Store a text column stripped of surrounding spaces, padded markers missing."""
    cleaned = stripped.mask(padded_marker)
    changed = int((cleaned.fillna("") != column.astype("str").fillna("")).sum())
    if changed:
        df[name] = cleaned
        notes.append(
            f"Column '{name}': spaces around "
            f"{_plural(changed, 'text value were', 'text values were')} removed."
        )


def _invalid_sentence(
    name: str, count: int, example: str, row: int, infinite: bool
) -> str:
    """E.g. "Column 'price': 3 cells are not numbers, e.g. 'n/a ' in row 17; ..."."""
    shown = example if len(example) <= 30 else example[:29] + "…"
    if count == 1:
        problem = "infinite or too large to be a number" if infinite else "not a number"
        return (
            f"Column '{name}': 1 cell is {problem}: '{shown}' in row {row}; "
            "it is treated as a missing value."
        )
    problem = "infinite or too large to be numbers" if infinite else "not numbers"
    return (
        f"Column '{name}': {count} cells are {problem}, e.g. '{shown}' in row {row}; "
        "they are treated as missing values."
    )


def _drop_empty_rows(df: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Drop rows where every cell is missing (blank lines, lines of separators)."""
    if len(df.columns) == 0:
        return df
    first = df.iloc[:, 0].isna().to_numpy()
    if not first.any():  # an empty row has a missing first cell: check only those
        return df
    candidates = np.flatnonzero(first)
    blank = candidates[df.iloc[candidates].isna().all(axis=1).to_numpy()]
    if len(blank):
        df = df.drop(index=df.index[blank]).reset_index(drop=True)
        notes.append(f"Ignored {_plural(len(blank), 'empty row', 'empty rows')}.")
    return df


def _drop_unnamed(
    df: pd.DataFrame, dialect: _Dialect, notes: list[str]
) -> pd.DataFrame:
    """Drop header-less columns that hold nothing, or only a saved row index.

    ``DataFrame.to_csv()`` writes its index as a first column with an empty
    header (0, 1, 2, …): a row counter, not data.
    """
    empty = [n for n in dialect.unnamed if df[n].isna().all()]
    index = [
        n
        for n in dialect.unnamed[:1]
        if n == df.columns[0] and n not in empty and _is_row_counter(df[n])
    ]
    if (empty or index) and len(empty) + len(index) < len(df.columns):
        df = df.drop(columns=empty + index)
    else:
        empty, index = [], []
    if empty:
        notes.append(
            f"Ignored {_plural(len(empty), 'empty column', 'empty columns')} without "
            "a header (often a separator at the end of every line)."
        )
    if index:
        notes.append(
            "Ignored the first column: it has no header and numbers the rows 0, 1, "
            "2, … (an index saved with the table)."
        )
    named = [n for n in dialect.unnamed if n in df.columns]
    if named:
        notes.append(f"Columns without a header were named {', '.join(named)}.")
    return df


def _is_row_counter(column: pd.Series) -> bool:
    """Whether a column is 0, 1, 2, … or 1, 2, 3, … down the rows."""
    if not pd.api.types.is_numeric_dtype(column.dtype) or column.dtype == bool:
        return False
    values = column.to_numpy(dtype=float, na_value=np.nan)
    start = values[0] if len(values) else np.nan
    return start in (0.0, 1.0) and np.array_equal(
        values, np.arange(start, start + len(values))
    )


def _check_shape(df: pd.DataFrame, dialect: _Dialect) -> None:
    """At least 2 data rows and one numeric column, or a DataError saying so."""
    if len(df) == 0:
        header = ", ".join(f"'{n}'" for n in dialect.names[:6])
        more = " …" if len(dialect.names) > 6 else ""
        raise DataError(
            f"The file has a header ({header}{more}) but no data rows. "
            "Add at least 2 rows of values below the header."
        )
    if len(df) < 2:
        raise DataError(
            "The file has only 1 data row; fitting a model needs at least 2. "
            "Add more rows of values."
        )
    if not any(pd.api.types.is_numeric_dtype(df[c].dtype) for c in df.columns):
        shown = ", ".join(f"'{c}'" for c in list(df.columns)[:6])
        raise DataError(
            f"No column holds numbers (columns: {shown}). The file was read as "
            f"{_plural(len(df.columns), 'column', 'columns')} separated by "
            f"{_DELIMITER_NAMES[dialect.delimiter]}. Upload a file with at least one "
            "numeric column; if the numbers are there, check the separator and "
            "decimal mark."
        )


def _note_missing(df: pd.DataFrame, notes: list[str]) -> None:
    """One sentence on how many cells are missing, and where."""
    counts = {name: _count_missing(df[name]) for name in df.columns}
    counts = {name: n for name, n in counts.items() if n}
    if not counts:
        return
    worst = sorted(counts.items(), key=lambda item: -item[1])[:4]
    listed = ", ".join(f"'{name}': {n}" for name, n in worst)
    more = ", …" if len(counts) > 4 else ""
    total = sum(counts.values())
    notes.append(
        f"{_plural(total, 'cell is', 'cells are')} missing ({listed}{more}): empty, "
        "a missing-value marker such as NA or ?, or invalid. They are treated as "
        "missing values."
    )


def _count_missing(column: pd.Series) -> int:
    """Missing cells of a column; a float column without NaN costs one sum."""
    if column.dtype == np.float64:
        values = column.to_numpy()
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.sum(values)):
                return 0
        return int(np.isnan(values).sum())
    return int(column.isna().sum())


def _summary_sentence(df: pd.DataFrame, dialect: _Dialect) -> str:
    encoding = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}
    decimal = ", with decimal commas (3,14 = 3.14)" if dialect.decimal == "," else ""
    thousands = " and '.' between thousands" if dialect.thousands else ""
    return (
        f"Read {_plural(len(df), 'row', 'rows')} and "
        f"{_plural(len(df.columns), 'column', 'columns')} separated by "
        f"{_DELIMITER_NAMES[dialect.delimiter]}{decimal}{thousands} "
        f"(encoding {encoding.get(dialect.encoding, 'Latin-1')})."
    )


# --------------------------------------------------------------------------------------
# Understanding
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnInfo:
    """What one column holds and whether it can be a feature or a target.

    Attributes
    ----------
    name : str
    kind : {"numeric", "binary", "categorical", "text", "constant", "identifier"}
        ``binary`` means exactly two distinct values (numbers or labels);
        ``categorical`` a non-numeric column with at most ``max_levels`` levels;
        ``text`` a non-numeric column with more; ``identifier`` a different value on
        every row (or a numeric column named like an id); ``constant`` at most one
        distinct value.
    n_missing : int
        Missing cells, including cells that ``read_csv`` found invalid.
    n_invalid : int
        Cells that held text or infinite values in a numeric column.
    n_levels : int or None
        Distinct non-missing values; None for numeric columns (not counted).
    min, max, mean : float or None
        Over non-missing cells of numeric and boolean columns; None otherwise.
    levels : tuple of str
        The distinct values, sorted, for binary and categorical columns.
    description : str
        A short phrase, e.g. "numbers from 19 to 79".
    """

    name: str
    kind: Kind
    n_missing: int
    n_invalid: int
    n_levels: int | None
    min: float | None
    max: float | None
    mean: float | None
    levels: tuple[str, ...]
    description: str

    @property
    def usable_as_feature(self) -> bool:
        """Numeric, binary and categorical columns can be features."""
        return self.kind in ("numeric", "binary", "categorical")


@dataclass(frozen=True)
class ColumnSummary:
    """Per-column information plus a suggested target and task.

    Attributes
    ----------
    columns : tuple of ColumnInfo
        In the DataFrame's column order.
    n_rows : int
    suggested_target : str or None
        A numeric or two-valued column; a column named like a target ("target",
        "y", "label", "class", "outcome", "response") wins, else the last one.
    suggested_task : {"linear", "logistic"} or None
        Logistic regression for a two-valued target, linear for a numeric one.
    suggested_features : tuple of str
        Every other column usable as a feature.
    explanation : str
        One or two sentences explaining the suggestion.
    """

    columns: tuple[ColumnInfo, ...]
    n_rows: int
    suggested_target: str | None
    suggested_task: Task | None
    suggested_features: tuple[str, ...]
    explanation: str

    def column(self, name: str) -> ColumnInfo:
        """The ``ColumnInfo`` of column ``name``."""
        for info in self.columns:
            if info.name == name:
                return info
        raise KeyError(name)


def describe_columns(df: pd.DataFrame, *, max_levels: int = 20) -> ColumnSummary:
    """Classify each column and suggest a target and a task.

    Parameters
    ----------
    df : pandas.DataFrame
        Shape (n_rows, n_columns), typically from ``read_csv``.
    max_levels : int, default 20
        Most levels a non-numeric column may have to count as categorical.

    Returns
    -------
    ColumnSummary
    """
    invalid = df.attrs.get("invalid_cells", {})
    columns = tuple(
        _classify(df[name], str(name), max_levels, int(invalid.get(name, 0)))
        for name in df.columns
    )
    target, explanation = _suggest_target(columns)
    task: Task | None = None
    features: tuple[str, ...] = ()
    if target is not None:
        info = next(c for c in columns if c.name == target)
        task = "logistic" if info.kind == "binary" else "linear"
        features = tuple(
            c.name for c in columns if c.usable_as_feature and c.name != target
        )
    return ColumnSummary(columns, len(df), target, task, features, explanation)


def _classify(
    series: pd.Series, name: str, max_levels: int, n_invalid: int = 0
) -> ColumnInfo:
    """Build the ``ColumnInfo`` of one column."""
    missing = series.isna().to_numpy()
    n_missing = int(missing.sum())
    if pd.api.types.is_numeric_dtype(series.dtype):
        return _classify_numeric(series, name, missing, n_missing, n_invalid)
    return _classify_text(series, name, max_levels, n_missing, n_invalid)


def _classify_numeric(
    series: pd.Series, name: str, missing: np.ndarray, n_missing: int, n_invalid: int
) -> ColumnInfo:
    values = _float_values(series)
    if n_missing:
        values = values[~missing]
    if len(values) == 0:
        return ColumnInfo(
            name=name,
            kind="constant",
            n_missing=n_missing,
            n_invalid=n_invalid,
            n_levels=0,
            min=None,
            max=None,
            mean=None,
            levels=(),
            description="every cell is missing",
        )
    low, high = float(values.min()), float(values.max())
    mean = _location_scale(values)[0]
    n_levels = _count_up_to_two(values, low, high, series.dtype)
    levels: tuple[str, ...] = ()
    if n_levels == 1:
        kind, levels = "constant", (_fmt(low),)
        description = f"the same value ({_fmt(low)}) on every row"
    elif n_levels == 2:
        kind, levels = "binary", (_fmt(low), _fmt(high))
        description = f"two values: {_fmt(low)} and {_fmt(high)}"
    elif _IDENTIFIER_NAME.search(name) and _unique_integers(values):
        kind, n_levels = "identifier", len(values)
        description = "a different whole number on every row, named like an identifier"
    else:
        kind = "numeric"
        description = f"numbers from {_fmt(low)} to {_fmt(high)}"
    return ColumnInfo(
        name, kind, n_missing, n_invalid, n_levels, low, high, mean, levels, description
    )


def _count_up_to_two(
    values: np.ndarray, low: float, high: float, dtype: object
) -> int | None:
    """1 or 2 distinct values, else None (not counted: it costs a hash table)."""
    if low == high:
        return 1
    if pd.api.types.is_bool_dtype(dtype):
        return 2
    head = values[:1024]  # a third value usually shows up early: skip the full scan
    if not np.all((head == low) | (head == high)):
        return None
    return 2 if np.all((values == low) | (values == high)) else None


def _float_values(series: pd.Series) -> np.ndarray:
    """A numeric column as float64 with NaN for missing; no copy if already float64."""
    if series.dtype == np.float64:
        return series.to_numpy()
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _unique_integers(values: np.ndarray) -> bool:
    whole = bool(np.all(values == np.round(values)))
    return whole and len(np.unique(values)) == len(values)


def _classify_text(
    series: pd.Series, name: str, max_levels: int, n_missing: int, n_invalid: int
) -> ColumnInfo:
    counts = series.value_counts(dropna=True)
    n_levels = len(counts)
    n_present = len(series) - n_missing
    levels: tuple[str, ...] = ()
    if n_levels == 0:
        kind, description = "constant", "every cell is missing"
    elif n_levels == 1:
        kind, levels = "constant", (str(counts.index[0]),)
        description = f"the same value ('{levels[0]}') on every row"
    elif n_levels == 2:
        kind, levels = "binary", tuple(sorted(str(v) for v in counts.index))
        description = f"two values: '{levels[0]}' and '{levels[1]}'"
    elif n_levels == n_present and n_present > max_levels:
        kind, description = (
            "identifier",
            "a different text on every row, like a name or id",
        )
    elif n_levels <= max_levels:
        kind, levels = "categorical", tuple(sorted(str(v) for v in counts.index))
        description = f"{n_levels} categories: " + ", ".join(
            f"'{v}'" for v in levels[:5]
        )
        description += ", …" if n_levels > 5 else ""
    else:
        kind = "text"
        description = (
            f"free text with {n_levels} distinct values (more than {max_levels})"
        )
    return ColumnInfo(
        name,
        kind,
        n_missing,
        n_invalid,
        n_levels,
        None,
        None,
        None,
        levels,
        description,
    )


def _suggest_target(columns: tuple[ColumnInfo, ...]) -> tuple[str | None, str]:
    """Pick a target column and explain the choice in words."""
    usable = [c for c in columns if c.kind in ("numeric", "binary")]
    if not usable:
        return None, (
            "No column is numeric or two-valued, so no target can be suggested: gddash "
            "fits linear regression to a numeric target and logistic regression to a "
            "target with two values."
        )
    named = [c for c in usable if c.name.strip().lower() in _TARGET_NAMES]
    chosen = named[0] if named else usable[-1]
    why = "it is named like a target" if named else "it is the last usable column"
    if chosen.kind == "binary":
        task = (
            f"it has two values ({', '.join(repr(v) for v in chosen.levels)}), so the "
            "task is logistic regression (classification)"
        )
    else:
        task = "it holds numbers, so the task is linear regression"
    explanation = f"Suggested target '{chosen.name}': {why}; {task}."
    last = columns[-1]
    if not named and last.name != chosen.name:
        explanation += (
            f" The last column '{last.name}' ({last.description}) cannot be a target: "
            "gddash needs a numeric target (linear regression) or one with two values "
            "(logistic regression)."
        )
    return chosen.name, explanation


# --------------------------------------------------------------------------------------
# Preparing
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrepareOptions:
    """How ``prepare`` turns columns into a design matrix.

    Parameters
    ----------
    missing : {"drop", "mean"}, default "drop"
        Drop rows with a missing feature value, or fill it with the column mean of
        the training rows. Rows with a missing target are always dropped.
    categorical : {"onehot", "refuse"}, default "onehot"
        One-hot encode non-numeric features (dropping the first level when there is
        an intercept), or refuse them with a message.
    max_levels : int, default 20
        Most levels a categorical feature may have (>= 2).
    standardize : bool, default True
        Scale each non-intercept column to mean 0 and standard deviation 1 using
        the training rows' statistics.
    intercept : bool, default True
        Add a leading column of ones named "intercept".
    validation_fraction : float in [0, 0.9), default 0.0
        Share of rows held out, drawn with ``seed``.
    seed : int, default 0
    task : {"linear", "logistic"} or None, default None
        None infers it: two-valued target -> logistic, numeric target -> linear.
    """

    missing: Literal["drop", "mean"] = "drop"
    categorical: Literal["onehot", "refuse"] = "onehot"
    max_levels: int = 20
    standardize: bool = True
    intercept: bool = True
    validation_fraction: float = 0.0
    seed: int = 0
    task: Task | None = None

    def __post_init__(self) -> None:
        _check_choice("missing", self.missing, ("drop", "mean"))
        _check_choice("categorical", self.categorical, ("onehot", "refuse"))
        _check_choice("task", self.task, (None, "linear", "logistic"))
        if (
            isinstance(self.max_levels, bool)
            or not isinstance(self.max_levels, int)
            or (self.max_levels < 2)
        ):
            raise SettingsError(
                "The 'max_levels' option must be an integer >= 2. "
                f"Got {self.max_levels!r} instead."
            )
        fraction = self.validation_fraction
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not (0.0 <= fraction < 0.9)
        ):
            raise SettingsError(
                "The 'validation_fraction' option must be a float in [0, 0.9). "
                f"Got {fraction!r} instead."
            )
        if (
            isinstance(self.seed, bool)
            or not isinstance(self.seed, int)
            or self.seed < 0
        ):
            raise SettingsError(
                f"The 'seed' option must be an integer >= 0. Got {self.seed!r} instead."
            )


def _check_choice(option: str, value: object, allowed: tuple[object, ...]) -> None:
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        raise SettingsError(
            f"The '{option}' option must be one of {listed}. Got {value!r} instead."
        )


@dataclass(frozen=True, eq=False)
class Dataset:
    """A design matrix and target ready for gradient descent.

    Arrays are float64, C-contiguous and read-only.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training rows; column 0 is ones ("intercept") when there is an intercept,
        the other columns are standardized when ``prepare`` standardized.
    y : ndarray of shape (n_samples,)
        Target; 0.0/1.0 for logistic regression.
    feature_names : tuple of str, length n_features
    target_name : str
    task : {"linear", "logistic"}
    means, scales : ndarray of shape (n_features - has_intercept,)
        Standardization statistics of the non-intercept columns: original value =
        standardized value * scale + mean. Zeros and ones when not standardized.
    class_labels : tuple (label_of_0, label_of_1) or None
        Original target labels mapped to 0 and 1 (logistic regression only).
    X_val : ndarray of shape (n_val, n_features) or None
    y_val : ndarray of shape (n_val,) or None
        Held-out rows, scaled with the training statistics; None without a split.
    notes : tuple of str
        Sentences about everything ``prepare`` changed.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str
    task: Task
    means: np.ndarray | None = None
    scales: np.ndarray | None = None
    class_labels: tuple[object, object] | None = None
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        X = _frozen_array(self.X, "X", ndim=2)
        n_samples, n_features = X.shape
        names = tuple(self.feature_names)
        if len(names) != n_features:
            raise DataError(
                f"feature_names has {len(names)} names but X has {n_features} columns."
            )
        n_scaled = n_features - (names[:1] == ("intercept",))
        means = np.zeros(n_scaled) if self.means is None else self.means
        scales = np.ones(n_scaled) if self.scales is None else self.scales
        values = {
            "X": X,
            "y": _frozen_array(self.y, "y", ndim=1, length=n_samples),
            "feature_names": names,
            "means": _frozen_array(means, "means", ndim=1, length=n_scaled),
            "scales": _frozen_array(scales, "scales", ndim=1, length=n_scaled),
            "notes": tuple(self.notes),
        }
        if (self.X_val is None) != (self.y_val is None):
            raise DataError("X_val and y_val must both be given or both be None.")
        if self.X_val is not None:
            values["X_val"] = _frozen_array(
                self.X_val, "X_val", ndim=2, width=n_features
            )
            values["y_val"] = _frozen_array(
                self.y_val, "y_val", ndim=1, length=values["X_val"].shape[0]
            )
        for key, value in values.items():
            object.__setattr__(self, key, value)
        self._check_task()

    def _check_task(self) -> None:
        if self.task not in ("linear", "logistic"):
            raise DataError(f"task must be 'linear' or 'logistic'. Got {self.task!r}.")
        if np.any(self.scales <= 0):
            raise DataError("scales must be positive.")
        if self.task == "logistic":
            for y in (self.y, self.y_val):
                if y is not None and not np.all((y == 0.0) | (y == 1.0)):
                    raise DataError("A logistic target must hold only 0.0 and 1.0.")
        if self.class_labels is not None and len(self.class_labels) != 2:
            raise DataError("class_labels must hold exactly two labels.")

    def __setstate__(self, state: dict[str, object]) -> None:
        # Unpickling (st.cache_data does it) skips __post_init__: re-freeze arrays.
        self.__dict__.update(state)
        for value in state.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    def __repr__(self) -> str:
        val = "" if self.X_val is None else f", n_val={len(self.X_val)}"
        return (
            f"Dataset(task={self.task!r}, target={self.target_name!r}, "
            f"n_samples={self.n_samples}, features={self.feature_names!r}{val})"
        )

    @property
    def n_samples(self) -> int:
        """Number of training rows."""
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        """Number of columns of X, the intercept column included."""
        return self.X.shape[1]

    @property
    def has_intercept(self) -> bool:
        """Whether column 0 of X is the column of ones named "intercept"."""
        return self.feature_names[:1] == ("intercept",)

    def to_original_units(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""Express parameters fitted on X in the original units of the features.

        With standardized columns :math:`z_j = (x_j - \mu_j) / \sigma_j`,

        .. math::
            \theta_0 + \sum_j \theta_j z_j
            = \Big(\theta_0 - \sum_j \theta_j \mu_j / \sigma_j\Big)
              + \sum_j (\theta_j / \sigma_j)\, x_j ,

        so the coefficients are :math:`\theta_j / \sigma_j` and the intercept
        absorbs the means (for logistic regression this holds for the logit).
        Without an intercept column, :math:`\theta_0 = 0` but the returned
        intercept is still the offset the means imply.

        Parameters
        ----------
        theta : ndarray of shape (n_features,) or (n_steps, n_features)
            One parameter vector, or a path of them.

        Returns
        -------
        intercept : ndarray of shape () or (n_steps,)
        coefficients : ndarray of shape (n_features - has_intercept,) or
            (n_steps, n_features - has_intercept)
            One per non-intercept feature, in ``feature_names`` order.
        """
        theta = np.asarray(theta, dtype=float)
        if theta.shape[-1:] != (self.n_features,) or theta.ndim > 2:
            raise ValueError(
                f"theta must have shape ({self.n_features},) or (n_steps, "
                f"{self.n_features}). Got {theta.shape} instead."
            )
        offset = int(self.has_intercept)
        slopes = theta[..., offset:]
        coefficients = slopes / self.scales
        base = theta[..., 0] if offset else np.zeros(theta.shape[:-1])
        intercept = base - coefficients @ self.means
        return np.asarray(intercept), coefficients

    def unscale(self, X: np.ndarray) -> np.ndarray:
        """Undo standardization: rows in the layout of ``self.X`` -> original units.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)

        Returns
        -------
        ndarray of shape (n_rows, n_features)
            A new array; the intercept column (if any) is left as it is.
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"X must have shape (n_rows, {self.n_features}). Got {X.shape} instead."
            )
        original = X.copy()
        offset = int(self.has_intercept)
        original[:, offset:] = X[:, offset:] * self.scales + self.means
        return original


def _frozen_array(
    value: object,
    label: str,
    *,
    ndim: int,
    length: int | None = None,
    width: int | None = None,
) -> np.ndarray:
    """A read-only float64 C-contiguous view or copy of ``value``, shape-checked."""
    array = np.ascontiguousarray(value, dtype=np.float64)
    if array is value:
        array = array.view()  # flag a view, never the caller's own array
    if array.ndim != ndim:
        raise DataError(f"{label} must be {ndim}-D. Got shape {array.shape} instead.")
    if length is not None and array.shape[0] != length:
        raise DataError(
            f"{label} must have {length} rows. Got shape {array.shape} instead."
        )
    if width is not None and array.shape[1] != width:
        raise DataError(
            f"{label} must have {width} columns. Got shape {array.shape} instead."
        )
    if _invalid_mask(array) is not None:
        raise DataError(f"{label} holds NaN or infinite values.")
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class _Target:
    values: np.ndarray  # (n_rows,) float64, NaN where missing
    task: Task
    class_labels: tuple[object, object] | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Feature:
    """One encoded column over all rows, and the cells that cannot be used."""

    name: str
    values: np.ndarray  # (n_rows,) float64, may be a read-only view of the frame
    source: str  # the DataFrame column it comes from
    missing: np.ndarray | None  # (n_rows,) bool: NaN or ±inf; None when there is none


def _invalid_mask(values: np.ndarray) -> np.ndarray | None:
    """Mask of NaN and ±inf cells, or None when every value is finite.

    A sum propagates NaN and inf, so one pass without a temporary array settles
    the common, complete case; only then is the mask built.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(values)
    if np.isfinite(total):
        return None
    mask = ~np.isfinite(values)
    return mask if mask.any() else None


def prepare(
    df: pd.DataFrame,
    target: str,
    features: Sequence[str] | None = None,
    options: PrepareOptions | None = None,
) -> Dataset:
    """Turn chosen columns of a DataFrame into a ``Dataset``.

    Steps, in order: encode the target (two values -> 0/1 for logistic
    regression); check and encode the features (one-hot for categorical columns,
    refusal for text and identifiers); drop rows with a missing target, and with
    a missing feature when ``options.missing == "drop"``; split off validation
    rows; fill missing values with training means when ``missing == "mean"``; drop
    constant features; standardize with training statistics; add the intercept.

    Parameters
    ----------
    df : pandas.DataFrame
        Shape (n_rows, n_columns), typically from ``read_csv``.
    target : str
        Name of the target column.
    features : sequence of str or None
        Names of the feature columns; None takes every usable column but the target.
    options : PrepareOptions or None
        None means ``PrepareOptions()``.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        Unknown or repeated columns, a target that does not fit the task, features
        that cannot be encoded (with the reason for each), or too few rows left.
    """
    options = PrepareOptions() if options is None else options
    features = _check_selection(df, target, features, options)
    notes: list[str] = []
    encoded = _encode_target(df[target], target, options.task)
    notes.extend(encoded.notes)
    columns = _encode_features(df, features, options, notes)
    rows = _usable_rows(encoded.values, columns, options.missing, notes)
    train, val = _split(rows, len(df), options, notes)
    if encoded.task == "logistic":
        _check_both_classes(encoded, train, target)
    X, X_val, names, means, scales = _design_matrix(columns, train, val, options, notes)
    y = encoded.values if train is None else encoded.values[train]
    y_val = None if val is None else encoded.values[val]
    _note_target_scale(y, target, encoded.task, notes)
    return Dataset(
        X=X,
        y=y,
        feature_names=names,
        target_name=target,
        task=encoded.task,
        means=means,
        scales=scales,
        class_labels=encoded.class_labels,
        X_val=X_val,
        y_val=y_val,
        notes=tuple(notes),
    )


def _check_selection(
    df: pd.DataFrame,
    target: str,
    features: Sequence[str] | None,
    options: PrepareOptions,
) -> list[str]:
    """Validate the column choice; return the feature names to use."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame. Got {type(df).__name__}.")
    known = ", ".join(f"'{c}'" for c in list(df.columns)[:12])
    if target not in df.columns:
        raise DataError(
            f"There is no column '{target}'. Choose a target among: {known}."
        )
    if features is None:
        summary = describe_columns(df, max_levels=options.max_levels)
        features = [
            c.name for c in summary.columns if c.usable_as_feature and c.name != target
        ]
    if isinstance(features, str):
        features = [features]
    features = list(features)
    unknown = [f for f in features if f not in df.columns]
    if unknown:
        listed = ", ".join(f"'{f}'" for f in unknown)
        raise DataError(f"Unknown feature column(s) {listed}. Choose among: {known}.")
    repeated = sorted({f for f in features if features.count(f) > 1})
    if repeated:
        listed = ", ".join(f"'{f}'" for f in repeated)
        raise DataError(
            f"Feature(s) {listed} were chosen twice. Choose each column once."
        )
    if target in features:
        raise DataError(
            f"'{target}' is both the target and a feature. Remove it from the features."
        )
    if not features:
        raise DataError("No feature columns were chosen. Choose at least one feature.")
    if "intercept" in features:
        # Dataset tells the column of ones by this name, with or without intercept.
        raise DataError(
            "A feature is named 'intercept', a name kept for the added column of "
            "ones. Rename that column."
        )
    return features


def _encode_target(series: pd.Series, name: str, task: Task | None) -> _Target:
    """Target values as float64 (NaN = missing) and the task they allow."""
    numeric = pd.api.types.is_numeric_dtype(series.dtype)
    n_values = _target_levels(series)
    if n_values is not None and n_values < 2:
        raise DataError(
            f"The target '{name}' has "
            f"{_plural(n_values, 'distinct value', 'distinct values')}; there is "
            "nothing to predict. Choose a column whose values vary."
        )
    if task is None:
        if n_values == 2:
            task = "logistic"
        elif numeric:
            task = "linear"
        else:
            raise DataError(
                f"The target '{name}' holds text with {n_values} distinct values. "
                "Choose a numeric target (linear regression) or a target with exactly "
                "two values (logistic regression)."
            )
    if task == "logistic" and n_values != 2:
        raise DataError(
            "Logistic regression needs a target with exactly 2 distinct values, but "
            f"'{name}' has {int(series.nunique())}. Choose a two-valued target, or use "
            "linear regression."
        )
    if n_values == 2 and (task == "logistic" or not numeric):
        return _binary_target(series, name, task)
    if not numeric:
        raise DataError(
            f"Linear regression needs a numeric target, but '{name}' holds text "
            f"({n_values} distinct values). Choose a numeric target."
        )
    return _Target(_float_values(series), task, None, ())


def _target_levels(series: pd.Series) -> int | None:
    """Distinct non-missing values of a target; None means 'more than 2, numeric'."""
    if not pd.api.types.is_numeric_dtype(series.dtype):
        return int(series.nunique(dropna=True))
    values = _float_values(series)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return 0
    return _count_up_to_two(values, values.min(), values.max(), series.dtype)


def _binary_target(series: pd.Series, name: str, task: Task) -> _Target:
    """Encode a two-valued target to 0.0/1.0, choosing which label is 1."""
    present = series.dropna()
    labels = list(pd.unique(present))
    negative, positive = _order_labels(labels)
    values = np.full(len(series), np.nan)
    mask = series.notna().to_numpy()
    values[mask] = (present == positive).to_numpy(dtype=float)
    labels_py = (_python_scalar(negative), _python_scalar(positive))
    numbers = [
        v for v in labels_py if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    identity = sorted(numbers) == [0, 1]
    notes = ()
    if not identity:
        notes = (
            f"Target '{name}' has two values, encoded as {labels_py[0]!r} → 0 and "
            f"{labels_py[1]!r} → 1"
            + (
                f"; the model predicts the probability of {labels_py[1]!r}."
                if task == "logistic"
                else "."
            ),
        )
    return _Target(values, task, labels_py, notes)


def _order_labels(labels: list[object]) -> tuple[object, object]:
    """(label for 0, label for 1): numbers ascending, known pairs, else alphabetical."""
    if all(isinstance(v, bool | np.bool_) for v in labels):
        return False, True
    if all(isinstance(v, int | float | np.number) for v in labels):
        low, high = sorted(labels)
        return low, high
    lowered = {str(v).strip().lower(): v for v in labels}
    positive = _POSITIVE_LABELS.get(frozenset(lowered))
    if positive is not None:
        negative = next(v for k, v in lowered.items() if k != positive)
        return negative, lowered[positive]
    low, high = sorted(labels, key=lambda v: (str(v).casefold(), str(v)))
    return low, high


def _python_scalar(value: object) -> object:
    """numpy scalars -> Python scalars (and whole floats -> int) for display."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _encode_features(
    df: pd.DataFrame, features: list[str], options: PrepareOptions, notes: list[str]
) -> list[_Feature]:
    """Encode each feature column, or raise one DataError listing every problem.

    Numeric columns are used as they are (constant ones are dropped later, on the
    training rows); only non-numeric or id-like columns need a full look.
    """
    columns: list[_Feature] = []
    problems: list[str] = []
    for name in features:
        series = df[name]
        numeric = pd.api.types.is_numeric_dtype(series.dtype)
        if numeric and not _IDENTIFIER_NAME.search(name):
            columns.extend(_numeric_feature(series, name, notes))
            continue
        info = _classify(series, name, options.max_levels)
        if info.kind == "constant":
            notes.append(
                f"Feature '{name}' was dropped: it has {info.description}, which adds "
                "nothing and makes XᵀX singular."
            )
        elif info.kind in ("identifier", "text"):
            problems.append(_refusal(info, options))
        elif numeric:
            columns.extend(_numeric_feature(series, name, notes))
        elif options.categorical == "refuse":
            problems.append(
                f"Column '{name}' is not numeric ({info.description}) and one-hot "
                "encoding is off: turn it on, or remove the column from the features."
            )
        else:
            columns.extend(_one_hot(series, name, info, options.intercept, notes))
    if problems:
        raise DataError(" ".join(problems))
    if not columns:
        raise DataError(
            "No usable feature is left (every chosen feature is constant or empty). "
            "Choose features whose values vary."
        )
    return columns


def _numeric_feature(series: pd.Series, name: str, notes: list[str]) -> list[_Feature]:
    """The column as one float feature, or nothing (with a note) if it is empty."""
    values = _float_values(series)
    missing = _invalid_mask(values)
    if missing is not None and missing.all():
        notes.append(f"Feature '{name}' was dropped: every cell is missing.")
        return []
    return [_Feature(name, values, name, missing)]


def _refusal(info: ColumnInfo, options: PrepareOptions) -> str:
    if info.kind == "identifier":
        return (
            f"Column '{info.name}' cannot be a feature: it looks like an identifier "
            f"({info.description}), which carries no signal a model can use. "
            "Remove it from the features."
        )
    return (
        f"Column '{info.name}' cannot be a feature: it is {info.description}, more "
        f"than the {options.max_levels} levels allowed for one-hot encoding "
        "(max_levels). Remove it from the features, or raise max_levels to at least "
        f"{info.n_levels}."
    )


def _one_hot(
    series: pd.Series, name: str, info: ColumnInfo, intercept: bool, notes: list[str]
) -> list[_Feature]:
    """0/1 columns, one per level (the first level dropped when there is an intercept).

    Dropping one level keeps the columns independent of the intercept column: with
    all levels, the one-hot columns would add up to the column of ones.
    """
    text = series.astype("str")
    missing = text.isna().to_numpy()
    kept = info.levels[1:] if intercept else info.levels
    gaps = missing if missing.any() else None
    columns = [
        _Feature(f"{name}={level}", (text == level).to_numpy(dtype=float), name, gaps)
        for level in kept
    ]
    names = ", ".join(f"'{c.name}'" for c in columns)
    reference = (
        f"; '{info.levels[0]}' is the reference level (all zeros)" if intercept else ""
    )
    notes.append(f"Feature '{name}' was one-hot encoded into {names}{reference}.")
    return columns


def _usable_rows(
    y: np.ndarray, columns: list[_Feature], policy: str, notes: list[str]
) -> np.ndarray | None:
    """Indices of rows to keep (None = all): target present, and features if 'drop'."""
    target_missing = _invalid_mask(y)
    keep = np.ones(len(y), dtype=bool) if target_missing is None else ~target_missing
    n_target = len(y) - int(keep.sum())
    per_source: dict[str, int] = {}
    if policy == "drop":
        for column in columns:
            if column.missing is not None:
                lost = int((column.missing & keep).sum())
                per_source[column.source] = max(per_source.get(column.source, 0), lost)
                keep &= ~column.missing
    n_kept = int(keep.sum())
    if n_target:
        notes.append(
            f"Dropped {_plural(n_target, 'row', 'rows')} whose target is missing."
        )
    if len(y) - n_kept - n_target:
        listed = ", ".join(f"'{k}': {v}" for k, v in per_source.items() if v)
        notes.append(
            f"Dropped {_plural(len(y) - n_kept - n_target, 'row', 'rows')} with "
            f"missing feature values ({listed}); choose missing='mean' to fill them "
            "instead."
        )
    if n_kept < 2:
        raise DataError(
            f"Only {_plural(n_kept, 'row has', 'rows have')} a target and every chosen "
            "feature; at least 2 are needed. Choose other features, or fill gaps "
            "with missing='mean'."
        )
    return None if n_kept == len(y) else np.flatnonzero(keep)


def _split(
    rows: np.ndarray | None, n_rows: int, options: PrepareOptions, notes: list[str]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Seeded train/validation split of the kept rows, each part in file order."""
    if options.validation_fraction == 0:
        return rows, None
    indices = np.arange(n_rows) if rows is None else rows
    n_val = max(1, round(options.validation_fraction * len(indices)))
    if len(indices) - n_val < 2:
        raise DataError(
            f"Only {len(indices)} rows remain, and a validation fraction of "
            f"{options.validation_fraction} would leave {len(indices) - n_val} for "
            "training (at least 2 are needed). Lower the validation fraction."
        )
    order = np.random.default_rng(options.seed).permutation(len(indices))
    val = np.sort(indices[order[:n_val]])
    train = np.sort(indices[order[n_val:]])
    notes.append(
        f"Held out {n_val} of {len(indices)} rows for validation "
        f"(fraction {options.validation_fraction}, seed {options.seed})."
    )
    return train, val


def _check_both_classes(target: _Target, train: np.ndarray | None, name: str) -> None:
    y = target.values if train is None else target.values[train]
    if np.all(y == y[0]):
        label = target.class_labels[int(y[0])] if target.class_labels else y[0]
        raise DataError(
            f"Every training row of '{name}' has the same class ({label!r}), so "
            "logistic regression cannot learn anything. Use more rows or a smaller "
            "validation fraction."
        )


@dataclass(frozen=True)
class _Scaled:
    """A kept feature: its training and validation values and training statistics."""

    name: str
    train: np.ndarray
    val: np.ndarray | None
    mean: float
    std: float


def _design_matrix(
    columns: list[_Feature],
    train: np.ndarray | None,
    val: np.ndarray | None,
    options: PrepareOptions,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...], np.ndarray, np.ndarray]:
    """Fill, check, scale and stack the feature columns into C-contiguous X.

    All statistics (fill means, standard deviations) come from the training rows.
    Returns X, X_val, feature names, means and scales.
    """
    kept: list[_Scaled] = []
    filled: dict[str, int] = {}
    for column in columns:
        train_values, val_values, n_filled = _fill_missing(column, train, val)
        if n_filled:
            filled[column.source] = max(filled.get(column.source, 0), n_filled)
        mean, std = _location_scale(train_values)
        if not std > 1e-14 * abs(mean):  # constant, or varying only in rounding noise
            notes.append(
                f"Feature '{column.name}' was dropped: it is constant on the training "
                "rows, which adds nothing and makes XᵀX singular."
            )
            continue
        kept.append(_Scaled(column.name, train_values, val_values, mean, std))
    if not kept:
        raise DataError(
            "No usable feature is left: every chosen feature is constant on the "
            "training rows. Choose features whose values vary."
        )
    if filled:
        listed = ", ".join(f"'{k}': {v}" for k, v in filled.items())
        notes.append(f"Filled missing feature values with training means ({listed}).")
    _note_scaling(kept, options, notes, 0 if train is None else len(train))
    if options.standardize:
        means = np.array([c.mean for c in kept])
        scales = np.array([c.std for c in kept])
    else:
        means, scales = np.zeros(len(kept)), np.ones(len(kept))
    names = tuple(c.name for c in kept)
    X = _stack([c.train for c in kept], means, scales, options.intercept)
    X_val = None
    if val is not None:
        X_val = _stack([c.val for c in kept], means, scales, options.intercept)
        _check_scaled_validation(X_val, names, scales, int(options.intercept))
    if options.intercept:
        names = ("intercept", *names)
    return X, X_val, names, means, scales


def _check_scaled_validation(
    X_val: np.ndarray, names: tuple[str, ...], scales: np.ndarray, offset: int
) -> None:
    """Training rows scale to within ±sqrt(n); a validation outlier may overflow."""
    bad = _invalid_mask(X_val)
    if bad is None:
        return
    j = int(np.flatnonzero(bad.any(axis=0))[0]) - offset
    raise DataError(
        f"Feature '{names[j]}' barely varies on the training rows (standard "
        f"deviation {scales[j]:.3g}), so a validation value far from them overflows "
        "once standardized. Check that column for outliers, remove it, or turn "
        "standardization off."
    )


def _fill_missing(
    column: _Feature, train: np.ndarray | None, val: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Training and validation values, gaps filled with the training mean.

    Returns (train values, validation values or None, number of cells filled).
    Without gaps, and without row selection, the training values are a view.
    """
    train_values = column.values if train is None else column.values[train]
    val_values = None if val is None else column.values[val]
    if column.missing is None:
        return train_values, val_values, 0
    gaps = column.missing if train is None else column.missing[train]
    gaps_val = None if val is None else column.missing[val]
    n_filled = int(gaps.sum()) + (0 if gaps_val is None else int(gaps_val.sum()))
    if n_filled == 0:
        return train_values, val_values, 0
    present = train_values[~gaps]
    fill = _location_scale(present)[0] if len(present) else 0.0
    train_values = np.where(gaps, fill, train_values)
    if val_values is not None:
        val_values = np.where(gaps_val, fill, val_values)
    return train_values, val_values, n_filled


def _location_scale(values: np.ndarray) -> tuple[float, float]:
    """Mean and population standard deviation of finite values, overflow-safe.

    The classic two passes (mean, then mean squared deviation) for accuracy; the
    second runs over blocks through a small buffer, because a full-size temporary
    costs more in page faults than the arithmetic. Values beyond ±1e150 (or all
    below 1e-150) are divided by their largest magnitude first, so that squares
    cannot overflow or underflow.
    """
    n_values = len(values)
    if n_values == 0:
        return 0.0, 0.0
    peak = max(float(np.max(values)), -float(np.min(values)))
    factor = peak if (peak > 1e150 or 0 < peak < 1e-150) else 1.0
    mean = float(np.mean(values / factor if factor != 1.0 else values))
    buffer = np.empty(min(_BLOCK_ROWS, n_values))
    squares = 0.0
    for start in range(0, n_values, _BLOCK_ROWS):
        block = values[start : start + _BLOCK_ROWS]
        centred = buffer[: len(block)]
        if factor != 1.0:
            np.divide(block, factor, out=centred)
            centred -= mean
        else:
            np.subtract(block, mean, out=centred)
        # square in place and sum: np.dot would call a threaded BLAS whose
        # start-up cost dwarfs a 32k-element block
        np.square(centred, out=centred)
        squares += float(np.sum(centred))
    return mean * factor, float(np.sqrt(squares / n_values)) * factor


def _stack(
    parts: list[np.ndarray], means: np.ndarray, scales: np.ndarray, intercept: bool
) -> np.ndarray:
    """(n, d) C-contiguous float64: optional column of ones, then scaled parts.

    Each part is a contiguous column; X is row-major. Writing a column of X is a
    strided write, so rows are done in blocks: the block's columns are scaled
    into a small contiguous buffer, then copied across in one transpose. This is
    ~3× faster than column-by-column and needs no second full-size array.
    """
    n_rows, offset = len(parts[0]), int(intercept)
    X = np.empty((n_rows, len(parts) + offset))
    if intercept:
        X[:, 0] = 1.0
    # Near 1e308, x - mean can overflow: subtract in units of the scale instead.
    huge = [abs(m) > 1e150 or s > 1e150 for m, s in zip(means, scales, strict=True)]
    buffer = np.empty((len(parts), min(_BLOCK_ROWS, n_rows)))
    for start in range(0, n_rows, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, n_rows)
        block = buffer[:, : stop - start]
        # Training rows stay within ±sqrt(n) standard deviations; validation rows
        # may overflow, which _check_scaled_validation reports.
        with np.errstate(over="ignore"):
            for j, values in enumerate(parts):
                if huge[j]:
                    chunk = values[start:stop] / scales[j]
                    np.subtract(chunk, means[j] / scales[j], out=block[j])
                else:
                    np.subtract(values[start:stop], means[j], out=block[j])
                    np.divide(block[j], scales[j], out=block[j])
        X[start:stop, offset:] = block.T
    return X


def _note_scaling(
    kept: list[_Scaled], options: PrepareOptions, notes: list[str], n_train: int
) -> None:
    """Report standardization, or warn when unscaled magnitudes differ a lot.

    A column's root mean square sqrt(mean² + std²) is what it contributes to the
    diagonal of XᵀX/n; when these differ by 1000× or more the loss surface is a
    narrow valley and one learning rate cannot suit every direction.
    """
    rms = {c.name: float(np.hypot(c.mean, c.std)) for c in kept}
    if options.intercept:
        rms["intercept"] = 1.0
    largest = max(rms, key=rms.__getitem__)
    smallest = min(rms, key=rms.__getitem__)
    ratio = rms[largest] / rms[smallest]
    rows = f"the {n_train} training rows" if n_train else "all rows"
    if options.standardize:
        notes.append(
            f"Standardized {_plural(len(kept), 'feature', 'features')} to mean 0 "
            "and standard deviation 1 "
            f"(statistics from {rows})."
        )
    elif ratio >= 1e3:
        notes.append(
            f"Warning: feature magnitudes differ by a factor of about {ratio:.0e} "
            f"('{largest}' ≈ {rms[largest]:.3g}, '{smallest}' ≈ {rms[smallest]:.3g}). "
            "Gradient descent then needs a learning rate small enough for the largest "
            "and crawls along the others: turn standardization on."
        )


def _note_target_scale(y: np.ndarray, name: str, task: Task, notes: list[str]) -> None:
    if task != "linear":
        return
    rms = float(np.hypot(*_location_scale(y)))
    if rms >= 1e6:
        notes.append(
            f"Warning: the target '{name}' is around {rms:.1e}, so losses are around "
            f"{rms * rms / 2:.0e}. Consider expressing it in larger units (e.g. "
            "thousands) so that losses and tolerances are easier to read."
        )


def _plural(count: int, singular: str, plural: str) -> str:
    """'1 row', '3 rows': the count and the right form of the words after it."""
    return f"{count:,} {singular if count == 1 else plural}"


def _fmt(value: float) -> str:
    """A number for a sentence: whole numbers without '.0', others to 4 digits."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


# --------------------------------------------------------------------------------------
# Bundled samples
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A dataset bundled with gddash (provenance and licence in data/README.md).

    Attributes
    ----------
    key : str
        Stable identifier, e.g. for ``load_sample`` and URLs.
    title, description : str
        A short name and one or two sentences for the sample picker.
    default_target : str
    default_features : tuple of str or None
        None means every usable column except the target.
    task : {"linear", "logistic"}
    n_rows : int
        Data rows of the CSV.
    filename : str or None
        A CSV committed in ``data/``.
    generator : str or None
        A function of ``data/make_synthetic.py`` returning a DataFrame, for data
        too large to commit. Exactly one of ``filename`` and ``generator`` is set.
    source : str
        Provenance and licence in a few words.
    """

    key: str
    title: str
    description: str
    default_target: str
    default_features: tuple[str, ...] | None
    task: Task
    n_rows: int
    filename: str | None = None
    generator: str | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if (self.filename is None) == (self.generator is None):
            raise ValueError("A Sample needs exactly one of filename and generator.")


_SAMPLES = (
    Sample(
        key="line",
        title="Noisy line (1 feature)",
        description=(
            "200 points around y = 4 + 3x. With one feature the loss depends only on "
            "intercept and slope, so its 3-D surface is exact, and the known answer "
            "(4, 3) lets you check every variant."
        ),
        default_target="y",
        default_features=("x",),
        task="linear",
        n_rows=200,
        filename="line.csv",
        source="synthetic (data/make_synthetic.py, seed fixed)",
    ),
    Sample(
        key="seed",
        title="Tiny example (3 rows)",
        description=(
            "The seed example: X = [[1, 2], [2, 3], [3, 4]], y = [2, 4, 6]. "
            "x2 = x1 + 1, so with an intercept the columns are collinear and many "
            "parameter vectors fit exactly; fit it without intercept to follow the "
            "numbers by hand."
        ),
        default_target="y",
        default_features=("x1", "x2"),
        task="linear",
        n_rows=3,
        filename="seed.csv",
        source="the classic numpy gradient-descent example (made up)",
    ),
    Sample(
        key="diabetes",
        title="Diabetes progression (real, regression)",
        description=(
            "442 patients: age, sex, BMI, blood pressure and six blood serum "
            "measurements; target is disease progression one year later."
        ),
        default_target="progression",
        default_features=None,
        task="linear",
        n_rows=442,
        filename="diabetes.csv",
        source="Efron et al. (2004), via scikit-learn (BSD-3-Clause)",
    ),
    Sample(
        key="auto_mpg",
        title="Car fuel economy (real, regression, with gaps)",
        description=(
            "406 cars from 1970–1982: fuel economy (mpg) against weight, horsepower, "
            "model year and origin. Has missing values, a text column (name) and a "
            "categorical one (origin)."
        ),
        default_target="mpg",
        default_features=("weight", "horsepower", "model_year", "origin"),
        task="linear",
        n_rows=406,
        filename="auto_mpg.csv",
        source="UCI Auto MPG / StatLib, via vega_datasets (CC BY 4.0)",
    ),
    Sample(
        key="breast_cancer",
        title="Breast cancer diagnosis (real, classification)",
        description=(
            "569 tumours described by 30 measurements of cell nuclei; target is "
            "'malignant' or 'benign'. Logistic regression."
        ),
        default_target="diagnosis",
        default_features=("mean radius", "mean texture"),
        task="logistic",
        n_rows=569,
        filename="breast_cancer.csv",
        source="UCI Breast Cancer Wisconsin (Diagnostic), via scikit-learn (CC BY 4.0)",
    ),
    Sample(
        key="engel",
        title="Engel's food expenditure (real, 1 feature)",
        description=(
            "235 Belgian households in 1857: yearly food expenditure against income. "
            "A real one-feature regression with an exact 3-D loss surface."
        ),
        default_target="food_expenditure",
        default_features=("income",),
        task="linear",
        n_rows=235,
        filename="engel.csv",
        source="Engel (1857), via statsmodels (public domain)",
    ),
    Sample(
        key="ill_conditioned",
        title="Ill-conditioned: floor area and rooms",
        description=(
            "300 synthetic houses: price against floor area (hundreds to thousands of "
            "square feet) and number of rooms (1–8), strongly correlated. Unscaled, "
            "the loss contours are extremely elongated; standardization visibly helps."
        ),
        default_target="price",
        default_features=("area_sqft", "rooms"),
        task="linear",
        n_rows=300,
        filename="ill_conditioned.csv",
        source="synthetic (data/make_synthetic.py, seed fixed)",
    ),
    Sample(
        key="large",
        title="Large synthetic (250,000 rows)",
        description=(
            "250,000 rows, 4 features, y = 1 + 2·x1 − 3·x2 + 0.5·x3 + noise (x4 is "
            "pure noise). Shows where stochastic and mini-batch descent win on speed."
        ),
        default_target="y",
        default_features=None,
        task="linear",
        n_rows=250_000,
        generator="large",
        source="synthetic, generated in memory (data/make_synthetic.py, seed fixed)",
    ),
)


def samples() -> tuple[Sample, ...]:
    """The bundled datasets in display order; the first is the app's default.

    The default is the noisy line: with one feature and an intercept the loss has
    exactly two parameters, so the 3-D loss surface is exact and every variant's
    path can be drawn on it; 200 rows make batch, stochastic and mini-batch runs
    instant yet visibly different, and the true parameters (4, 3) are known.

    Returns
    -------
    tuple of Sample
    """
    return _SAMPLES


@functools.cache
def load_sample(key: str) -> bytes:
    """CSV bytes of a bundled sample (cached; the large one is generated once).

    Parameters
    ----------
    key : str
        A ``Sample.key`` from ``samples()``.

    Returns
    -------
    bytes
        CSV content, to be read with ``read_csv`` like an upload.

    Raises
    ------
    DataError
        For an unknown key (which may come from a shared URL), listing the keys.
    """
    sample = next((s for s in _SAMPLES if s.key == key), None)
    if sample is None:
        keys = ", ".join(f"'{s.key}'" for s in _SAMPLES)
        raise DataError(f"There is no sample '{key}'. Choose one of: {keys}.")
    if sample.filename is not None:
        return (DATA_DIR / sample.filename).read_bytes()
    module = _synthetic_module()
    return module.csv_bytes(getattr(module, sample.generator)())


@functools.lru_cache(maxsize=1)
def _synthetic_module() -> ModuleType:
    """Import data/make_synthetic.py by path (data/ is a folder, not a package)."""
    path = DATA_DIR / "make_synthetic.py"
    spec = importlib.util.spec_from_file_location("gddash_make_synthetic", path)
    if spec is None or spec.loader is None:
        raise DataError(f"Cannot load the sample generator at {path}.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
