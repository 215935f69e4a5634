"""HALS sweep: exact coordinate minimisation of one factor, column by column."""


def hals_sweep_xp(A, G, R, order):
    """Update A in place, one column at a time; return the sum of squared changes.

    The array-API twin of ``kernels._numba.hals_sweep`` (its test oracle and fallback,
    and the Torch engine's kernel: NumPy arrays and tensors alike).

    Parameters
    ----------
    A : array of shape (n, k)
        W, or Hᵀ; updated in place.
    G : array of shape (k, k)
        The symmetric Gram of the other factor (plus any L2 weight on the diagonal).
    R : array of shape (n, k)
        X Hᵀ, or Xᵀ W (minus any L1 weight).
    order : sequence of int
        The order in which columns are visited.
    """
    # one read of the diagonal (a device sync on a GPU) rather than one per column
    live = (G.diagonal() > 0).tolist()
    delta = 0.0
    for t in order:
        t = int(t)
        if not live[t]:
            continue
        col = A[:, t] - (A @ G[:, t] - R[:, t]) / G[t, t]
        col[col < 0] = 0
        d = col - A[:, t]
        delta = delta + (d * d).sum()
        A[:, t] = col
    return float(delta)
