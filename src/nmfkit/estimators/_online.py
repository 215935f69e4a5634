"""The H step of ``MiniBatchNMF``: running statistics of the batches seen, each older
batch weighted down by ``rho``, and H updated from them.

- Frobenius (Mairal et al. 2010): A = Σ ρ Wᵀ W (k × k), B = Σ ρ Wᵀ X (k × n); H minimises
  ½ tr(Hᵀ A H) − tr(Bᵀ H) plus its penalties by HALS sweeps, in float64 as the
  statistics are.
- Any other β (Lefèvre, Bach & Févotte 2011): the numerator and denominator of the MU
  step accumulated alike, A = Σ ρ num·H^(1/γ), B = Σ ρ den, and H = (A / B)^γ.
"""

import numpy as np

from ..arrays.kernels import kernel
from ..core.constraints import check_constraints
from ..core.losses import EPSILON
from ..core.solvers._common import penalised
from ..core.solvers.hals import _orders, _sweeps
from ..core.solvers.mu import gamma, terms

__all__ = ["start_statistics", "online_H", "rescale_statistics", "check_frozen_only"]

# HALS sweeps over H per batch (Frobenius), stopped early as HALS's inner sweeps are.
H_SWEEPS = 10


def start_statistics(H0, beta):
    """(A, B) before the first batch, for the start H0 (k × n).

    Frobenius: none yet (zeros; HALS keeps a row no batch has touched). Other β, as
    scikit-learn: the start counts as one batch's worth (A / B = H0), so a component the
    first batches do not touch is not zeroed for good.
    """
    k = H0.shape[0]
    if beta == 2:
        return np.zeros((k, k)), np.zeros(H0.shape)
    return np.array(H0, dtype=np.float64), np.ones(H0.shape)


def online_H(Xb, W, H, stats, rho, penalty, beta, engine):
    """Fold the batch (Xb, its W) into ``stats`` = (A, B), in place, and return the new H.

    Parameters
    ----------
    Xb : array or sparse matrix of shape (batch rows, n_features)
    W : ndarray of shape (batch rows, k)
        The batch's W for the current H.
    H : ndarray of shape (k, n_features)
    stats : tuple of two float64 ndarrays
        (A, B), updated in place.
    rho : float
        The weight of the statistics so far.
    penalty : tuple
        (alpha, l1_ratio, rows): H's penalty and the weighted number of rows seen, this
        batch's included. Frobenius scales the penalty by ``rows`` (the statistics
        hold that many rows), MU by the batch's own rows (its terms hold only those).
    beta : float
    engine : Engine

    Returns
    -------
    ndarray of shape (k, n_features), in H's dtype
    """
    A, B = stats
    alpha, l1_ratio, rows = penalty
    A *= rho
    B *= rho
    if beta == 2:
        A += W.T @ W
        B += engine.WtX(W, Xb)
        # in float64, as the statistics are: float32 H follows float64 H closely
        G, R = penalised(A, B, alpha * l1_ratio * rows, alpha * (1 - l1_ratio) * rows)
        R = np.ascontiguousarray(R.T)
        sweep, orders = kernel("hals_sweeps", engine), _orders(H.shape[0], None)
        Ht = _sweeps(engine.float64_copy(H.T), G, R, H_SWEEPS, sweep, orders, engine)
        return np.ascontiguousarray(Ht.T, dtype=H.dtype)
    g = gamma(beta)
    num, den = terms(Xb, W, H, beta, engine, for_W=False)
    den = den + alpha * Xb.shape[0] * (l1_ratio + (1 - l1_ratio) * H)
    A += num * (H ** (1 / g) if g != 1 else H)
    B += den
    new = A / np.where(B > 0, B, EPSILON)
    if g != 1:
        new **= g
    if beta <= 1:
        new[new < np.finfo(np.float64).eps] = 0.0
    return new.astype(H.dtype)


def rescale_statistics(A, B, s, beta):
    """The statistics, in place, for W / s and H · s (component scales ``s``)."""
    if beta == 2:  # A = Σ Wᵀ W and B = Σ Wᵀ X, with W / s
        A /= np.outer(s, s)
    else:  # A = Σ num·H^(1/γ), B = Σ den: num and den scale with W
        A *= (s ** (1 / gamma(beta) - 1))[:, None]
    B /= s[:, None]


def check_frozen_only(constraints, shape, k, init, caller):
    """Refuse any constraint but ``Frozen('H', ...)`` (with its values given), before
    the first block; the H step keeps the rows it names."""
    constraints = check_constraints(constraints, shape, k, "apg", True, init == "custom", caller)
    other = [c.describe() for c in constraints if not (c.name == "frozen" and c.factor == "H")]
    if other:
        raise ValueError(
            f"{caller}: MiniBatchNMF takes Frozen('H', ...) only, not {', '.join(other)}; "
            "use NMF for the other constraints."
        )
