"""Convolutive NMF: separation of the synthetic two-source mixture, and the solver's speed.

* Separation (``nmfkit.applications.audio.synthetic_sources``, 4 s at 8 kHz, STFT 512 /
  hop 128: 253 frames x 257 bins), seeds 0-4: ConvolutiveNMF (KL, 2 patterns of 12
  frames) against plain KL-NMF with 2 and 4 components (nmfkit's ``NMF(solver='mu')`` and
  scikit-learn's ``NMF(beta_loss='kullback-leibler', solver='mu')``), every method with
  the oracle grouping of components into sources and the same soft masks; median SDR /
  SIR (``mir_eval``) and fit time. The mixture halved for each source is the floor.
* Speed: a naive NMFD written as the update reads (a loop over t, each shift a copy of
  the shifted matrix) from the same start as ConvolutiveNMF: time per iteration and the
  largest relative difference of the two objective curves (they run the same update).
* Planted (Frobenius): X = Σₜ Sₜ(W) Hₜ exactly (120 frames x 30 bins, 3 patterns of 5
  frames), fitted from random starts (seeds 0-4) by solver='cd' and solver='mu': the
  relative error after 200, 1000 and 2000 iterations, and the time.

Usage::

    pip install mir_eval
    python benchmarks/convolutive.py
"""

import statistics
import time
import warnings

import numpy as np
from sklearn.decomposition import NMF as SklearnNMF

from nmfkit import NMF, ConvolutiveNMF
from nmfkit.applications.audio import (
    component_parts,
    oracle_labels,
    separate,
    spectrogram,
    synthetic_sources,
)
from nmfkit.core.losses import EPSILON

SR, N_FFT, HOP, T = 8000, 512, 128, 12
SEEDS = range(5)


def shift(A, t):
    """A's rows moved down by t (up for t < 0), zeros filling in: a new array."""
    out = np.zeros_like(A)
    if t >= 0:
        out[t:] = A[: A.shape[0] - t]
    else:
        out[:t] = A[-t:]
    return out


def naive_nmfd(X, W, H, n_iter):
    """KL-NMFD written out: Λ = Σₜ shift(W, t) Hₜ, then W and every Hₜ multiplicatively.

    Returns W, H and the KL objective after each iteration.
    """
    W, H = W.copy(), H.copy()
    ones = np.ones_like(X)

    def lam():
        L = np.zeros_like(X)
        for t in range(H.shape[0]):
            L += shift(W, t) @ H[t]
        return np.maximum(L, EPSILON)

    curve = []
    for _ in range(n_iter):
        Q = X / lam()
        num = sum(shift(Q, -t) @ H[t].T for t in range(H.shape[0]))
        den = sum(shift(ones, -t) @ H[t].T for t in range(H.shape[0]))
        W *= num / np.maximum(den, EPSILON)
        Q = X / lam()
        for t in range(H.shape[0]):
            Wt = shift(W, t)
            H[t] *= (Wt.T @ Q) / np.maximum(Wt.T @ ones, EPSILON)
        L = lam()
        curve.append(float((X * np.log(np.maximum(X, 1e-300) / L) - X + L).sum()))
    return W, H, curve


def scores(sources, estimates):
    import mir_eval

    sdr, sir, _, _ = mir_eval.separation.bss_eval_sources(sources, estimates)
    return float(sdr.mean()), float(sir.mean())


def methods(seed):
    return {
        "nmfkit ConvolutiveNMF (k=2, T=12)": ConvolutiveNMF(2, pattern_length=T, random_state=seed),
        "nmfkit NMF mu (k=2)": NMF(2, solver="mu", beta_loss="kullback-leibler", init="random",
                                   random_state=seed),
        "scikit-learn NMF mu (k=2)": SklearnNMF(2, solver="mu", beta_loss="kullback-leibler",
                                                init="random", random_state=seed),
        "nmfkit NMF mu (k=4)": NMF(4, solver="mu", beta_loss="kullback-leibler", init="random",
                                   random_state=seed),
        "scikit-learn NMF mu (k=4)": SklearnNMF(4, solver="mu", beta_loss="kullback-leibler",
                                                init="random", random_state=seed),
    }  # fmt: skip


def separation():
    results = {}
    for seed in SEEDS:
        sources = synthetic_sources(SR, 4.0, random_state=seed)
        mixture = sources.sum(axis=0)
        S, stft = spectrogram(mixture, SR, n_fft=N_FFT, hop=HOP)
        truth = np.stack([spectrogram(s, SR, n_fft=N_FFT, hop=HOP)[0] for s in sources])
        for name, model in methods(seed).items():
            start = time.perf_counter()
            W = model.fit_transform(S)
            seconds = time.perf_counter() - start
            parts = component_parts(model, W)
            estimates = separate(stft, parts, oracle_labels(parts, truth))
            results.setdefault(name, []).append((*scores(sources, estimates), seconds))
        jitter = 1e-9 * np.random.default_rng(seed).standard_normal(sources.shape)
        results.setdefault("mixture / 2 (floor)", []).append(
            (*scores(sources, mixture / 2 + jitter), 0.0)
        )
    print(f"Separation, seeds {SEEDS.start}-{SEEDS.stop - 1}, {S.shape[0]} frames x "
          f"{S.shape[1]} bins, oracle grouping, masks Λⱼ / Σ Λᵢ\n")  # fmt: skip
    print("| method | median SDR (dB) | median SIR (dB) | SDR per seed | median fit (s) |")
    print("|---|---|---|---|---|")
    for name, rows in results.items():
        sdr, sir, sec = (statistics.median(r[i] for r in rows) for i in range(3))
        each = " ".join(f"{r[0]:.1f}" for r in rows)
        print(f"| {name} | {sdr:.1f} | {sir:.1f} | {each} | {sec:.3f} |")


def speed(n_iter=50):
    sources = synthetic_sources(SR, 4.0, random_state=0)
    S, _ = spectrogram(sources.sum(axis=0), SR, n_fft=N_FFT, hop=HOP)
    rng = np.random.default_rng(0)
    W0 = rng.random((S.shape[0], 2)) + 0.01
    H0 = rng.random((T, 2, S.shape[1])) + 0.01
    scale = np.sqrt(S.mean() / sum(shift(W0, t) @ H0[t] for t in range(T)).mean())
    W0, H0 = W0 * scale, H0 * scale
    start = time.perf_counter()
    _, _, naive_curve = naive_nmfd(S, W0, H0, n_iter)
    naive = (time.perf_counter() - start) / n_iter
    best = []
    for _ in range(3):
        model = ConvolutiveNMF(2, pattern_length=T, init="custom", tol=0, max_iter=n_iter)
        start = time.perf_counter()
        model.fit_transform(S, W=W0, H=H0.transpose(1, 0, 2))
        best.append((time.perf_counter() - start) / n_iter)
    ours = min(best)
    # the Loop checks every 10 iterations: compare there
    gap = max(abs(a - b) / b for a, b in zip(model.loss_curve_[1:], naive_curve[9::10]))
    print(f"\nSpeed, KL, k=2, T={T}, {S.shape[0]} x {S.shape[1]}, {n_iter} iterations "
          "from one start\n")  # fmt: skip
    print("| implementation | ms per iteration | objective after | largest rel. gap |")
    print("|---|---|---|---|")
    print(f"| naive NumPy NMFD (loop over t, copies) | {1e3 * naive:.2f} | "
          f"{naive_curve[-1]:.6g} | |")  # fmt: skip
    print(f"| nmfkit ConvolutiveNMF | {1e3 * ours:.2f} | {model.loss_curve_[-1]:.6g} | "
          f"{gap:.1e} |")  # fmt: skip
    print(f"\nratio naive / nmfkit: {naive / ours:.1f}x")


def planted(seeds=range(5), budgets=(200, 1000, 2000)):
    from nmfkit.core.family.convolutive import reconstruct

    rng = np.random.default_rng(0)
    W = (rng.random((120, 3)) < 0.15) * rng.random((120, 3))
    X = reconstruct(W, rng.random((5, 3, 30)))
    norm = np.linalg.norm(X)
    print("\nPlanted, Frobenius, 120 x 30, k=3, T=5, random starts (seeds 0-4): median relative")
    print("error after each budget of iterations, and per seed after the last\n")
    print("| solver | " + " | ".join(f"{b} iterations" for b in budgets)
          + " | per seed | seconds for the last |")  # fmt: skip
    print("|---|" + "---|" * (len(budgets) + 2))
    for solver in ("cd", "mu"):
        errs, times = {b: [] for b in budgets}, []
        for seed in seeds:
            for b in budgets:
                model = ConvolutiveNMF(3, pattern_length=5, beta_loss=2, solver=solver, tol=0,
                                       max_iter=b, random_state=seed)  # fmt: skip
                start = time.perf_counter()
                A = model.fit_transform(X)
                elapsed = time.perf_counter() - start
                errs[b].append(np.linalg.norm(model.inverse_transform(A) - X) / norm)
            times.append(elapsed)
        cells = " | ".join(f"{statistics.median(errs[b]):.1e}" for b in budgets)
        per = " ".join(f"{e:.0e}" for e in errs[budgets[-1]])
        print(f"| {solver} | {cells} | {per} | {statistics.median(times):.2f} |")


if __name__ == "__main__":
    warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter; mir_eval deprecation
    separation()
    speed()
    planted()
