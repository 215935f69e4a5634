"""Coordinate descent for symmetric NMF, one sweep over the entries of H.

The same loops serve as the reference (plain Python on NumPy arrays: the test oracle
and the fallback for small problems) and, compiled by ``_numba_symmetric``, as the
NumPy engine's kernel: an entry-by-entry method has no vectorised twin.
"""

import math

__all__ = ["symnmf_cd_sweep_xp"]


def symnmf_cd_sweep_xp(indptr, indices, data, H, HtH, rownorm):
    """One sweep of exact coordinate minimisation of ¼‖A − H Hᵀ‖²_F over H ≥ 0.

    Vandaele, Gillis, Lei, Zhong & Van Dooren (2016), doi:10.1109/TSP.2016.2591510.
    As a function of one entry x = H[i, j] the objective is the quartic
    ¼x⁴ + ½P x² + Q x + const, with, for R = A − H Hᵀ and h = H[i, j] before the
    update, c = ‖H[:, j]‖² + h² − R[i, i], P = c − 3h² and Q = 2h³ − c h − (R H)[i, j].
    Its minimiser over x ≥ 0 is 0 or a non-negative real root of x³ + P x + Q
    (Cardano's formula; the trigonometric form when there are three). Column by
    column, row by row; ``HtH`` and the squared row norms ``rownorm`` are kept up to
    date and (A H)[i, j] comes from row i of A (CSR), so a sweep costs
    O(nnz(A)·k + n·k²).

    Parameters
    ----------
    indptr, indices, data : arrays
        A (n × n, symmetric) in CSR form.
    H : ndarray of shape (n, k), float64, updated in place
    HtH : ndarray of shape (k, k), float64, updated in place
    rownorm : ndarray of shape (n,), float64, updated in place

    Returns
    -------
    H : ndarray
    """
    n, k = H.shape
    for j in range(k):
        for i in range(n):
            h = H[i, j]
            AHij, Aii = 0.0, 0.0
            for p in range(indptr[i], indptr[i + 1]):
                col = indices[p]
                AHij += data[p] * H[col, j]
                if col == i:
                    Aii += data[p]
            HHtHij = 0.0
            for m in range(k):
                HHtHij += H[i, m] * HtH[m, j]
            c = HtH[j, j] + h * h - (Aii - rownorm[i])
            P = c - 3.0 * h * h
            Q = 2.0 * h * h * h - c * h - (AHij - HHtHij)
            # the minimiser of ¼x⁴ + ½P x² + Q x over x ≥ 0
            x, fx = 0.0, 0.0
            disc = 0.25 * Q * Q + P * P * P / 27.0
            if disc > 0:
                s = math.sqrt(disc)
                u, v = -0.5 * Q + s, -0.5 * Q - s
                r = math.copysign(abs(u) ** (1 / 3), u) + math.copysign(abs(v) ** (1 / 3), v)
                if r > 0 and 0.25 * r**4 + 0.5 * P * r * r + Q * r < fx:
                    x = r
            elif P < 0:
                amp = 2.0 * math.sqrt(-P / 3.0)
                phi = math.acos(min(1.0, max(-1.0, 1.5 * Q / P * math.sqrt(-3.0 / P))))
                for m in range(3):
                    r = amp * math.cos((phi - 2.0 * math.pi * m) / 3.0)
                    f = 0.25 * r**4 + 0.5 * P * r * r + Q * r
                    if r > 0 and f < fx:
                        x, fx = r, f
            delta = x - h
            if delta != 0.0:
                for m in range(k):
                    if m != j:
                        HtH[j, m] += delta * H[i, m]
                        HtH[m, j] = HtH[j, m]
                HtH[j, j] += delta * (2.0 * h + delta)
                rownorm[i] += delta * (2.0 * h + delta)
                H[i, j] = x
    return H
