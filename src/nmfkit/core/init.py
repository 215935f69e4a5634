"""Initial factors: random, NNDSVD and its variants, SPA's pure rows, or user-supplied.

Random draws come from ``numpy.random.default_rng(seed)`` on the host and are then
moved to the engine, so every engine starts from the same W and H.
"""

import numbers

import numpy as np

from .separable import anchor_rows, spa_rows

__all__ = ["INITS", "initialize", "make_rng"]

# the initialisations ``init=`` names (besides 'custom': W and H given)
INITS = ("random", "nndsvd", "nndsvda", "nndsvdar", "spa")


def make_rng(random_state):
    """A ``numpy.random.Generator`` from an int, None, Generator or RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    return np.random.default_rng(random_state)


def _random(data, k, rng, dtype):
    avg = np.sqrt(data.mean() / k)  # the mean of the known entries
    H = np.abs(rng.standard_normal((k, data.shape[1]))) * avg
    W = np.abs(rng.standard_normal((data.shape[0], k))) * avg
    return W.astype(dtype, copy=False), H.astype(dtype, copy=False)


def _nndsvd(data, k, rng, variant, dtype, engine, svd_rng=None):
    """NNDSVD (Boutsidis & Gallopoulos 2008), doi:10.1016/j.patcog.2007.09.010.

    ``svd_rng`` seeds the randomized SVD of a large X (default: ``rng``): an int
    ``random_state`` goes to it as is, as scikit-learn's NNDSVD passes it, so the same
    seed gives scikit-learn's start (before, a seed drawn from ``rng`` gave another
    start, and on 20 Newsgroups TF-IDF a worse minimum in 4 of 5 seeds)."""
    svd_rng = rng if svd_rng is None else svd_rng
    # with unknown entries, the SVD of X with them as zeros
    U, S, V = engine.top_svd(data.svd_source(), k, svd_rng)
    W = np.zeros_like(U)
    H = np.zeros_like(V)
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0] = np.sqrt(S[0]) * np.abs(V[0])
    for j in range(1, k):
        x, y = U[:, j], V[j]
        xp, yp = np.maximum(x, 0), np.maximum(y, 0)
        xn, yn = np.maximum(-x, 0), np.maximum(-y, 0)
        xpn, ypn = np.linalg.norm(xp), np.linalg.norm(yp)
        xnn, ynn = np.linalg.norm(xn), np.linalg.norm(yn)
        mp, mn = xpn * ypn, xnn * ynn
        if max(mp, mn) == 0:  # a direction X does not have (rank below k)
            continue
        if mp > mn:
            u, v, sigma = xp / xpn, yp / ypn, mp
        else:
            u, v, sigma = xn / xnn, yn / ynn, mn
        lbd = np.sqrt(S[j] * sigma)
        W[:, j] = lbd * u
        H[j] = lbd * v
    W[W < 1e-6] = 0
    H[H < 1e-6] = 0
    if variant == "nndsvda":
        avg = data.mean()
        W[W == 0] = avg
        H[H == 0] = avg
    elif variant == "nndsvdar":
        avg = data.mean()
        W[W == 0] = np.abs(avg * rng.standard_normal(int((W == 0).sum())) / 100)
        H[H == 0] = np.abs(avg * rng.standard_normal(int((H == 0).sum())) / 100)
    return W.astype(dtype, copy=False), H.astype(dtype, copy=False)


def _spa(data, k, dtype, engine):
    """H from the rows SPA picks, and W the exact NNLS fit of X on them (a W for
    whatever solver follows; a constrained fit projects it)."""
    X = data.X
    if engine.name != "numpy" or not data.all_known:
        raise ValueError(
            "init='spa' runs on the NumPy engine with every entry of X known; use "
            "init='nndsvda' or 'random' here."
        )
    H = anchor_rows(X, spa_rows(X, k), dtype)
    G = H.astype(np.float64) @ H.T.astype(np.float64)
    R = np.asarray(X @ H.T.astype(np.float64))
    # unconstrained least squares, clipped: a start, not a solution
    W = np.clip(np.linalg.lstsq(G + 1e-12 * np.trace(G) * np.eye(k), R.T, rcond=None)[0].T, 0, None)
    W[:, W.sum(axis=0) == 0] = 1.0 / k
    return np.ascontiguousarray(W, dtype=dtype), H


def initialize(data, plan, engine, W=None, H=None):
    """Return the starting (W, H) on the engine, in the Plan's dtype.

    Parameters
    ----------
    data : FitData of shape (n_samples, n_features)
    plan : Plan
    engine : Engine
    W : ndarray of shape (n_samples, k), optional
        Used as is when ``plan.init == 'custom'`` (or to hold W when only H is fit).
    H : ndarray of shape (k, n_features), optional
        Used as is when ``plan.init == 'custom'`` or when ``plan.update_H`` is False.
    """
    k, dtype = plan.n_components, plan.dtype
    rng = make_rng(plan.random_state)
    if not plan.update_H:
        # transform / update_H=False: H is given, W starts as in scikit-learn
        if plan.init == "custom" and W is not None:
            W0 = W
        else:
            avg = np.sqrt(data.mean() / k)
            W0 = np.full((data.shape[0], k), avg, dtype=dtype)
        return engine.asarray(W0, dtype, rows=True), engine.asarray(H, dtype)
    if plan.init == "custom":
        W0, H0 = W, H
    elif plan.init == "random":
        W0, H0 = _random(data, k, rng, dtype)
    elif plan.init == "spa":
        W0, H0 = _spa(data, k, dtype, engine)
    else:
        seed = plan.random_state
        svd_rng = seed if isinstance(seed, (numbers.Integral, np.integer)) else rng
        W0, H0 = _nndsvd(data, k, rng, plan.init, dtype, engine, svd_rng)
    return engine.asarray(W0, dtype, rows=True), engine.asarray(H0, dtype)
