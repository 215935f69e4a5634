"""Coordinate descent on the activations of convolutive NMF (Frobenius), one sweep.

As for ``kernels.symmetric``, the same loops are the reference (plain Python on NumPy
arrays) and, compiled by ``_numba_convolutive``, the NumPy engine's kernel: every entry
of a column of W touches the rows of the residual its neighbours touch, so the sweep is
sequential and has no vectorised twin.
"""

__all__ = ["convolutive_w_sweep_xp"]


def convolutive_w_sweep_xp(R, W, H, norms):
    """One sweep of exact coordinate minimisation of ½‖R‖² over W ≥ 0, R = X − Λ.

    Entry W[i, j] adds W[i, j]·Hₜ[j] to row i + t of Λ for t = 0 … T−1 (rows below
    n_samples), so as a function of it alone the objective is the parabola
    ½ Σₜ ‖R[i+t] − δ Hₜ[j]‖²: its minimiser over W[i, j] + δ ≥ 0 is
    max(0, W[i, j] + Σₜ ⟨R[i+t], Hₜ[j]⟩ / Σₜ ‖Hₜ[j]‖²). Column by column, row by row,
    R kept equal to X − Λ; a sweep costs about 4·n·k·T·n_features flops.

    Parameters
    ----------
    R : ndarray of shape (n_samples, n_features), float64, updated in place
        The residual X − Σₜ Sₜ(W) Hₜ for the W given.
    W : ndarray of shape (n_samples, k), float64, updated in place
    H : ndarray of shape (T, k, n_features), float64
    norms : ndarray of shape (T, k), float64
        ‖Hₜ[j]‖².

    Returns
    -------
    W : ndarray
    """
    n, m = R.shape
    T, k = H.shape[0], H.shape[1]
    for j in range(k):
        for i in range(n):
            top = min(T, n - i)
            num, den = 0.0, 0.0
            for t in range(top):
                den += norms[t, j]
                for f in range(m):
                    num += R[i + t, f] * H[t, j, f]
            if den <= 0.0:
                continue
            new = W[i, j] + num / den
            if new < 0.0:
                new = 0.0
            delta = new - W[i, j]
            if delta != 0.0:
                for t in range(top):
                    for f in range(m):
                        R[i + t, f] -= delta * H[t, j, f]
                W[i, j] = new
    return W
