"""``explorer_numpy_script``: the explorer's descent on a formula, in numpy.

f and ∇f are printed from the parsed sympy expressions (never from the typed
text), and the loop is the seed's ``while norm(grad) > eps`` with the engine's
stops.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy
from sympy.printing.numpy import NumPyPrinter

from gddash.codegen.rules import (
    RULE_WORDS,
    SCHEDULE_WORDS,
    lr_line,
    rule_code,
    schedule_constants,
    schedule_function,
)
from gddash.codegen.text import comment_block, constants_block, fill, indented, number
from gddash.engine import Settings, plan
from gddash.errors import ExpressionError, SettingsError
from gddash.functions import symbolic_function

# The printer lambdify uses for numpy (gddash.functions compiles f with it), with
# module names written out so that the script needs no star import. Heaviside and
# DiracDelta (derivatives of abs, min, max, sign) print as plain calls to helpers
# defined in the script, as gddash.functions defines them.
_HELPERS = {"Heaviside", "DiracDelta"}
_HELPER_CODE = {
    "Heaviside": fill(
        '''
        def Heaviside(z, at_zero=0.5):
            """The unit step (the derivative of max and abs): 0, at_zero at 0, 1."""
            return np.heaviside(z, at_zero)
        '''
    ),
    "DiracDelta": fill(
        '''
        def DiracDelta(z, *_):
            """The derivative of a step: 0 wherever it has a value."""
            return np.zeros_like(z, dtype=float)
        '''
    ),
}


def _print_numpy(exprs: Sequence[sympy.Expr]) -> tuple[list[str], set[str]]:
    """numpy source of each built expression, and the extra modules it needs."""
    printer = NumPyPrinter(
        {
            "fully_qualified_modules": True,
            "inline": True,
            "allow_unknown_functions": True,
            "user_functions": {name: name for name in _HELPERS},
        }
    )
    try:
        texts = [printer.doprint(expr) for expr in exprs]
    except Exception as error:  # a construct the printer cannot write as numpy
        raise ExpressionError(
            f"this formula cannot be written as numpy code ({type(error).__name__})"
        ) from None
    # The printer names numpy in full; the script imports it as np. Only module
    # names and printed symbols occur here, never the user's text.
    texts = [re.sub(r"\bnumpy\.", "np.", text) for text in texts]
    modules = set(printer.module_imports) - {"numpy"}
    return texts, modules


def _explorer_header(text: str, variables, settings, start, max_iter) -> list[str]:
    """The opening comment of the formula script: f, goal, rule and stops."""
    goal = "maximum (gradient ascent)" if settings.maximize else "minimum (descent)"
    rule = RULE_WORDS[settings.rule]
    lines = [
        f"Gradient {'ascent' if settings.maximize else 'descent'} on a formula, "
        "as the gddash explorer runs it.",
        "",
        f"f({', '.join(variables)}) = {text!r}   (as typed; f and ∇f below are "
        "printed from the parsed formula)",
        f"Goal:   a {goal}; start at {list(start)}.",
        f"Rule:   {rule} update; learning rate η₀ = {settings.learning_rate:g}, "
        f"schedule {SCHEDULE_WORDS[settings.schedule]}.",
        f"Stop:   when ‖∇f‖ <= ε = {settings.eps:g}, or after {max_iter:,} "
        "iterations, or if f blows up.",
    ]
    if settings.tol is not None:
        lines.append(
            f"        Also when f improved by less than tol = {settings.tol:g} for "
            f"{settings.n_iter_no_change} iterations in a row."
        )
    lines += [
        "The end point matches the explorer's to about 1e-8 (only rounding differs).",
        "",
        "Run it:  python gddash_explorer.py    (needs numpy)",
    ]
    return lines


def _explorer_update(settings: Settings) -> str:
    """One update of θ from ∇f (``grad``) with learning rate ``lr``."""
    if settings.rule == "plain":
        if settings.maximize:
            return fill(
                """
                # Ascent: add the gradient, θ ← θ + η ∇f, to climb.
                theta = theta + lr * grad
                """
            )
        return fill(
            """
            # Descent: subtract the gradient, θ ← θ − η ∇f, to go downhill.
            theta = theta - lr * grad
            """
        )
    if settings.maximize:
        lead = "g = -grad  # ascent is descent on −f, whose gradient is −∇f\n"
    else:
        lead = "g = grad  # descent: the rule steps against g\n"
    return lead + rule_code(settings).update


def _explorer_loop(settings: Settings) -> str:
    """The body of ``gradient_steps``: the seed's loop, with the engine's stops."""
    state = rule_code(settings).state
    minimised = "-value" if settings.maximize else "value"
    lines = [
        "theta = np.array(START, dtype=float)",
        *([state] if state else []),
        "value, grad = f(theta), gradient(theta)",
        "f0 = value",
        "scale = max(abs(f0), 1.0) if np.isfinite(f0) else 1.0  # f's size at start",
        'status = "stopped after MAX_ITER updates"',
    ]
    if settings.tol is not None:
        lines += [
            f"best = np.inf  # the lowest {minimised} so far",
            "no_improvement = 0",
        ]
    lines += [
        "t = 0",
        'with np.errstate(all="ignore"):  # where f is undefined: nan, no warning',
        "    while np.linalg.norm(grad) > EPS and t < MAX_ITER:",
        "        t += 1",
        f"        {lr_line(settings)}",
        indented(_explorer_update(settings), 8),
        "        value, grad = f(theta), gradient(theta)",
        "        # Stop if the run blew up: θ or f not finite, or f ran far away.",
        "        if not (np.isfinite(theta).all() and np.isfinite(value)):",
        '            status = "diverged: lower the learning rate"',
        "            break",
        "        if abs(value - f0) > RUNAWAY * scale:",
        '            status = "diverged: lower the learning rate"',
        "            break",
    ]
    if settings.tol is not None:
        lines += [
            "        # Also stop when f has stopped improving by more than TOL.",
            f"        if {minimised} > best - TOL:",
            "            no_improvement += 1",
            "        else:",
            "            no_improvement = 0",
            f"        best = min(best, {minimised})",
            "        if no_improvement >= N_ITER_NO_CHANGE:",
            '            status = "converged: f stopped improving by more than TOL"',
            "            break",
        ]
    lines += [
        'if status.startswith("stopped") and np.linalg.norm(grad) <= EPS:',
        '    status = "converged: ‖∇f‖ <= EPS"',
        "return theta, value, grad, t, status",
    ]
    return indented("\n".join(lines), 4)


_FUNCTION_TEMPLATE = '''
def f(point):
    """f at a point."""
    $unpack = point
    return $value


def gradient(point):
    """∇f at a point: the partial derivatives, one per variable."""
    $unpack = point
    return np.array([$components], dtype=float)
'''


def _function_code(function) -> tuple[str, list[str]]:
    """``f`` and ``gradient`` (plus helpers) as numpy code, and the imports needed."""
    printed, modules = _print_numpy([function.expr, *function.gradient_exprs])
    value, *partials = printed
    unpack = ", ".join(function.variables) + ("," if function.n_vars == 1 else "")
    helpers = [
        _HELPER_CODE[name]
        for name in sorted(_HELPERS)
        if any(re.search(rf"\b{name}\(", text) for text in printed)
    ]
    components = ", ".join(partials)
    if len(components) > 60:  # one partial derivative per line
        components = "\n" + indented(",\n".join(partials), 8) + ",\n    "
    code = fill(_FUNCTION_TEMPLATE, unpack=unpack, value=value, components=components)
    if any("math." in text for text in printed):
        modules.add("math")
    return "\n\n\n".join([*helpers, code]), sorted(modules)


def explorer_numpy_script(
    text: str, variables: tuple[str, ...], settings: Settings
) -> str:
    """A numpy script running the explorer's descent (or ascent) on a formula.

    The formula is parsed safely with ``gddash.functions.symbolic_function``; f
    and its gradient are printed from the built sympy expressions with sympy's
    numpy printer. The script runs the seed's loop — ``while norm(grad) > eps``
    with an iteration cap — with the chosen rule and schedule, stops on a blow-up
    as the engine does, and prints the end of the path. It reproduces
    ``descend(Objective(f.value, f.gradient, n), settings).theta`` to about 1e-8.

    Parameters
    ----------
    text : str
        The formula as typed.
    variables : tuple of str
        Its variables, in the order of θ's coordinates (("x",) or ("x", "y")).
    settings : Settings
        The explorer's run: learning rate, rule, schedule, ε, maximize, the
        iteration cap (``max_epochs`` and ``max_updates``) and ``theta0``.

    Returns
    -------
    str
        Python source.

    Raises
    ------
    ExpressionError
        If the formula is refused.
    SettingsError
        If ``settings.variant`` is not "batch" (a function has no rows) or
        ``theta0`` has the wrong length.
    """
    function = symbolic_function(text, tuple(variables))
    n_vars = function.n_vars
    if settings.variant != "batch":
        raise SettingsError(
            f"variant '{settings.variant}' needs data rows to sample, and a function "
            "has none: use variant='batch'."
        )
    start = settings.theta0 if settings.theta0 is not None else (0.0,) * n_vars
    if len(start) != n_vars:
        raise SettingsError(
            f"theta0 has {len(start)} values but f has {n_vars} variables."
        )
    max_iter = plan(1, settings).n_updates  # a function: one "row", one update
    code, modules = _function_code(function)
    constants = {
        "START": "[" + ", ".join(number(v) for v in start) + "]",
        "LEARNING_RATE": f"{number(settings.learning_rate)}  # η₀",
        "EPS": f"{number(settings.eps)}  # stop when ‖∇f‖ <= EPS",
        "MAX_ITER": f"{max_iter}  # ... or after this many updates",
        "RUNAWAY": "1e10  # f moved this many times its starting size: diverged",
    }
    if settings.tol is not None:
        constants["TOL"] = number(settings.tol)
        constants["N_ITER_NO_CHANGE"] = str(settings.n_iter_no_change)
    constants |= rule_code(settings).constants | schedule_constants(settings, 1)
    if "UPDATES_PER_EPOCH" in constants:
        constants["UPDATES_PER_EPOCH"] = "1  # a function has no rows: 1 update"
    if settings.schedule in ("step", "exponential") and "math" not in modules:
        modules = sorted([*modules, "math"])
    imports = "".join(f"import {module}\n" for module in modules)
    verb = "Climb" if settings.maximize else "Descend"
    parts = [
        comment_block(
            _explorer_header(text, function.variables, settings, start, max_iter)
        )
        + "\n\n"
        + (imports + "\n" if imports else "")
        + "import numpy as np\n\n"
        + constants_block(constants),
        code,
    ]
    if schedule := schedule_function(settings):
        parts.append(schedule)
    parts.append(
        f'def gradient_steps():\n    """{verb} until ‖∇f‖ <= EPS; return the end of '
        'the path."""\n' + _explorer_loop(settings)
    )
    parts.append(fill(_EXPLORER_MAIN))
    return "\n\n\n".join(parts) + "\n"


_EXPLORER_MAIN = """
if __name__ == "__main__":
    theta, value, grad, t, status = gradient_steps()
    print("theta =", theta.tolist())
    print("f =", value)
    print("‖∇f‖ =", np.linalg.norm(grad))
    print("updates =", t)
    print("status:", status)
"""
