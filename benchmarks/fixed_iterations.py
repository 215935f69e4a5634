"""Seconds for a fixed number of iterations, nmfkit trees side by side with scikit-learn.

Each source tree of nmfkit runs in its own process (two versions cannot share one), on
the same data and seeds; scikit-learn's MU (and CD for Frobenius) runs in the first
process, as the common yardstick. Medians of --repeats; the ratio is to scikit-learn.
This is how the change to one BLAS thread per fit was measured (RELIABILITY.md)::

    git worktree add /tmp/before <commit>
    python benchmarks/fixed_iterations.py --tree /tmp/before/src --tree src

No number here is asserted in the tests: these machines are shared and noisy.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
# name, solver, beta, iterations
CASES = [
    ("mu", "mu", 2.0, 50),
    ("kl-mu", "mu", 1.0, 50),
    ("bpp", "bpp", 2.0, 50),
    ("hals", "hals", 2.0, 50),
    ("kl-ccd", "ccd", 1.0, 20),
]


def datasets():
    import scipy.sparse as sp

    out = {}
    faces = SHARED / "faces" / "olivetti_faces_64x64.npz"
    if faces.exists():
        with np.load(faces, allow_pickle=False) as f:
            X = f["images"].reshape(400, -1).astype(np.float64)
        out["olivetti"] = (X - X.min()) / (X.max() - X.min())
    out["sparse 5000x8000"] = sp.random(5000, 8000, density=0.01, format="csr", random_state=0)
    out["dense 2000x1500"] = np.random.default_rng(0).random((2000, 1500))
    return out


def _time(make, X, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        make().fit(X)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def worker(tree, repeats, with_sklearn):
    sys.path.insert(0, tree)
    warnings.simplefilter("ignore")
    from sklearn.decomposition import NMF as SkNMF

    from nmfkit import NMF

    rows = []
    for data_name, X in datasets().items():
        for name, solver, beta, n in CASES:
            Xc = X + 1e-3 if beta != 2 and not hasattr(X, "nnz") else X

            def ours(solver=solver, beta=beta, n=n):
                return NMF(20, solver=solver, beta_loss=beta, max_iter=n, tol=0, random_state=0)

            row = {"data": data_name, "case": name, "nmfkit": _time(ours, Xc, repeats)}
            if with_sklearn:
                sk_solver = "mu" if beta != 2 or solver == "mu" else "cd"

                def theirs(beta=beta, n=n, sk_solver=sk_solver):
                    return SkNMF(20, solver=sk_solver, beta_loss=beta, max_iter=n, tol=0,
                                 random_state=0)  # fmt: skip

                row["sklearn"] = _time(theirs, Xc, repeats)
                row["sklearn solver"] = sk_solver
            rows.append(row)
    print(json.dumps(rows))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tree", action="append", required=True, help="a src/ folder of nmfkit")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--sklearn", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args.worker, args.repeats, args.sklearn)
    results = []
    for i, tree in enumerate(args.tree):
        cmd = [sys.executable, __file__, "--tree", tree, "--worker", tree]
        cmd += ["--repeats", str(args.repeats)] + (["--sklearn"] if i == 0 else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    trees = range(len(args.tree))
    header = f"{'data':<18}{'case':<8}" + "".join(f"{'tree ' + str(i):>10}" for i in trees)
    print(header + f"{'sklearn':>10}" + "".join(f"{'ratio ' + str(i):>9}" for i in trees))
    for rows in zip(*results):
        sk = rows[0]["sklearn"]
        line = f"{rows[0]['data']:<18}{rows[0]['case']:<8}"
        line += "".join(f"{r['nmfkit']:>10.3f}" for r in rows) + f"{sk:>10.3f}"
        line += "".join(f"{sk / r['nmfkit']:>9.2f}" for r in rows)
        print(line)


if __name__ == "__main__":
    main()
