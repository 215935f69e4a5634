"""KL coordinate descent: the array-API twin of ``kernels._numba.kl_ccd_sweep``."""

import numpy as np


def kl_ccd_sweep_xp(W, Ht, hsum, indptr, indices, data, wh, order, n_newton, l1, l2):
    """Same update as the Numba kernel, vectorised over rows (rows are independent).

    See ``kernels._numba.kl_ccd_sweep`` for the parameters. Used as the test oracle and
    as the fallback when Numba is missing (slow: a Python loop over k·n_newton steps).
    """
    n = W.shape[0]
    rows = np.repeat(np.arange(n), np.diff(indptr))
    eps = np.finfo(W.dtype).eps
    live = data != 0
    moves = 0
    with np.errstate(divide="ignore", invalid="ignore"):  # only masked entries overflow
        for t in order:
            h_all = Ht[indices, t]
            h = h_all * live
            for _ in range(n_newton):
                w = W[:, t].copy()
                y = np.maximum(wh, eps)
                r = np.where(live, data / y, 0.0)
                g = hsum[t] + l1 + l2 * w - np.bincount(rows, r * h, minlength=n)
                c = l2 + np.bincount(rows, np.where(live, r * h * h / y, 0.0), minlength=n)
                flat = np.where(g > 0, 0.0, w)  # no curvature: see the Numba kernel
                new = np.maximum(np.where(c > 0, w - g / np.where(c > 0, c, 1.0), flat), 0.0)
                d = _halve_until_descent(new - w, w, h, data, y, rows, live, hsum[t], l1, l2)
                if not np.any(d):
                    break
                W[:, t] = w + d
                moves += int(np.count_nonzero(d))
                wh += d[rows] * h_all  # W H at every stored entry, explicit zeros too
    return moves


def _halve_until_descent(d, w, h, data, wh, rows, live, hsum_t, l1, l2):
    """Halve each row's step until its 1-D objective does not increase (60 tries)."""
    n = len(w)
    for _ in range(60):
        logs = np.where(live, data * np.log1p(np.where(live, d[rows] * h / wh, 0.0)), 0.0)
        df = d * (hsum_t + l1 + l2 * (w + 0.5 * d)) - np.bincount(rows, logs, minlength=n)
        bad = (d < 0) & ~(df <= 0)  # a step up always descends: f''' <= 0
        if not bad.any():
            return d
        d = np.where(bad, d * 0.5, d)
    return np.where(bad, 0.0, d)
