"""Sources: what a server lets a path or URL read, and every refusal's message."""

import glob
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gddash import limits
from gddash.errors import DataError
from gddash.scale import sources
from gddash.scale.sources import Access, resolve


@pytest.fixture
def root(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 6.0]})
    frame.to_csv(data / "a.csv", index=False)
    frame.to_csv(data / "b.csv", index=False)
    (data / "pq").mkdir()
    frame.to_parquet(data / "pq" / "part-0.parquet")
    frame.to_parquet(data / "pq" / "part-1.parquet")
    (tmp_path / "secret.csv").write_text("x,y\n1,2\n")
    return data


def test_both_switches_are_off_by_default(monkeypatch):
    monkeypatch.delenv(sources.ROOT_VARIABLE, raising=False)
    monkeypatch.delenv(sources.URLS_VARIABLE, raising=False)
    access = Access.from_env()
    assert access.root is None and not access.allow_urls
    with pytest.raises(DataError, match=r"server's files is off.*GDDASH_DATA_ROOT"):
        resolve("a.csv")
    with pytest.raises(DataError, match=r"URLs is off.*GDDASH_ALLOW_URLS=1"):
        resolve("https://example.com/a.csv")


def test_the_environment_sets_the_root_and_the_url_switch(monkeypatch, root):
    monkeypatch.setenv(sources.ROOT_VARIABLE, str(root))
    monkeypatch.setenv(sources.URLS_VARIABLE, "1")
    access = Access.from_env()
    assert access.root == root.resolve() and access.allow_urls


def test_a_file_a_folder_and_a_glob_under_the_root(root):
    access = Access(root)
    one = resolve("a.csv", access)
    assert one.format == "csv" and one.paths == (str(root.resolve() / "a.csv"),)
    assert len(resolve("*.csv", access).paths) == 2
    folder = resolve("pq", access)
    assert folder.format == "parquet" and len(folder.paths) == 2
    assert resolve(str(root / "b.csv"), access).paths[0].endswith("b.csv")


@pytest.mark.parametrize("location", ["pq", "pq/*.parquet", "**/*.parquet"])
def test_a_source_of_more_files_than_the_limit_is_refused(root, monkeypatch, location):
    access = Access(root)
    monkeypatch.setattr(limits, "MAX_SOURCE_FILES", 2)
    assert len(resolve(location, access).paths) == 2  # at the limit: read
    monkeypatch.setattr(limits, "MAX_SOURCE_FILES", 1)
    message = r"matches more than 1 files, more than gddash reads in one source"
    with pytest.raises(DataError, match=message):
        resolve(location, access)


def test_an_error_is_told_without_dasks_preamble_or_the_servers_folders(root):
    source = resolve("pq", Access(root))
    folder = str(root.resolve() / "pq")
    error = OSError(
        "An error occurred while calling the read_parquet method registered to "
        f"the pandas backend.\nOriginal Message: Could not open '{folder}/x.parquet'"
    )
    assert sources.error_text(error, source) == "Could not open 'x.parquet'"


def test_reading_is_lazy_and_sees_every_file(root):
    frame = sources.read(resolve("pq", Access(root)))
    assert list(frame.columns) == ["x", "y"]
    assert len(frame.compute()) == 6


def test_a_parquet_file_is_read_in_partitions_of_whole_row_groups(tmp_path):
    """Partitions hold about ``blocksize`` (whole row groups), not a whole file,
    so a pass's memory is bounded by the block size, not by the file's."""
    frame = pd.DataFrame({"x": range(4000), "y": range(4000)}, dtype=float)
    frame.to_parquet(tmp_path / "big.parquet", row_group_size=500, index=False)
    source = resolve("big.parquet", Access(tmp_path))
    parts = sources.read(source, blocksize="20kB").to_delayed()
    sizes = [len(p.compute()) for p in parts]
    assert sum(sizes) == 4000 and len(sizes) > 1
    assert all(size % 500 == 0 and size <= 2000 for size in sizes)
    whole = sources.read(source, blocksize="10MB").to_delayed()
    assert len(whole) == 1


def test_parquet_pieces_are_cut_by_the_float64_arrays_they_become(tmp_path):
    """int8 columns take an eighth of the bytes on disk that they take in memory:
    pieces count rows × columns × 8, so each stays within the block size there."""
    rng = np.random.default_rng(0)
    values = rng.integers(-9, 9, size=(40_000, 3)).astype(np.int8)
    frame = pd.DataFrame(values, columns=["a", "b", "y"])
    frame.to_parquet(tmp_path / "narrow.parquet", row_group_size=10_000)
    source = resolve("narrow.parquet", Access(tmp_path))
    names, group = ["a", "b", "y"], 10_000 * 3 * 8  # a group as float64
    meta = pq.read_metadata(tmp_path / "narrow.parquet")
    on_disk = sum(meta.row_group(g).total_byte_size for g in range(4))
    assert on_disk < group  # the file's own sizes would make one piece of all
    pieces = sources.parquet_pieces(source, names, blocksize=group)
    assert [piece().num_rows for piece in pieces] == [10_000] * 4
    pairs = sources.parquet_pieces(source, names[:2], blocksize=group)
    assert [piece().num_rows for piece in pairs] == [10_000] * 4
    whole = sources.parquet_pieces(source, names, blocksize=4 * group)
    assert [piece().num_rows for piece in whole] == [40_000]


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("../secret.csv", "contains '..'"),
        ("pq/../../secret.csv", "contains '..'"),
        ("ABSOLUTE", "outside the data folder"),
        ("missing.csv", "No file or folder 'missing.csv'"),
        ("*.tsv", "matches no CSV or Parquet file"),
        ("", "Name a file"),
    ],
)
def test_local_refusals(root, location, message):
    if location == "ABSOLUTE":
        location = str(root.parent / "secret.csv")
    with pytest.raises(DataError, match=message):
        resolve(location, Access(root))


def test_a_symlink_out_of_the_root_is_refused(root):
    os.symlink(root.parent / "secret.csv", root / "link.csv")
    with pytest.raises(DataError, match="outside the data folder through a link"):
        resolve("link.csv", Access(root))
    os.symlink(root.parent, root / "up")
    with pytest.raises(DataError, match="through a link"):
        resolve("up/secret.csv", Access(root))


# A tree of files, and glob patterns over it: names that start with "." or "_",
# and wildcards of every kind, at most one "**".
NAMES = ["a", "b", ".h", "_u"]
FILES = st.lists(
    st.tuples(
        st.lists(st.sampled_from(NAMES), max_size=3),
        st.sampled_from(["a.csv", "b.parquet", ".h.csv", "_u.csv", "n.txt"]),
    ),
    min_size=1,
    max_size=12,
)
PARTS = st.sampled_from(["*", "a", "?", "[ab]", ".*", "_*", "*.csv", "*.*"])


@st.composite
def patterns(draw) -> str:
    parts = draw(st.lists(PARTS, min_size=1, max_size=4))
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), "**")
    if parts == ["a"] * len(parts):  # a plain path, not a glob: a folder's rules
        parts[-1] = "*"
    return "/".join(parts)


@settings(max_examples=150, deadline=None)
@given(files=FILES, pattern=patterns())
def test_a_glob_names_the_files_pythons_glob_names(files, pattern):
    """The bounded walk matches what ``glob.glob(recursive=True)`` matches."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        for parents, name in files:
            (root.joinpath(*parents)).mkdir(parents=True, exist_ok=True)
            if not root.joinpath(*parents, name).is_dir():
                root.joinpath(*parents, name).write_text("x\n1\n")
        expected = sorted(
            Path(p)
            for p in glob.glob(str(root / pattern), recursive=True)
            if Path(p).is_file()
        )
        found = sorted(sources._local_files(pattern, root / pattern, root))
        assert found == expected


def test_a_folder_reads_no_hidden_or_underscore_files_or_folders(root):
    for hidden in (".ipynb_checkpoints", "_temporary"):
        (root / "pq" / hidden).mkdir()
        (root / "pq" / hidden / "part-0.parquet").write_bytes(b"stale copy")
    (root / "pq" / "_SUCCESS").write_text("")
    (root / "pq" / "_metadata.parquet").write_bytes(b"footers")
    found = resolve("pq", Access(root)).paths
    assert [Path(p).name for p in found] == ["part-0.parquet", "part-1.parquet"]


def test_a_glob_holds_double_star_once(root):
    """Python's glob walks the tree once more for every "**" above another:
    ``**/**/…`` would cost a power of the folder depth. Refused before a walk."""
    with pytest.raises(DataError, match=r"holds '\*\*' more than once"):
        resolve("**/**/*.parquet", Access(root))
    assert len(resolve("**/*.parquet", Access(root)).paths) == 2


def test_a_walk_through_more_entries_than_the_limit_is_refused(root, monkeypatch):
    """The limit counts every file and folder looked at, matched or not: a
    glob's walk is bounded before it finds anything."""
    deep = root.joinpath(*["d"] * 12)
    deep.mkdir(parents=True)
    (deep / "x.csv").write_text("x,y\n1,2\n")
    assert resolve("**/x.csv", Access(root)).paths == (str(deep / "x.csv"),)
    monkeypatch.setattr(limits, "MAX_SOURCE_ENTRIES", 10)
    message = r"would look through more than 10 files and folders"
    for location in ("**/x.csv", "**/nothing.csv", ".", "d"):
        with pytest.raises(DataError, match=message):
            resolve(location, Access(root))
    assert len(resolve("pq", Access(root)).paths) == 2  # 2 entries: within


def test_a_path_that_is_no_regular_file_is_refused(root):
    """A named pipe would block its reader for ever: it is refused, not read."""
    os.mkfifo(root / "pipe.csv")
    with pytest.raises(DataError, match="is not a regular file or a folder"):
        resolve("pipe.csv", Access(root))
    assert "pipe.csv" not in str(resolve("*.csv", Access(root)).paths)


def test_a_file_that_is_not_csv_or_parquet_is_refused(root):
    (root / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"'notes\.txt' is not a CSV or Parquet"):
        resolve("notes.txt", Access(root))


def test_mixed_formats_are_refused(root):
    (root / "mixed").mkdir()
    (root / "mixed" / "a.csv").write_text("x,y\n1,2\n")
    pd.DataFrame({"x": [1.0]}).to_parquet(root / "mixed" / "b.parquet")
    with pytest.raises(DataError, match="mixes CSV and Parquet"):
        resolve("mixed", Access(root))


def test_a_root_that_is_not_a_folder_is_refused(tmp_path):
    with pytest.raises(DataError, match="must name an existing folder"):
        Access(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd.csv", "not a URL this server reads"),
        ("simplecache::s3://bucket/a.csv", "not a URL this server reads"),
        ("ftp://host/a.csv", "not a URL this server reads"),
        ("https://example.com/data", "Cannot tell the format"),
    ],
)
def test_url_refusals_when_urls_are_on(url, message):
    with pytest.raises(DataError, match=message):
        resolve(url, Access(allow_urls=True))


def test_an_allowed_url_is_kept_as_written():
    source = resolve("s3://bucket/table/*.parquet", Access(allow_urls=True))
    assert source.remote and source.format == "parquet"
    assert resolve("https://h/x", Access(allow_urls=True), fmt="csv").format == "csv"


def test_a_missing_dask_names_the_pip_command(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith("dask"):
            raise ImportError("No module named 'dask'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(DataError, match=r"pip install \"dask\[dataframe\]"):
        sources.require_dask()


# ---------------------------------------------------------------------------------
# CSV blocks: Dask's partitions, each read knowing its file
# ---------------------------------------------------------------------------------


def numbers(rows, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(rows, 3)), columns=["a", "b", "y"])


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("blocksize", [3_000, 20_000, 10_000_000])
def test_csv_blocks_are_dasks_partitions_and_hold_every_row_once(
    tmp_path, blocksize, newline
):
    import dask.dataframe as dd

    for k in range(3):
        numbers(400 + 100 * k, seed=k).to_csv(
            tmp_path / f"p{k}.csv", index=False, lineterminator=newline
        )
    (tmp_path / "p3.csv").write_text("")  # an empty file has no block, as in Dask
    source = resolve(".", Access(tmp_path))
    frame = sources.csv_frame(source, ["y", "a"], blocksize=blocksize)
    paths = list(source.paths)
    assert frame.npartitions == dd.read_csv(paths, blocksize=blocksize).npartitions
    expected = pd.concat([pd.read_csv(p) for p in paths[:3]], ignore_index=True)
    got = frame.compute().reset_index(drop=True)
    assert list(got.columns) == ["y", "a"] and (got.dtypes == "float64").all()
    pd.testing.assert_frame_equal(got, expected[["y", "a"]])


def test_csv_blocks_of_short_values_are_cut_by_the_arrays_they_become(tmp_path):
    """A digit and a comma (2 bytes) become 8 as float64: blocks of such a file
    are cut smaller, so that a partition's arrays stay near the block size; the
    rows are those of the file, in order."""
    rng = np.random.default_rng(0)
    digits = pd.DataFrame(
        rng.integers(0, 10, size=(20_000, 3)), columns=["a", "b", "y"]
    )
    digits.to_csv(tmp_path / "digits.csv", index=False)
    numbers(2_000).to_csv(tmp_path / "floats.csv", index=False)
    blocksize = 40_000
    for name, rows in (("digits.csv", 20_000), ("floats.csv", 2_000)):
        source = resolve(name, Access(tmp_path))
        frame = sources.csv_frame(source, ["a", "b", "y"], blocksize=blocksize)
        sizes = [len(part.compute()) for part in frame.to_delayed()]
        assert sum(sizes) == rows
        assert max(sizes) * 3 * 8 <= 2 * blocksize  # Dask's blocks: up to 2x
    got = sources.csv_frame(resolve("digits.csv", Access(tmp_path)), ["a", "y"])
    np.testing.assert_array_equal(got.compute().to_numpy(), digits[["a", "y"]])


def test_short_rows_are_measured_past_a_header_alone_and_a_header(tmp_path):
    """The bytes a row come from the first file with rows, its header left out:
    a long header, or a file of a header alone first, would make them seem many."""
    rng = np.random.default_rng(1)
    names = [f"a_rather_long_column_name_{j}" for j in range(3)]
    digits = pd.DataFrame(rng.integers(0, 10, size=(20_000, 3)), columns=names)
    digits.iloc[:0].to_csv(tmp_path / "p0.csv", index=False)
    digits.to_csv(tmp_path / "p1.csv", index=False)
    source = resolve(".", Access(tmp_path))
    fs, paths = sources.filesystem(source)
    sizes = [fs.size(p) for p in paths]
    # 6 bytes a row ("d,d,d\n") against 24 as float64: a quarter of the block.
    assert sources._as_arrays(fs, paths, sizes, 40_000, 3) == 10_000


def test_lines_longer_than_a_block_are_read_once_as_dask_reads_them(tmp_path):
    """Blocks that start and end inside one line: each line goes to the block
    its end follows, some blocks hold none, and the rows equal Dask's."""
    import dask.dataframe as dd

    data = numbers(40)
    lengths = np.random.default_rng(3).integers(0, 9_000, size=40)
    data["note"] = ["x" * int(n) for n in lengths]
    data.to_csv(tmp_path / "long.csv", index=False)
    source = resolve("long.csv", Access(tmp_path))
    frame = sources.csv_frame(source, ["y", "a"], blocksize=2_000)
    dask_frame = dd.read_csv(str(tmp_path / "long.csv"), blocksize=2_000)
    assert frame.npartitions == dask_frame.npartitions > 40
    for ours, theirs in zip(frame.to_delayed(), dask_frame.to_delayed(), strict=True):
        got, want = ours.compute(), theirs.compute()[["y", "a"]]
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def test_a_file_of_unknown_size_is_refused_not_read_whole(tmp_path, monkeypatch):
    """A server that does not say a file's size: one block would be the whole
    file, held at once, so it is refused with what to do."""
    from fsspec.implementations.local import LocalFileSystem

    numbers(50).to_csv(tmp_path / "d.csv", index=False)
    source = resolve("d.csv", Access(tmp_path))
    monkeypatch.setattr(LocalFileSystem, "size", lambda self, path: None)
    with pytest.raises(DataError, match=r"'d\.csv' does not say how large.*download"):
        sources.csv_frame(source, ["a", "y"])


def long_line_files(folder, where):
    """Two CSV files; the second holds a 5,000-byte value: in its header, or in
    row 300 of 600 (past the first block of 2,000 bytes)."""
    numbers(600).to_csv(folder / "p0.csv", index=False)
    data = numbers(600, seed=1)
    if where == "header":
        data = data.rename(columns={"b": "b" * 5_000})
    else:
        data = data.astype(object)
        data.loc[300, "b"] = "7" * 5_000
    data.to_csv(folder / "p1.csv", index=False)


@pytest.mark.parametrize("where", ["header", "row"])
def test_a_line_longer_than_the_limit_is_refused_naming_its_file(
    tmp_path, monkeypatch, where
):
    long_line_files(tmp_path, where)
    monkeypatch.setattr(limits, "MAX_SOURCE_LINE_BYTES", 4_000)
    source = resolve(".", Access(tmp_path))
    message = r"The CSV file 'p1\.csv' has a line longer than 4,000 bytes"
    with pytest.raises(DataError, match=message):
        frame = sources.csv_frame(source, ["a", "y"], blocksize=2_000)
        frame.compute()  # the row's line is met by the block it ends


def test_lines_within_the_limit_read_as_before(tmp_path, monkeypatch):
    long_line_files(tmp_path, "row")
    monkeypatch.setattr(limits, "MAX_SOURCE_LINE_BYTES", 5_100)
    source = resolve(".", Access(tmp_path))
    got = sources.csv_frame(source, ["a", "y"], blocksize=2_000).compute()
    want = pd.concat([numbers(600), numbers(600, seed=1)], ignore_index=True)
    np.testing.assert_array_equal(got.to_numpy(), want[["a", "y"]].to_numpy())


def test_the_first_rows_types_come_from_the_first_block_alone(tmp_path, monkeypatch):
    """A file's types are read from its first BLOCK_BYTES, so a huge file of long
    lines costs no more than a block to check; the rows past it are still read."""
    numbers(2_000).to_csv(tmp_path / "d.csv", index=False)
    monkeypatch.setattr(sources, "BLOCK_BYTES", 5_000)  # ~90 rows, not 1,000
    reads = []
    real = sources.BlockReader.readinto

    def counted(self, buffer):
        got = real(self, buffer)
        reads.append(got)
        return got

    monkeypatch.setattr(sources.BlockReader, "readinto", counted)
    source = resolve("d.csv", Access(tmp_path))
    frame = sources.csv_frame(source, ["a", "y"], blocksize=10_000_000)
    assert sum(reads) < 5_200  # the head: the first block and the line crossing it
    got = frame.compute()
    np.testing.assert_array_equal(got.to_numpy(), numbers(2_000)[["a", "y"]].to_numpy())


def test_text_deep_in_a_csv_file_names_the_column_the_value_and_the_file(tmp_path):
    """Past the rows whose types are inferred, in a later block of the file."""
    data = numbers(60_000).astype(object)
    data.loc[50_000, "b"] = "abc"
    data.to_csv(tmp_path / "big.csv", index=False)
    source = resolve("big.csv", Access(tmp_path))
    frame = sources.csv_frame(source, ["a", "b", "y"], blocksize=200_000)
    assert frame.npartitions > 3
    first = frame.to_delayed()[0].compute()  # the blocks before are read as ever
    assert len(first) > 0
    with pytest.raises(DataError, match=r"'b' holds 'abc' in the file 'big\.csv'"):
        frame.compute()


def test_a_long_value_is_cut_in_the_message(tmp_path):
    data = numbers(20).astype(object)
    data.loc[12, "a"] = "x" * 500
    data.to_csv(tmp_path / "d.csv", index=False)
    source = resolve("d.csv", Access(tmp_path))
    with pytest.raises(DataError, match=r"holds 'x{40}…' in the file") as error:
        sources.csv_frame(source, ["a", "y"])  # in the first rows: at once
    assert len(str(error.value)) < 300


def test_missing_value_markers_are_missing_values_not_text(tmp_path):
    data = numbers(20).astype(object)
    data.loc[3, "a"], data.loc[4, "y"] = "n/a", "NA"
    data.to_csv(tmp_path / "d.csv", index=False)
    got = sources.csv_frame(resolve("d.csv", Access(tmp_path)), ["a", "y"]).compute()
    assert got["a"].isna().sum() == 1 and got["y"].isna().sum() == 1


# ---------------------------------------------------------------------------------
# URLs: the file system's package, and listing a glob
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "package"),
    [
        ("https://example.com/data.csv", "aiohttp"),
        ("s3://bucket/table/*.parquet", "s3fs"),
        ("gs://bucket/data.csv", "gcsfs"),
    ],
)
def test_a_url_whose_file_system_is_not_installed_names_the_package(url, package):
    pytest.importorskip("dask.dataframe")
    try:
        __import__(package)
    except ImportError:
        pass
    else:
        pytest.skip(f"{package} is installed")
    source = resolve(url, Access(allow_urls=True))
    with pytest.raises(DataError, match=rf"needs the package '{package}'.*pip install"):
        sources.read(source)
    with pytest.raises(DataError, match=rf"pip install {package}$"):
        sources.filesystem(source)


def memory_source(name, pattern, fmt):
    """A URL source on fsspec's in-memory file system (not a scheme users may
    name: ``resolve`` refuses it), to test what a listing store does."""
    location = f"memory://{name}/{pattern}"
    return sources.Source(location, fmt, (location,), remote=True)


def test_a_glob_url_is_listed_and_its_csv_files_named_as_urls(tmp_path, monkeypatch):
    import fsspec

    fs = fsspec.filesystem("memory")
    name = tmp_path.name
    for k in range(3):
        data = numbers(50, seed=k).astype(object)
        if k == 2:
            data.loc[40, "a"] = "abc"
        with fs.open(f"/{name}/part-{k}.csv", "w") as file:
            data.to_csv(file, index=False)
    source = memory_source(name, "part-*.csv", "csv")
    _, paths = sources.filesystem(source)
    assert [p.rsplit("/", 1)[-1] for p in paths] == [f"part-{k}.csv" for k in range(3)]
    frame = sources.csv_frame(source, ["a", "y"])
    assert frame.npartitions == 3
    message = rf"'a' holds 'abc' in the file 'memory:///{name}/part-2\.csv'"
    with pytest.raises(DataError, match=message):
        frame.compute()
    with pytest.raises(DataError, match="matches no file"):
        sources.filesystem(memory_source(name, "*.parquet", "parquet"))
    monkeypatch.setattr(limits, "MAX_SOURCE_FILES", 2)
    with pytest.raises(DataError, match="matches more than 2 files"):
        sources.filesystem(source)


def test_a_url_glob_is_matched_without_backtracking(tmp_path):
    """fsspec's glob matches with a backtracking regular expression: eight
    ``*a`` over a key of 60 a's did not end in two minutes. Matched here name by
    name with fnmatch, it is an answer at once."""
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe(f"/{tmp_path.name}/{'a' * 60}.csv", b"x,y\n1,2\n")
    hostile = memory_source(tmp_path.name, "*a" * 8 + "*b.csv", "csv")
    with pytest.raises(DataError, match="matches no file"):
        sources.filesystem(hostile)
    found = memory_source(tmp_path.name, "*a" * 8 + "*.csv", "csv")
    assert len(sources.filesystem(found)[1]) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://*/x.csv", "wildcard in its bucket or host"),
        ("https://*.example.com/x.csv", "wildcard in its bucket or host"),
        ("s3://b/k/**/**/x.csv", r"holds '\*\*' more than once"),
    ],
)
def test_a_url_glob_refusals(url, message):
    with pytest.raises(DataError, match=message):
        resolve(url, Access(allow_urls=True))


@settings(max_examples=100, deadline=None)
@given(files=FILES, pattern=patterns())
def test_a_url_glob_names_the_files_a_local_glob_names(files, pattern):
    """The same tree on fsspec's in-memory store and on disk: the same files."""
    import fsspec

    fs = fsspec.filesystem("memory")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        store = f"/{root.name}"
        for parents, name in files:
            root.joinpath(*parents).mkdir(parents=True, exist_ok=True)
            if not root.joinpath(*parents, name).is_dir():
                root.joinpath(*parents, name).write_text("x\n1\n")
                fs.pipe("/".join([store, *parents, name]), b"x\n1\n")
        try:
            local = sources._local_files(pattern, root / pattern, root)
            expected = sorted(str(p.relative_to(root)) for p in local)
            try:
                _, urls = sources.filesystem(memory_source(root.name, pattern, "csv"))
            except DataError as error:
                assert not expected and "matches no file" in str(error)
                urls = []
            assert sorted(u.removeprefix(store + "/") for u in urls) == expected
        finally:
            fs.rm(store, recursive=True)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_glob_url_is_listed_once_to_choose_its_columns_and_plan_its_reads(
    tmp_path, monkeypatch, fmt
):
    """An object store lists a folder a request per 1,000 keys: reading the
    schema, checking every file and planning the partitions share one listing
    (they made four before), and read the same files as the glob names."""
    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    from gddash.scale.columns import choose

    fs = fsspec.filesystem("memory")
    for k in range(3):
        with fs.open(f"/{tmp_path.name}/part-{k}.{fmt}", "wb") as file:
            data = numbers(200, seed=k)
            (data.to_parquet if fmt == "parquet" else data.to_csv)(file, index=False)
    listings = []
    find = MemoryFileSystem.find

    def counted(self, path, **kwargs):
        listings.append(path)
        return find(self, path, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "find", counted)
    source = memory_source(tmp_path.name, f"part-*.{fmt}", fmt)
    columns, frame = choose(source, "y", ["a", "b"])
    assert len(listings) == 1 and list(columns.names) == ["a", "b", "y"]
    expected = pd.concat([numbers(200, seed=k) for k in range(3)], ignore_index=True)
    got = frame.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected[["a", "b", "y"]])
    listings.clear()
    sources.read(source)  # the page's schema: one listing, for Dask too
    assert len(listings) == 1


def test_a_url_parquet_source_of_narrow_columns_gets_smaller_partitions(
    tmp_path, monkeypatch
):
    """Dask plans partitions by a row group's bytes in the file, an eighth of
    its arrays for int8 columns: a URL source's plan is made again, smaller."""
    import fsspec

    from gddash.scale.columns import choose

    fs = fsspec.filesystem("memory")
    rng = np.random.default_rng(0)
    values = rng.integers(-9, 9, size=(40_000, 3)).astype(np.int8)
    frame = pd.DataFrame(values, columns=["a", "b", "y"])
    with fs.open(f"/{tmp_path.name}/part-0.parquet", "wb") as file:
        frame.to_parquet(file, row_group_size=10_000, index=False)
    with fs.open(f"/{tmp_path.name}-wide/part-0.parquet", "wb") as file:
        numbers(40_000).to_parquet(file, row_group_size=10_000, index=False)
    wide = memory_source(f"{tmp_path.name}-wide", "*.parquet", "parquet")
    assert sources.parquet_blocksize(wide, ["a", "b", "y"]) is None  # float64: as is
    source = memory_source(tmp_path.name, "*.parquet", "parquet")
    assert sources.parquet_blocksize(source, ["a", "b", "y"]) < sources.BLOCK_BYTES / 4
    with fs.open(f"/{tmp_path.name}/part-00-empty.parquet", "wb") as file:
        frame.iloc[:0].to_parquet(file, index=False)  # first, and says nothing
    assert sources.parquet_blocksize(source, ["a", "b", "y"]) < sources.BLOCK_BYTES / 4
    monkeypatch.setattr(sources, "BLOCK_BYTES", 10_000 * 3 * 8)  # a group's arrays
    _, planned = choose(source, "y", None)
    sizes = [len(part.compute()) for part in planned.to_delayed()]
    assert sizes == [10_000] * 4
    for part in planned.to_delayed():
        assert (part.compute().dtypes == "int8").all()  # read as stored
