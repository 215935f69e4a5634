"""Rows of a factor on the probability simplex (or summing to at most one)."""

from dataclasses import dataclass

from array_api_compat import device

from ...arrays.ops import namespace
from ._base import Constraint

__all__ = ["Simplex", "project_simplex"]


def project_simplex(A, at_most=False):
    """Euclidean projection of each row of A onto {a ≥ 0, Σ a = 1} (or Σ a ≤ 1).

    The sort-based algorithm (Held, Wolfe & Crowder 1974; Duchi et al. 2008,
    doi:10.1145/1390156.1390191): O(k log k) per row, vectorised over rows.

    Parameters
    ----------
    A : array of shape (n, k)
    at_most : bool, default=False
        Project onto Σ a ≤ 1: rows whose positive part already sums to at most one
        keep it.

    Returns
    -------
    P : array of shape (n, k)
    """
    xp = namespace(A)
    if at_most:
        # rows whose positive part already sums to at most one keep it: no sort for them
        P = xp.clip(A, min=0.0)
        outside = xp.sum(P, axis=1) > 1.0
        if bool(xp.any(outside)):
            P[outside] = _onto_simplex(A[outside])
        return P
    return _onto_simplex(A)


def _onto_simplex(A):
    """Each row of A projected onto {a ≥ 0, Σ a = 1} (sort-based)."""
    xp = namespace(A)
    k = A.shape[1]
    U = xp.flip(xp.sort(A, axis=1), axis=1)
    css = xp.cumulative_sum(U, axis=1) - 1.0
    ind = xp.arange(1, k + 1, dtype=A.dtype, device=device(A))
    cond = (U - css / ind) > 0
    # the last index where cond holds (cond holds at 0 always, and is a prefix)
    rho = xp.sum(xp.astype(cond, xp.int64), axis=1) - 1
    theta = xp.take_along_axis(css, rho[:, None], axis=1) / xp.astype(rho[:, None] + 1, A.dtype)
    return xp.clip(A - theta, min=0.0)


@dataclass(frozen=True)
class Simplex(Constraint):
    """Each row of the factor on the probability simplex: non-negative, summing to one.

    On W (the default), each sample's weights are shares: abundances in spectral
    unmixing, topic shares of a document, mixture weights. On H, each feature's
    loadings over the components sum to one (the columns of H). Honoured by a
    projection after each gradient step (convex: the objective never rises).

    Parameters
    ----------
    factor : {'W', 'H'}, default='W'
    at_most : bool, default=False
        Rows sum to at most one instead (Σ ≤ 1: abundances with an unmodelled rest).

    Examples
    --------
    >>> import numpy as np
    >>> from nmfkit import NMF, Simplex
    >>> X = np.random.default_rng(0).random((20, 6))
    >>> W = NMF(2, constraints=[Simplex('W')], random_state=0).fit_transform(X)
    >>> bool(np.allclose(W.sum(axis=1), 1.0))
    True
    """

    at_most: bool = False

    name = "simplex"

    def project(self, A, engine=None):
        return project_simplex(A, self.at_most)

    def violation(self, A):
        xp = namespace(A)
        sums = xp.sum(A, axis=1)
        off = xp.clip(sums - 1.0, min=0.0) if self.at_most else xp.abs(sums - 1.0)
        return float(max(xp.max(off), xp.max(xp.clip(-A, min=0.0))))

    def describe(self):
        extra = ", at_most=True" if self.at_most else ""
        return f"Simplex({self.factor!r}{extra})"
