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

from gddash.functions.parse import parse_expression
from gddash.functions.presets import PRESETS, Preset, get_preset
from gddash.functions.symbolic import (
    StationaryKind,
    SymbolicFunction,
    symbolic_function,
    try_symbolic,
)
from gddash.functions.vocabulary import (
    FUNCTION_NAMES,
    MAX_BRACKET_DEPTH,
    MAX_CONSTANT_LOG10,
    MAX_EXP_ARGUMENT,
    MAX_EXPONENT,
    MAX_EXPRESSION_NODES,
    MAX_GRADIENT_NODES,
    MAX_HESSIAN_NODES,
    MAX_LENGTH,
    MAX_LITERAL,
    MAX_MINMAX_ARGUMENTS,
    MAX_NESTING_DEPTH,
    MAX_NODES,
    MAX_NON_SMOOTH,
)

__all__ = [
    "FUNCTION_NAMES",
    "MAX_BRACKET_DEPTH",
    "MAX_CONSTANT_LOG10",
    "MAX_EXPONENT",
    "MAX_EXPRESSION_NODES",
    "MAX_EXP_ARGUMENT",
    "MAX_GRADIENT_NODES",
    "MAX_HESSIAN_NODES",
    "MAX_LENGTH",
    "MAX_LITERAL",
    "MAX_MINMAX_ARGUMENTS",
    "MAX_NESTING_DEPTH",
    "MAX_NODES",
    "MAX_NON_SMOOTH",
    "PRESETS",
    "Preset",
    "StationaryKind",
    "SymbolicFunction",
    "get_preset",
    "parse_expression",
    "symbolic_function",
    "try_symbolic",
]
