"""What a formula may contain and how large it may be: limits and vocabulary.

Each limit bounds a size that would otherwise cost time or memory on the shared
server, and is checked before the work it would make expensive.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable

import sympy

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
