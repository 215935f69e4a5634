r"""Convolutive NMF (NMFD): components that are time–frequency patterns, not spectra.

In scikit-learn's orientation X (n_samples, n_features) holds one row per time frame and
one column per frequency bin: the transpose of the usual frequency × time spectrogram
(Smaragdis writes V ≈ Σₜ Wₜ shiftₜ(H); here W and H trade names and sides). The model is

.. math::

    X \approx \Lambda = \sum_{t=0}^{T-1} S_t(W)\, H_t,

with W (n_samples, k) ≥ 0 the activations, H (T, k, n_features) ≥ 0 the patterns (slice
Hₜ is the t-th frame of every pattern) and Sₜ the shift of rows down by t, zeros filling
in. With T = 1 it is NMF. The objective is the β-divergence d_β(X | Λ).

Solver ``'convolutive-mu'``: Févotte & Idier's multiplicative updates for the β-divergence
(Schmidt & Mørup 2006 for the convolutive model), W first with all Hₜ together, then
every Hₜ together from the same Λ. Λ is linear in W (H fixed) and in H (W fixed), with
non-negative coefficients, so each of the two updates is a majorisation-minimisation step
when the ratio is raised to γ(β) (1/(2−β) for β < 1, 1 for 1 ≤ β ≤ 2, 1/(β−1) for β > 2):
the objective never rises. Smaragdis' first variant (each Hₜ from its own Λ, or the Hₜ
updates averaged) has no such guarantee; this one has, and tests/test_convolutive.py
checks it for β ∈ {2, 1, 0.5, 0}.

The shifts are done on a lagged copy of W, L(W) = [S₀(W) … S_{T−1}(W)] of shape
(n_samples, T·k), so that Λ = L(W) H₂ with H₂ = H reshaped to (T·k, n_features), H's
terms are L(W)ᵀ R and W's the adjoint of L applied to R H₂ᵀ: one matrix product each.

References
----------
Smaragdis (2004), "Non-negative matrix factor deconvolution; extraction of multiple sound
sources from monophonic inputs", ICA 2004, doi:10.1007/978-3-540-30110-3_63.
Smaragdis (2007), "Convolutive speech bases and their application to supervised speech
separation", IEEE TASLP 15(1), doi:10.1109/TASL.2006.876726.
Schmidt & Mørup (2006), "Nonnegative matrix factor 2-D deconvolution for blind single
channel source separation", ICA 2006, doi:10.1007/11679363_88.
Févotte & Idier (2011), "Algorithms for nonnegative matrix factorization with the
β-divergence", Neural Computation 23(9), doi:10.1162/NECO_a_00168.
"""

import numpy as np

from ...arrays.kernels import kernel
from ..data import Plain
from ..losses import EPSILON, pointwise
from ..solvers._solver import Solver
from ..solvers.bpp import nnls_bpp
from ..solvers.extrapolation import extrapolated
from ..solvers.mu import gamma, mu_apply

__all__ = [
    "ConvolutiveData",
    "SOLVERS",
    "lagged",
    "unlag",
    "reconstruct",
    "component_reconstructions",
]


class ConvolutiveData(Plain):
    """Dense X ≥ 0 with every entry known: the data of a convolutive NMF fit.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Time frames × frequency bins, float32 or float64, finite, ≥ 0 (> 0 for β ≤ 0).
    engine : Engine
    """

    kind = "convolutive"

    def divergence(self, W, H, beta=2.0, facts=None, stats=None):
        """d_β(X | Σₜ Sₜ(W) Hₜ) summed over every entry (never negative)."""
        L = reconstruct(W, H)
        if beta != 2:
            np.maximum(L, EPSILON, out=L)
        return max(pointwise(self.X, L, beta), 0.0)


def lagged(W, T):
    """[S₀(W) … S_{T−1}(W)] of shape (n, T·k): W shifted down by 0 … T−1 rows."""
    n, k = W.shape
    out = np.zeros((n, T * k), dtype=W.dtype)
    for t in range(min(T, n)):
        out[t:, t * k : (t + 1) * k] = W[: n - t]
    return out


def unlag(G, T):
    """The adjoint of ``lagged``: Σₜ S₋ₜ(G[:, t-th block]), of shape (n, k)."""
    n, k = G.shape[0], G.shape[1] // T
    out = G[:, :k].copy()
    for t in range(1, min(T, n)):
        out[: n - t] += G[t:, t * k : (t + 1) * k]
    return out


def _flat(H):
    """H (T, k, m) as the (T·k, m) matrix H₂ (a view of a C-contiguous H)."""
    return H.reshape(H.shape[0] * H.shape[1], H.shape[2])


def reconstruct(W, H):
    """Λ = Σₜ Sₜ(W) Hₜ of shape (n_samples, n_features).

    Parameters
    ----------
    W : ndarray of shape (n_samples, k)
    H : ndarray of shape (T, k, n_features)
    """
    return lagged(W, H.shape[0]) @ _flat(H)


def component_reconstructions(W, H):
    """Each component's part of Λ: Λⱼ = Σₜ Sₜ(W[:, j]) Hₜ[j], of shape (k, n_samples,
    n_features); they sum to ``reconstruct(W, H)``."""
    return np.stack([reconstruct(W[:, j : j + 1], H[:, j : j + 1]) for j in range(W.shape[1])])


def _ratios(X, L, beta):
    """R = X ∘ Λ^(β−2) and P = Λ^(β−1) (None for β = 1, whose terms are closed-form).

    Λ is floored at EPSILON where a power is negative, as NMF's MU does; L is consumed.
    """
    if beta == 2:
        return X, L
    np.maximum(L, EPSILON, out=L)
    if beta == 1:
        return np.divide(X, L, out=L), None
    P = L ** (beta - 1)
    P_over_L = np.divide(P, L, out=L)
    return np.multiply(X, P_over_L, out=P_over_L), P


def _update_W(X, W, H, beta, g):
    """One multiplicative update of W with every Hₜ together (in place)."""
    T, n = H.shape[0], W.shape[0]
    H2 = _flat(H)
    R, P = _ratios(X, lagged(W, T) @ H2, beta)
    num = unlag(R @ H2.T, T)
    if P is None:
        # Σ over the frames n + t < n_samples of each Hₜ's row sums
        s = H.sum(axis=2)
        den = np.empty_like(W)
        den[...] = s[0]
        for t in range(1, min(T, n)):
            den[: n - t] += s[t]
    else:
        den = unlag(P @ H2.T, T)
    return mu_apply(W, num, den, 0.0, 0.0, g)


def _update_H(X, W, H, beta, g):
    """One multiplicative update of every Hₜ together, from one Λ (in place)."""
    T, k, m = H.shape
    LW = lagged(W, T)
    R, P = _ratios(X, LW @ _flat(H), beta)
    num = (LW.T @ R).reshape(T, k, m)
    if P is None:
        den = LW.sum(axis=0).reshape(T, k, 1)
    else:
        den = (LW.T @ P).reshape(T, k, m)
    H = mu_apply(H, num, den, 0.0, 0.0, g)
    if beta <= 1:
        # as NMF's MU (and scikit-learn's): tiny entries would otherwise stall the update
        H[H < np.finfo(np.float64).eps] = 0.0
    return H


def mu_step(data, W, H, state, plan, engine):
    """W with all Hₜ jointly, then all Hₜ jointly (unless ``plan.update_H`` is False)."""
    g = gamma(plan.beta)
    W = _update_W(data.X, W, H, plan.beta, g)
    if plan.update_H:
        H = _update_H(data.X, W, H, plan.beta, g)
    state["stats"] = {}
    return W, H


def _cd_W(data, W, H, state, plan, engine):
    """W by one sweep of exact coordinate descent (``kernels.convolutive``)."""
    X = data.X
    T, k, _ = H.shape
    H64 = np.ascontiguousarray(H, dtype=np.float64)
    W64 = np.array(W, dtype=np.float64)
    R = np.asarray(X, dtype=np.float64) - reconstruct(W64, H64)
    # always compiled: its plain form is loops in Python, not a vectorised twin
    sweep = kernel("convolutive_w_sweep", engine)
    sweep(R, W64, H64, np.einsum("tkf,tkf->tk", H64, H64))
    return W64.astype(X.dtype, copy=False), {}


def _cd_H(data, W, H, state, plan, engine):
    """Every Hₜ at once by exact non-negative least squares on the lagged W (block
    principal pivoting, one problem per frequency bin); H itself is left as it was."""
    X = data.X
    T, k, m = H.shape
    LW = lagged(np.asarray(W, dtype=np.float64), T)
    G, B = LW.T @ LW, (LW.T @ np.asarray(X, dtype=np.float64)).T
    H0 = _flat(np.asarray(H, dtype=np.float64)).T
    H2 = nnls_bpp(G, B, H0, engine, np.float64)
    return np.ascontiguousarray(H2.T.reshape(T, k, m), dtype=X.dtype), {}


# Frobenius only: each half-step is an exact minimiser (a coordinate sweep, a block
# NNLS), accelerated by Ang & Gillis's extrapolation with restarts, which returns the
# best pair seen, so the objective the Loop records never rises
cd_step = extrapolated(_cd_W, _cd_H)


SOLVERS = (
    Solver("convolutive-mu", {"convolutive": mu_step}, betas=None, chunked=False, penalties=()),
    Solver("convolutive-cd", {"convolutive": cd_step}, betas=(2.0,), chunked=False, penalties=()),
)
