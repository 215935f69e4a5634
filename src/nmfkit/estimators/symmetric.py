"""``SymmetricNMF``: graph clustering by A ≈ H Hᵀ, and the k-NN graph it clusters."""

import math
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import kneighbors_graph
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ..arrays.engines import NumpyEngine
from ..core.family.symmetric import SymmetricData
from ..core.init import make_rng
from ..core.validation import Interval, Options
from ._family import COMMON_CONSTRAINTS, FITTED_ATTRIBUTES, FamilyEstimator, expect_matrix

__all__ = ["SymmetricNMF", "similarity_graph", "normalize_graph"]


class SymmetricNMF(FamilyEstimator):
    """Symmetric NMF: A ≈ H Hᵀ with H ≥ 0, for a symmetric similarity or graph matrix A.

    Clusters the n items of a graph (or of data, through ``similarity_graph``): row i
    of H holds item i's memberships, and its largest entry its cluster (Kuang, Ding &
    Park 2012, 2015). A raw adjacency matrix should be normalised first
    (``normalize_graph``), as the papers do: unnormalised, high-degree nodes dominate
    the fit and large clusters split. It needs no eigenvectors and no k-means on top of them, as
    spectral clustering does, and handles overlapping and unbalanced clusters.

    Parameters
    ----------
    n_components : int, default=2
        The number of clusters.
    solver : {'auto', 'cd', 'anls'}, default='auto'
        'cd': exact coordinate descent on ‖A − H Hᵀ‖² (Vandaele et al. 2016), one
        compiled sweep per iteration, cost O(nnz(A)·k + n·k²); 'anls': Kuang et al.'s
        penalty method, exact alternating NNLS on ‖A − W Hᵀ‖² + α‖W − H‖². 'auto'
        takes 'cd': on the 20 Newsgroups and digits k-NN graphs it found clusters at
        least as good, and steadier across seeds (``benchmarks/family.py``). 'cd' reads
        A by rows as a float64 CSR matrix: a dense A is copied to that form once
        (about 1.5 times its memory), so pass large graphs sparse.
    alpha : float or 'auto', default='auto'
        ANLS's coupling weight, relative to max(A): the penalty is
        ½·alpha·max(A)·‖W − H‖², so the fit does not depend on A's scale. 'auto' is 1:
        Kuang et al.'s α = max(A)² for a graph whose largest weight is 1.
    tol : float, default=1e-6
        The fit stops when the objective fell by less than ``tol`` times its value
        over the last 10 iterations (NMF's rule). Smaller than NMF's 1e-4: a sparse
        graph's objective is mostly the part no rank-k product explains, so its
        relative decrease is small while memberships still move (20 Newsgroups k-NN
        graph, medians of 8 seeds: NMI 0.41 at 1e-4, 0.45 at 1e-5, 0.465 at 1e-6).
    max_iter : int, default=1000
    random_state : int, Generator, RandomState or None, default=None
        Seeds the random start, 2·sqrt(mean(A)/k)·U(0, 1) (Kuang et al.'s).
    verbose : int, default=0
    callback : callable, optional
        ``callback(n_iter, loss, W, H)`` at every check; returning True stops the fit.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_items)
        Hᵀ: the membership of every fitted item in each cluster.
    labels_ : ndarray of int of shape (n_items,)
        The cluster of each item: the largest entry of its row of H.
    reconstruction_err_ : float
        ‖A − H Hᵀ‖_F.
    n_iter_, loss_curve_, loss_times_, stop_reason_, n_components_, n_features_in_
        As for :class:`nmfkit.NMF` (``n_features_in_`` is n_items).

    References
    ----------
    Kuang, Yun & Park (2015), "SymNMF: nonnegative low-rank approximation of a
    similarity matrix for graph clustering", J. Global Optim. 62,
    doi:10.1007/s10898-014-0247-2. Vandaele, Gillis, Lei, Zhong & Van Dooren (2016),
    doi:10.1109/TSP.2016.2591510.

    Examples
    --------
    >>> import numpy as np
    >>> from nmfkit import SymmetricNMF
    >>> H = np.kron(np.eye(2), np.ones((4, 1)))   # two groups of four
    >>> A = H @ H.T
    >>> labels = SymmetricNMF(2, random_state=0).fit_predict(A)
    >>> len(set(labels[:4])), len(set(labels[4:])), bool(labels[0] != labels[4])
    (1, 1, True)
    """

    _saved_arrays = {"components_": "float", "labels_": "int", "feature_names_in_": "text"}
    _saved_attributes = FITTED_ATTRIBUTES
    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        "solver": [Options(["auto", "cd", "anls"])],
        "alpha": [Interval(numbers.Real, 0, None, "neither"), Options(["auto"])],
    }

    def __init__(
        self, n_components=2, *, solver="auto", alpha="auto", tol=1e-6, max_iter=1000,
        random_state=None, verbose=0, callback=None,
    ):  # fmt: skip
        self.n_components = n_components
        self.solver = solver
        self.alpha = alpha
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback

    def _check_A(self, A, caller):
        A = expect_matrix(A, caller, "A")
        A = validate_data(self, A, accept_sparse="csr", dtype=[np.float64, np.float32])
        A = NumpyEngine().check_input(A, caller=caller)  # A >= 0, finite
        n, m = A.shape
        if n != m:
            raise ValueError(
                f"{caller}: A must be square (a similarity of the items to each other), "
                f"got shape {A.shape}; build one from data with nmfkit.similarity_graph(X)."
            )
        asym = abs(A - A.T)
        gap = float(asym.max()) if asym.size else 0.0
        top = float(abs(A).max()) if A.size else 0.0
        # rounding of A's own dtype: a float32 graph is symmetric to about its eps
        rel = 1e-8 if A.dtype == np.float64 else 100 * float(np.finfo(A.dtype).eps)
        if gap > rel * max(top, 1e-300):
            raise ValueError(
                f"{caller}: A is not symmetric (largest |A - A.T| is {gap:.3g}); "
                "symmetrise it first, e.g. A = (A + A.T) / 2."
            )
        if self.n_components > n:
            raise ValueError(
                f"{caller}: n_components={self.n_components} is more than the {n} items of "
                f"A; use at most {n}."
            )
        return A

    def fit_transform(self, A, y=None):
        """Fit H to the similarity matrix A and return it.

        Parameters
        ----------
        A : {array-like, sparse matrix} of shape (n_items, n_items)
            Symmetric and non-negative: a similarity matrix or a graph's (weighted)
            adjacency matrix, e.g. from ``similarity_graph``.
        y : Ignored

        Returns
        -------
        H : ndarray of shape (n_items, n_components)
            Memberships.
        """
        caller = "SymmetricNMF.fit"
        self._validate()
        A = self._check_A(A, caller)
        n, k = A.shape[0], self.n_components
        top = float(A.max()) if A.size else 0.0
        if top == 0:
            raise ValueError(f"{caller}: A is all zeros; a graph with edges is needed.")
        total = float(A.sum())
        rng = make_rng(self.random_state)
        H0 = (2.0 * math.sqrt(total / n**2 / k) * rng.random((n, k))).astype(A.dtype)
        if self.solver == "anls":
            # the data term scales as max(A)², the penalty as α·max(A): α ∝ max(A)
            alpha = (1.0 if self.alpha == "auto" else float(self.alpha)) * top
            solver = "symmetric-anls"
        else:
            alpha, solver = 0.0, "symmetric-cd"
        data = SymmetricData(A, NumpyEngine(), alpha)
        H, _, result = self._iterate(data, H0, H0.T.copy(), solver, caller)
        # ‖A − H Hᵀ‖ (no penalty), with the ‖A‖² the Loop already took
        exact = SymmetricData(A, NumpyEngine())
        fit = exact.divergence(H, H.T, facts=result.facts)
        self.reconstruction_err_ = float(np.sqrt(2.0 * fit))
        self.components_ = H.T.copy()
        self.labels_ = np.argmax(H, axis=1)
        return H

    def fit_predict(self, A, y=None):
        """Fit and return the cluster of each item (``labels_``)."""
        return np.argmax(self.fit_transform(A), axis=1)

    def transform(self, A):
        """Memberships of new items from their similarities to the fitted ones.

        Parameters
        ----------
        A : {array-like, sparse matrix} of shape (n_new, n_items)
            Row i: the similarities of new item i to each fitted item (for the fitted
            items themselves, the rows of the fitted A).

        Returns
        -------
        H : ndarray of shape (n_new, n_components)
            argmin_{H ≥ 0} ‖A − H components_‖, exact (block principal pivoting).
        """
        from .nmf import with_components

        check_is_fitted(self)
        caller = "SymmetricNMF.transform"
        A = validate_data(self, A, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32])
        A = NumpyEngine().check_input(A, caller=caller)
        H = self.components_.astype(A.dtype, copy=False)
        return np.asarray(with_components(H, max_iter=200).transform(A))

    def predict(self, A):
        """The cluster of each new item (see ``transform``)."""
        return np.argmax(self.transform(A), axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        tags.input_tags.pairwise = True
        return tags


def similarity_graph(X, n_neighbors="auto", metric="auto"):
    """A sparse, symmetric k-nearest-neighbour similarity graph of the rows of X.

    As Kuang et al. build it for SymNMF and spectral clustering: each row linked to
    its ``n_neighbors`` nearest rows (scikit-learn's ``kneighbors_graph``), the link
    weighted by the rows' similarity, kept when either row is among the other's
    neighbours, then normalised by ``normalize_graph``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    n_neighbors : int or 'auto', default='auto'
        'auto': floor(log2(n_samples)) + 1, the papers' choice.
    metric : {'auto', 'cosine', 'euclidean'}, default='auto'
        'cosine': weight 1 − cosine distance (text: TF-IDF rows); 'euclidean': the
        self-tuning Gaussian weight exp(−d² / (σ_i σ_j)), σ_i the distance of row i to
        its 7th neighbour (Zelnik-Manor & Perona 2004), as the papers use for images;
        'auto': cosine for sparse X, euclidean for dense X.

    Returns
    -------
    A : scipy.sparse.csr_matrix of shape (n_samples, n_samples), float64
        Symmetric (exactly), non-negative, zero diagonal.
    """
    caller = "similarity_graph"
    X = check_array(expect_matrix(X, caller), accept_sparse="csr", dtype=[np.float64, np.float32])
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"{caller}: X has {n} row; a graph needs at least 2.")
    if metric not in ("auto", "cosine", "euclidean"):
        raise ValueError(
            f"{caller}: metric={metric!r} is not one of 'auto', 'cosine', 'euclidean'."
        )
    if metric == "auto":
        metric = "cosine" if sp.issparse(X) else "euclidean"
    if n_neighbors == "auto":
        k = int(math.log2(n)) + 1
    elif isinstance(n_neighbors, numbers.Integral) and not isinstance(n_neighbors, bool):
        if n_neighbors < 1:
            raise ValueError(f"{caller}: n_neighbors={n_neighbors} must be at least 1.")
        k = int(n_neighbors)
    else:
        raise ValueError(
            f"{caller}: n_neighbors must be 'auto' or a positive int, got {n_neighbors!r}."
        )
    k = min(k, n - 1)
    D = kneighbors_graph(X, k, mode="distance", metric=metric, include_self=False).tocsr()
    D = D.astype(np.float64)
    if metric == "cosine":
        E = D.copy()
        E.data = np.clip(1.0 - E.data, 0.0, None)
    else:
        far = kneighbors_graph(X, min(7, n - 1), mode="distance", include_self=False)
        sigma = np.asarray(far.max(axis=1).todense(), dtype=np.float64).ravel()
        sigma = np.where(sigma > 0, sigma, 1.0)
        E = D.tocoo()
        E.data = np.exp(-(E.data**2) / (sigma[E.row] * sigma[E.col]))
        E = E.tocsr()
    return normalize_graph(E.maximum(E.T))


def normalize_graph(A):
    """D^-1/2 A D^-1/2 for a graph's weighted adjacency matrix A, D its degrees.

    The normalisation Kuang et al. (and normalised spectral clustering) apply before
    clustering a graph: without it a few high-degree nodes dominate ‖A − H Hᵀ‖ and
    large clusters split. Isolated nodes keep a zero row.

    Parameters
    ----------
    A : {array-like, sparse matrix} of shape (n, n)
        Symmetric, non-negative.

    Returns
    -------
    A_normalized : scipy.sparse.csr_matrix of shape (n, n), float64
        Exactly symmetric.
    """
    A = sp.csr_matrix(check_array(A, accept_sparse="csr", dtype=np.float64))
    if A.shape[0] != A.shape[1]:
        raise ValueError(
            f"normalize_graph: A must be square (a graph's adjacency matrix), got shape "
            f"{A.shape}; build a graph from data with nmfkit.similarity_graph(X)."
        )
    A.eliminate_zeros()
    degree = np.asarray(A.sum(axis=1)).ravel()
    scale = np.where(degree > 0, 1.0 / np.sqrt(np.where(degree > 0, degree, 1.0)), 0.0)
    N = sp.csr_matrix(sp.diags(scale) @ A @ sp.diags(scale))
    # the two products round A[i, j] and A[j, i] in different orders: average them
    return sp.csr_matrix((N + N.T) * 0.5)
