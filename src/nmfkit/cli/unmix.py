"""``nmfkit unmix``: endmember spectra and abundance maps of a hyperspectral cube."""

import re
import time

import numpy as np

from ..applications.unmixing import Unmixing
from ._common import (
    CLIError,
    add_input,
    add_loss,
    check_paths,
    loss_of,
    read_input,
    save_array,
    save_figure,
)


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    u = sub.add_parser(
        "unmix",
        help="hyperspectral unmixing: endmember spectra and abundance maps",
        description="Unmix a hyperspectral cube into k materials (minimum-volume NMF with "
        "abundances on the simplex, nmfkit.Unmixing) and draw their spectra and maps.",
    )
    add_input(u, ".npy/.npz cube (rows, cols, bands), or pixels x bands (also .csv, .mtx) "
              "with --shape")  # fmt: skip
    u.add_argument("-k", "--k", "--n-components", dest="k", type=int, required=True,
                   help="number of endmembers (materials)")  # fmt: skip
    u.add_argument("--shape", help="ROWSxCOLS of the scene, for pixels x bands input (e.g. 95x95)")
    u.add_argument(
        "--bands-first",
        action="store_true",
        help="the input is bands x pixels (or bands x rows x cols), as MATLAB scenes are",
    )
    u.add_argument(
        "--order",
        choices=["C", "F"],
        default="C",
        help="pixel order of 2-D input: C row by row (default), F column by column (MATLAB)",
    )
    u.add_argument(
        "--out", default="maps.png", help="image of spectra and maps (default: maps.png)"
    )
    u.add_argument(
        "--abundances",
        help="save the abundances (pixels x k, pixels row by row) to this .npy",
    )
    u.add_argument("--endmembers", help="save the endmember spectra (k x bands) to this .npy")
    u.add_argument(
        "--min-volume",
        type=float,
        default=0.1,
        help="relative weight of the minimum-volume penalty (default 0.1; 0: none)",
    )
    u.add_argument("--max-iter", type=int, default=1000, help="most iterations (default 1000)")
    add_loss(u, only=(2.0,), why="minimum-volume unmixing (nmfkit.Unmixing) fits the squared "
             "error of the pixels")  # fmt: skip
    u.set_defaults(func=run)
    return u


def _read(args):
    """The array in a file ``read_matrix`` reads (``--key``, ``--transpose``), dense."""
    fix = "fill them in first (nmfkit fit leaves unknown entries out)"
    cube = read_input(args, rows="pixels", cols="bands", missing=fix)
    if hasattr(cube, "toarray"):
        cube = cube.toarray()
    return np.asarray(cube)


def _pixels(cube, args):
    """(pixels x bands in row-major order, (rows, cols) or None)."""
    if cube.ndim == 3:
        if args.bands_first:
            cube = np.moveaxis(cube, 0, -1)
        rows, cols, bands = cube.shape
        if args.shape and args.shape.lower().replace(",", "x") != f"{rows}x{cols}":
            raise CLIError(
                f"--shape {args.shape} but the cube is {rows}x{cols} pixels of {bands} bands; "
                "drop --shape for a cube"
            )
        return cube.reshape(rows * cols, bands), (rows, cols)
    if cube.ndim != 2:
        raise CLIError(f"the input has shape {cube.shape}; give a cube or pixels x bands")
    X = cube.T if args.bands_first else cube
    if not args.shape:
        return X, None
    m = re.fullmatch(r"(\d+)[xX,](\d+)", args.shape)
    if not m:
        raise CLIError(f"--shape {args.shape!r} is not ROWSxCOLS (e.g. 95x95)")
    rows, cols = int(m.group(1)), int(m.group(2))
    if rows * cols != X.shape[0]:
        hint = "" if args.bands_first else " (is it bands x pixels? add --bands-first)"
        raise CLIError(
            f"--shape {rows}x{cols} holds {rows * cols} pixels but the input has {X.shape[0]}{hint}"
        )
    if args.order == "F":
        X = X[np.arange(rows * cols).reshape(cols, rows).T.ravel()]
    return X, (rows, cols)


def run(args):
    """``nmfkit unmix``: fit, print a summary, draw and save."""
    check_paths(
        [args.input],
        [(args.out, "image"), (args.abundances, "abundances file"),
         (args.endmembers, "endmembers file")],
    )  # fmt: skip
    if args.k < 1:
        raise CLIError(f"--k must be at least 1, got {args.k}")
    loss_of(args)  # frobenius only, refused now otherwise
    X, shape = _pixels(_read(args), args)
    if not np.issubdtype(X.dtype, np.number):
        raise CLIError(f"the input holds {X.dtype} values; give numbers")
    model = Unmixing(args.k, min_volume=args.min_volume, max_iter=args.max_iter, image_shape=shape)
    start = time.perf_counter()
    A = model.fit_transform(X.astype(np.float64))
    elapsed = time.perf_counter() - start
    print(f"{X.shape[0]} pixels x {X.shape[1]} bands" + (f", scene {shape[0]}x{shape[1]}"
          if shape else ""))  # fmt: skip
    print(
        f"{args.k} endmembers in {elapsed:.2f} s ({model.n_iter_} iterations); pixel error "
        f"median {np.median(model.pixel_error_):.4f}, max {model.pixel_error_.max():.4f}"
    )
    for j in range(args.k):
        print(f"  endmember {j}: mean abundance {A[:, j].mean():.3f}, "
              f"pure (> 0.9) in {int((A[:, j] > 0.9).sum())} pixels")  # fmt: skip
    if args.abundances:
        save_array(args.abundances, A)
        print(f"abundances  {args.abundances}")
    if args.endmembers:
        save_array(args.endmembers, model.components_)
        print(f"endmembers  {args.endmembers}")
    if shape is None:
        print("no maps drawn: give --shape ROWSxCOLS (or a cube) for abundance maps")
        return 0
    try:
        import matplotlib

        matplotlib.use("Agg")
        from ..applications.plot import unmixing
    except ImportError:
        raise CLIError("drawing the maps needs matplotlib: pip install 'nmfkit[plot]'") from None
    fig, _ = unmixing(model)
    save_figure(fig, args.out)
    print(f"maps        {args.out}")
    return 0
