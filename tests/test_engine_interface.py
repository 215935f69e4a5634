"""The engine interface is complete: an engine with only the declared methods fits.

``MinimalEngine`` implements the abstract methods of ``Engine`` plainly, for NumPy
arrays and SciPy CSR matrices, and takes every other method from the base class's
array-API defaults; it has no compiled kernels, so the solvers run the kernels'
array-API forms. Asking it for anything the base class does not declare fails. Every
solver that runs on in-memory data is driven through a short fit on it, and must reach
the iterates of the NumPy engine from the same start.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import planted, random_sparse

from nmfkit import NMF
from nmfkit.arrays.engines import ENGINES, Engine, NumpyEngine, load_engine
from nmfkit.core.data import Plain, fit_data
from nmfkit.core.init import initialize
from nmfkit.core.loop import run
from nmfkit.core.plan import resolve
from nmfkit.core.solvers import SOLVERS

DECLARED = {name for name in dir(Engine) if not name.startswith("_")}


class MinimalEngine(Engine):
    """The declared interface and nothing else (see the module docstring)."""

    name = "minimal"

    def __getattribute__(self, name):
        if not name.startswith("_") and name not in DECLARED:
            raise AttributeError(f"{name!r} is not part of the engine interface")
        return super().__getattribute__(name)

    @classmethod
    def accepts(cls, X):
        return False

    def check_input(self, X, caller="NMF.fit", name="X"):
        if sp.issparse(X):
            return sp.csr_matrix(X, dtype=np.float64)
        return np.asarray(X, dtype=np.float64)

    def is_sparse(self, X):
        return sp.issparse(X)

    def count_zeros(self, X):
        dense = X.toarray() if sp.issparse(X) else X
        return int(np.sum(dense == 0))

    def max_value(self, X):
        return float(X.max())

    def sq_norm(self, X):
        return float(X.multiply(X).sum()) if sp.issparse(X) else float(np.sum(X * X))

    def total(self, X):
        return float(X.sum())

    def XHt(self, X, H):
        return np.asarray(X @ H.T)

    def WtX(self, W, X):
        return np.asarray((X.T @ W).T)

    def XtW(self, X, W):
        return np.ascontiguousarray(X.T @ W)

    def wh_at(self, X, W, H):
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        return np.einsum("ij,ji->i", W[rows], H[:, X.indices])

    def values(self, X):
        return X.data

    def with_values(self, X, values):
        return sp.csr_matrix((values, X.indices, X.indptr), shape=X.shape)

    def csr_pair(self, X):
        return NumpyEngine.csr_pair(X)

    def top_svd(self, X, k, rng):
        dense = X.toarray() if sp.issparse(X) else X
        U, S, Vt = np.linalg.svd(dense, full_matrices=False)
        return U[:, :k], S[:k], Vt[:k]

    def asarray(self, a, dtype, rows=False):
        return np.array(a, dtype=dtype)

    def to_output(self, A):
        return A


def test_the_minimal_engine_refuses_what_is_not_declared():
    engine = MinimalEngine()
    with pytest.raises(AttributeError, match="not part of the engine interface"):
        engine.xp  # noqa: B018
    assert "copy" in DECLARED and "map_rows" in DECLARED and "accepts" in DECLARED


def test_the_default_copy_never_aliases_its_input():
    """An engine that does not override ``copy`` gets an independent array (the old
    helper returned its input for a library it did not know)."""
    A = np.ones(3)
    B = MinimalEngine().copy(A)
    B[0] = 5.0
    assert A[0] == 1.0 and B is not A


def test_every_registered_engine_implements_the_declared_interface():
    """What the registry lists can be made (the abstract methods are all there)."""
    for name in ENGINES:
        try:
            cls = load_engine(name)
        except ImportError:
            continue
        assert issubclass(cls, Engine) and not cls.__abstractmethods__, name


def _cases():
    for name, solver in SOLVERS.items():
        for beta in (2.0, 1.0, 0.5):
            if solver.minimises(beta):
                for sparse in (False, True):
                    yield pytest.param(name, beta, sparse, id=f"{name}-b{beta:g}-{sparse}")


def _fit(X, engine, solver, beta, W0, H0, iterations=15):
    params = NMF(
        4, solver=solver, beta_loss=beta, init="custom", tol=0.0, max_iter=iterations
    ).get_params()
    data = fit_data(X, engine)
    plan, W, H = resolve(params, data, engine, W0.copy(), H0.copy())
    W, H = initialize(data, plan, engine, W, H)
    with engine.threads(pooled=True):
        W, H, result = run(data, W, H, plan, engine)
    return W, H, result


@pytest.mark.parametrize("solver, beta, sparse", list(_cases()))
def test_every_solver_runs_on_the_declared_interface_alone(solver, beta, sparse):
    X = random_sparse(30, 20, density=0.4, seed=2) if sparse else planted(30, 20, 4)[0] + 0.01
    rng = np.random.default_rng(0)
    W0, H0 = rng.random((30, 4)) + 0.1, rng.random((4, 20)) + 0.1
    W, H, result = _fit(X, MinimalEngine(), solver, beta, W0, H0)
    Wn, Hn, expected = _fit(X, NumpyEngine(), solver, beta, W0, H0)
    assert isinstance(fit_data(X, MinimalEngine()), Plain)
    np.testing.assert_allclose(result.loss_curve, expected.loss_curve, rtol=1e-9)
    np.testing.assert_allclose(W, Wn, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(H, Hn, rtol=1e-7, atol=1e-10)


def test_nndsvd_starts_from_the_engine_svd():
    X = planted(30, 20, 4)[0]
    params = NMF(4, tol=0.0, max_iter=5).get_params()
    engine = MinimalEngine()
    data = fit_data(X, engine)
    plan, _, _ = resolve(params, data, engine)
    W, H = initialize(data, plan, engine)
    Wn, Hn = initialize(Plain(X, NumpyEngine()), plan, NumpyEngine())
    np.testing.assert_allclose(W, Wn, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(H, Hn, rtol=1e-8, atol=1e-12)
