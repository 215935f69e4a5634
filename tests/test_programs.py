"""Single-cell gene expression programs (issue 21): the simulator, GeneProgramNMF (the
cNMF workflow), checkpointed runs that resume after a kill, and the bad-input messages."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp

from nmfkit import GeneProgramNMF
from nmfkit.applications.programs import choose_k
from nmfkit.applications.singlecell import (
    gene_scores,
    match_programs,
    nnls_rows,
    normalize_total,
    overdispersed_genes,
)
from nmfkit.datasets import make_single_cell


def _data(seed=0, n_cells=600, n_genes=400, n_identity=4, n_activity=1):
    counts, usages, programs, doublets = make_single_cell(
        n_cells, n_genes, n_identity, n_activity, activity_prob=0.4, de_prob=0.1,
        library_loc=8.0, random_state=seed,
    )  # fmt: skip
    keep = np.asarray(counts.sum(axis=0)).ravel() > 0
    programs = programs[:, keep] / programs[:, keep].sum(axis=1, keepdims=True)
    return counts[:, keep].tocsr(), usages, programs


@pytest.fixture(scope="module")
def sim():
    return _data()


@pytest.fixture(scope="module")
def fitted(sim):
    counts, _, _ = sim
    return GeneProgramNMF(range(3, 8), n_runs=10, n_top_genes=300, random_state=0).fit(counts)


def test_the_simulator_returns_its_truth():
    counts, usages, programs, doublets = make_single_cell(
        300, 200, 3, 2, doublet_rate=0.1, random_state=1
    )
    assert sp.issparse(counts) and counts.shape == (300, 200)
    assert np.all(counts.data == np.round(counts.data)) and counts.data.min() > 0
    np.testing.assert_allclose(usages.sum(axis=1), 1.0)
    np.testing.assert_allclose(programs.sum(axis=1), 1.0)
    assert usages.shape == (300, 5) and programs.shape == (5, 200)
    assert 10 <= doublets.sum() <= 60
    again = make_single_cell(300, 200, 3, 2, doublet_rate=0.1, random_state=1)[0]
    assert (counts != again).nnz == 0
    # the counts follow the programs: each cell's profile correlates with its mean
    mean = usages @ programs
    r = np.corrcoef(np.asarray(counts[:50].todense()).ravel(), mean[:50].ravel())[0, 1]
    assert r > 0.5
    with pytest.raises(ValueError, match="doublet_rate"):
        make_single_cell(10, 10, doublet_rate=1.5)


def test_the_programs_and_k_are_recovered(sim, fitted):
    counts, usages, programs = sim
    assert fitted.n_components_ == 5  # 4 identities + 1 activity
    assert fitted.k_selection_["k"].tolist() == [3, 4, 5, 6, 7]
    r, _ = match_programs(programs, fitted.spectra_tpm_)
    assert r.min() > 0.9, r
    r, partners = match_programs(usages.T, fitted.usages_.T)
    assert r.min() > 0.8, r
    np.testing.assert_allclose(fitted.usages_.sum(axis=1), 1.0)
    assert fitted.spectra_tpm_.shape == (5, counts.shape[1]) and fitted.spectra_tpm_.min() >= 0
    assert fitted.spectra_scores_.shape == (5, counts.shape[1])
    assert len(fitted.genes_) == 300 and fitted.components_.shape == (5, 300)
    # new cells: the same usages as in fit
    np.testing.assert_allclose(fitted.transform(counts[:20]), fitted.usages_[:20], atol=1e-8)


def test_choose_k_finds_the_elbow_weighted_by_stability():
    error = [100.0, 80.0, 60.0, 55.0, 50.0]  # falls by 20 until 6, then by 5
    assert choose_k([4, 5, 6, 7, 8], [0.9] * 5, error) == 6
    # an elbow at an unstable k loses to a milder one at a stable k
    assert choose_k([4, 5, 6, 7, 8], [0.9, 0.9, 0.2, 0.9, 0.9], error) != 6
    # a straight line has no elbow: every k scores its stability
    assert choose_k([4, 5, 6, 7], [0.5, 0.9, 0.6, 0.5], [40.0, 30.0, 20.0, 10.0]) == 5
    # two ks: the largest stable one
    assert choose_k([4, 5], [0.95, 0.93], [10.0, 9.0]) == 5
    assert choose_k([4, 5], [0.95, 0.80], [10.0, 9.0]) == 4


def test_the_steps_match_their_definitions():
    rng = np.random.default_rng(0)
    X = sp.random(60, 30, density=0.3, random_state=0, format="csr") * 10
    tpm = normalize_total(X)
    np.testing.assert_allclose(np.asarray(tpm.sum(axis=1)).ravel()[X.getnnz(axis=1) > 0], 1e6)
    genes = overdispersed_genes(tpm, 10)
    assert len(genes) == 10 and np.all(np.diff(genes) > 0)
    H = rng.random((3, 30))
    W = nnls_rows(X, H)
    from scipy.optimize import nnls

    for i in range(5):
        np.testing.assert_allclose(W[i], nnls(H.T, X[i].toarray().ravel())[0], atol=1e-6)
    # z-score coefficients: least squares of the z-scored columns on the usages
    U = rng.random((60, 3))
    Z = tpm.toarray()
    Z = (Z - Z.mean(axis=0)) / np.maximum(Z.std(axis=0), 1e-6)
    expect = np.linalg.lstsq(U, Z, rcond=None)[0]
    got = gene_scores(U, tpm)
    live = tpm.toarray().std(axis=0) > 1e-3
    np.testing.assert_allclose(got[:, live], expect[:, live], rtol=1e-6, atol=1e-8)


def test_runs_do_not_depend_on_n_jobs_or_on_the_other_ks(sim):
    counts, _, _ = sim
    one = GeneProgramNMF(5, n_runs=4, n_top_genes=200, random_state=3).fit(counts)
    two = GeneProgramNMF([4, 5], n_runs=4, n_top_genes=200, random_state=3, n_jobs=2)
    two.set_params(stability_tolerance=1.0).fit(counts)  # largest k: 5
    # the same runs; a process's BLAS may round float32 differently with fewer threads
    np.testing.assert_allclose(one.spectra_tpm_, two.spectra_tpm_, rtol=1e-4, atol=1e-6)


def test_dense_sparse_and_integer_counts_give_the_same_programs(sim):
    counts, _, _ = sim
    params = dict(n_components=4, n_runs=3, n_top_genes=150, random_state=1)
    base = GeneProgramNMF(**params).fit(counts)
    ints = GeneProgramNMF(**params).fit(counts.astype(np.int32))  # the same sparse path
    np.testing.assert_allclose(ints.spectra_tpm_, base.spectra_tpm_, rtol=1e-6, atol=1e-8)
    for X in (counts.toarray(), counts.astype(np.uint16).toarray()):
        other = GeneProgramNMF(**params).fit(X)  # dense products round differently
        np.testing.assert_array_equal(other.genes_, base.genes_)
        r, _ = match_programs(base.spectra_tpm_, other.spectra_tpm_)
        assert r.min() > 0.99, r
    big = counts.astype(np.int32) * 1000  # squares beyond int32: accumulated in float64
    from nmfkit.applications.singlecell import gene_mean_var

    mean, var = gene_mean_var(big)
    np.testing.assert_allclose(var, big.toarray().astype(np.float64).var(axis=0), rtol=1e-9)


def test_a_drawn_seed_resumes_and_a_changed_parameter_is_refused(sim, tmp_path):
    counts, _, _ = sim
    folder = str(tmp_path / "runs")
    params = dict(n_top_genes=100, checkpoint=folder)
    first = GeneProgramNMF([2, 3], n_runs=3, random_state=None, **params).fit(counts)
    seen = []
    again = GeneProgramNMF([2, 3], n_runs=3, random_state=None,
                           progress=lambda d, t: seen.append(d), **params).fit(counts)  # fmt: skip
    assert seen == [6]  # root.json kept the drawn seed: every run was loaded
    np.testing.assert_array_equal(again.spectra_tpm_, first.spectra_tpm_)
    with pytest.raises(ValueError, match="other data or parameters"):
        GeneProgramNMF([2, 3], n_runs=3, max_iter=50, **params).fit(counts)


_KILLED = textwrap.dedent(
    """
    import os, signal, sys
    import scipy.sparse as sp
    from nmfkit import GeneProgramNMF

    counts = sp.load_npz(sys.argv[1])

    def progress(done, total):
        if done == 50:  # half the runs are on disk: die as a killed process does
            os.kill(os.getpid(), signal.SIGKILL)

    GeneProgramNMF(3, n_runs=100, n_top_genes=100, random_state=0,
                   checkpoint=sys.argv[2], progress=progress).fit(counts)
    """
)


def test_a_killed_run_of_100_resumes_to_the_same_result(tmp_path):
    counts, _, _ = _data(seed=2, n_cells=150, n_genes=120, n_identity=3, n_activity=0)
    sp.save_npz(tmp_path / "counts.npz", counts)
    folder = tmp_path / "runs"
    script = tmp_path / "killed.py"
    script.write_text(_KILLED)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "counts.npz"), str(folder)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert len(os.listdir(folder / "k3")) == 50
    seen = []
    resumed = GeneProgramNMF(
        3, n_runs=100, n_top_genes=100, random_state=0, checkpoint=str(folder),
        progress=lambda d, t: seen.append(d),
    ).fit(counts)  # fmt: skip
    assert seen[0] == 50 and seen[-1] == 100  # only the missing half ran
    whole = GeneProgramNMF(3, n_runs=100, n_top_genes=100, random_state=0).fit(counts)
    np.testing.assert_array_equal(resumed.components_, whole.components_)
    np.testing.assert_array_equal(resumed.usages_, whole.usages_)
    np.testing.assert_array_equal(resumed.spectra_tpm_, whole.spectra_tpm_)
    # runs of other data are refused, not mixed in
    with pytest.raises(ValueError, match="fresh checkpoint folder"):
        GeneProgramNMF(3, n_runs=100, n_top_genes=100, random_state=0,
                       checkpoint=str(folder)).fit(counts[:140])  # fmt: skip


@pytest.mark.parametrize(
    "change, kwargs, message",
    [
        (lambda X: X[:, :50], dict(n_components=60), "more than the data allow"),
        (
            lambda X: sp.hstack([X, sp.csr_matrix((X.shape[0], 2))]).tocsr(),
            {},
            "genes have no counts",
        ),
        (lambda X: X.toarray() - 1.0, {}, "non-negative"),
        (
            lambda X: sp.vstack([X, sp.csr_matrix((1, X.shape[1]))]).tocsr(),
            {},
            "cells have no counts",
        ),
        (lambda X: X, dict(n_components=[]), "positive int"),
    ],
    ids=["k too large", "all-zero genes", "negative", "empty cell", "no k"],
)
def test_bad_input_gets_the_fix(sim, change, kwargs, message):
    counts, _, _ = sim
    params = dict(n_components=3, n_runs=2, n_top_genes=50, random_state=0)
    params.update(kwargs)
    X = change(counts)
    with pytest.raises(ValueError, match=message):
        GeneProgramNMF(**params).fit(X)


def test_plot_k_selection(fitted):
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    ax = fitted.plot_k_selection()
    assert [int(t) for t in ax.get_xticks()] == [3, 4, 5, 6, 7]
    assert "k = 5" in ax.get_title()


def test_the_command_writes_every_file_and_resumes(tmp_path, capsys):
    anndata = pytest.importorskip("anndata")
    from nmfkit.cli import main

    counts, _, _ = _data(seed=4, n_cells=200, n_genes=150, n_identity=3, n_activity=0)
    a = anndata.AnnData(counts)
    a.obs_names = [f"cell{i}" for i in range(a.n_obs)]
    a.var_names = [f"gene{j}" for j in range(a.n_vars)]
    a.write_h5ad(tmp_path / "cells.h5ad")
    argv = ["programs", str(tmp_path / "cells.h5ad"), "-k", "2-4", "--runs", "6",
            "--genes", "100", "--out", str(tmp_path / "out")]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "<- chosen" in out
    names = ["programs_tpm.tsv", "programs_scores.tsv", "usages.tsv", "k_selection.tsv",
             "results.h5ad"]  # fmt: skip
    for name in names:
        assert (tmp_path / "out" / name).is_file(), name
    usages = (tmp_path / "out" / "usages.tsv").read_text().splitlines()
    assert len(usages) == 201 and usages[1].startswith("cell0\t")
    back = anndata.read_h5ad(tmp_path / "out" / "results.h5ad")
    k = back.uns["cnmf"]["k"]
    assert back.obsm["X_cnmf"].shape == (200, k)
    assert len(os.listdir(tmp_path / "out" / "runs" / "k3")) == 6
    # run again: every run is loaded from out/runs, and the results are the same
    before = (tmp_path / "out" / "programs_tpm.tsv").read_text()
    runs = tmp_path / "out" / "runs" / "k3" / "run00000.npz"
    stamp = runs.stat().st_mtime_ns
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "] 18/18" in err and "] 0/18" not in err  # the bar starts full: nothing ran
    assert runs.stat().st_mtime_ns == stamp
    assert (tmp_path / "out" / "programs_tpm.tsv").read_text() == before
    assert not [p for p in os.listdir(tmp_path / "out") if p.startswith(".results-")]
    # another k of the range, from the same runs: the survey keeps every k
    other = 2 if k != 2 else 3
    assert main(argv + ["--choose", str(other)]) == 0
    assert "] 0/18" not in capsys.readouterr().err
    assert len((tmp_path / "out" / "k_selection.tsv").read_text().splitlines()) == 4
    back = anndata.read_h5ad(tmp_path / "out" / "results.h5ad")
    assert back.uns["cnmf"]["k"] == other and "progress" not in back.uns["cnmf"]["params"]
    mode = (tmp_path / "out" / "results.h5ad").stat().st_mode & 0o777
    assert mode == (tmp_path / "out" / "usages.tsv").stat().st_mode & 0o777  # as the others
