"""Parts of Swimmer: how many of the 16 limb positions a k=17 fit recovers.

For random_state 0-9, each configuration fits the 256 Swimmer images (k=17). A limb
position counts as recovered when some component (the whole component, torso
included) has cosine ≥ 0.9 with it. Reported: the recovered count per start, and the
number of starts that recover all 16.

Usage::

    python benchmarks/swimmer.py

No number here is asserted in the tests.
"""

import warnings

import numpy as np
from sklearn.decomposition import NMF as SkNMF

from nmfkit import NMF
from nmfkit.datasets import make_swimmer, swimmer_parts

CONFIGS = {
    "nmfkit defaults": lambda s: NMF(17, random_state=s),
    "nmfkit init='random'": lambda s: NMF(17, init="random", random_state=s),
    "nmfkit init='nndsvdar', solver='cd'": lambda s: NMF(
        17, init="nndsvdar", solver="cd", random_state=s, max_iter=2000
    ),
    "scikit-learn cd defaults": lambda s: SkNMF(17, random_state=s, max_iter=2000),
    "scikit-learn cd init='random'": lambda s: SkNMF(
        17, init="random", random_state=s, max_iter=2000
    ),
}


def recovered(H, limbs):
    Hn = H / np.maximum(np.linalg.norm(H, axis=1, keepdims=True), 1e-300)
    Ln = limbs / np.linalg.norm(limbs, axis=1, keepdims=True)
    return int(((Ln @ Hn.T).max(axis=1) >= 0.9).sum())


def main():
    X, _ = make_swimmer()
    _, limbs = swimmer_parts()
    limbs = limbs.reshape(16, -1).astype(float)
    print("| configuration | limbs recovered, starts 0-9 | starts with all 16 |")
    print("|---|---|---:|")
    for name, make in CONFIGS.items():
        counts = []
        for seed in range(10):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = make(seed).fit(X)
            counts.append(recovered(model.components_, limbs))
        print(f"| {name} | {counts} | {sum(c == 16 for c in counts)}/10 |", flush=True)


if __name__ == "__main__":
    main()
