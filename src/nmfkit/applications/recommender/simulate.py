"""Simulated explicit ratings with known structure, to check a recommender on data no
one tuned it on: latent item groups, users who like some of them, a skewed popularity
and a tail of items rated once or twice."""

import numpy as np

from ...core.init import make_rng

__all__ = ["make_ratings"]


def make_ratings(
    n_users=1000,
    n_items=800,
    n_groups=8,
    ratings_per_user=40,
    n_rare=80,
    skew=1.0,
    noise=0.7,
    random_state=None,
):
    """Ratings 1..5 of users who like one or two of ``n_groups`` latent item groups.

    Item i belongs to group g_i; user u likes the groups in L_u (one or two, at random).
    The true rating is 3 + b_u + b_i + 1.2 (1[g_i ∈ L_u] − 0.5), b_u ~ N(0, 0.3²) and
    b_i ~ N(0, 0.4²); a rating is that plus N(0, noise²), rounded and clipped to 1..5.
    Each user rates about ``ratings_per_user`` items (between half and twice that),
    drawn without replacement with probability ∝ popularity × (3 if liked else 1), the
    popularity of the item of popularity rank ρ being ρ^−skew (Zipf). The last
    ``n_rare`` items are outside that draw: each is rated by one or two users who like
    its group (who else finds an obscure item), the tail of items rated once, often
    highly, that a ranking must not trust.

    Parameters
    ----------
    n_users, n_items, n_groups, ratings_per_user, n_rare : int
    skew : float, default=1.0
        Zipf exponent of the popularity.
    noise : float, default=0.7
    random_state : int, Generator, RandomState or None

    Returns
    -------
    users, items, ratings : ndarray
        One entry per rating; ids are 0..n_users−1 and 0..n_items−1.
    groups : ndarray of shape (n_items,)
        The group of each item.
    true : ndarray of shape (n_users, n_items)
        The noiseless expected ratings.
    """
    rng = make_rng(random_state)
    groups = rng.integers(n_groups, size=n_items)
    likes = np.zeros((n_users, n_groups), dtype=bool)
    for u in range(n_users):
        likes[u, rng.choice(n_groups, rng.integers(1, 3), replace=False)] = True
    liked = likes[:, groups]
    true = (
        3.0
        + rng.normal(0, 0.3, n_users)[:, None]
        + rng.normal(0, 0.4, n_items)[None, :]
        + 1.2 * (liked - 0.5)
    )
    common = n_items - n_rare
    popularity = np.zeros(n_items)
    popularity[:common] = (1.0 + rng.permutation(common)) ** -float(skew)
    users, items = [], []
    for u in range(n_users):
        m = int(rng.integers(ratings_per_user // 2, 2 * ratings_per_user + 1))
        p = popularity * np.where(liked[u], 3.0, 1.0)
        chosen = rng.choice(n_items, min(m, common), replace=False, p=p / p.sum())
        users.append(np.full(len(chosen), u))
        items.append(chosen)
    for i in range(common, n_items):
        fans = np.flatnonzero(liked[:, i])  # who seeks out an obscure item likes its kind
        raters = rng.choice(fans, min(len(fans), rng.integers(1, 3)), replace=False)
        users.append(raters)
        items.append(np.full(len(raters), i))
    users, items = np.concatenate(users), np.concatenate(items)
    ratings = np.clip(np.round(true[users, items] + rng.normal(0, noise, len(users))), 1, 5)
    return users, items, ratings, groups, true
