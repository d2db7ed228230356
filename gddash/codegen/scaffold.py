"""The parts both data scripts share: their opening comment and the batch loop."""

from __future__ import annotations

import re

import numpy as np

from gddash.codegen.penalty_code import SCHEME_WORDS, WHY_NOT_THE_INTERCEPT
from gddash.codegen.plan import RunPlan
from gddash.codegen.rules import RULE_WORDS, SCHEDULE_WORDS
from gddash.codegen.text import (
    fill,
    indented,
    list_literal,
    names_comment,
    number,
    str_literal,
)
from gddash.compare import VARIANT_TITLES
from gddash.data import Dataset
from gddash.engine import Settings
from gddash.engine.shuffle import BLOCK_ROWS, WINDOW_ROWS


def updates_constant(plan: RunPlan) -> str:
    """N_UPDATES' value and comment: the trace's count or the whole budget."""
    if plan.from_trace:
        return f"{plan.n_updates}  # as many updates as the dashboard's run"
    return f"{plan.n_updates}  # the whole budget (max_epochs, max_updates)"


# --------------------------------------------------------------------------------------
# Data scripts: shared pieces
# --------------------------------------------------------------------------------------


def data_header(
    dataset: Dataset, plan: RunPlan, data_file: str, library: str, script: str
) -> list[str]:
    """The opening comment of a data script: what it reproduces and how to run it."""
    s = plan.settings
    task = TASK_WORDS[plan.model]
    if plan.model == "softmax":
        task += f", {plan.n_classes} classes"
    loss = LOSS_WORDS[plan.model]
    if plan.model == "huber":
        loss += f" (ε = {plan.epsilon:g})"
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
            f"rows reshuffled every epoch (epoch_order: blocks of {BLOCK_ROWS} rows "
            f"in random order, then windows of {WINDOW_ROWS:,} rows rearranged), "
            f"np.random.default_rng({s.seed})"
            if s.shuffle
            else "rows in file order every epoch"
        )
        rows += f"; {order}"
    rule = RULE_WORDS[s.rule]
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
        f"Columns:  {names_comment(dataset.feature_names)}",
        f"Loss:     {loss}",
    ]
    if plan.model == "softmax":
        lines.append(
            f"Weights:  θ is {plan.n_classes} × {dataset.n_features}, one row of "
            "weights per class (printed flattened, class by class)."
        )
    if s.penalty is not None:
        lines.append(f"Penalty:  {penalty_words(s)}, added to the mean loss.")
        if plan.has_intercept:
            lines.append(f"          {WHY_NOT_THE_INTERCEPT}")
        lines.append(f"          Applied by {SCHEME_WORDS[plan.scheme]}.")
    lines.append(f"Variant:  {VARIANT_TITLES[plan.ran_as]}, {rows}.")
    if plan.variant != plan.ran_as:
        lines.append(
            f"Note:     the mini-batch size {s.batch_size} is not smaller than the "
            "number of rows, so this is batch descent."
        )
    lines += [
        f"Rule:     {rule} update{extra}; learning rate η₀ = {s.learning_rate:g}, "
        f"schedule {SCHEDULE_WORDS[s.schedule]}.",
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


def start_line(settings: Settings, n_classes: int = 1) -> str:
    """The line that sets θ before the first update: zeros or the run's start."""
    if settings.theta0 is None:
        if n_classes > 1:
            return (
                "theta = np.zeros((N_CLASSES, X.shape[1]))  # θ = 0: every class "
                "equally likely"
            )
        return "theta = np.zeros(X.shape[1])  # start at θ = 0, as the dashboard does"
    values = ", ".join(number(v) for v in settings.theta0)
    if n_classes > 1:
        return (
            f"theta = np.array([{values}]).reshape(N_CLASSES, -1)  # the dashboard's "
            "start"
        )
    return f"theta = np.array([{values}])  # the dashboard's start"


TASK_WORDS = {
    "linear": "linear regression",
    "huber": "robust linear regression (Huber loss)",
    "logistic": "logistic regression",
    "softmax": "softmax regression",
}
LOSS_WORDS = {
    "linear": "½ · mean squared error, L(θ) = 1/(2m) Σ (xᵢ·θ − yᵢ)²",
    "huber": (
        "mean Huber loss, L(θ) = 1/m Σ h(xᵢ·θ − yᵢ) with h(r) = ½ r² for |r| <= ε "
        "and ε |r| − ½ ε² beyond (scikit-learn's)"
    ),
    "logistic": "mean log-loss, L(θ) = 1/m Σ log(1 + e^zᵢ) − yᵢ zᵢ with zᵢ = xᵢ·θ",
    "softmax": (
        "mean cross-entropy, L(θ) = 1/m Σ −log p(yᵢ | xᵢ) with p(c | x) = "
        "e^(θ_c·x) / Σ_k e^(θ_k·x)"
    ),
}


def penalty_words(settings: Settings) -> str:
    """The penalty as a formula with its numbers, e.g. "α ‖w‖₁ with α = 0.01"."""
    p = settings.penalty_term
    if p.kind == "l2":
        return f"L2 (ridge), α · ½‖w‖² with α = {p.alpha:g}"
    if p.kind == "l1":
        return f"L1 (lasso), α ‖w‖₁ with α = {p.alpha:g}"
    return (
        f"elastic net, α (ρ ‖w‖₁ + (1 − ρ)/2 ‖w‖²) with α = {p.alpha:g}, "
        f"ρ = {p.l1_ratio:g}"
    )


def model_constants(dataset: Dataset, plan: RunPlan) -> dict[str, str]:
    """Constants of the model: Huber's ε, or softmax's classes."""
    if plan.model == "huber":
        return {"EPSILON": f"{number(plan.epsilon)}  # Huber's ε, in units of y"}
    if plan.model == "softmax":
        labels = [str(label) for label in dataset.class_labels]
        return {
            "CLASSES": list_literal(labels, lead="CLASSES = "),
            "N_CLASSES": f"{plan.n_classes}  # K",
        }
    return {}


EPOCH_ORDER = '''
def epoch_order(rng, n):
    """This epoch's row order, drawn as the dashboard draws it: blocks of BLOCK_ROWS
    consecutive rows in random order, then every WINDOW_ROWS rows rearranged by one
    random permutation of a window's positions. Not a full shuffle (rows far apart
    meet only through the block order), but reading a window touches only its
    blocks, which keeps it fast."""
    blocks = rng.permutation(-(-n // BLOCK_ROWS))  # the ⌈n / BLOCK_ROWS⌉ blocks
    order = (blocks[:, None] * BLOCK_ROWS + np.arange(BLOCK_ROWS)).ravel()
    order = order[order < n]  # the last block may be short
    within = rng.permutation(min(WINDOW_ROWS, n))  # positions, for every window
    for start in range(0, n, WINDOW_ROWS):
        window = order[start : start + WINDOW_ROWS]  # the last may be shorter
        window[:] = window[within[within < len(window)]]
    return order
'''.strip("\n")


def shuffle_constants() -> dict[str, str]:
    """The constants ``EPOCH_ORDER`` reads: the engine's block and window sizes."""
    return {
        "BLOCK_ROWS": f"{BLOCK_ROWS}  # consecutive rows that move together",
        "WINDOW_ROWS": f"{WINDOW_ROWS}  # rows shuffled together",
    }


def run_constants(dataset: Dataset, plan: RunPlan, data_file: str) -> dict[str, str]:
    """The constants both data scripts open with: data, rate, budget, batches, seed."""
    s = plan.settings
    constants = {
        "DATA_FILE": str_literal(data_file),
        "FEATURES": list_literal(dataset.feature_names, lead="FEATURES = "),
        "LEARNING_RATE": f"{number(s.learning_rate)}  # η₀",
        "N_UPDATES": updates_constant(plan),
    }
    if plan.ran_as != "batch":
        constants["BATCH_SIZE"] = f"{plan.batch_size}  # rows per update"
        if s.shuffle:
            constants["SEED"] = str(s.seed)
            constants |= shuffle_constants()
    return constants


def batches_loop(shuffle: bool, xp: str, body: str) -> tuple[list[str], str]:
    """Set-up lines and loop of a stochastic variant, the same in both scripts.

    Epochs of consecutive BATCH_SIZE rows of a row order (a fresh
    ``epoch_order`` from SEED each epoch, or file order) until N_UPDATES.
    ``body`` runs once per batch with ``rows`` in scope and counts ``t``; ``xp``
    ("np" or "torch") is the module whose arrays hold the order.
    """
    setup = []
    if shuffle:
        setup.append(
            "rng = np.random.default_rng(SEED)  # the dashboard's random numbers"
        )
        permutation = "epoch_order(rng, n)"
        if xp != "np":
            permutation = f"{xp}.from_numpy({permutation})"
        order = f"order = {permutation}  # a fresh shuffle every epoch"
    else:
        setup.append(f"order = {xp}.arange(n)  # no shuffling: file order every epoch")
        order = ""
    setup.append("t = 0  # updates done so far")
    loop = fill(
        """
        while t < N_UPDATES:
        $order
            for start in range(0, n, BATCH_SIZE):  # consecutive rows of the order
                if t == N_UPDATES:
                    break
                rows = order[start : start + BATCH_SIZE]  # the last may be shorter
        $body
        """,
        order=indented(order, 4) if order else "",
        body=indented(body, 8),
    )
    if not order:
        loop = re.sub(r"\n\s*\n", "\n", loop)
    return setup, loop
