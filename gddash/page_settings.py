"""Every page's settings as link fields, with their defaults.

A field reads a link's text into a value (or refuses it with a reason) and
writes a value back. Pages draw one widget per field with the field's key; the
round-trip tests enumerate these fields and their values.
"""

from __future__ import annotations

from gddash import data, functions, titles
from gddash.share import (
    Field,
    choice,
    flag,
    number,
    one_of_numbers,
    text_of_at_most,
    write_flag,
    write_number,
)

SAMPLES = {s.key: s for s in data.samples()}
PRESETS = {p.key: p for p in functions.PRESETS}

# --- Compare on your data -------------------------------------------------------------

TOL_CHOICES = (0.0, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
VALIDATION_STEP = 0.05
MAX_BATCH = 1_000_000
MAX_UPDATES = 10_000_000
MAX_EPOCHS = 100_000.0
MAX_REPEATS = 10
MAX_SEED = 2**31 - 1
LEARNING_RATES = (1e-8, 1e6)
COLUMN_NAME_LENGTH = 200
# The compare page offers every bundled sample, iris (softmax) included; the other
# pages keep ``SAMPLES`` (the tasks they fit).
LAB_SAMPLES = {s.key: s for s in data.samples(tasks=data.TASKS)}
MAX_ALPHA = 1e6
MAX_HUBER_EPSILON = 1e6
# The large-data source (a path or URL read through Dask), offered only where the
# server allows it (gddash.scale.sources.Access); its budgets are per streamed run.
LARGE = "large"
LAB_SOURCES = {**titles.SOURCE, LARGE: "Path or URL (large data)"}
MAX_PATH_LENGTH = 1000
MAX_ROWS_BUDGET = 10**12
MAX_SECONDS_BUDGET = 86_400.0


def tol_label(tol: float) -> str:
    return "off" if tol == 0 else f"{tol:g}"


def _tol(text: str) -> float:
    return 0.0 if text.strip().lower() == "off" else one_of_numbers(TOL_CHOICES)(text)


def _validation(text: str) -> float:
    value = number(0.0, 0.5)(text)
    steps = round(value / VALIDATION_STEP)
    if abs(steps * VALIDATION_STEP - value) > 1e-9:
        raise ValueError("it is not a multiple of 0.05 from 0 to 0.5")
    return round(steps * VALIDATION_STEP, 2)


_COLUMN = text_of_at_most(COLUMN_NAME_LENGTH)


def _above_zero(text: str) -> float:
    """Huber's ε: a number in (0, MAX_HUBER_EPSILON] (0 would make it no loss)."""
    value = number(0.0, MAX_HUBER_EPSILON)(text)
    if value <= 0:
        raise ValueError("it is not a number above 0")
    return value


LAB = (
    Field("source", choice(LAB_SOURCES)),
    Field("sample", choice({k: s.title for k, s in LAB_SAMPLES.items()})),
    Field("target", _COLUMN),
    Field("features", _COLUMN, many=True),
    Field("model", choice(titles.MODEL)),
    Field("huber_eps", _above_zero, write_number),
    Field("penalty", choice(titles.PENALTY)),
    Field("alpha", number(0.0, MAX_ALPHA), write_number),
    Field("l1_ratio", number(0.0, 1.0), write_number),
    Field("std", flag, write_flag),
    Field("missing", choice(titles.MISSING)),
    Field("val", _validation, write_number),
    Field("variants", choice(titles.VARIANT), many=True),
    Field("bs", number(1, MAX_BATCH, integer=True), write_number),
    Field("rule", choice(titles.RULE)),
    Field("lr", number(*LEARNING_RATES), write_number),
    Field("schedule", choice(titles.SCHEDULE)),
    Field("budget", choice(titles.BUDGET)),
    Field("epochs", number(0.01, MAX_EPOCHS), write_number),
    Field("updates", number(1, MAX_UPDATES, integer=True), write_number),
    Field("eps", number(0.0, 1e6), write_number),
    Field("tol", _tol, write_number),
    Field("seed", number(0, MAX_SEED, integer=True), write_number),
    Field("repeats", number(1, MAX_REPEATS, integer=True), write_number),
    Field("x_axis", choice(titles.X_AXIS)),
    Field("log_y", flag, write_flag),
    Field("p1", _COLUMN),
    Field("p2", _COLUMN),
    # Which upload a link was made with: its name, size and a short sha256.
    Field("file", text_of_at_most(COLUMN_NAME_LENGTH)),
    Field("bytes", number(0, 1e12, integer=True), write_number),
    Field("sha", text_of_at_most(64)),
    # The large source: its location and the budgets of a streamed run (0 = none).
    Field("path", text_of_at_most(MAX_PATH_LENGTH)),
    Field("big_epochs", number(0.01, MAX_EPOCHS), write_number),
    Field("big_rows", number(0, MAX_ROWS_BUDGET, integer=True), write_number),
    Field("big_seconds", number(0.0, MAX_SECONDS_BUDGET), write_number),
)
LAB_DEFAULTS: dict[str, object] = {
    "source": "sample",
    "sample": "line",
    # sklearn's SGDRegressor / SGDClassifier defaults (alpha 1e-4 is theirs, not
    # Ridge's 1.0: the penalty is added to the mean loss, as theirs is).
    "huber_eps": 0.1,
    "penalty": "none",
    "alpha": 1e-4,
    "l1_ratio": 0.15,
    "std": True,
    "missing": "drop",
    "val": 0.0,
    "variants": list(titles.VARIANT),
    "bs": 32,
    "rule": "plain",
    "schedule": "constant",
    "budget": "epochs",
    "epochs": 20.0,
    "updates": 200,
    "eps": 1e-6,
    "tol": 0.0,
    "seed": 0,
    "repeats": 1,
    "x_axis": "epochs",
    "log_y": False,
}
# Settled from the data, not blindly: they must be columns (or suit the target).
LAB_DATA_KEYS = ("target", "features", "model", "lr", "p1", "p2")
LAB_UPLOAD_KEYS = ("file", "bytes", "sha")
# Settled only when the large source is chosen, so that other pages' addresses
# do not carry them. Its other settings share the page's keys (target, features,
# model, variants, lr, bs, seed).
LARGE_DEFAULTS: dict[str, object] = {
    "path": "",
    "big_epochs": 1.0,
    "big_rows": 0,
    "big_seconds": 0.0,
}
LARGE_LEARNING_RATE = 0.01  # before any pass there is no curvature to suggest one

# --- Explore a function ---------------------------------------------------------------

MAX_ITERATIONS = 10_000
START_RANGE = (-1e6, 1e6)

EXPLORER = (
    Field("preset", choice({k: p.title for k, p in PRESETS.items()})),
    Field("f", text_of_at_most(functions.MAX_LENGTH)),
    Field("dim", choice(titles.DIMENSION)),
    Field("x0", number(*START_RANGE), write_number),
    Field("y0", number(*START_RANGE), write_number),
    Field("eta", number(1e-9, 1e6), write_number),
    Field("epsilon", number(0.0, 1e6), write_number),
    Field("iters", number(1, MAX_ITERATIONS, integer=True), write_number),
    Field("goal", choice(titles.GOAL)),
    Field("rules", choice(titles.RULE), many=True),
)
EXPLORER_DEFAULTS: dict[str, object] = {
    "preset": next(iter(PRESETS)),
    "epsilon": 1e-6,
    "iters": 1000,
    "rules": ["plain"],
}
# Set by the preset: a new preset choice replaces them.
PRESET_KEYS = ("f", "dim", "x0", "y0", "eta", "goal")


def preset_values(key: str) -> dict[str, object]:
    """The explorer settings a preset brings: formula, start, rate and goal."""
    preset = PRESETS[key]
    return {
        "f": preset.text,
        "dim": str(len(preset.variables)),
        "x0": float(preset.start[0]),
        "y0": float(preset.start[1]) if len(preset.start) > 1 else 0.0,
        "eta": float(preset.learning_rate),
        "goal": preset.goal,
    }


# --- How it works -------------------------------------------------------------------

EPS_CHOICES = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-14, 1e-15, 0.0)
# Every bundled sample, the softmax ones (iris) included.
ALL_SAMPLES = {s.key: s for s in data.samples(tasks=data.TASKS)}
# The code section offers every sample but the 250,000-row one: its per-row
# numpy loop would take minutes and its CSV would be tens of megabytes.
CODE_SAMPLES = tuple(key for key in ALL_SAMPLES if key != "large")
CODE_ALPHAS = (0.0, 1e3)  # the penalty's α
CODE_EPSILONS = (1e-6, 1e6)  # Huber's ε, in units of the target

LEARN = (
    Field("learn_eps", one_of_numbers(EPS_CHOICES), write_number),
    Field("code_sample", choice({k: ALL_SAMPLES[k].title for k in CODE_SAMPLES})),
    Field("code_model", choice(titles.MODEL)),
    Field("code_epsilon", number(*CODE_EPSILONS), write_number),
    Field("code_penalty", choice(titles.PENALTY)),
    Field("code_alpha", number(*CODE_ALPHAS), write_number),
    Field("code_l1_ratio", number(0.0, 1.0), write_number),
    Field("code_variant", choice(titles.VARIANT)),
    Field("code_rule", choice(titles.RULE)),
    Field("code_fn", choice({k: p.title for k, p in PRESETS.items()})),
)
LEARN_DEFAULTS: dict[str, object] = {
    "learn_eps": 1e-6,
    "code_sample": CODE_SAMPLES[0],
    "code_epsilon": 0.1,  # scikit-learn's default
    "code_penalty": "none",
    "code_alpha": 1e-3,
    "code_l1_ratio": 0.15,  # scikit-learn's default
    "code_variant": "minibatch",
    "code_rule": "plain",
    "code_fn": next(iter(PRESETS)),
}
# Settled from the sample: its target decides which models fit (Huber or least
# squares for a number, logistic for two classes, softmax for more).
LEARN_DATA_KEYS = ("code_model",)

# --- Tune and understand ------------------------------------------------------------

# The data the tune page works on: a bundled sample, or the visitor's upload.
TUNE_DATA = {**{key: s.title for key, s in SAMPLES.items()}, "upload": "Your upload"}
TUNE_METRICS = {
    "gap": "Gap to optimum",
    "rows": "Rows to within 1%",
    "seconds": "Seconds to within 1%",
    "status": "How it ended",
}
GRID_SIZES = (2, 12)  # rates or batch sizes in a sweep

TUNE = (
    Field("t_data", choice(TUNE_DATA)),
    Field("t_target", _COLUMN),
    Field("t_features", _COLUMN, many=True),
    Field("t_lr", number(*LEARNING_RATES), write_number),
    Field("t_epochs", number(0.01, MAX_EPOCHS), write_number),
    Field("t_bs", number(1, MAX_BATCH, integer=True), write_number),
    Field("t_seed", number(0, MAX_SEED, integer=True), write_number),
    Field("t_repeats", number(1, MAX_REPEATS, integer=True), write_number),
    Field("t_range_bs", number(1, MAX_BATCH, integer=True), write_number),
    Field("t_rules", choice(titles.RULE), many=True),
    Field("t_rates", number(*GRID_SIZES, integer=True), write_number),
    Field("t_sizes", number(*GRID_SIZES, integer=True), write_number),
    Field("t_metric", choice(TUNE_METRICS)),
    Field("t_race", flag, write_flag),
)
TUNE_DEFAULTS: dict[str, object] = {
    "t_epochs": 20.0,
    "t_bs": 32,
    "t_seed": 0,
    "t_repeats": 1,
    "t_range_bs": 32,
    "t_rules": ["plain", "momentum", "adam"],
    "t_rates": 6,
    "t_sizes": 6,
    "t_metric": "gap",
    "t_race": True,
}
# Settled from the data: a new dataset brings its own suggestions.
TUNE_DATA_KEYS = ("t_target", "t_features", "t_lr")
