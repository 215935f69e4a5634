"""``nmfkit consensus``: a consensus factorization from many random starts."""

import time

from ..applications.consensus import ConsensusNMF
from ._common import add_input, add_iterations_and_seed, add_loss, check_paths, loss_of, read_input


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    cs = sub.add_parser("consensus", help="a consensus factorization from many random starts")
    add_input(cs, "data file: .npy, .npz, .mtx, .h5ad, .csv or .tsv (empty or nan: unknown)")
    cs.add_argument("-k", "--n-components", type=int, required=True, help="number of components")
    cs.add_argument("--runs", type=int, default=50, help="random starts (default: 50)")
    cs.add_argument(
        "-o", "--output", default="consensus.npz", help="model file (default: consensus.npz)"
    )
    cs.add_argument("--jobs", type=int, default=None, help="parallel processes (-1: all CPUs)")
    add_iterations_and_seed(cs, per_fit=True)
    add_loss(cs)
    cs.set_defaults(func=run)
    return cs


def run(args):
    """``nmfkit consensus``: a consensus factorization from many random starts."""
    check_paths([args.input], [(args.output, "model")])

    beta_loss = loss_of(args)
    X = read_input(args)
    start = time.perf_counter()
    model = ConsensusNMF(
        args.n_components,
        n_runs=args.runs,
        random_state=args.seed,
        n_jobs=args.jobs,
        max_iter=args.max_iter,
        beta_loss=beta_loss,
    ).fit(X)
    print(
        f"{args.runs} runs of k={args.n_components} in {time.perf_counter() - start:.1f} s: "
        f"cophenetic {model.cophenetic_:.4f}, dispersion {model.dispersion_:.4f}, "
        f"stability {model.stability_:.4f}, {model.n_outliers_} outlier components dropped"
    )
    model.save(args.output)
    print(f"saved       {args.output}")
    return 0
