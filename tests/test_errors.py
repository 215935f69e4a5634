"""Every bad input gets a clear error before any work, and changes nothing."""

import numpy as np
import pytest
import scipy.sparse as sp

from nmfkit import NMF, non_negative_factorization

X_OK = np.random.default_rng(0).random((6, 5)) + 0.1


@pytest.mark.parametrize(
    "X, match",
    [
        (
            np.array([[1.0, -0.31], [2.0, 3.0]]),
            r"NMF\.fit: Negative values in data passed to NMF \(input X\): X has 1 negative "
            r"entries \(min -0\.31\); NMF needs X >= 0\.",
        ),
        (sp.csr_matrix(np.array([[1.0, -2.0], [0.0, 3.0]])), r"X has 1 negative entries"),
        (
            np.full((2, 2), np.nan),
            r"NMF\.fit: X has no observed entries \(every entry is NaN, unstored with "
            r"observed='stored', or of weight 0\); NMF needs some known values\.",
        ),
        (np.array([[1.0, np.inf], [2.0, 1.0]]), r"X contains 1 inf entries"),
        (np.array([[np.nan, np.inf]]), r"NMF\.fit: X contains 1 inf entries; X needs finite"),
        (np.zeros((0, 3)), r"Found array with 0 sample\(s\) \(shape=\(0, 3\)\)"),
        (np.zeros((3, 0)), r"Found array with 0 feature\(s\) \(shape=\(3, 0\)\)"),
        (np.ones(4), r"Expected a 2-D X but got a 1-D array of shape \(4,\)\. Reshape your data"),
        (np.ones((2, 2, 2)), r"Expected a 2-D X but got a 3-D array of shape \(2, 2, 2\)"),
        (np.array([[1 + 1j, 2]]), r"Complex data not supported"),
        (np.array([["a", "b"]], dtype=object), r"X has dtype object with non-numeric entries"),
    ],
)
def test_bad_X(X, match):
    with pytest.raises((ValueError, TypeError), match=match):
        NMF(1).fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        (
            dict(n_components=0),
            r"The 'n_components' parameter of NMF must be an int in the range \[1, inf\), "
            r"None or a str among \{'auto'\}\. Got 0 instead\.",
        ),
        (dict(n_components=2.5), r"'n_components' parameter of NMF .* Got 2\.5 instead"),
        (dict(n_components="3"), r"'n_components' parameter of NMF .* Got '3' instead"),
        (
            dict(max_iter=0),
            r"The 'max_iter' parameter of NMF must be an int in the range \[1, inf\)\. Got 0",
        ),
        (
            dict(tol=-1),
            r"The 'tol' parameter of NMF must be a float in the range \[0\.0, inf\)\. "
            r"Got -1 instead\.",
        ),
        (
            dict(solver="sgd"),
            r"The 'solver' parameter of NMF must be a str among \{'auto', 'hals', 'cd', 'mu', "
            r"'bpp', 'ccd', 'apg'\}\. Got 'sgd' instead\.",
        ),
        (
            dict(beta_loss="poisson"),
            r"The 'beta_loss' parameter of NMF must be a str among "
            r"\{'frobenius', 'kullback-leibler', 'itakura-saito'\}",
        ),
        (dict(init="svd"), r"The 'init' parameter of NMF must be a str among \{'random'"),
        (dict(alpha_W=-0.1), r"The 'alpha_W' parameter of NMF"),
        (
            dict(l1_ratio=1.5),
            r"The 'l1_ratio' parameter of NMF must be a float in the range "
            r"\[0\.0, 1\.0\]\. Got 1\.5 instead",
        ),
        (dict(random_state="seed"), r"The 'random_state' parameter of NMF"),
        (dict(engine="cuda"), r"The 'engine' parameter of NMF must be a str among"),
        (dict(callback=3), r"The 'callback' parameter of NMF must be a callable or None"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        NMF(**params).fit(X_OK)


def test_nndsvd_needs_few_components():
    with pytest.raises(
        ValueError,
        match=r"NMF\.fit: init = 'nndsvd' can only be used when n_components <= "
        r"min\(n_samples, n_features\) = 5, got n_components=6\. Use init='random' or fewer "
        r"components\.",
    ):
        NMF(6, init="nndsvd").fit(X_OK)


def test_itakura_saito_with_zeros():
    X = X_OK.copy()
    X[0, :3] = 0
    with pytest.raises(
        ValueError,
        match=r"When beta_loss <= 0 and X contains zeros, the solver may diverge: "
        r"beta_loss='itakura-saito' needs X > 0 but X has 3 zeros; add a small "
        r"constant or use beta_loss='kullback-leibler'\.",
    ):
        NMF(2, beta_loss="itakura-saito").fit(X)


def test_negative_beta_with_sparse_zeros():
    X = sp.random(5, 4, density=0.5, format="csr", random_state=0)
    with pytest.raises(
        ValueError,
        match=r"beta_loss=-0\.5 needs X > 0 but X has \d+ zeros; "
        r"add a small constant or use beta_loss > 0",
    ):
        NMF(2, beta_loss=-0.5, solver="mu").fit(X)


@pytest.mark.parametrize("solver", ["hals", "cd", "bpp"])
def test_unsupported_solver_loss_pair_names_the_fix(solver):
    with pytest.raises(
        ValueError,
        match=rf"NMF\.fit: Invalid beta_loss parameter: solver '{solver}' does not handle "
        r"beta_loss = 'kullback-leibler'; it supports beta_loss='frobenius' only\. Use "
        r"solver='mu' \(or 'auto'\) for this loss\.",
    ):
        NMF(2, solver=solver, beta_loss="kullback-leibler").fit(X_OK)


@pytest.mark.parametrize(
    "W, H, match",
    [
        (None, np.ones((2, 5)), r"init='custom' needs both W and H, but W is None"),
        (np.ones((6, 2)), None, r"init='custom' needs both W and H, but H is None"),
        (
            np.ones((6, 3)),
            np.ones((2, 5)),
            r"Array with wrong second dimension passed to NMF \(input W\)\. Expected 2, but got 3",
        ),
        (
            np.ones((6, 2)),
            np.ones((2, 4)),
            r"Array with wrong second dimension passed to NMF \(input H\)\. Expected 5, but got 4",
        ),
        (
            -np.ones((6, 2)),
            np.ones((2, 5)),
            r"Negative values in data passed to NMF \(input W\): W has 12 negative",
        ),
        (np.ones((6, 2)), np.full((2, 5), np.nan), r"H contains 10 NaN entries"),
    ],
)
def test_bad_custom_init(W, H, match):
    with pytest.raises(ValueError, match=match):
        NMF(2, init="custom").fit(X_OK, W=W, H=H)


def test_ccd_is_for_kullback_leibler():
    with pytest.raises(
        ValueError,
        match=r"solver 'ccd' does not handle beta_loss = 'frobenius'; it supports "
        r"beta_loss='kullback-leibler' only\. Use solver='mu' \(or 'auto'\)",
    ):
        NMF(2, solver="ccd").fit(X_OK)


def test_function_api_names_itself_and_checks_fixed_H():
    with pytest.raises(
        ValueError,
        match=r"non_negative_factorization: Array with wrong first dimension passed to NMF "
        r"\(input H\)\. Expected 2, but got 3: H has shape \(3, 5\) where \(n_components, "
        r"n_features\) = \(2, 5\) is needed\.",
    ):
        non_negative_factorization(X_OK, H=np.ones((3, 5)), n_components=2, update_H=False)


def test_transform_checks_features_and_values():
    model = NMF(2, max_iter=20).fit(X_OK)
    with pytest.raises(ValueError, match=r"X has 4 features, but NMF is expecting 5"):
        model.transform(X_OK[:, :4])
    with pytest.raises(ValueError, match=r"NMF\.transform: Negative values in data"):
        model.transform(-X_OK)


def test_failed_fit_changes_nothing():
    model = NMF(2, max_iter=20, random_state=0).fit(X_OK)
    before = {k: v for k, v in vars(model).items()}
    H_before = model.components_.copy()
    with pytest.raises(ValueError):
        model.fit(-X_OK)
    assert model.components_ is before["components_"]
    np.testing.assert_array_equal(model.components_, H_before)
    assert vars(model).keys() == before.keys()
    fresh = NMF(2)
    with pytest.raises(ValueError):
        fresh.fit(np.full((3, 3), np.nan))
    assert not hasattr(fresh, "components_")
    X = X_OK.copy()
    with pytest.raises(ValueError):
        NMF(2, tol=-1).fit(X)
    np.testing.assert_array_equal(X, X_OK)
