"""Extrapolation with restarts around any alternating scheme (Ang & Gillis 2019).

Ang & Gillis, "Accelerating nonnegative matrix factorization algorithms using
extrapolation", Neural Computation 31(2), 2019, doi:10.1162/neco_a_01157. Given the two
half-steps of an alternating scheme (W given H, then H given W), ``extrapolated`` makes
a step that updates W from the extrapolated Hy, extrapolates (and projects) W, updates H
from that Wy and extrapolates it in turn. When the objective of (Wy, H) rises, it
restarts from the last accepted pair with a smaller β. It returns the best pair seen,
so the objective the Loop records never rises. The state lives in ``state`` as an
``Extrapolation``, which checkpoints save.
"""

import math
from dataclasses import dataclass
from typing import Any, Optional

from ...arrays.ops import namespace
from ..losses import objective

__all__ = ["Extrapolation", "extrapolated"]

# Ang & Gillis's parameters: initial β, its decrease on a restart, its increase after a
# success, and the increase of its upper bound.
BETA0, ETA, GAMMA, GAMMA_BAR = 0.5, 1.5, 1.01, 1.005


@dataclass
class Extrapolation:
    """Where an extrapolated scheme is: a step's memory between iterations.

    Attributes
    ----------
    W, H : arrays
        The last accepted pair (the half-steps' own iterates).
    Wy, Hy : arrays
        The extrapolated pair the next step starts from.
    beta, beta_max, beta_prev : float
        The extrapolation weight, its upper bound, and the weight of the last step.
    loss : float
        The objective of the last step's (Wy, H) pair (inf before the first step).
    best : tuple or None
        (objective, W, H, stats) of the best pair seen.
    """

    W: Any
    H: Any
    Wy: Any
    Hy: Any
    beta: float = BETA0
    beta_max: float = 1.0
    beta_prev: float = BETA0
    loss: float = math.inf
    best: Optional[tuple] = None


def _extrapolate(new, old, beta, engine):
    """max(new + β (new − old), 0) in one new array (no temporaries of its size).

    Whole arrays in memory (``whole``): the work is a few passes over memory, which
    threads do not speed up; the Dask engine still runs it chunk by chunk."""

    def rows(new, old):
        # in a copy of new, so that y keeps new's memory order (the next step may then
        # sweep it in place: ``update_H``'s spare), whatever old's order
        y = namespace(new).asarray(new, copy=True)
        y -= old
        y *= beta
        y += new
        y[y < 0] = 0
        return y, 0.0

    return engine.map_rows(rows, new, old, whole=True)[0]


def extrapolated(update_W, update_H, spare=False):
    """A solver step that runs ``update_W`` then ``update_H`` with extrapolation.

    Parameters
    ----------
    update_W : callable
        ``update_W(data, W, H, state, plan, engine) -> (W, stats)``: W for the given H
        (it may update its W argument in place: it gets a copy).
    update_H : callable
        ``update_H(data, W, H, state, plan, engine) -> (H, stats)``: H for the given W
        (it must not change its H argument), with Gram products that give the
        objective of (W, H) without forming W H (``{}`` when there are none).
    spare : bool, default=False
        Whether ``update_H`` takes a keyword ``spare``: told True when the step no
        longer needs the H it is given, it may then write the new H into its memory.

    Returns
    -------
    step : callable
        ``step(data, W, H, state, plan, engine) -> (W, H)``, the best pair seen.
    """

    def step(data, W, H, state, plan, engine):
        if not plan.update_H:
            W, state["stats"] = update_W(data, W, H, state, plan, engine)
            return W, H
        ex = state.get("extrapolation")
        if ex is None:
            # no copies: W and H are never changed in place here (update_W gets a copy)
            ex = state["extrapolation"] = Extrapolation(W, H, W, H)
        Wn, _ = update_W(data, engine.copy(ex.Wy), ex.Hy, state, plan, engine)
        # extrapolate along the scheme's own steps only: the first step, away from the
        # initialisation, is no such step, and following it tends to leave a good basin
        beta = ex.beta
        step_beta = beta if ex.loss < math.inf else 0.0
        Wy = _extrapolate(Wn, ex.W, step_beta, engine)
        # Hy is this step's own array, unless it is the accepted H (the first step and
        # after a restart): then update_H may write the new H into its memory
        extra = {"spare": ex.Hy is not ex.H} if spare else {}
        Hn, stats = update_H(data, Wy, ex.Hy, state, plan, engine, **extra)
        loss = objective(data, Wy, Hn, plan, state["facts"], stats)
        if loss > ex.loss:
            # restart from the last accepted pair, with a smaller β
            ex.Wy, ex.Hy, ex.beta_max, ex.beta = ex.W, ex.H, ex.beta_prev, beta / ETA
        else:
            ex.Hy = _extrapolate(Hn, ex.H, step_beta, engine.block)
            ex.W, ex.H, ex.Wy = Wn, Hn, Wy
            ex.beta = min(ex.beta_max, beta * GAMMA)
            ex.beta_max = min(1.0, ex.beta_max * GAMMA_BAR)
        ex.beta_prev, ex.loss = beta, loss
        if ex.best is None or loss <= ex.best[0]:
            ex.best = (loss, Wy, Hn, stats)
        _, Wb, Hb, state["stats"] = ex.best
        return Wb, Hb

    return step
