"""The only outer loop: stopping rule, loss history, callback, progress, warning.

Stopping rule (the one meaning of ``tol`` for every solver): the objective is evaluated
every ``plan.check_every`` iterations; the fit stops as converged at the first check
where it decreased by less than ``tol`` times its current value since the previous
check (or reached zero). Otherwise it stops at ``max_iter`` with a ConvergenceWarning,
or when the callback returns True.
"""

import time
import warnings
from dataclasses import dataclass, field

from sklearn.exceptions import ConvergenceWarning

from ._init import make_rng
from .losses import describe_data, objective
from .solvers import SOLVERS

__all__ = ["run", "FitResult"]


@dataclass
class FitResult:
    """What a fit produced besides the factors."""

    n_iter: int
    loss: float
    loss_curve: list = field(default_factory=list)
    stop_reason: str = "max_iter"
    data: dict = field(default_factory=dict)  # describe_data(X), for reuse after the fit
    stats: dict = field(default_factory=dict)  # Gram products valid for the returned pair
    times: list = field(default_factory=list)  # seconds since the start, at each check


def run(X, W, H, plan, engine, callback=None, caller="NMF"):
    """Iterate the Plan's solver step from (W, H) until the stopping rule fires.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    W : array of shape (n_samples, k)
        Starting W, updated (possibly in place).
    H : array of shape (k, n_features)
        Starting H, held fixed when ``plan.update_H`` is False.
    plan : Plan
    engine : Engine
    callback : callable, optional
        ``callback(n_iter, loss, W, H)`` at every check; returning True stops the fit.
    caller : str
        Named in the ConvergenceWarning.

    Returns
    -------
    W, H : arrays
    result : FitResult
    """
    solver = SOLVERS[plan.solver]
    step = solver.masked_step if plan.masked else solver.step
    with engine.threads(pooled=getattr(solver, "POOLED", False)):
        return _iterate(X, W, H, plan, engine, step, callback, caller)


def _iterate(X, W, H, plan, engine, step, callback, caller):
    """The body of ``run``, inside the engine's thread context."""
    state = {
        "data": describe_data(X, engine),
        "stats": {},
        "update_H": plan.update_H,
        "rng": make_rng(plan.random_state) if plan.shuffle else None,
    }
    loss = objective(X, W, H, plan, engine, state["data"])
    curve, times = [loss], [0.0]
    previous = loss
    start = time.perf_counter()
    if plan.verbose:
        print(f"{'iter':>6} {'loss':>14} {'rel. change':>12} {'time (s)':>9}")
        print(f"{0:>6} {loss:>14.6e} {'':>12} {0.0:>9.3f}")
    reason, it = "max_iter", 0
    for it in range(1, plan.max_iter + 1):
        W, H = step(X, W, H, state, plan, engine)
        # lazy engines (Dask) materialise the factors here, so graphs never grow
        W, H = engine.persist(W, H)
        if it % plan.check_every and it != plan.max_iter:
            continue
        loss = objective(X, W, H, plan, engine, state["data"], state["stats"])
        curve.append(loss)
        times.append(time.perf_counter() - start)
        change = (previous - loss) / loss if loss > 0 else 0.0
        if plan.verbose:
            elapsed = time.perf_counter() - start
            print(f"{it:>6} {loss:>14.6e} {change:>12.3e} {elapsed:>9.3f}")
        if callback is not None and callback(it, loss, W, H):
            reason = "callback"
            break
        if loss <= 0 or change < plan.tol:
            reason = "converged"
            break
        previous = loss
    if reason == "max_iter" and plan.tol > 0:
        warnings.warn(
            f"{caller}: maximum number of iterations max_iter={plan.max_iter} reached "
            f"before convergence (tol={plan.tol:g}); increase max_iter or tol.",
            ConvergenceWarning,
        )
    result = FitResult(it, loss, curve, reason, state["data"], state["stats"], times)
    return W, H, result
