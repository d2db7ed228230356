"""``run_rows``: stochastic updates on rows given a stretch at a time, state carried.

``descend`` owns a whole run: it holds every row, and after each epoch it
evaluates the full-data loss at the recorded θ. A source too large to hold
(``gddash.scale.stream``) needs only the updates: rows arrive a chunk at a
time, and the caller evaluates the recorded θ itself, all at once. This module
is that piece of ``descend``: the same compiled loops, chosen the same way, on
the rows given, with everything an update depends on carried from one call to
the next in a ``RowUpdates`` (θ, the rule's m and v, L1's running totals, the
update count t that schedules and Adam read).

Calling ``run_rows`` epoch by epoch on a run's rows in file order, with
descend's recording stride, gives the θ of ``descend`` with ``shuffle=False`` at
every recorded update bit for bit (``tests/engine/test_stretch.py``). The row
order is the caller's: nothing is shuffled, and no full-data loss is evaluated.

>>> import numpy as np
>>> from gddash.engine import Settings, run_rows, start_rows
>>> X = np.column_stack([np.ones(4), np.arange(4.0)])
>>> settings = Settings(variant="sgd", learning_rate=0.1, shuffle=False)
>>> state = start_rows(settings, n_params=2)
>>> done = run_rows(X, 2 * X[:, 1], state, settings, n_samples=4, stride=2)
>>> done.state.updates, done.steps.tolist()
(4, [2, 4])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gddash.engine import rules
from gddash.engine.descent import plan
from gddash.engine.settings import Settings
from gddash.errors import SettingsError


@dataclass(frozen=True)
class RowUpdates:
    """Everything the next update depends on besides its rows.

    theta (d,); m, v (d,) the rule's running moments (zeros for plain SGD);
    q (d,), u (1,) scikit-learn's cumulative L1 totals (per-row plain SGD with a
    penalty); updates: t, the updates done so far (the schedule's clock).
    """

    theta: np.ndarray
    m: np.ndarray
    v: np.ndarray
    q: np.ndarray
    u: np.ndarray
    updates: int = 0


@dataclass(frozen=True)
class Stretch:
    """What ``run_rows`` did: the state after it, and θ at each recorded update.

    ``steps`` (k,) are the update counts that are multiples of ``stride`` in the
    stretch, ``thetas`` (k, d) θ after each. ``blew_up``: a derivative blew up
    at update ``state.updates + 1``, and θ is as it was before that update.
    """

    state: RowUpdates
    steps: np.ndarray
    thetas: np.ndarray
    blew_up: bool


def start_rows(settings: Settings, n_params: int) -> RowUpdates:
    """The state before the first update: θ = ``settings.theta0`` (or 0), no moments."""
    if settings.theta0 is not None and len(settings.theta0) != n_params:
        raise SettingsError(
            f"theta0 has {len(settings.theta0)} values but the problem has "
            f"{n_params} parameters."
        )
    theta = (
        np.zeros(n_params)
        if settings.theta0 is None
        else np.array(settings.theta0, dtype=np.float64)
    )
    zeros = np.zeros(n_params)
    return RowUpdates(theta, zeros, zeros.copy(), zeros.copy(), np.zeros(1))


def run_rows(
    X: np.ndarray,
    y: np.ndarray,
    state: RowUpdates,
    settings: Settings,
    *,
    n_samples: int,
    stride: int,
    loss: str = "squared",
    epsilon: float = 0.1,
    intercept: bool = True,
) -> Stretch:
    """Updates on rows 0..m−1 of X in order, from ``state``; the state after them.

    Each update is θ ← rule(θ, g, η_t) with g the mean gradient of ``loss`` over
    its rows, as ``descend`` does it (see ``kernels``): ⌈m / b⌉ updates of b rows
    (b = 1 for SGD, ``settings.batch_size`` for mini-batch), the last one short
    when b does not divide m — so give whole batches except at an epoch's end.
    Nothing is evaluated on the full data; the caller does that.

    Parameters
    ----------
    X : array of shape (m, d), y : array of shape (m,)
        The stretch's rows, in the order they are used. Never modified.
    state : RowUpdates
        From ``start_rows``, or the previous stretch's ``Stretch.state``.
    settings : Settings
        Variant "sgd" or "minibatch", rule, schedule, learning rate, penalty.
    n_samples : int
        Rows of the whole data: with the batch size it sets the updates per
        epoch, which the step and exponential schedules count in (``plan``).
    stride : int >= 1
        θ is recorded after every update whose count is a multiple of it. The
        compiled SGD loop's stretches end there, as in ``descend``, so that a
        run fed epoch by epoch reproduces ``descend`` (same stride) bit for bit.
    loss : {"squared", "log", "huber"}; epsilon : Huber's ε
    intercept : bool
        Column 0 of X is the intercept's, which a penalty leaves alone.
    """
    from gddash.engine import kernels  # imports numba: on first use
    from gddash.engine.losses import LOSS_IDS

    planned = plan(n_samples, settings)
    if settings.variant not in ("sgd", "minibatch") or planned.as_batch:
        raise SettingsError(
            f"run_rows runs per-row or mini-batch updates; variant "
            f"{settings.variant!r} with {n_samples} rows is batch descent: use "
            "descend."
        )
    if loss not in LOSS_IDS:
        raise SettingsError(
            f"The 'loss' parameter must be one of {tuple(LOSS_IDS)}. Got {loss!r} "
            "instead."
        )
    if not isinstance(stride, int | np.integer) or stride < 1:
        raise SettingsError(
            f"The 'stride' parameter must be an int >= 1. Got {stride!r} instead."
        )
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    d = len(state.theta)
    if X.ndim != 2 or X.shape[1] != d or y.shape != (len(X),):
        raise SettingsError(
            f"X must have shape (m, {d}) and y shape (m,). Got X {X.shape} and "
            f"y {y.shape}."
        )
    batch = planned.batch_size
    # Fresh copies: the caller's state is never written to.
    theta, m, v = state.theta.copy(), state.m.copy(), state.v.copy()
    q, u = state.q.copy(), state.u.copy()
    rule_id = rules.RULE_IDS[settings.rule]
    schedule_id = rules.SCHEDULE_IDS[settings.schedule]
    s = settings
    rule = kernels.Rule(rule_id, s.momentum, s.beta2, s.adaptive_eps)
    schedule = kernels.Schedule(
        schedule_id, s.learning_rate, float(planned.updates_per_epoch), s.power_t,
        s.drop, s.step_epochs, s.decay,
    )  # fmt: skip
    penalty = s.penalty_term
    shrink = None
    if penalty is not None:
        mask = np.ones(d, dtype=bool)
        mask[0] = not intercept
        shrink = kernels.Shrinkage(penalty.l1, penalty.l2, mask)
    plain = rule_id == rules.PLAIN
    grad = np.empty(d)

    def updates(rows_x, rows_y, count: int, t: int) -> int:
        """``count`` updates on the given rows from update t; the number done.
        The loops are told of no snapshot (a stride beyond the stretch), so
        each call is one of descend's stretches."""
        where = dict(count=count, t=t, stride=t + count + 1, path=np.empty((1, d)))
        if plain and batch == 1 and shrink is not None:
            return kernels.penalised_sgd_rows(
                rows_x, rows_y, theta, loss=loss, epsilon=epsilon, schedule=schedule,
                penalty=shrink, q=q, u=u, **where,
            )  # fmt: skip
        if plain and schedule_id == rules.CONSTANT and batch == 1:
            return kernels.sgd_rows(
                rows_x, rows_y, theta, loss=loss, epsilon=epsilon,
                learning_rate=s.learning_rate, **where,
            )  # fmt: skip
        return kernels.batch_rows(
            rows_x, rows_y, theta, loss=loss, epsilon=epsilon, batch_size=batch,
            rule=rule, schedule=schedule, grad=grad, m=m, v=v, penalty=shrink,
            **where,
        )  # fmt: skip

    # Split the stretch at the recorded updates (multiples of the stride):
    # descend's compiled loops end a stretch there too.
    total = -(-len(y) // batch)  # ⌈m / b⌉ updates
    t, done = state.updates, 0
    steps, thetas = [], []
    blew_up = False
    while done < total:
        count = min(total - done, (t // stride + 1) * stride - t)
        lo = done * batch
        hi = min(lo + count * batch, len(y))
        ran = updates(X[lo:hi], y[lo:hi], count, t)
        t, done = t + ran, done + ran
        if ran < count:
            blew_up = True
            break
        if t % stride == 0:
            steps.append(t)
            thetas.append(theta.copy())
    after = RowUpdates(theta, m, v, q, u, t)
    recorded = np.array(thetas).reshape(len(thetas), d)
    return Stretch(after, np.array(steps, dtype=np.int64), recorded, blew_up)
