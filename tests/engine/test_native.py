"""Stored machine code: loaded without numba, identical to what numba compiled,
never trusted when damaged, and guarded against arrays a pointer cannot describe."""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gddash.engine import kernels, native

# Runs every kernel on seeded data and prints what it got and how it got the code.
RUNS = """
import json, sys
import numpy as np
from gddash.engine import (LinearRegression, LogisticRegression, Settings, descend,
                           native, warm_up)
if sys.argv[1] == "warm":
    warm_up()
rng = np.random.default_rng(4)
X = np.column_stack([np.ones(3001), rng.standard_normal((3001, 4))])
squared = LinearRegression(X, X @ rng.standard_normal(5))
logistic = LogisticRegression(X, (rng.random(3001) < 0.4) * 1.0)
runs = [
    (squared, Settings(variant="sgd", learning_rate=1e-3, max_epochs=2)),
    (logistic, Settings(variant="sgd", learning_rate=0.05, max_epochs=2)),
    (squared, Settings(variant="minibatch", batch_size=7, max_epochs=2)),
    (squared, Settings(variant="minibatch", batch_size=7, rule="adam", max_epochs=2)),
    (logistic, Settings(learning_rate=0.5, max_epochs=20)),
]
thetas = [[v.hex() for v in descend(p, s).theta] for p, s in runs]
print(json.dumps({
    "origins": {name: native.origin(name) for name in native.SIGNATURES},
    "numba": "numba" in sys.modules,
    "thetas": thetas,
}))
"""


def run_fresh(folder, mode):
    env = {**os.environ, "GDDASH_KERNEL_DIR": str(folder)}
    done = subprocess.run(
        [sys.executable, "-c", RUNS, mode],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_warm_up_compiles_every_kernel_and_a_later_process_loads_them_without_numba(
    tmp_path,
):
    first = run_fresh(tmp_path, "warm")
    assert set(first["origins"].values()) == {"compiled"}
    assert first["numba"]
    stored = sorted(p.name.split("-")[1] for p in tmp_path.glob("gddash-*.bin"))
    assert stored == sorted(native.SIGNATURES)

    second = run_fresh(tmp_path, "cold")
    assert set(second["origins"].values()) == {"stored"}
    assert not second["numba"]  # numba was neither imported nor started
    assert second["thetas"] == first["thetas"]  # bit for bit


@pytest.fixture(scope="module")
def compiled_plain_rows():
    return kernels.compile_c("plain_rows", *kernels.C_FUNCTIONS["plain_rows"])


def test_a_saved_kernel_loads_and_a_damaged_one_is_refused(
    tmp_path, compiled_plain_rows
):
    path = tmp_path / "gddash-plain_rows-test.bin"
    native._save(path, compiled_plain_rows)
    assert native._load(path)
    path.chmod(0o666)  # anyone could have written it: machine code not to run
    assert native._load(path) is None
    path.chmod(0o644)

    blob = bytearray(path.read_bytes())
    blob[-100] ^= 0xFF  # one flipped byte in the machine code
    path.write_bytes(bytes(blob))
    assert native._load(path) is None
    for header in (b"{}", b"[]", b'{"symbol": "f", "sha256": 1}', b"\xff"):
        path.write_bytes(b"gddash kernel 1\n" + header + b"\n\x7fELF")
        assert native._load(path) is None
    truncated = b"\x7fELF\x02\x01" + bytes(70)  # checksum right, object cut short
    header = json.dumps(
        {"symbol": "f", "sha256": hashlib.sha256(truncated).hexdigest()}
    )
    path.write_bytes(b"gddash kernel 1\n" + header.encode() + b"\n" + truncated)
    assert native._load(path) is None
    assert native._load(tmp_path / "missing.bin") is None


def test_a_symbol_found_nowhere_refuses_the_load_instead_of_aborting():
    assert native._resolve(["gddash_no_such_function"]) is None
    assert native._resolve(["PyExc_NoSuchError"]) is None
    found = native._resolve(["exp", "PyExc_RuntimeError", "numba_gil_ensure"])
    assert found["PyExc_RuntimeError"] == id(RuntimeError)  # as numba links it
    assert found["numba_gil_ensure"]


def test_undefined_symbols_are_read_from_the_object_file(compiled_plain_rows):
    code = compiled_plain_rows._library.serialize_using_object_code()[2][0]
    names = native._undefined_symbols(code)
    assert names and all(isinstance(n, str) and n for n in names)
    assert native._resolve(names) is not None
    with pytest.raises(ValueError, match="ELF64"):
        native._undefined_symbols(b"\xcf\xfa\xed\xfe" + bytes(60))  # Mach-O


def one_row_args(n=12, d=3):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    ipar, fpar = native.new_params()
    ipar[native.I_COUNT], ipar[native.I_STRIDE] = n, 4
    fpar[native.F_LR0] = 0.01
    return X, y, np.zeros(d), ipar, fpar, np.zeros((n // 4 + 1, d))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.update(X=a["X"].astype(np.float32)), "float64"),
        (lambda a: a.update(X=np.asfortranarray(a["X"])), "C-ordered"),
        (lambda a: a.update(y=a["y"][:-1]), r"shape \(12,\)"),
        (lambda a: a["theta"].setflags(write=False), "read-only"),
        (lambda a: a.update(path=a["path"][:2]), "do not fit a path of 2 rows"),
        (lambda a: a["ipar"].__setitem__(native.I_POS, 5), "run past 12 rows"),
        (lambda a: a["ipar"].__setitem__(native.I_STRIDE, 0), "a snapshot every 0"),
    ],
)
def test_arrays_a_kernel_would_misread_are_refused_before_the_call(change, message):
    names = ["X", "y", "theta", "ipar", "fpar", "path"]
    args = dict(zip(names, one_row_args(), strict=True))
    change(args)
    with pytest.raises(ValueError, match=message):
        native.sgd_rows(**args)


def test_logistic_sums_refuses_rows_outside_the_data():
    X, y = np.ones((4, 2)), np.zeros(4)
    with pytest.raises(ValueError, match=r"rows 2\.\.5 are outside 0\.\.4"):
        native.logistic_sums(X, y, np.zeros(2), 2, 5, np.empty(2))
