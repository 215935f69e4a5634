"""Separable NMF: the rows of X that every other row is a mixture of.

Under separability, X = W X[J] for a set J of k rows (pure samples: pure pixels, anchor
words, archetypes) and W ≥ 0. SPA and SNPA find J greedily, robustly to noise, in time
linear in X's size: each takes the row that the current selection explains least, then
accounts for it. X is read only through products with it (dense or sparse, never
copied): the residual norms are kept from inner products.
"""

import numpy as np

from .constraints.simplex import project_simplex

__all__ = ["spa_rows", "snpa_rows", "simplex_weights", "anchor_rows"]


def _row_norms2(X):
    """‖x_i‖² of each row, in float64 (dense or sparse X)."""
    if hasattr(X, "multiply"):
        return np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()
    return np.einsum("ij,ij->i", X, X, dtype=np.float64)


def _row(X, i):
    """Row i of X as a dense float64 vector."""
    row = X[i].toarray().ravel() if hasattr(X, "toarray") else X[i]
    return np.array(row, dtype=np.float64)


def anchor_rows(X, picks, dtype):
    """The rows ``picks`` of X as a dense C-ordered array of ``dtype`` (H of a separable
    fit, or of the 'spa' start)."""
    H = X[picks]
    return np.ascontiguousarray(H.toarray() if hasattr(H, "toarray") else H, dtype=dtype)


def spa_rows(X, k):
    """The rows of X that the successive projection algorithm picks, in order.

    SPA (Araújo et al. 2001; Gillis & Vavasis 2014, doi:10.1109/TPAMI.2013.226) takes
    the row of largest norm, projects every row onto the orthogonal complement of it,
    and repeats: under separability (every component present pure in some row) the
    picks are the pure rows, robustly to noise. The projections are kept as inner
    products (X times an orthonormal basis), so X is read, never copied: dense or
    sparse alike. Rows that are already explained (residual norm 0) are not picked
    twice; fewer than k picks are padded with the rows of largest residual.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, m)
    k : int

    Returns
    -------
    picks : list of int of length k
    """
    n = X.shape[0]
    residual = _row_norms2(X)
    basis, picks = [], []
    scale = residual.max() if n else 0.0
    for _ in range(k):
        i = int(np.argmax(residual))
        if residual[i] <= 1e-12 * scale:
            break
        u = _row(X, i)
        for v in basis:  # Gram-Schmidt, twice for stability
            u -= (v @ u) * v
        for v in basis:
            u -= (v @ u) * v
        u /= np.linalg.norm(u)
        basis.append(u)
        picks.append(i)
        coef = np.asarray(X @ u).ravel()
        residual = np.maximum(residual - coef * coef, 0.0)
        residual[picks] = 0.0
    rest = [int(i) for i in np.argsort(-residual, kind="stable") if int(i) not in picks]
    return picks + rest[: k - len(picks)]


def simplex_weights(C, G, n_steps=300, at_most=True, start=None):
    """Weights V ≥ 0 with rows summing to at most one (or exactly one) minimising
    ‖x_i − v_i X[J]‖² for every row, from C = X X[J]ᵀ (n × j) and G = X[J] X[J]ᵀ:
    Nesterov's projected gradient with restarts, vectorised over rows.

    Parameters
    ----------
    C : ndarray of shape (n, j)
    G : ndarray of shape (j, j)
    n_steps : int, default=300
    at_most : bool, default=True
    start : ndarray of shape (n, j), optional
        A warm start (projected first).

    Returns
    -------
    V : ndarray of shape (n, j)
    """
    L = float(np.linalg.eigvalsh(G).max())
    if not L > 0:
        return np.zeros_like(C)
    V = project_simplex(C / L if start is None else start, at_most)
    Y, t = V.copy(), 1.0
    for _ in range(n_steps):
        new = project_simplex(Y - (Y @ G - C) / L, at_most)
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        Y = new + ((t - 1.0) / t_next) * (new - V)
        # restart the momentum when it points uphill (O'Donoghue & Candès 2015)
        if np.sum((new - V) * (new @ G - C)) > 0:
            Y, t_next = new.copy(), 1.0
        V, t = new, t_next
    return V


def snpa_rows(X, k, n_steps=300, batch=256):
    """The rows of X that SNPA picks, in order (Gillis 2014, "Successive nonnegative
    projection algorithm for robust nonnegative blind source separation", SIAM J.
    Imaging Sci., doi:10.1137/130946782).

    As SPA, it takes the row of largest residual norm; the residual is the distance of
    each row to the convex hull of the picks and the origin (weights ≥ 0 summing to at
    most one, ``simplex_weights``) rather than to their span, which makes it robust
    where SPA is not (a pick never explains a row by a negative mixture). The residual
    norms come from X X[J]ᵀ and the picks' Gram: X is never copied. A row's residual
    only falls as the hull grows, so its last value bounds it: each pick evaluates rows
    in order of their bounds, a batch at a time, until the largest fresh residual is
    at least every remaining bound (lazy greedy), and most rows are never re-solved.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, m)
    k : int
    n_steps : int, default=300
        Projected gradient steps of each projection onto the hull.
    batch : int, default=256
        Rows evaluated at a time (doubling while more are needed).

    Returns
    -------
    picks : list of int of length k
    """
    n = X.shape[0]
    sq = _row_norms2(X)
    bound = sq.copy()  # upper bounds on the residuals; exact where fresh
    fresh = np.ones(n, dtype=bool)  # no pick yet: the norms are the residuals
    V = np.zeros((n, 0))
    picks, rows = [], []
    scale = sq.max() if n else 0.0
    for _ in range(k):
        size = batch
        while True:
            stale = ~fresh
            best = bound[fresh].max() if fresh.any() else -np.inf
            if not stale.any() or best >= bound[stale].max():
                break
            cand = np.flatnonzero(stale)
            cand = cand[np.argsort(-bound[cand], kind="stable")[:size]]
            R = np.array(rows)
            C = np.asarray(X[cand] @ R.T, dtype=np.float64)
            G = R @ R.T
            start = np.hstack([V[cand], np.zeros((len(cand), len(rows) - V.shape[1]))])
            Vc = simplex_weights(C, G, n_steps, start=start)
            res = sq[cand] - 2 * np.sum(Vc * C, axis=1) + np.sum((Vc @ G) * Vc, axis=1)
            bound[cand] = np.maximum(res, 0.0)
            fresh[cand] = True
            if V.shape[1] < len(rows):
                V = np.hstack([V, np.zeros((n, len(rows) - V.shape[1]))])
            V[cand] = Vc
            size *= 2
        i = int(np.argmax(np.where(fresh, bound, -np.inf)))
        if bound[i] <= 1e-12 * scale:
            break
        picks.append(i)
        rows.append(_row(X, i))
        bound[picks] = 0.0
        fresh[:] = False
        fresh[picks] = True
    rest = [int(j) for j in np.argsort(-bound, kind="stable") if int(j) not in picks]
    return picks + rest[: k - len(picks)]
