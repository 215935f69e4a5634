"""``SemiNMF``: mixed-sign X ≈ W H with W ≥ 0 (semi-NMF, and convex NMF)."""

import numpy as np
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_is_fitted, validate_data

from ..arrays.engines import NumpyEngine
from ..core.family.convex import ConvexData
from ..core.family.semi import SemiData, least_squares_H
from ..core.init import make_rng
from ..core.solvers.bpp import nnls_bpp
from ..core.validation import BOOLEAN, Options
from ._family import COMMON_CONSTRAINTS, FITTED_ATTRIBUTES, FamilyEstimator, expect_matrix

__all__ = ["SemiNMF"]


class SemiNMF(FamilyEstimator):
    """Semi-NMF: X of any sign ≈ W H with W ≥ 0, components H of any sign.

    For mixed-sign data (standardised measurements, embeddings, centred signals) where
    NMF does not apply: each sample is a non-negative combination of k components, so
    W reads as soft cluster memberships and the components as centroids (Ding, Li &
    Jordan 2010; their X ≈ F Gᵀ with G ≥ 0 in scikit-learn's orientation). With W a
    0/1 indicator it is k-means, which it relaxes: its error lies between k-means' and
    the truncated SVD's. ``convex=True`` fits convex NMF instead, X ≈ W (A X) with A ≥
    0: each component a non-negative mixture of samples (``mixing_``), still readable
    on mixed-sign data.

    Parameters
    ----------
    n_components : int, default=2
    convex : bool, default=False
        Components restricted to non-negative mixtures of the samples (the fit then
        works on the n_samples × n_samples kernel X Xᵀ).
    init : {'kmeans', 'random'}, default='kmeans'
        'kmeans': the paper's start, k-means' clusters as indicators plus 0.2
        (scikit-learn's ``KMeans``, one run seeded by ``random_state``); 'random':
        a random non-negative W.
    solver : {'auto', 'als', 'mu'}, default='auto'
        'als': W by exact non-negative least squares, H by exact least squares;
        'mu': the paper's multiplicative update of W (then H exact). Convex NMF has
        the paper's multiplicative updates only ('auto' and 'mu'). Both are monotone.
    tol : float, default=1e-4
        The fit stops when the objective ½‖X − W H‖² fell by less than ``tol`` times
        its value over the last 10 iterations (NMF's rule).
    max_iter : int, default=200
    random_state : int, Generator, RandomState or None, default=None
    verbose : int, default=0
        Print the objective at every check.
    callback : callable, optional
        ``callback(n_iter, loss, W, H)`` at every check; returning True stops the fit.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        H, of any sign.
    mixing_ : ndarray of shape (n_components, n_samples)
        With ``convex=True``: A, with ``components_ = mixing_ @ X``.
    labels_ : ndarray of int of shape (n_samples,)
        The cluster of each sample. Semi-NMF: the component that alone explains it
        best, argmax_j max(⟨x, h_j⟩, 0) / ‖h_j‖ (the paper's largest entry of W is
        blind to a drift of W along the near-null direction of centred data, and
        clustered standardised digits, wine, iris and breast cancer worse: median NMI
        0.52 / 0.49 / 0.35 / 0.35 against 0.57 / 0.80 / 0.65 / 0.62). Convex NMF: the
        largest entry of its row of W, as the paper says.
    reconstruction_err_ : float
        ‖X − W H‖_F.
    n_iter_, loss_curve_, loss_times_, stop_reason_, n_components_, n_features_in_
        As for :class:`nmfkit.NMF`.

    References
    ----------
    Ding, Li & Jordan (2010), "Convex and semi-nonnegative matrix factorizations",
    IEEE TPAMI 32(1), doi:10.1109/TPAMI.2008.277.

    Examples
    --------
    >>> import numpy as np
    >>> from nmfkit import SemiNMF
    >>> rng = np.random.default_rng(0)
    >>> H = rng.standard_normal((3, 8))          # components of any sign
    >>> W = rng.random((50, 3))                  # non-negative memberships
    >>> model = SemiNMF(3, tol=1e-10, max_iter=2000, random_state=0)
    >>> W_fit = model.fit_transform(W @ H)
    >>> bool(model.reconstruction_err_ < 1e-6 * np.linalg.norm(W @ H))
    True
    """

    _saved_arrays = {
        "components_": "float", "mixing_": "float", "labels_": "int", "feature_names_in_": "text",
    }  # fmt: skip
    _saved_attributes = FITTED_ATTRIBUTES
    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        "convex": [BOOLEAN],
        "init": [Options(["kmeans", "random"])],
        "solver": [Options(["auto", "als", "mu"])],
    }

    def __init__(
        self, n_components=2, *, convex=False, init="kmeans", solver="auto", tol=1e-4,
        max_iter=200, random_state=None, verbose=0, callback=None,
    ):  # fmt: skip
        self.n_components = n_components
        self.convex = convex
        self.init = init
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback

    def _check_X(self, X, reset, caller):
        X = validate_data(self, expect_matrix(X, caller), reset=reset,
                          dtype=[np.float64, np.float32])  # fmt: skip
        if reset and self.n_components > X.shape[0]:
            raise ValueError(
                f"{caller}: n_components={self.n_components} is more than the "
                f"{X.shape[0]} samples of X; use at most {X.shape[0]}."
            )
        return X

    def _solver(self, caller):
        if not self.convex:
            return "semi-mu" if self.solver == "mu" else "semi-als"
        if self.solver == "als":
            raise ValueError(
                f"{caller}: convex=True has multiplicative updates only, not "
                "solver='als'; use solver='auto' (or 'mu')."
            )
        return "convex-mu"

    def _start(self, X, rng):
        n, k = X.shape[0], self.n_components
        if self.init == "kmeans":
            seed = int(rng.integers(2**31 - 1))
            labels = KMeans(k, n_init=1, random_state=seed).fit(X).labels_
            member = np.eye(k, dtype=X.dtype)[labels] + X.dtype.type(0.2)
        else:
            member = rng.random((n, k)).astype(X.dtype) + X.dtype.type(0.01)
        if not self.convex:
            return member, least_squares_H(member, X)
        # the paper's A: memberships over cluster sizes, so A X starts at the centroids
        return member, (member / member.sum(axis=0)).T.copy()

    def fit_transform(self, X, y=None):
        """Fit the model to X and return W.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Any sign; finite; dense.
        y : Ignored

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
            The non-negative coefficients of each sample: ``transform(X)`` for
            semi-NMF; convex NMF's own W (the memberships its updates reached).
        """
        caller = "SemiNMF.fit"
        self._validate()
        solver = self._solver(caller)
        X = self._check_X(X, True, caller)
        W, H = self._start(X, make_rng(self.random_state))
        engine = NumpyEngine()
        data = ConvexData(X, engine) if self.convex else SemiData(X, engine)
        W, H, result = self._iterate(data, W, H, solver, caller)
        if self.convex:
            self.mixing_, H = H, H @ X
        elif hasattr(self, "mixing_"):
            del self.mixing_
        self.components_ = H
        if not self.convex:
            # the exact W for the final components, as transform(X) gives it, so that
            # fit_transform(X) equals fit(X).transform(X) (the iterates' W is no better).
            # Convex NMF keeps its own W: on centred data A X is nearly degenerate, and
            # the exact W of it can trade one cluster's membership for another's
            W = self._solve_W(X, W)
        self.reconstruction_err_ = float(np.linalg.norm(X - W @ H))
        self.labels_ = self._labels(X, W)
        return W

    def transform(self, X):
        """The non-negative W of X for the fitted components (exact least squares).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = self._check_X(X, False, "SemiNMF.transform")
        return self._solve_W(X, np.ones((X.shape[0], self.n_components_), dtype=X.dtype))

    def _solve_W(self, X, W0):
        """argmin_{W ≥ 0} ‖X − W H‖ for the fitted H, exact (block principal pivoting,
        warm from W0): no iterations, so no Loop."""
        H = self.components_.astype(X.dtype, copy=False)
        return nnls_bpp(H @ H.T, X @ H.T, W0, NumpyEngine(), X.dtype)

    def inverse_transform(self, X):
        """W @ components_: the samples that coefficients W stand for."""
        check_is_fitted(self)
        return np.asarray(X) @ self.components_

    def fit_predict(self, X, y=None):
        """Fit and return the cluster of each sample (``labels_``)."""
        self.fit(X)
        return self.labels_

    def predict(self, X):
        """The cluster of each sample of X for the fitted components."""
        check_is_fitted(self)
        X = self._check_X(X, False, "SemiNMF.predict")
        return self._labels(X, None if not self.convex else self.transform(X))

    def _labels(self, X, W):
        """See ``labels_``."""
        if self.convex:
            return np.argmax(W, axis=1)
        H = self.components_
        norms = np.linalg.norm(H, axis=1)
        fit = np.maximum(X @ H.T, 0) / np.where(norms > 0, norms, 1.0)
        return np.argmax(fit, axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags
