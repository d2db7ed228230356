"""Which model an exported run fits on a dataset, its engine problem and its optimum.

A dataset's task decides the model a script fits: least squares for a numeric
target (or Huber's robust loss, a choice), logistic regression for two classes,
softmax regression for three to twenty. The problem is built as the dashboard
builds it (``compare.problem_for``): with ``intercept=True`` when the prepared
data has an intercept column, so that a penalty leaves the intercept alone.
A ``CompareSettings`` with Huber's ``epsilon`` set fits Huber regression, as on
the compare page (``compare.model_of``).
"""

from __future__ import annotations

from gddash import compare
from gddash.compare import CompareSettings, Optimum
from gddash.data import Dataset
from gddash.engine.penalties import Penalty
from gddash.errors import SettingsError

MODELS = ("linear", "logistic", "huber", "softmax")
# sklearn's default for SGDRegressor(loss="huber"): ε in units of the target.
HUBER_EPSILON = 0.1


def models_for(dataset: Dataset) -> tuple[str, ...]:
    """The models a dataset's target suits: its task's own, plus Huber for regression.

    >>> from gddash import data
    >>> line = data.prepare(data.read_csv(data.load_sample("line")), "y", ["x"])
    >>> models_for(line)
    ('linear', 'huber')
    """
    if dataset.task == "linear":
        return ("linear", "huber")
    return (dataset.task,)


def model_for(dataset: Dataset, model: str | None) -> str:
    """``model``, checked against the dataset (None: the dataset's own task).

    Raises
    ------
    SettingsError
        For an unknown model, or one the target does not suit (Huber on classes,
        softmax on a numeric target, ...).
    """
    if model is None:
        return dataset.task
    if model not in MODELS:
        raise SettingsError(
            f"The 'model' parameter must be one of {MODELS}. Got {model!r} instead."
        )
    allowed = models_for(dataset)
    if model not in allowed:
        raise SettingsError(
            f"The model {model!r} does not suit this {dataset.task} target: "
            f"choose one of {allowed}."
        )
    return model


def check_epsilon(epsilon: float) -> float:
    """Huber's ε as a float, refused unless in (0, inf)."""
    if (
        isinstance(epsilon, bool)
        or not isinstance(epsilon, int | float)
        or not 0 < epsilon < float("inf")
    ):
        raise SettingsError(
            "The 'epsilon' parameter must be a float in (0, inf). "
            f"Got {epsilon!r} instead."
        )
    return float(epsilon)


def problem_for(
    dataset: Dataset, model: str | None = None, *, epsilon: float = HUBER_EPSILON
):
    """The engine problem the scripts reproduce: ``compare.problem_for``'s.

    Parameters
    ----------
    dataset : Dataset
    model : {"linear", "logistic", "huber", "softmax"} or None
        None: the dataset's task.
    epsilon : float in (0, inf)
        Huber's threshold (``model="huber"`` only).
    """
    model = model_for(dataset, model)
    if model == "huber":
        return compare.problem_for(
            dataset, CompareSettings(epsilon=check_epsilon(epsilon))
        )
    return compare.problem_for(dataset)


def optimum_for(dataset: Dataset, problem, penalty: Penalty | None = None) -> Optimum:
    """θ* of the problem's (penalised) objective: ``compare.optimum_for``'s."""
    return compare.optimum_for(dataset, problem, penalty)
