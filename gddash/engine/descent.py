"""``descend``: one loop for batch, stochastic and mini-batch gradient descent.

A variant is only a batch-size policy: all rows (batch), one row (sgd) or b rows
(minibatch), visited in a fresh seeded order each epoch (``shuffle.epoch_order``:
blocks of rows in random order, shuffled within windows) or in file order.
The loop is the same for all: advance θ, evaluate the full-data loss and
gradient, record, check the stopping rules. Batch advances by one update with
the full gradient it has just evaluated; the stochastic variants advance by an
epoch of row updates in a compiled loop that snapshots θ on the recording
grid, and the snapshots are then evaluated and checked together.

Where the update happens: batch in ``_Run._advance_batch`` (``rules.apply_update``
with the problem's full gradient); SGD in ``kernels.one_row_at_a_time``, the
textbook θ ← θ − η ∂ℓ(xᵢ)/∂θ (run four rows at a time by its twin
``kernels.four_rows_at_a_time``); mini-batch in ``kernels.batch_updates``.
The loss ℓ is a piece from ``losses``. A penalty (``Settings.penalty``) goes
through ``rules.penalty_gradient`` and ``rules.penalty_after`` (l2·w in the
gradient; L1 by a proximal step for the plain rule, a subgradient with no
crossing of 0 for the others); per-row plain SGD takes scikit-learn's scheme
(``kernels.penalised_sgd_updates``).
Softmax regression runs every variant in ``kernels.softmax_updates``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from gddash.engine import rules, shuffle, stopping
from gddash.engine.problems import Objective, Problem
from gddash.engine.settings import Settings
from gddash.engine.trace import Recorder, Trace
from gddash.errors import SettingsError

# Stochastic runs on the log-loss pay a pass over the data for every recorded
# point; they record at most as many as keep that work at or below the descent's
# own (at least one a epoch, and at least this many row evaluations' worth).
_MIN_EVALUATION_ROWS = 250_000
# Shuffled rows are gathered into a contiguous buffer of about one window's rows
# (whole batches), so that each gather reads the blocks of about one window.
_BUFFER_ROWS = shuffle.WINDOW_ROWS


@dataclass(frozen=True)
class _RowState:
    """What every compiled stretch of one stochastic run shares."""

    rule: object  # kernels.Rule
    schedule: object  # kernels.Schedule
    path: np.ndarray  # (grid points, d): θ snapshots written by the loops
    grad: np.ndarray  # (d,) scratch for batch gradients
    rng: np.random.Generator  # epoch row orders, from the run's seed
    rows_x: np.ndarray  # (block, d) shuffled rows gathered contiguously
    rows_y: np.ndarray  # (block,)
    tmp: tuple  # (x, y) room for a window's rows in block order (or empty)
    epoch_rows: np.ndarray  # (n,) each epoch's rows in block order (or empty)
    q: np.ndarray  # (d,) L1 each weight received (scikit-learn's truncated gradient)
    u: np.ndarray  # (1,) L1 each weight could have received so far


@dataclass(frozen=True)
class Plan:
    """What ``descend`` will do with n rows, known before it runs."""

    batch_size: int  # rows per update: n for batch, 1 for SGD, min(b, n) else
    as_batch: bool  # every update uses all rows (also a mini-batch of b >= n)
    updates_per_epoch: int
    n_updates: int  # the budget: ⌈max_epochs · updates_per_epoch⌉, capped


def plan(n_samples: int, settings: Settings) -> Plan:
    """The batch size and update budget of a run on ``n_samples`` rows.

    One place for the policy, so that the dashboard's work estimate and the
    generated scripts promise exactly the updates that ``descend`` runs.
    """
    n = n_samples
    batch = {"batch": n, "sgd": 1}.get(settings.variant, min(settings.batch_size, n))
    as_batch = batch >= n
    per_epoch = 1 if as_batch else math.ceil(n / batch)
    budget = math.ceil(settings.max_epochs * per_epoch - 1e-9)
    if settings.max_updates is not None:
        budget = min(budget, settings.max_updates)
    return Plan(n if as_batch else batch, as_batch, per_epoch, max(budget, 1))


def descend(problem: Problem, settings: Settings) -> Trace:
    """Run gradient descent on ``problem`` as ``settings`` say, and trace it.

    Each update is θ ← rule(θ, g, η_t) where g is the mean gradient over the
    update's rows (all rows for batch); for plain SGD that is θ ← θ − η ∂ℓ(xᵢ)/∂θ
    (``kernels.one_row_at_a_time``). The caller's arrays are never modified.

    Parameters
    ----------
    problem : LinearRegression, LogisticRegression or Objective
    settings : Settings

    Returns
    -------
    Trace
        Bounded record of the run with ``status`` in {"converged", "max_iter",
        "diverged"} and a ``message`` that says why and what to do.

    Examples
    --------
    >>> import numpy as np
    >>> from gddash.engine import LinearRegression, Settings, descend
    >>> X = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]])
    >>> problem = LinearRegression(X, np.array([2.0, 4.0, 6.0]))
    >>> trace = descend(problem, Settings(learning_rate=0.01, max_epochs=1000))
    >>> trace.status, trace.n_updates
    ('max_iter', 1000)
    """
    return _Run(problem, settings).execute()


class _Run:
    """The state of one run; ``execute`` is the loop."""

    def __init__(self, problem: Problem, settings: Settings) -> None:
        self.problem, self.s = problem, settings
        self.n, self.d = problem.n_samples, problem.n_params
        self.penalty = settings.penalty_term
        self.softmax = problem.kind == "softmax"
        self.function = isinstance(problem, Objective)
        self.what = "f" if self.function else "loss"
        self.sign = -1.0 if settings.maximize else 1.0
        self.notes: list[str] = []
        self._check_compatible()
        planned = plan(self.n, settings)
        self.batch, self.as_batch = planned.batch_size, planned.as_batch
        self.variant = "batch" if self.as_batch else settings.variant
        self.per_epoch, self.total = planned.updates_per_epoch, planned.n_updates
        if settings.variant == "minibatch" and self.as_batch and self.n > 1:
            self.notes.append(
                f"Batch size {settings.batch_size} ≥ {self.n} rows: ran as batch "
                "descent."
            )
        self.stride = self._recording_stride()
        self.rule = rules.RULE_IDS[settings.rule]
        self.schedule = rules.SCHEDULE_IDS[settings.schedule]

    # -- set-up ---------------------------------------------------------------
    def _check_compatible(self) -> None:
        s = self.s
        if self.function and s.variant != "batch":
            raise SettingsError(
                f"variant '{s.variant}' needs data rows to sample, and a function has "
                "none: use variant='batch'."
            )
        if s.maximize and not self.function:
            raise SettingsError(
                "maximize=True climbs a function; a regression loss is always "
                "minimised. Use an Objective for gradient ascent."
            )
        if self.penalty is not None and self.function:
            raise SettingsError(
                f"penalty={s.penalty!r} penalises a model's weights, and a function "
                "has none: use penalty=None, or write the penalty into f."
            )
        if s.theta0 is not None and len(s.theta0) != self.d:
            raise SettingsError(
                f"theta0 has {len(s.theta0)} values but the problem has "
                f"{self.d} parameters."
            )

    def _recording_stride(self) -> int:
        intervals = self.s.max_points - 1
        if self.problem.kind in ("logistic", "huber", "softmax") and not self.as_batch:
            descent_rows = self.total * self.batch
            affordable = max(descent_rows, _MIN_EVALUATION_ROWS) // self.n
            intervals = min(intervals, max(affordable, math.ceil(self.s.max_epochs)))
        return max(1, math.ceil(self.total / intervals))

    # -- the loop ---------------------------------------------------------------
    def execute(self) -> Trace:
        self.start = time.perf_counter()
        theta = np.zeros(self.d) if self.s.theta0 is None else np.array(self.s.theta0)
        self.m, self.v = np.zeros(self.d), np.zeros(self.d)
        self.recorder = Recorder(self.s.max_points)
        with np.errstate(all="ignore"):
            loss, grad = self._evaluate_one(theta)
            val = self.problem.validation_losses(theta[None, :])
            self.has_validation = val is not None
            self.rules = stopping.StopRules(
                self.s, initial_loss=self.sign * loss, what=self.what, sign=self.sign
            )
            val = math.nan if val is None else float(val[0])
            self.recorder.add_point(0, 0.0, loss, val, theta, grad)
            outcome = self._verdict(0, theta, loss, grad, epoch_end=False)
            advance = self._advance_batch if self.as_batch else self._advance_epoch
            t = 0
            while outcome is None:
                t, theta, loss, grad, outcome = advance(t, theta, loss, grad)
        return self._trace(outcome)

    def _advance_batch(self, t, theta, loss, grad):
        """One update with the full gradient already evaluated at θ."""
        t += 1
        s = self.s
        grad = self.sign * self._loss_grad
        lr = self._lr(t)
        p = self.penalty
        if p is not None:  # see rules.penalty_gradient
            mask, old = self.problem.penalised, np.empty(self.d)
            rules.penalty_gradient(self.rule, theta, grad, p.l1, p.l2, mask, old)
        rules.apply_update(
            self.rule, theta, grad, lr, self.m, self.v, t, s.momentum, s.beta2,
            s.adaptive_eps,
        )  # fmt: skip
        if p is not None:
            rules.penalty_after(self.rule, theta, lr, p.l1, mask, old, self.m)
        loss, grad = self._evaluate_one(theta)
        outcome = self._verdict(t, theta, loss, grad, epoch_end=True)
        if outcome is not None or t % self.stride == 0:
            # Validation rows are scored only at recorded points.
            seconds = time.perf_counter() - self.start
            val = self._validation_one(theta)
            self.recorder.add_point(t, seconds, loss, val, theta, grad)
        return t, theta, loss, grad, outcome

    def _advance_epoch(self, t, theta, loss, grad):
        """One epoch (or what is left of the budget) of compiled row updates."""
        if not hasattr(self, "_rows"):
            self._rows = self._row_state()
        state = self._rows
        count = min(self.per_epoch, self.total - t)
        t0, seconds0 = t, time.perf_counter() - self.start
        X, y = self.problem.X, self.problem.y
        if self.s.shuffle:
            done = self._shuffled_updates(theta, count, t)
        else:
            done = self._compiled_updates(X, y, theta, count, t)
        t_end = t0 + done
        seconds1 = time.perf_counter() - self.start
        # The grid snapshots inside the stretch, then its end (if off the grid).
        steps = np.arange((t0 // self.stride + 1) * self.stride, t_end + 1, self.stride)
        thetas = state.path[steps // self.stride]
        if len(steps) == 0 or steps[-1] != t_end:
            steps = np.append(steps, t_end)
            thetas = np.vstack([thetas, theta])
        losses, _, grads = self._evaluate(thetas)
        vals = self.problem.validation_losses(thetas)
        seconds = seconds0 + (seconds1 - seconds0) * (steps - t0) / max(done, 1)
        # Check the stopping rules at every point, vectorised; the last point
        # of the stretch also gets the once-per-epoch and budget checks.
        last = len(steps) - 1
        flagged = self.rules.flags(self.sign * losses, thetas, grads)[:last]
        candidates = [*np.flatnonzero(flagged).tolist(), last]
        for k in candidates:
            outcome = self._verdict(
                int(steps[k]),
                thetas[k],
                float(losses[k]),
                grads[k],
                epoch_end=k == last and done == count,
                blew_up=k == last and done < count,
            )
            if outcome is not None or k == last:
                break
        keep = slice(0, k + 1)
        on_grid = steps[keep] % self.stride == 0
        if outcome is not None:
            on_grid[-1] = True  # the stopping point is always recorded
        self.recorder.add_block(
            steps[keep][on_grid],
            seconds[keep][on_grid],
            losses[keep][on_grid],
            (np.full(k + 1, np.nan) if vals is None else vals[keep])[on_grid],
            thetas[keep][on_grid],
            grads[keep][on_grid],
        )
        return int(steps[k]), thetas[k].copy(), float(losses[k]), grads[k], outcome

    def _shuffled_updates(self, theta, count, t) -> int:
        """``count`` updates from update t on this epoch's row order; the number done.

        Rows are gathered into a contiguous buffer, whole batches at a time, so
        that the compiled loop reads memory in order. A buffer of exactly one
        window (the batch size divides WINDOW_ROWS, as 1 and 32 do) is filled
        window by window by ``kernels.window_rows``, whose two passes read memory
        in order; other sizes take rows from the whole order.
        """
        from gddash.engine import kernels  # imports numba: on first use

        state, X, y = self._rows, self.problem.X, self.problem.y
        # Into the same array every epoch: the server hands freed large arrays
        # back to the system, and a fresh one costs a page fault per 4 KiB.
        rows, within = shuffle.epoch_rows(state.rng, self.n, out=state.epoch_rows)
        rows_x, rows_y = state.rows_x, state.rows_y
        by_window = len(rows_y) == shuffle.WINDOW_ROWS
        order = None if by_window else shuffle.window_order(rows, within)
        per_block = len(rows_y) // self.batch
        done = 0
        while done < count:
            k = min(per_block, count - done)
            lo = done * self.batch
            hi = min(lo + k * self.batch, self.n)
            if by_window:  # lo is where a window starts
                m = min(len(rows_y), self.n - lo)
                positions = within if m == len(within) else within[within < m]
                kernels.window_rows(
                    X, y, rows[lo : lo + m], positions, state.tmp, (rows_x, rows_y)
                )
            else:
                np.take(X, order[lo:hi], axis=0, out=rows_x[: hi - lo])
                np.take(y, order[lo:hi], out=rows_y[: hi - lo])
            ran = self._compiled_updates(
                rows_x[: hi - lo], rows_y[: hi - lo], theta, k, t + done
            )
            done += ran
            if ran < k:
                break
        return done

    # -- helpers --------------------------------------------------------------
    def _evaluate(self, thetas):
        """The objective (k,), its smooth gradient and its reported gradient
        (the minimum-norm subgradient with an L1 penalty) at thetas (k, d)."""
        losses, grads = self.problem.evaluate(thetas)
        if self.penalty is None:
            return losses, grads, grads
        return self.penalty.add_to(losses, grads, thetas, self.problem.penalised)

    def _evaluate_one(self, theta):
        """Objective and reported gradient at θ; keeps the loss's own gradient
        (no penalty) for the next batch update in ``self._loss_grad``."""
        losses, grads = self.problem.evaluate(theta[None, :])
        self._loss_grad = grads[0]
        if self.penalty is not None:
            losses, _, grads = self.penalty.add_to(
                losses, grads, theta[None, :], self.problem.penalised
            )
        return float(losses[0]), grads[0]

    def _validation_one(self, theta) -> float:
        if not self.has_validation:
            return math.nan
        return float(self.problem.validation_losses(theta[None, :])[0])

    def _verdict(self, t, theta, loss, grad, *, epoch_end: bool, blew_up=False):
        """The stopping verdict at an evaluated point (None: keep going)."""
        internal = self.sign * loss
        happened = self.rules.diverged(t, internal, theta)
        if happened is None and blew_up:
            text = f"a prediction overflowed at update {t + 1}"
            happened = stopping.Blowup("overflow", text)
        if happened is not None:
            stable = None
            if self.s.rule == "plain":
                stable = self.problem.stable_learning_rate(self.batch)
                if stable is not None and self.penalty is not None:
                    # The L2 part adds l2 to the curvature: 2/L becomes 2/(L + l2).
                    stable = 1.0 / (1.0 / stable + self.penalty.l2 / 2.0)
            message = stopping.diverged_message(
                happened, self.s.learning_rate, stable, self.function, self.s.maximize
            )
            return stopping.Stop("diverged", "diverged", message)
        grad_norm = math.sqrt(float(grad @ grad))
        if self.rules.converged_by_gradient(grad_norm):
            message = stopping.converged_message(self.what, grad_norm, self.s.eps, t)
            return stopping.Stop("converged", "eps", message)
        if epoch_end and self.rules.converged_by_tol(internal):
            message = stopping.tol_message(
                self.what, self.s.tol, self.s.n_iter_no_change, self._epochs(t)
            )
            return stopping.Stop("converged", "tol", message)
        if t >= self.total:
            message = stopping.budget_message(
                epochs=self._epochs(t),
                updates=t,
                grad_norm=grad_norm,
                eps=self.s.eps,
                what=self.what,
                stochastic_constant=not self.as_batch and self.s.schedule == "constant",
            )
            return stopping.Stop("max_iter", "budget", message)
        return None

    def _lr(self, t):
        s = self.s
        return rules.learning_rate_at(
            self.schedule,
            s.learning_rate,
            max(t, 1),
            self.per_epoch,
            s.power_t,
            s.drop,
            s.step_epochs,
            s.decay,
        )

    def _samples(self, t):
        """Rows processed after t updates (the last batch of an epoch may be short)."""
        if self.as_batch:
            return t * self.n
        epochs, within = np.divmod(t, self.per_epoch)
        return epochs * self.n + np.minimum(within * self.batch, self.n)

    def _epochs(self, t) -> float:
        return float(self._samples(t) / self.n)

    def _trace(self, outcome: stopping.Stop) -> Trace:
        cols = self.recorder.columns()
        updates = cols["updates"].astype(np.int64)
        samples = np.asarray(self._samples(updates), dtype=np.int64)
        if self.schedule == rules.CONSTANT:
            lrs = np.full(len(updates), self.s.learning_rate)
        else:
            lrs = np.array([self._lr(int(t)) for t in updates])
        return Trace(
            updates=updates,
            epochs=samples / self.n,
            samples=samples,
            seconds=cols["seconds"].astype(np.float64),
            loss=cols["loss"].astype(np.float64),
            val_loss=(
                cols["val_loss"].astype(np.float64) if self.has_validation else None
            ),
            gradient=cols["gradient"].astype(np.float64),
            learning_rate=lrs,
            path=cols["path"].astype(np.float64),
            status=outcome.status,
            reason=outcome.reason,
            message=outcome.message,
            variant=self.variant,
            batch_size=self.batch,
            notes=tuple(self.notes),
        )

    def _compiled_updates(self, X, y, theta, count, t) -> int:
        """``count`` updates on rows 0.. of X from update t, θ in place; the
        number done (fewer on blow-up)."""
        from gddash.engine import kernels  # imports numba: on first use

        state, problem = self._rows, self.problem
        where = dict(count=count, t=t, stride=self.stride, path=state.path)
        shrink = None
        if self.penalty is not None:
            shrink = kernels.Shrinkage(
                self.penalty.l1, self.penalty.l2, problem.penalised
            )
        batch = dict(
            batch_size=self.batch,
            rule=state.rule,
            schedule=state.schedule,
            grad=state.grad,
            m=self.m,
            v=self.v,
            penalty=shrink,
        )
        if self.softmax:
            return kernels.softmax_rows(
                X, y, theta, n_classes=problem.n_classes, **batch, **where
            )
        loss, epsilon = problem.loss, problem.epsilon
        plain = self.rule == rules.PLAIN
        if plain and self.batch == 1 and shrink is not None:
            return kernels.penalised_sgd_rows(
                X, y, theta, loss=loss, epsilon=epsilon, schedule=state.schedule,
                penalty=shrink, q=state.q, u=state.u, **where,
            )  # fmt: skip
        if plain and self.schedule == rules.CONSTANT and self.batch == 1:
            return kernels.sgd_rows(
                X, y, theta, loss=loss, epsilon=epsilon,
                learning_rate=self.s.learning_rate, **where,
            )  # fmt: skip
        return kernels.batch_rows(
            X, y, theta, loss=loss, epsilon=epsilon, **batch, **where
        )

    def _row_state(self) -> _RowState:
        from gddash.engine.kernels import Rule, Schedule

        s = self.s
        block = 0 if not s.shuffle else max(self.batch, _BUFFER_ROWS)
        block = min(block - block % self.batch, self.n) if block else 0
        window = block if block == shuffle.WINDOW_ROWS else 0
        n_features = self.problem.n_features  # columns of X (θ has K·d for softmax)
        return _RowState(
            rule=Rule(self.rule, s.momentum, s.beta2, s.adaptive_eps),
            schedule=Schedule(
                self.schedule,
                s.learning_rate,
                float(self.per_epoch),
                s.power_t,
                s.drop,
                s.step_epochs,
                s.decay,
            ),
            path=np.empty((self.total // self.stride + 1, self.d)),
            grad=np.empty(self.d),
            rng=np.random.default_rng(s.seed),
            rows_x=np.empty((block, n_features)),
            rows_y=np.empty(block),
            tmp=(np.empty((window, n_features)), np.empty(window)),
            epoch_rows=np.empty(self.n if s.shuffle else 0, np.int64),
            q=np.zeros(self.d),
            u=np.zeros(1),
        )


def warm_up() -> None:
    """Compile (or load from numba's cache) every compiled loop the pages use.

    A server calls this in a background thread at start-up, so that the first
    visitor's stochastic run does not wait for numba.
    """
    from gddash.engine.problems import (
        HuberRegression,
        LinearRegression,
        LogisticRegression,
    )
    from gddash.engine.softmax import SoftmaxRegression

    X = np.column_stack([np.ones(8), np.arange(8.0)])
    squared = LinearRegression(X, X[:, 1] * 2.0)
    logistic = LogisticRegression(X, (X[:, 1] > 3.0) * 1.0)
    huber = HuberRegression(X, X[:, 1] * 2.0)
    softmax = SoftmaxRegression(X, X[:, 1] % 3)
    # One loss type serves every loss, so squared and softmax cover the loops;
    # each loss is a branch inside them, not a compiled signature of its own.
    for problem in (squared, softmax):
        for penalty in (None, "l1"):
            for variant in ("sgd", "minibatch"):
                settings = Settings(
                    variant=variant, batch_size=3, max_epochs=1, penalty=penalty,
                    alpha=0.1,
                )  # fmt: skip
                descend(problem, settings)
    descend(huber, Settings(max_epochs=2))  # the compiled full-data pass
    # The log-loss's full-data pass (θ = 0 is answered from a cache, hence 2 epochs).
    descend(logistic, Settings(max_epochs=2))
    # The gather of a shuffled window, which runs from WINDOW_ROWS rows up.
    from gddash.engine import kernels

    rows = np.arange(8)
    buffers = [(np.empty_like(X), np.empty(8)) for _ in range(2)]
    kernels.window_rows(X, X[:, 1].copy(), rows, rows[::-1].copy(), *buffers)
