"""``ConvolutiveNMF``: X ≈ Σₜ Sₜ(W) Hₜ, components that are time–frequency patterns."""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted, validate_data

from ..arrays.engines import NumpyEngine
from ..core.family.convolutive import ConvolutiveData, component_reconstructions, reconstruct
from ..core.init import make_rng
from ..core.losses import LOSS_NAMES, beta_from_loss
from ..core.validation import Interval, Options
from ._family import (
    COMMON_CONSTRAINTS,
    FITTED_ATTRIBUTES,
    FamilyEstimator,
    expect_matrix,
)

__all__ = ["ConvolutiveNMF"]


class ConvolutiveNMF(FamilyEstimator):
    r"""Convolutive NMF (NMFD): each component a pattern spanning several time frames.

    Plain NMF explains each row of a magnitude spectrogram by spectra; a sound that
    changes over time (a chirp, a drum hit's decay, a syllable) then takes several
    components whose timing it does not tie together. Convolutive NMF (Smaragdis 2004)
    gives each component a time–frequency pattern of ``pattern_length`` frames, started
    wherever its activation is non-zero:

    .. math::

        X \approx \Lambda = \sum_{t=0}^{T-1} S_t(W)\, H_t,
        \qquad \min_{W, H \ge 0} d_\beta(X \mid \Lambda),

    with Sₜ the shift of W's rows down by t (zeros filling in). **Orientation**: X has
    one row per time frame and one column per frequency bin (scikit-learn's samples ×
    features), the transpose of the frequency × time spectrogram of the audio
    literature; ``nmfkit.applications.audio.spectrogram`` returns it this way. With
    ``pattern_length=1`` the model, the updates and the objective's trajectory are
    those of ``NMF(solver='mu')``.

    Two solvers. ``'mu'``: the multiplicative update for the β-divergence (Févotte &
    Idier 2011) on the convolutive model (Schmidt & Mørup 2006): W with every frame of
    the patterns together, then every frame of the patterns together from one
    reconstruction, each a majorisation-minimisation step. ``'cd'`` (Frobenius only):
    W by a sweep of exact coordinate descent, the patterns by exact non-negative least
    squares, with Ang & Gillis's extrapolation; far fewer iterations (a planted
    factorization to 1e-6 where MU stalls near 1e-2). Both never let the objective
    rise. At the end each
    pattern is scaled to unit Frobenius norm and its activations take the scale (the
    model is unchanged): ``components_`` are comparable across components and fits.

    Parameters
    ----------
    n_components : int, default=2
    pattern_length : int, default=8
        T, the number of frames (rows of X) each pattern spans; at most n_samples.
        8 frames at a hop of 32 ms is a quarter of a second.
    beta_loss : float or str, default='kullback-leibler'
        The β-divergence minimised: 'frobenius', 'kullback-leibler' or 'itakura-saito'
        (β = 2, 1, 0), or any float β in [-5, 5]; KL suits
        magnitude spectrograms, Itakura–Saito power spectrograms. β <= 0 needs X > 0.
    init : {'random', 'custom'}, default='random'
        'random': uniform draws seeded by ``random_state``, scaled so that the mean of
        Λ is X's; 'custom': W and H passed to ``fit_transform``.
    solver : {'auto', 'mu', 'cd'}, default='auto'
        'auto' takes 'cd' for the Frobenius loss and 'mu' for every other β.
    tol : float, default=1e-4
        The fit stops when the objective fell by less than ``tol`` times its value over
        the last 10 iterations (NMF's rule).
    max_iter : int, default=500
        (KL on a magnitude spectrogram converges, at tol=1e-4, in about 250.)
    random_state : int, Generator, RandomState or None, default=None
    verbose : int, default=0
        Print the objective at every check.
    callback : callable, optional
        ``callback(n_iter, loss, W, H)`` at every check (H of shape (T, k, n_features));
        returning True stops the fit.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, pattern_length, n_features)
        The patterns: ``components_[j, t]`` is the spectrum of component j at t frames
        after its onset. Each has unit Frobenius norm (or is zero).
    reconstruction_err_ : float
        √(2 d_β(X | Λ)), as :class:`nmfkit.NMF` reports it (‖X − Λ‖_F for β = 2).
    n_iter_, loss_curve_, loss_times_, stop_reason_, n_components_, n_features_in_
        As for :class:`nmfkit.NMF`.

    See Also
    --------
    nmfkit.applications.audio.separate : Wiener masks from the components' parts.

    References
    ----------
    Smaragdis (2004), "Non-negative matrix factor deconvolution; extraction of multiple
    sound sources from monophonic inputs", ICA 2004, doi:10.1007/978-3-540-30110-3_63.
    Schmidt & Mørup (2006), "Nonnegative matrix factor 2-D deconvolution for blind
    single channel source separation", ICA 2006, doi:10.1007/11679363_88.
    Févotte & Idier (2011), "Algorithms for nonnegative matrix factorization with the
    β-divergence", Neural Computation 23(9), doi:10.1162/NECO_a_00168.

    Examples
    --------
    >>> import numpy as np
    >>> from nmfkit import ConvolutiveNMF
    >>> rng = np.random.default_rng(0)
    >>> patterns = rng.random((2, 4, 12))          # 2 patterns of 4 frames x 12 bins
    >>> onsets = (rng.random((60, 2)) < 0.1) * 1.0  # 60 frames of sparse activations
    >>> onsets[-4:] = 0                             # so that np.roll shifts in zeros
    >>> X = sum(np.roll(onsets, t, axis=0) @ patterns[:, t] for t in range(4)) + 0.01
    >>> model = ConvolutiveNMF(2, pattern_length=4, tol=1e-3, max_iter=1000, random_state=0)
    >>> W = model.fit_transform(X)
    >>> W.shape, model.components_.shape
    ((60, 2), (2, 4, 12))
    >>> bool(np.linalg.norm(X - model.inverse_transform(W)) < 0.01 * np.linalg.norm(X))
    True
    """

    _saved_arrays = {"components_": "float", "feature_names_in_": "text"}
    _saved_attributes = FITTED_ATTRIBUTES
    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        "pattern_length": [Interval(numbers.Integral, 1, None, "left")],
        "beta_loss": [Options(LOSS_NAMES), Interval(numbers.Real, -5, 5, "both")],
        "init": [Options(["random", "custom"])],
        "solver": [Options(["auto", "mu", "cd"])],
    }

    def __init__(
        self, n_components=2, *, pattern_length=8, beta_loss="kullback-leibler", init="random",
        solver="auto", tol=1e-4, max_iter=500, random_state=None, verbose=0, callback=None,
    ):  # fmt: skip
        self.n_components = n_components
        self.pattern_length = pattern_length
        self.beta_loss = beta_loss
        self.init = init
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback

    # -- checks ----------------------------------------------------------------------
    def _check_X(self, X, reset, caller):
        """X as a dense float array ≥ 0 (> 0 for β <= 0), or a ValueError naming the fix."""
        if sp.issparse(X):
            raise ValueError(
                f"{caller}: X is a sparse {type(X).__name__}; convolutive NMF reconstructs "
                "every entry, so it works on dense arrays: use X.toarray()."
            )
        X = validate_data(self, expect_matrix(X, caller), reset=reset,
                          dtype=[np.float64, np.float32],
                          ensure_all_finite=False)  # fmt: skip
        X = NumpyEngine().check_input(X, caller=caller)  # NaN, inf, negative: one message
        beta = beta_from_loss(self.beta_loss)
        if beta <= 0:
            zeros = int(X.size - np.count_nonzero(X))
            if zeros:
                shown = "'itakura-saito'" if beta == 0 else repr(self.beta_loss)
                raise ValueError(
                    f"{caller}: beta_loss={shown} needs X > 0 but X has {zeros} zeros; add a "
                    "small constant (X + 1e-8 * X.max()) or use beta_loss='kullback-leibler'."
                )
        T = self.pattern_length
        if reset and T > X.shape[0]:
            raise ValueError(
                f"{caller}: pattern_length={T} is more than the frames (rows) of X, "
                f"n_samples={X.shape[0]}; use pattern_length <= {X.shape[0]}, or give X "
                "as frames x bins (X.T if it is bins x frames)."
            )
        return X

    def _solver(self, caller):
        """The solver record's name for ``solver`` and the loss."""
        frobenius = beta_from_loss(self.beta_loss) == 2
        if self.solver == "cd" and not frobenius:
            raise ValueError(
                f"{caller}: solver='cd' minimises the Frobenius loss only, not "
                f"beta_loss={self.beta_loss!r}; use solver='mu' (or 'auto')."
            )
        if self.solver == "cd" or (self.solver == "auto" and frobenius):
            return "convolutive-cd"
        return "convolutive-mu"

    def _start(self, X, W, H, caller):
        """The starting pair: W (n, k) and H (T, k, m), X's dtype, C-contiguous."""
        n, m = X.shape
        k, T = self.n_components, self.pattern_length
        if self.init != "custom":
            if W is not None or H is not None:
                raise ValueError(
                    f"{caller}: W and H are used only with init='custom'; pass "
                    "init='custom' or leave W and H out."
                )
            rng = make_rng(self.random_state)
            W = rng.random((n, k)) + 0.01
            H = rng.random((T, k, m)) + 0.01
            scale = np.sqrt(float(X.mean()) / float(reconstruct(W, H).mean()))
            W *= scale
            H *= scale
            return W.astype(X.dtype), H.astype(X.dtype)
        if W is None or H is None:
            raise ValueError(
                f"{caller}: init='custom' needs both W (n_samples, n_components) and H "
                "(n_components, pattern_length, n_features); pass them to "
                "fit_transform(X, W=W, H=H)."
            )
        engine = NumpyEngine()
        W = engine.check_input(W, caller=caller, name="W")
        H = np.asarray(H)
        if W.shape != (n, k) or H.shape != (k, T, m):
            raise ValueError(
                f"{caller}: init='custom' needs W of shape {(n, k)} and H of shape "
                f"{(k, T, m)} (n_components, pattern_length, n_features); got {W.shape} and "
                f"{H.shape}."
            )
        engine.check_input(H.reshape(k, T * m), caller=caller, name="H")  # finite, >= 0
        # copies: the updates work in place, and the caller's arrays stay as they were
        W = np.array(W, dtype=X.dtype)
        return W, np.array(H.transpose(1, 0, 2), dtype=X.dtype, order="C")

    def _patterns(self, dtype):
        """components_ as the solver's H: shape (T, k, n_features), C-contiguous."""
        return np.ascontiguousarray(self.components_.transpose(1, 0, 2), dtype=dtype)

    # -- fitting ---------------------------------------------------------------------
    def fit_transform(self, X, y=None, W=None, H=None):
        """Fit the model to X and return the activations W.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Time frames × frequency bins (a magnitude or power spectrogram), ≥ 0, dense.
        y : Ignored
        W : array-like of shape (n_samples, n_components), optional
            The starting activations, with ``init='custom'``.
        H : array-like of shape (n_components, pattern_length, n_features), optional
            The starting patterns, with ``init='custom'`` (``components_``'s layout).

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
            When each component's pattern starts, and how loud.
        """
        caller = "ConvolutiveNMF.fit"
        self._validate()
        solver = self._solver(caller)
        X = self._check_X(X, True, caller)
        W, H = self._start(X, W, H, caller)
        beta = beta_from_loss(self.beta_loss)
        data = ConvolutiveData(X, NumpyEngine())
        W, H, result = self._iterate(data, W, H, solver, caller, beta=beta)
        norms = np.sqrt(np.einsum("tkm,tkm->k", H, H))
        live = norms > 0
        H[:, live] /= norms[live][:, None]
        W[:, live] *= norms[live]
        self.components_ = np.ascontiguousarray(H.transpose(1, 0, 2))
        self.reconstruction_err_ = float(np.sqrt(2.0 * result.loss))
        return W

    def transform(self, X):
        """The activations W of X for the fitted patterns (held fixed).

        The multiplicative update of W alone, from a constant start scaled to X, until
        the objective falls by less than ``tol`` over 10 iterations (at most
        ``max_iter``). The problem in W is convex for 1 <= β <= 2.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Frames × bins, as in ``fit``; any number of frames.

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        caller = "ConvolutiveNMF.transform"
        X = self._check_X(X, False, caller)
        H = self._patterns(X.dtype)
        W = np.ones((X.shape[0], H.shape[1]), dtype=X.dtype)
        total = float(reconstruct(W, H).sum())
        W *= float(X.sum()) / total if total > 0 else 0.0
        data = ConvolutiveData(X, NumpyEngine())
        beta = beta_from_loss(self.beta_loss)
        W, _, _ = self._iterate(data, W, H, self._solver(caller), caller, update=False, beta=beta)
        return W

    def _check_W(self, W, caller):
        check_is_fitted(self)
        W = np.asarray(W)
        k = self.components_.shape[0]
        if W.ndim != 2 or W.shape[1] != k:
            raise ValueError(
                f"{caller}: W must have shape (n_frames, {k}) (what transform returns); "
                f"got {W.shape}."
            )
        return W if W.dtype in (np.float32, np.float64) else W.astype(np.float64)

    def inverse_transform(self, X):
        """The reconstruction Λ = Σₜ Sₜ(W) Hₜ of activations W.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Activations W (from ``transform``).

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        W = self._check_W(X, "ConvolutiveNMF.inverse_transform")
        return reconstruct(W, self._patterns(W.dtype))

    def component_reconstructions(self, W):
        """Each component's part of the reconstruction, Λⱼ = Σₜ Sₜ(W[:, j]) Hₜ[j].

        Parameters
        ----------
        W : array-like of shape (n_samples, n_components)

        Returns
        -------
        ndarray of shape (n_components, n_samples, n_features)
            Non-negative; they sum to ``inverse_transform(W)``. Summed over the
            components of one source they give its Wiener mask
            (``nmfkit.applications.audio.separate``).
        """
        W = self._check_W(W, "ConvolutiveNMF.component_reconstructions")
        return component_reconstructions(W, self._patterns(W.dtype))

    def _loaded(self):
        from ..core.io import expect_shape

        shape = (self.n_components_, self.pattern_length, self.n_features_in_)
        expect_shape("components_", self.components_, shape)
        if (self.components_ < 0).any():
            raise ValueError("components_ holds negative values")
        self._n_features_out = self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = False
        return tags
