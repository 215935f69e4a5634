"""Sharing the machine: nmfkit beside another busy process, and parallel fits.

1. **Under load.** On Olivetti (k=40, each library's default start), scikit-learn cd runs
   200 iterations; nmfkit runs until its objective reaches scikit-learn's final one. The
   ratio of the two times is measured on a quiet machine and again while one other
   CPU-bound process (a Python busy loop) runs, alternating quiet and loaded rounds;
   medians over --repeats rounds. Sharing 2 cores with one busy process should cost
   both libraries alike, so the ratio should hold.
2. **Parallel fits.** ``select_rank`` on a planted 400 × 300 matrix of rank 5 (ranks
   2-8, 6 runs each; on Olivetti one call takes minutes) with ``n_jobs=1`` and
   ``n_jobs=2``.

Usage::

    python benchmarks/sharing.py --repeats 3

No number here is asserted in the tests: these machines are shared and noisy.
"""

import argparse
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

from sklearn.decomposition import NMF as SkNMF
from sklearn.decomposition._nmf import _beta_divergence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import load_olivetti  # noqa: E402

from nmfkit import NMF, select_rank  # noqa: E402

BUSY = "while True: pass"


def one_round(X, k=40, iterations=200):
    """(scikit-learn's seconds, nmfkit's seconds to scikit-learn's final objective)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        sk = SkNMF(k, solver="cd", max_iter=iterations, tol=0, random_state=0)
        W = sk.fit_transform(X)
        t_sk = time.perf_counter() - start
        target = _beta_divergence(X, W, sk.components_, 2.0)
        reached = {}

        def callback(n_iter, loss, W, H):
            if loss <= target:
                reached["t"] = time.perf_counter() - start
                return True
            return False

        start = time.perf_counter()
        NMF(k, max_iter=5000, tol=0, random_state=0, callback=callback).fit(X)
    return t_sk, reached.get("t", float("nan"))


def under_load(X, repeats):
    one_round(X)  # warm: compiled kernels loaded, pool started
    quiet, loaded = [], []
    for _ in range(repeats):
        quiet.append(one_round(X))
        busy = subprocess.Popen([sys.executable, "-c", BUSY])
        try:
            time.sleep(0.5)
            loaded.append(one_round(X))
        finally:
            busy.kill()
            busy.wait()
    lines = ["| machine | sklearn cd s | nmfkit s to its objective | ratio |"]
    lines.append("|---|---:|---:|---:|")
    ratios = {}
    for name, runs in (("quiet", quiet), ("one busy process", loaded)):
        sk = statistics.median(r[0] for r in runs)
        nk = statistics.median(r[1] for r in runs)
        ratios[name] = statistics.median(r[0] / r[1] for r in runs)
        lines.append(f"| {name} | {sk:.2f} | {nk:.2f} | {ratios[name]:.2f}× |")
    share = ratios["one busy process"] / ratios["quiet"]
    lines.append(f"\nLoaded ratio ÷ quiet ratio: **{share:.0%}**")
    return lines


def parallel_fits(repeats):
    from nmfkit.datasets import make_planted

    X = make_planted(400, 300, 5, noise=0.05, random_state=0)[0]
    lines = ["| select_rank | seconds (median) |", "|---|---:|"]
    for n_jobs in (1, 2):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                select_rank(X, range(2, 9), n_runs=6, random_state=0, n_jobs=n_jobs)
            times.append(time.perf_counter() - start)
        lines.append(f"| n_jobs={n_jobs} | {statistics.median(times):.2f} |")
        print(lines[-1], flush=True)
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    X = load_olivetti()
    out = under_load(X, args.repeats)
    print("\n".join(out), flush=True)
    out += [""] + parallel_fits(args.repeats)
    print("\n".join(out))


if __name__ == "__main__":
    main()
