"""The data a fit works on: one small protocol, plain data and masked data behind it.

Everything a fit asks of X besides the solver's own products (its size, the facts the
Loop reuses, its largest entry and mean, the divergence of W H from it, a scaled copy,
the matrix NNDSVD takes the SVD of, what a checkpoint fingerprints) is a method of
``FitData``. ``Plain`` holds X as the engine keeps it, every entry known;
``nmfkit.core.masked.Observed`` holds the known entries of X and their weights. Callers
call these methods and never test which kind they hold. Solvers give one step per
``kind`` they fit (``Solver.steps``); the Loop runs the step for the data's kind.
"""

from typing import Protocol, runtime_checkable

from .losses import beta_divergence
from .masked import needs_mask, observe

__all__ = ["FitData", "Plain", "fit_data"]


@runtime_checkable
class FitData(Protocol):
    """What every kind of fit data answers.

    Attributes
    ----------
    kind : str
        Which step of a solver fits this data: ``'plain'`` or ``'masked'``.
    all_known : bool
        Every entry is known, with weight 1 (NNDSVD can start from it).
    shape : tuple of int
        (n_samples, n_features).
    dtype : numpy dtype
        float32 or float64: the fit's dtype.
    """

    kind: str
    all_known: bool
    shape: tuple

    @property
    def dtype(self): ...

    def describe(self):
        """Facts the Loop reuses at every check: ``normX2`` (Σ w x², float64) and
        ``nnz`` (the known non-zero entries)."""

    def max_value(self):
        """The largest known entry (0 for all-zero data)."""

    def mean(self):
        """The (weighted) mean of the known entries."""

    def count_zeros(self):
        """Known entries equal to zero (β <= 0 needs none)."""

    def total_weight(self):
        """Σ of the weights of the known entries (their number when unweighted)."""

    def divergence(self, W, H, beta, facts=None, stats=None):
        """Σ w·d_β(x | (W H)) over the known entries, never negative.

        ``facts`` is ``describe()``; ``stats`` holds Gram products valid for W or H
        (the Frobenius shortcut, plain data only)."""

    def scaled(self, factor):
        """The same data with every value times ``factor``."""

    def svd_source(self):
        """The matrix whose SVD NNDSVD takes (unknown entries as zeros)."""

    def fingerprint(self):
        """Host arrays that identify the data's content, and a text that stands for
        content not read (a lazy X): what a checkpoint compares."""


class Plain:
    """X as the engine holds it (dense or sparse, in memory, on a device or in chunks),
    every entry known with weight 1.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
        Checked by ``engine.check_input``.
    engine : Engine
    """

    kind = "plain"
    all_known = True

    def __init__(self, X, engine):
        self.X = X
        self.engine = engine

    @property
    def shape(self):
        return tuple(self.X.shape)

    @property
    def dtype(self):
        return self.engine.dtype_of(self.X)

    def describe(self):
        n_entries = self.shape[0] * self.shape[1]
        return {
            "normX2": self.engine.sq_norm(self.X),
            "nnz": n_entries - self.engine.count_zeros(self.X),
        }

    def max_value(self):
        return self.engine.max_value(self.X)

    def mean(self):
        return self.engine.total(self.X) / (self.shape[0] * self.shape[1])

    def count_zeros(self):
        return self.engine.count_zeros(self.X)

    def total_weight(self):
        return float(self.shape[0] * self.shape[1])

    def divergence(self, W, H, beta, facts=None, stats=None):
        return beta_divergence(self.X, W, H, beta, self.engine, facts, stats)

    def scaled(self, factor):
        return Plain(self.X * factor, self.engine)

    def svd_source(self):
        return self.X

    def fingerprint(self):
        return self.engine.fingerprint(self.X)


def fit_data(X, engine, weights=None, observed="all", caller="NMF.fit"):
    """Check X and return the data a fit works on: ``Observed`` when some entries are
    unknown (NaN in a dense X, ``observed='stored'``) or weighted, else ``Plain``.

    Parameters
    ----------
    X : array-like, sparse matrix, tensor or Dask array of shape (n_samples, n_features)
    engine : Engine
    weights : array-like or sparse matrix of X's shape, optional
    observed : {'all', 'stored'}, default='all'
    caller : str
        Named first in every message.
    """
    if not engine.fits_masked:
        if weights is not None or observed == "stored":
            raise ValueError(
                f"{caller}: unknown entries and weights (NaN in X, observed='stored', "
                f"weights=) run on the NumPy engine only, not on {engine.name!r}; pass "
                "NumPy or scipy.sparse data with engine='numpy'."
            )
    elif needs_mask(X, weights, observed):
        return observe(X, weights, observed, caller=caller)
    return Plain(engine.check_input(X, caller=caller), engine)
