"""Formulas chosen to cost CPU: each is refused by a named size limit, or accepted
and evaluated correctly.

gddash is served to every visitor from one process, and a formula arrives in a
share link, so any text within ``MAX_LENGTH`` must parse, differentiate and compile
cheaply or be refused with a message that names the limit. Speed itself is
measured in ``benchmarks/``; these tests pin which limit refuses what, that the
refusal is an ``ExpressionError`` (never another exception), and that accepted
formulas give the numbers an independent numpy reference gives.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gddash.errors import ExpressionError
from gddash.functions import (
    MAX_GRADIENT_NODES,
    MAX_HESSIAN_NODES,
    MAX_LENGTH,
    MAX_MINMAX_ARGUMENTS,
    MAX_NODES,
    MAX_NON_SMOOTH,
    SymbolicFunction,
    symbolic_function,
    try_symbolic,
)


def powers(name: str, n: int) -> str:
    """``max(x^1,x^2,...,x^n)``: the share link of the issue for n = 40."""
    return f"{name}(" + ",".join(f"x^{k}" for k in range(1, n + 1)) + ")"


# (formula, a fragment of its refusal): each names the limit it hit.
REFUSED = [
    pytest.param(
        powers("max", 40),
        f"max() takes 2 to {MAX_MINMAX_ARGUMENTS} arguments, got 40",
        id="max-of-40-powers-link",
    ),
    pytest.param(powers("min", 95), "min() takes 2 to 4 arguments, got 95", id="min95"),
    pytest.param(powers("max", 5), "got 5: the derivative of a max", id="max-of-5"),
    pytest.param(
        "max(max(x, y), max(x^2, y^2), x^3)",
        "max() of more than 4 terms in all (nested max calls merge into one)",
        id="nested-max-merges",
    ),
    pytest.param(
        "max(x,max(y,max(x^2,max(y^2,max(x^3,max(y^3,max(x^4,max(y^4,max(x y,x-y)))))))))",
        f"calls min, max, abs or sign 9 times (at most {MAX_NON_SMOOTH})",
        id="max-chain-of-9",
    ),
    pytest.param(
        "+".join(f"abs(x-{k}y)" for k in range(1, 30)),
        "calls min, max, abs or sign 29 times",
        id="sum-of-29-abs",
    ),
    pytest.param(
        "*".join(f"sign(x-{k}y)" for k in range(1, 20)),
        "calls min, max, abs or sign 19 times",
        id="product-of-19-signs",
    ),
    pytest.param(
        "+".join(f"sin({k}x y)" for k in range(1, 40)),
        f"too many parts (311 numbers, names and operations; at most {MAX_NODES})",
        id="sum-of-39-sines",
    ),
    pytest.param(
        "*".join(f"(x+{k}y)" for k in range(1, 50)),
        f"its gradient would have more than {MAX_GRADIENT_NODES} terms",
        id="product-of-49-factors",
    ),
    pytest.param(
        "/".join(f"(x+{k}y)" for k in range(1, 50)),
        "its gradient would have more than",
        id="quotient-chain",
    ),
    pytest.param(
        "sin(" * 19 + "x y" + ")" * 19,
        f"its Hessian would have more than {MAX_HESSIAN_NODES} terms",
        id="sin-chain-19",
    ),
    pytest.param(
        "((((((((((x+y)^3+x)^3+y)^3+x)^3+y)^3+x)^3+y)^3+x)^3+y)^3)",
        "its Hessian would have more than",
        id="cubed-chain",
    ),
    pytest.param(
        "max(x,y,x^2,y^2)*max(x y,x-y,x^3,y^3)*max(x+y,x^2-y,y^2-x,x y^2)"
        "*min(sin(x),cos(y),x^4,y^4)",
        "too complex to differentiate quickly",
        id="product-of-four-max",
    ),
    pytest.param("9^9^9", "exponent in '9 ** 9 ** 9' is too large", id="9-9-9"),
    pytest.param("99999999999999^99", "about 10^1386", id="huge-integer-power"),
    pytest.param("1e308 x", "number '1e308' is out of range", id="1e308"),
    pytest.param("1e300 x", "numbers are limited to ±1e+15", id="1e300"),
    pytest.param("(x+y)^1000", "powers are limited to ±100", id="power-1000"),
    pytest.param("exp(exp(exp(10)))", "the argument of exp must stay within", id="eee"),
    pytest.param("(" * 21 + "x" + ")" * 21, "nested too deeply", id="parens-21"),
    pytest.param("x" * MAX_LENGTH, "too many parts (999 numbers", id="x-times-500"),
    pytest.param("x" * (MAX_LENGTH + 1), "the formula is too long", id="501-chars"),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("text", "fragment"), REFUSED)
def test_expensive_formula_is_refused_naming_its_limit(
    text: str, fragment: str
) -> None:
    assert len(text) <= MAX_LENGTH or "too long" in fragment
    with pytest.raises(ExpressionError) as caught:
        symbolic_function(text)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("text", "fragment"), REFUSED)
def test_refusal_is_returned_by_try_symbolic_and_pickles(
    text: str, fragment: str
) -> None:
    outcome = try_symbolic(text, ("x", "y"))
    assert isinstance(outcome, ExpressionError)
    restored = pickle.loads(pickle.dumps(outcome))
    assert type(restored) is ExpressionError
    assert fragment in str(restored)


def test_accepted_formula_is_returned_by_try_symbolic_and_pickles() -> None:
    outcome = try_symbolic("max(x^3 y, y^4 x, x y^5, sin(x y))", ("x", "y"))
    assert isinstance(outcome, SymbolicFunction)
    restored = pickle.loads(pickle.dumps(outcome))
    point = np.array([0.7, 1.3])
    assert restored.value(point) == outcome.value(point)


def test_four_terms_of_max_and_eight_kinks_are_accepted() -> None:
    four = symbolic_function("max(x^3 y, y^4 x, x y^5, sin(x y))")
    a, b = 0.7, 1.3
    assert four.value(np.array([a, b])) == pytest.approx(
        max(a**3 * b, b**4 * a, a * b**5, np.sin(a * b)), rel=1e-12
    )
    kinks = "+".join(f"abs(x-{k}y)" for k in range(1, MAX_NON_SMOOTH + 1))
    f = symbolic_function(kinks)
    expected = sum(abs(a - k * b) for k in range(1, MAX_NON_SMOOTH + 1))
    assert f.value(np.array([a, b])) == pytest.approx(expected, rel=1e-12)


# Accepted although they look dangerous: (formula, numpy reference, a point).
Reference = Callable[[float, float], float]
ACCEPTED: list[tuple[str, Reference, tuple[float, float]]] = [
    ("exp(exp(exp(x)))", lambda a, b: np.exp(np.exp(np.exp(a))), (0.3, 0.0)),
    ("x^x^x", lambda a, b: a ** (a**a), (1.3, 0.0)),
    ("(x^y)^(y^x)", lambda a, b: (a**b) ** (b**a), (1.2, 0.8)),
    ("(x+y+1)^100", lambda a, b: (a + b + 1) ** 100, (0.01, -0.02)),
    ("exp((x+y)^50)", lambda a, b: np.exp((a + b) ** 50), (0.5, 0.4)),
    (
        "+".join(f"sin({k}x)" for k in range(1, 30)),
        lambda a, b: sum(np.sin(k * a) for k in range(1, 30)),
        (0.37, 0.0),
    ),
    (
        "abs(abs(abs(abs(x-1)-2)-3)-y)",
        lambda a, b: abs(abs(abs(abs(a - 1) - 2) - 3) - b),
        (0.4, 0.9),
    ),
    (
        "max(abs(x)-y, abs(y)-x) + abs(max(x,y)) + min(abs(x-1), abs(y+1))",
        lambda a, b: (
            max(abs(a) - b, abs(b) - a) + abs(max(a, b)) + min(abs(a - 1), abs(b + 1))
        ),
        (0.4, -0.3),
    ),
    (
        "sqrt(" * 19 + "x^2+y^2" + ")" * 19,
        lambda a, b: (a * a + b * b) ** 2**-19,
        (1.5, 2.0),
    ),
    ("0.000000000000001x + 1e15 y", lambda a, b: 1e-15 * a + 1e15 * b, (2.0, 3.0)),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("text", "reference", "point"), ACCEPTED, ids=[a[0][:30] for a in ACCEPTED]
)
def test_dangerous_looking_formula_is_accepted_and_evaluates_correctly(
    text: str, reference: Reference, point: tuple[float, float]
) -> None:
    f = symbolic_function(text)
    a, b = point
    assert f.value(np.array(point)) == pytest.approx(reference(a, b), rel=1e-9)
    # the symbolic gradient against central differences of the reference
    h = 1e-6
    numeric = [
        (reference(a + h, b) - reference(a - h, b)) / (2 * h),
        (reference(a, b + h) - reference(a, b - h)) / (2 * h),
    ]
    assert f.gradient(np.array(point)) == pytest.approx(numeric, rel=1e-5, abs=1e-6)


MARKDOWN_ATTACKS = [
    "'[session expired, sign in](https://evil.example/login)'",
    "x + '![t](http://evil.example/tracker.png)'",
    "x['[click](http://evil.example)']",
    "sin('<img src=x onerror=alert(1)>')",
    "[click](http://evil.example)",
    "x + y ** 2 + [claim your prize](https://evil.example)",
    "f'{x}[a](http://evil.example)'",
]


@pytest.mark.parametrize("text", MARKDOWN_ATTACKS)
def test_refusal_never_echoes_quoted_text_or_the_whole_formula(text: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        symbolic_function(text)
    message = str(caught.value)
    assert "evil.example" not in message
    assert "](" not in message
    assert text not in message


# --- random formulas within the length limit ------------------------------------------

_LEAVES = st.sampled_from(["x", "y", "2", "3.5", "pi", "e", "1", "0.5", "x y"])
_UNARY = st.sampled_from(
    ["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "atan", "sign", "acos"]
)


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda f, a: f"{f}({a})", _UNARY, children),
        st.builds(
            lambda a, op, b: f"({a}{op}{b})",
            children,
            st.sampled_from(["+", "-", "*", "/", "^", " "]),
            children,
        ),
        st.builds(
            lambda f, args: f"{f}({','.join(args)})",
            st.sampled_from(["min", "max"]),
            st.lists(children, min_size=2, max_size=6),
        ),
        st.builds(
            lambda op, args: "(" + op.join(args) + ")",
            st.sampled_from(["+", "*"]),
            st.lists(children, min_size=2, max_size=10),
        ),
    )


FORMULAS = st.recursive(_LEAVES, _extend, max_leaves=80).filter(
    lambda text: len(text) <= MAX_LENGTH
)


@pytest.mark.timeout(600)
@settings(
    max_examples=60,
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(FORMULAS)
def test_random_formula_within_the_length_limit_parses_or_is_refused(
    text: str,
) -> None:
    """Nothing but an ExpressionError escapes; an accepted formula evaluates to a
    float and a gradient of the right shape everywhere, nan where undefined."""
    outcome = try_symbolic(text, ("x", "y"))
    if isinstance(outcome, ExpressionError):
        assert str(outcome)
        return
    for point in ([0.3, -0.7], [0.0, 0.0], [-2.0, 1e3]):
        value, gradient = outcome.value_and_gradient(np.array(point))
        assert isinstance(value, float)
        assert gradient.shape == (2,) and gradient.dtype == np.float64
