"""Dask engine scaling: time per iteration with 1 and 2 workers, and the NumPy engine.

A dense X (--rows × --cols, float64, random, seeded) is persisted on a ``LocalCluster``
of 1 and then 2 worker processes (one thread each), chunked by rows. For each solver,
fits of 2 and of 2 + --iters iterations (tol=0, random start) are timed; the difference
over --iters is the time per iteration (median of --repeats). The NumPy engine runs on
the same X in this process, with both cores.

Usage::

    python benchmarks/dask_scaling.py [--rows 400000] [--cols 500] [--k 20] [--json out.json]

``--progress SOLVER`` instead prints the objective and the seconds at every check of one
fit of 40 iterations on 2 workers (progress per second, not only time per iteration).
"""

import argparse
import json
import statistics
import time
import warnings
from pathlib import Path

from nmfkit import NMF

SOLVERS = [("hals", "frobenius"), ("mu", "frobenius"), ("mu", "kullback-leibler")]


def per_iteration(X, solver, loss, k, iters, repeats):
    """Median seconds per iteration of a fit on X (differences of two budgets)."""

    def fit(n):
        start = time.perf_counter()
        kw = dict(init="random", random_state=0, solver=solver, beta_loss=loss, tol=0)
        NMF(k, max_iter=n, **kw).fit(X)
        return time.perf_counter() - start

    fit(2)  # warm up: kernels compiled, workers' imports done
    times = [(fit(2 + iters) - fit(2)) / iters for _ in range(repeats)]
    return statistics.median(times)


def progress(args):
    """Objective and seconds at each check of a 40-iteration fit on 2 workers."""
    import dask.array as da
    from distributed import Client, LocalCluster

    shape = (args.rows, args.cols)
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None, memory_limit="8GB"
    )
    with cluster, Client(cluster):
        X = da.random.default_rng(0).random(shape, chunks=(args.chunk_rows, args.cols))
        X = X.persist()
        kw = dict(init="random", random_state=0, tol=0, solver=args.progress)
        NMF(args.k, max_iter=2, **kw).fit(X)  # warm up
        model = NMF(args.k, max_iter=40, **kw).fit(X)
    print(f"{'iteration':>9} {'objective':>14} {'seconds':>8}")
    for i, (loss, t) in enumerate(zip(model.loss_curve_, model.loss_times_)):
        print(f"{10 * i:>9} {loss:>14.6e} {t:>8.1f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=400_000)
    p.add_argument("--cols", type=int, default=500)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--chunk-rows", type=int, default=25_000)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json")
    p.add_argument("--progress", metavar="SOLVER", help="objective against time for SOLVER")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    import dask.array as da
    from distributed import Client, LocalCluster

    if args.progress:
        return progress(args)

    shape = (args.rows, args.cols)
    print(
        f"X {shape} float64 ({args.rows * args.cols * 8 / 1e9:.1f} GB), k={args.k}, "
        f"chunks of {args.chunk_rows} rows; seconds per iteration (median of {args.repeats})"
    )
    results = {}
    for workers in (1, 2):
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, dashboard_address=None, memory_limit="8GB"
        )
        with cluster, Client(cluster):
            X = da.random.default_rng(0).random(shape, chunks=(args.chunk_rows, args.cols))
            X = X.persist()
            for solver, loss in SOLVERS:
                t = per_iteration(X, solver, loss, args.k, args.iters, args.repeats)
                results.setdefault(f"{solver} {loss}", {})[f"dask {workers}"] = t
    Xh = da.random.default_rng(0).random(shape, chunks=(args.chunk_rows, args.cols)).compute()
    for solver, loss in SOLVERS:
        t = per_iteration(Xh, solver, loss, args.k, args.iters, args.repeats)
        results[f"{solver} {loss}"]["numpy"] = t
    print(
        f"{'solver':28} {'dask 1 worker':>14} {'dask 2 workers':>15} {'speed-up':>9} "
        f"{'numpy engine':>13}"
    )
    for name, r in results.items():
        print(
            f"{name:28} {r['dask 1']:14.3f} {r['dask 2']:15.3f} "
            f"{r['dask 1'] / r['dask 2']:9.2f} {r['numpy']:13.3f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
