"""The expensive steps behind the pages, cached and bounded.

Caches are shared by every visitor, so each is keyed on a sha256 of the data's
bytes plus the settings (never on a large DataFrame, which Streamlit would hash
from a sample), bounded in entries and time, and holds immutable results only.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from gddash import charts, compare, data, functions
from gddash.compare import CompareSettings, Optimum
from gddash.data import ColumnSummary, Dataset, PrepareOptions
from gddash.engine import Objective, Settings, Trace, descend

_TTL = 3600


def digest(raw: bytes) -> str:
    """The identity of an upload or sample: sha256 of its bytes."""
    return hashlib.sha256(raw).hexdigest()


@st.cache_data(max_entries=16, ttl=_TTL, show_spinner="Reading the CSV…")
def read_table(key: str, _raw: bytes) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``data.read_csv`` of the bytes whose digest is ``key``, with its notes."""
    frame = data.read_csv(_raw)  # within data.MAX_ROWS and data.MAX_COLUMNS
    return frame, tuple(frame.attrs.get("notes", ()))


@st.cache_data(max_entries=16, ttl=_TTL, show_spinner=False)
def column_summary(key: str, _frame: pd.DataFrame) -> ColumnSummary:
    return data.describe_columns(_frame)


@st.cache_data(max_entries=32, ttl=_TTL, show_spinner="Preparing the data…")
def prepared(
    key: str,
    target: str,
    features: tuple[str, ...],
    options: PrepareOptions,
    _frame: pd.DataFrame,
) -> Dataset:
    """``data.prepare`` of the table ``key`` (a frozen options object is hashable)."""
    return data.prepare(_frame, target, list(features), options)


def dataset_key(key: str, target: str, features, options: PrepareOptions) -> str:
    return f"{key}|{target}|{tuple(features)}|{options!r}"


@st.cache_data(max_entries=32, ttl=_TTL, show_spinner="Finding the optimum…")
def optimum(dataset_id: str, _dataset: Dataset) -> Optimum:
    return compare.optimum_for(_dataset, problem(dataset_id, _dataset))


@st.cache_data(max_entries=256, ttl=_TTL, show_spinner=False)
def one_run(
    dataset_id: str, settings: CompareSettings, variant: str, k: int, _dataset: Dataset
) -> Trace:
    """One variant's run (seed offset k) of a comparison."""
    problem = _problem(dataset_id, _dataset)
    return descend(problem, settings.settings_for(variant, k))


@st.cache_resource(max_entries=8, ttl=_TTL, show_spinner=False)
def _problem(dataset_id: str, _dataset: Dataset):
    # Shared and never mutated: a problem holds read-only arrays and XᵀX.
    return compare.problem_for(_dataset)


def problem(dataset_id: str, dataset: Dataset):
    """The engine problem of a dataset (built once, shared)."""
    return _problem(dataset_id, dataset)


@st.cache_data(max_entries=64, ttl=_TTL, show_spinner="Computing the loss surface…")
def loss_slice(
    dataset_id: str,
    settings: CompareSettings,
    i: int,
    j: int,
    _comparison: compare.Comparison,
) -> charts.SurfaceGrid:
    """The exact loss over θ_i, θ_j for one comparison (its key: data + settings).

    Cached because for the log-loss every grid point is a pass over the rows,
    and chart options rerun the page without changing the surface.
    """
    return charts.slice_grid(
        _comparison, i, j, problem=problem(dataset_id, _comparison.dataset)
    )


@st.cache_resource(max_entries=64, show_spinner=False)
def symbolic(text: str, variables: tuple[str, ...]) -> functions.SymbolicFunction:
    """Parse and differentiate a formula once (shared, immutable)."""
    return functions.symbolic_function(text, variables)


@st.cache_data(max_entries=256, ttl=_TTL, show_spinner=False)
def function_run(text: str, variables: tuple[str, ...], settings: Settings) -> Trace:
    """The engine's run on a formula: the explorer's, and the learn page's demos."""
    f = symbolic(text, variables)
    return descend(Objective(f.value, f.gradient, len(variables)), settings)
