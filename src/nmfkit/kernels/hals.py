"""HALS sweep: exact coordinate minimisation of one factor, column by column."""


def hals_sweep_xp(W, G, R, order=None):
    """Update W in place, one column at a time, for min ½‖X − W H‖² given Grams.

    Parameters
    ----------
    W : array of shape (n, k)
        Updated in place (may be a transposed view, e.g. ``H.T``).
    G : array of shape (k, k)
        H Hᵀ (plus any L2 weight on the diagonal).
    R : array of shape (n, k)
        X Hᵀ (minus any L1 weight).
    order : sequence of int, optional
        The order in which columns are visited; 0..k-1 by default.
    """
    for t in range(W.shape[1]) if order is None else order:
        g = G[t, t]
        if g <= 0:
            continue
        col = W[:, t] - (W @ G[:, t] - R[:, t]) / g
        col[col < 0] = 0
        W[:, t] = col
    return W
