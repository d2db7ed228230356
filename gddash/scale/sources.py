"""Where large data may come from, and reading it lazily through dask.dataframe.

A server reads its own files only under ``GDDASH_DATA_ROOT`` and fetches URLs only
when ``GDDASH_ALLOW_URLS=1``; both are off by default, so a public deployment
never lets a visitor read the server's files or make it fetch a URL.
"""

from __future__ import annotations

import functools
import glob as globbing
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

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
    if not _inside(Path(os.path.abspath(path)), root):
        raise DataError(
            f"{location!r} is outside the data folder: only files under "
            f"{ROOT_VARIABLE} can be read; give a path relative to it."
        )
    if _GLOB.search(str(path)):
        files = [Path(p) for p in sorted(globbing.glob(str(path), recursive=True))]
        files = [p for p in files if p.is_file()]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and _wanted(p))
    elif path.exists():
        files = [path]
    else:
        raise DataError(f"No file or folder {location!r} in the data folder.")
    if not files:
        raise DataError(
            f"{location!r} matches no CSV or Parquet file in the data folder."
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


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _format_of(name: str) -> str | None:
    return SUFFIXES.get(Path(name.split("?")[0]).suffix.lower())


def _wanted(path: Path) -> bool:
    """Data files of a folder (hidden files and ``_metadata`` left out)."""
    return not path.name.startswith((".", "_")) and _format_of(str(path)) is not None


def read(source: Source, columns: list[str] | None = None, *, blocksize: str = "64MB"):
    """A lazy ``dask.dataframe.DataFrame`` of ``source`` (only ``columns`` if given).

    Nothing is read but the schema: rows are read pass by pass, partition by
    partition. A partition holds at most about ``blocksize`` of data, so that the
    memory of a pass (a partition per thread) does not grow with the source: CSV
    files are cut into blocks of that size; Parquet files into runs of whole row
    groups (``split_row_groups="adaptive"`` reads every file's footer to plan
    them; a row group is the smallest piece Parquet can be read in, so one larger
    than ``blocksize`` is a partition of its own).
    """
    dd = require_dask()
    paths = list(source.paths) if not source.remote else source.paths[0]
    try:
        if source.format == "parquet":
            return dd.read_parquet(
                paths, columns=columns, split_row_groups="adaptive", blocksize=blocksize
            )
        return dd.read_csv(paths, usecols=columns, blocksize=blocksize)
    except (OSError, ValueError) as error:
        raise DataError(f"Could not read {source.location!r}: {error}") from None


BLOCK_BYTES = 64_000_000  # read()'s default blocksize, in bytes


def parquet_pieces(
    source: Source, columns: list[str], *, blocksize: int = BLOCK_BYTES
) -> list[Callable[[], object]] | None:
    """Readers of a local Parquet source's pieces, straight through pyarrow.

    Each reader returns a ``pyarrow.Table`` of ``columns`` holding a run of
    consecutive whole row groups of one file, up to ``blocksize`` bytes
    (uncompressed; a larger row group is a piece of its own), the rule of
    ``read``'s partitions. Streaming reads a piece at a time on its own; Dask's
    graph and pandas would add a scheduling round and a conversion per piece.
    None for CSV and URLs, which are read through Dask.
    """
    if source.format != "parquet" or source.remote:
        return None
    import pyarrow.parquet as pq

    pieces = []
    for path in source.paths:
        meta = pq.read_metadata(path)
        run, size = [], 0
        for group in range(meta.num_row_groups):
            nbytes = meta.row_group(group).total_byte_size
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
    more copy and thread hand-off per column chunk, so it is off here.
    """
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(path, pre_buffer=False)
    return reader.read_row_groups(groups, columns=columns)
