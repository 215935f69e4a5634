"""The NumPy / SciPy engine: dense ndarrays and scipy.sparse CSR matrices."""

import contextlib
import functools
import os
import threading

import numpy as np
import scipy.sparse as sp

from ..kernels._rows import even_blocks, map_blocks
from ..ops import add_parts
from ._base import Engine

__all__ = ["NumpyEngine", "check_sparse", "sparse_problem"]

# Products on the pool: one block of rows per 2**24 flops, at most 16 (big enough for
# BLAS to run at full speed on one thread).
_GEMM_BLOCK_WORK = 1 << 24
_GEMM_BLOCKS = 16


@functools.lru_cache(maxsize=1)
def _blas():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


# Pooled fits running now, and the limiter that holds BLAS to one thread while any does.
_holders = {"count": 0, "limiter": None}
_holders_lock = threading.Lock()


def _after_fork_in_child():
    """A forked child runs none of its parent's fits: it starts with no holders, a
    fresh lock (the parent's may have been held at the fork) and BLAS's own threads."""
    global _holders_lock
    _holders_lock = threading.Lock()
    limiter, _holders["limiter"], _holders["count"] = _holders["limiter"], None, 0
    if limiter is not None:
        try:
            limiter.restore_original_limits()
        except Exception:  # noqa: BLE001 - the child's BLAS as it is: a slower, not a wrong fit
            pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@contextlib.contextmanager
def _one_blas_thread():
    """BLAS on one thread while any pooled fit runs; restored when the last one ends.

    threadpoolctl restores what it found on entry, so two fits overlapping in two
    threads would otherwise leave BLAS on one thread for good.
    """
    with _holders_lock:
        if _holders["count"] == 0:
            _holders["limiter"] = _blas().limit(limits=1, user_api="blas")
        _holders["count"] += 1
    try:
        yield
    finally:
        with _holders_lock:
            _holders["count"] -= 1
            if _holders["count"] == 0:
                _holders["limiter"].restore_original_limits()
                _holders["limiter"] = None


def check_counts(caller, name, n_nan, n_inf, n_neg, low):
    """Raise the error for NaN, inf or negative entries, given their counts (and min)."""
    if n_nan or n_inf:
        what = " and ".join(
            s for s in (f"{n_nan} NaN" if n_nan else "", f"{n_inf} inf" if n_inf else "") if s
        )
        raise ValueError(
            f"{caller}: {name} contains {what} entries; {name} needs finite values here: "
            "impute or drop them first (NMF.fit on the NumPy engine takes NaN in a dense X "
            "as unknown entries)."
        )
    if n_neg:
        # scikit-learn's words first, so that a user's match on them keeps working
        who = "NMF" if caller.startswith("non_negative") else caller.split(".")[0]
        raise ValueError(
            f"{caller}: Negative values in data passed to {who} (input {name}): {name} has "
            f"{n_neg} negative entries (min {low:.3g}); NMF needs {name} >= 0."
        )


def check_scale(caller, name, high, shape, dtype):
    """Raise when the largest entry of X is too large or too small for ``dtype``.

    Solvers form Gram products of the factors (sums of max(shape) products) and their
    products again, so terms up to about s⁴ of the largest entry s appear: measured on
    float64, Frobenius fits overflowed from s = 1e80 and were right at 1e70. So s must lie
    in [tiny^(1/4), max^(1/4) / sqrt(max(shape))] of the dtype: about [1.2e-77, 1.2e77]
    for float64 and [3.3e-10, 4.3e9] for float32, less the shape term. Outside, the
    loss and the updates overflow or underflow (silently: a loss of 0 or inf would end
    the fit on a wrong answer), so the fit is refused with the fix.
    """
    if name != "X" or high == 0:
        return  # all-zero X has the exact factorization W = 0, H = 0
    info = np.finfo(dtype)
    upper = float(info.max) ** 0.25 / float(np.sqrt(max(shape)))
    lower = float(info.smallest_normal) ** 0.25
    if lower <= high <= upper:
        return
    if high > upper:
        hint = (
            "; pass X.astype(np.float64), or"
            if info.dtype == np.float32 and high <= np.finfo(np.float64).max ** 0.25 / 1e3
            else ":"
        )
        raise ValueError(
            f"{caller}: X's largest entry {high:.3g} is too large for {info.dtype}: the "
            f"products a fit forms would overflow (the limit for this shape is "
            f"{upper:.3g}){hint} divide X by a constant such as X.max() and multiply W by "
            "it afterwards."
        )
    raise ValueError(
        f"{caller}: X's largest entry {high:.3g} is too small for {info.dtype}: the loss "
        f"and its updates would underflow (the limit is {lower:.3g}); multiply X by a "
        "constant such as 1 / X.max() and divide W by it afterwards."
    )


def sparse_problem(X):
    """What is wrong with the structure of a compressed sparse matrix (CSR, CSC, BSR),
    or None. Nothing is changed (scipy's check_format(full_check=True) prunes and
    recasts the arrays it checks). A kernel or a format conversion given an index out
    of range writes or reads outside the arrays: the process can crash."""
    if X.format == "coo":  # its arrays may have been changed after it was built
        coords = [np.asarray(c) for c in X.coords] if hasattr(X, "coords") else [
            np.asarray(X.row), np.asarray(X.col)]  # fmt: skip
        if any(c.dtype.kind not in "iu" or c.shape != np.shape(X.data) for c in coords):
            return "its coordinate arrays are not integers of the data's length"
        for c, size in zip(coords, X.shape):
            if len(c) and (c.min() < 0 or c.max() >= size):
                return "an index is outside the shape"
        return None
    if X.format not in ("csr", "csc", "bsr"):
        return None  # DIA, LIL, DOK keep no index arrays a conversion could trust blindly
    indptr, indices = np.asarray(X.indptr), np.asarray(X.indices)
    if X.format == "bsr":
        rows, cols = X.shape[0] // X.blocksize[0], X.shape[1] // X.blocksize[1]
    else:
        rows, cols = X.shape if X.format == "csr" else X.shape[::-1]
    if indptr.dtype.kind not in "iu" or indices.dtype.kind not in "iu":
        return "its index arrays are not integers"
    if indptr.ndim != 1 or indices.ndim != 1 or len(indptr) != rows + 1:
        return f"indptr has {len(indptr)} entries, not {rows + 1}"
    if indptr[0] != 0 or indptr[-1] != len(indices) or len(X.data) != len(indices):
        return "indptr does not run from 0 to the number of stored entries"
    if len(indptr) > 1 and np.any(np.diff(indptr) < 0):
        return "indptr decreases"
    if len(indices) and (indices.min() < 0 or indices.max() >= cols):
        return f"an index is outside [0, {cols})"
    return None


def check_sparse(X, caller, name):
    """Raise, naming the fix, for a sparse matrix whose structure is not valid."""
    if X.dtype.kind == "c":  # a cast to real would drop the imaginary parts silently
        raise ValueError(
            f"{caller}: Complex data not supported: {name} is a sparse matrix of "
            f"{X.dtype}; NMF needs real numbers."
        )
    problem = sparse_problem(X)
    if problem is not None:
        raise ValueError(
            f"{caller}: {name} is a malformed sparse matrix: {problem}. Build it from valid "
            "parts (scipy.sparse.csr_matrix((data, indices, indptr), shape) with every "
            "index inside the shape and indptr non-decreasing from 0)."
        )


class _NumpyChecks:
    """How ``NumpyEngine._check_values_with`` counts, in NumPy."""

    isfinite = staticmethod(np.isfinite)
    isnan = staticmethod(np.isnan)

    @staticmethod
    def count(mask):
        return int(np.count_nonzero(mask))

    @staticmethod
    def min(values):
        return float(values.min()) if values.size else 0.0

    @staticmethod
    def max(values):
        return float(values.max()) if values.size else 0.0

    @staticmethod
    def dtype(values):
        return np.dtype(values.dtype)


class NumpyEngine(Engine):
    """Run on NumPy arrays and scipy.sparse matrices in host memory.

    Dense X stays an ndarray; sparse X (any scipy.sparse matrix or array) becomes CSR.
    The few operations the array API lacks live here so solvers never branch on type.
    """

    name = "numpy"
    fits_masked = True

    def __init__(self):
        self._pooled = False

    @classmethod
    def accepts(cls, X):
        """Anything array-like: NumPy is the default engine."""
        return True

    # -- threads -----------------------------------------------------------------
    def threads(self, pooled=True):
        """Context for a whole fit: BLAS on one thread, parallel work on nmfkit's pool.

        Inside it the products below (and row-wise kernels, see ``kernels._rows``) run
        over blocks of rows on nmfkit's pool. The blocks depend on the size of the work
        only, and BLAS on one thread sums in one order, so a fit gives the same bits
        whatever number of threads BLAS or nmfkit is given (tests/test_threads.py).
        It also keeps BLAS's idle threads, which spin for a while after each product,
        from taking the cores from the kernel that follows (on 2 cores that made a HALS
        sweep twice as slow); scikit-learn's KMeans holds BLAS the same way. ``pooled``
        is accepted for the Engine interface; the NumPy engine always pools.
        """
        return self._pooled_region()

    def _row_bounds(self, A, rows):
        """Blocks of A's rows for ``map_rows``/``reduce_rows`` (one block unless pooled)."""
        n = A.shape[0]
        # sparse blocks go to compiled kernels that split their work themselves
        if not self._pooled or n < 2 or any(sp.issparse(r) for r in (A, *rows)):
            return np.array([0, n])
        width = max([r.shape[1] for r in rows if getattr(r, "ndim", 2) == 2] + [1])
        k = A.shape[1] if getattr(A, "ndim", 1) == 2 else 1
        return even_blocks(n, 2 * width * k, _GEMM_BLOCK_WORK, _GEMM_BLOCKS)

    def map_rows(self, fn, A, *rows, whole=False):
        """``fn`` over blocks of rows of A (and ``rows``) on the pool; values summed in
        block order. See ``Engine.map_rows``."""
        bounds = None if whole else self._row_bounds(A, rows)
        if bounds is None or len(bounds) == 2:
            return fn(A, *rows)
        parts = map_blocks(lambda lo, hi: fn(A[lo:hi], *(r[lo:hi] for r in rows)), bounds)
        value = functools.reduce(add_parts, [p[1] for p in parts])  # in block order
        return np.concatenate([p[0] for p in parts]), value

    def reduce_rows(self, fn, *rows):
        """Σ over blocks of rows of ``fn(*blocks)``, on the pool, added in block order."""
        bounds = self._row_bounds(rows[-1], rows[:-1])
        if len(bounds) == 2:
            return fn(*rows)
        parts = map_blocks(lambda lo, hi: fn(*(r[lo:hi] for r in rows)), bounds)
        return functools.reduce(add_parts, parts)  # in block order

    @contextlib.contextmanager
    def _pooled_region(self):
        with _one_blas_thread():
            outer, self._pooled = self._pooled, True
            try:
                yield
            finally:
                self._pooled = outer

    # -- input -----------------------------------------------------------------
    def check_input(self, X, caller="NMF.fit", name="X", allow_nan=False):
        """Return X as a float32/float64 ndarray or CSR matrix, or raise (see
        ``Engine.check_input``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        caller : str
            Named first in every message.
        name : str
            What X is called in messages ("X", "W", "H"). Zeros are checked in the
            Plan, where the loss is known.
        allow_nan : bool, default=False
            Accept NaN in a dense X (unknown entries, see ``nmfkit.core.masked``).
        """
        if sp.issparse(X):
            check_sparse(X, caller, name)  # before any conversion or kernel reads it
            X = X.tocsr() if X.format != "csr" else X
            if X.dtype not in (np.float32, np.float64):
                X = X.astype(np.float64)
            # unsorted indices are fine (TfidfVectorizer makes them; no copy of a big
            # X for that); stored duplicates are summed, on a copy
            if not X.has_canonical_format and self._has_duplicates(X):
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
            # one memory layout for every input (Fortran order, DataFrames, views): the
            # BLAS sums in the same order, so a fit gives the same bits for the same values
            X = np.ascontiguousarray(X)
            values = X
        for axis, what in ((0, "sample(s)"), (1, "feature(s)")):
            if X.shape[axis] == 0:
                raise ValueError(
                    f"{caller}: Found array with 0 {what} (shape={X.shape}) while a "
                    f"minimum of 1 is required; {name} needs at least one row and column."
                )
        if allow_nan and not sp.issparse(X):
            values = values[~np.isnan(values)]
        self._check_values_with(values, caller, name, _NumpyChecks, X.shape)
        return X

    def _has_duplicates(self, X):
        from ..kernels import kernel

        return bool(kernel("csr_has_duplicates", self)(X.indptr, X.indices, X.shape[1]))

    @staticmethod
    def _check_values_with(values, caller, name, ops, shape):
        """Raise on NaN, inf, negative or out-of-scale values; ``ops`` counts (per library)."""
        finite = ops.isfinite(values)
        if not bool(finite.all()):
            n_nan = ops.count(ops.isnan(values))
            check_counts(caller, name, n_nan, ops.count(~finite) - n_nan, 0, 0.0)
        low = ops.min(values)
        if low < 0:
            check_counts(caller, name, 0, 0, ops.count(values < 0), low)
        check_scale(caller, name, ops.max(values), shape, ops.dtype(values))

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

    # -- products ---------------------------------------------------------------
    def XHt(self, X, H):
        """X @ H.T of shape (n_samples, k), C-contiguous."""
        if not self._pooled:
            return np.ascontiguousarray(X @ H.T)
        n, m = X.shape
        out = np.empty((n, H.shape[0]), dtype=np.result_type(X.dtype, H.dtype))
        if sp.issparse(X):
            from ..kernels import kernel

            Ht = np.ascontiguousarray(H.T, dtype=out.dtype)
            return kernel("csr_dense", self)(X.indptr, X.indices, X.data, Ht, out)

        def product(lo, hi):
            np.matmul(X[lo:hi], H.T, out=out[lo:hi])

        work = 2 * m * H.shape[0]
        map_blocks(product, even_blocks(n, work, _GEMM_BLOCK_WORK, _GEMM_BLOCKS))
        return out

    def WtX(self, W, X):
        """W.T @ X of shape (k, n_features), sparse X included."""
        if sp.issparse(X):
            return np.ascontiguousarray((X.T @ W).T)
        if self._pooled:
            return np.ascontiguousarray(self.XtW(X, W).T)
        return W.T @ X

    def XtW(self, X, W):
        """X.T @ W of shape (n_features, k), C-contiguous."""
        if not self._pooled or sp.issparse(X):
            return np.ascontiguousarray(X.T @ W)
        n, m = X.shape
        out = np.empty((m, W.shape[1]), dtype=np.result_type(X.dtype, W.dtype))

        def product(lo, hi):
            np.matmul(X[:, lo:hi].T, W, out=out[lo:hi])

        map_blocks(product, even_blocks(m, 2 * n * W.shape[1], _GEMM_BLOCK_WORK, _GEMM_BLOCKS))
        return out

    @staticmethod
    def max_value(X):
        """The largest entry of X (0 for an empty or all-zero X)."""
        v = X.data if sp.issparse(X) else X
        return float(v.max()) if v.size else 0.0

    @staticmethod
    def sq_norm(X):
        """Squared Frobenius norm, accumulated in float64 (float32 values are widened a
        block at a time: never a float64 copy of X)."""
        v = X.data if sp.issparse(X) else X.reshape(-1)
        if v.dtype == np.float64:
            return float(v @ v)
        block = 1 << 20
        return float(
            sum(
                float(b @ b)
                for b in (v[s : s + block].astype(np.float64) for s in range(0, v.size, block))
            )
        )

    @staticmethod
    def total(X):
        """Sum of all entries, accumulated in float64.

        For sparse X, the sum of its stored values: ``check_input`` has already summed
        any duplicates, and scipy's own ``sum`` would first sort unsorted indices in
        place, which fails on read-only (memory-mapped) input.
        """
        v = X.data if sp.issparse(X) else X
        return float(np.sum(v, dtype=np.float64))

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
    def values(X):
        """The stored values of sparse X, in storage order."""
        return X.data

    @staticmethod
    def csr_pair(X):
        """CSR parts of X and of Xᵀ, and where each entry of Xᵀ sits in X's values.

        Returns ``((indptr, indices, data), (indptr_t, indices_t, data_t), perm)`` with
        ``data_t = data[perm]``; dense X gives the parts of its non-zeros.
        """
        # shares X's arrays when X is CSR, so it is never modified in place (stored
        # zeros stay: the kernels skip them)
        Xc = sp.csr_matrix(X)
        carrier = sp.csr_matrix((np.arange(Xc.nnz), Xc.indices, Xc.indptr), shape=Xc.shape)
        Xt = Xc.T.tocsr()
        perm = carrier.T.tocsr().data
        parts = (Xc.indptr, Xc.indices, Xc.data)
        return parts, (Xt.indptr, Xt.indices, Xc.data[perm]), perm

    @staticmethod
    def top_svd(X, k, rng):
        """The k leading singular triplets (U, S, V) of X, as host arrays."""
        from ..linalg import top_svd

        return top_svd(X, k, rng)

    @staticmethod
    def with_values(X, values):
        """A CSR matrix with X's sparsity pattern and new stored values."""
        return sp.csr_matrix((values, X.indices, X.indptr), shape=X.shape)

    @staticmethod
    def fingerprint(X):
        """X's arrays (its CSR parts when sparse)."""
        if sp.issparse(X):
            return {"indptr": X.indptr, "indices": X.indices, "data": X.data}, ""
        return {"X": X}, ""

    # -- arrays ------------------------------------------------------------------
    @staticmethod
    def asarray(a, dtype, rows=False):
        return np.ascontiguousarray(a, dtype=dtype)

    @staticmethod
    def to_output(A):
        """Return A in the input's array type (here: a C-contiguous ndarray)."""
        return np.ascontiguousarray(A)

    @staticmethod
    def floor(A, eps):
        return np.maximum(A, eps, out=A)

    @staticmethod
    def divide_into(x, y):
        return np.divide(x, y, out=y)

    @staticmethod
    def copy(A):
        return A.copy()

    @staticmethod
    def transposed(A, spare=False):
        if spare and A.T.flags.c_contiguous:
            return A.T
        return np.array(A.T, order="C")

    @staticmethod
    def float64_copy(A):
        return np.array(A, dtype=np.float64, order="C")

    @staticmethod
    def empty(like, shape, dtype):
        return np.empty(shape, dtype=dtype)
