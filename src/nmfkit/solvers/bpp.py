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


# Rows copied to float64 and solved at a time: bounds the copies to _SOLVE_ROWS·k floats.
_SOLVE_ROWS = 2048


def nnls_bpp(AtA, AtB, X0, engine, dtype):
    """Solve min ‖A X − B‖² s.t. X ≥ 0 for many right-hand sides from Grams.

    Parameters
    ----------
    AtA : ndarray of shape (k, k)
        Aᵀ A (symmetric positive semi-definite).
    AtB : ndarray of shape (k, r)
        Aᵀ B.
    X0 : ndarray of shape (k, r)
        Warm start: its positive entries seed the passive sets.
    engine : Engine
    dtype : dtype
        Of the result.

    Returns
    -------
    X : ndarray of shape (k, r), non-negative
    """
    AtA = np.asarray(AtA, dtype=np.float64)
    small = 1e-12 * max(float(np.abs(AtB).max(initial=0.0)), 1e-300)
    solve = kernel("nnls_rows", engine)
    out = np.empty(AtB.T.shape, dtype=dtype)
    for lo in range(0, out.shape[0], _SOLVE_ROWS):
        hi = lo + _SOLVE_ROWS
        rows = np.array(AtB[:, lo:hi].T, dtype=np.float64, order="C")
        X = np.array(X0[:, lo:hi].T, dtype=np.float64, order="C")
        out[lo:hi] = solve(AtA, rows, X, small)
    return out.T


def _exact_W(hs, W, plan, engine):
    """The W ≥ 0 that minimises the objective for the H behind ``hs``, from W's support."""
    HHt, XHt = penalised(hs["HHt"], hs["XHt"], plan.l1_W, plan.l2_W, engine.xp)
    return engine.asarray(nnls_bpp(HHt, XHt.T, W.T, engine, plan.dtype).T, plan.dtype)


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
    return _exact_W(h_stats(X, H, {"update_H": False}, engine), W, plan, engine)


def step(X, W, H, state, plan, engine):
    """One ANLS sweep: W exactly given H, then H exactly given W."""
    hs = h_stats(X, H, state, engine)
    W = _exact_W(hs, W, plan, engine)
    if not plan.update_H:
        state["stats"] = hs
        return W, H
    WtW, WtX = W.T @ W, engine.WtX(W, X)
    G, R = penalised(WtW, WtX, plan.l1_H, plan.l2_H, engine.xp)
    H = engine.asarray(nnls_bpp(G, R, H, engine, plan.dtype), plan.dtype)
    state["stats"] = {"WtX": WtX, "WtW": WtW}
    return W, H
