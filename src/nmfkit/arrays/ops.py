"""Array helpers that every engine's factors share, dispatched on the array's namespace.

Solvers and losses write ``xp = namespace(A)`` and standard array-API calls; the few
operations below differ between libraries in ways the standard leaves open (in-place
updates, copies, float64 sums read back to the host). Dask arrays are immutable, so
every helper returns its result and callers use what it returns.
"""

import numpy as np
from array_api_compat import array_namespace, device, is_numpy_array, is_torch_array

__all__ = [
    "namespace",
    "fsum",
    "fdot",
    "floor",
    "divide_into",
    "copy",
    "transposed",
    "float64_copy",
    "empty",
    "to_host",
    "add_parts",
]


def namespace(A):
    """The array-API namespace of one array (NumPy's for scipy.sparse matrices)."""
    if hasattr(A, "tocsr"):  # scipy.sparse
        return array_namespace(np.empty(0))
    return array_namespace(A)


def fsum(A):
    """Sum of all entries accumulated in float64, as a Python float."""
    xp = namespace(A)
    return float(xp.sum(A, dtype=xp.float64))


def fdot(A, B):
    """Sum of A * B accumulated in float64, as a Python float."""
    xp = namespace(A)
    return float(xp.sum(A * B, dtype=xp.float64))


def floor(A, eps):
    """max(A, eps), in place where the library allows it."""
    if is_numpy_array(A):
        return np.maximum(A, eps, out=A)
    if is_torch_array(A):
        return A.clamp_(min=eps)
    return namespace(A).maximum(A, eps)


def divide_into(x, y):
    """x / y, written into y where the library allows it."""
    if is_numpy_array(y):
        return np.divide(x, y, out=y)
    return x / y


def copy(A):
    """An independent copy of A (immutable Dask arrays are returned as they are)."""
    if is_numpy_array(A):
        return A.copy()
    if is_torch_array(A):
        return A.clone()
    return A


def transposed(A):
    """A new row-major array holding A.T (never a view of A)."""
    if is_numpy_array(A):
        return np.array(A.T, order="C")
    if is_torch_array(A):
        import torch

        return A.T.clone(memory_format=torch.contiguous_format)
    return A.T


def float64_copy(A):
    """A new row-major float64 array with A's values (a kernel may overwrite it)."""
    if is_numpy_array(A):
        return np.array(A, dtype=np.float64, order="C")
    if is_torch_array(A):
        import torch

        return A.to(torch.float64, copy=True).contiguous()
    xp = namespace(A)
    return xp.astype(A, xp.float64, copy=True)


def empty(like, shape, dtype):
    """An uninitialised array of ``like``'s library and device; ``dtype`` a NumPy dtype."""
    xp = namespace(like)
    try:
        dtype = getattr(xp, np.dtype(dtype).name)
    except TypeError:  # already the library's own dtype
        pass
    return xp.empty(shape, dtype=dtype, device=device(like))


def to_host(A):
    """A as a NumPy array (Torch tensors leave their device; Dask arrays compute)."""
    if is_torch_array(A):
        return A.detach().cpu().numpy()
    if hasattr(A, "compute"):
        return np.asarray(A.compute())
    return np.asarray(A)


def add_parts(a, b):
    """a + b for the per-block results of ``reduce_rows``: numbers, arrays or tuples."""
    if isinstance(a, tuple):
        return tuple(add_parts(x, y) for x, y in zip(a, b))
    return a + b
