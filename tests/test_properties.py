"""Property-based tests (Hypothesis) over shapes, sparsity, dtypes, scales, solvers and losses.

Whatever the data: the factors are finite and non-negative, the objective never
increases between two checks, and the same seed gives bit-identical factors. CI runs a
few hundred cases; ``HYPOTHESIS_PROFILE=nightly pytest tests/test_properties.py`` runs
10,000 per test.
"""

import os
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nmfkit import NMF  # noqa: E402
from nmfkit.core.losses import EPSILON  # noqa: E402
from nmfkit.core.solvers import SOLVERS  # noqa: E402

settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "nightly", max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BETAS = (2.0, 1.0, 0.5, 0.0, 1.5)
PAIRS = [
    (solver, beta) for solver, module in SOLVERS.items() for beta in BETAS if module.minimises(beta)
]


@st.composite
def problems(draw, masked=False):
    """(X, params): a small X of any shape, sparsity, dtype and scale, and a valid fit."""
    solver, beta = draw(st.sampled_from(PAIRS))
    if masked and not SOLVERS[solver].masked:
        solver = "mu"
    n, m = draw(st.integers(1, 12)), draw(st.integers(1, 10))
    k = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    scale = 10.0 ** draw(st.integers(-4, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.random((n, m)) * scale
    density = draw(st.sampled_from([1.0, 0.7, 0.3, 0.0]))
    if beta > 0:
        X[rng.random((n, m)) >= density] = 0.0  # β <= 0 needs X > 0
        if draw(st.booleans()):
            X[rng.integers(n)] = 0.0  # an all-zero row
    if masked:
        X[rng.random((n, m)) < 0.3] = np.nan
        if np.isnan(X).all():
            X[0, 0] = scale
    X = X.astype(dtype)
    sparse = not masked and beta > 0 and draw(st.booleans())
    params = dict(
        n_components=k,
        solver=solver,
        beta_loss=beta,
        init=draw(st.sampled_from(["random", None])),
        random_state=seed % 1000,
        max_iter=draw(st.integers(1, 40)),
        tol=draw(st.sampled_from([0.0, 1e-4])),
        alpha_W=draw(st.sampled_from([0.0, 0.0, 1e-3 * scale])),
        l1_ratio=draw(st.sampled_from([0.0, 0.5, 1.0])),
        shuffle=draw(st.booleans()),
    )
    return (sp.csr_matrix(X) if sparse else X), params


def _fit(X, params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NMF(**params)
        W = model.fit_transform(X)
    return model, W


def _check(X, params):
    model, W = _fit(X, params)
    H = model.components_
    for A in (W, H):
        assert np.isfinite(A).all() and (A >= 0).all()
        assert A.dtype == X.dtype  # float32 stays float32
    curve = np.asarray(model.loss_curve_)
    assert np.isfinite(curve).all() and (curve >= 0).all()
    assert np.isfinite(model.reconstruction_err_)
    # never an increase between checks, up to the rounding of the dtype: relative to the
    # loss, and, for the noise of an exact fit (loss 0), to the data's size and scale
    rtol, atol = (1e-5, 1e-6) if X.dtype == np.float32 else (1e-9, 1e-12)
    values = (X.data if sp.issparse(X) else X[~np.isnan(X)]).astype(np.float64)
    size = curve[0] + values @ values + values.sum() + values.size
    if params["beta_loss"] != 2:
        # W H is floored at EPSILON where β < 2 needs it (as in scikit-learn): the
        # updates are monotone for the floored objective, up to EPSILON·Σx (RELIABILITY.md)
        atol = max(atol, EPSILON)
    slack = rtol * curve[:-1] + atol * size
    heuristic = params["beta_loss"] not in (1, 2) and params["alpha_W"] and params["l1_ratio"] < 1
    if not heuristic:  # MU's L2 term for β ∉ {1, 2} is scikit-learn's heuristic: not monotone
        assert (np.diff(curve) <= slack).all(), curve
    again, W2 = _fit(X, params)
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(again.components_, H)


@given(problems())
def test_fits_are_finite_monotone_and_reproducible(problem):
    _check(*problem)


@given(problems(masked=True))
def test_fits_with_unknown_entries_are_finite_monotone_and_reproducible(problem):
    _check(*problem)
