"""Recommender: biased NMF of ratings, its inputs, answers, files, metrics and CLI."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import shared_file

from nmfkit import Recommender, cross_validate_ratings, load, rating_metrics, read_ratings
from nmfkit.cli import main


def synthetic(n_users=300, n_items=200, k=4, density=0.2, seed=0, noise=0.0):
    """Ratings μ + b_u + b_i + w_u·h_i (+ noise) at random (user, item) pairs."""
    rng = np.random.default_rng(seed)
    W, H = rng.random((n_users, k)), rng.random((k, n_items))
    bu, bi = rng.normal(0, 0.3, n_users), rng.normal(0, 0.3, n_items)
    full = 3.0 + bu[:, None] + bi[None, :] + W @ H + noise * rng.standard_normal((n_users, n_items))
    u, i = np.nonzero(rng.random((n_users, n_items)) < density)
    return u, i, full[u, i], full


def test_fit_recovers_held_out_ratings_of_a_planted_biased_model():
    u, i, r, full = synthetic(noise=0.05)
    rng = np.random.default_rng(1)
    test = rng.random(len(r)) < 0.2
    model = Recommender(n_components=8, reg=0.01, reg_bias=1.0, random_state=0, clip=False)
    model.fit((u[~test], i[~test], r[~test]))
    rmse = np.sqrt(np.mean((model.predict(u[test], i[test]) - r[test]) ** 2))
    baseline = np.sqrt(np.mean((r[test] - r[~test].mean()) ** 2))
    assert rmse < 0.25 * baseline
    assert model.user_factors_.min() >= 0 and model.components_.min() >= 0
    curve = np.array(model.loss_curve_)
    assert np.all(np.diff(curve) <= 1e-12 * curve[:-1])  # exact updates: never up


def test_every_input_form_gives_the_same_model():
    pd = pytest.importorskip("pandas")
    u, i, r, _ = synthetic(n_users=40, n_items=30, density=0.4)
    params = dict(n_components=3, random_state=0, max_iter=20)
    models = [
        Recommender(**params).fit((u, i, r)),
        Recommender(**params).fit(pd.DataFrame({"item": i, "user": u, "rating": r})),
        Recommender(**params).fit(np.column_stack([u, i, r, np.zeros_like(r)])),
        Recommender(**params).fit(sp.csr_matrix((r, (u, i)))),
    ]
    for m in models[1:]:
        np.testing.assert_allclose(m.predict(u, i), models[0].predict(u, i), rtol=1e-12)


def test_arbitrary_ids_and_cold_start_fallback():
    u, i, r, _ = synthetic(n_users=30, n_items=20, density=0.5)
    names = np.array([f"user-{x}" for x in u])
    items = np.array([f"movie {x}" for x in i])
    model = Recommender(n_components=3, random_state=0).fit((names, items, r))
    known = model.predict(["user-3"], ["movie 4"])
    assert known.shape == (1,)
    mu, bu = model.global_mean_, model.user_bias_[list(model.user_ids_).index("user-3")]
    bi = model.item_bias_[list(model.item_ids_).index("movie 4")]
    assert model.predict(["nobody"], ["movie 4"])[0] == pytest.approx(mu + bi)
    assert model.predict(["user-3"], ["no such film"])[0] == pytest.approx(mu + bu)
    assert model.predict(["nobody"], ["nothing"])[0] == pytest.approx(mu)
    with pytest.raises(KeyError, match=r"user 'nobody' was not in the ratings given to fit"):
        model.recommend("nobody")
    with pytest.raises(KeyError, match=r"item 'nothing' was not in the ratings"):
        model.similar_items("nothing")


def test_recommend_excludes_seen_items_and_ranks_by_prediction():
    u, i, r, _ = synthetic(n_users=50, n_items=40, density=0.3)
    model = Recommender(n_components=4, random_state=0, clip=False, rank_by="rating")
    model.fit((u, i, r))
    recs = model.recommend(7, n=5)
    seen = set(i[u == 7])
    assert len(recs) == 5 and not seen & {item for item, _ in recs}
    scores = [s for _, s in recs]
    assert scores == sorted(scores, reverse=True)
    unseen = np.array(sorted(set(range(40)) - seen))
    best = unseen[np.argmax(model.predict(np.full(len(unseen), 7), unseen))]
    assert recs[0][0] == best
    assert len(model.recommend(7, n=100, exclude_seen=False)) == 40


def test_similar_items_is_factor_cosine_shrunk_by_support():
    u, i, r, _ = synthetic(n_users=50, n_items=40, density=0.3)
    model = Recommender(n_components=4, random_state=0).fit((u, i, r))
    F, n = model.item_factors_, np.bincount(i, minlength=40)
    sims = model.similar_items(3, n=39)
    assert 3 not in [j for j, _ in sims]
    raters = set(u[i == 3])
    for j, s in sims[:5]:
        co = len(raters & set(u[i == j]))
        cos = F[j] @ F[3] / np.linalg.norm(F[j]) / np.linalg.norm(F[3])
        assert s == pytest.approx(cos * n[j] / (n[j] + 5) * n[3] / (n[3] + 5) * co / (co + 5))
    assert [x for _, x in sims] == sorted((x for _, x in sims), reverse=True)
    model.set_params(shrinkage=0)
    j, s = model.similar_items(3, n=39)[0]
    assert s == pytest.approx(F[j] @ F[3] / np.linalg.norm(F[j]) / np.linalg.norm(F[3]))


def test_explain_adds_up_to_the_prediction():
    u, i, r, _ = synthetic(n_users=50, n_items=40, density=0.3)
    model = Recommender(n_components=4, random_state=0, clip=False).fit((u, i, r))
    e = model.explain(2, 5, n_factors=4)
    assert e["prediction"] == pytest.approx(
        e["global_mean"] + e["user_bias"] + e["item_bias"] + e["interaction"]
    )
    contributions = [f["contribution"] for f in e["factors"]]
    assert sum(contributions) == pytest.approx(e["interaction"])
    assert contributions == sorted(contributions, reverse=True)
    rated = set(i[u == 2])
    assert all(item in rated for f in e["factors"] for item, _ in f["because"])


def test_duplicate_pairs_follow_the_documented_policy():
    users, items, ratings = [1, 1, 2, 2], ["a", "a", "a", "b"], [1.0, 5.0, 3.0, 4.0]
    params = dict(n_components=1, random_state=0, max_iter=5, tol=0)
    with pytest.raises(ValueError, match=r"1 \(user, item\) pairs are rated more than once"):
        Recommender(duplicates="raise", **params).fit((users, items, ratings))
    mean = Recommender(**params).fit((users, items, ratings))
    last = Recommender(duplicates="last", **params).fit((users, items, ratings))
    assert mean._seen_ratings[0] == 3.0 and last._seen_ratings[0] == 5.0


@pytest.mark.parametrize(
    "ratings, error, match",
    [
        (([1, 2], ["a", "b"], ["4", "five"]), ValueError, r"ratings must be numbers; found 'five'"),
        (([1, 2], ["a", "b"], [4.0, np.nan]), ValueError, r"1 ratings are NaN or inf"),
        (([1, 2], ["a"], [4.0, 3.0]), ValueError, r"2 users, 1 items and 2 ratings"),
        (([], [], []), ValueError, r"no ratings given"),
        ("ratings.tsv", TypeError, r"ratings must be a DataFrame"),
    ],
)
def test_bad_ratings(ratings, error, match):
    with pytest.raises(error, match=match):
        Recommender(n_components=1).fit(ratings)


def test_save_and_load_keep_every_answer(tmp_path):
    u, i, r, _ = synthetic(n_users=30, n_items=20, density=0.5)
    items = np.array([f"m{x}" for x in i])
    model = Recommender(n_components=3, random_state=0).fit((u, items, r))
    model.save(tmp_path / "rec.npz")
    back = load(tmp_path / "rec.npz")
    assert isinstance(back, Recommender)
    assert back.recommend(4, n=5) == model.recommend(4, n=5)
    assert back.similar_items("m3") == model.similar_items("m3")
    assert back.explain(4, "m7") == model.explain(4, "m7")


def test_rating_metrics_match_a_per_user_loop():
    rng = np.random.default_rng(3)
    users = rng.integers(0, 20, 500)
    true = rng.integers(1, 6, 500).astype(float)
    pred = np.clip(true + rng.normal(0, 1, 500), 1, 5)
    got = rating_metrics(users, true, pred, k=5, threshold=3.5)
    precision, recall = [], []
    for user in np.unique(users):
        sel = np.flatnonzero(users == user)
        order = sel[np.argsort(-pred[sel], kind="stable")]
        top = order[:5]
        rec = top[pred[top] >= 3.5]
        n_rel = int((true[sel] >= 3.5).sum())
        hit = int((true[rec] >= 3.5).sum())
        precision.append(hit / len(rec) if len(rec) else 0.0)
        recall.append(hit / n_rel if n_rel else 0.0)
    assert got["rmse"] == pytest.approx(np.sqrt(np.mean((pred - true) ** 2)))
    assert got["mae"] == pytest.approx(np.mean(np.abs(pred - true)))
    assert got["precision_at_k"] == pytest.approx(np.mean(precision))
    assert got["recall_at_k"] == pytest.approx(np.mean(recall))


def test_movielens_100k_five_fold_rmse_beats_the_usual_baselines():
    """Acceptance: mean test RMSE <= 0.910 with the default parameters."""
    users, items, ratings = read_ratings(shared_file("movielens-100k", "ratings.tsv"))
    folds = cross_validate_ratings((users, items, ratings), n_splits=5, random_state=0)
    rmse = np.mean([f["rmse"] for f in folds])
    assert rmse <= 0.910, rmse
    assert np.mean([f["precision_at_k"] for f in folds]) > 0.6


def test_read_ratings_handles_headers_and_reports_bad_lines(tmp_path):
    good = tmp_path / "r.csv"
    good.write_text("user,item,rating\nann,x,4\nbob,y,3.5\n")
    u, i, r = read_ratings(good)
    assert list(u) == ["ann", "bob"] and list(r) == [4.0, 3.5]
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\t2\t4\n1\t3\tgood\n")
    with pytest.raises(ValueError, match=r"bad.tsv:2: rating 'good' is not a number"):
        read_ratings(bad)


def _ratings_file(tmp_path):
    u, i, r, _ = synthetic(n_users=60, n_items=40, density=0.3)
    path = tmp_path / "ratings.tsv"
    path.write_text("".join(f"{a}\t{b}\t{c:.3f}\n" for a, b, c in zip(u, i, r)))
    return path


def test_cli_recommends_for_a_user_and_evaluates(tmp_path, capsys):
    path = _ratings_file(tmp_path)
    assert main(["recommend", str(path), "--user", "5", "-n", "4", "-k", "4"]) == 0
    out = capsys.readouterr().out
    assert "top 4 for user 5 (by the chance of rating and liking each one):" in out
    assert len(out.strip().splitlines()) == 7
    u, i, r = read_ratings(path)
    model = Recommender(4, random_state=0).fit((u, i, r))
    listed = [int(line.split()[-1]) for line in out.strip().splitlines()[-4:]]
    assert listed == [item for item, _ in model.recommend(5, n=4)]  # the same order
    assert (
        main(["recommend", str(path), "--user", "5", "-n", "4", "-k", "4", "--rank-by", "rating"])
        == 0
    )
    out = capsys.readouterr().out
    assert "top 4 for user 5 (by predicted rating):" in out
    predicted = [float(line.split()[1]) for line in out.strip().splitlines()[-4:]]
    assert predicted == sorted(predicted, reverse=True)
    assert main(["recommend", str(path), "--evaluate", "--folds", "3", "-k", "4"]) == 0
    out = capsys.readouterr().out
    assert "RMSE" in out and "P@10" in out and out.count("\n") == 6


@pytest.mark.parametrize(
    "args, message",
    [
        (["--user", "999"], "user 999 was not in the ratings given to fit"),
        (["--user", "alice"], "user 'alice' is not in"),
        ([], "give --user ID to recommend for, --similar ITEM, or --evaluate"),
        (["--user", "5", "--implicit-components", "0"], "--implicit-components must be at least 1"),
    ],
)
def test_cli_recommend_errors_are_one_line(tmp_path, capsys, args, message):
    path = _ratings_file(tmp_path)
    assert main(["recommend", str(path), "-k", "2", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_fold_in_places_a_new_user_like_a_fitted_one():
    u, i, r, full = synthetic(n_users=200, n_items=120, density=0.3, noise=0.05)
    model = Recommender(n_components=4, reg=0.01, reg_bias=1.0, random_state=0, clip=False)
    model.fit((u[u != 0], i[u != 0], r[u != 0]))  # user 0 left out
    mine = u == 0
    bias, factor = model.fold_in(i[mine], r[mine])
    assert factor.shape == (4,) and factor.min() >= 0
    unseen = np.setdiff1d(np.arange(120), i[mine])
    pred = (
        model.global_mean_ + bias + model.item_bias_[unseen] + factor @ model.components_[:, unseen]
    )
    # the planted ratings of the items user 0 did not rate
    assert np.sqrt(np.mean((pred - full[0, unseen]) ** 2)) < 0.2
    recs = model.set_params(rank_by="rating").recommend_for(i[mine], r[mine], n=5)
    assert len(recs) == 5 and not set(i[mine]) & {item for item, _ in recs}
    assert recs[0][0] == unseen[np.argmax(pred)]
    # the default order: the new user's NNLS row of W_B times the chance of liking
    from scipy.optimize import nnls
    from scipy.stats import norm

    B = np.zeros(120)
    B[i[mine]] = 1
    relevance = nnls(model.implicit_components_.T, B)[0] @ model.implicit_components_
    c = model.item_support_ / (model.item_support_ + model.shrinkage)
    deviation = model.item_bias_ + c * (factor @ model.components_)
    score = (relevance * norm.cdf(deviation / model.rating_noise_))[unseen]
    recs = model.set_params(rank_by="relevance").recommend_for(i[mine], r[mine], n=5)
    assert [item for item, _ in recs] == unseen[np.argsort(-score)[:5]].tolist()
    assert model.fold_in(["no such item"], [3.0])[1].sum() == 0  # unknown items ignored


# -- issue 22: ranking that one rating cannot top, similarity, the CLI ------------------
def _planted(seed=0):
    from nmfkit.applications.recommender.simulate import make_ratings

    return make_ratings(n_users=400, n_items=300, n_groups=5, n_rare=40, random_state=seed)


def test_items_rated_once_do_not_top_the_lists():
    u, i, r, groups, _ = _planted()
    once = np.flatnonzero(np.bincount(i) == 1)
    model = Recommender(n_components=20, random_state=0).fit((u, i, r))
    tops = [model.recommend(user, n=1)[0][0] for user in range(0, 400, 4)]
    assert not set(tops) & set(once.tolist())
    # the one 5.0 of an item rated once cannot outweigh a well-supported favourite
    item = once[r[np.isin(i, once)] == 5][0]
    rater = u[i == item][0]
    assert item not in [j for j, _ in model.recommend(rater, n=10, exclude_seen=False)]
    assert not set(once) & {j for j, _ in model.recommend(rater, n=50, min_ratings=2)}


def test_similar_items_recover_planted_groups_and_skip_rare_items():
    u, i, r, groups, _ = _planted()
    support = np.bincount(i)
    model = Recommender(n_components=20, random_state=0).fit((u, i, r))
    same, rare = [], []
    for item in np.flatnonzero(support >= 20)[::3]:
        sims = [j for j, _ in model.similar_items(item, n=10)]
        same.append(np.mean(groups[sims] == groups[item]))
        rare.append(np.mean(support[sims] <= 2))
    assert np.mean(same) > 0.8 and np.mean(rare) == 0.0, (np.mean(same), np.mean(rare))


def test_more_components_than_the_data_allow_are_refused_before_the_fit():
    with pytest.raises(ValueError, match=r"n_components=5 is more than the data allow: 3 users"):
        Recommender(n_components=5).fit(([1, 2, 3, 1], [1, 2, 3, 4], [5, 4, 3, 2]))


def _titled(tmp_path):
    u, i, r, _, _ = _planted()
    path = tmp_path / "ratings.tsv"
    path.write_text("".join(f"{a}\t{b}\t{c:g}\n" for a, b, c in zip(u, i, r)))
    titles = tmp_path / "movies.tsv"
    names = "".join(f"{j}\tFilm number {j} ({1900 + j})\n" for j in range(300))
    titles.write_text("item_id\ttitle\tyear\n".replace("\tyear", "") + names)
    return path, titles, np.bincount(i)


def test_cli_lists_titles_rating_counts_and_similar_items(tmp_path, capsys):
    path, titles, support = _titled(tmp_path)
    argv = ["recommend", str(path), "--items", str(titles), "-k", "10", "-n", "3"]
    assert main([*argv, "--user", "7", "--similar", "Film number 12 (1912)"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("top 3 for user 7 (by ") and "ratings" in out[2]
    for line in out[3:6]:
        like, count, rest = line.split()[2], line.split()[3], line.split(None, 4)[4]
        assert 0 <= float(like) <= 1  # P(like): a rating above the user's own mean
        item = int(rest.rsplit("[", 1)[1].rstrip("]"))
        assert rest.startswith(f"Film number {item} (") and int(count) == support[item]
    assert out[6].startswith("3 most similar to Film number 12 (1912) [12]")
    assert f"({support[12]} ratings)" in out[6] and len(out) == 11
    assert main([*argv, "--similar", "12"]) == 0  # an id works too
    assert capsys.readouterr().out.splitlines()[1].startswith("3 most similar to Film number 12")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--similar", "Film number 1"], "matches 111 titles"),
        (["--similar", "Nothing like it"], "is no id of"),
        (["-k", "20000", "--user", "1"], "-k 20000 is more than the data allow: 400 users and"),
    ],
)
def test_cli_similar_and_k_errors_are_one_line(tmp_path, capsys, args, message, monkeypatch):
    import nmfkit.cli.recommend as cli

    def no_fit(*a, **k):
        raise AssertionError("fitted before refusing")

    monkeypatch.setattr(cli.Recommender, "fit", no_fit)
    path, titles, _ = _titled(tmp_path)
    assert main(["recommend", str(path), "--items", str(titles), "-k", "3", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_rating_metrics_rank_by_score_and_cross_validation_uses_recommends_order():
    users = np.array([0, 0, 0, 1, 1, 1])
    true = np.array([5.0, 4.0, 1.0, 2.0, 5.0, 4.0])
    pred = np.array([3.8, 4.0, 4.5, 4.0, 4.0, 4.0])
    # by prediction, user 0's top 1 is the item rated 1; by score, the item rated 5
    assert rating_metrics(users, true, pred, k=1)["precision_at_k"] == 0.0
    score = np.array([0.9, 0.1, 0.2, 0.1, 0.3, 0.2])
    assert rating_metrics(users, true, pred, k=1, score=score)["precision_at_k"] == 1.0
    u, i, r, _ = synthetic(n_users=60, n_items=40, density=0.3, noise=0.3)
    by = {
        rank: cross_validate_ratings((u, i, r), n_splits=3, k=1, n_components=4, rank_by=rank)
        for rank in ("relevance", "rating")
    }
    for a, b in zip(by["relevance"], by["rating"]):
        assert a["rmse"] == b["rmse"]  # the same predictions, another order
    assert [f["precision_at_k"] for f in by["relevance"]] != [
        f["precision_at_k"] for f in by["rating"]
    ]


def test_rank_by_is_checked_and_models_saved_before_keep_the_rating_order(tmp_path):
    u, i, r, _ = synthetic(n_users=30, n_items=20, density=0.5)
    with pytest.raises(ValueError, match="rank_by"):
        Recommender(3, rank_by="popularity").fit((u, i, r))
    model = Recommender(n_components=3, random_state=0).fit((u, i, r))
    by_rating = model.set_params(rank_by="rating", shrinkage=0.0).recommend(4, n=5)
    model.set_params(rank_by="relevance", shrinkage=5.0)
    # a file written before issue 22: no W_B, H_B nor σ
    del model.implicit_user_factors_, model.implicit_components_, model.rating_noise_
    model.save(tmp_path / "old.npz")
    back = load(tmp_path / "old.npz")
    # it keeps the order and the unshrunk answers it was saved with
    assert back.rank_by == "relevance" and back.recommend(4, n=5) == by_rating


def test_a_file_from_before_issue_22_keeps_its_answers():
    """tests/data/models-v1 was written before shrinkage and the relevance order: it loads
    with shrinkage 0 and lists in predicted-rating order, as it was saved."""
    from pathlib import Path

    old = load(Path(__file__).parent / "data" / "models-v1" / "Recommender.npz")
    assert old.shrinkage == 0.0
    items = [item for item, _ in old.recommend(1, n=3)]
    scores = old.predict([1] * len(items), items)
    assert list(scores) == sorted(scores, reverse=True)


def test_the_default_rank_fits_data_with_fewer_than_200_users_or_items():
    """n_components=None: 200 tastes, or min(users, items) on smaller data (an explicit
    k above that is refused)."""
    u, i, r, _ = synthetic(n_users=60, n_items=40, density=0.3)
    model = Recommender(random_state=0).fit((u, i, r))
    assert model.components_.shape[0] == 40 and model.n_components is None
    with pytest.raises(ValueError, match="at most 40"):
        Recommender(41).fit((u, i, r))
