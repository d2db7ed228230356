"""Hostile and unlucky uploads: every file is refused before pandas allocates for it,
or read within the memory budget of gddash.limits.

Files are made inside the tests. Refusals assert their message (the limit and what
to do); the worst cases measure the peak memory of a child process.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gddash import limits
from gddash.data import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_LINE_BYTES,
    MAX_ROWS,
    PrepareOptions,
    prepare,
    read_csv,
    scan,
)
from gddash.errors import DataError

ROOT = Path(__file__).resolve().parent.parent


def refused(content: bytes, **caps: int) -> str:
    with pytest.raises(DataError) as caught:
        read_csv(content, **caps)
    return str(caught.value)


@pytest.fixture
def no_parser(monkeypatch):
    """Make any call of pandas' parser fail the test: the refusal must come first."""

    def parser_called(*args, **kwargs):
        raise AssertionError("pandas.read_csv was called")

    monkeypatch.setattr(pd, "read_csv", parser_called)


def header(n_columns: int) -> bytes:
    return b",".join(b"c%d" % i for i in range(n_columns)) + b"\n"


def test_the_data_layer_uses_the_server_limits():
    assert (MAX_ROWS, MAX_COLUMNS, MAX_CELLS, MAX_LINE_BYTES) == (
        limits.MAX_ROWS,
        limits.MAX_COLUMNS,
        limits.MAX_CELLS,
        limits.MAX_LINE_BYTES,
    )


# --------------------------------------------------------------------------------------
# Long lines and rows with more values than the header
# --------------------------------------------------------------------------------------


def test_a_first_row_of_extra_values_is_refused_as_a_long_line(no_parser):
    # The file: pandas built a column per extra value (800 MB for 3 MB).
    message = refused(b"a,b\n" + b"1," * 1_500_000)
    assert message.startswith("Line 2 of the file is 3,000,000 bytes long")
    assert f"more than the limit of {MAX_LINE_BYTES:,} bytes for one line" in message
    assert "Keep only the columns you need" in message


def test_a_header_longer_than_the_line_limit_is_refused(no_parser):
    names = b",".join(b"column_%06d" % i for i in range(MAX_LINE_BYTES // 10))
    message = refused(names + b"\n1\n2\n")
    assert message.startswith(
        f"The first line (the header) of the file is {len(names):,} bytes long"
    )
    assert f"at most {MAX_COLUMNS}" in message


def test_a_line_of_exactly_the_limit_is_accepted():
    line = b"1," + b"9" * (MAX_LINE_BYTES - 2)
    df = read_csv(b"a,b\n" + line + b"\n3,4\n")
    assert df.shape == (2, 2)


def test_old_mac_line_ends_count_as_line_ends():
    assert read_csv(b"a,b\r1,2\r3,4\r").to_numpy().tolist() == [[1, 2], [3, 4]]
    message = refused(b"a,b\r1,2\r" + b"9" * 100 + b"\r", max_line_bytes=50)
    assert message.startswith("Line 3 of the file is 100 bytes long")


def test_a_first_row_with_extra_values_is_refused_before_parsing(no_parser):
    message = refused(b"a,b\n" + b"1," * 20_000 + b"\n2,3\n")
    assert message == (
        "Row 2 has 20,001 values but the header has 2 (values are separated by "
        "commas). A value probably contains the separator: put quotes around that "
        "value, or remove the extra separator; if the first column has no header, "
        "give it one."
    )


def test_a_later_row_with_extra_values_names_its_line(no_parser):
    message = refused(b"a;b\n1;2\n3;4\n5;6;7;8\n")
    assert message.startswith("Line 4 of the file has 4 values but the header has 2")
    assert "separated by semicolons" in message
    assert "put quotes around that value" in message


def test_a_quoted_line_break_does_not_end_the_row(no_parser):
    # the row starting on line 3 continues on line 4, where its 3rd value is
    message = refused(b'a,b\n1,2\n3,"x\ny",5\n6,7\n')
    assert message.startswith("Line 3 of the file has 3 values but the header has 2")


def test_quoted_delimiters_and_line_breaks_are_values_not_columns():
    df = read_csv(b'a,b,c\n"1,5",2,"x\ny"\n"3,5",4,"say ""hi"", z"\n')
    assert df["a"].tolist() == ["1,5", "3,5"]
    assert df["c"].tolist() == ["x\ny", 'say "hi", z']
    assert df["b"].tolist() == [2, 4]


def test_quotes_inside_an_unquoted_value_are_ordinary_characters():
    df = read_csv(b"height,n\n5'6\",1\n6'1\",2\n")
    assert df["height"].tolist() == ["5'6\"", "6'1\""]


def test_a_row_spread_over_many_quoted_line_breaks_is_refused(no_parser):
    # each physical line is short; the row they make is not
    content = b"a,b\n" + b'1,"\n",' * 40 + b"1\n2,3\n"
    message = refused(content, max_line_bytes=100)
    assert message.startswith("The row that starts on line 2 is 241 bytes long")
    assert "more than the limit of 100 bytes for one row" in message
    assert "Check that every '\"' that opens a value also closes it" in message


def test_an_unclosed_quote_names_the_line_of_its_row(no_parser):
    message = refused(b'a,b\n1,2\n3,"abc\n4,5\n6,7\n')
    assert message.startswith("A quoted value is never closed")
    assert "the row that starts on line 3" in message
    assert "Fix the quotes" in message


# --------------------------------------------------------------------------------------
# Rows, columns and cells
# --------------------------------------------------------------------------------------


def test_too_many_rows_are_counted_and_refused_before_parsing(no_parser):
    message = refused(b"a\n" + b"1\n" * (MAX_ROWS + 1))
    assert message.startswith(
        f"The file has more than {MAX_ROWS:,} data rows ({MAX_ROWS + 1:,})"
    )
    assert "Upload a sample of the rows (for example every 2nd row)" in message


def test_more_columns_than_the_limit_are_refused(no_parser):
    message = refused(header(MAX_COLUMNS + 1) + b"1\n2\n")
    assert message.startswith(f"The file has {MAX_COLUMNS + 1} columns")
    assert "Keep only the columns you need" in message


def blank_heavy(n_rows: int, n_columns: int = MAX_COLUMNS) -> bytes:
    """A header and rows of `1,,,,…`: one value, the rest missing."""
    return header(n_columns) + (b"1" + b"," * (n_columns - 1) + b"\n") * n_rows


def test_a_blank_heavy_file_at_the_cell_limit_is_read():
    n_rows = MAX_CELLS // MAX_COLUMNS
    df = read_csv(blank_heavy(n_rows))
    assert df.shape == (n_rows, MAX_COLUMNS)
    assert df["c0"].eq(1).all()
    assert df["c199"].isna().all()


def test_one_row_over_the_cell_limit_is_refused_before_parsing(no_parser):
    n_rows = MAX_CELLS // MAX_COLUMNS + 1
    message = refused(blank_heavy(n_rows))
    assert message == (
        f"The file has {n_rows:,} data rows × 200 columns = {n_rows * 200:,} cells, "
        f"more than the limit of {MAX_CELLS:,} cells that one upload may hold in "
        "memory. Remove the columns you do not need, or upload a sample of the rows "
        "(for example every 2nd row)."
    )


def test_a_wide_numeric_file_near_the_cell_limit_is_read():
    rng = np.random.default_rng(0)
    rows = [b",".join(b"%.4f" % v for v in rng.random(MAX_COLUMNS)) for _ in range(7)]
    n_rows = MAX_CELLS // MAX_COLUMNS - 1
    body = b"\n".join(rows[i % 7] for i in range(n_rows)) + b"\n"
    df = read_csv(header(MAX_COLUMNS) + body)
    assert df.shape == (n_rows, MAX_COLUMNS)
    assert (df.dtypes == np.float64).all()
    assert df.iloc[8].tolist() == [float(v) for v in rows[1].split(b",")]


def test_the_sampling_advice_fits_the_limit():
    message = refused(blank_heavy(50, 10), max_cells=120)
    assert "(for example every 5th row)" in message  # 50 × 10 / 5 = 100 <= 120


# --------------------------------------------------------------------------------------
# Sources: the upload's own buffer is read in place
# --------------------------------------------------------------------------------------


def test_a_memoryview_of_the_upload_is_read_and_released():
    upload = io.BytesIO(b"a,b\n1,2\n3,4\n")
    df = read_csv(upload.getbuffer())
    assert df.to_numpy().tolist() == [[1, 2], [3, 4]]
    df = read_csv(upload)
    assert df.to_numpy().tolist() == [[1, 2], [3, 4]]
    upload.write(b"x" * 100)  # resizing fails while a view of the buffer is alive


def test_a_memoryview_of_another_format_is_read_as_bytes():
    view = memoryview(bytearray(b"a,b\n1,2\n3,4\n")).cast("c")
    assert read_csv(view).to_numpy().tolist() == [[1, 2], [3, 4]]


# --------------------------------------------------------------------------------------
# Column names are text, kept exactly
# --------------------------------------------------------------------------------------

ODD_NAMES = [
    "time:s",
    "size.m2",
    "a[0]",
    "back\\slash",
    'say "hi"',
    "it's",
    "$price",
    "a*b",
    "_x_",
    "<b>bold</b>",
    "x,y",
    "température",
    "温度",
    "😀 y",
]


def test_odd_column_names_survive_reading_and_preparing():
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*ODD_NAMES, "kind:[a]"])
    for i in range(8):
        writer.writerow([i * (j + 1) + (i * i) % (j + 2) for j in range(14)] + ["<i>x"])
    writer.writerow([1] * 14 + ["y.z"])
    df = read_csv(buffer.getvalue().encode("utf-8"))
    assert list(df.columns) == [*ODD_NAMES, "kind:[a]"]
    features = [n for n in df.columns if n != "😀 y"]
    dataset = prepare(df, "😀 y", features, PrepareOptions())
    assert dataset.target_name == "😀 y"
    assert dataset.feature_names[1:14] == tuple(ODD_NAMES[:-1])
    assert all(name.startswith("kind:[a]") for name in dataset.feature_names[14:])


HOSTILE_LABELS = [
    "time:s",
    "a.b",
    "x[0]",
    "back\\slash",
    'q"uote',
    "it's",
    "$5",
    "*_em_*",
    "<script>alert(1)</script>",
    "naïve 温度 😀",
]


def test_hostile_class_labels_survive_reading_and_preparing_as_classes():
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["x", "class:[label]"])
    file_order = [HOSTILE_LABELS[(3 * i) % len(HOSTILE_LABELS)] for i in range(40)]
    for i, label in enumerate(file_order):
        writer.writerow([i % 7, label])
    df = read_csv(buffer.getvalue().encode("utf-8"))
    assert df["class:[label]"].tolist() == file_order
    dataset = prepare(df, "class:[label]", ["x"])
    assert dataset.task == "softmax"
    assert dataset.class_labels == tuple(sorted(HOSTILE_LABELS))
    np.testing.assert_array_equal(
        dataset.y, [dataset.class_labels.index(v) for v in file_order]
    )


# --------------------------------------------------------------------------------------
# The raw-byte walk splits rows exactly as pandas' C parser does
# --------------------------------------------------------------------------------------

PIECES = ["a", "1", ",", ";", '"', '""', "\n", "\r\n", "\r", " ", 'x"y', ',"', '"\n']


def pandas_verdict(content: bytes, delimiter: str) -> tuple[str, int]:
    """('ok', data rows) or ('refused', 0), straight from pandas."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.BytesIO(content),
                sep=delimiter,
                header=0,
                names=["h1", "h2", "h3"],
                index_col=False,
                skip_blank_lines=False,
                keep_default_na=False,
                dtype=str,
                engine="c",
            )
    except (pd.errors.ParserWarning, pd.errors.ParserError):
        return "refused", 0
    return "ok", len(df)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(PIECES), max_size=30),
    delimiter=st.sampled_from([",", ";"]),
    block=st.sampled_from([1, 2, 5, 1 << 20]),
)
def test_the_row_walk_agrees_with_pandas(pieces, delimiter, block):
    content = f"h1{delimiter}h2{delimiter}h3\n{''.join(pieces)}".encode()
    raw = np.frombuffer(content, dtype=np.uint8)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "_SCAN_BYTES", block)  # blocks cut anywhere
        found = scan._walk_records(raw, delimiter, 3, 1, len(content))
    clean = found.first_extra is None and found.open_quote_line is None
    expected = ("ok", found.count - 1) if clean else ("refused", 0)
    assert pandas_verdict(content, delimiter) == expected


# --------------------------------------------------------------------------------------
# Peak memory of the worst files, each read in a fresh process
# --------------------------------------------------------------------------------------

CHILD = """
import json, resource, sys
import numpy as np
import gddash.data as data
from gddash.errors import DataError

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

before = peak_mb()
case = sys.argv[1]
head = b",".join(b"c%d" % i for i in range(200)) + b"\\n"
if case == "long first row":
    content = b"a,b\\n" + b"1," * 25_000_000
elif case == "long header":
    content = b"a_column," * 5_400_000 + b"z\\n1\\n2\\n"
elif case == "blank-heavy":
    content = head + (b"1" + b"," * 199 + b"\\n") * 244_000
elif case == "row over many lines":
    content = b"a,b\\n" + b'1,"\\n",' * 8_000_000 + b"1\\n"
elif case == "wide at the cell limit":
    row = b",".join(b"%.6f" % v for v in np.random.default_rng(0).random(200))
    content = head + (row + b"\\n") * 4_999
try:
    outcome = data.read_csv(memoryview(content)).shape
except DataError as error:
    outcome = str(error)
print(json.dumps({"mb": peak_mb() - before, "size": len(content), "outcome": str(outcome)}))
"""

WORST = {
    "long first row": "Line 2 of the file is 50,000,000 bytes long",
    "long header": "The first line (the header) of the file is",
    "blank-heavy": "more than the limit of 1,000,000 cells",
    "row over many lines": "The row that starts on line 2 is 48,000,001 bytes long",
    "wide at the cell limit": "(4999, 200)",
}


@pytest.mark.parametrize("case", list(WORST))
def test_peak_memory_of_the_worst_files_stays_small(case):
    result = subprocess.run(
        [sys.executable, "-c", CHILD, case],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    measured = json.loads(result.stdout)
    assert WORST[case] in measured["outcome"]
    # Each case is at least as large as the upload cap allows (most are five times it).
    assert measured["size"] > 0.85 * limits.MAX_UPLOAD_MB * 1e6
    # The file's own bytes count; pandas alone took 0.8-7 GB on some of these.
    assert measured["mb"] < 400
