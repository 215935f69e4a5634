"""Ranking metrics, the similarity hit rate, the item-item cosine, titles and simulated
ratings (issue 22), each against a plain loop written here."""

import numpy as np
import pytest

from nmfkit.applications.recommender.ranking import ranking_metrics, similarity_hit_rate
from nmfkit.applications.recommender.ratings import read_titles
from nmfkit.applications.recommender.similarity import item_cosine
from nmfkit.applications.recommender.simulate import make_ratings


def _split(seed=0, n_users=30, n_items=25):
    rng = np.random.default_rng(seed)
    u, i = np.nonzero(rng.random((n_users, n_items)) < 0.4)
    r = rng.integers(1, 6, len(u)).astype(float)
    test = rng.random(len(u)) < 0.3
    return (u[~test], i[~test], r[~test]), (u[test], i[test], r[test]), rng


def test_ranking_metrics_match_a_per_user_loop():
    train, test, rng = _split()
    n_users, n_items = 30, 25
    S = rng.random((n_users, n_items))
    got = ranking_metrics(lambda rows: S[rows], train, test, k=5, batch=7)
    support = np.bincount(train[1], minlength=n_items)
    prec, rec, nov, rare, listed = [], [], [], [], set()
    for user in range(n_users):
        relevant = set(test[1][(test[0] == user) & (test[2] >= 4)])
        if not relevant:
            continue
        seen = set(train[1][train[0] == user])
        ranked = [j for j in np.argsort(-S[user], kind="stable") if j not in seen][:5]
        hits = len(relevant & set(ranked))
        prec.append(hits / 5)
        rec.append(hits / len(relevant))
        nov.append(np.mean([-np.log2(max(support[j], 1) / n_users) for j in ranked]))
        rare.append(np.mean([support[j] <= 2 for j in ranked]))
        listed |= set(ranked)
    assert got["n_users"] == len(prec)
    assert got["precision"] == pytest.approx(np.mean(prec))
    assert got["recall"] == pytest.approx(np.mean(rec))
    assert got["novelty"] == pytest.approx(np.mean(nov))
    assert got["rare"] == pytest.approx(np.mean(rare))
    assert got["coverage"] == pytest.approx(len(listed) / n_items)


def test_similarity_hit_rate_matches_a_loop_and_chance():
    train, test, rng = _split(1)
    S = rng.random((25, 25))
    got = similarity_hit_rate(S, train, test, n=4)
    T = S.copy()
    np.fill_diagonal(T, -np.inf)
    rates = []
    for user in range(30):
        seeds = train[1][(train[0] == user) & (train[2] >= 4)]
        held = test[1][(test[0] == user) & (test[2] >= 4)]
        if len(seeds) and len(held):
            top = {int(s): set(np.argsort(-T[s])[:4]) for s in seeds}
            rates.append(np.mean([h in top[int(s)] for s in seeds for h in held]))
    assert got == pytest.approx(np.mean(rates))
    # a similarity that puts every held-out liked item first for every seed hits always
    oracle = np.zeros((25, 25))
    oracle[:, np.unique(test[1][test[2] >= 4])] = 1.0
    assert similarity_hit_rate(oracle, train, test, n=25 - 1) == 1.0


def test_item_cosine_is_the_mean_centred_cosine():
    train, _, _ = _split(2)
    u, i, r = train
    R = np.full((30, 25), np.nan)
    R[u, i] = r
    C = np.nan_to_num(R - np.nanmean(R, axis=1, keepdims=True))
    norms = np.linalg.norm(C, axis=0)
    expected = (C.T @ C) / np.outer(norms, norms)
    S = item_cosine(u, i, r, (30, 25))
    np.testing.assert_allclose(S, expected, atol=1e-12)
    B = (~np.isnan(R)).astype(float)
    co = B.T @ B
    shrunk = item_cosine(u, i, r, (30, 25), shrinkage=10.0)
    np.testing.assert_allclose(shrunk, expected * co / (co + 10), atol=1e-12)


def test_read_titles_with_and_without_a_header(tmp_path):
    movielens = tmp_path / "items.tsv"
    movielens.write_text("item_id\ttitle\tyear\n1\tToy Story (1995)\t1995\n2\tGoldenEye\t1995\n")
    assert read_titles(movielens) == {"1": "Toy Story (1995)", "2": "GoldenEye"}
    latest = tmp_path / "movies.csv"
    latest.write_text('movieId,title,genres\n1,"Matrix, The (1999)",Action\n')
    assert read_titles(latest) == {"1": "Matrix, The (1999)"}
    bare = tmp_path / "bare.tsv"
    bare.write_text("a7\tFirst\nb8\tSecond\n")
    assert read_titles(bare) == {"a7": "First", "b8": "Second"}
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\tOne\n2\n")
    with pytest.raises(ValueError, match=r"bad.tsv:2: expected an id and a title"):
        read_titles(bad)


def test_make_ratings_plants_groups_skew_and_a_rare_tail():
    u, i, r, groups, true = make_ratings(
        n_users=300, n_items=200, n_groups=4, n_rare=20, random_state=0
    )
    support = np.bincount(i, minlength=200)
    assert set(np.unique(r)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert np.all((support[-20:] >= 1) & (support[-20:] <= 2))
    common = np.sort(support[:-20])[::-1]
    assert common[:10].mean() > 3 * np.median(common)  # popularity skew
    assert len(np.unique(u * 200 + i)) == len(u)  # no pair rated twice
    # items of a group share their users' tastes: their true columns move together
    corr = np.corrcoef(true.T)
    same = groups[:, None] == groups[None, :]
    off = ~np.eye(200, dtype=bool)
    assert corr[same & off].mean() > 0.9 and corr[~same].mean() < 0.3


# -- issue 22: recommend's default order ranks better than popularity -------------------
def _held_out(seed):
    users, items, ratings, _, _ = make_ratings(
        n_users=400, n_items=300, n_groups=5, n_rare=40, random_state=seed
    )
    test = np.random.default_rng(seed).random(len(ratings)) < 0.2
    test &= np.isin(users, users[~test]) & np.isin(items, items[~test])
    return (users[~test], items[~test], ratings[~test]), (users[test], items[test], ratings[test])


@pytest.mark.parametrize("seed", [0, 1])
def test_default_top10_beats_popularity_on_planted_ratings(seed):
    """Simulated ratings with planted groups: the top-10 lists of ``recommend`` (default
    parameters) find more held-out liked items than the most popular unrated items. A
    list sorted by predicted rating does not (the order of 65dd855 and of rank_by='rating')."""
    from nmfkit import Recommender

    train, test = _held_out(seed)
    n_items = int(max(train[1].max(), test[1].max())) + 1
    model = Recommender(random_state=seed).fit(train)
    assert model.item_ids_.tolist() == list(range(n_items))  # positions are the ids

    def lists(rows):
        s = np.zeros((len(rows), n_items))
        for r, user in enumerate(rows):
            top = [item for item, _ in model.recommend(int(user), n=10)]
            s[r, top] = np.arange(10, 0, -1)[: len(top)]
        return s

    support = np.bincount(train[1], minlength=n_items).astype(float)
    popular = ranking_metrics(lambda rows: np.tile(support, (len(rows), 1)), train, test)
    ours = ranking_metrics(lists, train, test)
    assert ours["precision"] > 1.05 * popular["precision"]
    assert ours["recall"] > popular["recall"]
    assert ours["rare"] == 0  # items rated once or twice still stay off the lists
