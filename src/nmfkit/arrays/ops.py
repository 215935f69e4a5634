"""Array helpers that need no engine: the namespace of an array, float64 sums, and the
way back to the host.

Solvers and losses write ``xp = namespace(A)`` and standard array-API calls. What the
standard leaves to each library (in-place updates, copies, device placement) is a method
of the engine (``engines._base.Engine``); what is here works on any array.
"""

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj, to_device

__all__ = ["namespace", "fsum", "fdot", "to_host", "add_parts"]


def namespace(A):
    """The array-API namespace of one array (NumPy's for scipy.sparse matrices)."""
    if hasattr(A, "tocsr"):  # scipy.sparse
        return array_namespace(np.empty(0))
    return array_namespace(A)


def fsum(A):
    """Sum of all entries accumulated in float64, as a Python float."""
    xp = namespace(A)
    return float(xp.sum(A, dtype=xp.float64))


# Entries per block of ``fdot`` on NumPy arrays: the product A * B is formed a block at
# a time, so a dot of two factor-sized arrays does not hold a third one.
_DOT_BLOCK = 1 << 14


def fdot(A, B):
    """Sum of A * B accumulated in float64, as a Python float.

    NumPy arrays of the same shape are multiplied a block of rows at a time (fixed
    blocks, so the sum does not depend on anything but the arrays)."""
    if isinstance(A, np.ndarray) and isinstance(B, np.ndarray) and A.size > _DOT_BLOCK:
        if A.ndim == 2 and A.shape == B.shape:
            if A.flags.f_contiguous and not A.flags.c_contiguous:
                A, B = A.T, B.T  # walk along A's memory
            step = max(1, _DOT_BLOCK // max(A.shape[1], 1))
            return float(
                sum(
                    np.sum(A[i : i + step] * B[i : i + step], dtype=np.float64)
                    for i in range(0, A.shape[0], step)
                )
            )
    xp = namespace(A)
    return float(xp.sum(A * B, dtype=xp.float64))


def to_host(A):
    """A as a NumPy array: a lazy array is computed, a device array copied to the host.

    Works on any array-API array (and on what ``np.asarray`` takes), so model files and
    checkpoints need no engine.
    """
    if hasattr(A, "compute"):  # a lazy array (Dask)
        A = A.compute()
    if isinstance(A, np.ndarray) or not is_array_api_obj(A):
        return np.asarray(A)
    if hasattr(A, "detach"):  # an autograd tensor gives up its graph first
        A = A.detach()
    return np.asarray(to_device(A, "cpu"))


def add_parts(a, b):
    """a + b for the per-block results of ``reduce_rows``: numbers, arrays or tuples."""
    if isinstance(a, tuple):
        return tuple(add_parts(x, y) for x, y in zip(a, b))
    return a + b
