"""Accelerated hierarchical ALS (coordinate descent) for the Frobenius loss.

Each column of W (row of H) is the exact minimiser of the objective with the others
held fixed (Cichocki & Phan 2009, doi:10.1587/transfun.E92.A.708), with L1/L2
penalties. As in Gillis & Glineur (2012), doi:10.1162/NECO_a_00256, the cheap sweeps
over one factor are repeated while they pay off: computing X Hᵀ costs far more than a
sweep that uses it, so after it up to ``1 + α·cost(Gram products)/cost(sweep)`` sweeps
run, stopping once a sweep changes the factor by less than δ times the first one did.
The first sweep is scikit-learn's ``solver='cd'`` update.
"""

import numpy as np

from ...arrays.kernels import kernel
from ...arrays.ops import copy, fdot, transposed
from ..losses import beta_divergence, penalty
from ..masked import l2_per_line
from ._common import h_stats, penalised

SUPPORTS = {"beta": (2.0,), "sparse": True, "penalties": ("l1", "l2"), "masked": True}
# The work is row-wise (products and sweeps): run it on the engine's pool.
POOLED = True

# Gillis & Glineur's α and δ (δ on the norm of the change; squared below).
_ALPHA = 0.5
_DELTA = 0.01
# The cost of a sweep flop in BLAS-3 flops, as the budget counts it. Fixed (not timed)
# so that the same seed always gives the same result. Measured ratios are 8-14 on 2
# cores; 5 runs more sweeps than that, which reached a given objective sooner on
# Olivetti (docs/design.md).
_SWEEP_COST = 5.0
_MAX_SWEEPS = 64


def inner_budget(gram_flops, n_rows, k, round_trip=0.0):
    """Number of sweeps worth running after computing Gram products of ``gram_flops``.

    ``round_trip`` is the engine's cost of reaching its data, in flops, which every
    sweep of W pays on Dask.
    """
    sweep_flops = _SWEEP_COST * n_rows * k * k + round_trip
    return int(min(_MAX_SWEEPS, 1 + _ALPHA * gram_flops / sweep_flops))


def _sweeps(A, G, R, budget, sweep, orders, engine):
    """Up to ``budget`` sweeps over A (rows of R alongside), while they pay off."""

    def run(A, order):
        return engine.map_rows(lambda a, r: (a, sweep(a, G, r, order)), A, R, whole=True)

    A, first = run(A, next(orders))
    for _ in range(budget - 1):
        A, change = run(A, next(orders))
        if change <= _DELTA**2 * first:
            break
    return A


def _orders(k, rng):
    """Column orders: 0..k-1 every time, or a fresh permutation each sweep (shuffle)."""
    fixed = np.arange(k)
    while True:
        yield fixed if rng is None else rng.permutation(k)


# Ang & Gillis's extrapolation parameters for (accelerated) HALS: initial β, its decrease
# on a restart, its increase after a success, and the increase of its upper bound.
_BETA0, _ETA, _GAMMA, _GAMMA_BAR = 0.5, 1.5, 1.01, 1.005


def _extrapolate(new, old, beta, engine):
    """max(new + β (new − old), 0) in one new array (no temporaries of its size)."""

    def rows(new, old):
        y = new - old
        y *= beta
        y += new
        y[y < 0] = 0
        return y, 0.0

    return engine.map_rows(rows, new, old)[0]


def _update_W(X, Wstart, H, state, plan, engine, sweep, orders):
    """Accelerated HALS update of W from ``Wstart`` given H; returns W (in place)."""
    n, m = X.shape
    k = Wstart.shape[1]
    nnz = state["data"]["nnz"]
    hs = h_stats(X, H, state, engine)
    G, R = penalised(hs["HHt"], hs["XHt"], plan.l1_W, plan.l2_W)
    budget = inner_budget(nnz * k + m * k * k, n, k, engine.round_trip_flops)
    return _sweeps(Wstart, G, R, budget, sweep, orders, engine), hs


def _update_H(X, W, Hstart, nnz, plan, engine, sweep, orders):
    """Accelerated HALS update of H from ``Hstart`` given W; returns (H, W's Grams)."""
    n, m = X.shape
    k = W.shape[1]
    WtW, XtW = engine.gram(W), engine.XtW(X, W)
    # always a copy: Hstart may be the accepted or the best H, which must stay intact
    Ht = transposed(Hstart)
    G, R = penalised(WtW, XtW, plan.l1_H, plan.l2_H)
    budget = inner_budget(nnz * k + n * k * k, m, k)
    Ht = _sweeps(Ht, G, R, budget, sweep, orders, engine.block)
    return Ht.T, {"WtX": XtW.T, "WtW": WtW}


def step(X, W, H, state, plan, engine):
    """One extrapolated, accelerated HALS iteration; returns the best pair so far.

    Ang & Gillis (2019), doi:10.1162/neco_a_01157: W is updated from the extrapolated
    Hy, then extrapolated (and projected) itself; H is updated from that Wy and
    extrapolated in turn. When the objective of (Wy, H) rises, the extrapolation
    restarts from the last accepted pair with a smaller β. The pair returned is the best
    seen, so the objective the Loop records never increases.
    """
    sweep = kernel("hals_sweep", engine)
    orders = _orders(W.shape[1], state["rng"] if plan.shuffle else None)
    if not plan.update_H:
        W, hs = _update_W(X, W, H, state, plan, engine, sweep, orders)
        state["stats"] = hs
        return W, H
    ex = state.get("extrapolation")
    if ex is None:
        ex = state["extrapolation"] = dict(
            W=copy(W),
            H=copy(H),
            Wy=W,
            Hy=H,
            beta=_BETA0,
            beta_max=1.0,
            beta_prev=_BETA0,
            loss=float("inf"),
            best=None,
        )
    Wn, _ = _update_W(X, copy(ex["Wy"]), ex["Hy"], state, plan, engine, sweep, orders)
    # extrapolate along the solver's own steps only: the first step, away from the
    # initialisation, is no such step, and following it tends to leave a good basin
    beta = ex["beta"]
    step_beta = beta if ex["loss"] < float("inf") else 0.0
    Wy = _extrapolate(Wn, ex["W"], step_beta, engine)
    Hn, stats = _update_H(X, Wy, ex["Hy"], state["data"]["nnz"], plan, engine, sweep, orders)
    # keep <X, Wy Hn> rather than Wyᵀ X: the best pair's stats live across iterations
    cross = fdot(Hn, stats["WtX"])
    stats = {"cross": cross, "WtW": stats["WtW"]}
    loss = beta_divergence(X, Wy, Hn, 2.0, engine, state["data"], stats) + penalty(Wy, Hn, plan)
    if loss > ex["loss"]:
        # restart from the last accepted pair, with a smaller β
        ex.update(Wy=ex["W"], Hy=ex["H"], beta_max=ex["beta_prev"], beta=beta / _ETA)
    else:
        ex.update(
            W=Wn,
            H=Hn,
            Wy=Wy,
            Hy=_extrapolate(Hn, ex["H"], step_beta, engine.block),
            beta=min(ex["beta_max"], beta * _GAMMA),
            beta_max=min(1.0, ex["beta_max"] * _GAMMA_BAR),
        )
    ex["beta_prev"], ex["loss"] = beta, loss
    if ex["best"] is None or loss <= ex["best"][0]:
        ex["best"] = (loss, Wy, Hn, stats)
    _, Wb, Hb, state["stats"] = ex["best"]
    return Wb, Hb


def masked_step(obs, W, H, state, plan, engine):
    """One HALS sweep of W, then of H, on the observed entries only.

    The columns of W (rows of H) take their exact minimisers over the observed entries,
    read from the residual there, which the kernel keeps up to date: the coordinate
    descent of CCD++ (Yu, Hsieh, Si & Dhillon, ICDM 2012, doi:10.1109/ICDM.2012.168) in
    HALS's order. The residual is formed afresh at every iteration, so it never drifts.
    """
    res = (obs.values - obs.wh(W, H)).astype(np.float64)
    if "_identity" not in state:
        state["_identity"] = np.arange(obs.nnz, dtype=obs.perm.dtype)
    orders = _orders(W.shape[1], state["rng"] if plan.shuffle else None)
    l2_W, l2_H = l2_per_line(obs, plan, state)
    sweep = kernel("masked_hals_rows", engine)
    Ht = np.ascontiguousarray(H.T)
    sweep(
        obs.indptr,
        obs.indices,
        state["_identity"],
        res,
        obs.weights,
        W,
        Ht,
        plan.l1_W,
        l2_W,
        next(orders),
    )
    if plan.update_H:
        sweep(
            obs.indptr_t,
            obs.indices_t,
            obs.perm,
            res,
            obs.weights,
            Ht,
            W,
            plan.l1_H,
            l2_H,
            next(orders),
        )
        H = np.ascontiguousarray(Ht.T)
    state["stats"] = {}
    return W, H
