"""Tests of gddash.data: reading, describing and preparing user CSVs.

Every input is built from bytes inside the test (io.BytesIO), as an upload would
arrive; each refusal asserts its message and each automatic handling its note.
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import gzip
import io
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gddash.data import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_LINE_BYTES,
    MAX_ROWS,
    NUMERIC_SHARE,
    ColumnSummary,
    Dataset,
    PrepareOptions,
    describe_columns,
    dialect,
    prepare,
    read_csv,
)
from gddash.errors import DataError, SettingsError

ROOT = Path(__file__).resolve().parent.parent


def read(content: str | bytes, **limits: int) -> pd.DataFrame:
    """read_csv on an in-memory upload; str content is encoded as UTF-8."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return read_csv(io.BytesIO(data), **limits)


def notes_of(df: pd.DataFrame) -> str:
    return "\n".join(df.attrs["notes"])


def refused(content: str | bytes, **limits: int) -> str:
    with pytest.raises(DataError) as caught:
        read(content, **limits)
    return str(caught.value)


# --------------------------------------------------------------------------------------
# read_csv: refusals
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"   \n\n  \r\n"])
def test_empty_file_is_refused(content):
    message = refused(content)
    assert message.startswith("The file is empty.")
    assert "header line and at least 2 rows" in message


def test_header_only_is_refused_naming_the_header():
    message = refused("price,size\n")
    assert "header ('price', 'size') but no data rows" in message
    assert "Add at least 2 rows" in message


def test_a_single_data_row_is_refused():
    message = refused("a,b\n1,2\n")
    assert "only 1 data row" in message
    assert "at least 2" in message


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00rest-of-xlsx", "ZIP archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old-style Excel workbook"),
        (gzip.compress(b"a,b\n1,2\n3,4\n", mtime=0), "compressed with gzip"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image"),
        (b"%PDF-1.7\n", "PDF document"),
    ],
)
def test_binary_and_compressed_files_are_refused_with_the_fix(content, what):
    message = refused(content)
    assert what in message
    assert "not a CSV text file" in message
    assert "save or export it as 'CSV UTF-8" in message


def test_bytes_with_nul_are_refused_as_not_text():
    message = refused(b"a,b\n1,\x00\x01\x02\n3,4\n")
    assert "not text (it contains NUL bytes)" in message
    assert "Export your table as 'CSV UTF-8" in message


def test_duplicate_column_names_are_named_with_counts():
    message = refused("a,b,a,c,b,a\n1,2,3,4,5,6\n7,8,9,10,11,12\n")
    assert message == (
        "Duplicate column names: 'a' (3×), 'b' (2×). "
        "Rename them so each column has a unique header."
    )


def test_names_equal_after_removing_spaces_are_duplicates():
    message = refused("a, a\n1,2\n3,4\n")
    assert "Duplicate column names: 'a' (2×)" in message


def test_no_numeric_column_is_refused_with_what_was_read():
    message = refused("name,city\nann,paris\nbob,rome\n")
    assert "No column holds numbers (columns: 'name', 'city')" in message
    assert "read as 2 columns separated by commas" in message
    assert "check the separator and decimal mark" in message


def test_too_many_rows_states_the_limits():
    content = "a,b\n" + "".join(f"{i},{i}\n" for i in range(6))
    message = refused(content, max_rows=5, max_columns=10)
    assert "more than 5 data rows" in message
    assert "at most 5 data rows and 10 columns" in message
    assert "sample of the rows" in message


def test_exactly_max_rows_is_accepted():
    content = "a,b\n" + "".join(f"{i},{i}\n" for i in range(5))
    assert len(read(content, max_rows=5)) == 5


def test_too_many_columns_states_the_limits():
    message = refused("a,b,c,d\n1,2,3,4\n5,6,7,8\n", max_columns=3)
    assert "The file has 4 columns, more than the limit" in message
    assert f"at most {MAX_ROWS:,} data rows and 3 columns" in message
    assert "Keep only the columns you need" in message


def test_default_limits():
    assert MAX_ROWS == 1_000_000
    assert MAX_COLUMNS == 200
    assert MAX_CELLS == 1_000_000
    assert MAX_LINE_BYTES == 65_536


def test_a_row_with_too_many_values_names_the_line_and_the_fix():
    message = refused("a,b\n1,2\n3,4,5\n6,7\n")
    assert "Line 3 of the file has 3 values but the header has 2" in message
    assert "separated by commas" in message
    assert "put quotes around that value" in message


def test_a_first_row_longer_than_the_header_is_refused_not_cut():
    # pandas would silently drop the extra value here, with only a warning
    message = refused("a,b\n1,2,3\n4,5,6\n")
    assert message.startswith("Row 2 has 3 values but the header has 2")
    assert "if the first column has no header, give it one" in message


def test_an_unclosed_quote_is_refused():
    message = refused('a,b\n1,"abc\n2,3\n')
    assert "A quoted value is never closed" in message
    assert "Fix the quotes" in message


@pytest.mark.parametrize(
    ("limit", "value"),
    [
        ("max_rows", 1),
        ("max_columns", 0),
        ("max_cells", 1),
        ("max_line_bytes", 0),
        ("max_rows", 2.5),
        ("max_columns", True),
    ],
)
def test_bad_limits_are_settings_errors(limit, value):
    with pytest.raises(SettingsError, match=f"The '{limit}' parameter must be"):
        read("a,b\n1,2\n3,4\n", **{limit: value})


def test_missing_path_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="No file at"):
        read_csv(tmp_path / "nope.csv")


def test_csv_text_in_a_str_is_a_type_error():
    with pytest.raises(TypeError, match="not CSV text"):
        read_csv("a,b\n1,2\n3,4\n")


def test_a_text_mode_file_is_a_type_error():
    with pytest.raises(TypeError, match="open the file with 'rb'"):
        read_csv(io.StringIO("a,b\n1,2\n3,4\n"))


# --------------------------------------------------------------------------------------
# read_csv: sources, encodings, delimiters, decimals
# --------------------------------------------------------------------------------------

SIMPLE = b"a,b\n1,2.5\n3,4.5\n"


def test_every_kind_of_source_gives_the_same_frame(tmp_path):
    path = tmp_path / "simple.csv"
    path.write_bytes(SIMPLE)
    consumed = io.BytesIO(SIMPLE)
    consumed.read()  # an UploadedFile read before: getvalue still starts at 0

    class ReadOnly:  # a binary stream without getvalue
        def read(self) -> bytes:
            return SIMPLE

    expected = read(SIMPLE)
    for source in (
        SIMPLE,
        bytearray(SIMPLE),
        memoryview(SIMPLE),
        consumed,
        ReadOnly(),
        path,
        str(path),
    ):
        pd.testing.assert_frame_equal(read_csv(source), expected)


def test_summary_note_and_read_options():
    df = read(SIMPLE)
    assert df.attrs["notes"][0] == (
        "Read 2 rows and 2 columns separated by commas (encoding UTF-8)."
    )
    assert df.attrs["read_options"] == {
        "sep": ",",
        "decimal": ".",
        "thousands": None,
        "encoding": "utf-8",
    }
    assert df.attrs["invalid_cells"] == {}


def test_utf8_bom_is_skipped_with_a_note():
    df = read(codecs.BOM_UTF8 + "prénom,taille\nAnaïs,2\nZoë,4\n".encode())
    assert list(df.columns) == ["prénom", "taille"]
    assert df["prénom"].tolist() == ["Anaïs", "Zoë"]
    assert "UTF-8 byte-order mark" in notes_of(df)


def test_windows_1252_fallback_is_reported():
    df = read("ville,prix\nMünchen,1\nSão Paulo,2\nOrléans,3\n".encode("cp1252"))
    assert list(df["ville"]) == ["München", "São Paulo", "Orléans"]
    assert df.attrs["read_options"]["encoding"] == "cp1252"
    note = notes_of(df)
    assert "not valid UTF-8 (first bad byte on line 2)" in note
    assert "read as Windows-1252" in note
    assert "save the file as 'CSV UTF-8'" in note


def test_latin1_fallback_when_cp1252_cannot_decode():
    # 0x81 is undefined in Windows-1252; Latin-1 maps every byte
    df = read(b"name,v\nx\x81y,1\nz\xe9,2\n")
    assert df.attrs["read_options"]["encoding"] == "latin-1"
    assert "read as Latin-1" in notes_of(df)
    assert df["name"].iloc[1] == "zé"


def test_bad_byte_far_into_the_file_is_located():
    content = "a,b\n" + "1,2\n" * 300_000 + "caf\xe9,3\n"
    df = read(content.encode("cp1252"))
    assert "first bad byte on line 300002" in notes_of(df)


def test_utf16_text_from_excel_is_read():
    df = read(codecs.BOM_UTF16_LE + "a\tb\n1\t2,5\n3\t4\n".encode("utf-16-le"))
    assert list(df.columns) == ["a", "b"]
    assert df["b"].tolist() == [2.5, 4.0]
    assert "UTF-16 text" in notes_of(df)


@pytest.mark.parametrize(
    ("delimiter", "name"), [(";", "semicolons"), ("\t", "tabs"), ("|", "'|'")]
)
def test_delimiters_are_sniffed(delimiter, name):
    df = read(
        f"a{delimiter}b{delimiter}c\n1{delimiter}2{delimiter}x\n3{delimiter}4{delimiter}y\n"
    )
    assert list(df.columns) == ["a", "b", "c"]
    assert df["a"].tolist() == [1, 3]
    assert f"separated by {name}" in df.attrs["notes"][0]
    assert df.attrs["read_options"]["sep"] == delimiter


def test_decimal_commas_with_semicolons():
    df = read("x;y\n3,14;-0,5\n2,72;1e-3\n1,5E2;7\n")
    assert df["x"].tolist() == [3.14, 2.72, 150.0]
    assert df["y"].tolist() == [-0.5, 0.001, 7.0]
    assert "with decimal commas (3,14 = 3.14)" in df.attrs["notes"][0]
    assert df.attrs["read_options"]["decimal"] == ","


def test_thousands_dots_with_decimal_commas():
    df = read("price;qty\n1.234,50;2\n12.345.678,9;3\n5,25;4\n")
    assert df["price"].tolist() == [1234.5, 12345678.9, 5.25]
    assert "'.' between thousands" in df.attrs["notes"][0]


def test_points_stay_decimal_points_with_semicolons():
    df = read("x;y\n1.5;2\n2.25;3\n")
    assert df["x"].tolist() == [1.5, 2.25]
    assert df.attrs["read_options"]["decimal"] == "."


def test_a_column_with_decimal_commas_among_decimal_points():
    df = read("a;b;c\n1.5;2,5;x\n2.5;3,25;y\n3.5;1;z\n")
    assert df["a"].tolist() == [1.5, 2.5, 3.5]
    assert df["b"].tolist() == [2.5, 3.25, 1.0]
    assert (
        "Column 'b': 2 numbers written with a decimal comma (2,5 = 2.5) were read as "
        "such." in notes_of(df)
    )


def test_prices_and_percentages_written_for_people_are_read_as_numbers():
    df = read(
        "item,price,share,code\n"
        'a,"$1,200.50",12%,A1\n'
        "b,$950,7.5 %,B2\n"
        'c,"-$2,000",-3%,C3\n'
        "d,€15,100%,D4\n"
    )
    assert df["price"].tolist() == [1200.5, 950.0, -2000.0, 15.0]
    assert df["share"].tolist() == [12.0, 7.5, -3.0, 100.0]
    assert df["code"].tolist() == ["A1", "B2", "C3", "D4"]  # codes stay text
    assert (
        "Column 'price': 4 numbers written with a currency sign, thousands commas or "
        "a % sign (like '$1,200' or '12%') were read as plain numbers: $1,200 = 1200, "
        "12% = 12." in notes_of(df)
    )


# The decorated-number pattern as it was before each run of spaces got one place
# in it: the same strings, matched by trying every split of the spaces.
_SPLITTING_DECORATED = re.compile(
    r"(?P<sign>[-+]?)\s*[$€£¥]?\s*(?P<sign2>[-+]?)"
    r"(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d*)?\s*%?"
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="-+ \t$€1,.%x", max_size=16))
def test_the_decorated_number_pattern_reads_what_it_always_read(cell):
    """Rewritten so that no run of spaces can be split two ways, it matches the
    same strings with the same groups."""
    new = dialect._DECORATED.fullmatch(cell)
    old = _SPLITTING_DECORATED.fullmatch(cell)
    assert (new is None) == (old is None)
    if new is not None:
        assert new.groupdict() == old.groupdict()


def test_a_cell_of_spaces_around_a_currency_sign_stays_text_at_once():
    """Before, each such 60 KB cell took the decorated-number check ~50 s of the
    GIL (every split of its spaces tried): ten of them, inside the upload caps,
    held the whole server for minutes (a regression fails by pytest's timeout)."""
    cell = "-" + " " * 30_000 + "$" + " " * 30_000 + "x"
    rows = "".join(f"{k},{cell if k < 10 else 'word'}\n" for k in range(30))
    df = read("x,name\n" + rows)
    assert df["name"].iloc[10:].tolist() == ["word"] * 20
    assert df["name"].iloc[0] == cell.strip()


def test_a_column_that_is_mostly_words_stays_text_despite_a_price_or_two():
    df = read("label,y\n$5,1\ncheap,2\nexpensive,3\nfree,4\nmid,5\n")
    assert df["label"].tolist() == ["$5", "cheap", "expensive", "free", "mid"]


def test_an_excel_sep_line_names_the_delimiter_and_is_skipped():
    df = read("sep=;\na;b\n1;2\n3;4\n")
    assert list(df.columns) == ["a", "b"]
    assert df["b"].tolist() == [2, 4]
    assert (
        "The first line, 'sep=;', names the delimiter (semicolons); it was skipped."
        in notes_of(df)
    )


def test_a_european_excel_export():
    # Excel in a French or German locale: "CSV UTF-8" with BOM, ';', decimal commas
    content = (
        "Région;Température;Ventes\nÎle-de-France;12,5;1.234,50\nBayern;-3,25;987,00\n"
    )
    df = read(codecs.BOM_UTF8 + content.encode())
    assert list(df.columns) == ["Région", "Température", "Ventes"]
    assert df["Température"].tolist() == [12.5, -3.25]
    assert df["Ventes"].tolist() == [1234.5, 987.0]
    assert df.attrs["read_options"] == {
        "sep": ";",
        "decimal": ",",
        "thousands": ".",
        "encoding": "utf-8-sig",
    }


def test_a_single_column_with_decimal_commas():
    df = read("x\n1,5\n2,5\n3\n")
    assert list(df.columns) == ["x"]
    assert df["x"].tolist() == [1.5, 2.5, 3.0]


def test_quoted_fields_hold_delimiters_and_newlines():
    content = 'id_text,note,value\nA,"one, two",1\nB,"line one\nline two",2\nC,"say ""hi""",3\n'
    df = read(content)
    assert df["note"].tolist() == ["one, two", "line one\nline two", 'say "hi"']
    assert df["value"].tolist() == [1, 2, 3]


def test_row_numbers_count_records_not_lines():
    # the multi-line cell spans two lines but one spreadsheet row
    content = 'label,v\n"a\nb",1\nc,2\nd,3\ne,oops\nf,5\ng,6\n'
    df = read(content)
    assert "'oops' in row 5" in notes_of(df)


def test_crlf_line_ends():
    df = read(b"a,b\r\n1,2\r\n3,4\r\n")
    assert df.values.tolist() == [[1, 2], [3, 4]]


def test_headerless_numeric_file_gets_column_names():
    df = read("1,2,3\n4,5,6\n7,8,9\n")
    assert list(df.columns) == ["column_1", "column_2", "column_3"]
    assert len(df) == 3
    assert "read as data, not as column names" in notes_of(df)


def test_spaces_around_column_names_are_removed():
    df = read(" price , size\n1,2\n3,4\n")
    assert list(df.columns) == ["price", "size"]
    assert "Spaces around column names were removed." in notes_of(df)


def test_trailing_separator_column_is_ignored():
    df = read("a,b,\n1,2,\n3,4,\n")
    assert list(df.columns) == ["a", "b"]
    assert "Ignored 1 empty column without a header" in notes_of(df)


def test_an_index_saved_by_pandas_is_ignored():
    content = pd.DataFrame({"a": [1.5, 2.5, 3.5], "b": [3, 4, 5]}).to_csv()
    assert content.startswith(",a,b\n0,")
    df = read(content)
    assert list(df.columns) == ["a", "b"]
    assert "Ignored the first column: it has no header and numbers the rows" in (
        notes_of(df)
    )


def test_a_blank_header_cell_with_data_is_named():
    df = read("a,,c\n1,2,3\n4,5,6\n")
    assert list(df.columns) == ["a", "column_2", "c"]
    assert "Columns without a header were named column_2." in notes_of(df)


def test_blank_lines_are_ignored_with_a_note():
    df = read("a,b\n1,2\n\n3,4\n,\n\n5,6\n")
    assert df.values.tolist() == [[1, 2], [3, 4], [5, 6]]
    assert "Ignored 3 empty rows." in notes_of(df)


def test_blank_lines_before_the_header_are_skipped():
    df = read("\n\na,b\n1,2\n3,x\n4,5\n5,6\n6,7\n")
    assert list(df.columns) == ["a", "b"]
    note = notes_of(df)
    assert "Skipped 2 empty lines before the header." in note
    # rows count the skipped lines too, as a spreadsheet shows them
    assert "'x' in row 5" in note


# --------------------------------------------------------------------------------------
# read_csv: missing and invalid cells
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker", ["", "NA", "N/A", "NaN", "null", "None", "?", "-", "na", "NULL", "#N/A"]
)
def test_missing_value_markers(marker):
    df = read(f"a,b\n1,{marker}\n2,3.5\n3,4\n")
    assert df["b"].dtype == np.float64
    assert np.isnan(df["b"].iloc[0])
    assert "1 cell is missing ('b': 1)" in notes_of(df)


def test_padded_markers_are_missing_not_invalid():
    df = read("a,b\n1, NA \n2,n/a \n3,4\n4,5\n")
    assert df["b"].dtype == np.float64
    assert df["b"].isna().sum() == 2
    assert df.attrs["invalid_cells"] == {}
    assert "2 cells with spaces around a missing-value marker" in notes_of(df)


@pytest.mark.parametrize("text", ["inf", "-Infinity", "1e999", "-inf", "Infinity"])
def test_infinite_values_are_invalid_not_numbers(text):
    df = read(f"a,b\n1,2\n{text},3\n4,5\n")
    assert df["a"].dtype == np.float64
    assert np.isnan(df["a"].iloc[1])
    assert df.attrs["invalid_cells"] == {"a": 1}
    assert (
        f"Column 'a': 1 cell is infinite or too large to be a number: '{text}' in row 3"
        in notes_of(df)
    )


def test_several_infinite_values_quote_the_first_one():
    df = read("a,b\n1,2\n1e999,3\n-inf,5\n2,6\n")
    assert df["a"].isna().sum() == 2
    assert (
        "Column 'a': 2 cells are infinite or too large to be numbers, "
        "e.g. '1e999' in row 3; they are treated as missing values."
    ) in notes_of(df)
    assert "Row numbers are spreadsheet rows: the header is row 1" in notes_of(df)


def test_stray_text_in_a_mostly_numeric_column():
    rows = [f"{i},{10 + i}" for i in range(1, 21)]
    rows[15] = "16,twelve "  # spreadsheet row 17
    rows[16] = "17,12 EUR"
    rows[18] = "19,#VALUE!"
    df = read("id_no,price\n" + "\n".join(rows) + "\n")
    assert df["price"].dtype == np.float64
    assert df["price"].isna().sum() == 3
    assert df.attrs["invalid_cells"] == {"price": 3}
    assert (
        "Column 'price': 3 cells are not numbers, e.g. 'twelve ' in row 17; "
        "they are treated as missing values."
    ) in notes_of(df)


def test_mostly_numeric_threshold_is_80_percent():
    assert NUMERIC_SHARE == 0.8
    four_of_five = read("a,b\n1,1\n2,2\n3,3\n4,4\n5,x\n")
    assert four_of_five["b"].dtype == np.float64
    three_of_five = read("a,b\n1,1\n2,2\n3,3\n4,x\n5,y\n")
    assert three_of_five["b"].dtype == object or pd.api.types.is_string_dtype(
        three_of_five["b"]
    )
    assert three_of_five["b"].tolist() == ["1", "2", "3", "x", "y"]


def test_missing_cells_do_not_count_against_the_threshold():
    df = read("a,b\n1,1\n2,\n3,NA\n4,?\n5,x\n6,2\n7,3\n8,4\n")
    assert df["b"].dtype == np.float64
    assert df.attrs["invalid_cells"] == {"b": 1}


def test_text_values_are_stripped_with_a_note():
    df = read("a,city\n1, Paris\n2,Rome \n3,Paris\n")
    assert df["city"].tolist() == ["Paris", "Rome", "Paris"]
    assert "Column 'city': spaces around 2 text values were removed." in notes_of(df)


def test_integers_beyond_64_bits_become_floats():
    df = read("a,b\n99999999999999999999,1\n2,2\n")
    assert df["a"].tolist() == [1e20, 2.0]


def test_true_false_columns_are_boolean():
    df = read("a,b\nTrue,1\nFalse,2\ntrue,3\n")
    assert df["a"].dtype == bool


def test_boolean_column_with_gaps_becomes_zero_one():
    df = read("a,b\nTrue,1\n,2\nFalse,3\n")
    assert df["a"].tolist()[0::2] == [1.0, 0.0]
    assert np.isnan(df["a"].iloc[1])


def test_stray_text_late_in_a_large_file_is_found():
    # pandas parses big files in chunks: the column arrives as floats mixed with str
    n_rows = 300_000
    lines = [f"{i},{i * 0.5}" for i in range(n_rows)]
    lines[-3] = f"{n_rows - 3},oops"
    df = read("a,b\n" + "\n".join(lines) + "\n")
    assert df["b"].dtype == np.float64
    assert df["b"].iloc[0] == 0.0 and df["b"].iloc[-1] == (n_rows - 1) * 0.5
    assert f"'oops' in row {n_rows - 3 + 2}" in notes_of(df)


# --------------------------------------------------------------------------------------
# read_csv: property — what is written is read back
# --------------------------------------------------------------------------------------

NAMES = st.lists(
    st.text(alphabet="abcdefghijéüñ_XYZ", min_size=1, max_size=6),
    min_size=1,
    max_size=4,
    unique=True,
).filter(
    lambda names: not any(n.lower() in {"nan", "na", "none", "null"} for n in names)
)
FINITE = st.floats(
    allow_nan=False,
    allow_infinity=False,
    allow_subnormal=False,
    min_value=-1e300,
    max_value=1e300,
)
CELLS = st.one_of(FINITE, st.integers(-(10**12), 10**12).map(float))


@st.composite
def numeric_frames(draw):
    names = draw(NAMES)
    n_rows = draw(st.integers(2, 12))
    columns = {
        n: draw(st.lists(CELLS, min_size=n_rows, max_size=n_rows)) for n in names
    }
    return pd.DataFrame(columns)


def format_cell(value: float, decimal: str) -> str:
    text = repr(value)
    if text.endswith(".0") and abs(value) < 1e15:
        text = text[:-2]  # integers as spreadsheets write them
    return text.replace(".", decimal)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frame=numeric_frames(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    comma_decimal=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def test_written_frames_read_back_to_the_same_values(
    frame, delimiter, comma_decimal, encoding, line_end
):
    decimal = "," if comma_decimal and delimiter != "," else "."
    lines = [delimiter.join(frame.columns)]
    lines += [
        delimiter.join(format_cell(v, decimal) for v in row)
        for row in frame.itertuples(index=False)
    ]
    data = (line_end.join(lines) + line_end).encode(encoding)
    df = read_csv(io.BytesIO(data))
    assert list(df.columns) == list(frame.columns)
    np.testing.assert_array_equal(df.to_numpy(dtype=float), frame.to_numpy(dtype=float))


TOKENS = [
    *["1", "2.5", "-3", "1,5", "1.234,5", "1e5", "0", "inf", "1e999", "x", "yes"],
    *["NA", " n/a ", "?", "-", "", "#N/A", "True", "é", "  ", "\ufeff", "\x00"],
    *['"a,b"', '"multi\nline"', '"', ",", ";", "\t", "|", "\n", "\r\n"],
]


@settings(max_examples=200, deadline=None)
@given(
    tokens=st.lists(st.sampled_from(TOKENS), max_size=60),
    encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]),
)
def test_any_upload_gives_a_frame_or_a_data_error(tokens, encoding):
    try:
        data = "".join(tokens).encode(encoding)
    except UnicodeEncodeError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no silent loss hidden in a warning either
        try:
            df = read_csv(data)
        except DataError:
            return
        summary = describe_columns(df)
        if summary.suggested_target is not None:
            with contextlib.suppress(DataError):
                prepare(
                    df, summary.suggested_target, None, PrepareOptions(missing="mean")
                )
    assert len(df) >= 2 and isinstance(df.attrs["notes"], list)


# --------------------------------------------------------------------------------------
# describe_columns
# --------------------------------------------------------------------------------------

MIXED = "row_id,name,smoker,region,constant,empty,age,charges\n" + "".join(
    f"{i},person {i},{'yes' if i % 3 else 'no'},{'NSEW'[i % 4]},7,,{20 + i},{100 + 3 * i}\n"
    for i in range(30)
)


def test_kinds_of_columns():
    summary = describe_columns(read(MIXED))
    kinds = {c.name: c.kind for c in summary.columns}
    assert kinds == {
        "row_id": "identifier",
        "name": "identifier",
        "smoker": "binary",
        "region": "categorical",
        "constant": "constant",
        "empty": "constant",
        "age": "numeric",
        "charges": "numeric",
    }


def test_column_details():
    summary = describe_columns(read(MIXED))
    age = summary.column("age")
    assert (age.min, age.max, age.mean, age.n_missing) == (20.0, 49.0, 34.5, 0)
    assert age.description == "numbers from 20 to 49"
    assert age.n_levels is None
    region = summary.column("region")
    assert region.levels == ("E", "N", "S", "W")
    assert region.n_levels == 4 and region.min is None
    assert summary.column("smoker").levels == ("no", "yes")
    assert summary.column("empty").n_missing == 30
    assert summary.column("empty").description == "every cell is missing"
    assert summary.n_rows == 30
    with pytest.raises(KeyError):
        summary.column("nope")


def test_free_text_beyond_the_level_cap():
    content = "word,v\n" + "".join(f"w{i % 25},{i}\n" for i in range(50))
    info = describe_columns(read(content)).column("word")
    assert info.kind == "text"
    assert info.description == "free text with 25 distinct values (more than 20)"
    assert describe_columns(read(content), max_levels=30).column("word").kind == (
        "categorical"
    )


def test_invalid_cells_are_counted():
    info = describe_columns(read("a,b\n1,2\ninf,3\nx,4\n5,5\n6,6\n7,7\n")).column("a")
    assert (info.n_invalid, info.n_missing) == (2, 2)


def test_numeric_codes_are_not_identifiers_unless_named_so():
    df = pd.DataFrame({"x1": [1, 2, 3], "y": [2.0, 4.0, 6.0]})
    assert describe_columns(df).column("x1").kind == "numeric"


def test_suggests_the_last_numeric_column_for_linear_regression():
    summary = describe_columns(read(MIXED))
    assert summary.suggested_target == "charges"
    assert summary.suggested_task == "linear"
    assert summary.suggested_features == ("smoker", "region", "age")
    assert "it is the last usable column" in summary.explanation
    assert "linear regression" in summary.explanation


def test_a_column_named_like_a_target_wins():
    summary = describe_columns(read("y,a,b\n1,2,3\n4,5,6\n7,8,10\n"))
    assert summary.suggested_target == "y"
    assert "named like a target" in summary.explanation


def test_binary_target_suggests_logistic_regression():
    summary = describe_columns(read("a,b,diagnosis\n1,2,M\n3,4,B\n5,6,M\n"))
    assert summary.suggested_target == "diagnosis"
    assert summary.suggested_task == "logistic"
    assert "logistic regression (classification)" in summary.explanation


def test_categorical_last_column_is_explained():
    content = "sepal,petal,species\n1,2,a\n2,3,b\n3,4,c\n4,5,a\n"
    summary = describe_columns(read(content))
    assert summary.suggested_target == "petal"
    assert "The last column 'species' (3 categories" in summary.explanation
    assert "cannot be a target" in summary.explanation


def test_no_usable_target():
    df = pd.DataFrame({"a": ["x", "y", "z"], "b": ["u", "v", "w"]})
    summary = describe_columns(df)
    assert isinstance(summary, ColumnSummary)
    assert summary.suggested_target is None and summary.suggested_task is None
    assert "No column is numeric, two-valued or a set of classes" in (
        summary.explanation
    )


# --------------------------------------------------------------------------------------
# prepare: basics
# --------------------------------------------------------------------------------------


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_dataset_layout():
    df = frame(a=[1.0, 2.0, 3.0, 4.0], b=[10, 20, 10, 30], y=[1.0, 2.0, 3.0, 5.0])
    ds = prepare(df, target="y", features=["a", "b"])
    assert isinstance(ds, Dataset)
    assert ds.feature_names == ("intercept", "a", "b")
    assert ds.X.shape == (4, 3) and ds.X.dtype == np.float64
    assert ds.X.flags.c_contiguous and ds.y.flags.c_contiguous
    assert not ds.X.flags.writeable and not ds.y.flags.writeable
    np.testing.assert_array_equal(ds.X[:, 0], 1.0)
    np.testing.assert_allclose(ds.X[:, 1:].mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(ds.X[:, 1:].std(axis=0), 1.0)
    np.testing.assert_allclose(ds.means, [2.5, 17.5])
    assert (ds.n_samples, ds.n_features, ds.task, ds.target_name) == (
        4,
        3,
        "linear",
        "y",
    )
    assert ds.class_labels is None and ds.X_val is None and ds.y_val is None
    assert "Standardized 2 features to mean 0 and standard deviation 1" in ds.notes[0]
    assert repr(ds).startswith("Dataset(task='linear', target='y', n_samples=4")


def test_prepare_does_not_change_the_frame():
    df = frame(a=[1.0, np.nan, 3.0, 4.0], y=[1.0, 2.0, 3.0, 5.0])
    before = df.copy()
    prepare(df, "y", ["a"], PrepareOptions(missing="mean"))
    pd.testing.assert_frame_equal(df, before)


def test_without_standardization_or_intercept():
    df = frame(a=[1.0, 2.0, 4.0], y=[1.0, 2.0, 3.0])
    ds = prepare(df, "y", ["a"], PrepareOptions(standardize=False, intercept=False))
    np.testing.assert_array_equal(ds.X, [[1.0], [2.0], [4.0]])
    np.testing.assert_array_equal(ds.means, [0.0])
    np.testing.assert_array_equal(ds.scales, [1.0])
    assert ds.feature_names == ("a",)


def test_features_none_takes_every_usable_column():
    ds = prepare(read(MIXED), "charges", None)
    assert ds.feature_names[:3] == ("intercept", "smoker=yes", "region=N")
    assert ds.feature_names[-1] == "age"


@pytest.mark.parametrize(
    ("target", "features", "message"),
    [
        ("z", ["a"], "There is no column 'z'. Choose a target among: 'a', 'b', 'y'."),
        ("y", ["a", "q"], "Unknown feature column(s) 'q'."),
        ("y", ["a", "a"], "Feature(s) 'a' were chosen twice. Choose each column once."),
        ("y", ["a", "y"], "'y' is both the target and a feature. Remove it"),
        ("y", [], "No feature columns were chosen. Choose at least one feature."),
    ],
)
def test_bad_column_choices(target, features, message):
    df = frame(a=[1.0, 2.0, 3.0], b=[3.0, 1.0, 2.0], y=[1.0, 2.0, 4.0])
    with pytest.raises(DataError) as caught:
        prepare(df, target, features)
    assert message in str(caught.value)


def test_a_feature_named_intercept_is_refused():
    df = frame(intercept=[1.0, 2.0, 3.0], y=[1.0, 2.0, 4.0])
    for options in (PrepareOptions(), PrepareOptions(intercept=False)):
        with pytest.raises(DataError, match="a name kept for the added column of ones"):
            prepare(df, "y", ["intercept"], options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"missing": "median"}, "The 'missing' option must be one of 'drop', 'mean'"),
        ({"categorical": "hash"}, "The 'categorical' option must be one of"),
        ({"task": "poisson"}, "The 'task' option must be one of None, 'linear'"),
        ({"max_levels": 1}, "The 'max_levels' option must be an integer >= 2"),
        ({"validation_fraction": 0.9}, "must be a float in [0, 0.9). Got 0.9 instead."),
        ({"validation_fraction": -0.1}, "Got -0.1 instead."),
        ({"seed": -1}, "The 'seed' option must be an integer >= 0"),
    ],
)
def test_invalid_options(options, message):
    with pytest.raises(SettingsError) as caught:
        PrepareOptions(**options)
    assert message in str(caught.value)


# --------------------------------------------------------------------------------------
# prepare: missing values
# --------------------------------------------------------------------------------------

GAPPY = frame(
    a=[1.0, np.nan, 3.0, 4.0, 5.0, 6.0],
    b=[1.0, 2.0, np.nan, np.nan, 5.0, 7.0],
    y=[1.0, 2.0, 3.0, np.nan, 5.0, 6.0],
)


def test_rows_with_missing_values_are_dropped_and_counted():
    ds = prepare(GAPPY, "y", ["a", "b"])
    assert ds.n_samples == 3
    assert "Dropped 1 row whose target is missing." in ds.notes
    assert (
        "Dropped 2 rows with missing feature values ('a': 1, 'b': 1); "
        "choose missing='mean' to fill them instead."
    ) in ds.notes


def test_mean_imputation_uses_training_means():
    ds = prepare(
        GAPPY, "y", ["a", "b"], PrepareOptions(missing="mean", standardize=False)
    )
    assert ds.n_samples == 5
    a_mean = np.mean([1.0, 3.0, 5.0, 6.0])  # rows with a target
    b_mean = np.mean([1.0, 2.0, 5.0, 7.0])
    np.testing.assert_allclose(ds.X[:, 1], [1.0, a_mean, 3.0, 5.0, 6.0])
    np.testing.assert_allclose(ds.X[:, 2], [1.0, 2.0, b_mean, 5.0, 7.0])
    assert (
        "Filled missing feature values with training means ('a': 1, 'b': 1)."
        in ds.notes
    )


def test_infinite_values_in_a_frame_count_as_missing():
    df = frame(a=[1.0, np.inf, 3.0, 4.0], y=[1.0, 2.0, -np.inf, 5.0])
    ds = prepare(df, "y", ["a"])
    assert ds.n_samples == 2
    assert np.isfinite(ds.X).all() and np.isfinite(ds.y).all()


def test_too_few_rows_left_after_dropping():
    df = frame(a=[1.0, np.nan, np.nan], y=[1.0, 2.0, 3.0])
    with pytest.raises(DataError) as caught:
        prepare(df, "y", ["a"])
    assert "Only 1 row has a target and every chosen feature" in str(caught.value)
    assert "missing='mean'" in str(caught.value)


def test_an_all_missing_feature_is_dropped():
    df = frame(a=[1.0, 2.0, 3.0], b=[np.nan] * 3, y=[1.0, 2.0, 4.0])
    ds = prepare(df, "y", ["a", "b"])
    assert ds.feature_names == ("intercept", "a")
    assert "Feature 'b' was dropped: every cell is missing." in ds.notes


# --------------------------------------------------------------------------------------
# prepare: feature encoding and refusals
# --------------------------------------------------------------------------------------

CARS = frame(
    weight=[2.0, 3.0, 2.5, 4.0, 3.5, 1.5],
    origin=["USA", "Japan", "Europe", "USA", "Japan", "Europe"],
    turbo=["no", "yes", "no", "no", "yes", "no"],
    mpg=[30.0, 22.0, 28.0, 15.0, 20.0, 35.0],
)


def test_categorical_features_are_one_hot_encoded():
    ds = prepare(
        CARS, "mpg", ["weight", "origin", "turbo"], PrepareOptions(standardize=False)
    )
    assert ds.feature_names == (
        "intercept",
        "weight",
        "origin=Japan",
        "origin=USA",
        "turbo=yes",
    )
    np.testing.assert_array_equal(ds.X[:, 2], [0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(ds.X[:, 3], [1, 0, 0, 1, 0, 0])
    assert (
        "Feature 'origin' was one-hot encoded into 'origin=Japan', 'origin=USA'; "
        "'Europe' is the reference level (all zeros)."
    ) in ds.notes


def test_without_intercept_every_level_gets_a_column():
    options = PrepareOptions(standardize=False, intercept=False)
    ds = prepare(CARS, "mpg", ["origin"], options)
    assert ds.feature_names == ("origin=Europe", "origin=Japan", "origin=USA")
    np.testing.assert_array_equal(ds.X.sum(axis=1), 1.0)


def test_categorical_refused_when_one_hot_is_off():
    with pytest.raises(DataError) as caught:
        prepare(CARS, "mpg", ["origin"], PrepareOptions(categorical="refuse"))
    assert str(caught.value) == (
        "Column 'origin' is not numeric (3 categories: 'Europe', 'Japan', 'USA') and "
        "one-hot encoding is off: turn it on, or remove the column from the features."
    )


def test_level_cap_refuses_with_the_numbers():
    df = frame(city=[f"c{i % 6}" for i in range(12)], y=np.arange(12.0))
    with pytest.raises(DataError) as caught:
        prepare(df, "y", ["city"], PrepareOptions(max_levels=5))
    message = str(caught.value)
    assert "free text with 6 distinct values (more than 5)" in message
    assert "more than the 5 levels allowed for one-hot encoding (max_levels)" in message
    assert "raise max_levels to at least 6" in message
    assert prepare(df, "y", ["city"], PrepareOptions(max_levels=6)).n_features == 6


def test_text_and_identifiers_are_refused_together_with_reasons():
    df = read(MIXED)
    with pytest.raises(DataError) as caught:
        prepare(df, "charges", ["row_id", "name", "age"])
    message = str(caught.value)
    assert "Column 'row_id' cannot be a feature: it looks like an identifier" in message
    assert "Column 'name' cannot be a feature: it looks like an identifier" in message
    assert "Remove it from the features." in message


def test_constant_features_are_dropped_with_a_note():
    df = frame(
        a=[1.0, 2.0, 3.0], c=[5.0, 5.0, 5.0], t=["k", "k", "k"], y=[1.0, 3.0, 2.0]
    )
    ds = prepare(df, "y", ["a", "c", "t"])
    assert ds.feature_names == ("intercept", "a")
    notes = " ".join(ds.notes)
    assert "Feature 'c' was dropped: it is constant" in notes
    assert "Feature 't' was dropped: it has the same value ('k') on every row" in notes
    assert "makes XᵀX singular" in notes


def test_only_constant_features_is_an_error():
    df = frame(c=[5.0, 5.0, 5.0], y=[1.0, 3.0, 2.0])
    with pytest.raises(DataError, match="every chosen feature is constant"):
        prepare(df, "y", ["c"])


def test_a_feature_constant_on_the_kept_rows_is_dropped():
    df = frame(
        a=[1.0, 2.0, 3.0, 4.0], c=[1.0, 1.0, 1.0, 9.0], y=[1.0, 2.0, 3.0, np.nan]
    )
    ds = prepare(df, "y", ["a", "c"])
    assert ds.feature_names == ("intercept", "a")


# --------------------------------------------------------------------------------------
# prepare: targets and tasks
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "zero", "one"),
    [
        (["yes", "no", "yes", "no"], "no", "yes"),
        (["Y", "N", "Y", "N"], "N", "Y"),
        ([2, 1, 2, 1], 1, 2),
        ([True, False, True, False], False, True),
        (["TRUE", "FALSE", "TRUE", "FALSE"], "FALSE", "TRUE"),
        (["M", "B", "M", "B"], "B", "M"),
        ([1.0, -1.0, 1.0, -1.0], -1, 1),
    ],
)
def test_binary_targets_become_zero_one(labels, zero, one):
    df = frame(a=[1.0, 2.0, 3.0, 4.0], target=labels)
    ds = prepare(df, "target", ["a"])
    assert ds.task == "logistic"
    assert ds.class_labels == (zero, one)
    np.testing.assert_array_equal(ds.y, [1.0, 0.0, 1.0, 0.0])
    assert (
        f"Target 'target' has two values, encoded as {zero!r} → 0 and {one!r} → 1; "
        f"the model predicts the probability of {one!r}."
    ) in ds.notes


def test_zero_one_targets_need_no_mapping_note():
    ds = prepare(frame(a=[1.0, 2.0, 3.0], y=[0, 1, 1]), "y", ["a"])
    assert ds.task == "logistic" and ds.class_labels == (0, 1)
    assert not any("encoded as" in n for n in ds.notes)


def test_binary_text_from_a_file_is_mapped():
    df = read("x,smoker\n1,yes\n2,no\n3, yes\n4,no\n")
    ds = prepare(df, "smoker", ["x"])
    np.testing.assert_array_equal(ds.y, [1.0, 0.0, 1.0, 0.0])


def test_forcing_logistic_on_a_numeric_target_names_the_count():
    df = frame(a=[1.0, 2.0, 3.0, 4.0, 5.0], y=[1.0, 2.0, 3.0, 3.0, 7.0])
    with pytest.raises(DataError) as caught:
        prepare(df, "y", ["a"], PrepareOptions(task="logistic"))
    assert str(caught.value) == (
        "Logistic regression needs a target with exactly 2 distinct values, but 'y' "
        "has 4. Choose a two-valued target, or use linear regression."
    )


def test_forcing_linear_on_a_binary_target():
    df = frame(a=[1.0, 2.0, 3.0, 4.0], y=["no", "yes", "no", "yes"])
    ds = prepare(df, "y", ["a"], PrepareOptions(task="linear"))
    assert ds.task == "linear"
    np.testing.assert_array_equal(ds.y, [0.0, 1.0, 0.0, 1.0])
    assert "encoded as 'no' → 0 and 'yes' → 1." in " ".join(ds.notes)


def test_a_text_target_with_three_labels_is_softmax_not_refused():
    # Until #15 a text target with 3+ values was refused; it now means softmax.
    df = frame(a=[1.0, 2.0, 3.0], species=["x", "y", "z"])
    ds = prepare(df, "species", ["a"])
    assert ds.task == "softmax" and ds.class_labels == ("x", "y", "z")
    with pytest.raises(DataError) as caught:
        prepare(df, "species", ["a"], PrepareOptions(task="linear"))
    assert str(caught.value) == (
        "Linear regression needs a numeric target, but 'species' holds text "
        "(3 distinct values). Choose a numeric target, or use softmax regression."
    )


def test_a_constant_target_is_refused():
    with pytest.raises(DataError, match="has 1 distinct value; there is nothing"):
        prepare(frame(a=[1.0, 2.0, 3.0], y=[4.0, 4.0, 4.0]), "y", ["a"])


# --------------------------------------------------------------------------------------
# Class targets: softmax regression for 3 to MAX_CLASSES classes (#15)
# --------------------------------------------------------------------------------------

SPECIES = ("setosa", "versicolor", "virginica")


def iris_like_csv(n_per_class: int = 6, seed: int = 0) -> str:
    """Four measurements and a species label, rows of the classes interleaved."""
    rng = np.random.default_rng(seed)
    lines = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    for i in range(3 * n_per_class):
        k = (2 * i) % 3  # file order virginica/versicolor/... not index order
        cells = rng.normal(1.0 + k, 0.3, 4).round(2)
        lines.append(",".join(f"{v:g}" for v in cells) + f",{SPECIES[k]}")
    return "\n".join(lines) + "\n"


def test_an_iris_like_file_suggests_softmax_and_names_the_class_count():
    summary = describe_columns(read(iris_like_csv()))
    assert summary.suggested_target == "species"
    assert summary.suggested_task == "softmax"
    assert summary.suggested_features == (
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
    )
    assert summary.explanation == (
        "Suggested target 'species': it is named like a target; it has 3 classes "
        "('setosa', 'versicolor', 'virginica'), so the task is softmax regression "
        "(multi-class classification)."
    )
    info = summary.column("species")
    assert (info.kind, info.n_classes, info.task) == ("categorical", 3, "softmax")
    assert info.usable_as_target


def test_an_iris_like_file_prepares_class_indices_in_label_order():
    df = read(iris_like_csv())
    ds = prepare(df, "species")
    assert ds.task == "softmax" and ds.n_classes == 3
    assert ds.class_labels == SPECIES
    expected = [SPECIES.index(v) for v in df["species"]]
    np.testing.assert_array_equal(ds.y, expected)
    assert ds.y.dtype == np.float64 and not ds.y.flags.writeable
    assert (
        "Target 'species' has 3 classes, numbered 'setosa' → 0, 'versicolor' → 1, "
        "'virginica' → 2 (scikit-learn's order of classes_); the model predicts the "
        "probability of each."
    ) in ds.notes


def test_class_order_is_scikit_learns_classes_order():
    labels = ["b", "B", "a", "é", "a", "b", "B", "é"]
    df = frame(x=np.arange(8.0), label=labels)
    ds = prepare(df, "label", ["x"])
    assert ds.class_labels == tuple(np.unique(labels)) == ("B", "a", "b", "é")
    np.testing.assert_array_equal(ds.y, np.unique(labels, return_inverse=True)[1])
    numbers = frame(x=np.arange(6.0), y=[10, 2, 33, 2, 10, 33])
    coded = prepare(numbers, "y", ["x"], PrepareOptions(task="softmax"))
    assert coded.class_labels == (2, 10, 33)
    np.testing.assert_array_equal(coded.y, [1, 0, 2, 0, 1, 2])


def test_numeric_codes_are_classes_only_when_named_so():
    codes = [0, 1, 2, 2, 1, 0, 0, 1, 2]
    named = describe_columns(frame(x=np.arange(9.0), **{"class": codes}))
    assert named.suggested_task == "softmax"
    assert (
        "it holds 3 whole numbers from 0 to 2, taken as 3 classes because of its name"
        in named.explanation
    )
    ds = prepare(frame(x=np.arange(9.0), **{"class": codes}), "class", ["x"])
    assert ds.task == "softmax" and ds.class_labels == (0, 1, 2)
    assert not any("numbered" in n for n in ds.notes), "0..K-1 needs no mapping"
    plain = describe_columns(frame(x=np.arange(9.0), y=codes))
    assert plain.suggested_task == "linear"
    assert plain.column("y").n_classes == 3
    assert "(its 3 distinct whole numbers could also be classes" in plain.explanation
    assert prepare(frame(x=np.arange(9.0), y=codes), "y", ["x"]).task == "linear"
    forced = prepare(
        frame(x=np.arange(9.0), y=codes), "y", ["x"], PrepareOptions(task="softmax")
    )
    assert forced.task == "softmax" and forced.n_classes == 3
    back = prepare(
        frame(x=np.arange(9.0), **{"class": codes}),
        "class",
        ["x"],
        PrepareOptions(task="linear"),
    )
    assert back.task == "linear" and back.class_labels is None


def test_measurements_are_never_classes():
    info = describe_columns(frame(y=[0.5, 1.5, 2.5, 0.5])).column("y")
    assert info.n_classes is None and info.task == "linear"
    with pytest.raises(DataError) as caught:
        prepare(
            frame(a=np.arange(4.0), y=[0.5, 1.5, 2.5, 0.5]),
            "y",
            ["a"],
            PrepareOptions(task="softmax"),
        )
    assert str(caught.value) == (
        "Softmax regression needs class labels, but 'y' holds numbers that are not "
        "whole (such as 0.5). Choose linear regression, or a column of labels or "
        "whole-number codes."
    )
    many = frame(a=np.arange(30.0), y=np.arange(30) % 25)
    with pytest.raises(DataError) as caught:
        prepare(many, "y", ["a"], PrepareOptions(task="softmax"))
    assert str(caught.value) == (
        "Softmax regression needs a target with 2 to 20 classes, but 'y' has 25 "
        "distinct numbers: it is a quantity, not a class. Choose linear regression, "
        "or a target with fewer classes."
    )


def test_a_target_of_one_class_is_refused_for_every_task():
    df = frame(a=[1.0, 2.0, 3.0], species=["x", "x", "x"])
    for task in (None, "softmax", "logistic"):
        with pytest.raises(DataError) as caught:
            prepare(df, "species", ["a"], PrepareOptions(task=task))
        assert str(caught.value) == (
            "The target 'species' has 1 distinct value; there is nothing to predict. "
            "Choose a column whose values vary."
        )


@pytest.mark.parametrize("n_levels", [21, 10_000])
def test_too_many_labels_are_refused_with_the_count_and_the_fix(n_levels):
    n_rows = max(2 * n_levels, 42)
    df = frame(
        a=np.arange(float(n_rows)), kind=[f"k{i % n_levels}" for i in range(n_rows)]
    )
    expected = (
        f"The target 'kind' holds text with {n_levels:,} distinct values, more than "
        "the 20 classes softmax regression handles. Choose a target with at most 20 "
        "classes (merge rare labels into one, such as 'other'), or a numeric target "
        "for linear regression."
    )
    for task in (None, "softmax"):
        with pytest.raises(DataError) as caught:
            prepare(df, "kind", ["a"], PrepareOptions(task=task))
        assert str(caught.value) == expected
    info = describe_columns(df).column("kind")
    assert info.n_classes is None and info.task is None and not info.usable_as_target
    assert describe_columns(df).suggested_target == "a"


def test_twenty_labels_are_the_most_classes():
    df = frame(a=np.arange(40.0), kind=[f"k{i % 20:02d}" for i in range(40)])
    summary = describe_columns(df)
    assert summary.suggested_target == "kind" and summary.suggested_task == "softmax"
    assert "it has 20 classes ('k00', 'k01', 'k02', 'k03', 'k04', …)" in (
        summary.explanation
    )
    ds = prepare(df, "kind", ["a"])
    assert ds.n_classes == 20 and ds.class_labels[-1] == "k19"
    note = next(n for n in ds.notes if n.startswith("Target 'kind'"))
    assert "'k04' → 4, …, 'k19' → 19" in note


def test_one_off_labels_are_not_suggested_as_a_target():
    summary = describe_columns(frame(a=[1.0, 2.0, 3.0, 5.0], who=["p", "q", "r", "s"]))
    assert summary.column("who").task == "softmax"  # allowed when chosen...
    assert summary.suggested_target == "a"  # ...but four one-row classes are names


def test_missing_values_in_a_class_target_drop_their_rows():
    content = iris_like_csv().splitlines()
    content[2] = content[2].rsplit(",", 1)[0] + ","  # empty label
    content[5] = content[5].rsplit(",", 1)[0] + ",NA"
    df = read("\n".join(content) + "\n")
    assert df["species"].isna().sum() == 2
    ds = prepare(df, "species")
    assert ds.n_samples == 16 and ds.class_labels == SPECIES
    present = df["species"].dropna()
    np.testing.assert_array_equal(ds.y, [SPECIES.index(v) for v in present])
    assert "Dropped 2 rows whose target is missing." in ds.notes
    assert describe_columns(df).column("species").n_missing == 2


def test_a_class_whose_rows_all_lack_a_feature_is_left_out():
    df = frame(
        a=[1.0, 2.0, np.nan, 4.0, 5.0, np.nan, 7.0],
        y=["p", "q", "r", "p", "q", "r", "p"],
    )
    ds = prepare(df, "y", ["a"])
    assert ds.class_labels == ("p", "q") and ds.n_classes == 2
    np.testing.assert_array_equal(ds.y, [0, 1, 0, 1, 0])
    assert (
        "Class(es) 'r' of 'y' left out: every row of theirs lacks a feature value."
        in (ds.notes)
    )
    assert not any("'r' → 2" in n for n in ds.notes)
    filled = prepare(df, "y", ["a"], PrepareOptions(missing="mean"))
    assert filled.class_labels == ("p", "q", "r")


def test_every_class_needs_a_training_row():
    df = frame(a=np.arange(7.0), y=["p", "q", "p", "q", "p", "q", "r"])
    for seed in range(40):
        options = PrepareOptions(validation_fraction=0.3, seed=seed)
        try:
            prepare(df, "y", ["a"], options)
        except DataError as error:
            assert str(error) == (
                "Class(es) 'r' of 'y' have no training row: all their rows were held "
                "out for validation, so softmax regression cannot learn them. Use a "
                "smaller validation fraction or another seed."
            )
            return
    pytest.fail("no seed put the only 'r' row in validation")


def test_a_binary_target_is_still_logistic_unless_softmax_is_chosen():
    df = read("a,b,diagnosis\n1,2,M\n3,4,B\n5,6,M\n7,1,B\n")
    summary = describe_columns(df)
    assert summary.suggested_task == "logistic"
    assert summary.column("diagnosis").n_classes == 2
    assert prepare(df, "diagnosis").task == "logistic"
    two = prepare(df, "diagnosis", options=PrepareOptions(task="softmax"))
    assert two.task == "softmax" and two.class_labels == ("B", "M")
    np.testing.assert_array_equal(two.y, [1, 0, 1, 0])


def test_forcing_logistic_on_three_labels_points_to_softmax():
    df = frame(a=[1.0, 2.0, 3.0], species=["x", "y", "z"])
    with pytest.raises(DataError) as caught:
        prepare(df, "species", ["a"], PrepareOptions(task="logistic"))
    assert str(caught.value) == (
        "Logistic regression needs a target with exactly 2 distinct values, but "
        "'species' has 3. Choose a two-valued target, or use softmax regression."
    )


def test_the_task_option_lists_softmax():
    assert PrepareOptions(task="softmax").task == "softmax"
    with pytest.raises(SettingsError) as caught:
        PrepareOptions(task="multinomial")
    assert "None, 'linear', 'logistic', 'softmax'" in str(caught.value)


def softmax_dataset(**changes) -> Dataset:
    fields = {
        "X": np.ones((4, 2)),
        "y": np.array([0.0, 1.0, 2.0, 1.0]),
        "feature_names": ("intercept", "a"),
        "target_name": "species",
        "task": "softmax",
        "class_labels": ("p", "q", "r"),
    }
    return Dataset(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"class_labels": None}, "A softmax Dataset needs class_labels"),
        ({"y": np.array([0.0, 1.0, 3.0, 1.0])}, r"class indices 0\.0 to 2\.0"),
        ({"y": np.array([0.0, 1.5, 2.0, 1.0])}, r"class indices 0\.0 to 2\.0"),
        ({"y": np.array([0.0, -1.0, 2.0, 1.0])}, r"class indices 0\.0 to 2\.0"),
        ({"class_labels": ("p",)}, "needs 2 to 20 classes. Got 1 class labels"),
        ({"class_labels": tuple(range(21))}, "Got 21 class labels"),
        ({"class_labels": ("p", "q", "p")}, "class_labels must be distinct"),
        ({"task": "multinomial"}, "'linear', 'logistic' or 'softmax'"),
    ],
)
def test_a_softmax_dataset_checks_its_classes(changes, message):
    with pytest.raises(DataError, match=message):
        softmax_dataset(**changes)


def test_a_softmax_dataset_keeps_its_labels_and_pickles():
    ds = softmax_dataset(
        class_labels=["p", "q", "r"], y_val=np.array([2.0]), X_val=np.ones((1, 2))
    )
    assert ds.class_labels == ("p", "q", "r") and ds.n_classes == 3
    copy = pickle.loads(pickle.dumps(ds))
    assert copy.class_labels == ds.class_labels and not copy.y.flags.writeable
    assert softmax_dataset(class_labels=(0, 1, 2)).n_classes == 3
    assert prepare(line_frame(), "y", ["x"]).n_classes is None


def test_softmax_parameters_in_original_units_row_by_row():
    df = read(iris_like_csv())
    ds = prepare(df, "species", ["sepal_length", "petal_width"])
    k, d = ds.n_classes, ds.n_features
    rng = np.random.default_rng(0)
    theta = rng.normal(size=k * d)
    intercept, coefficients = ds.to_original_units(theta)
    assert intercept.shape == (k,) and coefficients.shape == (k, d - 1)
    rows = theta.reshape(k, d)  # row-major: row c scores class c
    raw = ds.unscale(ds.X)
    np.testing.assert_allclose(
        raw[:, 1:] @ coefficients.T + intercept, ds.X @ rows.T, rtol=1e-12, atol=1e-12
    )
    path_intercept, path_coefficients = ds.to_original_units(np.stack([theta, theta]))
    assert path_intercept.shape == (2, k) and path_coefficients.shape == (2, k, d - 1)
    with pytest.raises(ValueError, match=rf"theta must have shape \({k * d},\)"):
        ds.to_original_units(theta[:d])


# --------------------------------------------------------------------------------------
# prepare: validation split
# --------------------------------------------------------------------------------------


def line_frame(n_rows: int = 50, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n_rows)
    return frame(x=x, z=rng.normal(size=n_rows), y=2 + 3 * x + rng.normal(size=n_rows))


def test_validation_split_is_seeded_and_disjoint():
    df = line_frame()
    options = PrepareOptions(validation_fraction=0.2, seed=3)
    ds = prepare(df, "y", ["x", "z"], options)
    again = prepare(df, "y", ["x", "z"], options)
    other = prepare(
        df, "y", ["x", "z"], PrepareOptions(validation_fraction=0.2, seed=4)
    )
    assert (ds.n_samples, len(ds.X_val), len(ds.y_val)) == (40, 10, 10)
    np.testing.assert_array_equal(ds.X, again.X)
    assert not np.array_equal(ds.y_val, other.y_val)
    all_y = np.sort(np.concatenate([ds.y, ds.y_val]))
    np.testing.assert_array_equal(all_y, np.sort(df["y"].to_numpy()))
    assert "Held out 10 of 50 rows for validation (fraction 0.2, seed 3)." in ds.notes


def test_scaling_uses_training_rows_only():
    df = line_frame()
    ds = prepare(df, "y", ["x"], PrepareOptions(validation_fraction=0.3, seed=1))
    train_x = ds.unscale(ds.X)[:, 1]
    assert ds.means[0] == pytest.approx(train_x.mean())
    assert ds.scales[0] == pytest.approx(train_x.std())
    assert ds.means[0] != pytest.approx(df["x"].mean())
    np.testing.assert_allclose(ds.X[:, 1].mean(), 0.0, atol=1e-14)
    val_x = ds.unscale(ds.X_val)[:, 1]
    np.testing.assert_allclose(ds.X_val[:, 1], (val_x - ds.means[0]) / ds.scales[0])


def test_mean_imputation_does_not_look_at_validation_rows():
    df = line_frame(20)
    df.loc[3, "x"] = np.nan
    options = PrepareOptions(
        missing="mean", validation_fraction=0.25, standardize=False
    )
    ds = prepare(df, "y", ["x"], options)
    train_values = ds.X[:, 1]
    original = df["x"].to_numpy()
    filled = [v for v in train_values if v not in original]
    if filled:  # row 3 landed in training: its fill is the mean of the other train rows
        others = [v for v in train_values if v in original]
        assert filled[0] == pytest.approx(np.mean(others))
    else:
        val_filled = [v for v in ds.X_val[:, 1] if v not in original]
        assert val_filled[0] == pytest.approx(train_values.mean())


def test_split_needs_two_training_rows():
    df = frame(a=[1.0, 2.0, 3.0], y=[1.0, 2.0, 4.0])
    with pytest.raises(DataError) as caught:
        prepare(df, "y", ["a"], PrepareOptions(validation_fraction=0.5))
    assert "would leave 1 for training (at least 2 are needed)" in str(caught.value)


def test_logistic_training_rows_need_both_classes():
    df = frame(a=[1.0, 2.0, 3.0, 4.0], y=["a", "a", "a", "b"])
    for seed in range(20):
        options = PrepareOptions(validation_fraction=0.25, seed=seed)
        try:
            prepare(df, "y", ["a"], options)
        except DataError as error:
            assert "Every training row of 'y' has the same class ('a')" in str(error)
            return
    pytest.fail("no seed put the only 'b' row in validation")


# --------------------------------------------------------------------------------------
# prepare: scaling, original units, magnitudes
# --------------------------------------------------------------------------------------


def fit_least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


def test_to_original_units_matches_a_fit_on_unscaled_data():
    rng = np.random.default_rng(5)
    df = frame(
        a=rng.normal(100, 20, 80), b=rng.normal(-3, 0.01, 80), c=rng.uniform(0, 1e4, 80)
    )
    df["y"] = 4 + 0.5 * df.a - 30 * df.b + 0.002 * df.c + rng.normal(size=80)
    ds = prepare(df, "y", ["a", "b", "c"])
    intercept, coefficients = ds.to_original_units(fit_least_squares(ds.X, ds.y))
    raw = np.column_stack([np.ones(80), df[["a", "b", "c"]].to_numpy()])
    reference = fit_least_squares(raw, df["y"].to_numpy())
    assert float(intercept) == pytest.approx(reference[0], rel=1e-8)
    np.testing.assert_allclose(coefficients, reference[1:], rtol=1e-8)


def test_to_original_units_on_a_path_and_without_intercept():
    df = line_frame()
    ds = prepare(df, "y", ["x", "z"], PrepareOptions(intercept=False))
    path = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 0.0]])
    intercepts, coefficients = ds.to_original_units(path)
    assert intercepts.shape == (3,) and coefficients.shape == (3, 2)
    predictions = ds.X @ path.T
    raw = df[["x", "z"]].to_numpy()
    np.testing.assert_allclose(
        raw @ coefficients.T + intercepts, predictions, atol=1e-10
    )
    with pytest.raises(ValueError, match=r"theta must have shape \(2,\)"):
        ds.to_original_units(np.zeros(3))


def test_unscale_restores_original_units():
    df = line_frame()
    ds = prepare(df, "y", ["x", "z"])
    np.testing.assert_allclose(
        ds.unscale(ds.X)[:, 1:], df[["x", "z"]].to_numpy(), rtol=1e-12
    )
    np.testing.assert_array_equal(ds.unscale(ds.X)[:, 0], 1.0)


def test_huge_magnitudes_give_a_usable_dataset():
    rng = np.random.default_rng(2)
    big = 1e12 + rng.normal(0, 1e9, 40)
    small = rng.normal(1, 0.5, 40)
    df = frame(big=big, small=small, y=1e-12 * big + small + rng.normal(0, 0.1, 40))
    ds = prepare(df, "y", ["big", "small"])
    assert np.isfinite(ds.X).all()
    np.testing.assert_allclose(ds.X[:, 1:].std(axis=0), 1.0)
    np.testing.assert_allclose(ds.unscale(ds.X)[:, 1], big, rtol=1e-12)
    assert not any(n.startswith("Warning") for n in ds.notes)


def test_huge_magnitudes_unscaled_warn_to_standardize():
    df = frame(
        big=[1e12, 2e12, 3e12, 4e12], small=[1.0, 0.0, 2.0, 1.0], y=[1.0, 2.0, 3.0, 5.0]
    )
    ds = prepare(df, "y", ["big", "small"], PrepareOptions(standardize=False))
    warning = next(n for n in ds.notes if n.startswith("Warning"))
    assert "feature magnitudes differ by a factor of about 3e+12" in warning
    assert "'big' ≈ 2.74e+12" in warning
    assert "turn standardization on" in warning
    np.testing.assert_array_equal(ds.X[:, 1], df["big"])


def test_huge_target_warns_about_loss_units():
    df = frame(a=[1.0, 2.0, 3.0], y=[1e9, 3e9, 2e9])
    ds = prepare(df, "y", ["a"])
    assert any("Warning: the target 'y' is around" in n for n in ds.notes)


def test_magnitudes_near_the_float_limit_stay_finite():
    df = frame(
        a=[1e307, -1.5e308, 1.7e308, 0.0],
        b=[1e-310, 3e-310, 0.0, 2e-310],
        y=[1.0, 2.0, 3.0, 4.0],
    )
    ds = prepare(df, "y", ["a", "b"])
    assert np.isfinite(ds.X).all()
    np.testing.assert_allclose(ds.X[:, 1:].std(axis=0), 1.0)
    restored = ds.unscale(ds.X)
    np.testing.assert_allclose(
        restored[:, 1], df["a"], rtol=1e-12, atol=1e-12 * 1.7e308
    )
    np.testing.assert_allclose(restored[:, 2], df["b"], rtol=1e-12, atol=1e-12 * 3e-310)


# --------------------------------------------------------------------------------------
# Dataset validation
# --------------------------------------------------------------------------------------


def test_dataset_refuses_a_column_vector_y():
    with pytest.raises(DataError, match=r"y must be 1-D. Got shape \(3, 1\) instead."):
        Dataset(
            X=np.ones((3, 1)),
            y=np.ones((3, 1)),
            feature_names=("a",),
            target_name="y",
            task="linear",
        )


def test_dataset_refuses_non_finite_and_bad_labels():
    X = np.ones((2, 1))
    with pytest.raises(DataError, match="X holds NaN or infinite values"):
        Dataset(
            X=np.array([[np.nan], [1.0]]),
            y=np.ones(2),
            feature_names=("a",),
            target_name="y",
            task="linear",
        )
    with pytest.raises(DataError, match=r"only 0\.0 and 1\.0"):
        Dataset(
            X=X,
            y=np.array([0.0, 2.0]),
            feature_names=("a",),
            target_name="y",
            task="logistic",
        )
    with pytest.raises(DataError, match="feature_names has 2 names"):
        Dataset(
            X=X, y=np.ones(2), feature_names=("a", "b"), target_name="y", task="linear"
        )


def test_dataset_survives_pickling_read_only():
    ds = prepare(line_frame(), "y", ["x"], PrepareOptions(validation_fraction=0.2))
    copy = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(copy.X, ds.X)
    assert copy.notes == ds.notes and copy.feature_names == ds.feature_names
    assert not copy.X.flags.writeable and not copy.y_val.flags.writeable


def test_read_notes_survive_pickling():
    df = read("a;b\n1,5;2\n2,5;3\n")
    assert pickle.loads(pickle.dumps(df)).attrs["notes"] == df.attrs["notes"]


def test_dataset_never_freezes_the_callers_array():
    X = np.ones((2, 2))
    ds = Dataset(
        X=X,
        y=np.ones(2),
        feature_names=("intercept", "a"),
        target_name="y",
        task="linear",
    )
    assert X.flags.writeable and not ds.X.flags.writeable
    np.testing.assert_array_equal(ds.means, [0.0])


# --------------------------------------------------------------------------------------
# prepare: properties
# --------------------------------------------------------------------------------------

VALUES = st.one_of(
    st.floats(min_value=-1e12, max_value=1e12, allow_subnormal=False),
    st.just(np.nan),
    st.just(np.inf),
    st.sampled_from([0.0, 1.0, 1e-300, 1e300, -1e300]),
)


@st.composite
def gappy_frames(draw):
    n_rows = draw(st.integers(4, 25))
    n_features = draw(st.integers(1, 4))
    columns = {
        f"f{j}": draw(st.lists(VALUES, min_size=n_rows, max_size=n_rows))
        for j in range(n_features)
    }
    columns["y"] = draw(
        st.lists(
            st.floats(-1e6, 1e6) | st.just(np.nan), min_size=n_rows, max_size=n_rows
        )
    )
    return pd.DataFrame(columns)


OPTIONS = st.builds(
    PrepareOptions,
    missing=st.sampled_from(["drop", "mean"]),
    standardize=st.booleans(),
    intercept=st.booleans(),
    validation_fraction=st.sampled_from([0.0, 0.2, 0.5]),
    seed=st.integers(0, 5),
)


@settings(max_examples=200, deadline=None)
@given(df=gappy_frames(), options=OPTIONS)
def test_prepare_never_returns_nan_or_inf(df, options):
    features = [c for c in df.columns if c != "y"]
    try:
        ds = prepare(df, "y", features, options)
    except DataError:
        return  # refused with a message: fine; a crash or a NaN is not
    for array in (ds.X, ds.y, ds.X_val, ds.y_val, ds.means, ds.scales):
        if array is not None:
            assert np.isfinite(array).all()
    assert np.all(ds.scales > 0)


@settings(max_examples=150, deadline=None)
@given(df=gappy_frames(), fraction=st.sampled_from([0.0, 0.3]))
def test_standardization_round_trip(df, fraction):
    df = df.replace([np.inf, -np.inf], np.nan).dropna().reset_index(drop=True)
    features = [c for c in df.columns if c != "y"]
    options = PrepareOptions(validation_fraction=fraction)
    try:
        ds = prepare(df, "y", features, options)
    except DataError:
        return
    kept = [n for n in ds.feature_names if n != "intercept"]
    for X in (ds.X, ds.X_val):
        if X is None:
            continue
        restored = ds.unscale(X)[:, 1:]
        original = df[kept].to_numpy()
        # each restored row is one of the original rows, to 1e-12 of its column's size
        tolerance = 1e-12 * np.abs(original).max(axis=0)
        for row in restored:
            assert np.all(np.abs(original - row) <= tolerance, axis=1).any()


def test_standardization_round_trip_keeps_row_order():
    df = line_frame(30)
    ds = prepare(df, "y", ["x", "z"])
    np.testing.assert_allclose(
        ds.unscale(ds.X)[:, 1:], df[["x", "z"]].to_numpy(), rtol=1e-12, atol=1e-12
    )


# --------------------------------------------------------------------------------------
# Layering
# --------------------------------------------------------------------------------------


def test_the_data_layer_never_imports_streamlit():
    package = sorted((ROOT / "gddash" / "data").glob("*.py"))
    for path in [*package, *sorted((ROOT / "data").glob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(re.match(r"streamlit\b", n) for n in names), path
