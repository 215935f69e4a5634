"""What every engine shares: the defaults of the engine interface.

An engine holds X in its own storage and owns the operations whose form depends on it:
input checks, sparse products, values of W H at the stored entries, row-wise kernels,
and moving arrays to and from the host. The factors are the engine's arrays (on Dask, W
is row-chunked like X and H is a NumPy array), and solvers work on them through
standard array-API calls (``engines._ops``) plus the methods below.
"""

import contextlib

import numpy as np

__all__ = ["Engine", "missing_extra"]


def missing_extra(engine, package, extra):
    """The ImportError for an engine whose library is not installed."""
    return ImportError(
        f"engine={engine!r} needs {package}, which is not installed. Install it with "
        f"pip install 'nmfkit[{extra}]'."
    )


class Engine:
    """Defaults shared by the engines; subclasses set ``name`` and the products."""

    name = "base"
    # The cost of one round trip to where the data live, in flops (0: in memory).
    round_trip_flops = 0.0
    # True where X is split in chunks: solvers that need all of X in one place refuse it.
    chunked = False

    @property
    def kernels(self):
        """Which engine's compiled kernels to use (Dask runs NumPy's on each chunk)."""
        return self.name

    def threads(self, pooled):
        """Context for a fit's iterations (only the NumPy engine runs a thread pool)."""
        return contextlib.nullcontext()

    @property
    def block(self):
        """The engine that ``map_rows`` and ``reduce_rows`` hand their blocks to."""
        return self

    @staticmethod
    def reduce_rows(fn, *rows):
        """Sum ``fn(*blocks)`` over blocks of rows (numbers, arrays or tuples of them).

        In memory this is one call on whole arrays; the Dask engine calls ``fn`` on each
        chunk where it lives and adds the results up in a tree.
        """
        return fn(*rows)

    @staticmethod
    def map_rows(fn, A, *rows, whole=False):
        """Apply ``fn(A, *rows) -> (A_new, value)`` over blocks of rows; sum the values.

        ``rows`` are arrays with A's rows (X Hᵀ for W). In memory this is one call (the
        NumPy engine splits it over its pool unless ``whole``: for a ``fn`` that runs a
        kernel, which splits its work itself); the Dask engine runs it on each chunk
        where the chunk lives.
        """
        return fn(A, *rows)

    @staticmethod
    def persist(*arrays):
        """Materialise lazy arrays between iterations (a no-op for eager engines)."""
        return arrays

    @staticmethod
    def local(A):
        """A small result (k × k, k × n_features) where H lives; eager engines: A."""
        return A

    def gram(self, A):
        """Aᵀ A of shape (k, k), where H lives."""
        return self.local(A.T @ A)

    @staticmethod
    def dtype_of(X):
        """The NumPy dtype (float32 or float64) that stands for X's dtype in the Plan."""
        return np.dtype(X.dtype)

    def scalar(self, x):
        """Read a 0-d array (or number) back to the host as a Python float."""
        return float(x)
