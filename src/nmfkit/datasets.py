"""Built-in data sets, generated in code (no download).

The public face of :mod:`nmfkit.applications.datasets`, where it lives.
"""

from .applications.datasets import *  # noqa: F403
from .applications.datasets import __all__  # noqa: F401
