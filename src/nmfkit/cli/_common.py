"""What the sub-commands share: the one-line user error, output checks and atomic
writes, progress bars."""

import contextlib
import os
import signal
import sys
import threading
import time

from ..core.files import write_atomic

__all__ = [
    "CLIError",
    "Terminated",
    "signals_handled",
    "writable",
    "check_paths",
    "save_array",
    "save_figure",
    "save_text",
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


class Terminated(BaseException):
    """SIGTERM or SIGHUP while a command runs: unwinds like Ctrl-C (``finally`` blocks and
    ``write_atomic``'s cleanup run), then the command line exits 128 + the signal."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def signals_handled(names, handler, previous=None):
    """``handler`` for the named signals while the block runs, then the handlers before.

    Only in the main thread (Python allows no other), and only for signals that exist
    here and that the process does not ignore (``nohup``, a background job): those stay
    ignored. The handlers before go into ``previous`` (a dict the caller may hold, so
    that its handler can read it from the first signal on), which is also yielded.
    """
    previous = {} if previous is None else previous
    try:
        if threading.current_thread() is threading.main_thread():
            for name in names:
                signum = getattr(signal, name, None)
                if signum is not None and signal.getsignal(signum) is not signal.SIG_IGN:
                    previous[signum] = signal.signal(signum, handler)
        yield previous
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def check_paths(inputs, outputs):
    """Raise CLIError now, before any work, for an output that cannot be written, that
    is one of the inputs (writing it would replace the data), or that another output
    also names.

    Parameters
    ----------
    inputs : sequence of str or None
        The files the command reads.
    outputs : sequence of (str or None, str)
        Each output path (None: not asked for) and what it is, for messages.
    """
    seen = {}
    for path, what in outputs:
        if path is None or path == "":
            continue
        writable(path, what)
        if os.path.exists(path) and not os.path.isfile(path):
            raise CLIError(f"the {what} {path} is not a regular file; choose a file name")
        for source in inputs:
            if source and os.path.exists(path) and os.path.exists(source):
                if os.path.samefile(path, source):
                    raise CLIError(
                        f"the {what} {path} is the input {source}: writing it would replace "
                        "the input; choose another name"
                    )
        key = os.path.realpath(path)
        if key in seen:
            raise CLIError(f"the {what} and the {seen[key]} are the same file {path}")
        seen[key] = what


def save_array(path, array):
    """np.save to exactly ``path`` (no '.npy' added), atomically."""
    import numpy as np

    write_atomic(path, lambda f: np.save(f, array))


def save_figure(fig, path, dpi=100):
    """A matplotlib figure to ``path`` atomically, in the format its suffix names."""
    fmt = os.path.splitext(path)[1][1:].lower() or "png"
    write_atomic(path, lambda f: fig.savefig(f, format=fmt, dpi=dpi, bbox_inches="tight"))


def save_text(path, text):
    """UTF-8 text to ``path`` atomically."""
    write_atomic(path, lambda f: f.write(text.encode("utf-8")))


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
