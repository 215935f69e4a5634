"""Recommender on MovieLens-100k (5-fold CV) against scikit-surprise, and at 1M ratings.

MovieLens-100k: ``KFold(5, shuffle=True, random_state=0)`` over the 100,000 ratings;
each model is fitted on four folds with its default parameters and scored on the
fifth: RMSE, MAE, precision@10 and recall@10 (``nmfkit.rating_metrics``, threshold
3.5, the same function for every model), and the fit time per fold. scikit-surprise's
SVD and NMF run on the same folds in the same run, through
``benchmarks/_surprise_folds.py`` in a Python that has scikit-surprise
(``--surprise-python``; it needs NumPy < 2, hence often its own virtual environment).
nmfkit's Numba kernels are compiled (or loaded from the cache) by a small fit first.

Synthetic: 1,000,000 distinct (user, item) pairs of a 20000 × 5000 matrix, ratings
1..5 from a planted non-negative model with noise; the fit time of ``Recommender()`` and
the peak memory it holds (tracemalloc; the ratings themselves are made before) and the
process's peak resident size.

Usage::

    python benchmarks/recommender.py [--surprise-python PATH] [--json out.json]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

from nmfkit import NMF, Recommender, rating_metrics, read_ratings

ROOT = Path(__file__).resolve().parents[1]
RATINGS = ROOT.parent / "shared" / "data" / "movielens-100k" / "ratings.tsv"


def folds_of(n):
    return [test for _, test in KFold(5, shuffle=True, random_state=0).split(np.arange(n))]


def nmfkit_folds(users, items, ratings, folds):
    preds, times, iters = [], [], []
    for test in folds:
        train = np.ones(len(ratings), dtype=bool)
        train[test] = False
        model = Recommender(random_state=0)
        start = time.perf_counter()
        model.fit((users[train], items[train], ratings[train]))
        times.append(time.perf_counter() - start)
        iters.append(model.n_iter_)
        preds.append(model.predict(users[test], items[test]))
    return preds, times, iters


def surprise_folds(python, users, items, ratings, folds):
    """{name: (predictions per fold, fit times)} from the worker, or {} if it cannot run."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "folds.npz"), os.path.join(tmp, "pred.npz")
        tests = {f"test_{f}": t for f, t in enumerate(folds)}
        np.savez(src, users=users, items=items, ratings=ratings, n_folds=len(folds), **tests)
        worker = Path(__file__).with_name("_surprise_folds.py")
        run = subprocess.run([python, str(worker), src, dst], capture_output=True, text=True)
        if run.returncode:
            print(f"scikit-surprise did not run ({python}): {run.stderr.strip()[-300:]}")
            return {}
        with np.load(dst) as f:
            return {
                name: ([f[f"{name}_pred_{i}"] for i in range(len(folds))], list(f[f"{name}_times"]))
                for name in ("SVD", "NMF")
            }


def summary(users, ratings, folds, preds, times):
    per_fold = [rating_metrics(users[t], ratings[t], p) for t, p in zip(folds, preds)]
    out = {key: float(np.mean([m[key] for m in per_fold])) for key in per_fold[0]}
    out["fit_time_median"] = float(np.median(times))
    out["fit_time_max"] = float(np.max(times))
    out["rmse_per_fold"] = [m["rmse"] for m in per_fold]
    return out


def synthetic(seed=0, n=20000, m=5000, nnz=1_000_000, k=10):
    rng = np.random.default_rng(seed)
    key = rng.choice(n * m, nnz, replace=False)
    u, i = key // m, key % m
    W, H = rng.random((n, k)), rng.random((k, m))
    r = np.clip(
        np.round(1 + 1.6 * np.einsum("ij,ji->i", W[u], H[:, i]) + rng.normal(0, 0.5, nnz)), 1, 5
    )
    return u, i, r


def large(make):
    """(seconds, peak MB traced, iterations) of ``make()`` on the 1M synthetic ratings."""
    u, i, r = synthetic()
    tracemalloc.start()
    start = time.perf_counter()
    model = make(u, i, r)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 1e6, model.n_iter_


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--surprise-python", default=sys.executable, help="a Python with scikit-surprise"
    )
    p.add_argument("--json", default=None, help="write the figures to this file")
    args = p.parse_args()
    warnings.simplefilter("ignore")
    results = {}

    users, items, ratings = read_ratings(RATINGS)
    folds = folds_of(len(ratings))
    Recommender(n_components=2, max_iter=2).fit((users[:500], items[:500], ratings[:500]))  # JIT
    preds, times, iters = nmfkit_folds(users, items, ratings, folds)
    results["nmfkit Recommender"] = summary(users, ratings, folds, preds, times)
    results["nmfkit Recommender"]["iterations"] = iters
    for name, (p_, t_) in surprise_folds(
        args.surprise_python, users, items, ratings, folds
    ).items():
        results[f"surprise {name}"] = summary(users, ratings, folds, p_, t_)

    print("MovieLens-100k, 5-fold CV (KFold(5, shuffle=True, random_state=0)), default parameters")
    head = f"{'RMSE':>7} {'MAE':>7} {'P@10':>7} {'R@10':>7} {'fit s (median)':>15} {'max':>6}"
    print(f"{'model':<22} {head}")
    for name, r in results.items():
        print(
            f"{name:<22} {r['rmse']:>7.4f} {r['mae']:>7.4f} {r['precision_at_k']:>7.4f} "
            f"{r['recall_at_k']:>7.4f} {r['fit_time_median']:>15.2f} {r['fit_time_max']:>6.2f}"
        )

    seconds, mb, it = large(lambda u, i, r: Recommender(random_state=0).fit((u, i, r)))
    results["synthetic 1M Recommender"] = {"seconds": seconds, "peak_mb": mb, "iterations": it}

    def nmf(u, i, r):
        import scipy.sparse as sp

        X = sp.csr_matrix((r, (u, i)), shape=(20000, 5000))
        return NMF(20, observed="stored", random_state=0, max_iter=50).fit(X)

    seconds2, mb2, it2 = large(nmf)
    results["synthetic 1M NMF(20, observed='stored')"] = {
        "seconds": seconds2,
        "peak_mb": mb2,
        "iterations": it2,
    }
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    results["max_rss_mb"] = rss
    print("\n1,000,000 ratings (20000 x 5000):")
    print(f"  Recommender(): {seconds:.1f} s ({it} iterations), peak {mb:.0f} MB")
    print(f"  NMF(20, observed='stored'): {seconds2:.1f} s ({it2} iterations), peak {mb2:.0f} MB")
    print(f"  process peak resident size {rss:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
