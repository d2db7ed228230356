"""DataFrame -> ``Dataset``: the user's choice of target and features, encoded.

``prepare`` encodes the target (numbers, two labels for logistic regression, or
up to ``MAX_CLASSES`` class labels for softmax regression) and the features
(numbers, one-hot categories), applies the missing-value policy, holds out
validation rows, standardizes and adds the intercept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gddash.data.classes import class_codes, inferred_task, whole_number_levels
from gddash.data.columns import (
    _BLOCK_ROWS,
    _IDENTIFIER_NAME,
    ColumnInfo,
    _classify,
    _count_up_to_two,
    _float_values,
    _location_scale,
    describe_columns,
)
from gddash.data.dataset import MAX_CLASSES, TASKS, Dataset, Task, _invalid_mask
from gddash.data.words import _plural
from gddash.errors import DataError, SettingsError

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
    task : {"linear", "logistic", "softmax"} or None, default None
        None infers it as ``describe_columns`` suggests: two values -> logistic;
        text with 3 to ``MAX_CLASSES`` labels -> softmax; numbers -> linear,
        unless named like a class ("class", "label", "species", "target", …) and
        holding 3 to ``MAX_CLASSES`` whole numbers -> softmax. Forcing a task:
        "linear" takes any numeric or two-valued target (two labels as 0/1);
        "logistic" needs exactly two values; "softmax" takes 2 to ``MAX_CLASSES``
        classes, text or whole numbers.
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
        _check_choice("task", self.task, (None, *TASKS))
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


@dataclass(frozen=True)
class _Target:
    values: np.ndarray  # (n_rows,) float64, NaN where missing
    task: Task
    class_labels: tuple[object, ...] | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Feature:
    """One encoded column over all rows, and the cells that cannot be used."""

    name: str
    values: np.ndarray  # (n_rows,) float64, may be a read-only view of the frame
    source: str  # the DataFrame column it comes from
    missing: np.ndarray | None  # (n_rows,) bool: NaN or ±inf; None when there is none


def prepare(
    df: pd.DataFrame,
    target: str,
    features: Sequence[str] | None = None,
    options: PrepareOptions | None = None,
) -> Dataset:
    """Turn chosen columns of a DataFrame into a ``Dataset``.

    Steps, in order: encode the target (two values -> 0/1 for logistic
    regression, K classes -> 0..K−1 for softmax regression); check and encode
    the features (one-hot for categorical columns, refusal for text and
    identifiers); drop rows with a missing target, and with
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
    if encoded.task == "softmax":
        encoded = _settle_classes(encoded, rows, train, target, notes)
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
        task = _infer_task(series, name, numeric, n_values)
    if task == "softmax":
        return _class_target(series, name, numeric)
    if task == "logistic" and n_values != 2:
        classes = "" if numeric else ", or use softmax regression"
        raise DataError(
            "Logistic regression needs a target with exactly 2 distinct values, but "
            f"'{name}' has {int(series.nunique())}. Choose a two-valued target"
            + (classes or ", or use linear regression")
            + "."
        )
    if n_values == 2 and (task == "logistic" or not numeric):
        return _binary_target(series, name, task)
    if not numeric:
        raise DataError(
            f"Linear regression needs a numeric target, but '{name}' holds text "
            f"({n_values} distinct values). Choose a numeric target"
            + (", or use softmax regression." if n_values <= MAX_CLASSES else ".")
        )
    return _Target(_float_values(series), task, None, ())


def _infer_task(
    series: pd.Series, name: str, numeric: bool, n_values: int | None
) -> Task:
    """The default task, as ``describe_columns`` suggests it (``inferred_task``)."""
    if n_values == 2:
        return "logistic"
    if not numeric:
        if n_values > MAX_CLASSES:
            raise DataError(_too_many_classes(name, n_values, numeric=False))
        return "softmax"
    values = _float_values(series)
    values = values[~np.isnan(values)]
    codes = whole_number_levels(values)
    return inferred_task(name, True, None if codes is None else len(codes), len(values))


def _too_many_classes(name: str, n_values: int, *, numeric: bool) -> str:
    if numeric:
        return (
            f"Softmax regression needs a target with 2 to {MAX_CLASSES} classes, but "
            f"'{name}' has {n_values:,} distinct numbers: it is a quantity, not a "
            "class. Choose linear regression, or a target with fewer classes."
        )
    return (
        f"The target '{name}' holds text with {n_values:,} distinct values, more than "
        f"the {MAX_CLASSES} classes softmax regression handles. Choose a target with "
        f"at most {MAX_CLASSES} classes (merge rare labels into one, such as "
        "'other'), or a numeric target for linear regression."
    )


def _class_target(series: pd.Series, name: str, numeric: bool) -> _Target:
    """Encode a class target to indices 0..K−1 (labels in ``order_classes`` order)."""
    if numeric:
        values = _float_values(series)
        values = values[~np.isnan(values)]
        n_values = len(np.unique(values))
        if n_values > MAX_CLASSES:
            raise DataError(_too_many_classes(name, n_values, numeric=True))
        if whole_number_levels(values) is None:
            example = next(float(v) for v in values if v != np.round(v))
            raise DataError(
                f"Softmax regression needs class labels, but '{name}' holds numbers "
                f"that are not whole (such as {example:g}). Choose linear regression, "
                "or a column of labels or whole-number codes."
            )
    else:
        n_values = int(series.nunique(dropna=True))
        if n_values > MAX_CLASSES:
            raise DataError(_too_many_classes(name, n_values, numeric=False))
    codes, labels = class_codes(series)
    notes = ()
    if labels != tuple(range(len(labels))):
        notes = (_class_note(name, labels),)
    return _Target(codes, "softmax", labels, notes)


def _class_note(name: str, labels: tuple[object, ...]) -> str:
    """'Target 'species' has 3 classes, numbered 'setosa' → 0, …' (at most 6 shown)."""
    pairs = [f"{label!r} → {k}" for k, label in enumerate(labels)]
    if len(pairs) > 6:
        pairs = [*pairs[:5], "…", pairs[-1]]
    return (
        f"Target '{name}' has {len(labels)} classes, numbered {', '.join(pairs)} "
        "(scikit-learn's order of classes_); the model predicts the probability of "
        "each."
    )


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


def _settle_classes(
    target: _Target,
    rows: np.ndarray | None,
    train: np.ndarray | None,
    name: str,
    notes: list[str],
) -> _Target:
    """Renumber classes left without rows; refuse a class missing from training.

    A class whose every row lost a feature value disappears (with a note). A class
    seen only in validation rows would have no minimum to descend to.
    """
    labels = target.class_labels
    kept = target.values if rows is None else target.values[rows]
    kept = kept[~np.isnan(kept)].astype(np.int64)
    present = np.flatnonzero(np.bincount(kept, minlength=len(labels)))
    if len(present) < len(labels):
        gone = [labels[k] for k in range(len(labels)) if k not in set(present)]
        if len(present) < 2:
            raise DataError(
                f"Only {_plural(len(present), 'class', 'classes')} of '{name}' "
                f"{'remains' if len(present) == 1 else 'remain'} once rows with "
                "missing feature values are dropped. Fill gaps with missing='mean', "
                "or choose other features."
            )
        listed = ", ".join(repr(v) for v in gone)
        labels = tuple(labels[k] for k in present)
        stale = [n for n in notes if n.startswith(f"Target '{name}' has ")]
        notes[:] = [n for n in notes if n not in stale]
        notes.append(
            f"Class(es) {listed} of '{name}' left out: every row of theirs lacks a "
            "feature value."
        )
        if labels != tuple(range(len(labels))):
            notes.append(_class_note(name, labels))
        remap = np.full(len(target.class_labels), np.nan)
        remap[present] = np.arange(len(present))
        values = np.full(len(target.values), np.nan)
        known = ~np.isnan(target.values)
        values[known] = remap[target.values[known].astype(np.int64)]
        target = _Target(values, "softmax", labels, target.notes)
    y = target.values if train is None else target.values[train]
    counts = np.bincount(y.astype(np.int64), minlength=len(labels))
    if np.any(counts == 0):
        listed = ", ".join(repr(labels[k]) for k in np.flatnonzero(counts == 0))
        raise DataError(
            f"Class(es) {listed} of '{name}' have no training row: all their rows "
            "were held out for validation, so softmax regression cannot learn them. "
            "Use a smaller validation fraction or another seed."
        )
    return target


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
