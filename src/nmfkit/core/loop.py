"""The only outer loop: stopping rule, loss history, callback, progress, warning.

Stopping rule (the one meaning of ``tol`` for every solver): the objective is evaluated
every ``plan.check_every`` iterations; the fit stops as converged at the first check
where it decreased by less than ``tol`` times its current value since the previous
check (or reached zero). Otherwise it stops at ``max_iter`` with a ConvergenceWarning,
when the callback returns True, or when the LoopControl asks to stop (Ctrl-C in the
CLI): then after the current iteration, never inside one.
"""

import time
import warnings
from dataclasses import dataclass, field

from sklearn.exceptions import ConvergenceWarning

from .init import make_rng
from .losses import objective
from .solvers import SOLVERS

__all__ = ["run", "FitResult", "LoopControl"]


class LoopControl:
    """What a caller can ask of the Loop besides the fit itself; this one asks nothing.

    ``stop_requested`` is read after every iteration (a signal handler may set it):
    the Loop then stops cleanly with ``stop_reason_ = 'interrupted'``.
    """

    stop_requested = False

    def start(self, data, plan, engine):
        """The saved progress to continue from, or None to start afresh."""
        return None

    def save(self, snapshot, final=False):
        """Called at every check (and, with ``final=True``, on interruption)."""


@dataclass
class FitResult:
    """What a fit produced besides the factors."""

    n_iter: int
    loss: float
    loss_curve: list = field(default_factory=list)
    stop_reason: str = "max_iter"
    facts: dict = field(default_factory=dict)  # data.describe(), for reuse after the fit
    stats: dict = field(default_factory=dict)  # Gram products valid for the returned pair
    times: list = field(default_factory=list)  # seconds since the start, at each check
    data_fit: float = None  # d_β(X | W H) of the returned pair, when already known


def run(data, W, H, plan, engine, callback=None, caller="NMF", control=None):
    """Iterate the Plan's solver step from (W, H) until the stopping rule fires.

    Parameters
    ----------
    data : FitData
        What the fit works on (``nmfkit.core.data``): the step for its kind runs.
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
    control : LoopControl, optional
        Resumes from and saves checkpoints (``nmfkit.Checkpoint``); its
        ``stop_requested``, read after every iteration, stops the fit cleanly.

    Returns
    -------
    W, H : arrays
    result : FitResult
    """
    solver = SOLVERS[plan.solver]
    step = solver.steps[data.kind]  # the Plan checked that the solver fits this kind
    control = control if control is not None else LoopControl()
    with engine.threads(pooled=solver.pooled):
        return _iterate(data, W, H, plan, engine, step, callback, caller, control)


def _iterate(data, W, H, plan, engine, step, callback, caller, control):
    """The body of ``run``, inside the engine's thread context."""
    state = {
        "facts": data.describe(),
        "stats": {},
        "update_H": plan.update_H,
        "rng": make_rng(plan.random_state) if plan.shuffle else None,
    }
    facts = state["facts"]
    saved = control.start(data, plan, engine)
    if saved is None:
        first, offset = 1, 0.0
        loss = objective(data, W, H, plan, facts)
        curve, times, previous = [loss], [0.0], loss
    else:
        W, H, curve, times = saved["W"], saved["H"], saved["curve"], saved["times"]
        first, offset, previous = saved["n_iter"] + 1, times[-1], saved["previous"]
        state.update(saved["state"])
        loss = objective(data, W, H, plan, facts)
    start = time.perf_counter() - offset

    def snapshot():
        # what the Loop and the solver need to go on from here; caches are rebuilt
        progress = {k: v for k, v in state.items() if k != "facts" and not k.startswith("_")}
        return dict(
            plan=plan, n_iter=it, W=W, H=H, curve=curve, times=times, previous=previous,
            state=progress,
        )  # fmt: skip

    if plan.verbose:
        print(f"{'iter':>6} {'loss':>14} {'rel. change':>12} {'time (s)':>9}")
        print(f"{first - 1:>6} {loss:>14.6e} {'':>12} {offset:>9.3f}")
    reason, it = "max_iter", first - 1
    for it in range(first, plan.max_iter + 1):
        W, H = step(data, W, H, state, plan, engine)
        # lazy engines (Dask) materialise the factors here, so graphs never grow
        W, H = engine.persist(W, H)
        if control.stop_requested:
            # a clean stop between iterations: save where the fit is, then report it
            control.save(snapshot, final=True)
            loss = objective(data, W, H, plan, facts, state["stats"])
            curve, times = curve + [loss], times + [time.perf_counter() - start]
            reason = "interrupted"
            break
        if it % plan.check_every and it != plan.max_iter:
            continue
        loss = objective(data, W, H, plan, facts, state["stats"])
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
        control.save(snapshot)
    if reason == "max_iter" and plan.tol > 0:
        warnings.warn(
            f"{caller}: maximum number of iterations max_iter={plan.max_iter} reached "
            f"before convergence (tol={plan.tol:g}); increase max_iter or tol.",
            ConvergenceWarning,
        )
    result = FitResult(it, loss, curve, reason, facts, state["stats"], times)
    return W, H, result
