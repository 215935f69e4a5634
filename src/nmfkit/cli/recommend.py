"""``nmfkit recommend``: recommendations for a user, or k-fold evaluation."""

import os

import numpy as np

from ..applications.recommender.evaluation import cross_validate_ratings
from ..applications.recommender.model import Recommender
from ..applications.recommender.ratings import read_ratings
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
        "-k", "--n-components", type=int, default=200, help="latent factors (default: 200)"
    )
    r.add_argument(
        "--reg", type=float, default=0.06, help="factor L2 weight per rating (default: 0.06)"
    )
    r.add_argument("--reg-bias", type=float, default=5.0, help="bias L2 weight (default: 5)")
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
    """``nmfkit recommend``: recommendations for a user, or k-fold evaluation."""
    loss_of(args)  # frobenius only, refused now otherwise
    if args.user is None and not args.evaluate:
        raise CLIError("give --user ID to recommend for, or --evaluate to cross-validate")
    if not os.path.isfile(args.ratings):
        raise CLIError(f"ratings file not found: {args.ratings}")
    if args.n < 1:
        raise CLIError(f"-n must be at least 1, got {args.n}")
    users, items, values = read_ratings(args.ratings, sep=args.sep)
    params = dict(
        n_components=args.n_components, reg=args.reg, reg_bias=args.reg_bias, max_iter=args.max_iter
    )
    n_users, n_items = len(np.unique(users)), len(np.unique(items))
    print(f"ratings     {len(values)} by {n_users} users on {n_items} items")
    if args.evaluate:
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
    if args.user is not None:
        model = Recommender(random_state=args.seed, **params).fit((users, items, values))
        user = args.user
        if model.user_ids_.dtype.kind == "i":
            try:
                user = int(user)
            except ValueError:
                raise CLIError(
                    f"user {user!r} is not in {args.ratings} (its ids are integers)"
                ) from None
        try:
            recs = model.recommend(user, n=args.n, exclude_seen=not args.include_seen)
        except KeyError as exc:
            raise CLIError(f"{exc.args[0]} ({args.ratings})") from None
        print(f"top {len(recs)} for user {user}:")
        print(f"{'rank':>4}  {'item':<20} {'predicted':>9}")
        for rank, (item, score) in enumerate(recs, 1):
            print(f"{rank:>4}  {str(item):<20} {score:>9.3f}")
    return 0
