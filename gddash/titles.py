"""What each choice is called on screen: one home for display titles.

The engine and the URL use short ids (``"sgd"``, ``"adam"``); people read these
titles. Pages, tables, charts and generated code all take them from here.
"""

from __future__ import annotations

VARIANT = {
    "batch": "Batch",
    "sgd": "Stochastic (SGD)",
    "minibatch": "Mini-batch",
}
RULE = {
    "plain": "Plain",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
}
# The same, as written inside a sentence (generated scripts' comments).
RULE_IN_PROSE = {
    "plain": "plain",
    "momentum": "momentum",
    "nesterov": "Nesterov momentum",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adam": "Adam",
}
SCHEDULE = {
    "constant": "Constant",
    "invscaling": "Inverse scaling",
    "step": "Step decay",
    "exponential": "Exponential decay",
}
SCHEDULE_FORMULA = {
    "constant": "constant",
    "invscaling": "inverse scaling η₀ / t^power_t",
    "step": "step decay η₀ · drop^⌊epoch / step_epochs⌋",
    "exponential": "exponential decay η₀ · exp(−decay · epoch)",
}
MODEL = {
    "linear": "Linear regression",
    "logistic": "Logistic regression",
    "huber": "Huber regression (robust)",
    "softmax": "Softmax regression (3–20 classes)",
}
PENALTY = {
    "none": "None",
    "l2": "L2 (ridge)",
    "l1": "L1 (lasso)",
    "elasticnet": "Elastic net",
}
MISSING = {"drop": "Drop rows", "mean": "Fill with the mean"}
BUDGET = {"epochs": "Same passes", "updates": "Same updates"}
SOURCE = {"sample": "Bundled sample", "upload": "Upload a CSV"}
X_AXIS = {
    "epochs": "Epochs",
    "updates": "Updates",
    "samples": "Rows processed",
    "seconds": "Seconds",
}
GOAL = {"minimize": "Descend (minimise)", "maximize": "Ascend (maximise)"}
DIMENSION = {"2": "f(x, y)", "1": "f(x)"}
# How a run ended, in words (the engine's statuses are ids).
STATUS = {
    "converged": "Converged",
    "max_iter": "Budget used up",
    "diverged": "Diverged",
}
