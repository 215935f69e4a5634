"""``nmfkit programs``: gene expression programs of single-cell counts (the cNMF workflow)."""

import os
import tempfile
import time

import numpy as np

from ..applications.annotate import read_h5ad, to_anndata
from ..applications.programs import GeneProgramNMF
from ..core.anndata import is_anndata
from ._common import (
    CLIError,
    add_input,
    add_loss,
    bar,
    check_paths,
    loss_of,
    read_input,
    save_figure,
    save_text,
    writable,
)
from .rank import _ranks


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    pg = sub.add_parser(
        "programs",
        help="gene expression programs of single-cell counts (the cNMF workflow)",
        description=(
            "Raw counts (cells x genes) in; for every k, many NMF runs, their consensus, "
            "the k-selection plot, and the programs of the chosen k out as TSV files (and "
            "the updated .h5ad). k is chosen where the error curve levels off most sharply, "
            "weighted by the stability of the runs (docs/single_cell.md); --choose K takes "
            "another k of the range. Finished runs are kept in OUT/runs: run the same "
            "command again after an interruption, or with --choose, and it resumes."
        ),
    )
    add_input(pg, "raw counts: .h5ad (cells x genes), .npz, .mtx, .npy or .csv")
    pg.add_argument(
        "-k", "--n-components", required=True, help="k or the ks to choose from: 9, 7-12, 7,9,11"
    )
    pg.add_argument("--runs", type=int, default=100, help="NMF runs per k (default: 100)")
    pg.add_argument(
        "--choose", type=int, default=None, metavar="K", help="build the programs at this k"
    )
    pg.add_argument("--out", default="programs", help="output folder (default: programs)")
    pg.add_argument("--layer", default=None, help="the .h5ad layer of raw counts (default: X)")
    pg.add_argument(
        "--genes", type=int, default=2000, help="over-dispersed genes used (default: 2000)"
    )
    pg.add_argument(
        "--density-threshold",
        type=float,
        default=0.5,
        help="outlier filter of the consensus, 2 keeps all (default: 0.5)",
    )
    pg.add_argument("--jobs", type=int, default=None, help="parallel processes (-1: all CPUs)")
    pg.add_argument("--max-iter", type=int, default=1000, help="iterations per run (default: 1000)")
    pg.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    add_loss(pg, only=(2.0,), why="GeneProgramNMF (cNMF) fits the Frobenius loss")
    pg.set_defaults(func=run)
    return pg


def _names(adata, axis, n, prefix):
    if adata is None:
        return [f"{prefix}{i}" for i in range(n)]
    return [str(v) for v in (adata.obs_names if axis == 0 else adata.var_names)]


def _tsv(path, matrix, rows, cols, corner):
    lines = ["\t".join([corner, *cols])]
    lines += ["\t".join([r, *(f"{v:.6g}" for v in row)]) for r, row in zip(rows, matrix)]
    save_text(path, "\n".join(lines) + "\n")


def run(args):
    """``nmfkit programs``: fit, then write the programs, usages and k-selection files."""
    ks = _ranks(args.n_components, flag="-k")  # an empty range is refused there
    if not os.path.isfile(args.input):
        raise CLIError(f"input file not found: {args.input}")
    h5ad = args.input.lower().endswith(".h5ad")
    out = args.out
    if os.path.exists(out) and not os.path.isdir(out):
        raise CLIError(f"--out {out} is a file; name a folder")
    files = {
        name: os.path.join(out, name)
        for name in (
            "programs_tpm.tsv",
            "programs_scores.tsv",
            "usages.tsv",
            "k_selection.tsv",
            "k_selection.png",
        )
    }
    if h5ad:
        files["results.h5ad"] = os.path.join(out, "results.h5ad")
    if os.path.isdir(out):
        check_paths([args.input], [(path, name) for name, path in files.items()])
    else:
        writable(out, "output folder")  # its parent exists and can be written
    beta_loss = loss_of(args)  # frobenius only, refused now otherwise
    if args.layer and not h5ad:
        raise CLIError("--layer names a layer of an .h5ad file; the input is not one")
    if h5ad and args.key and args.layer and args.key != args.layer:
        raise CLIError(f"--key {args.key} and --layer {args.layer}: name the layer once")
    layer = args.layer or (args.key if h5ad else None)
    adata = read_h5ad(args.input) if h5ad else None
    if h5ad:
        adata = adata.T if args.transpose else adata
        how = ", transposed" if args.transpose else ""
        print(f"input       {args.input}[{'layer ' + layer if layer else 'X'}]: "
              f"{adata.n_obs} cells x {adata.n_vars} genes{how}")  # fmt: skip
    fix = "give raw counts (GeneProgramNMF needs every count)"
    X = adata if h5ad else read_input(args, rows="cells", cols="genes", missing=fix)
    os.makedirs(out, exist_ok=True)  # only once the input has been read
    model = GeneProgramNMF(
        ks if len(ks) > 1 else ks[0],
        n_runs=args.runs,
        chosen_k=args.choose,
        n_top_genes=args.genes,
        density_threshold=args.density_threshold,
        max_iter=args.max_iter,
        beta_loss=beta_loss,
        random_state=args.seed,
        n_jobs=args.jobs,
        checkpoint=os.path.join(out, "runs"),
        progress=bar("runs"),
    )
    start = time.perf_counter()
    model.fit(X, layer=layer)
    elapsed = time.perf_counter() - start
    table = model.k_selection_
    print(f"{'k':>4} {'stability':>10} {'error':>14}")
    for k, s, e in zip(table["k"], table["stability"], table["error"]):
        mark = "  <- chosen" if k == model.n_components_ else ""
        print(f"{k:>4} {s:>10.4f} {e:>14.6g}{mark}")
    print(
        f"k = {model.n_components_}: stability {model.stability_:.4f}, "
        f"{model.n_outliers_} outlier components dropped ({elapsed:.1f} s)"
    )
    cells = _names(adata, 0, model.usages_.shape[0], "cell")
    genes = _names(adata, 1, model.n_features_in_, "gene")
    programs = [f"program{i + 1}" for i in range(model.n_components_)]
    _tsv(files["programs_tpm.tsv"], model.spectra_tpm_, programs, genes, "program")
    _tsv(files["programs_scores.tsv"], model.spectra_scores_, programs, genes, "program")
    _tsv(files["usages.tsv"], model.usages_, cells, programs, "cell")
    rows = np.column_stack([table["stability"], table["error"]])
    _tsv(files["k_selection.tsv"], rows, [str(k) for k in table["k"]], ["stability", "error"], "k")
    try:
        import matplotlib

        matplotlib.use("Agg")
        ax = model.plot_k_selection()
        save_figure(ax.figure, files["k_selection.png"], dpi=90)
    except ImportError:
        files.pop("k_selection.png")
        print("k_selection.png not drawn: install matplotlib (pip install 'nmfkit[plot]')")
    if is_anndata(X):
        to_anndata(model, adata)
        # anndata writes to a path: a fresh temporary beside the target, then renamed
        fd, tmp = tempfile.mkstemp(dir=out, prefix=".results-", suffix=".h5ad")
        os.close(fd)
        try:
            adata.write_h5ad(tmp)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # as the other outputs (mkstemp makes it 600)
            os.replace(tmp, files["results.h5ad"])
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    for path in files.values():
        print(f"wrote       {path}")
    return 0
