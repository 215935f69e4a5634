"""Values of W H at the stored entries of a sparse X (array-API form)."""

import numpy as np

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
