"""The numbers behind the "How it works" page, as plain functions.

Every claim on that page is read off a small live run: the steps of a descent
on a formula, how far a batch gradient is from the full-data one, a sweep of
batch sizes, one timed epoch of each variant, learning rates around the stable
limit 2/λ_max, and the run the code section exports. This module computes them
(runs through ``compare.run`` and the engine, tables, chart specs and the
sentences that quote the numbers); the page only caches and lays them out.
Nothing here imports streamlit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from gddash import charts, compare
from gddash.compare import VARIANT_TITLES, CompareSettings, Comparison, Optimum
from gddash.data import Dataset
from gddash.engine import Settings, Trace, conditioning, descend
from gddash.functions import Preset, SymbolicFunction

RunOne = Callable[[Any, Settings], Trace]  # (problem, settings) -> trace

# --------------------------------------------------------------------------------------
# The demonstrations' fixed set-ups
# --------------------------------------------------------------------------------------

TYPES_SETTINGS = CompareSettings(
    variants=("batch", "sgd", "minibatch"),
    batch_size=16,
    epochs=10.0,
    repeats=3,
    descent=Settings(learning_rate=0.1),
)
DECAYING_SGD = CompareSettings(
    variants=("sgd",),
    epochs=TYPES_SETTINGS.epochs,
    descent=Settings(learning_rate=0.1, schedule="invscaling", power_t=0.5),
)
SWEEP_SIZES = (1, 4, 16, 64, 200)
COST_SETTINGS = CompareSettings(
    batch_size=256, epochs=1.0, descent=Settings(learning_rate=0.01)
)
RATE_FACTORS = {
    "Too small (0.05 × limit)": 0.05,
    "About right (0.5 × limit = 1/λ_max)": 0.5,
    "Too large (1.2 × limit)": 1.2,
}
RATE_UPDATES = 100.0
QUOTIENT_STEPS = (1e-1, 1e-3, 1e-5, 1e-8, 1e-11, 1e-14)
TITLE_CHARS = 40  # characters per line of a chart title: fits a phone's width


# --------------------------------------------------------------------------------------
# Chart specs
# --------------------------------------------------------------------------------------


def _wrap(text: str, width: int) -> list[str]:
    """``text`` broken at spaces into lines of at most ``width`` characters."""
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def wrap_title(spec: dict, width: int = TITLE_CHARS) -> dict:
    """The spec with its title and subtitle broken into lines of ``width`` chars.

    Vega-Lite never wraps a title: a long one runs off a narrow screen.
    """
    title = spec.get("title")
    if title is None:
        return spec
    if isinstance(title, str):
        title = {"text": title}
    title = dict(title)
    for part in ("text", "subtitle"):
        value = title.get(part)
        if value is None:
            continue
        lines = [value] if isinstance(value, str) else list(value)
        title[part] = [piece for line in lines for piece in _wrap(line, width)]
    return spec | {"title": title}


def spec_of(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec, titles wrapped, to cache and show as is.

    Building and validating a chart is the slow part of showing it, so the page
    caches this dict. Altair's default 300 px view size is dropped (the page
    shows charts the width of their container).
    """
    spec = chart.to_dict(validate=False)  # the builders are validated by their tests
    config = spec.get("config", {})
    view = config.get("view", {})
    for size in ("continuousWidth", "continuousHeight"):
        view.pop(size, None)
    if "view" in config and not view:
        del config["view"]
    if "config" in spec and not config:
        del spec["config"]
    return wrap_title(spec)


# --------------------------------------------------------------------------------------
# Formulas: runs, tables and views of a preset
# --------------------------------------------------------------------------------------


def function_settings(preset: Preset, **changes: Any) -> Settings:
    """The explorer's settings for a preset: its start, rate and goal."""
    values = {
        "learning_rate": preset.learning_rate,
        "theta0": preset.start,
        "maximize": preset.goal == "maximize",
        "max_epochs": 2000.0,
        "eps": 1e-6,
        "max_points": 2001,  # every update of the cap is recorded: tables show each
    }
    return Settings(**(values | changes))


def first_steps(trace: Trace, k: int = 6) -> pd.DataFrame:
    """The first k updates of a 1-D run: where it was, the slope, the step taken."""
    x = trace.path[:, 0]
    rows = min(k, len(x) - 1)
    return pd.DataFrame(
        {
            "k": trace.updates[:rows],
            "x_k": x[:rows],
            "f(x_k)": trace.loss[:rows],
            "f′(x_k)": trace.gradient[:rows, 0],
            "step x_{k+1} − x_k": np.diff(x)[:rows],
        }
    )


def last_steps(trace: Trace, k: int = 5) -> pd.DataFrame:
    """The last k recorded points, x in full precision (its repr)."""
    tail = slice(max(len(trace.updates) - k, 0), None)
    return pd.DataFrame(
        {
            "k": trace.updates[tail],
            "x_k (all digits)": [repr(float(v)) for v in trace.path[tail, 0]],
            "f′(x_k)": trace.gradient[tail, 0],
        }
    )


def path_of(trace: Trace, name: str, color: str, column: int = 0) -> charts.Path3D:
    """A 1-D run's path on its curve: a = x, b = f(x)."""
    return charts.Path3D(
        name=name,
        a=trace.path[:, column],
        b=trace.loss,
        z=trace.loss,
        color=color,
        steps=trace.updates,
    )


def curve_of(
    f: SymbolicFunction, lo: float, hi: float, n: int = 400
) -> tuple[np.ndarray, np.ndarray]:
    """A function of one variable on n points of [lo, hi]."""
    xs = np.linspace(lo, hi, n)
    return xs, f.values_on_grid(xs)


def curve_with_paths(
    f: SymbolicFunction,
    span: tuple[float, float],
    runs: Sequence[tuple[Trace, str, str]],
    title: str,
    **options: Any,
):
    """A 1-D function over ``span`` with runs drawn on it: (trace, name, colour).

    ``options`` go to ``charts.curve_figure`` (``y_range``, ``height``).
    """
    xs, fx = curve_of(f, *span)
    paths = [path_of(trace, name, color) for trace, name, color in runs]
    return charts.curve_figure(xs, fx, paths, title=title, **options)


def function_grid(
    f: SymbolicFunction, domain: Sequence[float], n: int = 80
) -> charts.SurfaceGrid:
    """f(x, y) on an n × n grid over ``domain`` = (x_lo, x_hi, y_lo, y_hi)."""
    lo_x, hi_x, lo_y, hi_y = domain
    xs, ys = np.linspace(lo_x, hi_x, n), np.linspace(lo_y, hi_y, n)
    Z = f.values_on_grid(*np.meshgrid(xs, ys))
    return charts.SurfaceGrid(xs, ys, Z, "x", "y", z_name="f")


def function_arrows(
    f: SymbolicFunction, domain: Sequence[float], n: int = 11
) -> charts.ArrowField:
    """−∇f arrows on a coarse n × n grid over ``domain``."""
    lo_x, hi_x, lo_y, hi_y = domain
    xs, ys = np.linspace(lo_x, hi_x, n), np.linspace(lo_y, hi_y, n)
    gx, gy = f.gradients_on_grid(*np.meshgrid(xs, ys))
    return charts.arrow_field(xs, ys, gx, gy)


def contour_with_path(
    f: SymbolicFunction,
    preset: Preset,
    trace: Trace,
    title: str,
    *,
    color: str,
    arrows: bool = True,
    domain: Sequence[float] | None = None,
    best: tuple[float, float, float] | None = None,
):
    """The contours of f, its −∇f arrows and a run's path, as a Plotly figure."""
    path = charts.Path3D(
        name=f"descent, η = {preset.learning_rate:g}",
        a=trace.path[:, 0],
        b=trace.path[:, 1],
        z=trace.loss,
        color=color,
        steps=trace.updates,
    )
    return charts.contour_figure(
        function_grid(f, domain or preset.domain),
        [path],
        title=title,
        arrows=function_arrows(f, preset.domain) if arrows else None,
        optimum=best,
        optimum_name="global minimum",
        height=420,
    )


def difference_quotients(
    f: SymbolicFunction, point: Sequence[float], steps: Sequence[float] = QUOTIENT_STEPS
) -> tuple[np.ndarray, pd.DataFrame]:
    """(f(x + h eᵢ) − f(x)) / h for each h of ``steps``, and the exact ∂f/∂xᵢ."""
    x = np.array(point, dtype=float)
    exact = f.gradient(x)
    rows = []
    for h in steps:
        row: dict[str, object] = {"h": f"{h:g}"}
        for i, name in enumerate(f.variables):
            unit = np.zeros_like(x)
            unit[i] = 1.0  # eᵢ: 1 in place i, 0 elsewhere
            quotient = (f.value(x + h * unit) - f.value(x)) / h
            row[f"quotient along {name}"] = quotient
            row[f"error along {name}"] = abs(quotient - exact[i])
        rows.append(row)
    return exact, pd.DataFrame(rows)


def gradient_vector_latex(f: SymbolicFunction) -> tuple[str, str]:
    """f and ∇f in LaTeX, as sympy prints the parsed formula."""
    names = ", ".join(f.variables)
    parts = ", ".join(f.gradient_latex())
    return rf"f({names}) = {f.latex()}", rf"\nabla f({names}) = \left( {parts} \right)"


def floating_point_story(stalled: Trace, exact_zero: Trace, rate: float) -> str:
    """What ε = 0 does on the parabola x² + 2x + 3, in numbers read off two runs.

    ``stalled`` ran with learning rate ``rate`` and ε = 0; ``exact_zero`` with
    η = 0.3, where rounding lands on the minimum exactly.
    """
    x = float(stalled.theta[0])
    spacing = float(np.spacing(x))  # the gap to the next double after x
    doubles_away = round(abs(x + 1.0) / abs(spacing)) if x != -1.0 else 0
    slope = float(stalled.grad_norm[-1])
    if stalled.status == "max_iter" and doubles_away > 0:
        stuck = (
            f"With ε = 0 the run only ends at the cap of {stalled.n_updates} "
            f"updates: x sticks at {x!r}, {doubles_away} "
            f"double{'s' if doubles_away > 1 else ''} away from −1, with "
            f"f′ = {slope:.2g}, because the step η·f′ = {rate * slope:.2g} is less "
            f"than half the spacing of doubles there ({abs(spacing):.2g}), so "
            "x − η·f′ rounds back to x."
        )
    else:
        stuck = f"With ε = 0 and η = {rate:g}: {stalled.message}"
    story = (
        f"In exact arithmetic f′ shrinks by the factor 1 − 2η = {1 - 2 * rate:g} at "
        "every step and is never zero. In floating point x cannot get arbitrarily "
        f"close to −1. {stuck}"
    )
    if exact_zero.status == "converged" and exact_zero.grad_norm[-1] == 0:
        story += (
            "\n\nHonest footnote: rounding can also land exactly on the minimum. "
            f"With η = 0.3 the same loop reaches f′ = 0 exactly after "
            f"{exact_zero.n_updates} updates. So an exact-zero test would stop on "
            "some runs and spin until the cap on others; a small positive ε makes "
            "the rule dependable."
        )
    return story


# --------------------------------------------------------------------------------------
# Data: batch, SGD and mini-batch
# --------------------------------------------------------------------------------------


def percent(value: float) -> str:
    """0.485 -> '49%'."""
    return f"{value:.0%}"


def rises(comparison: Comparison) -> dict[str, float]:
    """Share of recorded steps on which each variant's full-data loss went up."""
    return {
        VARIANT_TITLES[v]: compare.roughness(comparison.primary(v))
        for v in comparison.traces
    }


def gradient_errors(
    dataset: Dataset, sizes: Sequence[int], seed: int = 0, problem=None
) -> pd.DataFrame:
    """How far batch gradients at θ = 0 are from the full-data gradient.

    For each batch size, one shuffled epoch of batches (``np.array_split`` of a
    full permutation from ``seed``; the engine's own epochs shuffle blocks and
    windows, see ``engine.SHUFFLE_NOTE``); each batch's gradient is the engine's
    loss gradient on those rows only, as an update of that variant computes it.
    The error is ‖g − ∇L‖ / ‖∇L‖.
    """
    problem = compare.problem_for(dataset) if problem is None else problem
    theta = np.zeros((1, dataset.n_features))
    full = problem.evaluate(theta)[1][0]
    rng = np.random.default_rng(seed)
    rows = []
    for size in sizes:
        order = rng.permutation(dataset.n_samples)
        errors = []
        for batch in np.array_split(order, math.ceil(dataset.n_samples / size)):
            # The same loss on these rows only: the gradient one update would use.
            estimate = type(problem)(dataset.X[batch], dataset.y[batch])
            g = estimate.evaluate(theta)[1][0]
            errors.append(np.linalg.norm(g - full) / np.linalg.norm(full))
        rows.append(
            {
                "rows per gradient": size,
                "mean error": float(np.mean(errors)),
                "worst error": float(np.max(errors)),
            }
        )
    return pd.DataFrame(rows)


def loss_after_one_pass(comparison: Comparison) -> dict[str, float]:
    """Each variant's full-data loss after one epoch (interpolated between points)."""
    return {
        VARIANT_TITLES[v]: float(np.interp(1.0, t.epochs, t.loss))
        for v, t in ((v, comparison.primary(v)) for v in comparison.traces)
    }


def batch_size_sweep(
    dataset: Dataset,
    sizes: Sequence[int],
    base: CompareSettings = TYPES_SETTINGS,
    *,
    problem=None,
    optimum: Optimum | None = None,
    run_one: RunOne = descend,
) -> pd.DataFrame:
    """One mini-batch run of ``base`` per batch size: updates, gap, roughness, time."""
    problem = compare.problem_for(dataset) if problem is None else problem
    optimum = compare.optimum_for(dataset, problem) if optimum is None else optimum
    rows = []
    for size in sizes:
        settings = CompareSettings(
            variants=("minibatch",),
            batch_size=size,
            epochs=base.epochs,
            descent=base.descent,
        )
        trace = run_one(problem, settings.settings_for("minibatch"))
        rows.append(
            {
                "batch size": size,
                "updates": trace.n_updates,
                "gap to optimum": trace.final_loss - optimum.loss,
                "loss rose on": float(np.mean(np.diff(trace.loss) > 0)),
                "seconds": trace.seconds_total,
            }
        )
    return pd.DataFrame(rows)


def sweep_verdict(sweep: pd.DataFrame) -> str:
    """Which batch size of the sweep ended closest to the optimum, honestly put."""
    best = sweep.loc[sweep["gap to optimum"].idxmin()]
    size = int(best["batch size"])
    if size in (sweep["batch size"].min(), sweep["batch size"].max()):
        return (
            f"Here, though, the extreme size {size} ended closest to the optimum "
            f"(gap {best['gap to optimum']:.2g}): the balance is not guaranteed."
        )
    return (
        f"Here a batch of {size} ended closest to the optimum (gap "
        f"{best['gap to optimum']:.2g})."
    )


def batch_story(types: Comparison, errors: pd.DataFrame) -> str:
    """Batch's two claims in favour, each backed by a number of ``types``/``errors``.

    ``errors`` is ``gradient_errors`` at 1 and ``types``' batch size (at least).
    """
    rose = rises(types)
    error_of = dict(zip(errors["rows per gradient"], errors["mean error"], strict=True))
    size = types.settings.batch_size
    return (
        f"**+ Stable convergence.** Its loss rose on {percent(rose['Batch'])} of "
        f"recorded steps (SGD's: {percent(rose['Stochastic (SGD)'])}): with a small "
        "enough η every update goes downhill on the true loss.\n\n"
        "**+ Accurate gradient.** It uses the exact gradient. At θ = 0 a one-row "
        f"gradient is off by {error_of[1]:.0%} on average and a "
        f"{size}-row one by {error_of[size]:.0%} (relative error "
        "‖g − ∇L‖ / ‖∇L‖ over one shuffled epoch of batches):"
    )


def sgd_story(types: Comparison, decaying: Trace) -> str:
    """SGD's claims, each read off the comparison ``types`` (batch, SGD, mini-batch).

    ``decaying`` is SGD on the same data with η₀/√t instead of a constant η.
    """
    rose = rises(types)
    after_one = loss_after_one_pass(types)
    norm = {VARIANT_TITLES[v]: types.primary(v).grad_norm[-1] for v in types.traces}
    settings = types.settings
    return (
        "**+ Fast.** After one pass over the data (the same work for all three) the "
        f"loss is {after_one['Batch']:.3g} for batch, "
        f"{after_one['Stochastic (SGD)']:.3g} for SGD and "
        f"{after_one['Mini-batch']:.3g} for mini-batch (optimum "
        f"{types.optimum.loss:.3g}): one row is a rough but cheap estimate, and SGD "
        f"makes {types.dataset.n_samples} of them per pass.\n\n"
        "**− Noisy updates.** Each step follows one row's opinion, so the full-data "
        f"loss rose on {percent(rose['Stochastic (SGD)'])} of recorded steps, and "
        "the seeds' band shows how much the path depends on the order of the "
        "rows.\n\n"
        "**− May not converge.** With a constant η the noise never dies down: after "
        f"{settings.epochs:g} epochs SGD's ‖∇L‖ is still "
        f"{norm['Stochastic (SGD)']:.2g} (batch: {norm['Batch']:.2g}), far above "
        f"ε = {settings.descent.eps:g}; more epochs keep it jittering in a "
        "noisy ball around the optimum. A decaying learning rate η₀/√t fixes most "
        "of it: the same run "
        f"then ends with ‖∇L‖ = {decaying.grad_norm[-1]:.2g}.\n\n"
        "**± Can escape local minima.** True of *non-convex* losses, where random "
        "kicks can carry the path out of a shallow dip (and, just as well, out of a "
        "good one). Linear and logistic regression have convex losses — one bowl, "
        "one minimum — so on the data pages there is nothing to escape. The section "
        "on local minima below shows where the claim applies."
    )


def minibatch_story(sweep: pd.DataFrame, epochs: float) -> str:
    """Mini-batch's claims, read off a ``batch_size_sweep`` of ``epochs`` each."""
    return (
        "**+ A balance between speed and stability.** Same budget of "
        f"{epochs:g} epochs, only the batch size changes. Tiny "
        "batches make many noisy updates; the full batch "
        f"({sweep['batch size'].max()} rows) makes a few exact ones. In between, "
        f"updates can be both frequent and fairly accurate. {sweep_verdict(sweep)}"
        "\n\n"
        "**− Requires tuning the batch size.** The best size depends on the data, "
        "the learning rate and the budget (and, on a GPU, on the hardware): change "
        "η or the epochs and it moves."
    )


def seconds_to_build(dataset: Dataset) -> float:
    """Wall seconds of building the engine's problem (for the squared loss: XᵀX)."""
    started = time.perf_counter()
    compare.problem_for(dataset)
    return time.perf_counter() - started


def cost_table(
    dataset: Dataset,
    settings: CompareSettings = COST_SETTINGS,
    *,
    problem=None,
    optimum: Optimum | None = None,
    run_one: RunOne = descend,
) -> pd.DataFrame:
    """One run of each variant of ``settings``: updates, memory, time, progress.

    "bytes per update" is the input one update reads: rows × features × 8.
    """
    problem = compare.problem_for(dataset) if problem is None else problem
    optimum = compare.optimum_for(dataset, problem) if optimum is None else optimum
    rows = []
    for variant in settings.variants:
        trace = run_one(problem, settings.settings_for(variant))
        rows.append(
            {
                "variant": VARIANT_TITLES[variant],
                "updates in the epoch": trace.n_updates,
                "rows per update": trace.batch_size,
                "bytes per update": trace.batch_size * dataset.n_features * 8,
                "seconds for the epoch": trace.seconds_total,
                "µs per update": 1e6 * trace.seconds_total / max(trace.n_updates, 1),
                "loss after the epoch": trace.final_loss,
                "gap to optimum": trace.final_loss - optimum.loss,
            }
        )
    return pd.DataFrame(rows)


def cost_story(cost: pd.DataFrame, one_pass: float) -> str:
    """What the cost table says (rows: batch, SGD, mini-batch), read off its numbers."""
    batch, sgd, mini = (cost.iloc[k] for k in range(3))
    batch_epoch = batch["seconds for the epoch"] + one_pass
    faster = "cheaper" if batch_epoch < sgd["seconds for the epoch"] else "dearer"
    return (
        "Read it honestly. *Per update* batch is the expensive one: it reads "
        f"{batch['bytes per update'] / 1e6:.3g} MB of rows where SGD reads "
        f"{sgd['bytes per update']} bytes. *Per epoch* all three do the same "
        f"arithmetic, and here batch's epoch — even counting the pass that builds "
        f"XᵀX ({one_pass * 1e3:.2g} ms) — was {faster} in wall time "
        f"({batch_epoch * 1e3:.2g} ms) than SGD's {sgd['updates in the epoch']:,} "
        f"small dependent updates ({sgd['seconds for the epoch'] * 1e3:.2g} ms). "
        "What SGD and mini-batch buy is **progress per pass**: after one epoch the "
        f"gap to the optimal loss is {batch['gap to optimum']:.3g} for batch (a "
        f"single step), {sgd['gap to optimum']:.3g} for SGD and "
        f"{mini['gap to optimum']:.3g} for mini-batch.\n\n"
        "This dashboard also tilts the scales towards batch on the squared loss: "
        "once XᵀX is built, every full gradient costs O(d²) whatever the number of "
        "rows. The textbook loop (the seed's numpy example) recomputes "
        "Xᵀ(Xθ − y) from all rows at every update, as does any method for the "
        "log-loss or a neural network. And every variant reads each row once per "
        "epoch, so the data has to be at hand (in memory or streamed) whichever "
        "you choose."
    )


# --------------------------------------------------------------------------------------
# The learning rate around 2/λ_max
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateRun:
    """Batch descent at one learning rate: how it ended and its loss chart."""

    label: str
    learning_rate: float
    status: str
    message: str
    spec: dict


@dataclass(frozen=True)
class RateLesson:
    """The stable limit 2/λ_max of a dataset and batch runs around it."""

    limit: float  # 2 / λ_max
    top: float  # λ_max, the largest eigenvalue of XᵀX/m
    n_features: int
    runs: tuple[RateRun, ...]


def rate_lesson(
    dataset: Dataset,
    factors: Mapping[str, float] = RATE_FACTORS,
    *,
    problem=None,
    optimum: Optimum | None = None,
    run_one: RunOne = descend,
) -> RateLesson:
    """Batch descent for RATE_UPDATES updates at each ``factor × 2/λ_max``.

    Plain batch descent on the squared loss converges exactly when
    0 < η < 2/λ_max; each rate is rounded to 3 significant digits.
    """
    spectrum = conditioning(dataset.X)
    problem = compare.problem_for(dataset) if problem is None else problem
    optimum = compare.optimum_for(dataset, problem) if optimum is None else optimum
    runs = []
    for label, factor in factors.items():
        rate = float(f"{factor * spectrum.stable_learning_rate:.3g}")
        settings = CompareSettings(
            variants=("batch",),
            epochs=RATE_UPDATES,
            descent=Settings(learning_rate=rate),
        )
        comparison = compare.run(
            dataset, settings, problem=problem, optimum=optimum, run_one=run_one
        )
        trace = comparison.primary("batch")
        chart = charts.loss_curves(comparison, x="updates", log_scale=True)
        runs.append(RateRun(label, rate, trace.status, trace.message, spec_of(chart)))
    return RateLesson(
        spectrum.stable_learning_rate,
        float(spectrum.eigenvalues[-1]),
        dataset.n_features,
        tuple(runs),
    )
