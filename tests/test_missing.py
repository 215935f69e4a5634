"""Unknown entries and per-entry weights, for every solver that supports them."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import nnls

from nmfkit import NMF
from nmfkit.arrays.engines import NumpyEngine
from nmfkit.arrays.kernels import kernel
from nmfkit.core.data import Plain
from nmfkit.core.masked import Observed, observe
from nmfkit.core.plan import resolve
from nmfkit.core.solvers import SOLVERS

MASKED = sorted(name for name, solver in SOLVERS.items() if solver.masked)
BETAS = [2.0, 1.0, 0.5, 0.0]


def _betas(solver):
    return [b for b in BETAS if SOLVERS[solver].minimises(b)]


CASES = [(s, b) for s in MASKED for b in _betas(s)]
# the Frobenius solvers (MU gets there too, far more slowly)
FROBENIUS = [s for s in MASKED if _betas(s) == [2.0]]


def planted(n=60, m=40, k=4, hidden=0.3, seed=0, offset=0.05):
    """Non-negative data (exactly of rank k when offset=0) and a mask of unknown entries."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, k)) @ rng.random((k, m)) + offset
    M = rng.random((n, m)) < hidden  # True: unknown
    return X, M


def naive_loss(X, Y, w, beta):
    """Σ w·d_β(x | y) over the entries with w > 0, written out entry by entry."""
    total = 0.0
    for x, y, c in zip(X.ravel(), Y.ravel(), w.ravel()):
        if c == 0:
            continue
        y = max(y, np.finfo(np.float32).eps) if beta != 2 else y
        if beta == 2:
            d = 0.5 * (x - y) ** 2
        elif beta == 1:
            d = (x * np.log(x / y) if x > 0 else 0.0) - x + y
        elif beta == 0:
            d = x / y - np.log(x / y) - 1
        else:
            d = (x**beta + (beta - 1) * y**beta - beta * x * y ** (beta - 1)) / (beta * (beta - 1))
        total += c * d
    return total


@pytest.mark.parametrize("beta", BETAS)
def test_masked_loss_equals_a_naive_reference_that_skips_unknown_entries(beta):
    X, M = planted()
    rng = np.random.default_rng(1)
    W, H = rng.random((60, 3)), rng.random((3, 40))
    w = rng.random(X.shape) * (rng.random(X.shape) < 0.8)
    Xn = np.where(M, np.nan, X)
    weights = np.where(M, 0.0, w)
    expected = naive_loss(X, W @ H, weights, beta)
    got = observe(Xn, w).divergence(W, H, beta)
    assert got == pytest.approx(expected, rel=1e-12)
    # the same entries given three ways: NaN, sparse stored, and 0/1 weights
    known = np.where(M, 0.0, 1.0)
    a = observe(Xn).divergence(W, H, beta)
    b = observe(sp.csr_matrix(np.where(M, 0, X)), observed="stored").divergence(W, H, beta)
    c = observe(X, known).divergence(W, H, beta)
    assert a == pytest.approx(naive_loss(X, W @ H, known, beta), rel=1e-12)
    assert a == pytest.approx(b, rel=1e-12) and a == pytest.approx(c, rel=1e-12)


def _plain_and_masked(solver, beta, X, seed=0, k=4):
    """One step of the plain solver and one masked step (all entries known) from one start."""
    rng = np.random.default_rng(seed)
    W0, H0 = rng.random((X.shape[0], k)) + 0.1, rng.random((k, X.shape[1])) + 0.1
    params = NMF(k, solver=solver, beta_loss=beta, init="custom").get_params()
    engine = NumpyEngine()
    out = []
    for data in (Plain(X, engine), observe(X, np.ones_like(X))):
        plan, W, H = resolve(params, data, engine, W0.copy(), H0.copy())
        state = {"facts": {"nnz": X.size}, "stats": {}, "update_H": True, "rng": None}
        out.append((plan, SOLVERS[solver], W, H, state, data))
    (p0, mod, W, H, s0, plain), (p1, _, Wm, Hm, s1, obs) = out
    assert obs.kind == "masked" and plain.kind == "plain"
    Wm, Hm = mod.steps["masked"](obs, Wm, Hm, s1, p1, engine)
    if solver == "hals":
        # the masked step is one HALS sweep of W, then one of H (no extrapolation)
        sweep = kernel("hals_sweeps", engine)
        orders = np.arange(k)[None, :]
        sweep(W, H @ H.T, X @ H.T, orders, 0.0)
        Ht = np.ascontiguousarray(H.T)
        sweep(Ht, W.T @ W, X.T @ W, orders, 0.0)
        return (W, Ht.T), (Wm, Hm)
    W, H = mod.steps["plain"](plain, W, H, s0, p0, engine)
    return (W, H), (Wm, Hm)


@pytest.mark.parametrize("solver, beta", CASES)
def test_with_no_unknown_entries_every_masked_step_equals_the_plain_one(solver, beta):
    X, _ = planted()
    (W, H), (Wm, Hm) = _plain_and_masked(solver, beta, X)
    np.testing.assert_allclose(Wm, W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(Hm, H, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("solver", FROBENIUS)
def test_planted_low_rank_with_70_percent_hidden_is_recovered(solver):
    X, M = planted(n=200, m=150, k=5, hidden=0.7, seed=3, offset=0.0)
    model = NMF(5, solver=solver, tol=0, max_iter=1500, random_state=0)
    W = model.fit_transform(np.where(M, np.nan, X))
    err = np.linalg.norm((W @ model.components_ - X)[M]) / np.linalg.norm(X[M])
    assert err < 1e-3
    # score on the hidden entries is minus their RMSE
    hidden = np.where(M, X, np.nan)
    rmse = np.sqrt(np.mean((W @ model.components_ - X)[M] ** 2))
    assert model.score(hidden) == pytest.approx(-rmse, rel=1e-9)


def _weighted_kkt(X, w, W, H):
    """Largest violation of the KKT conditions of min Σ w (x - WH)² over W, H ≥ 0."""
    R = w * (W @ H - X)
    gW, gH = R @ H.T, W.T @ R
    scale = np.abs(w * X).sum()
    return max(
        np.abs(np.minimum(gW, 0)).max() / scale,
        np.abs(np.minimum(gH, 0)).max() / scale,
        np.abs(W * gW).max() / scale,
        np.abs(H * gH).max() / scale,
    )


@pytest.mark.parametrize("solver", FROBENIUS)
def test_weighted_fit_reaches_the_optimum_of_a_naive_weighted_objective(solver):
    X, M = planted(seed=5)
    rng = np.random.default_rng(6)
    w = np.where(M, 0.0, rng.random(X.shape) * 3)
    model = NMF(4, solver=solver, tol=0, max_iter=800, random_state=0)
    W = model.fit_transform(X, weights=w)
    H = model.components_
    assert _weighted_kkt(X, w, W, H) < 1e-6
    expected = np.sqrt(2 * naive_loss(X, W @ H, w, 2.0))
    assert model.reconstruction_err_ == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("beta", BETAS)
def test_weighted_mu_equals_a_naive_weighted_update(beta):
    X, M = planted(seed=7)
    rng = np.random.default_rng(8)
    w = np.where(M, 0.0, rng.random(X.shape) + 0.5)
    W0, H0 = rng.random((60, 3)) + 0.1, rng.random((3, 40)) + 0.1
    seen = {}

    def keep(it, loss, W, H):  # the iterates, before fit balances and solves W exactly
        seen["WH"] = W @ H

    model = NMF(3, solver="mu", beta_loss=beta, init="custom", tol=0, max_iter=5, callback=keep)
    model.fit(X, W=W0.copy(), H=H0.copy(), weights=w)
    g = 1 / (2 - beta) if beta < 1 else 1.0
    eps = np.finfo(np.float32).eps
    Wr, Hr = W0.copy(), H0.copy()
    for _ in range(5):
        Y = np.maximum(Wr @ Hr, eps)
        Wr *= ((w * X * Y ** (beta - 2)) @ Hr.T / ((w * Y ** (beta - 1)) @ Hr.T)) ** g
        Y = np.maximum(Wr @ Hr, eps)
        Hr *= (Wr.T @ (w * X * Y ** (beta - 2)) / (Wr.T @ (w * Y ** (beta - 1)))) ** g
        if beta <= 1:
            Hr[Hr < np.finfo(np.float64).eps] = 0
    np.testing.assert_allclose(seen["WH"], Wr @ Hr, rtol=1e-9)


@pytest.mark.parametrize("solver, beta", CASES)
def test_masked_fits_descend_stay_finite_and_keep_float32(solver, beta):
    X, M = planted(seed=9)
    Xn = np.where(M, np.nan, X).astype(np.float32)
    model = NMF(3, solver=solver, beta_loss=beta, tol=0, max_iter=60, random_state=0)
    W = model.fit_transform(Xn)
    assert W.dtype == np.float32 and model.components_.dtype == np.float32
    assert np.isfinite(W).all() and W.min() >= 0 and model.components_.min() >= 0
    curve = np.array(model.loss_curve_)
    assert np.all(np.diff(curve) <= 1e-5 * curve[:-1])


def test_stored_path_never_forms_a_dense_array():
    # 10⁶ × 10⁵ dense would be 800 GB: the fit only runs if nothing dense is formed
    rng = np.random.default_rng(10)
    n, m, nnz = 10**6, 10**5, 20000
    X = sp.csr_matrix(
        (rng.random(nnz) + 1, (rng.integers(0, n, nnz), rng.integers(0, m, nnz))), shape=(n, m)
    )
    for solver in MASKED:
        model = NMF(3, solver=solver, observed="stored", max_iter=3, tol=0, random_state=0)
        W = model.fit_transform(X)
        assert W.shape == (n, 3) and np.isfinite(model.reconstruction_err_)
        assert np.isfinite(model.predict_entries([0, 5], [7, 9])).all()


def test_stored_differs_from_all_on_sparse_x():
    X, M = planted(seed=11)
    S = sp.csr_matrix(np.where(M, 0.0, X))
    stored = NMF(4, observed="stored", random_state=0, max_iter=400).fit(S)
    zeros = NMF(4, random_state=0, max_iter=400).fit(S)
    # the stored fit predicts the hidden entries; the zeros fit is pulled to 0 there
    hidden_err = [np.abs((m.W_ @ m.components_ - X)[M]).mean() for m in (stored, zeros)]
    assert hidden_err[0] < 0.1 * hidden_err[1]


def test_transform_folds_in_new_rows_from_their_known_entries():
    X, M = planted(n=80, seed=12)
    model = NMF(4, random_state=0, max_iter=300).fit(np.where(M[:60], np.nan, X[:60]))
    new = np.where(M[60:], np.nan, X[60:])
    W = model.transform(new)
    H = model.components_
    for i in range(new.shape[0]):
        known = ~np.isnan(new[i])
        ref, _ = nnls(H[:, known].T, new[i, known])
        np.testing.assert_allclose(W[i], ref, rtol=1e-6, atol=1e-9)
    # sparse new rows with observed='stored' give the same
    model.set_params(observed="stored")
    Ws = model.transform(sp.csr_matrix(np.nan_to_num(new)))
    np.testing.assert_allclose(Ws, W, rtol=1e-6, atol=1e-9)


def test_predict_entries_and_score():
    X, M = planted(seed=13)
    model = NMF(4, random_state=0, max_iter=200).fit(np.where(M, np.nan, X))
    rows, cols = np.nonzero(M)
    WH = model.W_ @ model.components_
    np.testing.assert_allclose(model.predict_entries(rows, cols), WH[rows, cols])
    with pytest.raises(IndexError, match=r"predict_entries: rows holds an index out of range"):
        model.predict_entries([60], [0])
    with pytest.raises(ValueError, match=r"rows has shape \(2,\) but cols \(1,\)"):
        model.predict_entries([0, 1], [0])
    with pytest.raises(ValueError, match=r"NMF.score: X has shape \(3, 40\) but the fitted X"):
        model.score(X[:3])
    # with nothing unknown, every entry is scored, dense or sparse alike
    full = -np.sqrt(np.mean((WH - X) ** 2))
    assert model.score(X) == pytest.approx(full, rel=1e-12)
    assert model.score(sp.csr_matrix(X)) == pytest.approx(full, rel=1e-12)


def test_rows_and_columns_with_nothing_known_get_zero_factors():
    X, M = planted(seed=14)
    X = X.copy()
    X[4] = np.nan
    X[:, 7] = np.nan
    for solver in MASKED:
        model = NMF(3, solver=solver, random_state=0, max_iter=50, tol=0).fit(X)
        assert np.all(model.W_[4] == 0) and np.all(model.components_[:, 7] == 0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(weights=-np.ones((4, 3))), r"NMF.fit: weights has 12 negative entries \(min -1\)"),
        (dict(weights=np.ones((3, 3))), r"weights has shape \(3, 3\) but X has shape \(4, 3\)"),
        (dict(weights=np.full((4, 3), np.nan)), r"weights contains 12 NaN or inf entries"),
        (dict(weights=np.zeros((4, 3))), r"X has no observed entries"),
        (dict(weights=[["a"] * 3] * 4), r"weights could not be read as numbers"),
    ],
)
def test_bad_weights(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NMF(2).fit(np.ones((4, 3)), **kwargs)


def test_nan_stored_in_sparse_x_with_observed_stored_is_refused():
    X = sp.csr_matrix(np.array([[1.0, 0], [0, 2.0]]))
    X.data[0] = np.nan
    with pytest.raises(ValueError, match=r"observed='stored' and stores 1 NaN values"):
        NMF(1, observed="stored").fit(X)


def test_solvers_without_masked_support_say_which_do():
    X = np.array([[1.0, np.nan], [2.0, 3.0]])
    with pytest.raises(ValueError, match=r"solver='ccd' does not support unknown entries"):
        NMF(1, solver="ccd", beta_loss="kullback-leibler").fit(X)
    # 'auto' picks one that does
    model = NMF(1, beta_loss="kullback-leibler", max_iter=20, tol=0).fit(X)
    assert np.isfinite(model.components_).all()


def test_other_engines_refuse_masks_with_a_fix():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"run on the NumPy engine only, not on 'torch'"):
        NMF(1).fit(torch.ones((3, 2), dtype=torch.float64), weights=np.ones((3, 2)))


def test_observed_is_an_objective_parameter_checked_like_the_others():
    with pytest.raises(ValueError, match=r"The 'observed' parameter of NMF must be"):
        NMF(1, observed="some").fit(np.ones((2, 2)))
    assert isinstance(observe(np.array([[1.0, np.nan]])), Observed)


def test_masked_model_saves_and_loads(tmp_path):
    from nmfkit import load

    X, M = planted(seed=15)
    model = NMF(3, random_state=0, max_iter=50).fit(np.where(M, np.nan, X))
    model.save(tmp_path / "m.npz")
    back = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(
        back.predict_entries([1, 2], [3, 4]), model.predict_entries([1, 2], [3, 4])
    )


@pytest.mark.parametrize("solver", MASKED)
def test_rows_with_fewer_known_entries_than_components_never_raise_the_loss(solver):
    # most rows and columns know fewer entries than k: their Grams are singular, where a
    # plain BPP solve can break down; every masked step must still descend
    # (ratings-like: 25 per user, items of skewed popularity)
    rng = np.random.default_rng(0)
    n, m, per_row = 200, 800, 25
    p = rng.pareto(1.0, m) + 1
    cols = np.concatenate([rng.choice(m, per_row, replace=False, p=p / p.sum()) for _ in range(n)])
    rows = np.repeat(np.arange(n), per_row)
    X = sp.csr_matrix((rng.integers(1, 6, n * per_row).astype(float), (rows, cols)), (n, m))
    model = NMF(40, solver=solver, observed="stored", tol=0, max_iter=10, random_state=0)
    model.fit(X)
    curve = np.array(model.loss_curve_)
    assert np.all(np.diff(curve) <= 1e-9 * curve[:-1] + 1e-12 * curve[0]), curve


def test_plain_and_masked_data_answer_one_protocol():
    """Both kinds of fit data implement FitData, and give the same facts for the same
    entries (every entry known, unit weights)."""
    from nmfkit.core.data import FitData

    X, _ = planted()
    plain, obs = Plain(X, NumpyEngine()), observe(X, np.ones_like(X))
    assert isinstance(plain, FitData) and isinstance(obs, FitData)
    assert (plain.kind, obs.kind) == ("plain", "masked")
    assert plain.all_known and not obs.all_known
    W, H = np.random.default_rng(2).random((60, 3)), np.random.default_rng(3).random((3, 40))
    for beta in (2.0, 1.0, 0.5):
        assert obs.divergence(W, H, beta) == pytest.approx(plain.divergence(W, H, beta), rel=1e-12)
    assert obs.describe() == pytest.approx(plain.describe(), rel=1e-12)
    for name in ("max_value", "mean", "count_zeros", "total_weight"):
        assert getattr(obs, name)() == pytest.approx(getattr(plain, name)(), rel=1e-12), name
    assert obs.scaled(2.0).max_value() == pytest.approx(plain.scaled(2.0).max_value())
