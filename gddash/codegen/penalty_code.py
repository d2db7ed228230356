"""A penalty α R(w), written out as numpy or PyTorch code for the data scripts.

α R(w) = L1·‖w‖₁ + ½ L2·‖w‖² with L1 = αρ and L2 = α(1 − ρ) (scikit-learn's
meaning; ρ is 0 for "l2", 1 for "l1" and l1_ratio for "elasticnet"). Which
update applies it is the run's ``RunPlan.scheme`` — the engine's choice:

* "sklearn" (per-row plain SGD): shrink w by max(0, 1 − η·L2) before each
  step, then Tsuruoka et al.'s cumulative truncated gradient for L1;
* "proximal" (the plain rule otherwise): step along the gradient of
  loss + ½ L2‖w‖², then soft-threshold w by η·L1;
* "subgradient" (every other rule): step along the minimum-norm subgradient,
  and a weight that crosses 0 stops there, its velocity with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from gddash.codegen.text import fill, number
from gddash.engine.penalties import Penalty

# Each rule's running average of gradients, reset when its weight stops at 0.
_VELOCITY = {"momentum": "velocity", "nesterov": "velocity", "adam": "m"}
_TORCH_VELOCITY = {
    "momentum": "momentum_buffer",
    "nesterov": "momentum_buffer",
    "adam": "exp_avg",
}

SCHEME_WORDS = {
    "sklearn": (
        "per-row plain SGD as scikit-learn's SGDRegressor / SGDClassifier does it: "
        "w shrinks by max(0, 1 − η·L2) before each step, and L1 is the cumulative "
        "truncated gradient (Tsuruoka et al. 2009)"
    ),
    "proximal": (
        "a proximal step: the gradient step on loss + ½ L2‖w‖², then a "
        "soft-threshold of w by η·L1 (weights near 0 land on 0 exactly)"
    ),
    "subgradient": (
        "the rule steps along the minimum-norm subgradient of the penalised "
        "loss, and a weight that crosses 0 stops at 0 (its velocity too)"
    ),
}

WHY_NOT_THE_INTERCEPT = (
    "The intercept is not penalised: it only shifts every prediction by the same "
    "amount, and shrinking it would pull the fit towards y = 0 for no reason "
    "(scikit-learn leaves it alone too)."
)


@dataclass(frozen=True)
class PenaltyParts:
    """The penalty's constants, helpers and update lines for one script."""

    constants: dict[str, str]
    functions: list[str]  # helper definitions (penalty value, thresholds, …)
    setup: list[str]  # lines before the loop (the mask, the L1 state)
    before: list[str]  # lines between the gradient g and the rule's update
    after: list[str]  # lines after the rule's update


def penalty_constants(penalty: Penalty) -> dict[str, str]:
    """ALPHA, L1_RATIO and the weights L1 and L2, computed as the engine does."""
    constants = {"ALPHA": f"{number(penalty.alpha)}  # α, the penalty's strength"}
    if penalty.kind == "elasticnet":
        constants["L1_RATIO"] = f"{number(penalty.l1_ratio)}  # ρ, the share of L1"
        constants["L1"] = "ALPHA * L1_RATIO  # weight of ‖w‖₁"
        constants["L2"] = "ALPHA * (1 - L1_RATIO)  # weight of ½‖w‖²"
    elif penalty.kind == "l1":
        constants["L1"] = "ALPHA  # weight of ‖w‖₁ (lasso)"
    else:
        constants["L2"] = "ALPHA  # weight of ½‖w‖² (ridge)"
    return constants


def _has(penalty: Penalty) -> tuple[bool, bool]:
    """Whether the penalty has an L1 part and an L2 part."""
    return penalty.kind != "l2", penalty.kind != "l1"


def _value_function(penalty: Penalty, xp: str) -> str:
    has_l1, has_l2 = _has(penalty)
    terms = []
    if has_l1:
        terms.append(f"L1 * {xp}.abs(w).sum()")
    if has_l2:
        terms.append("0.5 * L2 * (w * w).sum()")
    return fill(
        f'''
        def penalty(theta, penalised):
            """α R(w): the penalty added to the mean loss (w: the penalised weights)."""
            w = {xp}.where(penalised, theta, 0.0)
            return {" + ".join(terms)}
        '''
    )


_SOFT = '''
def soft_threshold(w, tau):
    """sign(w)·max(|w| − τ, 0), the proximal step of τ‖w‖₁: every weight moves τ
    towards 0, and one closer than τ lands on 0 exactly (which is how L1 makes
    weights exactly zero)."""
    return XP.sign(w) * XP.clamp(XP.abs(w) - tau, min=0.0)
'''

_SUBGRADIENT = '''
def penalty_gradient(theta, g, penalised):
    """g plus the penalty's (sub)gradient, the one of smallest size.

    ½ L2‖w‖² adds L2·w. ‖w‖₁ has slope +L1 or −L1 where a weight is not 0, and
    at 0 any slope in [−L1, L1]: there the one closest to cancelling g is taken,
    so a weight at 0 stays put unless |g| > L1 (0 is then not the minimum)."""
    smooth = XP.where(penalised, g + L2 * theta, g)
    at_zero = XP.sign(smooth) * XP.clamp(XP.abs(smooth) - L1, min=0.0)
    kinked = XP.where(
        theta > 0, smooth + L1, XP.where(theta < 0, smooth - L1, at_zero)
    )
    return XP.where(penalised, kinked, smooth)
'''

_TRUNCATED = '''
def truncated_l1(theta, u, q, penalised):
    """scikit-learn's L1 for per-row SGD: the cumulative truncated gradient of
    Tsuruoka et al. (2009). Returns θ and q.

    u is the total L1 pull a weight could have received so far (Σ η·L1 over all
    updates), q the pull each weight did receive (negative for a weight pulled
    down). A weight moves towards 0 by what it is still owed, and never past 0:
    a weight the rows keep pushing away from 0 pays its whole debt, while one
    that sits near 0 is clipped to 0 and stays there."""
    pulled = XP.where(
        theta > 0,
        CLIP_LOW,
        XP.where(theta < 0, CLIP_HIGH, theta),
    )
    new = XP.where(penalised, pulled, theta)
    return new, q + (new - theta)
'''


def _numpy_text(text: str) -> str:
    text = text.replace(
        "XP.clamp(XP.abs(w) - tau, min=0.0)", "np.maximum(np.abs(w) - tau, 0.0)"
    )
    text = text.replace(
        "XP.clamp(XP.abs(smooth) - L1, min=0.0)", "np.maximum(np.abs(smooth) - L1, 0.0)"
    )
    text = text.replace("CLIP_LOW", "np.maximum(0.0, theta - (u + q))")
    text = text.replace("CLIP_HIGH", "np.minimum(0.0, theta + (u - q))")
    return text.replace("XP.", "np.").strip("\n")


def _torch_text(text: str) -> str:
    text = text.replace("CLIP_LOW", "(theta - (u + q)).clamp(min=0.0)")
    text = text.replace("CLIP_HIGH", "(theta + (u - q)).clamp(max=0.0)")
    return text.replace("XP.", "torch.").strip("\n")


def _without_l2(text: str) -> str:
    return text.replace(
        "    smooth = XP.where(penalised, g + L2 * theta, g)\n", "    smooth = g\n"
    )


def mask_lines(has_intercept: bool, xp: str, columns: str) -> list[str]:
    """Lines making ``penalised``, the weights the penalty applies to."""
    ones = (
        f"np.ones({columns}, dtype=bool)"
        if xp == "np"
        else f"torch.ones({columns}, dtype=torch.bool)"
    )
    if not has_intercept:
        return [f"penalised = {ones}  # no intercept column: every weight"]
    return [
        f"penalised = {ones}  # the weights w the penalty shrinks:",
        "penalised[0] = False  # all but the intercept's (column 0, the ones)",
    ]


def numpy_parts(
    penalty: Penalty, scheme: str, rule: str, has_intercept: bool
) -> PenaltyParts:
    """The penalty in the numpy script; ``theta`` and ``g`` are numpy arrays."""
    has_l1, has_l2 = _has(penalty)
    functions = [_value_function(penalty, "np")]
    setup = mask_lines(has_intercept, "np", "X.shape[1]")
    before: list[str] = []
    after: list[str] = []
    if scheme == "sklearn":
        if has_l2:
            before += [
                "# L2: shrink w by (1 − η·L2) before the step (never below 0).",
                "theta = np.where(penalised, max(0.0, 1 - lr * L2) * theta, theta)",
            ]
        if has_l1:
            functions.append(_numpy_text(_TRUNCATED))
            setup += [
                "u = 0.0  # the L1 pull every weight could have received so far",
                "q = np.zeros_like(theta)  # the L1 pull each weight did receive",
            ]
            after += [
                "u += lr * L1",
                "theta, q = truncated_l1(theta, u, q, penalised)",
            ]
    elif scheme == "proximal":
        if has_l2:
            before += [
                "# ½ L2‖w‖² is smooth: its gradient L2·w joins g.",
                "g = np.where(penalised, g + L2 * theta, g)",
            ]
        if has_l1:
            functions.append(_numpy_text(_SOFT))
            after += [
                "# ‖w‖₁ has a kink at 0: a proximal step instead of a gradient.",
                "theta = np.where(penalised, soft_threshold(theta, lr * L1), theta)",
            ]
    else:
        text = _SUBGRADIENT if has_l2 else _without_l2(_SUBGRADIENT)
        if not has_l1:
            before += [
                "# ½ L2‖w‖² is smooth: its gradient L2·w joins g.",
                "g = np.where(penalised, g + L2 * theta, g)",
            ]
        else:
            functions.append(_numpy_text(text))
            before += ["g = penalty_gradient(theta, g, penalised)", "old = theta"]
            after += [
                "# A weight that crossed 0 stops at 0: the kink is its minimum",
                "# along that axis, and the rule's step is not a proximal one.",
                "crossed = penalised & (old * theta < 0)",
                "theta = np.where(crossed, 0.0, theta)",
            ]
            if rule in _VELOCITY:
                name = _VELOCITY[rule]
                after.append(
                    f"{name} = np.where(crossed, 0.0, {name})  # its velocity too"
                )
    return PenaltyParts(penalty_constants(penalty), functions, setup, before, after)


def torch_parts(
    penalty: Penalty, scheme: str, rule: str, has_intercept: bool
) -> PenaltyParts:
    """The penalty in the PyTorch script, on ``w = model.weight`` and ``w.grad``.

    ``before`` runs after ``loss.backward()`` and before ``optimizer.step()``,
    ``after`` after it, both inside ``torch.no_grad()``; ``lr`` is the current
    learning rate.
    """
    has_l1, has_l2 = _has(penalty)
    functions = [_value_function(penalty, "torch")]
    setup = mask_lines(has_intercept, "torch", "d")
    before: list[str] = []
    after: list[str] = []
    if scheme == "sklearn":
        if has_l2:
            before += [
                "# L2: shrink w by (1 − η·L2) before the step (never below 0);",
                "# w.grad was taken at the unshrunk w, as scikit-learn does.",
                "w.copy_(torch.where(penalised, max(0.0, 1 - lr * L2) * w, w))",
            ]
        if has_l1:
            functions.append(_torch_text(_TRUNCATED))
            setup += [
                "u = 0.0  # the L1 pull every weight could have received so far",
                "q = torch.zeros_like(model.weight)  # the L1 pull each did receive",
            ]
            after += [
                "u += lr * L1",
                "new, q = truncated_l1(w, u, q, penalised)",
                "w.copy_(new)",
            ]
    elif scheme == "proximal":
        if has_l2:
            before += [
                "# ½ L2‖w‖² is smooth: its gradient L2·w joins the gradient.",
                "w.grad.copy_(torch.where(penalised, w.grad + L2 * w, w.grad))",
            ]
        if has_l1:
            functions.append(_torch_text(_SOFT))
            after += [
                "# ‖w‖₁ has a kink at 0: a proximal step instead of a gradient.",
                "w.copy_(torch.where(penalised, soft_threshold(w, lr * L1), w))",
            ]
    else:
        text = _SUBGRADIENT if has_l2 else _without_l2(_SUBGRADIENT)
        if not has_l1:
            before += [
                "# ½ L2‖w‖² is smooth: its gradient L2·w joins the gradient.",
                "w.grad.copy_(torch.where(penalised, w.grad + L2 * w, w.grad))",
            ]
        else:
            functions.append(_torch_text(text))
            before += [
                "w.grad.copy_(penalty_gradient(w, w.grad, penalised))",
                "old = w.clone()",
            ]
            after += [
                "# A weight that crossed 0 stops at 0: the kink is its minimum",
                "# along that axis, and the rule's step is not a proximal one.",
                "crossed = penalised & (old * w < 0)",
                "w[crossed] = 0.0",
            ]
            if rule in _TORCH_VELOCITY:
                after.append(
                    f'optimizer.state[w]["{_TORCH_VELOCITY[rule]}"][crossed] = 0.0'
                    "  # its velocity too"
                )
    return PenaltyParts(penalty_constants(penalty), functions, setup, before, after)
