"""Run batch, stochastic and mini-batch descent on one dataset, fairly, and compare.

``run`` builds the problem once (so XᵀX and the reference optimum are shared),
gives every variant the same budget (passes over the data by default, or the
same number of updates), repeats stochastic variants over several seeds, and
returns a ``Comparison``: the traces, the optimum, a summary table and a verdict
written from the numbers.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gddash import export, limits, titles
from gddash.data import Dataset
from gddash.engine import (
    HuberRegression,
    LinearRegression,
    LogisticRegression,
    Penalty,
    Settings,
    SoftmaxRegression,
    Trace,
    descend,
    minimum,
    plan,
)
from gddash.errors import SettingsError

Problem = LinearRegression | LogisticRegression | HuberRegression | SoftmaxRegression

VARIANT_TITLES = titles.VARIANT
RULE_TITLES = titles.RULE
STOCHASTIC = ("sgd", "minibatch")
# Within 1% of the optimal loss: L ≤ L* + 1% of L* (or of the initial gap when
# the optimum is essentially zero, e.g. a perfect fit).
TARGET_FRACTION = 0.01


@dataclass(frozen=True, kw_only=True)
class CompareSettings:
    """What to compare and how: shared by every variant of one comparison.

    Parameters
    ----------
    variants : tuple of {"batch", "sgd", "minibatch"}
    batch_size : int >= 1, rows per mini-batch update
    budget : {"epochs", "updates"}
        "epochs" gives every variant ``epochs`` passes over the data (fair in
        work); "updates" gives every variant ``updates`` parameter updates (fair
        in steps: batch then does far more work).
    epochs : float > 0, updates : int >= 1
    repeats : int >= 1, seeds per stochastic variant (seed, seed+1, ...)
    descent : Settings
        Rule, learning rate, schedule, ε, tol, shuffle, seed and the penalty
        (``penalty``, ``alpha``, ``l1_ratio``); its variant, batch size and
        budget fields are overridden per variant.
    epsilon : float in (0, inf) or None
        Huber's ε (``SGDRegressor(loss="huber", epsilon=ε)``), in units of the
        target: set, a regression target is fitted with the Huber loss instead
        of the squared loss. None fits the dataset's own loss. It is part of the
        problem, not of a run, so it lives here rather than in ``descent``.
    """

    variants: tuple[str, ...] = ("batch", "sgd", "minibatch")
    batch_size: int = 32
    budget: str = "epochs"
    epochs: float = 20.0
    updates: int = 200
    repeats: int = 1
    descent: Settings = field(default_factory=Settings)
    epsilon: float | None = None

    def __post_init__(self) -> None:
        if self.epsilon is not None and not (
            _is_number(self.epsilon) and 0 < self.epsilon < math.inf
        ):
            raise SettingsError(
                f"Huber's epsilon must be a number above 0. Got {self.epsilon!r} "
                "instead: it is where the loss turns from squared to linear, in "
                "units of the target."
            )
        variants = tuple(dict.fromkeys(self.variants))
        if not variants:
            raise SettingsError("Choose at least one variant to compare.")
        unknown = [v for v in variants if v not in VARIANT_TITLES]
        if unknown:
            raise SettingsError(
                f"Unknown variant(s) {unknown}: choose among batch, sgd, minibatch."
            )
        object.__setattr__(self, "variants", variants)
        if self.budget not in ("epochs", "updates"):
            raise SettingsError(
                f"The budget must be 'epochs' or 'updates'. Got {self.budget!r}."
            )
        if not (isinstance(self.repeats, int) and 1 <= self.repeats <= 20):
            raise SettingsError(
                f"Repeats must be a whole number from 1 to 20. Got {self.repeats!r}."
            )
        # Checked here, in the comparison's words; Settings would name its own
        # fields (max_epochs, max_updates) only when a run is built.
        if not (_is_number(self.epochs) and 0 < self.epochs < math.inf):
            raise SettingsError(
                f"Epochs must be a number above 0. Got {self.epochs!r} instead."
            )
        for name, value in (("Updates", self.updates), ("Batch size", self.batch_size)):
            if not (_is_number(value) and float(value).is_integer() and value >= 1):
                raise SettingsError(
                    f"{name} must be a whole number of at least 1. Got {value!r} "
                    "instead."
                )
        object.__setattr__(self, "updates", int(self.updates))
        object.__setattr__(self, "batch_size", int(self.batch_size))

    def settings_for(self, variant: str, seed_offset: int = 0) -> Settings:
        """The engine settings of one run of ``variant``."""
        budget = (
            {"max_epochs": self.epochs}
            if self.budget == "epochs"
            else {"max_epochs": 1e12, "max_updates": self.updates}
        )
        return dataclasses.replace(
            self.descent,
            **budget,
            variant=variant,
            batch_size=self.batch_size,
            seed=self.descent.seed + seed_offset,
        )


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class Optimum:
    """The reference the variants are measured against.

    ``problem`` and ``penalty`` say which objective θ* minimises (see
    ``identity``), so that ``run`` never measures runs against another
    objective's optimum.
    """

    theta: np.ndarray
    loss: float
    note: str  # how it was found, in words, e.g. "closed form (normal equations)"
    closed_form: bool = True  # False: an iterative method (Newton, FISTA, …)
    separable: bool = False  # classes perfectly separable: the log-loss has no minimum
    problem: tuple[object, ...] = ()  # identity(problem); () = not recorded
    penalty: Penalty | None = None


@dataclass(frozen=True)
class Comparison:
    """Everything one comparison produced."""

    dataset: Dataset
    settings: CompareSettings
    traces: dict[str, tuple[Trace, ...]]  # variant -> one trace per seed
    optimum: Optimum
    table: pd.DataFrame
    verdict: str

    def primary(self, variant: str) -> Trace:
        """The first-seed run of a variant (the one drawn as a line)."""
        return self.traces[variant][0]


def model_of(dataset: Dataset, settings: CompareSettings | None = None) -> str:
    """The model fitted: the dataset's task, or "huber" when ``settings`` set ε."""
    if settings is not None and settings.epsilon is not None:
        return "huber"
    return dataset.task


def problem_for(dataset: Dataset, settings: CompareSettings | None = None) -> Problem:
    """The engine problem of a prepared dataset (validation rows included).

    The task picks least squares, the log-loss or softmax cross-entropy;
    ``settings.epsilon`` turns a regression into Huber regression. An intercept
    column (``feature_names[0] == "intercept"``) is marked so that a penalty
    leaves it alone, as scikit-learn's ``fit_intercept`` does.
    """
    arrays = (dataset.X, dataset.y, dataset.X_val, dataset.y_val)
    intercept = dataset.has_intercept
    model = model_of(dataset, settings)
    if model == "huber":
        if dataset.task != "linear":
            raise SettingsError(
                "Huber regression needs a numeric target; this target has classes. "
                "Choose logistic or softmax regression, or a numeric target."
            )
        return HuberRegression(*arrays, epsilon=settings.epsilon, intercept=intercept)
    if model == "softmax":
        return SoftmaxRegression(
            *arrays, n_classes=dataset.n_classes, intercept=intercept
        )
    if model == "logistic":
        return LogisticRegression(*arrays, intercept=intercept)
    return LinearRegression(*arrays, intercept=intercept)


def identity(problem: object) -> tuple[object, ...]:
    """What makes two problems of one dataset the same objective: kind, ε, intercept.

    ε is Huber's alone: the other losses carry an unused class attribute, and
    counting it made every cached problem look foreign, so each comparison and
    loss slice built its own (three XᵀX passes a run instead of one).
    """
    kind = getattr(problem, "kind", None)
    return (
        kind,
        getattr(problem, "epsilon", None) if kind == "huber" else None,
        getattr(problem, "intercept", None),
    )


def fits(problem: object, dataset: Dataset, settings: CompareSettings) -> bool:
    """Whether ``problem`` (e.g. a cached one) is the one ``settings`` ask for."""
    kind, epsilon, intercept = identity(problem)
    return (
        kind == model_of(dataset, settings)
        and epsilon == settings.epsilon
        and intercept == dataset.has_intercept
    )


def optimum_for(
    dataset: Dataset,
    problem: Problem | None = None,
    penalty: Penalty | None = None,
) -> Optimum:
    """θ* of the (penalised) objective by ``engine.minimum``, with a note naming how.

    Ridge and least squares in closed form, lasso and elastic net by coordinate
    descent, smooth objectives by Newton's method (L-BFGS when large), L1 on the
    others by FISTA. Without a penalty the classes may be separable, and then
    the log-loss has no minimum: the note says so.
    """
    problem = problem_for(dataset) if problem is None else problem
    per_pass = max(1, problem.n_samples * problem.n_params)
    cap = min(limits.OPTIMUM_ITERATIONS, max(200, limits.OPTIMUM_WORK // per_pass))
    found = minimum(problem, penalty, max_iter=cap)
    note = found.method
    if not found.converged:
        note += " (stopped at its iteration cap: θ* is approximate)"
    if found.separable:
        note += (
            "; the classes are perfectly separable, so the log-loss has no minimum "
            "(it keeps falling towards 0 as the weights grow)"
        )
    return Optimum(
        found.theta,
        found.loss,
        note,
        closed_form=found.method.startswith("closed form"),
        separable=found.separable,
        problem=identity(problem),
        penalty=penalty,
    )


def measures(optimum: Optimum, problem: object, penalty: Penalty | None) -> bool:
    """Whether ``optimum`` is θ* of ``problem`` with ``penalty``."""
    known = not optimum.problem or optimum.problem == identity(problem)
    return known and optimum.penalty == penalty


def suggested_learning_rate(dataset: Dataset) -> float:
    """A learning rate every variant can use, to two significant digits.

    Per-row updates stay stable in mean square below 2/tr(XᵀX/m) (the classical
    LMS bound; tr ≥ λ_max, so batch is stable there too): suggest half of that.
    The log-loss has at most a quarter of that curvature, so four times more;
    softmax at most half (Böhning's bound), so twice more.
    """
    trace = float(np.einsum("ij,ij->", dataset.X, dataset.X)) / dataset.n_samples
    scale = {"linear": 1.0, "softmax": 2.0}.get(dataset.task, 4.0)
    return float(f"{scale / max(trace, 1e-300):.2g}")


def n_params_of(dataset: Dataset) -> int:
    """The length of θ: n_features, or K·n_features for softmax regression."""
    if dataset.task == "softmax":
        return dataset.n_classes * dataset.n_features
    return dataset.n_features


def work_for(dataset: Dataset, settings: CompareSettings) -> int:
    """``work`` for this dataset and model (Huber, softmax's K classes included)."""
    return work(
        dataset.n_samples,
        n_params_of(dataset),
        model_of(dataset, settings),
        settings,
        n_classes=dataset.n_classes or 1,
    )


# What an update rule and a schedule add to each update, in row × parameter
# products (``work``). Measured on the large sample (6 parameters, one row an
# update, ``compare.run`` at the work limit): over plain SGD's ~45 ns an update,
# momentum added ~30 ns, Nesterov and AdaGrad ~45, RMSProp ~50, Adam ~130 (per
# parameter: its two moments, a square root and a division); a decaying rate
# ~35-55 ns an update (a power or an exponential). One product is ~8.7 ns there.
RULE_WORK = {
    "plain": 0.0,
    "momentum": 0.6,
    "nesterov": 0.9,
    "adagrad": 0.9,
    "rmsprop": 1.0,
    "adam": 2.5,
}  # products per parameter per update
SCHEDULE_WORK = {"constant": 0, "step": 4, "exponential": 4, "invscaling": 6}


def work(
    n_samples: int,
    n_params: int,
    task: str,
    settings: CompareSettings,
    *,
    n_classes: int = 1,
) -> int:
    """What a comparison will compute, in row × parameter products, before it runs.

    Each update reads ``batch_size`` rows of ``n_params`` values. The log-loss
    costs about three products a row more (an exponential), and its recorded
    full-data losses up to twice as much again as the updates (measured: a
    log-loss product costs about 1.5 times a squared-loss one). Softmax
    (``task="softmax"``, ``n_params`` = K·d) is the log-loss per class: an
    exponential per class, so ~K times a logistic row. Huber reads all rows for
    every full-data loss, like the log-loss, without the exponential: two
    products a value. A penalty adds a pass over θ per update (n_params), and
    its runs take the one-row loop. Batch descent on the squared loss steps
    from XᵀX: d² per update, after one n·d² pass to build it. An update rule
    other than plain descent and a schedule other than a constant rate cost
    per update (``RULE_WORK``, ``SCHEDULE_WORK``): at one row an update, Adam
    made a comparison four times dearer than plain SGD at the same products.
    """
    d = n_params
    squared = task == "linear"
    total = n_samples * d * d if squared else 0
    per_row = {
        "linear": d,
        "huber": 2 * d,
        "softmax": 3 * (d + 3 * n_classes),
    }.get(task, 3 * (d + 3))
    penalised = settings.descent.penalty is not None
    for variant, k in runs_of(settings):
        run = settings.settings_for(variant, k)
        planned = plan(n_samples, run)
        per_update = (d if penalised else 0) + math.ceil(
            RULE_WORK[run.rule] * d + SCHEDULE_WORK[run.schedule]
        )
        if squared and planned.as_batch:
            total += planned.n_updates * (d * d + per_update)
        else:
            total += planned.n_updates * (planned.batch_size * per_row + per_update)
    return total


def runs_of(settings: CompareSettings) -> list[tuple[str, int]]:
    """The (variant, seed offset) pairs one comparison runs, in order."""
    return [
        (variant, k)
        for variant in settings.variants
        for k in range(settings.repeats if variant in STOCHASTIC else 1)
    ]


def run(
    dataset: Dataset,
    settings: CompareSettings,
    *,
    problem: Problem | None = None,
    optimum: Optimum | None = None,
    run_one: Callable[[Problem, Settings], Trace] = descend,
    progress: Callable[[str, int, int], None] | None = None,
) -> Comparison:
    """Run every variant (and seed) of ``settings`` on ``dataset`` and compare.

    This is the loop the compare page runs: it passes the problem and optimum it
    keeps, and ``progress(label, done, total)``, called before each run, drives
    its progress bar. ``run_one`` runs one trace (``descend`` unless a caller
    caches runs). A given problem or optimum that belongs to another model,
    Huber ε or penalty (a cache keyed on the data alone) is replaced by the
    right one, so the runs are always measured against their own objective.
    """
    if problem is None or not fits(problem, dataset, settings):
        problem = problem_for(dataset, settings)
    penalty = settings.descent.penalty_term
    runs = runs_of(settings)
    traces = []
    for done, (variant, k) in enumerate(runs):
        if progress is not None:
            progress(run_label(variant, k, settings.repeats), done, len(runs))
        traces.append(run_one(problem, settings.settings_for(variant, k)))
    if optimum is None or not measures(optimum, problem, penalty):
        optimum = optimum_for(dataset, problem, penalty)
    return assemble(dataset, settings, traces, optimum)


def assemble(
    dataset: Dataset,
    settings: CompareSettings,
    traces: list[Trace],
    optimum: Optimum,
) -> Comparison:
    """Build the comparison from the traces of ``runs_of(settings)``, in order."""
    grouped: dict[str, list[Trace]] = {v: [] for v in settings.variants}
    for (variant, _), trace in zip(runs_of(settings), traces, strict=True):
        grouped[variant].append(trace)
    frozen = {v: tuple(t) for v, t in grouped.items()}
    table = summary_table(dataset, frozen, optimum)
    return Comparison(
        dataset=dataset,
        settings=settings,
        traces=frozen,
        optimum=optimum,
        table=table,
        verdict=verdict(table, frozen, optimum),
    )


def run_label(variant: str, k: int, repeats: int) -> str:
    """A progress label, e.g. 'Stochastic (SGD), seed 2 of 3'."""
    title = VARIANT_TITLES[variant]
    if variant in STOCHASTIC and repeats > 1:
        return f"{title}, seed {k + 1} of {repeats}"
    return title


def target_loss(trace: Trace, optimum: Optimum) -> float:
    """The loss that counts as "within 1% of the optimum" for this run."""
    gap = abs(optimum.loss)
    if gap < 1e-9 * max(abs(trace.loss[0]), 1e-300):
        gap = abs(trace.loss[0] - optimum.loss)  # a perfect fit: 1% of the way
    return optimum.loss + TARGET_FRACTION * gap


def first_within_target(trace: Trace, optimum: Optimum) -> int | None:
    """Index of the first recorded point within 1% of the optimal loss."""
    hits = np.flatnonzero(trace.loss <= target_loss(trace, optimum))
    return int(hits[0]) if len(hits) else None


def score_name(dataset: Dataset) -> str:
    """The score column: "R²" for regression (squared or Huber), else "accuracy"."""
    return "R²" if dataset.task == "linear" else "accuracy"


def predicted_classes(dataset: Dataset, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Class indices a classifier θ predicts for the rows of X.

    Logistic: 1 where x·θ >= 0. Softmax: the class of the largest score, with θ
    the (K, d) weights flattened row-major.
    """
    with np.errstate(all="ignore"):
        if dataset.task == "softmax":
            scores = X @ theta.reshape(dataset.n_classes, -1).T
            return np.argmax(scores, axis=1).astype(float)
        return ((X @ theta) >= 0.0).astype(float)


def _score(dataset: Dataset, theta: np.ndarray) -> float:
    """R² = 1 − Σr²/SST from the residuals, for least squares and Huber alike
    (the recorded loss may be Huber's or include a penalty, so R² is not read
    from it); accuracy for classification.
    """
    if not np.isfinite(theta).all():
        return math.nan
    if dataset.task == "linear":
        variance = float(np.var(dataset.y))
        with np.errstate(all="ignore"):
            residual = dataset.X @ theta - dataset.y
            mean_square = float(np.mean(residual * residual))
        return 1.0 - mean_square / variance if variance > 0 else math.nan
    return float(np.mean(predicted_classes(dataset, theta, dataset.X) == dataset.y))


def summary_table(
    dataset: Dataset, traces: dict[str, tuple[Trace, ...]], optimum: Optimum
) -> pd.DataFrame:
    """One row per variant, from its first-seed run (seeds add a ± spread column).

    Columns: variant, status, message, final loss, validation loss, gap to the
    optimal loss, distance ‖θ − θ*‖, R² (regression: squared or Huber loss) or
    accuracy (logistic, softmax), epochs, updates, rows
    processed, seconds, seconds and rows to within 1% of the optimal loss, and
    the final gradient norm.
    """
    score = score_name(dataset)
    rows = []
    for variant, runs in traces.items():
        trace = runs[0]
        hit = first_within_target(trace, optimum)
        finals = np.array([t.final_loss for t in runs])
        rows.append(
            {
                "variant": VARIANT_TITLES[variant],
                "status": trace.status,
                "message": trace.message,
                "final loss": trace.final_loss,
                "loss spread over seeds": float(np.ptp(finals))
                if len(runs) > 1
                else None,
                "validation loss": (
                    float(trace.val_loss[-1]) if trace.val_loss is not None else None
                ),
                "gap to optimum": trace.final_loss - optimum.loss,
                "distance to θ*": _distance(trace.theta, optimum.theta),
                score: _score(dataset, trace.theta),
                "epochs": trace.n_epochs,
                "updates": trace.n_updates,
                "rows processed": trace.n_samples_processed,
                "seconds": trace.seconds_total,
                "seconds to 1%": None if hit is None else float(trace.seconds[hit]),
                "epochs to 1%": None if hit is None else float(trace.epochs[hit]),
                "rows to 1%": None if hit is None else int(trace.samples[hit]),
                "final ‖∇L‖": float(trace.grad_norm[-1]),
            }
        )
    return pd.DataFrame(rows)


def _distance(theta: np.ndarray, star: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged θ may overflow
        return float(np.linalg.norm(theta - star))


def roughness(trace: Trace) -> float:
    """Share of recorded steps on which the full-data loss went up.

    Rises below 1e-12 of the loss are rounding, not noise, and do not count.
    """
    if len(trace.loss) < 3:
        return 0.0
    return float(np.mean(np.diff(trace.loss) > 1e-12 * np.abs(trace.loss[:-1])))


def verdict(
    table: pd.DataFrame,
    traces: dict[str, tuple[Trace, ...]],
    optimum: Optimum,
) -> str:
    """Two or three sentences, every claim backed by a number from the table."""
    ok = table[table["status"] != "diverged"]
    sentences = []
    diverged = table[table["status"] == "diverged"]["variant"].tolist()
    if diverged:
        sentences.append(
            f"{_join(diverged)} diverged with this learning rate (see the table "
            "for the limit to stay under)."
        )
    reached = ok[ok["epochs to 1%"].notna()]
    if reached.empty and not ok.empty:
        closest = ok.loc[ok["gap to optimum"].idxmin()]
        sentences.append(
            "No variant came within 1% of the optimal loss within the budget; "
            f"{closest['variant']} got closest (gap {closest['gap to optimum']:.3g})."
        )
    elif not reached.empty:
        by_passes = reached.loc[reached["epochs to 1%"].idxmin()]
        by_time = reached.loc[reached["seconds to 1%"].idxmin()]
        first = (
            f"{by_passes['variant']} came within 1% of the optimal loss in the fewest "
            f"passes over the data ({by_passes['epochs to 1%']:.3g} epochs"
            f"{_left_again(by_passes['variant'], traces, optimum)})"
        )
        if by_time["variant"] == by_passes["variant"]:
            first += f" and also in the least time ({_ms(by_time['seconds to 1%'])})."
        else:
            first += (
                f", {by_time['variant']} in the least time "
                f"({_ms(by_time['seconds to 1%'])})."
            )
        missed = sorted(set(ok["variant"]) - set(reached["variant"]))
        if missed:
            first = first[:-1] + f"; {_join(missed)} did not get there in the budget."
        sentences.append(first)
    noise = {
        VARIANT_TITLES[v]: roughness(runs[0])
        for v, runs in traces.items()
        if runs[0].status != "diverged"
    }
    if "Batch" in noise and len(noise) > 1:
        batch = noise.pop("Batch")
        noisiest, share = max(noise.items(), key=lambda item: item[1])
        if share > batch:
            sentences.append(
                f"As expected, batch descent was the steadier: its loss "
                f"rose on {batch:.0%} of recorded steps, {noisiest}'s on {share:.0%}."
            )
        else:
            sentences.append(
                f"Here the stochastic updates were not visibly noisier than batch "
                f"(loss rose on {share:.0%} vs {batch:.0%} of recorded steps), "
                "which happens with small learning rates or well-fitting data."
            )
    return " ".join(sentences)


def _left_again(title: str, traces: dict[str, tuple[Trace, ...]], optimum) -> str:
    """ ", though it did not stay there" when the run ended outside the 1% band."""
    variant = next(v for v in traces if VARIANT_TITLES[v] == title)
    trace = traces[variant][0]
    if trace.final_loss > target_loss(trace, optimum):
        return ", though its noisy steps did not stay there"
    return ""


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def parameter_names(dataset: Dataset) -> tuple[str, ...]:
    """One name per entry of θ: the feature, or "class, feature" for softmax
    (θ[c·d + j] weighs feature j for class c)."""
    if dataset.task != "softmax":
        return dataset.feature_names
    return tuple(
        f"{label}, {name}"
        for label in dataset.class_labels
        for name in dataset.feature_names
    )


def traces_frame(comparison: Comparison) -> pd.DataFrame:
    """Every recorded point of every run, one row each (the traces download).

    Columns: variant, seed, update, epoch, rows_processed, seconds, loss,
    grad_norm, learning_rate, validation_loss (when held out), theta[<name>]
    (``parameter_names``: theta[<class>, <feature>] for softmax).
    """
    frames = []
    for variant, runs in comparison.traces.items():
        for k, trace in enumerate(runs):
            frame = pd.DataFrame(
                {
                    "variant": variant,
                    "seed": comparison.settings.descent.seed + k,
                    "update": trace.updates,
                    "epoch": trace.epochs,
                    "rows_processed": trace.samples,
                    "seconds": trace.seconds,
                    "loss": trace.loss,
                    "grad_norm": trace.grad_norm,
                    "learning_rate": trace.learning_rate,
                }
            )
            if trace.val_loss is not None:
                frame["validation_loss"] = trace.val_loss
            for j, name in enumerate(parameter_names(comparison.dataset)):
                frame[f"theta[{name}]"] = trace.path[:, j]
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def traces_csv(comparison: Comparison) -> bytes:
    """``traces_frame`` as a spreadsheet-safe CSV file (the page's download)."""
    return export.csv_bytes(traces_frame(comparison))
