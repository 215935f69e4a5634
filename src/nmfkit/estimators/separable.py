"""``SeparableNMF``: NMF from the pure rows of X (SPA, SNPA)."""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from ..arrays.engines import NumpyEngine
from ..core.losses import beta_divergence
from ..core.separable import anchor_rows, snpa_rows, spa_rows
from ..core.validation import POSITIVE_INT, Interval, Options, validate_params
from .nmf import _FactorizationMixin, with_components

__all__ = ["SeparableNMF"]

_METHODS = {"spa": spa_rows, "snpa": snpa_rows}


class SeparableNMF(_FactorizationMixin):
    """Separable NMF: X ≈ W X[anchors], the components being k rows of X itself.

    Under separability every row of X is a non-negative mixture of k of its rows (pure
    pixels in a hyperspectral scene, pure samples, archetypes; anchor words when X is
    terms × documents). SPA (Araújo et al. 2001; Gillis & Vavasis 2014) and SNPA
    (Gillis 2014) find those rows greedily, provably robust to noise, in time linear in
    X's size, with no iterations and no start: the anchors are ``anchors_``, the
    components ``X[anchors_]``, and W the exact non-negative least-squares weights.
    The anchors also start any NMF fit: ``NMF(init='spa')``.

    Parameters
    ----------
    n_components : int, default=2
    method : {'snpa', 'spa'}, default='snpa'
        'snpa' measures what the picks leave unexplained by the convex hull of the picks
        and the origin (more robust); 'spa' by their span (faster).

    Attributes
    ----------
    anchors_ : ndarray of int of shape (n_components,)
        The rows of X chosen, in the order picked.
    components_ : ndarray of shape (n_components, n_features)
        ``X[anchors_]``.
    reconstruction_err_ : float
        ‖X − W H‖_F for the W that ``fit_transform`` returned.
    n_components_ : int
    n_features_in_ : int

    References
    ----------
    Gillis & Vavasis (2014), doi:10.1109/TPAMI.2013.226. Gillis (2014),
    doi:10.1137/130946782. Arora et al. (2013), "A practical algorithm for topic
    modeling with provable guarantees", ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from nmfkit import SeparableNMF
    >>> rng = np.random.default_rng(0)
    >>> H = rng.random((3, 10))
    >>> W = np.vstack([np.eye(3), rng.dirichlet([1, 1, 1], size=20)])
    >>> model = SeparableNMF(3).fit(W @ H)
    >>> sorted(model.anchors_.tolist())
    [0, 1, 2]
    """

    _saved_arrays = {"components_": "float", "anchors_": "int", "feature_names_in_": "text"}
    _saved_attributes = {
        "n_components_": [POSITIVE_INT],
        "reconstruction_err_": [Interval(numbers.Real, 0, None, "left")],
        "n_features_in_": [POSITIVE_INT],
    }
    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, "left")],
        "method": [Options(_METHODS)],
    }

    def __init__(self, n_components=2, *, method="snpa"):
        self.n_components = n_components
        self.method = method

    def fit_transform(self, X, y=None):
        """Choose the anchors of X; return W.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Non-negative.
        y : Ignored

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        validate_params(type(self).__name__, self.get_params(False), self._parameter_constraints)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        X = NumpyEngine().check_input(X, caller="SeparableNMF.fit")  # X >= 0, finite
        if self.n_components > min(X.shape):
            raise ValueError(
                f"SeparableNMF.fit: n_components={self.n_components} is more than "
                f"min(n_samples, n_features) = {min(X.shape)}; use fewer."
            )
        picks = _METHODS[self.method](X, self.n_components)
        H = anchor_rows(X, picks, X.dtype)
        self.anchors_ = np.asarray(picks, dtype=np.int64)
        self.components_ = H
        self.n_components_ = self._n_components = self._n_features_out = len(picks)
        W = np.asarray(self._model().transform(X))
        self.reconstruction_err_ = _residual(X, W, H)
        return W

    def fit(self, X, y=None):
        """Choose the anchors of X (see ``fit_transform``); return self."""
        self.fit_transform(X)
        return self

    def _model(self):
        return with_components(self.components_, max_iter=200)

    def transform(self, X):
        """The exact non-negative least-squares W of X for the anchors (BPP).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32])
        return np.asarray(self._model().transform(X))

    def _loaded(self):
        k, n = self.n_components_, self.n_features_in_
        if np.shape(self.components_) != (k, n) or np.shape(self.anchors_) != (k,):
            raise ValueError("components_ and anchors_ do not match n_components_")
        self._n_features_out = k


def _residual(X, W, H):
    """‖X − W H‖_F without a dense copy of a sparse X."""
    return float(np.sqrt(2.0 * beta_divergence(X, W, H, 2.0, NumpyEngine())))
