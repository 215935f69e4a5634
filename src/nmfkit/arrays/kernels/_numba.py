"""Numba forms of the kernels, imported (and compiled, then cached) on first use.

Each public kernel has the signature of its array-API twin in the sibling module, which
is its test oracle and its fallback when Numba is missing. It runs a compiled row-wise
loop (``_*_rows``) over blocks of rows in parallel (see ``_rows``).
"""

import numpy as np
from numba import njit

from ._rows import csr_blocks, even_blocks, map_blocks

# rows that ``_hals_rows`` sweeps side by side
_GROUP = 8


def hals_sweeps(A, G, R, orders, delta2):
    """Up to ``len(orders)`` HALS sweeps over each row of A; return Σ (change)².

    See ``_hals_rows``; one pass over the pool for all the sweeps (rows are independent).
    """
    n, k = A.shape
    # a row's first sweep costs about 2·k² flops, each further one about k² at most
    bounds = even_blocks(n, (1 + len(orders)) * k * k)
    deltas = map_blocks(lambda lo, hi: _hals_rows(A[lo:hi], G, R[lo:hi], orders, delta2), bounds)
    return float(sum(deltas))


def kl_ccd_sweep(W, Ht, hsum, indptr, indices, data, wh, order, n_newton, l1, l2):
    """One KL coordinate-descent sweep over the rows of W. See ``_kl_rows``."""

    def run(lo, hi):
        ptr = indptr[lo : hi + 1]
        return _kl_rows(W[lo:hi], Ht, hsum, ptr, indices, data, wh, order, n_newton, l1, l2)

    # an entry costs about k · 4 · n_newton flops
    return int(sum(map_blocks(run, csr_blocks(indptr, 4 * W.shape[1] * n_newton))))


def csr_dense(indptr, indices, data, B, out):
    """CSR X times dense B, into ``out``. See ``_csr_dense_rows``."""

    def run(lo, hi):
        _csr_dense_rows(indptr[lo : hi + 1], indices, data, B, out[lo:hi])

    map_blocks(run, csr_blocks(indptr, 2 * B.shape[1]))
    return out


def wh_at(indptr, indices, W, Ht, out):
    """Values of W @ Ht.T at the stored entries of a CSR matrix. See ``_wh_rows``."""

    def run(lo, hi):
        _wh_rows(indptr[lo : hi + 1], indices, W[lo:hi], Ht, out)

    map_blocks(run, csr_blocks(indptr, 2 * W.shape[1]))
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _hals_rows(A, G, R, orders, delta2):
    """Up to ``len(orders)`` HALS sweeps over each row of A; return Σ (change)².

    Row i of A is updated from row i alone and the small Gram G, so visiting rows in
    the outer loop gives the same result as visiting columns first, and each row can
    run all its sweeps at once, stopping on its own (see ``hals_sweeps_xp``). A row
    keeps its gradient g = R[i] - A[i] G, in float64, through a sweep: a coordinate
    step is then an axpy on g (skipped when the coordinate does not move) rather than
    a dot product. Rows go in groups of ``_GROUP``, coordinate
    by coordinate: a row's steps form one chain of dependent operations, and the
    group's independent chains overlap in the processor (1.5× faster at k = 40).

    Parameters
    ----------
    A : ndarray of shape (n, k), C-contiguous
        Updated in place.
    G : ndarray of shape (k, k)
        Symmetric Gram (plus any L2 weight on the diagonal).
    R : ndarray of shape (n, k)
        Cross product (minus any L1 weight).
    orders : ndarray of int of shape (n_sweeps, k)
        Row s is the order in which sweep s visits the columns.
    delta2 : float
        A row stops once a sweep changes it by at most ``delta2`` times its first one.
    """
    n, k = A.shape
    B = _GROUP
    g = np.empty((B, k), dtype=np.float64)
    first, change, d = np.empty(B), np.empty(B), np.empty(B)
    active = np.empty(B, dtype=np.bool_)
    total = 0.0
    for i0 in range(0, n, B):
        nb = min(B, n - i0)
        for b in range(nb):
            active[b] = True
        for s in range(orders.shape[0]):
            for b in range(nb):
                change[b] = 0.0
                if not active[b]:
                    continue
                # afresh at each sweep: carried over many sweeps, its rounding errors
                # would leave 1e-33 where the exact update gives 0
                i = i0 + b
                for t in range(k):
                    g[b, t] = R[i, t]
                for r in range(k):
                    a = A[i, r]
                    if a != 0.0:
                        for t in range(k):
                            g[b, t] -= a * G[r, t]
            order = orders[s]
            for p in range(k):
                t = order[p]
                h = G[t, t]
                if h <= 0.0:
                    continue
                for b in range(nb):
                    d[b] = 0.0
                    if active[b]:
                        i = i0 + b
                        old = A[i, t]
                        new = old + g[b, t] / h
                        A[i, t] = new if new > 0.0 else 0.0
                        d[b] = A[i, t] - old  # in A's dtype: the change that was made
                for b in range(nb):
                    db = d[b]
                    if db != 0.0:
                        change[b] += db * db
                        for r in range(k):
                            g[b, r] -= db * G[t, r]
            more = False
            for b in range(nb):
                if active[b]:
                    total += change[b]
                    if s == 0:
                        first[b] = change[b]
                    active[b] = change[b] > delta2 * first[b] and change[b] > 0.0
                    more = more or active[b]
            if not more:
                break
    return total


@njit(cache=True, nogil=True, error_model="numpy")
def _kl_rows(W, Ht, hsum, indptr, indices, data, wh, order, n_newton, l1, l2):
    """One KL coordinate-descent sweep over the rows of W (Hsieh & Dhillon 2011).

    Each coordinate takes up to ``n_newton`` projected Newton steps on its 1-D convex
    problem, each halved until that problem's objective does not increase; W H at the
    stored entries (``wh``) is kept up to date. Returns the number of moves.

    Parameters
    ----------
    W : ndarray of shape (n, k), C-contiguous
        Updated in place.
    Ht : ndarray of shape (m, k)
        The other factor, transposed.
    hsum : ndarray of shape (k,)
        Ht.sum(axis=0).
    indptr, indices, data : CSR arrays of X (n, m)
    wh : ndarray of shape (nnz,)
        (W @ Ht.T) at the stored entries, updated in place.
    order : ndarray of shape (k,), int
    n_newton : int
    l1, l2 : float
        Penalty weights on W (l1·|W| + l2/2·|W|²).
    """
    n, k = W.shape
    eps = np.finfo(W.dtype).eps  # W H is floored here, as in the loss
    moves = 0
    for i in range(n):
        a, b = indptr[i], indptr[i + 1]
        for t in order:
            for _ in range(n_newton):
                w = W[i, t]
                g = hsum[t] + l1 + l2 * w
                c = l2
                for p in range(a, b):
                    h = Ht[indices[p], t]
                    if h != 0.0 and data[p] != 0.0:
                        y = max(wh[p], eps)
                        r = data[p] / y
                        g -= r * h
                        c += r * h * h / y
                # no curvature: the 1-D objective is linear (slope g), or flat when the
                # other factor's component is all zero; then w stays, so that component
                # can come back (zeroing it too would leave a pair no step can revive)
                new = w - g / c if c > 0.0 else (0.0 if g > 0.0 else w)
                if new < 0.0:
                    new = 0.0
                d = new - w
                # f''' <= 0: a step up (d > 0) stops short of the minimiser and so always
                # descends; only a step down can overshoot and needs the check
                for _ in range(60):
                    if d >= 0.0:
                        break
                    df = d * (hsum[t] + l1 + l2 * (w + 0.5 * d))
                    for p in range(a, b):
                        h = Ht[indices[p], t]
                        if h != 0.0 and data[p] != 0.0:
                            df -= data[p] * np.log1p(d * h / max(wh[p], eps))
                    if df <= 0.0:
                        break
                    d *= 0.5
                else:
                    d = 0.0
                if d == 0.0:
                    break
                W[i, t] = w + d
                moves += 1
                for p in range(a, b):
                    wh[p] += d * Ht[indices[p], t]
    return moves


@njit(cache=True, nogil=True)
def _wh_rows(indptr, indices, W, Ht, out):
    """Values of W @ Ht.T at the stored entries of a CSR matrix, into ``out``.

    Parameters
    ----------
    indptr, indices : CSR structure of X (n, m)
    W : ndarray of shape (n, k)
    Ht : ndarray of shape (m, k), C-contiguous
    out : ndarray of shape (nnz,)
    """
    n, k = W.shape
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            s = 0.0
            for t in range(k):
                s += W[i, t] * Ht[j, t]
            out[p] = s
    return out


@njit(cache=True, nogil=True)
def _csr_dense_rows(indptr, indices, data, B, out):
    """out[i] = Σ_p data[p] · B[indices[p]] over the stored entries p of row i.

    Parameters
    ----------
    indptr, indices, data : CSR arrays of X (n, m)
    B : ndarray of shape (m, k), C-contiguous
    out : ndarray of shape (n, k), C-contiguous
    """
    n, k = out.shape
    for i in range(n):
        for t in range(k):
            out[i, t] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            v = data[p]
            j = indices[p]
            for t in range(k):
                out[i, t] += v * B[j, t]
    return out


@njit(cache=True, nogil=True)
def csr_has_duplicates(indptr, indices, n_cols):
    """Whether some row of a CSR structure stores a column twice (indices in any order).

    O(nnz) time and O(n_cols) memory: ``seen[j]`` is the last row that stored column j.
    """
    seen = np.full(n_cols, -1, dtype=np.int64)
    for i in range(len(indptr) - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if seen[j] == i:
                return True
            seen[j] = i
    return False


def sparseness_projection(A, target):
    """Hoyer's sparseness projection of every column of A. See ``_sparseness_columns``
    and its twin ``sparseness.sparseness_projection_xp``."""
    n, k = A.shape
    out = np.empty_like(A)
    At = np.ascontiguousarray(A.T)  # columns as contiguous rows
    Pt = np.empty_like(At)
    bounds = even_blocks(k, 8.0 * n * max(np.log2(n), 1.0))
    map_blocks(lambda lo, hi: _sparseness_columns(At[lo:hi], float(target), Pt[lo:hi]), bounds)
    out[...] = Pt.T
    return out


@njit(cache=True, nogil=True)
def _sparseness_columns(At, target, Pt):
    """Each row of At (a column of A) projected into the same row of Pt: the support of
    the q largest entries and the threshold t that give the L1/L2 ratio r, from one
    sort and running sums (see the twin's docstring)."""
    y = np.empty(At.shape[1])
    for j in range(At.shape[0]):
        _sparseness_direction(At[j], target, Pt[j], y)


def hoyer_sweep(A, G, R, target):
    """One sweep over the columns of A, each set to the nearest point of Hoyer's
    sparseness cone to its exact unconstrained minimiser; returns the new A. The twin
    of ``sparseness.hoyer_sweep_xp``."""
    At = np.ascontiguousarray(A.T, dtype=np.float64)
    Rt = np.ascontiguousarray(R.T, dtype=np.float64)
    G = np.ascontiguousarray(G, dtype=np.float64)
    n = At.shape[1]
    _hoyer_columns(At, G, Rt, float(target), np.empty(n), np.empty(n), np.empty(n))
    return np.ascontiguousarray(At.T, dtype=A.dtype)


@njit(cache=True, nogil=True)
def _hoyer_columns(At, G, Rt, target, x, p, y):
    """The sweep of ``hoyer_sweep`` on At (components as rows), in place."""
    k, n = At.shape
    for j in range(k):
        g = G[j, j]
        if g <= 0.0:
            continue
        for i in range(n):
            x[i] = Rt[j, i]
        for m in range(k):
            c = G[m, j]
            if c != 0.0:
                for i in range(n):
                    x[i] -= c * At[m, i]
        for i in range(n):
            x[i] = At[j, i] + x[i] / g
        _cone_point(x, target, p, y)
        for i in range(n):
            At[j, i] = p[i]


@njit(cache=True, nogil=True)
def _cone_point(x, target, p, y):
    """The nearest point to x of {v >= 0 : sparseness(v) = target}, into p; ties at the
    top broken by a ramp of 1e-4 of x's largest entry (as ``project_sparseness``)."""
    n = x.shape[0]
    _sparseness_direction(x, target, p, y)
    root = np.sqrt(n)
    l1 = 0.0
    l2 = 0.0
    for i in range(n):
        l1 += p[i]
        l2 += p[i] * p[i]
    if l2 > 0.0 and abs((root - l1 / np.sqrt(l2)) / (root - 1.0) - target) > 1e-9:
        top = 0.0
        for i in range(n):
            top = max(top, abs(x[i]))
        z = np.empty(n)
        for i in range(n):
            z[i] = x[i] + 1e-4 * top * (n - i) / n
        _sparseness_direction(z, target, p, y)
    dot = 0.0
    nn = 0.0
    for i in range(n):
        dot += x[i] * p[i]
        nn += p[i] * p[i]
    if nn > 0.0:
        scale = max(dot / nn, 1e-12)
        for i in range(n):
            p[i] *= scale


@njit(cache=True, nogil=True)
def _sparseness_direction(x, target, p, y):
    """Hoyer's projection of x at x's own norm, into p (``_sparseness_columns``)."""
    n = x.shape[0]
    root = np.sqrt(n)
    r = root - target * (root - 1.0)
    r2 = r * r
    l2 = np.sqrt(np.sum(x * x))
    if l2 == 0.0:
        p[:] = 0.0
        return
    if r >= root * (1 - 1e-15):
        p[:] = l2 / root
        return
    if r <= 1.0 + 1e-15:
        p[:] = 0.0
        p[np.argmax(x)] = l2
        return
    best_t = _threshold(x, r2)
    if np.isnan(best_t):  # ties at the support's edge: the sorted search below
        y[:] = np.sort(x)[::-1]
        s1 = 0.0
        s2 = 0.0
        best_bad = np.inf
        for q in range(1, n + 1):
            v = y[q - 1]
            s1 += v
            s2 += v * v
            room = q - r2
            if room <= 0.0:
                continue
            disc = s1 * s1 - q * (s1 * s1 - r2 * s2) / room
            if disc < 0.0:
                continue
            below = y[q] if q < n else -np.inf
            sq = np.sqrt(disc)
            for t in ((s1 - sq) / q, (s1 + sq) / q):
                bad = max(below - t, 0.0) + max(t - v, 0.0) + (1.0 if t == v else 0.0)
                if bad < best_bad:
                    best_bad = bad
                    best_t = t
    norm2 = 0.0
    for i in range(n):
        d = x[i] - best_t
        d = d if d > 0.0 else 0.0
        p[i] = d
        norm2 += d * d
    scale = l2 / np.sqrt(norm2) if norm2 > 0.0 else 0.0
    for i in range(n):
        p[i] *= scale


@njit(cache=True, nogil=True)
def _threshold(x, r2):
    """The t with ‖(x - t)₊‖₁ / ‖(x - t)₊‖₂ = √r2, by bisection on t over the support
    {x > t}: each pass sums the entries above the middle and solves the quadratic of
    that support, which is the answer when its root lies between the largest entry
    outside and the smallest inside. No sort: O(n) a pass. NaN when no pass finds it
    (ties at the edge of the support)."""
    n = x.shape[0]
    lo = np.inf
    hi = -np.inf
    for i in range(n):
        lo = min(lo, x[i])
        hi = max(hi, x[i])
    lo -= 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        s1 = 0.0
        s2 = 0.0
        q = 0
        inside = np.inf
        outside = -np.inf
        for i in range(n):
            v = x[i]
            if v > mid:
                s1 += v
                s2 += v * v
                q += 1
                inside = min(inside, v)
            else:
                outside = max(outside, v)
        room = q - r2
        if q > 0 and room > 0.0:
            disc = s1 * s1 - q * (s1 * s1 - r2 * s2) / room
            if disc >= 0.0:
                sq = np.sqrt(disc)
                for t in ((s1 - sq) / q, (s1 + sq) / q):
                    if outside <= t < inside:
                        return t
        # the ratio at mid against r: too dense (ratio above r) moves the threshold up
        l1 = s1 - q * mid
        l2sq = s2 - 2.0 * mid * s1 + q * mid * mid
        if q == 0 or l1 * l1 > r2 * l2sq:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * max(abs(hi), abs(lo), 1e-300):
            break
    return np.nan
