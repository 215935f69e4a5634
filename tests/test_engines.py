"""Every engine against NumPy, driven by the ENGINES and SOLVERS registries.

The Dask engine runs on a ``LocalCluster`` of 2 worker processes (the ``dask_client``
fixture); torch runs on the CPU here (``benchmarks/gpu_check.py`` covers CUDA).
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import planted, random_sparse

import nmfkit
from nmfkit import NMF
from nmfkit.arrays.engines import ENGINES, available_engines, load_engine, select_engine
from nmfkit.core.solvers import SOLVERS

BETAS = [2.0, 1.0, 0.5, 0.0]
OTHER_ENGINES = [e for e in ENGINES if e != "numpy"]
TOL = {np.float64: 1e-6, np.float32: 1e-3}


def _chunked(engine):
    """Whether the engine splits X into chunks (False where its library is missing: its
    tests skip)."""
    try:
        return load_engine(engine).chunked
    except ImportError:
        return False


def cases():
    """(engine, solver, β, sparse, dtype) for every pair the registries allow."""
    for engine in OTHER_ENGINES:
        chunked = _chunked(engine)
        for solver, mod in SOLVERS.items():
            if chunked and not mod.chunked:
                continue
            for beta in BETAS:
                if not mod.minimises(beta):
                    continue
                # β <= 0 needs X > 0: dense only
                for sparse in (False, True) if beta > 0 else (False,):
                    for dtype in (np.float64, np.float32):
                        yield pytest.param(
                            engine,
                            solver,
                            beta,
                            sparse,
                            dtype,
                            id=f"{engine}-{solver}-b{beta:g}-{'sparse' if sparse else 'dense'}"
                            f"-{np.dtype(dtype).name}",
                        )


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, memory_limit="1GiB"
        )
        client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def to_engine(X, engine):
    """X as the engine's native container (torch tensor, Dask array of 4 row chunks)."""
    if engine == "torch":
        torch = pytest.importorskip("torch")
        if sp.issparse(X):
            c = X.tocoo()
            idx = np.vstack([c.row, c.col])
            return torch.sparse_coo_tensor(idx, c.data, c.shape)
        return torch.as_tensor(X)
    if engine == "dask":
        da = pytest.importorskip("dask.array")
        return da.from_array(X, chunks=(-(-X.shape[0] // 4), X.shape[1]))
    return X


def host(A):
    if hasattr(A, "compute"):
        A = A.compute()
    if hasattr(A, "detach"):
        A = A.detach().cpu().numpy()
    return np.asarray(A)


@pytest.mark.parametrize("engine, solver, beta, sparse, dtype", cases())
def test_engine_matches_numpy_from_the_same_init(engine, solver, beta, sparse, dtype, request):
    if engine == "dask":
        request.getfixturevalue("dask_client")
    X = random_sparse(48, 30, density=0.4, seed=1) if sparse else planted(48, 30, 4, seed=1)[0]
    X = (X + 0.1 if beta <= 0 else X).astype(dtype)
    # Dask: 3 iterations (each costs ~8 round trips to the scheduler, ~0.5 s on 2 cores);
    # test_every_engine_reaches_the_iterates_of_numpy runs 20 on every solver and loss
    iters = 3 if engine == "dask" else 10
    kw = dict(init="random", random_state=0, solver=solver, beta_loss=beta, max_iter=iters, tol=0)
    ref = NMF(4, **kw)
    W_ref = ref.fit_transform(X)
    model = NMF(4, **kw)
    W = model.fit_transform(to_engine(X, engine))
    tol = TOL[dtype]
    for got, want in ((W, W_ref), (model.components_, ref.components_)):
        got = host(got)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())
    assert model.reconstruction_err_ == pytest.approx(ref.reconstruction_err_, rel=tol)


def same_start_cases():
    """(engine, solver, β) for every solver and loss each engine runs."""
    for engine in OTHER_ENGINES:
        for solver, mod in SOLVERS.items():
            if _chunked(engine) and not mod.chunked:
                continue  # the Plan refuses it, naming the fix (test_dask_refuses_ccd...)
            for beta in BETAS:
                if mod.minimises(beta):
                    yield pytest.param(engine, solver, beta, id=f"{engine}-{solver}-b{beta:g}")


@pytest.mark.parametrize("engine, solver, beta", list(same_start_cases()))
def test_every_engine_reaches_the_iterates_of_numpy(engine, solver, beta, request):
    """Same iterates on every engine (issue 16): from the same start (the default
    NNDSVD one; 600 x 300 dense, k = 8, 20 iterations, tol=0; Dask: chunks of 150 rows
    on a LocalCluster of 2 worker processes), W and H agree with NumPy's to rounding.
    Nothing in a fit depends on the engine: not HALS's inner sweeps, not the final
    exact W solve, not balancing, not the SVD behind NNDSVD."""
    if engine == "dask":
        request.getfixturevalue("dask_client")
    rng = np.random.default_rng(0)
    X = rng.random((600, 8)) @ rng.random((8, 300)) + 0.1 * rng.random((600, 300))
    kw = dict(solver=solver, beta_loss=beta, max_iter=20, tol=0, random_state=0)
    ref = NMF(8, **kw)
    W_ref = ref.fit_transform(X)
    Xe = to_engine(X, engine)
    if engine == "dask":
        Xe = Xe.rechunk((150, 300))
    model = NMF(8, **kw)
    W = model.fit_transform(Xe)
    for got, want in ((W, W_ref), (model.components_, ref.components_)):
        got = host(got)
        assert np.max(np.abs(got - want)) <= 1e-9 * np.max(np.abs(want))
    np.testing.assert_allclose(model.loss_curve_, ref.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("init", ["nndsvda", "nndsvdar"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("wide", [False, True])
def test_nndsvd_starts_every_engine_where_numpy_starts(init, sparse, wide, request):
    """The SVD behind NNDSVD is NumPy's exact Gram route on Dask too (dense or sparse
    chunks, X Xᵀ or Xᵀ X), so one iteration from the default start agrees to rounding."""
    request.getfixturevalue("dask_client")
    X = random_sparse(120, 60, density=0.3, seed=8) if sparse else planted(120, 60, 5, seed=8)[0]
    X = X.T.tocsr() if (wide and sparse) else (X.T.copy() if wide else X)
    kw = dict(init=init, max_iter=1, tol=0, random_state=0)
    ref = NMF(5, **kw)
    W_ref = ref.fit_transform(X)
    model = NMF(5, **kw)
    W = model.fit_transform(to_engine(X, "dask"))
    for got, want in ((W, W_ref), (model.components_, ref.components_)):
        assert np.max(np.abs(host(got) - want)) <= 1e-9 * np.max(np.abs(want))


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_outputs_live_where_inputs_live(engine, request, tmp_path):
    if engine == "dask":
        request.getfixturevalue("dask_client")
    X = planted(30, 20, 3, seed=2)[0]
    Xe = to_engine(X, engine)
    model = NMF(3, max_iter=20, random_state=0)
    W = model.fit_transform(Xe)
    assert type(W) is type(Xe)
    Wt = model.transform(Xe)
    np.testing.assert_allclose(host(Wt), host(W), rtol=1e-6, atol=1e-9)
    if engine == "torch":
        assert type(model.components_) is type(Xe)
        assert W.device == Xe.device
        back = model.inverse_transform(W)
        assert type(back) is type(Xe)
    if engine == "dask":
        # persisted, chunked like X's rows: a graph of one task per chunk, not a history
        assert W.chunks[0] == Xe.chunks[0]
        assert len(W.__dask_graph__()) == W.npartitions
        assert isinstance(model.components_, np.ndarray)
    # a model fitted on any engine saves as plain NumPy arrays
    model.save(tmp_path / "m.npz")
    loaded = nmfkit.load(tmp_path / "m.npz")
    np.testing.assert_allclose(loaded.components_, host(model.components_))


def test_numpy_input_on_torch_comes_back_as_numpy():
    pytest.importorskip("torch")
    X = planted(30, 20, 3, seed=3)[0]
    kw = dict(init="random", random_state=0, max_iter=15, tol=0)
    W = NMF(3, engine="torch", device="cpu", **kw).fit_transform(X)
    assert isinstance(W, np.ndarray)
    np.testing.assert_allclose(W, NMF(3, **kw).fit_transform(X), rtol=1e-6, atol=1e-9)
    # a device alone implies the torch engine
    assert select_engine(X, device="cpu").name == "torch"


def test_torch_sparse_csr_and_coo_agree():
    torch = pytest.importorskip("torch")
    X = random_sparse(30, 20, density=0.3, seed=4)
    coo = to_engine(X, "torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        csr = coo.to_sparse_csr()
    kw = dict(init="nndsvda", max_iter=15, tol=0)
    a = NMF(3, **kw).fit(coo).components_
    b = NMF(3, **kw).fit(csr).components_
    assert isinstance(a, torch.Tensor)
    np.testing.assert_allclose(host(a), host(b), rtol=1e-12)
    np.testing.assert_allclose(host(a), NMF(3, **kw).fit(X).components_, rtol=1e-6, atol=1e-9)


def test_torch_bad_input_is_refused_like_numpy():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="X has 3 negative entries"):
        NMF(2).fit(-torch.eye(3))
    with pytest.raises(ValueError, match="X contains 1 NaN entries"):
        NMF(2).fit(torch.tensor([[1.0, float("nan")], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="Expected a 2-D X"):
        NMF(2).fit(torch.ones(3))


def test_dask_refuses_ccd_and_auto_picks_mu(dask_client):
    da = pytest.importorskip("dask.array")
    X = da.from_array(random_sparse(20, 10, density=0.5, seed=5).toarray(), chunks=(5, 10))
    with pytest.raises(ValueError, match="solver='ccd' needs all of X in one place"):
        NMF(2, solver="ccd", beta_loss="kullback-leibler").fit(X)
    model = NMF(2, beta_loss="kullback-leibler", max_iter=5, tol=0).fit(X)
    assert np.all(np.isfinite(model.components_))


def test_dask_bad_input_is_refused(dask_client):
    da = pytest.importorskip("dask.array")
    X = da.from_array(-np.ones((6, 3)), chunks=(2, 3))
    with pytest.raises(ValueError, match="X has 18 negative entries"):
        NMF(2).fit(X)


def test_device_needs_the_torch_engine():
    with pytest.raises(ValueError, match="device='cuda' is for engine='torch'"):
        NMF(2, engine="numpy", device="cuda").fit(np.ones((3, 3)))


@pytest.mark.parametrize("engine, extra", [("torch", "torch"), ("dask", "dask")])
def test_missing_engine_names_its_extra(engine, extra):
    # a fresh interpreter where the library cannot be imported
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] == {mod!r}:\n"
        "            raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np, nmfkit\n"
        "try:\n"
        "    nmfkit.NMF(2, engine={engine!r}).fit(np.ones((3, 3)))\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    ).format(mod="torch" if engine == "torch" else "dask", engine=engine)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"pip install 'nmfkit[{extra}]'" in out.stdout


def test_registry_lists_what_is_installed():
    assert "numpy" in available_engines()
    for name in available_engines():
        assert load_engine(name).name == name


def test_gpu_check_script_runs_on_the_cpu(tmp_path):
    """benchmarks/gpu_check.py, as a dry run on the CPU (on CUDA it times 20000²)."""
    pytest.importorskip("torch")
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"
    args = ["--device", "cpu", "--size", "300", "--k", "5", "--sk-iter", "10"]
    out = subprocess.run(
        [sys.executable, str(script), *args, "--json", str(tmp_path / "g.json")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all correct" in out.stdout
    import json

    result = json.loads((tmp_path / "g.json").read_text())
    assert result["correct"] and result["speed"]["torch_s"] < float("inf")


@pytest.mark.parametrize("shape", [(60, 40), (40, 60)])
@pytest.mark.parametrize("gram_max", [2048, 10])
def test_torch_device_svd_matches_the_host_one(shape, gram_max, monkeypatch):
    """The SVD a GPU fit runs for NNDSVD (Gram eigh or svd_lowrank), run here on the CPU."""
    torch = pytest.importorskip("torch")
    from nmfkit.arrays import linalg
    from nmfkit.arrays.engines import _torch

    X = planted(*shape, 5, seed=6)[0] + 0.01
    host = _torch.TorchEngine("cpu").top_svd(torch.as_tensor(X), 5, np.random.default_rng(0))
    monkeypatch.setattr(_torch.TorchEngine, "_svd_on_host", staticmethod(lambda X: False))
    monkeypatch.setattr(linalg, "GRAM_SVD_MAX", gram_max)
    dev = _torch.TorchEngine("cpu").top_svd(torch.as_tensor(X), 5, np.random.default_rng(0))
    np.testing.assert_allclose(dev[1], host[1], rtol=1e-6)
    # singular vectors up to sign
    for a, b in ((dev[0], host[0]), (dev[2].T, host[2].T)):
        np.testing.assert_allclose(np.abs(a.T @ b), np.eye(5), atol=1e-5)
