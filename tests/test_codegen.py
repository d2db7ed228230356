"""Generated scripts, run as a learner would run them, reproduce the engine's θ.

Each test writes a generated script (and the prepared CSV) to a temporary folder,
runs it with this Python in a subprocess, reads the ``theta = [...]`` line it
prints and compares it with the engine's final θ for the same settings.
"""

import ast
import csv
import dataclasses
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gddash import codegen, compare, data
from gddash.compare import CompareSettings
from gddash.engine import Objective, Settings, descend
from gddash.errors import ExpressionError, SettingsError
from gddash.export import FORMULA_STARTS
from gddash.functions import get_preset, symbolic_function
from tests import script_runner

TOLERANCE = 1e-8
TORCH_REASON = (
    "torch is not installed (it is not a dependency of gddash); "
    "`pip install torch` to check the PyTorch scripts too"
)


def sample_dataset(key, features=None, **options):
    sample = next(s for s in data.samples(tasks=data.TASKS) if s.key == key)
    frame = data.read_csv(data.load_sample(key))
    chosen = list(features or sample.default_features or [])
    return data.prepare(
        frame,
        sample.default_target,
        chosen or None,
        data.PrepareOptions(task=sample.task, **options),
    )


@pytest.fixture(scope="module")
def datasets():
    return {
        "linear": sample_dataset("line"),
        "logistic": sample_dataset("breast_cancer", ["mean radius", "mean texture"]),
    }


def run_script(text: str, folder: Path, csv: bytes | None = None) -> dict[str, str]:
    """Run a generated script in ``folder``; its printed ``name = value`` lines."""
    (folder / "script.py").write_text(text, encoding="utf-8")
    if csv is not None:
        (folder / codegen.DATA_FILE).write_bytes(csv)
    if "\nimport torch" in text:
        # A fresh process forked from one that has imported torch (2.5 s each).
        code, stdout = script_runner.run_torch_script(str(folder))
        assert code == 0, stdout
    else:
        done = subprocess.run(
            [sys.executable, "script.py"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        stdout = done.stdout
    printed = {}
    for line in stdout.splitlines():
        name, sep, value = line.partition(" = ")
        if sep and not line.startswith(" "):
            printed[name] = value
    return printed


def theta_of(printed: dict[str, str]) -> np.ndarray:
    """θ from the script's ``theta = [a, b, ...]`` line (repr floats, nan, inf)."""
    return np.array([float(v) for v in printed["theta"].strip("[] ").split(",")])


def header(text: str) -> str:
    """The script's opening comment as one line of text (wrapping removed)."""
    lines = text.split("\nimport ")[0].splitlines()
    return " ".join(line.lstrip("# ").strip() for line in lines)


def engine_run(dataset, settings: CompareSettings, variant: str):
    return descend(compare.problem_for(dataset), settings.settings_for(variant))


def check_data_script(generator, dataset, settings, variant, folder):
    """Generate, run and compare one data script; return max |θ_script − θ_engine|."""
    trace = engine_run(dataset, settings, variant)
    text = generator(dataset, settings, variant, n_updates=trace.n_updates)
    theta = theta_of(run_script(text, folder, codegen.prepared_csv(dataset)))
    gap = float(np.max(np.abs(theta - trace.theta)))
    assert gap <= TOLERANCE, f"θ differs by {gap:.3g} after {trace.n_updates} updates"
    return gap


def settings_for(task: str, rule: str, shuffle: bool, **descent) -> CompareSettings:
    rate = {"linear": 0.1, "logistic": 0.3}[task]
    if rule in ("adam", "rmsprop", "adagrad"):
        rate = 0.05
    return CompareSettings(
        batch_size=16,
        epochs=10.0,
        descent=Settings(learning_rate=rate, rule=rule, shuffle=shuffle, **descent),
    )


MATRIX = [
    (task, variant, rule, shuffle)
    for task in ("linear", "logistic")
    for variant in ("batch", "sgd", "minibatch")
    for rule in ("plain", "adam", "momentum")
    for shuffle in (True, False)
]
MATRIX_IDS = [
    f"{task}-{variant}-{rule}-{'shuffled' if shuffle else 'file-order'}"
    for task, variant, rule, shuffle in MATRIX
]
# Every other rule, each with a decaying schedule, on mini-batches.
RULES_AND_SCHEDULES = [
    ("nesterov", "invscaling"),
    ("adagrad", "step"),
    ("rmsprop", "exponential"),
    ("adam", "step"),
    ("momentum", "exponential"),
    ("plain", "invscaling"),
]


# --------------------------------------------------------------------------------------
# numpy scripts on data
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("task", "variant", "rule", "shuffle"), MATRIX, ids=MATRIX_IDS)
def test_numpy_script_reproduces_the_engine(
    datasets, tmp_path, task, variant, rule, shuffle
):
    check_data_script(
        codegen.numpy_script,
        datasets[task],
        settings_for(task, rule, shuffle),
        variant,
        tmp_path,
    )


@pytest.mark.parametrize(("rule", "schedule"), RULES_AND_SCHEDULES)
def test_numpy_script_writes_out_each_rule_and_schedule(
    datasets, tmp_path, rule, schedule
):
    settings = settings_for("linear", rule, True, schedule=schedule, step_epochs=3.0)
    check_data_script(
        codegen.numpy_script, datasets["linear"], settings, "minibatch", tmp_path
    )
    text = codegen.numpy_script(datasets["linear"], settings, "minibatch")
    others = {"momentum", "nesterov", "adagrad", "rmsprop", "adam"} - {rule}
    assert "def learning_rate(t):" in text
    assert not any(f"# {name.capitalize()}:" in text for name in others)


def test_a_start_point_validation_rows_and_categorical_columns(tmp_path):
    dataset = sample_dataset(
        "auto_mpg",
        ["weight", "horsepower", "origin"],
        validation_fraction=0.2,
        seed=3,
    )
    theta0 = tuple(0.1 * k for k in range(dataset.n_features))
    settings = CompareSettings(
        batch_size=8,
        epochs=3.0,
        descent=Settings(learning_rate=0.05, rule="nesterov", theta0=theta0, seed=7),
    )
    check_data_script(codegen.numpy_script, dataset, settings, "minibatch", tmp_path)
    text = codegen.numpy_script(dataset, settings, "minibatch")
    assert "validation rows it held out are not in it" in header(text)
    assert "origin=" in text  # the one-hot column is named in FEATURES


def test_a_mini_batch_as_large_as_the_data_runs_as_batch(tmp_path):
    dataset = sample_dataset("seed")  # 3 rows, mini-batches of 32
    settings = CompareSettings(epochs=50.0, descent=Settings(learning_rate=0.01))
    check_data_script(codegen.numpy_script, dataset, settings, "minibatch", tmp_path)
    text = codegen.numpy_script(dataset, settings, "minibatch")
    assert "so this is batch descent" in header(text)
    assert "BATCH_SIZE" not in text


def test_without_n_updates_the_script_runs_the_whole_budget(datasets, tmp_path):
    settings = CompareSettings(
        epochs=2.5, batch_size=16, descent=Settings(learning_rate=0.1, eps=0.0)
    )
    trace = engine_run(datasets["linear"], settings, "minibatch")
    text = codegen.numpy_script(datasets["linear"], settings, "minibatch")
    assert f"N_UPDATES = {trace.n_updates}  # the whole budget" in text
    printed = run_script(text, tmp_path, codegen.prepared_csv(datasets["linear"]))
    assert np.max(np.abs(theta_of(printed) - trace.theta)) <= TOLERANCE
    assert abs(float(printed["final loss"]) - trace.final_loss) <= 1e-10


def test_prepared_csv_reads_back_exactly(datasets):
    for dataset in datasets.values():
        lines = codegen.prepared_csv(dataset).decode().splitlines()
        assert lines[0].split(",") == [*dataset.feature_names, dataset.target_name]
        table = np.array([line.split(",") for line in lines[1:]], dtype=float)
        assert np.array_equal(table[:, :-1], dataset.X)
        assert np.array_equal(table[:, -1], dataset.y)


# Column names a spreadsheet would run as formulas (OWASP's CSV-injection cases).
FORMULA_NAMES = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)"]
FORMULA_TARGET = "-2+3"


@pytest.fixture(scope="module")
def formula_named():
    """A small regression whose columns and target are named like formulas."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=40)
    frame = pd.DataFrame(
        np.column_stack([X, y]), columns=[*FORMULA_NAMES, FORMULA_TARGET]
    )
    raw = frame.to_csv(index=False).encode("utf-8")
    return data.prepare(data.read_csv(raw), FORMULA_TARGET, FORMULA_NAMES)


def test_prepared_csv_escapes_formula_headers_and_keeps_every_digit(formula_named):
    rows = list(csv.reader(io.StringIO(codegen.prepared_csv(formula_named).decode())))
    assert rows[0] == ["intercept", *("'" + n for n in FORMULA_NAMES), "'-2+3"]
    assert not any(cell.startswith(FORMULA_STARTS) for cell in rows[0])
    table = np.array(rows[1:], dtype=float)
    assert np.array_equal(table[:, :-1], formula_named.X)
    assert np.array_equal(table[:, -1], formula_named.y)
    assert any(cell.startswith("-") for row in rows[1:] for cell in row)  # numbers


@pytest.mark.parametrize("variant", ["batch", "minibatch"])
def test_numpy_script_runs_on_a_csv_with_escaped_formula_headers(
    formula_named, tmp_path, variant
):
    settings = CompareSettings(
        batch_size=8, epochs=5.0, descent=Settings(learning_rate=0.1)
    )
    check_data_script(codegen.numpy_script, formula_named, settings, variant, tmp_path)


@pytest.mark.slow
def test_torch_script_runs_on_a_csv_with_escaped_formula_headers(
    formula_named, tmp_path
):
    pytest.importorskip("torch", reason=TORCH_REASON)
    settings = CompareSettings(
        batch_size=8, epochs=5.0, descent=Settings(learning_rate=0.1, rule="adam")
    )
    check_data_script(
        codegen.torch_script, formula_named, settings, "minibatch", tmp_path
    )


@pytest.mark.parametrize(
    ("variant", "n_updates", "message"),
    [
        ("adam", None, "The 'variant' parameter must be one of"),
        ("sgd", -1, "The 'n_updates' parameter must be an int in [0, inf)"),
        ("sgd", 2.5, "The 'n_updates' parameter must be an int in [0, inf)"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(
    datasets, variant, n_updates, message
):
    with pytest.raises(SettingsError, match=re.escape(message)):
        codegen.numpy_script(
            datasets["linear"], CompareSettings(), variant, n_updates=n_updates
        )


# --------------------------------------------------------------------------------------
# PyTorch scripts on data
# --------------------------------------------------------------------------------------


# Each torch script costs seconds (importing torch in a subprocess), so torch runs
# one case per task and variant, the rules and row orders rotating; the numpy
# scripts above cover the whole matrix.
TORCH_MATRIX = [
    (task, variant, ("plain", "adam", "momentum")[k % 3], k % 2 == 0)
    for k, (task, variant) in enumerate(
        (t, v) for t in ("linear", "logistic") for v in ("batch", "sgd", "minibatch")
    )
]
TORCH_IDS = [
    f"{task}-{variant}-{rule}-{'shuffled' if shuffle else 'file-order'}"
    for task, variant, rule, shuffle in TORCH_MATRIX
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "variant", "rule", "shuffle"), TORCH_MATRIX, ids=TORCH_IDS
)
def test_torch_script_reproduces_the_engine(
    datasets, tmp_path, task, variant, rule, shuffle
):
    pytest.importorskip("torch", reason=TORCH_REASON)
    check_data_script(
        codegen.torch_script,
        datasets[task],
        settings_for(task, rule, shuffle),
        variant,
        tmp_path,
    )


@pytest.mark.slow
@pytest.mark.parametrize(("rule", "schedule"), RULES_AND_SCHEDULES[:3])
def test_torch_script_maps_every_rule_and_schedule(datasets, tmp_path, rule, schedule):
    pytest.importorskip("torch", reason=TORCH_REASON)
    settings = settings_for("linear", rule, True, schedule=schedule, step_epochs=3.0)
    check_data_script(
        codegen.torch_script, datasets["linear"], settings, "minibatch", tmp_path
    )


def test_torch_script_names_the_optimizer_of_each_rule(datasets):
    expected = {
        "plain": "optim.SGD(model.parameters(), lr=LEARNING_RATE)",
        "momentum": "momentum=BETA)",
        "nesterov": "momentum=BETA, nesterov=True",
        "adagrad": "initial_accumulator_value=0",
        "rmsprop": "alpha=RHO, eps=DENOM_EPS",
        "adam": "betas=(BETA1, BETA2), eps=DENOM_EPS",
    }
    for rule, call in expected.items():
        settings = CompareSettings(descent=Settings(rule=rule))
        text = codegen.torch_script(datasets["linear"], settings, "sgd")
        assert call in text
        assert "0.5 * criterion(outputs, y[rows])" in text  # ½·MSELoss
    logistic = codegen.torch_script(datasets["logistic"], CompareSettings(), "batch")
    assert "nn.BCEWithLogitsLoss()" in logistic


# --------------------------------------------------------------------------------------
# New models and penalties: Huber, softmax, L2 / L1 / elastic net
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_data(datasets):
    """The dataset each model is fitted on in these tests (iris: three classes)."""
    return {
        "linear": datasets["linear"],
        "huber": datasets["linear"],
        "logistic": datasets["logistic"],
        "softmax": sample_dataset("iris"),
    }


def penalised_settings(model, rule, penalty, schedule="constant") -> CompareSettings:
    rate = 0.05 if rule in ("adam", "rmsprop", "adagrad") else 0.1
    descent = Settings(
        learning_rate=0.3 if model == "logistic" and rate == 0.1 else rate,
        rule=rule,
        schedule=schedule,
        penalty=penalty,
        alpha=None if penalty is None else 0.05,
        l1_ratio=0.5,
    )
    return CompareSettings(batch_size=16, epochs=5.0, descent=descent)


def check_model_script(generator, dataset, model, settings, variant, folder):
    """Run a generated script for ``model``; θ and the final loss match the engine."""
    problem = codegen.problem_for(dataset, model)
    trace = descend(problem, settings.settings_for(variant))
    text = generator(dataset, settings, variant, n_updates=trace.n_updates, model=model)
    printed = run_script(text, folder, codegen.prepared_csv(dataset))
    gap = float(np.max(np.abs(theta_of(printed) - trace.theta)))
    assert gap <= TOLERANCE, f"θ differs by {gap:.3g} after {trace.n_updates} updates"
    assert abs(float(printed["final loss"]) - trace.final_loss) <= 1e-10
    return trace, text


# Each penalty meets each variant once per model, and each scheme of applying it
# (scikit-learn's per-row SGD, the proximal step, the subgradient rule) runs on
# every model: plain SGD is scikit-learn's scheme (softmax: proximal), plain
# batch and mini-batch the proximal step, momentum and Adam the subgradient.
PENALTY_GRID = [
    (model, penalty, variant, rule, schedule)
    for model in ("linear", "huber", "logistic", "softmax")
    for penalty, variant, rule, schedule in (
        ("l1", "sgd", "plain", "invscaling"),
        ("elasticnet", "minibatch", "plain", "constant"),
        ("l2", "batch", "momentum", "constant"),
        ("l1", "minibatch", "adam", "constant"),
        ("elasticnet", "sgd", "momentum", "constant"),
        (None, "sgd", "plain", "constant"),
    )
]
PENALTY_IDS = [
    f"{model}-{penalty or 'none'}-{variant}-{rule}-{schedule}"
    for model, penalty, variant, rule, schedule in PENALTY_GRID
]


@pytest.mark.parametrize(
    ("model", "penalty", "variant", "rule", "schedule"), PENALTY_GRID, ids=PENALTY_IDS
)
def test_numpy_script_reproduces_each_model_and_penalty(
    model_data, tmp_path, model, penalty, variant, rule, schedule
):
    settings = penalised_settings(model, rule, penalty, schedule)
    check_model_script(
        codegen.numpy_script, model_data[model], model, settings, variant, tmp_path
    )


def test_the_l1_runs_here_end_with_weights_at_exactly_zero(model_data):
    # The grid above must exercise the kink, not only the smooth part.
    settings = penalised_settings("softmax", "plain", "l1")
    problem = codegen.problem_for(model_data["softmax"], "softmax")
    trace = descend(problem, settings.settings_for("minibatch"))
    assert (trace.theta == 0).any()


@pytest.mark.parametrize(
    ("variant", "rule", "scheme"),
    [
        ("sgd", "plain", "cumulative truncated gradient"),
        ("minibatch", "plain", "a proximal step"),
        ("batch", "nesterov", "minimum-norm subgradient"),
    ],
)
def test_the_header_says_how_the_penalty_is_applied_and_why_not_the_intercept(
    datasets, variant, rule, scheme
):
    settings = penalised_settings("linear", rule, "elasticnet")
    text = header(codegen.numpy_script(datasets["linear"], settings, variant))
    assert "elastic net, α (ρ ‖w‖₁ + (1 − ρ)/2 ‖w‖²) with α = 0.05, ρ = 0.5" in text
    assert "The intercept is not penalised" in text
    assert scheme in text


def test_scripts_keep_the_intercept_out_of_the_penalty(datasets):
    settings = penalised_settings("linear", "plain", "l1")
    text = codegen.numpy_script(datasets["linear"], settings, "sgd")
    assert "penalised[0] = False" in text
    assert "def truncated_l1(theta, u, q, penalised):" in text
    torch = codegen.torch_script(datasets["linear"], settings, "sgd")
    assert "penalised[0] = False" in torch
    assert "weight_decay=" not in torch


def test_a_huber_script_carries_its_epsilon(datasets, tmp_path):
    dataset = datasets["linear"]
    settings = penalised_settings("huber", "plain", None)
    problem = codegen.problem_for(dataset, "huber", epsilon=0.5)
    trace = descend(problem, settings.settings_for("minibatch"))
    text = codegen.numpy_script(
        dataset,
        settings,
        "minibatch",
        n_updates=trace.n_updates,
        model="huber",
        epsilon=0.5,
    )
    assert "EPSILON = 0.5" in text
    printed = run_script(text, tmp_path, codegen.prepared_csv(dataset))
    assert np.max(np.abs(theta_of(printed) - trace.theta)) <= TOLERANCE


def test_a_softmax_script_names_its_classes_and_prints_theta_class_by_class(
    model_data, tmp_path
):
    iris = model_data["softmax"]
    settings = penalised_settings("softmax", "plain", None)
    trace, text = check_model_script(
        codegen.numpy_script, iris, "softmax", settings, "batch", tmp_path
    )
    assert 'CLASSES = ["setosa", "versicolor", "virginica"]' in text
    assert trace.theta.shape == (3 * iris.n_features,)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("softmax", "does not suit this linear target"),
        ("logistic", "does not suit this linear target"),
        ("ridge", "The 'model' parameter must be one of"),
    ],
)
def test_a_model_the_target_does_not_suit_is_refused(datasets, model, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        codegen.numpy_script(datasets["linear"], CompareSettings(), "sgd", model=model)


def test_huber_epsilon_must_be_positive(datasets):
    with pytest.raises(SettingsError, match=re.escape("'epsilon' parameter")):
        codegen.numpy_script(
            datasets["linear"], CompareSettings(), "sgd", model="huber", epsilon=0.0
        )


def test_models_for_offers_huber_beside_least_squares(model_data):
    assert codegen.models_for(model_data["linear"]) == ("linear", "huber")
    assert codegen.models_for(model_data["logistic"]) == ("logistic",)
    assert codegen.models_for(model_data["softmax"]) == ("softmax",)


# PyTorch: one script per model, each with a different penalty scheme, plus the
# subgradient rule's velocity reset (Adam's exp_avg, momentum's buffer).
TORCH_PENALTY_GRID = [
    ("linear", "l1", "sgd", "plain"),
    ("huber", "elasticnet", "minibatch", "plain"),
    ("logistic", "l2", "sgd", "plain"),
    ("softmax", "l1", "minibatch", "adam"),
    ("softmax", "elasticnet", "sgd", "plain"),
    ("linear", "elasticnet", "batch", "momentum"),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "penalty", "variant", "rule"),
    TORCH_PENALTY_GRID,
    ids=["-".join(case) for case in TORCH_PENALTY_GRID],
)
def test_torch_script_reproduces_each_model_and_penalty(
    model_data, tmp_path, model, penalty, variant, rule
):
    pytest.importorskip("torch", reason=TORCH_REASON)
    settings = penalised_settings(model, rule, penalty)
    check_model_script(
        codegen.torch_script, model_data[model], model, settings, variant, tmp_path
    )


def test_torch_scripts_use_the_engines_own_losses(model_data):
    settings = CompareSettings()
    huber = codegen.torch_script(model_data["huber"], settings, "sgd", model="huber")
    assert "nn.HuberLoss(delta=EPSILON)" in huber
    softmax = codegen.torch_script(model_data["softmax"], settings, "sgd")
    assert "nn.Linear(d, N_CLASSES, bias=False)" in softmax
    assert "nn.CrossEntropyLoss()" in softmax


# --------------------------------------------------------------------------------------
# The explorer's numpy script on formulas
# --------------------------------------------------------------------------------------

EXPLORER_CASES = {
    "bowl, plain": ("bowl", {"rule": "plain"}),
    "parabola, momentum": ("parabola", {"rule": "momentum"}),
    "bump ascent, plain": ("bump", {"rule": "plain"}),
    "bump ascent, adam": ("bump", {"rule": "adam", "learning_rate": 0.05}),
    "rastrigin, nesterov": ("rastrigin", {"rule": "nesterov"}),
    "himmelblau, rmsprop, tol": (
        "himmelblau",
        {"rule": "rmsprop", "learning_rate": 0.05, "tol": 1e-9},
    ),
    "double well, adagrad, step": (
        "double_well",
        {"rule": "adagrad", "learning_rate": 0.5, "schedule": "step"},
    ),
    "saddle, diverges": ("saddle", {"rule": "plain"}),
    "elongated bowl, exponential": (
        "elongated_bowl",
        {"schedule": "exponential", "decay": 0.01},
    ),
}


def preset_settings(key: str, **changes) -> Settings:
    preset = get_preset(key)
    values = {
        "learning_rate": preset.learning_rate,
        "theta0": preset.start,
        "maximize": preset.goal == "maximize",
        "max_epochs": 3000.0,
    }
    return Settings(**(values | changes))


def check_explorer(text, variables, settings, folder):
    f = symbolic_function(text, variables)
    trace = descend(Objective(f.value, f.gradient, f.n_vars), settings)
    printed = run_script(
        codegen.explorer_numpy_script(text, variables, settings), folder
    )
    theta = theta_of(printed)
    finite = np.isfinite(trace.theta)
    assert np.array_equal(np.isfinite(theta), finite)
    gap = float(np.max(np.abs(theta[finite] - trace.theta[finite]), initial=0.0))
    assert gap <= TOLERANCE
    assert int(printed["updates"]) == trace.n_updates
    return trace, printed


@pytest.mark.parametrize(
    ("key", "changes"), EXPLORER_CASES.values(), ids=EXPLORER_CASES
)
def test_explorer_script_reproduces_the_engine(tmp_path, key, changes):
    preset = get_preset(key)
    check_explorer(
        preset.text, preset.variables, preset_settings(key, **changes), tmp_path
    )


def test_explorer_script_on_kinks_and_an_undefined_region(tmp_path):
    # abs and max differentiate to sign and Heaviside; log and sqrt leave their
    # domain and the run stops as diverged, in both.
    kinks = Settings(learning_rate=0.01, theta0=(3.0, 1.0), max_epochs=300.0)
    check_explorer("max(x, y^2) + abs(x - 1)", ("x", "y"), kinks, tmp_path)
    domain = Settings(learning_rate=1.1, theta0=(3.0, 1.0), max_epochs=300.0)
    trace, _ = check_explorer("log(x) + sqrt(y)", ("x", "y"), domain, tmp_path)
    assert trace.status == "diverged"


def test_epsilon_zero_stops_only_at_the_cap_as_in_the_engine(tmp_path):
    settings = Settings(learning_rate=0.1, theta0=(3.0,), eps=0.0, max_epochs=500.0)
    trace, printed = check_explorer("x^2 + 2x + 3", ("x",), settings, tmp_path)
    assert trace.n_updates == 500
    assert printed["theta"] == "[-0.9999999999999998]"  # one double from −1


def test_explorer_script_prints_f_from_the_parsed_formula_not_the_text():
    text = codegen.explorer_numpy_script(
        "2x^2 + 3xy", ("x", "y"), Settings(theta0=(1.0, 1.0))
    )
    assert "return 2*x**2 + 3*x*y" in text
    assert "np.array([4*x + 3*y, 3*x], dtype=float)" in text
    assert "'2x^2 + 3xy'" in header(text)  # the typed text is only in a comment


def test_explorer_script_refuses_what_the_parser_refuses():
    with pytest.raises(ExpressionError):
        codegen.explorer_numpy_script(
            "__import__('os').system('true')", ("x", "y"), Settings()
        )
    with pytest.raises(SettingsError, match="needs data rows"):
        codegen.explorer_numpy_script("x^2", ("x",), Settings(variant="sgd"))
    with pytest.raises(SettingsError, match="theta0 has 2 values"):
        codegen.explorer_numpy_script("x^2", ("x",), Settings(theta0=(1.0, 2.0)))


# --------------------------------------------------------------------------------------
# Advice: a learning rate per rule, and the check of a run before it is handed over
# --------------------------------------------------------------------------------------


def code_run(dataset, variant, rule, rate, seed=0):
    """The learn page's exported run (20 epochs, batches of 32) at ``rate``."""
    settings = CompareSettings(
        variants=(variant,),
        batch_size=32,
        epochs=20.0,
        descent=Settings(learning_rate=rate, rule=rule, seed=seed),
    ).settings_for(variant)
    return descend(compare.problem_for(dataset), settings), settings


def test_plain_and_momentum_rates_follow_the_trace_of_the_data(datasets):
    line = datasets["linear"]
    optimum = compare.optimum_for(line)
    trace_of = np.trace(line.X.T @ line.X) / line.n_samples
    plain = codegen.rule_rate(line, "plain", 1000, optimum, Settings())
    assert plain.learning_rate == float(f"{1 / trace_of:.2g}")
    momentum = codegen.rule_rate(line, "momentum", 1000, optimum, Settings())
    assert momentum.learning_rate == float(f"{plain.learning_rate * 0.1:.2g}")
    assert "(1 − β)" in momentum.reason


def test_adaptive_rates_cover_the_distance_to_the_optimum(datasets):
    line = datasets["linear"]
    optimum = compare.optimum_for(line)
    distance = np.max(np.abs(np.linalg.lstsq(line.X, line.y, rcond=None)[0]))
    rates = {
        rule: codegen.rule_rate(line, rule, 400, optimum, Settings()).learning_rate
        for rule in ("adam", "rmsprop", "adagrad")
    }
    assert rates["adam"] == float(f"{3 * distance / 400:.1g}")
    # RMSProp's first step is η/√(1 − ρ) ≈ 32η: it may not exceed the distance.
    assert rates["rmsprop"] <= distance * np.sqrt(1 - Settings().beta2) * 1.5
    # AdaGrad's steps shrink like η/√t: 400 of them travel about 2η√400 = 40η.
    assert rates["adagrad"] == float(f"{3 * distance / 40:.1g}")


def test_the_issues_run_is_flagged_and_the_suggested_rate_fixes_it():
    # Breast cancer, SGD, Adam at η = 1.3 ends above its starting loss ln 2.
    dataset = sample_dataset("breast_cancer")
    optimum = compare.optimum_for(dataset)
    trace, settings = code_run(dataset, "sgd", "adam", 1.3)
    assert trace.loss[0] == pytest.approx(np.log(2))
    assert trace.final_loss > np.log(2)
    check = codegen.check_run(trace, dataset, settings, optimum)
    assert check is not None and check.kind == "worse"
    assert "ended worse than it started" in check.text
    assert check.suggested_rate < 0.01
    better, settings = code_run(dataset, "sgd", "adam", check.suggested_rate)
    assert codegen.check_run(better, dataset, settings, optimum) is None
    assert better.final_loss < optimum.loss + 0.01


def test_a_diverged_run_is_flagged_with_the_stable_rate(datasets):
    line = datasets["linear"]
    optimum = compare.optimum_for(line)
    trace, settings = code_run(line, "batch", "plain", 5.0)  # far above 2/λ_max
    check = codegen.check_run(trace, line, settings, optimum)
    assert check.kind == "diverged"
    assert check.suggested_rate == compare.suggested_learning_rate(line)


def test_a_slow_adaptive_run_is_told_to_take_larger_steps():
    diabetes = sample_dataset("diabetes")  # an unscaled target: θ* is far from 0
    optimum = compare.optimum_for(diabetes)
    trace, settings = code_run(diabetes, "batch", "adam", 0.001)
    check = codegen.check_run(trace, diabetes, settings, optimum)
    assert check.kind == "slow"
    assert check.suggested_rate > 1.0
    better, settings = code_run(diabetes, "batch", "adam", check.suggested_rate)
    assert codegen.check_run(better, diabetes, settings, optimum) is None


def test_a_bouncing_sgd_run_is_told_to_take_smaller_steps():
    diabetes = sample_dataset("diabetes")
    optimum = compare.optimum_for(diabetes)
    rate = codegen.rule_rate(diabetes, "momentum", 1, optimum, Settings())
    # At this rate most row orders end within half the gap; seed 35's ends on a
    # bounce: it came close to the optimum, then left it again.
    trace, settings = code_run(diabetes, "sgd", "momentum", rate.learning_rate, 35)
    check = codegen.check_run(trace, diabetes, settings, optimum)
    assert check.kind == "noisy"
    assert check.suggested_rate < settings.learning_rate
    better, settings = code_run(diabetes, "sgd", "momentum", check.suggested_rate, 35)
    assert codegen.check_run(better, diabetes, settings, optimum) is None


def test_softmax_and_l2_rates_follow_their_curvature(model_data):
    iris = model_data["softmax"]
    trace_of = np.trace(iris.X.T @ iris.X) / iris.n_samples
    optimum = codegen.optimum_for(iris, codegen.problem_for(iris))
    plain = codegen.rule_rate(iris, "plain", 1000, optimum, Settings())
    assert plain.learning_rate == pytest.approx(2 / trace_of, rel=0.05)
    assert "cross-entropy" in plain.reason
    line = model_data["linear"]
    base = codegen.rule_rate(line, "plain", 1000, optimum, Settings()).learning_rate
    ridge = Settings(penalty="l2", alpha=1.0)
    lowered = codegen.rule_rate(line, "plain", 1000, optimum, ridge)
    assert lowered.learning_rate == float(f"{1 / (1 / base + 1.0):.2g}")
    assert "l2 = 1" in lowered.reason


@pytest.mark.parametrize(
    ("key", "choice"),
    [
        ("iris", codegen.CodeChoice(penalty="l1", alpha=0.01)),
        ("line", codegen.CodeChoice(model="huber", penalty="l2", alpha=0.1)),
    ],
)
def test_code_export_runs_the_model_and_penalty_asked_for(key, choice):
    dataset = sample_dataset(key)
    export = codegen.code_export(dataset, "minibatch", "plain", choice)
    assert export.model == (choice.model or dataset.task)
    assert export.settings.descent.penalty == choice.penalty
    assert export.trace.final_loss >= export.optimum.loss - 1e-9  # penalised
    assert "Penalty:" in header(export.numpy_text)
    assert export.check is None


def test_code_export_refuses_a_bad_penalty_with_a_settings_error(datasets):
    for choice in (
        codegen.CodeChoice(penalty="l1", alpha=-1.0),
        codegen.CodeChoice(penalty="elasticnet", alpha=0.1, l1_ratio=1.5),
    ):
        with pytest.raises(SettingsError):
            codegen.code_export(datasets["linear"], "sgd", "plain", choice)


# --------------------------------------------------------------------------------------
# Every generated script is valid, lint-clean Python
# --------------------------------------------------------------------------------------


def every_script(datasets) -> list[str]:
    texts = []
    for task, dataset in datasets.items():
        for rule, schedule in [*RULES_AND_SCHEDULES, ("plain", "constant")]:
            for variant in ("batch", "sgd", "minibatch"):
                for shuffle in (True, False):
                    settings = settings_for(task, rule, shuffle, schedule=schedule)
                    texts.append(codegen.numpy_script(dataset, settings, variant))
                    texts.append(codegen.torch_script(dataset, settings, variant))
    iris = sample_dataset("iris")
    for model, penalty, variant, rule, schedule in PENALTY_GRID:
        settings = penalised_settings(model, rule, penalty, schedule)
        dataset = (
            iris if model == "softmax" else datasets[model.replace("huber", "linear")]
        )
        for shuffle in (True, False):
            descent = dataclasses.replace(settings.descent, shuffle=shuffle)
            settings = dataclasses.replace(settings, descent=descent)
            for generator in (codegen.numpy_script, codegen.torch_script):
                texts.append(generator(dataset, settings, variant, model=model))
    for key, changes in EXPLORER_CASES.values():
        preset = get_preset(key)
        texts.append(
            codegen.explorer_numpy_script(
                preset.text, preset.variables, preset_settings(key, **changes)
            )
        )
    return texts


def test_generated_code_is_valid_python(datasets):
    for text in every_script(datasets):
        ast.parse(text)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_generated_code_is_ruff_clean(datasets, tmp_path):
    for k, text in enumerate(every_script(datasets)):
        (tmp_path / f"script_{k}.py").write_text(text, encoding="utf-8")
    # Long lines are allowed: a printed formula can be long.
    done = subprocess.run(
        [
            "ruff",
            "check",
            "--isolated",
            "--select",
            "E,F,W,I,B,UP,SIM,NPY,RUF",
            "--ignore",
            "E501,RUF001,RUF002,RUF003",
            "--target-version",
            "py311",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout
