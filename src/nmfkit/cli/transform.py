"""``nmfkit transform``: W for new data with a saved model."""

from ..arrays.ops import to_host
from ..core.io import load, read_matrix
from ._common import CLIError, check_paths, save_array


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    t = sub.add_parser("transform", help="compute W for new data with a saved model")
    t.add_argument("model", help="model file written by 'nmfkit fit'")
    t.add_argument("input", help="data file with the model's number of features")
    t.add_argument("-o", "--output", default="W.npy", help=".npy file for W (default: W.npy)")
    t.set_defaults(func=run)
    return t


def run(args):
    check_paths([args.model, args.input], [(args.output, "W file")])
    model = load(args.model)
    if not callable(getattr(model, "transform", None)):
        raise CLIError(
            f"{args.model} holds a {type(model).__name__}, which has no transform; give a "
            "model written by 'nmfkit fit' (or 'nmfkit recommend' for a Recommender)"
        )
    X = read_matrix(args.input)
    W = model.transform(X)
    W = to_host(W)  # a model fitted on Dask transforms to a Dask array
    save_array(args.output, W)
    print(f"W {W.shape[0]} x {W.shape[1]} written to {args.output}")
    return 0
