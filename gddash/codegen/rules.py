"""Update rules and learning-rate schedules, written out as numpy code.

Shared by the data scripts and the formula script: each rule is its constants,
the state it keeps and the lines of one update from a gradient ``g``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gddash import titles
from gddash.codegen.text import fill, number
from gddash.engine import Settings

# How a rule and a schedule are named inside a sentence of a generated script.
RULE_WORDS = titles.RULE_IN_PROSE
SCHEDULE_WORDS = titles.SCHEDULE_FORMULA


# --------------------------------------------------------------------------------------
# Update rules and schedules, written out (numpy)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleCode:
    """One update rule as code: constants, state set-up and the update itself."""

    constants: dict[str, str]
    state: str  # lines creating the rule's memory (before the loop)
    update: str  # lines applying one update from g with learning rate lr


def rule_code(settings: Settings) -> RuleCode:
    """The chosen rule only, with comments; ``g`` is the minimised gradient."""
    beta, beta2, eps = settings.momentum, settings.beta2, settings.adaptive_eps
    rule = settings.rule
    if rule == "plain":
        return RuleCode(
            {},
            "",
            fill(
                """
                # Step against the gradient: θ ← θ − η g.
                theta = theta - lr * g
                """,
            ),
        )
    if rule in ("momentum", "nesterov"):
        update = (
            """
            # Momentum: the velocity adds up past gradients (m ← β m + g) and θ
            # moves along it, so steps grow where gradients agree.
            velocity = BETA * velocity + g
            theta = theta - lr * velocity
            """
            if rule == "momentum"
            else """
            # Nesterov: the same velocity (m ← β m + g), but the step also looks
            # one velocity ahead: θ ← θ − η (g + β m).
            velocity = BETA * velocity + g
            theta = theta - lr * (g + BETA * velocity)
            """
        )
        return RuleCode(
            {"BETA": f"{number(beta)}  # β: how much of the velocity is kept"},
            "velocity = np.zeros_like(theta)  # m, the running sum of gradients",
            fill(update),
        )
    denominator = {"DENOM_EPS": f"{number(eps)}  # ε in √v + ε: never divide by 0"}
    if rule == "adagrad":
        return RuleCode(
            denominator,
            "sum_sq = np.zeros_like(theta)  # v, the sum of all squared gradients",
            fill(
                """
                # AdaGrad: each coordinate's step is divided by the root of its
                # summed squared gradients, so steep coordinates slow down for good.
                sum_sq = sum_sq + g * g
                theta = theta - lr * g / (np.sqrt(sum_sq) + DENOM_EPS)
                """,
            ),
        )
    if rule == "rmsprop":
        return RuleCode(
            {"RHO": f"{number(beta2)}  # ρ: decay of the squared-gradient average"}
            | denominator,
            "avg_sq = np.zeros_like(theta)  # v, a running mean of squared gradients",
            fill(
                """
                # RMSProp: divide by the root of a decaying average of squared
                # gradients, v ← ρ v + (1 − ρ) g², so old steepness is forgotten.
                avg_sq = RHO * avg_sq + (1 - RHO) * g * g
                theta = theta - lr * g / (np.sqrt(avg_sq) + DENOM_EPS)
                """,
            ),
        )
    return RuleCode(
        {
            "BETA1": f"{number(beta)}  # β₁: decay of the gradient average",
            "BETA2": number(beta2) + "  # β₂: decay of the squared-gradient average",
        }
        | denominator,
        fill(
            """
            m = np.zeros_like(theta)  # running mean of gradients
            v = np.zeros_like(theta)  # running mean of squared gradients
            """
        ),
        fill(
            """
            # Adam: momentum on the gradient (m) and RMSProp's scaling (v); both
            # start at 0, so divide by 1 − βᵗ to undo that bias in early steps.
            m = BETA1 * m + (1 - BETA1) * g
            v = BETA2 * v + (1 - BETA2) * g * g
            m_hat = m / (1 - BETA1**t)
            v_hat = v / (1 - BETA2**t)
            theta = theta - lr * m_hat / (np.sqrt(v_hat) + DENOM_EPS)
            """,
        ),
    )


def schedule_constants(settings: Settings, per_epoch: int) -> dict[str, str]:
    """The constants a schedule's ``learning_rate(t)`` reads, as name -> code."""
    schedule = settings.schedule
    if schedule == "invscaling":
        return {"POWER_T": number(settings.power_t)}
    if schedule == "step":
        return {
            "DROP": f"{number(settings.drop)}  # factor applied every STEP_EPOCHS",
            "STEP_EPOCHS": number(settings.step_epochs),
            "UPDATES_PER_EPOCH": str(per_epoch),
        }
    if schedule == "exponential":
        return {
            "DECAY": number(settings.decay),
            "UPDATES_PER_EPOCH": str(per_epoch),
        }
    return {}


def schedule_function(settings: Settings) -> str:
    """``learning_rate(t)`` for the chosen schedule, or "" for a constant rate."""
    schedule = settings.schedule
    if schedule == "constant":
        return ""
    if schedule == "invscaling":
        body = """
            def learning_rate(t):
                \"\"\"η for update t (1-based): η₀ / t^power_t, shrinking slowly.\"\"\"
                return LEARNING_RATE / t**POWER_T
            """
    elif schedule == "step":
        body = """
            def learning_rate(t):
                \"\"\"η for update t (1-based): times DROP every STEP_EPOCHS.\"\"\"
                epoch = (t - 1) / UPDATES_PER_EPOCH  # passes over the data completed
                return LEARNING_RATE * DROP ** math.floor(epoch / STEP_EPOCHS)
            """
    else:
        body = """
            def learning_rate(t):
                \"\"\"η for update t (1-based): η₀ · exp(−decay · epoch).\"\"\"
                epoch = (t - 1) / UPDATES_PER_EPOCH  # passes over the data completed
                return LEARNING_RATE * math.exp(-DECAY * epoch)
            """
    return fill(body)


def lr_line(settings: Settings) -> str:
    """The line that sets ``lr`` for update ``t``: the constant, or the schedule."""
    if settings.schedule == "constant":
        return "lr = LEARNING_RATE  # a constant learning rate"
    return "lr = learning_rate(t)"
