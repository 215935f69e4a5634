"""Plots of factorizations (matplotlib, an optional extra: ``pip install 'nmfkit[plot]'``).

The public face of :mod:`nmfkit.applications.plot`, where it lives.
"""

from .applications.plot import *  # noqa: F403
from .applications.plot import __all__  # noqa: F401
