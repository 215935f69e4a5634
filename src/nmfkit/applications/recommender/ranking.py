"""Top-n ranking quality of recommendations on held-out ratings, and of item similarity.

These judge what a user sees, a short list, rather than how close each predicted rating
is (``rating_metrics``): a model with a good RMSE can still fill every list with items
rated once. Both functions take scores over the whole catalogue, so any recommender
(``Recommender``, a popularity count, an item-item model) is measured the same way.
"""

import numpy as np
import scipy.sparse as sp

__all__ = ["ranking_metrics", "similarity_hit_rate"]


def _csr(users, items, shape, values=None):
    values = np.ones(len(users)) if values is None else np.asarray(values, dtype=np.float64)
    R = sp.csr_matrix((values, (np.asarray(users), np.asarray(items))), shape=shape)
    R.sum_duplicates()
    return R


def ranking_metrics(scores, train, test, k=10, relevant=4.0, batch=512):
    """Precision@k, recall@k, catalogue coverage and novelty of top-k lists.

    The protocol ("all unrated items"): for each user, every item not rated in
    ``train`` is ranked by ``scores``; the top k are the list. The relevant items are the
    user's held-out ratings of at least ``relevant``. precision@k = hits / k and
    recall@k = hits / (number of relevant items), averaged over the users with at least
    one relevant held-out item. Coverage is the share of the catalogue that appears in at
    least one of those lists; novelty is the mean self-information −log2(n_i / n_users)
    of the listed items, n_i the number of training ratings of item i (popular items
    say little, Zhou et al. 2010, doi:10.1073/pnas.1000488107).

    Parameters
    ----------
    scores : callable
        ``scores(user_rows)`` returns an array of shape (len(user_rows), n_items): the
        score of every item for those users (higher is better).
    train, test : tuple of three arrays
        (user rows, item columns, ratings) as integer positions 0..n-1; ``train`` sets
        the items left out of each list and the popularity used by novelty.
    k : int, default=10
    relevant : float, default=4.0
        Held-out ratings at least this are the relevant items.
    batch : int, default=512
        Users scored at once.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``coverage``, ``novelty``, ``rare`` (the share of
        listed items with at most 2 training ratings) and ``n_users`` (users with a
        relevant held-out item).
    """
    tu, ti, _ = (np.asarray(a) for a in train)
    su, si, sr = (np.asarray(a) for a in test)
    n_users = int(max(tu.max(), su.max())) + 1
    n_items = int(max(ti.max(), si.max())) + 1
    seen = _csr(tu, ti, (n_users, n_items))
    keep = np.asarray(sr, dtype=np.float64) >= relevant
    rel = _csr(su[keep], si[keep], (n_users, n_items))
    rel.data[:] = 1.0
    support = np.bincount(ti, minlength=n_items)
    info = -np.log2(np.maximum(support, 1) / n_users)
    who = np.flatnonzero(np.diff(rel.indptr) > 0)
    precision, recall, novelty, rare = [], [], [], []
    listed = np.zeros(n_items, dtype=bool)
    for start in range(0, len(who), batch):
        rows = who[start : start + batch]
        s = np.array(scores(rows), dtype=np.float64, copy=True)
        block = seen[rows]
        s[np.repeat(np.arange(len(rows)), np.diff(block.indptr)), block.indices] = -np.inf
        top = np.argsort(-s, axis=1, kind="stable")[:, :k]
        hits = np.asarray(rel[rows][np.arange(len(rows))[:, None], top].sum(axis=1)).ravel()
        n_rel = np.diff(rel.indptr)[rows]
        precision.append(hits / k)
        recall.append(hits / n_rel)
        novelty.append(info[top].mean(axis=1))
        rare.append((support[top] <= 2).mean(axis=1))
        listed[top.ravel()] = True
    return {
        "precision": float(np.concatenate(precision).mean()),
        "recall": float(np.concatenate(recall).mean()),
        "coverage": float(listed.mean()),
        "novelty": float(np.concatenate(novelty).mean()),
        "rare": float(np.concatenate(rare).mean()),
        "n_users": int(len(who)),
    }


def similarity_hit_rate(similarity, train, test, n=10, relevant=4.0):
    """Hit rate of item similarity on held-out co-ratings.

    The protocol: a held-out rating (u, i) of at least ``relevant`` is a pair the user
    liked; every item l that u rated at least ``relevant`` in ``train`` is a seed. A
    seed scores a hit when i is among the n items most similar to l (l itself and
    nothing else left out). The hit rate is the mean over all (held-out pair, seed)
    couples of the user, averaged per user first so heavy raters do not dominate. A
    random similarity scores about n / n_items.

    Parameters
    ----------
    similarity : ndarray of shape (n_items, n_items)
        Item-item similarity (higher is closer); the diagonal is ignored.
    train, test : tuple of three arrays
        (user rows, item columns, ratings) as integer positions.
    n : int, default=10
    relevant : float, default=4.0

    Returns
    -------
    float
    """
    S = np.array(similarity, dtype=np.float64, copy=True)
    np.fill_diagonal(S, -np.inf)
    n_items = S.shape[0]
    top = np.argpartition(-S, n, axis=1)[:, :n]
    in_top = np.zeros((n_items, n_items), dtype=bool)
    in_top[np.arange(n_items)[:, None], top] = True
    tu, ti, tr = (np.asarray(a) for a in train)
    su, si, sr = (np.asarray(a) for a in test)
    liked_train = np.asarray(tr, dtype=np.float64) >= relevant
    liked_test = np.asarray(sr, dtype=np.float64) >= relevant
    n_users = int(max(tu.max(), su.max())) + 1
    seeds = _csr(tu[liked_train], ti[liked_train], (n_users, n_items))
    held = _csr(su[liked_test], si[liked_test], (n_users, n_items))
    rates = []
    for user in np.flatnonzero((np.diff(seeds.indptr) > 0) & (np.diff(held.indptr) > 0)):
        s = seeds.indices[seeds.indptr[user] : seeds.indptr[user + 1]]
        h = held.indices[held.indptr[user] : held.indptr[user + 1]]
        rates.append(in_top[np.ix_(s, h)].mean())
    return float(np.mean(rates))
