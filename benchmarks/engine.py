"""How fast and how exact is the descent engine next to what a user would run instead?

Compares ``descend(problem, settings)`` from ``gddash.engine`` with its peers on
seeded synthetic data (X standard normal with a ones column first for the
intercept; y = Xθ + noise; a 0/1 label drawn from σ(Xθ) for the logistic rows)
at n = 10⁴, 10⁵, 10⁶ rows and d = 2, 10, 50 features:

    batch        1,000 batch iterations vs the seed's numpy ``gradient_descent``
    sgd          one SGD epoch in file order vs scikit-learn ``SGDRegressor``
                 (the same updates)
    sgd-shuffled one SGD epoch, shuffle=True (the page's path) vs
                 ``SGDRegressor(shuffle=True)``; sklearn shuffles all rows, the
                 engine blocks of rows and windows (``engine.SHUFFLE_NOTE``)
    sgd-log      one logistic SGD epoch vs ``SGDClassifier(loss="log_loss")``
    sgd-l2       one SGD epoch with penalty="l2" vs ``SGDRegressor`` with the
                 same penalty, alpha and rate (the same updates; issue 15)
    sgd-elasticnet  the same with penalty="elasticnet", l1_ratio 0.15
    softmax      one per-row softmax epoch, K = 5 classes, vs
                 ``SGDClassifier(loss="log_loss")``, which fits K one-vs-rest
                 models (its only way): per-epoch times of both, no target
    mb-numpy     one b = 32 mini-batch epoch vs a numpy per-batch loop
    mb-torch     the same epoch vs PyTorch ``nn.Linear`` + ``optim.SGD`` on the CPU
    log-batch    logistic batch iterations vs the seed-style numpy iteration
    floor        the SGD epoch vs reading X once at the measured read bandwidth
    compile      in fresh processes: compiling every loop with numba's cache empty
                 (``warm_up``), and the first stochastic call once it is filled
    memory       peak memory of 20 shuffled SGD epochs, relative to X
    comparison   the page's whole default comparison, ``gddash.compare.run``
                 (batch, SGD and mini-batch, 20 epochs each) on ready arrays

How: every contender gets one warm-up call, then all contenders of a row run in
turn, repeatedly (the count fits a time budget), so that load from other
processes hits them alike; medians are compared. "engine" is the whole
``descend`` call, trace recording and stopping checks included; "+build" also
builds the problem (``LinearRegression(X, y)``, which forms XᵀX). Ratios are
peer time / engine time, so > 1 means the engine is faster (the floor row is
the other way round: engine / floor). Each row is judged PASS/MISS at n = 10⁶,
d = 10 against issue 14's targets (issue 2's for the rows issue 14 does not
name); other sizes are informational. Every epoch row records a trace (the
engine's default ``max_points``), as the page does. Compile time and peak
memory are measured in fresh subprocesses of this script.
numpy's BLAS is held to one thread unless ``--blas-threads`` says otherwise: on a
shared two-core machine its second thread often waits for a core, which made
X.T @ X and X.dot (engine set-up and numpy peers alike) 2 to 40 times slower
and the ratios meaningless. The engine's own logistic pass keeps its threads.

Run from anywhere (PyTorch is optional; its column is skipped without it):

    python benchmarks/engine.py              # the full run, 2 to 4 minutes
    python benchmarks/engine.py --quick      # n = 10⁴ and 10⁵ only, under 30 s
    python benchmarks/engine.py --sizes 1000000 --features 10 --only sgd,floor
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gddash.engine import (
    LinearRegression,
    LogisticRegression,
    Settings,
    SoftmaxRegression,
    descend,
)

# The largest comparison the benchmark runs (the page's default at the target size).
COMPARISON_EPOCHS = 20

TARGET_N, TARGET_D = 1_000_000, 10
SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
FEATURES = (2, 10, 50)
BATCH_LR, SGD_LR, MINIBATCH_LR, LOGISTIC_LR = 0.01, 1e-3, 0.01, 0.1
BATCH_ITERATIONS, BATCH_SIZE, MEMORY_EPOCHS = 1_000, 32, 20
PENALTY_ALPHA, L1_RATIO, SOFTMAX_CLASSES = 1e-4, 0.15, 5  # sklearn's defaults; K
NOISY = 0.15  # a timing whose interquartile range exceeds this share of its median


# -- what is compared and what counts as a pass ---------------------------------
@dataclass(frozen=True)
class Target:
    """A target on one ratio (peer / engine unless ``engine_over_peer``);
    ``bound`` None: the ratio is printed, not judged."""

    title: str
    bound: float | None
    judge_built: bool = False  # judged on construction + descend
    engine_over_peer: bool = False  # the ratio is engine / peer, lower is better
    issue: int = 14  # the issue that set it

    @property
    def text(self) -> str:
        if self.bound is None:
            return "none"
        return f"<= {self.bound:g}x" if self.engine_over_peer else f">= {self.bound:g}x"

    def met(self, ratio: float) -> bool | None:
        if self.bound is None:
            return None
        return ratio <= self.bound if self.engine_over_peer else ratio >= self.bound


TARGETS = {
    "batch": Target("1000 batch iterations incl. build vs seed loop", 300, True),
    "sgd": Target("SGD epoch, file order, vs SGDRegressor", 2.5),
    "sgd-shuffled": Target("SGD epoch, shuffled, vs SGDRegressor(shuffle)", 2),
    "sgd-log": Target("logistic SGD epoch vs SGDClassifier", 2),
    "sgd-l2": Target("SGD epoch, penalty='l2', vs SGDRegressor", 2, issue=15),
    "sgd-elasticnet": Target(
        "SGD epoch, penalty='elasticnet', vs SGDRegressor", 2, issue=15
    ),
    "softmax": Target("softmax SGD epoch (K=5) vs SGDClassifier (OvR)", None, issue=15),
    "mb-numpy": Target("mini-batch epoch (b=32) vs numpy loop", 4),
    "mb-torch": Target("mini-batch epoch (b=32) vs PyTorch", 100, issue=2),
    "log-batch": Target("logistic batch iteration vs seed-style numpy", 1.8, issue=2),
    "floor": Target("SGD epoch / memory floor", 3, engine_over_peer=True, issue=2),
}
# Seconds: every loop compiled with numba's cache empty; the first stochastic
# call of a fresh process with the cache filled (numba's import included); the
# whole default comparison. Memory: peak / X.
COMPILE_COLD, FIRST_CALL, COMPARISON_SECONDS, MEMORY_BOUND = 3.0, 0.5, 1.5, 1.5
LEGEND = """\
engine: median of the whole descend(problem, settings) call; +build: the same with
the problem built inside the timing. ratio = peer / engine (floor row: engine /
floor), ratio+build = peer / +build. batch is judged on ratio+build (issue 2:
"including all precomputation"), the others on ratio. check: PASS/MISS at
n = 1,000,000, d = 10; lower case at other sizes (informational). noise: the
largest interquartile range / median of the row's timings, '!' above 15%; runs:
timed calls of each contender after its warm-up call.
"""


# -- data ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Data:
    X: np.ndarray  # (n, d), first column ones
    features: np.ndarray  # X without the ones column, for peers with an intercept
    y: np.ndarray  # X θ + noise
    labels: np.ndarray  # 0/1, P(1) = σ(X θ)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]


def make_design(
    n: int, d: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
    """X (ones column + standard normal), θ (unit-scale Xθ), and the generator."""
    rng = np.random.default_rng((seed, n, d))
    X = np.empty((n, d))
    X[:, 0] = 1.0
    X[:, 1:] = rng.standard_normal((n, d - 1))
    theta = rng.standard_normal(d) / math.sqrt(d)
    return X, theta, rng


def make_data(n: int, d: int) -> Data:
    X, theta, rng = make_design(n, d)
    z = X @ theta
    y = z + 0.1 * rng.standard_normal(n)
    labels = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    return Data(X, np.ascontiguousarray(X[:, 1:]), y, labels)


# -- timing ---------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    median: float  # seconds
    spread: float  # interquartile range / median
    repeats: int
    result: object = None  # what the last call returned

    def scaled(self, factor: float) -> Timing:
        return replace(self, median=self.median * factor)


def _clock(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def measure(
    calls: dict[str, Callable[[], object]],
    budget: float,
    min_repeats: int = 3,
    max_repeats: int = 30,
) -> dict[str, Timing]:
    """Median seconds of each call: one warm-up each, then all of them in turn.

    Running the calls alternately spreads load from other processes over all of
    them alike. The repeat count fits ``budget`` seconds, within the bounds.
    """
    warm = sum(_clock(call)[0] for call in calls.values())
    repeats = int(np.clip(budget / max(warm, 1e-9), min_repeats, max_repeats))
    times: dict[str, list[float]] = {name: [] for name in calls}
    results: dict[str, object] = {}
    for _ in range(repeats):
        for name, call in calls.items():
            seconds, results[name] = _clock(call)
            times[name].append(seconds)
    return {name: _summarise(times[name], results[name]) for name in calls}


def _summarise(times: list[float], result: object) -> Timing:
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return Timing(float(median), float((q3 - q1) / median), len(times), result)


# -- the peers ------------------------------------------------------------------
def gradient_descent(X, y, learning_rate=0.01, num_iterations=1000):
    """The seed's numpy loop, as printed in gradient-descent-overview.txt."""
    m = len(y)
    theta = np.zeros(X.shape[1])
    for _ in range(num_iterations):
        predictions = X.dot(theta)
        error = predictions - y
        gradient = X.T.dot(error) / m
        theta = theta - learning_rate * gradient
    return theta


def logistic_descent(X, y, learning_rate, num_iterations):
    """The seed's loop for the log-loss: σ(Xθ) in place of Xθ."""
    m = len(y)
    theta = np.zeros(X.shape[1])
    with np.errstate(over="ignore"):
        for _ in range(num_iterations):
            z = X.dot(theta)
            p = 1 / (1 + np.exp(-z))
            grad = X.T.dot(p - y) / m
            theta -= learning_rate * grad
    return theta


def numpy_minibatch_epoch(X, y, learning_rate, batch_size):
    """One epoch of seed-style mini-batch updates, rows in file order."""
    theta = np.zeros(X.shape[1])
    for start in range(0, len(y), batch_size):
        Xb, yb = X[start : start + batch_size], y[start : start + batch_size]
        gradient = Xb.T.dot(Xb.dot(theta) - yb) / len(yb)
        theta = theta - learning_rate * gradient
    return theta


def sklearn_sgd_epoch(
    features, y, learning_rate, *, logistic, shuffle=False, penalty=None
):
    """One plain SGD epoch (in file order unless ``shuffle``); returns
    [intercept, coefficients] (K of each for more than two classes)."""
    from sklearn.linear_model import SGDClassifier, SGDRegressor

    options = dict(
        penalty=penalty,
        alpha=PENALTY_ALPHA,
        l1_ratio=L1_RATIO,
        learning_rate="constant",
        eta0=learning_rate,
        shuffle=shuffle,
        random_state=0,
        max_iter=1,
        tol=None,
        fit_intercept=True,
    )
    if logistic:
        model = SGDClassifier(loss="log_loss", **options)
    else:
        model = SGDRegressor(**options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "max_iter reached": one epoch is asked for
        model.fit(features, y)
    return np.concatenate([np.ravel(model.intercept_), np.ravel(model.coef_)])


@functools.cache
def load_torch():
    """PyTorch, or the reason it cannot be used."""
    try:
        import torch
    except ImportError as error:
        return None, f"import torch failed ({error})"
    return torch, ""


def torch_minibatch_epoch(torch, features, y, learning_rate, batch_size):
    """nn.Linear + optim.SGD over 32-row slices of tensors sharing numpy's memory.

    float64 and loss ½·mean(r²), so the updates are the engine's exactly.
    """
    Xt, yt = torch.from_numpy(features), torch.from_numpy(y)
    model = torch.nn.Linear(Xt.shape[1], 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    for start in range(0, len(yt), batch_size):
        xb, yb = Xt[start : start + batch_size], yt[start : start + batch_size]
        optimizer.zero_grad()
        loss = 0.5 * (model(xb).squeeze(1) - yb).pow(2).mean()
        loss.backward()
        optimizer.step()
    weights = model.weight.detach().numpy().ravel()
    return np.concatenate([model.bias.detach().numpy(), weights])


@functools.cache
def compiled_sum():
    """A numba sum that the compiler may vectorise: a second read-speed probe."""
    import numba

    @numba.njit(fastmath=True)
    def total(a):
        flat = a.reshape(-1)
        s = 0.0
        for i in range(flat.shape[0]):
            s += flat[i]
        return s

    return total


# -- the comparisons, one function per row group ------------------------------------
@dataclass(frozen=True)
class Row:
    key: str  # a key of TARGETS
    n: int
    d: int
    engine: Timing | None  # descend only
    built: Timing | None  # problem construction + descend
    peer_name: str
    peer: Timing | None
    notes: str = ""

    @property
    def target(self) -> Target:
        return TARGETS[self.key]

    def ratio(self, built: bool = False) -> float | None:
        engine = self.built if built else self.engine
        if engine is None or self.peer is None:
            return None
        if self.target.engine_over_peer:
            return engine.median / self.peer.median
        return self.peer.median / engine.median

    @property
    def judged(self) -> float | None:
        return self.ratio(built=self.target.judge_built)

    @property
    def noise(self) -> float:
        timings = (self.engine, self.built, self.peer)
        return max((t.spread for t in timings if t is not None), default=0.0)


def _row(
    key: str, data: Data, t: dict, peer: str, timing: Timing | None, notes: str
) -> Row:
    """A row from the timings of "engine" and (if measured) "built"."""
    return Row(key, data.n, data.d, t["engine"], t.get("built"), peer, timing, notes)


def _delta(a, b) -> str:
    return f"max|Δθ| {np.max(np.abs(np.asarray(a) - np.asarray(b))):.1e}"


def seed_iterations(X, y, seconds: float) -> int:
    """How many seed iterations to time: all 1000, or fewer that fit ``seconds``."""
    one = min(_clock(lambda: gradient_descent(X, y, BATCH_LR, 1))[0] for _ in range(3))
    fits = [k for k in (1000, 500, 200, 100, 50, 20, 10) if k * one <= seconds]
    return fits[0] if fits else 10


def compare_batch(data: Data, budget: float) -> list[Row]:
    """1000 batch updates on the squared loss vs the seed loop (scaled if long)."""
    X, y = data.X, data.y
    settings = Settings(
        variant="batch", learning_rate=BATCH_LR, max_epochs=BATCH_ITERATIONS, eps=0.0
    )
    problem = LinearRegression(X, y)
    k = seed_iterations(X, y, seconds=budget / 4)
    t = measure(
        {
            "engine": lambda: descend(problem, settings),
            "built": lambda: descend(LinearRegression(X, y), settings),
            "peer": lambda: gradient_descent(X, y, BATCH_LR, k),
        },
        budget,
    )
    same_k = descend(problem, replace(settings, max_epochs=k)).theta
    notes = _delta(same_k, t["peer"].result) + f" after {k} its"
    if k < BATCH_ITERATIONS:
        notes += f"; seed timed at {k} its x{BATCH_ITERATIONS // k}"
    peer = t["peer"].scaled(BATCH_ITERATIONS / k)
    return [_row("batch", data, t, "seed numpy loop", peer, notes)]


def compare_sgd(
    data: Data, budget: float, *, logistic: bool, shuffle: bool = False
) -> list[Row]:
    """One per-row epoch vs scikit-learn's SGD doing the same (in file order, or
    each in its own shuffled order).

    For the log-loss, "engine" reuses the problem's cached gradient at θ = 0
    (computed once per problem); "+build" pays for it.
    """
    X, y = data.X, (data.labels if logistic else data.y)
    build = LogisticRegression if logistic else LinearRegression
    settings = Settings(
        variant="sgd", learning_rate=SGD_LR, shuffle=shuffle, max_epochs=1, eps=0.0
    )
    problem = build(X, y)
    t = measure(
        {
            "engine": lambda: descend(problem, settings),
            "built": lambda: descend(build(X, y), settings),
            "peer": lambda: sklearn_sgd_epoch(
                data.features, y, SGD_LR, logistic=logistic, shuffle=shuffle
            ),
        },
        budget,
    )
    key, peer = ("sgd-log", "SGDClassifier") if logistic else ("sgd", "SGDRegressor")
    if shuffle:
        key, peer = f"{key.split('-')[0]}-shuffled", f"{peer}(shuffle=True)"
    notes = _delta(t["engine"].result.theta, t["peer"].result)
    if shuffle:
        notes += " (different row orders; the engine's: blocks and windows)"
    return [_row(key, data, t, peer, t["peer"], notes)]


def compare_penalised_sgd(data: Data, budget: float, *, penalty: str) -> list[Row]:
    """One per-row epoch with a penalty vs SGDRegressor with the same one (the
    same updates: L2 as a shrink, L1 by the cumulative truncated gradient)."""
    X, y = data.X, data.y
    settings = Settings(
        variant="sgd", learning_rate=SGD_LR, shuffle=False, max_epochs=1, eps=0.0,
        penalty=penalty, alpha=PENALTY_ALPHA, l1_ratio=L1_RATIO,
    )  # fmt: skip
    problem = LinearRegression(X, y, intercept=True)
    t = measure(
        {
            "engine": lambda: descend(problem, settings),
            "built": lambda: descend(LinearRegression(X, y, intercept=True), settings),
            "peer": lambda: sklearn_sgd_epoch(
                data.features, y, SGD_LR, logistic=False, penalty=penalty
            ),
        },
        budget,
    )
    notes = _delta(t["engine"].result.theta, t["peer"].result)
    return [_row(f"sgd-{penalty}", data, t, "SGDRegressor", t["peer"], notes)]


def class_labels(data: Data, k: int) -> np.ndarray:
    """Classes 0..k−1 drawn from a softmax of k random linear scores (seeded)."""
    rng = np.random.default_rng((1, data.n, data.d, k))
    scores = data.X @ rng.standard_normal((data.d, k))
    return np.argmax(scores + rng.gumbel(size=(data.n, k)), axis=1).astype(float)


def compare_softmax(data: Data, budget: float) -> list[Row]:
    """One per-row softmax epoch (K classes) vs SGDClassifier's K one-vs-rest
    epochs; both times are printed, neither is judged."""
    classes = class_labels(data, SOFTMAX_CLASSES)
    settings = Settings(
        variant="sgd", learning_rate=SGD_LR, shuffle=False, max_epochs=1, eps=0.0
    )
    problem = SoftmaxRegression(data.X, classes, intercept=True)
    t = measure(
        {
            "engine": lambda: descend(problem, settings),
            "built": lambda: descend(
                SoftmaxRegression(data.X, classes, intercept=True), settings
            ),
            "peer": lambda: sklearn_sgd_epoch(
                data.features, classes, SGD_LR, logistic=True
            ),
        },
        budget,
    )
    per_epoch = (
        f"per epoch: engine {fmt_seconds(t['engine'].median)}, "
        f"SGDClassifier {fmt_seconds(t['peer'].median)} "
        f"({SOFTMAX_CLASSES} one-vs-rest models, a different model)"
    )
    return [_row("softmax", data, t, "SGDClassifier (OvR)", t["peer"], per_epoch)]


def compare_minibatch(data: Data, budget: float) -> list[Row]:
    """One b = 32 epoch in file order vs a numpy loop and PyTorch."""
    X, y = data.X, data.y
    settings = Settings(
        variant="minibatch",
        batch_size=BATCH_SIZE,
        learning_rate=MINIBATCH_LR,
        shuffle=False,
        max_epochs=1,
        eps=0.0,
    )
    problem = LinearRegression(X, y)
    calls = {
        "engine": lambda: descend(problem, settings),
        "built": lambda: descend(LinearRegression(X, y), settings),
        "numpy": lambda: numpy_minibatch_epoch(X, y, MINIBATCH_LR, BATCH_SIZE),
    }
    torch, why_not = load_torch()
    if torch is not None:
        calls["torch"] = lambda: torch_minibatch_epoch(
            torch, data.features, y, MINIBATCH_LR, BATCH_SIZE
        )
    t = measure(calls, budget)
    theta = t["engine"].result.theta
    numpy_notes = _delta(theta, t["numpy"].result)
    rows = [_row("mb-numpy", data, t, "numpy batch loop", t["numpy"], numpy_notes)]
    if torch is None:
        rows.append(_row("mb-torch", data, t, "PyTorch", None, f"skipped: {why_not}"))
    else:
        notes = _delta(theta, t["torch"].result) + f"; torch {torch.__version__}"
        rows.append(_row("mb-torch", data, t, "PyTorch", t["torch"], notes))
    return rows


def compare_logistic_batch(data: Data, budget: float) -> list[Row]:
    """k logistic batch iterations per call (k <= 100 fitting the budget), per it."""
    X, labels = data.X, data.labels
    one = min(
        _clock(lambda: logistic_descent(X, labels, LOGISTIC_LR, 1))[0] for _ in range(2)
    )
    k = int(np.clip(budget / 8 / one, 10, 100))
    settings = Settings(
        variant="batch", learning_rate=LOGISTIC_LR, max_epochs=k, eps=0.0
    )
    problem = LogisticRegression(X, labels)
    t = measure(
        {
            "engine": lambda: descend(problem, settings),
            "built": lambda: descend(LogisticRegression(X, labels), settings),
            "peer": lambda: logistic_descent(X, labels, LOGISTIC_LR, k),
        },
        budget,
    )
    per = {name: timing.scaled(1 / k) for name, timing in t.items()}
    notes = _delta(t["engine"].result.theta, t["peer"].result) + f"; per it, of {k}"
    return [_row("log-batch", data, per, "seed-style numpy it", per["peer"], notes)]


def compare_floor(data: Data, budget: float) -> list[Row]:
    """The SGD epoch vs the time to read X once (the faster of two summing loops)."""
    X, y = data.X, data.y
    settings = Settings(
        variant="sgd", learning_rate=SGD_LR, shuffle=False, max_epochs=1, eps=0.0
    )
    problem = LinearRegression(X, y)
    read = compiled_sum()
    t = measure(
        {
            "engine": lambda: descend(problem, settings),
            "numpy": X.sum,
            "numba": lambda: read(X),
        },
        budget,
    )
    floor = min(t["numpy"], t["numba"], key=lambda timing: timing.median)
    gb_per_s = {name: X.nbytes / t[name].median / 1e9 for name in ("numba", "numpy")}
    notes = (
        f"read {X.nbytes / 1e6:.0f} MB once: numba sum {gb_per_s['numba']:.1f} GB/s, "
        f"numpy sum {gb_per_s['numpy']:.1f} GB/s; the faster is the floor"
    )
    return [_row("floor", data, t, "read X once", floor, notes)]


COMPARISONS: dict[str, Callable[[Data, float], list[Row]]] = {
    "batch": compare_batch,
    "sgd": functools.partial(compare_sgd, logistic=False),
    "sgd-shuffled": functools.partial(compare_sgd, logistic=False, shuffle=True),
    "sgd-log": functools.partial(compare_sgd, logistic=True),
    "sgd-l2": functools.partial(compare_penalised_sgd, penalty="l2"),
    "sgd-elasticnet": functools.partial(compare_penalised_sgd, penalty="elasticnet"),
    "softmax": compare_softmax,
    "minibatch": compare_minibatch,
    "log-batch": compare_logistic_batch,
    "floor": compare_floor,
}
ONE_OFFS = ("compile", "memory", "comparison")


# -- subprocess probes: compile time and peak memory ----------------------------------
# Run in a fresh interpreter (not this script, which imports the engine), with
# NUMBA_CACHE_DIR set by the caller: what a user waits for. Cache empty:
# ``import numba`` timed apart, then ``warm_up()``, which compiles every loop the
# pages use (numba's start-up included) and fills the cache. Cache filled: the
# first stochastic call with numba not yet imported (its import and the cache
# load included), then first calls that load the other loops. scipy is hidden,
# as on a deployed app: requirements.txt has none (scikit-learn, a test tool,
# brings it), and numba's start-up imports it when it is there.
COMPILE_PROBE = """
import json, sys, time
sys.modules["scipy"] = None
sys.path.insert(0, sys.argv[2])
clock = time.perf_counter
start = clock()
import numpy as np
import gddash.engine as engine
answer = {"import_engine": clock() - start}
answer["engine_imported_numba"] = "numba" in sys.modules
if sys.argv[1] == "empty":
    start = clock(); import numba; answer["import_numba"] = clock() - start
    start = clock(); engine.warm_up(); answer["warm_up"] = clock() - start
else:
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(1000), rng.standard_normal((1000, 2))])
    problem = engine.LinearRegression(X, X @ [0.5, 1.0, -1.0])
    sgd = engine.Settings(variant="sgd", learning_rate=1e-3, max_epochs=1, eps=0.0)
    adam = engine.Settings(variant="sgd", rule="adam", max_epochs=1, eps=0.0)
    labels = engine.LogisticRegression(X, (X[:, 1] > 0) * 1.0)
    for name, p, s in [("first", problem, sgd), ("second", problem, sgd),
                       ("first_adam", problem, adam), ("first_logistic", labels, sgd)]:
        start = clock(); engine.descend(p, s); answer[name] = clock() - start
print(json.dumps(answer))
"""


def run_compile_probe(cache_dir: str, filled: bool) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    root = str(Path(__file__).resolve().parent.parent)
    mode = "filled" if filled else "empty"
    command = [sys.executable, "-c", COMPILE_PROBE, mode, root]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rss_peak_reset() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux >= 4.0)
    except OSError:
        return False
    return True


def _status_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def probe_memory(n: int, d: int) -> dict:
    """Peak memory of building the problem and of a 20-epoch shuffled SGD run."""
    import tracemalloc

    X, theta, rng = make_design(n, d)
    y = X @ theta + 0.1 * rng.standard_normal(n)
    settings = Settings(
        variant="sgd",
        learning_rate=SGD_LR,
        max_epochs=MEMORY_EPOCHS,
        shuffle=True,
        eps=0.0,
    )
    small = LinearRegression(X[:100], y[:100])
    descend(small, settings)  # compile or load the kernel outside the window
    tracemalloc.start()
    problem = LinearRegression(X, y)
    build_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_before = _status_bytes("VmRSS")
    reset = _rss_peak_reset()
    descend(problem, settings)
    rss_peak = _status_bytes("VmHWM")
    tracemalloc.start()
    descend(problem, settings)
    descend_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "x_bytes": X.nbytes,
        "build_peak": build_peak,
        "descend_peak": descend_peak,
        "rss_extra": rss_peak - rss_before if reset else None,
    }


def run_probe(args: Sequence[str]) -> dict:
    """Run this script as ``--probe ARGS`` in a fresh interpreter; its JSON answer."""
    env = dict(os.environ)
    command = [sys.executable, str(Path(__file__).resolve()), "--probe", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _medians(answers: list[dict]) -> dict:
    keys = answers[0].keys()
    return {k: float(np.median([a[k] for a in answers])) for k in keys}


@dataclass(frozen=True)
class CompileTimes:
    cold: dict
    filled: dict
    runs: int
    engine_imported_numba: bool


def measure_compile(runs: int) -> CompileTimes:
    """Cold probes each get an empty cache folder; filled ones reuse the last."""
    with tempfile.TemporaryDirectory(prefix="gddash-numba-cache-") as root:
        folders = [str(Path(root) / f"cache{i}") for i in range(runs)]
        cold = [run_compile_probe(folder, filled=False) for folder in folders]
        filled = [run_compile_probe(folders[-1], filled=True) for _ in range(runs)]
    imported = any(a.pop("engine_imported_numba") for a in cold + filled)
    return CompileTimes(_medians(cold), _medians(filled), runs, imported)


def measure_comparison(n: int, d: int, budget: float) -> Timing:
    """The page's default comparison (``compare.run``) on arrays already prepared."""
    from gddash import compare
    from gddash.data import Dataset

    data = make_data(n, d)
    names = ("intercept", *(f"x{j}" for j in range(1, d)))
    dataset = Dataset(data.X, data.y, names, "y", "linear")
    settings = compare.CompareSettings(
        epochs=COMPARISON_EPOCHS,
        descent=Settings(learning_rate=compare.suggested_learning_rate(dataset)),
    )
    assert settings.variants == ("batch", "sgd", "minibatch")
    return measure({"run": lambda: compare.run(dataset, settings)}, budget)["run"]


# -- output ---------------------------------------------------------------------------
def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1.0:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.0f}x" if ratio >= 100 else f"{ratio:.3g}x"


def fmt_bytes(count: float) -> str:
    return f"{count / 1e6:.1f} MB"


def verdict(ok: bool | None, at_target: bool) -> str:
    """PASS/MISS at the target point; lower case (informational) elsewhere."""
    if ok is None:
        return "-"
    word = "pass" if ok else "miss"
    return word.upper() if at_target else word


def table(header: list[str], lines: list[list[str]], right: set[int]) -> str:
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        parts = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in lines)])


def comparison_table(rows: list[Row]) -> str:
    header = [
        "comparison",
        "n",
        "d",
        "engine",
        "+build",
        "peer",
        "peer time",
        "ratio",
        "ratio+build",
        "target",
        "check",
        "noise",
        "runs",
        "notes",
    ]
    lines = []
    for row in rows:
        at_target = (row.n, row.d) == (TARGET_N, TARGET_D)
        judged = row.judged
        ok = None if judged is None else row.target.met(judged)
        noise = f"{row.noise:.0%}" + (" !" if row.noise > NOISY else "")
        lines.append(
            [
                row.key,
                f"{row.n:,}",
                str(row.d),
                fmt_seconds(row.engine and row.engine.median),
                fmt_seconds(row.built and row.built.median),
                row.peer_name,
                fmt_seconds(row.peer and row.peer.median),
                fmt_ratio(row.ratio()),
                fmt_ratio(row.ratio(built=True)),
                row.target.text,
                verdict(ok, at_target),
                noise,
                str(row.engine.repeats),
                row.notes,
            ]
        )
    return table(header, lines, right={1, 2, 3, 4, 6, 7, 8, 11, 12})


@dataclass(frozen=True)
class Check:
    """One line of a one-off measurement: what, how much, the target and verdict."""

    what: str
    measured: str
    target: str = ""
    ok: bool | None = None
    comment: str = ""
    summarise: bool = False  # also a line of the final summary


def check_table(checks: list[Check], at_target: bool = True) -> str:
    lines = [
        [c.what, c.measured, c.target, verdict(c.ok, at_target), c.comment]
        for c in checks
    ]
    return table(["", "measured", "target", "check", ""], lines, right={1})


def compile_checks(c: CompileTimes) -> list[Check]:
    """Compiling every loop (the warm-up thread's work), and the first call a
    user waits for in a fresh process once numba's cache is filled."""
    both = " / ".join
    return [
        Check(
            "import gddash.engine imports numba",
            "yes" if c.engine_imported_numba else "no",
        ),
        Check(
            "import gddash.engine, cache empty / filled",
            both(fmt_seconds(t["import_engine"]) for t in (c.cold, c.filled)),
        ),
        Check(
            "import numba (cache empty, apart)",
            fmt_seconds(c.cold["import_numba"]),
        ),
        Check(
            "compile every loop: warm_up(), cache empty",
            fmt_seconds(c.cold["warm_up"]),
            f"<= {COMPILE_COLD:g} s",
            c.cold["warm_up"] <= COMPILE_COLD,
            comment="numba's start-up included; in the server's warm-up thread",
            summarise=True,
        ),
        Check(
            "first SGD call, fresh process, cache filled",
            fmt_seconds(c.filled["first"]),
            f"<= {FIRST_CALL:g} s",
            c.filled["first"] <= FIRST_CALL,
            comment="numba's import and the cache load included",
            summarise=True,
        ),
        Check(
            "second call, same process",
            fmt_seconds(c.filled["second"]),
            comment="the run itself, nothing loaded",
        ),
        Check(
            "first rule='adam' call, then first logistic SGD",
            both(fmt_seconds(c.filled[k]) for k in ("first_adam", "first_logistic")),
            comment="each loads another loop from the cache",
        ),
    ]


def memory_checks(m: dict) -> list[Check]:
    x = m["x_bytes"]
    extra = m["descend_peak"] / x
    rss = m["rss_extra"]
    rss_text = "-" if rss is None else fmt_bytes(rss)
    rss_note = "" if rss is None else f"{rss / x:.3f} X (VmHWM after - VmRSS before)"
    return [
        Check(
            "tracemalloc peak during descend",
            fmt_bytes(m["descend_peak"]),
            comment=f"{extra:.3f} X allocated on top of X",
        ),
        Check(
            f"peak memory, {MEMORY_EPOCHS} SGD epochs: X + extra",
            f"{1 + extra:.3f} X",
            f"< {MEMORY_BOUND:g} X",
            1 + extra < MEMORY_BOUND,
            summarise=True,
        ),
        Check(
            "  the other reading: extra alone",
            f"{extra:.3f} X",
            f"< {MEMORY_BOUND:g} X",
            extra < MEMORY_BOUND,
        ),
        Check("resident-set growth during descend", rss_text, comment=rss_note),
        Check(
            "tracemalloc peak of LinearRegression(X, y)",
            fmt_bytes(m["build_peak"]),
            comment=f"{m['build_peak'] / x:.3f} X, informational",
        ),
    ]


def summary_table(rows: list[Row], checks: list[Check]) -> str:
    lines = []
    for key, target in TARGETS.items():
        row = next(
            (r for r in rows if r.key == key and (r.n, r.d) == (TARGET_N, TARGET_D)),
            None,
        )
        if row is None or row.judged is None:
            why = "not measured" if row is None else row.notes
            lines.append([target.title, "-", target.text, "-", why])
            continue
        other = row.ratio(built=not target.judge_built)
        aside = "descend only" if target.judge_built else "incl. build"
        notes = [] if other is None else [f"{aside}: {fmt_ratio(other)}"]
        if target.issue != 14:
            notes.append(f"issue {target.issue}'s target")
        if row.noise > NOISY:
            notes.append(f"noisy ({row.noise:.0%})")
        ok = target.met(row.judged)
        lines.append(
            [
                target.title,
                fmt_ratio(row.judged),
                target.text,
                verdict(ok, True),
                "; ".join(notes),
            ]
        )
    for c in checks:
        lines.append([c.what, c.measured, c.target, verdict(c.ok, True), c.comment])
    header = ["target (issue 14)", "measured", "target", "check", "aside"]
    return table(header, lines, right={1})


# -- the run ------------------------------------------------------------------------
def limit_blas(threads: int) -> None:
    """Cap every BLAS the peers use; they are loaded first, so the cap reaches all."""
    import sklearn.linear_model  # noqa: F401  (loads scipy's own OpenBLAS)
    from threadpoolctl import threadpool_limits

    load_torch()
    threadpool_limits(limits=threads, user_api="blas")


def blas_threads() -> int | None:
    """The most threads any loaded BLAS library will use (None: unknown)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return max(counts, default=None)


def environment() -> str:
    import numba
    import sklearn

    torch, _ = load_torch()
    threads = blas_threads()
    load = os.getloadavg()
    lines = [
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"numba {numba.__version__}, scikit-learn {sklearn.__version__}, "
        f"torch {torch.__version__ if torch else 'absent'}"
        + (f" ({torch.get_num_threads()} intra-op threads)" if torch else ""),
        f"{os.cpu_count()} cores, BLAS threads: {threads or 'unknown'}, "
        f"load average (1, 5, 15 min): {' '.join(f'{v:.2f}' for v in load)}",
    ]
    if (threads or 1) > 1 and load[0] > 0.5 * (os.cpu_count() or 1):
        lines.append(
            "the machine is busy: multi-threaded BLAS (X.T @ X, X.dot) can slow "
            "down many-fold while its threads wait for a core"
        )
    return "\n".join(lines)


def run_comparisons(args) -> list[Row]:
    rows: list[Row] = []
    chosen = [name for name in COMPARISONS if name in args.only]
    if not chosen:  # e.g. --only compile: no data to make
        return rows
    for n in args.sizes:
        for d in args.features:
            data = make_data(n, d)
            for name in chosen:
                start = time.perf_counter()
                rows.extend(COMPARISONS[name](data, args.budget))
                seconds = time.perf_counter() - start
                print(f"  {name} at n={n:,} d={d}: {seconds:.1f} s", file=sys.stderr)
            del data
    order = list(TARGETS)
    return sorted(rows, key=lambda r: (order.index(r.key), r.n, r.d))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 1e4, 1e5; < 30 s")
    parser.add_argument("--sizes", type=_ints, help="row counts, e.g. 10000,1000000")
    parser.add_argument("--features", type=_ints, default=FEATURES, help="e.g. 2,10")
    parser.add_argument(
        "--only",
        type=lambda s: s.split(","),
        default=[*COMPARISONS, *ONE_OFFS],
        help=f"comma-separated subset of {', '.join([*COMPARISONS, *ONE_OFFS])}",
    )
    parser.add_argument("--budget", type=float, help="seconds of timing per row group")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads for numpy (default 1: steady on a shared machine; "
        "0 keeps the library's own setting)",
    )
    parser.add_argument("--probe", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.only) - {*COMPARISONS, *ONE_OFFS}
    if unknown:
        parser.error(f"unknown --only entries: {', '.join(sorted(unknown))}")
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    args.budget = args.budget or (0.15 if args.quick else 1.5)
    return args


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(float(v)) for v in text.split(","))


def answer_probe(probe: list[str]) -> None:
    _memory, n, d = probe
    answer = probe_memory(int(n), int(d))
    print(json.dumps(answer))


def report_compile(runs: int) -> list[Check]:
    """Print the compile-time table; return its lines for the summary."""
    print("  measuring compile time", file=sys.stderr)
    checks = compile_checks(measure_compile(runs))
    print(f"Compile time: fresh processes, median of {runs}, each with its own")
    print("NUMBA_CACHE_DIR (empty, or filled by an earlier probe); the first call is")
    print(
        "a 1000-row SGD descend; scipy is hidden from the probes, as on a deployed app"
    )
    print(check_table(checks), end="\n\n")
    return [c for c in checks if c.summarise]


def report_comparison(n: int, budget: float) -> list[Check]:
    """Print the whole-comparison timing; return its line for the summary."""
    print("  measuring the default comparison", file=sys.stderr)
    timing = measure_comparison(n, TARGET_D, budget)
    check = Check(
        f"compare.run: batch, SGD, mini-batch, {COMPARISON_EPOCHS} epochs",
        fmt_seconds(timing.median),
        f"<= {COMPARISON_SECONDS:g} s",
        timing.median <= COMPARISON_SECONDS,
        comment=f"problem, optimum and table included; {timing.repeats} runs, "
        f"noise {timing.spread:.0%}",
        summarise=True,
    )
    print(f"The default comparison at n={n:,}, d={TARGET_D} (shuffle=True, the page's")
    print("suggested learning rate), read and prepare excluded")
    print(check_table([check], at_target=n == TARGET_N), end="\n\n")
    if n == TARGET_N:
        return [check]
    return [replace(check, measured="-", ok=None, comment=f"n={n:,} only")]


def report_memory(n: int) -> list[Check]:
    """Print the peak-memory table; return its lines for the summary."""
    print("  measuring peak memory", file=sys.stderr)
    checks = memory_checks(run_probe(["memory", str(n), str(TARGET_D)]))
    print(
        f"Peak memory: {MEMORY_EPOCHS} SGD epochs, shuffle=True, n={n:,}, d={TARGET_D},"
    )
    print(f"in a fresh process (X = {fmt_bytes(n * TARGET_D * 8)})")
    print(check_table(checks, at_target=n == TARGET_N), end="\n\n")
    summary = [c for c in checks if c.summarise]
    if n == TARGET_N:
        return summary
    return [
        replace(c, measured="-", ok=None, comment=f"n={n:,} only: {c.measured}")
        for c in summary
    ]


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.probe:
        answer_probe(args.probe)
        return
    if args.blas_threads > 0:
        limit_blas(args.blas_threads)
    started = time.perf_counter()
    print(f"gddash engine benchmark{' (--quick)' if args.quick else ''}")
    print(environment(), end="\n\n", flush=True)
    rows = run_comparisons(args)
    summary: list[Check] = []
    if rows:
        print(LEGEND)
        print(comparison_table(rows), end="\n\n")
    if "compile" in args.only:
        summary += report_compile(runs=1 if args.quick else 3)
    if "memory" in args.only:
        summary += report_memory(n=min(max(args.sizes), TARGET_N))
    if "comparison" in args.only:
        summary += report_comparison(min(max(args.sizes), TARGET_N), args.budget)
    print(f"Summary at n = {TARGET_N:,}, d = {TARGET_D}")
    print(summary_table(rows, summary))
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    seconds = time.perf_counter() - started
    print(f"\nload average at the end: {load}; wall time {seconds:.0f} s")


if __name__ == "__main__":
    main()
