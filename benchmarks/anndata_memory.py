"""Peak memory of fitting a sparse AnnData: 50,000 cells × 2,000 genes.

The counts come from ``make_single_cell`` (float32, CSR). For each fit, tracemalloc
reports the peak of NumPy's allocations during the fit (X itself was allocated before),
set against X's bytes and the factors' (W and H in float32): the target is
peak + X < 2 X + factors, that is, the fit itself allocates less than one more X plus
the factors. The process's peak resident memory is printed too.

Usage::

    python benchmarks/anndata_memory.py [--cells 50000] [--genes 2000] [-k 10]
"""

import argparse
import resource
import time
import tracemalloc

import anndata
import numpy as np

from nmfkit import NMF, GeneProgramNMF, MiniBatchNMF
from nmfkit.datasets import make_single_cell


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, default=50_000)
    parser.add_argument("--genes", type=int, default=2_000)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--programs", action="store_true", help="also GeneProgramNMF (10 runs)")
    args = parser.parse_args()
    counts, _, _, _ = make_single_cell(args.cells, args.genes, 10, 2, random_state=0)
    counts = counts[:, np.asarray(counts.sum(axis=0)).ravel() > 0].astype(np.float32).tocsr()
    adata = anndata.AnnData(counts)
    x_bytes = counts.data.nbytes + counts.indices.nbytes + counts.indptr.nbytes
    factors = (counts.shape[0] + counts.shape[1]) * args.k * 4
    print(
        f"X: {counts.shape[0]} x {counts.shape[1]}, {counts.nnz / np.prod(counts.shape):.1%} "
        f"stored, {x_bytes / 2**20:.1f} MiB; factors {factors / 2**20:.1f} MiB; "
        f"budget 2 X + factors = {(2 * x_bytes + factors) / 2**20:.1f} MiB"
    )
    fits = {
        "NMF": lambda: NMF(args.k, random_state=0, max_iter=100).fit(adata),
        "NMF random": lambda: NMF(args.k, init="random", random_state=0, max_iter=100).fit(adata),
        "MiniBatchNMF": lambda: MiniBatchNMF(args.k, random_state=0, max_iter=5).fit(adata),
    }
    if args.programs:
        fits["GeneProgramNMF"] = lambda: GeneProgramNMF(args.k, n_runs=10, random_state=0).fit(
            adata
        )
    NMF(args.k, init="random", random_state=0, max_iter=2).fit(adata.X[:1000])  # compile
    for name, fit in fits.items():
        tracemalloc.start()
        start = time.perf_counter()
        fit()
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        total = x_bytes + peak
        print(
            f"{name:15s} peak during fit {peak / 2**20:7.1f} MiB; X + peak "
            f"{total / 2**20:7.1f} MiB = {total / (2 * x_bytes + factors):.2f} of the budget "
            f"({elapsed:.1f} s)"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"process peak resident memory {rss:.0f} MiB")


if __name__ == "__main__":
    main()
