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

from ...arrays.kernels import kernel
from ._solver import Solver

# Newton steps per coordinate and sweep.
_NEWTON = 2


def _layout(X, state, engine):
    """CSR parts of X and of Xᵀ, and where each entry of Xᵀ sits in X's (cached)."""
    if "_ccd" not in state:
        state["_ccd"] = engine.csr_pair(X)
    return state["_ccd"]


def step(fit_data, W, H, state, plan, engine):
    """One CCD iteration: a sweep over the rows of W, then over the columns of H."""
    sweep = kernel("kl_ccd_sweep", engine)
    X = fit_data.X
    (indptr, indices, data), (indptr_t, indices_t, data_t), perm = _layout(X, state, engine)
    k = W.shape[1]
    order = np.arange(k) if not plan.shuffle else state["rng"].permutation(k)
    Ht = engine.transposed(H)
    # W H afresh at every iteration: no drift from the incremental updates
    wh = kernel("wh_at", engine)(indptr, indices, W, Ht, engine.empty(W, data.shape, W.dtype))
    sweep(W, Ht, Ht.sum(0), indptr, indices, data, wh, order, _NEWTON, plan.l1_W, plan.l2_W)
    if plan.update_H:
        sweep(
            Ht,
            W,
            W.sum(0),
            indptr_t,
            indices_t,
            data_t,
            wh[perm],
            order,
            _NEWTON,
            plan.l1_H,
            plan.l2_H,
        )
        H = Ht.T
    state["stats"] = {}
    return W, H


# CCD sweeps the columns of H over all rows of X at once: it needs X in one place
SOLVER = Solver("ccd", {"plain": step}, betas=(1.0,), chunked=False, auto_on_dense=False)
