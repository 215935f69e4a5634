"""The ``nmfkit`` command line: one module per sub-command (its arguments and its
handler); ``main`` assembles them."""

import sys

__all__ = ["main"]


def main(argv=None):
    """Run the command line; return the exit code (see ``nmfkit.cli.app``).

    The sub-commands and the libraries they need are imported here, not when this
    package is: Ctrl-C during those imports (seconds on a cold machine) ends in one
    line and exit code 130, as it does during a run.
    """
    try:
        from .app import main as run
    except KeyboardInterrupt:
        print("nmfkit: interrupted", file=sys.stderr)
        return 130
    return run(argv)
