"""The NumPy / SciPy engine: dense ndarrays and scipy.sparse CSR matrices."""

import numpy as np
import scipy.sparse as sp

__all__ = ["NumpyEngine"]


class NumpyEngine:
    """Run on NumPy arrays and scipy.sparse matrices in host memory.

    Dense X stays an ndarray; sparse X (any scipy.sparse matrix or array) becomes CSR.
    The few operations the array API lacks live here so solvers never branch on type.
    """

    name = "numpy"
    xp = np

    # -- input -----------------------------------------------------------------
    def check_input(self, X, caller="NMF.fit", name="X"):
        """Return X as a float32/float64 ndarray or CSR matrix, or raise.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        caller : str
            Named first in every message.
        name : str
            What X is called in messages ("X", "W", "H"). Zeros are checked in the
            Plan, where the loss is known.
        """
        if sp.issparse(X):
            X = X.tocsr() if X.format != "csr" else X
            if X.dtype not in (np.float32, np.float64):
                X = X.astype(np.float64)
            if not X.has_canonical_format:
                X = X.copy()
                X.sum_duplicates()
            values = X.data
        else:
            if hasattr(X, "dtype") and getattr(X.dtype, "kind", "f") in "OSUV":
                try:
                    X = np.asarray(X, dtype=np.float64)
                except (TypeError, ValueError) as exc:
                    raise type(exc)(
                        f"{caller}: {name} has dtype object with non-numeric entries "
                        f"({exc}); convert it to a numeric array first."
                    ) from None
            try:
                X = np.asarray(X)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{caller}: {name} could not be read as an array ({exc})."
                ) from None
            if X.dtype.kind not in "biuf":
                what = "Complex data not supported: " if X.dtype.kind == "c" else ""
                raise ValueError(
                    f"{caller}: {what}{name} has dtype {X.dtype}; NMF needs real numbers. "
                    "Convert it with np.asarray(X, dtype=float)."
                )
            if X.ndim != 2:
                hint = (
                    " Reshape your data with X.reshape(-1, 1) for one feature or "
                    "X.reshape(1, -1) for one sample."
                    if X.ndim == 1
                    else ""
                )
                raise ValueError(
                    f"{caller}: Expected a 2-D {name} but got a {X.ndim}-D array of "
                    f"shape {X.shape}.{hint}"
                )
            if X.dtype not in (np.float32, np.float64):
                X = X.astype(np.float64)
            values = X
        for axis, what in ((0, "sample(s)"), (1, "feature(s)")):
            if X.shape[axis] == 0:
                raise ValueError(
                    f"{caller}: Found array with 0 {what} (shape={X.shape}) while a "
                    f"minimum of 1 is required; {name} needs at least one row and column."
                )
        self._check_values(values, caller, name)
        return X

    @staticmethod
    def _check_values(values, caller, name):
        finite = np.isfinite(values)
        if not finite.all():
            n_nan = int(np.isnan(values).sum())
            n_inf = int((~finite).sum()) - n_nan
            what = " and ".join(
                s for s in (f"{n_nan} NaN" if n_nan else "", f"{n_inf} inf" if n_inf else "") if s
            )
            raise ValueError(
                f"{caller}: {name} contains {what} entries; NMF needs finite values and "
                "does not support missing values yet: impute or drop them first."
            )
        if values.size and values.min() < 0:
            neg = values < 0
            raise ValueError(
                f"{caller}: Negative values in data: {name} has {int(neg.sum())} negative "
                f"entries (min {float(values.min()):.3g}); NMF needs {name} >= 0."
            )

    # -- queries ---------------------------------------------------------------
    @staticmethod
    def is_sparse(X):
        return sp.issparse(X)

    @staticmethod
    def count_zeros(X):
        """Number of entries of X equal to zero, implicit sparse zeros included."""
        if sp.issparse(X):
            return X.shape[0] * X.shape[1] - X.nnz + int((X.data == 0).sum())
        return int(X.size - np.count_nonzero(X))

    @staticmethod
    def scalar(x):
        """Read a 0-d array (or number) back to the host as a Python float."""
        return float(x)

    # -- products ---------------------------------------------------------------
    @staticmethod
    def XHt(X, H):
        """X @ H.T of shape (n_samples, k)."""
        return np.ascontiguousarray(X @ H.T)

    @staticmethod
    def WtX(W, X):
        """W.T @ X of shape (k, n_features), sparse X included."""
        if sp.issparse(X):
            return np.ascontiguousarray((X.T @ W).T)
        return W.T @ X

    @staticmethod
    def XtW(X, W):
        """X.T @ W of shape (n_features, k), C-contiguous."""
        return np.ascontiguousarray(X.T @ W)

    @staticmethod
    def sq_norm(X):
        """Squared Frobenius norm, accumulated in float64."""
        v = X.data if sp.issparse(X) else X.ravel()
        v = v.astype(np.float64, copy=False)
        return float(v @ v)

    @staticmethod
    def total(X):
        """Sum of all entries, accumulated in float64."""
        return float(X.sum(dtype=np.float64))

    def wh_at(self, X, W, H):
        """Values of W @ H at the stored entries of CSR X, in X.data order.

        Parameters
        ----------
        X : CSR matrix of shape (n_samples, n_features)
        W : ndarray of shape (n_samples, k)
        H : ndarray of shape (k, n_features)
        """
        from ..kernels import kernel

        out = np.empty(X.nnz, dtype=np.result_type(W, H))
        Ht = np.ascontiguousarray(H.T)
        return kernel("wh_at", self)(X.indptr, X.indices, np.ascontiguousarray(W), Ht, out)

    @staticmethod
    def with_values(X, values):
        """A CSR matrix with X's sparsity pattern and new stored values."""
        return sp.csr_matrix((values, X.indices, X.indptr), shape=X.shape)

    # -- movement ----------------------------------------------------------------
    @staticmethod
    def asarray(a, dtype):
        return np.ascontiguousarray(a, dtype=dtype)

    @staticmethod
    def to_output(A, like=None):
        """Return A in the input's array type (here: a C-contiguous ndarray)."""
        return np.ascontiguousarray(A)
