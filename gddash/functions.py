"""Safe formulas: typed text -> sympy expression -> gradient, Hessian, LaTeX, numpy.

User text is never executed. It is checked character by character, re-tokenized by a
small scanner (``^`` -> ``**``, implicit products such as ``2x``), parsed with
``ast.parse(mode="eval")``, checked node by node against a whitelist, and only then
rebuilt by hand from ``sympy.Symbol``, ``sympy.Rational``, ``sympy.Add``, ``sympy.sin``.
Every size that could cost time or memory (length, nesting, parts of the formula,
terms of min/max, kinks, exponents, constants, derivative sizes) is bounded before
the work that it would make expensive, so any text is accepted or refused with an
ExpressionError in well under a second. Error messages quote fragments with repr
and never repeat the formula or text in quotes: the page shows them to visitors.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import sympy

from gddash.errors import ExpressionError, SettingsError

__all__ = [
    "FUNCTION_NAMES",
    "MAX_LENGTH",
    "PRESETS",
    "Preset",
    "StationaryKind",
    "SymbolicFunction",
    "get_preset",
    "parse_expression",
    "symbolic_function",
    "try_symbolic",
]

# --- limits -----------------------------------------------------------------------
MAX_LENGTH = 500  # characters of typed text
MAX_BRACKET_DEPTH = 20  # ( [ { nesting, checked on the raw text before ast.parse
MAX_NESTING_DEPTH = 40  # depth of the syntax tree (a flat sum a + b + c is one level)
MAX_EXPONENT = 100  # |n| in base**n for a numeric exponent n
MAX_LITERAL = 1e15  # |number| typed as a literal
MAX_CONSTANT_LOG10 = 300  # |log10(|c|)| for any constant built along the way
MAX_EXP_ARGUMENT = 700.0  # exp(700) ~ 1e304, still a finite float
MAX_NODES = 300  # parts (names, numbers, operations, calls) of the syntax tree
MAX_MINMAX_ARGUMENTS = 4  # terms of one min or max, nested calls merged
MAX_NON_SMOOTH = 8  # calls of min, max, abs and sign in one formula
MAX_EXPRESSION_NODES = 400  # nodes of the built sympy expression
MAX_GRADIENT_NODES = 600  # nodes in all partial derivatives together
MAX_HESSIAN_NODES = 2_500  # nodes in the distinct second derivatives together

# --- vocabulary -------------------------------------------------------------------


def _log(*args: sympy.Expr) -> sympy.Expr:
    """Natural logarithm, or ``log(x, base)`` as log(x) / log(base)."""
    if len(args) == 1:
        return sympy.log(args[0])
    return sympy.log(args[0]) / sympy.log(args[1])


# name -> (sympy builder, minimum number of arguments, maximum or None for "any")
_FUNCTIONS: dict[str, tuple[Callable[..., sympy.Expr], int, int | None]] = {
    "sin": (sympy.sin, 1, 1),
    "cos": (sympy.cos, 1, 1),
    "tan": (sympy.tan, 1, 1),
    "exp": (sympy.exp, 1, 1),
    "log": (_log, 1, 2),
    "sqrt": (sympy.sqrt, 1, 1),
    "abs": (sympy.Abs, 1, 1),
    "tanh": (sympy.tanh, 1, 1),
    "sinh": (sympy.sinh, 1, 1),
    "cosh": (sympy.cosh, 1, 1),
    "atan": (sympy.atan, 1, 1),
    "asin": (sympy.asin, 1, 1),
    "acos": (sympy.acos, 1, 1),
    "sign": (sympy.sign, 1, 1),
    "min": (sympy.Min, 2, MAX_MINMAX_ARGUMENTS),
    "max": (sympy.Max, 2, MAX_MINMAX_ARGUMENTS),
}
_ALIASES = {"ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan"}
FUNCTION_NAMES: tuple[str, ...] = tuple(_FUNCTIONS)
_CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "e": sympy.E}
_GROWING = {"exp", "sinh", "cosh"}  # functions whose numeric value explodes
# Functions with a kink: each adds Heaviside and DiracDelta factors to the
# derivatives, and sympy compares their arguments pairwise while building them.
_NON_SMOOTH = {"min", "max", "abs", "sign"}

# Keywords that cannot start or continue a formula at all. The expression keywords
# (lambda, if, else, for, in, and, or, not, is, True, False, None) go on to ast, so
# that the refusal can name the construct ("lambda functions are not allowed").
_EXPRESSION_KEYWORDS = {
    "lambda",
    "if",
    "else",
    "for",
    "in",
    "and",
    "or",
    "not",
    "is",
    "True",
    "False",
    "None",
}
_STATEMENT_KEYWORDS = frozenset(keyword.kwlist) - _EXPRESSION_KEYWORDS

# Unicode that people paste from documents, normalised explicitly. Every other
# non-ASCII character is refused by name: look-alike letters (Cyrillic 'х', fullwidth
# 'ｘ') are a spoofing vector, and Python itself would silently NFKC-fold some of them.
_UNICODE_REPLACEMENTS = {
    "\u2212": "-",  # MINUS SIGN
    "\u2013": "-",  # EN DASH (word processors turn ' - ' into it)
    "\u00b7": "*",  # MIDDLE DOT
    "\u22c5": "*",  # DOT OPERATOR
    "\u00d7": "*",  # MULTIPLICATION SIGN
    "\u2217": "*",  # ASTERISK OPERATOR
    "\u00f7": "/",  # DIVISION SIGN
    "\u2215": "/",  # DIVISION SLASH
    "\u03c0": " pi ",  # GREEK SMALL LETTER PI
    "\u00a0": " ",  # NO-BREAK SPACE
    "\u2009": " ",  # THIN SPACE
    "\u202f": " ",  # NARROW NO-BREAK SPACE
}
_SUPERSCRIPTS = {
    "\u2070": "0",
    "\u00b9": "1",
    "\u00b2": "2",
    "\u00b3": "3",
    "\u2074": "4",
    "\u2075": "5",
    "\u2076": "6",
    "\u2077": "7",
    "\u2078": "8",
    "\u2079": "9",
    "\u207b": "-",
}

_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t]+)
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<string>[rRbBuUfF]{0,2}(?:'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*"))
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>\*\*|//|:=|==|!=|<=|>=|<<|>>|->|\.\.\.|[-+*/^%@&|~<>=!:.,()\[\]{}])
    """,
    re.VERBOSE,
)
_NUMBER_RE = re.compile(r"(?P<mantissa>\d*\.?\d*)(?:[eE](?P<exponent>[+-]?\d+))?")


def _join(names: Sequence[str]) -> str:
    """'x', 'x and y', 'x, y and z'."""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _describe_char(char: str) -> str:
    """``'х' (U+0445 CYRILLIC SMALL LETTER HA)``: the character and its name."""
    name = unicodedata.name(char, "unnamed character")
    return f"{char!r} (U+{ord(char):04X} {name})"


# --- stage 1: characters ----------------------------------------------------------


def _normalise_characters(text: str) -> str:
    """Refuse control and non-ASCII characters; map the few habitual ones.

    Returns ASCII text. Superscript digits become ``^digits`` (``x²`` -> ``x^2``).
    """
    out: list[str] = []
    in_superscript = False
    for position, char in enumerate(text, start=1):
        if char in _SUPERSCRIPTS:
            out.append(("" if in_superscript else "^") + _SUPERSCRIPTS[char])
            in_superscript = True
            continue
        in_superscript = False
        if char in _UNICODE_REPLACEMENTS:
            out.append(_UNICODE_REPLACEMENTS[char])
        elif char in "\n\r\x0b\x0c\x85\u2028\u2029":
            raise ExpressionError(
                f"line break at position {position}: type the formula on one line"
            )
        elif char == "\t":
            out.append(" ")
        elif ord(char) < 32 or ord(char) == 127:
            raise ExpressionError(
                f"control character U+{ord(char):04X} at position {position} is not "
                "allowed"
            )
        elif ord(char) > 127:
            raise ExpressionError(
                f"character {_describe_char(char)} at position {position} is not "
                "allowed: type plain ASCII letters, digits and + - * / ^ ( )"
            )
        else:
            out.append(char)
    return "".join(out)


def _check_brackets(text: str) -> None:
    """Refuse unbalanced or too deeply nested brackets before ast sees them."""
    depth = 0
    for position, char in enumerate(text, start=1):
        if char in "([{":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                raise ExpressionError(
                    f"brackets are nested too deeply (more than {MAX_BRACKET_DEPTH} "
                    "levels)"
                )
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                raise ExpressionError(
                    f"unbalanced brackets: {char!r} at position {position} closes "
                    "nothing"
                )
    if depth > 0:
        raise ExpressionError(
            f"unbalanced brackets: {depth} bracket(s) opened but never closed"
        )


# --- stage 2: tokens --------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "string", "name" or "op"
    text: str


def _canonical_name(name: str) -> str:
    """Map aliases and upper-case spellings of functions and pi: SIN -> sin, ln -> log.

    Variables and ``e`` stay case-sensitive (``X`` is not ``x``).
    """
    lower = name.lower()
    if name in _FUNCTIONS or name in _CONSTANTS:
        return name
    if lower in _FUNCTIONS or lower == "pi":
        return lower
    if lower in _ALIASES:
        return _ALIASES[lower]
    return name


def _tokenize(text: str) -> list[_Token]:
    """Split ASCII text into tokens; refuse characters no formula needs."""
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            char = text[position]
            if char in "'\"":
                raise ExpressionError(
                    f"unterminated quote at position {position + 1}: text in quotes "
                    "is not allowed in a formula"
                )
            if char == ";":
                raise ExpressionError("';' is not allowed: type a single formula")
            if char == "#":
                raise ExpressionError("'#' (a comment) is not allowed in a formula")
            raise ExpressionError(
                f"character {char!r} at position {position + 1} is not allowed"
            )
        kind = match.lastgroup
        position = match.end()
        if kind == "space":
            continue
        value = match.group()
        if kind == "string" and "\\" in value:
            # Refused here: Python would warn about its escapes while parsing.
            backslash = match.start() + value.index("\\") + 1
            raise ExpressionError(
                f"character '\\\\' at position {backslash} is not allowed"
            )
        if kind == "name":
            if value in _STATEMENT_KEYWORDS:
                raise ExpressionError(
                    f"'{value}' is a Python keyword, not part of a formula"
                )
            value = _canonical_name(value)
        elif kind == "number" and value.isdigit():
            value = value.lstrip("0") or "0"  # '007' is 7 (Python refuses it)
        elif kind == "op" and value == "^":
            value = "**"  # the maths habit: x^2 means x squared, not XOR
        tokens.append(_Token(str(kind), value))
    return tokens


def _is_function(token: _Token) -> bool:
    return token.kind == "name" and token.text in _FUNCTIONS


def _is_plain_name(token: _Token) -> bool:
    """A name that can be a factor: not a keyword, not a function."""
    return (
        token.kind == "name"
        and not keyword.iskeyword(token.text)
        and token.text not in _FUNCTIONS
    )


def _needs_times(left: _Token, right: _Token, variables: Sequence[str]) -> bool:
    """Whether ``left right`` is an implicit product (``2x``, ``2(x+1)``, ``x y``)."""
    left_is_factor = left.kind == "number" or left.text == ")" or _is_plain_name(left)
    if not left_is_factor:
        return False
    if right.kind == "name":
        return not keyword.iskeyword(right.text)
    if right.text == "(":
        # 'x(y+1)' is a product, but 'foo(1)' stays a call so that the refusal can
        # name the unknown function.
        if left.kind == "name":
            return left.text in variables or left.text in _CONSTANTS
        return True
    if right.kind == "number":
        return left.text == ")"  # '(x+1)2'; 'x 2' stays a syntax error
    return False


def _split_products(tokens: list[_Token], variables: Sequence[str]) -> list[_Token]:
    """Split a name made only of one-letter variables: ``xy`` -> ``x y`` (x*y)."""
    letters = {v for v in variables if len(v) == 1}
    split: list[_Token] = []
    for token in tokens:
        if (
            token.kind == "name"
            and len(token.text) > 1
            and token.text not in variables
            and set(token.text) <= letters
        ):
            split.extend(_Token("name", letter) for letter in token.text)
        else:
            split.append(token)
    return split


def _rewrite(tokens: list[_Token], variables: Sequence[str]) -> str:
    """Insert implicit products and return the text that ast will parse."""
    tokens = _split_products(tokens, variables)
    pieces: list[str] = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if _is_function(token) and (following is None or following.text != "("):
            if following is not None and following.text == "**":
                raise ExpressionError(
                    f"write {token.text}(x)^2, not {token.text}^2(x): the power goes "
                    "after the brackets"
                )
            raise ExpressionError(
                f"'{token.text}' is a function: write {token.text}(...) with brackets"
            )
        pieces.append(token.text)
        if following is not None and _needs_times(token, following, variables):
            pieces.append("*")
    return " ".join(pieces)


# --- stage 3: ast whitelist -------------------------------------------------------

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


# --- stage 4: build sympy ---------------------------------------------------------


def _tree_size(expr: sympy.Basic, limit: int) -> int:
    """Number of nodes of ``expr`` (shared subtrees counted each time), capped."""
    count = 0
    stack = [expr]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        stack.extend(node.args)
    return count


_UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


class _Builder:
    """Build sympy objects from a whitelisted tree, bounding every constant."""

    def __init__(
        self, symbols: dict[str, sympy.Symbol], numbers: dict[int, sympy.Rational]
    ) -> None:
        self.symbols = symbols
        self.numbers = numbers

    def build(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            return self.numbers[id(node)]
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.symbols[node.id]
            return _CONSTANTS[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand)
            result = -operand if isinstance(node.op, ast.USub) else operand
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            result = sympy.Add(*self.chain(node, (ast.Add, ast.Sub)))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
            result = sympy.Mul(*self.chain(node, (ast.Mult, ast.Div)))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            result = self.power(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            result = self.call(node.func.id, node)
            if (
                isinstance(result, sympy.Min | sympy.Max)
                and len(result.args) > MAX_MINMAX_ARGUMENTS
            ):
                # Max(a, Max(b, c)) is Max(a, b, c): nested calls count together.
                raise ExpressionError(
                    f"{node.func.id}() of more than {MAX_MINMAX_ARGUMENTS} terms in "
                    f"all (nested {node.func.id} calls merge into one): the "
                    "derivative compares every pair of terms, so keep it to a few"
                )
        else:  # pragma: no cover - the checker refuses everything else first
            raise ExpressionError(f"{_source(node)} is not allowed in a formula")
        self.check_result(result, node)
        return result

    def chain(
        self, node: ast.BinOp, ops: tuple[type[ast.operator], type[ast.operator]]
    ) -> list[sympy.Expr]:
        """Terms of ``a + b - c`` (or factors of ``a * b / c``), built at once."""
        right_operands: list[tuple[ast.operator, ast.AST]] = []
        current: ast.AST = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ops):
            right_operands.append((current.op, current.right))
            current = current.left
        parts = [self.build(current)]
        for op, operand in reversed(right_operands):
            part = self.build(operand)
            if isinstance(op, ast.Sub):
                part = -part
            elif isinstance(op, ast.Div):
                if part == 0:
                    raise ExpressionError(f"division by zero in {_source(node)}")
                part = sympy.Pow(part, -1)
            parts.append(part)
        return parts

    def power(self, node: ast.BinOp) -> sympy.Expr:
        base = self.build(node.left)
        exponent = self.build(node.right)
        if not exponent.free_symbols:
            size = abs(float(exponent))
            if size > MAX_EXPONENT:
                raise ExpressionError(
                    f"exponent in {_source(node)} is too large: powers are limited "
                    f"to ±{MAX_EXPONENT}"
                )
            if not base.free_symbols:
                # numeric ** numeric: sympy would compute it at once, so estimate
                # the size of the result with logarithms first.
                magnitude = abs(float(base))
                if magnitude == 0 and float(exponent) < 0:
                    raise ExpressionError(f"division by zero in {_source(node)}")
                if magnitude != 0:
                    digits = float(exponent) * math.log10(magnitude)
                    if abs(digits) > MAX_CONSTANT_LOG10:
                        raise ExpressionError(
                            f"{_source(node)} is out of range (about 10^{digits:.0f})"
                            f": constants must stay within 1e±{MAX_CONSTANT_LOG10}"
                        )
        elif not base.free_symbols and not float(base) > 0:
            # (-1)**x is not real for most x, and 0**x has no derivative at all
            raise ExpressionError(
                f"{_source(node)}: a number raised to a variable power must be positive"
            )
        return sympy.Pow(base, exponent)

    def call(self, name: str, node: ast.Call) -> sympy.Expr:
        function = _FUNCTIONS[name][0]
        args = [self.build(arg) for arg in node.args]
        growing = name in _GROWING and not args[0].free_symbols
        if growing and abs(float(args[0])) > MAX_EXP_ARGUMENT:
            raise ExpressionError(
                f"{_source(node)} is out of range: the argument of {name} must "
                f"stay within ±{MAX_EXP_ARGUMENT:g}"
            )
        if name == "log" and len(args) == 2:
            if not args[1].free_symbols and not (0 < float(args[1]) != 1):
                raise ExpressionError(
                    f"the base of {_source(node)} must be positive and not 1"
                )
            # log(a, b) is log(a) / log(b): check both parts, not only the quotient
            for part in args:
                self.check_result(sympy.log(part), node)
        return function(*args)

    def check_result(self, result: sympy.Expr, node: ast.AST) -> None:
        """Refuse infinities, non-real constants and constants beyond 1e±300."""
        if not isinstance(result, sympy.Expr):  # pragma: no cover - defensive
            raise ExpressionError(f"{_source(node)} is not a number")
        if result.has(*_UNDEFINED):
            raise ExpressionError(
                f"{_source(node)} is undefined: it divides by zero or is infinite"
            )
        if result.free_symbols or result == 0:
            return
        out_of_range = ExpressionError(
            f"{_source(node)} is out of range: constants must stay within "
            f"1e±{MAX_CONSTANT_LOG10}"
        )
        if result.is_Rational:
            # log10 |p/q| from bit lengths, without building a float
            bits = abs(result.p).bit_length() - result.q.bit_length()
            if abs(bits) * math.log10(2) > MAX_CONSTANT_LOG10 + 1:
                raise out_of_range
            return
        real, imaginary = result.evalf(15).as_real_imag()
        if imaginary != 0:
            raise ExpressionError(f"{_source(node)} is not a real number")
        limit = 10.0**MAX_CONSTANT_LOG10
        if real != 0 and not 1 / limit <= abs(real) <= limit:
            raise out_of_range


def _check_variables(variables: tuple[str, ...]) -> tuple[str, ...]:
    variables = tuple(variables)
    if not 1 <= len(variables) <= 3:
        raise ExpressionError(f"a formula takes 1 to 3 variables, got {len(variables)}")
    for name in variables:
        if (
            not isinstance(name, str)
            or re.fullmatch(r"[a-z][a-z0-9]*", name) is None
            or keyword.iskeyword(name)
            or name in _FUNCTIONS
            or name in _CONSTANTS
            or name in _ALIASES
        ):
            raise ExpressionError(f"{name!r} cannot be used as a variable name")
    if len(set(variables)) != len(variables):
        raise ExpressionError(f"variable names must differ, got {variables}")
    return variables


def _symbols(variables: tuple[str, ...]) -> tuple[sympy.Symbol, ...]:
    # real=True: then |x|' = sign(x) and sqrt(x**2) = |x|, as a student expects.
    return tuple(sympy.Symbol(name, real=True) for name in variables)


def parse_expression(text: str, variables: tuple[str, ...] = ("x", "y")) -> sympy.Expr:
    """Build a sympy expression from typed text without evaluating the text.

    Parameters
    ----------
    text : str
        A formula such as ``"x^2 + 3y^2"``, ``"2sin(x)cos(y)"`` or ``"min(x, y)"``.
        At most ``MAX_LENGTH`` (500) characters. Accepted habits: ``^`` for powers,
        implicit products (``2x``, ``2(x+1)``, ``(x+1)(y-1)``, ``x y``, ``xy``,
        ``2pi``),
        upper-case function names (``SIN(x)``), ``ln``, ``·``, ``×``, ``−``, ``π``
        and superscript digits. Implicit products bind like ``*``: ``1/2x`` is x/2.
    variables : tuple of str, default ("x", "y")
        The names the formula may use (1 to 3 lower-case names).

    Returns
    -------
    sympy.Expr
        The expression over real symbols named after ``variables``. It may be a
        constant.

    Raises
    ------
    ExpressionError
        With a message naming the offending part: unknown names or functions,
        attribute access, subscripts, strings, keywords, lambdas, comprehensions,
        comparisons, too long or too deeply nested input, more than ``MAX_NODES``
        parts, more than ``MAX_MINMAX_ARGUMENTS`` terms in one min or max, more
        than ``MAX_NON_SMOOTH`` calls of min, max, abs and sign, too large
        numbers or powers, division by zero, non-real constants.

    Examples
    --------
    >>> parse_expression("2x^2 + y")
    2*x**2 + y
    """
    if not isinstance(text, str):
        raise ExpressionError(f"a formula must be text, got {type(text).__name__}")
    variables = _check_variables(variables)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the formula is too long ({len(text)} characters): at most {MAX_LENGTH}"
        )
    ascii_text = _normalise_characters(text).strip()
    if not ascii_text:
        raise ExpressionError(
            f"the formula is empty: type a function of {_join(variables)}"
        )
    _check_brackets(ascii_text)
    source = _rewrite(_tokenize(ascii_text), variables)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(
            f"could not read the formula ({error.msg}): check for a missing number, "
            "operator or bracket"
        ) from None
    if _nesting_depth(tree) > MAX_NESTING_DEPTH:
        raise ExpressionError(
            f"the formula is nested too deeply (more than {MAX_NESTING_DEPTH} levels)"
        )
    numbers = _Checker(source, variables).check(tree)
    _check_parts(tree)
    symbols = dict(zip(variables, _symbols(variables), strict=True))
    try:
        expr = _Builder(symbols, numbers).build(tree)
    except ExpressionError:
        raise
    except (ArithmeticError, TypeError, ValueError, RuntimeError) as error:
        raise ExpressionError(
            f"could not build the formula ({type(error).__name__}): simplify it"
        ) from None
    if expr.has(sympy.I):  # pragma: no cover - every constant was checked above
        raise ExpressionError("the formula has values that are not real numbers")
    if _tree_size(expr, MAX_EXPRESSION_NODES) > MAX_EXPRESSION_NODES:
        raise ExpressionError(
            f"the formula is too large: it has more than {MAX_EXPRESSION_NODES} "
            "parts once built; shorten it"
        )
    for power in expr.atoms(sympy.Pow):
        if not power.exp.free_symbols and abs(float(power.exp)) > MAX_EXPONENT:
            raise ExpressionError(
                f"the formula makes the power {str(power)!r}: exponents are limited to "
                f"±{MAX_EXPONENT}"
            )
    return expr


# --- derivatives and numeric callables -------------------------------------------

# Functions that lambdify can evaluate: the vocabulary's own (sqrt builds a Pow
# and log(x, b) a quotient of logs, so neither adds a class), plus what
# differentiation brings in (the derivatives of abs, sign, min and max).
_NUMERIC_FUNCTIONS = (
    *(build for build, _, _ in _FUNCTIONS.values() if isinstance(build, type)),
    sympy.log,
    sympy.Heaviside,
    sympy.DiracDelta,
)


def _dirac_delta(argument: Any, *_: Any) -> Any:
    """DiracDelta as a numeric function: 0 (a point mass has no finite value)."""
    return np.zeros_like(argument, dtype=float)


def _heaviside(argument: Any, at_zero: Any = 0.5) -> Any:
    """Heaviside step, 1/2 at 0 as in sympy."""
    return np.heaviside(argument, at_zero)


# Naming Heaviside here makes lambdify print it as a plain call; the numpy printer
# would otherwise rewrite it as a Piecewise and simplify its conditions, which can
# take seconds for max(...) of three terms.
_MODULES = [{"DiracDelta": _dirac_delta, "Heaviside": _heaviside}, "numpy"]


def _numpy_ready(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with integers beyond 2**53 as floats, which numpy ufuncs accept.

    ``log(10**200)`` would reach numpy as a Python int too large for int64.
    """
    big = {
        number: sympy.Float(number, 17)
        for number in expr.atoms(sympy.Rational)
        if abs(number.p) >= 2**53 or number.q >= 2**53
    }
    return expr.xreplace(big) if big else expr


def _lambdify(
    symbols: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr]
) -> Callable[..., list[Any]]:
    """numpy code for a list of built expressions; returns a list per call."""
    return sympy.lambdify(symbols, [_numpy_ready(e) for e in exprs], modules=_MODULES)


# --- one point in plain Python floats ---------------------------------------------
# At a single point, Python floats and the math module are several times faster
# than numpy scalars. They differ from numpy only where f is not a finite real:
# math raises (log(-1), exp(1000), 1/0) and ** may give a complex number, where
# numpy gives nan or inf. Such a point is recomputed with numpy, so every
# non-finite answer is numpy's. The helpers below keep a nan from hiding behind a
# comparison (Python's max(1, nan) is 1), and fabs refuses a complex number that
# abs would turn into a real one.


def _scalar_sign(value: float) -> float:
    if value > 0:
        return 1.0
    if value < 0:
        return -1.0
    return 0.0 if value == 0 else math.nan


def _scalar_heaviside(value: float, at_zero: float = 0.5) -> float:
    if value > 0:
        return 1.0
    if value < 0:
        return 0.0
    return float(at_zero) if value == 0 else math.nan


def _scalar_max(*values: float) -> float:
    best = max(values)
    return best if all(v == v for v in values) else math.nan


def _scalar_min(*values: float) -> float:
    least = min(values)
    return least if all(v == v for v in values) else math.nan


def _scalar_dirac_delta(value: float, *_: Any) -> float:
    return 0.0


_SCALAR_MODULES = [
    {
        "Heaviside": _scalar_heaviside,
        "DiracDelta": _scalar_dirac_delta,
        "Max": _scalar_max,
        "Min": _scalar_min,
        "scalar_sign": _scalar_sign,
        "fabs": math.fabs,
    },
    "math",
]
# The Python printer writes abs and sign inline (abs(x), copysign(1, x)); as
# undefined functions they are printed as calls to the helpers above.
_SCALAR_NAMES = {
    sympy.Abs: sympy.Function("fabs"),
    sympy.sign: sympy.Function("scalar_sign"),
}
# What a scalar formula raises where numpy would give nan or inf (TypeError: a
# complex number reached a real function or float()).
_SCALAR_FAILURES = (ArithmeticError, ValueError, TypeError)


def _lambdify_scalar(
    symbols: Sequence[sympy.Symbol], exprs: Sequence[sympy.Expr]
) -> Callable[..., list[Any]]:
    """math-module code for a list of expressions, for one point of Python floats."""
    ready = []
    for expr in exprs:
        expr = _numpy_ready(expr)
        for kind, name in _SCALAR_NAMES.items():
            if expr.has(kind):
                expr = expr.replace(kind, name)
        ready.append(expr)
    return sympy.lambdify(symbols, ready, modules=_SCALAR_MODULES)


def _finite_floats(values: Sequence[Any]) -> list[float] | None:
    """``values`` as floats if every one is a finite real, else None."""
    try:
        floats = [float(v) for v in values]
    except _SCALAR_FAILURES:
        return None
    return floats if all(math.isfinite(v) for v in floats) else None


def _check_numeric(exprs: Sequence[sympy.Expr], what: str) -> None:
    """Refuse what lambdify could not turn into real numpy code."""
    for expr in exprs:
        if expr.has(sympy.Derivative, sympy.Subs):
            raise ExpressionError(f"the {what} of this formula cannot be evaluated")
        if expr.has(sympy.I, *_UNDEFINED):
            raise ExpressionError(
                f"the {what} of this formula is not a real, finite expression"
            )
        for applied in expr.atoms(sympy.Function):
            if not isinstance(applied, _NUMERIC_FUNCTIONS):
                raise ExpressionError(
                    f"the {what} of this formula uses {applied.func}, which cannot be "
                    "evaluated numerically"
                )


def _distinct_entries(
    matrix: Sequence[Sequence[sympy.Expr]],
) -> tuple[list[sympy.Expr], np.ndarray]:
    """The distinct entries of a (symmetric) matrix and where each one goes.

    A Hessian is symmetric, so only its upper triangle needs compiling; ``index``
    maps every (i, j) to its entry in the returned list.
    """
    entries: list[sympy.Expr] = []
    n = len(matrix)
    index = np.zeros((n, n), dtype=int)
    for i in range(n):
        for j in range(n):
            if j < i and matrix[i][j] == matrix[j][i]:
                index[i, j] = index[j, i]
            else:
                index[i, j] = len(entries)
                entries.append(matrix[i][j])
    return entries, index


@dataclass(frozen=True)
class StationaryKind:
    """What the second-derivative test says about a point.

    Attributes
    ----------
    kind : {"minimum", "maximum", "saddle", "inconclusive"}
    sentence : str
        One plain sentence for the page.
    eigenvalues : tuple of float
        Eigenvalues of the Hessian at the point (the second derivative in 1-D).
    gradient_norm : float
        ‖∇f‖ at the point; the test only classifies points where it is ~0.
    """

    kind: Literal["minimum", "maximum", "saddle", "inconclusive"]
    sentence: str
    eigenvalues: tuple[float, ...]
    gradient_norm: float


@dataclass(frozen=True)
class SymbolicFunction:
    """A parsed formula with its gradient, Hessian, LaTeX and numpy callables.

    Build it with :func:`symbolic_function` (or :meth:`from_text`). The numeric
    callables are lambdified once, from the built sympy expressions only.

    Attributes
    ----------
    text : str
        The formula as typed.
    variables : tuple of str
        Variable names, in the order of the coordinates of a point.
    expr : sympy.Expr
        f.
    gradient_exprs : tuple of sympy.Expr
        (∂f/∂v for v in variables).
    hessian_exprs : tuple of tuple of sympy.Expr
        ∂²f/∂vᵢ∂vⱼ, shape (n_vars, n_vars).

    Examples
    --------
    >>> f = symbolic_function("x^2 + y^2")
    >>> f.value(np.array([2.0, 2.0])), f.gradient(np.array([2.0, 2.0]))
    (8.0, array([4., 4.]))
    """

    text: str
    variables: tuple[str, ...]
    expr: sympy.Expr
    gradient_exprs: tuple[sympy.Expr, ...]
    hessian_exprs: tuple[tuple[sympy.Expr, ...], ...]
    _value_fn: Callable[..., Any] = field(init=False, repr=False, compare=False)
    _gradient_fn: Callable[..., Any] = field(init=False, repr=False, compare=False)
    _scalar_fn: Callable[..., Any] = field(init=False, repr=False, compare=False)
    _hessian_fn: Callable[..., Any] = field(init=False, repr=False, compare=False)
    _hessian_index: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n_vars = len(self.variables)
        rows = [len(row) for row in self.hessian_exprs]
        if len(self.gradient_exprs) != n_vars or rows != [n_vars] * n_vars:
            raise ValueError(
                f"gradient must have {n_vars} entries and the Hessian shape "
                f"({n_vars}, {n_vars})"
            )
        symbols = _symbols(self.variables)
        entries, index = _distinct_entries(self.hessian_exprs)
        # object.__setattr__: the dataclass is frozen; these are caches of the
        # fields above, not state.
        object.__setattr__(self, "_value_fn", _lambdify(symbols, [self.expr]))
        object.__setattr__(
            self, "_gradient_fn", _lambdify(symbols, self.gradient_exprs)
        )
        object.__setattr__(self, "_hessian_fn", _lambdify(symbols, entries))
        object.__setattr__(
            self,
            "_scalar_fn",
            _lambdify_scalar(symbols, [self.expr, *self.gradient_exprs]),
        )
        object.__setattr__(self, "_hessian_index", index)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle the sympy fields only; the callables are rebuilt on load.
        return (
            type(self),
            (
                self.text,
                self.variables,
                self.expr,
                self.gradient_exprs,
                self.hessian_exprs,
            ),
        )

    def __repr__(self) -> str:
        return f"SymbolicFunction({self.text!r}, variables={self.variables!r})"

    @classmethod
    def from_text(
        cls, text: str, variables: tuple[str, ...] = ("x", "y")
    ) -> SymbolicFunction:
        """Same as :func:`symbolic_function`."""
        return symbolic_function(text, variables)

    @property
    def n_vars(self) -> int:
        """Number of variables."""
        return len(self.variables)

    @property
    def is_constant(self) -> bool:
        """Whether f does not depend on any variable (its gradient is zero)."""
        return not self.expr.free_symbols

    # -- LaTeX --------------------------------------------------------------------

    def latex(self) -> str:
        """f in LaTeX, e.g. ``x^{2} + y^{2}``."""
        return sympy.latex(self.expr)

    def gradient_latex(self) -> tuple[str, ...]:
        """Each partial derivative ∂f/∂v in LaTeX, in the order of ``variables``."""
        return tuple(sympy.latex(g) for g in self.gradient_exprs)

    def hessian_latex(self) -> str:
        """The Hessian matrix in LaTeX."""
        return sympy.latex(sympy.Matrix(self.hessian_exprs))

    # -- numbers at one point ----------------------------------------------------

    def _coordinates(self, point: Any) -> np.ndarray:
        coordinates = np.asarray(point, dtype=float)
        if coordinates.shape != (self.n_vars,):
            raise ValueError(
                f"a point must have shape ({self.n_vars},), got {coordinates.shape}"
            )
        return coordinates

    def _at_point(self, coordinates: np.ndarray) -> list[float]:
        """[f, ∂f/∂v...] at one point: Python floats first, numpy if not finite."""
        try:
            fast = _finite_floats(self._scalar_fn(*coordinates.tolist()))
        except _SCALAR_FAILURES:
            fast = None
        if fast is not None:
            return fast
        with np.errstate(all="ignore"):
            value = self._value_fn(*coordinates)[0]
            gradient = self._gradient_fn(*coordinates)
        return [float(value), *(float(g) for g in gradient)]

    def value(self, point: np.ndarray) -> float:
        """f at ``point`` (shape (n_vars,)); nan or inf where f is not finite."""
        return self._at_point(self._coordinates(point))[0]

    def gradient(self, point: np.ndarray) -> np.ndarray:
        """∇f at ``point`` (shape (n_vars,)); returns shape (n_vars,)."""
        return np.array(self._at_point(self._coordinates(point))[1:])

    def value_and_gradient(self, point: np.ndarray) -> tuple[float, np.ndarray]:
        """f and ∇f at ``point`` together, for a caller that needs both each step."""
        values = self._at_point(self._coordinates(point))
        return values[0], np.array(values[1:])

    def hessian(self, point: np.ndarray) -> np.ndarray:
        """The Hessian at ``point``; returns shape (n_vars, n_vars)."""
        with np.errstate(all="ignore"):
            entries = np.array(self._hessian_fn(*self._coordinates(point)), dtype=float)
        return entries[self._hessian_index]

    # -- numbers on grids --------------------------------------------------------

    def _grid_arrays(self, axes_arrays: Sequence[Any]) -> list[np.ndarray]:
        if len(axes_arrays) != self.n_vars:
            raise ValueError(
                f"expected {self.n_vars} coordinate array(s), got {len(axes_arrays)}"
            )
        return [np.asarray(a, dtype=float) for a in axes_arrays]

    @staticmethod
    def _as_grid(values: Any, shape: tuple[int, ...]) -> np.ndarray:
        # A constant (or a component such as 0) comes back as a scalar: broadcast
        # it; non-finite points become nan so that plots skip them.
        grid = np.array(np.broadcast_to(np.asarray(values, dtype=float), shape))
        grid[~np.isfinite(grid)] = np.nan
        return grid

    def values_on_grid(self, *axes_arrays: np.ndarray) -> np.ndarray:
        """f on a grid, e.g. ``values_on_grid(X, Y)`` for ``np.meshgrid`` arrays.

        Parameters
        ----------
        *axes_arrays : ndarray
            One coordinate array per variable, broadcastable to a common shape.

        Returns
        -------
        ndarray of float
            f at every grid point, of the broadcast shape (a constant f is
            broadcast too); nan where f is undefined or not finite. No numpy
            warning is emitted and the inputs are not modified.
        """
        arrays = self._grid_arrays(axes_arrays)
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        with np.errstate(all="ignore"):
            return self._as_grid(self._value_fn(*arrays)[0], shape)

    def gradients_on_grid(self, *axes_arrays: np.ndarray) -> tuple[np.ndarray, ...]:
        """Each partial derivative on a grid, as :meth:`values_on_grid` does for f.

        Returns
        -------
        tuple of ndarray
            (∂f/∂v for v in variables), each of the broadcast shape; nan where the
            derivative is not finite.
        """
        arrays = self._grid_arrays(axes_arrays)
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        with np.errstate(all="ignore"):
            components = self._gradient_fn(*arrays)
            return tuple(self._as_grid(c, shape) for c in components)

    # -- second-derivative test --------------------------------------------------

    def classify_point(
        self,
        point: np.ndarray,
        tol: float = 1e-6,
        gradient_tol: float | None = 1e-3,
    ) -> StationaryKind:
        """Classify ``point`` with the second-derivative test.

        The eigenvalues λ of the Hessian decide: all λ > 0 minimum, all λ < 0
        maximum, both signs saddle, otherwise (some λ ≈ 0) inconclusive. An
        eigenvalue counts as zero when ``|λ| <= tol * max(1, max|λ|)``.

        Parameters
        ----------
        point : ndarray of shape (n_vars,)
        tol : float, default 1e-6
            Relative tolerance for a zero eigenvalue.
        gradient_tol : float or None, default 1e-3
            If ‖∇f(point)‖ exceeds it, the point is not stationary and the result is
            "inconclusive" whatever the curvature; None skips this check.

        Returns
        -------
        StationaryKind
            The kind, a sentence for the page, the eigenvalues and ‖∇f‖. Where f,
            ∇f or the Hessian is not finite the kind is "inconclusive".
        """
        value = self.value(point)
        gradient = self.gradient(point)
        hessian = self.hessian(point)
        with np.errstate(all="ignore"):  # a huge gradient has an infinite norm
            gradient_norm = float(np.linalg.norm(gradient))
        finite = np.isfinite(value) and np.isfinite(gradient_norm)
        if not (finite and np.all(np.isfinite(hessian))):
            return StationaryKind(
                "inconclusive",
                "f or its derivatives are not defined here, so the second-derivative "
                "test cannot say anything.",
                (),
                gradient_norm,
            )
        eigenvalues = np.linalg.eigvalsh((hessian + hessian.T) / 2)
        shown = tuple(float(v) for v in eigenvalues)
        listed = ", ".join(f"{v:.4g}" for v in shown)
        if gradient_tol is not None and gradient_norm > gradient_tol:
            return StationaryKind(
                "inconclusive",
                f"The gradient is not zero here (‖∇f‖ = {gradient_norm:.3g}), so this "
                "is not a stationary point: no minimum, maximum or saddle yet.",
                shown,
                gradient_norm,
            )
        scale = max(1.0, float(np.max(np.abs(eigenvalues))))
        positive = eigenvalues > tol * scale
        negative = eigenvalues < -tol * scale
        one_d = self.n_vars == 1
        if np.all(positive):
            kind = "minimum"
            sentence = (
                f"f'' = {listed} > 0: the curve bends upward, so this is a local "
                "minimum."
                if one_d
                else f"All Hessian eigenvalues are positive ({listed}): the surface "
                "curves up in every direction, so this is a local minimum."
            )
        elif np.all(negative):
            kind = "maximum"
            sentence = (
                f"f'' = {listed} < 0: the curve bends downward, so this is a local "
                "maximum."
                if one_d
                else f"All Hessian eigenvalues are negative ({listed}): the surface "
                "curves down in every direction, so this is a local maximum."
            )
        elif np.any(positive) and np.any(negative):
            kind = "saddle"
            sentence = (
                f"The Hessian has eigenvalues of both signs ({listed}): the surface "
                "curves up in one direction and down in another, so this is a saddle "
                "point."
            )
        else:
            kind = "inconclusive"
            sentence = (
                f"f'' = {listed} is zero here: the second-derivative test cannot "
                "decide; higher-order terms do."
                if one_d
                else f"A Hessian eigenvalue is zero ({listed}): the second-derivative "
                "test cannot decide; higher-order terms do."
            )
        return StationaryKind(kind, sentence, shown, gradient_norm)


def _derivative_size(expr: sympy.Basic, symbol: sympy.Symbol) -> int:
    """About how many nodes ``diff(expr, symbol)`` has, estimated without building it.

    Follows the rules sympy applies: a sum differentiates term by term; a product
    gives one term per factor that depends on ``symbol`` (the whole product with
    that factor replaced by its derivative); a power or a function repeats its
    argument next to the argument's derivative (chain rule); min and max give one
    Heaviside term per argument, each holding the other arguments. Shared subtrees
    count each time, as printers and lambdify see them. Linear in the number of
    distinct subtrees.
    """
    # (size, derivative size, depends on symbol), filled bottom-up without
    # recursion so that a deep tree cannot exhaust the interpreter's stack.
    seen: dict[sympy.Basic, tuple[int, int, bool]] = {}
    stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
    while stack:
        node, children_done = stack.pop()
        if node in seen:
            continue
        if not children_done:
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in seen)
            continue
        parts = [seen[arg] for arg in node.args]
        size = 1 + sum(part[0] for part in parts)
        depends = node == symbol or any(part[2] for part in parts)
        varying = [part for part in parts if part[2]]
        if not depends or node == symbol:
            derivative = 1
        elif isinstance(node, sympy.Add):
            derivative = 1 + sum(d for _, d, _ in varying)
        elif isinstance(node, sympy.Mul):
            derivative = 1 + sum(size - s + d + 1 for s, d, _ in varying)
        elif isinstance(node, sympy.Pow):
            (base, d_base, _), (power, d_power, power_varies) = parts
            derivative = base + power + d_base + 4
            if power_varies:  # b^p (p' log b + p b'/b)
                derivative += base + power + d_power + 4
        elif isinstance(node, sympy.Min | sympy.Max):
            derivative = 1 + sum(d + size + 4 for _, d, _ in varying)
        else:  # f(a) -> f'(a) a', where f'(a) holds a copy or two of a
            derivative = 1 + sum(d + 2 * s + 6 for s, d, _ in varying)
        seen[node] = (size, derivative, depends)
    return seen[expr][1]


# The estimate is rarely below the real size (sympy cancels some terms it counts,
# merges others), so only a clear excess refuses before building; the built
# derivative is then measured exactly.
_ESTIMATE_SLACK = 1.5


def _too_complex(what: str, limit: int) -> ExpressionError:
    return ExpressionError(
        f"the formula is too complex to differentiate quickly: its {what} would "
        f"have more than {limit} terms; simplify it"
    )


def _derivatives(
    exprs: Sequence[sympy.Expr],
    pairs: Sequence[tuple[int, sympy.Symbol]],
    limit: int,
    what: str,
) -> list[sympy.Expr]:
    """``diff(exprs[i], s)`` for each ``(i, s)`` in ``pairs``, within ``limit`` nodes.

    Each derivative is estimated before sympy builds it and measured right after,
    so an exploding formula stops at its first large part, before the rest.
    """
    built: list[sympy.Expr] = []
    size = 0
    for index, symbol in pairs:
        if size + _derivative_size(exprs[index], symbol) > _ESTIMATE_SLACK * limit:
            raise _too_complex(what, limit)
        built.append(sympy.diff(exprs[index], symbol))
        size += _tree_size(built[-1], limit - size)
        if size > limit:
            raise _too_complex(what, limit)
    return built


def _differentiate(
    expr: sympy.Expr, symbols: tuple[sympy.Symbol, ...]
) -> tuple[tuple[sympy.Expr, ...], tuple[tuple[sympy.Expr, ...], ...]]:
    """The gradient and the Hessian of ``expr``, each bounded in size."""
    n = len(symbols)
    gradient = tuple(
        _derivatives([expr], [(0, s) for s in symbols], MAX_GRADIENT_NODES, "gradient")
    )
    # Mixed partials agree (Schwarz), so differentiate the upper triangle only and
    # mirror it: ∂²f/∂y∂x is the same object as ∂²f/∂x∂y.
    pairs = [(i, j) for i in range(n) for j in range(i, n)]
    upper = _derivatives(
        gradient,
        [(i, symbols[j]) for i, j in pairs],
        MAX_HESSIAN_NODES,
        "Hessian",
    )
    entries = dict(zip(pairs, upper, strict=True))
    hessian = tuple(
        tuple(entries[min(i, j), max(i, j)] for j in range(n)) for i in range(n)
    )
    _check_numeric([expr], "value")
    _check_numeric(gradient, "gradient")
    _check_numeric(upper, "Hessian")
    return gradient, hessian


def symbolic_function(
    text: str, variables: tuple[str, ...] = ("x", "y")
) -> SymbolicFunction:
    """Parse ``text`` and differentiate it symbolically, within time bounds.

    Every size that makes sympy slow is bounded before the call it would slow
    down: the formula's parts, min/max terms and kinks before sympy builds it,
    each derivative's estimated size before sympy differentiates, the built sizes
    before the Hessian and before compiling.

    Parameters
    ----------
    text : str
        The formula; see :func:`parse_expression` for what is accepted.
    variables : tuple of str, default ("x", "y")
        Variable names, in the order of a point's coordinates.

    Returns
    -------
    SymbolicFunction

    Raises
    ------
    ExpressionError
        If the text is refused, or if its derivatives grow beyond
        ``MAX_GRADIENT_NODES`` / ``MAX_HESSIAN_NODES``. Nothing else: whatever
        sympy raises on an accepted formula is reported as an ExpressionError.
    """
    variables = _check_variables(variables)
    expr = parse_expression(text, variables)
    symbols = _symbols(variables)
    try:
        gradient, hessian = _differentiate(expr, symbols)
        return SymbolicFunction(
            text=text,
            variables=variables,
            expr=expr,
            gradient_exprs=gradient,
            hessian_exprs=hessian,
        )
    except ExpressionError:
        raise
    except (ArithmeticError, TypeError, ValueError, RuntimeError) as error:
        raise ExpressionError(
            f"could not differentiate the formula ({type(error).__name__}): simplify it"
        ) from None


def try_symbolic(
    text: str, variables: tuple[str, ...] = ("x", "y")
) -> SymbolicFunction | ExpressionError:
    """:func:`symbolic_function`, with a refusal returned instead of raised.

    For caches: a refusal is a result that costs its work once. Both outcomes
    pickle.
    """
    try:
        return symbolic_function(text, variables)
    except ExpressionError as error:
        return error


# --- presets ----------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """A ready-made function with a start point and learning rate that teach well.

    Attributes
    ----------
    key : str
        Stable identifier (used in URLs).
    title : str
        Name shown in the page.
    text : str
        The formula, in the syntax a user would type.
    variables : tuple of str
        ("x",) or ("x", "y").
    start : tuple of float
        Starting point, one coordinate per variable.
    learning_rate : float
        Step size for plain gradient descent (or ascent), > 0.
    note : str
        One line: what this surface teaches.
    goal : {"minimize", "maximize"}
        Descent or ascent.
    domain : tuple of 4 floats
        (xmin, xmax, ymin, ymax) to plot. With one variable, (ymin, ymax) is the
        range of f(x) on the vertical axis.
    """

    key: str
    title: str
    text: str
    variables: tuple[str, ...]
    start: tuple[float, ...]
    learning_rate: float
    note: str
    goal: Literal["minimize", "maximize"] = "minimize"
    domain: tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0)

    def __post_init__(self) -> None:
        if len(self.start) != len(self.variables):
            raise SettingsError(
                f"preset {self.key!r}: start {self.start} needs one coordinate per "
                f"variable {self.variables}"
            )
        if not self.learning_rate > 0:
            raise SettingsError(f"preset {self.key!r}: learning_rate must be > 0")
        if self.goal not in ("minimize", "maximize"):
            raise SettingsError(f"preset {self.key!r}: goal must be minimize/maximize")
        xmin, xmax, ymin, ymax = self.domain
        if not (xmin < xmax and ymin < ymax):
            raise SettingsError(f"preset {self.key!r}: domain must be increasing")

    def function(self) -> SymbolicFunction:
        """The parsed preset."""
        return symbolic_function(self.text, self.variables)


PRESETS: tuple[Preset, ...] = (
    Preset(
        key="bowl",
        title="Bowl  x² + y²",
        text="x^2 + y^2",
        variables=("x", "y"),
        start=(2.0, 2.0),
        learning_rate=0.01,
        note="The simplest convex bowl: every step points straight at the minimum.",
        domain=(-3.0, 3.0, -3.0, 3.0),
    ),
    Preset(
        key="parabola",
        title="Parabola  x² + 2x + 3",
        text="x^2 + 2x + 3",
        variables=("x",),
        start=(3.0,),
        learning_rate=0.1,
        note="One variable: the derivative 2x + 2 shrinks as x nears the minimum "
        "at -1.",
        domain=(-5.0, 3.0, 0.0, 20.0),
    ),
    Preset(
        key="double_well",
        title="Double well  x⁴ − 3x² + x",
        text="x^4 - 3x^2 + x",
        variables=("x",),
        start=(2.0,),
        learning_rate=0.02,
        note="Two valleys: from x = 2 descent stops in the shallower one, not the "
        "deepest.",
        domain=(-2.5, 2.5, -5.0, 8.0),
    ),
    Preset(
        key="elongated_bowl",
        title="Elongated bowl  x² + 10y²",
        text="x^2 + 10y^2",
        variables=("x", "y"),
        start=(-4.0, 1.0),
        learning_rate=0.09,
        note="Steep in y, flat in x: the path zig-zags across the valley and crawls "
        "along it.",
        domain=(-5.0, 5.0, -2.0, 2.0),
    ),
    Preset(
        key="saddle",
        title="Saddle  x² − y²",
        text="x^2 - y^2",
        variables=("x", "y"),
        start=(2.0, 0.01),
        learning_rate=0.1,
        note="The gradient vanishes at the origin, yet it is no minimum: the path "
        "slides in, then falls off along y.",
        domain=(-3.0, 3.0, -3.0, 3.0),
    ),
    Preset(
        key="rosenbrock",
        title="Rosenbrock",
        text="(1 - x)^2 + 100(y - x^2)^2",
        variables=("x", "y"),
        start=(-1.5, 2.0),
        learning_rate=0.001,
        note="A curved, narrow valley: the path reaches the valley floor fast, then "
        "creeps toward (1, 1).",
        domain=(-2.0, 2.0, -1.0, 3.0),
    ),
    Preset(
        key="himmelblau",
        title="Himmelblau",
        text="(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        variables=("x", "y"),
        start=(0.0, 0.0),
        learning_rate=0.01,
        note="Four equally deep minima: which one you reach depends on where you "
        "start.",
        domain=(-5.0, 5.0, -5.0, 5.0),
    ),
    Preset(
        key="beale",
        title="Beale",
        text="(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2",
        variables=("x", "y"),
        start=(1.0, 1.0),
        learning_rate=0.01,
        note="Flat plateaus and steep walls: progress is uneven; the minimum is at "
        "(3, 0.5).",
        domain=(-4.5, 4.5, -4.5, 4.5),
    ),
    Preset(
        key="booth",
        title="Booth",
        text="(x + 2y - 7)^2 + (2x + y - 5)^2",
        variables=("x", "y"),
        start=(-5.0, -5.0),
        learning_rate=0.05,
        note="A tilted quadratic bowl: a straight-ish run to the minimum at (1, 3).",
        domain=(-10.0, 10.0, -10.0, 10.0),
    ),
    Preset(
        key="rastrigin",
        title="Rastrigin",
        text="20 + x^2 - 10cos(2pi x) + y^2 - 10cos(2pi y)",
        variables=("x", "y"),
        start=(2.3, -1.6),
        learning_rate=0.002,
        note="Many local minima: plain descent gets stuck in the nearest dip, far "
        "from the global minimum at (0, 0).",
        domain=(-5.12, 5.12, -5.12, 5.12),
    ),
    Preset(
        key="bump",
        title="Gaussian bump (ascent)",
        text="3exp(-(x^2 + y^2)/2)",
        variables=("x", "y"),
        start=(2.0, -1.5),
        learning_rate=0.3,
        note="Gradient ascent climbs to the top at (0, 0): short steps on the flat "
        "flank, long ones on the slope, short again at the top.",
        goal="maximize",
        domain=(-3.0, 3.0, -3.0, 3.0),
    ),
)


def get_preset(key: str) -> Preset:
    """The preset with this key.

    Raises
    ------
    SettingsError
        If no preset has this key (e.g. a tampered URL).
    """
    for preset in PRESETS:
        if preset.key == key:
            return preset
    keys = ", ".join(p.key for p in PRESETS)
    raise SettingsError(f"unknown preset {key!r}: choose one of {keys}")
