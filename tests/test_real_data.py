"""Targets on the real data sets in ../shared/data (skipped when absent)."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import shared_file

from nmfkit import NMF


def olivetti():
    with np.load(shared_file("faces", "olivetti_faces_64x64.npz"), allow_pickle=False) as f:
        x = f["images"].astype(np.float32)
    x -= x.min()
    x /= x.max()
    return x.reshape(400, 4096).astype(np.float64)


def test_olivetti_k40_reaches_target_error():
    X = olivetti()
    model = NMF(40, init="nndsvda", max_iter=600, tol=0.0, random_state=0).fit(X)
    rel = model.reconstruction_err_ / np.linalg.norm(X)
    assert rel <= 0.0985, rel


@pytest.mark.parametrize("solver", ["mu", "hals"])
def test_olivetti_sparse_copy_gives_same_fit(solver):
    """A sparse matrix of the faces gives the dense fit (no dense W H anywhere)."""
    X = olivetti()[:100]
    X[X < 0.2] = 0
    kw = dict(
        n_components=10,
        init="nndsvda",
        solver=solver,
        max_iter=30,
        tol=0.0,
        random_state=0,
        beta_loss=2 if solver == "hals" else 1,
    )
    dense = NMF(**kw).fit(X)
    sparse = NMF(**kw).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(sparse.components_, dense.components_, rtol=1e-6, atol=1e-9)
