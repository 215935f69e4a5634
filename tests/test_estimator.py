"""The scikit-learn contract: API, checks, pipelines, pandas, callbacks, model files."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import nmfkit
from nmfkit import NMF, non_negative_factorization
from nmfkit.core.solvers import SOLVERS

SK_EXAMPLE = np.array([[1, 2], [2, 2], [3, 1.2], [4, 1], [5, 0.8], [6, 1]])


def for_solver(solver, **kw):
    """An NMF for ``solver`` with a loss it supports (Frobenius where it can)."""
    beta = 2.0 if SOLVERS[solver].minimises(2.0) else SOLVERS[solver].betas[0]
    return NMF(solver=solver, beta_loss=beta, **kw)


@parametrize_with_checks([for_solver(s, max_iter=500) for s in sorted(SOLVERS)])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_sklearn_example_verbatim():
    X = np.array([[1, 2], [2, 2], [3, 1.2], [4, 1], [5, 0.8], [6, 1]])
    from nmfkit import NMF

    model = NMF(n_components=2, init="random", random_state=0)
    W = model.fit_transform(X)
    H = model.components_
    assert W.shape == (6, 2) and H.shape == (2, 2)
    assert np.linalg.norm(X - W @ H) / np.linalg.norm(X) < 1e-3
    assert model.stop_reason_ == "converged"


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_fit_then_transform_matches_fit_transform(solver):
    rng = np.random.default_rng(0)
    X = rng.random((20, 8)) @ rng.random((8, 15))
    model = for_solver(solver, n_components=3, random_state=0, tol=1e-8, max_iter=3000)
    W = model.fit_transform(X)
    W2 = model.transform(X)
    np.testing.assert_allclose(W2, W, rtol=5e-2, atol=1e-3 * W.max())
    X_back = model.inverse_transform(W)
    assert X_back.shape == X.shape
    np.testing.assert_allclose(X_back, W @ model.components_)


def test_fitted_attributes():
    rng = np.random.default_rng(1)
    X = rng.random((12, 7))
    model = NMF(3, random_state=0, max_iter=40, tol=0.0)
    W = model.fit_transform(X)
    assert model.n_components_ == 3
    assert model.n_iter_ == 40
    assert model.stop_reason_ == "max_iter"
    assert model.n_features_in_ == 7
    assert len(model.loss_curve_) == 5  # initial + every 10 iterations
    assert model.reconstruction_err_ == pytest.approx(
        np.linalg.norm(X - W @ model.components_), rel=1e-10
    )
    # the returned W is the exact one for the final H: no worse than the last iterate
    assert 0.5 * model.reconstruction_err_**2 <= model.loss_curve_[-1] * (1 + 1e-12)
    assert list(model.get_feature_names_out()) == ["nmf0", "nmf1", "nmf2"]


@pytest.mark.parametrize("beta", ["kullback-leibler", 1.5])
def test_reconstruction_err_for_other_losses(beta):
    X = np.random.default_rng(2).random((12, 7)) + 0.1
    model = NMF(3, beta_loss=beta, random_state=0, max_iter=30)
    W = model.fit_transform(X)
    Y = W @ model.components_
    b = 1.0 if beta == "kullback-leibler" else beta
    div = (
        np.sum(X**b + (b - 1) * Y**b - b * X * Y ** (b - 1)) / (b * (b - 1))
        if b != 1
        else (np.sum(X * np.log(X / Y) - X + Y))
    )
    assert model.reconstruction_err_ == pytest.approx(np.sqrt(2 * div), rel=1e-8)


def test_n_components_none_and_auto():
    X = np.random.default_rng(2).random((10, 4))
    assert NMF(None, init="random", max_iter=5).fit(X).n_components_ == 4
    assert NMF("auto", init="random", max_iter=5).fit(X).n_components_ == 4
    H = np.full((2, 4), 0.5)
    W = np.full((10, 2), 0.5)
    model = NMF("auto", init="custom", max_iter=5)
    model.fit(X, W=W, H=H)
    assert model.n_components_ == 2


def test_callback_sees_each_check_and_can_stop():
    seen = []

    def cb(it, loss, W, H):
        seen.append((it, loss, W.shape, H.shape))
        return it >= 30

    X = np.random.default_rng(3).random((15, 9))
    model = NMF(3, callback=cb, tol=0.0, max_iter=100, random_state=0).fit(X)
    assert [s[0] for s in seen] == [10, 20, 30]
    assert model.stop_reason_ == "callback" and model.n_iter_ == 30
    assert seen[-1][2:] == ((15, 3), (3, 9))
    assert seen[-1][1] == model.loss_curve_[-1]


def test_convergence_warning_names_max_iter_and_tol():
    X = np.random.default_rng(4).random((15, 9))
    with pytest.warns(
        ConvergenceWarning,
        match=r"NMF\.fit: Maximum number of iterations 5 reached\. Increase it to improve "
        r"convergence \(max_iter=5, tol=1e-12",
    ):
        NMF(3, max_iter=5, tol=1e-12, random_state=0).fit(X)


def test_verbose_prints_progress(capsys):
    X = np.random.default_rng(5).random((15, 9))
    NMF(3, verbose=1, max_iter=20, tol=0.0, random_state=0).fit(X)
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["iter", "loss", "rel.", "change", "time", "(s)"]
    assert [line.split()[0] for line in out[1:]] == ["0", "10", "20"]


def test_same_seed_same_result():
    X = np.random.default_rng(6).random((20, 10))
    a = NMF(4, init="random", random_state=7, max_iter=30).fit(X).components_
    b = NMF(4, init="random", random_state=7, max_iter=30).fit(X).components_
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("init", ["random", "nndsvd", "nndsvda", "nndsvdar"])
def test_every_init(init):
    X = np.random.default_rng(8).random((20, 10))
    model = NMF(4, init=init, random_state=0, max_iter=50).fit(X)
    assert np.isfinite(model.reconstruction_err_)
    assert model.components_.min() >= 0


@pytest.mark.parametrize("shape", [(30, 70), (70, 30)])
def test_exact_truncated_svd_of_short_dense_data(shape):
    from nmfkit.arrays.linalg import top_svd as _top_svd

    rng = np.random.default_rng(11)
    X = rng.random(shape)
    U, S, V = _top_svd(X, 5, np.random.default_rng(0))
    u, s, v = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(S, s[:5], rtol=1e-10)
    np.testing.assert_allclose(np.abs(U), np.abs(u[:, :5]), atol=1e-8)
    np.testing.assert_allclose(np.abs(V), np.abs(v[:5]), atol=1e-8)
    # rank 2 data, 5 components: the missing directions are zero, not noise
    X = rng.random((shape[0], 2)) @ rng.random((2, shape[1]))
    U, S, V = _top_svd(X, 5, np.random.default_rng(0))
    assert np.all(S[2:] == 0) and np.all(V[2:] == 0 if shape[0] <= shape[1] else U[:, 2:] == 0)
    model = NMF(5, init="nndsvda", random_state=0, max_iter=20).fit(X)
    assert np.isfinite(model.components_).all()


def test_non_negative_factorization_update_H_false():
    rng = np.random.default_rng(9)
    X = rng.random((20, 6)) @ rng.random((6, 10))
    model = NMF(6, random_state=0, tol=1e-8, max_iter=2000).fit(X)
    W, H, n_iter = non_negative_factorization(
        X, H=model.components_, n_components=6, update_H=False, tol=1e-10, max_iter=2000
    )
    np.testing.assert_array_equal(H, model.components_)
    assert np.linalg.norm(X - W @ H) <= 1.01 * np.linalg.norm(X - model.transform(X) @ H) + 1e-9


def test_pipeline_and_grid_search():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(10)
    X = rng.random((60, 12))
    y = (X[:, 0] + X[:, 1] > 1.0).astype(int)
    pipe = make_pipeline(NMF(random_state=0, max_iter=300), LogisticRegression())
    search = GridSearchCV(pipe, {"nmf__n_components": [2, 6]}, cv=3, error_score="raise")
    search.fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_["nmf__n_components"] in (2, 6)
    assert search.predict(X).shape == (60,)


def test_pandas_in_and_out():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(11)
    df = pd.DataFrame(rng.random((10, 4)), columns=["a", "b", "c", "d"])
    model = NMF(2, random_state=0, max_iter=50).set_output(transform="pandas")
    out = model.fit_transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["nmf0", "nmf1"]
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    assert isinstance(model.transform(df), pd.DataFrame)


@pytest.mark.parametrize("sparse", [False, True])
def test_save_load_round_trip(tmp_path, sparse):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(12)
    X = rng.random((15, 6))
    data = sp.csr_matrix(X) if sparse else pd.DataFrame(X, columns=list("abcdef"))
    model = NMF(3, beta_loss="kullback-leibler", random_state=0, max_iter=30, alpha_W=0.01).fit(
        data
    )
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = nmfkit.load(path)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.components_, model.components_)
    for attr in (
        "n_components_",
        "n_iter_",
        "reconstruction_err_",
        "loss_curve_",
        "stop_reason_",
        "n_features_in_",
    ):
        assert getattr(loaded, attr) == getattr(model, attr)
    if not sparse:
        np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    np.testing.assert_array_equal(loaded.transform(data), model.transform(data))
    with np.load(path, allow_pickle=False) as f:  # plain arrays only
        assert "components_" in f.files


def test_load_refuses_tampered_and_foreign_files(tmp_path):
    X = np.random.default_rng(13).random((8, 5))
    path = tmp_path / "m.npz"
    NMF(2, max_iter=10).fit(X).save(path)
    with np.load(path) as f:
        arrays = dict(f)
    arrays["components_"] = arrays["components_"] * 2
    np.savez(tmp_path / "tampered.npz", **arrays)
    with pytest.raises(ValueError, match="failed its SHA-256 check"):
        nmfkit.load(tmp_path / "tampered.npz")
    np.savez(tmp_path / "foreign.npz", components_=np.ones((2, 5)))
    with pytest.raises(ValueError, match="has no nmfkit metadata"):
        nmfkit.load(tmp_path / "foreign.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="is not an nmfkit model file"):
        nmfkit.load(tmp_path / "junk.npz")
    with pytest.raises(FileNotFoundError, match="no such file"):
        nmfkit.load(tmp_path / "missing.npz")


def test_import_is_light():
    code = (
        "import sys, nmfkit; "
        "heavy = {'torch', 'dask', 'numba', 'matplotlib', 'cupy', 'anndata', 'scanpy', "
        "'h5py'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "convert",
    [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.csc_array],
    ids=["csr_matrix", "csc_matrix", "coo_matrix", "csr_array", "csc_array"],
)
def test_every_sparse_container(convert):
    rng = np.random.default_rng(14)
    X = rng.random((20, 10)) * (rng.random((20, 10)) < 0.4)
    kw = dict(n_components=3, init="random", random_state=0, max_iter=20, tol=0.0)
    ref = NMF(**kw).fit(X)
    model = NMF(**kw).fit(convert(X))
    np.testing.assert_allclose(model.components_, ref.components_, rtol=1e-7, atol=1e-12)
    assert isinstance(model.transform(convert(X)), np.ndarray)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.float16, bool])
def test_other_dtypes_become_float64(dtype):
    X = (np.random.default_rng(15).random((10, 6)) * 5).astype(dtype)
    model = NMF(2, max_iter=20, random_state=0)
    W = model.fit_transform(X)
    assert W.dtype == np.float64 and model.components_.dtype == np.float64


def test_float32_sparse_stays_float32():
    X = sp.random(20, 10, density=0.4, format="csr", random_state=0, dtype=np.float32)
    for beta in ("frobenius", "kullback-leibler", 1.5):
        model = NMF(3, beta_loss=beta, max_iter=20, random_state=0)
        assert model.fit_transform(X).dtype == np.float32
        assert model.components_.dtype == np.float32
