"""Orthogonal components: each row of the factor in one component only."""

from dataclasses import dataclass

from array_api_compat import device

from ...arrays.ops import namespace
from ._base import Constraint

__all__ = ["Orthogonal"]


@dataclass(frozen=True)
class Orthogonal(Constraint):
    """Orthogonal, non-negative components: each row of the factor has at most one
    non-zero, so its columns have disjoint supports and AᵀA is diagonal.

    On W it is orthogonal NMF for clustering (Ding, Li, Peng & Park 2006,
    doi:10.1145/1150402.1150420; Pompili, Gillis, Absil & Glineur 2014,
    doi:10.1016/j.neucom.2014.02.018): each sample belongs to one component, a hard
    clustering with the meaning of k-means (orthogonal columns, up to their scale,
    which H absorbs). The block is solved exactly: each row takes the component j of
    largest ``max(R[i, j], 0)² / G[j, j]`` with weight ``max(R[i, j], 0) / G[j, j]``,
    so every step is an exact block minimisation and the objective never rises.

    Parameters
    ----------
    factor : {'W', 'H'}, default='W'
    """

    name = "orthogonal"
    role = "exact"

    def solve(self, G, R):
        xp = namespace(R)
        k = R.shape[1]
        d = xp.linalg.diagonal(G)
        Rp = xp.clip(R, min=0.0)
        live = d > 0
        weight = xp.where(live, Rp / xp.where(live, d, 1.0), 0.0)
        gain = weight * Rp  # the decrease of the block objective, times 2
        best = xp.argmax(gain, axis=1)
        hit = xp.arange(k, device=device(R))[None, :] == best[:, None]
        return xp.where(hit, weight, 0.0)

    def violation(self, A):
        xp = namespace(A)
        count = xp.sum(xp.astype(A > 0, xp.int64), axis=1)
        return float(max(int(xp.max(count)) - 1, 0)) + float(xp.max(xp.clip(-A, min=0.0)))
