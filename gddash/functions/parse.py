"""Typed text -> sympy expression, without evaluating the text.

Stage 1 checks characters, stage 2 re-tokenizes (``^`` -> ``**``, implicit
products such as ``2x``), stage 3 (:mod:`gddash.functions.whitelist`) checks the
syntax tree, and stage 4 rebuilds it by hand from ``sympy.Symbol``,
``sympy.Rational``, ``sympy.Add``, ``sympy.sin``, bounding every constant.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from gddash.errors import ExpressionError
from gddash.functions.vocabulary import (
    _ALIASES,
    _CONSTANTS,
    _FUNCTIONS,
    _GROWING,
    _STATEMENT_KEYWORDS,
    _SUPERSCRIPTS,
    _UNICODE_REPLACEMENTS,
    MAX_BRACKET_DEPTH,
    MAX_CONSTANT_LOG10,
    MAX_EXP_ARGUMENT,
    MAX_EXPONENT,
    MAX_EXPRESSION_NODES,
    MAX_LENGTH,
    MAX_MINMAX_ARGUMENTS,
    MAX_NESTING_DEPTH,
)
from gddash.functions.whitelist import (
    _check_parts,
    _Checker,
    _describe_char,
    _join,
    _nesting_depth,
    _source,
)

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
    except Exception as error:
        # A visitor gets a refusal, never a traceback, whatever sympy raises
        # on a formula the checks let through.
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
