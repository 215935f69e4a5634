"""Values of W H at the stored entries of a sparse X (array-API form)."""

import numpy as np
import scipy.sparse as sp

# Entries evaluated per block: bounds the temporary memory to about _BLOCK·k floats
# whatever nnz(X) is.
_BLOCK = 1 << 16


def wh_at_xp(indptr, indices, W, Ht, out):
    """Fill ``out`` with (W @ Ht.T) at the stored entries of a CSR matrix.

    Parameters
    ----------
    indptr, indices : CSR structure of X (n, m)
    W : array of shape (n, k)
    Ht : array of shape (m, k)
    out : array of shape (nnz,)
    """
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    for s in range(0, len(out), _BLOCK):
        e = min(s + _BLOCK, len(out))
        np.einsum("ij,ij->i", W[rows[s:e]], Ht[indices[s:e]], out=out[s:e])
    return out


def csr_has_duplicates_xp(indptr, indices, n_cols):
    """Whether some row of a CSR structure stores a column twice (indices in any order).

    The array-API twin of ``kernels._numba.csr_has_duplicates``; O(nnz) memory.
    """
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    keys = np.sort(rows.astype(np.int64) * n_cols + indices)
    return bool(np.any(keys[1:] == keys[:-1]))


def csr_dense_xp(indptr, indices, data, B, out):
    """CSR X (n, m) times dense B (m, k), into ``out`` (n, k).

    The array-API twin of ``kernels._numba.csr_dense``.
    """
    X = sp.csr_matrix((data, indices, indptr), shape=(out.shape[0], B.shape[0]))
    out[...] = X @ B
    return out
