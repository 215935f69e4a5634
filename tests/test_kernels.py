"""Every compiled kernel against its array-API twin, driven by the KERNELS registry."""

import numpy as np
import pytest

from nmfkit.engines import NumpyEngine
from nmfkit.kernels import KERNELS, kernel


def hals_inputs(rng, dtype, n=37, m=23, k=6):
    A = rng.random((n, k)).astype(dtype)
    A[rng.random((n, k)) < 0.3] = 0  # zeros exercise the skipped updates
    Ht = rng.random((m, k))
    G = (Ht.T @ Ht).astype(dtype)
    R = (rng.random((n, m)) @ Ht).astype(dtype)
    R[0] = -1  # a row driven to zero
    return A, G, R


def kl_inputs(rng, dtype, n=37, m=23, k=6):
    import scipy.sparse as sp

    X = sp.random(n, m, density=0.3, format="csr", random_state=rng, dtype=dtype) * 5
    X.data[::7] = 0  # explicit zeros are skipped
    W = (rng.random((n, k)) + 0.05).astype(dtype)
    Ht = (rng.random((m, k)) + 0.05).astype(dtype)
    rows = np.repeat(np.arange(n), np.diff(X.indptr))
    wh = np.einsum("ij,ij->i", W[rows], Ht[X.indices])
    return W, (Ht, Ht.sum(0), X.indptr, X.indices, X.data, wh)


def kl_args(rest, order):
    Ht, hsum, indptr, indices, data, wh = rest
    return (Ht, hsum, indptr, indices, data, wh.copy(), order, 3, 0.01, 0.02)


INPUTS = {"hals_sweep": hals_inputs, "kl_ccd_sweep": kl_inputs}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_compiled_matches_array_api_twin(name, shuffled, dtype):
    pytest.importorskip("numba")
    rng = np.random.default_rng(0)
    made = INPUTS[name](rng, dtype)
    A = made[0]
    order = rng.permutation(A.shape[1]) if shuffled else np.arange(A.shape[1])
    if name == "kl_ccd_sweep":
        args = [kl_args(made[1], order) for _ in range(2)]
    else:
        args = [(made[1], made[2], order)] * 2
    fast, twin = kernel(name, NumpyEngine()), kernel(name, NumpyEngine(), compiled=False)
    assert fast is not twin
    A1, A2 = A.copy(), A.copy()
    d1, d2 = fast(A1, *args[0]), twin(A2, *args[1])
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(A1, A2, rtol=rtol, atol=rtol * np.abs(A2).max())
    # float32 rounding may turn a tiny step into none in one form and not the other
    assert d1 == pytest.approx(d2, rel=1e-9 if dtype == np.float64 else 1e-2)
    assert A1.dtype == dtype and A1.min() >= 0
    if name == "hals_sweep":
        assert np.all(A1[0] == 0)
    else:  # the maintained W H stays exact
        np.testing.assert_allclose(args[0][5], args[1][5], rtol=rtol)


def test_hals_sweep_is_exact_coordinate_minimisation():
    """Each column update is the exact minimiser: a second sweep from it moves nothing."""
    rng = np.random.default_rng(1)
    A, G, R = hals_inputs(rng, np.float64, k=1)
    sweep = kernel("hals_sweep", NumpyEngine())
    sweep(A, G, R, np.arange(1))
    assert sweep(A, G, R, np.arange(1)) == pytest.approx(0.0, abs=1e-24)
