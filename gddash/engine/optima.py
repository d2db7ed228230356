"""The minimum of any data problem, penalised or not, computed independently of descent.

Which method, and why (numpy only):

- squared loss, no L1: the normal equations, (H + l2·M) θ = Xᵀy/m with
  H = XᵀX/m and M the penalised entries (ridge in closed form);
- squared loss with L1 (lasso, elastic net): cyclic coordinate descent on H,
  exact per coordinate (a soft-threshold), until the minimum-norm subgradient
  is at most ``tol``;
- log-loss without a penalty: Newton's method (``reference.logistic_optimum``);
- other smooth objectives (log-loss with L2, Huber, softmax): damped Newton
  steps (pseudo-inverse of the Hessian, so softmax's flat direction Σ_c θ_c
  is left alone) while θ has at most ``NEWTON_PARAMS`` entries, else L-BFGS,
  each with a backtracking line search, until ‖∇F‖ <= ``tol``;
- other objectives with L1: FISTA (accelerated proximal gradient, step 1/L from
  the problem's curvature bound, restarted when F rises) until the
  prox-gradient mapping ‖θ − prox(θ − ∇f/L)‖·L is at most ``tol``.

Without a penalty the log-loss and softmax have no minimum on separable data:
the search stops once the loss is below 1e-9 and says ``separable``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from gddash.engine.penalties import Penalty, soft
from gddash.engine.problems import LinearRegression, LogisticRegression
from gddash.engine.reference import logistic_optimum

SEPARABLE_LOSS = 1e-9
NEWTON_PARAMS = 500  # a Hessian of at most 500² entries (2 MB)


@dataclass(frozen=True)
class Minimum:
    """θ* of a problem's (penalised) objective, the objective there, and how.

    ``converged`` is False when the method hit its iteration cap before
    ``tol``; ``separable`` as in ``reference.LogisticOptimum``.
    """

    theta: np.ndarray
    loss: float
    method: str
    separable: bool = False
    converged: bool = True


def minimum(
    problem,
    penalty: Penalty | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 20_000,
) -> Minimum:
    """The minimiser of ``problem``'s mean loss plus ``penalty`` (see module doc).

    Parameters
    ----------
    problem : LinearRegression, LogisticRegression, HuberRegression or
        SoftmaxRegression
    penalty : Penalty or None
    tol : float, the stopping tolerance on the (sub)gradient norm
    max_iter : int, the iteration (or coordinate sweep) cap

    Returns
    -------
    Minimum
    """
    l1 = 0.0 if penalty is None else penalty.l1
    l2 = 0.0 if penalty is None else penalty.l2
    if isinstance(problem, LinearRegression):
        if l1 == 0.0:
            theta = _ridge(problem, l2)
            method = "closed form (normal equations)"
            done = True
        else:
            theta, done = _coordinate_descent(problem, l1, l2, tol, max_iter)
            method = "coordinate descent"
        return _result(problem, penalty, theta, method, converged=done)
    if l1 == 0.0 and l2 == 0.0 and isinstance(problem, LogisticRegression):
        found = logistic_optimum(problem.X, problem.y)
        return _result(problem, penalty, found.theta, "Newton's method")
    if l1 == 0.0 and problem.n_params <= NEWTON_PARAMS:
        theta, done = _newton(problem, l2, tol, min(max_iter, 500))
        return _result(problem, penalty, theta, "Newton's method", converged=done)
    if l1 == 0.0:
        theta, done = _lbfgs(problem, l2, tol, max_iter)
        return _result(problem, penalty, theta, "L-BFGS", converged=done)
    theta, done = _fista(problem, l1, l2, tol, max_iter)
    return _result(problem, penalty, theta, "proximal gradient (FISTA)", done)


def _result(problem, penalty, theta, method, converged=True):
    loss = float(problem.evaluate(theta[None, :], penalty)[0][0])
    # Only an unpenalised classifier can lack a minimum (separable classes).
    unpenalised = penalty is None or penalty.alpha == 0.0
    separable = unpenalised and problem.kind in ("logistic", "softmax") and loss < 1e-6
    return Minimum(theta, loss, method, separable, bool(converged))


def _ridge(problem: LinearRegression, l2: float) -> np.ndarray:
    # ∇L(θ) = g_a + H(θ − θ_a), so ∇L + l2·Mθ = 0 is (H + l2·M) θ = Hθ_a − g_a.
    train = problem._train
    if l2 == 0.0:
        return train.anchor.copy()
    lhs = train.hessian + l2 * np.diag(problem.penalised.astype(float))
    rhs = train.hessian @ train.anchor - train.grad_a
    return np.linalg.lstsq(lhs, rhs, rcond=None)[0]


def _coordinate_descent(problem: LinearRegression, l1, l2, tol, max_sweeps):
    """Least squares + elastic net: ``quadratic_minimum`` from θ = 0."""
    train = problem._train
    H = train.hessian
    smooth = train.grad_a - H @ train.anchor  # the smooth gradient at θ = 0
    return quadratic_minimum(
        np.zeros(H.shape[0]),
        smooth,
        H,
        l1,
        l2,
        problem.penalised,
        tol=tol,
        max_sweeps=max_sweeps,
    )


def quadratic_minimum(
    theta: np.ndarray,
    smooth: np.ndarray,
    H: np.ndarray,
    l1: float,
    l2: float,
    mask: np.ndarray,
    *,
    tol: float,
    max_sweeps: int,
) -> tuple[np.ndarray, bool]:
    """argmin of a quadratic with Hessian H plus l1‖θ_M‖₁ + ½l2‖θ_M‖², from θ.

    ``smooth`` is the gradient at θ of everything but the L1 term (the
    quadratic and the L2 term). Cyclic exact minimisation over one coordinate
    at a time: with c_j = H_jj + l2 (penalised j) the curvature along j, the
    best θ_j is soft(θ_j − s_j/c_j, l1/c_j) for a penalised j (the plain Newton
    step for the intercept); s is then updated by the column H[:, j]. Returns
    (θ, whether the minimum-norm subgradient fell to ``tol``). Least squares
    uses it from θ = 0; a large source's proximal Newton on each step's model.
    """
    theta = np.array(theta, dtype=float)
    smooth = np.array(smooth, dtype=float)
    curvature = np.diag(H) + l2 * mask
    for _ in range(max_sweeps):
        for j in range(len(theta)):
            if curvature[j] <= 0.0:
                continue  # a column of zeros: θ_j does not matter
            target = theta[j] - smooth[j] / curvature[j]
            if mask[j]:
                target = math.copysign(
                    max(abs(target) - l1 / curvature[j], 0.0), target
                )
            delta = target - theta[j]
            if delta != 0.0:
                theta[j] = target
                smooth += H[:, j] * delta
                smooth[j] += l2 * mask[j] * delta
        if subgradient_norm(theta, smooth, l1, mask) <= tol:
            return theta, True
    return theta, False


def subgradient_norm(theta, smooth, l1: float, mask) -> float:
    """‖the minimum-norm subgradient‖ at θ, from the smooth part's gradient."""
    reported = np.where(theta != 0.0, smooth + l1 * np.sign(theta), soft(smooth, l1))
    reported = np.where(mask, reported, smooth)
    return float(np.sqrt(reported @ reported))


def _smooth_objective(problem, l2):
    ridge = Penalty("l2", l2) if l2 > 0.0 else None

    def value_and_gradient(theta):
        losses, grads = problem.evaluate(theta[None, :], ridge)
        return float(losses[0]), grads[0]

    return value_and_gradient


def _hessian(problem, theta: np.ndarray, l2: float) -> np.ndarray:
    """∇²F at θ: Xᵀ D X/m with the loss's second derivatives D, plus l2·M."""
    X, m = problem.X, problem.n_samples
    if problem.kind == "softmax":
        k = problem.n_classes
        p = problem.probabilities(theta)
        hessian = np.empty((problem.n_params, problem.n_params))
        d = X.shape[1]
        for a in range(k):  # block (a, b) = Xᵀ diag(p_a([a = b] − p_b)) X / m
            for b in range(a, k):
                weight = p[:, a] * ((a == b) - p[:, b])
                block = (X.T * weight) @ X / m
                hessian[a * d : (a + 1) * d, b * d : (b + 1) * d] = block
                hessian[b * d : (b + 1) * d, a * d : (a + 1) * d] = block.T
    else:  # Σ ℓ''(x·θ, y) x xᵀ, ℓ'' the row loss's curvature (``losses``)
        from gddash.engine.data_pass import curvature_sums  # imports numba

        hessian = np.empty((problem.n_params, problem.n_params))
        epsilon = getattr(problem, "epsilon", 0.1)  # Huber's ε
        curvature_sums(X, problem.y, theta, 0, len(X), hessian,
                       loss=problem.loss, epsilon=epsilon)  # fmt: skip
        hessian /= m
    return hessian + l2 * np.diag(problem.penalised.astype(float))


def _newton(problem, l2, tol, max_iter):
    """Damped Newton: step H⁺g (least squares), halved until F falls enough."""
    f = _smooth_objective(problem, l2)
    theta = np.zeros(problem.n_params)
    value, grad = f(theta)
    for _ in range(max_iter):
        if math.sqrt(grad @ grad) <= tol:
            return theta, True
        if l2 == 0.0 and value < SEPARABLE_LOSS:
            return theta, True
        step = np.linalg.lstsq(_hessian(problem, theta, l2), grad, rcond=None)[0]
        decrement = float(grad @ step)
        if not decrement > 0.0:  # H⁺g is no descent direction: use the gradient
            step, decrement = grad, float(grad @ grad)
        rate = 1.0
        while True:
            candidate = theta - rate * step
            new_value, new_grad = f(candidate)
            if new_value <= value - 1e-4 * rate * decrement:
                break
            rate /= 2
            if rate < 1e-20:
                # No decrease at float precision: as close as this can get.
                return theta, math.sqrt(grad @ grad) <= 1e3 * tol
        theta, value, grad = candidate, new_value, new_grad
    return theta, False


def _lbfgs(problem, l2, tol, max_iter, memory=10):
    """Limited-memory BFGS (two-loop recursion) with Armijo backtracking."""
    f = _smooth_objective(problem, l2)
    theta = np.zeros(problem.n_params)
    value, grad = f(theta)
    pairs: deque = deque(maxlen=memory)
    for _ in range(max_iter):
        if math.sqrt(grad @ grad) <= tol:
            return theta, True
        if l2 == 0.0 and value < SEPARABLE_LOSS:  # separable: no minimum to reach
            return theta, True
        direction = -_two_loop(grad, pairs)
        slope = float(grad @ direction)
        if slope >= 0.0:  # not a descent direction: restart from the gradient
            pairs.clear()
            direction, slope = -grad, -float(grad @ grad)
        rate = 1.0
        while True:
            candidate = theta + rate * direction
            new_value, new_grad = f(candidate)
            if new_value <= value + 1e-4 * rate * slope:
                break
            rate /= 2
            if rate < 1e-20:
                return theta, False  # no decrease left at float precision
        s, yk = candidate - theta, new_grad - grad
        if s @ yk > 1e-16 * math.sqrt((s @ s) * (yk @ yk)):
            pairs.append((s, yk))
        theta, value, grad = candidate, new_value, new_grad
    return theta, False


def _two_loop(grad, pairs):
    """H·g for the L-BFGS inverse-Hessian estimate H built from (s, y) pairs."""
    q = grad.copy()
    alphas = []
    for s, y in reversed(pairs):
        a = (s @ q) / (y @ s)
        alphas.append(a)
        q -= a * y
    if pairs:
        s, y = pairs[-1]
        q *= (s @ y) / (y @ y)
    for (s, y), a in zip(pairs, reversed(alphas), strict=True):
        b = (y @ q) / (y @ s)
        q += (a - b) * s
    return q


def _fista(problem, l1, l2, tol, max_iter):
    """Accelerated proximal gradient with a fixed step 1/L and adaptive restart.

    L bounds the smooth part's curvature: 2/stable_learning_rate(n) (the
    problem's bound on λ_max of its Hessian) plus l2.
    """
    f = _smooth_objective(problem, l2)
    mask = problem.penalised
    lipschitz = 2.0 / problem.stable_learning_rate(problem.n_samples) + l2
    step = 1.0 / lipschitz

    def prox(v):
        return np.where(mask, soft(v, step * l1), v)

    def total(theta, value):
        return value + l1 * float(np.abs(theta[mask]).sum())

    theta = np.zeros(problem.n_params)
    point, momentum = theta.copy(), 1.0
    value_theta = total(theta, f(theta)[0])
    for _ in range(max_iter):
        grad = f(point)[1]
        new = prox(point - step * grad)
        mapping = (point - new) / step
        new_value = total(new, f(new)[0])
        if new_value > value_theta and momentum > 1.0:
            # F rose: restart the momentum (O'Donoghue & Candès)
            point, momentum = theta.copy(), 1.0
            continue
        if math.sqrt(mapping @ mapping) <= tol:
            return new, True
        next_momentum = (1.0 + math.sqrt(1.0 + 4.0 * momentum**2)) / 2.0
        point = new + ((momentum - 1.0) / next_momentum) * (new - theta)
        theta, value_theta, momentum = new, new_value, next_momentum
    return theta, False
