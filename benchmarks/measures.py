"""Efficiency measures for benchmarks/run.py: GEMM share, peak memory, Loop overhead."""

import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _median_time(f, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gemm_share(make_models, n=4000, m=4000, k=64, repeats=3):
    """Achieved GFLOP/s per outer iteration (4·n·m·k flops) against this machine's GEMM.

    The time of an outer iteration, from a random start: for a model that takes a
    ``callback`` (nmfkit, called at every 10th iteration), the time between the calls
    at iterations 10 and 30, over 20, which leaves out the set-up and what a fit does
    after its iterations (nmfkit's exact final solve for W); otherwise the difference
    between fits of 25 and 5 iterations, over 20. The GEMM rate is that of X @ Hᵀ of
    the same shapes, timed in the same process.
    """
    rng = np.random.default_rng(0)
    X = rng.random((n, m))
    Ht = rng.random((m, k))
    X @ Ht
    gemm = 2 * n * m * k / _median_time(lambda: X @ Ht, 5 * repeats) / 1e9
    rows = {}
    for name, make in make_models.items():

        def fit(iters, make=make, **params):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                make(k, iters).set_params(**params).fit(X)

        fit(2)  # compile kernels, warm caches
        if "callback" in make(k, 1).get_params():
            per = []
            for _ in range(repeats):
                stamps = {}
                fit(30, callback=lambda it, *_, s=stamps: s.__setitem__(it, time.perf_counter()))
                per.append((stamps[30] - stamps[10]) / 20)
            per_iter = statistics.median(per)
        else:
            per_iter = (
                _median_time(lambda: fit(25), repeats) - _median_time(lambda: fit(5), repeats)
            ) / 20
        rows[name] = 4 * n * m * k / per_iter / 1e9
    return gemm, rows


_MEMORY_CODE = """
import json, sys, tracemalloc, warnings
sys.path.insert(0, {here!r})
import numpy as np
import run
warnings.simplefilter("ignore")
X = getattr(run, {loader!r})()
if {lib!r} == "nmfkit":
    from nmfkit import NMF
    model = NMF({k}, random_state=0, max_iter=200)
    # compile the kernels outside the measurement: on X itself, since a small problem
    # takes other kernels (and Numba's import and compilation would be traced)
    NMF({k}, random_state=0, max_iter=2).fit(X)
else:
    from sklearn.decomposition import NMF
    model = NMF({k}, random_state=0, max_iter=200)
tracemalloc.start()
W = model.fit_transform(X)
peak = tracemalloc.get_traced_memory()[1]
x = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes if hasattr(X, "indptr") else X.nbytes
print(json.dumps(dict(peak=peak, X=x, W=W.nbytes, H=model.components_.nbytes)))
"""


def peak_memory(lib, loader="load_news_tfidf", k=20):
    """Peak memory of a fit (20 Newsgroups TF-IDF, k=20 by default) in a fresh subprocess.

    Peak = size of X + the largest amount of memory the fit itself held at once
    (numpy/scipy allocations, traced by tracemalloc). Returns that peak over
    size(X) + size(W) + size(H), and the sizes in MB.
    """
    code = _MEMORY_CODE.format(here=str(HERE), lib=lib, loader=loader, k=k)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    base = r["X"] + r["W"] + r["H"]
    return (r["X"] + r["peak"]) / base, {key: v / 2**20 for key, v in r.items()}


def loop_overhead(X, k, max_iter=200):
    """Share of a default nmfkit fit spent in the Loop's own objective checks."""
    import nmfkit.core.loop as loop
    from nmfkit import NMF

    spent = [0.0]
    original = loop.objective

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    NMF(k, max_iter=2).fit(X)  # compile the kernels first
    loop.objective = timed
    try:
        start = time.perf_counter()
        NMF(k, max_iter=max_iter, tol=0.0, random_state=0).fit(X)
        total = time.perf_counter() - start
    finally:
        loop.objective = original
    return spent[0] / total
