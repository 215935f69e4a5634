"""``MiniBatchNMF``: NMF fitted from mini-batches of rows, with memory set by the batch.

Each batch's W is solved with H fixed by the same Plan and Loop as ``NMF.transform``
(exact NNLS for Frobenius; CCD for Kullback-Leibler; MU for other β). H then follows
statistics accumulated over the batches seen, each older batch weighted down by
``rho``:

- Frobenius: Mairal et al.'s online matrix factorization (2010,
  doi:10.5555/1756006.1756008): A = Σ ρ Wᵀ W, B = Σ ρ Wᵀ X, and H minimises
  ½ tr(H ᵀA H) − tr(Bᵀ H) plus its penalties by HALS sweeps (exact coordinate steps);
- any other β: Lefèvre, Bach & Févotte's online multiplicative updates (2011,
  doi:10.1109/ASPAA.2011.6082314), the numerator and denominator of the MU step
  accumulated in the same way (as scikit-learn's ``MiniBatchNMF`` does, for every β).

The penalties on H are scaled by the weighted number of rows seen, so that one batch
holding all rows gives ``NMF``'s objective.
"""

import numbers
import os
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from ..arrays.engines import NumpyEngine
from ..arrays.kernels import kernel
from ..core.data import Plain
from ..core.init import INITS, initialize
from ..core.loop import run
from ..core.losses import EPSILON, beta_from_loss
from ..core.plan import resolve
from ..core.solvers._common import penalised
from ..core.solvers.hals import _orders, _sweeps
from ..core.solvers.mu import gamma, terms
from ..core.validation import NONE, Interval, Options, validate_params
from .nmf import NMF, _FactorizationMixin

__all__ = ["MiniBatchNMF"]

# HALS sweeps over H per batch (Frobenius), stopped early as HALS's inner sweeps are.
_H_SWEEPS = 10
# Iterations of each batch's W solve when transform_max_iter is None.
_BATCH_W_ITER = 50


def _open(X):
    """A .npy path opened memory-mapped; anything else as it is."""
    if isinstance(X, (str, os.PathLike)):
        path = os.fspath(X)
        if not path.endswith(".npy"):
            raise ValueError(
                f"MiniBatchNMF.fit: {path!r} is not a .npy file; pass an array, a sparse "
                "matrix, a .npy path or an iterator of row blocks."
            )
        return np.load(path, mmap_mode="r", allow_pickle=False)
    return X


def _is_stream(X):
    """An iterator of row blocks, or a callable that returns one (one per pass)."""
    return callable(X) or (
        hasattr(X, "__iter__")
        and not hasattr(X, "shape")
        and not isinstance(X, (list, tuple))
        and not hasattr(X, "iloc")
    )


def _table(X, caller):
    """X as something with 2-D rows to slice: sparse and 2-D arrays (memory-mapped
    ones included) as they are, anything else checked and converted whole."""
    if sp.issparse(X) or (hasattr(X, "shape") and getattr(X, "ndim", 0) == 2):
        return X.to_numpy() if hasattr(X, "iloc") else X
    return NumpyEngine().check_input(X, caller=caller)


def _rows(X, batch_size):
    """Consecutive blocks of at most ``batch_size`` rows (views where X allows)."""
    if sp.issparse(X) and X.format != "csr":
        X = X.tocsr()
    if hasattr(X, "iloc"):
        X = X.to_numpy()
    elif not hasattr(X, "shape"):
        X = np.asarray(X)
    for s in range(0, X.shape[0], batch_size):
        yield X[s : s + batch_size]


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
    init : {'random', 'nndsvd', 'nndsvda', 'nndsvdar'} or None, default=None
        Initialisation of H, computed from the first batch.
    batch_size : int, default=1024
        Rows per mini-batch.
    beta_loss : float or {'frobenius', 'kullback-leibler', 'itakura-saito'}, \
            default='frobenius'
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
        ``partial_fit`` and on streams, where n_samples is unknown.
    transform_max_iter : int or None, default=None
        Iterations of each batch's W solve (None: 50; Frobenius needs 1-2, exact).
    random_state : int, Generator, RandomState or None, default=None
    verbose : int, default=0
        Print the smoothed loss after each pass.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    n_components_ : int
    n_iter_ : int
        Passes over the data.
    n_steps_ : int
        Mini-batches processed.
    reconstruction_err_ : float
        :math:`\sqrt{2\, d_\beta(X \mid W H)}` for the final H and each row's W (one
        extra pass at the end of ``fit``).
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
    _saved_arrays = ("components_", "feature_names_in_", "_stats_A", "_stats_B", "_stats_rows")
    _saved_attributes = (
        "n_components_",
        "n_iter_",
        "n_steps_",
        "reconstruction_err_",
        "loss_curve_",
        "stop_reason_",
        "n_features_in_",
    )
    _parameter_constraints = {
        **{k: NMF._parameter_constraints[k] for k in ("n_components", "beta_loss", "tol")},
        "init": [Options(INITS), NONE],
        "batch_size": [Interval(numbers.Integral, 1, None, "left")],
        "max_no_improvement": [Interval(numbers.Integral, 1, None, "left"), NONE],
        "max_iter": NMF._parameter_constraints["max_iter"],
        "alpha_W": NMF._parameter_constraints["alpha_W"],
        "alpha_H": NMF._parameter_constraints["alpha_H"],
        "l1_ratio": NMF._parameter_constraints["l1_ratio"],
        "forget_factor": [Interval(numbers.Real, 0, 1, "right")],
        "transform_max_iter": [Interval(numbers.Integral, 1, None, "left"), NONE],
        "random_state": NMF._parameter_constraints["random_state"],
        "verbose": NMF._parameter_constraints["verbose"],
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
        transform_max_iter=None,
        random_state=None,
        verbose=0,
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
        self.transform_max_iter = transform_max_iter
        self.random_state = random_state
        self.verbose = verbose

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

    def _solve_W(self, batch, H, engine, caller):
        """W ≥ 0 for the rows of the batch with H fixed, and the objective it reaches."""
        k = H.shape[0]
        max_iter = self.transform_max_iter or _BATCH_W_ITER
        params = self._nmf_params(k, None, max_iter)
        plan, _, H = resolve(params, batch, engine, None, H, update_H=False, caller=caller)
        W0, H0 = initialize(batch, plan, engine, None, H)
        with warnings.catch_warnings():
            # an inexact W per batch is the method, not a failure
            warnings.simplefilter("ignore", ConvergenceWarning)
            W, _, result = run(batch, W0, H0, plan, engine, caller=caller)
        return W, result.loss

    def _start(self, batch, engine, caller):
        """H from the first batch, and empty statistics."""
        k = self.n_components
        k = batch.shape[1] if k in (None, "auto") else k
        params = self._nmf_params(k, self.init, 1)
        plan, _, _ = resolve(params, batch, engine, caller=caller)
        _, H = initialize(batch, plan, engine)
        self.components_ = np.ascontiguousarray(H)
        self.n_components_ = k
        self._n_features_out = k
        self._stats_A = np.zeros((k, k) if self._beta == 2 else H.shape, dtype=np.float64)
        self._stats_B = np.zeros(H.shape, dtype=np.float64)
        self._stats_rows = np.zeros(1)
        self.n_steps_ = 0

    @property
    def _beta(self):
        return beta_from_loss(self.beta_loss)

    def _alpha_H(self):
        return self.alpha_W if self.alpha_H == "same" else self.alpha_H

    def _update_H(self, batch, W, rho, engine):
        """Fold the batch into the statistics and update H from them."""
        Xb, H = batch.X, self.components_
        A, B = self._stats_A, self._stats_B
        rows = self._stats_rows[0] = rho * self._stats_rows[0] + Xb.shape[0]
        l1 = self._alpha_H() * self.l1_ratio * rows
        l2 = self._alpha_H() * (1 - self.l1_ratio) * rows
        A *= rho
        B *= rho
        if self._beta == 2:
            A += W.T @ W
            B += engine.WtX(W, Xb)
            G, R = penalised(A, B, l1, l2)
            R = np.ascontiguousarray(R.T, dtype=H.dtype)
            sweep, orders = kernel("hals_sweep", engine), _orders(H.shape[0], None)
            Ht = engine.transposed(H)
            Ht = _sweeps(Ht, G.astype(H.dtype), R, _H_SWEEPS, sweep, orders, engine)
            new = np.ascontiguousarray(Ht.T)
        else:
            g = gamma(self._beta)
            num, den = terms(Xb, W, H, self._beta, engine, for_W=False)
            rows_b = Xb.shape[0]
            den = den + self._alpha_H() * rows_b * (self.l1_ratio + (1 - self.l1_ratio) * H)
            A += num * (H ** (1 / g) if g != 1 else H)
            B += den
            new = A / np.where(B > 0, B, EPSILON)
            if g != 1:
                new **= g
            if self._beta <= 1:
                new[new < np.finfo(np.float64).eps] = 0.0
            new = new.astype(H.dtype)
        self.components_ = new
        self.n_steps_ += 1

    def _step(self, X, rho, caller):
        """One mini-batch: W for its rows, then H; returns (batch objective, rows)."""
        first = not hasattr(self, "components_") or not hasattr(self, "_stats_B")
        batch, engine = self._check_block(X, caller, first)
        # BLAS on one thread, the work split by size: the same bits on any machine
        with engine.threads():
            if first:
                self._start(batch, engine, caller)
            W, loss = self._solve_W(batch, self.components_, engine, caller)
            self._update_H(batch, W, rho, engine)
        return loss, batch.shape[0]

    # -- public API ------------------------------------------------------------------
    def partial_fit(self, X, y=None, W=None, H=None):
        """Update the model with one block of rows (a mini-batch).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
        y : Ignored
        W, H : Ignored
            For scikit-learn signature compatibility.

        Returns
        -------
        self : MiniBatchNMF
        """
        validate_params(type(self).__name__, self.get_params(), self._parameter_constraints)
        self._step(X, self.forget_factor, "MiniBatchNMF.partial_fit")
        self.n_iter_ = getattr(self, "n_iter_", 0)
        return self

    def _passes(self, X):
        """Per pass, a factory of row blocks; and n_samples when known."""
        X = _open(X)
        if callable(X) and not hasattr(X, "shape"):
            return X, None, self.max_iter
        if _is_stream(X):
            blocks = iter(X)
            return (lambda: blocks), None, 1
        validate_data(self, X, reset=True, skip_check_array=True)
        X = _table(X, "MiniBatchNMF.fit")
        return (lambda: _rows(X, self.batch_size)), X.shape[0], self.max_iter

    def _batches(self, blocks):
        for block in blocks:
            yield from _rows(block, self.batch_size)

    def fit(self, X, y=None, **params):
        """Fit H by passes of mini-batches over X; memory is set by ``batch_size``.

        Parameters
        ----------
        X : array-like, sparse matrix, memory-mapped array, .npy path, iterator of row \
                blocks, or a function returning one
        y : Ignored

        Returns
        -------
        self : MiniBatchNMF
        """
        self._fit(X)
        return self

    def _fit(self, X, keep_W=False):
        """``fit``, all or nothing: an exception (Ctrl-C included) midway restores the
        estimator as it was, instead of leaving the first batches' components set."""
        before = dict(self.__dict__)
        try:
            return self._fit_passes(X, keep_W)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _fit_passes(self, X, keep_W):
        """The body of ``fit``; with ``keep_W``, also W of every row (from the last pass)."""
        validate_params(type(self).__name__, self.get_params(), self._parameter_constraints)
        for name in ("components_", "_stats_B"):
            self.__dict__.pop(name, None)
        caller = "MiniBatchNMF.fit"
        blocks, n_samples, passes = self._passes(X)
        rho = (
            self.forget_factor ** (self.batch_size / n_samples) if n_samples else self.forget_factor
        )
        ewa, best, stale = None, np.inf, 0
        alpha = min(1.0, 2 * self.batch_size / (n_samples + 1)) if n_samples else 0.1
        self.loss_curve_, reason, it = [], "max_iter", 0
        previous = np.inf
        for it in range(1, passes + 1):
            pass_loss = 0.0
            for batch in self._batches(blocks()):
                loss, rows = self._step(batch, rho, caller)
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
            # the one meaning of tol: relative decrease of the objective between checks
            if pass_loss <= 0 or (previous - pass_loss) / pass_loss < self.tol:
                reason = "converged"
                break
            previous = pass_loss
        if not hasattr(self, "components_"):
            raise ValueError(f"{caller}: X has no rows; pass at least one row.")
        if passes == 1 and n_samples is None and reason == "max_iter":
            reason = "end_of_stream"
        self.n_iter_, self.stop_reason_ = it, reason
        if n_samples is not None:
            return self._final_pass(blocks(), keep_W)
        # a stream cannot be read again: the last pass's objective stands in
        self.reconstruction_err_ = float(np.sqrt(2 * max(pass_loss, 0.0)))
        return None

    def _final_pass(self, blocks, keep_W):
        """reconstruction_err_ for the final H, from one more pass (W per batch); the
        W of every row too when ``keep_W`` (what ``fit_transform`` returns)."""
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

    def transform(self, X):
        """W for X with the fitted components held fixed, a batch of rows at a time.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = _open(X)
        Xt = _table(X, "MiniBatchNMF.transform")
        validate_data(self, X, reset=False, skip_check_array=True)
        X = Xt
        parts = []
        for batch in _rows(X, self.batch_size):
            data, engine = self._check_block(batch, "MiniBatchNMF.transform", False)
            with engine.threads():
                W, _ = self._solve_W(data, self.components_, engine, "MiniBatchNMF.transform")
            parts.append(W)
        return np.concatenate(parts) if parts else np.zeros((0, self.n_components_))

    def fit_transform(self, X, y=None, W=None, H=None):
        """Fit, then return W for X (W of all rows is the one array sized by n_samples).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : Ignored
        W, H : Ignored

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        W = self._fit(X, keep_W=True)
        # W comes from fit's last pass; a stream has none (it cannot be read again)
        return W if W is not None else self.transform(X)
