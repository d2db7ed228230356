"""Explore a surface: type f(x, y) or f(x), see its gradient, and step down (or up).

Reads top to bottom like the page: function, settings, symbolic panel, the
surface with an in-browser animation, then a step scrubber with read-outs.
Every setting is bound to the URL, so a link reproduces the exact run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import sympy

from gddash import charts, functions
from gddash.compare import RULE_TITLES
from gddash.engine import RULES, Settings, Trace
from gddash.errors import GddashError
from gddash.ui import cache, links

PRESETS = {p.key: p for p in functions.PRESETS}
MAX_ITERATIONS = 10_000
LABELS = {
    "preset": lambda key: PRESETS[key].title,
    "dim": {"2": "f(x, y)", "1": "f(x)"}.get,
    "goal": {"minimize": "Descend (minimise)", "maximize": "Ascend (maximise)"}.get,
    "rules": RULE_TITLES.get,
}
# Keys differ from the compare page's: widget state is shared across pages.
URL_KEYS = (
    "preset",
    "f",
    "dim",
    "x0",
    "y0",
    "eta",
    "epsilon",
    "iters",
    "goal",
    "rules",
)
STATUS = {
    "converged": "Converged: ‖∇f‖ ≤ ε",
    "diverged": "Diverged",
    "max_iter": "Max iterations",
}
# The update rules written out (θ is the point, g = ∇f(θ_k) for descent).
RULE_LATEX = {
    "momentum": r"""\begin{aligned} m_{k+1} &= \beta\, m_k + g_k \\
        \theta_{k+1} &= \theta_k \mp \eta\, m_{k+1} \end{aligned}""",
    "nesterov": r"""\begin{aligned} m_{k+1} &= \beta\, m_k + g_k \\
        \theta_{k+1} &= \theta_k \mp \eta\,(g_k + \beta\, m_{k+1}) \end{aligned}""",
    "adagrad": r"""\begin{aligned} v_{k+1} &= v_k + g_k^2 \\
        \theta_{k+1} &= \theta_k \mp \eta\, g_k / (\sqrt{v_{k+1}} + \epsilon)
        \end{aligned}""",
    "rmsprop": r"""\begin{aligned} v_{k+1} &= \beta_2 v_k + (1-\beta_2)\, g_k^2 \\
        \theta_{k+1} &= \theta_k \mp \eta\, g_k / (\sqrt{v_{k+1}} + \epsilon)
        \end{aligned}""",
    "adam": r"""\begin{aligned} m_{k+1} &= \beta_1 m_k + (1-\beta_1)\, g_k,\quad
        v_{k+1} = \beta_2 v_k + (1-\beta_2)\, g_k^2 \\
        \theta_{k+1} &= \theta_k \mp \eta\, \hat m_{k+1} / (\sqrt{\hat v_{k+1}}
        + \epsilon),\quad \hat m = m / (1-\beta_1^{k+1}),\
        \hat v = v / (1-\beta_2^{k+1}) \end{aligned}""",
}


def adopt_preset(key: str) -> None:
    """On a new preset choice, load its formula, start, rate and goal (before widgets).

    On a session's first run a shared link's own values win over the preset's.
    """
    if st.session_state.get("_preset") == key:
        return
    first = "_preset" not in st.session_state
    st.session_state["_preset"] = key
    preset = PRESETS[key]
    values = {
        "f": preset.text,
        "dim": str(len(preset.variables)),
        "x0": float(preset.start[0]),
        "y0": float(preset.start[1]) if len(preset.start) > 1 else 0.0,
        "eta": float(preset.learning_rate),
        "goal": preset.goal,
    }
    for name, value in values.items():
        if not first or (name not in st.session_state and name not in st.query_params):
            st.session_state[name] = value


def fmt(value: float) -> str:
    """Two decimals like the seed's read-outs, scientific when that would hide it."""
    if not np.isfinite(value):
        return str(value)
    if value == 0 or 0.01 <= abs(value) < 1e5:
        return f"{value:.2f}"
    return f"{value:.3g}"


def vector(values) -> str:
    return "(" + ", ".join(fmt(v) for v in values) + ")"


def status_at(trace: Trace, k: int) -> str:
    return "Running" if k < len(trace.updates) - 1 else STATUS[trace.status]


def readout_caption(trace: Trace, title: str = ""):
    """Read-outs of step k as one line, for the in-browser animation."""
    who = f"{title}, " if title else ""

    def caption(k: int) -> str:
        k = min(k, len(trace.updates) - 1)
        return (
            f"{who}step {trace.updates[k]}: position {vector(trace.path[k])}, "
            f"f = {fmt(trace.loss[k])}, ‖∇f‖ = {fmt(trace.grad_norm[k])}, "
            f"<b>{status_at(trace, k)}</b>"
        )

    return caption


def plot_domain(preset, text, variables, traces) -> tuple[float, ...]:
    """The preset's window, widened to hold every (finite, sane) path point."""
    if preset.text == text and preset.variables == variables:
        lo_x, hi_x, lo_y, hi_y = preset.domain
    else:
        lo_x = hi_x = lo_y = hi_y = None
    points = np.vstack([t.path for t in traces])
    # The start inputs allow |x| <= 1e6, so that much is sane; beyond is a blow-up.
    sane = np.isfinite(points).all(axis=1) & (np.abs(points) <= 1e6).all(axis=1)
    points = points[sane]
    if len(points) == 0:  # every point blew up: show the usual window
        points = np.array([[-3.0, -3.0], [3.0, 3.0]])[:, : len(variables)]
    xs = points[:, 0]
    lo_x = min(xs.min(), lo_x if lo_x is not None else np.inf)
    hi_x = max(xs.max(), hi_x if hi_x is not None else -np.inf)
    span = max(hi_x - lo_x, 2.0)
    lo_x, hi_x = lo_x - 0.15 * span, hi_x + 0.15 * span
    if len(variables) == 1:
        return lo_x, hi_x, lo_y, hi_y
    ys = points[:, 1]
    lo_y = min(ys.min(), lo_y if lo_y is not None else np.inf)
    hi_y = max(ys.max(), hi_y if hi_y is not None else -np.inf)
    span = max(hi_y - lo_y, 2.0)
    return lo_x, hi_x, lo_y - 0.15 * span, hi_y + 0.15 * span


def update_latex(f, variables, rule: str, rate: float, goal: str) -> str:
    """The update with the user's numbers, e.g. x_{k+1} = x_k − 0.01 (2 x_k).

    Other rules are written with g_k = ∇f(θ_k) and the engine's default
    constants (β = 0.9, β₂ = 0.999), which the explorer runs them with.
    """
    defaults = Settings()
    sign = "-" if goal == "minimize" else "+"
    if rule != "plain":
        return (
            RULE_LATEX[rule]
            .replace(r"\mp", sign)
            .replace(r"\eta", f"{rate:g}")
            .replace(r"\beta_1", f"{defaults.momentum:g}")
            .replace(r"\beta_2", f"{defaults.beta2:g}")
            .replace(r"\beta", f"{defaults.momentum:g}")
        )
    now = {sympy.Symbol(v): sympy.Symbol(f"{v}_k") for v in variables}
    lines = []
    for v, partial in zip(variables, f.gradient_exprs, strict=True):
        substituted = sympy.latex(partial.xreplace(now))
        lines.append(
            rf"{v}_{{k+1}} &= {v}_k {sign} {rate:g}\,"
            rf"\frac{{\partial f}}{{\partial {v}}} = {v}_k {sign} {rate:g}"
            rf"\left({substituted}\right)"
        )
    return r"\begin{aligned}" + r" \\[6pt] ".join(lines) + r"\end{aligned}"


def step_table(trace: Trace, variables) -> pd.DataFrame:
    table = {"step": trace.updates}
    for j, v in enumerate(variables):
        table[v] = trace.path[:, j]
    table["f"] = trace.loss
    for j, v in enumerate(variables):
        table[f"∂f/∂{v}"] = trace.gradient[:, j]
    table["‖∇f‖"] = trace.grad_norm
    return pd.DataFrame(table)


# ---------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------

url_asked = links.asked(URL_KEYS)

st.title("Explore a function")
st.caption(
    "Type any f(x, y) or f(x), or start from a preset. gddash differentiates it "
    "symbolically, then steps against the gradient (or along it, to climb) from "
    "your start point. Drag the 3-D surface to turn it; press Play to watch the "
    "steps; move the step slider to read every number along the way."
)

preset_key = st.selectbox(
    "Preset",
    list(PRESETS),
    key="preset",
    bind="query-params",
    format_func=LABELS["preset"],
)
adopt_preset(preset_key)
preset = PRESETS[preset_key]
if st.session_state.get("f", preset.text) == preset.text:
    st.caption(preset.note)
else:
    st.caption(f"Your own formula (the start point and rate came from {preset.title}).")

left, right = st.columns([3, 1])
text = left.text_input(
    "f =",
    key="f",
    bind="query-params",
    max_chars=functions.MAX_LENGTH,
    help="Use x and y, + − * / ^, numbers, pi, e and "
    + " ".join(functions.FUNCTION_NAMES)
    + ". 2x and 2(x+1) work.",
)
dim = right.radio(
    "Variables",
    ["2", "1"],
    key="dim",
    bind="query-params",
    horizontal=True,
    format_func=LABELS["dim"],
)
variables = ("x", "y") if dim == "2" else ("x",)

cols = st.columns(6)
x0 = cols[0].number_input(
    "Start x", -1e6, 1e6, key="x0", bind="query-params", format="%g"
)
# Always drawn (greyed out for f(x)), so y0 exists even when a refused 1-variable
# formula falls back to the last valid 2-variable function.
y0 = cols[1].number_input(
    "Start y",
    -1e6,
    1e6,
    key="y0",
    bind="query-params",
    format="%g",
    disabled=dim == "1",
)
rate = cols[2].number_input(
    "Learning rate η", 1e-9, 1e6, key="eta", bind="query-params", format="%g"
)
eps = cols[3].number_input(
    "ε on ‖∇f‖", 0.0, 1e6, 1e-6, key="epsilon", bind="query-params", format="%.0e"
)
iterations = cols[4].number_input(
    "Max iterations", 1, MAX_ITERATIONS, 1000, key="iters", bind="query-params"
)
goal = cols[5].radio(
    "Direction",
    ["minimize", "maximize"],
    key="goal",
    bind="query-params",
    format_func=LABELS["goal"],
)
rules = st.multiselect(
    "Update rules (each runs from the same start, in its own colour)",
    RULES,
    default=["plain"],
    key="rules",
    bind="query-params",
    format_func=LABELS["rules"],
)

links.warn_ignored(url_asked, LABELS)
if not rules:
    st.info("Choose at least one update rule to run.")
    st.stop()

# The function: a refused formula keeps the last valid one on screen.
try:
    f = cache.symbolic(text, variables)
    st.session_state["_valid_function"] = (text, variables)
except GddashError as error:
    st.error(f"**That formula was refused.** {error}")
    if "_valid_function" not in st.session_state:
        st.stop()
    text, variables = st.session_state["_valid_function"]
    f = cache.symbolic(text, variables)
    st.caption(f"Still showing the last valid function: f = {text}")

start = (float(x0), float(y0)) if len(variables) == 2 else (float(x0),)
traces = {}
for rule in rules:
    settings = Settings(
        learning_rate=float(rate),
        max_epochs=int(iterations),
        eps=float(eps),
        rule=rule,
        maximize=goal == "maximize",
        theta0=start,
        max_points=int(iterations) + 1,
    )
    traces[rule] = cache.function_run(text, variables, settings)

# Symbolic panel ---------------------------------------------------------------------
args = ", ".join(variables)
with st.container(border=True):
    a, b = st.columns(2)
    a.latex(rf"f({args}) = {f.latex()}")
    for v, partial in zip(variables, f.gradient_latex(), strict=True):
        a.latex(rf"\frac{{\partial f}}{{\partial {v}}} = {partial}")
    b.latex(
        r"\nabla f = \begin{pmatrix}"
        + r" \\ ".join(f.gradient_latex())
        + r"\end{pmatrix}"
    )
    for rule in rules:
        st.markdown(f"**{RULE_TITLES[rule]}** update, with g = ∇f at the current point")
        st.latex(update_latex(f, variables, rule, float(rate), goal))

# Pictures ----------------------------------------------------------------------------
lo_x, hi_x, lo_y, hi_y = plot_domain(preset, text, variables, traces.values())
paths = []
for rule, trace in traces.items():
    keep = np.isfinite(trace.path).all(axis=1) & np.isfinite(trace.loss)
    first_y = trace.path[keep, 1] if len(variables) == 2 else trace.loss[keep]
    paths.append(
        charts.Path3D(
            RULE_TITLES[rule],
            trace.path[keep, 0],
            first_y,
            trace.loss[keep],
            charts.RULE_COLORS[rule],
            steps=trace.updates[keep],
        )
    )

if len(variables) == 2:
    xs, ys = np.linspace(lo_x, hi_x, 80), np.linspace(lo_y, hi_y, 80)
    Z = f.values_on_grid(*np.meshgrid(xs, ys))
    grid = charts.SurfaceGrid(xs, ys, Z, "x", "y", z_name="f", note="")
    coarse_x, coarse_y = np.linspace(lo_x, hi_x, 15), np.linspace(lo_y, hi_y, 15)
    gx, gy = f.gradients_on_grid(*np.meshgrid(coarse_x, coarse_y))
    arrows = charts.arrow_field(coarse_x, coarse_y, gx, gy)
    surface = charts.surface_figure(grid, paths, title=f"f(x, y) = {text}", height=560)
    st.plotly_chart(
        charts.animate_paths(
            surface,
            paths,
            three_d=True,
            caption=readout_caption(
                traces[rules[0]], RULE_TITLES[rules[0]] if len(rules) > 1 else ""
            ),
        ),
        key="surface",
        width="stretch",
    )
else:
    xs = np.linspace(lo_x, hi_x, 400)
    fx = f.values_on_grid(xs)
    finite = fx[np.isfinite(fx)]
    y_range = None
    if preset.text == text and preset.variables == variables:
        y_range = preset.domain[2:]
    elif finite.size:
        spread = finite.max() - finite.min() or 1.0
        y_range = (finite.min() - 0.1 * spread, finite.max() + 0.1 * spread)


@st.fragment
def stepper() -> None:
    """Scrub through the steps: read-outs, contour or tangent, per-step table."""
    shown = rules[0]
    if len(rules) > 1:
        shown = st.selectbox(
            "Read-outs for", rules, format_func=RULE_TITLES.get, key="readout_rule"
        )
    trace = traces[shown]
    last = len(trace.updates) - 1
    st.caption(
        "The figure's Play button and slider run in your browser; this Step slider "
        "reads out any step below."
    )
    k = st.slider("Step", 0, max(last, 1), 0, key="step", disabled=last == 0)
    k = min(k, last)
    point, value, grad = trace.path[k], trace.loss[k], trace.gradient[k]
    # Vectors get half a row each: tiny coordinates print long (e.g. 4.42e-07).
    top, bottom = st.columns(2), st.columns(3)
    top[0].metric("Position", vector(point))
    top[1].metric("Gradient", vector(grad))
    bottom[0].metric("Value", fmt(value))
    bottom[1].metric("‖∇f‖", fmt(float(np.linalg.norm(grad))))
    bottom[2].metric("Learning rate", f"{trace.learning_rate[k]:g}")
    st.metric("Status", status_at(trace, k))
    if len(variables) == 2:
        st.plotly_chart(
            charts.contour_figure(
                grid,
                [path.thinned() for path in paths],  # static lines: a few hundred
                title="Contours; arrows point downhill (−∇f)",
                arrows=arrows,
                current_point=(point[0], point[1], value),
            ),
            key="contours",
            width="stretch",
        )
    else:
        figure = charts.curve_figure(
            xs,
            fx,
            paths,
            title=f"f(x) = {text}",
            y_range=y_range,
            current=(point[0], value, grad[0]),
        )
        st.plotly_chart(
            charts.animate_paths(
                figure, paths, three_d=False, caption=readout_caption(trace)
            ),
            key="curve",
            width="stretch",
        )
    table = step_table(trace, variables)
    with st.expander(f"Every step of {RULE_TITLES[shown]} ({len(table)} rows)"):
        st.dataframe(table, hide_index=True, width="stretch", height=300)
        st.download_button(
            "Steps (CSV)",
            table.to_csv(index=False).encode(),
            file_name=f"gddash-steps-{shown}.csv",
            on_click="ignore",
            mime="text/csv",
            icon=":material/download:",
        )


stepper()

# Where it ended --------------------------------------------------------------------
st.subheader("Where each path stopped")
for rule, trace in traces.items():
    end = trace.path[-1]
    line = f"**{RULE_TITLES[rule]}** — {trace.message}"
    if np.isfinite(end).all() and trace.status != "diverged":
        kind = f.classify_point(end)
        line += (
            f" It stopped at {vector(end)}, f = {fmt(trace.loss[-1])}. {kind.sentence}"
        )
    st.markdown(line)
