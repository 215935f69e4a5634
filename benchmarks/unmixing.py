"""Hyperspectral unmixing: Samson against its reference, and simulated scenes.

Samson (``../shared/data/hyperspectral/samson.npz``, 9025 pixels x 156 bands, 3
materials): every method unmixes ``Y.T`` with k = 3; the found endmembers are paired
with the reference by least spectral angle (Hungarian), and reported are the mean
spectral angle (SAD, radians) and the abundance RMSE against the reference maps, as
the data set's README scores them (each pixel's abundances normalised to sum to one).
A second RMSE expresses the abundances against endmembers scaled to a maximum of 1, as
the reference spectra are ("max-1"), since the reference abundances belong to those.
Medians over seeds 0-4 (SPA, the default start of ``Unmixing``, is deterministic).

Rows: plain NMF (scikit-learn cd and nmfkit), simplex only (abundances on the
simplex, no volume penalty), minimum volume only (no simplex), and ``Unmixing()`` with
its defaults.

``--synthetic``: simulated scenes that no default was tuned on (smooth random spectra,
Dirichlet abundances without pure pixels, per-pixel shading, Gaussian noise at 20, 30,
40 dB): mean SAD and abundance RMSE (abundances against the true endmembers' scale)
for plain NMF and for ``Unmixing(min_volume=λ̃)``, λ̃ from 0.03 to 1.

Usage::

    python benchmarks/unmixing.py
    python benchmarks/unmixing.py --synthetic --scenes 6
"""

import argparse
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

from nmfkit import NMF, MinVolume, Simplex, Unmixing
from nmfkit.metrics import match_spectra

SAMSON = Path(__file__).resolve().parents[2] / "shared" / "data" / "hyperspectral" / "samson.npz"


def scores(abundances, H, E, A, scale=None):
    """(SAD, RMSE as the README scores it, RMSE with the abundances against endmembers
    scaled as the reference's are: to a maximum of 1 for Samson (``scale=None``), or,
    with ``scale='reference'``, to the reference endmembers' own sums)."""
    rows, cols, angles = match_spectra(H, E)
    out = [float(angles.mean())]
    if scale == "reference":
        factor = np.zeros(H.shape[0])
        factor[rows] = H[rows].sum(axis=1) / E[cols].sum(axis=1)
    else:
        factor = H.max(axis=1)
    for W in (abundances, abundances * factor):
        M = np.zeros_like(A)
        M[:, cols] = W[:, rows]
        S = M / np.maximum(M.sum(axis=1, keepdims=True), 1e-300)
        out.append(float(np.sqrt(np.mean((S - A) ** 2))))
    return out


def methods():
    """name -> fit(X, seed) returning (abundances, endmembers)."""

    def sk(init):
        def fit(X, seed):
            from sklearn.decomposition import NMF as SkNMF

            m = SkNMF(3, solver="cd", init=init, max_iter=1000, random_state=seed)
            return m.fit_transform(X), m.components_

        return fit

    def ours(constraints, init):
        def fit(X, seed):
            m = NMF(3, init=init, constraints=constraints, max_iter=1000, tol=1e-5,
                    random_state=seed)  # fmt: skip
            return m.fit_transform(X), m.components_

        return fit

    def unmixing(**kw):
        def fit(X, seed):
            m = Unmixing(3, random_state=seed, **kw)
            return m.fit_transform(X), m.components_

        return fit

    return {
        "scikit-learn NMF (cd, its default start)": sk(None),
        "scikit-learn NMF (cd, init='random': the README's figure)": sk("random"),
        "nmfkit NMF": ours(None, None),
        "simplex only (Simplex('W'), SPA start)": ours([Simplex("W")], "spa"),
        "min-volume only (MinVolume('H'), SPA start)": ours([MinVolume("H")], "spa"),
        "Unmixing(min_volume=0) (pixels normalised, simplex)": unmixing(min_volume=0.0),
        "Unmixing() defaults": unmixing(),
    }


def samson(seeds):
    with np.load(SAMSON, allow_pickle=False) as f:
        X, E, A = f["Y"].T, f["E"].T, f["A"].T
    print(f"Samson: {X.shape[0]} pixels x {X.shape[1]} bands, k = 3, seeds {seeds}\n")
    print("| method | mean SAD (rad) | abundance RMSE (README) | RMSE (max-1) | seconds |")
    print("|---|---|---|---|---|")
    for name, fit in methods().items():
        rows = []
        for seed in seeds:
            t = time.perf_counter()
            W, H = fit(X, seed)
            rows.append([*scores(W, H, E, A), time.perf_counter() - t])
        med = [statistics.median(r[i] for r in rows) for i in range(4)]
        print(f"| {name} | {med[0]:.3f} | {med[1]:.3f} | {med[2]:.3f} | {med[3]:.1f} |", flush=True)


def scene(seed, k, purity, snr, n=4000, m=120):
    """A simulated scene: pixels x bands, endmembers, abundances."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, m)
    E = np.zeros((k, m))
    for j in range(k):
        for _ in range(4):
            width = rng.uniform(0.05, 0.3)
            E[j] += rng.uniform(0.2, 1) * np.exp(-((x - rng.uniform(0, 1)) ** 2) / (2 * width**2))
        E[j] = 0.05 + E[j] / E[j].max() * rng.uniform(0.2, 0.9)
    A = rng.dirichlet(np.full(k, 0.7), size=n)
    A = A[A.max(axis=1) <= purity]  # no pure pixels: what SPA alone cannot find
    shade = rng.uniform(0.6, 1.0, size=(A.shape[0], 1))
    X = shade * (A @ E)
    X += rng.normal(size=X.shape) * np.sqrt((X**2).mean() / 10 ** (snr / 10))
    return np.clip(X, 0, None), E, A


def synthetic(n_scenes):
    lams = [0.03, 0.1, 0.3, 1.0]
    print(
        "| scene (seed, k, purity, SNR) | plain NMF | " + " | ".join(f"λ̃={v}" for v in lams) + " |"
    )
    print("|---|" + "---|" * (len(lams) + 1))
    table = []
    for seed in range(n_scenes):
        k, purity = 3 + seed % 3, (0.7, 0.8, 0.9)[seed % 3]
        for snr in (20, 30, 40):
            X, E, A = scene(seed, k, purity, snr)
            row = []
            m = NMF(k, max_iter=1000, random_state=0)
            row.append(scores(m.fit_transform(X), m.components_, E, A, "reference")[::2])
            for lam in lams:
                u = Unmixing(k, min_volume=lam)
                row.append(scores(u.fit_transform(X), u.components_, E, A, "reference")[::2])
            table.append(row)
            cells = " | ".join(f"{a:.3f} / {b:.3f}" for a, b in row)
            print(f"| {seed}, {k}, {purity}, {snr} dB | {cells} |", flush=True)
    med = np.median(np.array(table), axis=0)
    print("| **median** (SAD / RMSE) | " + " | ".join(f"{a:.3f} / {b:.3f}" for a, b in med) + " |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--synthetic", action="store_true", help="simulated scenes instead")
    p.add_argument("--scenes", type=int, default=6)
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    if args.synthetic:
        synthetic(args.scenes)
    else:
        samson(args.seeds)


if __name__ == "__main__":
    main()
