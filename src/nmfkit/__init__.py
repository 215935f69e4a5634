"""nmfkit: fast, scikit-learn-compatible non-negative matrix factorization.

>>> from nmfkit import NMF
"""

import sys as _sys

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

# Pickles (joblib.dump, pickle.dump) made before the layered package name their classes
# by the private modules of the time: those names stay importable
_MOVED = {
    "nmfkit._estimator": "nmfkit.estimators.nmf",
    "nmfkit._minibatch": "nmfkit.estimators.minibatch",
    "nmfkit._checkpoint": "nmfkit.estimators.checkpoint",
    "nmfkit._recommender": "nmfkit.applications.recommender.model",
    "nmfkit._topics": "nmfkit.applications.topics.model",
    "nmfkit._consensus": "nmfkit.applications.consensus",
    "nmfkit._rank": "nmfkit.applications.rank",
}
for _old, _new in _MOVED.items():
    _sys.modules.setdefault(_old, _sys.modules[_new])
del _old, _new

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
