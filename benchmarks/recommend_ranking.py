"""Ranking quality and item similarity of ``Recommender`` on held-out ratings (issue 22).

Two data sets: simulated ratings with known structure (``make_ratings``: 1000 users,
800 items in 8 latent groups, Zipf popularity, 80 items rated once or twice by fans;
generated afresh for each seed, never used to choose a default) and MovieLens-100k from
../shared/data (skipped when absent). For each seed, 20% of the ratings are held out
at random (pairs whose user or item has no training rating are dropped from the test).

Ranking ("all unrated items" protocol, ``ranking_metrics``): every item a user did not
rate in training is ranked; relevant = held-out ratings >= 4; precision@10, recall@10,
catalogue coverage, novelty (mean −log2 of the share of users who rated a listed item),
and the share of listed items with at most 2 training ratings. RMSE on all held-out
ratings. Models: popularity (number of training ratings), scikit-learn's NMF on the
zero-filled users × items matrix (k = 20, its defaults otherwise), nmfkit
``Recommender(rank_by='rating')`` before (shrinkage=0: the predictions of 65dd855, same
fit) and after (the default shrinkage=5), the shrinkage swept over 0..20 pseudo-ratings
(all ranked by predicted rating), and the default ranking ``rank_by='relevance'``
(relevance of an NMF of who rated what × Φ((r̂ − μ − b_u)/σ)), with its two parts alone
(relevance ρ only; Φ only) and ``implicit_components`` 10, 20 (default) and 50.

Similarity (``similarity_hit_rate``): for each held-out liked pair (u, i) and each item
l that u liked in training, is i among the 10 items most similar to l? Mean per user,
then over users. Compared: nmfkit's plain factor cosine (before), its support-shrunk
cosine (after, ``similar_items``), and the mean-centred item-item cosine of the
training ratings, plain and shrunk by co-ratings n_ij / (n_ij + 50). On the simulated
data also the share of the 10 most similar items in the same planted group (over items
with at least 20 ratings).

Figures are medians over the seeds. Usage::

    python benchmarks/recommend_ranking.py [--seeds 0 1 2] [--json out.json] [--plot out.png]
"""

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from nmfkit import Recommender, read_ratings
from nmfkit.applications.recommender.implicit import like_probability
from nmfkit.applications.recommender.ranking import ranking_metrics, similarity_hit_rate
from nmfkit.applications.recommender.similarity import item_cosine
from nmfkit.applications.recommender.simulate import make_ratings

ROOT = Path(__file__).resolve().parents[1]
MOVIELENS = ROOT.parent / "shared" / "data" / "movielens-100k" / "ratings.tsv"
SWEEP = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0]


def split(users, items, ratings, seed):
    """Positions 0.. of a random 80/20 split; test pairs with an unseen user or item dropped."""
    _, u = np.unique(users, return_inverse=True)
    _, i = np.unique(items, return_inverse=True)
    test = np.random.default_rng(seed).random(len(ratings)) < 0.2
    test &= np.isin(u, u[~test]) & np.isin(i, i[~test])
    keep_u, keep_i = np.unique(u[~test]), np.unique(i[~test])
    u, i = np.searchsorted(keep_u, u), np.searchsorted(keep_i, i)
    r = np.asarray(ratings, dtype=np.float64)
    return (u[~test], i[~test], r[~test]), (u[test], i[test], r[test]), keep_i


def cosine(F):
    norms = np.linalg.norm(F, axis=1)
    norms[norms == 0] = np.inf
    G = F / norms[:, None]
    return G @ G.T


def nmfkit_similarity(model, train, shrinkage):
    """``similar_items``' similarity for every pair, as one matrix."""
    n = model.item_support_.astype(np.float64)
    c = n / (n + shrinkage) if shrinkage > 0 else np.ones_like(n)
    B = sp.csr_matrix((np.ones(len(train[0])), (train[0], train[1])))
    co = (B.T @ B).toarray()
    pair = co / (co + shrinkage) if shrinkage > 0 else np.ones_like(co)
    return np.where(co > 0, cosine(model.item_factors_) * np.outer(c, c) * pair, -np.inf)


def same_group(S, groups, support):
    S = np.array(S, copy=True)
    np.fill_diagonal(S, -np.inf)
    rows = np.flatnonzero(support >= 20)
    top = np.argsort(-S[rows], axis=1, kind="stable")[:, :10]
    return float((groups[top] == groups[rows, None]).mean())


def one_seed(users, items, ratings, seed, groups=None):
    train, test, kept = split(users, items, ratings, seed)
    n_users, n_items = int(train[0].max()) + 1, len(kept)
    support = np.bincount(train[1], minlength=n_items).astype(np.float64)
    out = {}

    def rank(name, scores, rmse=None):
        out[name] = ranking_metrics(scores, train, test)
        if rmse is not None:
            out[name]["rmse"] = rmse

    rank("popularity", lambda rows: np.tile(support, (len(rows), 1)))
    from sklearn.decomposition import NMF as SkNMF

    X = sp.csr_matrix((train[2], (train[0], train[1])), shape=(n_users, n_items))
    sk = SkNMF(20, random_state=seed, max_iter=400)
    W = sk.fit_transform(X)
    pred = np.einsum("ij,ji->i", W[test[0]], sk.components_[:, test[1]])
    rank("scikit-learn NMF (zeros)", lambda rows: W[rows] @ sk.components_, _rmse(pred, test[2]))

    model = Recommender(random_state=seed).fit(train)
    rmse = _rmse(model.predict(test[0], test[1]), test[2])
    rank("nmfkit relevance (default)", lambda rows: relevance_scores(model, rows), rmse)
    rank(  # the other factor alone, Φ, is the predicted-rating order ("nmfkit after")
        "nmfkit relevance only (rho)",
        lambda rows: relevance_scores(model, rows, like=False),
        rmse,
    )
    users_ = np.unique(train[0])[:20]  # the same lists as recommend's
    lists = np.argsort(-relevance_scores(model, users_, seen=train), axis=1, kind="stable")
    assert all(
        [j for j, _ in model.recommend(u, n=10)] == lists[r, :10].tolist()
        for r, u in enumerate(users_)
    )
    for k_b in (10, 50):
        other = Recommender(random_state=seed, implicit_components=k_b).fit(train)
        rank(f"nmfkit relevance k_B={k_b}", lambda rows, m=other: relevance_scores(m, rows))
    out["nmfkit relevance k_B=20"] = out["nmfkit relevance (default)"]
    for s in SWEEP:
        model.set_params(shrinkage=s)
        rmse = _rmse(model.predict(test[0], test[1]), test[2])
        c = support / (support + s) if s > 0 else np.ones_like(support)

        def scores(rows, c=c):
            return model.item_bias_ + c * (model.user_factors_[rows] @ model.components_)

        rank(f"nmfkit shrinkage={s:g}", scores, rmse)
    out["nmfkit before"] = out["nmfkit shrinkage=0"]
    out["nmfkit after"] = out["nmfkit shrinkage=5"]

    sims = {
        "nmfkit before (factor cosine)": cosine(model.item_factors_),
        "nmfkit after (similar_items)": nmfkit_similarity(model, train, 5.0),
        "item-item cosine (mean-centred)": item_cosine(*train, (n_users, n_items)),
        "item-item cosine, shrunk n_ij/(n_ij+50)": item_cosine(
            *train, (n_users, n_items), shrinkage=50.0
        ),
    }
    for name, S in sims.items():
        out[name] = {"hit_rate": similarity_hit_rate(S, train, test, n=10)}
        if groups is not None:
            out[name]["same_group"] = same_group(S, groups[kept], support)
    return out


def relevance_scores(model, rows, like=True, seen=None):
    """``recommend``'s default order for these users: ρ · Φ((r̂ − μ − b_u)/σ) (ρ alone
    without ``like``; Φ alone is the predicted-rating order); ``seen`` (train) put last."""
    c = model.item_support_ / (model.item_support_ + model.shrinkage)
    deviation = model.item_bias_ + c * (model.user_factors_[rows] @ model.components_)
    score = model.implicit_user_factors_[rows] @ model.implicit_components_
    if like:
        score *= like_probability(deviation, model.rating_noise_)
    if seen is not None:
        B = sp.csr_matrix(
            (np.ones(len(seen[0])), (seen[0], seen[1])),
            shape=(len(model.user_ids_), len(model.item_ids_)),
        )
        score[B[rows].toarray() > 0] = -np.inf
    return score


def _rmse(pred, true):
    return float(np.sqrt(np.mean((np.clip(pred, 1, 5) - true) ** 2)))


def medians(runs):
    return {
        name: {key: float(np.median([run[name][key] for run in runs])) for key in runs[0][name]}
        for name in runs[0]
    }


def show(title, table):
    print(f"\n{title}")
    head = f"{'P@10':>7} {'R@10':>7} {'cover':>6} {'novel':>6} {'rare':>6} {'RMSE':>7}"
    print(f"{'model':<30} {head}")
    for name, m in table.items():
        if "precision" in m:
            rmse = f"{m['rmse']:>7.4f}" if "rmse" in m else f"{'':>7}"
            print(
                f"{name:<30} {m['precision']:>7.4f} {m['recall']:>7.4f} {m['coverage']:>6.3f} "
                f"{m['novelty']:>6.2f} {m['rare']:>6.3f} {rmse}"
            )
    print(f"{'similarity':<40} {'HR@10':>7} {'same group':>10}")
    for name, m in table.items():
        if "hit_rate" in m:
            group = f"{m['same_group']:>10.3f}" if "same_group" in m else ""
            print(f"{name:<40} {m['hit_rate']:>7.4f} {group}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--json", default=None, help="write the figures to this file")
    p.add_argument(
        "--plot",
        default=None,
        help="draw P@10 and coverage of the rating order against shrinkage, beside the "
        "default order's and popularity's P@10",
    )
    args = p.parse_args()
    warnings.simplefilter("ignore")
    results = {}
    runs = []
    for seed in args.seeds:
        users, items, ratings, groups, _ = make_ratings(random_state=seed)
        runs.append(one_seed(users, items, ratings, seed, groups))
    results["simulated"] = medians(runs)
    show(f"simulated ratings (make_ratings), medians over seeds {args.seeds}", results["simulated"])
    if MOVIELENS.exists():
        users, items, ratings = read_ratings(MOVIELENS)
        runs = [one_seed(users, items, ratings, seed) for seed in args.seeds]
        results["movielens-100k"] = medians(runs)
        show(f"MovieLens-100k, medians over seeds {args.seeds}", results["movielens-100k"])
    else:
        print(f"\nMovieLens-100k skipped: {MOVIELENS} not found")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.plot:
        plot(results, args.plot)


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.6), squeeze=False)
    for ax, (name, table) in zip(axes[0], results.items()):
        p10 = [table[f"nmfkit shrinkage={s:g}"]["precision"] for s in SWEEP]
        cov = [table[f"nmfkit shrinkage={s:g}"]["coverage"] for s in SWEEP]
        ax.plot(SWEEP, p10, "o-", label="rating order P@10")
        ax.axhline(table["popularity"]["precision"], color="grey", ls="--", label="popularity P@10")
        ax.axhline(
            table["nmfkit relevance (default)"]["precision"],
            color="C2",
            ls="-.",
            label="default order (rank_by='relevance') P@10",
        )
        ax.set_xlabel("shrinkage s (pseudo-ratings; default 5), rank_by='rating'")
        ax.set_ylabel("precision@10")
        ax.set_ylim(0, None)
        right = ax.twinx()
        right.plot(SWEEP, cov, "s:", color="C1", label="rating order coverage")
        right.set_ylabel("catalogue coverage")
        right.set_ylim(0, None)
        ax.set_title(name)
        lines = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
        ax.legend(lines, [h.get_label() for h in lines], fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
