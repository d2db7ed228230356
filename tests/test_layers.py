"""The layering of DESIGN.md, checked on the source so that it cannot rot."""

import ast
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
