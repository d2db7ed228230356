"""Class targets: which columns hold classes, in what order, and their codes.

Softmax regression predicts one of K classes. This module decides when a column
is a set of classes (text with a few labels; whole numbers when the column is
named like a class) and numbers them 0..K−1 in scikit-learn's order of
``classes_`` (``np.unique``), so that row k of θ is row k of ``coef_``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gddash.data.dataset import MAX_CLASSES, Task

# Names that say "these numbers are codes of classes, not quantities": sklearn's
# ``load_*(as_frame=True)`` writes class codes to a column named "target".
CLASS_NAMES = ("class", "classes", "label", "labels", "species", "category", "target")

_HEAD = 1024  # values looked at before a full pass (most quantities show early)


def is_class_name(name: str) -> bool:
    """Whether a column's name says it holds classes (case and spaces ignored)."""
    return name.strip().lower() in CLASS_NAMES


def whole_number_levels(values: np.ndarray) -> np.ndarray | None:
    """The distinct values of finite whole numbers, sorted, when at most MAX_CLASSES.

    None when a value is not whole or there are more than ``MAX_CLASSES``
    distinct values. The first ``_HEAD`` values settle most columns of
    measurements without a full pass.
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return None
    head = values[:_HEAD]
    if not _all_whole(head) or len(np.unique(head)) > MAX_CLASSES:
        return None
    if not _all_whole(values):
        return None
    low, high = float(values.min()), float(values.max())
    if high - low < 1_000_000:  # counting beats sorting for a narrow range
        counts = np.bincount((values - low).astype(np.int64))
        present = np.flatnonzero(counts)
        if len(present) > MAX_CLASSES:
            return None
        return present.astype(np.float64) + low
    levels = np.unique(values)
    return levels if len(levels) <= MAX_CLASSES else None


def _all_whole(values: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.isfinite(values) & (values == np.round(values))))


def inferred_task(name: str, numeric: bool, n_classes: int | None, n_rows: int) -> Task:
    """The task a target gets by default, given its classes (None: not classes).

    Two values -> logistic. Text with 3 to ``MAX_CLASSES`` labels -> softmax.
    Numbers -> linear, unless the column is named like a class (``CLASS_NAMES``)
    and holds 3 to ``MAX_CLASSES`` whole numbers, each seen twice on average:
    then softmax. A demanding user's ratings 1..5 stay numbers unless called
    "class"; ``PrepareOptions(task=...)`` overrides either way.
    """
    if n_classes == 2:
        return "logistic"
    if not numeric:
        return "softmax"
    if n_classes is not None and is_class_name(name) and n_rows >= 2 * n_classes:
        return "softmax"
    return "linear"


def order_classes(labels: list[object]) -> list[int]:
    """Positions of ``labels`` in index order: numbers ascending, else by text.

    This is ``np.unique``'s order, which scikit-learn's classifiers use for
    ``classes_``; text compares by code point ('B' before 'a').
    """
    numbers = all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)
        for v in labels
    )
    if numbers:
        return sorted(range(len(labels)), key=lambda i: labels[i])
    return sorted(range(len(labels)), key=lambda i: (str(labels[i]), repr(labels[i])))


def class_codes(series: pd.Series) -> tuple[np.ndarray, tuple[object, ...]]:
    """Codes 0..K−1 as float64 (NaN where the target is missing) and the K labels.

    Parameters
    ----------
    series : pandas.Series of shape (n_rows,)
        The target column; its distinct non-missing values are the classes.

    Returns
    -------
    codes : ndarray of shape (n_rows,)
    labels : tuple of K labels
        Python scalars (whole floats as int) in index order (``order_classes``).
    """
    inverse, uniques = pd.factorize(series, use_na_sentinel=True)
    labels = [_python_scalar(v) for v in uniques]
    order = order_classes(labels)
    remap = np.empty(len(labels), dtype=np.float64)
    remap[order] = np.arange(len(labels), dtype=np.float64)
    codes = np.full(len(series), np.nan)
    present = inverse >= 0
    codes[present] = remap[inverse[present]]
    return codes, tuple(labels[i] for i in order)


def _python_scalar(value: object) -> object:
    """numpy scalars -> Python scalars (and whole floats -> int) for display."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
