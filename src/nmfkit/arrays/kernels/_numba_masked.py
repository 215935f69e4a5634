"""Numba form of the masked row-wise NNLS kernel, see ``masked.py``."""

import numpy as np
from numba import njit

from ._numba_nnls import _nnls_rows
from ._rows import csr_blocks, map_blocks
from .masked import _FLAT, _POLISH_SWEEPS, held_share


def masked_nnls_rows(indptr, indices, target, weight, A, B, l1, l2):
    """Solve every row of A ≥ 0 over its observed entries. See ``_masked_rows``."""
    k = A.shape[1]
    held = held_share(B.dtype)

    def run(lo, hi):
        ptr = indptr[lo : hi + 1]
        _masked_rows(ptr, indices, target, weight, A[lo:hi], B, l1, l2[lo:hi], held)

    # an entry costs about k² flops (its Gram update), a row about k³ (its solve)
    map_blocks(run, csr_blocks(indptr, k * k))
    return A


@njit(cache=True, nogil=True, error_model="numpy")
def _masked_rows(indptr, indices, target, weight, A, B, l1, l2, held):
    """Row i: build Σ w B[j] B[j]ᵀ and Σ w t B[j] over its entries, solve exactly.

    The system is scaled to a unit diagonal (as ``solvers.bpp._scaling`` does for the
    shared Gram) and solved by block principal pivoting from the support of A[i].
    ``indptr`` starts at this block's first row (its offsets index the full arrays).
    """
    n, k = A.shape
    G = np.empty((k, k))
    b = np.empty((1, k))
    x = np.empty((1, k))
    d = np.empty(k)
    for i in range(n):
        lo, hi = indptr[i], indptr[i + 1]
        if lo == hi and l2[i] == 0.0:
            for p in range(k):
                A[i, p] = 0.0
            continue
        for p in range(k):
            b[0, p] = 0.0
            for q in range(k):
                G[p, q] = 0.0
        for e in range(lo, hi):
            j = indices[e]
            w = weight[e]
            t = target[e]
            for p in range(k):
                wb = w * B[j, p]
                b[0, p] += wb * t
                for q in range(p + 1):
                    G[p, q] += wb * B[j, q]
        big = 0.0
        trace = 0.0
        for p in range(k):
            G[p, p] += l2[i]
            b[0, p] -= l1
            trace += G[p, p]
        for p in range(k):
            diag = G[p, p]
            # a coordinate barely touched solves to 0 (see kernels.masked.held_share)
            d[p] = 1.0 / np.sqrt(diag) if diag > 0.0 and diag > held * trace else 0.0
        for p in range(k):
            for q in range(p + 1):
                v = G[p, q] * d[p] * d[q]
                G[p, q] = v
                G[q, p] = v
            if d[p] == 0.0:
                G[p, p] = 1.0  # a coordinate no entry touches solves to 0
            b[0, p] *= d[p]
            big = max(big, abs(b[0, p]))
            x[0, p] = A[i, p] / d[p] if d[p] > 0.0 else 0.0
        _nnls_rows(G, b, x, 1e-12 * max(big, 1e-300))
        _polish(G, b[0], x[0])
        for p in range(k):
            A[i, p] = x[0, p] * d[p]
    return A


@njit(cache=True, nogil=True)
def _polish(G, b, x):
    """Exact coordinate steps on x (G has a unit diagonal) until they stop moving.

    x comes from ``_nnls_rows``, which already keeps the warm start when its solution
    is worse or not finite (a passive block so ill-conditioned that its solve broke
    down: rows with fewer known entries than components). At a true solution the first
    sweep moves nothing; otherwise the sweeps only lower the objective, so the row never
    ends worse than it started."""
    k = x.shape[0]
    for _ in range(_POLISH_SWEEPS):
        change = 0.0
        for p in range(k):
            g = -b[p]
            for q in range(k):
                g += G[p, q] * x[q]
            new = max(0.0, x[p] - g / G[p, p])
            change = max(change, abs(new - x[p]))
            x[p] = new
        top = 0.0
        for p in range(k):
            top = max(top, abs(x[p]))
        if change <= 1e-12 * max(top, 1e-300):
            break


def masked_hals_rows(indptr, indices, pos, res, weight, A, B, l1, l2, order):
    """One HALS sweep over A on the observed entries. See ``masked.masked_hals_rows_xp``."""

    def run(lo, hi):
        ptr = indptr[lo : hi + 1]
        return _masked_hals(ptr, indices, pos, res, weight, A[lo:hi], B, l1, l2[lo:hi], order)

    # an entry costs about 6 flops per coordinate; rows touch disjoint entries
    return float(sum(map_blocks(run, csr_blocks(indptr, 6 * A.shape[1]))))


@njit(cache=True, nogil=True)
def _masked_hals(indptr, indices, pos, res, weight, A, B, l1, l2, order):
    """Row by row, coordinate by coordinate: add the term back, solve, take it out.

    A row's residuals, weights and rows of B are first copied into contiguous buffers
    (B's transposed), so the loops over the row's entries run on unit strides.
    """
    n, k = A.shape
    longest = 0
    for i in range(n):
        longest = max(longest, indptr[i + 1] - indptr[i])
    r = np.empty(longest)
    w = np.empty(longest)
    Bt = np.empty((k, longest))
    delta = 0.0
    for i in range(n):
        lo, hi = indptr[i], indptr[i + 1]
        size = hi - lo
        for q in range(size):
            e = pos[lo + q]
            r[q] = res[e]
            w[q] = weight[e]
            j = indices[lo + q]
            for t in range(k):
                Bt[t, q] = B[j, t]
        trace = l2[i]
        for q in range(size):
            for t in range(k):
                trace += w[q] * Bt[t, q] * Bt[t, q]
        for t in order:
            old = A[i, t]
            num = 0.0
            den = l2[i]
            for q in range(size):
                c = w[q] * Bt[t, q]
                num += c * (r[q] + old * Bt[t, q])
                den += c * Bt[t, q]
            if den <= 0.0:
                new = 0.0  # the coordinate touches no observed entry
            elif den <= _FLAT * trace:
                continue  # see kernels.masked._FLAT
            else:
                new = max(0.0, (num - l1) / den)
            step = new - old
            if step != 0.0:
                for q in range(size):
                    r[q] -= step * Bt[t, q]
                A[i, t] = new
                delta += step * step
        for q in range(size):
            res[pos[lo + q]] = r[q]
    return delta
