"""Randomized compression (issue 18): iterate on a sketch X ≈ Q B, then polish on X."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import planted

from nmfkit import NMF
from nmfkit.arrays.engines import NumpyEngine
from nmfkit.core import sketch as sketch_module
from nmfkit.core.data import Plain
from nmfkit.core.plan import resolve
from nmfkit.core.sketch import SketchedEngine, sketch, wins


def noisy_low_rank(n=300, m=200, k=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, k)) @ rng.random((k, m))
    return X + 0.01 * rng.random((n, m))


def test_the_sketch_of_a_low_rank_matrix_gives_its_products_exactly():
    X = planted(60, 40, 4, seed=2)[0]  # rank 4 < l = 4 + 20
    engine = NumpyEngine()
    Q, B = sketch(X, 4, engine, np.random.default_rng(0), np.float64)
    np.testing.assert_allclose(Q.T @ Q, np.eye(Q.shape[1]), atol=1e-12)
    rng = np.random.default_rng(1)
    W, H = rng.random((60, 4)), rng.random((4, 40))
    sk = SketchedEngine(engine, Q, B)
    np.testing.assert_allclose(sk.XHt(X, H), X @ H.T, rtol=1e-10)
    np.testing.assert_allclose(sk.XtW(X, W), X.T @ W, rtol=1e-10)
    np.testing.assert_allclose(sk.WtX(W, X), W.T @ X, rtol=1e-10)
    # NNDSVD's SVD comes from Q B: for X of rank <= l, X's own
    U, S, Vt = sk.top_svd(X, 4, None)
    S0 = np.linalg.svd(X, compute_uv=False)[:4]
    np.testing.assert_allclose(S, S0, rtol=1e-10)
    np.testing.assert_allclose((U * S) @ Vt, X, atol=1e-10 * np.abs(X).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_compressed_fit_ends_at_the_loss_of_a_fit_on_x(dtype):
    X = noisy_low_rank().astype(dtype)
    kw = dict(random_state=0, tol=1e-6, max_iter=2000)
    plain = NMF(5, compression=None, **kw).fit(X)
    fast = NMF(5, compression="randomized", **kw)
    W = fast.fit_transform(X)
    assert W.dtype == dtype and fast.components_.dtype == dtype
    assert np.isfinite(W).all() and W.min() >= 0 and fast.components_.min() >= 0
    # the polish runs on X: the reported error is X's own, and as low as the plain fit's
    exact = np.linalg.norm(X.astype(np.float64) - W.astype(np.float64) @ fast.components_)
    # (float32: the error comes from Gram products, as in any float32 fit)
    rel = 1e-4 if dtype == np.float64 else 3e-2
    assert fast.reconstruction_err_ == pytest.approx(exact, rel=rel)
    assert fast.reconstruction_err_ <= plain.reconstruction_err_ * (1 + max(rel, 1e-3))
    assert fast.n_iter_ <= 2000 and len(fast.loss_curve_) == len(fast.loss_times_)


def test_max_iter_bounds_both_parts_together():
    X = noisy_low_rank()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NMF(5, compression="randomized", max_iter=30, tol=0, random_state=0).fit(X)
    assert model.n_iter_ == 30
    assert model.stop_reason_ == "max_iter"


def test_a_callback_that_stops_the_sketched_part_stops_the_fit():
    X = noisy_low_rank()
    seen = []

    def stop(n_iter, loss, W, H):
        seen.append(n_iter)
        return n_iter >= 20

    model = NMF(5, compression="randomized", random_state=0, callback=stop).fit(X)
    assert model.stop_reason_ == "callback" and model.n_iter_ == 20 and seen == [10, 20]


def test_the_callback_counts_the_iterations_of_the_whole_fit():
    X = noisy_low_rank()
    seen = []
    NMF(5, compression="randomized", random_state=0, tol=1e-6, max_iter=400,
        callback=lambda it, *_: seen.append(it)).fit(X)  # fmt: skip
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


def _plan(X, compression, **params):
    engine = NumpyEngine()
    model = NMF(5, compression=compression, **params)
    data = Plain(engine.check_input(X), engine)
    return resolve(model.get_params(), data, engine)[0]


def test_auto_compresses_only_large_dense_frobenius_fits(monkeypatch):
    X = noisy_low_rank()
    assert _plan(X, "auto").compression is None  # small
    assert not wins(5, X.shape)
    monkeypatch.setattr(sketch_module, "AUTO_ENTRIES", 1000)
    assert wins(5, X.shape) and _plan(X, "auto").compression == "randomized"
    assert _plan(X, None).compression is None
    assert _plan(X, "auto", beta_loss="kullback-leibler").compression is None
    assert _plan(sp.csr_matrix(X), "auto").compression is None
    assert _plan(X, "auto", solver="bpp").compression is None
    monkeypatch.setattr(sketch_module, "AUTO_SHARE", 100)  # the sketch too wide for X
    assert _plan(X, "auto").compression is None


@pytest.mark.parametrize(
    "params, kind",
    [
        ({"beta_loss": "kullback-leibler"}, "dense"),
        ({"solver": "mu"}, "dense"),
        ({}, "sparse"),
    ],
)
def test_randomized_where_it_cannot_run_says_so_before_any_iteration(params, kind):
    X = noisy_low_rank()
    X = sp.csr_matrix(X) if kind == "sparse" else X
    with pytest.raises(ValueError, match=r"compression='randomized' sketches a dense X.*"
                       r"Use compression=None"):  # fmt: skip
        NMF(5, compression="randomized", callback=pytest.fail, **params).fit(X)


def test_randomized_with_unknown_entries_is_refused():
    X = noisy_low_rank()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="unknown entries. Use compression=None"):
        NMF(5, compression="randomized").fit(X)


def test_randomized_with_a_checkpoint_is_refused(tmp_path):
    from nmfkit import Checkpoint

    X = noisy_low_rank()
    with pytest.raises(ValueError, match="does not run with a checkpoint yet"):
        NMF(5, compression="randomized").fit(X, checkpoint=Checkpoint(tmp_path / "c"))
    # 'auto' fits X itself then
    NMF(5, compression="auto", max_iter=20).fit(X, checkpoint=Checkpoint(tmp_path / "d"))


def test_bad_compression_names_the_choices():
    with pytest.raises(ValueError, match="The 'compression' parameter of NMF must be"):
        NMF(5, compression="svd").fit(noisy_low_rank())


def test_torch_engine_compresses_as_numpy_does():
    torch = pytest.importorskip("torch")
    X = noisy_low_rank()
    kw = dict(random_state=0, tol=0, max_iter=40, compression="randomized")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = NMF(5, **kw).fit(X)
        got = NMF(5, **kw).fit(torch.from_numpy(X))
    np.testing.assert_allclose(got.components_, ref.components_, rtol=1e-6, atol=1e-8)


def test_dask_x_is_refused_by_randomized_and_fitted_whole_by_auto(monkeypatch):
    da = pytest.importorskip("dask.array")
    X = da.from_array(noisy_low_rank(), chunks=(100, 200))
    with pytest.raises(ValueError, match="the dask engine. Use compression=None"):
        NMF(5, compression="randomized").fit(X)
    monkeypatch.setattr(sketch_module, "AUTO_ENTRIES", 1000)
    engine_X = NMF(5, compression="auto", max_iter=5, tol=0).fit(X)
    assert engine_X.n_iter_ == 5


def test_a_stop_request_in_the_sketched_part_ends_the_fit_there():
    from nmfkit.core.loop import LoopControl

    class StopAt(LoopControl):
        def __init__(self):
            self.calls = 0

        @property
        def stop_requested(self):
            self.calls += 1
            return self.calls >= 7

    X = noisy_low_rank()
    model = NMF(5, compression="randomized", random_state=0)
    model.fit(X, checkpoint=StopAt())
    assert model.stop_reason_ == "interrupted" and model.n_iter_ == 7
