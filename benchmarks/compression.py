"""Randomized compression against the uncompressed fit, on large dense data.

nmfkit fits X twice from the same default start: ``compression=None`` and
``compression='randomized'`` (``tol=1e-6``, a high iteration cap). Along each fit the
objective of the current factors on X itself (never the sketch's) is recorded against
time, the evaluations left out of the clock. Reported, per seed and as medians: the
final objectives, and the time each fit takes to come within 1 % of the uncompressed
fit's final objective (the speed-up is the ratio of the two).

Usage::

    python benchmarks/compression.py                    # 20000 × 5000, k=50, seeds 0-2
    python benchmarks/compression.py --shape 4000 2000 --k 20 --seeds 0

No number here is asserted in the tests: these machines are shared and noisy.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fair import dense_low_rank, every_step, time_to  # noqa: E402

from nmfkit import NMF  # noqa: E402


def run(X, k, seed, compression, max_seconds):
    """[(seconds, objective on X)] along one fit, and the fit's total seconds."""
    points, excluded = [], [0.0]
    X2 = float(np.einsum("ij,ij->", X, X))

    def objective(W, H):
        # ½‖X − WH‖² from Gram products: no n × m temporary
        return 0.5 * (X2 - 2 * np.einsum("ij,ij->", W.T @ X, H) + np.sum((W.T @ W) * (H @ H.T)))

    def record(W, H):
        now = time.perf_counter()
        points.append((now - start - excluded[0], objective(W, H)))
        excluded[0] += time.perf_counter() - now

    def callback(n_iter, loss, W, H):
        return points[-1][0] > max_seconds

    model = NMF(k, tol=1e-6, max_iter=5000, random_state=seed, compression=compression,
                callback=callback)  # fmt: skip
    start = time.perf_counter()
    with warnings.catch_warnings(), every_step(record):  # every iteration, not every check
        warnings.simplefilter("ignore")
        W = model.fit_transform(X)
    total = time.perf_counter() - start - excluded[0]
    points.append((total, objective(W, model.components_)))
    return points


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shape", nargs=2, type=int, default=[20000, 5000])
    p.add_argument("--k", type=int, default=50)
    p.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    p.add_argument("--max-seconds", type=float, default=600.0)
    args = p.parse_args(argv)
    n, m = args.shape
    X = dense_low_rank(n, m, args.k)
    with warnings.catch_warnings():  # compiled kernels and caches: not timed
        warnings.simplefilter("ignore")
        for compression in (None, "randomized"):
            NMF(args.k, max_iter=2, compression=compression).fit(X)
    rows = []
    print("| seed | uncompressed final | its s to within 1 % | randomized final | "
          "its s to within 1 % | speed-up |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|")
    for seed in args.seeds:
        plain = run(X, args.k, seed, None, args.max_seconds)
        sketched = run(X, args.k, seed, "randomized", args.max_seconds)
        level = plain[-1][1] * 1.01
        a, b = time_to(plain, level), time_to(sketched, level)
        rows.append((plain[-1][1], a, sketched[-1][1], b, a / b if b else None))
        r = rows[-1]
        print(f"| {seed} | {r[0]:.6g} | {r[1]:.2f} | {r[2]:.6g} | "
              f"{'not reached' if b is None else f'{b:.2f}'} | "
              f"{'—' if r[4] is None else f'{r[4]:.2f}×'} |", flush=True)  # fmt: skip
    med = [statistics.median(v for v in col if v is not None) for col in zip(*rows)]
    print(f"| **median** | {med[0]:.6g} | {med[1]:.2f} | {med[2]:.6g} | {med[3]:.2f} | "
          f"**{med[4]:.2f}×** |")  # fmt: skip
    print(f"\n{n} × {m}, k = {args.k} (benchmarks/fair.py's dense_low_rank).")


if __name__ == "__main__":
    main()
