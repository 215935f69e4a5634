"""Linear algebra the engines share: the leading singular triplets of X.

NNDSVD needs the k leading singular triplets of X. When one side of X is at most
``GRAM_SVD_MAX``, they come exactly from the eigenvectors of the small Gram matrix
(X Xᵀ or Xᵀ X); larger X goes through scikit-learn's randomized SVD.
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from array_api_compat import device
from sklearn.utils.extmath import randomized_svd

from .ops import namespace

__all__ = ["GRAM_SVD_MAX", "top_svd", "svd_from_gram", "svd_seed"]

# X with a side this short gets an exact truncated SVD through its small Gram matrix
# (a fraction of the time of the randomized SVD, and exact); others the randomized SVD
# (Halko et al. 2011), as scikit-learn does.
GRAM_SVD_MAX = 2048


def svd_seed(rng):
    """The seed of a randomized SVD: ``rng`` itself when it is an int (the fit's
    ``random_state``, as scikit-learn seeds its NNDSVD's SVD: the same start for the same
    seed), else a draw from the Generator."""
    if isinstance(rng, (int, np.integer)):
        return int(rng)
    return int(rng.integers(2**31 - 1))


def top_svd(X, k, rng):
    """The k leading singular triplets (U, S, V) of in-memory X (ndarray or CSR).

    ``rng``: a Generator, or an int seed (``svd_seed``)."""
    seed = svd_seed(rng)
    n, m = X.shape
    if min(n, m) > GRAM_SVD_MAX or k >= min(n, m):
        return randomized_svd(X, k, random_state=seed)
    if sp.issparse(X) and max(n, m) > 4 * GRAM_SVD_MAX:
        # a long sparse X: its Gram product (sparse times sparse) costs more than the
        # randomized SVD's few passes over X, and scipy would first copy X transposed
        return randomized_svd(X, k, random_state=seed)
    A = X if n <= m else X.T
    gram = A @ A.T
    gram = np.asarray(gram.toarray() if sp.issparse(gram) else gram, dtype=np.float64)
    r = gram.shape[0]
    evals, evecs = scipy.linalg.eigh(gram, subset_by_index=[r - k, r - 1])
    return svd_from_gram(A, evals[::-1], evecs[:, ::-1], n <= m)


def svd_from_gram(A, evals, evecs, short_rows, project=None):
    """(U, S, V) of X from the top eigenpairs (descending, float64) of A Aᵀ.

    A is X (``short_rows``) or Xᵀ, in NumPy or torch. Directions whose singular value
    is lost in rounding carry no information: they get zero vectors and S = 0.
    ``project(E)``, when given, computes Aᵀ E instead of ``A.T @ E`` (for an A that is
    not in memory; A is then not used).
    """
    xp = namespace(evecs)
    S = xp.sqrt(xp.clip(evals, min=0))
    live = S > evecs.shape[0] * np.sqrt(np.finfo(np.float64).eps) * S[0]
    AtE = A.T @ evecs[:, live] if project is None else project(evecs[:, live])
    AtE = xp.asarray(AtE)
    other = xp.zeros((evecs.shape[1], AtE.shape[0]), dtype=xp.float64, device=device(evecs))
    other[live] = AtE.T / S[live, None]
    S = xp.where(live, S, 0.0)
    return (evecs, S, other) if short_rows else (other.T, S, evecs.T)
