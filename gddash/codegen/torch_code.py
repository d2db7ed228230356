"""``torch_script``: a dashboard run on data, as ``nn.Linear`` + ``torch.optim``."""

from __future__ import annotations

from gddash.codegen.penalty_code import PenaltyParts, mask_lines, torch_parts
from gddash.codegen.plan import DATA_FILE, plan_run
from gddash.codegen.rules import rule_code, schedule_constants
from gddash.codegen.scaffold import (
    EPOCH_ORDER,
    batches_loop,
    data_header,
    model_constants,
    run_constants,
)
from gddash.codegen.text import (
    call_lines,
    comment_block,
    constants_block,
    fill,
    indented,
    number,
)
from gddash.compare import CompareSettings
from gddash.data import Dataset
from gddash.engine import Settings


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
    return fill(body)


CRITERIA = {
    "linear": "nn.MSELoss()  # mean of squared errors (no ½)",
    "huber": "nn.HuberLoss(delta=EPSILON)  # ½ r² inside ±ε, ε|r| − ½ε² beyond",
    "logistic": "nn.BCEWithLogitsLoss()  # mean log-loss of σ(xᵢ·θ), computed stably",
    "softmax": "nn.CrossEntropyLoss()  # mean −log softmax(θx)_y, by log-sum-exp",
}


def _loss_of(model: str, outputs: str, target: str) -> str:
    """The loss the dashboard minimises, from the criterion."""
    if model == "linear":
        return f"0.5 * criterion({outputs}, {target})"
    return f"criterion({outputs}, {target})"


def _torch_step(
    model: str, rows: str, schedule: bool, penalty: PenaltyParts | None
) -> str:
    """One PyTorch update on ``X[rows]`` (or all rows when ``rows`` is "")."""
    outputs = "model(X)" if rows == "" else f"model(X[{rows}])"
    target = "y" if rows == "" else f"y[{rows}]"
    comment = {
        "linear": "  # ½·MSE: the dashboard's loss",
        "huber": "  # mean Huber loss of these rows",
        "logistic": "  # mean log-loss of these rows",
        "softmax": "  # mean cross-entropy of these rows",
    }[model]
    if model == "softmax":
        first = f"outputs = {outputs}  # the K scores θ_c·xᵢ of each row"
    else:
        first = f"outputs = {outputs}.squeeze(1)  # xᵢ·θ for each row"
    lines = [
        first,
        f"loss = {_loss_of(model, 'outputs', target)}{comment}",
        "optimizer.zero_grad()  # forget the previous gradient",
        "loss.backward()  # g = ∇L on these rows, by automatic differentiation",
    ]
    if penalty is None:
        lines.append("optimizer.step()  # the update rule")
    else:
        uses_lr = any("lr" in line for line in (*penalty.before, *penalty.after))
        lines += [
            "with torch.no_grad():  # the penalty, by hand (see the top)",
            *(
                ['    lr = optimizer.param_groups[0]["lr"]  # this update\'s η']
                if uses_lr
                else []
            ),
            *(f"    {line}" for line in penalty.before),
            "    optimizer.step()  # the update rule",
            *(f"    {line}" for line in penalty.after),
        ]
    if schedule:
        lines.append("scheduler.step()  # the learning rate of the next update")
    return "\n".join(lines)


def _start(kind: str, theta0) -> str:
    """The line that sets the layer's weights to the run's start."""
    if theta0 is None:
        return "model.weight.zero_()  # start at θ = 0, as the dashboard does"
    if kind == "softmax":
        return (
            "model.weight.copy_(torch.tensor(THETA0, dtype=torch.float64)"
            ".reshape(N_CLASSES, -1))"
        )
    return "model.weight.copy_(torch.tensor([THETA0], dtype=torch.float64))"


_LOAD = '''
def load_data(path):
    """The prepared X (n, d) and y (n,) as tensors."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    table = np.array(rows[1:], dtype=float)  # rows[0] is the header
    return torch.from_numpy(table[:, :-1]), $target
'''

_SHOW_THETA = """
print("theta =", theta.tolist())
for name, value in zip(FEATURES, theta, strict=True):
    print(f"  θ[{name}] = {value:.10g}")
"""

_SHOW_CLASSES = """
print("theta =", theta.tolist())  # row by row: class 0 first
for label, weights in zip(CLASSES, theta.reshape(N_CLASSES, -1), strict=True):
    for name, value in zip(FEATURES, weights, strict=True):
        print(f"  θ[{label}, {name}] = {value:.10g}")
"""


def _notes(kind: str, penalised: bool) -> list[str]:
    """How the loss and the penalty map onto PyTorch, for the opening comment."""
    notes = []
    if kind == "linear":
        notes.append(
            "nn.MSELoss is the mean of squared errors without the ½, so the loss "
            "is halved."
        )
    if kind == "huber":
        notes.append(
            "nn.HuberLoss(delta=ε) is scikit-learn's Huber loss (and the dashboard's)."
        )
    if kind == "softmax":
        notes.append(
            "nn.CrossEntropyLoss is the dashboard's loss: it takes the raw scores "
            "and the class indices, and works through log-sum-exp."
        )
    if penalised:
        notes.append(
            "The penalty is applied by hand around optimizer.step(), as the "
            "dashboard applies it: weight_decay would also shrink the intercept, "
            "and autograd's slope of |w| at 0 is 0, not the smallest subgradient."
        )
    return notes


def torch_script(
    dataset: Dataset,
    settings: CompareSettings,
    variant: str,
    *,
    data_file: str = DATA_FILE,
    n_updates: int | None = None,
    model: str | None = None,
    epsilon: float | None = None,
) -> str:
    """A PyTorch script (``nn.Linear`` + ``torch.optim``) that reproduces one run.

    The model is ``nn.Linear(d, 1, bias=False)`` in float64 (``nn.Linear(d, K)``
    for softmax, whose weight matrix is θ row by row): the intercept is the
    data's column of ones, so the weights are exactly θ. The loss is the
    engine's (½·``MSELoss`` — PyTorch's mean squared error has no ½ —
    ``HuberLoss(delta=ε)``, ``BCEWithLogitsLoss`` or ``CrossEntropyLoss``, each
    the same function as the engine's), the optimizer is the rule's
    ``torch.optim`` class (see ``_torch_optimizer``), a schedule is a
    ``LambdaLR`` stepped after every update, and rows are drawn with numpy's
    generator exactly as the engine draws them. A penalty is applied by hand
    around ``optimizer.step()`` (``penalty_code.torch_parts``): torch's
    ``weight_decay`` would shrink the intercept too, and autograd's slope of
    |w| at 0 is not the engine's. Every rule, schedule and penalty matches up
    to rounding.

    Parameters and return value as ``numpy_script``; the script prints
    ``theta = [...]`` and the final loss.
    """
    plan = plan_run(dataset, settings, variant, n_updates, model=model, epsilon=epsilon)
    s = plan.settings
    kind = plan.model
    optimizer, notes = _torch_optimizer(s)
    penalty = None
    if plan.scheme is not None:
        penalty = torch_parts(s.penalty_term, plan.scheme, s.rule, plan.has_intercept)
    constants = run_constants(dataset, plan, data_file)
    constants |= model_constants(dataset, plan)
    constants |= rule_code(s).constants | schedule_constants(s, plan.updates_per_epoch)
    if penalty is not None:
        constants |= penalty.constants
    if s.theta0 is not None:
        constants["THETA0"] = "[" + ", ".join(number(v) for v in s.theta0) + "]"
    schedule = _torch_schedule(s)
    header = data_header(dataset, plan, data_file, "PyTorch", "gddash_torch.py")
    notes += _notes(kind, penalty is not None)
    header += ["", "How it maps onto PyTorch:"] + [f"  {note}" for note in notes]
    imports = ["import csv"]
    if s.schedule in ("step", "exponential"):
        imports.append("import math")
    if kind == "softmax":
        layer = [
            "# θ is the layer's weight matrix, one row per class; X's column of",
            "# ones is the intercept.",
            "model = nn.Linear(d, N_CLASSES, bias=False).double()",
        ]
    else:
        layer = [
            "# θ is the weight row of a linear layer; X's column of ones is the "
            "intercept.",
            "model = nn.Linear(d, 1, bias=False).double()",
        ]
    setup = [
        "n, d = X.shape" if plan.ran_as != "batch" else "d = X.shape[1]",
        *layer,
        "with torch.no_grad():",
        f"    {_start(kind, s.theta0)}",
        f"criterion = {CRITERIA[kind]}",
        *call_lines("optimizer = ", optimizer),
    ]
    if schedule:
        setup.append(
            "scheduler = optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=schedule)"
        )
    if penalty is not None:
        setup += ["w = model.weight  # θ, which the penalty works on", *penalty.setup]
    if plan.ran_as == "batch":
        loop = fill(
            """
            for _ in range(N_UPDATES):  # every update uses every row
            $step
            """,
            step=indented(_torch_step(kind, "", bool(schedule), penalty), 4),
        )
    else:
        step = _torch_step(kind, "rows", bool(schedule), penalty)
        lines, loop = batches_loop(s.shuffle, "torch", step + "\nt += 1")
        setup += lines
    body = "\n".join(
        [*setup, loop, "return model.weight.detach().ravel().numpy(), model, criterion"]
    )
    outputs = "model(X)" if kind == "softmax" else "model(X).squeeze(1)"
    final = [f"final = {_loss_of(kind, outputs, 'y')}"]
    if penalty is not None:
        final = [
            "# The objective the run minimised: the mean loss plus the penalty.",
            *mask_lines(plan.has_intercept, "torch", "X.shape[1]"),
            f"final = {_loss_of(kind, outputs, 'y')} + penalty(model.weight, "
            "penalised)",
        ]
    target = (
        "torch.from_numpy(table[:, -1].astype(np.int64))  # class indices"
        if kind == "softmax"
        else "torch.from_numpy(table[:, -1])"
    )
    parts = [
        comment_block(header)
        + "\n\n"
        + "\n".join(imports)
        + "\n\nimport numpy as np\nimport torch\nfrom torch import nn, optim\n\n"
        + constants_block(constants),
        fill(_LOAD, target=target),
    ]
    if penalty is not None:
        parts += penalty.functions
    if schedule:
        parts.append(schedule)
    if plan.ran_as != "batch" and s.shuffle:
        parts.append(EPOCH_ORDER)
    parts.append(
        'def train(X, y):\n    """Run the updates; return θ, the model and the '
        'loss."""\n' + indented(body, 4)
    )
    shown = fill(_SHOW_CLASSES if kind == "softmax" else _SHOW_THETA)
    parts.append(
        'if __name__ == "__main__":\n'
        "    X, y = load_data(DATA_FILE)\n"
        "    theta, model, criterion = train(X, y)\n"
        + indented(shown, 4)
        + "\n    with torch.no_grad():\n"
        + indented("\n".join(final), 8)
        + '\n        print("final loss =", float(final))'
    )
    return "\n\n\n".join(parts) + "\n"
