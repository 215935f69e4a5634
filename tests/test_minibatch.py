"""MiniBatchNMF: every β-loss, every kind of input, memory set by the batch size."""

import gzip
import json
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import planted, random_sparse, shared_file
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import nmfkit
from nmfkit import NMF, MiniBatchNMF

BETAS = [2.0, 1.0, 0.0, 0.5, 1.5]


def data(beta, n=600, m=30, seed=0):
    X = planted(n, m, 4, seed=seed)[0]
    return X + 0.1 if beta <= 0 else X


@parametrize_with_checks([MiniBatchNMF(batch_size=5, max_iter=20)])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("beta", BETAS)
def test_every_loss_decreases_and_frobenius_recovers_planted_data(beta):
    X = data(beta)
    mb = MiniBatchNMF(4, batch_size=100, beta_loss=beta, random_state=0, max_iter=100).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = NMF(4, beta_loss=beta, random_state=0, max_iter=400).fit(X)
    # (for β != 2 the online multiplicative updates converge slowly, as MU does)
    assert mb.components_.shape == (4, 30) and np.all(mb.components_ >= 0)
    assert np.all(np.isfinite(mb.components_))
    start = np.sqrt(2 * mb.loss_curve_[0] * X.shape[0])
    assert mb.reconstruction_err_ < 0.6 * start
    if beta == 2:
        # the data are an exact rank-4 product: both end within 1 % of X
        assert mb.reconstruction_err_ < 0.01 * np.linalg.norm(X)
        assert full.reconstruction_err_ < 0.01 * np.linalg.norm(X)


def test_one_batch_of_all_rows_never_increases_the_objective():
    """All rows in one batch and no memory: block coordinate descent, so monotone."""
    X = planted(40, 12, 3, seed=3)[0]
    mb = MiniBatchNMF(3, batch_size=40, forget_factor=1e-12, max_iter=30, tol=0, random_state=0)
    curve = np.array(mb.fit(X).loss_curve_)
    assert len(curve) == 30
    assert np.all(np.diff(curve) <= 1e-12 * curve[:-1])
    assert curve[-1] < 0.1 * curve[0]


def test_every_source_gives_the_same_model(tmp_path):
    """Data in memory (an array, a sparse matrix) start from all of X, as NMF does;
    data read from a file or a stream start from their first batch, so memory stays set
    by the batch: within each kind, every source gives the same model."""
    X = random_sparse(300, 20, density=0.3, seed=4)
    # forget_factor=1: the same weights whether or not n_samples is known
    kw = dict(n_components=3, batch_size=64, random_state=0, max_iter=5, tol=0, forget_factor=1.0)
    in_memory = MiniBatchNMF(**kw).fit(X.toarray()).components_
    np.testing.assert_allclose(MiniBatchNMF(**kw).fit(X).components_, in_memory, rtol=1e-10)
    np.save(tmp_path / "X.npy", X.toarray())
    sources = {
        "memmap": np.load(tmp_path / "X.npy", mmap_mode="r"),
        "path": str(tmp_path / "X.npy"),
        "blocks": lambda: (X[i : i + 64] for i in range(0, 300, 64)),
    }
    streamed = MiniBatchNMF(**kw).fit(sources.pop("memmap")).components_
    for name, source in sources.items():
        got = MiniBatchNMF(**kw).fit(source).components_
        np.testing.assert_allclose(got, streamed, rtol=1e-10, err_msg=name)
    # a one-shot iterator makes one pass
    one = MiniBatchNMF(**kw).fit(iter([X[:150], X[150:]]))
    assert one.n_iter_ == 1 and one.stop_reason_ == "end_of_stream"


def test_partial_fit_streams_and_resumes_after_save(tmp_path):
    X = planted(200, 15, 3, seed=5)[0]
    model = MiniBatchNMF(3, random_state=0)
    for block in np.array_split(X, 4):
        model.partial_fit(block)
    assert model.n_steps_ == 4
    model.save(tmp_path / "m.npz")
    loaded = nmfkit.load(tmp_path / "m.npz")
    assert isinstance(loaded, MiniBatchNMF)
    model.partial_fit(X[:50])
    loaded.partial_fit(X[:50])
    np.testing.assert_allclose(loaded.components_, model.components_, rtol=1e-12)
    np.testing.assert_allclose(loaded.transform(X[:5]), model.transform(X[:5]), rtol=1e-10)


def test_bad_blocks_are_refused():
    model = MiniBatchNMF(2).partial_fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="X has 4 features, but MiniBatchNMF is expecting 3"):
        model.partial_fit(np.ones((4, 4)))
    with pytest.raises(ValueError, match="X has 1 negative entries"):
        model.partial_fit(-np.eye(3)[:1])
    with pytest.raises(ValueError, match="is not a .npy file"):
        MiniBatchNMF(2).fit("data.csv")
    with pytest.raises(ValueError, match="X has no rows"):
        MiniBatchNMF(2).fit(iter([]))


def fit_peak(X, **kw):
    """Largest memory (bytes) a fit held at once, X itself not counted: X is read as a
    source of batches (a function returning its row blocks), as data that do not fit in
    memory are (in memory, X whole is n-sized already, and W of every row is kept)."""

    def blocks():
        return (X[i : i + kw["batch_size"]] for i in range(0, X.shape[0], kw["batch_size"]))

    tracemalloc.start()
    try:
        MiniBatchNMF(**kw).fit(blocks)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_set_by_the_batch_not_the_rows():
    X = random_sparse(2000, 300, density=0.05, seed=6)
    X10 = sp.vstack([X] * 10).tocsr()
    kw = dict(n_components=5, batch_size=200, random_state=0, max_iter=1)
    fit_peak(X, **kw)  # compile the kernels outside the measurement
    one, ten = fit_peak(X, **kw), fit_peak(X10, **kw)
    assert ten < 1.25 * one, (one, ten)


def news_tfidf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    path = shared_file("20newsgroups", "20news_bydate.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        docs = [d["text"] for d in map(json.loads, f) if d["split"] == "train"]
    return TfidfVectorizer(min_df=5, max_df=0.5, stop_words="english").fit_transform(docs)


def test_news_tfidf_memory_and_loss():
    """The acceptance figures of the issue, on 20 Newsgroups (benchmarks/minibatch.py)."""
    X = news_tfidf().tocsr()
    X10 = sp.vstack([X] * 10).tocsr()
    kw = dict(n_components=20, batch_size=1024, random_state=0)
    one = fit_peak(X, max_iter=1, **kw)
    ten = fit_peak(X10, max_iter=1, **kw)
    assert ten < 1.25 * one, (one, ten)
    mb = MiniBatchNMF(**kw).fit(X)
    full = NMF(20, random_state=0).fit(X)
    assert mb.reconstruction_err_**2 <= 1.02 * full.reconstruction_err_**2


def test_fit_transform_returns_the_w_of_the_final_pass():
    X = random_sparse(300, 20, density=0.3, seed=7)
    kw = dict(n_components=3, batch_size=64, random_state=0, max_iter=5)
    model = MiniBatchNMF(**kw)
    W = model.fit_transform(X)
    np.testing.assert_allclose(W, model.transform(X), rtol=1e-12)
    np.testing.assert_allclose(W, MiniBatchNMF(**kw).fit(X).transform(X), rtol=1e-12)


def test_a_fixed_h_frobenius_solve_is_one_step_whatever_tol(monkeypatch):
    """With H fixed the Frobenius W is one exact NNLS solve (BPP); tol=0 used to repeat
    it until max_iter (MiniBatchNMF: 50 solves per batch, 7 s on a 10 x 10 matrix)."""
    from nmfkit.core.solvers import bpp

    X = data(2.0, n=60, m=12)
    calls = []
    real = bpp.update_W
    monkeypatch.setattr(bpp, "update_W", lambda *a: calls.append(1) or real(*a))
    model = NMF(4, init="random", random_state=0, tol=0, max_iter=30).fit(X)
    del calls[:]
    W = model.transform(X)
    assert len(calls) == 1
    loose = NMF(4, init="random", random_state=0, tol=0, max_iter=30).fit(X)
    loose.tol = 1e-4  # the same fit; a transform that would have stopped on tol
    np.testing.assert_allclose(W, loose.transform(X), rtol=1e-12, atol=1e-14)
    del calls[:]
    MiniBatchNMF(4, init="random", random_state=0, tol=0, max_iter=3, batch_size=60).fit(X)
    assert len(calls) <= 3 * 2, len(calls)  # a solve per pass (and the final W), not 50
