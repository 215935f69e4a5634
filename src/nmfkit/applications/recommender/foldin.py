"""Folding a new user into a fitted ``Recommender``: their bias and factor from their
ratings, the items held fixed (``Recommender.fold_in``)."""

import numpy as np

from ...arrays.engines import NumpyEngine
from ...arrays.kernels import kernel
from .ratings import check_ratings, lookup_ids

__all__ = ["fold_in_user"]


def fold_in_user(model, items, ratings, max_iter=50):
    """``Recommender.fold_in``: the user's part of the loss minimised exactly,
    alternating the bias and the non-negative factor (an exact NNLS over the rated
    items), with the fit's penalties. Returns (bias, factor)."""
    caller = "Recommender.fold_in"
    ratings = check_ratings(ratings, caller)
    i, _ = lookup_ids(np.asarray(items), model.item_ids_, "item", strict=False)
    i = np.atleast_1d(i)
    if i.shape != ratings.shape:
        raise ValueError(f"{caller}: {i.size} items and {ratings.size} ratings; pass one each.")
    known = i >= 0
    i, r = i[known], ratings[known]
    order = np.argsort(i, kind="stable")
    i, r = i[order], r[order]
    factor = np.zeros((1, model.components_.shape[0]))
    bias = 0.0
    if len(i) == 0:
        return bias, factor[0]
    target = r - model.global_mean_ - model.item_bias_[i]
    Ht = np.ascontiguousarray(model.components_.T)
    indptr = np.array([0, len(i)])
    solve = kernel("masked_nnls_rows", NumpyEngine())
    l2 = np.array([model.reg * len(i)])
    for _ in range(int(max_iter)):
        previous = bias
        bias = float((target - Ht[i] @ factor[0]).sum()) / (len(i) + model.reg_bias)
        solve(indptr, i, target - bias, np.ones(len(i)), factor, Ht, 0.0, l2)
        if abs(bias - previous) <= 1e-10 * max(1.0, abs(bias)):
            break
    return bias, factor[0]
