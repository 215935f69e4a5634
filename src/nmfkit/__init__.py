"""nmfkit: fast, scikit-learn-compatible non-negative matrix factorization.

>>> from nmfkit import NMF

The names below load on first use (PEP 562): ``import nmfkit`` itself imports nothing
heavy, so the command line starts at once and answers Ctrl-C during its imports in one
line, and ``from nmfkit import NMF`` loads only what NMF needs.
"""

import importlib as _importlib
import importlib.abc as _abc
import importlib.util as _util
import sys as _sys

from ._version import __version__

# public name -> the module that defines it
_EXPORTS = {
    "NMF": "nmfkit.estimators.nmf",
    "MiniBatchNMF": "nmfkit.estimators.minibatch",
    "Recommender": "nmfkit.applications.recommender.model",
    "TopicModel": "nmfkit.applications.topics.model",
    "ConsensusNMF": "nmfkit.applications.consensus",
    "select_rank": "nmfkit.applications.rank",
    "GeneProgramNMF": "nmfkit.applications.programs",
    "to_anndata": "nmfkit.applications.annotate",
    "read_h5ad": "nmfkit.applications.annotate",
    "RankSurvey": "nmfkit.applications.rank",
    "topic_coherence": "nmfkit.applications.topics.coherence",
    "non_negative_factorization": "nmfkit.estimators.api",
    "read_ratings": "nmfkit.applications.recommender.ratings",
    "rating_metrics": "nmfkit.applications.recommender.evaluation",
    "cross_validate_ratings": "nmfkit.applications.recommender.evaluation",
    "load": "nmfkit.core.io",
    "Checkpoint": "nmfkit.estimators.checkpoint",
    "Unmixing": "nmfkit.applications.unmixing",
    "SeparableNMF": "nmfkit.estimators.separable",
    "SemiNMF": "nmfkit.estimators.semi",
    "SymmetricNMF": "nmfkit.estimators.symmetric",
    "ConvolutiveNMF": "nmfkit.estimators.convolutive",
    "similarity_graph": "nmfkit.estimators.symmetric",
    "normalize_graph": "nmfkit.estimators.symmetric",
    "Simplex": "nmfkit.core.constraints",
    "Box": "nmfkit.core.constraints",
    "Hoyer": "nmfkit.core.constraints",
    "Orthogonal": "nmfkit.core.constraints",
    "Frozen": "nmfkit.core.constraints",
    "MinVolume": "nmfkit.core.constraints",
}
# the modules that define the classes a model file may hold: ``load`` imports them
# first, since a class is known to the reader only once its module has run
_MODEL_MODULES = (
    "nmfkit.estimators.nmf",
    "nmfkit.estimators.minibatch",
    "nmfkit.estimators.separable",
    "nmfkit.estimators.semi",
    "nmfkit.estimators.symmetric",
    "nmfkit.estimators.convolutive",
    "nmfkit.applications.recommender.model",
    "nmfkit.applications.topics.model",
    "nmfkit.applications.consensus",
)
# the optional layers, as modules: nmfkit.plot needs matplotlib
_MODULES = ("plot", "images", "metrics", "datasets")

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name):
    if name == "load":
        for module in _MODEL_MODULES:
            _importlib.import_module(module)
    if name in _EXPORTS:
        value = getattr(_importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # the next access is a plain attribute
        return value
    if name in _MODULES:
        return _importlib.import_module(f"nmfkit.{name}")
    raise AttributeError(f"module 'nmfkit' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_EXPORTS, *_MODULES})


# Pickles (joblib.dump, pickle.dump) made before the layered package name their classes
# by the private modules of the time: importing one of those names gives a module that
# forwards every attribute to the module the classes live in now
_MOVED = {
    "nmfkit._estimator": "nmfkit.estimators.nmf",
    "nmfkit._minibatch": "nmfkit.estimators.minibatch",
    "nmfkit._checkpoint": "nmfkit.estimators.checkpoint",
    "nmfkit._recommender": "nmfkit.applications.recommender.model",
    "nmfkit._topics": "nmfkit.applications.topics.model",
    "nmfkit._consensus": "nmfkit.applications.consensus",
    "nmfkit._rank": "nmfkit.applications.rank",
}


class _Moved(_abc.MetaPathFinder, _abc.Loader):
    """Finds the old module names of ``_MOVED`` and makes each a forwarding module."""

    def find_spec(self, fullname, path=None, target=None):
        return _util.spec_from_loader(fullname, self) if fullname in _MOVED else None

    def create_module(self, spec):
        return None  # a plain new module

    def exec_module(self, module):
        target = _importlib.import_module(_MOVED[module.__name__])
        module.__getattr__ = lambda name: getattr(target, name)


if not any(isinstance(finder, _Moved) for finder in _sys.meta_path):
    _sys.meta_path.append(_Moved())
