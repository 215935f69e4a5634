"""Figures and numbers of docs/single_cell.md (needs matplotlib and anndata; the PBMC
part needs scanpy installed, for the data file it ships: nothing is downloaded).

Usage::

    python docs/make_single_cell_figures.py
"""

import importlib.util
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nmfkit import GeneProgramNMF, read_h5ad  # noqa: E402
from nmfkit.applications.singlecell import match_programs  # noqa: E402
from nmfkit.datasets import make_single_cell  # noqa: E402
from nmfkit.plot import weights_heatmap  # noqa: E402

IMG = Path(__file__).resolve().parent / "img"


def simulated():
    counts, usages, programs, _ = make_single_cell(
        3000, 1500, n_identity=6, n_activity=2, random_state=0
    )
    keep = np.asarray(counts.sum(axis=0)).ravel() > 0
    counts, programs = counts[:, keep].tocsr(), programs[:, keep]
    start = time.perf_counter()
    model = GeneProgramNMF(range(5, 12), n_runs=30, n_top_genes=1500, random_state=0, n_jobs=2)
    model.fit(counts)
    print(f"simulated 3000 x {counts.shape[1]}: {time.perf_counter() - start:.1f} s")
    for k, s, e in zip(*model.k_selection_.values()):
        print(f"  k {k:2d}  stability {s:.3f}  error {e:.4g}")
    r, partners = match_programs(programs, model.spectra_tpm_)
    print(f"  chosen k {model.n_components_}; program r {np.round(r, 3).tolist()}")
    ax = model.plot_k_selection()
    ax.figure.savefig(IMG / "single_cell_k_selection.png", dpi=80, bbox_inches="tight")
    plt.close(ax.figure)
    truth = usages.argmax(axis=1)
    order = partners[partners >= 0]
    ax = weights_heatmap(model.usages_[:, order], labels=truth)
    ax.set_title("simulated: usages found, cells grouped by true identity")
    ax.set_ylabel("cells (true identity)")
    ax.set_xlabel("program (matched to the true ones)")
    ax.figure.savefig(IMG / "single_cell_sim_usages.png", dpi=70, bbox_inches="tight")
    plt.close(ax.figure)


def pbmc():
    spec = importlib.util.find_spec("scanpy")
    if spec is None:
        print("scanpy is not installed: the PBMC figure is left as it is")
        return
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "10x_pbmc68k_reduced.h5ad"
    adata = read_h5ad(path)
    try:
        GeneProgramNMF(7).fit(adata)
    except ValueError as exc:
        print(f"pbmc68k_reduced X: {exc}")
    raw = adata.raw.to_adata()
    raw.X = raw.X.expm1()  # the file ships log1p of normalized counts: undo the log
    start = time.perf_counter()
    model = GeneProgramNMF(range(4, 11), n_runs=50, random_state=0, n_jobs=2).fit(raw)
    print(f"pbmc68k_reduced {raw.shape}: {time.perf_counter() - start:.1f} s")
    for k, s, e in zip(*model.k_selection_.values()):
        print(f"  k {k:2d}  stability {s:.3f}  error {e:.4g}")
    genes = np.asarray(raw.var_names)
    labels = np.asarray(adata.obs["bulk_labels"])
    for i, scores in enumerate(model.spectra_scores_):
        top = genes[np.argsort(-scores)[:6]]
        users = model.usages_[:, i] > 0.5
        common = max(set(labels[users]), key=list(labels[users]).count) if users.any() else "-"
        print(f"  program {i + 1}: {', '.join(top)} | most cells using it > 0.5: {common}")
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    model.plot_k_selection(ax=axes[0])
    weights_heatmap(model.usages_, labels=labels, ax=axes[1])
    axes[1].set_title("PBMC usages, cells grouped by their bulk label")
    axes[1].set_ylabel("")
    fig.tight_layout()
    fig.savefig(IMG / "single_cell_pbmc.png", dpi=70, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    simulated()
    pbmc()
