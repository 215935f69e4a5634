"""Constraints on the factors: what they give and what they cost.

* Hoyer sparseness: Olivetti faces (400 x 4096), k = 49, ``Hoyer('H', 0.7)``: the
  measured sparseness of every component, and the relative error beside the
  unconstrained fit's (both 200 iterations from the same NNDSVDA start).
* Orthogonal NMF as clustering: 20 Newsgroups TF-IDF (11314 training documents,
  L2-normalised rows), k = 20: NMI of the hard clustering (each document's one
  component) with the newsgroups, against scikit-learn's k-means on the same matrix
  (k-means++, one run per seed) and the dominant component of plain NMF; seconds each.
  Medians over seeds 0-4.
* Cost per iteration: Olivetti, k = 49, 50 iterations from the same start, for each
  constraint, against the unconstrained fit (solver 'hals', what ``NMF()`` runs);
  median of 3 repeats.

Usage::

    python benchmarks/constraints.py [--only hoyer|orthogonal|cost]
"""

import argparse
import gzip
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import SHARED, load_news_tfidf, load_olivetti  # noqa: E402

from nmfkit import NMF, Box, Frozen, Hoyer, MinVolume, Orthogonal, Simplex  # noqa: E402
from nmfkit.metrics import hoyer_sparseness  # noqa: E402


def hoyer():
    X = load_olivetti()
    print("Olivetti, k = 49, 200 iterations from NNDSVDA\n")
    print("| fit | sparseness of H (min / max) | max abs(s - 0.7) | relative error | seconds |")
    print("|---|---|---|---|---|")
    for name, constraints in (("unconstrained", None), ("Hoyer('H', 0.7)", [Hoyer("H", 0.7)])):
        t = time.perf_counter()
        m = NMF(49, init="nndsvda", max_iter=200, tol=0.0, constraints=constraints)
        W = m.fit_transform(X)
        sec = time.perf_counter() - t
        s = hoyer_sparseness(m.components_)[0]
        err = np.linalg.norm(X - W @ m.components_) / np.linalg.norm(X)
        print(
            f"| {name} | {s.min():.6f} / {s.max():.6f} | {np.abs(s - 0.7).max():.2e} "
            f"| {err:.4f} | {sec:.1f} |",
            flush=True,
        )


def orthogonal(seeds):
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score as nmi

    X = load_news_tfidf()
    with gzip.open(SHARED / "20newsgroups" / "20news_bydate.jsonl.gz", "rt") as f:
        y = [d["label_id"] for d in map(json.loads, f) if d["split"] == "train"]
    print(f"\n20 Newsgroups TF-IDF {X.shape[0]} x {X.shape[1]}, k = 20, seeds {seeds}\n")
    rows = {"orthogonal NMF (Orthogonal('W'))": [], "k-means (k-means++)": [],
            "plain NMF, dominant component": []}  # fmt: skip
    for seed in seeds:
        t = time.perf_counter()
        W = NMF(20, constraints=[Orthogonal("W")], random_state=seed).fit_transform(X)
        rows["orthogonal NMF (Orthogonal('W'))"].append(
            (nmi(y, W.argmax(1)), time.perf_counter() - t)
        )
        t = time.perf_counter()
        km = KMeans(20, random_state=seed, n_init=1).fit(X)
        rows["k-means (k-means++)"].append((nmi(y, km.labels_), time.perf_counter() - t))
        t = time.perf_counter()
        W = NMF(20, random_state=seed).fit_transform(X)
        rows["plain NMF, dominant component"].append((nmi(y, W.argmax(1)), time.perf_counter() - t))
        print(
            f"seed {seed}: " + ", ".join(f"{k} {v[-1][0]:.3f}" for k, v in rows.items()), flush=True
        )
    print("\n| method | NMI (median) | NMI per seed | seconds (median) |")
    print("|---|---|---|---|")
    for name, r in rows.items():
        per = " ".join(f"{a:.3f}" for a, _ in r)
        print(f"| {name} | {statistics.median(a for a, _ in r):.3f} | {per} | "
              f"{statistics.median(b for _, b in r):.2f} |")  # fmt: skip


def cost(repeats=3, iters=50):
    X = load_olivetti()
    k = 49
    base = NMF(k, init="nndsvda", max_iter=1).fit(X)
    W0, H0 = base.W_, base.components_
    cases = {
        "unconstrained (hals)": (None, "auto"),
        "unconstrained (apg)": (None, "apg"),
        "Simplex('W')": ([Simplex("W")], "auto"),
        "Box('W', 0, 0.5)": ([Box("W", 0.0, 0.5)], "auto"),
        "Hoyer('H', 0.7)": ([Hoyer("H", 0.7)], "auto"),
        "Orthogonal('W')": ([Orthogonal("W")], "auto"),
        "Frozen('H', first 24)": ([Frozen("H", range(24))], "auto"),
        "MinVolume('H')": ([MinVolume("H")], "auto"),
        "Simplex('W') + MinVolume('H')": ([Simplex("W"), MinVolume("H")], "auto"),
    }
    print(f"\nOlivetti, k = {k}: ms per iteration ({iters} iterations, median of {repeats})\n")
    print("| fit | ms / iteration | ÷ unconstrained (hals) |")
    print("|---|---|---|")
    ref = None
    for name, (constraints, solver) in cases.items():
        times = []
        for _ in range(repeats):
            m = NMF(k, init="custom", solver=solver, max_iter=iters, tol=0.0,
                    constraints=constraints)  # fmt: skip
            m.fit(X, W=W0.copy(), H=H0.copy())
            times.append(m.loss_times_[-1] / m.n_iter_ * 1e3)
        ms = statistics.median(times)
        ref = ms if ref is None else ref
        print(f"| {name} | {ms:.1f} | {ms / ref:.2f} |", flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["hoyer", "orthogonal", "cost"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    if args.only in (None, "hoyer"):
        hoyer()
    if args.only in (None, "orthogonal"):
        orthogonal(args.seeds)
    if args.only in (None, "cost"):
        cost()


if __name__ == "__main__":
    main()
