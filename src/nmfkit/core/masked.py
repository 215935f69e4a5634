r"""Missing entries and per-entry weights: the observed entries of X and their loss.

A fit with unknown entries or weights minimises

.. math::

    \sum_{(i, j) \in \Omega} w_{ij}\, d_\beta(x_{ij} \mid (W H)_{ij}) + \text{penalties}

over the observed set Ω only. ``Observed`` holds Ω as a CSR structure (and its
transpose) with the values and weights of its entries, whatever X was: a dense array
with NaN for unknown entries, a sparse matrix whose stored entries are the known ones
(``observed='stored'``), or any X with a weight array (0 = unknown). Everything a
solver does then costs O(|Ω|·k): W H is only ever evaluated at the observed entries,
and no n_samples × n_features array is formed.
"""

import copy
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..arrays.engines._numpy import NumpyEngine, check_sparse
from ..arrays.kernels import kernel
from .losses import EPSILON, pointwise

__all__ = ["Observed", "observe", "needs_mask"]


@dataclass(eq=False)
class Observed:
    """The observed entries of an (n_samples, n_features) matrix, in CSR order: fit
    data of kind ``'masked'`` (the ``nmfkit.core.data.FitData`` protocol).

    Attributes
    ----------
    shape : tuple of int
    indptr, indices : ndarray
        CSR structure of the observed entries.
    values : ndarray of shape (n_observed,)
        X at the observed entries (float32 or float64: the fit's dtype).
    weights : ndarray of shape (n_observed,), float64
        Their weights (> 0; ones without ``weights``).
    indptr_t, indices_t, perm : ndarray
        The transposed structure, and where each of its entries sits in ``values``.
    """

    shape: tuple
    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    indptr_t: np.ndarray = field(init=False)
    indices_t: np.ndarray = field(init=False)
    perm: np.ndarray = field(init=False)
    _csr: object = field(init=False, default=None, repr=False)

    kind = "masked"
    all_known = False

    def __post_init__(self):
        carrier = sp.csr_matrix(
            (np.arange(self.nnz, dtype=np.int64), self.indices, self.indptr), shape=self.shape
        ).T.tocsr()
        self.indptr_t, self.indices_t, self.perm = carrier.indptr, carrier.indices, carrier.data

    def scaled(self, factor):
        """The same entries with values times ``factor`` (structure shared)."""
        out = copy.copy(self)
        out.values = self.values * self.values.dtype.type(factor)
        out._csr = None
        return out

    @property
    def nnz(self):
        """Number of observed entries."""
        return len(self.values)

    @property
    def dtype(self):
        return self.values.dtype

    @property
    def structure(self):
        """``(indptr, indices, indptr_t, indices_t, perm)``, as the kernels take it."""
        return self.indptr, self.indices, self.indptr_t, self.indices_t, self.perm

    @property
    def rows(self):
        """The row of every observed entry."""
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def matrix(self, data=None):
        """The observed entries as a CSR matrix (unknown entries as implicit zeros)."""
        data = self.values if data is None else data
        return sp.csr_matrix((data, self.indices, self.indptr), shape=self.shape)

    def wh(self, W, H):
        """Values of W H at the observed entries, shape (n_observed,)."""
        out = np.empty(self.nnz, dtype=np.result_type(W.dtype, H.dtype))
        Ht = np.ascontiguousarray(H.T)
        return kernel("wh_at", NumpyEngine())(self.indptr, self.indices, W, Ht, out)

    def mean(self):
        """Weighted mean of the observed values."""
        return float(self.weights @ self.values) / max(float(self.weights.sum()), 1e-300)

    @property
    def csr(self):
        """The observed values as a CSR matrix (cached; the structure is shared)."""
        if self._csr is None:
            self._csr = self.matrix()
        return self._csr

    def divergence(self, W, H, beta, facts=None, stats=None):
        """Σ w·d_β(x | W H) over the observed entries (float64, never negative)."""
        y = self.wh(W, H)
        if beta != 2:
            y = np.maximum(y, EPSILON)
        return max(pointwise(self.values, y, beta, weights=self.weights), 0.0)

    # -- the rest of the FitData protocol --------------------------------------------
    def describe(self):
        x = self.values.astype(np.float64)
        return {"normX2": float(self.weights @ (x * x)), "nnz": int(np.count_nonzero(x))}

    def max_value(self):
        return float(self.values.max()) if self.values.size else 0.0

    def count_zeros(self):
        return int((self.values == 0).sum())

    def total_weight(self):
        return float(self.weights.sum())

    def svd_source(self):
        return self.matrix()

    def fingerprint(self):
        arrays = dict(
            indptr=self.indptr, indices=self.indices, values=self.values, weights=self.weights
        )
        return arrays, ""


def needs_mask(X, weights, observed):
    """Whether a fit on X must go through ``Observed`` (unknown entries or weights)."""
    if weights is not None or (observed == "stored" and sp.issparse(X)):
        return True
    if sp.issparse(X):
        return False
    try:
        a = np.asarray(X)
    except (TypeError, ValueError):
        return False  # check_input says what is wrong
    return a.dtype.kind == "f" and bool(np.isnan(a).any())


def _check_weights(weights, shape, caller):
    """Weights as float64 (dense ndarray or CSR) of X's shape, finite and >= 0."""
    if sp.issparse(weights):
        check_sparse(weights, caller, "weights")
        weights = sp.csr_matrix(weights, dtype=np.float64)
        values = weights.data
    else:
        try:
            weights = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{caller}: weights could not be read as numbers ({exc}); pass a numeric "
                "array of X's shape."
            ) from None
        values = weights
    if weights.shape != tuple(shape):
        raise ValueError(
            f"{caller}: weights has shape {weights.shape} but X has shape {tuple(shape)}; "
            "pass one weight per entry of X (0 marks an unknown entry)."
        )
    if not np.isfinite(values).all():
        raise ValueError(
            f"{caller}: weights contains {int((~np.isfinite(values)).sum())} NaN or inf "
            "entries; weights must be finite (use 0 for an unknown entry)."
        )
    if values.size and values.min() < 0:
        raise ValueError(
            f"{caller}: weights has {int((values < 0).sum())} negative entries (min "
            f"{values.min():.3g}); weights must be >= 0 (0 marks an unknown entry)."
        )
    return weights


def observe(X, weights=None, observed="all", caller="NMF.fit"):
    """The observed entries of X as an ``Observed``, with every input error raised.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Dense: NaN marks an unknown entry. Sparse: with ``observed='stored'`` the stored
        entries are the known ones; with ``'all'`` every entry is known (implicit
        zeros are zeros) and only ``weights`` can mark entries unknown.
    weights : array-like or sparse matrix of X's shape, optional
        Non-negative weight of each entry; 0 marks it unknown. A sparse ``weights``
        gives weight 0 to every entry it does not store.
    observed : {'all', 'stored'}
    caller : str

    Returns
    -------
    Observed
    """
    engine = NumpyEngine()
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        if observed == "stored" and X.dtype.kind == "f" and np.isnan(X.data).any():
            raise ValueError(
                f"{caller}: X is sparse with observed='stored' and stores "
                f"{int(np.isnan(X.data).sum())} NaN values; with observed='stored' the "
                "unknown entries are the ones not stored. Drop the NaN entries from X "
                "(or pass a dense X, where NaN marks unknown entries)."
            )
        X = engine.check_input(X, caller=caller)
        if not X.has_sorted_indices:
            X = X.sorted_indices()
    else:
        X = engine.check_input(X, caller=caller, allow_nan=True)
    shape = X.shape
    W8 = None if weights is None else _check_weights(weights, shape, caller)
    dtype = X.dtype

    if sp.issparse(X) and observed == "stored":
        mask = X.copy()
        mask.data = np.ones_like(mask.data, dtype=np.float64)
        if W8 is not None:
            mask = mask.multiply(W8).tocsr() if sp.issparse(W8) else _take(mask, W8)
        keep = _structure(mask)
        values = _gather(X, keep)
    elif sp.issparse(X):
        if W8 is None:  # pragma: no cover - needs_mask never sends this case here
            raise ValueError(f"{caller}: nothing is unknown in X; fit it without a mask.")
        keep = _structure(sp.csr_matrix(W8))
        values = _gather(X, keep)
    else:
        known = ~np.isnan(X)
        if W8 is not None:
            dense_w = W8.toarray() if sp.issparse(W8) else W8
            known &= dense_w > 0
            keep = sp.csr_matrix(np.where(known, dense_w, 0.0))
        else:
            keep = sp.csr_matrix(known.astype(np.float64))
        keep.sort_indices()
        rows = np.repeat(np.arange(shape[0]), np.diff(keep.indptr))
        values = X[rows, keep.indices]
    obs = Observed(shape, keep.indptr, keep.indices, values.astype(dtype), keep.data)
    if obs.nnz == 0:
        raise ValueError(
            f"{caller}: X has no observed entries (every entry is NaN, unstored with "
            "observed='stored', or of weight 0); NMF needs some known values."
        )
    return obs


def _structure(M):
    """CSR of the entries of M with a positive value, indices sorted (values = weights)."""
    M = sp.csr_matrix(M, copy=True)
    M.data[M.data < 0] = 0  # already checked; keeps the type of M.multiply results
    M.eliminate_zeros()
    M.sort_indices()
    return M


def _take(mask, dense):
    """mask's structure with values taken from a dense array at its entries."""
    rows = np.repeat(np.arange(mask.shape[0]), np.diff(mask.indptr))
    out = mask.copy()
    out.data = dense[rows, mask.indices].astype(np.float64)
    return out


def _gather(X, keep):
    """X's values at the entries of ``keep`` (0 where X stores nothing)."""
    rows = np.repeat(np.arange(keep.shape[0]), np.diff(keep.indptr))
    return np.asarray(X[rows, keep.indices]).ravel()
