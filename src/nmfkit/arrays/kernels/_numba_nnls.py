"""Numba form of the row-wise NNLS kernel (block principal pivoting), see ``nnls.py``."""

import numpy as np
from numba import njit

from ._rows import even_blocks, map_blocks
from .nnls import _P_BAR


def nnls_rows(G, B, X, small):
    """Solve every row of X ≥ 0 exactly, warm-started from X. See ``_nnls_rows``."""
    k = G.shape[0]
    bounds = even_blocks(B.shape[0], 4 * k * k * k)
    map_blocks(lambda lo, hi: _nnls_rows(G, B[lo:hi], X[lo:hi], small), bounds)
    return X


@njit(cache=True, nogil=True, error_model="numpy")
def _solve_passive_row(G, b, passive, x, L, z):
    """x = 0 off the passive set and G[P,P] x[P] = b[P] (Cholesky); False if singular."""
    k = G.shape[0]
    idx = np.flatnonzero(passive)
    p = idx.size
    scale = 0.0
    for a in range(p):
        scale = max(scale, G[idx[a], idx[a]])
    for a in range(p):
        for c in range(a + 1):
            s = G[idx[a], idx[c]]
            for d in range(c):
                s -= L[a, d] * L[c, d]
            if a == c:
                if s <= 1e-13 * scale:
                    return False
                L[a, a] = np.sqrt(s)
            else:
                L[a, c] = s / L[c, c]
    for a in range(p):  # L z = b[P]
        s = b[idx[a]]
        for d in range(a):
            s -= L[a, d] * z[d]
        z[a] = s / L[a, a]
    for a in range(p - 1, -1, -1):  # Lᵀ x[P] = z
        s = z[a]
        for d in range(a + 1, p):
            s -= L[d, a] * z[d]
        z[a] = s / L[a, a]
    for j in range(k):
        x[j] = 0.0
    for a in range(p):
        x[idx[a]] = z[a]
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _violations(G, b, passive, x, y, bad, small):
    """y = G x − b (zero on P); mark the infeasible variables in ``bad``; return how many."""
    k = G.shape[0]
    count = 0
    for j in range(k):
        if abs(x[j]) < small:
            x[j] = 0.0
    for j in range(k):
        if passive[j]:
            y[j] = 0.0
        else:
            s = -b[j]
            for t in range(k):
                s += G[j, t] * x[t]
            y[j] = 0.0 if abs(s) < small else s
        bad[j] = (y[j] < 0.0) if not passive[j] else (x[j] < 0.0)
        count += bad[j]
    return count


@njit(cache=True, nogil=True, error_model="numpy")
def _nnls_rows(G, B, X, small):
    """Kim & Park's block principal pivoting, one row at a time (Kim & Park 2011).

    Row i solves min ½ xᵀ G x − B[i]·x over x ≥ 0, from the passive set of X[i] > 0.
    Each step exchanges every infeasible variable between the passive and active sets;
    after ``_P_BAR`` steps that do not reduce their number, only the largest-index one
    (the backup rule, which terminates). A singular passive block falls back to least
    squares. The rule and the parameters are those of ``kernels.nnls.nnls_rows_xp``, the
    batched NumPy form; the solutions are clipped at zero.
    """
    n, k = B.shape
    L = np.empty((k, k))
    z = np.empty(k)
    x = np.empty(k)
    y = np.empty(k)
    b = np.empty(k)
    passive = np.empty(k, dtype=np.bool_)
    bad = np.empty(k, dtype=np.bool_)
    x0 = np.empty(k)
    for i in range(n):
        for j in range(k):
            passive[j] = X[i, j] > 0
            b[j] = B[i, j]
            x0[j] = X[i, j]
        if not _solve_passive_row(G, b, passive, x, L, z):
            _lstsq_passive(G, b, passive, x)
        n_bad = _violations(G, b, passive, x, y, bad, small)
        budget, best = _P_BAR, k + 1
        for _ in range(5 * k + 10):
            if n_bad == 0:
                break
            if n_bad < best:
                best, budget = n_bad, _P_BAR
                full = True
            elif budget >= 1:
                budget -= 1
                full = True
            else:
                full = False
            if full:
                for j in range(k):
                    if bad[j]:
                        passive[j] = not passive[j]
            else:
                for j in range(k - 1, -1, -1):
                    if bad[j]:
                        passive[j] = not passive[j]
                        break
            if not _solve_passive_row(G, b, passive, x, L, z):
                _lstsq_passive(G, b, passive, x)
            n_bad = _violations(G, b, passive, x, y, bad, small)
        for j in range(k):
            x[j] = max(x[j], 0.0)
        # safeguard: a degenerate problem (G singular, as when k exceeds the rank of X)
        # can end the exchanges on a worse point than the warm start; keep the better
        if _quadratic(G, b, x) <= _quadratic(G, b, x0):
            for j in range(k):
                X[i, j] = x[j]
    return X


@njit(cache=True, nogil=True)
def _quadratic(G, b, x):
    """½ xᵀ G x − b·x."""
    k = x.size
    total = 0.0
    for j in range(k):
        s = 0.0
        for t in range(k):
            s += G[j, t] * x[t]
        total += x[j] * (0.5 * s - b[j])
    return total


@njit(cache=True, nogil=True)
def _lstsq_passive(G, b, passive, x):
    idx = np.flatnonzero(passive)
    x[:] = 0.0
    if idx.size:
        A = np.empty((idx.size, idx.size))
        r = np.empty(idx.size)
        for a in range(idx.size):
            r[a] = b[idx[a]]
            for c in range(idx.size):
                A[a, c] = G[idx[a], idx[c]]
        sol = np.linalg.lstsq(A, r)[0]
        for a in range(idx.size):
            x[idx[a]] = sol[a]
