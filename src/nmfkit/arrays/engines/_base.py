"""The engine interface: every method an engine provides, declared with its contract.

An engine is the array library a fit runs on. It holds X in its own storage and owns the
operations whose form depends on it: input checks, sparse products, values of W H at
the stored entries, row-wise work, and moving arrays to and from the host. The factors
are the engine's arrays (on Dask, W is row-chunked like X and H is a NumPy array), and
solvers work on them through standard array-API calls (``namespace(A)``) plus the
methods below, and nothing else (``tests/test_engine_interface.py`` runs every solver
on an engine that has only these). The methods marked abstract have no sensible
default; the others have array-API defaults that an engine overrides where its library
does better (in place, on its device) or differently (immutable chunks).

Unlike TensorLy's backend, there is no global switch: an engine is chosen from the
data (``select_engine``) and passed explicitly.
"""

import abc
import contextlib

import numpy as np
from array_api_compat import device as device_of

from ..ops import namespace

__all__ = ["Engine", "missing_extra"]


def missing_extra(engine, package, extra):
    """The ImportError for an engine whose library is not installed."""
    return ImportError(
        f"engine={engine!r} needs {package}, which is not installed. Install it with "
        f"pip install 'nmfkit[{extra}]'."
    )


class Engine(abc.ABC):
    """The interface of an engine; subclasses set ``name`` and implement the abstract
    methods.

    Attributes
    ----------
    name : str
        Its key in ``ENGINES``.
    kernels : str
        Which engine's compiled kernels to use (``arrays.kernels.KERNELS``); Dask runs
        NumPy's on each chunk. An engine with none gets the array-API forms.
    chunked : bool
        X is split into chunks: solvers that need all of X in one place refuse it.
    fits_masked : bool
        Fits data with unknown entries or weights (``core.masked.Observed``, host
        arrays): only the NumPy engine.
    """

    name = "base"
    chunked = False
    fits_masked = False

    @property
    def kernels(self):
        return self.name

    # -- choosing --------------------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def accepts(cls, X):
        """Whether X is this engine's own kind of array (a tensor, a Dask array), so
        that ``engine='auto'`` picks it. The registry's default engine takes the rest."""

    # -- input -----------------------------------------------------------------------
    @abc.abstractmethod
    def check_input(self, X, caller="NMF.fit", name="X"):
        """X in the engine's storage as float32/float64 (dense or CSR), or an error.

        Raises ValueError (or TypeError) naming ``caller`` for NaN, inf, negative or
        out-of-scale entries, empty shapes and non-numeric dtypes, before any work.
        ``name`` is what X is called in messages ("X", "W", "H").
        """

    @abc.abstractmethod
    def is_sparse(self, X):
        """Whether X is a sparse matrix (CSR) rather than a dense array."""

    @staticmethod
    def dtype_of(X):
        """The NumPy dtype (float32 or float64) that stands for X's dtype in the Plan."""
        return np.dtype(X.dtype)

    @abc.abstractmethod
    def count_zeros(self, X):
        """Number of entries of X equal to zero, implicit sparse zeros included."""

    @abc.abstractmethod
    def max_value(self, X):
        """The largest entry of X, as a Python float (0 for an all-zero X)."""

    @abc.abstractmethod
    def sq_norm(self, X):
        """Σ x² over X, accumulated in float64, as a Python float."""

    @abc.abstractmethod
    def total(self, X):
        """Σ x over X, accumulated in float64, as a Python float."""

    def fingerprint(self, X):
        """Host arrays that identify X's content, and a text standing in for content
        that reading would cost a pass over X (a lazy X): what checkpoints compare."""
        return {"X": X}, ""

    # -- products ----------------------------------------------------------------------
    @abc.abstractmethod
    def XHt(self, X, H):
        """X Hᵀ of shape (n_samples, k), row-aligned with X (like W)."""

    @abc.abstractmethod
    def WtX(self, W, X):
        """Wᵀ X of shape (k, n_features), where H lives."""

    @abc.abstractmethod
    def XtW(self, X, W):
        """Xᵀ W of shape (n_features, k), where H lives (row-major)."""

    def gram(self, A):
        """Aᵀ A of shape (k, k), where H lives."""
        return self.local(A.T @ A)

    @abc.abstractmethod
    def wh_at(self, X, W, H):
        """Values of W H at the stored entries of sparse X, in storage order."""

    @abc.abstractmethod
    def values(self, X):
        """The stored values of sparse X, in storage order."""

    @abc.abstractmethod
    def with_values(self, X, values):
        """A sparse matrix with X's pattern and these stored values."""

    @abc.abstractmethod
    def csr_pair(self, X):
        """CSR parts of X and of Xᵀ, and where each entry of Xᵀ sits in X's values:
        ``((indptr, indices, data), (indptr_t, indices_t, data_t), perm)`` with
        ``data_t = data[perm]``; dense X gives the parts of its non-zeros."""

    @abc.abstractmethod
    def top_svd(self, X, k, rng):
        """The k leading singular triplets (U, S, V) of X, as float64 host arrays.

        ``rng`` is a NumPy Generator (the source of any randomness); every engine that
        can should give NumPy's triplets (``arrays.linalg.top_svd``), so that NNDSVD
        starts every engine from the same W and H.
        """

    # -- blocks of rows --------------------------------------------------------------
    def threads(self, pooled):
        """Context for a fit's iterations: how the engine uses the machine's threads.

        ``pooled`` says the solver's work is row-wise (``Solver.pooled``)."""
        return contextlib.nullcontext()

    @property
    def block(self):
        """The engine that ``map_rows`` and ``reduce_rows`` hand their blocks to."""
        return self

    def reduce_rows(self, fn, *rows):
        """Sum ``fn(*blocks)`` over blocks of rows (numbers, arrays or tuples of them).

        In memory this is one call on whole arrays; the Dask engine calls ``fn`` on each
        chunk where it lives and adds the results up in a tree.
        """
        return fn(*rows)

    def map_rows(self, fn, A, *rows, whole=False):
        """Apply ``fn(A, *rows) -> (A_new, value)`` over blocks of rows; sum the values.

        ``rows`` are arrays with A's rows (X Hᵀ for W). In memory this is one call (the
        NumPy engine splits it over its pool unless ``whole``: for a ``fn`` that runs a
        kernel, which splits its work itself); the Dask engine runs it on each chunk
        where the chunk lives.
        """
        return fn(A, *rows)

    def persist(self, *arrays):
        """Materialise lazy arrays between iterations (a no-op for eager engines)."""
        return arrays

    def local(self, A):
        """A small result (k × k, k × n_features) where H lives; eager engines: A."""
        return A

    # -- arrays ------------------------------------------------------------------------
    @abc.abstractmethod
    def asarray(self, a, dtype, rows=False):
        """``a`` (a host array) as the engine's array of NumPy ``dtype``; ``rows`` says
        it is row-aligned with X (W), which a chunked engine chunks like X."""

    @abc.abstractmethod
    def to_output(self, A):
        """A as the caller gave X: the input's array type and device."""

    def floor(self, A, eps):
        """max(A, eps), in place where the library allows it (use what it returns)."""
        return namespace(A).maximum(A, eps)

    def divide_into(self, x, y):
        """x / y, written into y where the library allows it (use what it returns)."""
        return x / y

    def copy(self, A):
        """A new array with A's values, independent of A."""
        return namespace(A).asarray(A, copy=True)

    def transposed(self, A, spare=False):
        """A new array holding Aᵀ, never a view of A (row-major where the library has a
        memory order: the kernels sweep rows). With ``spare=True`` the caller gives A
        up: Aᵀ may then be a view of it, where that view is row-major already."""
        return namespace(A).asarray(A.T, copy=True)

    def float64_copy(self, A):
        """A new float64 array with A's values (a kernel may overwrite it)."""
        xp = namespace(A)
        return xp.astype(A, xp.float64, copy=True)

    def empty(self, like, shape, dtype):
        """An uninitialised array of ``like``'s library and device; ``dtype`` a NumPy
        dtype."""
        xp = namespace(like)
        try:
            dtype = getattr(xp, np.dtype(dtype).name)
        except TypeError:  # already the library's own dtype
            pass
        return xp.empty(shape, dtype=dtype, device=device_of(like))
