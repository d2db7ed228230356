"""``numpy_script``: a dashboard run on data, written out with numpy."""

from __future__ import annotations

from gddash.codegen.penalty_code import PenaltyParts, mask_lines, numpy_parts
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
    model_constants,
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

_LOAD_CLASSES = '''
def load_data(path):
    """The prepared X (n, d) and the class index 0..K−1 of each row (n,)."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    table = np.array(rows[1:], dtype=float)  # rows[0] is the header
    return table[:, :-1], table[:, -1].astype(int)  # class k is CLASSES[k]
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


_HUBER = '''
def gradient(theta, X, y):
    """Gradient of the mean Huber loss over the m rows given: Xᵀ clip(r, ±ε)/m."""
    m = len(y)
    error = X @ theta - y  # the residual r of each row
    # The loss's slope is r inside ±ε and ±ε beyond: an outlier pulls with
    # force ε at most, however far off it is, so a few wild rows cannot drag θ.
    return X.T @ np.clip(error, -EPSILON, EPSILON) / m


def loss(theta, X, y):
    """Mean Huber loss: ½ r² for |r| <= ε, ε |r| − ½ ε² beyond (scikit-learn's)."""
    r = np.abs(X @ theta - y)
    return np.mean(np.where(r <= EPSILON, 0.5 * r * r, EPSILON * r - 0.5 * EPSILON**2))
'''

_SOFTMAX = '''
def probabilities(theta, X):
    """P (m, K): each row's class probabilities softmax(θ xᵢ). The scores are
    shifted by their row's largest first: the shift cancels in the ratio, and
    exp never overflows."""
    scores = X @ theta.T  # s_ic = θ_c·xᵢ, one column per class
    scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


def gradient(theta, X, y):
    """Gradient of the mean cross-entropy over the m rows given: (P − Y)ᵀX / m,
    with Y the one-hot labels (K, d), one row of weights per class."""
    m = len(y)
    residual = probabilities(theta, X)
    residual[np.arange(m), y] -= 1.0  # P − Y: minus 1 at each row's own class
    return residual.T @ X / m


def loss(theta, X, y):
    """Mean cross-entropy −log p_yᵢ = log Σ_c e^s_c − s_yᵢ, by log-sum-exp."""
    scores = X @ theta.T
    top = scores.max(axis=1)  # shifted as in probabilities: no overflow
    log_sum = top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
    return np.mean(log_sum - scores[np.arange(len(y)), y])
'''

_GRADIENTS = {
    "linear": _LINEAR,
    "logistic": _LOGISTIC,
    "huber": _HUBER,
    "softmax": _SOFTMAX,
}


# --------------------------------------------------------------------------------------
# numpy script for a dataset
# --------------------------------------------------------------------------------------


def _numpy_loop(plan: RunPlan, rule: RuleCode, penalty: PenaltyParts | None) -> str:
    """The body of ``gradient_descent`` (indented by 4)."""
    s = plan.settings
    lines = [start_line(s, plan.n_classes)]
    if rule.state:
        lines.append(rule.state)
    update = "\n".join([lr_line(s), rule.update])
    if penalty is not None:
        lines += penalty.setup
        update = "\n".join([lr_line(s), *penalty.before, rule.update, *penalty.after])
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
    model: str | None = None,
    epsilon: float | None = None,
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
        For an unknown variant, a negative ``n_updates``, a model the target
        does not suit or ε <= 0.
    """
    plan = plan_run(dataset, settings, variant, n_updates, model=model, epsilon=epsilon)
    s = plan.settings
    rule = rule_code(s)
    penalty = None
    if plan.scheme is not None:
        penalty = numpy_parts(
            s.penalty_term, plan.scheme, s.rule, dataset.has_intercept
        )
    constants = run_constants(dataset, plan, data_file)
    constants |= model_constants(dataset, plan)
    constants |= rule.constants | schedule_constants(s, plan.updates_per_epoch)
    if penalty is not None:
        constants |= penalty.constants
    imports = ["import csv"]
    if s.schedule in ("step", "exponential"):
        imports.append("import math")
    parts = [
        comment_block(data_header(dataset, plan, data_file, "numpy", "gddash_numpy.py"))
        + "\n\n"
        + "\n".join(imports)
        + "\n\nimport numpy as np\n\n"
        + constants_block(constants),
        (_LOAD_CLASSES if plan.model == "softmax" else _LOAD_DATA).strip("\n"),
        _GRADIENTS[plan.model].strip("\n"),
    ]
    if penalty is not None:
        parts += penalty.functions
    if schedule := schedule_function(s):
        parts.append(schedule)
    if plan.ran_as != "batch" and s.shuffle:
        parts.append(EPOCH_ORDER)
    parts.append(
        'def gradient_descent(X, y):\n    """Run the updates and return the final '
        'θ."""\n' + _numpy_loop(plan, rule, penalty)
    )
    parts.append(_main(plan, penalty is not None))
    return "\n\n\n".join(parts) + "\n"


def _main(plan: RunPlan, penalised: bool) -> str:
    """The script's ``__main__`` block: run, print θ and the final loss."""
    if plan.model == "softmax":
        shown = fill(
            """
            print("theta =", theta.ravel().tolist())  # row by row: class 0 first
            for label, weights in zip(CLASSES, theta, strict=True):
                for name, value in zip(FEATURES, weights, strict=True):
                    print(f"  θ[{label}, {name}] = {value:.10g}")
            """
        )
    else:
        shown = fill(
            """
            print("theta =", theta.tolist())
            for name, value in zip(FEATURES, theta, strict=True):
                print(f"  θ[{name}] = {value:.10g}")
            """
        )
    if penalised:
        final = "\n".join(
            [
                "# The objective the run minimised: the mean loss plus the penalty.",
                *mask_lines(plan.has_intercept, "np", "X.shape[1]"),
                'print("final loss =", loss(theta, X, y) + penalty(theta, penalised))',
            ]
        )
    else:
        final = 'print("final loss =", loss(theta, X, y))'
    return (
        'if __name__ == "__main__":\n'
        "    X, y = load_data(DATA_FILE)\n"
        "    theta = gradient_descent(X, y)\n"
        + indented(shown, 4)
        + "\n"
        + indented(final, 4)
    )
