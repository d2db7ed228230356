"""Checks of the raw bytes, before the parser allocates anything for them.

No line longer than ``MAX_LINE_BYTES``; no row with more values than the header (a
parser builds a column per extra value); no unclosed quote; rows and rows × columns
within ``MAX_ROWS`` and ``MAX_CELLS``. The bytes are walked in blocks with numpy,
so the checks use a few blocks of memory whatever the file holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gddash.data.dialect import (
    _DELIMITER_NAMES,
    _SCAN_BYTES,
    _Dialect,
    _extra_values_message,
)
from gddash.errors import DataError, SettingsError


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


# A line ends at "\n", or at a "\r" not followed by "\n" (old Mac files), as for
# pandas' C parser.
_QUOTE, _LF, _CR = ord('"'), ord("\n"), ord("\r")


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


def _ordinal(n: int) -> str:
    """'2nd', '3rd', '10th', '21st'."""
    suffix = (
        "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    )
    return f"{n}{suffix}"
