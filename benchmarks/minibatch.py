"""MiniBatchNMF on 20 Newsgroups TF-IDF (k = 20): memory set by the batch, loss near NMF's.

Peak memory: the largest amount of memory a fit holds at once (NumPy and SciPy
allocations, traced by tracemalloc; X itself is made before and not counted), for the
TF-IDF matrix (rows × 1) and for ten copies of it stacked (rows × 10). One pass each:
the peak does not grow with passes. Loss: the Frobenius loss ½‖X − W H‖² of the final
H (W solved exactly for it) against batch NMF's, both from their defaults. scikit-learn's
``MiniBatchNMF`` runs alongside, with the same batch size.

Usage::

    python benchmarks/minibatch.py [--batch-size 1024] [--json out.json]
"""

import argparse
import json
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF as SkNMF
from sklearn.decomposition import MiniBatchNMF as SkMiniBatchNMF

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import load_news_tfidf  # noqa: E402

from nmfkit import NMF, MiniBatchNMF
from nmfkit.arrays.engines import NumpyEngine
from nmfkit.core.losses import beta_divergence

K = 20


def peak(make, X):
    """(peak MB held by the fit, seconds), X not counted."""
    tracemalloc.start()
    try:
        start = time.perf_counter()
        make().fit(X)
        return tracemalloc.get_traced_memory()[1] / 2**20, time.perf_counter() - start
    finally:
        tracemalloc.stop()


def loss_of(model, X):
    """½‖X − W H‖² with W solved exactly for the model's H (nmfkit's NNLS)."""
    H = np.ascontiguousarray(model.components_, dtype=X.dtype)
    W = NMF(K)._fit_transform(X, H=H, update_H=False, caller="benchmark")[1]
    return beta_divergence(X, W, H, 2.0, NumpyEngine())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--json", help="write the figures to this file")
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    X = load_news_tfidf().astype(np.float64)
    X10 = sp.vstack([X] * 10).tocsr()
    b = args.batch_size
    print(f"20 Newsgroups TF-IDF {X.shape}, nnz {X.nnz}; rows x 10: {X10.shape}; k={K}, batch {b}")
    contenders = {
        "nmfkit MiniBatchNMF": lambda it: MiniBatchNMF(
            K, batch_size=b, random_state=0, max_iter=it
        ),
        "sklearn MiniBatchNMF": lambda it: SkMiniBatchNMF(
            K, batch_size=b, random_state=0, max_iter=it, max_no_improvement=None
        ),
        "nmfkit NMF (batch)": lambda it: NMF(K, random_state=0, max_iter=it),
        "sklearn NMF (batch)": lambda it: SkNMF(K, random_state=0, max_iter=it),
    }
    out = {}
    print(f"{'':24} {'peak MB x1':>11} {'peak MB x10':>12} {'x10/x1':>7}")
    for name, make in contenders.items():
        make(1).fit(X[: 2 * b])  # compile kernels, warm caches
        one, _ = peak(lambda m=make: m(1), X)
        ten, _ = peak(lambda m=make: m(1), X10)
        out[name] = {"peak_x1_MB": one, "peak_x10_MB": ten, "ratio": ten / one}
        print(f"{name:24} {one:11.1f} {ten:12.1f} {ten / one:7.2f}")
    print(f"\n{'':24} {'loss':>12} {'vs nmfkit NMF':>14} {'passes/iter':>12} {'time (s)':>9}")
    fits = {}
    for name, make in contenders.items():
        start = time.perf_counter()
        model = make(200).fit(X)
        fits[name] = (model, time.perf_counter() - start)
    ref = loss_of(fits["nmfkit NMF (batch)"][0], X)
    for name, (model, seconds) in fits.items():
        loss = loss_of(model, X)
        out[name].update(loss=loss, loss_ratio=loss / ref, n_iter=model.n_iter_, seconds=seconds)
        print(f"{name:24} {loss:12.3f} {loss / ref:14.4f} {model.n_iter_:12d} {seconds:9.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
