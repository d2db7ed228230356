"""What the function explorer reads out about a run: numbers, status, advice.

Pure functions of a ``Trace`` (and the formula), so that the explorer page only
lays them out and the tests can pin each sentence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sympy

from gddash import titles
from gddash.engine import Settings, Trace

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
    "adam": r"""\begin{aligned} m_{k+1} &= \beta_1 m_k + (1-\beta_1)\, g_k \\
        v_{k+1} &= \beta_2 v_k + (1-\beta_2)\, g_k^2 \\
        \theta_{k+1} &= \theta_k \mp \eta\, \hat m_{k+1} / (\sqrt{\hat v_{k+1}}
        + \epsilon) \\
        \hat m &= m / (1-\beta_1^{k+1}),\quad \hat v = v / (1-\beta_2^{k+1})
        \end{aligned}""",
}
ENDINGS = {
    "converged": "converged",
    "diverged": "diverged",
    "max_iter": "used up its budget",
}


def fmt(value: float) -> str:
    """Two decimals like the seed's read-outs, scientific when that would hide it."""
    if not np.isfinite(value):
        return str(value)
    if value == 0 or 0.01 <= abs(value) < 1e5:
        return f"{value:.2f}"
    return f"{value:.3g}"


def vector(values) -> str:
    return "(" + ", ".join(fmt(v) for v in values) + ")"


def last_step(trace: Trace) -> int:
    return len(trace.updates) - 1


def status_at(trace: Trace, k: int) -> str:
    """The status at recorded point ``k``: "Running" before the end, then the end."""
    if k < last_step(trace):
        return "Running"
    ending = titles.STATUS[trace.status]
    return ending + " (‖∇f‖ ≤ ε)" if trace.status == "converged" else ending


def ending(trace: Trace) -> str:
    """How the run ends, said while it is still running (its last step and status)."""
    last = int(trace.updates[last_step(trace)])
    return f"The run ends at step {last:,}: it {ENDINGS[trace.status]}."


def readout_caption(trace: Trace, title: str = "", rows=None):
    """Read-outs of a path's point k as one line, for the in-browser animation.

    ``rows`` maps the drawn path's points to the trace's recorded points (a path
    leaves out non-finite points); the caption then reads the same step that
    the animation's slider names.
    """
    who = f"{title}, " if title else ""
    rows = np.arange(len(trace.updates)) if rows is None else np.asarray(rows)

    def caption(k: int) -> str:
        i = int(rows[min(k, len(rows) - 1)])
        return (
            f"{who}step {trace.updates[i]}: position {vector(trace.path[i])}, "
            f"f = {fmt(trace.loss[i])}, ‖∇f‖ = {fmt(trace.grad_norm[i])}, "
            f"{status_at(trace, i)}"
            + ("" if i == last_step(trace) else f" (it {ENDINGS[trace.status]} later)")
        )

    return caption


def unbounded_note(trace: Trace, value, maximize: bool) -> str | None:
    """A sentence when the run's trouble is the function, not the learning rate.

    From the last finite point the run reached, ``value`` (f as a callable of a
    point) is evaluated along the direction the run was moving (−∇f, or +∇f when
    climbing) at distances 1, 10, …, 10⁶. If f improves at every one of them and
    by more than a thousand, it has no minimum (maximum) that way: e.g. ascent on
    x² + y², or f = 1/x + y falling forever as y decreases. A smaller rate or a
    larger budget cannot help there, so the read-out says so.
    """
    if trace.status == "converged":
        return None
    ok = np.isfinite(trace.path).all(axis=1) & np.isfinite(trace.gradient).all(axis=1)
    if not ok.any():
        return None
    k = np.flatnonzero(ok)[-1]
    point, gradient = trace.path[k], trace.gradient[k]
    norm = float(np.linalg.norm(gradient))
    if norm == 0:
        return None
    sign = 1.0 if maximize else -1.0
    direction = sign * gradient / norm
    better = []
    with np.errstate(all="ignore"):
        for t in (0.0, *(10.0**j for j in range(7))):
            f = float(value(point + t * direction))
            if np.isnan(f):
                return None
            better.append(sign * f)
    gains = np.diff(better)
    if not (np.all(gains > 0) and better[-1] - better[0] > 1e3):
        return None
    direction_word = "above" if maximize else "below"
    extremum = "maximum" if maximize else "minimum"
    return (
        f"f looks unbounded {direction_word} in the direction this run was moving: "
        f"it keeps {'rising' if maximize else 'falling'} as far as 10⁶ from the last "
        f"point, so there is no {extremum} that way to reach. A smaller learning "
        "rate or a larger budget would not change that; try another start point or "
        "the other direction."
    )


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
            rf"\frac{{\partial f}}{{\partial {v}}} \\ &= {v}_k {sign} {rate:g}"
            rf"\left({substituted}\right)"
        )
    return r"\begin{aligned}" + r" \\[6pt] ".join(lines) + r"\end{aligned}"


def step_table(trace: Trace, variables) -> pd.DataFrame:
    """Every recorded step: position, value, gradient and its norm."""
    table = {"step": trace.updates}
    for j, v in enumerate(variables):
        table[v] = trace.path[:, j]
    table["f"] = trace.loss
    for j, v in enumerate(variables):
        table[f"∂f/∂{v}"] = trace.gradient[:, j]
    table["‖∇f‖"] = trace.grad_norm
    return pd.DataFrame(table)


def plot_domain(preset, text, variables, traces) -> tuple[float | None, ...]:
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
