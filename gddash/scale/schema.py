"""The chosen columns checked file by file, before any pass: same kind everywhere.

Dask plans a folder from its first file's schema, so a column that is numeric in
one file and text in another (or missing from one) fails deep inside a pass, or
is silently misread. Each file's own schema is read here instead: a Parquet
file's footer, a CSV file's first ``CSV_ROWS`` rows; a URL's files through
fsspec, as listed there. A column's *kind* (number,
boolean, text, date/time) must agree between files; integer in one file and
float in another is the same kind, since every value becomes float64.

The footer also gives each Parquet row group's rows: a group whose chosen
columns would take more than ``limits.MAX_GROUP_BYTES`` as float64 is refused
before any of it is read, since a group is read whole.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pandas as pd

from gddash import limits
from gddash.errors import DataError

CSV_ROWS = 1_000  # rows of each CSV file whose types are inferred


def check_files(source, names: list[str]) -> None:
    """Refuse a file that lacks one of ``names`` or gives one another kind, or
    a Parquet row group too large to read (``limits.MAX_GROUP_BYTES``).

    ``source`` is a ``sources.Source``. A URL's files are listed through fsspec
    (``sources.filesystem``: a glob where the store lists) and read there, a
    Parquet footer or a CSV's first rows each. A single CSV file is left to the
    frame's own schema, which ``columns.choose`` checks. The message names the
    column and the two files (or the file and its group).
    """
    if source.remote:
        from gddash.scale.sources import filesystem

        fs, paths = filesystem(source)
        labels = [fs.unstrip_protocol(p) for p in paths]
    else:
        fs, paths = None, list(source.paths)
        labels = [_short(p, source) for p in paths]
    check_paths(paths, source.format, names, fs=fs, labels=labels)


def check_paths(
    paths: list[str],
    fmt: str,
    names: list[str],
    *,
    fs=None,
    labels: list[str] | None = None,
) -> None:
    """``check_files`` on files ``paths`` of format ``fmt`` ("csv", "parquet"),
    opened through the fsspec file system ``fs`` (None: local paths), called
    ``labels`` in messages (default: the paths)."""
    if len(paths) < 2 and fmt != "parquet":
        return
    labels = list(paths) if labels is None else labels
    read = _parquet_kinds if fmt == "parquet" else _csv_kinds
    known: dict[str, tuple[str, str]] = {}  # column: (kind, the file that gave it)
    for path, label in zip(paths, labels, strict=True):
        kinds = read(path, names, fs, label)
        missing = [n for n in names if n not in kinds]
        if missing:
            raise DataError(
                f"The file {label!r} has no column {missing[0]!r}: every file of "
                "the source must hold the chosen columns (remove that file or "
                "choose other columns)."
            )
        for name in names:
            if kinds[name] is None:  # a CSV file of no rows: no kind to compare
                continue
            kind, first = known.setdefault(name, (kinds[name], label))
            if kinds[name] != kind:
                raise DataError(
                    f"The column {name!r} changes type between files: "
                    f"{kind} in {first!r} but {kinds[name]} in {label!r}. "
                    "Every file must give a column the same type: fix that file, "
                    "or leave the column out."
                )


def _opened(path: str, fs):
    """``path`` itself (local), or a file object of it on ``fs``."""
    return contextlib.nullcontext(path) if fs is None else fs.open(path, "rb")


def _parquet_kinds(path: str, names: list[str], fs, label: str) -> dict[str, str]:
    """The kinds of ``names`` in a Parquet file, from its footer alone; a
    ``DataError`` if one of its row groups is too large to read whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with _opened(path, fs) as file:
            footer = pq.read_metadata(file)
        schema = footer.schema.to_arrow_schema()
    except (OSError, pa.ArrowInvalid) as error:
        said = str(error).replace(path, label)  # the server's folders left out
        raise DataError(f"Could not read the Parquet file {label!r}: {said}") from None
    kinds = {
        field.name: _arrow_kind(field.type) for field in schema if field.name in names
    }
    _check_groups(footer, len(kinds), label)
    return kinds


def _check_groups(footer, n_columns: int, label: str) -> None:
    """Refuse a row group whose ``n_columns`` chosen columns, as float64, would
    hold more than ``limits.MAX_GROUP_BYTES``: a group is read whole."""
    rows = max(
        (footer.row_group(g).num_rows for g in range(footer.num_row_groups)), default=0
    )
    held = rows * n_columns * 8
    if held > limits.MAX_GROUP_BYTES:
        raise DataError(
            f"The Parquet file {label!r} holds a row group of {rows:,} rows: "
            f"{held / 1e6:,.0f} MB as numbers in the {n_columns} chosen columns, "
            f"more than the {limits.MAX_GROUP_BYTES / 1e6:,.0f} MB gddash reads at "
            "once (a row group is read whole). Choose fewer columns, or rewrite "
            "the file with smaller row groups, for example "
            "pyarrow.parquet.write_table(table, path, row_group_size=1_000_000)."
        )


def _arrow_kind(kind) -> str:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        return _arrow_kind(kind.value_type)
    if pa.types.is_boolean(kind):
        return "booleans"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return "numbers"
    if pa.types.is_decimal(kind):
        return "numbers"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_temporal(kind):
        return "dates or times"
    return f"values of type {kind}"


def _csv_kinds(path: str, names: list[str], fs, label: str) -> dict[str, str | None]:
    """The kinds of ``names`` in a CSV file, inferred from its first rows as Dask
    infers them (pandas' default parser), read from its first block at most
    (``sources.head_block``: bounded memory whatever its lines)."""
    import fsspec

    from gddash.scale.sources import block_lines, head_block

    fs = fsspec.filesystem("file") if fs is None else fs
    try:
        with block_lines(head_block(fs, path, label)) as file:
            head = pd.read_csv(file, nrows=CSV_ROWS, usecols=lambda c: c in names)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        if isinstance(error, DataError):
            raise
        said = str(error).replace(path, label)  # the server's folders left out
        raise DataError(f"Could not read the CSV file {label!r}: {said}") from None
    if head.empty:  # a header alone: every column reads as text, so none is known
        return dict.fromkeys(head.columns)
    return {name: _pandas_kind(head[name].dtype) for name in head.columns}


def _pandas_kind(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "booleans"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numbers"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "dates or times"
    return "text"


def _short(path: str, source) -> str:
    """A file's path relative to the files' common folder (what a person wrote)."""
    common = os.path.commonpath([str(Path(p).parent) for p in source.paths])
    return os.path.relpath(path, common)
