"""Measures of a factorization: sparseness, fit, and agreement between two runs.

The public face of :mod:`nmfkit.applications.metrics`, where it lives.
"""

from .applications.metrics import *  # noqa: F403
from .applications.metrics import __all__  # noqa: F401
