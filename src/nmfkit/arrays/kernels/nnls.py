"""Row-wise NNLS by block principal pivoting: the batched NumPy form.

The array-API twin of ``kernels._numba_nnls.nnls_rows`` (its test oracle and fallback):
all rows advance together, and rows that share a passive set are solved together (one
Cholesky factorisation per distinct set), or all at once in one batched masked solve.
"""

import numpy as np
import scipy.linalg

# Kim & Park's safeguard: full exchanges allowed before the backup (single) rule.
_P_BAR = 3
# Above this many distinct passive sets, one batched masked solve beats a loop of solves.
_MAX_GROUPS = 32
# Columns per batched solve: bounds the (batch, k, k) temporaries.
_BATCH = 2048


def _solve_spd(A, B):
    try:
        return scipy.linalg.cho_solve(
            scipy.linalg.cho_factor(A, check_finite=False), B, check_finite=False
        )
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        return np.linalg.lstsq(A, B, rcond=None)[0]


def _solve_batched(AtA, AtB, P):
    """Per-column masked systems solved in one batched LAPACK call.

    Column c solves [AtA ∘ p pᵀ + diag(1 - p)] x = AtB[:, c] ∘ p, which equals the
    passive-set system on p and gives x = 0 off it.
    """
    k = AtA.shape[0]
    eye = np.eye(k, dtype=bool)
    X = np.empty_like(AtB)
    for s in range(0, AtB.shape[1], _BATCH):
        p = P[:, s : s + _BATCH].T  # (b, k)
        mask = p[:, :, None] & p[:, None, :]
        A = np.where(mask, AtA, 0.0)
        A[:, eye] = np.where(p, A[:, eye], 1.0)
        b = np.where(p, AtB[:, s : s + _BATCH].T, 0.0)
        X[:, s : s + _BATCH] = np.linalg.solve(A, b[:, :, None])[:, :, 0].T
    return X


def _solve_passive(AtA, AtB, P):
    """X of AtB's shape with X = 0 off P and AtA[P,P] X[P] = AtB[P] per column.

    Columns that share a passive set are solved together; when the sets are mostly
    distinct, one batched solve over masked systems replaces the per-set loop.

    Parameters
    ----------
    AtA : ndarray of shape (k, k)
    AtB : ndarray of shape (k, r)
    P : bool ndarray of shape (k, r)
        The passive set of each column.
    """
    X = np.zeros_like(AtB)
    if AtB.shape[1] == 0:
        return X
    keys = np.packbits(P, axis=0)
    _, inverse = np.unique(keys, axis=1, return_inverse=True)
    inverse = inverse.ravel()
    n_groups = int(inverse.max()) + 1
    if n_groups > _MAX_GROUPS:
        try:
            return _solve_batched(AtA, AtB, P)
        except np.linalg.LinAlgError:
            pass  # a singular passive block: solve group by group with lstsq fallback
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    for cols in np.split(order, bounds):
        idx = np.flatnonzero(P[:, cols[0]])
        if idx.size:
            X[np.ix_(idx, cols)] = _solve_spd(AtA[np.ix_(idx, idx)], AtB[np.ix_(idx, cols)])
    return X


def nnls_rows_xp(G, B, X, small):
    """Solve every row of X ≥ 0: min ½ xᵀ G x − B[i]·x, warm-started from X.

    Parameters
    ----------
    G : ndarray of shape (k, k)
        Symmetric positive semi-definite Gram (plus any L2 weight on the diagonal).
    B : ndarray of shape (n, k)
        Right-hand sides, one per row.
    X : ndarray of shape (n, k)
        Warm start (its positive entries seed the passive sets); overwritten by the
        solutions.
    small : float
        Magnitudes below this count as zero in the feasibility tests.
    """
    G64, B64 = np.asarray(G, dtype=np.float64), np.asarray(B, np.float64)
    new = _nnls_columns(G64, B64.T, X.T > 0, small).T

    # the kernel's safeguard: keep the warm start where it is the better point
    def quadratic(Y):
        return 0.5 * np.einsum("ij,jk,ik->i", Y, G64, Y) - np.einsum("ij,ij->i", B64, Y)

    better = quadratic(new) <= quadratic(np.asarray(X, dtype=np.float64))
    X[better] = new[better]
    return X


def _nnls_columns(AtA, AtB, P, small_x):
    """The batched algorithm on columns: AtB (k, r), passive sets P (k, r)."""
    k, r = AtB.shape
    P = P.copy()
    X = _solve_passive(AtA, AtB, P)
    Y = AtA @ X - AtB

    def violations(cols):
        Xc, Yc, Pc = X[:, cols], Y[:, cols], P[:, cols]
        Xc[np.abs(Xc) < small_x] = 0
        Yc[np.abs(Yc) < small_x] = 0
        Yc[Pc] = 0
        X[:, cols], Y[:, cols] = Xc, Yc
        return ((Yc < 0) & ~Pc) | ((Xc < 0) & Pc)

    all_cols = np.arange(r)
    bad = violations(all_cols)
    n_bad = bad.sum(0)
    budget = np.full(r, _P_BAR)
    best = np.full(r, k + 1)
    todo = np.flatnonzero(n_bad > 0)
    for _ in range(5 * k + 10):
        if todo.size == 0:
            break
        nb = n_bad[todo]
        full = nb < best[todo]
        best[todo[full]] = nb[full]
        budget[todo[full]] = _P_BAR
        retry = ~full & (budget[todo] >= 1)
        budget[todo[retry]] -= 1
        swap = todo[full | retry]
        P[:, swap] ^= bad[:, swap]
        for c in todo[~(full | retry)]:
            # backup rule: exchange only the largest violating index
            j = np.flatnonzero(bad[:, c])[-1]
            P[j, c] = ~P[j, c]
        X[:, todo] = _solve_passive(AtA, AtB[:, todo], P[:, todo])
        Y[:, todo] = AtA @ X[:, todo] - AtB[:, todo]
        bad_t = violations(todo)
        bad[:, todo] = bad_t
        n_bad[todo] = bad_t.sum(0)
        todo = todo[n_bad[todo] > 0]
    np.maximum(X, 0, out=X)
    return X
