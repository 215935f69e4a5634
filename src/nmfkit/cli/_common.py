"""What the sub-commands share: the one-line user error, the input file options
(``add_input``/``read_input``), the one ``--loss`` option (``add_loss``/``loss_of``),
output checks and atomic writes, one-line warnings, progress bars (on a terminal only)."""

import contextlib
import math
import os
import re
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
    "add_loss",
    "loss_of",
    "LOSS_HELP",
    "add_input",
    "read_input",
    "warning_line",
    "on_terminal",
    "add_iterations_and_seed",
    "draw",
    "fit_progress",
    "FitProgress",
    "one_line_warnings",
    "announce_compiling",
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


# --loss: one option, one help text and one parser for every command that fits a model
_LOSS_WORDS = {
    "frobenius": 2.0,
    "kullback-leibler": 1.0,
    "kl": 1.0,
    "itakura-saito": 0.0,
    "is": 0.0,
}
LOSS_HELP = (
    "the beta-divergence minimised: frobenius (beta 2), kl or kullback-leibler (beta 1), "
    "is or itakura-saito (beta 0), or a number beta"
)


def add_loss(parser, default="frobenius", only=None, why=None):
    """``--loss`` with the one help text. Every command that fits a model takes it;
    ``only`` (a tuple of betas) restricts it where the command's method is defined for
    those losses alone, ``why`` says why, in the help and in the error of ``loss_of``.
    (``transform`` takes it to check it against the saved model; ``info`` fits nothing.)"""
    text = f"{LOSS_HELP} (default: {default})"
    if only is not None:
        text += f"; here {' or '.join(_loss_word(b) for b in only)} only: {why}"
    parser.add_argument("--loss", default=default, metavar="LOSS", help=text)
    parser.set_defaults(loss_rule=(only, why))


def _loss_word(beta):
    from ..core.losses import loss_name

    return loss_name(beta)


def parse_loss(text, only=None, why=None):
    """A --loss value as ``beta_loss``: the loss's name ('frobenius', 'kullback-leibler',
    'itakura-saito') or, for any other β, the number. CLIError for anything else, or for
    a β outside ``only`` (naming ``why``)."""
    word = str(text).strip().lower()
    if word in _LOSS_WORDS:
        beta = _LOSS_WORDS[word]
    else:
        try:
            beta = float(word)
        except ValueError:
            beta = math.nan
        if not math.isfinite(beta):
            raise CLIError(
                f"--loss {text!r} is not a loss (the 'beta_loss' parameter of the fit); use "
                "frobenius, kl (kullback-leibler), is (itakura-saito) or a number beta"
            )
    if only is not None and beta not in only:
        names = " or ".join(_loss_word(b) for b in only)
        raise CLIError(f"--loss {text}: {why}; use --loss {names}")
    name = _loss_word(beta)
    return name if name in _LOSS_WORDS else beta


def loss_of(args):
    """``parse_loss`` of ``args.loss`` under the command's rule (``add_loss``'s ``only``)."""
    only, why = getattr(args, "loss_rule", (None, None))
    return parse_loss(args.loss, only, why)


# the input file: one positional argument and the same --key and --transpose everywhere
def add_input(parser, help):
    """The data file argument, ``--key`` and ``--transpose`` (read with ``read_input``)."""
    parser.add_argument("input", help=help)
    parser.add_argument(
        "--key",
        metavar="NAME",
        help="the array of an .npz file to read (needed when it holds several and none is "
        "named X), or the layer of an .h5ad file (default: its X)",
    )
    parser.add_argument(
        "--transpose",
        action="store_true",
        help="the file holds the matrix the other way round (features x samples): read it "
        "transposed",
    )


def read_input(args, rows="samples", cols="features", missing=None):
    """The matrix of ``args.input`` as ``--key`` and ``--transpose`` choose, reported on
    stdout (which file and array, its shape, the orientation).

    Parameters
    ----------
    args : argparse.Namespace
        With ``input``, ``key`` and ``transpose`` (``add_input``).
    rows, cols : str
        What the rows and columns are, for the report.
    missing : str, optional
        None: the command takes unknown entries (NaN: empty CSV fields, nan) as the
        estimators do. Else the fix to name when the file has some: the command needs
        every entry.
    """
    from ..core.readers import read_matrix_from

    X, source = read_matrix_from(args.input, args.key)
    if args.transpose and X.ndim != 2:
        raise CLIError(
            f"--transpose turns a matrix around, but {source} holds an array of shape "
            f"{X.shape}" + (" (for a bands-first cube: --bands-first)" if X.ndim == 3 else "")
        )
    if args.transpose:
        X = X.T.tocsr() if hasattr(X, "tocsr") else X.T
    values = X.data if hasattr(X, "nnz") else X
    unknown = int(values.size - _count_finite(values)) if missing is not None else 0
    if unknown:
        raise CLIError(
            f"{args.input} has {unknown} unknown (empty or nan) entries, which this command "
            f"cannot leave out; {missing}"
        )
    kind = "sparse" if hasattr(X, "nnz") else "dense"
    shape = f"{X.shape[0]} {rows} x {X.shape[1]} {cols}" if X.ndim == 2 else f"shape {X.shape}"
    how = ", transposed" if args.transpose else ""
    print(f"input       {source}: {shape} ({kind}{how})")
    return X


def _count_finite(values):
    import numpy as np

    if values.dtype.kind not in "fc":
        return values.size
    return int(np.count_nonzero(np.isfinite(values)))


# the library's ConvergenceWarning (core.loop.max_iter_message), said in the command's terms
_MAX_ITER = re.compile(
    r"Maximum number of iterations (\d+) reached\. Increase it to improve convergence "
    r"\(max_iter=\d+, tol=([^;]+); a larger tol also stops sooner\)\."
)


def warning_line(command, message, options=()):
    """A warning as the command line prints it: one line, no source path. The iteration
    limit's warning names the command's own options (``options``: its option strings),
    not the Python parameters."""
    text = " ".join(str(message).split())
    found = _MAX_ITER.search(text)
    if found:
        n, tol = found.groups()
        fix = [f"raise --max-iter (now {n})"] if "--max-iter" in options else []
        fix += [f"raise --tol (now {tol}) to stop sooner"] if "--tol" in options else []
        said = f"stopped after {n} iterations, before the fit converged"
        text = text[: found.start()] + said + (f"; {', or '.join(fix)}" if fix else "")
    return f"nmfkit {command}: warning: {text}"


class _OneLine:
    """A ``warnings.showwarning`` that prints ``warning_line``, each text once."""

    def __init__(self, command, options=()):
        self.command, self.options = command, options
        self.shown = set()  # a warning repeated by each of many runs prints once

    def __call__(self, message, category, filename, lineno, file=None, line=None):
        text = warning_line(self.command, message, self.options)
        if text in self.shown:
            return
        self.shown.add(text)
        try:
            (sys.stderr if file is None else file).write(text + "\n")
        except (OSError, ValueError, AttributeError):
            pass  # stderr is gone: as warnings.showwarning does


def _one_line_in_worker(command, options=()):
    """The initializer of the joblib worker processes a command starts: their warnings
    (which reach them under the caller's filters, sklearn.utils.parallel) print as one
    line too."""
    import warnings

    warnings.showwarning = _OneLine(command, options)


@contextlib.contextmanager
def one_line_warnings(command, jobs=None, options=()):
    """While the block runs, every warning shown prints as ``warning_line`` on stderr,
    each text once, in this process and, for a command run with ``--jobs`` other than 1,
    in the joblib (loky) worker processes it starts (the command line's ``main``
    installs it; the library never changes how warnings show)."""
    import warnings

    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        if jobs is not None and jobs != 1:
            from joblib import parallel_config

            # the commands' parallel fits run on loky, joblib's default, either way
            stack.enter_context(
                parallel_config(
                    backend="loky", initializer=_one_line_in_worker, initargs=(command, options)
                )
            )
        warnings.showwarning = _OneLine(command, options)
        yield


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


@contextlib.contextmanager
def announce_compiling(command):
    """While the block runs, on a terminal: the library's announcement of its first
    kernel compile (logger ``nmfkit.kernels``) as one line on stderr."""
    import logging

    from ..arrays.kernels import logger

    if not on_terminal():
        yield
        return

    class Line(logging.Handler):
        def emit(self, record):
            try:
                sys.stderr.write(f"nmfkit {command}: {record.getMessage()}\n")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass

    handler, level = Line(logging.INFO), logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def on_terminal():
    """Whether stderr is a terminal: progress bars are drawn there only (a log file or a
    pipe gets no carriage returns)."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced by an object without it, or closed
        return False


def draw(label, done, total, extra=""):
    """Redraw the one-line progress bar on stderr, on a terminal (else nothing)."""
    if not on_terminal():
        return
    filled = int(30 * min(done / total, 1.0))
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}{extra}")
    sys.stderr.flush()


def fit_progress(max_iter, delay=2.0):
    """An NMF callback drawing the progress bar (``FitProgress``)."""
    return FitProgress(max_iter, delay)


class FitProgress:
    """An NMF callback drawing the progress bar with the loss and the time so far: on a
    terminal only, and only once the fit has run ``delay`` seconds (a short fit draws
    nothing). ``close()`` ends the bar's line if one was drawn.

    Parameters
    ----------
    max_iter : int
    delay : float, default=2.0
        Seconds before the first drawing.
    """

    def __init__(self, max_iter, delay=2.0):
        self.max_iter = max_iter
        self.delay = delay
        self.start = time.perf_counter()
        self.drawn = False

    def __call__(self, n_iter, loss, W, H):
        elapsed = time.perf_counter() - self.start
        if elapsed >= self.delay and on_terminal():
            draw("fitting", n_iter, self.max_iter, f" loss {loss:.5g} {elapsed:.1f}s")
            self.drawn = True
        return False

    def close(self):
        """End the bar's line (when one was drawn)."""
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.drawn = False


def bar(label):
    """A ``progress(done, total)`` callback drawing the progress bar, ended by a newline,
    on a terminal; elsewhere (a log, a pipe) only the finished bar, as one plain line."""

    def show(done, total):
        if on_terminal():
            draw(label, done, total)
            if done == total:
                sys.stderr.write("\n")
        elif done == total:
            sys.stderr.write(f"{label} [{'#' * 30}] {done}/{total}\n")
            sys.stderr.flush()

    return show
