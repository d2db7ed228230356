"""How it works: the ideas behind gradient descent, each shown on a live run.

Reads top to bottom like the page: the four steps, descent and ascent, when to
stop, partial derivatives and the gradient, batch vs stochastic vs mini-batch,
the learning rate, local minima, and code to take away. Every number and chart
comes from the same engine and chart builders as the other pages; the runs are
small and cached, so the page stays fast.
"""

from __future__ import annotations

import math
import time

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from gddash import charts, codegen, compare, data, functions
from gddash.compare import RULE_TITLES, VARIANT_TITLES, CompareSettings, Comparison
from gddash.data import Dataset, PrepareOptions
from gddash.engine import RULES, Settings, Trace, conditioning
from gddash.errors import GddashError
from gddash.ui import cache, links

# --------------------------------------------------------------------------------------
# Formulas (every LaTeX string the page renders besides those sympy prints)
# --------------------------------------------------------------------------------------

F_DESCENT = r"x_{k+1} = x_k - \eta\, f'(x_k)"
F_ASCENT = r"x_{k+1} = x_k + \eta\, f'(x_k)"
F_PARABOLA = r"\begin{aligned} f(x) &= x^2 + 2x + 3 \\ f'(x) &= 2x + 2 \end{aligned}"
F_SHRINK = (
    r"f'(x_{k+1}) = 2\,(x_{k+1} + 1) = (1 - 2\eta)\, f'(x_k)"
    r"\quad\Longrightarrow\quad f'(x_k) = (1 - 2\eta)^k\, f'(x_0)"
)
F_STOP = (
    r"\text{stop when } \lvert f'(x_k) \rvert \le \varepsilon"
    r"\quad\text{or, with several variables,}\quad"
    r"\lVert \nabla f(\mathbf{x}_k) \rVert \le \varepsilon"
)
F_PARTIAL = (
    r"\frac{\partial f}{\partial x_i}(\mathbf{x}) = \lim_{h \to 0}"
    r"\frac{f(\mathbf{x} + h\,\mathbf{e}_i) - f(\mathbf{x})}{h}"
)
F_UNIT = (
    r"\mathbf{e}_i = (0, \ldots, 0, \underbrace{1}_{i\text{-th place}}, 0, \ldots, 0)"
)
F_NABLA = (
    r"\nabla f(\mathbf{x}) = \left( \frac{\partial f}{\partial x_1}(\mathbf{x}),"
    r" \ldots, \frac{\partial f}{\partial x_d}(\mathbf{x}) \right)"
)
F_UPDATE = r"\mathbf{x}_{k+1} = \mathbf{x}_k - \eta\, \nabla f(\mathbf{x}_k)"
F_AVERAGE = (
    r"L(\theta) = \frac{1}{m} \sum_{i=1}^{m} \ell_i(\theta), \qquad"
    r"\nabla L(\theta) = \frac{1}{m} \sum_{i=1}^{m} \nabla \ell_i(\theta)"
)
F_ESTIMATES = (
    r"g_{\text{batch}} = \nabla L(\theta), \qquad "
    r"g_{\text{SGD}} = \nabla \ell_i(\theta), \qquad "
    r"g_{\text{mini-batch}} = \frac{1}{\lvert B \rvert} \sum_{i \in B}"
    r" \nabla \ell_i(\theta)"
)
F_STABLE = (
    r"0 < \eta < \frac{2}{\lambda_{\max}}, \qquad \lambda_{\max} ="
    r" \text{largest eigenvalue of } \tfrac{1}{m} X^{\top} X"
)
FORMULAS = (
    F_DESCENT,
    F_ASCENT,
    F_PARABOLA,
    F_SHRINK,
    F_STOP,
    F_PARTIAL,
    F_UNIT,
    F_NABLA,
    F_UPDATE,
    F_AVERAGE,
    F_ESTIMATES,
    F_STABLE,
)

# --------------------------------------------------------------------------------------
# Fixed set-ups of the demonstrations
# --------------------------------------------------------------------------------------

PRESETS = {p.key: p for p in functions.PRESETS}
SAMPLES = {s.key: s for s in data.samples()}
# The code section offers every sample but the 250,000-row one: its per-row
# numpy loop would take minutes and its CSV would be tens of megabytes.
CODE_SAMPLES = [key for key in SAMPLES if key != "large"]
EPS_CHOICES = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-14, 1e-15, 0.0)
# Bound widgets write the label of their value to the URL, so labels are short.
LABELS = {
    "learn_eps": lambda eps: f"{eps:g}",
    "code_sample": lambda key: SAMPLES[key].title,
    "code_variant": VARIANT_TITLES.get,
    "code_rule": RULE_TITLES.get,
    "code_fn": lambda key: PRESETS[key].title,
}
URL_KEYS = tuple(LABELS)
TYPES_SAMPLE = "line"  # 200 rows: the three variants differ visibly, in milliseconds
TYPES_SETTINGS = CompareSettings(
    variants=("batch", "sgd", "minibatch"),
    batch_size=16,
    epochs=10.0,
    repeats=3,
    descent=Settings(learning_rate=0.1),
)
SWEEP_SIZES = (1, 4, 16, 64, 200)
COST_SAMPLE = "large"  # 250,000 rows: where the cost of a full pass shows
COST_BATCH = 256
RATE_SAMPLE = "ill_conditioned"  # an elongated bowl even after standardizing
RATE_FACTORS = {
    "Too small (0.05 × limit)": 0.05,
    "About right (0.5 × limit = 1/λ_max)": 0.5,
    "Too large (1.2 × limit)": 1.2,
}
DECAYING_SGD = CompareSettings(
    variants=("sgd",),
    epochs=TYPES_SETTINGS.epochs,
    descent=Settings(learning_rate=0.1, schedule="invscaling", power_t=0.5),
)
STEP_COLOR = charts.RULE_COLORS["plain"]
UP_COLOR = charts.RULE_COLORS["momentum"]

# --------------------------------------------------------------------------------------
# Cached computations (small, keyed on simple arguments)
# --------------------------------------------------------------------------------------


def spec_of(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec, to cache (building and validating it is the
    slow part of showing a chart) and show with ``st.vega_lite_chart``.

    Altair's default 300 px view size is dropped, as Streamlit drops it.
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
    return spec


def show(spec: dict) -> None:
    """A cached Vega-Lite spec as a chart, the width of its container."""
    st.vega_lite_chart(spec, width="stretch")


def sample_dataset(key: str) -> tuple[str, Dataset]:
    """A bundled sample prepared with its default target and features.

    Goes through the compare page's caches, so the two pages share the work.
    """
    sample = SAMPLES[key]
    raw = data.load_sample(key)
    digest = cache.digest(raw)
    frame, _ = cache.read_table(digest, raw)
    features = sample.default_features or tuple(
        c for c in frame.columns if c != sample.default_target
    )
    options = PrepareOptions(task=sample.task)
    dataset = cache.prepared(
        digest, sample.default_target, tuple(features), options, frame
    )
    dataset_id = cache.dataset_key(digest, sample.default_target, features, options)
    return dataset_id, dataset


def comparison_of(key: str, settings: CompareSettings) -> Comparison:
    """A comparison on a sample, run by variant and seed through the shared cache."""
    dataset_id, dataset = sample_dataset(key)
    traces = [
        cache.one_run(dataset_id, settings, variant, k, dataset)
        for variant, k in compare.runs_of(settings)
    ]
    return compare.assemble(
        dataset, settings, traces, cache.optimum(dataset_id, dataset)
    )


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def gradient_errors(key: str, sizes: tuple[int, ...], seed: int = 0) -> pd.DataFrame:
    """How far batch gradients at θ = 0 are from the full-data gradient.

    For each batch size, one shuffled epoch of batches; each batch's gradient
    is the engine's loss gradient on those rows only, exactly what an update
    of that variant uses.
    """
    _, dataset = sample_dataset(key)
    problem = compare.problem_for(dataset)
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


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def batch_size_sweep(key: str, sizes: tuple[int, ...]) -> tuple[pd.DataFrame, dict]:
    """Mini-batch runs of TYPES_SETTINGS at several batch sizes, and a chart spec."""
    dataset_id, dataset = sample_dataset(key)
    best = cache.optimum(dataset_id, dataset)
    rows = []
    for size in sizes:
        settings = CompareSettings(
            variants=("minibatch",),
            batch_size=size,
            epochs=TYPES_SETTINGS.epochs,
            descent=TYPES_SETTINGS.descent,
        )
        trace = cache.one_run(dataset_id, settings, "minibatch", 0, dataset)
        rows.append(
            {
                "batch size": size,
                "updates": trace.n_updates,
                "gap to optimum": trace.final_loss - best.loss,
                "loss rose on": float(np.mean(np.diff(trace.loss) > 0)),
                "seconds": trace.seconds_total,
            }
        )
    sweep = pd.DataFrame(rows)
    return sweep, spec_of(charts.batch_size_sweep(sweep, TYPES_SETTINGS.epochs))


@st.cache_data(
    max_entries=2, ttl=3600, show_spinner="Timing one epoch on 250,000 rows…"
)
def cost_table() -> tuple[pd.DataFrame, float, float]:
    """One epoch of each variant on the large sample: time, memory, progress.

    Returns the table, the seconds of one pass building XᵀX (the squared loss'
    one-off cost) and the optimal loss.
    """
    dataset_id, dataset = sample_dataset(COST_SAMPLE)
    started = time.perf_counter()
    compare.problem_for(dataset)
    one_pass = time.perf_counter() - started
    best = cache.optimum(dataset_id, dataset)
    settings = CompareSettings(
        batch_size=COST_BATCH, epochs=1.0, descent=Settings(learning_rate=0.01)
    )
    rows = []
    for variant in settings.variants:
        trace = cache.one_run(dataset_id, settings, variant, 0, dataset)
        rows.append(
            {
                "variant": VARIANT_TITLES[variant],
                "updates in the epoch": trace.n_updates,
                "rows per update": trace.batch_size,
                "bytes per update": trace.batch_size * dataset.n_features * 8,
                "seconds for the epoch": trace.seconds_total,
                "µs per update": 1e6 * trace.seconds_total / max(trace.n_updates, 1),
                "loss after the epoch": trace.final_loss,
                "gap to optimum": trace.final_loss - best.loss,
            }
        )
    return pd.DataFrame(rows), one_pass, best.loss


@st.cache_data(max_entries=2, ttl=3600, show_spinner=False)
def rates_view(key: str) -> tuple[float, float, int, tuple[dict, ...]]:
    """Batch descent at three learning rates relative to the stable limit 2/λ_max.

    Returns the limit, λ_max, the number of parameters and, per rate, a dict of
    label, learning_rate, status, message and the chart's spec. (Plain types only:
    a class defined in a page script cannot be pickled by ``st.cache_data``.)
    """
    _, dataset = sample_dataset(key)
    spectrum = conditioning(dataset.X)
    runs = []
    for label, factor in RATE_FACTORS.items():
        rate = float(f"{factor * spectrum.stable_learning_rate:.3g}")
        settings = CompareSettings(
            variants=("batch",), epochs=100.0, descent=Settings(learning_rate=rate)
        )
        comparison = comparison_of(key, settings)
        trace = comparison.primary("batch")
        chart = charts.loss_curves(comparison, x="updates", log_scale=True)
        runs.append(
            {
                "label": label,
                "learning_rate": rate,
                "status": trace.status,
                "message": trace.message,
                "spec": spec_of(chart),
            }
        )
    return (
        spectrum.stable_learning_rate,
        float(spectrum.eigenvalues[-1]),
        dataset.n_features,
        tuple(runs),
    )


@st.cache_data(max_entries=1, ttl=3600, show_spinner=False)
def types_view() -> tuple[Comparison, dict, dict]:
    """The batch / SGD / mini-batch comparison and its two charts' specs."""
    types = comparison_of(TYPES_SAMPLE, TYPES_SETTINGS)
    return (
        types,
        spec_of(charts.loss_curves(types, x="epochs")),
        spec_of(charts.gradient_norms(types, x="epochs")),
    )


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def epsilon_view(eps: float) -> tuple[Trace, dict]:
    """The parabola's descent stopped at ε, and its |f′| chart."""
    trace = cache.function_run(
        PRESETS["parabola"].text, ("x",), function_settings("parabola", eps=eps)
    )
    return trace, spec_of(charts.slope_decay(trace, eps))


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def prepared_csv(dataset_id: str, _dataset: Dataset) -> bytes:
    """The CSV the generated scripts read, once per prepared dataset."""
    return codegen.prepared_csv(_dataset)


# --------------------------------------------------------------------------------------
# Small pure helpers for the page
# --------------------------------------------------------------------------------------


def function_settings(preset_key: str, **changes) -> Settings:
    """The explorer's settings for a preset: its start, rate and goal."""
    preset = PRESETS[preset_key]
    values = {
        "learning_rate": preset.learning_rate,
        "theta0": preset.start,
        "maximize": preset.goal == "maximize",
        "max_epochs": 2000.0,
        "eps": 1e-6,
        "max_points": 2001,  # every update of the cap is recorded: tables show each
    }
    return Settings(**(values | changes))


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


def curve_of(preset_key: str, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D preset's f on 400 points of [lo, hi]."""
    preset = PRESETS[preset_key]
    f = cache.symbolic(preset.text, preset.variables)
    xs = np.linspace(lo, hi, 400)
    return xs, f.values_on_grid(xs)


def first_steps(trace: Trace, k: int = 6) -> pd.DataFrame:
    """The first k updates of a 1-D run: where it was, the slope, the step taken."""
    x = trace.path[:, 0]
    slope = trace.gradient[:, 0]
    rows = min(k, len(x) - 1)
    return pd.DataFrame(
        {
            "k": trace.updates[:rows],
            "x_k": x[:rows],
            "f(x_k)": trace.loss[:rows],
            "f′(x_k)": slope[:rows],
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


def function_grid(
    preset_key: str, domain: tuple[float, ...] | None = None, n: int = 80
) -> charts.SurfaceGrid:
    """The preset's values on an n × n grid over its domain (or ``domain``)."""
    preset = PRESETS[preset_key]
    f = cache.symbolic(preset.text, preset.variables)
    lo_x, hi_x, lo_y, hi_y = domain or preset.domain
    xs, ys = np.linspace(lo_x, hi_x, n), np.linspace(lo_y, hi_y, n)
    Z = f.values_on_grid(*np.meshgrid(xs, ys))
    return charts.SurfaceGrid(xs, ys, Z, "x", "y", z_name="f")


def function_arrows(preset_key: str, n: int = 11) -> charts.ArrowField:
    """−∇f arrows on a coarse grid over the preset's domain."""
    preset = PRESETS[preset_key]
    f = cache.symbolic(preset.text, preset.variables)
    lo_x, hi_x, lo_y, hi_y = preset.domain
    xs, ys = np.linspace(lo_x, hi_x, n), np.linspace(lo_y, hi_y, n)
    gx, gy = f.gradients_on_grid(*np.meshgrid(xs, ys))
    return charts.arrow_field(xs, ys, gx, gy)


def contour_with_path(
    preset_key: str,
    title: str,
    *,
    arrows: bool = True,
    domain: tuple[float, ...] | None = None,
    best: tuple[float, float, float] | None = None,
):
    """The preset's contours, −∇f arrows and the engine's path from its start."""
    preset = PRESETS[preset_key]
    trace = cache.function_run(
        preset.text, preset.variables, function_settings(preset_key)
    )
    path = charts.Path3D(
        name=f"descent, η = {preset.learning_rate:g}",
        a=trace.path[:, 0],
        b=trace.path[:, 1],
        z=trace.loss,
        color=STEP_COLOR,
        steps=trace.updates,
    )
    figure = charts.contour_figure(
        function_grid(preset_key, domain),
        [path],
        title=title,
        arrows=function_arrows(preset_key) if arrows else None,
        optimum=best,
        optimum_name="global minimum",
        height=420,
    )
    return figure, trace


def difference_quotients(
    preset_key: str, point: tuple[float, float]
) -> tuple[np.ndarray, pd.DataFrame]:
    """(f(x + h eᵢ) − f(x)) / h for shrinking h, and the exact ∂f/∂xᵢ."""
    preset = PRESETS[preset_key]
    f = cache.symbolic(preset.text, preset.variables)
    x = np.array(point, dtype=float)
    exact = f.gradient(x)
    rows = []
    for h in (1e-1, 1e-3, 1e-5, 1e-8, 1e-11, 1e-14):
        row = {"h": f"{h:g}"}
        for i, name in enumerate(preset.variables):
            unit = np.zeros_like(x)
            unit[i] = 1.0  # eᵢ: 1 in place i, 0 elsewhere
            quotient = (f.value(x + h * unit) - f.value(x)) / h
            row[f"quotient along {name}"] = quotient
            row[f"error along {name}"] = abs(quotient - exact[i])
        rows.append(row)
    return exact, pd.DataFrame(rows)


def gradient_vector_latex(preset_key: str) -> tuple[str, str]:
    """f and ∇f of a preset in LaTeX, as sympy prints the parsed formula."""
    preset = PRESETS[preset_key]
    f = cache.symbolic(preset.text, preset.variables)
    names = ", ".join(preset.variables)
    parts = ", ".join(f.gradient_latex())
    return rf"f({names}) = {f.latex()}", rf"\nabla f({names}) = \left( {parts} \right)"


def percent(value: float) -> str:
    """0.485 -> '49%'."""
    return f"{value:.0%}"


def rises(comparison: Comparison) -> dict[str, float]:
    """Share of recorded steps on which each variant's full-data loss went up."""
    return {
        VARIANT_TITLES[v]: compare.roughness(comparison.primary(v))
        for v in comparison.traces
    }


def code_settings(dataset: Dataset, variant: str, rule: str) -> CompareSettings:
    """The run the code section reproduces: 20 epochs, batches of 32, seed 0.

    The suggested rate, divided by 1/(1 − β) for the momentum rules, whose
    velocity multiplies the step by up to that much: at the full rate several
    runs bounce chaotically, and chaos turns last-bit rounding differences
    between the dashboard and a script into visibly different end points.
    """
    rate = compare.suggested_learning_rate(dataset)
    if rule in ("momentum", "nesterov"):
        rate = float(f"{rate * (1 - Settings().momentum):.2g}")
    return CompareSettings(
        variants=(variant,),
        batch_size=32,
        epochs=20.0,
        descent=Settings(learning_rate=rate, rule=rule),
    )


# ======================================================================================
# The sections of the page, top to bottom
# ======================================================================================


def section_steps() -> None:
    """The four steps, next to a descent on the seed's parabola."""
    st.header("The idea in four steps")
    preset = PRESETS["parabola"]
    x0, rate = preset.start[0], preset.learning_rate
    parabola = cache.function_run(preset.text, ("x",), function_settings("parabola"))
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.markdown(
            "Gradient descent looks for a low point of a function by walking "
            "downhill:\n\n"
            f"1. **Start** at some point x₀ (here x₀ = {x0:g}).\n"
            "2. **Measure the slope** there: the derivative f′(x), or with several "
            "variables the gradient ∇f.\n"
            "3. **Step against the slope**, by the learning rate η times the slope: "
            "steep ground gives big steps, flat ground small ones.\n"
            "4. **Repeat** until the slope is (almost) zero.\n\n"
            "Four ingredients decide how it goes: the **learning rate** η (step "
            "size), how the **gradient is computed** (from a formula, or estimated "
            "from data rows), the **update rule** that turns the gradient into a "
            "step, and the **stopping rule** that ends the loop."
        )
        st.latex(F_PARABOLA)
        st.latex(F_DESCENT)
    with right:
        xs, fx = curve_of("parabola", -3.5, 3.5)
        st.plotly_chart(
            charts.curve_figure(
                xs,
                fx,
                [path_of(parabola, f"descent, η = {rate:g}", STEP_COLOR)],
                title=f"Descent on f(x) = x² + 2x + 3 from x₀ = {x0:g}",
                y_range=(0.0, 20.0),
                height=360,
            ),
            key="steps_curve",
            width="stretch",
        )
    st.dataframe(first_steps(parabola), hide_index=True, width="stretch")
    st.caption(
        f"The first steps: each one is −η·f′(x_k) = −{rate:g}·f′(x_k), so they "
        f"shrink as the slope flattens. The run stopped after {parabola.n_updates} "
        "updates at "
        f"x = {parabola.theta[0]:.6f} (the minimum is at −1). {parabola.message}"
    )


def section_ascent() -> None:
    """Add or subtract the derivative: one start, two directions."""
    st.header("Downhill or uphill: descent and ascent")
    well = PRESETS["double_well"]
    down = cache.function_run(
        well.text, ("x",), function_settings("double_well", theta0=(0.6,))
    )
    up = cache.function_run(
        well.text,
        ("x",),
        function_settings("double_well", theta0=(0.6,), maximize=True),
    )
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.markdown(
            "The only difference is the sign of the step. **Subtracting** the slope "
            "walks downhill to a local **minimum**; **adding** it walks uphill to a "
            "local **maximum** (useful when the objective is a reward or a "
            "likelihood). Climbing f is the same as descending −f, which is how the "
            "engine does it: ascent is a sign, not a second algorithm."
        )
        st.latex(F_DESCENT)
        st.latex(F_ASCENT)
        st.markdown(
            f"On the double well f(x) = x⁴ − 3x² + x both runs start at x₀ = 0.6 "
            f"with η = {well.learning_rate:g}. Descent ends at "
            f"x = {down.theta[0]:.4f} (f = {down.final_loss:.4f}, a valley) after "
            f"{down.n_updates} updates; ascent ends at x = {up.theta[0]:.4f} "
            f"(f = {up.final_loss:.4f}, the hump between the valleys) after "
            f"{up.n_updates}. Each follows the local slope, so each finds the "
            "*nearest* minimum or maximum, not the best one."
        )
    with right:
        xs, fx = curve_of("double_well", -2.2, 2.2)
        st.plotly_chart(
            charts.curve_figure(
                xs,
                fx,
                [
                    path_of(down, "descent: x − η f′(x)", STEP_COLOR),
                    path_of(up, "ascent: x + η f′(x)", UP_COLOR),
                ],
                title="Same start, opposite signs",
                y_range=(-5.0, 6.0),
                height=380,
            ),
            key="ascent_curve",
            width="stretch",
        )


def section_stopping() -> None:
    """The ε rule in pseudo-code, a live run, and why zero is not the target."""
    st.header("When to stop: the ε rule")
    st.markdown(
        'At a minimum the slope is zero, so "repeat until the slope is zero" '
        "sounds like the natural stopping rule. It is not usable as stated: the "
        "slope shrinks towards zero without reaching it, so the loop stops when the "
        "slope is *small enough* — at most a tolerance ε."
    )
    st.latex(F_STOP)
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.code(PSEUDO_ONE, language="python")
        st.code(PSEUDO_MANY, language="python")
        st.markdown(
            "Only two things change with several variables: the gradient is a "
            "vector, and its size is its length ‖∇f‖ instead of |f′|. The cap "
            "`max_iter` is the safety net for runs that never get there."
        )
    with right:
        epsilon_demo()
    st.latex(F_SHRINK)
    stalled = cache.function_run(
        PRESETS["parabola"].text, ("x",), function_settings("parabola", eps=0.0)
    )
    exact_zero = cache.function_run(
        PRESETS["parabola"].text,
        ("x",),
        function_settings("parabola", eps=0.0, learning_rate=0.3),
    )
    st.markdown(floating_point_story(stalled, exact_zero))


def floating_point_story(stalled: Trace, exact_zero: Trace) -> str:
    """What ε = 0 does on the parabola, in numbers read off two runs."""
    rate = PRESETS["parabola"].learning_rate
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


PSEUDO_ONE = """\
# one variable
x = x_start
slope = df(x)
k = 0
while abs(slope) > eps and k < max_iter:
    x = x - lr * slope  # + for ascent
    slope = df(x)
    k += 1"""
PSEUDO_MANY = """\
# several variables
x = x_start  # a vector
g = grad_f(x)  # the vector of partials
k = 0
while norm(g) > eps and k < max_iter:
    x = x - lr * g
    g = grad_f(x)
    k += 1"""


@st.fragment
def epsilon_demo() -> None:
    """Choose ε, see how many updates it takes and how the slope shrinks."""
    eps = float(
        st.select_slider(
            "ε (stop when |f′(x)| ≤ ε)",
            options=EPS_CHOICES,
            value=1e-6,
            format_func=LABELS["learn_eps"],
            key="learn_eps",
            bind="query-params",
        )
    )
    trace, spec = epsilon_view(eps)
    show(spec)
    st.markdown(
        f"With ε = {eps:g}: **{trace.n_updates} updates**, status *{trace.status}*. "
        f"{trace.message} The last recorded points:"
    )
    st.dataframe(last_steps(trace), hide_index=True, width="stretch")


def section_gradient() -> None:
    """Partial derivatives, the unit vector, ∇ — and contours with arrows."""
    st.header("Many variables: partial derivatives and the gradient")
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.markdown(
            "With several variables there is a slope along every axis. The "
            "**partial derivative** along xᵢ moves only that coordinate, by a small "
            "h, and watches how f changes; the unit vector **e**ᵢ picks the "
            "coordinate."
        )
        st.latex(F_PARTIAL)
        st.latex(F_UNIT)
        st.markdown(
            "Stacking all partial derivatives gives the **gradient** ∇f (read "
            "*nabla f*). It points where f rises fastest, so −∇f is the steepest "
            "way down, and one update moves every coordinate at once:"
        )
        st.latex(F_NABLA)
        st.latex(F_UPDATE)
        for formula in gradient_vector_latex("bowl"):
            st.latex(formula)
    with right:
        round_tab, long_tab = st.tabs(
            ["Round bowl x² + y²", "Elongated bowl x² + 10y²"]
        )
        with round_tab:
            figure, bowl = contour_with_path(
                "bowl", "Arrows: −∇f, the steepest way down"
            )
            st.plotly_chart(figure, key="bowl_contour", width="stretch")
            st.caption(
                "On a round bowl every contour is a circle and −∇f points straight "
                f"at the minimum: the path goes there directly ({bowl.n_updates} "
                "updates)."
            )
        with long_tab:
            figure, long_bowl = contour_with_path(
                "elongated_bowl", "Arrows cross the contours at right angles"
            )
            st.plotly_chart(figure, key="elongated_contour", width="stretch")
            st.caption(
                "The gradient is perpendicular to the contour line, which is *not* "
                "the direction of the minimum once the bowl is stretched: the path "
                "zig-zags across the steep y direction and creeps along x "
                f"({long_bowl.n_updates} updates). −∇f is the steepest way down "
                "*locally*, not a pointer to the minimum."
            )
    exact, quotients = difference_quotients("himmelblau", (1.0, 2.0))
    st.markdown(
        "**The definition, live.** Difference quotients of Himmelblau's function "
        "at (1, 2) approach the exact partial derivatives "
        f"({exact[0]:g}, {exact[1]:g}) as h shrinks — until h is so small that "
        "rounding in f(x + h eᵢ) − f(x) takes over and the error grows again."
    )
    st.dataframe(
        quotients,
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.NumberColumn(format="%.3g")
            for c in ("error along x", "error along y")
        },
    )


def section_types() -> None:
    """Batch, SGD and mini-batch on one sample; each claim in its own (lazy) tab."""
    st.header("Batch, stochastic and mini-batch")
    st.markdown(
        "On data the loss is an average over the m rows, and so is its gradient. "
        "The three variants differ only in how many rows they use to estimate that "
        "gradient before each update: all of them, one, or a small batch B."
    )
    st.latex(F_AVERAGE)
    st.latex(F_ESTIMATES)
    types, loss_spec, norm_spec = types_view()
    st.caption(
        f"Live run: the '{SAMPLES[TYPES_SAMPLE].title}' sample "
        f"({types.dataset.n_samples} rows), {TYPES_SETTINGS.epochs:g} passes over "
        f"the data each, η = {TYPES_SETTINGS.descent.learning_rate:g}, mini-batches "
        f"of {TYPES_SETTINGS.batch_size}, stochastic variants repeated over "
        f"{TYPES_SETTINGS.repeats} seeds (shaded band). {types.verdict}"
    )
    left, right = st.columns([1, 1], gap="large")
    with left:
        show(loss_spec)
    with right:
        show(norm_spec)
    # Only the open tab runs (the cost tab times a 250,000-row epoch).
    tabs = st.tabs(list(TYPE_TABS), key="learn_types", on_change="rerun")
    for tab, render in zip(tabs, TYPE_TABS.values(), strict=True):
        if tab.open is not False:
            with tab:
                render(types)


def batch_claims(types: Comparison) -> None:
    rose = rises(types)
    errors = gradient_errors(TYPES_SAMPLE, (1, TYPES_SETTINGS.batch_size, 200))
    error_of = dict(zip(errors["rows per gradient"], errors["mean error"], strict=True))
    st.markdown(
        f"**+ Stable convergence.** Its loss rose on {percent(rose['Batch'])} of "
        f"recorded steps (SGD's: {percent(rose['Stochastic (SGD)'])}): with a small "
        "enough η every update goes downhill on the true loss.\n\n"
        "**+ Accurate gradient.** It uses the exact gradient. At θ = 0 a one-row "
        f"gradient is off by {error_of[1]:.0%} on average and a "
        f"{TYPES_SETTINGS.batch_size}-row one by "
        f"{error_of[TYPES_SETTINGS.batch_size]:.0%} (relative error "
        "‖g − ∇L‖ / ‖∇L‖ over one shuffled epoch of batches):"
    )
    st.dataframe(
        errors,
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="percent")
            for c in ("mean error", "worst error")
        },
    )
    st.markdown(
        "**− Computationally expensive, memory intensive.** Each update reads every "
        "row: a full pass over the data per step, rows × features × 8 bytes of "
        "input. The *Cost* tab times one epoch of each variant on 250,000 rows, and "
        "shows where this claim holds and where it does not."
    )


def sgd_claims(types: Comparison) -> None:
    rose = rises(types)
    after_one = {
        VARIANT_TITLES[v]: float(np.interp(1.0, t.epochs, t.loss))
        for v, t in ((v, types.primary(v)) for v in types.traces)
    }
    norm = {VARIANT_TITLES[v]: types.primary(v).grad_norm[-1] for v in types.traces}
    decaying = comparison_of(TYPES_SAMPLE, DECAYING_SGD).primary("sgd")
    st.markdown(
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
        f"{TYPES_SETTINGS.epochs:g} epochs SGD's ‖∇L‖ is still "
        f"{norm['Stochastic (SGD)']:.2g} (batch: {norm['Batch']:.2g}), far above "
        f"ε = {TYPES_SETTINGS.descent.eps:g}; more epochs keep it jittering in a "
        "noisy ball around the optimum. A decaying learning rate η₀/√t fixes most "
        "of it: the same run "
        f"then ends with ‖∇L‖ = {decaying.grad_norm[-1]:.2g}.\n\n"
        "**± Can escape local minima.** True of *non-convex* losses, where random "
        "kicks can carry the path out of a shallow dip (and, just as well, out of a "
        "good one). Linear and logistic regression have convex losses — one bowl, "
        "one minimum — so on the data pages there is nothing to escape. The section "
        "on local minima below shows where the claim applies."
    )


def minibatch_claims(types: Comparison) -> None:
    sweep, spec = batch_size_sweep(TYPES_SAMPLE, SWEEP_SIZES)
    best = sweep.loc[sweep["gap to optimum"].idxmin()]
    size = int(best["batch size"])
    if size in (sweep["batch size"].min(), sweep["batch size"].max()):
        verdict = (
            f"Here, though, the extreme size {size} ended closest to the optimum "
            f"(gap {best['gap to optimum']:.2g}): the balance is not guaranteed."
        )
    else:
        verdict = (
            f"Here a batch of {size} ended closest to the optimum (gap "
            f"{best['gap to optimum']:.2g})."
        )
    st.markdown(
        "**+ A balance between speed and stability.** Same budget of "
        f"{TYPES_SETTINGS.epochs:g} epochs, only the batch size changes. Tiny "
        "batches make many noisy updates; the full batch "
        f"({sweep['batch size'].max()} rows) makes a few exact ones. In between, "
        f"updates can be both frequent and fairly accurate. {verdict}\n\n"
        "**− Requires tuning the batch size.** The best size depends on the data, "
        "the learning rate and the budget (and, on a GPU, on the hardware): change "
        "η or the epochs and it moves."
    )
    left, right = st.columns([1, 1], gap="large")
    with left:
        show(spec)
    with right:
        st.dataframe(
            sweep,
            hide_index=True,
            width="stretch",
            column_config={
                "gap to optimum": st.column_config.NumberColumn(format="%.3g"),
                "loss rose on": st.column_config.NumberColumn(format="percent"),
                "seconds": st.column_config.NumberColumn(format="%.2g"),
            },
        )


def cost_claims(types: Comparison) -> None:
    cost, one_pass, _ = cost_table()
    st.markdown(
        f"One epoch of each variant on the '{SAMPLES[COST_SAMPLE].title}' sample "
        f"(mini-batches of {COST_BATCH}); memory per update is the input an update "
        "reads at once, rows × features × 8 bytes."
    )
    st.dataframe(
        cost,
        hide_index=True,
        width="stretch",
        column_config={
            "bytes per update": st.column_config.NumberColumn(format="%d"),
            "seconds for the epoch": st.column_config.NumberColumn(format="%.3g"),
            "µs per update": st.column_config.NumberColumn(format="%.3g"),
            "loss after the epoch": st.column_config.NumberColumn(format="%.5g"),
            "gap to optimum": st.column_config.NumberColumn(format="%.3g"),
        },
    )
    st.markdown(cost_story(cost, one_pass))


def cost_story(cost: pd.DataFrame, one_pass: float) -> str:
    """What the cost table says, each statement read off its numbers."""
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


def section_rates() -> None:
    """Three learning rates around the data-derived limit 2/λ_max."""
    st.header("The learning rate: too small, about right, too large")
    limit, top, n_features, runs = rates_view(RATE_SAMPLE)
    st.markdown(
        "For batch descent on the squared loss the safe range follows from the "
        "data: the loss is a bowl whose steepest curvature is the largest "
        "eigenvalue λ_max of XᵀX/m, and plain descent converges exactly when"
    )
    st.latex(F_STABLE)
    st.caption(
        f"Live: batch descent on the '{SAMPLES[RATE_SAMPLE].title}' sample "
        f"(standardized, {n_features} parameters): λ_max = {top:.4g}, so the limit "
        f"is 2/λ_max = {limit:.4g}. Each run gets 100 updates; the charts show the "
        "gap to the optimal loss on a log axis."
    )
    for column, run in zip(st.columns(len(runs)), runs, strict=True):
        with column:
            st.markdown(f"**{run['label']}**: η = {run['learning_rate']:g}")
            show(run["spec"])
            (st.error if run["status"] == "diverged" else st.info)(run["message"])
    st.markdown(
        "Too small wastes updates: the gap shrinks, but slowly. Around 1/λ_max the "
        "steepest direction is handled in about one step and the rest follows. "
        "Above the limit each step overshoots the valley by more than it corrects, "
        "the error grows geometrically and the run diverges. The limit is exact for "
        "plain batch descent on this quadratic; stochastic updates need a smaller η "
        "(one row's curvature can exceed the average's), and adaptive rules such as "
        "Adam scale each step differently."
    )


def section_local_minima() -> None:
    """Plain descent stuck in Rastrigin's nearest dip; what SGD could do."""
    st.header("Local minima: where the claims apply")
    figure, stuck = contour_with_path(
        "rastrigin",
        "Rastrigin near the start: plain descent from (2.3, −1.6)",
        arrows=False,
        domain=(-0.6, 3.4, -3.4, 0.6),  # the start, its dip and the global minimum
        best=(0.0, 0.0, 0.0),
    )
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.markdown(
            "A convex loss has one valley, and every descent that converges ends in "
            "it: that is the case of linear and logistic regression on the other "
            "pages. Non-convex functions have many. Rastrigin's function has a dip "
            "near every pair of integers and its global minimum f = 0 at the "
            f"origin. Plain descent from (2.3, −1.6) stops after {stuck.n_updates} "
            f"updates at ({stuck.theta[0]:.3f}, {stuck.theta[1]:.3f}) with "
            f"f = {stuck.final_loss:.3f}: the nearest dip, not the best one."
        )
        st.markdown(
            "Would SGD's noise have helped? It can, in models whose loss is an "
            "average of non-convex terms (neural networks): a noisy step may hop "
            "over a low ridge. It is not guaranteed — the same noise can leave a "
            "good valley — and this dashboard cannot show it honestly: a typed "
            "formula has no rows to sample, so the explorer runs exact (batch) "
            "gradients only, and the data pages fit convex models, where every "
            "variant heads for the same single minimum."
        )
    with right:
        st.plotly_chart(figure, key="rastrigin_contour", width="stretch")


@st.fragment
def section_code() -> None:
    """Pick a sample, variant and rule: the run, and scripts that reproduce it."""
    st.header("Take the code with you")
    st.markdown(
        "Pick a bundled sample, a variant and an update rule. The dashboard runs it "
        "(20 epochs, mini-batches of 32, shuffled with seed 0, the suggested "
        "learning rate) and writes a numpy script and a PyTorch script that redo "
        "exactly that run: same prepared data, same row order, same formulas. Run "
        "either next to the prepared CSV and it prints the same final θ to about "
        "1e-8."
    )
    a, b, c = st.columns([2, 2, 1])
    key = a.selectbox(
        "Sample",
        CODE_SAMPLES,
        key="code_sample",
        bind="query-params",
        format_func=LABELS["code_sample"],
    )
    variant = b.segmented_control(
        "Variant",
        list(VARIANT_TITLES),
        key="code_variant",
        bind="query-params",
        default="minibatch",
        required=True,
        format_func=LABELS["code_variant"],
    )
    rule = c.selectbox(
        "Update rule",
        RULES,
        key="code_rule",
        bind="query-params",
        format_func=LABELS["code_rule"],
    )
    try:
        dataset_id, dataset = sample_dataset(key)
        settings = code_settings(dataset, variant, rule)
        trace = cache.one_run(dataset_id, settings, variant, 0, dataset)
        numpy_text = codegen.numpy_script(
            dataset, settings, variant, n_updates=trace.n_updates
        )
        torch_text = codegen.torch_script(
            dataset, settings, variant, n_updates=trace.n_updates
        )
    except GddashError as error:
        st.error(str(error))
        return
    theta = ", ".join(
        f"{name} {value:.6g}"
        for name, value in zip(dataset.feature_names, trace.theta, strict=True)
    )
    st.caption(
        f"The dashboard's run: {trace.n_updates:,} updates, status *{trace.status}*, "
        f"final loss {trace.final_loss:.6g}, θ = ({theta}). "
        f"η = {settings.descent.learning_rate:g}: 1/trace of XᵀX/m (×4 for the "
        "log-loss, ×(1 − β) for the momentum rules, whose velocity adds up to "
        "1/(1 − β) steps)."
    )
    numpy_tab, torch_tab, function_tab = st.tabs(
        ["numpy", "PyTorch", "A formula (explorer)"]
    )
    with numpy_tab:
        st.code(numpy_text, language="python", height=560)
    with torch_tab:
        st.code(torch_text, language="python", height=560)
    with function_tab:
        function_code(rule)
    a, b, c = st.columns(3)
    a.download_button(
        "numpy script",
        numpy_text,
        file_name="gddash_numpy.py",
        mime="text/x-python",
        icon=":material/download:",
        on_click="ignore",
        key="download_numpy",
    )
    b.download_button(
        "PyTorch script",
        torch_text,
        file_name="gddash_torch.py",
        mime="text/x-python",
        icon=":material/download:",
        on_click="ignore",
        key="download_torch",
    )
    c.download_button(
        "Prepared data (CSV)",
        prepared_csv(dataset_id, dataset),
        file_name=codegen.DATA_FILE,
        mime="text/csv",
        icon=":material/table:",
        on_click="ignore",
        key="download_csv",
    )


def function_code(rule: str) -> None:
    """The explorer's script for a preset formula, with the chosen rule."""
    key = st.selectbox(
        "Function",
        list(PRESETS),
        key="code_fn",
        bind="query-params",
        format_func=LABELS["code_fn"],
    )
    preset = PRESETS[key]
    settings = function_settings(key, rule=rule)
    trace = cache.function_run(preset.text, preset.variables, settings)
    text = codegen.explorer_numpy_script(preset.text, preset.variables, settings)
    st.caption(
        f"The explorer's run from {list(preset.start)} with η = "
        f"{preset.learning_rate:g} and the {RULE_TITLES[rule]} rule: "
        f"{trace.message} End point ({', '.join(f'{v:.6g}' for v in trace.theta)})."
    )
    st.code(text, language="python", height=560)
    st.download_button(
        "Explorer script",
        text,
        file_name="gddash_explorer.py",
        mime="text/x-python",
        icon=":material/download:",
        on_click="ignore",
        key="download_explorer",
    )


TYPE_TABS = {
    "Batch: all rows": batch_claims,
    "Stochastic: one row": sgd_claims,
    "Mini-batch: a few rows": minibatch_claims,
    "Cost on 250,000 rows": cost_claims,
}

# ======================================================================================
# The page
# ======================================================================================

url_asked = links.asked(URL_KEYS)
st.title("How gradient descent works")
link_notices = st.container()  # filled at the end, once the widgets have values
st.caption(
    "Each idea below sits next to a small run of the same engine that powers the "
    "other pages, so every claim comes with the numbers that back it — and, where "
    "the usual summary promises too much, with the numbers that do not."
)
section_steps()
section_ascent()
section_stopping()
section_gradient()
section_types()
section_rates()
section_local_minima()
section_code()
links.warn_ignored(url_asked, LABELS, where=link_notices)
