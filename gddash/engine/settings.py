"""Settings of one descent run: a frozen, validated record.

Validation happens here, at the boundary, so that the loop below never sees a
value it cannot use. Messages follow one shape, e.g. "The 'learning_rate'
parameter must be a float in (0, inf). Got -0.1 instead."
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from gddash.engine import rules
from gddash.errors import SettingsError

VARIANTS = ("batch", "sgd", "minibatch")
RULES = tuple(rules.RULE_IDS)
SCHEDULES = tuple(rules.SCHEDULE_IDS)


def _must(ok: bool, name: str, allowed: str, value: object) -> None:
    if not ok:
        raise SettingsError(
            f"The '{name}' parameter must be {allowed}. Got {value!r} instead."
        )


def _is_real(value: object) -> bool:
    # numpy scalars count (np.float32, np.int64); True and False do not.
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(
        value, bool | np.bool_
    )


@dataclass(frozen=True, kw_only=True)
class Settings:
    """How to descend: variant, update rule, schedule, budget and stopping rules.

    Parameters
    ----------
    variant : {"batch", "sgd", "minibatch"}
        How many rows feed each update: all of them, one, or ``batch_size``.
    learning_rate : float in (0, inf)
        The base step size η₀.
    batch_size : int >= 1
        Rows per update for ``"minibatch"``. A batch size >= n_samples runs as
        batch, and the trace says so. Ignored by the other variants.
    max_epochs : float in (0, inf)
        Budget in passes over the data. For a function (no rows) one epoch is
        one update, so this is the iteration cap.
    max_updates : int >= 1 or None
        Optional cap on the number of updates; whichever budget ends first wins.
    rule : {"plain", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}
        The update rule, see ``gddash.engine.rules.apply_update``.
    momentum : float in [0, 1)
        β for momentum / Nesterov, β₁ for Adam.
    beta2 : float in [0, 1)
        Decay of the squared-gradient average (RMSProp ρ, Adam β₂).
    adaptive_eps : float in (0, inf)
        The small constant in adaptive denominators √v + ε.
    schedule : {"constant", "invscaling", "step", "exponential"}
        Learning-rate schedule, a function of the update count t (1-based):
        η₀, η₀ / t^power_t, η₀ · drop^⌊epoch / step_epochs⌋, η₀ · e^(−decay·epoch).
    power_t, drop, step_epochs, decay : float
        Schedule parameters (see ``schedule``).
    eps : float in [0, inf)
        Converged when the full-data gradient norm ‖∇L‖ <= eps (the seed's rule).
    tol : float in [0, inf) or None
        Also converged when the full-data loss improved by less than ``tol`` for
        ``n_iter_no_change`` consecutive epochs. None switches this off.
    n_iter_no_change : int >= 1
    shuffle : bool
        Visit rows in a fresh seeded order each epoch (True) or in file order.
        The order shuffles blocks of rows and rows within windows of blocks, not
        all rows at once: see ``gddash.engine.shuffle`` (``SHUFFLE_NOTE``).
    seed : int >= 0
        Seed of every random choice. Same seed, same trace, bit for bit.
    maximize : bool
        Climb instead of descend (gradient ascent is descent on −f). Only for
        ``Objective`` problems: a regression loss is always minimised.
    max_points : int >= 2
        At most this many recorded points in the trace, evenly spaced in updates.
    theta0 : tuple of float or None
        Starting point; None starts at zeros.
    """

    variant: str = "batch"
    learning_rate: float = 0.01
    batch_size: int = 32
    max_epochs: float = 100.0
    max_updates: int | None = None
    rule: str = "plain"
    momentum: float = 0.9
    beta2: float = 0.999
    adaptive_eps: float = 1e-8
    schedule: str = "constant"
    power_t: float = 0.25
    drop: float = 0.5
    step_epochs: float = 10.0
    decay: float = 0.1
    eps: float = 1e-6
    tol: float | None = None
    n_iter_no_change: int = 5
    shuffle: bool = True
    seed: int = 0
    maximize: bool = False
    max_points: int = 1000
    theta0: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        _must(self.variant in VARIANTS, "variant", f"one of {VARIANTS}", self.variant)
        _must(self.rule in RULES, "rule", f"one of {RULES}", self.rule)
        _must(
            self.schedule in SCHEDULES, "schedule", f"one of {SCHEDULES}", self.schedule
        )
        lr = self.learning_rate
        _must(
            _is_real(lr) and 0 < lr < math.inf,
            "learning_rate",
            "a float in (0, inf)",
            lr,
        )
        _must(
            _is_int(self.batch_size) and self.batch_size >= 1,
            "batch_size",
            "an int in [1, inf)",
            self.batch_size,
        )
        _must(
            _is_real(self.max_epochs) and 0 < self.max_epochs < math.inf,
            "max_epochs",
            "a float in (0, inf)",
            self.max_epochs,
        )
        _must(
            self.max_updates is None
            or (_is_int(self.max_updates) and self.max_updates >= 1),
            "max_updates",
            "an int in [1, inf) or None",
            self.max_updates,
        )
        for name in ("momentum", "beta2"):
            value = getattr(self, name)
            _must(_is_real(value) and 0 <= value < 1, name, "a float in [0, 1)", value)
        for name in ("adaptive_eps", "power_t", "step_epochs", "decay"):
            value = getattr(self, name)
            _must(
                _is_real(value) and 0 < value < math.inf,
                name,
                "a float in (0, inf)",
                value,
            )
        _must(
            _is_real(self.drop) and 0 < self.drop <= 1,
            "drop",
            "a float in (0, 1]",
            self.drop,
        )
        _must(
            _is_real(self.eps) and 0 <= self.eps < math.inf,
            "eps",
            "a float in [0, inf)",
            self.eps,
        )
        _must(
            self.tol is None or (_is_real(self.tol) and 0 <= self.tol < math.inf),
            "tol",
            "a float in [0, inf) or None",
            self.tol,
        )
        _must(
            _is_int(self.n_iter_no_change) and self.n_iter_no_change >= 1,
            "n_iter_no_change",
            "an int in [1, inf)",
            self.n_iter_no_change,
        )
        _must(
            _is_int(self.seed) and self.seed >= 0,
            "seed",
            "an int in [0, inf)",
            self.seed,
        )
        _must(
            _is_int(self.max_points) and self.max_points >= 2,
            "max_points",
            "an int in [2, inf)",
            self.max_points,
        )
        if self.theta0 is not None:
            try:
                values = tuple(self.theta0)
            except TypeError:  # a bare number
                values = (None,)
            _must(
                all(_is_real(v) and math.isfinite(v) for v in values),
                "theta0",
                "a tuple of finite floats or None",
                self.theta0,
            )
            object.__setattr__(self, "theta0", tuple(float(v) for v in values))
        object.__setattr__(self, "shuffle", bool(self.shuffle))
        object.__setattr__(self, "maximize", bool(self.maximize))
