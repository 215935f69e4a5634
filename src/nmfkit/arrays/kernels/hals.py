"""HALS sweeps: exact coordinate minimisation of one factor, column by column."""


def hals_sweeps_xp(A, G, R, orders, delta2):
    """Update A in place by up to ``len(orders)`` sweeps; return Σ (change)².

    Each row of A is its own problem, min over a ≥ 0 of ½ a G aᵀ - a R[i]ᵀ, so each row
    sweeps until a sweep changes it by at most ``delta2`` times its first sweep did
    (Gillis & Glineur 2012's rule, row by row): the result does not depend on how the
    rows are split into blocks. The array-API twin of ``kernels._numba.hals_sweeps``
    (its test oracle and fallback, and the Torch engine's kernel: NumPy arrays and
    tensors alike).

    Parameters
    ----------
    A : array of shape (n, k)
        W, or Hᵀ; updated in place.
    G : array of shape (k, k)
        The symmetric Gram of the other factor (plus any L2 weight on the diagonal).
    R : array of shape (n, k)
        X Hᵀ, or Xᵀ W (minus any L1 weight).
    orders : array of int of shape (n_sweeps, k)
        Row s is the order in which sweep s visits the columns.
    delta2 : float
        A row stops once a sweep changes it by at most ``delta2`` times its first one.
    """
    # one read of the diagonal (a device sync on a GPU) rather than one per column
    live = (G.diagonal() > 0).tolist()
    first, active, total = None, None, 0.0
    for order in orders.tolist():
        change = 0.0
        for t in order:
            if not live[t]:
                continue
            old = A[:, t]
            col = old - (A @ G[:, t] - R[:, t]) / G[t, t]
            col[col < 0] = 0
            if active is not None:
                col[~active] = old[~active]
            d = col - old
            change = change + d * d
            A[:, t] = col
        if isinstance(change, float):  # no live column: nothing moves
            break
        total = total + float(change.sum())
        if first is None:
            first, active = change, change > 0
        else:
            active = active & (change > delta2 * first)
        if not bool(active.any()):
            break
    return float(total)
