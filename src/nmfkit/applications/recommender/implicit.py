r"""Ranking for top-n lists: who rates what (an NMF of the implicit matrix) times the
chance of liking it.

A rating predictor answers "how much would u like i if u rated it?"; a top-n list must
also answer "would u pick i at all?". Under the "all unrated items" protocol a model of
the observed ratings alone ranks poorly, often below plain popularity, while a low-rank
model of the zero-filled matrix (PureSVD) ranks well (Cremonesi, Koren and Turrin 2010,
doi:10.1145/1864708.1864721): which items a user rated is itself most of the signal
(Marlin and Zemel 2009, doi:10.1145/1639714.1639717, on ratings missing not at random).
``Recommender`` therefore fits, beside its rating model, an NMF of the binary users ×
items matrix B (b_ui = 1 where u rated i, sparse, never densified),

.. math::

    B \approx W_B H_B, \qquad \rho_{ui} = (W_B H_B)_{ui} \ge 0,

the relevance of i to u (how much i resembles what u chooses to rate), and ranks u's
unrated items by

.. math::

    \mathrm{score}_{ui} = \rho_{ui} \cdot \Phi\!\Big(\frac{\hat r_{ui} - (\mu + b_u)}{\sigma}\Big),

the relevance times the probability that u's rating of i lands above u's own typical
rating μ + b_u (u's like-threshold: a user who rates everything 4 likes what they rate
above 4), with the rating model's prediction \hat r_{ui} (shrunk as in ``predict``) and
its residual spread σ, a Gaussian error model. The product is the probability that u
rates i and likes it, if ρ_ui is read as the first; items u would pick but dislike, and
items u would like but never picks, both fall down the list. The deviation
\hat r_{ui} − μ − b_u = b_i + c_i w_u·h_i does not depend on clipping.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.optimize import nnls
from scipy.special import ndtr
from sklearn.exceptions import ConvergenceWarning

from .similarity import credibility

__all__ = ["fit_implicit", "implicit_factor", "like_probability", "pair_scores", "relevance_order"]


def fit_implicit(indptr, indices, shape, n_components, seed):
    """NMF of the binary matrix of who rated what.

    Parameters
    ----------
    indptr, indices : ndarray
        CSR structure of the ratings seen in fit (users × items).
    shape : tuple of int
    n_components : int
        Already limited to min(shape).
    seed : int

    Returns
    -------
    W : ndarray of shape (n_users, n_components)
    H : ndarray of shape (n_components, n_items)
    """
    from ...estimators.nmf import NMF

    B = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=shape)
    model = NMF(n_components, max_iter=200, random_state=seed)
    with warnings.catch_warnings():
        # a relevance ranking needs no tight fit; 200 sweeps is NMF's own default
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = model.fit_transform(B)
    return np.asarray(W, dtype=np.float64), np.asarray(model.components_, dtype=np.float64)


def implicit_factor(H, items):
    """Implicit factor of a new user who rated ``items`` (positions): NNLS of the user's
    binary row on H, as the fit's own W rows are (no penalty)."""
    b = np.zeros(H.shape[1])
    b[items] = 1.0
    if len(items) == 0:
        return np.zeros(H.shape[0])
    return nnls(H.T, b)[0]


def like_probability(deviation, sigma):
    """Φ(deviation / σ): the chance that a rating lands above the user's typical one."""
    if sigma <= 0:
        return (np.asarray(deviation) > 0).astype(np.float64)
    return ndtr(np.asarray(deviation) / sigma)


def relevance_order(score, deviation):
    """Positions by score, highest first; ties (e.g. zero relevance) by the deviation."""
    return np.lexsort((-deviation, -score))


def pair_scores(model, users, items, like_only=False):
    """``recommend``'s ranking score of (user, item) pairs, None for ``rank_by='rating'``
    (the predicted rating is the order); a user or item not seen in fit scores 0. With
    ``like_only``, the factor Φ((r̂ − μ − b_u)/σ) alone, whatever ``rank_by``."""
    has_implicit = getattr(model, "implicit_components_", None) is not None
    if not like_only and (model.rank_by == "rating" or not has_implicit):
        return None
    from .ratings import lookup_ids

    u, _ = lookup_ids(users, model.user_ids_, "user", strict=False)
    i, _ = lookup_ids(items, model.item_ids_, "item", strict=False)
    u, i = np.atleast_1d(u), np.atleast_1d(i)
    known = (u >= 0) & (i >= 0)
    uk, ik = u[known], i[known]
    c = credibility(model.item_support_[ik], model.shrinkage)
    inner = np.einsum("ij,ji->i", model.user_factors_[uk], model.components_[:, ik])
    noise = getattr(model, "rating_noise_", 0.0)
    score = np.zeros(u.shape)
    score[known] = like_probability(model.item_bias_[ik] + c * inner, noise)
    if not like_only:
        score[known] *= np.einsum(
            "ij,ji->i", model.implicit_user_factors_[uk], model.implicit_components_[:, ik]
        )
    return score
