"""The ``nmfkit`` command line: the sub-commands assembled, and the one error policy.

Every user error (missing or malformed file, bad parameter) ends with exit code 2 and
one line on stderr; ``--debug`` shows the traceback instead.
"""

import argparse
import sys

from .._version import __version__
from . import consensus, demo, fit, images, info, rank, recommend, topics, transform
from ._common import CLIError

__all__ = ["main", "COMMANDS"]

# one module per sub-command, each with add_parser(sub) and run(args); in help order
COMMANDS = (fit, transform, recommend, topics, images, rank, consensus, demo, info)


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
        command.add_parser(sub).set_defaults(func=command.run)
    return p


def main(argv=None):
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
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
