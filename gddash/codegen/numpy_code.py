"""``numpy_script``: a dashboard run on data, written out with numpy."""

from __future__ import annotations

from gddash.codegen.plan import DATA_FILE, RunPlan, plan_run
from gddash.codegen.rules import (
    RuleCode,
    lr_line,
    rule_code,
    schedule_constants,
    schedule_function,
)
from gddash.codegen.scaffold import (
    EPOCH_ORDER,
    batches_loop,
    data_header,
    run_constants,
    start_line,
)
from gddash.codegen.text import (
    comment_block,
    constants_block,
    fill,
    indented,
)
from gddash.compare import CompareSettings
from gddash.data import Dataset

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


# --------------------------------------------------------------------------------------
# numpy script for a dataset
# --------------------------------------------------------------------------------------


def _numpy_loop(plan: RunPlan, rule: RuleCode) -> str:
    """The body of ``gradient_descent`` (indented by 4)."""
    s = plan.settings
    lines = [start_line(s)]
    if rule.state:
        lines.append(rule.state)
    update = "\n".join([lr_line(s), rule.update])
    if plan.ran_as == "batch":
        uses_t = s.schedule != "constant" or s.rule == "adam"
        counter = (
            "for t in range(1, N_UPDATES + 1):  # t counts updates from 1"
            if uses_t
            else "for _ in range(N_UPDATES):"
        )
        lines.append(
            fill(
                """
                $counter
                    g = gradient(theta, X, y)  # the exact gradient, from every row
                $update
                return theta
                """,
                counter=counter,
                update=indented(update, 4),
            )
        )
        return indented("\n".join(lines), 4)
    lines.insert(0, "n = len(y)  # rows")
    body = "\n".join(
        [
            "g = gradient(theta, X[rows], y[rows])  # estimated from these rows",
            "t += 1",
            update,
        ]
    )
    setup, loop = batches_loop(s.shuffle, "np", body)
    lines += [*setup, loop, "return theta"]
    return indented("\n".join(lines), 4)


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
    rule = rule_code(s)
    constants = run_constants(dataset, plan, data_file)
    constants |= rule.constants | schedule_constants(s, plan.updates_per_epoch)
    imports = ["import csv"]
    if s.schedule in ("step", "exponential"):
        imports.append("import math")
    parts = [
        comment_block(data_header(dataset, plan, data_file, "numpy", "gddash_numpy.py"))
        + "\n\n"
        + "\n".join(imports)
        + "\n\nimport numpy as np\n\n"
        + constants_block(constants),
        _LOAD_DATA.strip("\n"),
        (_LINEAR if dataset.task == "linear" else _LOGISTIC).strip("\n"),
    ]
    if schedule := schedule_function(s):
        parts.append(schedule)
    if plan.ran_as != "batch" and s.shuffle:
        parts.append(EPOCH_ORDER)
    parts.append(
        'def gradient_descent(X, y):\n    """Run the updates and return the final '
        'θ."""\n' + _numpy_loop(plan, rule)
    )
    parts.append(
        fill(
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
