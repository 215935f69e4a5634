"""``nmfkit info``: version, engines and optional libraries."""

import importlib.metadata
import sys

from .._version import __version__
from ..arrays.engines import available_engines


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    i = sub.add_parser("info", help="version, engines and optional libraries")
    i.set_defaults(func=run)
    return i


def run(args):
    print(f"nmfkit {__version__}")
    print(f"python {sys.version.split()[0]}")
    print(f"engines: {', '.join(available_engines())}")
    for lib in ("numpy", "scipy", "scikit-learn", "numba", "torch", "dask", "matplotlib", "pandas"):
        try:
            version = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        print(f"  {lib:<13} {version}")
    return 0
