"""``nmfkit cluster``: clusters of the rows of a data file, or of the nodes of a graph."""

import time

import numpy as np

from ..estimators.semi import SemiNMF
from ..estimators.symmetric import SymmetricNMF, normalize_graph, similarity_graph
from ._common import (
    CLIError,
    add_input,
    add_loss,
    check_paths,
    loss_of,
    read_input,
    save_array,
    save_text,
)


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    c = sub.add_parser(
        "cluster",
        help="clusters of a graph (symmetric NMF) or of mixed-sign data (semi-NMF)",
        description="Cluster the rows of a data file: by symmetric NMF of their k-nearest-"
        "neighbour graph (default; or of a graph you give with --graph given), or by semi-"
        "NMF of the rows themselves (--method semi, for data of any sign). Writes one "
        "label per line.",
    )
    add_input(c, "data file: .npy, .npz, .mtx, .h5ad, .csv or .tsv (rows are items)")
    c.add_argument("-k", "--n-clusters", type=int, required=True, help="number of clusters")
    c.add_argument(
        "--method",
        choices=["symmetric", "semi"],
        default="symmetric",
        help="symmetric: SymmetricNMF of a graph (default); semi: SemiNMF of X",
    )
    c.add_argument(
        "--convex",
        action="store_true",
        help="with --method semi: convex NMF (components are mixtures of rows)",
    )
    c.add_argument(
        "--graph",
        choices=["knn", "given"],
        default="knn",
        help="knn: build the k-NN similarity graph of the rows (default); given: the input "
        "is already a symmetric n x n similarity or adjacency matrix",
    )
    c.add_argument(
        "--raw",
        action="store_true",
        help="with --graph given: cluster it as it is, not normalised (D^-1/2 A D^-1/2)",
    )
    c.add_argument(
        "--neighbors",
        default="auto",
        help="neighbours per row of the k-NN graph (default: auto, log2(n) + 1)",
    )
    c.add_argument(
        "--metric",
        choices=["auto", "cosine", "euclidean"],
        default="auto",
        help="k-NN graph weights: cosine (text) or euclidean (self-tuning Gaussian); auto "
        "(default): cosine for sparse input (.mtx, sparse .npz), euclidean for dense",
    )
    c.add_argument("--labels", default="labels.txt",
                   help="one cluster label per line (default: labels.txt)")  # fmt: skip
    c.add_argument("--memberships", help="save the memberships (n x k) to this .npy")
    c.add_argument("-o", "--output", help="also save the model to this .npz file")
    c.add_argument("--max-iter", type=int, default=None,
                   help="maximum iterations (default: the estimator's, 1000 / 200)")  # fmt: skip
    c.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    add_loss(c, only=(2.0,), why="symmetric NMF (of a graph) and semi-NMF (of data of any "
             "sign) minimise the squared error")  # fmt: skip
    c.set_defaults(func=run)
    return c


def _neighbors(text):
    if text == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise CLIError(f"--neighbors must be 'auto' or a positive integer, got {text!r}")
    return value


def run(args):
    """``nmfkit cluster``: fit, then write the labels (and the memberships, the model)."""
    outputs = [(args.labels, "labels")]
    outputs += [(p, w) for p, w in ((args.memberships, "memberships"), (args.output, "model")) if p]
    check_paths([args.input], outputs)
    if args.n_clusters < 1:
        raise CLIError(f"-k must be at least 1, got {args.n_clusters}")
    neighbors = _neighbors(args.neighbors)
    loss_of(args)  # frobenius only, refused now otherwise
    fix = "fill them in first (nmfkit fit leaves unknown entries out)"
    X = read_input(args, rows="items", cols="columns", missing=fix)
    extra = {} if args.max_iter is None else {"max_iter": args.max_iter}
    start = time.perf_counter()
    if args.method == "semi":
        if args.graph == "given":
            raise CLIError("--graph given goes with --method symmetric; semi-NMF reads rows")
        if hasattr(X, "toarray"):
            X = X.toarray()  # semi-NMF works on dense rows of any sign
        model = SemiNMF(args.n_clusters, convex=args.convex, random_state=args.seed, **extra)
        what = f"{'convex' if args.convex else 'semi'}-NMF of {X.shape[0]} rows"
    else:
        if args.graph == "knn":
            X = similarity_graph(X, n_neighbors=neighbors, metric=args.metric)
            what = f"symmetric NMF of the k-NN graph of {X.shape[0]} rows ({X.nnz} links)"
        else:
            what = f"symmetric NMF of the given {X.shape[0]} x {X.shape[1]} graph"
            if not args.raw:
                X = normalize_graph(X)
                what += ", normalised"
        model = SymmetricNMF(args.n_clusters, random_state=args.seed, **extra)
    W = model.fit_transform(X)
    labels = model.labels_
    sizes = np.bincount(labels, minlength=args.n_clusters)
    print(f"{what}: {args.n_clusters} clusters in {time.perf_counter() - start:.1f} s "
          f"({model.n_iter_} iterations, {model.stop_reason_})")  # fmt: skip
    print("sizes       " + " ".join(str(int(s)) for s in sizes))
    save_text(args.labels, "".join(f"{int(v)}\n" for v in labels))
    print(f"saved       {args.labels}")
    if args.memberships:
        save_array(args.memberships, W)
        print(f"saved       {args.memberships}")
    if args.output:
        model.save(args.output)
        print(f"saved       {args.output}")
    return 0
