"""The layering of docs/ARCHITECTURE.md, checked on the source so that it cannot rot."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gddash"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def modules(where: Path) -> list[Path]:
    return sorted(where.rglob("*.py"))


@pytest.mark.parametrize(
    "path",
    [p for p in modules(PACKAGE) if "ui" not in p.relative_to(PACKAGE).parts],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_nothing_below_the_ui_imports_streamlit(path):
    assert "streamlit" not in imported_modules(path)


@pytest.mark.parametrize(
    "path", modules(PACKAGE / "engine"), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_the_engine_imports_neither_pandas_nor_chart_libraries(path):
    forbidden = {"pandas", "streamlit", "altair", "plotly", "sympy"}
    assert not imported_modules(path) & forbidden


@pytest.mark.parametrize("path", modules(PACKAGE), ids=lambda p: str(p.name))
def test_no_module_evaluates_text(path):
    calls = {
        node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name | ast.Attribute)
    }
    assert not calls & {"eval", "exec", "sympify", "parse_expr"}


def test_importing_the_engine_does_not_import_numba():
    import subprocess
    import sys

    code = "import gddash.engine, sys; print('numba' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    assert out.stdout.strip() == "False"


NUMBA_ROOTS = ("numba", "llvmlite")


def private_compiler_uses(path: Path) -> list[str]:
    """Underscore names of numba or llvmlite a module imports, reads or passes.

    Their private parts change without notice between releases; the engine
    keeps to the public API (``numba.njit`` and its documented options).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bound, found = set(), []

    def private(*parts: str) -> bool:
        return any(p.startswith("_") and not p.startswith("__") for p in parts)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in NUMBA_ROOTS:
                    bound.add(alias.asname or alias.name.split(".")[0])
                    if private(*alias.name.split(".")):
                        found.append(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] in NUMBA_ROOTS:
                for alias in node.names:
                    bound.add(alias.asname or alias.name)
                    if private(*parts, alias.name):
                        found.append(f"{node.module}.{alias.name}")

    def root(node: ast.AST) -> str | None:
        while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
            node = node.func if isinstance(node, ast.Call) else node.value
        return node.id if isinstance(node, ast.Name) else None

    for node in ast.walk(tree):
        attribute = isinstance(node, ast.Attribute)
        if attribute and private(node.attr) and root(node) in bound:
            found.append(node.attr)
        if isinstance(node, ast.Call) and root(node.func) in bound:
            found += [k.arg for k in node.keywords if k.arg and private(k.arg)]
    return found


@pytest.mark.parametrize("path", modules(PACKAGE), ids=lambda p: str(p.name))
def test_no_module_uses_private_parts_of_numba_or_llvmlite(path):
    assert private_compiler_uses(path) == []
    # numba's C helpers and stored machine code, by name
    banned = re.compile(
        r"_helperlib|_dynfunc|_nrt_python|serialize_using_object_code|ELF|ipar|fpar"
    )
    assert not banned.findall(path.read_text(encoding="utf-8"))


def test_the_private_use_check_sees_attributes_imports_and_options(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import numba\n"
        "from numba.core import _helperlib as h\n"
        "f = numba.njit(_nrt=False)\n"
        "g = numba.njit(cache=True)(len).overloads\n"
        "k = numba.njit(cache=True)(len)._library\n"
    )
    found = private_compiler_uses(sample)
    assert sorted(found) == ["_library", "_nrt", "numba.core._helperlib"]


@pytest.mark.parametrize(
    "path",
    modules(PACKAGE.parent / "tests"),
    ids=lambda p: str(p.relative_to(PACKAGE.parent)),
)
def test_no_test_imports_the_benchmarks(path):
    # Benchmarks may use the tests' browser helpers; never the other way round.
    assert "benchmarks" not in imported_modules(path)
