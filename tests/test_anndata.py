"""AnnData in and out (issue 21): every estimator that fits a matrix reads an AnnData's X
or a layer as stored (a sparse X is never made dense), writes its results back in
scanpy's conventions, and they read back equal from an .h5ad file."""

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

import nmfkit
from nmfkit import (
    NMF,
    ConsensusNMF,
    GeneProgramNMF,
    MiniBatchNMF,
    read_h5ad,
    select_rank,
    to_anndata,
)
from nmfkit.datasets import make_single_cell

anndata = pytest.importorskip("anndata")


@pytest.fixture(scope="module")
def adata():
    counts, _, _, _ = make_single_cell(300, 150, 3, 1, de_prob=0.1, random_state=0)
    counts = counts[:, np.asarray(counts.sum(axis=0)).ravel() > 0].tocsr()
    a = anndata.AnnData(counts.astype(np.float32))
    a.obs_names = [f"c{i}" for i in range(a.n_obs)]
    a.var_names = [f"g{j}" for j in range(a.n_vars)]
    a.layers["counts"] = counts.copy()
    a.layers["scaled"] = (counts.toarray() - counts.toarray().mean(axis=0)).astype(np.float32)
    return a


@pytest.fixture
def no_densify(monkeypatch, adata):
    """A toarray/todense of a sparse matrix of half X's size or more, with a side as long
    as X's rows, fails the test; a genes × genes Gram (the SVD start) may be dense."""
    n, m = adata.shape

    classes = {c for kind in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array)
               for c in kind.__mro__}  # fmt: skip
    for cls in classes:
        for name in ("toarray", "todense"):
            if name in cls.__dict__:
                monkeypatch.setattr(cls, name, _guarded(cls.__dict__[name], n, m))
    with pytest.raises(AssertionError, match="made dense"):
        sp.random(n, m, format="csr").toarray()  # the guard works
    assert sp.random(m, m, format="csr").toarray().shape == (m, m)  # a Gram may be dense


def _guarded(method, n, m):
    def refuse(self, *args, **kwargs):
        if self.shape[0] * self.shape[1] >= n * m // 2 and max(self.shape) >= n:
            raise AssertionError("a sparse matrix was made dense")
        return method(self, *args, **kwargs)

    return refuse


def _round_trip(a, tmp_path):
    path = tmp_path / "out.h5ad"
    a.write_h5ad(path)
    return read_h5ad(path)


def _same_entries(a, b, keys):
    for where, key in keys:
        x, y = getattr(a, where)[key], getattr(b, where)[key]
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@pytest.mark.parametrize("make", [
    lambda: NMF(3, init="random", random_state=0, max_iter=50),
    lambda: MiniBatchNMF(3, random_state=0, batch_size=100, max_iter=20),
    lambda: ConsensusNMF(3, n_runs=3, random_state=0, max_iter=50),
], ids=["NMF", "MiniBatchNMF", "ConsensusNMF"])  # fmt: skip
def test_fit_reads_the_anndata_and_writes_back(adata, make, tmp_path, no_densify):
    a = adata.copy()
    model = make().fit(a)
    by_matrix = make().fit(a.X)  # the AnnData is its X
    np.testing.assert_array_equal(model.components_, by_matrix.components_)
    to_anndata(model, a)
    assert sp.issparse(a.X)  # untouched
    assert a.obsm["X_nmf"].shape == (a.n_obs, 3)
    np.testing.assert_array_equal(a.varm["nmf_components"], model.components_.T)
    back = _round_trip(a, tmp_path)
    _same_entries(a, back, [("obsm", "X_nmf"), ("varm", "nmf_components")])
    assert back.uns["nmf"]["params"] == a.uns["nmf"]["params"]
    assert back.uns["nmf"]["n_components"] == 3
    W = model.transform(a)
    assert W.shape == (a.n_obs, 3)


def test_a_layer_is_read_and_a_missing_one_named(adata):
    model = NMF(3, init="random", random_state=0, max_iter=30).fit(adata, layer="counts")
    same = NMF(3, init="random", random_state=0, max_iter=30).fit(adata.layers["counts"])
    np.testing.assert_array_equal(model.components_, same.components_)
    with pytest.raises(ValueError, match="no layer 'raw'.*'counts'"):
        NMF(3).fit(adata, layer="raw")
    with pytest.raises(ValueError, match="use the raw counts layer"):
        NMF(3).fit(adata, layer="scaled")
    with pytest.raises(ValueError, match="use the raw counts layer"):
        GeneProgramNMF(3, n_runs=2).fit(adata, layer="scaled")
    with pytest.raises(ValueError, match="pass the AnnData"):
        NMF(3).fit(adata.X, layer="counts")


def test_select_rank_and_gene_programs_round_trip(adata, tmp_path, no_densify):
    a = adata.copy()
    survey = select_rank(a, ranks=[2, 3], n_runs=3, criteria=("stability", "error"))
    to_anndata(survey, a)
    model = GeneProgramNMF([3, 4], n_runs=4, n_top_genes=100, random_state=0).fit(a)
    to_anndata(model, a)
    back = _round_trip(a, tmp_path)
    _same_entries(
        a, back,
        [("obsm", "X_cnmf"), ("varm", "cnmf_spectra_tpm"), ("varm", "cnmf_spectra_scores"),
         ("var", "cnmf_used")],
    )  # fmt: skip
    assert back.var["cnmf_used"].sum() == 100
    for key in ("k", "stability", "n_outliers", "params"):
        assert back.uns["cnmf"][key] == a.uns["cnmf"][key]
    for key, value in a.uns["cnmf"]["k_selection"].items():
        np.testing.assert_array_equal(back.uns["cnmf"]["k_selection"][key], value)
    for key, value in a.uns["nmf_rank"]["table"].items():
        np.testing.assert_array_equal(back.uns["nmf_rank"]["table"][key], value)
    assert back.uns["nmf_rank"]["suggested_rank"] == survey.suggested_rank


def test_to_anndata_refuses_another_object(adata):
    model = NMF(2, max_iter=20).fit(adata.X[:, :50])
    with pytest.raises(ValueError, match="pass the object it was fitted on"):
        to_anndata(model, adata)
    with pytest.raises(TypeError, match="anndata.AnnData"):
        to_anndata(model, adata.X)


def test_a_sparse_fit_stays_within_twice_x_plus_factors():
    """Peak memory (tracemalloc: NumPy's allocations) of fitting a sparse AnnData, over
    the data and factors it must hold; benchmarks/anndata_memory.py measures 50,000 cells."""
    rng = np.random.default_rng(0)
    X = sp.random(5000, 1000, density=0.1, random_state=rng, format="csr", dtype=np.float32)
    a = anndata.AnnData(X)
    k = 10
    x_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    factors = (X.shape[0] + X.shape[1]) * k * 4
    NMF(k, init="random", random_state=0, max_iter=3).fit(a)  # compile, warm caches
    tracemalloc.start()
    NMF(k, init="random", random_state=0, max_iter=20).fit(a)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert x_bytes + peak < 2 * x_bytes + factors, (peak, x_bytes, factors)
    assert peak > factors  # the measurement saw the fit's own arrays


def test_import_nmfkit_imports_no_anndata():
    code = (
        "import sys, nmfkit; nmfkit.GeneProgramNMF; nmfkit.to_anndata; "
        "print(sorted({'anndata', 'scanpy', 'h5py'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert nmfkit.GeneProgramNMF is GeneProgramNMF
