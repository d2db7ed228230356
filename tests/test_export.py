"""Exports open safely in a spreadsheet (OWASP's CSV-injection guidance)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from gddash import export

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\tTAB",
    "\rCR",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_header_or_text_cell_that_starts_a_formula_is_quoted(text):
    frame = pd.DataFrame({text: [text, "plain"], "x": [1.5, -2.0]})
    written = export.csv_bytes(frame).decode()
    rows = list(csv.reader(io.StringIO(written, newline="")))
    assert rows[0] == ["'" + text, "x"]
    assert rows[1] == ["'" + text, "1.5"]
    assert rows[2] == ["plain", "-2.0"]


def test_numbers_stay_numbers_even_when_negative():
    frame = pd.DataFrame({"loss": [-1.25, 3e-17], "n": [-3, 4]})
    back = pd.read_csv(io.BytesIO(export.csv_bytes(frame, float_format="%.17g")))
    assert back["loss"].tolist() == [-1.25, 3e-17]
    assert back["n"].tolist() == [-3, 4]


def test_the_callers_frame_is_not_changed():
    frame = pd.DataFrame({"=a": ["=b"]})
    export.csv_bytes(frame)
    assert list(frame.columns) == ["=a"] and frame.iloc[0, 0] == "=b"


def test_repeated_column_names_are_written_side_by_side():
    frame = pd.DataFrame([["=a", 1.0], ["b", 2.0]], columns=["x", "x"])
    rows = list(csv.reader(io.StringIO(export.csv_bytes(frame).decode(), newline="")))
    assert rows == [["x", "x"], ["'=a", "1.0"], ["b", "2.0"]]


def test_a_download_built_on_click_holds_its_source_weakly():
    # Streamlit keeps download callables until a departed visitor's stored
    # session expires: the callable must not keep their comparison alive.
    import gc

    class Results:  # stands in for a Comparison: any object with a weak reference
        rows = pd.DataFrame({"a": [1.0, 2.0]})

    results = Results()
    data = export.when_clicked(lambda r: export.csv_bytes(r.rows), results)
    assert data() == b"a\r\n1.0\r\n2.0\r\n"
    del results
    gc.collect()
    assert data() == export.GONE
