"""SymmetricNMF: exact recovery of A = H Hᵀ, the coordinate-descent kernel against its
plain form and a closed-form case, a monotone objective, community recovery on planted
block models against spectral clustering, the k-NN graph, bad input, model files."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import SpectralClustering
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import normalized_mutual_info_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from nmfkit import SymmetricNMF, load, normalize_graph, similarity_graph
from nmfkit.arrays.kernels.symmetric import symnmf_cd_sweep_xp


def planted(seed=0, n=60, k=4):
    H = np.random.default_rng(seed).random((n, k))
    return H @ H.T, H


@pytest.mark.parametrize("solver", ["anls", "cd"])
def test_planted_product_is_recovered(solver):
    A, _ = planted()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SymmetricNMF(4, solver=solver, tol=1e-14, max_iter=3000, random_state=0)
        H = model.fit_transform(A)
    assert model.reconstruction_err_ < 1e-6 * np.linalg.norm(A)
    assert np.linalg.norm(A - H @ H.T) < 1e-6 * np.linalg.norm(A)
    np.testing.assert_allclose(model.components_, H.T)


@pytest.mark.parametrize("solver", ["anls", "cd"])
@pytest.mark.parametrize("sparse", [False, True])
def test_objective_never_rises(solver, sparse):
    rng = np.random.default_rng(1)
    A = rng.random((70, 70))
    A = A + A.T
    if sparse:
        A[A < 1.2] = 0
        A = sp.csr_matrix(A)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SymmetricNMF(5, solver=solver, tol=0, max_iter=200, random_state=0).fit(A)
    curve = np.array(model.loss_curve_)
    assert len(curve) == 21 and (np.diff(curve) <= 1e-12 * curve[0]).all()


def test_compiled_sweep_equals_its_plain_form():
    from nmfkit.arrays.kernels._numba_symmetric import symnmf_cd_sweep

    A, _ = planted(2, n=30, k=3)
    A = sp.csr_matrix(A)
    H0 = np.random.default_rng(3).random((30, 3))
    out = []
    for sweep in (symnmf_cd_sweep_xp, symnmf_cd_sweep):
        H = H0.copy()
        for _ in range(3):
            sweep(A.indptr, A.indices, A.data, H, H.T @ H, (H * H).sum(axis=1))
        out.append(H)
    np.testing.assert_array_equal(out[0], out[1])


@pytest.mark.parametrize("a, h, expected", [(4.0, 0.3, 2.0), (9.0, 5.0, 3.0), (-1.0, 0.5, 0.0)])
def test_one_entry_is_the_exact_minimiser(a, h, expected):
    """n = k = 1: ¼(a − x²)² over x ≥ 0 is least at √a (a > 0) and 0 (a ≤ 0)."""
    H = np.array([[h]])
    symnmf_cd_sweep_xp(np.array([0, 1]), np.array([0]), np.array([a]), H, H.T @ H, H[0] ** 2)
    assert H[0, 0] == pytest.approx(expected, abs=1e-12)


def sbm(seed, n_per=40, k=4, p_in=0.3, p_out=0.05):
    """A planted stochastic block model: its adjacency matrix and the blocks."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n_per)
    P = np.where(y[:, None] == y[None, :], p_in, p_out)
    upper = np.triu(rng.random(P.shape) < P, 1)
    return sp.csr_matrix((upper | upper.T).astype(float)), y


@pytest.mark.parametrize("p_in, floor", [(0.3, 0.95), (0.2, 0.7)])
def test_block_models_recovered_at_least_as_well_as_by_spectral_clustering(p_in, floor):
    """10 seeds, on the normalised adjacency D^-1/2 A D^-1/2 (as Kuang et al. cluster
    graphs), both methods on the same matrix: SymNMF's median NMI with the planted
    blocks ≥ SpectralClustering's (benchmarks/family.py has weaker signals too)."""
    ours, theirs = [], []
    for seed in range(10):
        A, y = sbm(seed, p_in=p_in)
        scale = sp.diags(1 / np.sqrt(np.asarray(A.sum(axis=1)).ravel()))
        A = sp.csr_matrix(scale @ A @ scale)
        labels = SymmetricNMF(4, random_state=seed).fit_predict(A)
        ours.append(normalized_mutual_info_score(y, labels))
        spectral = SpectralClustering(4, affinity="precomputed", random_state=seed)
        theirs.append(normalized_mutual_info_score(y, spectral.fit_predict(A)))
    assert np.median(ours) >= np.median(theirs)
    assert np.median(ours) > floor


def test_similarity_graph_clusters_blobs():
    X, y = make_blobs(200, n_features=5, centers=3, random_state=0)
    for metric in ("euclidean", "cosine"):
        A = similarity_graph(X - X.min(), metric=metric)
        assert sp.issparse(A) and abs(A - A.T).max() < 1e-12 and A.diagonal().max() == 0
        assert A.min() >= 0
    A = similarity_graph(X, metric="euclidean")
    labels = SymmetricNMF(3, random_state=0).fit_predict(A)
    assert normalized_mutual_info_score(y, labels) > 0.95


def test_float32_graphs_are_symmetric_and_fit():
    """float32 data: the graph is float64 and exactly symmetric; a float32 graph that is
    symmetric to its own rounding is accepted; transform takes either dtype."""
    X, y = make_blobs(150, n_features=4, centers=3, random_state=1)
    X = X.astype(np.float32)
    for metric in ("cosine", "euclidean"):
        A = similarity_graph(X - X.min(), metric=metric)
        assert A.dtype == np.float64 and (A != A.T).nnz == 0
    A32 = similarity_graph(X).astype(np.float32)
    A32 = A32 + sp.random(150, 150, density=0.01, random_state=0, dtype=np.float32) * 1e-9
    model = SymmetricNMF(3, random_state=0).fit(A32)
    assert normalized_mutual_info_score(y, model.labels_) > 0.95
    assert model.transform(A32.astype(np.float64)[:5]).shape == (5, 3)


@pytest.mark.parametrize("solver", ["anls", "cd"])
def test_clusters_do_not_depend_on_the_scale_of_a(solver):
    A, y = sbm(2, n_per=30, k=3, p_in=0.5, p_out=0.1)
    labels = [SymmetricNMF(3, solver=solver, random_state=0).fit_predict(A * c)
              for c in (1.0, 1e4, 1e-4)]  # fmt: skip
    for lab in labels:
        assert normalized_mutual_info_score(y, lab) > 0.9


def test_normalizing_a_raw_graph_keeps_a_large_block_whole():
    """Blocks of 250, 150, 120 and 80 nodes: the raw adjacency lets the large block's
    many links dominate and split it; the normalised graph does not."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), [250, 150, 120, 80])
    P = np.where(y[:, None] == y[None, :], 0.15, 0.03)
    upper = np.triu(rng.random(P.shape) < P, 1)
    A = sp.csr_matrix((upper | upper.T).astype(float))
    N = normalize_graph(A)
    assert (N != N.T).nnz == 0 and N.dtype == np.float64
    scores = [normalized_mutual_info_score(y, SymmetricNMF(4, random_state=s).fit_predict(N))
              for s in range(3)]  # fmt: skip
    assert np.median(scores) > 0.95
    with pytest.raises(ValueError, match="normalize_graph: A must be square"):
        normalize_graph(np.ones((3, 4)))


def test_transform_places_the_fitted_items_in_their_clusters():
    A, y = sbm(0)
    model = SymmetricNMF(4, random_state=0).fit(A)
    agree = (model.predict(A) == model.labels_).mean()
    assert agree > 0.95


def test_model_file_round_trip(tmp_path):
    A, _ = sbm(1)
    model = SymmetricNMF(4, random_state=0).fit(A)
    model.save(tmp_path / "sym.npz")
    again = load(tmp_path / "sym.npz")
    np.testing.assert_array_equal(again.components_, model.components_)
    np.testing.assert_array_equal(again.labels_, model.labels_)
    np.testing.assert_allclose(again.transform(A[:5]), model.transform(A[:5]))


@pytest.mark.parametrize(
    "A, params, match",
    [
        (np.ones((4, 5)), {}, "must be square"),
        (np.array([[0.0, 1.0], [2.0, 0.0]]), {}, "not symmetric"),
        (-np.eye(3), {}, "negative"),
        (np.full((3, 3), np.nan), {}, "NaN"),
        (np.zeros((3, 3)), {}, "all zeros"),
        (np.eye(3), {"n_components": 4}, "at most 3"),
        (np.eye(3), {"solver": "mu"}, "'solver' parameter"),
        (np.eye(3), {"alpha": 0}, "'alpha' parameter"),
    ],
)
def test_bad_input(A, params, match):
    with pytest.raises(ValueError, match=match):
        SymmetricNMF(**{"n_components": 2, **params}).fit(A)


def test_similarity_graph_bad_input():
    with pytest.raises(ValueError, match="metric="):
        similarity_graph(np.ones((5, 2)), metric="manhattan")
    with pytest.raises(ValueError, match="at least 2"):
        similarity_graph(np.ones((1, 2)))
    for bad in (0, -3, 2.7, "abc"):
        with pytest.raises(ValueError, match="similarity_graph: n_neighbors"):
            similarity_graph(np.random.default_rng(0).random((6, 2)), n_neighbors=bad)
    rows = np.random.default_rng(0).random((6, 2)).tolist()  # a list of rows works
    assert similarity_graph(rows).shape == (6, 6)


@parametrize_with_checks(
    [SymmetricNMF(2, max_iter=50)],
    expected_failed_checks=lambda est: {
        # fit_transform returns the fitted H; transform solves a new NNLS problem for
        # new items' similarities to the fitted ones: the two agree only approximately
        "check_transformer_general": "transform is a new NNLS fit, not the fitted H",
        "check_transformer_data_not_an_array": "transform is a new NNLS fit",
    },
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
