"""GPU check: the Torch engine on CUDA against the CPU, then a large dense fit timed.

1. Correctness: every solver and loss, dense and sparse, float32 and float64, fitted
   from the same random start on the device and with the NumPy engine (10 iterations;
   1 for CCD, whose path turns on last-bit differences); W and H must agree within
   1e-6 (float64) and 1e-3 (float32), relative to their largest entry.
2. Speed: a dense float32 X of --size × --size (rank-k signal plus noise, made on the
   host from a fixed seed), k = --k. scikit-learn (``solver='cd'``) runs --sk-iter
   iterations from a random start; its loss is the level. nmfkit on the device and the
   NumPy engine then run from the same start until they reach that level (the loss is
   checked every 10 iterations); the time to reach it is compared. X is moved to the
   device before the clock starts (the move is timed and printed apart).

Usage (on a machine with CUDA)::

    python benchmarks/gpu_check.py                      # 20000 x 20000, k = 100
    python benchmarks/gpu_check.py --json gpu.json

Without CUDA it says so and exits with status 3; ``--device cpu`` with a small --size
runs the same steps on the CPU (what the test suite does).
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from nmfkit import NMF
from nmfkit.arrays.engines import NumpyEngine
from nmfkit.core.losses import beta_divergence

CASES = [("hals", 2.0), ("bpp", 2.0), ("mu", 2.0), ("ccd", 1.0), ("mu", 1.0), ("mu", 0.5)]


def _host(A):
    return A.detach().cpu().numpy() if hasattr(A, "detach") else np.asarray(A)


def correctness(device, n=400, m=300, k=8, iters=10):
    """Largest relative difference device vs NumPy per case; all must be within tolerance."""
    import torch

    rng = np.random.default_rng(0)
    dense = rng.random((n, k)) @ rng.random((k, m))
    sparse = sp.random(n, m, density=0.05, random_state=1, format="csr")
    rows, ok = [], True
    for solver, beta in CASES:
        for name, X in (("dense", dense), ("sparse", sparse)):
            for dtype, tol in ((np.float64, 1e-6), (np.float32, 1e-3)):
                Xd = X.astype(dtype)
                kw = dict(init="random", random_state=0, solver=solver, beta_loss=beta)
                # CCD's path turns on last-bit differences (on sparse data, a column sum
                # added in another order can flip a step-halving decision, also between
                # two NumPy runs), so it is compared after one iteration
                kw.update(max_iter=1 if solver == "ccd" else iters, tol=0)
                ref = NMF(k, **kw)
                W_ref = ref.fit_transform(Xd)
                if sp.issparse(Xd):
                    c = Xd.tocoo()
                    idx = torch.as_tensor(np.vstack([c.row, c.col]))
                    Xt = torch.sparse_coo_tensor(idx, torch.as_tensor(c.data), c.shape)
                else:
                    Xt = torch.as_tensor(Xd)
                model = NMF(k, device=device, **kw)
                W = model.fit_transform(Xt.to(device))
                diff = max(
                    float(np.abs(_host(a) - b).max() / max(np.abs(b).max(), 1e-300))
                    for a, b in ((W, W_ref), (model.components_, ref.components_))
                )
                good = diff <= tol and str(W.device).startswith(device.split(":")[0])
                ok &= good
                rows.append(
                    dict(
                        solver=solver,
                        beta=beta,
                        data=name,
                        dtype=np.dtype(dtype).name,
                        rel_diff=diff,
                        ok=good,
                    )
                )
                print(
                    f"  {solver:5} beta={beta:<4g} {name:6} {np.dtype(dtype).name:8} "
                    f"rel. diff {diff:.1e} {'ok' if good else 'FAILED'}"
                )
    return ok, rows


def _synchronize(device):
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_to_level(make_model, X, level, sync=lambda: None):
    """Seconds until the fit's loss (checked every 10 iterations) is <= level."""
    reached = {}
    start = time.perf_counter()

    def callback(it, loss, W, H):
        if loss <= level:
            sync()
            reached["t"], reached["it"] = time.perf_counter() - start, it
            return True
        return False

    model = make_model(callback)
    model.fit(X)
    sync()
    total = time.perf_counter() - start
    return reached.get("t", float("inf")), reached.get("it", model.n_iter_), total


def speed(device, size, k, sk_iter, max_iter, skip_numpy):
    import torch
    from sklearn.decomposition import NMF as SkNMF

    rng = np.random.default_rng(0)
    print(f"making X: {size} x {size} float32, rank {k} + noise")
    X = rng.random((size, k), dtype=np.float32) @ rng.random((k, size), dtype=np.float32)
    X += 0.1 * rng.random((size, size), dtype=np.float32)
    W0 = np.abs(rng.standard_normal((size, k))).astype(np.float32) * 0.1
    H0 = np.abs(rng.standard_normal((k, size))).astype(np.float32) * 0.1
    out = {"size": size, "k": k, "sk_iter": sk_iter}

    start = time.perf_counter()
    sk = SkNMF(k, init="custom", solver="cd", max_iter=sk_iter, tol=0)
    W = sk.fit_transform(X, W=W0.copy(), H=H0.copy())
    out["sklearn_s"] = time.perf_counter() - start
    level = beta_divergence(X, W, sk.components_, 2.0, NumpyEngine())
    out["level"] = level
    print(f"scikit-learn cd: {sk_iter} iterations in {out['sklearn_s']:.1f} s, loss {level:.6e}")

    start = time.perf_counter()
    Xt = torch.as_tensor(X).to(device)
    W0t, H0t = torch.as_tensor(W0).to(device), torch.as_tensor(H0).to(device)
    _synchronize(device)
    out["transfer_s"] = time.perf_counter() - start

    def on_device(cb):
        return NMF(k, init="custom", device=device, max_iter=max_iter, tol=0, callback=cb)

    # warm up (CUDA context, kernels) on a small problem
    NMF(k, init="random", device=device, max_iter=2).fit(Xt[:512, :512].contiguous())
    t, it, total = time_to_level(
        lambda cb: _Custom(on_device(cb), W0t, H0t), Xt, level, lambda: _synchronize(device)
    )
    out.update(
        torch_s=t, torch_iter=it, torch_total_s=total, speedup_vs_sklearn=out["sklearn_s"] / t
    )
    print(
        f"nmfkit torch ({device}): level reached at iteration {it} in {t:.2f} s "
        f"({out['speedup_vs_sklearn']:.1f}x scikit-learn); X moved in {out['transfer_s']:.2f} s"
    )
    if not skip_numpy:

        def on_host(cb):
            return NMF(k, init="custom", max_iter=max_iter, tol=0, callback=cb)

        t, it, _ = time_to_level(lambda cb: _Custom(on_host(cb), W0, H0), X, level)
        out.update(numpy_s=t, numpy_iter=it, torch_vs_numpy=t / out["torch_s"])
        print(
            f"nmfkit numpy engine: level reached at iteration {it} in {t:.2f} s "
            f"(torch {out['torch_vs_numpy']:.1f}x faster)"
        )
    return out


class _Custom:
    """An estimator whose fit starts from fixed W0, H0 (init='custom')."""

    def __init__(self, model, W0, H0):
        self.model, self.W0, self.H0 = model, W0, H0

    def fit(self, X):
        copy = lambda A: A.clone() if hasattr(A, "clone") else A.copy()  # noqa: E731
        self.model.fit(X, W=copy(self.W0), H=copy(self.H0))
        self.n_iter_ = self.model.n_iter_
        return self


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--size", type=int, default=20000)
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--sk-iter", type=int, default=50, help="scikit-learn's iterations")
    p.add_argument("--max-iter", type=int, default=1000, help="cap for nmfkit's fits")
    p.add_argument("--skip-numpy", action="store_true", help="do not time the NumPy engine")
    p.add_argument("--skip-speed", action="store_true", help="correctness only")
    p.add_argument("--json", help="write the figures to this file")
    args = p.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install 'nmfkit[torch]'")
        return 3
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device here: nothing to check (use --device cpu for a dry run)")
        return 3
    warnings.simplefilter("ignore")
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"device: {args.device} ({name}), torch {torch.__version__}")
    print("correctness against the NumPy engine:")
    ok, rows = correctness(args.device)
    result = {"device": name, "correct": ok, "cases": rows}
    if not args.skip_speed:
        result["speed"] = speed(
            args.device, args.size, args.k, args.sk_iter, args.max_iter, args.skip_numpy
        )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    print("all correct" if ok else "SOME CASES FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
