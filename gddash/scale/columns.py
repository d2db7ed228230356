"""The target and features of a large source: chosen, checked, and cut into arrays.

Columns are checked against the source's schema before any row is read; each
partition then becomes float64 arrays (x, y) with incomplete rows dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gddash import limits
from gddash.errors import DataError
from gddash.scale.schema import check_files
from gddash.scale.sources import Source, listed, parquet_blocksize, read


@dataclass(frozen=True)
class Columns:
    """The target column and the feature columns, in order."""

    target: str
    features: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", tuple(self.features))
        if not self.features:
            raise DataError("Choose at least one feature column.")
        if self.target in self.features:
            raise DataError(
                f"{self.target!r} is the target and cannot also be a feature: "
                "leave it out of the features."
            )
        if len(set(self.features)) != len(self.features):
            raise DataError("A feature column is named twice: name each once.")
        most = limits.MAX_SOURCE_FEATURES
        if len(self.features) > most:
            raise DataError(
                f"{len(self.features):,} feature columns are more than a comparison "
                f"takes ({most}): its XᵀX alone grows with their square. Choose at "
                f"most {most} features."
            )

    @property
    def names(self) -> list[str]:
        """Every column read: the features, then the target."""
        return [*self.features, self.target]


def choose(
    source: Source, target: str, features: list[str] | tuple[str, ...] | None = None
):
    """Check the columns against the schema; return (Columns, lazy frame of them).

    ``features=None`` takes every numeric column but the target (of the first
    file). A missing column, a text column, or a file that lacks a chosen column
    or gives it another type than the first file (``schema.check_files``) is a
    ``DataError`` naming the column (and the files); so is, during a pass, a CSV
    value past the rows checked here that is not a number (``sources.csv_frame``).
    """
    source = listed(source)  # a URL glob: listed here, for every read and check
    frame = read(source)
    dtypes = frame.dtypes
    known = list(frame.columns)
    if target not in known:
        raise DataError(
            f"No column {target!r} in {source.location!r}: its columns are "
            f"{_listed(known)}."
        )
    if features is None:
        features = [c for c in known if c != target and _numeric(dtypes[c])]
    missing = [c for c in features if c not in known]
    if missing:
        raise DataError(
            f"No column {_listed(missing)} in {source.location!r}: its columns are "
            f"{_listed(known)}."
        )
    columns = Columns(target, tuple(features))
    text = [c for c in columns.names if not _numeric(dtypes[c])]
    if text:
        raise DataError(
            f"Column {_listed(text)} is not numeric: large sources take numeric "
            "columns only (encode text columns before, or leave them out)."
        )
    check_files(source, columns.names)
    if source.format == "csv":
        # The chosen columns read as float64 in every block, so that a later
        # value that is not a number is a DataError naming it and its file.
        return columns, read(source, columns.names)
    # Narrow columns (int8) get smaller partitions, planned again; local Parquet
    # is read in pieces, which ``parquet_pieces`` cuts by their arrays already.
    blocksize = parquet_blocksize(source, columns.names) if source.remote else None
    if blocksize is not None:
        return columns, read(source, columns.names, blocksize=blocksize)
    return columns, frame[columns.names]


def column_values(part, columns: Columns) -> tuple[list[np.ndarray], int]:
    """A partition's or piece's chosen columns as float64 arrays (features, then
    target), rows with a missing or infinite value dropped; and how many were.

    ``part`` is a pandas frame (a Dask partition) or a pyarrow ``Table`` or
    ``RecordBatch`` (a piece read by ``sources.parquet_pieces``).
    """
    return complete(column_arrays(part, columns))


def column_arrays(part, columns: Columns) -> list[np.ndarray]:
    """The chosen columns as float64 arrays (features, then target), as they are:
    a missing value is NaN. One array per column, not one (m, p + 1) block: a
    float64 column without nulls (of one chunk) is the reader's own buffer."""
    names = columns.names
    have = part.columns if isinstance(part, pd.DataFrame) else part.column_names
    missing = [c for c in names if c not in have]
    if missing:
        raise DataError(
            f"A file of the source has no column {missing[0]!r}: every file must "
            "hold the chosen columns."
        )
    if isinstance(part, pd.DataFrame):
        return [part[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in names]
    # Nulls become NaN; integers are converted.
    return [
        np.asarray(part.column(c).to_numpy(zero_copy_only=False), np.float64)
        for c in names
    ]


def complete(values: list[np.ndarray]) -> tuple[list[np.ndarray], int]:
    """``values`` without the rows where any column is NaN or ±inf; how many went."""
    # One sum per column finds a NaN or ±inf anywhere (they propagate).
    if all(np.isfinite(v.sum()) for v in values):
        return values, 0
    kept = np.logical_and.reduce([np.isfinite(v) for v in values])
    return [v[kept] for v in values], int(len(kept) - kept.sum())


def arrays(part, columns: Columns) -> tuple[np.ndarray, np.ndarray, int]:
    """A partition as (x (m, p), y (m,), rows dropped for a missing value)."""
    values, dropped = column_values(part, columns)
    return np.column_stack(values[:-1]), np.array(values[-1]), dropped


def _numeric(dtype: object) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(
        dtype
    )


def _listed(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names[:12]) + (" …" if len(names) > 12 else "")
