"""Measures of a factorization: sparseness, fit, and agreement between two runs."""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment

from ..arrays.kernels.sparseness import column_sparseness

__all__ = [
    "hoyer_sparseness",
    "relative_error",
    "explained_variance",
    "match_components",
    "spectral_angles",
    "match_spectra",
    "pixel_errors",
]


def hoyer_sparseness(A, axis=1):
    r"""Hoyer's sparseness of each row (axis=1) or column (axis=0) of A, and their mean.

    .. math::

        s(x) = \frac{\sqrt{n} - \|x\|_1 / \|x\|_2}{\sqrt{n} - 1}

    for a vector of n entries: 0 when all entries are equal, 1 when one is non-zero
    (Hoyer 2004, "Non-negative matrix factorization with sparseness constraints",
    JMLR 5). A zero vector counts as 0.

    Parameters
    ----------
    A : array-like of shape (n, m)
    axis : {0, 1}, default=1

    Returns
    -------
    per_vector : ndarray
    mean : float
    """
    A = np.abs(np.asarray(A, dtype=np.float64))
    if axis == 1:
        A = A.T  # the vectors as columns
    n = A.shape[0]
    if n < 2:
        raise ValueError(f"hoyer_sparseness: vectors need at least 2 entries, got {n}.")
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.nan_to_num(column_sparseness(A), nan=0.0)  # a zero vector: NaN there
    return s, float(s.mean())


def _residual_sq(X, W, H):
    """‖X − W H‖²_F, from Gram products when X is sparse."""
    W, H = np.asarray(W, dtype=np.float64), np.asarray(H, dtype=np.float64)
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
        cross = float(np.sum(np.asarray(X @ H.T) * W))
        return float(X.multiply(X).sum()) - 2 * cross + float(np.sum((W.T @ W) * (H @ H.T)))
    R = np.asarray(X, dtype=np.float64) - W @ H
    return float(np.sum(R * R))


def relative_error(X, W, H):
    """‖X − W H‖_F / ‖X‖_F.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    W : array-like of shape (n_samples, k)
    H : array-like of shape (k, n_features)

    Returns
    -------
    float
    """
    norm = float(X.multiply(X).sum()) if sp.issparse(X) else float(np.sum(np.square(X)))
    return float(np.sqrt(max(_residual_sq(X, W, H), 0.0) / norm)) if norm > 0 else 0.0


def explained_variance(X, W, H):
    """1 − ‖X − W H‖²_F / ‖X − mean(X)‖²_F, the share of the variance around the
    column means that W H reproduces.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    W, H : array-like

    Returns
    -------
    float
    """
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
        mean = np.asarray(X.mean(axis=0)).ravel()
        total = float(X.multiply(X).sum()) - X.shape[0] * float(mean @ mean)
    else:
        X = np.asarray(X, dtype=np.float64)
        total = float(np.sum((X - X.mean(axis=0)) ** 2))
    return 1.0 - _residual_sq(X, W, H) / total if total > 0 else 0.0


def _unit_rows(A):
    """A with each non-zero row scaled to unit norm."""
    return A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-300)


def match_components(H1, H2):
    """Pair the components of two factorizations by cosine similarity.

    The pairing maximises the total similarity (Hungarian assignment, scipy's
    ``linear_sum_assignment``), so no component is used twice; with different numbers
    of components the extra ones stay unpaired.

    Parameters
    ----------
    H1 : array-like of shape (k1, n_features)
    H2 : array-like of shape (k2, n_features)

    Returns
    -------
    rows, cols : ndarray of int
        ``H1[rows[i]]`` is paired with ``H2[cols[i]]``.
    similarity : ndarray
        The cosine similarity of each pair.
    """
    A = np.asarray(H1, dtype=np.float64)
    B = np.asarray(H2, dtype=np.float64)
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"match_components: H1 has {A.shape[1]} features but H2 has {B.shape[1]}; "
            "compare factorizations of the same data."
        )
    S = _unit_rows(A) @ _unit_rows(B).T
    rows, cols = linear_sum_assignment(-S)
    return rows, cols, S[rows, cols]


def spectral_angles(A, B):
    """The spectral angle (radians) between every row of A and every row of B.

    The angle arccos(⟨a, b⟩ / (‖a‖ ‖b‖)) compares spectra by shape, not by scale: the
    standard measure of an endmember against a reference (spectral angle distance,
    SAD). A zero row has angle π/2 to everything.

    Parameters
    ----------
    A : array-like of shape (k1, n_bands)
    B : array-like of shape (k2, n_bands)

    Returns
    -------
    angles : ndarray of shape (k1, k2)
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if A.ndim == 1:
        A = A[None]
    if B.ndim == 1:
        B = B[None]
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"spectral_angles: A has {A.shape[1]} bands but B has {B.shape[1]}; compare "
            "spectra over the same bands."
        )
    return np.arccos(np.clip(_unit_rows(A) @ _unit_rows(B).T, -1.0, 1.0))


def match_spectra(found, reference):
    """Pair found endmembers with reference ones by least total spectral angle.

    Parameters
    ----------
    found : array-like of shape (k1, n_bands)
    reference : array-like of shape (k2, n_bands)

    Returns
    -------
    rows, cols : ndarray of int
        ``found[rows[i]]`` is paired with ``reference[cols[i]]`` (Hungarian assignment).
    angles : ndarray
        The spectral angle of each pair (radians); their mean is the mean SAD.
    """
    angles = spectral_angles(found, reference)
    rows, cols = linear_sum_assignment(angles)
    return rows, cols, angles[rows, cols]


def pixel_errors(X, W, H):
    """The relative reconstruction error of each row of X: ‖x − w H‖ / ‖x‖ (0 for a
    zero row), computed a block of rows at a time.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    W : array-like of shape (n_samples, k)
    H : array-like of shape (k, n_features)

    Returns
    -------
    errors : ndarray of shape (n_samples,)
    """
    W, H = np.asarray(W, dtype=np.float64), np.asarray(H, dtype=np.float64)
    out = np.empty(X.shape[0])
    step = max(1, (1 << 20) // max(X.shape[1], 1))
    for lo in range(0, X.shape[0], step):
        Xb = X[lo : lo + step]
        Xb = Xb.toarray() if sp.issparse(Xb) else np.asarray(Xb, dtype=np.float64)
        R = Xb - W[lo : lo + step] @ H
        num, den = np.linalg.norm(R, axis=1), np.linalg.norm(Xb, axis=1)
        out[lo : lo + step] = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return out
