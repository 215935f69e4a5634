"""The only outer loop: stopping rule, loss history, callback, progress, warning.

Stopping rule (the one meaning of ``tol`` for every solver): the objective is evaluated
every ``plan.check_every`` iterations; the fit stops as converged at the first check
before ``max_iter`` where it decreased by less than ``tol`` times its current value
since the previous check (or reached zero). It also stops when the callback returns
True, or when the LoopControl asks to stop (Ctrl-C in the CLI): then after the current
iteration, never inside one. Otherwise it runs ``max_iter`` iterations and, when
``tol > 0``, warns (ConvergenceWarning) as scikit-learn does: a fit that used every
iteration warns even when its last check met the tolerance.
"""

import math
import time
import warnings
from dataclasses import dataclass, field

from sklearn.exceptions import ConvergenceWarning

from .init import make_rng
from .losses import objective
from .solvers import SOLVERS

__all__ = ["run", "FitResult", "LoopControl", "check_finite", "max_iter_message", "STOP_REASONS"]

# Why a fit stopped (``stop_reason_``); MiniBatchNMF adds its own two
STOP_REASONS = ("converged", "max_iter", "callback", "interrupted")


def max_iter_message(caller, max_iter, tol):
    """The ConvergenceWarning of a fit that used all its iterations (scikit-learn's
    sentence, then the parameters)."""
    return (
        f"{caller}: Maximum number of iterations {max_iter} reached. Increase it to improve "
        f"convergence (max_iter={max_iter}, tol={tol:g}; a larger tol also stops sooner)."
    )


def check_finite(loss, n_iter, caller):
    """Raise FloatingPointError when the objective is NaN or infinite: the factors have
    overflowed, and going on (or calling the result converged) would hand back NaN."""
    if math.isfinite(loss):
        return
    when = "at the start" if n_iter == 0 else f"at iteration {n_iter}"
    raise FloatingPointError(
        f"{caller}: the objective is {loss} {when}: it overflows (the factors or the "
        "penalties are too large for the dtype), and no finite factors would come of "
        "going on. Rescale X or the custom W and H (their product should be of X's "
        "size), lower alpha_W/alpha_H, or try solver='mu'."
    )


class LoopControl:
    """What a caller can ask of the Loop besides the fit itself; this one asks nothing.

    ``stop_requested`` is read after every iteration (a signal handler may set it):
    the Loop then stops cleanly with ``stop_reason_ = 'interrupted'``.
    """

    stop_requested = False
    saves = False  # whether ``save`` keeps the fit's progress (a checkpoint does)

    def start(self, data, plan, engine):
        """The saved progress to continue from, or None to start afresh."""
        return None

    def save(self, snapshot, final=False):
        """Called at every check (and, with ``final=True``, on interruption)."""

    def finish(self):
        """Called when the fit ends, however it ends (release what ``start`` took)."""


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
    constraints: tuple = ()  # the Plan's constraints, 'auto' values settled


def _solver(name):
    """NMF's solver of this name, or a relative's (``core.family``)."""
    if name in SOLVERS:
        return SOLVERS[name]
    from .family import FAMILY_SOLVERS  # it builds on the Plan, which the Loop runs

    return FAMILY_SOLVERS[name]


def run(data, W, H, plan, engine, callback=None, caller="NMF", control=None):
    """Iterate the Plan's solver step from (W, H) until the stopping rule fires.

    Parameters
    ----------
    data : FitData
        What the fit works on (``nmfkit.core.data``): the step for its kind runs.
    W : array of shape (n_samples, k), or the list [W, H]
        Starting W, updated (possibly in place). Given as the list ``[W, H]`` (with
        ``H=None``), the starting pair is handed over: the Loop empties the list, so
        that no reference of the caller keeps the pair alive for the whole fit (one W
        and one H of memory).
    H : array of shape (k, n_features), or None
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
    solver = _solver(plan.solver)
    step = solver.steps[data.kind]  # the Plan checked that the solver fits this kind
    control = control if control is not None else LoopControl()
    if H is None and not isinstance(W, list):
        raise TypeError("run: pass the starting pair as W and H, or as the list [W, H]")
    pair = W if H is None else [W, H]
    del W, H  # from here on only ``pair`` holds the starting pair, until _iterate takes it
    try:
        with engine.threads(pooled=solver.pooled):
            return _iterate(data, pair, plan, engine, step, callback, caller, control)
    finally:
        control.finish()


def _iterate(data, pair, plan, engine, step, callback, caller, control):
    """The body of ``run``, inside the engine's thread context."""
    W, H = pair
    pair.clear()
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
        check_finite(loss, 0, caller)
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
            # a clean stop between iterations: save where the fit is (never a
            # non-finite point over the last good checkpoint), then report it
            loss = objective(data, W, H, plan, facts, state["stats"])
            check_finite(loss, it, caller)
            control.save(snapshot, final=True)
            curve, times = curve + [loss], times + [time.perf_counter() - start]
            reason = "interrupted"
            break
        if it % plan.check_every and it != plan.max_iter:
            continue
        loss = objective(data, W, H, plan, facts, state["stats"])
        check_finite(loss, it, caller)
        curve.append(loss)
        times.append(time.perf_counter() - start)
        change = (previous - loss) / loss if loss > 0 else 0.0
        if plan.verbose:
            elapsed = time.perf_counter() - start
            print(f"{it:>6} {loss:>14.6e} {change:>12.3e} {elapsed:>9.3f}")
        if callback is not None and callback(it, loss, W, H):
            reason = "callback"
            break
        # a fit that used every iteration reports max_iter, as scikit-learn's does
        if it < plan.max_iter and (loss <= 0 or change < plan.tol or plan.solved_in_one_step):
            reason = "converged"
            break
        previous = loss
        control.save(snapshot)
    if reason == "max_iter" and plan.tol > 0:
        warnings.warn(max_iter_message(caller, plan.max_iter, plan.tol), ConvergenceWarning)
    result = FitResult(it, loss, curve, reason, facts, state["stats"], times)
    return W, H, result
