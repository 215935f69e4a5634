"""KL on dense images: which solver should solver='auto' pick? nmfkit CCD and MU against
scikit-learn's MU, by time to scikit-learn's converged loss and loss at fixed times.

    python benchmarks/kl_dense.py [--seeds 3] [--k 49] [--seconds 20]

Data (from ../shared/data/faces): Olivetti (400 x 4096) and ORL (400 x 10304), pixel
values in [0, 1], KL loss, each library from its default initialisation (NNDSVDa for
both). For every seed:

- scikit-learn MU runs with its defaults (tol=1e-4, max_iter=200): its own converged
  loss L_sk and its time. Then with tol=0 and iteration budgets growing by sqrt 2, for
  its loss-against-time curve.
- nmfkit runs once per solver with tol=0 until ``--seconds``; a callback records the
  loss and the time at every check (every 10 iterations).

Reported: medians over seeds of the time to reach L_sk (ratio to scikit-learn's own
time to reach it), the loss at fixed times, and the number of dead components (a W
column or H row all zero) at the end. Timings are wall-clock on a shared machine: rerun
and compare ratios, not seconds.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.decomposition import NMF as SkNMF

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fair import time_to  # noqa: E402

from nmfkit import NMF  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"
DATA = {"olivetti": "olivetti_faces_64x64.npz", "orl": "orl_faces_112x92.npz"}


def load(name):
    with np.load(SHARED / DATA[name]) as f:
        images = f["images"]
    return images.reshape(len(images), -1).astype(np.float64) / 255.0


def kl(X, W, H):
    WH = W @ H
    mask = X > 0
    return float(np.sum(X[mask] * np.log(X[mask] / WH[mask])) - X.sum() + WH.sum())


def dead(W, H):
    return int(np.sum((W.max(axis=0) == 0) | (H.max(axis=1) == 0)))


def nmfkit_curve(X, k, solver, seed, seconds):
    points, start = [], [0.0]

    def record(n_iter, loss, W, H):
        points.append((time.perf_counter() - start[0], loss))
        return points[-1][0] > seconds

    model = NMF(k, beta_loss="kullback-leibler", solver=solver, random_state=seed,
                max_iter=100000, tol=0.0, callback=record)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start[0] = time.perf_counter()
        W = model.fit_transform(X)
    return points, dead(W, model.components_)


def sklearn_default(X, k, seed):
    model = SkNMF(k, beta_loss="kullback-leibler", solver="mu", random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        W = model.fit_transform(X)
        elapsed = time.perf_counter() - start
    return kl(X, W, model.components_), elapsed, dead(W, model.components_)


def sklearn_curve(X, k, seed, seconds):
    points, n = [], 10.0
    while True:
        model = SkNMF(k, beta_loss="kullback-leibler", solver="mu", random_state=seed,
                      max_iter=round(n), tol=0.0)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            W = model.fit_transform(X)
            points.append((time.perf_counter() - start, kl(X, W, model.components_)))
        if points[-1][0] > seconds:
            return points
        n *= 2**0.5


def loss_at(points, t):
    within = [loss for s, loss in points if s <= t]
    return min(within) if within else None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", nargs="*", default=list(DATA), choices=list(DATA))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--k", type=int, default=49)
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args(argv)
    budgets = [b for b in (1, 2, 5, 10, 20, 40) if b <= args.seconds]
    NMF(2, beta_loss="kullback-leibler", solver="ccd", max_iter=2).fit(np.ones((5, 5)))  # compile
    for name in args.data:
        X = load(name)
        rows = {}
        for seed in range(args.seeds):
            level, sk_time, sk_dead = sklearn_default(X, args.k, seed)
            runs = {"sklearn mu": (sklearn_curve(X, args.k, seed, args.seconds), sk_dead)}
            for solver in ("ccd", "mu"):
                runs[f"nmfkit {solver}"] = nmfkit_curve(X, args.k, solver, seed, args.seconds)
            for contender, (points, n_dead) in runs.items():
                r = rows.setdefault(contender, {"ratio": [], "at": [], "dead": [], "to": []})
                t = time_to(points, level)
                r["to"].append(t)
                r["ratio"].append(t / sk_time if t is not None else None)
                r["at"].append([loss_at(points, b) for b in budgets])
                r["dead"].append(n_dead)
            print(f"{name} seed {seed}: scikit-learn MU defaults: KL {level:.6g} in "
                  f"{sk_time:.2f} s", file=sys.stderr)  # fmt: skip
        print(f"\n### KL, {name} {X.shape}, k = {args.k}; medians over {args.seeds} seeds\n")
        head = "| contender | s to sklearn's converged KL | ÷ sklearn's time | dead at end |"
        head += "".join(f" KL at {b:g} s |" for b in budgets)
        print(head)
        print("|---|---:|---:|---:|" + "---:|" * len(budgets))
        for contender, r in rows.items():
            to, ratio = median(r["to"]), median(r["ratio"])
            at = [median([a[i] for a in r["at"]]) for i in range(len(budgets))]
            cells = [
                f"{to:.2f}" if to is not None else "not reached",
                f"{ratio:.2f}" if ratio is not None else "—",
                f"{statistics.median(r['dead']):g}",
            ] + [f"{a:.6g}" if a is not None else "—" for a in at]
            print(f"| {contender} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
