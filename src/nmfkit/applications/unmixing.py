r"""Linear spectral unmixing: pixels as mixtures of a few pure materials.

A hyperspectral pixel (a spectrum over bands) is modelled as a non-negative mixture of
k endmember spectra, X ≈ A E, with X (pixels × bands), abundances A (pixels × k) and
endmembers E (k × bands): scikit-learn's orientation, A = W and E = H. Plain NMF does
not identify the materials (its factors are not unique); the minimum-volume
criterion with abundances on the simplex does, under conditions real scenes meet
(Fu, Huang, Sidiropoulos & Ma 2016; Leplat, Ang & Gillis 2019).
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..core.constraints import MinVolume, Simplex
from ..core.validation import NONE, RANDOM_STATE, Instance, Interval, Options, validate_params
from ..estimators.nmf import NMF
from .metrics import _residual_sq, pixel_errors

__all__ = ["Unmixing"]


class Unmixing(TransformerMixin, BaseEstimator):
    r"""Hyperspectral unmixing by minimum-volume NMF with abundances on the simplex.

    Fits X ≈ diag(s) A E with abundances A ≥ 0 (each row summing to one), endmember
    spectra E ≥ 0 and a per-pixel scale s > 0 (shading, slope, illumination: the
    scaled linear mixing model). Each pixel is first divided by its sum over the bands
    (``pixel_norm='l1'``), which removes s; the normalised pixels X̃ are convex
    mixtures of the normalised endmembers, found by minimising

    .. math::

        \tfrac12 \|\tilde X - A \tilde E\|_F^2
        + \lambda \log\det(\tilde E \tilde E^\top / \delta + I),
        \quad A \ge 0,\ A \mathbf{1} = \mathbf{1}

    (minimum-volume NMF, Leplat, Ang & Gillis 2019, with the abundances on the
    simplex). The start is the pure pixels that the successive projection algorithm
    finds (SPA; Gillis & Vavasis 2014), and λ is set from it (``nmfkit.MinVolume``):
    nothing depends on the scene's scale or size. The abundances are then each
    material's share of the pixel's total reflectance.

    Parameters
    ----------
    n_components : int, default=3
        The number of endmembers (materials).
    pixel_norm : {'l1', None}, default='l1'
        'l1': divide each pixel by its sum first (the scaled mixing model above). None:
        unmix X as it is (X ≈ W E with W's rows summing as ``abundance_sum`` says),
        for data without shading.
    abundance_sum : {'one', 'at_most_one'}, default='one'
        The rows of W sum to one, or to at most one (Leplat, Ang & Gillis's model 1:
        the rest is darkness). The returned abundances always sum to one.
    min_volume : float, default=0.1
        λ̃, the weight of the minimum-volume penalty relative to the starting error
        (``MinVolume(lam_tilde=...)``), Leplat, Ang & Gillis's default; 0 turns it
        off. Simulated scenes (``benchmarks/unmixing.py``) recover their endmembers
        for λ̃ from 0.03 to 0.3.
    delta : float or 'auto', default='auto'
        δ of the log-determinant (``MinVolume``).
    init : {'spa', 'nndsvda', 'random'}, default='spa'
    tol : float, default=1e-5
        As in ``NMF``: the relative decrease of the objective over 10 iterations below
        which the fit stops.
    max_iter : int, default=1000
    random_state : int, Generator, RandomState or None, default=None
        For init='random' ('spa' is deterministic).
    image_shape : tuple (rows, cols), optional
        The scene's shape, pixels in row-major order: ``abundance_maps`` and the plots
        use it.
    verbose : int, default=0

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_bands)
        The endmember spectra. With ``pixel_norm='l1'`` they are spectral *shapes*:
        each sums to the median pixel sum over the bands, since a material's brightness
        and a pixel's shading cannot be told apart once pixels are normalised (compare
        them by spectral angle, ``nmfkit.metrics.spectral_angles``); with
        ``pixel_norm=None`` they are in X's units.
    abundances_ : ndarray of shape (n_pixels, n_components)
        The abundances of the fitted pixels (rows sum to one): what ``fit_transform``
        returned.
    scale_ : ndarray of shape (n_pixels,)
        Each pixel's scale s: its sum over the bands over the median one (shading and
        the brightness of its materials together), or with ``pixel_norm=None`` the sum
        of its row of W.
    pixel_error_ : ndarray of shape (n_pixels,)
        Each pixel's relative reconstruction error ‖x − s a E‖ / ‖x‖.
    reconstruction_err_ : float
        ‖X − diag(s) A E‖_F.
    n_iter_ : int
    loss_curve_ : list of float
        The objective (data fit plus penalty) at iteration 0 and every 10 iterations.
    model_ : NMF
        The fitted constrained NMF.

    References
    ----------
    Fu, Huang, Sidiropoulos & Ma (2016), doi:10.1109/TSP.2016.2545938. Leplat, Ang &
    Gillis (2019), doi:10.1109/ICASSP.2019.8682280. Gillis & Vavasis (2014),
    doi:10.1109/TPAMI.2013.226. Bioucas-Dias et al. (2012), "Hyperspectral unmixing
    overview", doi:10.1109/JSTARS.2012.2194696.

    Examples
    --------
    >>> import numpy as np
    >>> from nmfkit import Unmixing
    >>> rng = np.random.default_rng(0)
    >>> E = rng.random((3, 50)) + 0.1
    >>> A = rng.dirichlet([1, 1, 1], size=400)
    >>> model = Unmixing(n_components=3).fit(A @ E)
    >>> model.abundances_.shape, bool(np.allclose(model.abundances_.sum(axis=1), 1))
    ((400, 3), True)
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, "left")],
        "pixel_norm": [Options(["l1"]), NONE],
        "abundance_sum": [Options(["one", "at_most_one"])],
        "min_volume": [Interval(numbers.Real, 0, None, "left")],
        "delta": [Interval(numbers.Real, 0, None, "neither"), Options(["auto"])],
        "init": [Options(["spa", "nndsvda", "random"])],
        "tol": [Interval(numbers.Real, 0, None, "left")],
        "max_iter": [Interval(numbers.Integral, 1, None, "left")],
        "random_state": [RANDOM_STATE],
        "image_shape": [Instance((tuple, list), "a tuple (rows, cols)"), NONE],
        "verbose": [Interval(numbers.Integral, 0, None, "left")],
    }

    def __init__(
        self,
        n_components=3,
        *,
        pixel_norm="l1",
        abundance_sum="one",
        min_volume=0.1,
        delta="auto",
        init="spa",
        tol=1e-5,
        max_iter=1000,
        random_state=None,
        image_shape=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.pixel_norm = pixel_norm
        self.abundance_sum = abundance_sum
        self.min_volume = min_volume
        self.delta = delta
        self.init = init
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.image_shape = image_shape
        self.verbose = verbose

    def _nmf(self):
        constraints = [Simplex("W", at_most=self.abundance_sum == "at_most_one")]
        if self.min_volume > 0:
            constraints.append(MinVolume("H", lam_tilde=float(self.min_volume), delta=self.delta))
        return NMF(
            self.n_components,
            init=self.init,
            solver="apg",
            tol=self.tol,
            max_iter=self.max_iter,
            random_state=self.random_state,
            verbose=self.verbose,
            constraints=constraints,
        )

    def _check(self, X, caller, reset=True):
        validate_params(type(self).__name__, self.get_params(False), self._parameter_constraints)
        if self.image_shape is not None:
            shape = tuple(self.image_shape)
            if len(shape) != 2 or any(not isinstance(v, numbers.Integral) or v < 1 for v in shape):
                raise ValueError(
                    f"{caller}: image_shape must be (rows, cols) of positive ints, got "
                    f"{self.image_shape!r}."
                )
        if getattr(X, "ndim", None) == 3:
            raise ValueError(
                f"{caller}: X has shape {X.shape}, a cube; pass pixels x bands: "
                f"X.reshape(-1, {X.shape[-1]}) for a (rows, cols, bands) cube, with "
                f"image_shape={X.shape[:2]}."
            )
        X = validate_data(self, X, reset=reset, accept_sparse="csr", dtype=[np.float64, np.float32])
        if reset and self.n_components > min(X.shape):
            raise ValueError(
                f"{caller}: n_components={self.n_components} endmembers cannot be told apart "
                f"in {X.shape[0]} pixels of {X.shape[1]} bands: at most "
                f"{min(X.shape)} can. Use fewer."
            )
        low = X.min() if X.shape[0] else 0
        if low < 0:
            count = int((X < 0).sum())
            raise ValueError(
                f"{caller}: Negative values in data passed to Unmixing: X has {count} "
                f"negative entries (min {low:.3g}); spectra "
                "must be >= 0. Clip the noise below zero (np.clip(X, 0, None)) or use "
                "reflectance rather than radiance differences."
            )
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        return tags

    def _normalised(self, X, caller):
        """X with each row divided by its sum (``pixel_norm='l1'``), and the sums."""
        if self.pixel_norm is None:
            return X, None
        if sp.issparse(X):
            sums = np.asarray(X.sum(axis=1), dtype=np.float64).ravel()
            inv = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
            return sp.diags(inv) @ X, sums
        X = np.asarray(X, dtype=np.float64)
        sums = X.sum(axis=1)
        if not np.any(sums > 0):
            raise ValueError(f"{caller}: every pixel of X is zero; there is nothing to unmix.")
        inv = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
        return X * inv[:, None], sums

    def _abundances(self, W):
        s = W.sum(axis=1)
        live = s > 0
        A = np.full_like(W, 1.0 / W.shape[1])
        A[live] = W[live] / s[live, None]
        return A, s

    def fit_transform(self, X, y=None):
        """Unmix X; return the abundances.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_pixels, n_bands)
            Non-negative spectra, one pixel per row.
        y : Ignored

        Returns
        -------
        abundances : ndarray of shape (n_pixels, n_components)
            Each row on the probability simplex.
        """
        X = self._check(X, "Unmixing.fit")
        if self.image_shape is not None and int(np.prod(self.image_shape)) != X.shape[0]:
            raise ValueError(
                f"Unmixing.fit: image_shape={tuple(self.image_shape)} holds "
                f"{int(np.prod(self.image_shape))} pixels but X has {X.shape[0]} rows; pass "
                "the scene's (rows, cols)."
            )
        Xn, sums = self._normalised(X, "Unmixing.fit")
        model = self._nmf()
        W = np.asarray(model.fit_transform(Xn))
        H = np.asarray(model.components_)
        self.model_ = model
        self.abundances_, wsum = self._abundances(W)
        if sums is None:
            self.components_, self.scale_ = H, wsum
        else:
            typical = float(np.median(sums[sums > 0])) if np.any(sums > 0) else 1.0
            self.components_ = H * typical
            self.scale_ = sums * wsum / typical
        self._typical = 1.0 if sums is None else typical
        fitted = self.abundances_ * self.scale_[:, None]
        self.pixel_error_ = pixel_errors(X, fitted, self.components_)
        self.reconstruction_err_ = float(np.sqrt(max(_residual_sq(X, fitted, self.components_), 0)))
        self.n_iter_ = model.n_iter_
        self.loss_curve_ = model.loss_curve_
        return self.abundances_

    def fit(self, X, y=None):
        """Unmix X (see ``fit_transform``); return self."""
        self.fit_transform(X)
        return self

    def transform(self, X):
        """Abundances of new pixels with the fitted endmembers held fixed.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_pixels, n_bands)

        Returns
        -------
        abundances : ndarray of shape (n_pixels, n_components)
        """
        check_is_fitted(self)
        X = self._check(X, "Unmixing.transform", reset=False)
        Xn, _ = self._normalised(X, "Unmixing.transform")
        W = np.asarray(self.model_.transform(Xn))
        return self._abundances(W)[0]

    def abundance_maps(self, abundances=None):
        """The abundances as images, one per endmember.

        Parameters
        ----------
        abundances : ndarray of shape (n_pixels, n_components), optional
            Default: the fitted ``abundances_``.

        Returns
        -------
        maps : ndarray of shape (n_components, rows, cols)
        """
        check_is_fitted(self)
        if self.image_shape is None:
            raise ValueError(
                "Unmixing.abundance_maps: image_shape is not set; construct the model "
                "with image_shape=(rows, cols)."
            )
        A = self.abundances_ if abundances is None else np.asarray(abundances)
        rows, cols = self.image_shape
        return A.T.reshape(A.shape[1], rows, cols)
