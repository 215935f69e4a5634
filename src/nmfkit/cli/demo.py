"""``nmfkit demo``: the parts of the built-in Swimmer images."""

import time
import warnings

import numpy as np

from ..applications.datasets import make_swimmer, match_parts
from ..estimators.nmf import NMF
from ._common import CLIError, add_loss, check_paths, loss_of, save_figure


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
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
    add_loss(
        d,
        only=(2.0, 1.0),
        why="the Swimmer images hold zeros, which Itakura-Saito and beta < 1 cannot fit",
    )
    d.set_defaults(func=run)
    return d


def run(args):
    if args.restarts < 1:
        raise CLIError(f"--restarts must be at least 1, got {args.restarts}")
    check_paths([], [(args.plot, "plot")])  # before the fit, not after it
    beta_loss = loss_of(args)
    X, _ = make_swimmer()
    print(f"Swimmer (Donoho & Stodden 2003): {X.shape[0]} images of 32 x 32, built in code.")
    print("Each image is a torso plus 4 limbs in one of 4 positions: 17 parts in all.")
    best = None
    start = time.perf_counter()
    for seed in range(args.seed, args.seed + args.restarts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = NMF(
                args.n_components,
                init="random",
                random_state=seed,
                max_iter=1000,
                tol=1e-8,
                beta_loss=beta_loss,
            ).fit(X)
        if best is None or model.loss_curve_[-1] < best.loss_curve_[-1]:
            best = model
    elapsed = time.perf_counter() - start
    err = best.reconstruction_err_
    if beta_loss == "frobenius":
        error = f"relative error {err / np.linalg.norm(X):.2e}"
    else:
        error = f"loss {beta_loss}, divergence {err:.3g}"
    print(
        f"NMF k={args.n_components}, best of {args.restarts} random starts: {error}, "
        f"{best.n_iter_} iterations, {elapsed:.2f} s in all."
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
    save_figure(fig, path)
    plt.close(fig)
