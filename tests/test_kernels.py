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


INPUTS = {"hals_sweep": hals_inputs}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_compiled_matches_array_api_twin(name, shuffled, dtype):
    pytest.importorskip("numba")
    rng = np.random.default_rng(0)
    A, G, R = INPUTS[name](rng, dtype)
    order = rng.permutation(A.shape[1]) if shuffled else np.arange(A.shape[1])
    fast, twin = kernel(name, NumpyEngine()), kernel(name, NumpyEngine(), compiled=False)
    assert fast is not twin
    A1, A2 = A.copy(), A.copy()
    d1, d2 = fast(A1, G, R, order), twin(A2, G, R, order)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(A1, A2, rtol=rtol, atol=rtol * np.abs(A2).max())
    assert d1 == pytest.approx(d2, rel=rtol * 10)
    assert A1.dtype == dtype and A1.min() >= 0
    assert np.all(A1[0] == 0)


def test_hals_sweep_is_exact_coordinate_minimisation():
    """Each column update is the exact minimiser: a second sweep from it moves nothing."""
    rng = np.random.default_rng(1)
    A, G, R = hals_inputs(rng, np.float64, k=1)
    sweep = kernel("hals_sweep", NumpyEngine())
    sweep(A, G, R, np.arange(1))
    assert sweep(A, G, R, np.arange(1)) == pytest.approx(0.0, abs=1e-24)
