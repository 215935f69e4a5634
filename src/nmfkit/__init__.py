"""nmfkit: fast, scikit-learn-compatible non-negative matrix factorization.

>>> from nmfkit import NMF
"""

from ._api import non_negative_factorization
from ._checkpoint import Checkpoint
from ._coherence import topic_coherence
from ._consensus import ConsensusNMF
from ._estimator import NMF
from ._evaluation import cross_validate_ratings, rating_metrics
from ._io import load
from ._minibatch import MiniBatchNMF
from ._rank import RankSurvey, select_rank
from ._ratings import read_ratings
from ._recommender import Recommender
from ._topics import TopicModel
from ._version import __version__

__all__ = [
    "NMF",
    "MiniBatchNMF",
    "Recommender",
    "TopicModel",
    "ConsensusNMF",
    "select_rank",
    "RankSurvey",
    "topic_coherence",
    "non_negative_factorization",
    "read_ratings",
    "rating_metrics",
    "cross_validate_ratings",
    "load",
    "Checkpoint",
    "__version__",
]


def __getattr__(name):
    # the optional layers load on first use: nmfkit.plot needs matplotlib
    if name in ("plot", "images", "metrics", "datasets"):
        import importlib

        return importlib.import_module(f"nmfkit.{name}")
    raise AttributeError(f"module 'nmfkit' has no attribute {name!r}")
