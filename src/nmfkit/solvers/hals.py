"""Hierarchical ALS (coordinate descent) for the Frobenius loss with L1/L2 penalties.

Cichocki & Phan (2009), doi:10.1587/transfun.E92.A.708: each column of W (row of H)
is the exact minimiser of the objective with the others held fixed. The same update
as scikit-learn's ``solver='cd'`` (``shuffle=True`` visits columns in random order).
"""

from ..kernels import kernel
from ._common import h_stats, penalised

SUPPORTS = {"beta": (2.0,), "sparse": True, "penalties": ("l1", "l2")}


def step(X, W, H, state, plan, engine):
    """One HALS sweep over the columns of W, then over the rows of H."""
    sweep = kernel("hals_sweep", engine)
    hs = h_stats(X, H, state, engine)
    HHt, XHt = penalised(hs["HHt"], hs["XHt"], plan.l1_W, plan.l2_W, engine.xp)
    rng = state["rng"] if plan.shuffle else None
    sweep(W, HHt, XHt, None if rng is None else rng.permutation(W.shape[1]))
    if not plan.update_H:
        state["stats"] = hs
        return W, H
    WtW, WtX = W.T @ W, engine.WtX(W, X)
    G, R = penalised(WtW, WtX, plan.l1_H, plan.l2_H, engine.xp)
    sweep(H.T, G, R.T, None if rng is None else rng.permutation(W.shape[1]))
    state["stats"] = {"WtX": WtX, "WtW": WtW}
    return W, H
