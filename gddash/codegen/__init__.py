"""Runnable numpy and PyTorch scripts that reproduce a dashboard run.

Three generators, each returning the text of a self-contained Python script:

* ``numpy_script`` — batch, stochastic or mini-batch descent on a prepared
  dataset, written out with numpy in the style of the seed's example: the loss,
  its gradient, the one chosen update rule and schedule, the same row order
  (each epoch ``epoch_order``: the engine's blocks-and-windows shuffle from
  ``np.random.default_rng(seed)``, or file order) and the same number of
  updates as the dashboard, so that the final θ agrees with the engine's to
  about 1e-8 (only floating-point rounding differs).
* ``torch_script`` — the same run with ``nn.Linear`` and a ``torch.optim``
  optimizer whose update is the engine's rule, in float64.
* ``explorer_numpy_script`` — the seed's loop ``while norm(grad) > eps`` on a
  typed formula f, with f and ∇f printed as numpy code from the parsed sympy
  expression (never from the user's text).

Every data script fits the model ``models`` names for the dataset (least
squares or Huber for a numeric target, logistic or softmax regression for
classes) with the run's penalty (``settings.descent.penalty``: L2, L1 or elastic
net, applied exactly as the engine applies it, see ``penalty_code``).
``code_export`` (``bundle``) is the learn page's run and its scripts.

The data scripts read the prepared design matrix from a CSV that
``prepared_csv`` writes (full float64 precision), because preparation
(intercept, one-hot columns, standardization, the validation split) is part of
what they must reproduce. ``advice`` says which learning rate suits each update
rule and whether a run is worth handing over (it diverged, ended worse than it
started, or fell short).

Modules: ``plan`` (what the engine will do; the CSV), ``text`` (literals and
comment blocks), ``rules`` (update rules and schedules as code), ``scaffold``
(the data scripts' shared header and batch loop), ``numpy_code``,
``torch_code``, ``formula_code`` (the three generators), ``models`` (what is
fitted, its problem and optimum), ``penalty_code`` (a penalty as code),
``advice`` and ``bundle``.

Examples
--------
>>> from gddash import codegen, compare, data
>>> from gddash.engine import descend
>>> ds = data.prepare(data.read_csv(data.load_sample("line")), "y", ["x"])
>>> settings = compare.CompareSettings(epochs=5)
>>> trace = descend(compare.problem_for(ds), settings.settings_for("sgd"))
>>> text = codegen.numpy_script(ds, settings, "sgd", n_updates=trace.n_updates)
>>> text.startswith("# Stochastic (SGD) gradient descent with the plain update")
True
"""

from __future__ import annotations

from gddash.codegen.advice import RateChoice, RunCheck, check_run, rule_rate
from gddash.codegen.bundle import (
    CODE_BATCH,
    CODE_EPOCHS,
    CodeChoice,
    CodeExport,
    code_export,
    code_settings,
)
from gddash.codegen.formula_code import explorer_numpy_script
from gddash.codegen.models import (
    HUBER_EPSILON,
    MODELS,
    models_for,
    optimum_for,
    problem_for,
)
from gddash.codegen.numpy_code import numpy_script
from gddash.codegen.plan import DATA_FILE, RunPlan, plan_run, prepared_csv
from gddash.codegen.torch_code import torch_script

__all__ = [
    "CODE_BATCH",
    "CODE_EPOCHS",
    "DATA_FILE",
    "HUBER_EPSILON",
    "MODELS",
    "CodeChoice",
    "CodeExport",
    "RateChoice",
    "RunCheck",
    "RunPlan",
    "check_run",
    "code_export",
    "code_settings",
    "explorer_numpy_script",
    "models_for",
    "numpy_script",
    "optimum_for",
    "plan_run",
    "prepared_csv",
    "problem_for",
    "rule_rate",
    "torch_script",
]
