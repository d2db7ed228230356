"""Ready-made functions with a start point and learning rate that teach well."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gddash.errors import SettingsError
from gddash.functions.symbolic import (
    SymbolicFunction,
    symbolic_function,
)


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
