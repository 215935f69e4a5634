"""``nmfkit images``: the parts (basis images) of an image stack, drawn to a PNG."""

import time

from ..applications.consensus import check_rank
from ..applications.images import _rows_and_pixels, fit_images, normalize_contrast, read_images
from ..applications.metrics import hoyer_sparseness
from ..core.solvers import solver_names
from ._common import CLIError, add_iterations_and_seed, add_loss, check_paths, loss_of, save_figure


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
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
        "--solver", default="auto", choices=solver_names(beta=2.0), help="(default: auto)"
    )
    add_iterations_and_seed(im, save_to=True)
    add_loss(im)
    im.set_defaults(func=run)
    return im


def run(args):
    """``nmfkit images``: the parts (basis images) of an image stack, drawn to a PNG."""
    check_paths([args.input], [(args.out, "image"), (args.output, "model")])

    images = read_images(args.input)
    shape = _rows_and_pixels(images, args.patch, args.max_patches)
    check_rank(None, args.n_components, shape, "lower -k")
    if args.normalize:
        images = normalize_contrast(images)
    patch = tuple(args.patch) if args.patch else None
    start = time.perf_counter()
    model, basis = fit_images(
        images,
        args.n_components,
        patch_size=patch,
        max_patches=args.max_patches,
        random_state=args.seed,
        max_iter=args.max_iter,
        solver=args.solver,
        beta_loss=loss_of(args),
    )
    elapsed = time.perf_counter() - start
    what = f"patches {patch[0]}x{patch[1]}" if patch else "whole images"
    print(f"{len(images)} images of {images.shape[1]}x{images.shape[2]}, {what}")
    print(
        f"{args.n_components} parts in {elapsed:.2f} s ({model.n_iter_} iterations, "
        f"{model.stop_reason_}); Hoyer sparseness of the parts "
        f"{hoyer_sparseness(model.components_)[1]:.3f}"
    )
    try:
        import matplotlib

        matplotlib.use("Agg")
        from ..applications.plot import components_as_images

        fig, _ = components_as_images(
            basis.reshape(len(basis), -1), basis.shape[1:], title="NMF parts"
        )
        save_figure(fig, args.out)
        print(f"parts image {args.out}")
    except ImportError:
        raise CLIError("drawing the parts needs matplotlib: pip install 'nmfkit[plot]'") from None
    if args.output:
        model.save(args.output)
        print(f"saved       {args.output}")
    return 0
