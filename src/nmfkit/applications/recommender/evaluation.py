"""Rating-prediction metrics and k-fold cross-validation of a ``Recommender``."""

import time

import numpy as np

__all__ = ["rating_metrics", "cross_validate_ratings"]


def rating_metrics(users, true, pred, k=10, threshold=3.5, score=None):
    """RMSE, MAE, precision@k and recall@k of predicted ratings.

    Precision and recall follow the usual definition for explicit ratings (as in
    scikit-surprise's FAQ): for each user, the test items are ranked by predicted
    rating; the recommended ones are those of the top k predicted at least
    ``threshold``, the relevant ones those rated at least ``threshold``.
    ``precision@k = |relevant ∩ recommended| / |recommended|`` (0 when nothing is
    recommended), ``recall@k = |relevant ∩ recommended| / |relevant|`` (0 when nothing
    is relevant), each averaged over users. With ``score``, the test items are ranked by
    it instead (ties by predicted rating), as ``Recommender.recommend`` ranks with
    ``rank_by='relevance'``; what is recommended still needs a prediction of at least
    ``threshold``.

    Parameters
    ----------
    users : array-like of shape (n,)
        The user of each test rating (any ids).
    true, pred : array-like of shape (n,)
        True and predicted ratings.
    k : int, default=10
    threshold : float, default=3.5
    score : array-like of shape (n,), optional
        The order of each user's test items (higher first); default: ``pred``.

    Returns
    -------
    dict
        ``rmse``, ``mae``, ``precision_at_k``, ``recall_at_k``.
    """
    true, pred = np.asarray(true, dtype=np.float64), np.asarray(pred, dtype=np.float64)
    err = pred - true
    _, u = np.unique(np.asarray(users), return_inverse=True)
    u = u.ravel()
    # within each user, highest prediction first (stable: ties keep input order)
    score = pred if score is None else np.asarray(score, dtype=np.float64)
    order = np.lexsort((np.arange(len(u)), -pred, -score, u))
    u_s, t_s, p_s = u[order], true[order], pred[order]
    starts = np.flatnonzero(np.r_[True, u_s[1:] != u_s[:-1]])
    rank = np.arange(len(u_s)) - np.repeat(starts, np.diff(np.r_[starts, len(u_s)]))
    rec = (rank < k) & (p_s >= threshold)
    rel = t_s >= threshold
    n_users = len(starts)
    n_rec = np.bincount(u_s, rec, n_users)
    n_rel = np.bincount(u_s, rel, n_users)
    n_hit = np.bincount(u_s, rec & rel, n_users)
    precision = np.where(n_rec > 0, n_hit / np.maximum(n_rec, 1), 0.0)
    recall = np.where(n_rel > 0, n_hit / np.maximum(n_rel, 1), 0.0)
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "precision_at_k": float(precision.mean()),
        "recall_at_k": float(recall.mean()),
    }


def cross_validate_ratings(ratings, n_splits=5, random_state=0, k=10, threshold=3.5, **params):
    """K-fold cross-validation of a ``Recommender`` over the ratings.

    The ratings are split with ``KFold(n_splits, shuffle=True, random_state)``; each
    fold is fitted on the others and scored on its own ratings; precision and recall
    rank each user's test items in the model's ``rank_by`` order, the order of
    ``recommend``.

    Parameters
    ----------
    ratings : anything ``Recommender.fit`` takes except a sparse matrix
    n_splits : int, default=5
    random_state : int, default=0
        Seed of the split and of each fit.
    k, threshold : as in ``rating_metrics``
    **params
        ``Recommender`` parameters.

    Returns
    -------
    list of dict
        Per fold: the ``rating_metrics`` and ``fit_time`` (seconds).
    """
    from sklearn.model_selection import KFold

    from .implicit import pair_scores
    from .model import Recommender
    from .ratings import check_ratings, ratings_arrays

    users, items, values = ratings_arrays(ratings, "cross_validate_ratings")
    values = check_ratings(values, "cross_validate_ratings")
    folds = []
    for train, test in KFold(n_splits, shuffle=True, random_state=random_state).split(values):
        model = Recommender(random_state=random_state, **params)
        start = time.perf_counter()
        model.fit((users[train], items[train], values[train]))
        fit_time = time.perf_counter() - start
        pred = model.predict(users[test], items[test])
        order = pair_scores(model, users[test], items[test])
        scores = rating_metrics(users[test], values[test], pred, k, threshold, order)
        folds.append({**scores, "fit_time": fit_time, "n_iter": model.n_iter_})
    return folds
