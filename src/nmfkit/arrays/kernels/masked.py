"""Row-wise NNLS over the observed entries of each row (array-API form).

The kernel behind every fit with missing entries or weights (ALS style): row i of A
solves, with B held fixed,

    min_{a ≥ 0}  ½ Σ_{j ∈ Ω_i} w_ij (t_ij − a·B[j])² + l1·Σ a + ½ l2_i ‖a‖²,

where Ω_i are the stored entries of row i of a CSR structure, t their targets and w
their weights. Its Gram ``Σ w_ij B[j] B[j]ᵀ`` differs from row to row, so it is built
per row from the row's entries only: the cost is O(nnz·k² + n·k³), whatever the share
of unknown entries. The compiled twin is ``kernels._numba_masked.masked_nnls_rows``.
"""

import numpy as np

from .nnls import nnls_rows_xp

# Coordinate sweeps that check (and if need be repair) each row's BPP solution.
_POLISH_SWEEPS = 200


# A coordinate whose curvature is below this share of its row's total (Σ over the row's
# observed entries of w·‖b‖²) is left as it is: its exact minimiser divides rounding
# noise by a near-zero curvature (a float32 fit once put 1e34 in W that way).
_FLAT = 1e-12


def held_share(dtype):
    """Diagonal share of a row's trace at or below which a coordinate is held at 0 in
    the exact row solves: eps² of the fit's dtype. Such a coordinate's exact value
    divides by a curvature the dtype cannot resolve, and overflows it (a float32 fit
    once solved an entry of H of 3e-37 into a W of 1.7e39, inf in float32)."""
    return float(np.finfo(dtype).eps) ** 2


def row_system(indptr, indices, target, weight, B, i, l1, l2):
    """Gram and right-hand side of row i, scaled to a unit diagonal.

    Returns ``(G, b, d)`` with the problem in the variables x / d; a coordinate that no
    observed entry of the row touches, or barely (diagonal at most ``held_share`` of the
    trace), gets a unit diagonal and a zero right-hand side, so it solves to 0.
    """
    s = slice(indptr[i], indptr[i + 1])
    Bi = B[indices[s]]
    wB = Bi * weight[s][:, None]
    G = Bi.T @ wB
    G[np.diag_indices_from(G)] += l2
    b = wB.T @ target[s] - l1
    diag = np.diag(G).copy()
    live = (diag > 0) & (diag > held_share(B.dtype) * diag.sum())
    d = np.where(live, 1.0 / np.sqrt(np.where(live, diag, 1.0)), 1.0)
    G = G * d[:, None] * d[None, :]
    G[~live, :] = 0.0
    G[:, ~live] = 0.0
    G[~live, ~live] = 1.0
    b = np.where(live, b * d, 0.0)
    return G, b, d


def polish_xp(G, b, x):
    """x polished by exact coordinate steps until they stop moving (G has a unit
    diagonal). ``nnls_rows_xp`` has already kept the warm start where its solution was
    worse, so the result is never worse than the warm start."""
    for _ in range(_POLISH_SWEEPS):
        change = 0.0
        for p in range(len(x)):
            new = max(0.0, x[p] - (float(G[p] @ x) - b[p]) / G[p, p])
            change = max(change, abs(new - x[p]))
            x[p] = new
        if change <= 1e-12 * max(float(np.max(np.abs(x))), 1e-300):
            break
    return x


def masked_nnls_rows_xp(indptr, indices, target, weight, A, B, l1, l2):
    """Solve every row of A ≥ 0 over its observed entries, warm-started from A.

    Parameters
    ----------
    indptr, indices : CSR structure of the observed entries, n rows
    target, weight : ndarray of shape (nnz,)
        What each observed entry should equal, and its weight (> 0).
    A : ndarray of shape (n, k), float64
        Warm start (its support seeds the passive sets); overwritten by the solutions.
    B : ndarray of shape (m, k)
        The fixed factor, one row per column of the structure.
    l1 : float
        L1 weight on A.
    l2 : ndarray of shape (n,)
        L2 weight of each row.

    Returns
    -------
    A : ndarray of shape (n, k)
    """
    for i in range(A.shape[0]):
        if indptr[i] == indptr[i + 1] and l2[i] == 0:
            A[i] = 0.0  # nothing observed: the minimum-norm solution
            continue
        G, b, d = row_system(indptr, indices, target, weight, B, i, l1, l2[i])
        small = 1e-12 * max(float(np.max(np.abs(b))), 1e-300)
        x = np.where(d > 0, A[i] / np.where(d > 0, d, 1.0), 0.0)[None, :]
        nnls_rows_xp(G, b[None, :], x, small)
        A[i] = polish_xp(G, b, x[0]) * d
    return A


def masked_hals_rows_xp(indptr, indices, pos, res, weight, A, B, l1, l2, order):
    """One HALS sweep over the columns of A, on the observed entries only.

    Row i of A is updated coordinate by coordinate, in ``order``: coordinate t takes the
    exact minimiser of the weighted loss over row i's observed entries with everything
    else fixed, read from the residual, which is kept up to date. With every entry
    observed and unit weights this is the HALS update (Cichocki & Phan 2009); on
    observed entries it is the coordinate descent of CCD++ (Yu et al. 2012), visiting
    W's columns and then H's rows as HALS does. A sweep costs O(nnz·k).

    Parameters
    ----------
    indptr, indices : CSR structure of the observed entries (n rows)
    pos : ndarray of int, shape (nnz,)
        Where the q-th entry of this structure sits in ``res`` and ``weight`` (the
        identity for X's structure, ``perm`` for its transpose).
    res : ndarray of shape (nnz,), float64
        X − W H at the observed entries; kept up to date.
    weight : ndarray of shape (nnz,)
    A : ndarray of shape (n, k)
        Updated in place.
    B : ndarray of shape (m, k)
        The fixed factor (Hᵀ when A is W, W when A is Hᵀ).
    l1 : float
    l2 : ndarray of shape (n,)
        L2 weight of each row of A.
    order : ndarray of int

    Returns
    -------
    float
        Σ (change)² over A.
    """
    delta = 0.0
    for i in range(A.shape[0]):
        q = pos[indptr[i] : indptr[i + 1]]
        Bi = np.asarray(B[indices[indptr[i] : indptr[i + 1]]], dtype=np.float64)
        w = weight[q]
        trace = float(w @ (Bi * Bi).sum(axis=1)) + l2[i]
        for t in order:
            b = Bi[:, t]
            old = A[i, t]
            r = res[q] + old * b
            den = float(w @ (b * b)) + l2[i]
            if den <= 0:
                new = 0.0  # the coordinate touches no observed entry
            elif den <= _FLAT * trace:
                continue  # a coordinate this row barely sees: its minimiser is noise
            else:
                new = max(0.0, (float(w @ (b * r)) - l1) / den)
            res[q] = r - new * b
            A[i, t] = new
            delta += (new - old) ** 2
    return delta
