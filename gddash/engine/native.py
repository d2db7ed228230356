"""The compiled kernels as stored machine code, loaded without starting numba.

numba compiles each kernel (``kernels.py``, ``logistic_pass.py``) once into a
C-callable function, and its object code is saved in the cache folder. Any
later process maps that code into memory with llvmlite and calls it through
ctypes: ~20 ms in a fresh process, where a numba cache load needs numba itself
(0.2 s to import, 0.1 s to start its compiler). The stored code is keyed by the
kernels' sources, the numba, llvmlite and Python versions and the processor;
it is checked before use, and anything amiss falls back to compiling with numba.
It is the only cache: numba's own would cost 0.07 s more per cold compile and
still need numba started to load. (Where objects are not ELF, macOS and
Windows, each process compiles the kernels it uses.)

The functions at the bottom are the kernels' Python face: numpy arrays in,
checked for dtype, layout and shape, since a pointer carries none of them.
"""

from __future__ import annotations

import builtins
import ctypes
import functools
import hashlib
import importlib
import importlib.machinery
import importlib.util
import json
import os
import struct
import sys
import threading
from pathlib import Path

import numpy as np

# Integer slots of ``ipar`` and float slots of ``fpar`` (packed to keep calls cheap).
I_POS, I_COUNT, I_BATCH, I_LOGISTIC, I_RULE, I_SCHEDULE, I_T, I_STRIDE = range(8)
F_LR0, F_UPE, F_POWER_T, F_DROP, F_STEP_EPOCHS, F_DECAY, F_BETA1, F_BETA2, F_EPS = (
    range(9)
)
N_INT, N_FLOAT = 8, 9

# The log-loss pass works on tiles of this many rows: at d = 10 a tile (20 KB)
# stays in L1 from the product to the gradient (64 to 2048 rows measured alike).
TILE = 256

# Every kernel's C signature: its result and its arguments by name; an argument
# is a pointer to float64 or int64 values, or an int64.
_FLOAT_ARRAYS = ("X", "y", "theta", "grad", "m", "v", "fpar", "path", "scratch")
KINDS = {
    **dict.fromkeys(_FLOAT_ARRAYS, "float*"),
    "ipar": "int*",
    **dict.fromkeys(("n", "d", "path_rows", "start", "stop"), "int"),
}
_ONE_ROW = ("X", "n", "d", "y", "theta", "ipar", "fpar", "path", "path_rows")
SIGNATURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "sgd_squared": ("int", (*_ONE_ROW, "scratch")),
    "sgd_logistic": ("int", (*_ONE_ROW, "scratch")),
    "plain_rows": ("int", ("X", "n", "d", "y", "theta", "grad", *_ONE_ROW[5:])),
    "adaptive_rows": (
        "int",
        ("X", "n", "d", "y", "theta", "grad", "m", "v", *_ONE_ROW[5:]),
    ),
    "logistic_sums": (
        "float",
        ("X", "n", "d", "y", "theta", "start", "stop", "grad", "scratch"),
    ),
}
# The module that holds each kernel's C wrapper and its fastmath options (in
# its ``C_FUNCTIONS``).
_HOMES = {name: "gddash.engine.kernels" for name in SIGNATURES} | {
    "logistic_sums": "gddash.engine.logistic_pass"
}
# The files whose text decides the machine code.
_SOURCES = ("native.py", "kernels.py", "logistic_pass.py", "rules.py")
_HERE = Path(__file__).resolve().parent
_MAGIC = b"gddash kernel 1\n"


def new_params() -> tuple[np.ndarray, np.ndarray]:
    """Fresh packed parameter arrays for the kernels."""
    return np.zeros(N_INT, dtype=np.int64), np.zeros(N_FLOAT, dtype=np.float64)


def kernel_folder() -> Path:
    """Where stored kernels live: $GDDASH_KERNEL_DIR if set, else ``__pycache__``
    beside the sources, else (read-only sources) the user's cache folder. Never
    a shared temp folder: another user could leave machine code there."""
    if "GDDASH_KERNEL_DIR" in os.environ:
        return Path(os.environ["GDDASH_KERNEL_DIR"])
    if os.access(_HERE, os.W_OK):
        return _HERE / "__pycache__"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "gddash" / "kernels"


def _trusted(path: Path) -> bool:
    """Is ``path`` a file of this user's that no one else can write (POSIX)?
    Stored code is run as is, so a file anyone else could have written is not."""
    try:
        status = path.stat()
    except OSError:
        return False
    if not hasattr(os, "getuid"):
        return True
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


# -- loading: from the store, else compiled by numba (and stored) --------------------
_lock = threading.Lock()
_loaded: dict[str, tuple[ctypes._CFuncPtr, str]] = {}
_keep: list[object] = []  # the engines and numba functions the loaded code lives in


def origin(name: str) -> str | None:
    """How kernel ``name`` came into this process: "stored", "compiled", or
    None while it has not been used."""
    entry = _loaded.get(name)
    return None if entry is None else entry[1]


def _kernel(name: str) -> ctypes._CFuncPtr:
    entry = _loaded.get(name)
    if entry is None:
        with _lock:
            if name not in _loaded:
                _loaded[name] = _load_or_compile(name)
            entry = _loaded[name]
    return entry[0]


def _load_or_compile(name: str) -> tuple[ctypes._CFuncPtr, str]:
    returns, args = SIGNATURES[name]
    ctypes_of = {"float*": ctypes.c_void_p, "int*": ctypes.c_void_p}
    ctypes_of |= {"int": ctypes.c_int64, "float": ctypes.c_double}
    prototype = ctypes.CFUNCTYPE(
        ctypes_of[returns], *(ctypes_of[KINDS[a]] for a in args)
    )
    path = _stored_path(name)
    address = _load(path)
    if address is not None:
        return prototype(address), "stored"
    from gddash.engine import kernels  # imports numba

    home = importlib.import_module(_HOMES[name])
    compiled = kernels.compile_c(name, *home.C_FUNCTIONS[name])
    _keep.append(compiled)
    _save(path, compiled)
    return prototype(compiled.address), "compiled"


def _llvm():
    import llvmlite.binding as llvm  # ~17 ms, against numba's ~300 ms

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm


@functools.cache
def _machine():
    """This processor as LLVM's target (what the stored code was compiled for)."""
    llvm = _llvm()
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        codemodel="jitdefault",
    )


def _stored_path(name: str) -> Path:
    return kernel_folder() / f"gddash-{name}-{_code_key()}.bin"


@functools.cache
def _code_key() -> str:
    """What decides the machine code: sources, versions, processor, numba settings."""
    key = hashlib.sha256()
    for source in _SOURCES:
        key.update((_HERE / source).read_bytes())
    key.update((_numba_home() / "_version.py").read_bytes())  # numba not imported
    import llvmlite

    llvm = _llvm()
    numba_settings = sorted(
        kv for kv in os.environ.items() if kv[0].startswith("NUMBA_")
    )
    key.update(
        repr(
            (
                llvmlite.__version__,
                sys.version,
                llvm.get_host_cpu_name(),
                llvm.get_host_cpu_features().flatten(),
                numba_settings,
            )
        ).encode()
    )
    return key.hexdigest()[:20]


def _save(path: Path, compiled) -> None:
    """Write a numba ``cfunc``'s object code and entry symbol (atomically)."""
    try:
        _, kind, (code, _) = compiled._library.serialize_using_object_code()
        symbol = compiled.native_name
    except (AttributeError, TypeError, ValueError):  # another numba's internals
        return
    if kind != "object":
        return
    header = {"symbol": symbol, "sha256": hashlib.sha256(code).hexdigest()}
    blob = _MAGIC + json.dumps(header).encode() + b"\n" + code
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_bytes(blob)
        partial.chmod(0o644)  # whatever the umask: see _trusted
        os.replace(partial, path)
        stem = path.name.rsplit("-", 1)[0]
        for stale in path.parent.glob(f"{stem}-*.bin"):  # older sources or versions
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full disk: compile again next time


def _load(path: Path) -> int | None:
    """Map a stored kernel into memory; its address, or None if unusable."""
    if not _trusted(path):
        return None
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    if not blob.startswith(_MAGIC):
        return None
    try:
        line, code = blob[len(_MAGIC) :].split(b"\n", 1)
        header = json.loads(line)
        if hashlib.sha256(code).hexdigest() != header["sha256"]:
            return None
        symbols = _resolve(_undefined_symbols(code))
        if symbols is None:
            return None
        llvm = _llvm()
        for symbol, address in symbols.items():
            llvm.add_symbol(symbol, address)
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), _machine())
        engine.add_object_file(llvm.ObjectFileRef.from_data(code))
        engine.finalize_object()
        address = engine.get_function_address(header["symbol"])
    except (ValueError, KeyError, TypeError, IndexError, RuntimeError, struct.error):
        return None
    if not address:
        return None
    _keep.append(engine)
    return address


def _undefined_symbols(code: bytes) -> list[str]:
    """The names an ELF64 little-endian object file needs from elsewhere.

    Raises ValueError for any other format (macOS or Windows objects: those
    platforms compile with numba in every process).
    """
    if code[:4] != b"\x7fELF" or code[4] != 2 or code[5] != 1:
        raise ValueError("not an ELF64 little-endian object")
    (table_at,) = struct.unpack_from("<Q", code, 0x28)
    entry_size, count = struct.unpack_from("<HH", code, 0x3A)
    # section header: name, type, flags, addr, offset, size, link, ...
    sections = [
        struct.unpack_from("<IIQQQQI", code, table_at + k * entry_size)
        for k in range(count)
    ]
    names = []
    for _, kind, _, _, offset, size, link in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        strings = sections[link][4]
        for k in range(size // 24):
            name, _, _, section, _, _ = struct.unpack_from(
                "<IBBHQQ", code, offset + 24 * k
            )
            if section == 0 and name:  # SHN_UNDEF, named
                end = code.index(b"\0", strings + name)
                names.append(code[strings + name : end].decode())
    return names


def _resolve(names: list[str]) -> dict[str, int] | None:
    """Addresses for what LLVM cannot find in the process itself, as numba gives
    them (its C helpers; a Python exception type is the object itself), or None
    if a name is nowhere: an unresolved symbol would abort the process."""
    helpers = _numba_helpers()
    process = ctypes.CDLL(None)
    found = {"_Py_NoneStruct": id(None)}
    for name in names:
        if name in helpers:
            found[name] = helpers[name]
        elif name.startswith("PyExc_"):
            exception = getattr(builtins, name[len("PyExc_") :], None)
            if not (
                isinstance(exception, type) and issubclass(exception, BaseException)
            ):
                return None
            found[name] = id(exception)
        elif not hasattr(process, name):  # dlsym: libc, libm, the Python C API
            return None
    return found


@functools.cache
def _numba_helpers() -> dict[str, int]:
    """numba's C helper functions by symbol name, read from its extension modules
    without importing numba (0.4 ms instead of 0.2 s)."""
    home = _numba_home()
    helpers = {}
    for module, prefix in (
        ("_helperlib", "numba_"),
        ("_dynfunc", "numba_"),
        ("core.runtime._nrt_python", "NRT_"),
    ):
        for name, address in _extension(home, module).c_helpers.items():
            # numba's own rule: a leading underscore marks an internal NRT name
            internal = prefix == "NRT_" and name.startswith("_")
            helpers[name if internal else prefix + name] = address
    return helpers


def _numba_home() -> Path:
    """numba's package folder, found without importing numba."""
    return Path(importlib.util.find_spec("numba").submodule_search_locations[0])


def _extension(home: Path, module: str):
    full = f"numba.{module}"
    if full in sys.modules:
        return sys.modules[full]
    folder = home.joinpath(*module.split(".")[:-1])
    stem = module.rsplit(".", 1)[-1]
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / (stem + suffix)
        if path.exists():
            loader = importlib.machinery.ExtensionFileLoader(full, str(path))
            spec = importlib.util.spec_from_file_location(full, path, loader=loader)
            extension = importlib.util.module_from_spec(spec)
            loader.exec_module(extension)
            return extension
    raise RuntimeError(f"numba's {module} extension is missing")


# -- the kernels' Python face ----------------------------------------------------------
def _floats(a: np.ndarray, shape: tuple[int, ...], written: bool = False) -> int:
    return _address(a, np.float64, shape, written)


def _address(a: np.ndarray, dtype, shape: tuple[int, ...], written: bool) -> int:
    if a.dtype != dtype or a.shape != shape or not a.flags.c_contiguous:
        raise ValueError(
            f"a kernel needs a C-ordered {np.dtype(dtype)} array of shape {shape}, "
            f"got {a.dtype} {a.shape} (C-ordered: {a.flags.c_contiguous})"
        )
    if written and not a.flags.writeable:
        raise ValueError("a kernel writes to this array, but it is read-only")
    return a.ctypes.data


def _common(X, y, theta, ipar, fpar, path, rows_per_update: int) -> tuple:
    """The arguments every row kernel shares, after the checks that keep its
    reads and writes inside the arrays (compiled code does not check indices)."""
    n, d = X.shape
    pos, count, t, stride = (int(ipar[k]) for k in (I_POS, I_COUNT, I_T, I_STRIDE))
    if stride < 1 or count < 0 or (t + count) // stride >= len(path):
        raise ValueError(
            f"{count} updates from update {t}, a snapshot every {stride}, "
            f"do not fit a path of {len(path)} rows"
        )
    if not 0 <= pos <= n or (rows_per_update == 1 and pos + count > n):
        raise ValueError(f"{count} updates from row {pos} run past {n} rows")
    return (
        _floats(X, (n, d)),
        n,
        d,
        _floats(y, (n,)),
        _floats(theta, (d,), written=True),
        _address(ipar, np.int64, (N_INT,), False),
        _floats(fpar, (N_FLOAT,)),
        _floats(path, (len(path), d), written=True),
        len(path),
    )


def sgd_rows(X, y, theta, ipar, fpar, path) -> int:
    """One-row updates of the loss ``ipar[I_LOGISTIC]`` picks (see ``kernels``)."""
    name = "sgd_logistic" if ipar[I_LOGISTIC] else "sgd_squared"
    scratch = np.empty(theta.shape[0])
    args = _common(X, y, theta, ipar, fpar, path, rows_per_update=1)
    return _kernel(name)(*args, _floats(scratch, scratch.shape, written=True))


def plain_rows(X, y, theta, grad, ipar, fpar, path) -> int:
    """Plain updates of ``ipar[I_BATCH]`` rows each (see ``kernels``)."""
    x, n, d, yp, tp, *rest = _common(X, y, theta, ipar, fpar, path, ipar[I_BATCH])
    return _kernel("plain_rows")(x, n, d, yp, tp, _floats(grad, (d,), True), *rest)


def adaptive_rows(X, y, theta, grad, m, v, ipar, fpar, path) -> int:
    """Updates of any rule and schedule, rule state in m and v (see ``kernels``)."""
    x, n, d, yp, tp, *rest = _common(X, y, theta, ipar, fpar, path, ipar[I_BATCH])
    state = [_floats(a, (d,), written=True) for a in (grad, m, v)]
    return _kernel("adaptive_rows")(x, n, d, yp, tp, *state, *rest)


def logistic_sums(X, y, theta, start: int, stop: int, grad) -> float:
    """Σ log-loss and Σ (σ(z) − y) x over rows start .. stop−1 (``logistic_pass``)."""
    n, d = X.shape
    if not 0 <= start <= stop <= n:
        raise ValueError(f"rows {start}..{stop} are outside 0..{n}")
    scratch = np.empty(3 * TILE + d)
    return _kernel("logistic_sums")(
        _floats(X, (n, d)),
        n,
        d,
        _floats(y, (n,)),
        _floats(theta, (d,)),
        start,
        stop,
        _floats(grad, (d,), written=True),
        _floats(scratch, scratch.shape, written=True),
    )
