"""``ConsensusNMF``: many random starts, one stable factorization.

NMF's result depends on its start. ``ConsensusNMF`` runs ``n_runs`` starts and keeps
what they agree on:

1. Run r starts from ``numpy.random.default_rng(child_r)``, where ``child_r`` is the r-th
   child of ``numpy.random.SeedSequence(random_state)``. Any run can be replayed alone
   (``replay``), and the results do not depend on ``n_jobs`` (joblib, processes).
2. Consensus matrix (Brunet et al. 2004, doi:10.1073/pnas.0308531101): entry (i, j) is the
   share of runs in which samples i and j have the same dominant component (the largest
   entry of their W row; ``axis='features'`` uses H's columns). Its cophenetic
   correlation (average linkage on 1 − C) and its dispersion (Kim & Park 2007,
   doi:10.1093/bioinformatics/btm134) are 1 for a perfectly stable clustering.
3. Components across runs (Kotliar et al. 2019, cNMF, doi:10.7554/eLife.43803): every
   run's H rows, scaled to unit norm, are pooled. A row whose mean distance to its
   nearest neighbours exceeds ``density_threshold`` is an outlier and is dropped. The
   rest are clustered into k groups (k-means); the consensus H is each group's median,
   and W is refitted with that H held fixed. ``stability_`` is the silhouette of the
   grouping (1: every run found the same components).
4. Labels: ``labels_`` gives each sample (``axis='features'``: each feature) its
   dominant consensus component (the largest entry of its row of ``W_``, of its column of
   ``components_``); ``consensus_labels_`` cuts the average-linkage tree of 1 − C into
   k clusters, Brunet et al.'s clustering of the consensus matrix. The two agree where
   the runs do.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..core.anndata import from_anndata
from ..core.io import Saveable, expect_shape
from ..core.validation import (
    COUNT,
    NONE,
    POSITIVE_INT,
    RANDOM_STATE,
    Interval,
    Options,
    validate_params,
)
from ..estimators.nmf import NMF, with_components

__all__ = [
    "ConsensusNMF",
    "consensus_matrix",
    "cophenetic_correlation",
    "dispersion",
    "unit_rows",
    "group_components",
    "local_density",
    "consensus_components",
    "consensus_clusters",
    "check_rank",
]


def check_rank(caller, ks, shape, fix):
    """Raise ValueError, before any fit, when a k of ``ks`` exceeds min(shape).

    A rank-k NMF of an (m, n) matrix has at most min(m, n) independent components; a
    larger k only splits them, differently in every run (meaningless criteria after
    minutes of work). ``caller`` (None: no prefix) starts the message, ``fix`` ends it.
    """
    shape = tuple(int(v) for v in shape)
    k = max(int(v) for v in np.atleast_1d(ks))
    if len(shape) == 2 and k > min(shape):
        raise ValueError(
            ("" if caller is None else f"{caller}: ")
            + f"k={k} is more than the data allow (at most min(samples, features) "
            f"= min{shape} = {min(shape)}); {fix}."
        )


def _run(X, k, seed, params):
    model = NMF(k, init="random", random_state=np.random.default_rng(seed), **params)
    W = model.fit_transform(X)
    return np.asarray(W), np.asarray(model.components_), float(model.loss_curve_[-1])


def unit_rows(A):
    """A with every row scaled to unit Euclidean norm (zero rows stay zero)."""
    return A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-300)


def group_components(U, k, random_state):
    """k-means of unit-norm components into k groups; (labels, silhouette), the
    silhouette None where it is undefined (fewer than 2 groups, or one per component)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    labels = KMeans(k, n_init=10, random_state=random_state).fit_predict(U)
    n_groups = len(set(labels))
    silhouette = float(silhouette_score(U, labels)) if 1 < n_groups < len(U) else None
    return labels, silhouette


def local_density(U, n_neighbors):
    """Mean Euclidean distance of every unit-norm row of U to its ``n_neighbors``
    nearest other rows (cNMF's outlier score: small inside a cluster of runs)."""
    D = np.sqrt(np.maximum(2.0 - 2.0 * (U @ U.T), 0.0))
    np.fill_diagonal(D, np.inf)
    L = max(1, min(n_neighbors, len(U) - 1))
    return np.partition(D, L - 1, axis=1)[:, :L].mean(axis=1)


def consensus_components(H_all, k, n_neighbors, density_threshold, random_state):
    """cNMF's consensus of components pooled from many runs.

    Rows of ``H_all`` are scaled to unit norm; those whose ``local_density`` exceeds
    ``density_threshold`` are dropped (at least k are kept); the rest are grouped into
    k by k-means and each group's median is a consensus component.

    Returns
    -------
    H : ndarray of shape (k, n_features), the medians (unit-norm scale)
    keep : ndarray of bool, the rows kept
    silhouette : float or None, of the grouping (None where undefined: fewer than two
        groups, or one component per group)
    """
    U = unit_rows(H_all)
    local = local_density(U, n_neighbors)
    keep = local <= density_threshold
    if keep.sum() < k:
        keep = np.isin(np.arange(len(U)), np.argsort(local)[:k])
    kept = U[keep]
    labels, silhouette = group_components(kept, k, random_state)
    H = np.vstack(
        [
            np.median(kept[labels == c], axis=0) if np.any(labels == c) else np.zeros(U.shape[1])
            for c in range(k)
        ]
    )
    return np.maximum(H, 0.0), keep, silhouette


def consensus_matrix(labelings):
    """Share of labelings in which each pair of items has the same label.

    Parameters
    ----------
    labelings : array-like of shape (n_runs, n_items), int

    Returns
    -------
    ndarray of shape (n_items, n_items), float64
    """
    labelings = np.asarray(labelings)
    C = np.zeros((labelings.shape[1],) * 2)
    for labels in labelings:
        C += labels[:, None] == labels[None, :]
    return C / len(labelings)


def cophenetic_correlation(C):
    """Correlation between 1 − C and the cophenetic distances of its average-linkage
    tree (1 when C is a perfect block matrix)."""
    from scipy.cluster.hierarchy import cophenet, linkage
    from scipy.spatial.distance import squareform

    D = squareform(1.0 - C, checks=False)
    if np.allclose(D, D[0]):
        return 1.0  # all distances equal: one cluster or all apart, no ambiguity
    return float(cophenet(linkage(D, method="average"), D)[0])


def consensus_clusters(C, k):
    """Brunet et al.'s clusters of a consensus matrix: its average-linkage tree on the
    distances 1 − C, cut into (at most) k clusters.

    Parameters
    ----------
    C : array-like of shape (n_items, n_items)
    k : int

    Returns
    -------
    ndarray of shape (n_items,), int, labels 0 .. k−1 numbered by first appearance
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    C = np.asarray(C, dtype=np.float64)
    if len(C) < 2:
        return np.zeros(len(C), dtype=np.int64)
    tree = linkage(squareform(1.0 - C, checks=False), method="average")
    raw = fcluster(tree, t=k, criterion="maxclust")
    _, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # number clusters by first appearance
    return order[inverse].astype(np.int64)


def dispersion(C):
    """Kim & Park's dispersion: mean of 4 (C_ij − ½)², 1 for a matrix of 0s and 1s."""
    return float(np.mean(4.0 * (np.asarray(C) - 0.5) ** 2))


class ConsensusNMF(TransformerMixin, BaseEstimator, Saveable):
    """NMF from many random starts, combined into a consensus (see the module docstring).

    Parameters
    ----------
    n_components : int
    n_runs : int, default=50
    density_threshold : float, default=0.5
        Largest mean distance (between unit-norm components) to the nearest neighbours
        for a component to be kept; 2 keeps everything.
    n_neighbors : int or None, default=None
        Neighbours in the density test (default: a third of ``n_runs``, at least 1).
    axis : {'samples', 'features'}, default='samples'
        What the consensus matrix clusters: samples (rows of X, by W) or features (by H).
    beta_loss, solver, max_iter, tol, alpha_W, alpha_H, l1_ratio
        Passed to every run's :class:`nmfkit.NMF`.
    random_state : int or None, default=None
        Root of the ``SeedSequence`` the runs' seeds come from.
    n_jobs : int or None, default=None
        Parallel runs (joblib processes; -1: every CPU). Results do not depend on it.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Consensus H.
    W_ : ndarray of shape (n_samples, n_components)
        W refitted with ``components_`` fixed.
    consensus_matrix_ : ndarray of shape (n_items, n_items)
    cophenetic_ : float
    dispersion_ : float
    stability_ : float
        Silhouette of the components grouped across runs.
    n_outliers_ : int
        Components dropped by the density test.
    run_losses_ : ndarray of shape (n_runs,)
        Each run's final objective.
    labels_ : ndarray of shape (n_items,), int
        Each sample's (``axis='features'``: feature's) dominant consensus component.
    consensus_labels_ : ndarray of shape (n_items,), int
        The consensus matrix's average-linkage tree cut into ``n_components``
        clusters (Brunet et al. 2004).

    Raises
    ------
    ValueError
        From ``fit``, before any run, when ``n_components`` exceeds
        min(n_samples, n_features).
    """

    _saved_arrays = {
        "components_": "float",
        "W_": "float",
        "consensus_matrix_": "float",
        "run_losses_": "float",
    }
    _saved_attributes = {
        "n_features_in_": [POSITIVE_INT],
        "cophenetic_": [Interval(numbers.Real, None, None), NONE],
        "dispersion_": [Interval(numbers.Real, None, None)],
        "stability_": [Interval(numbers.Real, None, None), NONE],
        "n_outliers_": [COUNT],
    }
    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, "left")],
        "n_runs": [Interval(numbers.Integral, 2, None, "left")],
        "density_threshold": [Interval(numbers.Real, 0, 2, "both")],
        "n_neighbors": [Interval(numbers.Integral, 1, None, "left"), NONE],
        "axis": [Options(["samples", "features"])],
        "random_state": [RANDOM_STATE],
    }

    def __init__(
        self,
        n_components,
        *,
        n_runs=50,
        density_threshold=0.5,
        n_neighbors=None,
        axis="samples",
        beta_loss="frobenius",
        solver="auto",
        max_iter=200,
        tol=1e-4,
        alpha_W=0.0,
        alpha_H="same",
        l1_ratio=0.0,
        random_state=None,
        n_jobs=None,
    ):
        self.n_components = n_components
        self.n_runs = n_runs
        self.density_threshold = density_threshold
        self.n_neighbors = n_neighbors
        self.axis = axis
        self.beta_loss = beta_loss
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _nmf_params(self):
        return dict(
            beta_loss=self.beta_loss,
            solver=self.solver,
            max_iter=self.max_iter,
            tol=self.tol,
            alpha_W=self.alpha_W,
            alpha_H=self.alpha_H,
            l1_ratio=self.l1_ratio,
        )

    def _seeds(self):
        root = self.random_state if isinstance(self.random_state, numbers.Integral) else None
        return np.random.SeedSequence(root).spawn(self.n_runs)

    def replay(self, run):
        """Refit run ``run`` alone, exactly as ``fit`` ran it; return its NMF."""
        seed = self._seeds()[run]
        model = NMF(
            self.n_components,
            init="random",
            random_state=np.random.default_rng(seed),
            **self._nmf_params(),
        )
        return model.fit(self._X_fit)

    def fit(self, X, y=None, layer=None):
        """Run every start and build the consensus.

        Parameters
        ----------
        X : {array-like, sparse matrix, AnnData} of shape (n_samples, n_features)
        y : Ignored
        layer : str, optional
            With an ``anndata.AnnData`` as X: fit ``X.layers[layer]`` instead of ``X.X``.

        Returns
        -------
        self : ConsensusNMF
        """
        self.fit_transform(X, layer=layer)
        return self

    def fit_transform(self, X, y=None, layer=None):
        """Fit and return the refitted W of shape (n_samples, n_components)."""
        from sklearn.utils.parallel import Parallel, delayed

        validate_params("ConsensusNMF", self.get_params(), self._parameter_constraints)
        X = from_anndata(X, layer, "ConsensusNMF.fit")
        k = self.n_components
        check_rank("ConsensusNMF.fit", k, np.shape(X), "lower n_components")
        runs = Parallel(n_jobs=self.n_jobs)(
            delayed(_run)(X, k, seed, self._nmf_params()) for seed in self._seeds()
        )
        Ws, Hs, losses = zip(*runs)
        if self.axis == "samples":
            labelings = [W.argmax(axis=1) for W in Ws]
        else:
            labelings = [H.argmax(axis=0) for H in Hs]
        C = consensus_matrix(labelings)
        H, n_outliers, stability = self._consensus_components(np.vstack(Hs), k)
        model = with_components(H, **self._nmf_params())
        W = model.transform(X)
        # every attribute is set only now: an interrupted fit leaves nothing behind
        self._X_fit, self.run_losses_ = X, np.array(losses)
        self.consensus_matrix_ = C
        self.cophenetic_, self.dispersion_ = cophenetic_correlation(C), dispersion(C)
        self.n_outliers_, self.stability_ = n_outliers, stability
        self.components_, self.W_, self._model = H, W, model
        self.n_features_in_ = H.shape[1]
        return W

    @property
    def labels_(self):
        """Each item's dominant consensus component (see the class docstring)."""
        check_is_fitted(self, "components_")
        if self.axis == "samples":
            return np.asarray(self.W_).argmax(axis=1)
        return np.asarray(self.components_).argmax(axis=0)

    @property
    def consensus_labels_(self):
        """The consensus matrix cut into ``n_components`` clusters (average linkage)."""
        check_is_fitted(self, "consensus_matrix_")
        return consensus_clusters(self.consensus_matrix_, self.n_components)

    def _consensus_components(self, H_all, k):
        seed = int(self._seeds()[0].generate_state(1)[0])
        L = self.n_neighbors or max(1, self.n_runs // 3)
        H, keep, silhouette = consensus_components(H_all, k, L, self.density_threshold, seed)
        return H, int((~keep).sum()), 1.0 if silhouette is None else silhouette

    def _loaded(self):
        """Check that the saved arrays fit together (see ``Saveable``)."""
        k, n = self.n_components, self.n_features_in_
        expect_shape("components_", self.components_, (k, n))
        expect_shape("W_", self.W_, (None, k))
        m = self.W_.shape[0] if self.axis == "samples" else n
        expect_shape("consensus_matrix_", self.consensus_matrix_, (m, m))
        expect_shape("run_losses_", self.run_losses_, (self.n_runs,))

    def transform(self, X, layer=None):
        """W for new data with the consensus components held fixed."""
        check_is_fitted(self)
        X = from_anndata(X, layer, "ConsensusNMF.transform")
        if getattr(self, "_model", None) is None:  # after load
            self._model = with_components(self.components_, **self._nmf_params())
        return self._model.transform(X)
