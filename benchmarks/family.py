"""The NMF family against its closest peers, in one run.

* SemiNMF on standardised digits (k = 10): clustering NMI against the labels and
  relative error ‖X − W H‖/‖X‖, medians over seeds, beside scikit-learn's KMeans (one
  k-means++ run per seed, as SemiNMF's start), the truncated SVD's error (the bound
  from below), and a naive NumPy transcription of Ding et al.'s multiplicative update.
* SymmetricNMF on 20 Newsgroups (train, TF-IDF, the k-NN cosine graph of
  ``similarity_graph``), and on planted stochastic block models (10 seeds, four signal
  strengths): NMI and time beside scikit-learn's SpectralClustering on the same graph.

Usage::

    python benchmarks/family.py [--only semi|symmetric|sbm] [--seeds 10] [--spectral-seeds 1]

SpectralClustering takes about 90 s on the 20 Newsgroups graph and gave the same NMI for
seeds 0-2, hence one seed by default.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.datasets import load_digits
from sklearn.metrics import normalized_mutual_info_score as nmi
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import SHARED, load_news_tfidf  # noqa: E402

from nmfkit import SemiNMF, SymmetricNMF, similarity_graph  # noqa: E402


def naive_semi_mu(X, k, seed, n_iter=200):
    """Ding, Li & Jordan's Algorithm (their X ≈ F Gᵀ, G ≥ 0) as the paper writes it:
    k-means start G + 0.2, F = X G (GᵀG)⁻¹, G ← G ∘ sqrt(([XᵀF]⁺ + G[FᵀF]⁻) /
    ([XᵀF]⁻ + G[FᵀF]⁺)), on the transposed data."""
    labels = KMeans(k, n_init=1, random_state=seed).fit(X).labels_
    G = np.eye(k)[labels] + 0.2
    Xt = X.T
    pos, neg = (lambda A: (np.abs(A) + A) / 2), (lambda A: (np.abs(A) - A) / 2)
    for _ in range(n_iter):
        F = Xt @ G @ np.linalg.inv(G.T @ G)
        XtF, FtF = Xt.T @ F, F.T @ F
        G = G * np.sqrt((pos(XtF) + G @ neg(FtF)) / np.maximum(neg(XtF) + G @ pos(FtF), 1e-12))
    F = Xt @ G @ np.linalg.pinv(G.T @ G)
    return G.argmax(axis=1), np.linalg.norm(Xt - F @ G.T)


def row(name, values, times):
    a = np.array(values)
    score, err = statistics.median(a[:, 0]), statistics.median(a[:, 1])
    return f"| {name} | {score:.3f} | {err:.4f} | {statistics.median(times):.2f} |"


def semi(seeds):
    digits = load_digits()
    X, y = StandardScaler().fit_transform(digits.data), digits.target
    k, norm = 10, np.linalg.norm(X)
    svd = np.sqrt((np.linalg.svd(X, compute_uv=False)[k:] ** 2).sum()) / norm
    print(f"SemiNMF, standardised digits {X.shape}, k = {k}, medians over {seeds} seeds\n")
    print("| method | NMI | relative error | seconds |")
    print("|---|---|---|---|")
    runs = {
        "scikit-learn KMeans (k-means++, 1 run)": lambda s: _kmeans(X, k, s),
        "nmfkit SemiNMF (ALS, default)": lambda s: _ours(SemiNMF(k, random_state=s), X),
        "nmfkit SemiNMF, the paper's labels (largest entry of W)": lambda s: _ours(
            SemiNMF(k, random_state=s), X, paper=True
        ),
        "nmfkit SemiNMF solver='mu' (the paper's update)": lambda s: _ours(
            SemiNMF(k, solver="mu", random_state=s), X
        ),
        "naive NumPy, the paper's update (200 iterations)": lambda s: naive_semi_mu(X, k, s),
    }
    for name, fit in runs.items():
        values, times = [], []
        for s in range(seeds):
            t = time.perf_counter()
            labels, err = fit(s)
            times.append(time.perf_counter() - t)
            values.append((nmi(y, labels), err / norm))
        print(row(name, values, times))
    values, times = [], []
    for s in range(min(seeds, 3)):  # convex NMF works on the 1797 × 1797 kernel: slow
        t = time.perf_counter()
        labels, err = _ours(SemiNMF(k, convex=True, random_state=s), X)
        times.append(time.perf_counter() - t)
        values.append((nmi(y, labels), err / norm))
    print(row(f"nmfkit SemiNMF convex=True ({len(times)} seeds)", values, times))
    print(
        f"| truncated SVD, rank {k} (the least error of any rank-{k} fit) | – | {svd:.4f} | – |\n"
    )
    other_sets(seeds)


def other_sets(seeds):
    """The same comparison on other standardised sets, NMI only (not tuned on)."""
    from sklearn.datasets import load_breast_cancer, load_iris, load_wine

    print(f"SemiNMF on other standardised sets, NMI medians over {seeds} seeds\n")
    print("| data | KMeans | SemiNMF | SemiNMF, the paper's labels | convex |")
    print("|---|---|---|---|---|")
    sets = (("wine", load_wine), ("iris", load_iris), ("breast cancer", load_breast_cancer))
    for name, load in sets:
        X, y = load(return_X_y=True)
        X, k = StandardScaler().fit_transform(X), len(set(y))
        runs = {"kmeans": [], "semi": [], "paper": [], "convex": []}
        for s in range(seeds):
            runs["kmeans"].append(nmi(y, _kmeans(X, k, s)[0]))
            runs["semi"].append(nmi(y, _ours(SemiNMF(k, random_state=s), X)[0]))
            runs["paper"].append(nmi(y, _ours(SemiNMF(k, random_state=s), X, paper=True)[0]))
            convex = SemiNMF(k, convex=True, random_state=s)
            runs["convex"].append(nmi(y, _ours(convex, X)[0]))
        cells = [statistics.median(v) for v in runs.values()]
        print(f"| {name} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    print()


def _kmeans(X, k, s):
    km = KMeans(k, n_init=1, random_state=s).fit(X)
    return km.labels_, np.sqrt(km.inertia_)


def _ours(model, X, paper=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = model.fit_predict(X)
    if paper:  # Ding et al.'s rule, for comparison with SemiNMF's own labels
        labels = model.transform(X).argmax(axis=1)
    return labels, model.reconstruction_err_


def news_graph(seeds, spectral_seeds):
    import gzip
    import json

    with gzip.open(SHARED / "20newsgroups" / "20news_bydate.jsonl.gz", "rt") as f:
        y = np.array([d["label"] for d in map(json.loads, f) if d["split"] == "train"])
    X = load_news_tfidf()
    t = time.perf_counter()
    A = similarity_graph(X)
    graph = time.perf_counter() - t
    print(f"SymmetricNMF, 20 Newsgroups train ({X.shape[0]} documents, TF-IDF), k = 20:")
    print(f"k-NN cosine graph ({A.nnz} links) built in {graph:.1f} s\n")
    print("| method | NMI median | NMI per seed | seconds median |")
    print("|---|---|---|---|")
    runs = [
        ("nmfkit SymmetricNMF (CD, default)", lambda s: SymmetricNMF(20, random_state=s), seeds),
        ("nmfkit SymmetricNMF solver='anls'",
         lambda s: SymmetricNMF(20, solver="anls", random_state=s), seeds),
        ("scikit-learn SpectralClustering(affinity='precomputed')",
         lambda s: SpectralClustering(20, affinity="precomputed", random_state=s), spectral_seeds),
    ]  # fmt: skip
    for name, make, n in runs:
        scores, times = [], []
        for s in range(n):
            t = time.perf_counter()
            labels = make(s).fit_predict(A)
            times.append(time.perf_counter() - t)
            scores.append(nmi(y, labels))
        per = " ".join(f"{v:.3f}" for v in scores)
        print(
            f"| {name} | {statistics.median(scores):.3f} | {per} | {statistics.median(times):.1f} |"
        )
    print()


def block_models(seeds):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_symmetric import sbm

    print(f"Planted block models (4 blocks of 40, p_out = 0.05, normalised adjacency), "
          f"NMI median over {seeds} seeds\n")  # fmt: skip
    print("| p_in | SymmetricNMF (ANLS) | SymmetricNMF (CD, default) | SpectralClustering |")
    print("|---|---|---|---|")
    for p_in in (0.3, 0.2, 0.15, 0.12):
        out = {"anls": [], "cd": [], "spectral": []}
        for s in range(seeds):
            A, y = sbm(s, p_in=p_in)
            scale = sp.diags(1 / np.sqrt(np.asarray(A.sum(axis=1)).ravel()))
            A = sp.csr_matrix(scale @ A @ scale)
            for solver in ("anls", "cd"):
                labels = SymmetricNMF(4, solver=solver, random_state=s).fit_predict(A)
                out[solver].append(nmi(y, labels))
            spectral = SpectralClustering(4, affinity="precomputed", random_state=s)
            out["spectral"].append(nmi(y, spectral.fit_predict(A)))
        cells = " | ".join(f"{statistics.median(v):.3f}" for v in out.values())
        print(f"| {p_in} | {cells} |")
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["semi", "symmetric", "sbm"])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--spectral-seeds", type=int, default=1)
    args = p.parse_args()
    warnings.simplefilter("ignore")
    if args.only in (None, "semi"):
        semi(args.seeds)
    if args.only in (None, "sbm"):
        block_models(args.seeds)
    if args.only in (None, "symmetric"):
        if not (SHARED / "20newsgroups").exists():
            print("20 Newsgroups not found under ../shared/data: skipped")
        else:
            news_graph(min(args.seeds, 8), args.spectral_seeds)


if __name__ == "__main__":
    main()
