"""CSV bytes -> DataFrame: the source, its encoding, a sniffed dialect, one parse.

``read_csv`` is the entry point. The raw bytes are checked first (``scan``), the
dialect is sniffed on a small prefix, pandas' C parser reads the file once, and the
columns are repaired (``repair``); every step leaves a sentence in the notes.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import os
import re
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from gddash import limits
from gddash.data.dialect import (
    _DECIMAL_COMMA,
    _DECIMAL_POINT,
    _DELIMITER_NAMES,
    _DOT_THOUSANDS,
    _PLAIN_NUMBER,
    _SCAN_BYTES,
    CsvSource,
    _blocks,
    _Dialect,
    _extra_values_message,
    _flat,
    _parse_options,
    _stream,
)
from gddash.data.repair import (
    _drop_empty_rows,
    _drop_unnamed,
    _note_missing,
    _repair_columns,
)
from gddash.data.scan import (
    _Caps,
    _check_line_lengths,
    _check_records,
    _count_line_ends,
)
from gddash.data.words import _plural
from gddash.errors import DataError

MAX_ROWS = limits.MAX_ROWS
MAX_COLUMNS = limits.MAX_COLUMNS
MAX_CELLS = limits.MAX_CELLS
MAX_LINE_BYTES = limits.MAX_LINE_BYTES

# Excel writes "sep=;" as the first line of some exports to name the delimiter.
_EXCEL_SEPARATOR = re.compile(r"sep=([,;\t|])")

_SNIFF_BYTES = 64 * 1024

_SNIFF_ROWS = 200

_CONSISTENT = 0.9  # share of sniffed rows whose field count matches the header's

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

_C_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


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
