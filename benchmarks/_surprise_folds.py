"""Worker for benchmarks/recommender.py: scikit-surprise's SVD and NMF on given folds.

Runs in whatever Python has scikit-surprise (it needs NumPy < 2, so often a separate
virtual environment); needs only NumPy and scikit-surprise (ratings go to Surprise
through a temporary file, so no pandas). Reads the ratings and the
test indices of each fold from an .npz, fits each algorithm with its defaults (seeded)
on every training fold, and writes the test predictions and fit times to another .npz.

Usage::

    python benchmarks/_surprise_folds.py folds.npz predictions.npz
"""

import os
import sys
import tempfile
import time

import numpy as np
from surprise import NMF, SVD, Dataset, Reader


def main(src, dst):
    f = np.load(src, allow_pickle=False)
    users, items, ratings = f["users"], f["items"], f["ratings"]
    out = {}
    for name, make in (("SVD", lambda: SVD(random_state=0)), ("NMF", lambda: NMF(random_state=0))):
        preds, times = [], []
        for fold in range(int(f["n_folds"])):
            test = f[f"test_{fold}"]
            mask = np.ones(len(ratings), dtype=bool)
            mask[test] = False
            with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as tmp:
                for u, i, r in zip(users[mask], items[mask], ratings[mask]):
                    tmp.write(f"{u}\t{i}\t{r}\n")
            reader = Reader(line_format="user item rating", sep="\t", rating_scale=(1, 5))
            trainset = Dataset.load_from_file(tmp.name, reader).build_full_trainset()
            os.unlink(tmp.name)
            algo = make()
            start = time.perf_counter()
            algo.fit(trainset)
            times.append(time.perf_counter() - start)
            pairs = zip(users[test], items[test])
            preds.append(np.array([algo.predict(str(u), str(i)).est for u, i in pairs]))
        out[f"{name}_times"] = np.array(times)
        for fold, p in enumerate(preds):
            out[f"{name}_pred_{fold}"] = p
    np.savez(dst, **out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
