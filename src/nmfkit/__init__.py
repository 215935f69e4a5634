"""nmfkit: fast, scikit-learn-compatible non-negative matrix factorization.

>>> from nmfkit import NMF
"""

from ._api import non_negative_factorization
from ._estimator import NMF
from ._io import load
from ._minibatch import MiniBatchNMF
from ._recommender import Recommender, read_ratings
from ._version import __version__

__all__ = [
    "NMF",
    "MiniBatchNMF",
    "Recommender",
    "non_negative_factorization",
    "read_ratings",
    "load",
    "__version__",
]
