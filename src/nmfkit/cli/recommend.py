"""``nmfkit recommend``: recommendations for a user, items similar to one, or k-fold evaluation."""

import os

import numpy as np

from ..applications.recommender.evaluation import cross_validate_ratings
from ..applications.recommender.implicit import pair_scores
from ..applications.recommender.model import Recommender
from ..applications.recommender.ratings import read_ratings, read_titles
from ._common import CLIError, add_loss, loss_of


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    r = sub.add_parser(
        "recommend", help="recommend items from a ratings file, or cross-validate on it"
    )
    r.add_argument(
        "ratings", help="ratings file: 'user item rating [...]' per line (.tsv/.txt, or .csv)"
    )
    r.add_argument("--user", default=None, help="user id to recommend for")
    r.add_argument(
        "--similar",
        default=None,
        metavar="ITEM",
        help="list the items most similar to ITEM (an item id, or a title with --items)",
    )
    r.add_argument(
        "--items",
        default=None,
        metavar="FILE",
        help="item titles: 'id<TAB>title' per line, or a header with a 'title' column "
        "(.csv: commas); every list shows titles",
    )
    r.add_argument(
        "-n", type=int, default=10, help="items to recommend, and k of P@k/R@k (default: 10)"
    )
    r.add_argument(
        "--evaluate", action="store_true", help="k-fold RMSE, MAE, precision@n and recall@n"
    )
    r.add_argument("--folds", type=int, default=5, help="folds for --evaluate (default: 5)")
    r.add_argument(
        "--include-seen", action="store_true", help="also list items the user already rated"
    )
    r.add_argument(
        "-k",
        "--n-components",
        type=int,
        default=None,
        help="latent factors (default: 200, or min(users, items) when the data have fewer)",
    )
    r.add_argument(
        "--reg", type=float, default=0.06, help="factor L2 weight per rating (default: 0.06)"
    )
    r.add_argument("--reg-bias", type=float, default=5.0, help="bias L2 weight (default: 5)")
    r.add_argument(
        "--shrinkage",
        type=float,
        default=5.0,
        help="pseudo-ratings: an item rated n times counts n/(n+S) of its taste term in "
        "scores and similarities (default: 5; 0: off)",
    )
    r.add_argument(
        "--rank-by",
        choices=["relevance", "rating"],
        default="relevance",
        help="order of the list: 'relevance' (default), the chance the user rates the item "
        "and likes it (an NMF of who rated what times the chance of a rating above the "
        "user's own mean); 'rating', the predicted rating alone",
    )
    r.add_argument(
        "--implicit-components",
        type=int,
        default=20,
        help="factors of the NMF of who rated what, for --rank-by relevance (default: 20)",
    )
    r.add_argument(
        "--min-ratings",
        type=int,
        default=1,
        help="recommend only items rated at least this many times (default: 1)",
    )
    r.add_argument("--max-iter", type=int, default=100, help="maximum iterations (default: 100)")
    r.add_argument(
        "--seed", type=int, default=0, help="random seed of the split and the fit (default: 0)"
    )
    r.add_argument(
        "--sep",
        default=None,
        help="field separator (default: ',' for .csv, a tab for .tsv, else whitespace)",
    )
    add_loss(r, only=(2.0,), why="the Recommender fits the squared error of the ratings")
    r.set_defaults(func=run)
    return r


def run(args):
    """``nmfkit recommend``: recommendations for a user, items similar to one, or evaluation."""
    loss_of(args)  # frobenius only, refused now otherwise
    if args.user is None and args.similar is None and not args.evaluate:
        raise CLIError(
            "give --user ID to recommend for, --similar ITEM, or --evaluate to cross-validate"
        )
    if not os.path.isfile(args.ratings):
        raise CLIError(f"ratings file not found: {args.ratings}")
    if args.items is not None and not os.path.isfile(args.items):
        raise CLIError(f"--items file not found: {args.items}")
    if args.n < 1:
        raise CLIError(f"-n must be at least 1, got {args.n}")
    if args.n_components is not None and args.n_components < 1:
        raise CLIError(f"-k must be at least 1, got {args.n_components}")
    if args.implicit_components < 1:
        raise CLIError(f"--implicit-components must be at least 1, got {args.implicit_components}")
    if args.shrinkage < 0:
        raise CLIError(f"--shrinkage must be at least 0, got {args.shrinkage}")
    users, items, values = read_ratings(args.ratings, sep=args.sep)
    titles = read_titles(args.items) if args.items is not None else None
    n_users, n_items = len(np.unique(users)), len(np.unique(items))
    limit = min(n_users, n_items)
    if args.n_components is not None and args.n_components > limit:  # before any fit
        raise CLIError(
            f"-k {args.n_components} is more than the data allow: {n_users} users and "
            f"{n_items} items support at most {limit} factors; use -k {limit} or less"
        )
    params = dict(
        n_components=args.n_components,
        reg=args.reg,
        reg_bias=args.reg_bias,
        shrinkage=args.shrinkage,
        rank_by=args.rank_by,
        implicit_components=args.implicit_components,
        max_iter=args.max_iter,
    )
    print(f"ratings     {len(values)} by {n_users} users on {n_items} items")
    if args.evaluate:
        _evaluate(args, users, items, values, params)
    if args.user is None and args.similar is None:
        return 0
    similar = _item(args.similar, items, titles, args) if args.similar is not None else None
    model = Recommender(random_state=args.seed, **params).fit((users, items, values))
    support = dict(zip(model.item_ids_.tolist(), model.item_support_.tolist()))

    def label(item):
        title = titles.get(str(item)) if titles is not None else None
        return str(item) if title is None else f"{title} [{item}]"

    if args.user is not None:
        user = _user(args.user, model, args.ratings)
        try:
            recs = model.recommend(
                user, n=args.n, exclude_seen=not args.include_seen, min_ratings=args.min_ratings
            )
        except KeyError as exc:
            raise CLIError(f"{exc.args[0]} ({args.ratings})") from None
        why = {
            "relevance": "by the chance of rating and liking each one",
            "rating": "by predicted rating",
        }[args.rank_by]
        print(f"top {len(recs)} for user {user} ({why}):")
        # the chance of a rating above the user's own mean (the second factor of the order)
        like = pair_scores(model, [user] * len(recs), [i for i, _ in recs], like_only=True)
        print(f"{'rank':>4}  {'predicted':>9} {'P(like)':>7} {'ratings':>7}  item")
        for rank, ((item, score), p) in enumerate(zip(recs, like), 1):
            print(f"{rank:>4}  {score:>9.3f} {p:>7.2f} {support[item]:>7}  {label(item)}")
    if similar is not None:
        sims = model.similar_items(similar, n=args.n)
        print(f"{len(sims)} most similar to {label(similar)} ({support[similar]} ratings):")
        print(f"{'rank':>4}  {'similarity':>10} {'ratings':>7}  item")
        for rank, (item, score) in enumerate(sims, 1):
            print(f"{rank:>4}  {score:>10.3f} {support[item]:>7}  {label(item)}")
    return 0


def _evaluate(args, users, items, values, params):
    folds = cross_validate_ratings(
        (users, items, values), n_splits=args.folds, random_state=args.seed, k=args.n, **params
    )
    at = f"@{args.n}"
    print(f"{'fold':>4} {'RMSE':>7} {'MAE':>7} {'P' + at:>7} {'R' + at:>7} {'fit (s)':>8}")
    for f, m in enumerate(folds, 1):
        print(
            f"{f:>4} {m['rmse']:>7.4f} {m['mae']:>7.4f} {m['precision_at_k']:>7.4f} "
            f"{m['recall_at_k']:>7.4f} {m['fit_time']:>8.2f}"
        )
    mean = {key: float(np.mean([m[key] for m in folds])) for key in folds[0]}
    print(
        f"{'mean':>4} {mean['rmse']:>7.4f} {mean['mae']:>7.4f} {mean['precision_at_k']:>7.4f} "
        f"{mean['recall_at_k']:>7.4f} {mean['fit_time']:>8.2f}"
    )


def _user(text, model, path):
    """The --user id in the type of the fitted ids."""
    if model.user_ids_.dtype.kind == "i":
        try:
            return int(text)
        except ValueError:
            raise CLIError(f"user {text!r} is not in {path} (its ids are integers)") from None
    return text


def _item(text, items, titles, args):
    """The --similar item: an id of the ratings, else a title of --items (exact, then the
    one title that contains it, case ignored); found before the fit."""
    integer = np.asarray(items).dtype.kind == "i"
    known = {str(i) for i in np.unique(items)}
    if text in known:
        return int(text) if integer else text
    if titles is None:
        raise CLIError(
            f"--similar {text!r} is not an item id of {args.ratings}; give an id, or a "
            "title with --items FILE"
        )
    want = text.strip().lower()
    found = [i for i, t in titles.items() if i in known and t.lower() == want]
    if not found:
        found = [i for i, t in titles.items() if i in known and want in t.lower()]
    if not found:
        raise CLIError(f"--similar {text!r} is no id of {args.ratings} nor title of {args.items}")
    if len(found) > 1:
        shown = "; ".join(titles[i] for i in found[:4]) + ("; ..." if len(found) > 4 else "")
        raise CLIError(
            f"--similar {text!r} matches {len(found)} titles ({shown}); give more of the "
            "title, or the id"
        )
    return int(found[0]) if integer else found[0]
