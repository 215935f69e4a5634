"""The ``nmfkit`` command line: fit, transform, recommend, demo, info.

Every user error (missing or malformed file, bad parameter) ends with exit code 2 and
one line on stderr; ``--debug`` shows the traceback instead.
"""

import argparse
import contextlib
import importlib.metadata
import os
import signal
import sys
import threading
import time
import warnings

import numpy as np

from ._version import __version__

__all__ = ["main", "read_matrix"]

_LOSSES = ("frobenius", "kullback-leibler", "itakura-saito")


class CLIError(Exception):
    """A user error: reported in one line with exit code 2."""


def read_matrix(path):
    """Read a data matrix from .npy, .npz, .mtx, .csv or .tsv.

    Parameters
    ----------
    path : str
        .npz may hold a scipy.sparse matrix (``scipy.sparse.save_npz``) or arrays; an
        array named ``X`` is taken, else the only array in the file.

    Returns
    -------
    X : ndarray or scipy.sparse matrix
    """
    if not os.path.exists(path):
        raise CLIError(f"input file not found: {path}")
    if os.path.isdir(path):
        raise CLIError(f"input is a directory, not a file: {path}")
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext == ".npy":
            return np.load(path, allow_pickle=False)
        if ext == ".npz":
            with np.load(path, allow_pickle=False) as f:
                names = f.files
                if {"format", "data", "indices", "indptr", "shape"} <= set(names) or {
                    "format",
                    "row",
                    "col",
                    "data",
                    "shape",
                } <= set(names):
                    import scipy.sparse

                    return scipy.sparse.load_npz(path)
                if "X" in names:
                    return f["X"]
                if len(names) == 1:
                    return f[names[0]]
            raise CLIError(
                f"{path} holds arrays {names}; name the data matrix 'X' or save one array."
            )
        if ext == ".mtx":
            import scipy.io

            return scipy.io.mmread(path).tocsr()
        if ext in (".csv", ".tsv", ".txt"):
            delimiter = "," if ext == ".csv" else "\t"
            try:
                return np.loadtxt(path, delimiter=delimiter, ndmin=2)
            except ValueError:
                # one header row is common; anything else non-numeric is an error
                return np.loadtxt(path, delimiter=delimiter, ndmin=2, skiprows=1)
    except CLIError:
        raise
    except (ValueError, OSError, EOFError, TypeError) as exc:
        raise CLIError(f"could not read {path}: {exc}") from None
    raise CLIError(
        f"unsupported input format {ext!r} for {path}; use .npy, .npz, .mtx, .csv or .tsv"
    )


def writable(path, what="output"):
    """Raise CLIError now, before any work, when ``path`` cannot be written."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CLIError(f"cannot write the {what} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise CLIError(f"cannot write the {what} {path}: it is a folder; name a file")
    if not os.access(folder, os.W_OK):
        raise CLIError(f"cannot write the {what} {path}: no permission to write in {folder}")


def _cmd_fit(args):
    from . import NMF, MiniBatchNMF

    writable(args.output, "model")
    writable(args.W, "W file")
    common = dict(
        n_components=args.n_components,
        init=args.init,
        beta_loss=_loss(args.loss),
        tol=args.tol,
        max_iter=args.max_iter,
        random_state=args.seed,
        alpha_W=args.alpha_W,
        l1_ratio=args.l1_ratio,
        verbose=args.verbose,
    )
    if args.resume and not args.checkpoint:
        raise CLIError("--resume needs --checkpoint DIR: the folder to resume from")
    if args.batch_size is not None:
        if args.checkpoint:
            raise CLIError("--checkpoint is for full-batch fits: drop --batch-size or --checkpoint")
        if args.engine != "auto" or args.device or args.solver != "auto":
            raise CLIError("--batch-size streams on the CPU: drop --engine, --device and --solver")
        if args.observed != "all":
            raise CLIError("--batch-size needs every entry known: drop --observed")
        # a .npy file is read a batch at a time (memory-mapped), never whole
        streamed = str(args.input).endswith(".npy")
        X = np.load(args.input, mmap_mode="r") if streamed else read_matrix(args.input)
        model = MiniBatchNMF(batch_size=args.batch_size, **common)
    else:
        X = read_matrix(args.input)
        model = NMF(
            solver=args.solver,
            engine=args.engine,
            device=args.device,
            observed=args.observed,
            **common,
        )
    control, fit_args = None, {}
    if args.batch_size is None:
        from ._checkpoint import Checkpoint, LoopControl, parse_duration

        if args.checkpoint:
            every = parse_duration(args.checkpoint_every)
            control = Checkpoint(args.checkpoint, every=every, resume=args.resume)
        else:
            control = LoopControl()
        fit_args["checkpoint"] = control
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, _stop_on_sigint(control):
        warnings.simplefilter("always")
        W = model.fit_transform(X, **fit_args)
    elapsed = time.perf_counter() - start
    model.save(args.output)
    if args.W:
        np.save(args.W, W)
    print(f"data        {X.shape[0]} x {X.shape[1]} ({'sparse' if hasattr(X, 'nnz') else 'dense'})")
    how = f"batch size {args.batch_size}" if args.batch_size else f"solver={args.solver}"
    print(f"model       k={model.n_components_}, loss={args.loss}, {how}")
    steps = "passes" if args.batch_size else "iterations"
    print(f"fit         {model.n_iter_} {steps} in {elapsed:.2f} s ({model.stop_reason_})")
    err = model.reconstruction_err_
    print(f"loss        {model.loss_curve_[-1]:.6g} (reconstruction error {err:.6g})")
    print(f"saved       {args.output}")
    if args.resume and control.resumed_from is not None:
        print(f"resumed     from iteration {control.resumed_from} ({control.path})")
    elif args.resume:
        print(f"resumed     nothing: no checkpoint in {args.checkpoint}, started afresh")
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    if getattr(model, "stop_reason_", None) == "interrupted":
        again = f"; continue with --checkpoint {args.checkpoint} --resume" * bool(args.checkpoint)
        print(
            f"warning: interrupted after iteration {model.n_iter_}: the factors reached so far "
            f"are saved in {args.output}{again}",
            file=sys.stderr,
        )
        return 130
    return 0


@contextlib.contextmanager
def _stop_on_sigint(control):
    """Ctrl-C asks the fit to stop after the current iteration; a second one aborts."""
    if control is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        control.stop_requested = True
        signal.signal(signal.SIGINT, previous)
        print("\nstopping after the current iteration (Ctrl-C again to abort)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _loss(name):
    try:
        return float(name)
    except ValueError:
        return name


def _cmd_transform(args):
    from . import load

    writable(args.output, "W file")
    model = load(args.model)
    X = read_matrix(args.input)
    W = model.transform(X)
    np.save(args.output, W)
    print(f"W {W.shape[0]} x {W.shape[1]} written to {args.output}")
    return 0


def _cmd_demo(args):
    from . import NMF
    from .datasets import make_swimmer, match_parts

    if args.restarts < 1:
        raise CLIError(f"--restarts must be at least 1, got {args.restarts}")
    X, _ = make_swimmer()
    print(f"Swimmer (Donoho & Stodden 2003): {X.shape[0]} images of 32 x 32, built in code.")
    print("Each image is a torso plus 4 limbs in one of 4 positions: 17 parts in all.")
    best = None
    start = time.perf_counter()
    for seed in range(args.seed, args.seed + args.restarts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = NMF(
                args.n_components, init="random", random_state=seed, max_iter=1000, tol=1e-8
            ).fit(X)
        if best is None or model.loss_curve_[-1] < best.loss_curve_[-1]:
            best = model
    elapsed = time.perf_counter() - start
    rel = best.reconstruction_err_ / np.linalg.norm(X)
    print(
        f"NMF k={args.n_components}, best of {args.restarts} random starts: relative error "
        f"{rel:.2e}, {best.n_iter_} iterations, {elapsed:.2f} s in all."
    )
    sim = match_parts(best.components_)
    found = sim >= 0.9
    print(f"Recovered {int(found.sum())} of 16 limb positions (cosine >= 0.9):")
    for name, row, srow in zip(("left arm", "right arm", "left leg", "right leg"), found, sim):
        marks = "  ".join(f"{'yes' if f else 'no ':>3} ({s:.2f})" for f, s in zip(row, srow))
        print(f"  {name:<10} {marks}")
    if args.plot:
        try:
            _plot_parts(best.components_, args.plot)
            print(f"Parts image written to {args.plot}")
        except ImportError:
            print("matplotlib is not installed: no image written (pip install 'nmfkit[plot]').")
    return 0


def _plot_parts(H, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = H.shape[0]
    cols = min(k, 9)
    rows = -(-k // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.2, rows * 1.3))
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i < k:
            ax.imshow(H[i].reshape(32, 32), cmap="gray_r")
            ax.set_title(str(i), fontsize=8)
    fig.suptitle("NMF parts of the Swimmer images")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _cmd_info(args):
    from .engines import available_engines

    print(f"nmfkit {__version__}")
    print(f"python {sys.version.split()[0]}")
    print(f"engines: {', '.join(available_engines())}")
    for lib in ("numpy", "scipy", "scikit-learn", "numba", "torch", "dask", "matplotlib", "pandas"):
        try:
            version = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        print(f"  {lib:<13} {version}")
    return 0


def _apps(name):
    """A command of ``_cli_apps`` (imported when it runs)."""

    def run(args):
        from . import _cli_apps

        return getattr(_cli_apps, name)(args)

    return run


def _parser():
    p = argparse.ArgumentParser(
        prog="nmfkit", description="Non-negative matrix factorization X ~ W H."
    )
    p.add_argument("--version", action="version", version=f"nmfkit {__version__}")
    p.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one-line errors"
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    f = sub.add_parser("fit", help="factorize a matrix file and save the model")
    f.add_argument("input", help="data file: .npy, .npz, .mtx, .csv or .tsv (samples x features)")
    f.add_argument("-k", "--n-components", type=int, required=True, help="number of components")
    f.add_argument(
        "-o", "--output", default="model.npz", help="model file to write (default: model.npz)"
    )
    f.add_argument("--W", metavar="PATH", help="also write W (samples x k) to this .npy file")
    f.add_argument(
        "--loss",
        default="frobenius",
        help=f"beta-divergence: one of {', '.join(_LOSSES)} or a number (default: frobenius)",
    )
    f.add_argument(
        "--solver",
        default="auto",
        choices=("auto", "hals", "cd", "mu", "bpp", "ccd"),
        help="solver (default: auto)",
    )
    f.add_argument(
        "--init",
        default=None,
        choices=("random", "nndsvd", "nndsvda", "nndsvdar"),
        help="initialisation (default: nndsvda)",
    )
    f.add_argument("--max-iter", type=int, default=200, help="maximum iterations (default: 200)")
    f.add_argument(
        "--tol",
        type=float,
        default=1e-4,
        help="relative decrease per 10 iterations to stop at (default: 1e-4)",
    )
    f.add_argument("--seed", type=int, default=None, help="random seed")
    f.add_argument(
        "--engine",
        default="auto",
        choices=("auto", "numpy", "torch"),
        help="array library to fit on (default: auto; torch needs nmfkit[torch])",
    )
    f.add_argument(
        "--device", default=None, help="torch device such as cuda or cpu (implies --engine torch)"
    )
    f.add_argument(
        "--batch-size",
        type=int,
        default=None,
        metavar="N",
        help="fit from mini-batches of N rows (MiniBatchNMF); a .npy input is then read "
        "memory-mapped, a batch at a time",
    )
    f.add_argument(
        "--observed",
        default="all",
        choices=("all", "stored"),
        help="sparse input: 'stored' counts only the stored entries as known, the others "
        "are left out of the loss (default: all; NaN in dense input is always unknown)",
    )
    f.add_argument(
        "--checkpoint",
        metavar="DIR",
        help="save the fit's progress to DIR/checkpoint.npz now and then (atomically)",
    )
    f.add_argument(
        "--checkpoint-every",
        default="60s",
        metavar="TIME",
        help="time between checkpoints: 60s, 5m, 1h (default: 60s)",
    )
    f.add_argument(
        "--resume",
        action="store_true",
        help="continue from the checkpoint in --checkpoint DIR (same data and parameters)",
    )
    f.add_argument("--alpha-W", type=float, default=0.0, help="penalty weight (default: 0)")
    f.add_argument(
        "--l1-ratio", type=float, default=0.0, help="L1 share of the penalty (default: 0)"
    )
    f.add_argument(
        "-v", "--verbose", action="count", default=0, help="print the loss at each check"
    )
    f.set_defaults(func=_cmd_fit)

    t = sub.add_parser("transform", help="compute W for new data with a saved model")
    t.add_argument("model", help="model file written by 'nmfkit fit'")
    t.add_argument("input", help="data file with the model's number of features")
    t.add_argument("-o", "--output", default="W.npy", help=".npy file for W (default: W.npy)")
    t.set_defaults(func=_cmd_transform)

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
        "--sep", default=None, help="field separator (default: ',' for .csv, else whitespace)"
    )
    r.set_defaults(func=_apps("cmd_recommend"))

    tp = sub.add_parser("topics", help="topics of a corpus, similar documents, an HTML report")
    tp.add_argument(
        "corpus",
        help=".txt (a document per line), .jsonl[.gz] (a JSON object per line) or .tsv/.csv "
        "(a header row and a text column)",
    )
    tp.add_argument("-k", "--n-topics", type=int, default=20, help="number of topics (default: 20)")
    tp.add_argument(
        "--loss",
        default="frobenius",
        choices=("frobenius", "kl", "kullback-leibler"),
        help="NMF loss (default: frobenius)",
    )
    tp.add_argument("--n-words", type=int, default=10, help="words shown per topic (default: 10)")
    tp.add_argument("--report", metavar="HTML", help="write a self-contained HTML report here")
    tp.add_argument(
        "--similar", type=int, metavar="N", help="list the documents most similar to document N"
    )
    tp.add_argument(
        "--text-field",
        default="text",
        help="JSON field or CSV/TSV column of the text (default: text)",
    )
    tp.add_argument("--encoding", default="utf-8", help="file encoding (default: utf-8)")
    tp.add_argument(
        "--min-df", type=float, default=2, help="drop words in fewer documents (default: 2)"
    )
    tp.add_argument(
        "--max-df",
        type=float,
        default=0.95,
        help="drop words in a larger share of documents (default: 0.95)",
    )
    tp.add_argument(
        "--no-stop-words", action="store_true", help="keep English stop words (dropped by default)"
    )
    tp.add_argument("--max-iter", type=int, default=200, help="maximum iterations (default: 200)")
    tp.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    tp.add_argument("-o", "--output", default=None, help="also save the model to this .npz file")
    tp.set_defaults(func=_apps("cmd_topics"))

    im = sub.add_parser("images", help="the parts of an image stack (NMF basis images) as a PNG")
    im.add_argument(
        "input", help="a folder of same-size .png images, or .npy/.npz of shape (n, h, w)"
    )
    im.add_argument("-k", "--n-components", type=int, required=True, help="number of parts")
    im.add_argument("--out", default="parts.png", help="PNG of the parts (default: parts.png)")
    im.add_argument("--patch", type=int, nargs=2, metavar=("H", "W"), help="factorize patches")
    im.add_argument(
        "--normalize",
        action="store_true",
        help="scale each image to pixel mean and std 0.25, clipped to [0, 1] (Lee & Seung 1999)",
    )
    im.add_argument("--max-patches", type=int, default=None, help="patches per image")
    im.add_argument(
        "--solver", default="auto", choices=("auto", "hals", "mu", "bpp"), help="(default: auto)"
    )
    im.add_argument("--max-iter", type=int, default=200, help="maximum iterations (default: 200)")
    im.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    im.add_argument("-o", "--output", default=None, help="also save the model to this .npz file")
    im.set_defaults(func=_apps("cmd_images"))

    rk = sub.add_parser("rank", help="criteria for choosing the number of components")
    rk.add_argument("input", help="data file: .npy, .npz, .mtx, .csv or .tsv")
    rk.add_argument("--ranks", default="2-10", help="ranks: 2-10, 5-30:5 or 2,3,5 (default: 2-10)")
    rk.add_argument("--runs", type=int, default=30, help="random starts per rank (default: 30)")
    rk.add_argument(
        "--criteria",
        default="consensus,stability,heldout,error",
        help="comma-separated, from consensus, stability, heldout, error (default: all)",
    )
    rk.add_argument("--plot", metavar="PNG", help="draw every criterion against rank (matplotlib)")
    rk.add_argument("--jobs", type=int, default=None, help="parallel processes (-1: all CPUs)")
    rk.add_argument("--max-iter", type=int, default=200, help="maximum iterations per fit")
    rk.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    rk.set_defaults(func=_apps("cmd_rank"))

    cs = sub.add_parser("consensus", help="a consensus factorization from many random starts")
    cs.add_argument("input", help="data file: .npy, .npz, .mtx, .csv or .tsv")
    cs.add_argument("-k", "--n-components", type=int, required=True, help="number of components")
    cs.add_argument("--runs", type=int, default=50, help="random starts (default: 50)")
    cs.add_argument(
        "-o", "--output", default="consensus.npz", help="model file (default: consensus.npz)"
    )
    cs.add_argument("--jobs", type=int, default=None, help="parallel processes (-1: all CPUs)")
    cs.add_argument("--max-iter", type=int, default=200, help="maximum iterations per fit")
    cs.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    cs.set_defaults(func=_apps("cmd_consensus"))

    d = sub.add_parser("demo", help="find the parts of the built-in Swimmer images")
    d.add_argument("-k", "--n-components", type=int, default=17, help="components (default: 17)")
    d.add_argument("--restarts", type=int, default=5, help="random starts, best kept (default: 5)")
    d.add_argument("--seed", type=int, default=0, help="first seed (default: 0)")
    d.add_argument(
        "--plot",
        default="swimmer_parts.png",
        metavar="PNG",
        help="image of the parts (needs matplotlib; '' for none; default: swimmer_parts.png)",
    )
    d.set_defaults(func=_cmd_demo)

    i = sub.add_parser("info", help="version, engines and optional libraries")
    i.set_defaults(func=_cmd_info)
    return p


def main(argv=None):
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"nmfkit {args.command}: interrupted", file=sys.stderr)
        return 130
    except (CLIError, ValueError, TypeError, OSError, KeyError, ImportError) as exc:
        if args.debug:
            raise
        print(f"nmfkit {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
