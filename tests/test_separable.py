"""Separable NMF (SPA, SNPA): exact anchors on planted data, robustness to noise, the
'spa' start of every NMF estimator, errors, model files."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from nmfkit import NMF, MiniBatchNMF, SeparableNMF, TopicModel, load


def separable(seed=0, k=5, n=200, m=40, noise=0.0):
    """X = W H with k pure rows (W's identity rows) among mixtures; the anchors."""
    rng = np.random.default_rng(seed)
    H = rng.random((k, m))
    mixed = rng.dirichlet(np.ones(k), size=n) * rng.uniform(0.5, 1.0, (n, 1))
    W = np.vstack([np.eye(k), mixed])
    perm = rng.permutation(len(W))
    X = W[perm] @ H
    X = np.clip(X + noise * X.mean() * rng.normal(size=X.shape), 0, None)
    anchors = sorted(int(i) for i in np.where(perm < k)[0])
    return X, anchors, H


@pytest.mark.parametrize("method", ["spa", "snpa"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_anchors_without_noise(method, seed):
    X, anchors, H = separable(seed)
    model = SeparableNMF(5, method=method)
    W = model.fit_transform(X)
    assert sorted(model.anchors_.tolist()) == anchors
    np.testing.assert_array_equal(model.components_, X[model.anchors_])
    assert model.reconstruction_err_ < 1e-6 * np.linalg.norm(X)
    assert np.linalg.norm(X - W @ model.components_) < 1e-6 * np.linalg.norm(X)


@pytest.mark.parametrize("method", ["spa", "snpa"])
def test_anchors_survive_noise(method):
    """Noise of 2 % of X's mean per entry (the papers' regime: small against the
    distance of each anchor to the hull of the others): the same anchors, 5 seeds."""
    for seed in range(5):
        X, anchors, _ = separable(seed, noise=0.02)
        assert sorted(SeparableNMF(5, method=method).fit(X).anchors_.tolist()) == anchors


def test_snpa_is_more_robust_than_spa_where_spa_fails():
    """Mixtures scaled beyond the anchors' norms (not on the simplex): SPA, which picks
    by norm in the span, takes a mixture; SNPA, which measures against the convex hull
    with the origin, still finds the anchors."""
    rng = np.random.default_rng(3)
    H = rng.random((4, 30)) + 0.1
    mixed = rng.dirichlet(np.ones(4), size=100) * 1.6  # brighter than any anchor
    X = np.vstack([H, mixed @ H])
    spa = set(SeparableNMF(4, method="spa").fit(X).anchors_.tolist())
    snpa = set(SeparableNMF(4, method="snpa").fit(X).anchors_.tolist())
    assert snpa != {0, 1, 2, 3} or spa != {0, 1, 2, 3}  # the case is not trivial
    assert len(snpa & {0, 1, 2, 3}) >= len(spa & {0, 1, 2, 3})


def test_sparse_input_matches_dense():
    X, anchors, _ = separable(4)
    X[X < 0.2] = 0
    for method in ("spa", "snpa"):
        dense = SeparableNMF(5, method=method).fit(X)
        sparse = SeparableNMF(5, method=method).fit(sp.csr_matrix(X))
        np.testing.assert_array_equal(dense.anchors_, sparse.anchors_)
        np.testing.assert_allclose(dense.components_, sparse.components_)


def test_spa_starts_every_nmf_estimator():
    X, anchors, H = separable(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nmf = NMF(5, init="spa", max_iter=50).fit(X)
        mb = MiniBatchNMF(5, init="spa", batch_size=64, max_iter=5).fit(X)
        docs = sp.csr_matrix(np.random.default_rng(0).poisson(2.0, (60, 30)).astype(float))
        words = [f"w{j}" for j in range(30)]
        topics = TopicModel(4, init="spa", max_iter=20).fit(docs, vocabulary=words)
    assert nmf.reconstruction_err_ < 1e-3 * np.linalg.norm(X)
    assert mb.components_.shape == (5, 40) and topics.components_.shape == (4, 30)


def test_model_file_round_trip(tmp_path):
    X, _, _ = separable(6)
    model = SeparableNMF(5).fit(X)
    model.save(tmp_path / "s.npz")
    again = load(tmp_path / "s.npz")
    np.testing.assert_array_equal(again.anchors_, model.anchors_)
    np.testing.assert_allclose(again.transform(X[:10]), model.transform(X[:10]))


@pytest.mark.parametrize(
    "X, params, match",
    [
        (-np.ones((10, 4)), {}, "negative entries"),
        (np.ones((10, 4)), {"n_components": 5}, "more than min"),
        (np.ones((10, 4)), {"method": "xray"}, "'method' parameter"),
    ],
)
def test_bad_input(X, params, match):
    with pytest.raises(ValueError, match=match):
        SeparableNMF(**{"n_components": 2, **params}).fit(X)


@parametrize_with_checks([SeparableNMF(2)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
