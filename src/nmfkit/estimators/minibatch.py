"""``MiniBatchNMF``: NMF fitted from mini-batches of rows, with memory set by the batch.

Each batch's W is updated with H fixed, then H from statistics accumulated over the
batches seen, each older batch weighted down by ``rho``:

- Frobenius: W is the exact NNLS solution for the batch (warm-started from the rows'
  previous W when there is one), and H follows Mairal et al.'s online matrix
  factorization (2010, doi:10.5555/1756006.1756008): A = Σ ρ Wᵀ W, B = Σ ρ Wᵀ X, and H
  minimises ½ tr(Hᵀ A H) − tr(Bᵀ H) plus its penalties by HALS sweeps;
- any other β: W takes one multiplicative update from the rows' previous W (or, with
  ``fresh_restarts`` and on streams, is solved afresh), and H follows Lefèvre, Bach &
  Févotte's online multiplicative updates (2011, doi:10.1109/ASPAA.2011.6082314), the
  numerator and denominator of the MU step accumulated in the same way: scikit-learn's
  ``MiniBatchNMF``, which one batch of all rows and ``forget_factor=0`` make NMF's MU.

The penalties on H are scaled by the weighted number of rows seen, so that one batch
holding all rows gives ``NMF``'s objective.
"""

import dataclasses
import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from ..arrays.engines import NumpyEngine
from ..core.anndata import from_anndata
from ..core.data import Plain
from ..core.init import INITS, initialize
from ..core.io import expect_shape
from ..core.loop import STOP_REASONS, check_finite, max_iter_message, run
from ..core.losses import beta_from_loss, objective
from ..core.plan import resolve
from ..core.solvers._common import balance_scales
from ..core.solvers.mu import update_W
from ..core.validation import (
    BOOLEAN,
    COUNT,
    NON_NEGATIVE,
    NONE,
    Interval,
    ListOf,
    Options,
    validate_params,
)
from ._batches import as_table, in_memory, is_stream, open_path, row_blocks
from ._online import check_frozen_only, online_H, rescale_statistics, start_statistics
from .nmf import NMF, _FactorizationMixin, warn_unused_factors

__all__ = ["MiniBatchNMF"]

# Iterations of each batch's W solve when transform_max_iter is None.
_BATCH_W_ITER = 50


class MiniBatchNMF(_FactorizationMixin):
    r"""Non-negative matrix factorization from mini-batches of rows (streaming).

    Minimises the objective of :class:`NMF`, for every β-loss, while reading X a batch
    of rows at a time, so that memory is set by ``batch_size``, not by n_samples. X
    may be an array, a sparse matrix, a memory-mapped array
    (``np.load(path, mmap_mode='r')``), the path of a .npy file (opened memory-mapped),
    an iterator of row blocks (one pass) or a function returning such an iterator (one
    call per pass). ``partial_fit`` takes one block of rows at a time.

    Parameters
    ----------
    n_components : int, 'auto' or None, default='auto'
        Number of components (None or 'auto': all features).
    init : {'random', 'nndsvd', 'nndsvda', 'nndsvdar', 'custom'} or None, default=None
        Initialisation, as in :class:`NMF`: of W and H from all of X when X is in memory
        (an array or a sparse matrix), else of H from the first batch (memory-mapped
        arrays, streams, ``partial_fit``). 'custom' takes H (and W) from ``fit``.
    batch_size : int, default=1024
        Rows per mini-batch.
    beta_loss : float or {'frobenius', 'kullback-leibler', 'itakura-saito'}, default='frobenius'
        The β of the β-divergence, as in :class:`NMF`.
    tol : float, default=1e-4
        As in :class:`NMF`: the fit stops at the first pass whose objective (the sum of
        its batches' objectives, each batch's W solved for the H of its time) decreased
        by less than ``tol`` times its value since the pass before. (scikit-learn's
        ``MiniBatchNMF`` compares H between batches instead; statistics accumulated
        over many batches make any one batch's change small long before H settles.)
    max_no_improvement : int or None, default=None
        Also stop after this many batches in a row without a lower smoothed loss per
        row (scikit-learn's rule, there with default 10); None disables it. Batches
        differ in content, so the smoothed loss is noisy and this rule can stop early.
    max_iter : int, default=200
        Maximum number of passes over the data.
    alpha_W : float, default=0.0
    alpha_H : float or 'same', default='same'
    l1_ratio : float, default=0.0
        Penalties, as in :class:`NMF` (H's scaled by the weighted rows seen).
    forget_factor : float, default=0.7
        Weight of the past after one pass: each batch scales older statistics by
        ``forget_factor ** (batch_size / n_samples)``; by ``forget_factor`` itself in
        ``partial_fit`` and on streams, where n_samples is unknown. 0 keeps only the
        current batch.
    fresh_restarts : bool, default=False
        Solve each batch's W afresh (``fresh_restarts_max_iter`` iterations) instead of
        updating the rows' W of the previous pass once. For β != 2 only: the Frobenius W
        is always the exact solution. Without fresh restarts, a fit over data read in
        passes keeps W of every row (n_samples × n_components), as scikit-learn does.
    fresh_restarts_max_iter : int, default=30
        Iterations of each batch's W solve with ``fresh_restarts``.
    transform_max_iter : int or None, default=None
        Iterations of the W solves of ``transform``, ``partial_fit`` and streams (None:
        50; Frobenius needs 1-2, exact).
    random_state : int, Generator, RandomState or None, default=None
    verbose : int, default=0
        Print the smoothed loss after each pass.
    constraints : list of constraints, default=None
        ``Frozen('H', components)`` only: those rows of H keep the values given with
        ``init='custom'``, bit for bit, through every ``partial_fit``. Other
        constraints need ``NMF``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    n_components_ : int
    n_iter_ : int
        Passes over the data.
    n_steps_ : int
        Mini-batches processed.
    reconstruction_err_ : float
        :math:`\sqrt{2\, d_\beta(X \mid W H)}` for the final W and H (on a stream: of
        the last pass).
    loss_curve_ : list of float
        Smoothed objective per row after each batch.
    stop_reason_ : {'converged', 'no_improvement', 'max_iter', 'end_of_stream'}
    n_features_in_ : int

    Notes
    -----
    For Frobenius, H is the exact minimiser (up to HALS's stopping rule) of the
    accumulated surrogate, and the fit ends close to batch ``NMF``'s loss (0.26 % above
    it on 20 Newsgroups TF-IDF, k = 20; BENCHMARKS.md). For other β, the online
    multiplicative updates converge as slowly as MU does in batch.

    References
    ----------
    Mairal, Bach, Ponce & Sapiro (2010), doi:10.5555/1756006.1756008. Lefèvre, Bach &
    Févotte (2011), doi:10.1109/ASPAA.2011.6082314.

    Examples
    --------
    >>> import numpy as np
    >>> from nmfkit import MiniBatchNMF
    >>> X = np.random.default_rng(0).random((100, 8))
    >>> model = MiniBatchNMF(n_components=3, batch_size=20, random_state=0).fit(X)
    >>> model.components_.shape
    (3, 8)
    """

    # the running statistics travel with the model, so partial_fit resumes after load
    _saved_arrays = {
        "components_": "float",
        "feature_names_in_": "text",
        "_stats_A": "float",
        "_stats_B": "float",
        "_stats_rows": "float",
    }
    _saved_attributes = {
        **{k: NMF._saved_attributes[k] for k in ("n_components_", "n_iter_", "n_features_in_")},
        "n_steps_": [COUNT],
        "reconstruction_err_": [NON_NEGATIVE],
        "loss_curve_": [ListOf(NON_NEGATIVE)],
        "stop_reason_": [Options((*STOP_REASONS, "no_improvement", "end_of_stream"))],
    }
    _parameter_constraints = {
        **{k: NMF._parameter_constraints[k] for k in ("n_components", "beta_loss", "tol")},
        "init": [Options([*INITS, "custom"]), NONE],
        "batch_size": [Interval(numbers.Integral, 1, None, "left")],
        "max_no_improvement": [Interval(numbers.Integral, 1, None, "left"), NONE],
        "max_iter": NMF._parameter_constraints["max_iter"],
        "alpha_W": NMF._parameter_constraints["alpha_W"],
        "alpha_H": NMF._parameter_constraints["alpha_H"],
        "l1_ratio": NMF._parameter_constraints["l1_ratio"],
        "forget_factor": [Interval(numbers.Real, 0, 1, "both")],
        "fresh_restarts": [BOOLEAN],
        "fresh_restarts_max_iter": [Interval(numbers.Integral, 1, None, "left")],
        "transform_max_iter": [Interval(numbers.Integral, 1, None, "left"), NONE],
        "random_state": NMF._parameter_constraints["random_state"],
        "verbose": NMF._parameter_constraints["verbose"],
        "constraints": NMF._parameter_constraints["constraints"],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        init=None,
        batch_size=1024,
        beta_loss="frobenius",
        tol=1e-4,
        max_no_improvement=None,
        max_iter=200,
        alpha_W=0.0,
        alpha_H="same",
        l1_ratio=0.0,
        forget_factor=0.7,
        fresh_restarts=False,
        fresh_restarts_max_iter=30,
        transform_max_iter=None,
        random_state=None,
        verbose=0,
        constraints=None,
    ):
        self.n_components = n_components
        self.init = init
        self.batch_size = batch_size
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.max_iter = max_iter
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.forget_factor = forget_factor
        self.fresh_restarts = fresh_restarts
        self.fresh_restarts_max_iter = fresh_restarts_max_iter
        self.transform_max_iter = transform_max_iter
        self.random_state = random_state
        self.verbose = verbose
        self.constraints = constraints

    # -- one batch -------------------------------------------------------------------
    def _nmf_params(self, k, init, max_iter):
        """The NMF parameters of the per-batch solves."""
        return dict(
            n_components=k,
            init=init,
            solver="auto",
            beta_loss=self.beta_loss,
            tol=self.tol,
            max_iter=max_iter,
            random_state=self.random_state,
            alpha_W=self.alpha_W,
            alpha_H=self.alpha_H,
            l1_ratio=self.l1_ratio,
            verbose=0,
            shuffle=False,
        )

    def _check_block(self, X, caller, first):
        """One block of rows, checked, as fit data on the NumPy engine."""
        engine = NumpyEngine()
        batch = Plain(engine.check_input(X, caller=caller), engine)
        if first:
            self.n_features_in_ = batch.shape[1]
        elif batch.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{caller}: X has {batch.shape[1]} features, but MiniBatchNMF is expecting "
                f"{self.n_features_in_} features as input."
            )
        return batch, engine

    def _plan_W(self, batch, H, engine, caller, max_iter, W=None):
        """The Plan of a W solve for the batch with H fixed, and H checked; from W when
        given (the rows' own W: no user check applies to it)."""
        params = self._nmf_params(H.shape[0], None, max_iter)
        plan, _, H = resolve(params, batch, engine, None, H, update_H=False, caller=caller)
        if W is not None:
            plan = dataclasses.replace(plan, init="custom")
            W = engine.asarray(W, plan.dtype, rows=True)
        return plan, W, H

    def _solve_W(self, batch, H, engine, caller, W=None, max_iter=None):
        """W ≥ 0 for the rows of the batch with H fixed (from W when given), and the
        objective it reaches."""
        max_iter = max_iter or self.transform_max_iter or _BATCH_W_ITER
        plan, W, H = self._plan_W(batch, H, engine, caller, max_iter, W)
        W0, H0 = initialize(batch, plan, engine, W, H)
        with warnings.catch_warnings():
            # an inexact W per batch is the method, not a failure
            warnings.simplefilter("ignore", ConvergenceWarning)
            W, _, result = run(batch, W0, H0, plan, engine, caller=caller)
        return W, result.loss

    def _update_W(self, batch, H, engine, caller, W=None):
        """W of the batch for H: exact for Frobenius; else one multiplicative update of
        the rows' previous W, or (no previous W, or fresh restarts) a solve."""
        if W is None or self._beta == 2:
            return self._solve_W(batch, H, engine, caller, W)
        if self.fresh_restarts:
            return self._solve_W(batch, H, engine, caller, None, self.fresh_restarts_max_iter)
        plan, W, H = self._plan_W(batch, H, engine, caller, 1, W)
        W = update_W(batch.X, W, H, plan, engine)
        return W, objective(batch, W, H, plan)

    def _start(self, data, engine, caller, W=None, H=None):
        """H (and W of data's rows) from data, by init or as given; empty statistics."""
        k = self.n_components
        if k in (None, "auto"):
            k = H.shape[0] if (self.init == "custom" and H is not None) else data.shape[1]
        params = self._nmf_params(k, self.init, 1)
        plan, W, H = resolve(params, data, engine, W, H, caller=caller)
        check_frozen_only(self.constraints, data.shape, k, self.init, caller)
        W0, H0 = initialize(data, plan, engine, W, H)
        self.components_ = np.ascontiguousarray(H0)
        self.n_components_ = self._n_components = k
        self._n_features_out = k
        self._stats_A, self._stats_B = start_statistics(H0, self._beta)
        self._stats_rows = np.zeros(1)
        self.n_steps_ = 0
        return W0

    @property
    def _beta(self):
        return beta_from_loss(self.beta_loss)

    def _loaded(self):
        super()._loaded()
        k, n = self.n_components_, self.n_features_in_
        names = ("_stats_A", "_stats_B", "_stats_rows")
        present = [hasattr(self, name) for name in names]
        if any(present) and not all(present):
            raise ValueError("the running statistics are incomplete")
        if all(present):
            expect_shape("_stats_A", self._stats_A, (k, k) if self._beta == 2 else (k, n))
            expect_shape("_stats_B", self._stats_B, (k, n))
            expect_shape("_stats_rows", self._stats_rows, (1,))

    def _alpha_H(self):
        return self.alpha_W if self.alpha_H == "same" else self.alpha_H

    def _update_H(self, batch, W, rho, engine):
        """Fold the batch into the statistics and update H from them."""
        rows = self._stats_rows[0] = rho * self._stats_rows[0] + batch.shape[0]
        stats, penalty = (self._stats_A, self._stats_B), (self._alpha_H(), self.l1_ratio, rows)
        H = online_H(batch.X, W, self.components_, stats, rho, penalty, self._beta, engine)
        for c in self.constraints or ():  # Frozen('H') only: checked at the start
            keep = c.indices(H.shape[0])
            H[keep] = self.components_[keep]  # kept bit for bit
        self.components_ = H
        self.n_steps_ += 1

    def _balance(self, W):
        """Rescale each component so its W column and H row have equal norms (as NMF
        returns them), and the statistics with it, so that partial_fit goes on alike."""
        s = balance_scales(W, self.components_, NumpyEngine()).astype(np.float64)
        rescale_statistics(self._stats_A, self._stats_B, s, self._beta)
        self.components_ = self.components_ * s.astype(self.components_.dtype)[:, None]
        return W / s.astype(W.dtype)

    def _step(self, X, rho, caller, W=None, H=None):
        """One mini-batch: W for its rows (from W when given), then H; returns (batch
        objective, rows, W of the batch)."""
        first = not hasattr(self, "components_") or not hasattr(self, "_stats_B")
        batch, engine = self._check_block(X, caller, first)
        # BLAS on one thread, the work split by size: the same bits on any machine
        with engine.threads():
            if first:
                self._start(batch, engine, caller, W, H)
            W, loss = self._update_W(batch, self.components_, engine, caller, W)
            self._update_H(batch, W, rho, engine)
        return loss, batch.shape[0], W

    # -- public API ------------------------------------------------------------------
    def partial_fit(self, X, y=None, W=None, H=None, layer=None):
        """Update the model with one block of rows (a mini-batch).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
        y : Ignored
        W : array-like of shape (n_rows, n_components), optional
            With ``init='custom'``, the starting W of this block's solve (first call).
        H : array-like of shape (n_components, n_features), optional
            With ``init='custom'``, the starting H (first call only).
        layer : str, optional
            With an ``anndata.AnnData`` as X: use ``X.layers[layer]`` instead of ``X.X``.

        Returns
        -------
        self : MiniBatchNMF
        """
        validate_params(type(self).__name__, self.get_params(), self._parameter_constraints)
        caller = "MiniBatchNMF.partial_fit"
        X = from_anndata(X, layer, caller)
        first = not hasattr(self, "components_")
        custom = first and self.init == "custom"
        warn_unused_factors(self.init, True, None if custom else W, None if custom else H)
        self._step(X, self.forget_factor, caller, W if custom else None, H if custom else None)
        self.n_iter_ = getattr(self, "n_iter_", 0)
        return self

    def _passes(self, X):
        """Per pass, a factory of row blocks; n_samples when known; the number of
        passes; and X whole when it is in memory."""
        X = open_path(X)
        if callable(X) and not hasattr(X, "shape"):
            return X, None, self.max_iter, None
        if is_stream(X):
            blocks = iter(X)
            return (lambda: blocks), None, 1, None
        validate_data(self, X, reset=True, skip_check_array=True)
        X = as_table(X, "MiniBatchNMF.fit")
        whole = X if in_memory(X) else None
        return (lambda: row_blocks(X, self.batch_size)), X.shape[0], self.max_iter, whole

    def _batches(self, blocks):
        for block in blocks:
            yield from row_blocks(block, self.batch_size)

    def fit(self, X, y=None, W=None, H=None, layer=None):
        """Fit by passes of mini-batches over X; memory is set by ``batch_size`` (and W
        of every row, without fresh restarts).

        Parameters
        ----------
        X : array-like, sparse matrix, memory-mapped array, .npy path, iterator of row \
                blocks, or a function returning one
        y : Ignored
        W : array-like of shape (n_samples, n_components), optional
            With ``init='custom'``, the starting W.
        H : array-like of shape (n_components, n_features), optional
            With ``init='custom'``, the starting H.
        layer : str, optional
            With an ``anndata.AnnData`` as X: use ``X.layers[layer]`` instead of ``X.X``.

        Returns
        -------
        self : MiniBatchNMF
        """
        self._fit(from_anndata(X, layer, "MiniBatchNMF.fit"), W, H)
        return self

    def fit_transform(self, X, y=None, W=None, H=None, layer=None):
        """Fit, then return W for X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : Ignored
        W, H : array-like, optional
            With ``init='custom'``, the starting W and H.
        layer : str, optional
            With an ``anndata.AnnData`` as X: use ``X.layers[layer]`` instead of ``X.X``.

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        X = from_anndata(X, layer, "MiniBatchNMF.fit")
        W = self._fit(X, W, H, keep_W=True)
        # a stream has none (it cannot be read again)
        return W if W is not None else self.transform(X)

    def _fit(self, X, W=None, H=None, keep_W=False):
        """``fit``, all or nothing: an exception (Ctrl-C included) midway restores the
        estimator as it was, instead of leaving the first batches' components set."""
        before = dict(self.__dict__)
        try:
            return self._fit_passes(X, W, H, keep_W)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _fit_passes(self, X, W, H, keep_W):
        """The body of ``fit``; with ``keep_W``, W of every row is returned."""
        validate_params(type(self).__name__, self.get_params(), self._parameter_constraints)
        custom = self.init == "custom"
        warn_unused_factors(self.init, True, W, H)
        W, H = (W, H) if custom else (None, None)
        for name in ("components_", "_stats_B"):
            self.__dict__.pop(name, None)
        caller = "MiniBatchNMF.fit"
        blocks, n_samples, passes, whole = self._passes(X)
        # W of every row is kept (for one update per pass, as scikit-learn does) when X
        # is in memory; from a file or a stream each batch's W is solved afresh, so that
        # memory stays set by batch_size
        W_all, W_first = None, None
        if whole is not None:  # start from all of X, as NMF does
            data, engine = self._check_block(whole, caller, True)
            with engine.threads():
                W0 = self._start(data, engine, caller, W, H)
            W_all = None if self.fresh_restarts else W0
        elif custom:  # start from the given H, and the first batch from its rows of W
            W_first = W
        rho = (
            self.forget_factor ** (self.batch_size / n_samples) if n_samples else self.forget_factor
        )
        ewa, best, stale = None, np.inf, 0
        alpha = min(1.0, 2 * self.batch_size / (n_samples + 1)) if n_samples else 0.1
        self.loss_curve_, reason, it = [], "max_iter", 0
        previous = np.inf
        for it in range(1, passes + 1):
            pass_loss, lo = 0.0, 0
            for batch in self._batches(blocks()):
                hi = lo + batch.shape[0]
                start = None
                if W_all is not None:
                    start = np.array(W_all[lo:hi])
                elif W_first is not None and not hasattr(self, "components_"):
                    start = np.asarray(W_first[lo:hi])
                loss, rows, Wb = self._step(batch, rho, caller, start, H)
                check_finite(loss, it, caller)
                if W_all is not None:
                    W_all[lo:hi] = Wb
                lo = hi
                pass_loss += loss
                ewa = loss / rows if ewa is None else (1 - alpha) * ewa + alpha * loss / rows
                self.loss_curve_.append(float(ewa))
                if ewa < best * (1 - 1e-12):
                    best, stale = ewa, 0
                else:
                    stale += 1
                    if self.max_no_improvement is not None and stale >= self.max_no_improvement:
                        reason = "no_improvement"
                        break
            if self.verbose and ewa is not None:
                print(f"pass {it:>4}: objective {pass_loss:.6e}")
            if reason != "max_iter":
                break
            # the one meaning of tol: relative decrease of the objective between passes
            # (a fit that used every pass reports max_iter, as NMF and scikit-learn do)
            change = (previous - pass_loss) / pass_loss if pass_loss > 0 else 0.0
            if it < passes and (pass_loss <= 0 or change < self.tol):
                reason = "converged"
                break
            previous = pass_loss
        if not hasattr(self, "components_"):
            raise ValueError(f"{caller}: X has no rows; pass at least one row.")
        if passes == 1 and n_samples is None and reason == "max_iter":
            reason = "end_of_stream"
        if reason == "max_iter" and self.tol > 0:
            warnings.warn(max_iter_message(caller, self.max_iter, self.tol), ConvergenceWarning)
        self.n_iter_, self.stop_reason_ = it, reason
        if n_samples is None:
            # a stream cannot be read again: the last pass's objective stands in
            self.reconstruction_err_ = float(np.sqrt(2 * max(pass_loss, 0.0)))
            return None
        if W_all is not None and not (self.alpha_W or self._alpha_H() or self.constraints):
            W_all = self._balance(W_all)  # as NMF returns its factors
        if self._beta == 2 or W_all is None:
            # W for the final H, as transform gives it (exact for Frobenius, as NMF's)
            return self._final_pass(blocks(), keep_W)
        self.reconstruction_err_ = self._error(blocks(), W_all)
        return W_all if keep_W else None

    def _final_pass(self, blocks, keep_W):
        """W of every row for the final H (one more pass), and reconstruction_err_ from
        it; W is returned when ``keep_W`` (what ``fit_transform`` returns)."""
        total, parts = 0.0, []
        for batch in self._batches(blocks):
            data, engine = self._check_block(batch, "MiniBatchNMF.fit", False)
            with engine.threads():
                W, _ = self._solve_W(data, self.components_, engine, "MiniBatchNMF.fit")
                total += data.divergence(W, self.components_, self._beta)
            if keep_W:
                parts.append(W)
        self.reconstruction_err_ = float(np.sqrt(2.0 * total))
        return np.concatenate(parts) if keep_W else None

    def _error(self, blocks, W):
        """√(2 d_β(X | W H)) over the data, a batch of rows at a time."""
        total, lo = 0.0, 0
        for batch in self._batches(blocks):
            data, _ = self._check_block(batch, "MiniBatchNMF.fit", False)
            hi = lo + data.shape[0]
            total += data.divergence(np.asarray(W[lo:hi]), self.components_, self._beta)
            lo = hi
        return float(np.sqrt(2.0 * total))

    def transform(self, X, layer=None):
        """W for X with the fitted components held fixed, a batch of rows at a time.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        layer : str, optional
            With an ``anndata.AnnData`` as X: use ``X.layers[layer]`` instead of ``X.X``.

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = open_path(from_anndata(X, layer, "MiniBatchNMF.transform"))
        Xt = as_table(X, "MiniBatchNMF.transform")
        validate_data(self, X, reset=False, skip_check_array=True)
        X = Xt
        parts = []
        for batch in row_blocks(X, self.batch_size):
            data, engine = self._check_block(batch, "MiniBatchNMF.transform", False)
            with engine.threads():
                W, _ = self._solve_W(data, self.components_, engine, "MiniBatchNMF.transform")
            parts.append(W)
        return np.concatenate(parts) if parts else np.zeros((0, self.n_components_))
