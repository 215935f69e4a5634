"""Accelerated hierarchical ALS (coordinate descent) for the Frobenius loss.

Each column of W (row of H) is the exact minimiser of the objective with the others
held fixed (Cichocki & Phan 2009, doi:10.1587/transfun.E92.A.708), with L1/L2
penalties. As in Gillis & Glineur (2012), doi:10.1162/NECO_a_00256, the cheap sweeps
over one factor are repeated while they pay off: computing X Hᵀ costs far more than a
sweep that uses it, so after it up to ``1 + α·cost(Gram products)/cost(sweep)`` sweeps
run, each row of the factor stopping once a sweep changes it by less than δ times its
first sweep did (Gillis & Glineur's rule, applied to each row's own problem).
The first sweep is scikit-learn's ``solver='cd'`` update. The step is the two updates
with Ang & Gillis's extrapolation around them (``extrapolation.extrapolated``).
"""

import numpy as np

from ...arrays.kernels import kernel
from ...arrays.ops import fdot
from ._common import h_stats, l2_per_line, penalised
from ._solver import Solver
from .extrapolation import extrapolated

# Gillis & Glineur's α and δ (δ on the norm of the change; squared below).
_ALPHA = 0.5
_DELTA = 0.01
# The cost of a sweep flop in BLAS-3 flops, as the budget counts it. Fixed (not timed)
# so that the same seed always gives the same result, on every engine. Measured ratios
# are 8-14 on 2 cores; 5 runs more sweeps than that, which reached a given objective
# sooner on Olivetti (docs/design.md).
_SWEEP_COST = 5.0
_MAX_SWEEPS = 64


def inner_budget(gram_flops, n_rows, k):
    """Number of sweeps worth running after computing Gram products of ``gram_flops``.

    It depends on the sizes alone, never on the engine: every engine runs the same
    sweeps, so they all reach the same iterates.
    """
    sweep_flops = _SWEEP_COST * n_rows * k * k
    return int(min(_MAX_SWEEPS, 1 + _ALPHA * gram_flops / sweep_flops))


def _sweeps(A, G, R, budget, sweep, orders, engine):
    """Up to ``budget`` sweeps over each row of A (rows of R alongside), each row while
    they pay off for it (``kernels.hals``): one call per block of rows for them all."""
    orders = np.stack([next(orders) for _ in range(budget)])
    return engine.map_rows(lambda a, r: (a, sweep(a, G, r, orders, _DELTA**2)), A, R, whole=True)[0]


def _orders(k, rng):
    """Column orders: 0..k-1 every time, or a fresh permutation each sweep (shuffle)."""
    fixed = np.arange(k)
    while True:
        yield fixed if rng is None else rng.permutation(k)


def update_W(data, W, H, state, plan, engine, budget=inner_budget):
    """W from sweeps over its columns given H (in place); and H's Gram products.

    ``budget(gram_flops, n_rows, k)`` is the most sweeps to run (``inner_budget``; one
    for scikit-learn's coordinate descent, ``cd.py``)."""
    X = data.X
    n, m = X.shape
    k = W.shape[1]
    hs = h_stats(X, H, state, engine)
    G, R = penalised(hs["HHt"], hs["XHt"], plan.l1_W, plan.l2_W)
    sweeps = budget(state["facts"]["nnz"] * k + m * k * k, n, k)
    orders = _orders(k, state["rng"] if plan.shuffle else None)
    sweep = kernel("hals_sweeps", engine, work=sweeps * n * k * k)
    return _sweeps(W, G, R, sweeps, sweep, orders, engine), hs


def update_H(data, W, H, state, plan, engine, budget=inner_budget, spare=False):
    """H from sweeps over its rows given W; and the Gram products that give the
    objective of (W, new H): <X, W H> and Wᵀ W.

    H itself is left as it is, unless ``spare`` says that the caller gives it up: its
    memory may then hold the new H (one H-sized array less at the peak)."""
    X = data.X
    n, m = X.shape
    k = W.shape[1]
    WtW, XtW = engine.gram(W), engine.XtW(X, W)
    # a copy unless spared: H may be the accepted or the best H, which must stay intact
    Ht = engine.transposed(H, spare=spare)
    G, R = penalised(WtW, XtW, plan.l1_H, plan.l2_H)
    sweeps = budget(state["facts"]["nnz"] * k + n * k * k, m, k)
    orders = _orders(k, state["rng"] if plan.shuffle else None)
    sweep = kernel("hals_sweeps", engine, work=sweeps * m * k * k)
    Ht = _sweeps(Ht, G, R, sweeps, sweep, orders, engine.block)
    # <X, W H> rather than Wᵀ X: a scalar, since the best pair's stats live across steps
    return Ht.T, {"cross": fdot(Ht.T, XtW.T), "WtW": WtW}


# Ang & Gillis (2019): extrapolated, accelerated HALS; returns the best pair so far
step = extrapolated(update_W, update_H, spare=True)


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


SOLVER = Solver("hals", {"plain": step, "masked": masked_step}, betas=(2.0,), pooled=True)
