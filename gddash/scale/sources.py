"""Where large data may come from, and reading it lazily through dask.dataframe.

A server reads its own files only under ``GDDASH_DATA_ROOT`` and fetches URLs only
when ``GDDASH_ALLOW_URLS=1``; both are off by default, so a public deployment
never lets a visitor read the server's files or make it fetch a URL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import functools
import io
import itertools
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pandas as pd

from gddash import limits
from gddash.errors import DataError

INSTALL = 'pip install "dask[dataframe]==2026.8.0" "distributed==2026.8.0"'
ROOT_VARIABLE = "GDDASH_DATA_ROOT"
URLS_VARIABLE = "GDDASH_ALLOW_URLS"
SCHEDULER_VARIABLE = "GDDASH_DASK_SCHEDULER"
FORMATS = ("csv", "parquet")
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".parq": "parquet", ".pq": "parquet"}
# Remote file systems a URL may name. file:// and chained URLs ("a::b") are not
# here: they would reach the server's own disk around the root folder.
URL_SCHEMES = ("http", "https", "s3", "s3a", "gs", "gcs", "az", "abfs", "abfss")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_GLOB = re.compile(r"[*?\[]")


def require_dask() -> ModuleType:
    """``dask.dataframe``, or a ``DataError`` that says how to install it."""
    try:
        import dask.dataframe as dd
    except ImportError as error:
        raise DataError(
            f"Reading large data needs Dask, which is not installed ({error}). "
            f"Install it with: {INSTALL}"
        ) from None
    return dd


@dataclass(frozen=True)
class Access:
    """What this server lets a source read: local files under ``root``, URLs."""

    root: Path | None = None
    allow_urls: bool = False

    def __post_init__(self) -> None:
        if self.root is not None:
            root = Path(self.root)
            if not root.is_dir():
                raise DataError(
                    f"{ROOT_VARIABLE} must name an existing folder. Got "
                    f"{str(root)!r}: create it, or unset the variable."
                )
            object.__setattr__(self, "root", Path(os.path.realpath(root)))
        object.__setattr__(self, "allow_urls", bool(self.allow_urls))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Access:
        """Read ``GDDASH_DATA_ROOT`` and ``GDDASH_ALLOW_URLS`` (both off if unset)."""
        env = os.environ if environ is None else environ
        root = env.get(ROOT_VARIABLE, "").strip()
        urls = env.get(URLS_VARIABLE, "").strip().lower() in ("1", "true", "yes")
        return cls(Path(root) if root else None, urls)


@dataclass(frozen=True)
class Source:
    """A checked source: its format and the files or URL Dask will read."""

    location: str  # as the user wrote it
    format: str  # "csv" or "parquet"
    paths: tuple[str, ...]  # local files (resolved, under the root), or one URL
    remote: bool = False
    # A URL glob's files as its file system names them, once ``listed``.
    listing: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise DataError(
                f"The format must be one of {FORMATS}. Got {self.format!r} instead."
            )
        if not self.paths:
            raise DataError(f"{self.location!r} names no file: point it at a file.")


def resolve(
    location: str, access: Access | None = None, fmt: str | None = None
) -> Source:
    """Check ``location`` (a file, folder, glob or URL) against ``access``.

    Parameters
    ----------
    location : str
        Relative to the root folder, or absolute inside it, or a URL.
    access : Access or None
        None reads the environment (``Access.from_env``).
    fmt : {"csv", "parquet"} or None
        None infers it from the file names.
    """
    access = Access.from_env() if access is None else access
    if not isinstance(location, str) or not location.strip():
        raise DataError("Name a file, folder, glob or URL to read.")
    location = location.strip()
    if fmt is not None and fmt not in FORMATS:
        raise DataError(f"The format must be one of {FORMATS}. Got {fmt!r} instead.")
    if "::" in location or _SCHEME.match(location):
        return _url_source(location, access, fmt)
    return _local_source(location, access, fmt)


def _url_source(location: str, access: Access, fmt: str | None) -> Source:
    if not access.allow_urls:
        raise DataError(
            f"Reading URLs is off on this server, so {location!r} is refused. The "
            f"server's owner can set {URLS_VARIABLE}=1 to allow it."
        )
    match = _SCHEME.match(location)
    scheme = match.group(1).lower() if match else ""
    if "::" in location or scheme not in URL_SCHEMES:
        raise DataError(
            f"{location!r} is not a URL this server reads: use one of the schemes "
            f"{', '.join(URL_SCHEMES)} (file:// and chained URLs are refused; local "
            f"files are read from under {ROOT_VARIABLE})."
        )
    # Wildcards below the bucket or host only, "**" once (see ``_url_glob``).
    names = location.split("://", 1)[1].split("/")
    if _GLOB.search(names[0]):
        raise DataError(
            f"{location!r} has a wildcard in its bucket or host: name the bucket "
            "or host, and use wildcards below it."
        )
    _one_double_star(location, tuple(names))
    found = fmt or _format_of(location.rstrip("/"))
    if found is None:
        raise DataError(
            f"Cannot tell the format of {location!r} from its name: end it in .csv "
            "or .parquet, or choose the format."
        )
    return Source(location, found, (location,), remote=True)


def _local_source(location: str, access: Access, fmt: str | None) -> Source:
    if access.root is None:
        raise DataError(
            f"Reading the server's files is off, so {location!r} is refused. The "
            f"server's owner can set {ROOT_VARIABLE} to a folder whose files may "
            "be read."
        )
    root = access.root
    parts = Path(location).parts
    if ".." in parts:
        raise DataError(
            f"{location!r} contains '..': name a path inside the data folder "
            "without leaving it."
        )
    path = Path(location) if Path(location).is_absolute() else root / location
    path = Path(os.path.abspath(path))
    if not _inside(path, root):
        raise DataError(
            f"{location!r} is outside the data folder: only files under "
            f"{ROOT_VARIABLE} can be read; give a path relative to it."
        )
    files = sorted(_at_most(location, _local_files(location, path, root)))
    if not files:
        raise DataError(
            f"{location!r} matches no CSV or Parquet file{_in_folder(root)}."
        )
    real = [Path(os.path.realpath(p)) for p in files]
    outside = [str(f) for f, r in zip(files, real, strict=True) if not _inside(r, root)]
    if outside:
        raise DataError(
            f"{location!r} leads outside the data folder through a link "
            f"({outside[0]!r}): only files under {ROOT_VARIABLE} can be read."
        )
    formats = {fmt or _format_of(str(p)) for p in files}
    if None in formats:
        odd = next(p for p in files if _format_of(str(p)) is None)
        raise DataError(
            f"{odd.name!r} is not a CSV or Parquet file (by its name): read files "
            "ending in .csv, .parquet, .parq or .pq."
        )
    if len(formats) > 1:
        raise DataError(
            f"{location!r} mixes CSV and Parquet files: point it at one format."
        )
    return Source(location, formats.pop(), tuple(str(p) for p in real))


def _local_files(location: str, path: Path, root: Path) -> Iterator[Path]:
    """The files a local file, folder or glob names (``path``, inside ``root``).

    A glob's wildcards (``*``, ``?``, ``[…]`` within a name, ``**`` for any
    number of folders, as ``glob.glob`` reads them) are matched while walking
    below its last plain folder; a folder is every data file below it. Either
    walk looks at no more than ``limits.MAX_SOURCE_ENTRIES`` files and folders,
    and a glob may hold ``**`` once: Python's ``glob`` walks a folder again for
    every ``**`` above it, so a typed ``**/**/**/**/**/**/**/**`` over folders
    twelve deep took 4.7 s, and each two more took about eight times as long.
    """
    parts = path.relative_to(root).parts
    wild = [k for k, part in enumerate(parts) if _GLOB.search(part)]
    if wild:
        pattern = parts[wild[0] :]
        _one_double_star(location, pattern)
        return map(Path, _walk(location, root.joinpath(*parts[: wild[0]]), pattern))
    if path.is_dir():
        # Names starting with "." or "_" left out, as Dask's and pyarrow's
        # datasets leave them out: _metadata, _SUCCESS, _temporary/,
        # .ipynb_checkpoints/.
        found = _walk(location, path, ("**", "*"), hidden=(".", "_"))
        return (Path(p) for p in found if _format_of(p) is not None)
    if path.is_file():
        return iter([path])
    if path.exists():
        raise DataError(
            f"{location!r} is not a regular file or a folder: name a CSV or "
            "Parquet file, or a folder of them."
        )
    raise DataError(f"No file or folder {location!r}{_in_folder(root)}.")


def _in_folder(root: Path) -> str:
    """Where a missing file was looked for, in a message: the data folder, or
    (the command line with no data folder set, whose root is "/") nowhere said."""
    return "" if root == Path(root.anchor) else " in the data folder"


def _one_double_star(location: str, pattern: tuple[str, ...]) -> None:
    """Refuse a glob that holds ``**`` more than once (see ``_local_files``)."""
    if pattern.count("**") > 1:
        raise DataError(
            f"{location!r} holds '**' more than once: one '**' already reaches "
            "every folder below it (for example data/**/*.parquet)."
        )


def _walk(
    location: str,
    top: Path,
    pattern: tuple[str, ...],
    *,
    hidden: tuple[str, ...] = (".",),
) -> Iterator[str]:
    """The files below ``top`` whose path from it matches ``pattern`` name by
    name (``**``, at most once, stands for any number of folders), looking at
    no more than ``limits.MAX_SOURCE_ENTRIES`` files and folders on the way.

    Names starting with a ``hidden`` prefix are matched only by a pattern part
    that starts so, as ``glob`` treats names starting with "."; ``**`` never
    enters them.
    """
    most, seen = limits.MAX_SOURCE_ENTRIES, 0
    folders = [(str(top), 0)]  # (a folder, the pattern part its entries match)
    while folders:
        folder, at = folders.pop()
        try:
            entries = os.scandir(folder)
        except OSError:  # gone, unreadable, or not a folder
            continue
        with entries:
            for entry in entries:
                seen += 1
                if seen > most:
                    raise DataError(
                        f"{location!r} would look through more than {most:,} files "
                        "and folders of the data folder: name a subfolder, or a "
                        "glob that starts below one (for example 2024/*.parquet)."
                    )
                # ``**`` takes this entry (a folder: any number of them) or
                # nothing, and the next part is tried on it.
                step = at
                if pattern[at] == "**":
                    visible = not entry.name.startswith(hidden)
                    if visible and entry.is_dir():
                        folders.append((entry.path, at))
                    if at + 1 == len(pattern):
                        if visible and entry.is_file():
                            yield entry.path
                        continue
                    step = at + 1
                if not _name_matches(entry.name, pattern[step], hidden):
                    continue
                if step + 1 == len(pattern):
                    if entry.is_file():
                        yield entry.path
                elif entry.is_dir():
                    folders.append((entry.path, step + 1))


def _name_matches(name: str, part: str, hidden: tuple[str, ...]) -> bool:
    """Whether the name of a file or folder matches one part of a glob, as
    ``glob`` matches it (a wildcard matches a ``hidden`` name only from a part
    that starts as it does)."""
    if not _GLOB.search(part):
        return name == part
    if name.startswith(hidden) and not part.startswith(hidden):
        return False
    return fnmatch.fnmatchcase(name, part)


def _at_most(location: str, files: Iterator) -> list:
    """The files ``location`` matches, refused once there are more than
    ``limits.MAX_SOURCE_FILES`` (a local listing stops there)."""
    most = limits.MAX_SOURCE_FILES
    listed = list(itertools.islice(files, most + 1))
    if len(listed) > most:
        raise DataError(
            f"{location!r} matches more than {most:,} files, more than gddash reads "
            "in one source (each file is checked before a run): name a subfolder "
            "or a narrower glob, or merge the small files into larger ones."
        )
    return listed


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _format_of(name: str) -> str | None:
    return SUFFIXES.get(os.path.splitext(name.split("?")[0])[1].lower())


def read(
    source: Source, columns: list[str] | None = None, *, blocksize: str | int = "64MB"
):
    """A lazy ``dask.dataframe.DataFrame`` of ``source`` (only ``columns`` if given).

    Nothing is read but the schema: rows are read pass by pass, partition by
    partition. A partition holds at most about ``blocksize`` of data, so that the
    memory of a pass (a partition per thread) does not grow with the source: CSV
    files are cut into blocks of that size (``csv_frame``); Parquet files into
    runs of whole row groups (``split_row_groups="adaptive"`` reads every file's
    footer to plan them; a row group is the smallest piece Parquet can be read
    in, so one larger than ``blocksize`` is a partition of its own).
    """
    dd = require_dask()
    try:
        if source.format == "csv":
            frame = csv_frame(source, columns, blocksize=parse_size(blocksize))
        else:
            if not source.remote:
                paths = list(source.paths)
            else:  # the URL, or its glob's files listed once (a missing backend)
                source = listed(source)
                fs, files = filesystem(source)
                paths = (
                    source.paths[0]
                    if source.listing is None
                    else [fs.unstrip_protocol(path) for path in files]
                )
            _check_footers(source)
            _refuse_wide(_parquet_width(source), source)
            frame = dd.read_parquet(
                paths, columns=columns, split_row_groups="adaptive", blocksize=blocksize
            )
    except (OSError, ValueError) as error:
        if isinstance(error, DataError):
            raise
        said = error_text(error, source)
        raise DataError(f"Could not read {source.location!r}: {said}") from None
    longest = max((len(str(name)) for name in frame.columns), default=0)
    if longest > limits.MAX_COLUMN_NAME_CHARS:
        raise DataError(
            f"{source.location!r} has a column name of {longest:,} characters, more "
            f"than gddash shows ({limits.MAX_COLUMN_NAME_CHARS:,}): rename it."
        )
    return frame


def _check_footers(source: Source) -> None:
    """Refuse a Parquet file whose footer is larger than ``limits.MAX_FOOTER_BYTES``
    (or that does not end as Parquet does), from its last 8 bytes: pyarrow
    reads a footer whole and Dask reads every file's to plan its partitions."""
    fs, files = filesystem(source)
    most = limits.MAX_FOOTER_BYTES
    for path, name in zip(files, _names(fs, files, source), strict=True):
        with fs.open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            if file.tell() < 12:
                tail = b""
            else:
                file.seek(-8, os.SEEK_END)
                tail = file.read(8)
        if tail[4:] != b"PAR1":
            raise DataError(
                f"{name!r} does not end as a Parquet file does: it is damaged, "
                "cut short, or not Parquet."
            )
        size = int.from_bytes(tail[:4], "little")
        if size > most:
            raise DataError(
                f"The Parquet file {name!r} has a footer of {size / 2**20:.0f} MiB, "
                f"more than gddash reads ({most / 2**20:.0f} MiB): it describes too "
                "many row groups (or columns). Rewrite it with larger row groups, "
                "for example pyarrow.parquet.write_table(table, path, "
                "row_group_size=1_000_000)."
            )


def _parquet_width(source: Source) -> int:
    """Columns of a Parquet source's first file, from its footer."""
    import pyarrow.parquet as pq

    fs, files = filesystem(source)
    with fs.open(files[0], "rb") as file:
        return len(pq.read_schema(file).names)


def _refuse_wide(width: int, source: Source) -> None:
    """Refuse a source of more than ``limits.MAX_SOURCE_COLUMNS`` columns (a CSV
    header's commas count, quoted ones too): Dask's planning grows with the
    square of a file's columns, before any column is chosen."""
    most = limits.MAX_SOURCE_COLUMNS
    if width > most:
        raise DataError(
            f"{source.location!r} has {width:,} columns, more than a large source "
            f"may have ({most:,}): planning its reads alone grows with their square "
            "(12,000 took 100 s). Write the columns to compare into a narrower file."
        )


def error_text(error: BaseException, source: Source) -> str:
    """``error``'s message as a visitor may read it: without Dask's preamble to
    a backend's error, and with the server's folders left out of local paths
    (a file named from the source's common folder, as messages name files)."""
    text = str(error)
    if _DASK_PREAMBLE in text:
        text = text.split(_DASK_PREAMBLE, 1)[1]
    if not source.remote and source.paths:
        common = os.path.commonpath([os.path.dirname(p) for p in source.paths])
        text = text.replace(common + os.sep, "")
    return text


# Dask wraps a backend's error as "An error occurred while calling the
# read_parquet method registered to the pandas backend.\nOriginal Message: …".
_DASK_PREAMBLE = "Original Message: "


def parse_size(size: str | int) -> int:
    """Bytes of a size such as "64MB" (Dask's units)."""
    from dask.utils import parse_bytes

    return int(parse_bytes(size))


# -------------------------------------------------------------------------------
# Where a source's files are: the local files, or what fsspec lists at a URL
# -------------------------------------------------------------------------------

# The fsspec backend each URL scheme needs (not installed with gddash).
BACKENDS = {
    "http": "aiohttp",
    "https": "aiohttp",
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
}


def _url_path(source: Source):
    """(fs, path) of a URL source, without touching the store; a missing
    backend package (aiohttp, s3fs, gcsfs, adlfs) is a ``DataError`` that says
    what to install."""
    import fsspec

    scheme = _SCHEME.match(source.location).group(1).lower()
    try:
        return fsspec.core.url_to_fs(source.location)
    except ImportError as error:
        package = BACKENDS.get(scheme, "the fsspec backend")
        raise DataError(
            f"Reading {scheme}:// URLs needs the package {package!r}, which is not "
            f"installed ({error}). Install it with: pip install {package}"
        ) from None


def listed(source: Source) -> Source:
    """``source`` with its URL glob listed once (``Source.listing``), so that
    the reads and checks of one comparison do not each list the store again
    (a glob of an object store's folder is a request per page of 1,000 keys).
    A local source, or a URL without a glob, is returned as it is."""
    if not source.remote or source.listing is not None:
        return source
    _, path = _url_path(source)
    if not _GLOB.search(path):
        return source
    _, files = filesystem(source)
    return dataclasses.replace(source, listing=tuple(files))


def filesystem(source: Source):
    """``(fs, paths)``: the fsspec file system of ``source`` and its files on it.

    A URL with a glob is listed (where the file system can list: object
    stores can, a plain web server usually cannot, and then names no file).
    A missing backend package (aiohttp, s3fs, gcsfs, adlfs) is a ``DataError``
    that says what to install.
    """
    import fsspec

    if not source.remote:
        return fsspec.filesystem("file"), list(source.paths)
    fs, path = _url_path(source)
    if not _GLOB.search(path):
        return fs, [path]
    if source.listing is not None:
        return fs, list(source.listing)
    files = sorted(_at_most(source.location, _url_glob(fs, path, source.location)))
    if not files:
        raise DataError(
            f"{source.location!r} matches no file (or its server does not list "
            "files): name one file, or a folder of an object store."
        )
    return fs, files


def _url_glob(fs, path: str, location: str) -> Iterator[str]:
    """The files of a URL glob (``path`` on ``fs``), matched name by name here.

    fsspec's own ``glob`` matches with a regular expression that backtracks: a
    glob of eight ``*a`` over a key of 60 a's did not end in two minutes, and a
    visitor chooses both when the server reads URLs. The folder above the first
    wildcard is listed (``find``, as deep as the glob reaches) and each name is
    matched with ``fnmatch``, which does not backtrack, as a local glob is.
    """
    parts = path.split("/")
    wild = next(k for k, part in enumerate(parts) if _GLOB.search(part))
    pattern = tuple(parts[wild:])  # (``resolve`` refused a wildcard in the bucket)
    base = "/".join(parts[:wild])
    depth = None if "**" in pattern else len(pattern)
    try:
        found = fs.find(base, maxdepth=depth, detail=True)
    except (OSError, ValueError) as error:
        raise DataError(f"Could not list {location!r}: {error}") from None
    for name, info in found.items():
        below = name[len(base) :].strip("/") if name.startswith(base + "/") else ""
        if not below or info.get("type") == "directory":
            continue
        if _names_match(tuple(below.split("/")), pattern):
            yield name


def _names_match(names: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """Whether a path's names below a glob's last plain folder match its
    ``pattern`` parts (``**``, at most once, takes any number of names that
    do not start with "."), as ``_walk`` matches them while walking."""
    if "**" not in pattern:
        return len(names) == len(pattern) and all(
            _name_matches(name, part, (".",))
            for name, part in zip(names, pattern, strict=True)
        )
    k = pattern.index("**")
    head, tail = pattern[:k], pattern[k + 1 :]
    middle = len(names) - len(tail)
    # A last "**" takes the file's own name too: head's names are folders.
    return (
        middle >= k + (0 if tail else 1)
        and _names_match(names[:k], head)
        and _names_match(names[middle:], tail)
        and not any(name.startswith(".") for name in names[k:middle])
    )


# -------------------------------------------------------------------------------
# CSV: blocks of every file, each read knowing its file
# -------------------------------------------------------------------------------

CSV_HEAD_ROWS = 1_000  # rows of the first file whose types give the frame's


@dataclass(frozen=True)
class CsvBlock:
    """A run of whole lines of one CSV file: bytes [offset, offset + length),
    extended to the line ends as Dask's ``read_bytes`` does."""

    fs: object  # fsspec file system
    path: str  # on fs
    name: str  # the file as messages call it
    offset: int
    length: int


def csv_frame(
    source: Source, columns: list[str] | None = None, *, blocksize: int = 64_000_000
):
    """A lazy frame of a CSV source: one partition per block of a file.

    The blocks are Dask's (``dask.bytes.read_bytes``: a file of ``size`` bytes
    in ``size // blocksize`` even blocks, an empty file in none), so the
    partitions are those ``dd.read_csv`` would make with ``blocksize``, made
    smaller first where rows are shorter than the float64 arrays of ``columns``
    they become (``_as_arrays``). Each block knows its file,
    so a value that is not a number in a chosen column (``columns`` are read as
    float64) is a ``DataError`` naming the column, the value and the file,
    wherever it is, not Dask's mismatched-dtypes error from a pass.
    """
    dd = require_dask()
    fs, paths = filesystem(source)
    names = _names(fs, paths, source)
    sizes = [fs.size(path) for path in paths]
    for name, size in zip(names, sizes, strict=True):
        if size is None:
            raise DataError(
                f"The server of {name!r} does not say how large the file is, and a "
                "CSV file is read in blocks cut by its size, so that memory stays "
                "bounded: download it and name the copy, or serve it with its size."
            )
    if columns:
        blocksize = _as_arrays(fs, paths, sizes, blocksize, len(columns))
    blocks = [
        CsvBlock(fs, path, name, offset, length)
        for path, name, size in zip(paths, names, sizes, strict=True)
        for offset, length in _spans(size, blocksize)
    ]
    if not blocks:
        raise DataError(f"{source.location!r} holds no rows: every file is empty.")
    dtypes = dict.fromkeys(columns, "float64") if columns else None
    # The types of the first file with rows: a header alone reads as text.
    for path, name, size in zip(paths, names, sizes, strict=True):
        if size:
            with fs.open(path, "rb") as file:  # its width, before pandas parses it
                _refuse_wide(_line(file, name).count(b",") + 1, source)
            lines = functools.partial(block_lines, head_block(fs, path, name))
            meta = _parse(lines, name, columns, dtypes, nrows=CSV_HEAD_ROWS)
            if len(meta):
                break
    reader = functools.partial(read_block, columns=columns, dtypes=dtypes)
    return dd.from_map(reader, blocks, meta=meta.iloc[:0], label="read-csv")


SAMPLE_BYTES = 1 << 20  # of the first file, for its bytes a row


def _as_arrays(fs, paths, sizes, blocksize: int, n_columns: int) -> int:
    """``blocksize`` made smaller where a block's rows, as ``n_columns`` float64
    arrays, would hold more than ``blocksize`` bytes: a digit and a comma (2
    bytes) become 8. Bytes a row from the first ``SAMPLE_BYTES`` of the first
    file with rows, its header left out (a file of a header alone says
    nothing of its rows)."""
    for path, size in zip(paths, sizes, strict=True):
        if not size:
            continue
        with fs.open(path, "rb") as file:
            _, _, rows = file.read(SAMPLE_BYTES).partition(b"\n")
        if rows.count(b"\n"):
            return _fitted(blocksize, len(rows) / rows.count(b"\n"), n_columns)
    return blocksize


def _fitted(blocksize: int, per_row: float, n_columns: int) -> int:
    """``blocksize`` (bytes of a file, ``per_row`` a row) cut to the rows whose
    ``n_columns`` float64 arrays hold ``blocksize`` bytes, if those are fewer;
    at least an eighth of it (a value takes a byte at least in a file)."""
    fitted = int(blocksize * per_row / (8 * n_columns))
    return max(min(blocksize, fitted), blocksize // 8, 1)


def parquet_blocksize(source: Source, columns: list[str]) -> int | None:
    """The ``blocksize`` for ``read`` that keeps a Dask partition of a Parquet
    source near ``BLOCK_BYTES`` as float64 arrays of ``columns``, or None if
    ``read``'s own does: Dask plans partitions by a row group's bytes in the
    file, which int8 columns make an eighth of their arrays. Bytes a row from
    the footer of the first file with rows."""
    import pyarrow.parquet as pq

    fs, paths = filesystem(source)
    for path in paths:  # the first file with rows
        with fs.open(path, "rb") as file:
            footer = pq.read_metadata(file)
        if footer.num_rows:
            groups = range(footer.num_row_groups)
            stored = sum(footer.row_group(g).total_byte_size for g in groups)
            fitted = _fitted(BLOCK_BYTES, stored / footer.num_rows, len(columns))
            return fitted if fitted < BLOCK_BYTES else None
    return None


def head_block(fs, path: str, name: str) -> CsvBlock:
    """The block of a CSV file whose first rows give its types: from its start,
    at most ``BLOCK_BYTES`` (and the line that crosses them) whatever its size."""
    return CsvBlock(fs, path, name, 0, BLOCK_BYTES)


def _spans(size: int, blocksize: int) -> list[tuple[int, int]]:
    """``(offset, length)`` of a file's blocks, as ``dask.bytes.read_bytes``."""
    if size == 0:
        return []
    step = (
        size / (size // blocksize)
        if size % blocksize and size > blocksize
        else blocksize
    )
    offsets, place = [0], 0
    while size - place > step * 2 - 1:
        place += step
        offsets.append(int(place))
    ends = [*offsets[1:], size]
    return [(o, e - o) for o, e in zip(offsets, ends, strict=True)]


def read_block(block: CsvBlock, columns=None, dtypes=None) -> pd.DataFrame:
    """One block of a CSV file as a frame (a task of every pass).

    A block after the first is read from its first whole line to the line
    ending past its end, under its own file's header line. pandas reads the
    block from the file as it parses (``BlockReader``): no copy of the block's
    bytes is made, which took a third of a 64 MB block's CPU time.
    """
    return _parse(functools.partial(block_lines, block), block.name, columns, dtypes)


@contextlib.contextmanager
def block_lines(block: CsvBlock) -> Iterator[io.RawIOBase]:
    """The block open as a file (``BlockReader``), closed on leaving."""
    with block.fs.open(block.path, "rb") as file:
        yield BlockReader(file, block)


class BlockReader(io.RawIOBase):
    """A CSV block as a file of its own: its file's header line (for a block
    after the first), then the block's whole lines, as ``fsspec.utils.read_block``
    with ``delimiter=b"\\n"`` cuts them (each block starts after the first line
    end at or past its offset; the last ends the file)."""

    def __init__(self, file, block: CsvBlock):
        self._file = file
        self._header = b"" if block.offset == 0 else _line(file, block.name)
        start = _line_after(file, block.offset, block.name)
        end = _line_after(file, block.offset + block.length, block.name)
        file.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._header:
            n = min(len(buffer), len(self._header))
            buffer[:n], self._header = self._header[:n], self._header[n:]
            return n
        n = min(len(buffer), self._left)
        got = self._file.readinto(memoryview(buffer)[:n]) if n else 0
        self._left -= got
        return got


def _line_after(file, position: int, name: str) -> int:
    """Where the first line ending at or after ``position`` ends (0 at the file's
    start; the file's end if no line ends there)."""
    file.seek(position)
    if position:
        _line(file, name)
    return file.tell()


def _line(file, name: str) -> bytes:
    """The rest of the line at ``file``'s position, refused (naming the file
    ``name``) past ``limits.MAX_SOURCE_LINE_BYTES`` without reading further."""
    most = limits.MAX_SOURCE_LINE_BYTES
    line = file.readline(most + 1)
    if len(line) > most:
        size = f"{most / 2**20:g} MiB" if most >= 2**20 else f"{most:,} bytes"
        raise DataError(
            f"The CSV file {name!r} has a line longer than {size}, more than gddash "
            "reads at once. Is it a CSV file? Split the long values out of it, or "
            "convert it to Parquet."
        )
    return line


def _parse(lines, name: str, columns, dtypes, nrows: int | None = None):
    """``pd.read_csv`` of the file ``lines()`` opens; a chosen column that holds
    text is a ``DataError`` naming it, the value and the file ``name``."""
    try:
        with lines() as file:
            frame = pd.read_csv(file, usecols=columns, dtype=dtypes, nrows=nrows)
    except pd.errors.EmptyDataError:
        raise DataError(f"The CSV file {name!r} is empty: remove it.") from None
    except DataError:  # a line too long (``_line``)
        raise
    except ValueError as error:  # a parser error, or text in a float64 column
        if not dtypes or isinstance(error, pd.errors.ParserError):
            raise DataError(f"Could not read the CSV file {name!r}: {error}") from None
        raise _text_in_numbers(lines, name, columns, nrows, error) from None
    return frame if not columns else frame[columns]


def _text_in_numbers(lines, name: str, columns, nrows, error) -> DataError:
    """The ``DataError`` for a block whose chosen column holds a non-number:
    the block read again as text (only on this error path) finds which."""
    try:
        with lines() as file:
            text = pd.read_csv(file, usecols=columns, dtype=str, nrows=nrows)
    except ValueError:  # e.g. a chosen column missing from this file
        return DataError(f"Could not read the CSV file {name!r}: {error}")
    for column in columns:
        values = text[column]
        bad = values.notna() & pd.to_numeric(values, errors="coerce").isna()
        if bad.any():
            value = values[bad].iloc[0]
            value = value if len(value) <= 40 else value[:40] + "…"
            return DataError(
                f"The column {column!r} holds {value!r} in the file {name!r}, "
                "where a number is expected (the column's type came from the "
                "first rows). Clean or drop the column, or leave it out of the "
                "features (or choose another target if it is the target)."
            )
    return DataError(f"Could not read the CSV file {name!r}: {error}")


def _names(fs, paths: list[str], source: Source) -> list[str]:
    """Files as messages call them: relative to their common folder (local), or
    as URLs."""
    if source.remote:
        return [fs.unstrip_protocol(p) for p in paths]
    if len(paths) == 1:
        return [Path(paths[0]).name]
    common = os.path.commonpath([str(Path(p).parent) for p in paths])
    return [os.path.relpath(p, common) for p in paths]


BLOCK_BYTES = 64_000_000  # read()'s default blocksize, in bytes
READ_BUFFER_BYTES = 1 << 18  # a Parquet column chunk is read 256 KiB at a time


def parquet_pieces(
    source: Source, columns: list[str], *, blocksize: int = BLOCK_BYTES
) -> list[Callable[[], object]] | None:
    """Readers of a local Parquet source's pieces, straight through pyarrow.

    Each reader returns a ``pyarrow.Table`` of ``columns`` holding a run of
    consecutive whole row groups of one file, up to ``blocksize`` bytes as the
    float64 arrays they become (rows × columns × 8; a larger row group is a
    piece of its own). ``read``'s partitions count a group's uncompressed bytes
    of every column instead: the same pieces for float64 files read whole, but
    int8 columns would make pieces eight times as large in memory (four files of
    5·10⁶ rows × 11 int8 columns took a default comparison to 2.27 GB).
    Streaming reads a piece at a time on its own; Dask's graph and pandas would
    add a scheduling round and a conversion per piece. None for CSV and URLs,
    which are read through Dask.
    """
    if source.format != "parquet" or source.remote:
        return None
    import pyarrow.parquet as pq

    pieces = []
    for path in source.paths:
        meta = pq.read_metadata(path)
        run, size = [], 0
        for group in range(meta.num_row_groups):
            nbytes = meta.row_group(group).num_rows * len(columns) * 8
            if run and size + nbytes > blocksize:
                pieces.append(functools.partial(_read_groups, path, run, columns))
                run, size = [], 0
            run, size = [*run, group], size + nbytes
        if run:
            pieces.append(functools.partial(_read_groups, path, run, columns))
    return pieces


def _read_groups(path: str, groups: list[int], columns: list[str]):
    """Row groups ``groups`` of a local file, ``columns`` only.

    ``pre_buffer`` (on by default) coalesces reads for high-latency file
    systems and reads them in Arrow's I/O threads; for a local file that is one
    more copy and thread hand-off per column chunk, so it is off here. Each
    column chunk is read through a buffer of ``READ_BUFFER_BYTES``, which stays
    in cache, rather than whole into fresh memory (pyarrow's ``buffer_size=0``):
    the read of 10⁸ rows × 11 columns fell from 1.2× DuckDB's scan to ~1.0×.
    A piece is decoded on the calling thread (``use_threads=False``): pieces
    are read in parallel already (Dask's threads for a pass, a reading
    thread beside the descending one in a streamed run), and pyarrow's pool
    on top of them puts more threads than cores to work (streamed SGD over
    10⁶ rows: 0.083 → 0.076 s).
    The file is read, not memory-mapped: a map would save copying its bytes out
    of the page cache (about an eighth of the read's CPU time on the benchmark's
    files: 8 of 62 ms for 10⁶ rows), but a file truncated while mapped kills
    the whole server with SIGBUS, where a read raises an error the page can show.
    """
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(path, pre_buffer=False, buffer_size=READ_BUFFER_BYTES)
    return reader.read_row_groups(groups, columns=columns, use_threads=False)
