"""Tests for gddash.functions: typed formulas are parsed safely and differentiated.

Two corpora: hostile input (each refused with its own message, without running
anything; tests/test_hostile_formulas.py holds the expensive cases) and valid input (parsed as meant; its symbolic gradient and
Hessian agree with finite differences of independent numpy references).
"""

from __future__ import annotations

import ast
import builtins
import os
import pickle
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gddash import functions
from gddash.errors import ExpressionError, SettingsError
from gddash.functions import (
    MAX_BRACKET_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NESTING_DEPTH,
    PRESETS,
    Preset,
    StationaryKind,
    SymbolicFunction,
    get_preset,
    parse_expression,
    symbolic_function,
)

x, y = sympy.symbols("x y", real=True)


# --- hostile corpus -----------------------------------------------------------------

HOSTILE = [
    # code injection through dunder attributes, imports, builtins
    pytest.param(
        "().__class__.__bases__[0].__subclasses__()",
        "attribute access '.__class__' is not allowed",
        id="dunder-subclasses-chain",
    ),
    pytest.param(
        "__import__('os').system('echo hi')",
        "attribute access '.system' is not allowed",
        id="import-os-system",
    ),
    pytest.param(
        "__import__('os')", "unknown function '__import__'", id="dunder-import"
    ),
    pytest.param("exec('1')", "unknown function 'exec'", id="exec-call"),
    pytest.param("eval('2')", "unknown function 'eval'", id="eval-call"),
    pytest.param("eval", "unknown name 'eval': use x and y", id="eval-name"),
    pytest.param("open('/etc/passwd')", "unknown function 'open'", id="open-file"),
    pytest.param("getattr(x, '__class__')", "unknown function 'getattr'", id="getattr"),
    pytest.param("globals()", "unknown function 'globals'", id="globals"),
    pytest.param(
        "(lambda: __import__('os'))()",
        "unknown function '__import__'",
        id="called-lambda",
    ),
    pytest.param("x.real", "attribute access '.real' is not allowed", id="attribute"),
    pytest.param(
        "x.__class__.__mro__",
        "attribute access '.__class__' is not allowed",
        id="dunder-attribute",
    ),
    pytest.param("sin.__globals__", "'sin' is a function", id="function-attribute"),
    pytest.param("x[0]", "subscript 'x[0]' is not allowed", id="subscript"),
    pytest.param("lambda: 1", "lambda functions are not allowed", id="lambda"),
    pytest.param("[x for x in ()]", "comprehensions", id="list-comprehension"),
    pytest.param("sum(x for x in (1, 2))", "unknown function 'sum'", id="generator"),
    pytest.param("'a'*10**9", "text in quotes is not allowed", id="string-bomb"),
    pytest.param("b'abc'", "text in quotes is not allowed", id="bytes"),
    pytest.param("f'{x}'", "f-strings are not allowed", id="f-string"),
    pytest.param("'abc", "unterminated quote at position 1", id="open-quote"),
    pytest.param("import os", "'import' is a Python keyword", id="import-statement"),
    pytest.param("del x", "'del' is a Python keyword", id="del-statement"),
    pytest.param("x; import os", "';' is not allowed", id="second-statement"),
    pytest.param(
        "x\nimport os", "line break at position 2", id="newline-second-statement"
    ),
    pytest.param("x\r\n__import__('os')", "line break at position 2", id="crlf"),
    pytest.param("x\x00", "control character U+0000 at position 2", id="nul-byte"),
    pytest.param("x\x1b[2J", "control character U+001B", id="escape-sequence"),
    pytest.param("x if y else 1", "conditional 'if ... else'", id="if-else"),
    pytest.param("x == y", "comparison '==' is not allowed", id="equality"),
    pytest.param("x < y", "comparison '<' is not allowed", id="less-than"),
    pytest.param("x and y", "'and' is not allowed", id="and"),
    pytest.param("x or y", "'or' is not allowed", id="or"),
    pytest.param("not x", "'not' is not allowed", id="not"),
    pytest.param("(x := 1)", "assignment ':=' is not allowed", id="walrus"),
    pytest.param("sin(*x)", "starred argument '*x' is not allowed", id="starred"),
    pytest.param("sin(x, base=2)", "keyword argument 'base='", id="keyword-argument"),
    pytest.param("x // y", "operator '//' is not allowed: use /", id="floor-div"),
    pytest.param("x % 2", "operator '%' is not allowed", id="modulo"),
    pytest.param("x @ y", "operator '@' is not allowed", id="matmul"),
    pytest.param("~x", "operator '~' is not allowed", id="invert"),
    pytest.param("{1: 2}", "a dict '{1: 2}' is not allowed", id="dict"),
    pytest.param("(x, y)", "a tuple '(x, y)' is not allowed", id="tuple"),
    pytest.param("True", "'True' is not a number", id="true"),
    pytest.param("...", "'Ellipsis' is not a number", id="ellipsis"),
    pytest.param("x # comment", "'#' (a comment) is not allowed", id="comment"),
    pytest.param("x \\ y", "character '\\\\' at position 3", id="backslash"),
    pytest.param("`x`", "character '`' at position 1", id="backtick"),
    # huge numbers and powers
    pytest.param("9**9**9", "exponent in '9 ** 9 ** 9' is too large", id="9-9-9"),
    pytest.param("x**99999999", "exponent in 'x ** 99999999' is too large", id="x-pow"),
    pytest.param("10**10**10", "exponent in '10 ** 10 ** 10' is too large", id="10-10"),
    pytest.param("2**1000000", "exponent in '2 ** 1000000' is too large", id="2-1e6"),
    pytest.param("x^101", f"powers are limited to ±{MAX_EXPONENT}", id="x-pow-101"),
    pytest.param(
        "(x**100)**100", "the formula makes the power 'x**10000'", id="pow-of-pow"
    ),
    pytest.param("x^100 * x^100", "makes the power 'x**200'", id="pow-times-pow"),
    pytest.param("e**e**e**e", "exponent in 'e ** e ** e ** e'", id="e-tower"),
    pytest.param(
        "(10^15)^20 * (10^15)^20",
        "is out of range: constants must stay within 1e±300",
        id="constant-product",
    ),
    pytest.param("(2^99)^(-99)", "is out of range (about 10^-2950)", id="tiny-power"),
    pytest.param("exp(1000)", "the argument of exp must stay within ±700", id="exp"),
    pytest.param(
        "exp(exp(exp(100)))", "the argument of exp must stay within", id="exp-tower"
    ),
    pytest.param("cosh(-800) x", "the argument of cosh", id="cosh"),
    pytest.param("1e999", "number '1e999' is out of range", id="1e999-inf"),
    pytest.param("1e-999", "number '1e-999' is out of range", id="1e-999"),
    pytest.param(
        "1e-999999999", "number '1e-999999999' is out of range", id="huge-exponent"
    ),
    pytest.param(
        "9" * 400,
        "number '999999999999999999999...' is too large",
        id="400-digit-literal",
    ),
    pytest.param("1e16 x", "is too large: numbers are limited to ±1e+15", id="1e16"),
    pytest.param("factorial(99999)", "unknown function 'factorial'", id="factorial"),
    # size and nesting
    pytest.param(
        "(" * 10_000 + "x" + ")" * 10_000,
        "the formula is too long (20001 characters)",
        id="nested-10000-deep",
    ),
    pytest.param(
        "(" * (MAX_BRACKET_DEPTH + 1) + "x" + ")" * (MAX_BRACKET_DEPTH + 1),
        f"brackets are nested too deeply (more than {MAX_BRACKET_DEPTH} levels)",
        id="nested-brackets",
    ),
    pytest.param(
        "-" * 100_000 + "x", "too long (100001 characters)", id="unary-100000"
    ),
    pytest.param(
        "-" * (MAX_NESTING_DEPTH + 5) + "x",
        f"nested too deeply (more than {MAX_NESTING_DEPTH} levels)",
        id="unary-chain",
    ),
    pytest.param(
        "x" * 600, f"too long (600 characters): at most {MAX_LENGTH}", id="600-chars"
    ),
    pytest.param(
        "^".join(["x"] * 25),
        "too complex to differentiate quickly",
        id="power-tower",
    ),
    pytest.param(
        "exp(sin(" * 9 + "x" + ")*y)" * 9,
        "too complex to differentiate quickly",
        id="exp-sin-chain",
    ),
    pytest.param("(x)(", "unbalanced brackets: 1 bracket(s) opened", id="unclosed"),
    pytest.param("x))", "')' at position 2 closes nothing", id="unopened"),
    # unicode look-alikes are refused by name, never mapped
    pytest.param(
        "\u0445^2 + y",
        "'х' (U+0445 CYRILLIC SMALL LETTER HA) at position 1",
        id="cyr-x",
    ),
    pytest.param(
        "\uff58 + 1", "U+FF58 FULLWIDTH LATIN SMALL LETTER X", id="fullwidth-x"
    ),
    pytest.param(
        "s\u0456n(x)",
        "U+0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I",
        id="cyr-i",
    ),
    pytest.param("x + \u0443", "CYRILLIC SMALL LETTER U", id="cyr-y"),
    pytest.param("\U0001d465^2", "MATHEMATICAL ITALIC SMALL X", id="math-italic-x"),
    pytest.param("x\u200by", "U+200B ZERO WIDTH SPACE", id="zero-width-space"),
    pytest.param("x\u202ey", "U+202E RIGHT-TO-LEFT OVERRIDE", id="bidi-override"),
    # maths that is undefined or not real
    pytest.param("1/0", "division by zero in '1 / 0'", id="one-over-zero"),
    pytest.param("x/(1 - 1)", "division by zero in 'x / (1 - 1)'", id="x-over-zero"),
    pytest.param("0^(-1)", "division by zero in '0 ** (-1)'", id="zero-pow-neg"),
    pytest.param("log(0)", "'log(0)' is undefined", id="log-zero"),
    pytest.param("tan(pi/2)", "'tan(pi / 2)' is undefined", id="tan-pole"),
    pytest.param("sqrt(-1)", "'sqrt(-1)' is not a real number", id="sqrt-neg"),
    pytest.param("asin(2) x", "'asin(2)' is not a real number", id="asin-2"),
    pytest.param("log(x, 1)", "the base of 'log(x, 1)' must be positive", id="log-1"),
    pytest.param(
        "(-1)^x", "a number raised to a variable power must be positive", id="neg-base"
    ),
    # empty, unknown, misuse
    pytest.param("", "the formula is empty", id="empty"),
    pytest.param("   \t ", "the formula is empty", id="blank"),
    pytest.param("z", "unknown name 'z': use x and y", id="unknown-z"),
    pytest.param("X + y", "unknown name 'X': use x and y (names are case", id="upper"),
    pytest.param("xyz", "unknown name 'xyz': use x and y", id="xyz"),
    pytest.param("sin", "'sin' is a function: write sin(...)", id="bare-function"),
    pytest.param("sin^2(x)", "write sin(x)^2, not sin^2(x)", id="sin-squared"),
    pytest.param("sin(x, y)", "sin() takes exactly 1 argument, got 2", id="arity"),
    pytest.param("min(x)", "min() takes 2 to 4 arguments, got 1", id="min-one"),
    pytest.param(
        "x +", "could not read the formula (invalid syntax)", id="dangling-plus"
    ),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("text", "fragment"), HOSTILE)
def test_hostile_input_is_refused_with_its_message(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        symbolic_function(text)
    assert fragment in str(caught.value)


def test_hostile_messages_are_short_enough_to_show() -> None:
    for param in HOSTILE:
        with pytest.raises(ExpressionError) as caught:
            symbolic_function(param.values[0])
        assert len(str(caught.value)) < 200, param.id


def test_unknown_name_in_one_variable_mode_says_use_x() -> None:
    with pytest.raises(ExpressionError, match=r"unknown name 'y': use x$"):
        parse_expression("x + y", ("x",))


def test_errors_are_value_errors_for_callers_that_catch_those() -> None:
    with pytest.raises(ValueError):
        parse_expression("import os")


@pytest.mark.parametrize("variables", [("sin",), ("x", "x"), ("X",), ("e",), ()])
def test_bad_variable_names_are_refused(variables: tuple[str, ...]) -> None:
    with pytest.raises(ExpressionError):
        parse_expression("1", variables)


def test_non_text_input_is_refused() -> None:
    with pytest.raises(ExpressionError, match="must be text"):
        parse_expression(b"x")  # type: ignore[arg-type]


@pytest.mark.timeout(10)
def test_dunder_attribute_chain_is_refused_without_running(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing a visitor types reaches the interpreter: sentinels stay untouched.

    ``compile`` may only be called to build a syntax tree (``ast.parse`` does so
    with ``PyCF_ONLY_AST``); ``eval``, ``exec``, ``os.system`` and ``Popen`` must
    not be called at all, and no file may appear.
    """
    calls: list[str] = []
    real_import = builtins.__import__
    real_compile = builtins.compile

    def spy_compile(
        source: object,
        filename: str,
        mode: str,
        flags: int = 0,
        *args: object,
        **kwargs: object,
    ) -> object:
        if not flags & ast.PyCF_ONLY_AST:
            calls.append(f"compile {source!r}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def spy_import(name: str, *args: object, **kwargs: object) -> object:
        if name.split(".")[0] in {"os", "subprocess", "shutil", "pathlib"}:
            calls.append(f"import {name}")
        return real_import(name, *args, **kwargs)

    def forbidden(*args: object, **kwargs: object) -> None:
        calls.append(f"call {args!r}")
        raise AssertionError("user text ran code")

    monkeypatch.setattr(builtins, "__import__", spy_import)
    monkeypatch.setattr(builtins, "compile", spy_compile)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(os, "system", forbidden)
    monkeypatch.setattr(os, "popen", forbidden)
    monkeypatch.setattr(subprocess, "Popen", forbidden)
    monkeypatch.chdir(tmp_path)
    canary = tmp_path / "canary"
    attacks = [
        "().__class__.__bases__[0].__subclasses__()",
        "__import__('os').system('touch canary')",
        "__import__('pathlib').Path('canary').touch()",
        "open('canary', 'w').write('x')",
        "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen']",
        "(lambda: __import__('os').system('touch canary'))()",
        "x\n__import__('os').system('touch canary')",
        "f\"{__import__('os').system('touch canary')}\"",
    ]
    for attack in attacks:
        with pytest.raises(ExpressionError):
            symbolic_function(attack)
    assert calls == []
    assert not canary.exists()


PACKAGE_MODULES = sorted(Path(functions.__file__).parent.glob("*.py"))


def test_the_package_holds_the_parser_the_maths_and_the_presets() -> None:
    names = {path.stem for path in PACKAGE_MODULES}
    assert {"__init__", "parse", "symbolic", "presets"} <= names


@pytest.mark.parametrize("path", PACKAGE_MODULES, ids=lambda path: path.name)
def test_module_source_never_evaluates_text(path: Path) -> None:
    """No module calls the evaluating builtins or sympy's string parsers."""
    source = path.read_text(encoding="utf-8")
    for forbidden in ("eval(", "exec(", "sympify(", "parse_expr("):
        assert forbidden not in source
    tree = ast.parse(source)
    names: set[str] = set()  # f(...)
    attributes: set[str] = set()  # module.f(...)
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                attributes.add(node.func.attr)
        elif isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not names & {"eval", "exec", "compile", "__import__", "getattr"}
    assert not (names | attributes) & {"sympify", "parse_expr", "parse_latex", "S"}
    assert not imported & {"streamlit", "pandas"}


@pytest.mark.timeout(120)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [*"xyzeE0123456789.+-*/^() ,_[]'\"=:;<>!&|~@%#\\{}", "sin", "exp", "**"]
        ),
        max_size=40,
    ).map("".join)
)
def test_random_text_is_either_parsed_or_refused_with_expression_error(
    text: str,
) -> None:
    try:
        function = symbolic_function(text)
    except ExpressionError as error:
        assert str(error)
    else:
        assert isinstance(function.expr, sympy.Expr)


# --- valid corpus ---------------------------------------------------------------------

Reference = Callable[..., float]


# (text, variables, numpy reference, sampling box per variable)
VALID: list[tuple[str, tuple[str, ...], Reference, tuple[tuple[float, float], ...]]] = [
    ("x^2 + y^2", ("x", "y"), lambda a, b: a**2 + b**2, ((-3, 3), (-3, 3))),
    (
        "2x^2 + 3xy - y^2",
        ("x", "y"),
        lambda a, b: 2 * a**2 + 3 * a * b - b**2,
        ((-3, 3), (-3, 3)),
    ),
    (
        "3x y + 2(x+1)(y-1)",
        ("x", "y"),
        lambda a, b: 3 * a * b + 2 * (a + 1) * (b - 1),
        ((-3, 3), (-3, 3)),
    ),
    ("(x+1)(y-1)", ("x", "y"), lambda a, b: (a + 1) * (b - 1), ((-3, 3), (-3, 3))),
    ("x y + 2pi x", ("x", "y"), lambda a, b: a * b + 2 * np.pi * a, ((-3, 3), (-3, 3))),
    (
        "3sin(x) + 2cos(y)",
        ("x", "y"),
        lambda a, b: 3 * np.sin(a) + 2 * np.cos(b),
        ((-3, 3), (-3, 3)),
    ),
    (
        "SIN(x) * COS(y)",
        ("x", "y"),
        lambda a, b: np.sin(a) * np.cos(b),
        ((-3, 3), (-3, 3)),
    ),
    (
        "  x ^ 3  -  3 x y ^ 2  ",
        ("x", "y"),
        lambda a, b: a**3 - 3 * a * b**2,
        ((-2, 2), (-2, 2)),
    ),
    (
        "exp(-x^2 - y^2)",
        ("x", "y"),
        lambda a, b: np.exp(-(a**2) - b**2),
        ((-2, 2), (-2, 2)),
    ),
    (
        "e^(x/2) + e y",
        ("x", "y"),
        lambda a, b: np.exp(a / 2) + np.e * b,
        ((-3, 3), (-3, 3)),
    ),
    (
        "log(x^2 + y^2 + 1)",
        ("x", "y"),
        lambda a, b: np.log(a**2 + b**2 + 1),
        ((-3, 3), (-3, 3)),
    ),
    (
        "ln(1 + x^2) + log(y + 5, 2)",
        ("x", "y"),
        lambda a, b: np.log(1 + a**2) + np.log2(b + 5),
        ((-3, 3), (-3, 3)),
    ),
    (
        "sqrt(x^2 + y^2 + 1)",
        ("x", "y"),
        lambda a, b: np.sqrt(a**2 + b**2 + 1),
        ((-3, 3), (-3, 3)),
    ),
    (
        "abs(x - 1) + abs(y + 0.5)",
        ("x", "y"),
        lambda a, b: abs(a - 1) + abs(b + 0.5),
        ((-3, 3), (-3, 3)),
    ),
    (
        "max(x, y) + min(x^2, y)",
        ("x", "y"),
        lambda a, b: max(a, b) + min(a**2, b),
        ((-3, 3), (-3, 3)),
    ),
    ("Max(x, y, 1)", ("x", "y"), lambda a, b: max(a, b, 1), ((-3, 3), (-3, 3))),
    (
        "tanh(x) + sinh(y/2) - cosh(x/3)",
        ("x", "y"),
        lambda a, b: np.tanh(a) + np.sinh(b / 2) - np.cosh(a / 3),
        ((-3, 3), (-3, 3)),
    ),
    (
        "atan(x y) + asin(x/4) + acos(y/4)",
        ("x", "y"),
        lambda a, b: np.arctan(a * b) + np.arcsin(a / 4) + np.arccos(b / 4),
        ((-3, 3), (-3, 3)),
    ),
    (
        "tan(x/3) + sign(y) y^2",
        ("x", "y"),
        lambda a, b: np.tan(a / 3) + np.sign(b) * b**2,
        ((-3, 3), (-3, 3)),
    ),
    (
        "sin(cos(exp(x/4))) + y^3/3",
        ("x", "y"),
        lambda a, b: np.sin(np.cos(np.exp(a / 4))) + b**3 / 3,
        ((-3, 3), (-3, 3)),
    ),
    (
        "x² + 2·x·y − y²",
        ("x", "y"),
        lambda a, b: a**2 + 2 * a * b - b**2,
        ((-3, 3), (-3, 3)),
    ),
    (
        "2π x + 1e-3 y^2",
        ("x", "y"),
        lambda a, b: 2 * np.pi * a + 1e-3 * b**2,
        ((-3, 3), (-3, 3)),
    ),
    (
        "1/(1 + x^2 + y^2)",
        ("x", "y"),
        lambda a, b: 1 / (1 + a**2 + b**2),
        ((-3, 3), (-3, 3)),
    ),
    (
        "(x - 2)^4 + (x - 2y)^2",
        ("x", "y"),
        lambda a, b: (a - 2) ** 4 + (a - 2 * b) ** 2,
        ((-3, 3), (-3, 3)),
    ),
    ("x^-2 + y", ("x", "y"), lambda a, b: a**-2.0 + b, ((0.5, 3), (-3, 3))),
    (
        "x⁻¹ + sqrt(y)",
        ("x", "y"),
        lambda a, b: 1 / a + np.sqrt(b),
        ((0.5, 3), (0.5, 3)),
    ),
    (
        "0.5 x^2 + 10 y^2",
        ("x", "y"),
        lambda a, b: 0.5 * a**2 + 10 * b**2,
        ((-3, 3), (-3, 3)),
    ),
    ("5", ("x", "y"), lambda a, b: 5.0, ((-3, 3), (-3, 3))),
    ("x^2 + 2x + 3", ("x",), lambda a: a**2 + 2 * a + 3, ((-5, 3),)),
    ("3x^4 - 2x^3 + x - 7", ("x",), lambda a: 3 * a**4 - 2 * a**3 + a - 7, ((-2, 2),)),
    ("sin(3x) + x/2", ("x",), lambda a: np.sin(3 * a) + a / 2, ((-3, 3),)),
    ("exp(x)(x - 1)", ("x",), lambda a: np.exp(a) * (a - 1), ((-3, 3),)),
    (
        "ARCTAN(x) + ln(x^2 + 1)",
        ("x",),
        lambda a: np.arctan(a) + np.log(a**2 + 1),
        ((-3, 3),),
    ),
    (
        "x^2 - y^2 + z^2",
        ("x", "y", "z"),
        lambda a, b, c: a**2 - b**2 + c**2,
        ((-3, 3),) * 3,
    ),
]
VALID_IDS = [text.strip() for text, *_ in VALID]

PRESET_CASES = [
    (
        p.text,
        p.variables,
        None,
        ((p.domain[0], p.domain[1]), (p.domain[2], p.domain[3]))[: len(p.variables)],
    )
    for p in PRESETS
]


def _random_points(
    box: tuple[tuple[float, float], ...], seed: int, count: int = 8
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    low = np.array([b[0] for b in box], dtype=float)
    high = np.array([b[1] for b in box], dtype=float)
    return low + (high - low) * rng.random((count, len(box)))


def _central_gradient(
    f: Callable[[np.ndarray], float], point: np.ndarray
) -> np.ndarray:
    """Five-point central differences: error O(h^4) (≈1e-12 for h = 1e-3)."""
    gradient = np.empty_like(point)
    for i in range(point.size):
        h = 1e-3 * max(1.0, abs(point[i]))
        step = np.zeros_like(point)
        step[i] = h
        gradient[i] = (
            -f(point + 2 * step)
            + 8 * f(point + step)
            - 8 * f(point - step)
            + f(point - 2 * step)
        ) / (12 * h)
    return gradient


def _near_kink(text: str, point: np.ndarray) -> bool:
    """Whether a finite-difference stencil around ``point`` crosses a kink."""
    a, b = point[0], point[1] if point.size > 1 else 0.0
    kinks = {
        "abs(x - 1) + abs(y + 0.5)": [a - 1, b + 0.5],
        "max(x, y) + min(x^2, y)": [a - b, a**2 - b],
        "Max(x, y, 1)": [a - b, a - 1, b - 1],
        "tan(x/3) + sign(y) y^2": [b],
    }
    return any(abs(d) < 0.01 for d in kinks.get(text, []))


@pytest.mark.parametrize(
    ("text", "variables", "reference", "box"), VALID, ids=VALID_IDS
)
def test_typed_form_matches_numpy_reference(
    text: str,
    variables: tuple[str, ...],
    reference: Reference,
    box: tuple[tuple[float, float], ...],
) -> None:
    function = symbolic_function(text, variables)
    for point in _random_points(box, seed=1):
        assert function.value(point) == pytest.approx(
            reference(*point), rel=1e-12, abs=1e-12
        )


@pytest.mark.parametrize(
    ("text", "variables", "reference", "box"),
    VALID + PRESET_CASES,
    ids=VALID_IDS + [f"preset-{p.key}" for p in PRESETS],
)
def test_gradient_and_hessian_agree_with_central_differences(
    text: str,
    variables: tuple[str, ...],
    reference: Reference | None,
    box: tuple[tuple[float, float], ...],
) -> None:
    function = symbolic_function(text, variables)
    if reference is not None:
        value = lambda p: float(reference(*p))  # noqa: E731
    else:
        value = function.value
    checked = 0
    for point in _random_points(box, seed=2, count=10):
        if _near_kink(text, point):
            continue
        numeric = _central_gradient(value, point)
        symbolic = function.gradient(point)
        assert symbolic.shape == (len(variables),)
        assert symbolic == pytest.approx(numeric, rel=1e-6, abs=1e-6)
        hessian = function.hessian(point)
        assert hessian.shape == (len(variables), len(variables))
        for i in range(len(variables)):
            row = _central_gradient(lambda p, i=i: function.gradient(p)[i], point)
            assert hessian[i] == pytest.approx(row, rel=1e-5, abs=1e-5)
        checked += 1
    assert checked >= 5


IMPLICIT = [
    ("2x", 2 * x),
    ("2 x", 2 * x),
    ("2(x+1)", 2 * (x + 1)),
    ("(x+1)(y-1)", (x + 1) * (y - 1)),
    ("(x+1)2", 2 * (x + 1)),
    ("x(y+1)", x * (y + 1)),
    ("x y", x * y),
    ("xy", x * y),
    ("3xy^2", 3 * x * y**2),
    ("yx", x * y),
    ("2pi", 2 * sympy.pi),
    ("2pi x", 2 * sympy.pi * x),
    ("3sin(x)", 3 * sympy.sin(x)),
    ("(x)sin(y)", x * sympy.sin(y)),
    ("2exp(x)", 2 * sympy.exp(x)),
    ("exp(x)", sympy.exp(x)),
    ("e^x", sympy.exp(x)),
    ("2e", 2 * sympy.E),
    ("e x", sympy.E * x),
    ("1e-3", sympy.Rational(1, 1000)),
    ("1e-3x", x / 1000),
    ("2.5e2 y", 250 * y),
    ("1e3x", 1000 * x),
    ("x^2^3", x**8),
    ("-x^2", -(x**2)),
    ("x**2", x**2),
    ("SIN(x)", sympy.sin(x)),
    ("Sqrt(x)", sympy.sqrt(x)),
    ("PI", sympy.pi),
    ("ln(x)", sympy.log(x)),
    ("arcsin(x)", sympy.asin(x)),
    ("log(x, 2)", sympy.log(x) / sympy.log(2)),
    ("max(x, y, 1)", sympy.Max(x, y, 1)),
    ("min(x, y)", sympy.Min(x, y)),
    ("abs(x)", sympy.Abs(x)),
    ("x²", x**2),
    ("x²³", x**23),
    ("x⁻¹", 1 / x),
    ("2·x", 2 * x),
    ("3×y", 3 * y),
    ("x ÷ 2", x / 2),
    ("x − y", x - y),
    ("x – y", x - y),
    ("2π", 2 * sympy.pi),
    ("x\u00a0+\u2009y", x + y),
    ("x\t+ y", x + y),
    ("007", sympy.Integer(7)),
    ("0.1", sympy.Rational(1, 10)),
    (".5x", x / 2),
    ("1/2x", x / 2),
    ("+x", x),
    ("--x", x),
    ("5", sympy.Integer(5)),
]


@pytest.mark.parametrize(("text", "expected"), IMPLICIT, ids=[t for t, _ in IMPLICIT])
def test_user_habits_parse_to_the_intended_expression(
    text: str, expected: sympy.Expr
) -> None:
    assert parse_expression(text) == expected


def test_decimal_literals_stay_exact() -> None:
    assert parse_expression("0.1x + 0.2x") == sympy.Rational(3, 10) * x


def test_one_variable_mode_parses_the_seed_function() -> None:
    x1 = sympy.Symbol("x", real=True)
    assert parse_expression("x^2 + 2x + 3", ("x",)) == x1**2 + 2 * x1 + 3


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("x^100", True),
        ("x^-100", True),
        ("x^101", False),
        ("2^100 x", True),
        ("1e15 x", True),
        ("1e16 x", False),
        ("(" * MAX_BRACKET_DEPTH + "x" + ")" * MAX_BRACKET_DEPTH, True),
        ("(" * (MAX_BRACKET_DEPTH + 1) + "x" + ")" * (MAX_BRACKET_DEPTH + 1), False),
        ("+".join(["x"] * 150), True),  # a flat sum is one level deep
        ("+".join(["x"] * 151), False),  # 301 parts: more than MAX_NODES
        ("x" * MAX_LENGTH, False),  # x*x*...*x: 999 parts
        ("x" + " " * (MAX_LENGTH - 1), True),
        ("x" + " " * MAX_LENGTH, False),
    ],
)
def test_limits_sit_where_documented(text: str, accepted: bool) -> None:
    if accepted:
        parse_expression(text)
    else:
        with pytest.raises(ExpressionError):
            parse_expression(text)


def test_input_of_exactly_max_length_is_judged_on_its_content() -> None:
    with pytest.raises(ExpressionError, match="unknown name 'qqq"):
        parse_expression("q" * MAX_LENGTH)
    with pytest.raises(ExpressionError, match=r"too many parts \(999 numbers"):
        parse_expression("x" * MAX_LENGTH)


BLOW_UP_FAMILIES: dict[str, Callable[[int], str]] = {
    "power tower": lambda n: "^".join(["(x+y)"] * n),
    "exp-sin chain": lambda n: "exp(sin(" * n + "x" + ")*y)" * n,
    "sin chain": lambda n: "sin(" * n + "x" + "+y)" * n,
    "max chain": lambda n: "max(" * n + "x" + ", y*x, sin(x))" * n,
    "abs-sign chain": lambda n: "abs(" * n + "x" + "-y)*sign(x)" * n,
    "product of sums": lambda n: "*".join(
        f"(x^{k} + y^{k} + sin(x y))" for k in range(1, n + 1)
    ),
    "power of power": lambda n: "((x y + 1)^(x+y))" + "^(x-y)" * n,
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("family", BLOW_UP_FAMILIES)
def test_differentiation_blow_up_is_accepted_small_and_refused_large(
    family: str,
) -> None:
    """Every size of a family whose derivatives explode: accepted or refused by a
    size limit, small members accepted and the largest refused."""
    outcomes = []
    for n in (2, 4, 6, 8, 12, 16):
        text = BLOW_UP_FAMILIES[family](n)
        try:
            function = symbolic_function(text)
        except ExpressionError as error:
            assert any(
                limit in str(error)
                for limit in ("too complex", "nested too deeply", "calls min, max")
            ), str(error)
            outcomes.append(False)
        else:
            assert np.isfinite(function.hessian(np.array([0.3, -0.2]))).all()
            outcomes.append(True)
    assert outcomes[0] and not outcomes[-1]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-5, 5), st.integers(0, 4), st.integers(0, 4)),
        min_size=1,
        max_size=5,
    ),
    st.floats(-2, 2),
    st.floats(-2, 2),
)
def test_typed_polynomial_gradient_equals_its_term_by_term_derivative(
    terms: list[tuple[int, int, int]], a: float, b: float
) -> None:
    # "3x^2y^1" style text, juxtaposed as people type it
    text = " + ".join(f"({c})x^{i}y^{j}" for c, i, j in terms)
    function = symbolic_function(text)
    point = np.array([a, b])
    expected = np.array(
        [
            sum(c * i * a ** max(i - 1, 0) * b**j for c, i, j in terms),
            sum(c * j * a**i * b ** max(j - 1, 0) for c, i, j in terms),
        ]
    )
    assert function.gradient(point) == pytest.approx(expected, rel=1e-9, abs=1e-9)


# --- SymbolicFunction behaviour -------------------------------------------------------


def test_bowl_preset_first_readout_equals_the_seed() -> None:
    bowl = get_preset("bowl")
    function = bowl.function()
    start = np.array(bowl.start)
    assert bowl.learning_rate == 0.01
    assert f"({start[0]:.2f}, {start[1]:.2f})" == "(2.00, 2.00)"
    assert f"{function.value(start):.2f}" == "8.00"
    gradient = function.gradient(start)
    assert f"({gradient[0]:.2f}, {gradient[1]:.2f})" == "(4.00, 4.00)"
    assert function.value(start) == 8.0
    np.testing.assert_array_equal(gradient, [4.0, 4.0])


def test_bowl_latex_gradient_and_hessian() -> None:
    function = symbolic_function("x^2 + y^2")
    assert function.latex() == "x^{2} + y^{2}"
    assert function.gradient_latex() == ("2 x", "2 y")
    assert "2 & 0" in function.hessian_latex()
    assert function.hessian_exprs == ((2, 0), (0, 2))


def test_values_on_grid_broadcasts_a_constant_to_the_grid_shape() -> None:
    function = symbolic_function("5")
    grid_x, grid_y = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-2, 2, 3))
    values = function.values_on_grid(grid_x, grid_y)
    assert values.shape == (3, 4)
    np.testing.assert_array_equal(values, 5.0)
    for component in function.gradients_on_grid(grid_x, grid_y):
        assert component.shape == (3, 4)
        np.testing.assert_array_equal(component, 0.0)
    assert function.is_constant
    np.testing.assert_array_equal(function.gradient(np.array([1.0, 2.0])), [0.0, 0.0])


def test_values_on_grid_is_nan_where_undefined_without_warnings() -> None:
    function = symbolic_function("log(x) + sqrt(y) + 1/x")
    grid_x, grid_y = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = function.values_on_grid(grid_x, grid_y)
        gradients = function.gradients_on_grid(grid_x, grid_y)
        point_value = function.value(np.array([-1.0, 0.5]))
        point_gradient = function.gradient(np.array([0.0, -1.0]))
    defined = (grid_x > 0) & (grid_y >= 0)
    assert np.all(np.isnan(values[~defined]))
    assert np.all(np.isfinite(values[defined]))
    # ∂f/∂x = 1/x - 1/x² exists for x < 0; ∂f/∂y = 1/(2√y) does not for y <= 0
    assert np.all(np.isnan(gradients[1][grid_y <= 0]))
    assert np.all(np.isfinite(gradients[1][grid_y > 0]))
    assert np.isnan(point_value)
    assert not np.all(np.isfinite(point_gradient))


def test_overflow_gives_inf_at_a_point_and_nan_on_a_grid_without_warnings() -> None:
    function = symbolic_function("exp(x^2)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert function.value(np.array([40.0, 0.0])) == np.inf
        grid = function.values_on_grid(np.array([0.0, 40.0]), np.array([0.0, 0.0]))
    assert grid[0] == 1.0
    assert np.isnan(grid[1])


# Where Python floats raise or turn complex, the point value must be numpy's:
# (formula, numpy reference of f and of its gradient, points with such places).
POINT_CASES = [
    (
        "log(x) + sqrt(y)",
        lambda a, b: np.log(a) + np.sqrt(b),
        lambda a, b: (1 / a, 0.5 / np.sqrt(b)),
        [(0.0, 1.0), (-1.0, 4.0), (2.0, -1.0), (2.0, 0.0), (1.5, 2.5)],
    ),
    (
        "1/x + y",
        lambda a, b: 1 / a + b,
        lambda a, b: (-1 / a**2, 1.0),
        [(0.0, 1.0), (-0.0, 2.0), (1e-200, 0.0), (0.5, 1.0)],
    ),
    (
        "x^(1/3) + exp(y)",
        lambda a, b: a ** (1 / 3) + np.exp(b),
        lambda a, b: (a ** (-2 / 3) / 3, np.exp(b)),
        [(-8.0, 0.0), (8.0, 1000.0), (0.0, 0.0), (27.0, -1000.0)],
    ),
    (
        "x^0.5 y + acos(y)",
        lambda a, b: a**0.5 * b + np.arccos(b),
        lambda a, b: (0.5 * a**-0.5 * b, a**0.5 - 1 / np.sqrt(1 - b**2)),
        [(-4.0, 0.5), (4.0, 2.0), (4.0, 1.0), (0.25, -0.5)],
    ),
    (
        "max(x, y) + sign(x) x^2",
        lambda a, b: np.maximum(a, b) + np.sign(a) * a**2,
        lambda a, b: (
            np.heaviside(a - b, 0.5) + 2 * np.abs(a),
            np.heaviside(b - a, 0.5),
        ),
        [(1e150, 1.0), (np.nan, 1.0), (1.0, np.nan), (0.0, 0.0), (0.5, -0.5)],
    ),
]


@pytest.mark.parametrize(
    ("text", "value", "gradient", "points"),
    POINT_CASES,
    ids=[case[0] for case in POINT_CASES],
)
def test_point_values_match_numpy_including_nan_and_inf(
    text: str,
    value: Callable[[float, float], float],
    gradient: Callable[[float, float], tuple[float, float]],
    points: list[tuple[float, float]],
) -> None:
    function = symbolic_function(text)
    for a, b in points:
        with np.errstate(all="ignore"):
            expected_f = float(value(np.float64(a), np.float64(b)))
            expected_g = np.array(gradient(np.float64(a), np.float64(b)), dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            f_value = function.value(np.array([a, b]))
            f_gradient = function.gradient(np.array([a, b]))
            both = function.value_and_gradient(np.array([a, b]))
        np.testing.assert_allclose(f_value, expected_f, rtol=1e-12, err_msg=(a, b))
        np.testing.assert_allclose(f_gradient, expected_g, rtol=1e-12, err_msg=(a, b))
        np.testing.assert_array_equal(both[0], f_value)
        np.testing.assert_array_equal(both[1], f_gradient)


def test_point_value_accepts_lists_and_integers_and_returns_floats() -> None:
    function = symbolic_function("x^2 + 3y")
    assert function.value([2, 1]) == 7.0
    assert type(function.value(np.array([2, 1]))) is float
    gradient = function.gradient((2, 1))
    assert gradient.dtype == np.float64
    np.testing.assert_array_equal(gradient, [4.0, 3.0])
    # a constant component (3) and a constant f come back as floats too
    constant = symbolic_function("7")
    assert constant.value_and_gradient(np.zeros(2))[0] == 7.0
    np.testing.assert_array_equal(constant.gradient(np.zeros(2)), [0.0, 0.0])


def test_one_variable_grid_and_integer_inputs() -> None:
    function = symbolic_function("x^-1 + x^2", ("x",))
    xs = np.arange(-2, 3)  # integers, including 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = function.values_on_grid(xs)
        (derivative,) = function.gradients_on_grid(xs)
    assert values.shape == (5,)
    assert np.isnan(values[2])
    assert values[3] == 2.0
    assert derivative[3] == 1.0  # -1/x^2 + 2x at x = 1


def test_big_integer_constants_reach_numpy_as_floats() -> None:
    # found by Hypothesis: log(10**200) reached numpy.log as a Python int
    function = symbolic_function("log(100^100, 2^2) x")
    assert function.value(np.array([1.0, 0.0])) == pytest.approx(
        100 * np.log(100) / np.log(4)
    )


def test_regression_log_with_negative_argument_and_symbolic_base_is_refused() -> None:
    # found by Hypothesis: log(-2)/log(x) slipped through as a complex constant
    with pytest.raises(ExpressionError, match="not a real number"):
        symbolic_function("log(-(2), x)")


def test_regression_negative_base_to_variable_power_is_refused() -> None:
    # found by Hypothesis: d/dx (-1)^x = (-1)^x log(-1) is complex
    with pytest.raises(ExpressionError, match="must be positive"):
        symbolic_function("-(-(1))^x")


def test_non_smooth_functions_have_numeric_second_derivatives() -> None:
    function = symbolic_function("max(x, y*x, sin(x)) + abs(y)")
    hessian = function.hessian(np.array([1.0, 2.0]))  # x*y is the max, y > 0
    np.testing.assert_array_equal(hessian, [[0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize("shape", [(3,), (1,), (2, 1)])
def test_point_of_wrong_shape_is_refused(shape: tuple[int, ...]) -> None:
    function = symbolic_function("x + y")
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        function.value(np.zeros(shape))


def test_wrong_number_of_grid_arrays_is_refused() -> None:
    with pytest.raises(ValueError, match="expected 2 coordinate"):
        symbolic_function("x + y").values_on_grid(np.zeros(3))


def test_caller_arrays_are_not_mutated() -> None:
    function = symbolic_function("log(x)")
    grid_x = np.array([-1.0, 1.0])
    function.values_on_grid(grid_x, np.zeros(2))
    np.testing.assert_array_equal(grid_x, [-1.0, 1.0])


def test_symbolic_function_pickles_and_compares_by_its_formula() -> None:
    function = symbolic_function("x^2 + 3y")
    copy = pickle.loads(pickle.dumps(function))
    assert copy == function
    assert hash(copy) == hash(function)
    assert copy.gradient(np.array([1.0, 1.0])) == pytest.approx([2.0, 3.0])
    assert repr(function) == "SymbolicFunction('x^2 + 3y', variables=('x', 'y'))"
    assert SymbolicFunction.from_text("x^2 + 3y") == function


# --- classify_point -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "variables", "point", "kind"),
    [
        ("x^2 + y^2", ("x", "y"), (0.0, 0.0), "minimum"),
        ("x^2 - y^2", ("x", "y"), (0.0, 0.0), "saddle"),
        ("3exp(-(x^2 + y^2)/2)", ("x", "y"), (0.0, 0.0), "maximum"),
        ("x^4", ("x",), (0.0,), "inconclusive"),
        ("x^4 + y^4", ("x", "y"), (0.0, 0.0), "inconclusive"),
        ("x^2 + 2x + 3", ("x",), (-1.0,), "minimum"),
        ("-x^2", ("x",), (0.0,), "maximum"),
    ],
)
def test_classify_point_reads_the_hessian(
    text: str, variables: tuple[str, ...], point: tuple[float, ...], kind: str
) -> None:
    result = symbolic_function(text, variables).classify_point(np.array(point))
    assert isinstance(result, StationaryKind)
    assert result.kind == kind
    assert kind in result.sentence or "cannot decide" in result.sentence


def test_classify_point_on_presets() -> None:
    assert get_preset("bowl").function().classify_point(np.zeros(2)).kind == "minimum"
    assert get_preset("saddle").function().classify_point(np.zeros(2)).kind == "saddle"
    bump = get_preset("bump")
    assert bump.goal == "maximize"
    assert bump.function().classify_point(np.zeros(2)).kind == "maximum"


def test_classify_point_away_from_a_stationary_point_is_inconclusive() -> None:
    result = symbolic_function("x^2 + y^2").classify_point(np.array([1.0, 0.0]))
    assert result.kind == "inconclusive"
    assert "not a stationary point" in result.sentence
    assert result.gradient_norm == pytest.approx(2.0)
    checked = symbolic_function("x^2 + y^2").classify_point(
        np.array([1.0, 0.0]), gradient_tol=None
    )
    assert checked.kind == "minimum"


def test_classify_point_where_f_is_undefined_is_inconclusive() -> None:
    result = symbolic_function("log(x) + y^2").classify_point(np.array([-1.0, 0.0]))
    assert result.kind == "inconclusive"
    assert "not defined" in result.sentence


# --- presets --------------------------------------------------------------------------


def _plain_descent(preset: Preset, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """A naive reference loop: x <- x -/+ lr * grad f(x). Returns path and values."""
    function = preset.function()
    sign = -1.0 if preset.goal == "minimize" else 1.0
    point = np.array(preset.start, dtype=float)
    path = [point]
    for _ in range(steps):
        point = point + sign * preset.learning_rate * function.gradient(point)
        path.append(point)
        if not np.all(np.isfinite(point)) or np.abs(point).max() > 1e6:
            break
    path_array = np.array(path)
    values = np.array([function.value(p) for p in path_array])
    return path_array, values


def test_preset_table_is_complete_and_consistent() -> None:
    keys = [p.key for p in PRESETS]
    assert len(set(keys)) == len(keys)
    expected = {"bowl", "parabola", "elongated_bowl", "saddle", "rosenbrock"}
    expected |= {"himmelblau", "beale", "booth", "rastrigin", "bump"}
    assert expected <= set(keys)
    assert get_preset("parabola").text == "x^2 + 2x + 3"
    assert get_preset("parabola").variables == ("x",)
    assert any(p.goal == "maximize" for p in PRESETS)
    for preset in PRESETS:
        xmin, xmax, ymin, ymax = preset.domain
        assert xmin <= preset.start[0] <= xmax, preset.key
        if len(preset.variables) == 2:
            assert ymin <= preset.start[1] <= ymax, preset.key
        assert preset.note and preset.title


def test_unknown_preset_key_is_refused() -> None:
    with pytest.raises(SettingsError, match="unknown preset 'nope'"):
        get_preset("nope")


def test_invalid_preset_is_refused() -> None:
    with pytest.raises(SettingsError, match="learning_rate"):
        Preset("k", "t", "x", ("x",), (1.0,), 0.0, "n")


@pytest.mark.parametrize(
    ("key", "steps", "target", "atol"),
    [
        ("bowl", 1_500, (0.0, 0.0), 1e-4),
        ("parabola", 200, (-1.0,), 1e-4),
        ("elongated_bowl", 300, (0.0, 0.0), 1e-4),
        ("rosenbrock", 20_000, (1.0, 1.0), 1e-2),
        ("himmelblau", 500, (3.0, 2.0), 1e-4),
        ("beale", 5_000, (3.0, 0.5), 1e-3),
        ("booth", 500, (1.0, 3.0), 1e-4),
        ("bump", 200, (0.0, 0.0), 1e-4),
    ],
)
def test_preset_learning_rate_reaches_the_known_optimum(
    key: str, steps: int, target: tuple[float, ...], atol: float
) -> None:
    preset = get_preset(key)
    path, values = _plain_descent(preset, steps)
    np.testing.assert_allclose(path[-1], target, atol=atol)
    if preset.goal == "minimize":
        assert values[-1] < values[0]
    else:
        assert values[-1] > values[0]


def test_elongated_bowl_zigzags_across_the_valley() -> None:
    path, _ = _plain_descent(get_preset("elongated_bowl"), 10)
    assert np.all(np.sign(path[1:, 1]) != np.sign(path[:-1, 1]))


def test_saddle_preset_slides_in_then_falls_off() -> None:
    path, values = _plain_descent(get_preset("saddle"), 60)
    closest = np.linalg.norm(path, axis=1).min()
    assert closest < 0.5
    assert abs(path[-1, 1]) > 3.0
    assert values[-1] < -9.0


def test_rastrigin_preset_is_stuck_in_a_local_minimum() -> None:
    preset = get_preset("rastrigin")
    path, values = _plain_descent(preset, 500)
    assert np.linalg.norm(path[-1]) > 1.0
    assert values[-1] > 1.0
    kind = preset.function().classify_point(path[-1])
    assert kind.kind == "minimum"


def test_double_well_preset_stops_in_the_shallower_valley() -> None:
    preset = get_preset("double_well")
    path, values = _plain_descent(preset, 500)
    assert path[-1, 0] > 0
    deepest = preset.function().value(np.array([-1.3008]))
    assert values[-1] > deepest + 1.0
