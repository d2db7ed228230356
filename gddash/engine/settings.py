"""Settings of one descent run: a frozen, validated record.

Validation happens here, at the boundary, so that the loop below never sees a
value it cannot use. Messages follow one shape, e.g. "The 'learning_rate'
parameter must be a float in (0, inf). Got -0.1 instead."
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gddash.engine import rules
from gddash.engine.penalties import PENALTIES, Penalty
from gddash.engine.validate import is_int as _is_int
from gddash.engine.validate import is_real as _is_real
from gddash.engine.validate import must as _must

VARIANTS = ("batch", "sgd", "minibatch")
RULES = tuple(rules.RULE_IDS)
SCHEDULES = tuple(rules.SCHEDULE_IDS)


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
    penalty : {None, "l2", "l1", "elasticnet"}
        Add α R(w) to the mean loss, as scikit-learn's SGDRegressor does (see
        ``gddash.engine.penalties``); w is θ without the entries the problem
        leaves unpenalised (its intercept: ``intercept=True`` on the problem).
        Per-row plain SGD (any schedule) applies it as scikit-learn does: L2 as
        a shrink of w before each step, L1 by the cumulative truncated gradient
        of Tsuruoka et al. Batch and mini-batch with the plain rule take a
        proximal step: the gradient step on loss + ½ l2‖w‖², then a
        soft-threshold of w by η_t·αρ. The other rules step along the
        minimum-norm subgradient and stop a weight that crosses 0 at 0 (see
        ``rules.penalty_gradient``). Traces record the penalised objective and
        its minimum-norm subgradient (0 exactly at a minimum), which ``eps``
        tests.
    alpha : float in [0, inf) or None
        The penalty's strength α. Required with a penalty; ignored without.
    l1_ratio : float in [0, 1]
        ρ, the L1 share of "elasticnet" (0: pure L2, 1: pure L1).
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
    penalty: str | None = None
    alpha: float | None = None
    l1_ratio: float = 0.15

    def __post_init__(self) -> None:
        _must(
            self.penalty is None or self.penalty in PENALTIES,
            "penalty",
            f"one of {PENALTIES} or None",
            self.penalty,
        )
        if self.penalty is not None:
            _must(
                self.alpha is not None,
                "alpha",
                f"a float in [0, inf) with penalty={self.penalty!r}",
                self.alpha,
            )
        _must(
            self.alpha is None or (_is_real(self.alpha) and 0 <= self.alpha < math.inf),
            "alpha",
            "a float in [0, inf) or None",
            self.alpha,
        )
        _must(
            _is_real(self.l1_ratio) and 0 <= self.l1_ratio <= 1,
            "l1_ratio",
            "a float in [0, 1]",
            self.l1_ratio,
        )
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

    @property
    def penalty_term(self) -> Penalty | None:
        """The penalty as a ``Penalty`` (None without one)."""
        if self.penalty is None:
            return None
        return Penalty(self.penalty, self.alpha, self.l1_ratio)
