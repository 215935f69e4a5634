"""Parts of images: NMF on image stacks or patches, and the basis images it finds.

The public face of :mod:`nmfkit.applications.images`, where it lives.
"""

from .applications.images import *  # noqa: F403
from .applications.images import __all__  # noqa: F401
