"""Explore a surface: type f(x, y) or f(x), see its gradient, and step down (or up).

Reads top to bottom like the page: function, settings, symbolic panel, the
surface with an in-browser animation, then a step scrubber with read-outs.
Every setting is written to the address bar, so a link reproduces the exact run.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from gddash import charts, export, functions, limits, plain, readouts, titles
from gddash.engine import RULES, Settings
from gddash.errors import GddashError
from gddash.page_settings import (
    EXPLORER,
    EXPLORER_DEFAULTS,
    MAX_ITERATIONS,
    PRESET_KEYS,
    PRESETS,
    START_RANGE,
    preset_values,
)
from gddash.readouts import fmt, vector
from gddash.ui import cache, links

PAGE = "explore"
SHOWN = {
    "preset": lambda key: PRESETS[key].title,
    "dim": titles.DIMENSION.get,
    "goal": titles.GOAL.get,
    "rules": titles.RULE.get,
}


def settle_preset(link: links.Link) -> str:
    """The preset, and on a new preset choice its formula, start, rate and goal.

    On the page's first run a link's own formula and start win over its preset's.
    """
    links.settle(link, ["preset"], EXPLORER_DEFAULTS)
    key = st.session_state["preset"]
    if st.session_state.get("_preset") not in (None, key):
        links.forget(PAGE, PRESET_KEYS)  # a new choice: the preset's values apply
    st.session_state["_preset"] = key
    links.settle(link, PRESET_KEYS, preset_values(key))
    links.settle(link, EXPLORER_DEFAULTS, EXPLORER_DEFAULTS)
    return key


# ---------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------

link = links.open_link(PAGE, EXPLORER)

st.title("Explore a function", anchor=False)
st.caption(
    "Type any f(x, y) or f(x), or start from a preset. gddash differentiates it "
    "symbolically, then steps against the gradient (or along it, to climb) from "
    "your start point. Drag the 3-D surface to turn it; press Play to watch the "
    "steps; move the step slider to read every number along the way."
)
link_notices = st.container()

preset_key = settle_preset(link)
st.selectbox("Preset", list(PRESETS), key="preset", format_func=SHOWN["preset"])
preset = PRESETS[preset_key]
if st.session_state["f"] == preset.text:
    st.caption(preset.note)
else:
    st.caption(f"Your own formula (the start point and rate came from {preset.title}).")

left, right = st.columns([3, 1])
text = left.text_input(
    "f =",
    key="f",
    max_chars=functions.MAX_LENGTH,
    help="Use x and y, + − * / ^, numbers, pi, e and "
    + " ".join(functions.FUNCTION_NAMES)
    + ". 2x and 2(x+1) work.",
)
dim = right.radio(
    "Variables",
    list(titles.DIMENSION),
    key="dim",
    horizontal=True,
    format_func=SHOWN["dim"],
)
variables = ("x", "y") if dim == "2" else ("x",)

cols = st.columns(3)
x0 = cols[0].number_input("Start x", *START_RANGE, key="x0", format="%g")
# Always drawn (greyed out for f(x)), so y0 exists even when a refused 1-variable
# formula falls back to the last valid 2-variable function.
y0 = cols[1].number_input(
    "Start y", *START_RANGE, key="y0", format="%g", disabled=dim == "1"
)
rate = cols[2].number_input("Learning rate η", 1e-9, 1e6, key="eta", format="%g")
cols = st.columns(3)
eps = cols[0].number_input("ε on ‖∇f‖", 0.0, 1e6, key="epsilon", format="%.0e")
iterations = cols[1].number_input("Max iterations", 1, MAX_ITERATIONS, key="iters")
goal = cols[2].radio(
    "Direction", list(titles.GOAL), key="goal", format_func=SHOWN["goal"]
)
rules = st.multiselect(
    "Update rules (each runs from the same start, in its own colour)",
    RULES,
    key="rules",
    format_func=SHOWN["rules"],
)
links.publish(link)
links.warn(link, SHOWN, where=link_notices)
if not rules:
    st.info("Choose at least one update rule to run.")
    st.stop()
steps = len(rules) * int(iterations)
if steps > limits.EXPLORER_STEPS:
    most = limits.EXPLORER_STEPS // len(rules)
    st.warning(
        f"{len(rules)} rules × {int(iterations):,} iterations is {steps:,} steps, "
        f"more than the {limits.EXPLORER_STEPS:,} this shared server runs per "
        f"change. Lower the max iterations to {most:,} or choose fewer rules.",
        icon=":material/hourglass_disabled:",
    )
    st.stop()

# The function: a refused formula keeps the last valid one on screen.
try:
    f = cache.symbolic(text, variables)
    st.session_state["_valid_function"] = (text, variables)
except GddashError as error:
    st.error(f"**That formula was refused.** {plain.literal(str(error))}")
    if "_valid_function" not in st.session_state:
        st.stop()
    text, variables = st.session_state["_valid_function"]
    f = cache.symbolic(text, variables)
    st.caption(f"Still showing the last valid function: f = {plain.code(text)}")

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
        st.markdown(f"**{titles.RULE[rule]}** update, with g = ∇f at the current point")
        st.latex(readouts.update_latex(f, variables, rule, float(rate), goal))

# Runs and pictures ---------------------------------------------------------------
# One large explorer run, with its frames and read-outs, at a time in the server
# (small ones skip the queue): its Python work shares the interpreter with every
# other visitor's page.
with cache.heavy_work(work=limits.EXPLORER_STEP_WORK * steps):
    start = (float(x0), float(y0)) if len(variables) == 2 else (float(x0),)
    traces = {}
    progress = st.progress(0.0, text="Descending…") if len(rules) > 1 else None
    for done, rule in enumerate(rules):
        if progress is not None:  # also where a closed tab stops the work
            progress.progress(done / len(rules), text=f"Running {titles.RULE[rule]}…")
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
    if progress is not None:
        progress.empty()

    # Pictures ------------------------------------------------------------------------
    lo_x, hi_x, lo_y, hi_y = readouts.plot_domain(
        preset, text, variables, traces.values()
    )
    paths = []
    kept_rows = {}  # the recorded points each drawn path keeps (finite ones)
    for rule, trace in traces.items():
        keep = np.isfinite(trace.path).all(axis=1) & np.isfinite(trace.loss)
        kept_rows[rule] = np.flatnonzero(keep)
        first_y = trace.path[keep, 1] if len(variables) == 2 else trace.loss[keep]
        paths.append(
            charts.Path3D(
                titles.RULE[rule],
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
        surface = charts.surface_figure(
            grid, paths, title=f"f(x, y) = {text}", height=560
        )
        # The animation's frames follow the longest path: its read-outs go above it,
        # so the caption and the slider name the same step.
        longest = max(rules, key=lambda rule: len(kept_rows[rule]))
        st.plotly_chart(
            charts.animate_paths(
                surface,
                paths,
                three_d=True,
                caption=readouts.readout_caption(
                    traces[longest],
                    titles.RULE[longest] if len(rules) > 1 else "",
                    kept_rows[longest],
                ),
            ),
            key="surface",
            width="stretch",
            alt=f"3-D surface of f(x, y) = {text} with each rule's path; "
            "press Play to animate the steps.",
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
            "Read-outs for", rules, format_func=titles.RULE.get, key="readout_rule"
        )
    trace = traces[shown]
    last = readouts.last_step(trace)
    st.caption(
        "The figure's Play button and slider run in your browser; this Step slider "
        "reads out any recorded step below."
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
    st.metric("Status", readouts.status_at(trace, k))
    if k < last:
        st.caption(readouts.ending(trace))
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
            alt="Contour map of f with −∇f arrows, each rule's path and the "
            "current step marked.",
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
                figure,
                [paths[rules.index(shown)]],
                three_d=False,
                caption=readouts.readout_caption(trace, rows=kept_rows[shown]),
            ),
            key="curve",
            width="stretch",
            alt=f"Curve of f(x) = {text} with the path, the current step and its "
            "tangent.",
        )
    table = readouts.step_table(trace, variables)
    with st.expander(f"Every step of {titles.RULE[shown]} ({len(table)} rows)"):
        st.dataframe(
            table, hide_index=True, width="stretch", height=300, alt="Every step"
        )
        st.download_button(
            "Steps (CSV)",
            export.csv_bytes(table),
            file_name=f"gddash-steps-{shown}.csv",
            on_click="ignore",
            mime="text/csv",
            icon=":material/download:",
        )


stepper()

# Where it ended --------------------------------------------------------------------
st.subheader("Where each path stopped", anchor=False)
for rule, trace in traces.items():
    end = trace.path[-1]
    line = f"**{titles.RULE[rule]}** — {trace.message}"
    note = readouts.unbounded_note(trace, f.value, maximize=goal == "maximize")
    if note is not None:
        line += f" {note}"
    elif np.isfinite(end).all() and trace.status != "diverged":
        kind = f.classify_point(end)
        line += (
            f" It stopped at {vector(end)}, f = {fmt(trace.loss[-1])}. {kind.sentence}"
        )
    st.markdown(line)
