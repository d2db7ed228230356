"""The learn page's code export: one run on a sample, and the scripts that redo it.

``code_export`` picks a learning rate for the rule (``advice.rule_rate``), runs
the engine on the chosen model and penalty, writes the numpy and PyTorch
scripts for exactly that run and checks whether it is worth handing over
(``advice.check_run``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gddash.codegen.advice import RateChoice, RunCheck, check_run, rule_rate
from gddash.codegen.models import HUBER_EPSILON, model_for, optimum_for, problem_for
from gddash.codegen.numpy_code import numpy_script
from gddash.codegen.torch_code import torch_script
from gddash.compare import CompareSettings, Optimum
from gddash.data import Dataset
from gddash.engine import Settings, Trace, descend, plan

CODE_EPOCHS = 20.0
CODE_BATCH = 32

RunOne = Callable[[object, Settings], Trace]


@dataclass(frozen=True)
class CodeChoice:
    """What the visitor picked: model, Huber's ε and the penalty."""

    model: str | None = None  # None: the dataset's task
    epsilon: float = HUBER_EPSILON
    penalty: str | None = None  # None, "l2", "l1" or "elasticnet"
    alpha: float = 1e-3
    l1_ratio: float = 0.15

    def compare_settings(self, variant: str, **descent: object) -> CompareSettings:
        """The code section's comparison settings: one variant, this model."""
        return CompareSettings(
            variants=(variant,),
            batch_size=CODE_BATCH,
            epochs=CODE_EPOCHS,
            epsilon=self.epsilon if self.model == "huber" else None,
            descent=self.descent(**descent),
        )

    def descent(self, **values: object) -> Settings:
        """Engine settings with this penalty (alpha only when there is one)."""
        if self.penalty is None:
            return Settings(**values)
        return Settings(
            **values, penalty=self.penalty, alpha=self.alpha, l1_ratio=self.l1_ratio
        )


@dataclass(frozen=True)
class CodeExport:
    """The code section's run and the scripts that redo it."""

    settings: CompareSettings
    model: str
    rate: RateChoice  # the learning rate and why
    trace: Trace
    optimum: Optimum  # of the penalised objective when there is a penalty
    numpy_text: str
    torch_text: str
    check: RunCheck | None  # None: the run is fine to hand over


def code_settings(
    dataset: Dataset,
    variant: str,
    rule: str,
    optimum: Optimum,
    choice: CodeChoice = CodeChoice(),
) -> tuple[CompareSettings, RateChoice]:
    """The run the code section exports: 20 epochs, batches of 32, seed 0.

    The learning rate is ``rule_rate``'s. A rate well inside the stable range
    matters twice here: chaos would also turn last-bit rounding differences
    between the dashboard and a script into visibly different end points.
    """
    draft = choice.compare_settings(variant, rule=rule)
    n_updates = plan(dataset.n_samples, draft.settings_for(variant)).n_updates
    model = model_for(dataset, choice.model)
    rate = rule_rate(dataset, rule, n_updates, optimum, draft.descent, model=model)
    settings = choice.compare_settings(
        variant, learning_rate=rate.learning_rate, rule=rule
    )
    return settings, rate


def code_export(
    dataset: Dataset,
    variant: str,
    rule: str,
    choice: CodeChoice = CodeChoice(),
    *,
    problem=None,
    optimum: Optimum | None = None,
    run_one: RunOne = descend,
) -> CodeExport:
    """Run ``code_settings`` and write the numpy and PyTorch scripts that redo it.

    ``problem`` and ``optimum`` (of the penalised objective) may be passed in
    from a cache; they are built from ``choice`` otherwise.

    Raises
    ------
    SettingsError
        For an unknown variant, a model the target does not suit, ε <= 0, or
        a bad penalty (alpha < 0, l1_ratio outside [0, 1]).
    """
    model = model_for(dataset, choice.model)
    # Validate the penalty before any work (Settings refuses bad values).
    penalty = choice.descent().penalty_term
    if problem is None:
        problem = problem_for(dataset, model, epsilon=choice.epsilon)
    if optimum is None:
        optimum = optimum_for(dataset, problem, penalty)
    settings, rate = code_settings(dataset, variant, rule, optimum, choice)
    engine = settings.settings_for(variant)
    trace = run_one(problem, engine)
    options = dict(n_updates=trace.n_updates, model=model, epsilon=choice.epsilon)
    return CodeExport(
        settings,
        model,
        rate,
        trace,
        optimum,
        numpy_script(dataset, settings, variant, **options),
        torch_script(dataset, settings, variant, **options),
        check_run(trace, dataset, engine, optimum, model=model),
    )
