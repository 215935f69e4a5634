"""Hoyer's sparseness projection, all columns at once."""

import math

from array_api_compat import device

from ..ops import namespace


def sparseness_projection_xp(A, target):
    """Each column of A moved to the nearest non-negative vector of its L2 norm with
    Hoyer sparseness ``target``, for columns without ties among their largest entries
    (``cone_projection_xp`` handles those). The array-API twin
    of ``kernels._numba.sparseness_projection``: its test oracle, its fallback, and the
    Torch engine's kernel.

    The nearest point has the form α·max(a − t, 0) (the stationarity conditions of the
    projection; Thom & Palm 2013, doi:10.1162/NECO_a_00433): for the support of the q
    largest entries, the ratio ‖·‖₁/‖·‖₂ = r of the target is a quadratic equation in
    t, and the q whose root t lies between the q-th and (q+1)-th largest entries gives
    the projection. All columns at once, from one sort: exact, and free of the
    breakdown of Hoyer's (2004) iterative procedure when the vector reaches the centre
    of the remaining entries (ties, as in NNDSVD starts), where it divides by zero.

    Parameters
    ----------
    A : array of shape (n, k)
    target : float in [0, 1]

    Returns
    -------
    P : array of shape (n, k)
    """
    xp = namespace(A)
    n = A.shape[0]
    dt = A.dtype
    l2 = xp.sqrt(xp.sum(A * A, axis=0))
    live = l2 > 0
    r = math.sqrt(n) - target * (math.sqrt(n) - 1.0)  # the L1/L2 ratio asked for
    if r >= math.sqrt(n) * (1 - 1e-15):
        flat = xp.broadcast_to(l2 / math.sqrt(n), A.shape)
        return xp.where(live, flat, 0.0)
    if r <= 1.0 + 1e-15:  # one non-zero: the largest entry, at the whole norm
        top = xp.argmax(A, axis=0)[None, :]
        rows = xp.reshape(xp.arange(n, device=device(A)), (n, 1))
        return xp.where(live & (rows == top), l2, 0.0)
    y = xp.flip(xp.sort(A, axis=0), axis=0)  # descending, per column
    s1 = xp.cumulative_sum(y, axis=0)
    s2 = xp.cumulative_sum(y * y, axis=0)
    q = xp.reshape(xp.arange(1, n + 1, dtype=dt, device=device(A)), (n, 1))
    r2 = r * r
    room = q - r2
    ok = room > 0
    room = xp.where(ok, room, 1.0)
    disc = s1 * s1 - q * (s1 * s1 - r2 * s2) / room
    ok = ok & (disc >= 0)
    root = xp.sqrt(xp.clip(disc, min=0.0))
    below = xp.concat([y[1:], xp.full((1, A.shape[1]), -math.inf, dtype=dt, device=device(A))])
    best_bad, best_t = None, None
    for t in ((s1 - root) / q, (s1 + root) / q):
        # how far t lies outside [(q+1)-th largest, q-th largest)
        bad = xp.clip(below - t, min=0.0) + xp.clip(t - y, min=0.0) + xp.where(t == y, 1.0, 0.0)
        bad = xp.where(ok, bad, math.inf)
        pick = xp.argmin(bad, axis=0)[None, :]
        b = xp.take_along_axis(bad, pick, axis=0)
        tt = xp.take_along_axis(t, pick, axis=0)
        if best_bad is None:
            best_bad, best_t = b, tt
        else:
            better = b < best_bad
            best_bad, best_t = xp.where(better, b, best_bad), xp.where(better, tt, best_t)
    P = xp.clip(A - best_t, min=0.0)
    norm = xp.sqrt(xp.sum(P * P, axis=0))
    P = P * (l2 / xp.where(norm > 0, norm, 1.0))
    return xp.where(live, P, 0.0)


def column_sparseness(A):
    """Hoyer's sparseness of each column of A (NaN for a zero column)."""
    xp = namespace(A)
    n = A.shape[0]
    l1 = xp.sum(xp.abs(A), axis=0)
    l2 = xp.sqrt(xp.sum(A * A, axis=0))
    return (math.sqrt(n) - l1 / l2) / (math.sqrt(n) - 1.0)


def cone_projection_xp(A, target, direction=sparseness_projection_xp):
    """Each non-zero column of A moved to the nearest non-negative vector whose Hoyer
    sparseness is ``target``.

    The set is a cone (sparseness does not depend on scale), and its nearest point to a
    vector a is ⟨a, u⟩ u, with u the unit vector of the cone closest in angle to a: the
    one Hoyer's (2004) projection finds at a's own norm (``direction``, this module's
    ``sparseness_projection_xp`` or its compiled twin). Hoyer keeps the norm instead;
    the exact nearest point is what makes a projected step never raise the objective.
    A column whose largest entries tie exactly (an NNDSVD start fills zeros with one
    value) is taken with its ties broken by index (a ramp of 1e-4 of its largest
    entry). A column whose nearest point would be 0 keeps u at 1e-12 of its norm, so
    that its sparseness holds.

    Parameters
    ----------
    A : array of shape (n, k)
    target : float in [0, 1]
    direction : callable, default=sparseness_projection_xp

    Returns
    -------
    P : array of shape (n, k)
    """
    xp = namespace(A)
    P = direction(A, target)
    miss = xp.abs(column_sparseness(P) - target) > 1e-9
    miss = miss & (xp.sum(A * A, axis=0) > 0)
    if bool(xp.any(miss)):
        n = A.shape[0]
        ramp = xp.reshape(xp.arange(n, 0, -1, dtype=A.dtype, device=device(A)), (n, 1)) / n
        top = xp.max(xp.abs(A), axis=0)
        P = xp.where(miss, direction(A + 1e-4 * top * ramp, target), P)
    norm2 = xp.sum(P * P, axis=0)
    live = norm2 > 0
    scale = xp.sum(A * P, axis=0) / xp.where(live, norm2, 1.0)
    return P * xp.where(live, xp.clip(scale, min=1e-12), 0.0)


def column_sweep(A, G, R, project):
    """One sweep over the columns of A, each set to ``project`` of its exact
    unconstrained minimiser of ½ tr(A G Aᵀ) - tr(A Rᵀ) with the others held (the
    quadratic is isotropic in one column, so this is the exact constrained minimiser
    for a set that is a product over columns); returns the new A.

    Parameters
    ----------
    A : array of shape (n, k)
    G : array of shape (k, k)
        The Gram of the other factor.
    R : array of shape (n, k)
    project : callable
        Maps an array of shape (n, 1) to its nearest point of the column's set.
    """
    xp = namespace(A)
    A = xp.asarray(A, copy=True)
    for j in range(A.shape[1]):
        g = float(G[j, j])
        if not g > 0:
            continue
        col = A[:, j] + (R[:, j] - A @ G[:, j]) / g
        A[:, j] = project(col[:, None])[:, 0]
    return A


def hoyer_sweep_xp(A, G, R, target):
    """``column_sweep`` onto Hoyer's sparseness cone (``cone_projection_xp``): the
    array-API twin of ``kernels._numba.hoyer_sweep``.

    Parameters
    ----------
    A : array of shape (n, k)
    G : array of shape (k, k)
    R : array of shape (n, k)
    target : float in [0, 1]
    """
    return column_sweep(A, G, R, lambda col: cone_projection_xp(col, target))
