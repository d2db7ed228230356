"""After the parse: columns made usable, with a note on each change.

Infinite values become missing; mostly-numeric text columns become numbers
(decimal commas, currency signs, percentages); padded missing-value markers become
missing; empty rows, empty unnamed columns and a saved row index are dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gddash.data.dialect import (
    _DECIMAL_COMMA,
    _DECORATED,
    _NA_LOWER,
    NUMERIC_SHARE,
    _Dialect,
    _parse_options,
    _stream,
)
from gddash.data.words import _plural


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
