"""GeneProgramNMF against the cnmf package on simulated single-cell data with known programs.

Per seed: ``make_single_cell`` draws 10,000 cells × 2,000 genes from 10 identity and 3
activity programs (genes with no counts are dropped, as both tools require); the counts
go to an .h5ad file, and each tool runs its whole workflow from that file at the true k
with the same number of runs and genes (2,000 over-dispersed genes), on both cores:

* cnmf (pip ``cnmf``): prepare, factorize_multi_process(2 workers), combine,
  k_selection_plot, consensus (density threshold 0.5), load_results;
* nmfkit: read_h5ad, ``GeneProgramNMF(k, n_jobs=2).fit``, ``to_anndata``, write_h5ad.

Both report programs in TPM (``spectra_tpm``) and normalized usages; each true program
is matched to one found program (Hungarian on Pearson correlation). Then nmfkit alone
chooses k from ``--ks`` (stability criterion, ``choose_k``).

Usage (in an environment with both packages: ``pip install cnmf`` beside nmfkit)::

    python benchmarks/single_cell.py [--seeds 0 1 2] [--runs 20] [--ks 10-16]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import nmfkit
from nmfkit.applications.annotate import read_h5ad, to_anndata
from nmfkit.applications.singlecell import match_programs
from nmfkit.datasets import make_single_cell

HERE = Path(__file__).resolve().parent


def simulate(seed, folder, n_cells, n_genes):
    import anndata
    import pandas as pd

    counts, usages, programs, _ = make_single_cell(
        n_cells, n_genes, n_identity=10, n_activity=3, random_state=seed
    )
    keep = np.asarray(counts.sum(axis=0)).ravel() > 0
    counts, programs = counts[:, keep].tocsr().astype(np.float32), programs[:, keep]
    programs = programs / programs.sum(axis=1, keepdims=True) * 1e6
    obs = pd.DataFrame(index=[f"cell{i}" for i in range(counts.shape[0])])
    var = pd.DataFrame(index=[f"gene{j}" for j in range(counts.shape[1])])
    path = os.path.join(folder, "counts.h5ad")
    anndata.AnnData(counts, obs=obs, var=var).write_h5ad(path)
    return path, usages, programs


def scores(truth_programs, truth_usages, spectra_tpm, usages):
    """Per true program: Pearson of programs (TPM) and of usages, after matching."""
    r_prog, partners = match_programs(truth_programs, spectra_tpm)
    r_use = np.full(len(partners), np.nan)
    for i, j in enumerate(partners):
        if j >= 0:
            r_use[i] = np.corrcoef(truth_usages[:, i], usages[:, j])[0, 1]
    n_identity = 10
    found = partners[:n_identity]
    if np.all(found >= 0):
        accuracy = float(
            np.mean(usages[:, found].argmax(axis=1) == truth_usages[:, :n_identity].argmax(axis=1))
        )
    else:
        accuracy = float("nan")
    return r_prog, r_use, accuracy


def run_nmfkit(path, k, runs, seed, out):
    start = time.perf_counter()
    adata = read_h5ad(path)
    model = nmfkit.GeneProgramNMF(k, n_runs=runs, n_jobs=2, random_state=seed).fit(adata)
    to_anndata(model, adata)
    adata.write_h5ad(os.path.join(out, "nmfkit.h5ad"))
    return time.perf_counter() - start, model


def run_cnmf(path, k, runs, seed, out):
    import matplotlib

    matplotlib.use("Agg")
    from cnmf import cNMF

    start = time.perf_counter()
    obj = cNMF(output_dir=out, name="bench")
    obj.prepare(counts_fn=path, components=[k], n_iter=runs, seed=seed, num_highvar_genes=2000)
    obj.factorize_multi_process(2)
    obj.combine()
    obj.k_selection_plot(close_fig=True)
    obj.consensus(k, density_threshold=0.5, show_clustering=False)
    usage, _, spectra_tpm, _ = obj.load_results(K=k, density_threshold=0.5)
    elapsed = time.perf_counter() - start
    genes = [f"gene{j}" for j in range(spectra_tpm.shape[0])]
    return elapsed, spectra_tpm.loc[genes].values.T, usage.values


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--ks", default="10-16")
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--genes", type=int, default=2_000)
    parser.add_argument("--skip-cnmf", action="store_true")
    parser.add_argument("--out", default=str(HERE / "single_cell.json"))
    args = parser.parse_args()
    lo, hi = map(int, args.ks.split("-"))
    true_k, results = 13, []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as folder:
            path, truth_u, truth_p = simulate(seed, folder, args.cells, args.genes)
            row = {"seed": seed, "runs": args.runs, "k": true_k}
            t, model = run_nmfkit(path, true_k, args.runs, seed, folder)
            rp, ru, acc = scores(truth_p, truth_u, model.spectra_tpm_, model.usages_)
            row["nmfkit"] = dict(time=t, program_r=rp.tolist(), usage_r=ru.tolist(), accuracy=acc)
            if not args.skip_cnmf:
                t, spectra, usage = run_cnmf(path, true_k, args.runs, seed, folder)
                rp, ru, acc = scores(truth_p, truth_u, spectra, usage)
                row["cnmf"] = dict(time=t, program_r=rp.tolist(), usage_r=ru.tolist(), accuracy=acc)
            start = time.perf_counter()
            survey = nmfkit.GeneProgramNMF(
                range(lo, hi + 1), n_runs=args.runs, n_jobs=2, random_state=seed
            ).fit(read_h5ad(path))
            row["k_selection"] = {
                "time": time.perf_counter() - start,
                "chosen": int(survey.n_components_),
                "table": {key: np.asarray(v).tolist() for key, v in survey.k_selection_.items()},
            }
        results.append(row)
        report(row)
        sys.stdout.flush()
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    summary(results)


def report(row):
    print(f"seed {row['seed']} (k={row['k']}, {row['runs']} runs):")
    for tool in ("nmfkit", "cnmf"):
        if tool in row:
            r = row[tool]
            print(
                f"  {tool:7s} {r['time']:7.1f} s  program r min {min(r['program_r']):.4f} "
                f"median {statistics.median(r['program_r']):.4f}  usage r median "
                f"{statistics.median(r['usage_r']):.4f}  identity accuracy {r['accuracy']:.4f}"
            )
    if "cnmf" in row:
        diff = np.array(row["nmfkit"]["program_r"]) - np.array(row["cnmf"]["program_r"])
        print(
            f"  nmfkit - cnmf program r: min {diff.min():+.4f}, max {diff.max():+.4f}; "
            f"nmfkit >= cnmf on {int((diff >= 0).sum())}/{len(diff)}; "
            f"speed-up {row['cnmf']['time'] / row['nmfkit']['time']:.1f}x"
        )
    ks = row["k_selection"]
    print(f"  k chosen {ks['chosen']} in {ks['time']:.1f} s; stability {ks['table']}")


def summary(results):
    chosen = [r["k_selection"]["chosen"] for r in results]
    print(f"chosen k per seed: {chosen} (true 13)")
    if all("cnmf" in r for r in results):
        ratios = [r["cnmf"]["time"] / r["nmfkit"]["time"] for r in results]
        print(f"speed-up per seed: {[round(x, 1) for x in ratios]}")


if __name__ == "__main__":
    main()
