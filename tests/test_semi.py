"""SemiNMF (and convex NMF): exact recovery of planted mixed-sign factorizations, a
monotone objective, clustering, the bad-input catalogue, model files."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from nmfkit import SemiNMF, load


def planted(seed=0, n=60, m=12, k=3):
    """X = W H with W ≥ 0 and H of any sign (so X of any sign), and the pair."""
    rng = np.random.default_rng(seed)
    W, H = rng.random((n, k)), rng.standard_normal((k, m))
    return W @ H, W, H


@pytest.mark.parametrize("solver", ["als", "mu"])
@pytest.mark.parametrize("seed", [0, 1])
def test_planted_factorization_is_recovered(solver, seed):
    X, _, _ = planted(seed)
    # the paper's MU converges linearly, far more slowly than exact ALS
    model = SemiNMF(3, solver=solver, tol=1e-12, max_iter=4000, random_state=seed)
    bound = 1e-6 if solver == "als" else 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = model.fit_transform(X)
    assert (W >= 0).all() and (model.components_ < 0).any()
    assert model.reconstruction_err_ < bound * np.linalg.norm(X)
    assert np.linalg.norm(X - W @ model.components_) < bound * np.linalg.norm(X)
    # fit_transform is transform (both the exact W, from different warm starts)
    np.testing.assert_allclose(model.transform(X), W, atol=1e-7 * W.max())


def test_convex_nmf_fits_mixtures_of_samples():
    """Planted convex data (the components are samples): the error falls steadily and
    the components stay non-negative mixtures of the samples."""
    rng = np.random.default_rng(0)
    H = rng.standard_normal((3, 8))
    X = np.vstack([np.eye(3), rng.dirichlet(np.ones(3), 40)]) @ H
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        short = SemiNMF(3, convex=True, tol=0, max_iter=300, random_state=0).fit(X)
        long = SemiNMF(3, convex=True, tol=0, max_iter=3000, random_state=0).fit(X)
    assert long.reconstruction_err_ < 0.02 * np.linalg.norm(X) < short.reconstruction_err_
    assert (long.mixing_ >= 0).all()
    np.testing.assert_allclose(long.components_, long.mixing_ @ X)


@pytest.mark.parametrize("params", [{"solver": "als"}, {"solver": "mu"}, {"convex": True}])
@pytest.mark.parametrize("init", ["kmeans", "random"])
def test_objective_never_rises(params, init):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 15))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SemiNMF(4, init=init, tol=0, max_iter=200, random_state=0, **params).fit(X)
    curve = np.array(model.loss_curve_)
    assert len(curve) == 21
    assert (np.diff(curve) <= 1e-12 * curve[0]).all()


def test_error_lies_between_kmeans_and_the_truncated_svd():
    """Ding et al.'s relation on standardised digits (k = 10): k-means ≥ semi-NMF ≥ SVD."""
    X = StandardScaler().fit_transform(load_digits().data)
    k = 10
    kmeans = np.sqrt(KMeans(k, n_init=1, random_state=0).fit(X).inertia_)
    svd = np.sqrt((np.linalg.svd(X, compute_uv=False)[k:] ** 2).sum())
    semi = SemiNMF(k, random_state=0).fit(X).reconstruction_err_
    assert svd <= semi < kmeans


def test_clusters_of_separated_blobs():
    X, y = make_blobs(300, n_features=6, centers=4, cluster_std=0.5, random_state=0)
    X = StandardScaler().fit_transform(X)
    for convex in (False, True):
        model = SemiNMF(4, convex=convex, random_state=0)
        labels = model.fit_predict(X)
        assert normalized_mutual_info_score(y, labels) > 0.95
        if not convex:  # convex NMF's labels_ come from its own W, not transform's
            np.testing.assert_array_equal(model.predict(X), labels)


def test_two_blobs_are_two_clusters():
    """Centred data with k = 2: the components come out nearly opposite and W drifts
    along their common direction; the labels must not follow the drift."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-3, 1, (20, 5)), rng.normal(2, 1, (20, 5))])
    y = np.repeat([0, 1], 20)
    for seed in range(3):
        labels = SemiNMF(2, random_state=seed).fit_predict(X)
        assert normalized_mutual_info_score(y, labels) == pytest.approx(1.0)


def test_callback_and_verbose(capsys):
    X, _, _ = planted(3)
    seen = []
    model = SemiNMF(3, verbose=1, callback=lambda it, loss, W, H: seen.append(it) or it >= 20)
    model.fit(X)
    assert seen == [10, 20] and model.stop_reason_ == "callback" and model.n_iter_ == 20
    assert "rel. change" in capsys.readouterr().out


def test_float32_stays_float32():
    X, _, _ = planted(4)
    model = SemiNMF(3, random_state=0)
    W = model.fit_transform(X.astype(np.float32))
    assert W.dtype == np.float32 and model.components_.dtype == np.float32


@pytest.mark.parametrize("convex", [False, True])
def test_model_file_round_trip(tmp_path, convex):
    X, _, _ = planted(5)
    model = SemiNMF(3, convex=convex, random_state=0, max_iter=50, tol=1e-3).fit(X)
    model.save(tmp_path / "semi.npz")
    again = load(tmp_path / "semi.npz")
    assert again.get_params() == model.get_params()
    np.testing.assert_allclose(again.transform(X), model.transform(X))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    np.testing.assert_array_equal(again.labels_, model.labels_)


@pytest.mark.parametrize(
    "X, params, match",
    [
        (np.full((10, 4), np.nan), {}, "NaN"),
        (sp.random(10, 4, density=0.5, format="csr"), {}, "dense data"),
        (np.ones((3, 4)), {"n_components": 5}, "more than the 3 samples"),
        (np.ones((10, 4)), {"convex": True, "solver": "als"}, "solver='auto'"),
        (np.ones((10, 4)), {"init": "nndsvd"}, "'init' parameter"),
        (np.ones((10, 4)), {"tol": -1}, "'tol' parameter"),
        (np.ones(10), {}, "SemiNMF.fit: Expected a 2-D X but got a 1-D array"),
    ],
)
def test_bad_input(X, params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        SemiNMF(**{"n_components": 2, **params}).fit(X)


@parametrize_with_checks(
    [SemiNMF(2, max_iter=50), SemiNMF(2, convex=True, max_iter=50)],
    expected_failed_checks=lambda est: (
        {
            # convex NMF returns its own W; transform solves NNLS against A X
            "check_transformer_general": "convex NMF's W is not transform's",
            "check_transformer_data_not_an_array": "convex NMF's W is not transform's",
        }
        if est.convex
        else {}
    ),
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
