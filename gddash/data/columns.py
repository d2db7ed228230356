"""What each column of a table holds, and which column to predict.

``describe_columns`` classifies every column (numeric, binary, categorical, text,
constant, identifier), says which task each would get as the target, and suggests
a target and a task with a sentence saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gddash.data.classes import inferred_task, is_class_name, whole_number_levels
from gddash.data.dataset import MAX_CLASSES, Task
from gddash.data.words import _fmt

Kind = Literal["numeric", "binary", "categorical", "text", "constant", "identifier"]

_BLOCK_ROWS = 1 << 15  # rows per block when streaming columns through a buffer

# "id", "row_id", "Customer ID", "patientId", "Unnamed: 0" (pandas' saved index);
# case-insensitive except the camelCase form, so that "paid" or "valid" do not match.
_IDENTIFIER_NAME = re.compile(
    r"^(?i:id|idx|index|key|row|rowid|row_id|row_number|rownum|unnamed: ?\d+)$"
    r"|(?i:[_\s.-]id)$|[a-z]I[dD]$"
)

_TARGET_NAMES = ("target", "y", "label", "class", "outcome", "response")


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
    n_classes : int or None
        Classes the column would give as a class target: 2 for binary columns;
        3 to ``MAX_CLASSES`` for text with that many labels and for numbers that
        are whole with that many distinct values; None otherwise.
    task : {"linear", "logistic", "softmax"} or None
        The task ``prepare`` infers when this column is the target (see
        ``classes.inferred_task``); None when it cannot be a target.
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
    n_classes: int | None = None
    task: Task | None = None

    @property
    def usable_as_feature(self) -> bool:
        """Numeric, binary and categorical columns can be features."""
        return self.kind in ("numeric", "binary", "categorical")

    @property
    def usable_as_target(self) -> bool:
        """Numbers, two values, or 3 to ``MAX_CLASSES`` classes can be targets."""
        return self.task is not None


@dataclass(frozen=True)
class ColumnSummary:
    """Per-column information plus a suggested target and task.

    Attributes
    ----------
    columns : tuple of ColumnInfo
        In the DataFrame's column order.
    n_rows : int
    suggested_target : str or None
        A numeric or two-valued column, or one of 3 to ``MAX_CLASSES`` classes
        seen twice each on average; a column named like a target ("target", "y",
        "label", "class", "outcome", "response", "species", …) wins, else the last.
    suggested_task : {"linear", "logistic", "softmax"} or None
        The target column's ``task``: logistic regression for two values,
        softmax for 3 to ``MAX_CLASSES`` classes (text, or whole numbers named
        like a class), linear for other numbers.
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
    target, explanation = _suggest_target(columns, len(df))
    task: Task | None = None
    features: tuple[str, ...] = ()
    if target is not None:
        info = next(c for c in columns if c.name == target)
        task = info.task
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
    n_classes: int | None = None
    task: Task | None = "linear"
    if n_levels == 1:
        kind, levels, task = "constant", (_fmt(low),), None
        description = f"the same value ({_fmt(low)}) on every row"
    elif n_levels == 2:
        kind, levels = "binary", (_fmt(low), _fmt(high))
        description = f"two values: {_fmt(low)} and {_fmt(high)}"
        n_classes, task = 2, "logistic"
    elif _IDENTIFIER_NAME.search(name) and _unique_integers(values):
        kind, n_levels, task = "identifier", len(values), None
        description = "a different whole number on every row, named like an identifier"
    else:
        kind = "numeric"
        description = f"numbers from {_fmt(low)} to {_fmt(high)}"
        codes = whole_number_levels(values)
        if codes is not None and len(codes) >= 3:
            n_classes = len(codes)
            task = inferred_task(name, True, n_classes, len(values))
    return ColumnInfo(
        name,
        kind,
        n_missing,
        n_invalid,
        n_levels,
        low,
        high,
        mean,
        levels,
        description,
        n_classes,
        task,
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
    n_classes = None
    if kind not in ("constant", "identifier") and n_levels <= MAX_CLASSES:
        n_classes = n_levels
    task = None if n_classes is None else inferred_task(name, False, n_classes, 0)
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
        n_classes,
        task,
    )


def _suggest_target(
    columns: tuple[ColumnInfo, ...], n_rows: int
) -> tuple[str | None, str]:
    """Pick a target column and explain the choice in words.

    Candidates are numeric and two-valued columns, and columns of 3 to
    ``MAX_CLASSES`` classes with at least two rows per class on average (a
    column of one-off labels is a name, not a class).
    """
    usable = [
        c
        for c in columns
        if c.kind in ("numeric", "binary")
        or (c.task == "softmax" and n_rows - c.n_missing >= 2 * c.n_classes)
    ]
    if not usable:
        return None, (
            "No column is numeric, two-valued or a set of classes, so no target can "
            "be suggested: gddash fits linear regression to a numeric target, "
            "logistic regression to a target with two values and softmax regression "
            f"to a target with 3 to {MAX_CLASSES} classes."
        )
    named = [c for c in usable if _named_like_target(c.name)]
    chosen = named[0] if named else usable[-1]
    why = "it is named like a target" if named else "it is the last usable column"
    explanation = f"Suggested target '{chosen.name}': {why}; {_task_reason(chosen)}."
    last = columns[-1]
    if not named and last.name != chosen.name:
        explanation += (
            f" The last column '{last.name}' ({last.description}) cannot be a target: "
            "gddash needs a numeric target (linear regression), one with two values "
            f"(logistic regression) or one with 3 to {MAX_CLASSES} classes, each seen "
            "on at least two rows on average (softmax regression)."
        )
    return chosen.name, explanation


def _named_like_target(name: str) -> bool:
    return name.strip().lower() in _TARGET_NAMES or is_class_name(name)


def _task_reason(info: ColumnInfo) -> str:
    """Why the target's task is what it is, with the class count for classes."""
    if info.kind == "binary":
        return (
            f"it has two values ({', '.join(repr(v) for v in info.levels)}), so the "
            "task is logistic regression (classification)"
        )
    if info.task == "softmax" and info.kind != "numeric":
        shown = ", ".join(repr(v) for v in info.levels[:5])
        shown += ", …" if len(info.levels) > 5 else ""
        listed = f" ({shown})" if shown else ""
        return (
            f"it has {info.n_classes} classes{listed}, so the task is softmax "
            "regression (multi-class classification)"
        )
    if info.task == "softmax":
        return (
            f"it holds {info.n_classes} whole numbers from {_fmt(info.min)} to "
            f"{_fmt(info.max)}, taken as {info.n_classes} classes because of its "
            "name, so the task is softmax regression (multi-class classification); "
            "choose linear regression to treat them as numbers"
        )
    reason = "it holds numbers, so the task is linear regression"
    if info.n_classes is not None:
        reason += (
            f" (its {info.n_classes} distinct whole numbers could also be classes: "
            "choose softmax regression to treat them so)"
        )
    return reason


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
