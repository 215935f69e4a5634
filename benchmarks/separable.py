"""Separable NMF (SPA, SNPA): speed on text, endmembers of a real scene, robustness.

* 20 Newsgroups TF-IDF, anchor words: the rows of Xᵀ (terms × documents) that SPA and
  SNPA pick, k = 20, with their time; against a naive NumPy SPA that keeps the dense
  residual (the paper's update written out), on the first 3000 documents (the dense
  residual of the whole matrix would be 2.3 GB).
* Samson: SNPA's and SPA's endmembers (the pixels picked), mean spectral angle to the
  reference, next to ``Unmixing``'s.
* Planted separable data with noise: share of 10 seeds in which each method finds
  exactly the anchors, as the noise grows.

Usage::

    python benchmarks/separable.py
"""

import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import SHARED, load_news_tfidf  # noqa: E402

from nmfkit import SeparableNMF, Unmixing  # noqa: E402
from nmfkit.core.separable import snpa_rows, spa_rows  # noqa: E402
from nmfkit.metrics import match_spectra  # noqa: E402


def naive_spa(X, k):
    """SPA as the papers write it: the residual matrix, projected at each pick."""
    R = np.array(X, dtype=np.float64)
    picks = []
    for _ in range(k):
        i = int(np.argmax(np.einsum("ij,ij->i", R, R)))
        picks.append(i)
        u = R[i] / np.linalg.norm(R[i])
        R -= np.outer(R @ u, u)
    return picks


def timed(fn, *args, repeats=3):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def news():
    X = load_news_tfidf()
    T = X.T.tocsr()  # terms x documents: anchor words are rows
    print(f"20 Newsgroups TF-IDF: anchor words among {T.shape[0]} terms, k = 20\n")
    print("| method | input | seconds (median of 3) | first anchors |")
    print("|---|---|---|---|")
    for name, fn in (("SPA", spa_rows), ("SNPA", snpa_rows)):
        picks, sec = timed(fn, T, 20)
        print(f"| nmfkit {name} | all 11314 documents (sparse) | {sec:.2f} | {picks[:5]} |")
    small = T[:, :3000].toarray()
    picks, sec = timed(naive_spa, small, 20)
    ours, sec2 = timed(spa_rows, T[:, :3000].tocsr(), 20)
    print(
        f"| naive SPA (dense residual) | first 3000 documents (dense) | {sec:.2f} | {picks[:5]} |"
    )
    print(f"| nmfkit SPA | first 3000 documents (sparse) | {sec2:.2f} | {ours[:5]} "
          f"(same picks: {picks == ours}) |")  # fmt: skip


def samson():
    with np.load(SHARED / "hyperspectral" / "samson.npz", allow_pickle=False) as f:
        X, E = f["Y"].T, f["E"].T
    print("\nSamson (9025 pixels x 156 bands, k = 3): endmembers against the reference\n")
    print("| method | mean SAD (rad) | seconds |")
    print("|---|---|---|")
    for method in ("spa", "snpa"):
        model, sec = timed(lambda m=method: SeparableNMF(3, method=m).fit(X), repeats=1)
        sad = match_spectra(model.components_, E)[2].mean()
        print(f"| SeparableNMF(method='{method}') | {sad:.3f} | {sec:.2f} |")
    model, sec = timed(lambda: Unmixing(3).fit(X), repeats=1)
    print(f"| Unmixing() (SPA start, minimum volume) | "
          f"{match_spectra(model.components_, E)[2].mean():.3f} | {sec:.2f} |")  # fmt: skip


def robustness(seeds=10):
    def planted(seed, noise, k=5, n=300, m=40):
        rng = np.random.default_rng(seed)
        H = rng.random((k, m))
        mixed = rng.dirichlet(np.full(k, 0.5), size=n) * rng.uniform(0.5, 1.0, (n, 1))
        X = np.vstack([H, mixed @ H])
        X = np.clip(X + noise * X.mean() * rng.normal(size=X.shape), 0, None)
        return X

    print(f"\nPlanted separable data (5 anchors among 305 rows), noise per entry as a share "
          f"of X's mean: exact anchors in {seeds} seeds\n")  # fmt: skip
    print("| noise | SPA | SNPA |")
    print("|---|---|---|")
    for noise in (0.0, 0.02, 0.05, 0.1, 0.2, 0.3):
        hits = {m: 0 for m in ("spa", "snpa")}
        for seed in range(seeds):
            X = planted(seed, noise)
            for m in hits:
                hits[m] += sorted(SeparableNMF(5, method=m).fit(X).anchors_.tolist()) == list(
                    range(5)
                )
        print(f"| {noise:.2f} | {hits['spa']}/{seeds} | {hits['snpa']}/{seeds} |", flush=True)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    news()
    samson()
    robustness()
