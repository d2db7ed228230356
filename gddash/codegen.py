"""Runnable numpy and PyTorch scripts that reproduce a dashboard run.

Three generators, each returning the text of a self-contained Python script:

* ``numpy_script`` — batch, stochastic or mini-batch descent on a prepared
  dataset, written out with numpy in the style of the seed's example: the loss,
  its gradient, the one chosen update rule and schedule, the same row order
  (``np.random.default_rng(seed).permutation(n)`` each epoch, or file order) and
  the same number of updates as the dashboard, so that the final θ agrees with
  the engine's to about 1e-8 (only floating-point rounding differs).
* ``torch_script`` — the same run with ``nn.Linear`` and a ``torch.optim``
  optimizer whose update is the engine's rule, in float64.
* ``explorer_numpy_script`` — the seed's loop ``while norm(grad) > eps`` on a
  typed formula f, with f and ∇f printed as numpy code from the parsed sympy
  expression (never from the user's text).

The data scripts read the prepared design matrix from a CSV that
``prepared_csv`` writes (full float64 precision), because preparation
(intercept, one-hot columns, standardization, the validation split) is part of
what they must reproduce.

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

import json
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from string import Template

import numpy as np
import pandas as pd
import sympy
from sympy.printing.numpy import NumPyPrinter

from gddash.compare import VARIANT_TITLES, CompareSettings
from gddash.data import Dataset
from gddash.engine import Settings, plan
from gddash.errors import ExpressionError, SettingsError
from gddash.export import csv_bytes
from gddash.functions import symbolic_function

__all__ = [
    "DATA_FILE",
    "RunPlan",
    "explorer_numpy_script",
    "numpy_script",
    "plan_run",
    "prepared_csv",
    "torch_script",
]

DATA_FILE = "gddash-prepared.csv"

_RULE_TITLES = {
    "plain": "plain",
    "momentum": "momentum",
    "nesterov": "Nesterov momentum",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
}
_SCHEDULE_TITLES = {
    "constant": "constant",
    "invscaling": "inverse scaling η₀ / t^power_t",
    "step": "step decay η₀ · drop^⌊epoch / step_epochs⌋",
    "exponential": "exponential decay η₀ · exp(−decay · epoch)",
}


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
    """

    settings: Settings
    variant: str
    ran_as: str
    batch_size: int
    updates_per_epoch: int
    n_updates: int
    from_trace: bool


def plan_run(
    dataset: Dataset,
    settings: CompareSettings,
    variant: str,
    n_updates: int | None = None,
) -> RunPlan:
    """The engine's batch size and budget for ``variant`` on ``dataset``.

    ``gddash.engine.plan`` decides them: batch uses every row, SGD one,
    mini-batch ``min(batch_size, n)``; a batch size >= n runs as batch; the
    budget is ⌈max_epochs · updates_per_epoch⌉ updates, capped by
    ``max_updates``.

    Raises
    ------
    SettingsError
        For an unknown variant, a negative ``n_updates`` or a start point of the
        wrong length.
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
    engine = settings.settings_for(variant)
    n = dataset.n_samples
    if engine.theta0 is not None and len(engine.theta0) != dataset.n_features:
        raise SettingsError(
            f"theta0 has {len(engine.theta0)} values but the data has "
            f"{dataset.n_features} columns."
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


# --------------------------------------------------------------------------------------
# Small text helpers
# --------------------------------------------------------------------------------------


def _num(value: float) -> str:
    """A float literal that reads back as exactly ``value``."""
    return repr(float(value))


def _code(template: str, **values: object) -> str:
    """Dedent a code template and fill its ``$name`` placeholders."""
    text = textwrap.dedent(template).strip("\n")
    return Template(text).substitute({k: str(v) for k, v in values.items()})


def _indent(text: str, spaces: int) -> str:
    return textwrap.indent(text, " " * spaces)


def _comment(lines: Sequence[str], width: int = 86) -> str:
    """Lines as a comment block, long ones wrapped under their label's text."""
    out = []
    for line in lines:
        label = re.match(r"^(?:[A-Z][\w ]*:\s+|\s+)", line)
        indent = " " * (len(label.group()) if label else 0)
        wrapped = textwrap.wrap(
            line, width, subsequent_indent=indent, break_on_hyphens=False
        )
        out += [f"# {text}".rstrip() for text in wrapped or [""]]
    return "\n".join(out)


def _str(text: str) -> str:
    """A double-quoted Python string literal of ``text`` (JSON escapes are Python's)."""
    return json.dumps(str(text), ensure_ascii=False)


def _str_list(texts: Sequence[str], lead: str = "") -> str:
    """A list literal of strings, one item a line when it would not fit on one."""
    items = [_str(t) for t in texts]
    one_line = "[" + ", ".join(items) + "]"
    if len(lead) + len(one_line) <= 88:
        return one_line
    return "[\n" + "".join(f"    {item},\n" for item in items) + "]"


def _names(names: Sequence[str]) -> str:
    """Column names for a comment: quoted and escaped, so a name cannot break it."""
    shown = ", ".join(repr(str(name)) for name in names[:12])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 12 else "")


# --------------------------------------------------------------------------------------
# Update rules and schedules, written out (numpy)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """One update rule as code: constants, state set-up and the update itself."""

    constants: dict[str, str]
    state: str  # lines creating the rule's memory (before the loop)
    update: str  # lines applying one update from g with learning rate lr


def _rule(settings: Settings) -> _Rule:
    """The chosen rule only, with comments; ``g`` is the minimised gradient."""
    beta, beta2, eps = settings.momentum, settings.beta2, settings.adaptive_eps
    rule = settings.rule
    if rule == "plain":
        return _Rule(
            {},
            "",
            _code(
                """
                # Step against the gradient: θ ← θ − η g.
                theta = theta - lr * g
                """,
            ),
        )
    if rule in ("momentum", "nesterov"):
        update = (
            """
            # Momentum: the velocity adds up past gradients (m ← β m + g) and θ
            # moves along it, so steps grow where gradients agree.
            velocity = BETA * velocity + g
            theta = theta - lr * velocity
            """
            if rule == "momentum"
            else """
            # Nesterov: the same velocity (m ← β m + g), but the step also looks
            # one velocity ahead: θ ← θ − η (g + β m).
            velocity = BETA * velocity + g
            theta = theta - lr * (g + BETA * velocity)
            """
        )
        return _Rule(
            {"BETA": f"{_num(beta)}  # β: how much of the velocity is kept"},
            "velocity = np.zeros_like(theta)  # m, the running sum of gradients",
            _code(update),
        )
    denominator = {"DENOM_EPS": f"{_num(eps)}  # ε in √v + ε: never divide by 0"}
    if rule == "adagrad":
        return _Rule(
            denominator,
            "sum_sq = np.zeros_like(theta)  # v, the sum of all squared gradients",
            _code(
                """
                # AdaGrad: each coordinate's step is divided by the root of its
                # summed squared gradients, so steep coordinates slow down for good.
                sum_sq = sum_sq + g * g
                theta = theta - lr * g / (np.sqrt(sum_sq) + DENOM_EPS)
                """,
            ),
        )
    if rule == "rmsprop":
        return _Rule(
            {"RHO": f"{_num(beta2)}  # ρ: decay of the squared-gradient average"}
            | denominator,
            "avg_sq = np.zeros_like(theta)  # v, a running mean of squared gradients",
            _code(
                """
                # RMSProp: divide by the root of a decaying average of squared
                # gradients, v ← ρ v + (1 − ρ) g², so old steepness is forgotten.
                avg_sq = RHO * avg_sq + (1 - RHO) * g * g
                theta = theta - lr * g / (np.sqrt(avg_sq) + DENOM_EPS)
                """,
            ),
        )
    return _Rule(
        {
            "BETA1": f"{_num(beta)}  # β₁: decay of the gradient average",
            "BETA2": f"{_num(beta2)}  # β₂: decay of the squared-gradient average",
        }
        | denominator,
        _code(
            """
            m = np.zeros_like(theta)  # running mean of gradients
            v = np.zeros_like(theta)  # running mean of squared gradients
            """
        ),
        _code(
            """
            # Adam: momentum on the gradient (m) and RMSProp's scaling (v); both
            # start at 0, so divide by 1 − βᵗ to undo that bias in early steps.
            m = BETA1 * m + (1 - BETA1) * g
            v = BETA2 * v + (1 - BETA2) * g * g
            m_hat = m / (1 - BETA1**t)
            v_hat = v / (1 - BETA2**t)
            theta = theta - lr * m_hat / (np.sqrt(v_hat) + DENOM_EPS)
            """,
        ),
    )


def _schedule_constants(settings: Settings, per_epoch: int) -> dict[str, str]:
    schedule = settings.schedule
    if schedule == "invscaling":
        return {"POWER_T": _num(settings.power_t)}
    if schedule == "step":
        return {
            "DROP": f"{_num(settings.drop)}  # factor applied every STEP_EPOCHS",
            "STEP_EPOCHS": _num(settings.step_epochs),
            "UPDATES_PER_EPOCH": str(per_epoch),
        }
    if schedule == "exponential":
        return {"DECAY": _num(settings.decay), "UPDATES_PER_EPOCH": str(per_epoch)}
    return {}


def _schedule_function(settings: Settings) -> str:
    """``learning_rate(t)`` for the chosen schedule, or "" for a constant rate."""
    schedule = settings.schedule
    if schedule == "constant":
        return ""
    if schedule == "invscaling":
        body = """
            def learning_rate(t):
                \"\"\"η for update t (1-based): η₀ / t^power_t, shrinking slowly.\"\"\"
                return LEARNING_RATE / t**POWER_T
            """
    elif schedule == "step":
        body = """
            def learning_rate(t):
                \"\"\"η for update t (1-based): times DROP every STEP_EPOCHS.\"\"\"
                epoch = (t - 1) / UPDATES_PER_EPOCH  # passes over the data completed
                return LEARNING_RATE * DROP ** math.floor(epoch / STEP_EPOCHS)
            """
    else:
        body = """
            def learning_rate(t):
                \"\"\"η for update t (1-based): η₀ · exp(−decay · epoch).\"\"\"
                epoch = (t - 1) / UPDATES_PER_EPOCH  # passes over the data completed
                return LEARNING_RATE * math.exp(-DECAY * epoch)
            """
    return _code(body)


def _updates_constant(plan: RunPlan) -> str:
    if plan.from_trace:
        return f"{plan.n_updates}  # as many updates as the dashboard's run"
    return f"{plan.n_updates}  # the whole budget (max_epochs, max_updates)"


def _call_lines(lead: str, call: str, width: int = 84) -> list[str]:
    """``lead + call`` on one line, or split after the call's opening bracket."""
    if len(lead) + len(call) <= width:
        return [lead + call]
    name, _, args = call.partition("(")
    return [f"{lead}{name}(", f"    {args[:-1]}", ")"]


def _lr_line(settings: Settings) -> str:
    if settings.schedule == "constant":
        return "lr = LEARNING_RATE  # a constant learning rate"
    return "lr = learning_rate(t)"


def _constants(values: dict[str, str]) -> str:
    return "\n".join(f"{name} = {value}" for name, value in values.items())


# --------------------------------------------------------------------------------------
# Data scripts: shared pieces
# --------------------------------------------------------------------------------------


def _header(
    dataset: Dataset, plan: RunPlan, data_file: str, library: str, script: str
) -> list[str]:
    """The opening comment of a data script: what it reproduces and how to run it."""
    s = plan.settings
    task = "linear regression" if dataset.task == "linear" else "logistic regression"
    loss = (
        "½ · mean squared error, L(θ) = 1/(2m) Σ (xᵢ·θ − yᵢ)²"
        if dataset.task == "linear"
        else "mean log-loss, L(θ) = 1/m Σ log(1 + e^zᵢ) − yᵢ zᵢ with zᵢ = xᵢ·θ"
    )
    standardized = bool(np.any(dataset.means != 0) or np.any(dataset.scales != 1))
    prepared = []
    if dataset.has_intercept:
        prepared.append("a leading column of ones (intercept)")
    prepared.append("standardized features" if standardized else "features as given")
    if plan.ran_as == "batch":
        rows = f"all {dataset.n_samples:,} rows per update"
    elif plan.ran_as == "sgd":
        rows = "1 row per update"
    else:
        rows = f"{plan.batch_size} rows per update (the last batch may be shorter)"
    if plan.ran_as != "batch":
        order = (
            f"rows reshuffled every epoch, np.random.default_rng({s.seed})"
            if s.shuffle
            else "rows in file order every epoch"
        )
        rows += f"; {order}"
    rule = _RULE_TITLES[s.rule]
    extra = {
        "momentum": f" (β = {s.momentum:g})",
        "nesterov": f" (β = {s.momentum:g})",
        "adagrad": f" (ε = {s.adaptive_eps:g})",
        "rmsprop": f" (ρ = {s.beta2:g}, ε = {s.adaptive_eps:g})",
        "adam": f" (β₁ = {s.momentum:g}, β₂ = {s.beta2:g}, ε = {s.adaptive_eps:g})",
    }.get(s.rule, "")
    start = "θ = 0" if s.theta0 is None else f"θ = {list(s.theta0)}"
    held_out = (
        ""
        if dataset.X_val is None
        else f" The {len(dataset.X_val):,} validation rows it held out are not in it."
    )
    if plan.from_trace:
        updates = f"{plan.n_updates:,}, where the dashboard's run stopped."
    else:
        updates = (
            f"{plan.n_updates:,}, the whole budget (the dashboard stops earlier "
            f"when ‖∇L‖ <= ε = {s.eps:g}, or when the loss stalls)."
        )
    lines = [
        f"{VARIANT_TITLES[plan.variant]} gradient descent with the {rule} update "
        f"rule, in {library}: a gddash run, reproduced.",
        "",
        f"Data:     {data_file}, the {dataset.n_samples:,} prepared training rows "
        f"the dashboard used ({task}; target {dataset.target_name!r}; "
        f"{', '.join(prepared)}).{held_out}",
        f"Columns:  {_names(dataset.feature_names)}",
        f"Loss:     {loss}",
        f"Variant:  {VARIANT_TITLES[plan.ran_as]}, {rows}.",
    ]
    if plan.variant != plan.ran_as:
        lines.append(
            f"Note:     the mini-batch size {s.batch_size} is not smaller than the "
            "number of rows, so this is batch descent."
        )
    lines += [
        f"Rule:     {rule} update{extra}; learning rate η₀ = {s.learning_rate:g}, "
        f"schedule {_SCHEDULE_TITLES[s.schedule]}.",
        f"Start:    {start}.",
        f"Updates:  {updates}",
        "Match:    the final θ agrees with the dashboard's to about 1e-8. Only "
        "floating-point rounding differs (the dashboard adds the same numbers in "
        "another order): invisible when the run settles, amplified when it does "
        "not. A run that diverged, or bounced about chaotically with too large a "
        "step, goes the same way here but ends at other numbers.",
        "",
        f"Run it:   python {script}    (with {data_file} in the same folder; "
        f"needs {'numpy' if library == 'numpy' else 'numpy and torch'})",
    ]
    return lines


_LOAD_DATA = '''
def load_data(path):
    """The prepared design matrix X (n, d) and target y (n,) from the CSV file."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    table = np.array(rows[1:], dtype=float)  # rows[0] is the header
    return table[:, :-1], table[:, -1]  # the last column is the target
'''

_LINEAR = '''
def gradient(theta, X, y):
    """Gradient of L(θ) = 1/(2m) Σ (xᵢ·θ − yᵢ)² over the m rows given: Xᵀ(Xθ − y)/m."""
    m = len(y)
    predictions = X @ theta  # xᵢ·θ for every row
    error = predictions - y  # how far each prediction is off
    return X.T @ error / m  # the average of error · xᵢ


def loss(theta, X, y):
    """Half the mean squared error (the ½ makes the gradient free of a factor 2)."""
    error = X @ theta - y
    return error @ error / (2 * len(y))
'''

_LOGISTIC = '''
def sigmoid(z):
    """σ(z) = 1 / (1 + e^−z), from e^−|z| so that exp never overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def gradient(theta, X, y):
    """Gradient of the mean log-loss over the m rows given: Xᵀ(σ(Xθ) − y)/m."""
    m = len(y)
    error = sigmoid(X @ theta) - y  # predicted probability minus the 0/1 label
    return X.T @ error / m


def loss(theta, X, y):
    """Mean log-loss: the average of log(1 + e^z) − y z over the rows."""
    z = X @ theta
    # log(1 + e^z) = max(z, 0) + log1p(e^−|z|): finite for any z, no overflow
    return np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))) - y * z)
'''


def _start_line(settings: Settings) -> str:
    if settings.theta0 is None:
        return "theta = np.zeros(X.shape[1])  # start at θ = 0, as the dashboard does"
    values = ", ".join(_num(v) for v in settings.theta0)
    return f"theta = np.array([{values}])  # the dashboard's start"


def _batches_loop(shuffle: bool, xp: str, body: str) -> tuple[list[str], str]:
    """Set-up lines and loop of a stochastic variant, the same in both scripts.

    Epochs of consecutive BATCH_SIZE rows of a row order (a fresh permutation
    from SEED each epoch, or file order) until N_UPDATES. ``body`` runs once per
    batch with ``rows`` in scope and counts ``t``; ``xp`` ("np" or "torch") is
    the module whose arrays hold the order.
    """
    setup = []
    if shuffle:
        setup.append(
            "rng = np.random.default_rng(SEED)  # the dashboard's random numbers"
        )
        permutation = "rng.permutation(n)"
        if xp != "np":
            permutation = f"{xp}.from_numpy({permutation})"
        order = f"order = {permutation}  # a fresh shuffle every epoch"
    else:
        setup.append(f"order = {xp}.arange(n)  # no shuffling: file order every epoch")
        order = ""
    setup.append("t = 0  # updates done so far")
    loop = _code(
        """
        while t < N_UPDATES:
        $order
            for start in range(0, n, BATCH_SIZE):  # consecutive rows of the order
                if t == N_UPDATES:
                    break
                rows = order[start : start + BATCH_SIZE]  # the last may be shorter
        $body
        """,
        order=_indent(order, 4) if order else "",
        body=_indent(body, 8),
    )
    if not order:
        loop = re.sub(r"\n\s*\n", "\n", loop)
    return setup, loop


# --------------------------------------------------------------------------------------
# numpy script for a dataset
# --------------------------------------------------------------------------------------


def _numpy_loop(plan: RunPlan, rule: _Rule) -> str:
    """The body of ``gradient_descent`` (indented by 4)."""
    s = plan.settings
    lines = [_start_line(s)]
    if rule.state:
        lines.append(rule.state)
    update = "\n".join([_lr_line(s), rule.update])
    if plan.ran_as == "batch":
        uses_t = s.schedule != "constant" or s.rule == "adam"
        counter = (
            "for t in range(1, N_UPDATES + 1):  # t counts updates from 1"
            if uses_t
            else "for _ in range(N_UPDATES):"
        )
        lines.append(
            _code(
                """
                $counter
                    g = gradient(theta, X, y)  # the exact gradient, from every row
                $update
                return theta
                """,
                counter=counter,
                update=_indent(update, 4),
            )
        )
        return _indent("\n".join(lines), 4)
    lines.insert(0, "n = len(y)  # rows")
    body = "\n".join(
        [
            "g = gradient(theta, X[rows], y[rows])  # estimated from these rows",
            "t += 1",
            update,
        ]
    )
    setup, loop = _batches_loop(s.shuffle, "np", body)
    lines += [*setup, loop, "return theta"]
    return _indent("\n".join(lines), 4)


def numpy_script(
    dataset: Dataset,
    settings: CompareSettings,
    variant: str,
    *,
    data_file: str = DATA_FILE,
    n_updates: int | None = None,
) -> str:
    """A self-contained numpy script that reproduces one variant's run.

    The script reads ``data_file`` (write it with ``prepared_csv(dataset)``),
    runs exactly the engine's algorithm — same loss, gradient, update rule,
    schedule, row order and batches — for ``n_updates`` updates, and prints θ
    (as ``theta = [...]``, full precision) and the final full-data loss.

    Parameters
    ----------
    dataset : Dataset
        The prepared data the dashboard ran on.
    settings : CompareSettings
        The comparison's settings; ``settings.settings_for(variant)`` is the run.
    variant : {"batch", "sgd", "minibatch"}
    data_file : str, default "gddash-prepared.csv"
        File name the script reads, relative to where it runs.
    n_updates : int >= 0 or None
        Updates to run; pass ``trace.n_updates`` to stop where the dashboard's
        run stopped. None runs the whole budget (max_epochs, max_updates).

    Returns
    -------
    str
        Python source, ruff-clean apart from possibly long comment lines.

    Raises
    ------
    SettingsError
        For an unknown variant or a negative ``n_updates``.
    """
    plan = plan_run(dataset, settings, variant, n_updates)
    s = plan.settings
    rule = _rule(s)
    constants = {
        "DATA_FILE": _str(data_file),
        "FEATURES": _str_list(dataset.feature_names, lead="FEATURES = "),
        "LEARNING_RATE": f"{_num(s.learning_rate)}  # η₀",
        "N_UPDATES": _updates_constant(plan),
    }
    if plan.ran_as != "batch":
        constants["BATCH_SIZE"] = f"{plan.batch_size}  # rows per update"
        if s.shuffle:
            constants["SEED"] = str(s.seed)
    constants |= rule.constants | _schedule_constants(s, plan.updates_per_epoch)
    imports = ["import csv"]
    if s.schedule in ("step", "exponential"):
        imports.append("import math")
    parts = [
        _comment(_header(dataset, plan, data_file, "numpy", "gddash_numpy.py"))
        + "\n\n"
        + "\n".join(imports)
        + "\n\nimport numpy as np\n\n"
        + _constants(constants),
        _LOAD_DATA.strip("\n"),
        (_LINEAR if dataset.task == "linear" else _LOGISTIC).strip("\n"),
    ]
    if schedule := _schedule_function(s):
        parts.append(schedule)
    parts.append(
        'def gradient_descent(X, y):\n    """Run the updates and return the final '
        'θ."""\n' + _numpy_loop(plan, rule)
    )
    parts.append(
        _code(
            """
            if __name__ == "__main__":
                X, y = load_data(DATA_FILE)
                theta = gradient_descent(X, y)
                print("theta =", theta.tolist())
                for name, value in zip(FEATURES, theta, strict=True):
                    print(f"  θ[{name}] = {value:.10g}")
                print("final loss =", loss(theta, X, y))
            """
        )
    )
    return "\n\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------------------
# PyTorch script for a dataset
# --------------------------------------------------------------------------------------


def _torch_optimizer(s: Settings) -> tuple[str, list[str]]:
    """The ``torch.optim`` call for the rule, and comments on how it matches."""
    lr = "LEARNING_RATE"
    if s.rule == "plain":
        return f"optim.SGD(model.parameters(), lr={lr})", [
            "plain SGD: θ ← θ − η g, exactly the dashboard's rule."
        ]
    if s.rule == "momentum":
        return f"optim.SGD(model.parameters(), lr={lr}, momentum=BETA)", [
            "PyTorch's momentum is the dashboard's: m ← β m + g, θ ← θ − η m."
        ]
    if s.rule == "nesterov":
        return (
            f"optim.SGD(model.parameters(), lr={lr}, momentum=BETA, nesterov=True)",
            ["PyTorch's Nesterov is the dashboard's: θ ← θ − η (g + β m)."],
        )
    if s.rule == "adagrad":
        return (
            f"optim.Adagrad(model.parameters(), lr={lr}, eps=DENOM_EPS, "
            "initial_accumulator_value=0)",
            ["AdaGrad: v ← v + g², θ ← θ − η g / (√v + ε) (ε outside the root)."],
        )
    if s.rule == "rmsprop":
        return (
            f"optim.RMSprop(model.parameters(), lr={lr}, alpha=RHO, eps=DENOM_EPS)",
            ["RMSProp (alpha is ρ): v ← ρ v + (1 − ρ) g², θ ← θ − η g / (√v + ε)."],
        )
    return (
        f"optim.Adam(model.parameters(), lr={lr}, betas=(BETA1, BETA2), eps=DENOM_EPS)",
        [
            "Adam with bias correction; PyTorch writes the denominator as "
            "√v / √(1 − β₂ᵗ) + ε,",
            "the dashboard as √(v / (1 − β₂ᵗ)) + ε: the same number up to rounding.",
        ],
    )


def _torch_schedule(s: Settings) -> str:
    """A LambdaLR factor function; LambdaLR's counter k is the updates done (t − 1)."""
    if s.schedule == "invscaling":
        body = """
            def schedule(k):
                \"\"\"Factor on η₀ for update t = k + 1: 1 / t^power_t.\"\"\"
                return 1 / (k + 1) ** POWER_T
            """
    elif s.schedule == "step":
        body = """
            def schedule(k):
                \"\"\"Factor on η₀ for update t = k + 1: DROP every STEP_EPOCHS.\"\"\"
                epoch = k / UPDATES_PER_EPOCH  # passes over the data completed
                return DROP ** math.floor(epoch / STEP_EPOCHS)
            """
    elif s.schedule == "exponential":
        body = """
            def schedule(k):
                \"\"\"Factor on η₀ for update t = k + 1: exp(−decay · epoch).\"\"\"
                epoch = k / UPDATES_PER_EPOCH  # passes over the data completed
                return math.exp(-DECAY * epoch)
            """
    else:
        return ""
    return _code(body)


def _torch_step(logistic: bool, rows: str, schedule: bool) -> str:
    outputs = "model(X)" if rows == "" else f"model(X[{rows}])"
    target = "y" if rows == "" else f"y[{rows}]"
    loss = (
        f"criterion(outputs, {target})  # mean log-loss of these rows"
        if logistic
        else f"0.5 * criterion(outputs, {target})  # ½·MSE: the dashboard's loss"
    )
    lines = [
        f"outputs = {outputs}.squeeze(1)  # xᵢ·θ for each row",
        f"loss = {loss}",
        "optimizer.zero_grad()  # forget the previous gradient",
        "loss.backward()  # g = ∇L on these rows, by automatic differentiation",
        "optimizer.step()  # the update rule",
    ]
    if schedule:
        lines.append("scheduler.step()  # the learning rate of the next update")
    return "\n".join(lines)


def torch_script(
    dataset: Dataset,
    settings: CompareSettings,
    variant: str,
    *,
    data_file: str = DATA_FILE,
    n_updates: int | None = None,
) -> str:
    """A PyTorch script (``nn.Linear`` + ``torch.optim``) that reproduces one run.

    The model is ``nn.Linear(d, 1, bias=False)`` in float64: the intercept is
    the data's column of ones, so the weights are exactly θ. The loss is the
    engine's (½·``MSELoss`` — PyTorch's mean squared error has no ½ — or
    ``BCEWithLogitsLoss``), the optimizer is the rule's ``torch.optim`` class
    (see ``_torch_optimizer``), a schedule is a ``LambdaLR`` stepped after every
    update, and rows are drawn with numpy's generator exactly as the engine
    draws them. Every rule and schedule matches up to rounding.

    Parameters and return value as ``numpy_script``; the script prints
    ``theta = [...]`` and the final loss.
    """
    plan = plan_run(dataset, settings, variant, n_updates)
    s = plan.settings
    logistic = dataset.task == "logistic"
    optimizer, notes = _torch_optimizer(s)
    constants = {
        "DATA_FILE": _str(data_file),
        "FEATURES": _str_list(dataset.feature_names, lead="FEATURES = "),
        "LEARNING_RATE": f"{_num(s.learning_rate)}  # η₀",
        "N_UPDATES": _updates_constant(plan),
    }
    if plan.ran_as != "batch":
        constants["BATCH_SIZE"] = f"{plan.batch_size}  # rows per update"
        if s.shuffle:
            constants["SEED"] = str(s.seed)
    constants |= _rule(s).constants | _schedule_constants(s, plan.updates_per_epoch)
    schedule = _torch_schedule(s)
    header = _header(dataset, plan, data_file, "PyTorch", "gddash_torch.py")
    header += ["", "How it maps onto PyTorch:"] + [f"  {note}" for note in notes]
    if not logistic:
        header.append(
            "  nn.MSELoss is the mean of squared errors without the ½, so the loss "
            "is halved."
        )
    imports = ["import csv"]
    if s.schedule in ("step", "exponential"):
        imports.append("import math")
    criterion = (
        "nn.BCEWithLogitsLoss()  # mean log-loss of σ(xᵢ·θ), computed stably"
        if logistic
        else "nn.MSELoss()  # mean of squared errors (no ½)"
    )
    start = (
        "model.weight.zero_()  # start at θ = 0, as the dashboard does"
        if s.theta0 is None
        else "model.weight.copy_(torch.tensor([THETA0], dtype=torch.float64))"
    )
    if s.theta0 is not None:
        constants["THETA0"] = "[" + ", ".join(_num(v) for v in s.theta0) + "]"
    setup = [
        "n, d = X.shape" if plan.ran_as != "batch" else "d = X.shape[1]",
        "# θ is the weight row of a linear layer; X's column of ones is the intercept.",
        "model = nn.Linear(d, 1, bias=False).double()",
        "with torch.no_grad():",
        f"    {start}",
        f"criterion = {criterion}",
        *_call_lines("optimizer = ", optimizer),
    ]
    if schedule:
        setup.append(
            "scheduler = optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=schedule)"
        )
    if plan.ran_as == "batch":
        loop = _code(
            """
            for _ in range(N_UPDATES):  # every update uses every row
            $step
            """,
            step=_indent(_torch_step(logistic, "", bool(schedule)), 4),
        )
    else:
        step = _torch_step(logistic, "rows", bool(schedule))
        lines, loop = _batches_loop(s.shuffle, "torch", step + "\nt += 1")
        setup += lines
    body = "\n".join(
        [*setup, loop, "return model.weight.detach()[0].numpy(), model, criterion"]
    )
    final_loss = (
        "criterion(model(X).squeeze(1), y)"
        if logistic
        else "0.5 * criterion(model(X).squeeze(1), y)"
    )
    parts = [
        _comment(header)
        + "\n\n"
        + "\n".join(imports)
        + "\n\nimport numpy as np\nimport torch\nfrom torch import nn, optim\n\n"
        + _constants(constants),
        _code(
            '''
            def load_data(path):
                """The prepared X (n, d) and y (n,) as float64 tensors."""
                with open(path, newline="", encoding="utf-8") as file:
                    rows = list(csv.reader(file))
                table = np.array(rows[1:], dtype=float)  # rows[0] is the header
                return torch.from_numpy(table[:, :-1]), torch.from_numpy(table[:, -1])
            '''
        ),
    ]
    if schedule:
        parts.append(schedule)
    parts.append(
        'def train(X, y):\n    """Run the updates; return θ, the model and the '
        'loss."""\n' + _indent(body, 4)
    )
    parts.append(
        _code(
            """
            if __name__ == "__main__":
                X, y = load_data(DATA_FILE)
                theta, model, criterion = train(X, y)
                print("theta =", theta.tolist())
                for name, value in zip(FEATURES, theta, strict=True):
                    print(f"  θ[{name}] = {value:.10g}")
                with torch.no_grad():
                    print("final loss =", float($final_loss))
            """,
            final_loss=final_loss,
        )
    )
    return "\n\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------------------
# numpy script for a function (the explorer)
# --------------------------------------------------------------------------------------

# The printer lambdify uses for numpy (gddash.functions compiles f with it), with
# module names written out so that the script needs no star import. Heaviside and
# DiracDelta (derivatives of abs, min, max, sign) print as plain calls to helpers
# defined in the script, as gddash.functions defines them.
_HELPERS = {"Heaviside", "DiracDelta"}
_HELPER_CODE = {
    "Heaviside": _code(
        '''
        def Heaviside(z, at_zero=0.5):
            """The unit step (the derivative of max and abs): 0, at_zero at 0, 1."""
            return np.heaviside(z, at_zero)
        '''
    ),
    "DiracDelta": _code(
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
    goal = "maximum (gradient ascent)" if settings.maximize else "minimum (descent)"
    rule = _RULE_TITLES[settings.rule]
    lines = [
        f"Gradient {'ascent' if settings.maximize else 'descent'} on a formula, "
        "as the gddash explorer runs it.",
        "",
        f"f({', '.join(variables)}) = {text!r}   (as typed; f and ∇f below are "
        "printed from the parsed formula)",
        f"Goal:   a {goal}; start at {list(start)}.",
        f"Rule:   {rule} update; learning rate η₀ = {settings.learning_rate:g}, "
        f"schedule {_SCHEDULE_TITLES[settings.schedule]}.",
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
            return _code(
                """
                # Ascent: add the gradient, θ ← θ + η ∇f, to climb.
                theta = theta + lr * grad
                """
            )
        return _code(
            """
            # Descent: subtract the gradient, θ ← θ − η ∇f, to go downhill.
            theta = theta - lr * grad
            """
        )
    if settings.maximize:
        lead = "g = -grad  # ascent is descent on −f, whose gradient is −∇f\n"
    else:
        lead = "g = grad  # descent: the rule steps against g\n"
    return lead + _rule(settings).update


def _explorer_loop(settings: Settings) -> str:
    """The body of ``gradient_steps``: the seed's loop, with the engine's stops."""
    state = _rule(settings).state
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
        f"        {_lr_line(settings)}",
        _indent(_explorer_update(settings), 8),
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
    return _indent("\n".join(lines), 4)


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
        components = "\n" + _indent(",\n".join(partials), 8) + ",\n    "
    code = _code(_FUNCTION_TEMPLATE, unpack=unpack, value=value, components=components)
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
        "START": "[" + ", ".join(_num(v) for v in start) + "]",
        "LEARNING_RATE": f"{_num(settings.learning_rate)}  # η₀",
        "EPS": f"{_num(settings.eps)}  # stop when ‖∇f‖ <= EPS",
        "MAX_ITER": f"{max_iter}  # ... or after this many updates",
        "RUNAWAY": "1e10  # f moved this many times its starting size: diverged",
    }
    if settings.tol is not None:
        constants["TOL"] = _num(settings.tol)
        constants["N_ITER_NO_CHANGE"] = str(settings.n_iter_no_change)
    constants |= _rule(settings).constants | _schedule_constants(settings, 1)
    if "UPDATES_PER_EPOCH" in constants:
        constants["UPDATES_PER_EPOCH"] = "1  # a function has no rows: 1 update"
    if settings.schedule in ("step", "exponential") and "math" not in modules:
        modules = sorted([*modules, "math"])
    imports = "".join(f"import {module}\n" for module in modules)
    verb = "Climb" if settings.maximize else "Descend"
    parts = [
        _comment(_explorer_header(text, function.variables, settings, start, max_iter))
        + "\n\n"
        + (imports + "\n" if imports else "")
        + "import numpy as np\n\n"
        + _constants(constants),
        code,
    ]
    if schedule := _schedule_function(settings):
        parts.append(schedule)
    parts.append(
        f'def gradient_steps():\n    """{verb} until ‖∇f‖ <= EPS; return the end of '
        'the path."""\n' + _explorer_loop(settings)
    )
    parts.append(_code(_EXPLORER_MAIN))
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
