"""The terms of one prediction of a ``Recommender`` (its ``explain``)."""

import numpy as np

__all__ = ["explain_terms"]


def explain_terms(model, u, i, n_factors, n_items):
    """``Recommender.explain`` for user row u and item column i (see its docstring)."""
    contrib = model._credibility()[i] * model.user_factors_[u] * model.components_[:, i]
    total = float(contrib.sum())
    seen = model._seen_indices[model._seen_indptr[u] : model._seen_indptr[u + 1]]
    rated = model._seen_ratings[model._seen_indptr[u] : model._seen_indptr[u + 1]]
    factors = []
    for f in np.argsort(-contrib, kind="stable")[: int(n_factors)]:
        if contrib[f] <= 0:
            break
        load = model.components_[f, seen] * rated
        best = np.argsort(-load, kind="stable")[: int(n_items)]
        factors.append(
            {
                "factor": int(f),
                "contribution": float(contrib[f]),
                "share": float(contrib[f] / total) if total > 0 else 0.0,
                "because": [
                    (model.item_ids_[seen[j]].item(), float(rated[j])) for j in best if load[j] > 0
                ],
            }
        )
    return {
        "prediction": float(model.predict([model.user_ids_[u]], [model.item_ids_[i]])[0]),
        "global_mean": model.global_mean_,
        "user_bias": float(model.user_bias_[u]),
        "item_bias": float(model.item_bias_[i]),
        "interaction": total,
        "factors": factors,
    }
