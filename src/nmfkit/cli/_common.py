"""What the sub-commands share: the one-line user error, output checks, progress bars."""

import os
import sys
import time

__all__ = [
    "CLIError",
    "writable",
    "parse_loss",
    "add_iterations_and_seed",
    "draw",
    "fit_progress",
    "bar",
]


class CLIError(Exception):
    """A user error: reported in one line with exit code 2."""


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


def parse_loss(name):
    """A --loss value: a number (β) or a loss name."""
    try:
        return float(name)
    except ValueError:
        return name


def add_iterations_and_seed(parser, per_fit=False, save_to=False):
    """--max-iter and --seed (default 0) as the application commands take them, and
    -o/--output when the command can also save its model."""
    what = "maximum iterations per fit" if per_fit else "maximum iterations (default: 200)"
    parser.add_argument("--max-iter", type=int, default=200, help=what)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    if save_to:
        parser.add_argument(
            "-o", "--output", default=None, help="also save the model to this .npz file"
        )


def draw(label, done, total, extra=""):
    """Redraw the one-line progress bar on stderr."""
    filled = int(30 * min(done / total, 1.0))
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}{extra}")
    sys.stderr.flush()


def fit_progress(max_iter):
    """An NMF callback drawing the progress bar with the loss and the time so far."""
    start = time.perf_counter()

    def show(n_iter, loss, W, H):
        elapsed = time.perf_counter() - start
        draw("fitting", n_iter, max_iter, f" loss {loss:.5g} {elapsed:.1f}s")
        return False

    return show


def bar(label):
    """A ``progress(done, total)`` callback drawing the progress bar, ended by a newline."""

    def show(done, total):
        draw(label, done, total)
        if done == total:
            sys.stderr.write("\n")

    return show
