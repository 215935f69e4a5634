"""nmfkit: fast, scikit-learn-compatible non-negative matrix factorization.

>>> from nmfkit import NMF
"""

from ._version import __version__
from .applications.consensus import ConsensusNMF
from .applications.rank import RankSurvey, select_rank
from .applications.recommender.evaluation import cross_validate_ratings, rating_metrics
from .applications.recommender.model import Recommender
from .applications.recommender.ratings import read_ratings
from .applications.topics.coherence import topic_coherence
from .applications.topics.model import TopicModel
from .core.io import load
from .estimators.api import non_negative_factorization
from .estimators.checkpoint import Checkpoint
from .estimators.minibatch import MiniBatchNMF
from .estimators.nmf import NMF

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
