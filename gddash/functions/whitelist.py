"""Stage 3 of parsing: which Python syntax trees a formula may be.

A tree from ``ast.parse`` is checked node by node against a whitelist (numbers,
the variables, ``+ - * / **``, calls of known functions); every other construct is
refused with a message that names its worst part. Sizes that cost nothing to count
(depth, parts, kinks) are checked here, before sympy builds anything.
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
from collections.abc import Sequence
from fractions import Fraction

import sympy

from gddash.errors import ExpressionError
from gddash.functions.vocabulary import (
    _CONSTANTS,
    _FUNCTIONS,
    _NON_SMOOTH,
    MAX_LITERAL,
    MAX_NODES,
    MAX_NON_SMOOTH,
)


def _join(names: Sequence[str]) -> str:
    """'x', 'x and y', 'x, y and z'."""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _describe_char(char: str) -> str:
    """``'х' (U+0445 CYRILLIC SMALL LETTER HA)``: the character and its name."""
    name = unicodedata.name(char, "unnamed character")
    return f"{char!r} (U+{ord(char):04X} {name})"


# --- stage 3: ast whitelist -------------------------------------------------------

_NUMBER_RE = re.compile(r"(?P<mantissa>\d*\.?\d*)(?:[eE](?P<exponent>[+-]?\d+))?")
_BINARY_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_OPERATOR_SYMBOLS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
}
_COMPARE_SYMBOLS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


def _source(node: ast.AST) -> str:
    """The normalised text of a node, quoted for a message: ``'x ** 99999999'``.

    repr quotes it and escapes its quotes, so where the fragment ends is plain.
    A fragment that holds text in quotes is not shown at all: messages are shown
    to the visitor, and such text could be anything.
    """
    if any(
        isinstance(part, ast.Constant) and isinstance(part.value, str | bytes)
        for part in ast.walk(node)
    ):
        return "(a part with text in quotes)"
    text = ast.unparse(node)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _nesting_depth(tree: ast.AST) -> int:
    """Depth of the tree, counting a left-leaning chain ``a + b - c`` as one level.

    Iterative, so that a deep tree cannot exhaust the interpreter's stack here.
    """

    def chain(op: ast.operator) -> int:
        if isinstance(op, ast.Add | ast.Sub):
            return 1
        if isinstance(op, ast.Mult | ast.Div):
            return 2
        return 0

    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in ast.iter_child_nodes(node):
            same_chain = (
                isinstance(node, ast.BinOp)
                and isinstance(child, ast.BinOp)
                and child is node.left
                and chain(node.op) != 0
                and chain(child.op) == chain(node.op)
            )
            stack.append((child, depth if same_chain else depth + 1))
    return deepest


def _check_parts(tree: ast.AST) -> None:
    """Refuse a tree with too many parts, or too many kinks, before sympy sees it."""
    parts = 0
    non_smooth = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            parts += 1
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _NON_SMOOTH
        ):
            non_smooth += 1
    if parts > MAX_NODES:
        raise ExpressionError(
            f"the formula has too many parts ({parts} numbers, names and operations; "
            f"at most {MAX_NODES}): shorten it"
        )
    if non_smooth > MAX_NON_SMOOTH:
        raise ExpressionError(
            f"the formula calls min, max, abs or sign {non_smooth} times (at most "
            f"{MAX_NON_SMOOTH}): each kink multiplies the size of the derivatives, "
            "so use fewer"
        )


def _shorten(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number_from_text(text: str) -> sympy.Rational:
    """An exact sympy number from a decimal literal: ``0.1`` -> 1/10, ``1e-3``."""
    match = _NUMBER_RE.fullmatch(text)
    if match is None:  # pragma: no cover - the tokenizer only emits such numbers
        raise ExpressionError(f"number {_shorten(text)!r} is not understood")
    exponent = match.group("exponent")
    # Bound the exponent *before* Fraction builds 10**exponent.
    if exponent is not None and (len(exponent) > 4 or abs(int(exponent)) > 300):
        raise ExpressionError(
            f"number {_shorten(text)!r} is out of range: its exponent must stay "
            "within e-300 to e+300"
        )
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_LITERAL:
        raise ExpressionError(
            f"number {_shorten(text)!r} is too large: numbers are limited to "
            f"±{MAX_LITERAL:g}"
        )
    fraction = Fraction(text)
    return sympy.Rational(fraction.numerator, fraction.denominator)


class _Checker:
    """Find every construct outside the whitelist; report the most telling one.

    Violations carry a priority (0 first: attribute access, unknown function,
    subscript, lambda, comprehension, ':=', starred or keyword argument, f-string,
    string, if-else, comparison, and/or/not, other operators, containers and
    non-numbers, misuse of a function, numbers out of range, unknown names), so that
    an attack is named by its worst part: ``.__class__`` rather than the harmless
    ``()`` in front of it. Ties go to the leftmost.
    """

    def __init__(self, source: str, variables: tuple[str, ...]) -> None:
        self.source = source
        self.variables = variables
        self.violations: list[tuple[int, int, int, str]] = []
        self.numbers: dict[int, sympy.Rational] = {}

    def refuse(self, priority: int, node: ast.AST, message: str) -> None:
        # (priority, start, end): in a chain a.b.c every node starts at 0; the
        # one that ends first is the one read first.
        start, end = 0, 0
        if isinstance(node, ast.expr):
            start, end = node.col_offset, node.end_col_offset or 0
        self.violations.append((priority, start, end, message))

    def check(self, tree: ast.Expression) -> dict[int, sympy.Rational]:
        callees = {
            id(node.func)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        for node in ast.walk(tree):
            self.visit(node, is_callee=id(node) in callees)
        if self.violations:
            raise ExpressionError(min(self.violations)[3])
        return self.numbers

    def visit(self, node: ast.AST, *, is_callee: bool) -> None:
        if isinstance(
            node,
            ast.Expression
            | ast.expr_context
            | ast.boolop
            | ast.cmpop
            | ast.operator
            | ast.unaryop
            | ast.keyword
            | ast.arguments
            | ast.arg
            | ast.comprehension,
        ):
            return  # parts of the nodes judged below (a lambda, a call, ...)
        if isinstance(node, ast.Attribute):
            self.refuse(0, node, f"attribute access '.{node.attr}' is not allowed")
        elif isinstance(node, ast.Call):
            self.visit_call(node)
        elif isinstance(node, ast.Subscript):
            self.refuse(
                2,
                node,
                f"subscript {_source(node)} is not allowed: use ( ) for grouping",
            )
        elif isinstance(node, ast.Lambda):
            self.refuse(3, node, "lambda functions are not allowed")
        elif isinstance(
            node,
            ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
        ):
            self.refuse(4, node, "comprehensions ('for ... in ...') are not allowed")
        elif isinstance(node, ast.NamedExpr):
            self.refuse(5, node, "assignment ':=' is not allowed in a formula")
        elif isinstance(node, ast.Starred):
            self.refuse(6, node, f"starred argument {_source(node)} is not allowed")
        elif isinstance(node, ast.JoinedStr | ast.FormattedValue):
            self.refuse(7, node, "f-strings are not allowed in a formula")
        elif isinstance(node, ast.IfExp):
            self.refuse(9, node, "conditional 'if ... else' is not allowed")
        elif isinstance(node, ast.Compare):
            symbol = _COMPARE_SYMBOLS.get(type(node.ops[0]), "comparison")
            self.refuse(
                10,
                node,
                f"comparison '{symbol}' is not allowed: a formula must give a number",
            )
        elif isinstance(node, ast.BoolOp):
            word = "and" if isinstance(node.op, ast.And) else "or"
            self.refuse(
                11, node, f"'{word}' is not allowed: a formula must give a number"
            )
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                self.refuse(
                    11, node, "'not' is not allowed: a formula must give a number"
                )
            elif isinstance(node.op, ast.Invert):
                self.refuse(12, node, "operator '~' is not allowed")
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, _BINARY_OPERATORS):
                symbol = _OPERATOR_SYMBOLS.get(type(node.op), "?")
                hint = ": use / for division" if symbol == "//" else ""
                self.refuse(12, node, f"operator '{symbol}' is not allowed{hint}")
        elif isinstance(node, ast.Constant):
            self.visit_constant(node)
        elif isinstance(node, ast.Name):
            self.visit_name(node, is_callee=is_callee)
        elif isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict):
            kind = type(node).__name__.lower()
            self.refuse(
                13, node, f"a {kind} {_source(node)} is not allowed: one number only"
            )
        else:
            self.refuse(13, node, f"{_source(node)} is not allowed in a formula")

    def visit_call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute):
            return  # reported as attribute access
        if not isinstance(node.func, ast.Name):
            self.refuse(1, node, f"{_source(node)} is not a call to a known function")
            return
        name = node.func.id
        if name not in _FUNCTIONS:
            self.refuse(
                1,
                node,
                f"unknown function '{name}': use one of {', '.join(_FUNCTIONS)}",
            )
            return
        for kw in node.keywords:
            shown = f"{kw.arg}=" if kw.arg else "**"
            self.refuse(
                6,
                node,
                f"keyword argument '{shown}' is not allowed: pass arguments by "
                "position",
            )
        _, least, most = _FUNCTIONS[name]
        count = len(node.args)
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            return  # reported as a starred argument
        if count < least or (most is not None and count > most):
            if most is None:
                wanted = f"at least {least} arguments"
            elif least == most:
                wanted = f"exactly {least} argument" + ("s" if least > 1 else "")
            else:
                wanted = f"{least} to {most} arguments"
            hint = ""
            if name in ("min", "max") and count > least:
                hint = (
                    f": the derivative of a {name} compares every pair of its "
                    "terms, so keep it to a few"
                )
            self.refuse(14, node, f"{name}() takes {wanted}, got {count}{hint}")

    def visit_constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str | bytes):
            self.refuse(8, node, "text in quotes is not allowed in a formula")
        elif isinstance(value, bool) or value is None or value is Ellipsis:
            self.refuse(13, node, f"'{value!r}' is not a number")
        elif isinstance(value, int | float):
            text = ast.get_source_segment(self.source, node) or repr(value)
            try:
                self.numbers[id(node)] = _number_from_text(text)
            except ExpressionError as error:
                self.refuse(15, node, str(error))
        else:
            self.refuse(13, node, f"'{value!r}' is not a real number")

    def visit_name(self, node: ast.Name, *, is_callee: bool) -> None:
        name = node.id
        if name in self.variables or name in _CONSTANTS or is_callee:
            return  # callees are judged by visit_call
        if name in _FUNCTIONS:
            self.refuse(14, node, f"'{name}' is a function: write {name}(...)")
            return
        message = f"unknown name '{name}': use {_join(self.variables)}"
        if name.lower() in self.variables:
            message += " (names are case-sensitive)"
        self.refuse(16, node, message)
