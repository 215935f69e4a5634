"""The ``nmfkit`` command line: the sub-commands assembled, and the one error policy.

Every user error (missing or malformed file, bad parameter) ends with exit code 2 and
one line on stderr; ``--debug`` shows the traceback instead. A warning is one line too
(``nmfkit CMD: warning: ...``, no source path), while a command runs.
"""

import argparse
import signal
import sys

from .._version import __version__
from ._common import CLIError, Terminated, announce_compiling, one_line_warnings, signals_handled
from .cluster import add_parser as cluster
from .consensus import add_parser as consensus
from .demo import add_parser as demo
from .fit import add_parser as fit
from .images import add_parser as images
from .info import add_parser as info
from .programs import add_parser as programs
from .rank import add_parser as rank
from .recommend import add_parser as recommend
from .separate import add_parser as separate
from .topics import add_parser as topics
from .transform import add_parser as transform
from .unmix import add_parser as unmix

__all__ = ["main", "COMMANDS"]

# one module per sub-command; its add_parser(sub) registers the sub-command and its run(args)
# handler (named imports, not `from . import`: this module and the package import no cycle);
# in help order
COMMANDS = (
    fit, transform, recommend, topics, images, unmix, separate, cluster, rank, consensus,
    programs, demo, info,
)  # fmt: skip


def build_parser():
    """The argument parser of every sub-command."""
    p = argparse.ArgumentParser(
        prog="nmfkit", description="Non-negative matrix factorization X ~ W H."
    )
    p.add_argument("--version", action="version", version=f"nmfkit {__version__}")
    p.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one-line errors"
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command(sub)
    return p


# What a run may raise for a bad file, a bad value or a full machine: one line, exit 2.
# (LookupError: an unknown encoding; ArithmeticError: an overflow; RecursionError: a
# deeply nested JSON file.) Anything else is a bug and shows its traceback.
_USER_ERRORS = (
    CLIError,
    ValueError,
    TypeError,
    OSError,
    LookupError,
    ImportError,
    EOFError,
    ArithmeticError,
    RecursionError,
    MemoryError,
)


def main(argv=None):
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with (
            _ending_signals(),
            one_line_warnings(args.command, getattr(args, "jobs", None), _options(parser, args)),
            announce_compiling(args.command),
        ):
            return args.func(args)
    except Terminated as exc:
        # SIGTERM or SIGHUP outside a fit: unwound, so no temporary file is left
        name = signal.Signals(exc.signum).name
        print(f"nmfkit {args.command}: {name}: stopped, nothing more written", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"nmfkit {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`nmfkit info | head -1`): stop quietly, as cat does
        _silence_stdout()
        return 141
    except _USER_ERRORS as exc:
        if args.debug:
            raise
        print(f"nmfkit {args.command}: error: {_describe(exc)}", file=sys.stderr)
        return 2


def _options(parser, args):
    """The option strings of the sub-command that ``args`` runs."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return frozenset(o for a in sub.choices[args.command]._actions for o in a.option_strings)


def _ending_signals():
    """SIGTERM and SIGHUP raise ``Terminated`` while a command runs (a fit installs its
    own handlers, which stop it after the iteration). Signals the caller ignores
    (``nohup``) stay ignored."""
    return signals_handled(("SIGTERM", "SIGHUP"), _terminate)


def _terminate(signum, frame):
    raise Terminated(signum)


def _describe(exc):
    """An exception as one line of text."""
    if isinstance(exc, MemoryError):
        return f"out of memory ({exc or 'an allocation failed'}); use a smaller input or a "\
            "machine with more memory"  # fmt: skip
    if isinstance(exc, KeyError):  # str(KeyError) is the key alone, in quotes
        return f"missing {exc}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text


def _silence_stdout():
    """Point stdout at /dev/null, so that the exit flush does not fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
