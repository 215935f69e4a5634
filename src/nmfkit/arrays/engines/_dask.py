"""The Dask engine: X chunked by rows, on a dask.distributed cluster or Dask's threads.

X (dense chunks or scipy.sparse chunks) stays where Dask keeps it and is never gathered.
W is a Dask array chunked like X's rows, persisted between iterations; H, and every
k × k or k × n_features statistic, is a NumPy array in the client. Row-wise work (the
update of W, W H at a block of rows) runs on each chunk where it lives, with the NumPy
engine and its compiled kernels; the sufficient statistics Wᵀ X, Wᵀ W, Xᵀ W and the
loss are sums over chunks, added up in a tree on the workers. Dask's default scheduler
is used, so a ``dask.distributed.Client`` the user made is used without being named.
"""

import functools

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .. import linalg
from ..ops import add_parts, to_host
from ._base import Engine, missing_extra
from ._numpy import NumpyEngine, check_counts, check_scale, check_sparse

try:
    import dask
    import dask.array as da
except ImportError as exc:  # pragma: no cover - exercised without dask installed
    raise missing_extra("dask", "Dask", "dask") from exc

__all__ = ["DaskEngine"]


def _is_dask(A):
    return isinstance(A, da.Array)


def _aligned(a):
    """An unaligned NumPy array copied to aligned memory, anything else as it is.

    distributed hands out arrays received from other processes at any byte offset, and
    NumPy does not give unaligned arrays to BLAS: its own loops sum in another order,
    so the same fit gave other last bits depending on where its chunks had travelled.
    """
    return a.copy() if isinstance(a, np.ndarray) and not a.flags.aligned else a


def _persisted(*arrays):
    """``arrays`` persisted, and done before the next graph is submitted.

    On a distributed cluster ``persist`` returns at once. A graph submitted while a
    persisted one still runs shares X's chunk keys with it, and the scheduler then
    keeps every chunk either graph has made until both have read it: X piled up in the
    workers' memory (measured: 400 MB of 10 MB chunks held at the peak of a 2-iteration
    fit, 80 % of a 600 MB worker). Waiting keeps one pass over X in flight at a time.
    """
    arrays = dask.persist(*arrays)
    try:
        from distributed import default_client, wait

        default_client()
    except (ImportError, ValueError):  # no distributed, or no client: persist was synchronous
        return arrays
    wait([a for a in arrays if _is_dask(a)])
    return arrays


def _call(fn):
    """``fn`` on aligned arguments (see ``_aligned``)."""

    def run(*args):
        return fn(*(_aligned(a) for a in args))

    return run


def _apply(fn, A, *rows):
    # a copy: the chunk may be a persisted result that other tasks still read
    return fn(A.copy(), *(_aligned(r) for r in rows))


def _dense(M):
    """A small product as a float64 ndarray (sparse chunks give sparse products)."""
    return np.asarray(M.toarray() if sp.issparse(M) else M, dtype=np.float64)


def _checked_csr(block, caller, name):
    """A sparse chunk as CSR, its structure checked first (a malformed one would crash
    the worker in the conversion or a kernel)."""
    check_sparse(block, caller, f"a chunk of {name}")
    return sp.csr_matrix(block)


def _value_stats(block):
    """What one pass over a chunk tells: (NaN count, inf count, negative count, min,
    sum of squares, sum, zeros, max) of its entries."""
    v = block.data if sp.issparse(block) else np.asarray(block).ravel()
    finite = np.isfinite(v)
    n_nan = int(np.isnan(v).sum())
    n_bad = int(v.size - np.count_nonzero(finite))
    low = float(np.min(v, where=finite, initial=np.inf)) if v.size else 0.0
    zeros = NumpyEngine.count_zeros(block)
    if n_bad:
        return n_nan, n_bad - n_nan, 0, low, 0.0, 0.0, zeros, 0.0
    sq, total = NumpyEngine.sq_norm(block), NumpyEngine.total(block)
    high = float(v.max()) if v.size else 0.0
    return n_nan, 0, int((v < 0).sum()), low, sq, total, zeros, high


class DaskEngine(Engine):
    """Run on Dask arrays chunked by rows; see the module docstring."""

    name = "dask"

    @classmethod
    def accepts(cls, X):
        """Dask arrays."""
        return _is_dask(X)

    kernels = "numpy"  # each chunk runs the NumPy engine's compiled kernels
    chunked = True  # solvers that need all of X in one place are refused

    def __init__(self):
        self._numpy = NumpyEngine()
        self._row_chunks = None
        self._facts = {}  # X's name -> its sum of squares, sum and zeros (one pass)

    @property
    def block(self):
        return self._numpy

    # -- input -------------------------------------------------------------------
    def check_input(self, X, caller="NMF.fit", name="X"):
        """Return X as a Dask array of float chunks (dense or CSR), whole rows per chunk."""
        if not _is_dask(X):
            X = self._numpy.check_input(X, caller=caller, name=name)
            if name != "X":
                return X
            X = da.from_array(X, chunks=(max(1, X.shape[0] // 4), -1))
        if X.ndim != 2:
            raise ValueError(
                f"{caller}: Expected a 2-D {name} but got a {X.ndim}-D array of shape {X.shape}."
            )
        if X.dtype.kind not in "biuf":
            raise ValueError(
                f"{caller}: {name} has dtype {X.dtype}; NMF needs real numbers. "
                "Convert it with X.astype(float)."
            )
        if any(np.isnan(n) for n in X.shape):
            raise ValueError(
                f"{caller}: {name} has unknown chunk sizes (shape {X.shape}), as after "
                f"boolean indexing; call {name}.compute_chunk_sizes() first."
            )
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        for axis, what in ((0, "sample(s)"), (1, "feature(s)")):
            if X.shape[axis] == 0:
                raise ValueError(
                    f"{caller}: Found array with 0 {what} (shape={X.shape}) while a "
                    f"minimum of 1 is required; {name} needs at least one row and column."
                )
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        if sp.issparse(X._meta):
            X = X.map_blocks(
                functools.partial(_checked_csr, caller=caller, name=name),
                dtype=X.dtype,
                meta=sp.csr_matrix((0, 0), dtype=X.dtype),
            )
        self._check_values(X, caller, name)
        if name == "X":
            self._row_chunks = X.chunks[0]
        return X

    def _check_values(self, X, caller, name):
        stats = dask.delayed(_call(_value_stats))
        parts = dask.compute(*[stats(b) for b in X.to_delayed().ravel()])
        n_nan, n_inf, n_neg = (sum(p[i] for p in parts) for i in range(3))
        low = min(p[3] for p in parts)
        self._facts[X.name] = {
            "sq_norm": sum(p[4] for p in parts),
            "total": sum(p[5] for p in parts),
            "zeros": sum(p[6] for p in parts),
            "high": max(p[7] for p in parts),
        }
        check_counts(caller, name, n_nan, n_inf, n_neg, low)
        check_scale(caller, name, self._facts[X.name]["high"], X.shape, NumpyEngine.dtype_of(X))

    # -- blocks --------------------------------------------------------------------
    def map_rows(self, fn, A, *rows, whole=False):
        """``fn`` on each chunk of rows of A (and of ``rows``) where it lives."""
        if not _is_dask(A):
            return fn(A, *rows)
        blocks = [r.to_delayed().ravel() for r in (A, *rows)]
        f = dask.delayed(fn, pure=True)
        parts = dask.persist(*[dask.delayed(_apply)(f, *bs) for bs in zip(*blocks)])
        k = A.shape[1]
        (out,) = _persisted(da.concatenate(
            [da.from_delayed(p[0], shape=(n, k), dtype=A.dtype) for p, n in zip(parts, A.chunks[0])]
        ))  # fmt: skip
        values = dask.compute(*[p[1] for p in parts])
        return out, float(sum(values))

    def reduce_rows(self, fn, *rows):
        """The sum over chunks of ``fn(*chunks)``, added up in a tree on the workers."""
        if not any(_is_dask(r) for r in rows):
            return fn(*rows)
        blocks = [r.to_delayed().ravel() for r in rows]
        f = dask.delayed(_call(fn), pure=True)
        parts = [f(*bs) for bs in zip(*blocks)]
        while len(parts) > 1:
            pairs = [dask.delayed(add_parts)(a, b) for a, b in zip(parts[::2], parts[1::2])]
            parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
        return dask.compute(parts[0])[0]

    @staticmethod
    def persist(*arrays):
        return _persisted(*arrays)

    @staticmethod
    def local(A):
        return to_host(A) if _is_dask(A) else A

    def gram(self, A):
        if not _is_dask(A):
            return A.T @ A
        return self.reduce_rows(lambda a: a.T @ a, A)

    # -- queries -------------------------------------------------------------------
    @staticmethod
    def is_sparse(X):
        return sp.issparse(X._meta) if _is_dask(X) else sp.issparse(X)

    def _fact(self, X, name, fn):
        """A fact about X from the pass that checked it, else from a pass of its own."""
        if _is_dask(X) and X.name in self._facts:
            return self._facts[X.name][name]
        return self.reduce_rows(fn, X)

    def max_value(self, X):
        """The largest entry of X (from the pass that checked it)."""
        if not _is_dask(X):
            return NumpyEngine.max_value(X)
        if X.name in self._facts:
            return self._facts[X.name]["high"]
        return float(X.max().compute())

    def count_zeros(self, X):
        return int(self._fact(X, "zeros", NumpyEngine.count_zeros))

    def sq_norm(self, X):
        return float(self._fact(X, "sq_norm", NumpyEngine.sq_norm))

    def total(self, X):
        return float(self._fact(X, "total", NumpyEngine.total))

    # -- products --------------------------------------------------------------------
    def XHt(self, X, H):
        """X Hᵀ chunked like X's rows, persisted (it is read several times per iteration)."""
        k = H.shape[0]
        product = dask.delayed(_call(self._numpy.XHt), pure=True)
        Hd = dask.delayed(H, pure=True)
        dtype = np.result_type(X.dtype, H.dtype)
        parts = [
            da.from_delayed(product(b, Hd), shape=(n, k), dtype=dtype)
            for b, n in zip(X.to_delayed().ravel(), X.chunks[0])
        ]
        return _persisted(da.concatenate(parts))[0]

    def WtX(self, W, X):
        return self.reduce_rows(NumpyEngine().WtX, W, X)

    def XtW(self, X, W):
        return np.ascontiguousarray(self.reduce_rows(lambda x, w: x.T @ w, X, W))

    def top_svd(self, X, k, rng):
        """The k leading singular triplets of X, on the host.

        X with a side of at most ``linalg.GRAM_SVD_MAX`` takes the NumPy engine's exact
        route, the eigenvectors of its small Gram matrix (summed from the chunks where
        they live, dense or sparse), so NNDSVD starts from the same W and H as on NumPy;
        otherwise Dask's randomized SVD.
        """
        seed = linalg.svd_seed(rng)
        n, m = X.shape
        if min(n, m) <= linalg.GRAM_SVD_MAX and k < min(n, m):
            if n <= m:  # X Xᵀ, and Xᵀ E through W-like arrays chunked as X
                gram = self._outer_gram(X)

                def project(E):
                    return self.XtW(X, self.asarray(E, np.float64, rows=True))

            else:  # Xᵀ X, and X E
                gram = np.asarray(self.reduce_rows(lambda b: _dense(b.T @ b), X))

                def project(E):
                    return to_host(self.XHt(X, np.ascontiguousarray(E.T)))

            r = gram.shape[0]
            evals, evecs = scipy.linalg.eigh(gram, subset_by_index=[r - k, r - 1])
            return linalg.svd_from_gram(None, evals[::-1], evecs[:, ::-1], n <= m, project)
        A = X.map_blocks(lambda b: b.toarray(), dtype=X.dtype) if self.is_sparse(X) else X
        U, S, V = da.linalg.svd_compressed(A, k, n_power_iter=4, seed=seed, compute=True)
        return tuple(np.asarray(a, dtype=np.float64) for a in dask.compute(U, S, V))

    @staticmethod
    def _outer_gram(X):
        """X Xᵀ (n × n, float64) from the products of every pair of row chunks."""
        blocks = X.to_delayed().ravel()
        product = dask.delayed(_call(lambda a, b: _dense(a @ b.T)), pure=True)
        parts = dask.compute(*[product(a, b) for a in blocks for b in blocks])
        c = len(blocks)
        return np.block([list(parts[i * c : (i + 1) * c]) for i in range(c)])

    # -- movement ----------------------------------------------------------------------
    def asarray(self, a, dtype, rows=False):
        """Row-aligned arrays (W) as Dask arrays chunked like X; others (H) as NumPy."""
        a = np.ascontiguousarray(to_host(a), dtype=dtype)
        if not rows:
            return a
        return _persisted(da.from_array(a, chunks=(self._row_chunks, a.shape[1])))[0]

    @staticmethod
    def to_output(A):
        """W stays a (persisted) Dask array; H is a NumPy array."""
        return A

    # The operations on the stored entries of a sparse X work on one chunk in memory
    # at a time: map_rows and reduce_rows hand them out with ``block``, the NumPy
    # engine, and so do these.
    def wh_at(self, X, W, H):
        return self._numpy.wh_at(X, W, H)

    def values(self, X):
        return self._numpy.values(X)

    def with_values(self, X, values):
        return self._numpy.with_values(X, values)

    def csr_pair(self, X):
        return self._numpy.csr_pair(X)

    def fingerprint(self, X):
        """Nothing read: hashing X would compute all of it; its chunks stand in."""
        if not _is_dask(X):
            return self._numpy.fingerprint(X)
        return {}, repr(X.chunks)

    # What lives in the client (H, k × k statistics) is NumPy's; a Dask array is
    # immutable, so a copy of it is itself, and the array-API forms serve the rest.
    def copy(self, A):
        return A if _is_dask(A) else self._numpy.copy(A)

    def transposed(self, A, spare=False):
        return super().transposed(A) if _is_dask(A) else self._numpy.transposed(A, spare)

    def float64_copy(self, A):
        return super().float64_copy(A) if _is_dask(A) else self._numpy.float64_copy(A)

    def floor(self, A, eps):
        return super().floor(A, eps) if _is_dask(A) else self._numpy.floor(A, eps)

    def divide_into(self, x, y):
        return super().divide_into(x, y) if _is_dask(y) else self._numpy.divide_into(x, y)

    def empty(self, like, shape, dtype):
        return super().empty(like, shape, dtype) if _is_dask(like) else np.empty(shape, dtype)
