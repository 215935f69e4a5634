"""``nmfkit rank``: criteria for choosing the number of components."""

import time

from ..applications.rank import PICK_RULES, RULE, check_rank, select_rank
from ._common import (
    CLIError,
    add_input,
    add_iterations_and_seed,
    add_loss,
    bar,
    check_paths,
    loss_of,
    read_input,
    save_figure,
)


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    rk = sub.add_parser(
        "rank",
        help="criteria for choosing the number of components",
        description="Every rank criterion for every rank of --ranks, each criterion's own "
        "pick, and the suggested rank. Rule of the suggestion: " + RULE + ". A rank above "
        "min(samples, features) is refused before any fit.",
    )
    add_input(rk, "data file: .npy, .npz, .mtx, .h5ad, .csv or .tsv")
    rk.add_argument("--ranks", default="2-10", help="ranks: 2-10, 5-30:5 or 2,3,5 (default: 2-10)")
    rk.add_argument("--runs", type=int, default=30, help="random starts per rank (default: 30)")
    rk.add_argument(
        "--criteria",
        default="consensus,stability,heldout,error",
        help="comma-separated, from consensus, stability, heldout, error (default: all)",
    )
    rk.add_argument("--plot", metavar="PNG", help="draw every criterion against rank (matplotlib)")
    rk.add_argument("--jobs", type=int, default=None, help="parallel processes (-1: all CPUs)")
    add_iterations_and_seed(rk, per_fit=True)
    add_loss(rk)
    rk.set_defaults(func=run)
    return rk


def _ranks(text, flag="--ranks"):
    """'2-10', '5-30:5' or '2,3,5' as a list of ranks."""
    try:
        if "-" in text:
            span, _, step = text.partition(":")
            lo, hi = (int(v) for v in span.split("-"))
            ranks = list(range(lo, hi + 1, int(step) if step else 1))
        else:
            ranks = [int(v) for v in text.split(",")]
        if ranks:
            return ranks
        raise CLIError(f"{flag} {text!r} holds no rank: write the smaller rank first, e.g. 2-10")
    except ValueError:
        raise CLIError(
            f"{flag} {text!r}: write a range like 2-10 (or 5-30:5) or a list 2,3,5"
        ) from None


def run(args):
    """``nmfkit rank``: the rank criteria as a table, and optionally a plot."""
    check_paths([args.input], [(args.plot, "plot")])
    beta_loss = loss_of(args)
    ranks = _ranks(args.ranks)
    X = read_input(args, missing="fill them in first (nmfkit fit leaves unknown entries out)")
    check_rank(None, ranks, X.shape, "lower --ranks")
    criteria = tuple(args.criteria.split(","))
    if hasattr(X, "nnz") and "heldout" in criteria:
        criteria = tuple(c for c in criteria if c != "heldout")
        print("sparse input: the held-out criterion (which needs dense X) is left out")
    start = time.perf_counter()
    survey = select_rank(
        X,
        ranks=ranks,
        n_runs=args.runs,
        criteria=criteria,
        random_state=args.seed,
        n_jobs=args.jobs,
        max_iter=args.max_iter,
        beta_loss=beta_loss,
        progress=bar("fits"),
    )
    keys = [k for k in survey.rows[0] if k != "rank"]
    print(f"{'rank':>4} " + " ".join(f"{k:>18}" for k in keys))
    for row in survey.rows:
        print(f"{row['rank']:>4} " + " ".join(f"{row[k]:>18.4f}" for k in keys))
    for key, pick in survey.picks.items():
        print(f"pick of {key + ':':<15} {pick:>3}   ({PICK_RULES[key]})")
    print(f"rule: {survey.rule}")
    print(f"suggested rank: {survey.suggested_rank} ({time.perf_counter() - start:.1f} s)")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        fig, _ = survey.plot()
        save_figure(fig, args.plot, dpi=90)
        print(f"plot        {args.plot}")
    return 0
