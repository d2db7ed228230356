"""CSV bytes -> validated DataFrame -> ``Dataset`` (X, y, names, scaling).

Three steps, each usable on its own::

    df = read_csv(uploaded_bytes)          # check, sniff, parse, repair; notes
    summary = describe_columns(df)         # kinds, gaps, a suggested target and task
    ds = prepare(df, target="y", features=["a", "b"], options=PrepareOptions())

One module per job: ``scan`` checks the raw bytes against the limits, ``read``
sniffs and parses, ``repair`` makes columns usable, ``columns`` describes them,
``prepare`` and ``dataset`` build the design matrix, ``samples`` holds the
bundled datasets. Every refusal is a ``DataError`` whose message names the problem,
the limit and the fix; everything handled automatically is described by a sentence
in the notes.

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

from gddash.data.columns import ColumnInfo, ColumnSummary, describe_columns
from gddash.data.dataset import MAX_CLASSES, TASKS, Dataset
from gddash.data.dialect import MISSING_MARKERS, NUMERIC_SHARE
from gddash.data.prepare import PrepareOptions, prepare
from gddash.data.read import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_LINE_BYTES,
    MAX_ROWS,
    read_csv,
)
from gddash.data.samples import DATA_DIR, PAGE_TASKS, Sample, load_sample, samples

__all__ = [
    "DATA_DIR",
    "MAX_CELLS",
    "MAX_CLASSES",
    "MAX_COLUMNS",
    "MAX_LINE_BYTES",
    "MAX_ROWS",
    "MISSING_MARKERS",
    "NUMERIC_SHARE",
    "PAGE_TASKS",
    "TASKS",
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
