"""Convex NMF: X of any sign ≈ W A X with W ≥ 0 and A ≥ 0 (Ding, Li & Jordan 2010).

The components ``A X`` are non-negative mixtures of the samples themselves (cluster
centroids when A's rows are normalised memberships), which keeps them readable on
mixed-sign data. The fit works on the kernel K = X Xᵀ (n_samples × n_samples) only.
The pair the Loop iterates is (W, A), with A of shape (k, n_samples). The paper's
multiplicative updates (its G is W, its W is Aᵀ), monotone:

  W  ← W  ∘ sqrt(([K Aᵀ]⁺ + W A K⁻ Aᵀ) / ([K Aᵀ]⁻ + W A K⁺ Aᵀ))
  Aᵀ ← Aᵀ ∘ sqrt(([K W]⁺ + K⁻ Aᵀ WᵀW) / ([K W]⁻ + K⁺ Aᵀ WᵀW))
"""

import numpy as np

from ..data import Plain
from ..losses import EPSILON
from ..solvers._solver import Solver
from .semi import negative_part, positive_part

__all__ = ["ConvexData", "SOLVER"]


class ConvexData(Plain):
    """X through its kernel K = X Xᵀ and K's positive and negative parts.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    engine : Engine
    """

    kind = "convex"

    def __init__(self, X, engine):
        super().__init__(X, engine)
        K = X @ X.T
        self.K, self.Kp, self.Kn = K, positive_part(K), negative_part(K)

    def divergence(self, W, A, beta=2.0, facts=None, stats=None):
        """½ ‖X − W A X‖²_F = ½ (tr K − 2 ⟨W, K Aᵀ⟩ + ⟨WᵀW, A K Aᵀ⟩), float64 sums."""
        normX2 = facts["normX2"] if facts else float(np.trace(self.K))
        KAt = self.K @ A.T
        cross = float(np.vdot(W, KAt))
        quad = float(np.vdot(W.T @ W, A @ KAt))
        return 0.5 * max(normX2 - 2.0 * cross + quad, 0.0)


def step(data, W, A, state, plan, engine):
    """One multiplicative update of W, then of A (unless A is held fixed)."""
    At = A.T
    KAt = data.K @ At
    numer = positive_part(KAt) + W @ (A @ (data.Kn @ At))
    denom = negative_part(KAt) + W @ (A @ (data.Kp @ At))
    W = W * np.sqrt(numer / np.maximum(denom, EPSILON))
    if plan.update_H:
        KW, WtW = data.K @ W, W.T @ W
        numer = positive_part(KW) + data.Kn @ (At @ WtW)
        denom = negative_part(KW) + data.Kp @ (At @ WtW)
        A = (At * np.sqrt(numer / np.maximum(denom, EPSILON))).T.copy()
    return W, A


SOLVER = Solver("convex-mu", {"convex": step}, betas=(2.0,), chunked=False, penalties=())
