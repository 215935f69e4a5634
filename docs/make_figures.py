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

from nmfkit import NMF, Hoyer, TopicModel, Unmixing
from nmfkit.images import normalize_contrast
from nmfkit.metrics import hoyer_sparseness, match_spectra
from nmfkit.plot import components_as_images, loss_curve, top_features, unmixing

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


def samson():
    """docs/unmixing.md: Samson's maps and spectra beside the reference."""
    with np.load(DATA / "hyperspectral" / "samson.npz", allow_pickle=False) as f:
        Y, E, A, rows, cols = f["Y"], f["E"].T, f["A"], int(f["n_rows"]), int(f["n_cols"])
    # pixels in MATLAB (column-major) order -> row-major, as image_shape expects
    order = np.arange(rows * cols).reshape(cols, rows).T.ravel()
    X, A = Y.T[order], A.T[order]
    model = Unmixing(3, image_shape=(rows, cols)).fit(X)
    r, c, angles = match_spectra(model.components_, E)
    perm = r[np.argsort(c)]  # found component of each reference material
    ref_maps = A.T.reshape(3, rows, cols)[np.argsort(perm)]
    ref_spectra = E[np.argsort(perm)]
    names = ["soil", "tree", "water"]
    titles = [names[c[list(r).index(j)]] for j in range(3)]
    fig, _ = unmixing(model, np.linspace(401, 889, X.shape[1]), (ref_maps, ref_spectra), titles)
    fig.savefig(IMG / "unmixing_samson.png", dpi=60, bbox_inches="tight")
    print("samson: SAD per material", dict(zip(np.array(names)[c], np.round(angles, 3))))


def sparse_faces():
    """docs/constraints.md: parts of faces at Hoyer sparseness 0.7."""
    raw, _ = olivetti()
    X = normalize_contrast(raw.reshape(400, 64, 64)).reshape(400, -1)
    model = NMF(49, max_iter=300, constraints=[Hoyer("H", 0.7)]).fit(X)
    s = hoyer_sparseness(model.components_)[0]
    fig, _ = components_as_images(
        model, (64, 64), title=f"Hoyer('H', 0.7): sparseness {s.min():.4f}-{s.max():.4f}"
    )
    fig.savefig(IMG / "faces_hoyer.png", dpi=50, bbox_inches="tight")
    print(f"faces, Hoyer 0.7: sparseness {s.min():.6f} .. {s.max():.6f}")


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    IMG.mkdir(exist_ok=True)
    faces()
    pipeline()
    topic_words()
    loss_curves()
    samson()
    sparse_faces()
