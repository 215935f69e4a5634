"""Solver properties, driven by the SOLVERS registry: a new solver is tested by adding it."""

import dataclasses
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import planted, random_sparse
from sklearn.decomposition import non_negative_factorization as sk_nnf

from nmfkit import NMF, non_negative_factorization
from nmfkit.core.init import initialize
from nmfkit.core.loop import run
from nmfkit.core.losses import objective
from nmfkit.core.plan import resolve
from nmfkit.core.solvers import SOLVERS

BETAS = [2.0, 1.0, 0.0, 0.5, 1.5, 3.0]


def solver_betas():
    """Every (solver, β) pair the registry says is supported."""
    for name, solver in SOLVERS.items():
        for beta in BETAS:
            if solver.minimises(beta):
                yield pytest.param(name, beta, id=f"{name}-beta{beta:g}")


def positive_data(beta, n=25, m=18, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, m))
    return X + 0.1 if beta <= 0 else X


def fit_with_every_check(X, solver, beta, k=4, max_iter=60, **kw):
    """Run the Loop with the objective checked after every iteration."""
    est = NMF(
        k,
        solver=solver,
        beta_loss=beta,
        init="nndsvda",
        tol=0.0,
        max_iter=max_iter,
        random_state=0,
        **kw,
    )
    Xc, engine, params = est._check(X, reset=True, caller="test")
    plan, _, _ = resolve(params, Xc, engine)
    plan = dataclasses.replace(plan, check_every=1)
    W, H = initialize(Xc, plan, engine)
    return run(Xc, W, H, plan, engine)


def with_sparsity():
    """(solver, β, sparse) triples; β <= 0 needs X > 0, so it never meets sparse zeros."""
    for p in solver_betas():
        solver, beta = p.values
        for sparse in (False, True) if beta > 0 else (False,):
            yield pytest.param(solver, beta, sparse, id=f"{p.id}-{'sparse' if sparse else 'dense'}")


@pytest.mark.parametrize("solver,beta,sparse", with_sparsity())
def test_objective_never_increases(solver, beta, sparse):
    X = positive_data(beta)
    if sparse:
        X = sp.csr_matrix(X * (X > 0.4))
    W, H, res = fit_with_every_check(X, solver, beta, alpha_W=0.01, l1_ratio=0.5)
    curve = np.array(res.loss_curve)
    slack = 1e-9 * curve + 1e-12 * curve[0]
    assert np.all(curve[1:] <= curve[:-1] + slack[:-1]), np.diff(curve).max()
    assert np.all(np.isfinite(W)) and np.all(np.isfinite(H))
    assert W.min() >= 0 and H.min() >= 0


@pytest.mark.parametrize("solver,beta", solver_betas())
def test_planted_low_rank_recovered(solver, beta):
    """Exact rank-k data is fitted to relative error < 1e-6 (MU β=3: see the note)."""
    k = 3
    if solver == "mu" and beta in (2.0, 3.0):
        # MU's zero-locking makes exact zeros in the factors slow to reach: plant
        # strictly positive factors, the case where MU converges linearly.
        rng = np.random.default_rng(1)
        X = (rng.random((40, k)) + 0.5) @ (rng.random((k, 30)) + 0.5)
    elif beta <= 0:
        X = planted(40, 30, k, seed=1)[0]
    else:
        X = planted(40, 30, k, seed=1, density=0.5)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NMF(
            k,
            solver=solver,
            beta_loss=beta,
            init="nndsvda",
            tol=0.0,
            max_iter=20000,
            random_state=0,
        )
        W = model.fit_transform(X)
    rel = np.linalg.norm(X - W @ model.components_) / np.linalg.norm(X)
    # MU with β > 2 takes Févotte & Idier's damped exponent 1/(β-1) that keeps it
    # monotone; it reaches about 1e-5 in 20000 iterations, not 1e-6.
    target = 1e-4 if (solver == "mu" and beta == 3.0) else 1e-6
    assert rel < target, rel


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver,beta", solver_betas())
def test_outputs_finite_nonnegative_and_dtype_kept(solver, beta, dtype):
    X = positive_data(beta).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NMF(4, solver=solver, beta_loss=beta, max_iter=50, random_state=0)
        W = model.fit_transform(X)
        W2 = model.transform(X)
    for A in (W, W2, model.components_):
        assert A.dtype == dtype
        assert np.all(np.isfinite(A)) and A.min() >= 0
    assert model.components_.shape == (4, X.shape[1])


@pytest.mark.parametrize("solver,beta", [p for p in solver_betas() if p.values[1] > 0])
def test_sparse_equals_dense_from_same_init(solver, beta):
    X = random_sparse(30, 25, density=0.4, seed=2)
    rng = np.random.default_rng(3)
    W0, H0 = rng.random((30, 4)) + 0.1, rng.random((4, 25)) + 0.1
    out = []
    for data in (X, X.toarray()):
        W, H, n = non_negative_factorization(
            data,
            W0.copy(),
            H0.copy(),
            4,
            init="custom",
            solver=solver,
            beta_loss=beta,
            max_iter=30,
            tol=0.0,
            alpha_W=0.01,
            l1_ratio=0.3,
        )
        out.append((W, H))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-7, atol=1e-10)


# -- against scikit-learn: same data, same init, same number of iterations --------------

SKLEARN_PEER = {"hals": "cd", "cd": "cd", "bpp": "cd", "mu": "mu", "ccd": "mu"}
# apg is the solver of constrained fits: without constraints its blocks are HALS sweeps
# without hals's extrapolation, and at 40 iterations it can trail cd by 0.3 %; from 100
# iterations on it is no worse (test_apg_unconstrained_no_worse_than_cd)
OWN_PROBLEM = {"apg"}


def _sk_cases():
    for p in with_sparsity():
        solver, beta, sparse = p.values
        if solver in OWN_PROBLEM:
            continue
        for alpha in (0.0, 0.002):
            yield pytest.param(solver, beta, sparse, alpha, id=f"{p.id}-alpha{alpha}")


@pytest.mark.parametrize("alpha", [0.0, 0.002])
@pytest.mark.parametrize("sparse", [False, True])
def test_apg_unconstrained_no_worse_than_cd(sparse, alpha):
    rng = np.random.default_rng(4)
    X = rng.random((60, 45)) ** 2
    if sparse:
        X = sp.csr_matrix(X * (X > 0.3))
    W0 = rng.random((60, 6)) * 0.5 + 0.05
    H0 = rng.random((6, 45)) * 0.5 + 0.05
    common = dict(init="custom", max_iter=100, tol=0.0, alpha_W=alpha, l1_ratio=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Wk, Hk, _ = sk_nnf(X, W0.copy(), H0.copy(), 6, solver="cd", **common)
        est = NMF(6, solver="apg", **common).fit(X, W=W0.copy(), H=H0.copy())
    Xc, engine, params = est._check(X, reset=True, caller="test")
    plan, _, _ = resolve(params, Xc, engine, W0, H0)
    assert est.loss_curve_[-1] <= objective(Xc, Wk, Hk, plan) * (1 + 1e-9)


@pytest.mark.parametrize("solver,beta,sparse,alpha", _sk_cases())
def test_loss_no_worse_than_sklearn(solver, beta, sparse, alpha):
    rng = np.random.default_rng(4)
    X = rng.random((60, 45)) ** 2 + (0.05 if beta <= 0 else 0.0)
    if sparse:
        X = sp.csr_matrix(X * (X > 0.3))
    k = 6
    W0 = rng.random((60, k)) * 0.5 + 0.05
    H0 = rng.random((k, 45)) * 0.5 + 0.05
    common = dict(init="custom", beta_loss=beta, max_iter=40, tol=0.0, alpha_W=alpha, l1_ratio=0.5)
    seen = {}

    def keep_iterate(it, loss, W, H):
        seen.update(it=it, loss=loss, W=W.copy(), H=H.copy())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Wk, Hk, nk = sk_nnf(X, W0.copy(), H0.copy(), k, solver=SKLEARN_PEER[solver], **common)
        est = NMF(k, solver=solver, callback=keep_iterate, **common)
        est.fit(X, W=W0.copy(), H=H0.copy())
    assert est.n_iter_ == 40 and nk == 40 and seen["it"] == 40
    Xc, engine, params = est._check(X, reset=True, caller="test")
    plan, _, _ = resolve(params, Xc, engine, W0, H0)
    # iterate against iterate: the objective at iteration 40, before fit_transform's
    # exact final W step
    ours = objective(Xc, seen["W"], seen["H"], plan)
    assert ours == pytest.approx(est.loss_curve_[-1], rel=1e-9)
    theirs = objective(Xc, Wk, Hk, plan)
    assert ours <= theirs * (1 + 1e-3), (ours, theirs)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_recorded_loss_is_that_of_the_returned_pair(solver, seed):
    """Over long runs (extrapolation restarts included), the loss the Loop records at
    each check is the objective of the pair returned then, computed from scratch, and
    it never increases."""
    beta = 2.0 if SOLVERS[solver].minimises(2.0) else SOLVERS[solver].betas[0]
    X = np.random.default_rng(seed).random((40, 30))
    est = NMF(
        5, solver=solver, beta_loss=beta, init="random", random_state=seed, tol=0.0, max_iter=150
    )
    Xc, engine, params = est._check(X, reset=True, caller="test")
    plan = dataclasses.replace(resolve(params, Xc, engine)[0], check_every=1)
    fresh = []
    W, H = initialize(Xc, plan, engine)
    _, _, res = run(
        Xc,
        W,
        H,
        plan,
        engine,
        callback=lambda it, loss, W, H: fresh.append(objective(Xc, W, H, plan)),
    )
    np.testing.assert_allclose(res.loss_curve[1:], fresh, rtol=1e-9)
    curve = np.array(res.loss_curve)
    assert np.all(curve[1:] <= curve[:-1] * (1 + 1e-12))


def test_hals_keeps_its_best_pair_intact_across_restarts():
    """Extrapolated HALS returns its best pair; later steps (restarts included) must not
    write into that memory, or the pair no longer has the loss recorded for it."""
    from nmfkit.core.solvers import hals

    kept, restarts = [], 0
    for seed in range(3):
        X = np.random.default_rng(seed).random((40, 30))
        est = NMF(5, init="random", random_state=seed, tol=0.0, max_iter=150)
        Xc, engine, params = est._check(X, reset=True, caller="test")
        plan = resolve(params, Xc, engine)[0]
        W, H = initialize(Xc, plan, engine)
        state = {"facts": Xc.describe(), "stats": {}, "update_H": True, "rng": None}
        previous = np.inf
        for _ in range(150):
            W, H = hals.step(Xc, W, H, state, plan, engine)
            ex = state["extrapolation"]
            restarts += ex.loss > previous
            previous = ex.loss
            kept.append((W, H, W.copy(), H.copy()))
    assert restarts > 0  # the case this test is about happened
    for W_ref, H_ref, W_then, H_then in kept:
        np.testing.assert_array_equal(W_ref, W_then)
        np.testing.assert_array_equal(H_ref, H_then)


@pytest.mark.parametrize("solver,beta", [p for p in solver_betas() if p.values[1] > 0])
def test_fit_never_modifies_X(solver, beta):
    """Sparse X holding explicit zeros is left untouched by every solver,
    and the fit equals the fit of the same matrix without the stored zeros."""
    X = random_sparse(30, 20, density=0.4, seed=5)
    X.data[::5] = 0
    before = (X.data.copy(), X.indices.copy(), X.indptr.copy())
    kw = dict(
        n_components=3,
        solver=solver,
        beta_loss=beta,
        init="random",
        random_state=0,
        max_iter=20,
        tol=0.0,
    )
    H = NMF(**kw).fit(X).components_
    for a, b in zip((X.data, X.indices, X.indptr), before):
        np.testing.assert_array_equal(a, b)
    Xz = X.copy()
    Xz.eliminate_zeros()
    np.testing.assert_allclose(NMF(**kw).fit(Xz).components_, H, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_returned_factors_are_balanced_and_exact_on_exact_data(solver):
    """Exact rank-3 data: HALS once let one component's H row grow to 5e8 while its W
    column shrank, and the final exact W solve then failed (error 15 instead of 0).
    Fits now return balanced components, and the BPP solve works in scaled variables."""
    rng = np.random.default_rng(0)
    X = rng.random((20, 3)) @ rng.random((3, 12))
    beta = 1.0 if solver == "ccd" else 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NMF(3, init="random", random_state=0, solver=solver, beta_loss=beta, max_iter=400)
        W = model.fit_transform(X)
    H = model.components_
    # balanced before the final exact W solve, which then moves W a little
    np.testing.assert_allclose(np.linalg.norm(W, axis=0), np.linalg.norm(H, axis=1), rtol=0.05)
    if solver != "mu":  # (MU is still on its way after 400 iterations)
        assert model.reconstruction_err_ < 1e-3 * np.linalg.norm(X)


def test_exact_solve_survives_badly_scaled_components():
    from nmfkit.arrays.engines import NumpyEngine
    from nmfkit.core.solvers.bpp import nnls_bpp

    rng = np.random.default_rng(1)
    A = rng.random((30, 3))
    A[:, 0] *= 5e8  # one column 5e8 times the others
    x_true = np.array([2e-9, 0.7, 0.0])
    b = A @ x_true
    x = nnls_bpp(A.T @ A, (A.T @ b)[None, :], np.ones((1, 3)), NumpyEngine(), np.float64)[0]
    np.testing.assert_allclose(A @ x, b, rtol=1e-8, atol=1e-8 * np.abs(b).max())


@pytest.mark.parametrize("solver, beta", [p for p in solver_betas() if p.values[1] in (1.0, 2.0)])
def test_read_only_csr_with_unsorted_indices_fits(solver, beta):
    """joblib hands large inputs to worker processes memory-mapped read-only, and
    vectorizers make unsorted indices: nothing may sort X in place."""
    rng = np.random.default_rng(0)
    X = random_sparse(50, 40, density=0.3, seed=1)
    for i in range(50):
        s = slice(X.indptr[i], X.indptr[i + 1])
        p = rng.permutation(s.stop - s.start)
        X.indices[s], X.data[s] = X.indices[s][p], X.data[s][p]
    X.has_sorted_indices = False
    for a in (X.data, X.indices, X.indptr):
        a.flags.writeable = False
    model = NMF(3, solver=solver, beta_loss=beta, max_iter=20, random_state=0)
    W = model.fit_transform(X)
    assert np.isfinite(W).all() and np.isfinite(model.transform(X)).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_extrapolation_wraps_any_alternating_scheme(seed, monkeypatch):
    """Ang & Gillis's extrapolation is a wrapper: around BPP's two half-steps, as around
    HALS's, the recorded objective never rises, and after 30 iterations it is no higher
    than plain BPP's from the same start."""
    from nmfkit.core import solvers
    from nmfkit.core.solvers import bpp
    from nmfkit.core.solvers.extrapolation import extrapolated

    accelerated = solvers.Solver("bpp-x", {"plain": extrapolated(bpp.update_W, bpp.update_H)})
    monkeypatch.setitem(solvers.SOLVERS, "bpp-x", accelerated)
    X = np.random.default_rng(seed).random((60, 40))
    est = NMF(6, solver="bpp", init="random", random_state=seed, tol=0.0, max_iter=30)
    data, engine, params = est._check(X, reset=True, caller="test")
    plain = dataclasses.replace(resolve(params, data, engine)[0], check_every=1)
    curves = []
    for plan in (plain, dataclasses.replace(plain, solver="bpp-x")):
        W, H = initialize(data, plan, engine)
        curves.append(np.array(run(data, W, H, plan, engine)[2].loss_curve))
    assert np.all(curves[1][1:] <= curves[1][:-1] * (1 + 1e-12))
    assert curves[1][-1] <= curves[0][-1] * (1 + 1e-9), (curves[1][-1], curves[0][-1])


def test_the_plan_checks_the_penalties_a_solver_takes(monkeypatch):
    """Penalties are a capability of the solver record: one without 'l1' is refused
    before the first iteration when the penalty has an L1 part."""
    from nmfkit.core import solvers

    monkeypatch.setitem(
        solvers.SOLVERS, "l2only", dataclasses.replace(SOLVERS["mu"], penalties=("l2",))
    )
    X = np.random.default_rng(0).random((20, 10))
    est = NMF(3, alpha_W=0.1, l1_ratio=0.5)
    data, engine, params = est._check(X, reset=True, caller="NMF.fit")
    params = {**params, "solver": "l2only"}
    with pytest.raises(ValueError, match=r"solver='l2only' does not take the l1 penalty"):
        resolve(params, data, engine)
    resolve({**params, "l1_ratio": 0.0}, data, engine)  # L2 only: fine
    resolve({**params, "alpha_W": 0.0}, data, engine)  # no penalty: fine


@pytest.mark.parametrize("alpha_W", [0.0, 0.1])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cd_is_scikit_learns_coordinate_descent(alpha_W, dtype):
    """solver='cd' runs scikit-learn's coordinate descent: from the same start, the
    iterates agree to rounding after 30 iterations (penalties and float32 included)."""
    X = np.abs(np.random.RandomState(0).randn(50, 7)).astype(dtype)
    rng = np.random.default_rng(0)
    W0, H0 = rng.random((50, 5)).astype(dtype), rng.random((5, 7)).astype(dtype)
    kw = dict(tol=0, max_iter=30, alpha_W=alpha_W, l1_ratio=0.5)
    seen = {}

    def keep(it, loss, W, H):
        seen.update(W=W, H=H)

    NMF(5, init="custom", solver="cd", callback=keep, **kw).fit(X, W=W0.copy(), H=H0.copy())
    Ws, Hs, _ = sk_nnf(X, W0.copy(), H0.copy(), 5, init="custom", solver="cd", **kw)
    rtol = 1e-13 if dtype == np.float64 else 1e-5
    for ours, theirs in ((seen["W"], Ws), (seen["H"], Hs)):
        assert np.max(np.abs(ours - theirs)) <= rtol * np.max(np.abs(theirs))
