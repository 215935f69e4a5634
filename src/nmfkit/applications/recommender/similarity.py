r"""Item-item similarity: factor cosine shrunk by support, and the item-item cosine.

The cosine of two items' non-negative factors says how alike their tastes are, but the
factor of an item rated by a handful of users is made of little evidence, and its cosine
with anything can be high by chance (*The Matrix* → *Coach Carter*). The similarity
``Recommender.similar_items`` returns therefore counts every piece of evidence as the
predictions do, n / (n + s) with s = ``shrinkage`` pseudo-ratings: the ratings n_i and
n_j of each item (is its factor reliable?) and the n_ij users who rated both (did
anyone see the two together?),

.. math::

    s_{ij} = \frac{n_i}{n_i + s} \, \frac{n_j}{n_j + s} \,
             \frac{n_{ij}}{n_{ij} + s} \, \cos(h_i, h_j),

so items no one rated together get 0. The co-rating factor is the shrinkage of
neighbourhood methods (Herlocker et al. 1999, doi:10.1145/312624.312682; Koren 2008,
doi:10.1145/1401890.1401944, who use n_ij / (n_ij + λ)); alone, with their λ of 50 to
100, it favours items that are merely popular (rated with everything), and on planted
groups it loses the groups (benchmarks/recommend_ranking.py); the support factors only
discount the items whose factor is unreliable. The reference the benchmarks compare
against is the mean-centred item-item cosine (Sarwar et al. 2001,
doi:10.1145/371920.372071), ``item_cosine``.
"""

import numpy as np
import scipy.sparse as sp

__all__ = ["credibility", "co_ratings", "factor_similarity", "item_cosine"]


def credibility(n, shrinkage):
    """n / (n + shrinkage), elementwise: how much of itself an item's (or a pair's)
    evidence counts when it rests on ``n`` ratings (all of it when ``shrinkage`` is 0)."""
    n = np.asarray(n, dtype=np.float64)
    return n / (n + shrinkage) if shrinkage > 0 else np.ones_like(n)


def co_ratings(indptr, indices, item, n_items):
    """Number of users who rated both ``item`` and each item, of shape (n_items,).

    ``indptr``, ``indices``: the CSR structure of the users × items ratings.
    """
    n_users = len(indptr) - 1
    rows = np.repeat(np.arange(n_users), np.diff(indptr))
    raters = np.zeros(n_users, dtype=bool)
    raters[rows[indices == item]] = True
    return np.bincount(indices[raters[rows]], minlength=n_items).astype(np.float64)


def factor_similarity(factors, item, support, co, shrinkage):
    """cos(h_item, h_j) · c(n_item) · c(n_j) · c(n_item,j) for every item j, c(n) = n / (n + s).

    ``factors``: of shape (n_items, n_components); ``support``, ``co``: of shape
    (n_items,), the ratings of each item and the co-ratings with ``item``. Items without
    factor weight or co-ratings get 0.
    """
    norms = np.linalg.norm(factors, axis=1)
    if norms[item] == 0:
        return np.zeros(len(factors))
    cos = (factors @ factors[item]) / np.where(norms > 0, norms * norms[item], np.inf)
    c = credibility(support, shrinkage)
    pair = co / (co + shrinkage) if shrinkage > 0 else (co > 0).astype(np.float64)
    return cos * c * c[item] * pair


def item_cosine(users, items, ratings, shape, shrinkage=0.0):
    """Mean-centred item-item cosine of ratings (the adjusted cosine), of shape (n_items, n_items).

    Each rating minus its user's mean rating; the cosine of two items' columns over all
    users (a missing rating counts 0 after centring), times co / (co + shrinkage)
    when ``shrinkage`` > 0. ``users``, ``items``: integer positions; ``shape``:
    (n_users, n_items).
    """
    R = sp.csr_matrix((np.asarray(ratings, dtype=np.float64), (users, items)), shape=shape)
    B = sp.csr_matrix((np.ones(len(R.data)), R.indices, R.indptr), shape=shape)
    counts = np.diff(R.indptr)
    means = np.asarray(R.sum(axis=1)).ravel() / np.maximum(counts, 1)
    C = R.copy()
    C.data = C.data - np.repeat(means, counts)
    Ct = C.T.tocsr()
    norms = np.sqrt(np.asarray(Ct.multiply(Ct).sum(axis=1)).ravel())
    norms[norms == 0] = np.inf
    S = (Ct @ Ct.T).toarray() / np.outer(norms, norms)
    if shrinkage > 0:
        co = (B.T @ B).toarray()
        S *= co / (co + shrinkage)
    return S
