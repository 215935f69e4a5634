"""Make the figures and numbers of the docs pages (needs ../shared/data and matplotlib).

Usage::

    python docs/make_figures.py            # writes docs/img/*.png, prints the numbers
"""

import gzip
import json
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from nmfkit import NMF, TopicModel
from nmfkit.images import normalize_contrast
from nmfkit.metrics import hoyer_sparseness
from nmfkit.plot import components_as_images, loss_curve, top_features

DOCS = Path(__file__).resolve().parent
DATA = DOCS.parents[1] / "shared" / "data"
IMG = DOCS / "img"


def olivetti():
    with np.load(DATA / "faces" / "olivetti_faces_64x64.npz", allow_pickle=False) as f:
        return f["images"].reshape(400, -1).astype(np.float64) / 255.0, f["target"]


def faces():
    raw, _ = olivetti()
    h_raw = hoyer_sparseness(NMF(49, random_state=0, max_iter=500).fit(raw).components_)[1]
    print(f"faces, raw intensities: Hoyer sparseness NMF {h_raw:.3f}")
    X = normalize_contrast(raw.reshape(400, 64, 64)).reshape(400, -1)
    nmf = NMF(49, random_state=0, max_iter=500).fit(X)
    pca = PCA(49, random_state=0).fit(X)
    h_nmf, h_pca = hoyer_sparseness(nmf.components_)[1], hoyer_sparseness(pca.components_)[1]
    fig, _ = components_as_images(
        nmf, (64, 64), title=f"NMF, k = 49 (Hoyer sparseness {h_nmf:.2f})"
    )
    fig.savefig(IMG / "faces_nmf.png", dpi=50, bbox_inches="tight")
    fig, _ = components_as_images(
        np.abs(pca.components_), (64, 64), title=f"PCA, |components| (Hoyer sparseness {h_pca:.2f})"
    )
    fig.savefig(IMG / "faces_pca.png", dpi=50, bbox_inches="tight")
    print(f"faces, Lee & Seung contrast: Hoyer sparseness NMF {h_nmf:.3f}, PCA {h_pca:.3f}")


def pipeline():
    X, y = olivetti()
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    for name, step in (
        ("NMF(40)", NMF(40, random_state=0, max_iter=400)),
        ("PCA(40)", PCA(40, random_state=0)),
    ):
        start = time.perf_counter()
        scores = cross_val_score(
            make_pipeline(step, LogisticRegression(max_iter=2000)), X, y, cv=cv
        )
        took = time.perf_counter() - start
        acc = f"{scores.mean():.3f} ± {scores.std():.3f}"
        print(f"pipeline {name} + LogisticRegression: {acc} ({took:.0f} s)")


def topic_words():
    path = DATA / "20newsgroups" / "20news_bydate.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        docs = [d["text"] for d in map(json.loads, f) if d["split"] == "train"]
    tm = TopicModel(20, min_df=5, max_df=0.5, random_state=0).fit(docs)
    fig, axes = top_features(tm.components_[:8], tm.vocabulary_, n=8, n_cols=4)
    fig.savefig(IMG / "topic_words.png", dpi=70, bbox_inches="tight")
    print(f"topics: mean NPMI {tm.coherence().mean:.3f}")


def loss_curves():
    X, _ = olivetti()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for solver in ("hals", "bpp", "mu"):
        model = NMF(40, solver=solver, random_state=0, max_iter=300, tol=0).fit(X)
        loss_curve(model, ax=axes, label=solver)
    fig.suptitle("Olivetti faces, k = 40")
    fig.savefig(IMG / "loss_curves.png", dpi=80, bbox_inches="tight")


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    IMG.mkdir(exist_ok=True)
    faces()
    pipeline()
    topic_words()
    loss_curves()
