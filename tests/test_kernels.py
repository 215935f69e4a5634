"""Every compiled kernel against its array-API twin, driven by the KERNELS registry."""

import numpy as np
import pytest
import scipy.sparse as sp

from nmfkit.arrays.engines import NumpyEngine
from nmfkit.arrays.kernels import KERNELS, kernel


def hals_case(rng, dtype, order, n=37, m=23, k=6):
    A = rng.random((n, k)).astype(dtype)
    A[rng.random((n, k)) < 0.3] = 0  # zeros exercise the skipped updates
    Ht = rng.random((m, k))
    G = (Ht.T @ Ht).astype(dtype)
    R = (rng.random((n, m)) @ Ht).astype(dtype)
    R[0] = -1  # a row driven to zero
    orders = np.stack([order[:k], order[:k][::-1], order[:k]])  # three sweeps at most
    return (A, G, R, orders, 1e-4), (0,)


def _csr(rng, dtype, n, m):
    X = sp.random(n, m, density=0.3, format="csr", random_state=rng, dtype=dtype) * 5
    X.data[::7] = 0  # explicit zeros
    return X, np.repeat(np.arange(n), np.diff(X.indptr))


def kl_case(rng, dtype, order, n=37, m=23, k=6):
    X, rows = _csr(rng, dtype, n, m)
    W = (rng.random((n, k)) + 0.05).astype(dtype)
    Ht = (rng.random((m, k)) + 0.05).astype(dtype)
    wh = np.einsum("ij,ij->i", W[rows], Ht[X.indices])
    args = (W, Ht, Ht.sum(0), X.indptr, X.indices, X.data, wh, order[:k], 3, 0.01, 0.02)
    return args, (0, 6)  # W and the maintained W H


def wh_case(rng, dtype, order, n=37, m=23, k=6):
    X, rows = _csr(rng, dtype, n, m)
    W = rng.random((n, k)).astype(dtype)
    Ht = rng.random((m, k)).astype(dtype)
    return (X.indptr, X.indices, W, Ht, np.zeros(X.nnz, dtype)), (4,)


def csr_dense_case(rng, dtype, order, n=37, m=23, k=6):
    X, _ = _csr(rng, dtype, n, m)
    B = rng.random((m, k)).astype(dtype)
    return (X.indptr, X.indices, X.data, B, np.full((n, k), np.nan, dtype)), (4,)


def nnls_case(rng, dtype, order, n=37, m=23, k=6):
    A = rng.random((m, k))
    A[:, 0] = A[:, 1]  # a singular Gram: passive blocks holding both need least squares
    G = A.T @ A + (0 if order[0] == 0 else 0.1) * np.eye(k)
    B = (rng.random((n, m)) - 0.3) @ A
    X = rng.random((n, k)) * (rng.random((n, k)) < 0.5)  # warm starts
    G, B, X = G.astype(dtype), B.astype(dtype), X.astype(dtype)
    return (G, B, X, 1e-12 * float(np.abs(B).max())), (2,)


def duplicates_case(rng, dtype, order, n=37, m=23, k=6):
    X, _ = _csr(rng, dtype, n, m)
    indices = X.indices.copy()
    for i in range(n):  # unsorted rows
        rng.shuffle(indices[X.indptr[i] : X.indptr[i + 1]])
    if order[0] != 0:  # the shuffled cases store one column twice in some row
        row = int(np.argmax(np.diff(X.indptr)))
        indices[X.indptr[row] + 1] = indices[X.indptr[row]]
    return (X.indptr, indices, m), ()


def _observed(rng, dtype, n, m, k):
    X, rows = _csr(rng, dtype, n, m)
    X.sort_indices()
    weight = rng.random(X.nnz) + 0.5
    A = (rng.random((n, k)) * (rng.random((n, k)) < 0.7)).astype(dtype)
    B = rng.random((m, k)).astype(dtype)
    return X, rows, weight, A, B


def masked_nnls_case(rng, dtype, order, n=37, m=23, k=6):
    X, rows, weight, A, B = _observed(rng, dtype, n, m, k)
    l2 = np.full(n, 1e-3 if order[0] == 0 else 0.1)  # > 0: one solution per row
    l2[1] = 0.0  # with an empty row below: solves to 0
    X.indptr[2:] -= X.indptr[2] - X.indptr[1]
    X = sp.csr_matrix((X.data[: X.indptr[-1]], X.indices[: X.indptr[-1]], X.indptr), X.shape)
    target = X.data - 0.2  # negative targets too
    return (X.indptr, X.indices, target, weight[: X.nnz], A, B, 0.01, l2), (4,)


def masked_hals_case(rng, dtype, order, n=37, m=23, k=6):
    X, rows, weight, A, B = _observed(rng, dtype, n, m, k)
    res = X.data - np.einsum("ij,ij->i", A[rows].astype(float), B[X.indices])
    pos = np.arange(X.nnz)
    l2 = np.full(n, 0.05)
    return (X.indptr, X.indices, pos, res, weight, A, B, 0.01, l2, order[:k]), (3, 5)


def sparseness_case(rng, dtype, order, n=37, m=23, k=6):
    A = rng.normal(size=(m, k)).astype(dtype)
    return (A, (0.25, 0.7, 0.95)[int(order[0]) % 3]), ()  # a new array: compared as returned


def hoyer_case(rng, dtype, order, n=37, m=23, k=6):
    A = (rng.random((m, k)) * (rng.random((m, k)) < 0.5)).astype(dtype)
    B = rng.random((n, k))
    G = (B.T @ B).astype(dtype)
    R = (rng.random((m, k)) * 10).astype(dtype)
    return (A, G, R, 0.6), ()


def symnmf_case(rng, dtype, order, n=37, m=23, k=6):
    B = sp.random(n, n, density=0.2, format="csr", random_state=rng, dtype=dtype)
    A = (B + B.T).tocsr()
    A.sort_indices()
    H = rng.random((n, k)) * (rng.random((n, k)) < 0.8)  # float64: the kernel's contract
    return (A.indptr, A.indices, A.data, H, H.T @ H, np.einsum("ij,ij->i", H, H)), (3, 4, 5)


def convolutive_case(rng, dtype, order, n=37, m=23, k=3, T=4):
    W = rng.random((n, k)) * (rng.random((n, k)) < 0.6)  # float64: the kernel's contract
    H = rng.random((T, k, m))
    R = rng.random((n, m)) - 0.5  # a residual of any sign
    return (R, W, H, np.einsum("tkf,tkf->tk", H, H)), (0, 1)


# kernel name -> builder of (arguments, indices of the arguments the kernel writes)
CASES = {
    "hals_sweeps": hals_case,
    "kl_ccd_sweep": kl_case,
    "wh_at": wh_case,
    "csr_dense": csr_dense_case,
    "nnls_rows": nnls_case,
    "csr_has_duplicates": duplicates_case,
    "masked_nnls_rows": masked_nnls_case,
    "masked_hals_rows": masked_hals_case,
    "sparseness_projection": sparseness_case,
    "hoyer_sweep": hoyer_case,
    "symnmf_cd_sweep": symnmf_case,
    "convolutive_w_sweep": convolutive_case,
}


def test_every_kernel_has_a_case():
    assert set(CASES) == set(KERNELS)


def _copy(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_compiled_matches_array_api_twin(name, shuffled, dtype):
    pytest.importorskip("numba")
    rng = np.random.default_rng(0)
    order = rng.permutation(6) if shuffled else np.arange(6)
    args, written = CASES[name](rng, dtype, order)
    fast, twin = kernel(name, NumpyEngine()), kernel(name, NumpyEngine(), compiled=False)
    assert fast is not twin
    a1, a2 = _copy(args), _copy(args)
    r1, r2 = fast(*a1), twin(*a2)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    for i in written:
        assert a1[i].dtype == a2[i].dtype == args[i].dtype  # written in place
        np.testing.assert_allclose(a1[i], a2[i], rtol=rtol, atol=rtol * np.abs(a2[i]).max())
    if isinstance(r1, np.ndarray) and not written:  # kernels that return a new array
        assert r1.dtype == r2.dtype == args[0].dtype
        np.testing.assert_allclose(r1, r2, rtol=rtol, atol=rtol * np.abs(r2).max())
    elif isinstance(r1, (bool, np.bool_)):
        assert bool(r1) == bool(r2) == (name == "csr_has_duplicates" and shuffled)
    elif np.isscalar(r1):
        # float32 rounding may turn a tiny step into none in one form and not the other
        assert r1 == pytest.approx(r2, rel=1e-9 if dtype == np.float64 else 1e-2)


def test_hals_sweeps_leave_a_negative_row_at_zero_and_are_exact():
    rng = np.random.default_rng(1)
    (A, G, R, orders, _), _ = hals_case(rng, np.float64, np.arange(6))
    sweeps = kernel("hals_sweeps", NumpyEngine())
    sweeps(A, G, R, orders, 0.0)
    assert np.all(A[0] == 0) and A.min() >= 0
    (A, G, R, _, _), _ = hals_case(rng, np.float64, np.arange(1), k=1)
    sweeps(A, G, R, np.zeros((1, 1), dtype=int), 0.0)
    # one coordinate: its update is the exact minimiser, a second sweep moves nothing
    assert sweeps(A, G, R, np.zeros((1, 1), dtype=int), 0.0) == pytest.approx(0.0, abs=1e-24)


@pytest.mark.parametrize("compiled", [True, False])
def test_each_row_sweeps_until_it_has_converged_whatever_its_neighbours_do(compiled):
    """A row's sweeps depend on that row alone: a block of rows gives the rows it holds
    the same values as the whole matrix does, and many sweeps solve each row's NNLS."""
    from scipy.optimize import nnls

    rng = np.random.default_rng(3)
    (A, G, R, _, _), _ = hals_case(rng, np.float64, np.arange(6), n=12)
    R[5] *= 50  # one row far from its solution, which needs many more sweeps
    orders = np.tile(np.arange(6), (200, 1))
    sweeps = kernel("hals_sweeps", NumpyEngine(), compiled=compiled)
    whole, part = A.copy(), A[3:7].copy()
    sweeps(whole, G, R, orders, 1e-20)
    sweeps(part, G, R[3:7], orders, 1e-20)
    np.testing.assert_array_equal(whole[3:7], part)
    L = np.linalg.cholesky(G)  # ½ a G aᵀ - a rᵀ = ½ |Lᵀ aᵀ - L⁻¹ rᵀ|² + const
    for i in range(12):
        expected = nnls(L.T, np.linalg.solve(L, R[i]))[0]
        np.testing.assert_allclose(whole[i], expected, atol=1e-6 * max(1, expected.max()))


def test_kl_sweep_keeps_wh_exact_and_descends():
    rng = np.random.default_rng(2)
    args, _ = kl_case(rng, np.float64, np.arange(6))
    W, Ht, _, indptr, indices, data, wh = args[:7]
    rows = np.repeat(np.arange(W.shape[0]), np.diff(indptr))

    def kl():
        y = np.einsum("ij,ij->i", W[rows], Ht[indices])
        live = data > 0
        return np.sum(data[live] * np.log(data[live] / y[live])) - data.sum() + W.sum(0) @ Ht.sum(0)

    before = kl()
    kernel("kl_ccd_sweep", NumpyEngine())(*args[:9], 0.0, 0.0)
    np.testing.assert_allclose(wh, np.einsum("ij,ij->i", W[rows], Ht[indices]), rtol=1e-12)
    assert kl() < before


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_compiled_result_does_not_depend_on_the_number_of_threads(name, monkeypatch):
    pytest.importorskip("numba")
    from nmfkit.arrays.kernels import _rows

    monkeypatch.setattr(_rows, "_MIN_WORK", 1000)  # several blocks even for small cases
    rng = np.random.default_rng(3)
    args, written = CASES[name](rng, np.float64, np.arange(6), n=300, m=40)
    fast = kernel(name, NumpyEngine())
    assert len(_rows.blocks(np.arange(301.0) * 100)) > 3
    runs = []
    for threads in ("1", "4"):
        monkeypatch.setenv("NMFKIT_NUM_THREADS", threads)
        a = _copy(args)
        runs.append((fast(*a), [a[i] for i in written]))
    (r1, arrays1), (r4, arrays4) = runs
    if isinstance(r1, np.ndarray):
        assert np.array_equal(r1, r4)
    elif np.isscalar(r1):
        assert r1 == r4
    for x, y in zip(arrays1, arrays4):
        assert np.array_equal(x, y)


def test_unsorted_csr_input_is_not_copied_and_duplicates_are_summed():
    rng = np.random.default_rng(4)
    (indptr, indices, m), _ = duplicates_case(rng, np.float64, np.arange(6))
    X = sp.csr_matrix((rng.random(len(indices)), indices, indptr), shape=(37, m))
    assert not X.has_sorted_indices
    assert NumpyEngine().check_input(X) is X  # no copy of the user's data
    (indptr, indices, m), _ = duplicates_case(rng, np.float64, np.arange(6)[::-1])
    data = rng.random(len(indices))
    X = sp.csr_matrix((data, indices.copy(), indptr), shape=(37, m))
    Y = NumpyEngine().check_input(X)
    assert Y is not X and Y.has_canonical_format
    np.testing.assert_allclose(Y.toarray(), X.toarray())
    np.testing.assert_array_equal(X.data, data)  # the caller's X untouched
