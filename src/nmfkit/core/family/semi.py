"""Semi-NMF: X of any sign ≈ W H with W ≥ 0 and H free (Ding, Li & Jordan 2010).

In scikit-learn's orientation the samples are the rows of X, so the non-negative
factor is W (one row of coefficients per sample, what ``transform`` returns) and the
components H may have any sign: Ding et al.'s X ≈ F Gᵀ with G ≥ 0, transposed. With W
a 0/1 cluster indicator the model is k-means; semi-NMF relaxes it to soft memberships,
so its error lies between k-means' and the truncated SVD's.

Two solvers, both monotone (each block update minimises the objective or a majoriser
of it):

* ``'als'``: W by exact non-negative least squares (block principal pivoting, the
  ``nnls_rows`` kernel of ``solver='bpp'``), H by exact least squares (the
  pseudo-inverse of the k × k Gram W W̵ᵀ, so a component that dies does not break it).
* ``'mu'``: the paper's multiplicative update of W,
  W ← W ∘ sqrt(([XHᵀ]⁺ + W[HHᵀ]⁻) / ([XHᵀ]⁻ + W[HHᵀ]⁺)), and the same exact H.
"""

import numpy as np

from ..data import Plain
from ..losses import EPSILON, beta_divergence
from ..solvers._solver import Solver
from ..solvers.bpp import nnls_bpp

__all__ = ["SemiData", "SOLVERS", "least_squares_H", "positive_part", "negative_part"]


class SemiData(Plain):
    """X of any sign, every entry known: the data of a semi-NMF fit.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite, float32 or float64.
    engine : Engine
    """

    kind = "semi"

    def divergence(self, W, H, beta=2.0, facts=None, stats=None):
        """½ ‖X − W H‖²_F (sign-free, from Gram products when ``stats`` holds them)."""
        return beta_divergence(self.X, W, H, 2.0, self.engine, facts, stats)


def positive_part(A):
    """[A]⁺ = (|A| + A) / 2."""
    return np.maximum(A, 0)


def negative_part(A):
    """[A]⁻ = (|A| − A) / 2, so that A = [A]⁺ − [A]⁻."""
    return np.maximum(-A, 0)


def least_squares_H(W, X):
    """argmin_H ‖X − W H‖_F: (WᵀW)⁺ Wᵀ X, the pseudo-inverse of the k × k Gram."""
    WtW = (W.T @ W).astype(np.float64)
    return (np.linalg.pinv(WtW, hermitian=True) @ (W.T @ X)).astype(X.dtype)


def _update_H(data, W, H, state, plan):
    if not plan.update_H:
        state["stats"] = {"XHt": state["_XHt"], "HHt": state["_HHt"]}
        return H
    H = least_squares_H(W, data.X)
    state["stats"] = {}
    return H


def _grams(data, H, state, plan):
    """X Hᵀ and H Hᵀ (kept while H is held fixed)."""
    if "_XHt" in state and not plan.update_H:
        return state["_XHt"], state["_HHt"]
    XHt, HHt = data.X @ H.T, H @ H.T
    if not plan.update_H:
        state["_XHt"], state["_HHt"] = XHt, HHt
    return XHt, HHt


def als_step(data, W, H, state, plan, engine):
    """W by exact NNLS for H, then H by exact least squares for W."""
    XHt, HHt = _grams(data, H, state, plan)
    W = nnls_bpp(HHt, XHt, W, engine, data.dtype)
    return W, _update_H(data, W, H, state, plan)


def mu_step(data, W, H, state, plan, engine):
    """Ding, Li & Jordan's multiplicative update of W, then H by exact least squares."""
    XHt, HHt = _grams(data, H, state, plan)
    numer = positive_part(XHt) + W @ negative_part(HHt)
    denom = negative_part(XHt) + W @ positive_part(HHt)
    W = W * np.sqrt(numer / np.maximum(denom, EPSILON))
    return W, _update_H(data, W, H, state, plan)


SOLVERS = (
    Solver("semi-als", {"semi": als_step}, betas=(2.0,), chunked=False, penalties=()),
    Solver("semi-mu", {"semi": mu_step}, betas=(2.0,), chunked=False, penalties=()),
)
