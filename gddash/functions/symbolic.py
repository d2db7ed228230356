"""A parsed formula's gradient, Hessian, LaTeX and numeric callables.

Derivatives are built by sympy within size bounds (each one estimated before it is
built and measured after); numbers come from code lambdify prints from the built
expressions: numpy for grids, Python floats for one point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import sympy

from gddash.errors import ExpressionError
from gddash.functions.parse import (
    _UNDEFINED,
    _check_variables,
    _symbols,
    _tree_size,
    parse_expression,
)
from gddash.functions.vocabulary import (
    _FUNCTIONS,
    MAX_GRADIENT_NODES,
    MAX_HESSIAN_NODES,
)

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
    except Exception as error:
        # A visitor gets a refusal, never a traceback, whatever sympy raises
        # on a formula the checks let through.
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
