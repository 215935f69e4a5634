"""Alternating non-negative least squares by block principal pivoting (ANLS-BPP).

Kim & Park (2011), doi:10.1137/110821172: each half-step solves the non-negative least
squares problem for a whole factor exactly, exchanging many variables between the
passive and active sets at once. The ``nnls_rows`` kernel solves each row on its own
(a k×k Cholesky factorisation per exchange, in compiled code, rows in parallel), warm
started from the current factor's support, so a half-step near convergence costs about
one small factorisation per row. Frobenius loss with L1/L2 penalties.
"""

import numpy as np

from ..kernels import kernel
from ._common import h_stats, penalised

SUPPORTS = {"beta": (2.0,), "sparse": True, "penalties": ("l1", "l2")}


def nnls_bpp(AtA, AtB, X0, engine):
    """Solve min ‖A X − B‖² s.t. X ≥ 0 for many right-hand sides from Grams.

    Parameters
    ----------
    AtA : ndarray of shape (k, k)
        Aᵀ A (symmetric positive semi-definite).
    AtB : ndarray of shape (k, r)
        Aᵀ B.
    X0 : ndarray of shape (k, r), optional
        Warm start: its positive entries seed the passive sets.
    engine : Engine

    Returns
    -------
    X : ndarray of shape (k, r), float64, non-negative
    """
    AtA = np.asarray(AtA, dtype=np.float64)
    rows = np.array(AtB.T, dtype=np.float64, order="C")
    X = np.zeros_like(rows) if X0 is None else np.array(X0.T, dtype=np.float64, order="C")
    small = 1e-12 * max(float(np.abs(rows).max(initial=0.0)), 1e-300)
    return kernel("nnls_rows", engine)(AtA, rows, X, small).T


# Rows of W solved at once by solve_W.
_SOLVE_ROWS = 2048


def solve_W(X, W, H, plan, engine):
    """The exact minimiser over W ≥ 0 for fixed H (Frobenius, with W's penalties).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, k)
        Warm start (its support seeds the passive sets).
    H : ndarray of shape (k, n_features)
    plan : Plan
    engine : Engine

    Returns
    -------
    W : ndarray of shape (n_samples, k)
    """
    hs = h_stats(X, H, {"update_H": False}, engine)
    HHt, XHt = penalised(hs["HHt"], hs["XHt"], plan.l1_W, plan.l2_W, engine.xp)
    out = engine.xp.empty_like(XHt, dtype=plan.dtype)
    # rows in blocks: the solver's temporaries stay a few times _SOLVE_ROWS·k floats
    for lo in range(0, XHt.shape[0], _SOLVE_ROWS):
        hi = lo + _SOLVE_ROWS
        out[lo:hi] = nnls_bpp(HHt, XHt[lo:hi].T, W[lo:hi].T, engine).T
    return out


def step(X, W, H, state, plan, engine):
    """One ANLS sweep: W exactly given H, then H exactly given W."""
    hs = h_stats(X, H, state, engine)
    HHt, XHt = penalised(hs["HHt"], hs["XHt"], plan.l1_W, plan.l2_W, engine.xp)
    W = engine.asarray(nnls_bpp(HHt, XHt.T, W.T, engine).T, plan.dtype)
    if not plan.update_H:
        state["stats"] = hs
        return W, H
    WtW, WtX = W.T @ W, engine.WtX(W, X)
    G, R = penalised(WtW, WtX, plan.l1_H, plan.l2_H, engine.xp)
    H = engine.asarray(nnls_bpp(G, R, H, engine), plan.dtype)
    state["stats"] = {"WtX": WtX, "WtW": WtW}
    return W, H
