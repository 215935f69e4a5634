"""Single-cell counts as the cNMF workflow prepares and reads them.

Kotliar et al. 2019 (cNMF, doi:10.7554/eLife.43803) factorize raw counts restricted to
over-dispersed genes and scaled to unit variance without centring, and report each
program in two units: TPM (a non-negative fit of the TPM-normalized counts of every
gene on the usages) and z-scores (least-squares coefficients of every gene's z-scored
TPM on the usages). These functions do each step on a sparse matrix without making it
dense; :class:`nmfkit.GeneProgramNMF` strings them together.
"""

import numpy as np
from scipy import sparse

from ..arrays.engines import NumpyEngine
from ..core.solvers.bpp import nnls_bpp

__all__ = [
    "normalize_total",
    "gene_mean_var",
    "overdispersed_genes",
    "scale_genes",
    "nnls_rows",
    "gene_scores",
    "poisson_spectra",
    "match_programs",
]


def normalize_total(counts, target_sum=1e6):
    """Every cell (row) scaled to sum to ``target_sum`` (1e6: TPM); sparse stays sparse.

    Rows that sum to 0 stay 0.
    """
    totals = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    scale = np.divide(target_sum, totals, out=np.zeros_like(totals), where=totals > 0)
    if sparse.issparse(counts):
        return sparse.csr_matrix(sparse.diags(scale) @ counts, dtype=np.float64)
    return np.asarray(counts, dtype=np.float64) * scale[:, None]


def gene_mean_var(X, ddof=0):
    """Per-column mean and variance of X (dense or sparse), accumulated in float64
    (integer counts are never squared in their own type), without densifying X."""
    n, m = X.shape
    if sparse.issparse(X):
        X = sparse.csr_matrix(X)
        values = X.data.astype(np.float64)
        mean = np.bincount(X.indices, weights=values, minlength=m) / n
        sq = np.bincount(X.indices, weights=values * values, minlength=m) / n
    else:
        mean = np.mean(X, axis=0, dtype=np.float64)
        sq = np.mean(np.square(X, dtype=np.float64), axis=0)
    var = np.maximum(sq - mean**2, 0.0)
    return mean, var * (n / (n - ddof)) if n > ddof else var


def overdispersed_genes(tpm, n_top_genes):
    """Indices of the ``n_top_genes`` most over-dispersed genes, as cNMF picks them.

    cNMF's v-score (after Klein et al. 2015): each gene's Fano factor divided by the
    one expected of its mean, A² mean + B², with A the smallest coefficient of
    variation among the 20 highest-expressed genes and B² the median Fano factor of
    the genes between the 10th and 90th percentiles of both mean and Fano factor.

    Parameters
    ----------
    tpm : {ndarray, sparse matrix} of shape (n_cells, n_genes)
        Normalized counts (``normalize_total``).
    n_top_genes : int

    Returns
    -------
    genes : ndarray of int, sorted
    """
    mean, var = gene_mean_var(tpm)
    n_genes = len(mean)
    if n_top_genes >= n_genes:
        return np.arange(n_genes)
    expressed = mean > 0
    # genes without counts have no Fano factor (NaN, skipped as pandas skips them)
    fano = np.divide(var, mean, out=np.full_like(var, np.nan), where=expressed)
    top = np.argsort(-mean)[:20]
    A = np.min(np.sqrt(var[top]) / mean[top])
    lo_m, hi_m = np.quantile(mean, [0.1, 0.9])
    lo_f, hi_f = np.nanquantile(fano, [0.1, 0.9])
    with np.errstate(invalid="ignore"):
        box = (fano > lo_f) & (fano < hi_f) & (mean > lo_m) & (mean < hi_m)
    B2 = np.median(fano[box]) if box.any() else np.nanmedian(fano)
    ratio = np.where(expressed, np.nan_to_num(fano) / (A**2 * mean + B2), -np.inf)
    return np.sort(np.argsort(-ratio, kind="stable")[:n_top_genes])


def scale_genes(X, scale):
    """X with column j divided by ``scale[j]`` (no centring: sparse stays sparse); a
    column of scale 0 (a constant gene) is left as it is, as scanpy and cNMF do."""
    scale = np.asarray(scale, dtype=np.float64)
    inv = 1.0 / np.where(scale > 0, scale, 1.0)
    if sparse.issparse(X):
        return sparse.csr_matrix(X @ sparse.diags(inv), dtype=np.float64)
    return np.asarray(X, dtype=np.float64) * inv


def nnls_rows(X, H):
    """The exact non-negative least-squares W of X ≈ W H, row by row (H fixed).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n, m)
    H : ndarray of shape (k, m)

    Returns
    -------
    W : ndarray of shape (n, k)
    """
    H = np.asarray(H, dtype=np.float64)
    B = np.asarray(X @ H.T, dtype=np.float64)
    G = H @ H.T
    return nnls_bpp(G, B, np.maximum(B, 0.0), NumpyEngine(), np.float64)


def poisson_spectra(counts, usages, spectra, n_iter=20):
    """Programs in TPM refined toward the Poisson likelihood of the raw counts.

    cNMF's TPM programs are least squares on TPM, where the highest-expressed genes and
    cells dominate. Counts are closer to Poisson: cell i's count of gene j has mean
    ``library_i · usages_i · spectra_j / 10⁶`` and a variance of that size. Starting
    from the least-squares ``spectra``, ``n_iter`` multiplicative updates of the
    Kullback-Leibler divergence (the Poisson likelihood) with the usages fixed move
    them toward the maximum-likelihood programs; each update raises the likelihood.
    On the simulated benchmark this raised the correlation of every program with the
    truth (BENCHMARKS.md, "Single-cell programs").

    Parameters
    ----------
    counts : {ndarray, sparse matrix} of shape (n_cells, n_genes)
    usages : ndarray of shape (n_cells, k), rows summing to 1
    spectra : ndarray of shape (k, n_genes), TPM, the start
    n_iter : int, default=20

    Returns
    -------
    spectra : ndarray of shape (k, n_genes), TPM
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from ..estimators.api import non_negative_factorization

    library = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    H = np.ascontiguousarray((usages * (library / 1e6)[:, None]).T)
    Xt = sparse.csr_matrix(counts.T, dtype=np.float64) if sparse.issparse(counts) else counts.T
    # multiplicative updates cannot leave 0: start every entry a little above it
    start = np.maximum(spectra.T, 1e-9 * max(float(spectra.max()), 1e-300))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget, on purpose
        St, _, _ = non_negative_factorization(
            Xt, W=np.ascontiguousarray(start), H=H, n_components=H.shape[0], init="custom",
            update_H=False, beta_loss="kullback-leibler", solver="mu", max_iter=n_iter,
            tol=0.0,
        )  # fmt: skip
    return np.ascontiguousarray(St.T)


def gene_scores(usages, tpm, eps=1e-12):
    """cNMF's gene scores: least-squares coefficients of every gene's z-scored TPM on
    the usages (no intercept), computed from sufficient statistics (sparse-safe).

    Parameters
    ----------
    usages : ndarray of shape (n_cells, k)
    tpm : {ndarray, sparse matrix} of shape (n_cells, n_genes)

    Returns
    -------
    scores : ndarray of shape (k, n_genes)
    """
    U = np.asarray(usages, dtype=np.float64)
    mean, var = gene_mean_var(tpm)
    std = np.sqrt(np.maximum(var, eps))
    UtZ = (np.asarray((tpm.T @ U).T, dtype=np.float64) - np.outer(U.sum(axis=0), mean)) / std
    return np.linalg.lstsq(U.T @ U, UtZ, rcond=None)[0]


def match_programs(true, found):
    """Pair found programs with true ones to maximize total Pearson correlation.

    Parameters
    ----------
    true : ndarray of shape (k_true, n_genes)
    found : ndarray of shape (k_found, n_genes)

    Returns
    -------
    correlations : ndarray of shape (k_true,)
        Each true program's correlation with its partner (NaN where unmatched, when
        fewer programs were found than are true).
    partners : ndarray of int of shape (k_true,)
        Row of ``found`` paired with each true program (-1 where unmatched).
    """
    from scipy.optimize import linear_sum_assignment

    a = true - true.mean(axis=1, keepdims=True)
    b = found - found.mean(axis=1, keepdims=True)
    a /= np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-300)
    b /= np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-300)
    R = a @ b.T
    rows, cols = linear_sum_assignment(-R)
    correlations = np.full(len(true), np.nan)
    partners = np.full(len(true), -1)
    correlations[rows], partners[rows] = R[rows, cols], cols
    return correlations, partners
