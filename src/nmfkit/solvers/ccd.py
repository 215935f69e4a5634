"""Cyclic coordinate descent for the Kullback-Leibler loss (Hsieh & Dhillon 2011).

Hsieh & Dhillon, "Fast coordinate descent methods with variable selection for
non-negative matrix factorization", KDD 2011, doi:10.1145/2020408.2020577. Each
coordinate of W (then of H) takes a few projected Newton steps on its one-dimensional
convex problem, with W H kept up to date at the stored entries of X only, so an
iteration costs O(nnz(X)·k) and never forms a dense W H. Each Newton step is halved
until the one-dimensional objective does not increase, which keeps the method monotone.
Dense X is handled through a CSR copy of its non-zeros.
"""

import numpy as np
import scipy.sparse as sp

from ..kernels import kernel

SUPPORTS = {"beta": (1.0,), "sparse": True, "penalties": ("l1", "l2")}

# Newton steps per coordinate and sweep.
_NEWTON = 2


def _layout(X, state):
    """CSR of X and of Xᵀ, and where each entry of Xᵀ sits in X's storage (cached)."""
    if "ccd" not in state:
        # shares X's arrays when X is CSR, so it is never modified in place (stored
        # zeros stay: the kernel skips them); the non-zeros of a dense X
        Xc = sp.csr_matrix(X)
        carrier = sp.csr_matrix((np.arange(Xc.nnz), Xc.indices, Xc.indptr), shape=Xc.shape)
        Xt = Xc.T.tocsr()
        perm = carrier.T.tocsr().data
        Xt.data = Xc.data[perm]
        state["ccd"] = (Xc, Xt, perm)
    return state["ccd"]


def step(X, W, H, state, plan, engine):
    """One CCD iteration: a sweep over the rows of W, then over the columns of H."""
    sweep = kernel("kl_ccd_sweep", engine)
    Xc, Xt, perm = _layout(X, state)
    order = np.arange(W.shape[1]) if not plan.shuffle else state["rng"].permutation(W.shape[1])
    Ht = np.ascontiguousarray(H.T)
    # W H afresh at every iteration: no drift from the incremental updates
    wh = engine.wh_at(Xc, W, H)
    sweep(
        W, Ht, Ht.sum(0), Xc.indptr, Xc.indices, Xc.data, wh, order, _NEWTON, plan.l1_W, plan.l2_W
    )
    if plan.update_H:
        wht = wh[perm]
        sweep(
            Ht,
            W,
            W.sum(0),
            Xt.indptr,
            Xt.indices,
            Xt.data,
            wht,
            order,
            _NEWTON,
            plan.l1_H,
            plan.l2_H,
        )
        H = Ht.T
    state["stats"] = {}
    return W, H
