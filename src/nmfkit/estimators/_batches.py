"""Reading X a mini-batch at a time: arrays, sparse matrices, memory-mapped .npy files,
iterators of row blocks."""

import os

import numpy as np
import scipy.sparse as sp

from ..arrays.engines import NumpyEngine
from ..core.files import check_npy

__all__ = ["open_path", "is_stream", "as_table", "row_blocks", "in_memory"]


def open_path(X):
    """A .npy path opened memory-mapped; anything else as it is."""
    if isinstance(X, (str, os.PathLike)):
        path = os.fspath(X)
        if not path.endswith(".npy"):
            raise ValueError(
                f"MiniBatchNMF.fit: {path!r} is not a .npy file; pass an array, a sparse "
                "matrix, a .npy path or an iterator of row blocks."
            )
        check_npy(path, in_memory=False)  # the header against the file's size
        return np.load(path, mmap_mode="r", allow_pickle=False)
    return X


def is_stream(X):
    """An iterator of row blocks, or a callable that returns one (one per pass)."""
    return callable(X) or (
        hasattr(X, "__iter__")
        and not hasattr(X, "shape")
        and not isinstance(X, (list, tuple))
        and not hasattr(X, "iloc")
    )


def as_table(X, caller):
    """X as something with 2-D rows to slice: sparse and 2-D arrays (memory-mapped
    ones included) as they are, anything else checked and converted whole."""
    if sp.issparse(X) or (hasattr(X, "shape") and getattr(X, "ndim", 0) == 2):
        return X.to_numpy() if hasattr(X, "iloc") else X
    return NumpyEngine().check_input(X, caller=caller)


def row_blocks(X, batch_size):
    """Consecutive blocks of at most ``batch_size`` rows (views where X allows)."""
    if sp.issparse(X) and X.format != "csr":
        X = X.tocsr()
    if hasattr(X, "iloc"):
        X = X.to_numpy()
    elif not hasattr(X, "shape"):
        X = np.asarray(X)
    for s in range(0, X.shape[0], batch_size):
        yield X[s : s + batch_size]


def in_memory(X):
    """Whether the whole X is in memory (an ndarray that is not memory-mapped, or a sparse
    matrix): then a fit may read it whole, to start from all of it."""
    return sp.issparse(X) or (isinstance(X, np.ndarray) and not isinstance(X, np.memmap))
