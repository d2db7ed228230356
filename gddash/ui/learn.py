"""How it works: the ideas behind gradient descent, each shown on a live run.

Reads top to bottom like the page: the four steps, descent and ascent, when to
stop, partial derivatives and the gradient, batch vs stochastic vs mini-batch,
the learning rate, local minima, and code to take away. The numbers come from
``gddash.lessons`` (pure, tested); this script caches them and lays them out.
"""

from __future__ import annotations

import streamlit as st

from gddash import charts, codegen, compare, data, functions, lessons, plain, titles
from gddash.compare import RULE_TITLES, VARIANT_TITLES, CompareSettings, Comparison
from gddash.data import Dataset, PrepareOptions
from gddash.engine import RULES, Settings, Trace, descend
from gddash.errors import GddashError
from gddash.lessons import TYPES_SETTINGS
from gddash.page_settings import (
    ALL_SAMPLES,
    CODE_ALPHAS,
    CODE_EPSILONS,
    CODE_SAMPLES,
    EPS_CHOICES,
    LEARN,
    LEARN_DEFAULTS,
    PRESETS,
    SAMPLES,
)
from gddash.ui import cache, links

PAGE = "learn"

# --------------------------------------------------------------------------------------
# Formulas: every LaTeX string the page renders besides those sympy prints (the
# tests find them by their F_ names). Each line stays short, for a phone.
# --------------------------------------------------------------------------------------

F_DESCENT = r"x_{k+1} = x_k - \eta\, f'(x_k)"
F_ASCENT = r"x_{k+1} = x_k + \eta\, f'(x_k)"
F_PARABOLA = r"\begin{aligned} f(x) &= x^2 + 2x + 3 \\ f'(x) &= 2x + 2 \end{aligned}"
F_SHRINK = (
    r"\begin{aligned} f'(x_{k+1}) &= 2\,(x_{k+1} + 1) \\"
    r" &= (1 - 2\eta)\, f'(x_k) \\"
    r" \Longrightarrow\quad f'(x_k) &= (1 - 2\eta)^k\, f'(x_0) \end{aligned}"
)
F_STOP = r"\text{stop when } \lvert f'(x_k) \rvert \le \varepsilon"
F_STOP_MANY = (
    r"\text{several variables: } \lVert \nabla f(\mathbf{x}_k) \rVert \le \varepsilon"
)
F_PARTIAL = (
    r"\frac{\partial f}{\partial x_i}(\mathbf{x}) = \lim_{h \to 0}"
    r"\frac{f(\mathbf{x} + h\,\mathbf{e}_i) - f(\mathbf{x})}{h}"
)
F_UNIT = (
    r"\mathbf{e}_i = (0, \ldots, 0, \underbrace{1}_{i\text{-th place}}, 0, \ldots, 0)"
)
F_NABLA = (
    r"\nabla f(\mathbf{x}) = \left( \frac{\partial f}{\partial x_1},"
    r" \ldots, \frac{\partial f}{\partial x_d} \right)"
)
F_UPDATE = r"\mathbf{x}_{k+1} = \mathbf{x}_k - \eta\, \nabla f(\mathbf{x}_k)"
F_AVERAGE = (
    r"\begin{aligned} L(\theta) &= \frac{1}{m} \sum_{i=1}^{m} \ell_i(\theta) \\"
    r" \nabla L(\theta) &= \frac{1}{m} \sum_{i=1}^{m} \nabla \ell_i(\theta)"
    r" \end{aligned}"
)
F_ESTIMATES = (
    r"\begin{aligned} g_{\text{batch}} &= \nabla L(\theta) \\"
    r" g_{\text{SGD}} &= \nabla \ell_i(\theta) \\"
    r" g_{\text{mini-batch}} &= \frac{1}{\lvert B \rvert} \sum_{i \in B}"
    r" \nabla \ell_i(\theta) \end{aligned}"
)
F_STABLE = (
    r"\begin{aligned} &0 < \eta < \frac{2}{\lambda_{\max}} \\"
    r" &\lambda_{\max}\text{: top eigenvalue of } \tfrac{1}{m} X^{\top} X"
    r" \end{aligned}"
)

# --------------------------------------------------------------------------------------
# Fixed set-ups of the demonstrations (the runs' settings live in gddash.lessons)
# --------------------------------------------------------------------------------------

# How a value is named in a link warning (and on its widget).
SHOWN = {
    "learn_eps": lambda eps: f"{eps:g}",
    "code_sample": lambda key: ALL_SAMPLES[key].title,
    "code_model": titles.MODEL.get,
    "code_epsilon": lambda value: f"{value:g}",
    "code_penalty": titles.PENALTY.get,
    "code_alpha": lambda value: f"{value:g}",
    "code_l1_ratio": lambda value: f"{value:g}",
    "code_variant": VARIANT_TITLES.get,
    "code_rule": RULE_TITLES.get,
    "code_fn": lambda key: PRESETS[key].title,
}
TYPES_SAMPLE = "line"  # 200 rows: the three variants differ visibly, in milliseconds
COST_SAMPLE = "large"  # 250,000 rows: where the cost of a full pass shows
RATE_SAMPLE = "ill_conditioned"  # an elongated bowl even after standardizing
STEP_COLOR = charts.RULE_COLORS["plain"]
UP_COLOR = charts.RULE_COLORS["momentum"]

# --------------------------------------------------------------------------------------
# Cached computations: thin wrappers over gddash.lessons, keyed on simple arguments
# --------------------------------------------------------------------------------------


def show(spec: dict) -> None:
    """A cached Vega-Lite spec as a chart, the width of its container."""
    st.vega_lite_chart(spec, width="stretch")


def table(frame, formats: dict[str, str] | None = None) -> None:
    """A frame as a table the width of its container, columns formatted by name."""
    number = st.column_config.NumberColumn
    config = {c: number(format=f) for c, f in (formats or {}).items()}
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config)


def sample_dataset(key: str) -> tuple[str, Dataset]:
    """A bundled sample prepared with its default target and features.

    Goes through the compare page's caches, so the two pages share the work.
    """
    sample = ALL_SAMPLES[key]
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


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def run_on(dataset_id: str, settings: Settings, _problem) -> Trace:
    """The engine's run of ``settings`` on the sample ``dataset_id`` (shared)."""
    return descend(_problem, settings)


def on_sample(key: str) -> tuple[Dataset, dict]:
    """A sample and the keyword arguments of its lessons: problem, optimum, runs."""
    dataset_id, dataset = sample_dataset(key)
    return dataset, {
        "problem": cache.problem(dataset_id, dataset),
        "optimum": cache.optimum(dataset_id, dataset),
        "run_one": lambda problem, settings: run_on(dataset_id, settings, problem),
    }


def comparison_of(key: str, settings: CompareSettings) -> Comparison:
    """``compare.run`` on a sample, each run cached."""
    dataset, shared = on_sample(key)
    return compare.run(dataset, settings, **shared)


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def gradient_errors(key: str, sizes: tuple[int, ...]):
    """How far gradients of batches of each size are from the full gradient."""
    dataset, shared = on_sample(key)
    return lessons.gradient_errors(dataset, sizes, problem=shared["problem"])


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def batch_size_sweep(key: str, sizes: tuple[int, ...]):
    """The sweep's table and its chart's spec."""
    dataset, shared = on_sample(key)
    sweep = lessons.batch_size_sweep(dataset, sizes, **shared)
    chart = charts.batch_size_sweep(sweep, TYPES_SETTINGS.epochs)
    return sweep, lessons.spec_of(chart)


@st.cache_data(
    max_entries=2, ttl=3600, show_spinner="Timing one epoch on 250,000 rows…"
)
def cost_table():
    """The cost table of the large sample and the seconds of building XᵀX."""
    dataset, shared = on_sample(COST_SAMPLE)
    one_pass = lessons.seconds_to_build(dataset)
    return lessons.cost_table(dataset, **shared), one_pass


@st.cache_data(max_entries=2, ttl=3600, show_spinner=False)
def rate_lesson(key: str) -> lessons.RateLesson:
    """Batch descent at three rates around the sample's stable limit 2/λ_max."""
    dataset, shared = on_sample(key)
    return lessons.rate_lesson(dataset, **shared)


@st.cache_data(max_entries=1, ttl=3600, show_spinner=False)
def types_view() -> tuple[Comparison, dict, dict]:
    """The batch / SGD / mini-batch comparison and its two charts' specs."""
    types = comparison_of(TYPES_SAMPLE, TYPES_SETTINGS)
    return (
        types,
        lessons.spec_of(charts.loss_curves(types, x="epochs")),
        lessons.spec_of(charts.gradient_norms(types, x="epochs")),
    )


def preset_run(key: str, **changes) -> Trace:
    """The engine's run on a preset formula (the explorer's cache)."""
    preset = PRESETS[key]
    settings = lessons.function_settings(preset, **changes)
    return cache.function_run(preset.text, preset.variables, settings)


def preset_function(key: str) -> functions.SymbolicFunction:
    """A preset's parsed formula (the explorer's cache)."""
    preset = PRESETS[key]
    return cache.symbolic(preset.text, preset.variables)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def epsilon_view(eps: float) -> tuple[Trace, dict]:
    """The parabola's descent stopped at ε, and its |f′| chart."""
    trace = preset_run("parabola", eps=eps)
    return trace, lessons.spec_of(charts.slope_decay(trace, eps))


@st.cache_data(max_entries=32, ttl=3600, show_spinner="Running it…")
def code_export(
    key: str,
    variant: str,
    rule: str,
    model: str,
    epsilon: float,
    penalty: str,
    alpha: float,
    l1_ratio: float,
) -> codegen.CodeExport:
    """The code section's run on a sample and the scripts that redo it."""
    choice = codegen.CodeChoice(
        model=model,
        epsilon=epsilon,
        penalty=None if penalty == "none" else penalty,
        alpha=alpha,
        l1_ratio=l1_ratio,
    )
    _, dataset = sample_dataset(key)
    if model != dataset.task or choice.penalty is not None:
        # Another objective than the shared problem's: code_export builds its own.
        return codegen.code_export(dataset, variant, rule, choice)
    dataset, shared = on_sample(key)
    return codegen.code_export(dataset, variant, rule, choice, **shared)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def prepared_csv(dataset_id: str, _dataset: Dataset) -> bytes:
    """The CSV the generated scripts read, once per prepared dataset."""
    return codegen.prepared_csv(_dataset)


def contour(key: str, title: str, **options):
    """A preset's contours with the engine's path from its start, and the run."""
    trace = preset_run(key)
    figure = lessons.contour_with_path(
        preset_function(key), PRESETS[key], trace, title, color=STEP_COLOR, **options
    )
    return figure, trace


# ======================================================================================
# The sections of the page, top to bottom
# ======================================================================================


def section_steps() -> None:
    """The four steps, next to a descent on the seed's parabola."""
    st.header("The idea in four steps")
    preset = PRESETS["parabola"]
    x0, rate = preset.start[0], preset.learning_rate
    parabola = preset_run("parabola")
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
        figure = lessons.curve_with_paths(
            preset_function("parabola"),
            (-3.5, 3.5),
            [(parabola, f"descent, η = {rate:g}", STEP_COLOR)],
            f"Descent from x₀ = {x0:g}",
            y_range=(0.0, 20.0),
            height=360,
        )
        st.plotly_chart(figure, key="steps_curve", width="stretch")
    table(lessons.first_steps(parabola))
    st.caption(
        f"The first steps: each one is −η·f′(x_k) = −{rate:g}·f′(x_k), so they "
        f"shrink as the slope flattens. The run stopped after {parabola.n_updates} "
        "updates at "
        f"x = {parabola.theta[0]:.6f} (the minimum is at −1). "
        + plain.literal(parabola.message)
    )


def section_ascent() -> None:
    """Add or subtract the derivative: one start, two directions."""
    st.header("Downhill or uphill: descent and ascent")
    well = PRESETS["double_well"]
    down = preset_run("double_well", theta0=(0.6,))
    up = preset_run("double_well", theta0=(0.6,), maximize=True)
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
        figure = lessons.curve_with_paths(
            preset_function("double_well"),
            (-2.2, 2.2),
            [
                (down, "descent: x − η f′(x)", STEP_COLOR),
                (up, "ascent: x + η f′(x)", UP_COLOR),
            ],
            "Same start, opposite signs",
            y_range=(-5.0, 6.0),
            height=380,
        )
        st.plotly_chart(figure, key="ascent_curve", width="stretch")


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
    st.latex(F_STOP_MANY)
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
    stalled = preset_run("parabola", eps=0.0)
    exact_zero = preset_run("parabola", eps=0.0, learning_rate=0.3)
    rate = PRESETS["parabola"].learning_rate
    st.markdown(lessons.floating_point_story(stalled, exact_zero, rate))


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
            format_func=SHOWN["learn_eps"],
            key="learn_eps",
        )
    )
    links.publish(link)  # a fragment's rerun does not reach the page's end
    trace, spec = epsilon_view(eps)
    show(spec)
    st.markdown(
        f"With ε = {eps:g}: **{trace.n_updates} updates**, status *{trace.status}*. "
        f"{plain.literal(trace.message)} The last recorded points:"
    )
    table(lessons.last_steps(trace))


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
        for formula in lessons.gradient_vector_latex(preset_function("bowl")):
            st.latex(formula)
    with right:
        round_tab, long_tab = st.tabs(
            ["Round bowl x² + y²", "Elongated bowl x² + 10y²"]
        )
        with round_tab:
            figure, bowl = contour("bowl", "Arrows: −∇f, steepest way down")
            st.plotly_chart(figure, key="bowl_contour", width="stretch")
            st.caption(
                "On a round bowl every contour is a circle and −∇f points straight "
                f"at the minimum: the path goes there directly ({bowl.n_updates} "
                "updates)."
            )
        with long_tab:
            figure, long_bowl = contour(
                "elongated_bowl", "Arrows cross contours at right angles"
            )
            st.plotly_chart(figure, key="elongated_contour", width="stretch")
            st.caption(
                "The gradient is perpendicular to the contour line, which is *not* "
                "the direction of the minimum once the bowl is stretched: the path "
                "zig-zags across the steep y direction and creeps along x "
                f"({long_bowl.n_updates} updates). −∇f is the steepest way down "
                "*locally*, not a pointer to the minimum."
            )
    exact, quotients = lessons.difference_quotients(
        preset_function("himmelblau"), (1.0, 2.0)
    )
    st.markdown(
        "**The definition, live.** Difference quotients of Himmelblau's function "
        "at (1, 2) approach the exact partial derivatives "
        f"({exact[0]:g}, {exact[1]:g}) as h shrinks — until h is so small that "
        "rounding in f(x + h eᵢ) − f(x) takes over and the error grows again."
    )
    table(quotients, {"error along x": "%.3g", "error along y": "%.3g"})


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
    errors = gradient_errors(TYPES_SAMPLE, (1, TYPES_SETTINGS.batch_size, 200))
    st.markdown(lessons.batch_story(types, errors))
    table(errors, {"mean error": "percent", "worst error": "percent"})
    st.markdown(
        "**− Computationally expensive, memory intensive.** Each update reads every "
        "row: a full pass over the data per step, rows × features × 8 bytes of "
        "input. The *Cost* tab times one epoch of each variant on 250,000 rows, and "
        "shows where this claim holds and where it does not."
    )


def sgd_claims(types: Comparison) -> None:
    decaying = comparison_of(TYPES_SAMPLE, lessons.DECAYING_SGD).primary("sgd")
    st.markdown(lessons.sgd_story(types, decaying))


def minibatch_claims(types: Comparison) -> None:
    sweep, spec = batch_size_sweep(TYPES_SAMPLE, lessons.SWEEP_SIZES)
    st.markdown(lessons.minibatch_story(sweep, TYPES_SETTINGS.epochs))
    left, right = st.columns([1, 1], gap="large")
    with left:
        show(spec)
    with right:
        formats = {"gap to optimum": "%.3g", "loss rose on": "percent"}
        table(sweep, formats | {"seconds": "%.2g"})


def cost_claims(types: Comparison) -> None:
    cost, one_pass = cost_table()
    st.markdown(
        "One epoch of each variant on the "
        f"'{plain.literal(SAMPLES[COST_SAMPLE].title)}' sample (mini-batches of "
        f"{lessons.COST_SETTINGS.batch_size}); memory per update is the input an "
        "update reads at once, rows × features × 8 bytes."
    )
    table(
        cost,
        {
            "bytes per update": "%d",
            "seconds for the epoch": "%.3g",
            "µs per update": "%.3g",
            "loss after the epoch": "%.5g",
            "gap to optimum": "%.3g",
        },
    )
    st.markdown(lessons.cost_story(cost, one_pass))


def section_rates() -> None:
    """Three learning rates around the data-derived limit 2/λ_max."""
    st.header("The learning rate: too small, about right, too large")
    lesson = rate_lesson(RATE_SAMPLE)
    st.markdown(
        "For batch descent on the squared loss the safe range follows from the "
        "data: the loss is a bowl whose steepest curvature is the largest "
        "eigenvalue λ_max of XᵀX/m, and plain descent converges exactly when"
    )
    st.latex(F_STABLE)
    st.caption(
        f"Live: batch descent on the '{plain.literal(SAMPLES[RATE_SAMPLE].title)}' "
        f"sample (standardized, {lesson.n_features} parameters): λ_max = "
        f"{lesson.top:.4g}, so the limit is 2/λ_max = {lesson.limit:.4g}. Each run "
        f"gets {lessons.RATE_UPDATES:g} updates; the charts show the gap to the "
        "optimal loss on a log axis."
    )
    for column, run in zip(st.columns(len(lesson.runs)), lesson.runs, strict=True):
        with column:
            st.markdown(f"**{run.label}**: η = {run.learning_rate:g}")
            show(run.spec)
            say = st.error if run.status == "diverged" else st.info
            say(plain.literal(run.message))
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
    figure, stuck = contour(
        "rastrigin",
        "Rastrigin: descent from (2.3, −1.6)",
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
def section_code(link: links.Link) -> None:
    """Pick a sample, model, penalty, variant and rule: the run, and its scripts."""
    st.header("Take the code with you")
    st.markdown(
        "Pick a bundled sample, a model, a penalty, a variant and an update rule. "
        f"The dashboard runs it ({codegen.CODE_EPOCHS:g} epochs, mini-batches of "
        f"{codegen.CODE_BATCH}, shuffled with seed 0, a learning rate chosen for "
        "the rule) and writes a numpy script and a PyTorch script that redo exactly "
        "that run: same prepared data, same row order, same formulas, the penalty "
        "applied the same way. Run either next to the prepared CSV and it prints "
        "the same final θ to about 1e-8."
    )
    a, b = st.columns([3, 2])
    key = a.selectbox(
        "Sample",
        list(CODE_SAMPLES),
        key="code_sample",
        format_func=SHOWN["code_sample"],
    )
    try:
        dataset_id, dataset = sample_dataset(key)
    except GddashError as error:
        st.error(plain.literal(str(error)))
        return
    models = codegen.models_for(dataset)
    links.place(link, "code_model", models, dataset.task)
    model = b.selectbox(
        "Model",
        models,
        key="code_model",
        format_func=SHOWN["code_model"],
        help="What the target suits: least squares or Huber's robust loss for a "
        "number, logistic regression for two classes, softmax for more.",
    )
    c, d, e, f = st.columns(4)
    penalty = c.selectbox(
        "Penalty",
        list(titles.PENALTY),
        key="code_penalty",
        format_func=SHOWN["code_penalty"],
        help="Added to the mean loss as scikit-learn adds it; the intercept is "
        "not penalised.",
    )
    alpha = d.number_input(
        "α (strength)",
        min_value=CODE_ALPHAS[0],
        max_value=CODE_ALPHAS[1],
        format="%g",
        key="code_alpha",
        disabled=penalty == "none",
    )
    l1_ratio = e.number_input(
        "ρ (L1 share)",
        min_value=0.0,
        max_value=1.0,
        step=0.05,
        format="%g",
        key="code_l1_ratio",
        disabled=penalty != "elasticnet",
    )
    epsilon = f.number_input(
        "Huber's ε",
        min_value=CODE_EPSILONS[0],
        max_value=CODE_EPSILONS[1],
        format="%g",
        key="code_epsilon",
        disabled=model != "huber",
        help="Where the loss turns from quadratic to linear, in units of the target.",
    )
    g, h = st.columns([2, 1])
    variant = g.segmented_control(
        "Variant",
        list(VARIANT_TITLES),
        key="code_variant",
        required=True,
        format_func=SHOWN["code_variant"],
    )
    rule = h.selectbox(
        "Update rule",
        RULES,
        key="code_rule",
        format_func=SHOWN["code_rule"],
    )
    try:
        export = code_export(
            key, variant, rule, model, epsilon, penalty, alpha, l1_ratio
        )
    except GddashError as error:
        st.error(plain.literal(str(error)))
        return
    trace = export.trace
    names = dataset.feature_names
    if export.model == "softmax":
        names = [f"{label}:{name}" for label in dataset.class_labels for name in names]
    theta = ", ".join(
        f"{name} {value:.6g}" for name, value in zip(names, trace.theta, strict=True)
    )
    st.caption(
        f"The dashboard's run: {trace.n_updates:,} updates, status *{trace.status}*, "
        f"final loss {trace.final_loss:.6g}, θ = ({plain.literal(theta)}). "
        f"η = {export.rate.learning_rate:g}: {plain.literal(export.rate.reason)}"
    )
    numpy_tab, torch_tab, function_tab = st.tabs(
        ["numpy", "PyTorch", "A formula (explorer)"]
    )
    with numpy_tab:
        st.code(export.numpy_text, language="python", height=560)
    with torch_tab:
        st.code(export.torch_text, language="python", height=560)
    with function_tab:
        function_code(rule)
    if export.check is not None:  # said before the downloads, not after
        st.warning(
            plain.literal(export.check.text)
            + f" In the scripts, η is {plain.code('LEARNING_RATE')}.",
            icon=":material/warning:",
        )
    downloads = (
        ("numpy script", export.numpy_text, "gddash_numpy.py", "download_numpy"),
        ("PyTorch script", export.torch_text, "gddash_torch.py", "download_torch"),
        ("Prepared data (CSV)", None, codegen.DATA_FILE, "download_csv"),
    )
    for column, (label, text, name, key) in zip(st.columns(3), downloads, strict=True):
        csv = text is None
        column.download_button(
            label,
            prepared_csv(dataset_id, dataset) if csv else text,
            file_name=name,
            mime="text/csv" if csv else "text/x-python",
            icon=":material/table:" if csv else ":material/download:",
            on_click="ignore",
            key=key,
        )


def function_code(rule: str) -> None:
    """The explorer's script for a preset formula, with the chosen rule."""
    key = st.selectbox(
        "Function",
        list(PRESETS),
        key="code_fn",
        format_func=SHOWN["code_fn"],
    )
    preset = PRESETS[key]
    settings = lessons.function_settings(preset, rule=rule)
    trace = cache.function_run(preset.text, preset.variables, settings)
    text = codegen.explorer_numpy_script(preset.text, preset.variables, settings)
    st.caption(
        f"The explorer's run from {list(preset.start)} with η = "
        f"{preset.learning_rate:g} and the {RULE_TITLES[rule]} rule: "
        f"{plain.literal(trace.message)} End point "
        f"({', '.join(f'{v:.6g}' for v in trace.theta)})."
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

link = links.open_link(PAGE, LEARN)
links.settle(link, LEARN_DEFAULTS, LEARN_DEFAULTS)
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
section_code(link)
links.publish(link)
links.warn(link, SHOWN, where=link_notices)
