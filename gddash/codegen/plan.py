"""What the engine will do on a dataset, and the prepared CSV the scripts read.

``plan_run`` restates ``gddash.engine.plan`` in numbers a script can use (batch
size, updates per epoch, budget); ``prepared_csv`` writes the prepared rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gddash.codegen.models import HUBER_EPSILON, check_epsilon, model_for
from gddash.compare import VARIANT_TITLES, CompareSettings, model_of
from gddash.data import Dataset
from gddash.engine import Settings, plan
from gddash.errors import SettingsError
from gddash.export import csv_bytes

DATA_FILE = "gddash-prepared.csv"

# --------------------------------------------------------------------------------------
# What the engine will do: batch size, updates per epoch, budget
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunPlan:
    """How the engine runs one variant on one dataset, in numbers a script can use.

    Attributes
    ----------
    settings : Settings
        The engine settings of the run (``CompareSettings.settings_for``).
    variant : str
        The variant asked for.
    ran_as : {"batch", "sgd", "minibatch"}
        The variant that runs: a mini-batch as large as the data is batch.
    batch_size : int
        Rows per update (n_samples for batch).
    updates_per_epoch : int
        1 for batch, ⌈n / batch_size⌉ otherwise.
    n_updates : int
        Updates the script runs: the trace's count when given, else the budget.
    from_trace : bool
        Whether ``n_updates`` came from a dashboard trace.
    model : {"linear", "logistic", "huber", "softmax"}
        The model fitted (``models.model_for``).
    epsilon : float
        Huber's ε (used by ``model="huber"`` only).
    n_classes : int
        K for softmax, 1 otherwise: θ has ``n_classes`` rows of d weights.
    has_intercept : bool
        Column 0 is the intercept's column of ones (a penalty leaves it alone).
    """

    settings: Settings
    variant: str
    ran_as: str
    batch_size: int
    updates_per_epoch: int
    n_updates: int
    from_trace: bool
    model: str = "linear"
    epsilon: float = HUBER_EPSILON
    n_classes: int = 1
    has_intercept: bool = True

    @property
    def scheme(self) -> str | None:
        """How the run applies its penalty (None without one).

        "sklearn": per-row plain SGD on one output, scikit-learn's
        ``_plain_sgd`` (L2 as a shrink before each step, L1 by the cumulative
        truncated gradient); "proximal": the plain rule otherwise (a gradient
        step on loss + ½ l2‖w‖², then a soft-threshold by η·l1); "subgradient":
        every other rule (the minimum-norm subgradient, no crossing of 0).
        """
        if self.settings.penalty is None:
            return None
        if self.settings.rule != "plain":
            return "subgradient"
        if self.ran_as == "sgd" and self.model != "softmax":
            return "sklearn"
        return "proximal"


def plan_run(
    dataset: Dataset,
    settings: CompareSettings,
    variant: str,
    n_updates: int | None = None,
    *,
    model: str | None = None,
    epsilon: float | None = None,
) -> RunPlan:
    """The engine's batch size and budget for ``variant`` on ``dataset``.

    ``gddash.engine.plan`` decides them: batch uses every row, SGD one,
    mini-batch ``min(batch_size, n)``; a batch size >= n runs as batch; the
    budget is ⌈max_epochs · updates_per_epoch⌉ updates, capped by
    ``max_updates``.

    ``model`` and Huber's ``epsilon`` say what is fitted; None follows the
    settings as the compare page does (``compare.model_of``: Huber when
    ``settings.epsilon`` is set, else the dataset's task; ε from
    ``settings.epsilon``, else 0.1). The penalty is ``settings.descent``'s.

    Raises
    ------
    SettingsError
        For an unknown variant, a negative ``n_updates``, a start point of the
        wrong length, a model the target does not suit or ε <= 0.
    """
    if variant not in VARIANT_TITLES:
        raise SettingsError(
            f"The 'variant' parameter must be one of {tuple(VARIANT_TITLES)}. "
            f"Got {variant!r} instead."
        )
    if n_updates is not None and (
        isinstance(n_updates, bool)
        or not isinstance(n_updates, int | np.integer)
        or n_updates < 0
    ):
        raise SettingsError(
            "The 'n_updates' parameter must be an int in [0, inf) or None. "
            f"Got {n_updates!r} instead."
        )
    if model is None:
        model = model_of(dataset, settings)
    model = model_for(dataset, model)
    if epsilon is None:
        epsilon = HUBER_EPSILON if settings.epsilon is None else settings.epsilon
    epsilon = check_epsilon(epsilon)
    engine = settings.settings_for(variant)
    n = dataset.n_samples
    n_classes = dataset.n_classes if model == "softmax" else 1
    n_params = n_classes * dataset.n_features
    if engine.theta0 is not None and len(engine.theta0) != n_params:
        raise SettingsError(
            f"theta0 has {len(engine.theta0)} values but the model has "
            f"{n_params} parameters."
        )
    planned = plan(n, engine)
    return RunPlan(
        settings=engine,
        variant=variant,
        ran_as="batch" if planned.as_batch else variant,
        batch_size=planned.batch_size,
        updates_per_epoch=planned.updates_per_epoch,
        n_updates=planned.n_updates if n_updates is None else int(n_updates),
        from_trace=n_updates is not None,
        model=model,
        epsilon=epsilon,
        n_classes=n_classes,
        has_intercept=dataset.has_intercept,
    )


def prepared_csv(dataset: Dataset) -> bytes:
    """The prepared training rows as CSV: the columns of X, then the target.

    Values are written with 17 significant digits, so every float64 reads back
    exactly. Validation rows (held out by the dashboard) are not included. A
    column name a spreadsheet would run as a formula (``=…``, ``+…``, ``-…``,
    ``@…``) is written with a leading ``'`` (``gddash.export.csv_bytes``).

    Parameters
    ----------
    dataset : Dataset

    Returns
    -------
    bytes
        UTF-8 CSV with a header of ``feature_names`` (intercept included) and
        ``target_name``.
    """
    # Built from one array, so that a target named like a column cannot replace it.
    frame = pd.DataFrame(
        np.column_stack([dataset.X, dataset.y]),
        columns=[*dataset.feature_names, dataset.target_name],
    )
    # The scripts skip the header row, so a name escaped for spreadsheets
    # (a leading ') changes nothing they compute.
    return csv_bytes(frame, float_format="%.17g")
