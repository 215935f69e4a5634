"""``nmfkit consensus``: a consensus factorization from many random starts."""

import os
import sys
import time

import numpy as np

from ..applications.consensus import ConsensusNMF, check_rank
from ._common import (
    add_input,
    add_iterations_and_seed,
    add_loss,
    check_paths,
    loss_of,
    read_input,
    save_text,
)


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    cs = sub.add_parser("consensus", help="a consensus factorization from many random starts")
    add_input(cs, "data file: .npy, .npz, .mtx, .h5ad, .csv or .tsv (empty or nan: unknown)")
    cs.add_argument("-k", "--n-components", type=int, required=True, help="number of components")
    cs.add_argument("--runs", type=int, default=50, help="random starts (default: 50)")
    cs.add_argument(
        "-o", "--output", default="consensus.npz", help="model file (default: consensus.npz)"
    )
    cs.add_argument(
        "--labels",
        metavar="TSV",
        default=None,
        help="each sample's cluster labels, a tab-separated table (sample, label: its "
        "dominant consensus component, consensus_label: the consensus matrix's "
        "average-linkage tree cut into k clusters, as Brunet et al.); '-' prints it "
        "(default: the model file's name with _labels.tsv)",
    )
    cs.add_argument("--jobs", type=int, default=None, help="parallel processes (-1: all CPUs)")
    add_iterations_and_seed(cs, per_fit=True)
    add_loss(cs)
    cs.set_defaults(func=run)
    return cs


def run(args):
    """``nmfkit consensus``: a consensus factorization from many random starts."""
    labels = args.labels or os.path.splitext(args.output)[0] + "_labels.tsv"
    check_paths(
        [args.input], [(args.output, "model"), (None if labels == "-" else labels, "labels")]
    )

    beta_loss = loss_of(args)
    X = read_input(args)
    check_rank(None, args.n_components, X.shape, "lower -k")
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
    _report_labels(model, labels)
    model.save(args.output)
    print(f"saved       {args.output}")
    return 0


def _report_labels(model, path):
    """Cluster sizes of both labelings and their agreement; the table to ``path``."""
    from sklearn.metrics import adjusted_rand_score

    own, tree = model.labels_, model.consensus_labels_
    k = model.n_components
    print(
        f"clusters    dominant component: sizes {np.bincount(own, minlength=k).tolist()}; "
        f"consensus tree: sizes {np.bincount(tree, minlength=k).tolist()}; "
        f"agreement (adjusted Rand) {adjusted_rand_score(own, tree):.3f}"
    )
    table = "sample\tlabel\tconsensus_label\n" + "".join(
        f"{i}\t{a}\t{b}\n" for i, (a, b) in enumerate(zip(own.tolist(), tree.tolist()))
    )
    if path == "-":
        sys.stdout.write(table)
    else:
        save_text(path, table)
        print(f"labels      {path}")
