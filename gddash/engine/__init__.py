"""The shared descent engine: arrays in, a ``Trace`` out (numpy + numba only).

from gddash.engine import LinearRegression, Settings, descend, least_squares
trace = descend(LinearRegression(X, y), Settings(variant="sgd", learning_rate=0.01))

With a penalty, an intercept column that it leaves alone, and the optimum:
settings = Settings(variant="sgd", penalty="elasticnet", alpha=1e-3, l1_ratio=0.5)
problem = LinearRegression(X, y, intercept=True)
trace, best = descend(problem, settings), minimum(problem, settings.penalty_term)

Rows that arrive a stretch at a time (a source larger than memory): ``run_rows``
from ``start_rows(settings, d)``, the state carried from call to call.
"""

from gddash.engine.descent import Plan, descend, plan, warm_up
from gddash.engine.optima import Minimum, minimum
from gddash.engine.penalties import PENALTIES, Penalty
from gddash.engine.problems import (
    HuberRegression,
    LinearRegression,
    LogisticRegression,
    Objective,
)
from gddash.engine.reference import (
    Conditioning,
    LogisticOptimum,
    conditioning,
    least_squares,
    logistic_optimum,
)
from gddash.engine.settings import RULES, SCHEDULES, VARIANTS, Settings
from gddash.engine.shuffle import SHUFFLE_NOTE, epoch_order
from gddash.engine.softmax import MAX_CLASSES, SoftmaxRegression
from gddash.engine.stretch import RowUpdates, Stretch, run_rows, start_rows
from gddash.engine.trace import STATUSES, Trace

__all__ = [
    "MAX_CLASSES",
    "PENALTIES",
    "RULES",
    "SCHEDULES",
    "SHUFFLE_NOTE",
    "STATUSES",
    "VARIANTS",
    "Conditioning",
    "HuberRegression",
    "LinearRegression",
    "LogisticOptimum",
    "LogisticRegression",
    "Minimum",
    "Objective",
    "Penalty",
    "Plan",
    "RowUpdates",
    "Settings",
    "SoftmaxRegression",
    "Stretch",
    "Trace",
    "conditioning",
    "descend",
    "epoch_order",
    "least_squares",
    "logistic_optimum",
    "minimum",
    "plan",
    "run_rows",
    "start_rows",
    "warm_up",
]
