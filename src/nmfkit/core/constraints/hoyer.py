"""Hoyer's sparseness: each component at a chosen L1/L2 ratio."""

import math
from dataclasses import dataclass

from array_api_compat import device

from ...arrays.ops import namespace
from ._base import Constraint

__all__ = ["Hoyer", "sparseness", "project_sparseness"]


def sparseness(A):
    """Hoyer's sparseness of each column of A: (√n - ‖a‖₁/‖a‖₂) / (√n - 1), in [0, 1]
    (0: all entries equal, 1: one non-zero); NaN for a zero column."""
    xp = namespace(A)
    n = A.shape[0]
    l1 = xp.sum(xp.abs(A), axis=0)
    l2 = xp.sqrt(xp.sum(A * A, axis=0))
    root = math.sqrt(n)
    return (root - l1 / l2) / (root - 1.0)


def project_sparseness(A, target):
    """Each non-zero column of A moved to the nearest non-negative vector of the same
    L2 norm whose sparseness is ``target`` (``_project``). A column whose largest
    entries tie exactly (an NNDSVD start fills zeros with one value) has no projection
    of the form ``_project`` finds: it is taken with its ties broken by index (a ramp
    of 1e-4 of its largest entry), which puts it on the set.

    Parameters
    ----------
    A : array of shape (n, k)
    target : float in [0, 1]

    Returns
    -------
    P : array of shape (n, k)
    """
    xp = namespace(A)
    P = _project(A, target)
    miss = xp.abs(sparseness(P) - target) > 1e-9
    miss = miss & (xp.sum(A * A, axis=0) > 0)
    if not bool(xp.any(miss)):
        return P
    n = A.shape[0]
    ramp = xp.reshape(xp.arange(n, 0, -1, dtype=A.dtype, device=device(A)), (n, 1)) / n
    top = xp.max(xp.abs(A), axis=0)
    return xp.where(miss, _project(A + 1e-4 * top * ramp, target), P)


def _project(A, target):
    """``project_sparseness`` for columns without ties at the top.

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


@dataclass(frozen=True)
class Hoyer(Constraint):
    """Every component at Hoyer's sparseness ``sparseness`` (Hoyer 2004,
    https://www.jmlr.org/papers/v5/hoyer04a.html).

    Sparseness (√n - ‖h‖₁/‖h‖₂)/(√n - 1) is 0 for a component with all entries equal
    and 1 for one with a single non-zero; "parts with sparseness 0.7" is
    ``Hoyer('H', 0.7)``. After each projected gradient step every component is
    projected onto the set of that sparseness with its L2 norm kept. The set is not
    convex, so a step may not descend: a step that would raise the objective is
    rejected (the factor is kept), and the objective never rises.

    Parameters
    ----------
    factor : {'W', 'H'}, default='H'
    sparseness : float in [0, 1], default=0.5
    """

    factor: str = "H"
    sparseness: float = 0.5

    name = "hoyer"
    monotone = False

    def __post_init__(self):
        super().__post_init__()
        s = self.sparseness
        if not (isinstance(s, (int, float)) and 0.0 <= s <= 1.0):
            raise ValueError(
                f"Hoyer: sparseness must be a float in [0, 1] (0: dense, 1: one non-zero "
                f"per component), got {s!r}; 0.5-0.8 gives parts."
            )

    def check(self, n_rows, k, caller):
        if n_rows < 2:
            raise ValueError(
                f"{caller}: {self.describe()} needs components of at least 2 entries; "
                f"the factor has {n_rows}. Drop the constraint."
            )

    def project(self, A):
        return project_sparseness(A, float(self.sparseness))

    def violation(self, A):
        xp = namespace(A)
        s = sparseness(A)
        s = s[~xp.isnan(s)]
        if s.shape[0] == 0:
            return 0.0
        return float(max(xp.max(xp.abs(s - self.sparseness)), xp.max(xp.clip(-A, min=0.0))))

    def describe(self):
        return f"Hoyer({self.factor!r}, {self.sparseness!r})"
