"""``torch_script``: a dashboard run on data, as ``nn.Linear`` + ``torch.optim``."""

from __future__ import annotations

from gddash.codegen.plan import DATA_FILE, plan_run
from gddash.codegen.rules import rule_code, schedule_constants
from gddash.codegen.scaffold import (
    EPOCH_ORDER,
    batches_loop,
    data_header,
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


def _torch_step(logistic: bool, rows: str, schedule: bool) -> str:
    """One PyTorch update on ``X[rows]`` (or all rows when ``rows`` is "")."""
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
    constants = run_constants(dataset, plan, data_file)
    constants |= rule_code(s).constants | schedule_constants(s, plan.updates_per_epoch)
    schedule = _torch_schedule(s)
    header = data_header(dataset, plan, data_file, "PyTorch", "gddash_torch.py")
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
        constants["THETA0"] = "[" + ", ".join(number(v) for v in s.theta0) + "]"
    setup = [
        "n, d = X.shape" if plan.ran_as != "batch" else "d = X.shape[1]",
        "# θ is the weight row of a linear layer; X's column of ones is the intercept.",
        "model = nn.Linear(d, 1, bias=False).double()",
        "with torch.no_grad():",
        f"    {start}",
        f"criterion = {criterion}",
        *call_lines("optimizer = ", optimizer),
    ]
    if schedule:
        setup.append(
            "scheduler = optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=schedule)"
        )
    if plan.ran_as == "batch":
        loop = fill(
            """
            for _ in range(N_UPDATES):  # every update uses every row
            $step
            """,
            step=indented(_torch_step(logistic, "", bool(schedule)), 4),
        )
    else:
        step = _torch_step(logistic, "rows", bool(schedule))
        lines, loop = batches_loop(s.shuffle, "torch", step + "\nt += 1")
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
        comment_block(header)
        + "\n\n"
        + "\n".join(imports)
        + "\n\nimport numpy as np\nimport torch\nfrom torch import nn, optim\n\n"
        + constants_block(constants),
        fill(
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
    if plan.ran_as != "batch" and s.shuffle:
        parts.append(EPOCH_ORDER)
    parts.append(
        'def train(X, y):\n    """Run the updates; return θ, the model and the '
        'loss."""\n' + indented(body, 4)
    )
    parts.append(
        fill(
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
