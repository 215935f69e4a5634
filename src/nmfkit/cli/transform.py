"""``nmfkit transform``: W for new data with a saved model."""

from ..arrays.ops import to_host
from ..core.io import load
from ..core.losses import beta_from_loss, loss_name
from ._common import (
    CLIError,
    add_input,
    add_loss,
    check_paths,
    loss_of,
    parse_loss,
    read_input,
    save_array,
)


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    t = sub.add_parser("transform", help="compute W for new data with a saved model")
    t.add_argument("model", help="model file written by 'nmfkit fit'")
    add_input(t, "data file with the model's number of features")
    t.add_argument("-o", "--output", default="W.npy", help=".npy file for W (default: W.npy)")
    add_loss(t, default=None)
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
    _check_loss(args, model)
    X = read_input(args)
    features = getattr(model, "n_features_in_", None)
    if features is not None and len(X.shape) == 2 and X.shape[1] != features:
        hint = ("its rows are the model's features: add --transpose" if X.shape[0] == features
                else "give data with one column per feature of the model")  # fmt: skip
        raise CLIError(
            f"{args.input} has {X.shape[1]} features but the model {args.model} has "
            f"{features}; {hint}"
        )
    W = model.transform(X)
    W = to_host(W)  # a model fitted on Dask transforms to a Dask array
    save_array(args.output, W)
    print(f"W {W.shape[0]} x {W.shape[1]} written to {args.output}")
    return 0


def _check_loss(args, model):
    """--loss, when given, must be the saved model's: transform solves for W under it."""
    if args.loss is None:
        return
    beta = beta_from_loss(loss_of(args))
    fitted = getattr(model, "beta_loss", getattr(model, "loss", None))  # NMF's, TopicModel's
    if fitted is None:
        raise CLIError(f"--loss: {args.model} holds a {type(model).__name__}, which has no loss "
                       "to choose; drop --loss")  # fmt: skip
    fitted = beta_from_loss(parse_loss(fitted))
    if fitted != beta:
        raise CLIError(
            f"--loss {args.loss}: {args.model} was fitted with {loss_name(fitted)}"
            ", and transform solves for W under the model's loss; drop --loss, or fit a model "
            f"with nmfkit fit --loss {args.loss}"
        )
