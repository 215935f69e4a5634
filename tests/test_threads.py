"""Parallel work: the pooled products equal the plain ones, and results do not depend on
the number of threads (blocks of rows are set by the size of the work alone)."""

import os

import numpy as np
import pytest
from conftest import random_sparse

from nmfkit import NMF
from nmfkit.arrays.engines import _numpy
from nmfkit.arrays.kernels import _rows
from nmfkit.core.solvers import SOLVERS


@pytest.fixture
def small_blocks(monkeypatch):
    """Split even small problems into several blocks of rows."""
    monkeypatch.setattr(_rows, "_MIN_WORK", 500)
    monkeypatch.setattr(_numpy, "_GEMM_BLOCK_WORK", 500)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
def test_pooled_products_equal_plain_ones(small_blocks, sparse, dtype):
    rng = np.random.default_rng(0)
    X = random_sparse(61, 47, dtype=dtype)
    X = X if sparse else X.toarray()
    W = rng.random((61, 5)).astype(dtype)
    H = rng.random((5, 47)).astype(dtype)
    engine = _numpy.NumpyEngine()
    plain = engine.XHt(X, H), engine.XtW(X, W)
    with engine.threads(pooled=True):
        pooled = engine.XHt(X, H), engine.XtW(X, W)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(pooled, plain):
        assert a.dtype == b.dtype and a.flags.c_contiguous
        np.testing.assert_allclose(a, b, rtol=rtol)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_fit_does_not_depend_on_the_number_of_threads(small_blocks, monkeypatch, solver, sparse):
    beta = 2.0 if SOLVERS[solver].minimises(2.0) else SOLVERS[solver].betas[0]
    X = random_sparse(80, 60, density=0.5, seed=1)
    X = X if sparse else X.toarray() + 0.01
    runs = []
    for threads in ("1", "2"):
        monkeypatch.setenv("NMFKIT_NUM_THREADS", threads)
        model = NMF(6, solver=solver, beta_loss=beta, max_iter=30, tol=0, random_state=0)
        runs.append((model.fit_transform(X), model.components_))
    for a, b in zip(*runs):
        assert np.array_equal(a, b)


def _fit_in_child(queue):
    X = np.random.default_rng(2).random((300, 200))
    queue.put(float(NMF(5, max_iter=20, tol=0, random_state=0).fit(X).reconstruction_err_))


def test_a_forked_child_gets_a_working_pool(small_blocks):
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    X = np.random.default_rng(2).random((300, 200))
    # the parent's pool now has live threads; the child inherits the small blocks too
    expected = NMF(5, max_iter=20, tol=0, random_state=0).fit(X).reconstruction_err_
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_fit_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive, "the forked child hung on the parent's thread pool"
    assert queue.get(timeout=5) == expected


def test_overlapping_fits_in_two_threads_restore_blas_threads():
    import threading

    from threadpoolctl import threadpool_info

    def blas_threads():
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()
    X = np.random.default_rng(3).random((200, 150))
    a_in, b_in, a_done = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def first(it, *_):
        if it == 10:
            a_in.set()
            b_in.wait(30)

    def second(it, *_):
        if it == 10:
            b_in.set()
            a_done.wait(30)

    def run(callback, after=None, done=None):
        try:
            if after is not None:
                after.wait(30)
            NMF(4, max_iter=20, tol=0, random_state=0, callback=callback).fit(X)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            if done is not None:
                done.set()

    # A enters, B enters, A leaves, B leaves: the order that used to leave BLAS on 1 thread
    threads = [
        threading.Thread(target=run, args=(first, None, a_done)),
        threading.Thread(target=run, args=(second, a_in)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert blas_threads() == before


def test_nmfkit_num_threads_is_read_at_each_call(monkeypatch):
    import threading

    bounds = np.array([0, 10, 20, 30])

    def where(lo, hi):
        return threading.current_thread().name

    monkeypatch.setenv("NMFKIT_NUM_THREADS", "1")
    assert set(_rows.map_blocks(where, bounds)) == {threading.current_thread().name}
    monkeypatch.delenv("NMFKIT_NUM_THREADS")
    if _rows.n_threads() == 1:
        pytest.skip("one CPU: no pool to test")
    monkeypatch.setenv("NMFKIT_NUM_THREADS", "2")
    names = _rows.map_blocks(where, bounds)
    assert all(name.startswith("nmfkit") for name in names)
    assert _rows._pool_size == 2


def test_bad_nmfkit_num_threads_says_what_to_set(monkeypatch):
    monkeypatch.setenv("NMFKIT_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="NMFKIT_NUM_THREADS='two' is not a whole number"):
        _rows.n_threads()


@pytest.mark.parametrize("data", ["dense", "sparse", "unknown entries"])
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_fit_does_not_depend_on_the_number_of_blas_threads(solver, data):
    """Issue 9, item 6: a fit holds BLAS to one thread and splits its work by size only."""
    from threadpoolctl import threadpool_limits

    if data == "unknown entries" and not SOLVERS[solver].masked:
        pytest.skip(f"{solver} does not fit unknown entries")
    beta = 1.0 if SOLVERS[solver].minimises(1.0) else SOLVERS[solver].betas[0]
    rng = np.random.default_rng(3)
    X = rng.random((400, 20)) @ rng.random((20, 300)) + 0.01  # big enough for BLAS threads
    if data == "sparse":
        X = random_sparse(400, 300, density=0.2, seed=3)
    elif data == "unknown entries":
        X[rng.random(X.shape) < 0.2] = np.nan
    runs = []
    for threads in (1, 2, 4):
        with threadpool_limits(threads, user_api="blas"):
            model = NMF(10, solver=solver, beta_loss=beta, max_iter=20, tol=0, random_state=0)
            runs.append((model.fit_transform(X), model.components_, model.reconstruction_err_))
    for run in runs[1:]:
        for a, b in zip(run, runs[0]):
            assert np.array_equal(a, b)


def test_mini_batch_fits_do_not_depend_on_the_number_of_blas_threads():
    from threadpoolctl import threadpool_limits

    from nmfkit import MiniBatchNMF

    rng = np.random.default_rng(4)
    X = rng.random((1200, 20)) @ rng.random((20, 300))
    runs = []
    for threads in (1, 2, 4):
        with threadpool_limits(threads, user_api="blas"):
            model = MiniBatchNMF(10, batch_size=300, max_iter=3, tol=0, random_state=0)
            runs.append((model.fit(X).components_, model.transform(X)))
    for run in runs[1:]:
        for a, b in zip(run, runs[0]):
            assert np.array_equal(a, b)


def test_numba_num_threads_caps_the_pool_as_joblib_workers_set_it(monkeypatch):
    """Issue 18: joblib's process workers get NUMBA_NUM_THREADS = CPUs // n_jobs; the
    pool follows it, so parallel fits do not oversubscribe the cores. OMP_NUM_THREADS,
    which a Dask Client sets to 1 in its own process, is not read."""
    monkeypatch.delenv("NMFKIT_NUM_THREADS", raising=False)
    cpus = len(os.sched_getaffinity(0))
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    assert _rows.n_threads() == 1
    monkeypatch.setenv("NUMBA_NUM_THREADS", "not a number")  # Numba's business
    assert _rows.n_threads() == cpus
    monkeypatch.delenv("NUMBA_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert _rows.n_threads() == cpus
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    monkeypatch.setenv("NMFKIT_NUM_THREADS", "2")  # nmfkit's own setting wins
    assert _rows.n_threads() == min(2, cpus)


def _pool_threads_in_worker(_):
    return _rows.n_threads()


def test_joblib_workers_split_the_cores():
    joblib = pytest.importorskip("joblib")
    cpus = len(os.sched_getaffinity(0))
    if cpus < 2:
        pytest.skip("one CPU")
    jobs = (joblib.delayed(_pool_threads_in_worker)(i) for i in range(2))
    threads = joblib.Parallel(n_jobs=2)(jobs)
    assert threads == [max(1, cpus // 2)] * 2
