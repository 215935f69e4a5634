"""The ``NMF`` estimator: scikit-learn's contract on top of Plan, Engine, Solver and Loop."""

import inspect
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..arrays.engines import ENGINES, NumpyEngine, select_engine
from ..core.anndata import from_anndata
from ..core.data import fit_data
from ..core.init import INITS, initialize
from ..core.io import Saveable, expect_shape
from ..core.loop import LoopControl, run
from ..core.losses import LOSS_NAMES, beta_from_loss
from ..core.plan import resolve, start
from ..core.sketch import run_compressed
from ..core.solvers import ALIASES, SOLVERS, solver_names
from ..core.solvers._common import balance
from ..core.solvers.bpp import exact_W
from ..core.validation import (
    BOOLEAN,
    CALLABLE,
    DEVICE,
    NONE,
    RANDOM_STATE,
    Instance,
    Interval,
    Options,
    validate_params,
)
from ._family import FITTED_ATTRIBUTES

__all__ = ["NMF", "warn_unused_factors", "with_components"]


class _FactorizationMixin(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator, Saveable
):
    """What ``NMF`` and ``MiniBatchNMF`` share: tags, ``inverse_transform`` and ``save``."""

    def __setstate__(self, state):
        # a pickle of an older nmfkit lacks the parameters added since: their defaults
        signature = inspect.signature(type(self).__init__).parameters.values()
        added = {
            p.name: p.default
            for p in signature
            if p.default is not inspect.Parameter.empty and p.name not in state
        }
        super().__setstate__({**added, **state})

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        # NaN marks unknown entries for NMF's solvers that support them
        solver = getattr(self, "solver", None)
        solver = ALIASES.get(solver, solver)
        tags.input_tags.allow_nan = type(self).__name__ == "NMF" and (
            solver == "auto" or SOLVERS[solver].masked
        )
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def inverse_transform(self, X):
        """Map W back to data space: W @ components_.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_components)
            W, as returned by ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        out = X @ self.components_
        return np.asarray(out) if isinstance(self.components_, np.ndarray) else out

    def _loaded(self):
        k, n = self.n_components_, self.n_features_in_
        expect_shape("components_", self.components_, (k, n))
        if getattr(self, "W_", None) is not None:
            expect_shape("W_", self.W_, (None, k))
        if getattr(self, "feature_names_in_", None) is not None:
            expect_shape("feature_names_in_", self.feature_names_in_, (n,))
        self._n_features_out = self.n_components_


# Outside this range of X's largest entry, a fit runs on a copy of X times a power of 2
# that brings it into [0.5, 1), and W is divided by it afterwards. The constants of
# scikit-learn's algorithms are absolute (the EPSILON floor under W H for β != 2, the
# 1e-6 cut and the mean-of-X fill of NNDSVD): at extreme scales they are of the data's
# own size or far from it. Measured before: KL by MU on X·1e-8 ended with 44 times the
# relative error of the same fit on X, on X·1e-60 every factor went to 0, and IS on
# X·1e60 ended 1e12 times worse. Inside the range nothing changes (no copy either).
_SMALL, _LARGE = 2.0**-10, 2.0**30


def scale_factor(data, plan):
    """The power of 2 that brings X's largest entry into [0.5, 1), or 1.0: X inside
    [_SMALL, _LARGE], or penalties (whose weights are in X's units). Powers of 2 scale
    every float exactly, so the fit of the copy is the fit of X, rescaled. Not with
    constraints either (Box bounds are in X's units)."""
    if plan.l1_W or plan.l2_W or plan.l1_H or plan.l2_H or plan.constraints:
        return 1.0
    high = data.max_value()
    if high == 0 or _SMALL <= high <= _LARGE:
        return 1.0
    return 2.0 ** -(int(np.frexp(high)[1]))


class NMF(_FactorizationMixin):
    r"""Non-negative matrix factorization: X ≈ W H with W, H ≥ 0.

    Finds non-negative W of shape (n_samples, n_components) and H of shape
    (n_components, n_features) minimising

    .. math::

        d_\beta(X \mid W H)
        + \alpha_W \rho\, n_f \|W\|_1 + \tfrac12 \alpha_W (1 - \rho)\, n_f \|W\|_F^2
        + \alpha_H \rho\, n_s \|H\|_1 + \tfrac12 \alpha_H (1 - \rho)\, n_s \|H\|_F^2

    where :math:`d_\beta` is the β-divergence summed over entries
    (:math:`\tfrac12\|X - WH\|_F^2` for Frobenius), ρ is ``l1_ratio`` and
    :math:`n_s, n_f` are the numbers of samples and features — the same objective as
    :class:`sklearn.decomposition.NMF`.

    Parameters
    ----------
    n_components : int, 'auto' or None, default='auto'
        Number of components. None keeps all features; 'auto' infers it from custom
        W or H, else keeps all features.
    init : {'random', 'nndsvd', 'nndsvda', 'nndsvdar', 'custom'} or None, default=None
        Initialisation. None: 'nndsvda' if n_components <= min(n_samples, n_features),
        else 'random'. 'custom' uses the W and H passed to ``fit_transform``.
    solver : {'auto', 'hals', 'cd', 'mu', 'bpp', 'ccd'}, default='auto'
        'hals' (accelerated, extrapolated coordinate descent), 'cd' (scikit-learn's
        plain coordinate descent) and 'bpp' (ANLS by block principal pivoting)
        minimise the Frobenius loss; 'ccd' (coordinate descent with Newton steps) the
        Kullback-Leibler loss; 'mu' (multiplicative updates) any β. 'auto' picks
        'hals' for Frobenius, 'ccd' for Kullback-Leibler on sparse X (its cost follows
        the stored entries), else 'mu'. The solver never changes what is minimised.
    beta_loss : float or {'frobenius', 'kullback-leibler', 'itakura-saito'}, default='frobenius'
        The β of the β-divergence (2, 1 and 0 for the named losses), in [-5, 5] (beyond,
        powers x**β over- or underflow float64). β <= 0 needs X > 0.
    tol : float, default=1e-4
        The objective is evaluated every 10 iterations, for every solver; the fit stops
        at the first evaluation where it decreased by less than ``tol`` times its
        current value since the previous one. ``tol=0`` runs ``max_iter`` iterations
        unless the objective stops decreasing.
    max_iter : int, default=200
        Maximum number of iterations (one iteration updates W and H once).
    random_state : int, Generator, RandomState or None, default=None
        Seed for 'random' and 'nndsvdar' initialisation and HALS shuffling.
    alpha_W : float, default=0.0
        Penalty weight on W (scaled by n_features, as in scikit-learn).
    alpha_H : float or 'same', default='same'
        Penalty weight on H (scaled by n_samples); 'same' uses ``alpha_W``.
    l1_ratio : float, default=0.0
        Share of L1 in the penalty (0: pure L2, 1: pure L1).
    verbose : int, default=0
        Print iteration, loss, relative change and time at each check.
    shuffle : bool, default=False
        Visit HALS coordinates in random order.
    callback : callable, default=None
        ``callback(n_iter, loss, W, H)`` at every check; returning True stops the fit.
    engine : {'auto', 'numpy', 'torch', 'dask'}, default='auto'
        Array library to run on; 'auto' picks it from the data (torch tensors: 'torch',
        dask arrays: 'dask', anything else: 'numpy'). The engine never changes what is
        minimised. 'torch' and 'dask' need the extras ``nmfkit[torch]`` and
        ``nmfkit[dask]``.
    device : str or None, default=None
        Torch device ('cpu', 'cuda', 'cuda:1', ...), implying ``engine='torch'``. None
        keeps a tensor's device; host data then goes to CUDA when it is available,
        else stays on the CPU. Outputs return to where the input was (NumPy input gives
        NumPy output).
    observed : {'all', 'stored'}, default='all'
        Which entries of a sparse X are known. 'all': every entry, an unstored one is a
        zero. 'stored': only the stored entries (ratings: an unrated item is unknown,
        not a zero rating); the others are left out of the loss. In a dense X, NaN
        always marks an unknown entry, and ``fit(X, weights=...)`` weighs each entry (0:
        unknown). With unknown entries or weights the loss is summed over the known
        entries only, at a cost proportional to their number; 'hals' then runs CCD++,
        'bpp' row-wise exact solves, 'mu' weighted updates (any β), and 'auto' picks
        'hals' for Frobenius, else 'mu'. These fits run on the NumPy engine.
    compression : {'auto', 'randomized'} or None, default='auto'
        'randomized' iterates on a randomized sketch X ≈ Q B of rank n_components + 20
        first (Erichson et al. 2018), where each product costs O((n_samples +
        n_features)·(n_components + 20)·n_components) instead of
        O(n_samples·n_features·n_components), and then goes on from there on X itself
        until ``tol`` is met, so the result is a point of X's own objective. It takes
        dense X, every entry known, the Frobenius loss and the 'hals' solver, on the
        NumPy or Torch engine. 'auto' uses it for such X from 2**26 entries where
        n_components + 20 is at most 1/8 of the smaller side of X; None never does.
        The compression never changes what is minimised.
    constraints : list of constraints, default=None
        Constraints and penalties on W or H (``nmfkit.Simplex``, ``Box``, ``Hoyer``,
        ``Orthogonal``, ``Frozen``, ``MinVolume``), for the Frobenius loss: a factor
        takes at most one of the first four, plus any penalty and ``Frozen``. The
        objective then includes each penalty; solver='auto' (or 'apg') honours them.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        H, the parts.
    n_components_ : int
    n_iter_ : int
    reconstruction_err_ : float
        :math:`\sqrt{2\, d_\beta(X \mid W H)}` at the end of fit (the Frobenius norm of
        the residual for the Frobenius loss), over the known entries (weighted).
    W_ : ndarray of shape (n_samples, n_components)
        W of the fitted X (what ``fit_transform`` returned); ``score`` and
        ``predict_entries`` use it.
    loss_curve_ : list of float
        The objective at iteration 0 and at every check.
    loss_times_ : list of float
        Seconds since the first iteration began, at each entry of ``loss_curve_``.
    stop_reason_ : {'converged', 'max_iter', 'callback'}
    constraints_ : tuple of constraints
        The constraints with their 'auto' values settled (MinVolume's λ and δ); only
        when ``constraints`` are given.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined only when X has string feature names (pandas input).

    References
    ----------
    Lee & Seung (1999), doi:10.1038/44565. Lee & Seung (2001),
    doi:10.5555/3008751.3008829. Cichocki & Phan (2009), doi:10.1587/transfun.E92.A.708.
    Kim & Park (2011), doi:10.1137/110821172. Févotte & Idier (2011),
    doi:10.1162/NECO_a_00168. Erichson, Mendible, Wihlborn & Kutz (2018),
    doi:10.1016/j.patrec.2018.01.007.

    Examples
    --------
    >>> import numpy as np
    >>> from nmfkit import NMF
    >>> X = np.array([[1, 1], [2, 1], [3, 1.2], [4, 1], [5, 0.8], [6, 1]])
    >>> model = NMF(n_components=2, init='random', random_state=0)
    >>> W = model.fit_transform(X)
    >>> W.shape, model.components_.shape
    ((6, 2), (2, 2))
    >>> bool(np.all(W >= 0))
    True
    """

    _saved_arrays = {"components_": "float", "W_": "float", "feature_names_in_": "text"}
    _saved_attributes = FITTED_ATTRIBUTES
    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, "left"), NONE, Options(["auto"])],
        "init": [Options([*INITS, "custom"]), NONE],
        "solver": [Options(solver_names())],
        # |β| > 5: x**β over- or underflows float64 for data spanning a few decades
        "beta_loss": [Options(LOSS_NAMES), Interval(numbers.Real, -5, 5, "both")],
        "tol": [Interval(numbers.Real, 0, None, "left")],
        "max_iter": [Interval(numbers.Integral, 1, None, "left")],
        "random_state": [RANDOM_STATE],
        "alpha_W": [Interval(numbers.Real, 0, None, "left")],
        "alpha_H": [Interval(numbers.Real, 0, None, "left"), Options(["same"])],
        "l1_ratio": [Interval(numbers.Real, 0, 1, "both")],
        "verbose": [Interval(numbers.Integral, 0, None, "left"), BOOLEAN],
        "shuffle": [BOOLEAN],
        "callback": [CALLABLE, NONE],
        "engine": [Options(["auto", *ENGINES])],
        "device": [DEVICE, NONE],
        "observed": [Options(["all", "stored"])],
        "compression": [Options(["auto", "randomized"]), NONE],
        "constraints": [Instance((list, tuple), "a list of nmfkit constraints"), NONE],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        init=None,
        solver="auto",
        beta_loss="frobenius",
        tol=1e-4,
        max_iter=200,
        random_state=None,
        alpha_W=0.0,
        alpha_H="same",
        l1_ratio=0.0,
        verbose=0,
        shuffle=False,
        callback=None,
        engine="auto",
        device=None,
        observed="all",
        compression="auto",
        constraints=None,
    ):
        self.n_components = n_components
        self.init = init
        self.solver = solver
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.verbose = verbose
        self.shuffle = shuffle
        self.callback = callback
        self.engine = engine
        self.device = device
        self.observed = observed
        self.compression = compression
        self.constraints = constraints

    # -- the shared path ----------------------------------------------------------
    def _check(self, X, reset, caller, weights=None):
        params = self.get_params(deep=False)
        validate_params(type(self).__name__, params, self._parameter_constraints)
        engine = select_engine(X, self.engine, self.device, caller=caller)
        data = fit_data(X, engine, weights, self.observed, caller=caller)
        if not reset:
            # on the original X: checks its pandas column names against the fitted ones
            validate_data(self, X, reset=False, skip_check_array=True)
        return data, engine, params

    def _fit_transform(
        self, X, W=None, H=None, update_H=True, caller="NMF.fit", weights=None, control=None
    ):
        """Fit (or, with update_H=False, solve for W given H); return W and the result."""
        original = X
        if control is not None and not isinstance(control, LoopControl):
            raise TypeError(
                f"{caller}: checkpoint must be an nmfkit.Checkpoint, got "
                f"{type(control).__name__}; pass checkpoint=nmfkit.Checkpoint('folder')."
            )
        data, engine, params = self._check(X, reset=update_H, caller=caller, weights=weights)
        warn_unused_factors(self.init, update_H, W, H if update_H else None)
        plan, W, H = resolve(params, data, engine, W, H, update_H=update_H, caller=caller)
        factor = scale_factor(data, plan)
        with engine.threads(pooled=True):
            if factor == 1.0:
                W, H, result = self._solve(data, W, H, plan, engine, caller, control)
            else:
                W, H, result = self._solve_scaled(data, W, H, plan, engine, caller, control, factor)
        if update_H:
            # n_features_in_ (and pandas column names) are recorded only once the fit has
            # finished: an interrupted fit leaves the estimator unfitted
            validate_data(self, original, reset=True, skip_check_array=True)
        return data, W, H, plan, engine, result

    def _solve_scaled(self, data, W, H, plan, engine, caller, control, factor):
        """``_solve`` on factor·X (a power of 2), then W / factor: see scale_factor."""
        scaled = data.scaled(factor)
        W = None if W is None else W * factor
        W, H, result = self._solve(scaled, W, H, plan, engine, caller, control)
        # as fit_transform evaluates an unscaled fit: from the final pair's Gram products
        data_fit = scaled.divergence(W, H, plan.beta, result.facts, result.stats)
        W = W / factor
        if plan.balance:
            W, H = balance(W, H, engine)
        scale = factor**-plan.beta  # d_β(c·x | c·y) = c^β d_β(x | y)
        result.loss_curve = [loss * scale for loss in result.loss_curve]
        result.loss = result.loss * scale
        # data.describe() without another pass over X: powers of 2 scale exactly
        result.facts = {**result.facts, "normX2": result.facts["normX2"] * factor**-2}
        result.stats, result.data_fit = {}, data_fit * scale
        return W, H, result

    def _solve(self, data, W, H, plan, engine, caller, control):
        """Initialise, iterate and finish as the Plan says (balance, exact final W)."""
        # a checkpoint saves the fit on X only; a control that saves nothing (the
        # command line's, for Ctrl-C) comes along
        if plan.compression and (control is None or not control.saves):
            # it initialises from the sketch (NNDSVD's SVD comes from Q B)
            W, H, result = run_compressed(data, W, H, plan, engine, self.callback, caller, control)
        else:
            if plan.compression and self.compression == "randomized":
                raise ValueError(
                    f"{caller}: compression='randomized' does not run with a checkpoint "
                    "yet; pass compression=None (or 'auto', which then fits X itself)."
                )
            # handed over as a list, so that this frame does not keep the starting
            # pair in memory for the whole fit
            plan, W, H = start(plan, data, *initialize(data, plan, engine, W, H), engine)
            pair, W, H = [W, H], None, None
            W, H, result = run(data, pair, None, plan, engine, self.callback, caller, control)
            result.constraints = plan.constraints
        if plan.balance:
            W, H = balance(W, H, engine)
            result.stats = {}  # Gram products of the unbalanced pair
        if plan.exact_W:
            # return the W that transform(X) gives for the final H (exact NNLS), so
            # fit_transform(X) and fit(X).transform(X) agree; loss_curve_ keeps the iterates
            W, result.stats = exact_W(data, W, H, plan, engine)
        return W, H, result

    # -- public API ------------------------------------------------------------------
    def fit_transform(self, X, y=None, W=None, H=None, weights=None, checkpoint=None, layer=None):
        """Learn the factorization of X and return W.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Non-negative data; NaN marks an unknown entry of a dense X (see
            ``observed`` for sparse X).
        y : Ignored
        W : array-like of shape (n_samples, n_components), optional
            Starting W when ``init='custom'``.
        H : array-like of shape (n_components, n_features), optional
            Starting H when ``init='custom'``.
        weights : {array-like, sparse matrix} of shape (n_samples, n_features), optional
            Non-negative weight of each entry in the loss (0: unknown), for example
            inverse measurement variances. A sparse ``weights`` gives weight 0 to the
            entries it does not store.
        checkpoint : Checkpoint, optional
            Saves the fit's progress to a folder at intervals and resumes from it: a
            killed fit, run again with the same data, parameters and checkpoint, ends
            with the factors it would have reached uninterrupted.

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        X = from_anndata(X, layer, "NMF.fit")
        data, W, H, plan, engine, result = self._fit_transform(
            X, W, H, caller="NMF.fit", weights=weights, control=checkpoint
        )
        data_fit = result.data_fit
        if data_fit is None:
            with engine.threads(pooled=True):
                data_fit = data.divergence(W, H, plan.beta, result.facts, result.stats)
        self.components_ = engine.to_output(H)
        self.n_components_ = self._n_components = plan.n_components
        self._n_features_out = plan.n_components
        self.n_iter_ = result.n_iter
        self.reconstruction_err_ = float(np.sqrt(2.0 * data_fit))
        self.loss_curve_ = result.loss_curve
        self.loss_times_ = result.times
        self.stop_reason_ = result.stop_reason
        self.W_ = engine.to_output(W)
        if plan.constraints:
            self.constraints_ = result.constraints
        return self.W_

    def fit(self, X, y=None, **params):
        """Learn the factorization of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : Ignored
        **params
            ``W`` and ``H`` for ``init='custom'``; ``weights``, ``checkpoint`` and
            ``layer`` (see ``fit_transform``).

        Returns
        -------
        self : NMF
        """
        self.fit_transform(X, **params)
        return self

    def transform(self, X, weights=None, layer=None):
        """Return W for X with the fitted components held fixed.

        New rows with unknown entries (NaN, or unstored with ``observed='stored'``) are
        folded in from their known entries only.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        weights : {array-like, sparse matrix} of X's shape, optional
            As in ``fit_transform``.
        layer : str, optional
            As in ``fit_transform``.

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = from_anndata(X, layer, "NMF.transform")
        _, W, _, _, engine, _ = self._fit_transform(
            X, H=self.components_, update_H=False, caller="NMF.transform", weights=weights
        )
        return engine.to_output(W)

    def predict_entries(self, rows, cols):
        """Values of W H at the given (row, column) pairs of the fitted X.

        Parameters
        ----------
        rows, cols : array-like of int, of the same shape
            Row and column indices (negative indices count from the end).

        Returns
        -------
        values : ndarray of rows' shape
        """
        check_is_fitted(self)
        W, H = np.asarray(self.W_), np.asarray(self.components_)
        rows, cols = np.asarray(rows), np.asarray(cols)
        for idx, size, what in ((rows, W.shape[0], "rows"), (cols, H.shape[1], "cols")):
            if idx.dtype.kind not in "iu":
                raise TypeError(f"NMF.predict_entries: {what} must be integers, got {idx.dtype}.")
            if idx.size and (idx.max() >= size or idx.min() < -size):
                raise IndexError(
                    f"NMF.predict_entries: {what} holds an index out of range for the "
                    f"fitted X (valid: -{size}..{size - 1})."
                )
        if rows.shape != cols.shape:
            raise ValueError(
                f"NMF.predict_entries: rows has shape {rows.shape} but cols {cols.shape}; "
                "pass one column per row."
            )
        return np.einsum("...k,...k->...", W[rows], H.T[cols])

    def score(self, X, y=None, weights=None):
        r"""Minus the root-mean-square error of the fit on the known entries of X.

        X holds entries of the fitted matrix, for example held-out ones (same shape as
        the X given to ``fit``; NaN or, with ``observed='stored'``, unstored entries are
        skipped); they are predicted from the fitted W and H. The result is
        :math:`-\sqrt{2 \sum w\, d_\beta(x \mid (WH)) / \sum w}` over those entries:
        minus the RMSE for the Frobenius loss. Higher is better.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : Ignored
        weights : {array-like, sparse matrix} of X's shape, optional

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        caller = "NMF.score"
        validate_data(self, X, reset=False, skip_check_array=True)
        shape = (np.shape(self.W_)[0], self.n_features_in_)
        if np.shape(X) != shape:
            raise ValueError(
                f"{caller}: X has shape {np.shape(X)} but the fitted X had shape {shape}; "
                "score rates entries of the fitted matrix. For new rows, fold them in with "
                "transform."
            )
        validate_params(type(self).__name__, self.get_params(False), self._parameter_constraints)
        beta = beta_from_loss(self.beta_loss)
        W = np.asarray(self.W_, dtype=np.float64)
        H = np.asarray(self.components_, dtype=np.float64)
        # over the known entries, weighted (a sparse X is never densified)
        data = fit_data(X, NumpyEngine(), weights, self.observed, caller=caller)
        total, count = data.divergence(W, H, beta), data.total_weight()
        return -float(np.sqrt(2.0 * max(total, 0.0) / count))


def warn_unused_factors(init, update_H, W, H):
    """Warn, as scikit-learn does, when a W or H is passed and will not be used."""
    if update_H and init != "custom" and (W is not None or H is not None):
        warnings.warn(
            "When init!='custom', provided W or H are ignored. Set init='custom' to use "
            "them as initialization.",
            RuntimeWarning,
        )
    elif not update_H and init != "custom" and W is not None:
        warnings.warn(
            "When update_H=False, the provided initial W is not used (init='custom' uses "
            "it as the starting W).",
            RuntimeWarning,
        )


def with_components(H, **params):
    """An ``NMF`` that transforms with the given components, as if it had fitted them.

    For estimators built on NMF that make their components another way (a consensus)
    or read them from a file.

    Parameters
    ----------
    H : ndarray of shape (n_components, n_features)
    **params
        ``NMF`` parameters (the loss and solver that ``transform`` uses).
    """
    model = NMF(H.shape[0], **params)
    model.components_ = H
    model.n_components_ = H.shape[0]
    model.n_features_in_ = H.shape[1]
    model._n_features_out = H.shape[0]
    return model
