"""Cost as the work grows: a fixed number of iterations, nmfkit beside scikit-learn cd.

Each case runs 30 iterations (``tol=0``, ``init='random'``, the same seed) with nmfkit's
default solver and with scikit-learn's ``solver='cd'``; the table gives the median wall
time over --repeats and the ratio nmfkit ÷ scikit-learn (below 1: nmfkit is faster).
nmfkit's time includes everything its fit does (its final exact solve for W too).

With --marginal it also reports the marginal time of one outer iteration (fits of 60
minus fits of 10 iterations, over 50) on Olivetti k=40 and on a dense 4000 × 4000,
k=64 matrix, and the rate of the 4·n·m·k flops of an iteration's two products against
the rate NumPy's BLAS reaches on ``X @ Hᵀ`` in the same process.

Usage::

    python benchmarks/scaling.py --repeats 3 --marginal

No number here is asserted in the tests: these machines are shared and noisy.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF as SkNMF

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nmfkit import NMF  # noqa: E402


def dense(m, n, seed=0):
    return np.random.default_rng(seed).random((m, n))


def sparse(m, n, nnz, seed=0):
    return sp.random(m, n, density=nnz / (m * n), format="csr", random_state=seed)


# (label, maker of X, k)
GRID = [
    ("dense 1000×1000", lambda: dense(1000, 1000), 20),
    ("dense 4000×1000", lambda: dense(4000, 1000), 20),
    ("dense 16000×1000", lambda: dense(16000, 1000), 20),
    ("sparse 5000×20000, 0.5 M nnz", lambda: sparse(5000, 20000, 500_000), 20),
    ("sparse 20000×20000, 2 M nnz", lambda: sparse(20000, 20000, 2_000_000), 20),
    ("sparse 80000×20000, 8 M nnz", lambda: sparse(80000, 20000, 8_000_000), 20),
    ("dense 4000×1000, k=10", lambda: dense(4000, 1000), 10),
    ("dense 4000×1000, k=40", lambda: dense(4000, 1000), 40),
    ("dense 4000×1000, k=160", lambda: dense(4000, 1000), 160),
]


def seconds(make, X, repeats):
    times = []
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def nmfkit_fit(k, n):
    return lambda: NMF(k, init="random", max_iter=n, tol=0, random_state=0)


def sklearn_fit(k, n):
    return lambda: SkNMF(k, solver="cd", init="random", max_iter=n, tol=0, random_state=0)


def grid(repeats, iterations=30):
    lines = ["| case | k | nmfkit s | sklearn cd s | nmfkit ÷ sklearn |"]
    lines.append("|---|---:|---:|---:|---:|")
    for label, make_X, k in GRID:
        X = make_X()
        seconds(nmfkit_fit(k, 2), X, 1)  # warm: compiled kernels loaded, pool started
        a = seconds(nmfkit_fit(k, iterations), X, repeats)
        b = seconds(sklearn_fit(k, iterations), X, repeats)
        lines.append(f"| {label} | {k} | {a:.3f} | {b:.3f} | {a / b:.2f} |")
        print(lines[-1], flush=True)
    return lines


def gemm_rate(X, k, repeats=10):
    """GFLOP/s of X @ Hᵀ with NumPy's BLAS as configured (all its threads)."""
    H = np.random.default_rng(1).random((k, X.shape[1]))
    X @ H.T
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        X @ H.T
        times.append(time.perf_counter() - start)
    return 2 * X.shape[0] * X.shape[1] * k / statistics.median(times) / 1e9


def marginal(repeats):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import load_olivetti

    lines = [
        "| data | k | nmfkit ms/iteration | sklearn cd ms/iteration | nmfkit ÷ sklearn "
        "| nmfkit 4·n·m·k rate GFLOP/s | GEMM rate GFLOP/s | share of GEMM rate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cases = [("olivetti 400×4096", load_olivetti, 40)]
    cases.append(("dense 4000×4000", lambda: dense(4000, 4000), 64))
    for label, make_X, k in cases:
        X = make_X()
        seconds(nmfkit_fit(k, 2), X, 1)
        per = {}
        for name, fit in (("nmfkit", nmfkit_fit), ("sklearn", sklearn_fit)):
            short = seconds(fit(k, 10), X, repeats)
            long = seconds(fit(k, 60), X, repeats)
            per[name] = (long - short) / 50
        flops = 4 * X.shape[0] * X.shape[1] * k
        rate = flops / per["nmfkit"] / 1e9
        peak = gemm_rate(X, k)
        lines.append(
            f"| {label} | {k} | {1e3 * per['nmfkit']:.2f} | {1e3 * per['sklearn']:.2f} | "
            f"{per['nmfkit'] / per['sklearn']:.2f} | {rate:.1f} | {peak:.1f} | {rate / peak:.0%} |"
        )
        print(lines[-1], flush=True)
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="timed runs per case (median)")
    p.add_argument("--marginal", action="store_true", help="also the per-iteration table")
    p.add_argument("--no-grid", action="store_true", help="skip the fixed-iterations grid")
    args = p.parse_args(argv)
    out = [] if args.no_grid else grid(args.repeats)
    if args.marginal:
        out += [""] + marginal(args.repeats)
    print("\n".join(out))


if __name__ == "__main__":
    main()
