"""What the relatives of NMF (``SemiNMF``, ``SymmetricNMF``, ``ConvolutiveNMF``) share:
parameter checks, the run of the one Loop, the fitted attributes it sets, model files."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin

from ..arrays.engines import NumpyEngine
from ..core.io import Saveable, expect_shape
from ..core.loop import STOP_REASONS, run
from ..core.plan import Plan
from ..core.validation import (
    BOOLEAN,
    CALLABLE,
    COUNT,
    NON_NEGATIVE,
    NONE,
    POSITIVE_INT,
    RANDOM_STATE,
    Interval,
    ListOf,
    Options,
    validate_params,
)

__all__ = [
    "FamilyEstimator", "COMMON_CONSTRAINTS", "FITTED_ATTRIBUTES", "family_plan", "expect_matrix",
]  # fmt: skip

# the parameters every relative takes, checked as NMF checks its own
COMMON_CONSTRAINTS = {
    "n_components": [Interval(numbers.Integral, 1, None, "left")],
    "tol": [Interval(numbers.Real, 0, None, "left")],
    "max_iter": [Interval(numbers.Integral, 1, None, "left")],
    "random_state": [RANDOM_STATE],
    "verbose": [Interval(numbers.Integral, 0, None, "left"), BOOLEAN],
    "callback": [CALLABLE, NONE],
}

# what a fit records about its iterations, saved in model files
FITTED_ATTRIBUTES = {
    "n_components_": [POSITIVE_INT],
    "n_iter_": [COUNT],
    "reconstruction_err_": [NON_NEGATIVE],
    "loss_curve_": [ListOf(NON_NEGATIVE)],
    "loss_times_": [ListOf(NON_NEGATIVE)],
    "stop_reason_": [Options(STOP_REASONS)],
    "n_features_in_": [POSITIVE_INT],
}


def family_plan(
    n_components, solver, *, tol, max_iter, random_state, dtype, verbose=0, beta=2.0, update=True
):
    """The Plan of a fit of a relative of NMF: no penalties, no constraints.

    Parameters
    ----------
    n_components : int
    solver : str
        A key of ``FAMILY_SOLVERS``.
    tol, max_iter, random_state, verbose
        As for NMF: ``tol`` is the relative decrease of the objective between two
        checks (10 iterations apart) below which the fit stops.
    dtype : numpy dtype
    beta : float, default=2.0
        The β-divergence the model measures its fit with.
    update : bool, default=True
        False holds the components fixed (``transform``).
    """
    return Plan(
        n_components=n_components, beta=float(beta), solver=solver, init="custom",
        tol=float(tol), max_iter=int(max_iter), l1_W=0.0, l2_W=0.0, l1_H=0.0, l2_H=0.0,
        update_H=update, random_state=random_state, dtype=dtype, verbose=verbose,
    )  # fmt: skip


class FamilyEstimator(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator, Saveable):
    """The scikit-learn contract around a relative's fit data and solver steps.

    A subclass declares ``_parameter_constraints`` (``COMMON_CONSTRAINTS`` and its own)
    and calls ``_validate`` first thing in ``fit``, then ``_iterate`` with its fit data
    and starting pair: one Loop, one meaning of ``tol``, one set of fitted attributes.
    """

    def _validate(self):
        params = self.get_params(deep=False)
        validate_params(type(self).__name__, params, self._parameter_constraints)

    def _iterate(self, data, W, H, solver, caller, *, update=True, beta=2.0):
        """Run the Loop from (W, H) to ``tol`` or ``max_iter``. With ``update`` (a fit)
        H is learned, and the callback, verbose output and fitted attributes go with it;
        without (a transform) H is held fixed and nothing is recorded.

        Returns
        -------
        W, H : ndarrays
        result : FitResult
        """
        plan = family_plan(
            W.shape[1], solver, tol=self.tol, max_iter=self.max_iter,
            random_state=self.random_state, dtype=data.dtype,
            verbose=self.verbose if update else 0, beta=beta, update=update,
        )  # fmt: skip
        callback = self.callback if update else None
        engine = NumpyEngine()
        W, H, result = run(data, [W, H], None, plan, engine, callback, caller)
        if update:
            self.n_iter_ = result.n_iter
            self.loss_curve_ = [float(v) for v in result.loss_curve]
            self.loss_times_ = [float(v) for v in result.times]
            self.stop_reason_ = result.stop_reason
            self.n_components_ = self._n_features_out = W.shape[1]
        return W, H, result

    def fit(self, X, y=None):
        """Fit the model to X (see ``fit_transform``); return self."""
        self.fit_transform(X)
        return self

    def _loaded(self):
        # components_ of shape (n_components_, n_features_in_); a subclass whose
        # components have another layout checks them itself
        expect_shape("components_", self.components_, (self.n_components_, self.n_features_in_))
        self._n_features_out = self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def expect_matrix(X, caller, name="X"):
    """Refuse a 1-D or 3-D input in nmfkit's words (scikit-learn's message prints the
    whole array); anything else is left to ``validate_data``."""
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        try:
            ndim = np.ndim(X)
        except (TypeError, ValueError):
            return X
    if ndim != 2:
        hint = (
            " Reshape your data with X.reshape(-1, 1) for one feature or X.reshape(1, -1) "
            "for one sample."
            if ndim == 1
            else ""
        )
        raise ValueError(
            f"{caller}: Expected a 2-D {name} but got a {ndim}-D array of shape "
            f"{np.shape(X)}.{hint}"
        )
    return X
