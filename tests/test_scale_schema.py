"""A folder whose files disagree on a chosen column is refused before any pass,
naming the column and the two files."""

import numpy as np
import pandas as pd
import pytest

from gddash import limits
from gddash.compare import CompareSettings
from gddash.errors import DataError
from gddash.scale.columns import choose
from gddash.scale.compare import compare_source
from gddash.scale.schema import check_paths
from gddash.scale.sources import Access, Source, resolve

pytest.importorskip("dask.dataframe")


def frame(rows=20, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(rows, 3)), columns=["a", "b", "y"])


def test_a_csv_column_that_turns_to_text_names_the_column_and_both_files(tmp_path):
    frame().to_csv(tmp_path / "part-0.csv", index=False)
    frame(seed=1).assign(b="high").to_csv(tmp_path / "part-1.csv", index=False)
    source = resolve(".", Access(tmp_path))
    message = (
        r"The column 'b' changes type between files: numbers in 'part-0\.csv' but "
        r"text in 'part-1\.csv'"
    )
    with pytest.raises(DataError, match=message):
        compare_source(source, "y", ["a", "b"], CompareSettings())


def test_parquet_files_whose_column_types_differ_are_refused(tmp_path):
    frame().to_parquet(tmp_path / "p0.parquet")
    (tmp_path / "sub").mkdir()
    frame(seed=1).assign(a=lambda f: f["a"].astype(str)).to_parquet(
        tmp_path / "sub" / "p1.parquet"
    )
    with pytest.raises(DataError, match=r"'a'.*numbers in 'p0\.parquet' but text in "):
        choose(resolve(".", Access(tmp_path)), "y", None)


def test_a_file_without_a_chosen_column_is_named_before_any_pass(tmp_path):
    frame().to_parquet(tmp_path / "p0.parquet")
    frame(seed=1).drop(columns="b").to_parquet(tmp_path / "p1.parquet")
    with pytest.raises(DataError, match=r"'p1\.parquet' has no column 'b'"):
        choose(resolve(".", Access(tmp_path)), "y", None)


def test_integers_in_one_file_and_floats_in_another_are_the_same_kind(tmp_path):
    frame().to_parquet(tmp_path / "p0.parquet")
    frame(seed=1).assign(a=np.arange(20)).to_parquet(tmp_path / "p1.parquet")
    columns, _ = choose(resolve(".", Access(tmp_path)), "y", None)
    assert columns.features == ("a", "b")


def test_a_parquet_file_that_stores_a_chosen_column_as_text_is_refused_first(tmp_path):
    for k in range(3):
        part = frame(seed=k)
        if k == 2:
            part = part.assign(b=part["b"].map("{:.3f}".format))
        part.to_parquet(tmp_path / f"p{k}.parquet")
    source = resolve(".", Access(tmp_path))
    message = r"'b' changes type between files: numbers in 'p0\.parquet' but text in "
    with pytest.raises(DataError, match=message + r"'p2\.parquet'"):
        compare_source(source, "y", ["a", "b"], CompareSettings())


def test_a_csv_file_of_a_header_alone_joins_the_others(tmp_path):
    """A header without rows gives no column a type (pandas reads each as text):
    it holds no rows, so it contradicts nothing."""
    frame().iloc[:0].to_csv(tmp_path / "part-0.csv", index=False)
    frame().to_csv(tmp_path / "part-1.csv", index=False)
    frame(seed=1).to_csv(tmp_path / "part-2.csv", index=False)
    source = resolve(".", Access(tmp_path))
    comparison, _ = compare_source(source, "y", None, CompareSettings(epochs=1.0))
    assert (comparison.table["rows processed"] == 40).all()
    assert len(comparison.dataset.y) == 20  # the fit's sample: the first file of rows
    frame(seed=2).assign(b="high").to_csv(tmp_path / "part-3.csv", index=False)
    message = r"'b' changes type between files: numbers in 'part-1\.csv' but text in "
    with pytest.raises(DataError, match=message):
        choose(resolve(".", Access(tmp_path)), "y", None)


def test_a_file_named_parquet_that_is_not_is_named_without_the_servers_folders(
    tmp_path,
):
    (tmp_path / "deep" / "er").mkdir(parents=True)
    frame().to_parquet(tmp_path / "deep" / "er" / "p0.parquet")
    (tmp_path / "deep" / "er" / "p1.parquet").write_bytes(b"not Parquet at all" * 50)
    with pytest.raises(DataError) as error:
        choose(resolve("deep", Access(tmp_path)), "y", None)
    said = str(error.value)
    assert "'p1.parquet' does not end as a Parquet file does" in said
    assert str(tmp_path) not in said and "Original Message" not in said


# ---------------------------------------------------------------------------------
# A row group is read whole: one too large for memory is refused from the footer
# ---------------------------------------------------------------------------------


def test_a_row_group_too_large_to_read_is_refused_naming_file_rows_and_fix(
    tmp_path, monkeypatch
):
    frame(rows=1_000).to_parquet(tmp_path / "wide.parquet", row_group_size=1_000)
    frame(rows=10).to_parquet(tmp_path / "small.parquet")
    source = resolve(".", Access(tmp_path))
    held = 1_000 * 3 * 8  # rows × chosen columns × 8 bytes a float64
    monkeypatch.setattr(limits, "MAX_GROUP_BYTES", held)
    columns, _ = choose(source, "y", None)  # at the limit: read
    assert columns.names == ["a", "b", "y"]
    monkeypatch.setattr(limits, "MAX_GROUP_BYTES", held - 1)
    message = (
        r"The Parquet file 'wide\.parquet' holds a row group of 1,000 rows: .* in "
        r"the 3 chosen columns, .*Choose fewer columns, or rewrite the file with "
        r"smaller row groups"
    )
    with pytest.raises(DataError, match=message):
        compare_source(source, "y", None, CompareSettings())
    columns, _ = choose(source, "y", ["a"])  # fewer columns: the group fits
    assert columns.names == ["a", "y"]


def test_a_single_parquet_file_has_its_row_groups_checked_too(tmp_path, monkeypatch):
    frame(rows=100).to_parquet(tmp_path / "one.parquet", row_group_size=50)
    source = resolve("one.parquet", Access(tmp_path))
    monkeypatch.setattr(limits, "MAX_GROUP_BYTES", 50 * 3 * 8 - 1)
    with pytest.raises(DataError, match=r"'one\.parquet' holds a row group of 50 rows"):
        choose(source, "y", None)


# ---------------------------------------------------------------------------------
# URL sources: the same check, through fsspec (its in-memory file system here)
# ---------------------------------------------------------------------------------


def memory_files(name, parts, fmt):
    """Write ``parts`` (frames) to fsspec's memory file system under ``name``."""
    import fsspec

    fs = fsspec.filesystem("memory")
    paths = []
    for k, part in enumerate(parts):
        path = f"/{name}/part-{k}.{fmt}"
        with fs.open(path, "wb") as file:
            if fmt == "parquet":
                part.to_parquet(file)
            else:
                file.write(part.to_csv(index=False).encode())
        paths.append(path)
    return fs, paths


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_files_on_a_file_system_are_checked_through_it(tmp_path, fmt):
    parts = [frame(), frame(seed=1), frame(seed=2).assign(a="high")]
    fs, paths = memory_files(tmp_path.name, parts, fmt)
    check_paths(paths[:2], fmt, ["a", "b", "y"], fs=fs)
    with pytest.raises(DataError, match=r"'a' changes type.*text in '/.*part-2"):
        check_paths(paths, fmt, ["a", "b", "y"], fs=fs)
    with pytest.raises(DataError, match=r"file 'first' has no column 'c'"):
        check_paths(paths, fmt, ["c"], fs=fs, labels=["first", "2", "3"])


def test_a_glob_url_is_listed_and_each_file_checked_before_any_pass(tmp_path):
    name = tmp_path.name
    parts = [frame(), frame(seed=1).drop(columns="b"), frame(seed=2)]
    memory_files(name, parts, "parquet")
    location = f"memory://{name}/*.parquet"  # resolve refuses memory://: built here
    source = Source(location, "parquet", (location,), remote=True)
    message = rf"The file 'memory:///{name}/part-1\.parquet' has no column 'b'"
    with pytest.raises(DataError, match=message):
        compare_source(source, "y", ["a", "b"], CompareSettings())
    columns, _ = choose(source, "y", ["a"])  # the files agree on 'a' and 'y'
    assert columns.names == ["a", "y"]


def test_more_features_than_a_comparison_takes_are_refused_before_any_pass(
    tmp_path, monkeypatch
):
    """XᵀX grows with the square of the features: ``MAX_SOURCE_FEATURES`` is the
    most a comparison takes, named or taken by default, from the schema alone."""
    wide = pd.DataFrame(np.ones((4, 6)), columns=[*"abcde", "y"])
    wide.to_parquet(tmp_path / "wide.parquet")
    source = resolve("wide.parquet", Access(tmp_path))
    monkeypatch.setattr(limits, "MAX_SOURCE_FEATURES", 5)
    assert len(choose(source, "y")[0].features) == 5
    monkeypatch.setattr(limits, "MAX_SOURCE_FEATURES", 4)
    message = r"5 feature columns are more than a comparison takes \(4\)"
    with pytest.raises(DataError, match=message):
        choose(source, "y")
    with pytest.raises(DataError, match=message):
        compare_source(source, "y", list("abcde"), CompareSettings())
    assert choose(source, "y", list("abcd"))[0].features == tuple("abcd")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_source_wider_than_the_limit_is_refused_before_dask_plans_it(
    tmp_path, monkeypatch, fmt
):
    """Dask's planning grows with the square of a file's columns (12,000 took
    100 s): the width comes from the footer or the header line, first."""
    from gddash.scale import sources

    wide = pd.DataFrame(np.ones((4, 6)), columns=[*"abcde", "y"])
    path = tmp_path / f"wide.{fmt}"
    wide.to_parquet(path) if fmt == "parquet" else wide.to_csv(path, index=False)
    source = resolve(path.name, Access(tmp_path))
    monkeypatch.setattr(limits, "MAX_SOURCE_COLUMNS", 6)
    assert list(sources.read(source).columns) == [*"abcde", "y"]
    monkeypatch.setattr(limits, "MAX_SOURCE_COLUMNS", 5)
    planned = []
    dd = sources.require_dask()
    for plan in ("read_parquet", "from_map"):
        monkeypatch.setattr(dd, plan, lambda *a, **k: planned.append(a))
    message = r"'wide\.\w+' has 6 columns, more than a large source may have \(5\)"
    with pytest.raises(DataError, match=message):
        sources.read(source)
    with pytest.raises(DataError, match=message):
        choose(source, "y", ["a"])
    assert planned == []  # refused before Dask planned a read


def test_a_parquet_footer_larger_than_the_limit_is_refused_before_it_is_read(
    tmp_path, monkeypatch
):
    """pyarrow reads a footer whole and Dask every file's to plan: a file of
    100,000 one-row groups (a 108 MB footer) took a comparison 77 s and 3.0 GB.
    Its size is in the file's last 8 bytes."""
    from gddash.scale import sources

    frame(rows=200).to_parquet(tmp_path / "a.parquet", row_group_size=100)
    frame(rows=200).to_parquet(tmp_path / "b.parquet", row_group_size=1)
    footer = (tmp_path / "b.parquet").read_bytes()[-8:-4]
    size = int.from_bytes(footer, "little")
    source = resolve(".", Access(tmp_path))
    monkeypatch.setattr(limits, "MAX_FOOTER_BYTES", size)
    assert len(sources.read(source).compute()) == 400
    monkeypatch.setattr(limits, "MAX_FOOTER_BYTES", size - 1)
    planned = []
    monkeypatch.setattr(
        sources.require_dask(), "read_parquet", lambda *a, **k: planned.append(a)
    )
    with pytest.raises(DataError, match=r"'b\.parquet' has a footer of 0 MiB"):
        choose(source, "y", None)
    assert planned == []


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_column_name_longer_than_the_limit_is_refused_without_showing_it(
    tmp_path, monkeypatch, fmt
):
    from gddash.scale import sources

    name = "n" * 40
    data = pd.DataFrame(np.ones((4, 2)), columns=[name, "y"])
    path = tmp_path / f"named.{fmt}"
    data.to_parquet(path) if fmt == "parquet" else data.to_csv(path, index=False)
    source = resolve(path.name, Access(tmp_path))
    monkeypatch.setattr(limits, "MAX_COLUMN_NAME_CHARS", 40)
    assert list(sources.read(source).columns) == [name, "y"]
    monkeypatch.setattr(limits, "MAX_COLUMN_NAME_CHARS", 39)
    with pytest.raises(DataError, match=r"a column name of 40 characters") as error:
        choose(source, "y", None)
    assert name not in str(error.value)
