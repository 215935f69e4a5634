"""The fit behind ``Recommender``: biases and non-negative factors of the observed
ratings, by exact alternating updates (the loss is in ``model``'s docstring)."""

import time

import numpy as np

from ...arrays.engines import NumpyEngine
from ...arrays.kernels import kernel
from ...core.loop import check_finite

__all__ = ["fit_biased"]


def fit_biased(R, carrier, index, mu, k, rng, params, caller):
    """Minimise the biased, weighted-λ loss over the stored ratings of R.

    An iteration sets the user biases, then the item biases, to their exact minimisers,
    then runs one HALS sweep over W and one over H on the observed entries (the
    ``masked_hals_rows`` kernel); it stops when an iteration lowers the loss by less
    than ``tol`` times its value, or after ``max_iter`` iterations.

    Parameters
    ----------
    R : csr_matrix of shape (n_users, n_items)
        The ratings.
    carrier : csr_matrix of shape (n_items, n_users)
        Rᵀ whose stored values are the positions of R's entries (R's ratings by item).
    index : tuple of (rows, cols, n_u, n_i)
        Each rating's user and item, and the numbers of ratings of each user and item.
    mu : float
        The mean rating.
    k : int
        The number of factors.
    rng : numpy.random.Generator
        For the random start.
    params : dict
        ``reg``, ``reg_bias``, ``max_iter``, ``tol`` and ``verbose``, as ``Recommender``
        takes them.
    caller : str
        Names the fit in a non-finite loss's error.

    Returns
    -------
    dict
        ``bu``, ``bi`` (biases), ``W`` (n_users × k), ``Ht`` (n_items × k), ``res`` (the
        residual r - μ - b_u - b_i - w_u·h_i at each rating), ``curve`` (the loss after
        each iteration, the start first), ``n_iter`` and ``reason`` ("converged" or
        "max_iter").
    """
    rows, cols, n_u, n_i = index
    n_users, n_items = R.shape
    r = R.data
    reg, reg_bias = params["reg"], params["reg_bias"]
    # random factors of the size of a small share of the rating spread
    scale = np.sqrt(max(float(r.std()), 1e-12) / k) * 0.5
    W = rng.random((n_users, k)) * scale
    Ht = rng.random((n_items, k)) * scale
    engine = NumpyEngine()
    wh = kernel("wh_at", engine)(R.indptr, cols, W, Ht, np.empty(R.nnz))
    res = r - mu - wh
    bu, bi = np.zeros(n_users), np.zeros(n_items)
    sweep = kernel("masked_hals_rows", engine)
    ones, ident = np.ones(R.nnz), np.arange(R.nnz)
    l2_u, l2_i = reg * n_u, reg * n_i
    order = np.arange(k)

    def loss():
        return 0.5 * (
            float(res @ res)
            + float(l2_u @ np.einsum("ij,ij->i", W, W))
            + float(l2_i @ np.einsum("ij,ij->i", Ht, Ht))
            + reg_bias * (float(bu @ bu) + float(bi @ bi))
        )

    curve = [loss()]
    reason, it, start = "max_iter", 0, time.perf_counter()
    with engine.threads(pooled=True):
        for it in range(1, params["max_iter"] + 1):
            res += bu[rows]
            bu = np.bincount(rows, res, n_users) / (n_u + reg_bias)
            res -= bu[rows]
            res += bi[cols]
            bi = np.bincount(cols, res, n_items) / (n_i + reg_bias)
            res -= bi[cols]
            sweep(R.indptr, cols, ident, res, ones, W, Ht, 0.0, l2_u, order)
            sweep(carrier.indptr, carrier.indices, carrier.data, res, ones, Ht, W, 0.0, l2_i, order)
            curve.append(loss())
            check_finite(curve[-1], it, caller)
            if params["verbose"]:
                print(f"{it:>5} {curve[-1]:>14.6e} {time.perf_counter() - start:>8.3f}s")
            if curve[-2] - curve[-1] < params["tol"] * curve[-1]:
                reason = "converged"
                break
    return {"bu": bu, "bi": bi, "W": W, "Ht": Ht, "res": res, "curve": curve, "n_iter": it,
            "reason": reason}  # fmt: skip
