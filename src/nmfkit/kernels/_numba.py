"""Numba forms of the kernels, imported (and compiled, then cached) on first use.

Each has the signature of its array-API twin in the sibling module, which is its test
oracle and its fallback when Numba is missing.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def hals_sweep(A, G, R, order):
    """One HALS sweep over the columns of A, row by row; return Σ (change)².

    Row i of A is updated from row i alone and the small Gram G, so visiting rows in
    the outer loop gives the same result as visiting columns first. Each row keeps its
    gradient g = R[i] - A[i] G; a coordinate step is then an axpy on g (vectorised, and
    skipped when the coordinate does not move) instead of a dot product.

    Parameters
    ----------
    A : ndarray of shape (n, k), C-contiguous
        Updated in place.
    G : ndarray of shape (k, k)
        Symmetric Gram (plus any L2 weight on the diagonal).
    R : ndarray of shape (n, k)
        Cross product (minus any L1 weight).
    order : ndarray of shape (k,), int
        The order in which columns are visited.
    """
    n, k = A.shape
    g = np.empty(k, dtype=A.dtype)
    delta = 0.0
    for i in range(n):
        for t in range(k):
            g[t] = R[i, t]
        for r in range(k):
            a = A[i, r]
            if a != 0.0:
                for t in range(k):
                    g[t] -= a * G[r, t]
        for t in order:
            h = G[t, t]
            if h <= 0.0:
                continue
            new = A[i, t] + g[t] / h
            if new < 0.0:
                new = 0.0
            d = new - A[i, t]
            if d != 0.0:
                A[i, t] = new
                delta += d * d
                for r in range(k):
                    g[r] -= d * G[t, r]
    return delta


def _warm():  # pragma: no cover - used by benchmarks to exclude compile time
    a = np.zeros((2, 2))
    hals_sweep(a, np.eye(2), a.copy(), np.arange(2))
