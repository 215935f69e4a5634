"""Constraints on the factors, driven by the registry ``core.constraints.CONSTRAINTS``:
each holds at every checked iterate, matches a naive reference of its step, keeps the
objective from rising, runs on every engine that can, and refuses what cannot hold."""

import math
import warnings

import numpy as np
import pytest
from conftest import planted, shared_file

from nmfkit import NMF, Box, Frozen, Hoyer, MinVolume, Orthogonal, Simplex
from nmfkit.core.constraints import CONSTRAINTS, project_simplex, project_sparseness, sparseness
from nmfkit.core.solvers.apg import solve_block

# one instance of every registered constraint (a new constraint adds its line here; a
# test checks that none is missing)
EXAMPLES = {
    "simplex": [Simplex("W"), Simplex("H", at_most=True)],
    "box": [Box("W", 0.0, 0.4), Box("H", 0.1, 0.9)],
    "hoyer": [Hoyer("H", 0.6), Hoyer("W", 0.3)],
    "orthogonal": [Orthogonal("W"), Orthogonal("H")],
    "frozen": [Frozen("H", [0, 2]), Frozen("W", [1])],
    "minvolume": [MinVolume("H"), MinVolume("W", lam=0.5, delta=0.2)],
}
CASES = [pytest.param(c, id=c.describe()) for cs in EXAMPLES.values() for c in cs]


def test_every_registered_constraint_has_examples():
    assert set(EXAMPLES) == set(CONSTRAINTS)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((40, 12)) ** 2 + 0.01


def _fit(constraint, X, callback=None, max_iter=60, engine="auto", **kw):
    k = 4
    rng = np.random.default_rng(1)
    W0 = rng.random((X.shape[0], k)) + 0.1
    H0 = rng.random((k, X.shape[1])) + 0.1
    model = NMF(
        k, init="custom", max_iter=max_iter, tol=0.0, constraints=[constraint],
        callback=callback, engine=engine, **kw,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        W = model.fit_transform(X, W=W0, H=H0)
    return model, np.asarray(W), np.asarray(model.components_), W0, H0


def _row_form(c, W, H):
    return W if c.factor == "W" else H.T


@pytest.mark.parametrize("constraint", CASES)
def test_holds_at_every_checked_iterate(constraint):
    X = _data()
    seen = []

    def check(it, loss, W, H):
        seen.append((np.array(W), np.array(H)))

    model, W, H, W0, H0 = _fit(constraint, X, check)
    seen.append((W, H))
    assert len(seen) >= 3
    for Wi, Hi in seen:
        assert np.all(Wi >= 0) and np.all(Hi >= 0)
        if constraint.role == "frozen":
            start, now = _row_form(constraint, W0, H0), _row_form(constraint, Wi, Hi)
            for j in constraint.indices(4):
                # bit for bit
                assert np.array_equal(now[:, j], start[:, j])
        else:
            assert constraint.violation(_row_form(constraint, Wi, Hi)) <= 1e-12


@pytest.mark.parametrize("constraint", CASES)
def test_objective_never_rises(constraint):
    model, *_ = _fit(constraint, _data(2), max_iter=100)
    curve = np.array(model.loss_curve_)
    # from the (projected) start on, every check is at most the one before
    assert np.all(np.diff(curve) <= 1e-12 * curve[:-1]), curve


@pytest.mark.parametrize("constraint", CASES)
def test_objective_includes_the_penalty(constraint):
    X = _data(3)
    last = {}

    def keep(it, loss, W, H):
        last.update(W=np.array(W), H=np.array(H), loss=loss)

    model, *_ = _fit(constraint, X, keep, max_iter=20)
    W, H = last["W"], last["H"]
    want = 0.5 * np.sum((X - W @ H) ** 2)
    (settled,) = model.constraints_
    if constraint.name == "minvolume":
        A = _row_form(constraint, W, H)
        assert settled.lam > 0 and settled.delta > 0
        want += settled.lam * np.linalg.slogdet(A.T @ A / settled.delta + np.eye(4))[1]
    assert last["loss"] == pytest.approx(want, rel=1e-9)


# -- naive references --------------------------------------------------------------------


def _naive_simplex(v, at_most=False):
    """Projection onto the simplex by bisection on the threshold θ (plain loops)."""
    v = list(v)
    if at_most and sum(max(x, 0.0) for x in v) <= 1.0:
        return [max(x, 0.0) for x in v]
    lo, hi = min(v) - 1.0, max(v)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if sum(max(x - mid, 0.0) for x in v) > 1.0:
            lo = mid
        else:
            hi = mid
    return [max(x - 0.5 * (lo + hi), 0.0) for x in v]


def _naive_hoyer(x, s):
    """Hoyer's (2004) projection of one vector, transcribed from the paper's steps."""
    n = len(x)
    l2 = math.sqrt(sum(v * v for v in x))
    l1 = l2 * (math.sqrt(n) - s * (math.sqrt(n) - 1))
    v = [xi + (l1 - sum(x)) / n for xi in x]
    zero = set()
    while True:
        m = [0.0 if i in zero else l1 / (n - len(zero)) for i in range(n)]
        w = [v[i] - m[i] for i in range(n)]
        a = sum(wi * wi for wi in w)
        b = 2 * sum(m[i] * w[i] for i in range(n))
        c = sum(mi * mi for mi in m) - l2 * l2
        alpha = (-b + math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a) if a > 0 else 0.0
        v = [m[i] + alpha * w[i] for i in range(n)]
        if all(vi >= 0 for vi in v):
            return v
        zero |= {i for i in range(n) if v[i] < 0}
        v = [0.0 if i in zero else v[i] for i in range(n)]
        shift = (sum(v) - l1) / (n - len(zero))
        v = [v[i] if i in zero else v[i] - shift for i in range(n)]


@pytest.mark.parametrize("at_most", [False, True])
def test_simplex_projection_matches_bisection(at_most):
    A = np.random.default_rng(0).normal(size=(50, 6)) * 0.7
    A[:5] *= 0.05  # rows already inside Σ ≤ 1
    P = project_simplex(A, at_most)
    for a, p in zip(A, P):
        np.testing.assert_allclose(p, _naive_simplex(a, at_most), atol=1e-10)


@pytest.mark.parametrize("target", [0.0, 0.3, 0.7, 0.95, 1.0])
def test_hoyer_projection_matches_the_paper(target):
    """Hoyer's procedure gives the direction at the vector's own norm; the nearest point
    of the (scale-free) set is that direction at the length of a's component on it."""
    A = np.random.default_rng(1).random((30, 5))
    P = project_sparseness(A, target)
    for j in range(5):
        u = np.array(_naive_hoyer(A[:, j], target))
        u /= np.linalg.norm(u)
        np.testing.assert_allclose(P[:, j], (A[:, j] @ u) * u, atol=1e-10)
    np.testing.assert_allclose(sparseness(P), target, atol=1e-12)


def test_hoyer_projection_is_the_nearest_point():
    """No point of the set found by a random search is nearer than the projection."""
    rng = np.random.default_rng(2)
    a = rng.normal(size=(12, 1)) + 0.3
    p = project_sparseness(a, 0.6)
    best = np.linalg.norm(a - p)
    for _ in range(2000):
        q = project_sparseness(np.abs(a + rng.normal(size=a.shape) * 0.5), 0.6)
        q *= max((a * q).sum() / (q * q).sum(), 0.0)  # its best scale
        assert np.linalg.norm(a - q) >= best - 1e-12


def test_orthogonal_block_is_the_best_one_sparse_rows():
    rng = np.random.default_rng(2)
    B = rng.random((4, 9))
    G, R = B @ B.T, rng.normal(size=(25, 4))
    A = Orthogonal("W").solve(G, R)
    for i in range(25):
        # brute force: every component j, the best weight on it alone
        best = min(
            (0.5 * t * t * G[j, j] - t * R[i, j], j, t)
            for j in range(4)
            for t in [max(R[i, j], 0.0) / G[j, j]]
        )
        want = np.zeros(4)
        want[best[1]] = best[2]
        np.testing.assert_allclose(A[i], want, atol=1e-12)


def test_minvolume_penalty_and_its_majoriser():
    rng = np.random.default_rng(3)
    A0 = rng.random((20, 3))
    c = MinVolume("H", lam=0.7, delta=0.3)
    want = 0.7 * (np.linalg.slogdet(A0.T @ A0 + 0.3 * np.eye(3))[1] - 3 * np.log(0.3))
    assert c.penalty(A0) == pytest.approx(want, rel=1e-12)
    C = c.curvature(A0)
    # the quadratic ½ tr(A C Aᵀ) + const lies above the penalty and touches it at A0
    const = c.penalty(A0) - 0.5 * np.sum((A0 @ C) * A0)
    for _ in range(20):
        A = A0 + rng.normal(size=A0.shape) * 0.3
        assert c.penalty(A) <= 0.5 * np.sum((A @ C) * A) + const + 1e-12


def _naive_fpgm(A, G, R, project, n_inner=10):
    """Nesterov's projected gradient, written out (Gillis's FPGM)."""
    L = np.linalg.eigvalsh(G).max()
    Y, prev, t = A.copy(), A.copy(), 1.0
    for _ in range(n_inner):
        new = project(Y - (Y @ G - R) / L)
        t2 = (1 + np.sqrt(1 + 4 * t * t)) / 2
        Y = new + (t - 1) / t2 * (new - prev)
        prev, t = new, t2
    return prev


def _naive_column_sweep(A, G, R, project_column):
    """Each column in turn: its exact unconstrained minimiser, projected (written out)."""
    A = A.copy()
    for j in range(A.shape[1]):
        free = A[:, j] + (R[:, j] - A @ G[:, j]) / G[j, j]
        A[:, j] = project_column(free)
    return A


def _naive_hoyer_cone(v, s):
    u = np.array(_naive_hoyer(list(v), s))
    u /= np.linalg.norm(u)
    return max(v @ u, 1e-12) * u


@pytest.mark.parametrize(
    "constraint, naive",
    [
        (Simplex("W"), None),
        (Box("W", 0.0, 0.3), lambda v: np.clip(v, 0.0, 0.3)),
        (Hoyer("W", 0.4), lambda v: _naive_hoyer_cone(v, 0.4)),
    ],
    ids=["simplex", "box", "hoyer"],
)
@pytest.mark.parametrize("compiled", [False, True])
def test_block_step_matches_a_naive_reference(constraint, naive, compiled):
    from nmfkit.arrays.engines import NumpyEngine

    rng = np.random.default_rng(4)
    B = rng.random((3, 15))
    X = rng.random((30, 3)) @ B
    A = constraint.project(rng.random((30, 3)))
    G, R = B @ B.T, X @ B.T
    engine = NumpyEngine() if compiled else None

    def q(M):
        return 0.5 * np.sum((M @ G) * M) - np.sum(M * R)

    got = solve_block(A.copy(), G, R, (constraint,), None, {}, engine, 15)
    if naive is not None:  # a set per component: one exact sweep over the components
        np.testing.assert_allclose(got, _naive_column_sweep(A, G, R, naive), atol=1e-10)
        assert q(got) <= q(A)
        return
    want = _naive_fpgm(A, G, R, constraint.project)
    if q(want) <= q(A):
        np.testing.assert_allclose(got, want, atol=1e-12)
    else:  # the safeguard keeps a point no worse than A
        assert q(got) <= q(A)


def test_compiled_sparseness_kernels_match_their_twins():
    from nmfkit.arrays.engines import NumpyEngine
    from nmfkit.arrays.kernels import kernel
    from nmfkit.arrays.kernels.sparseness import hoyer_sweep_xp, sparseness_projection_xp

    rng = np.random.default_rng(5)
    for target in (0.0, 0.25, 0.7, 0.99, 1.0):
        A = rng.normal(size=(200, 7))
        got = kernel("sparseness_projection", NumpyEngine())(A, target)
        np.testing.assert_allclose(got, sparseness_projection_xp(A, target), atol=1e-12)
    A = rng.random((300, 6)) * (rng.random((300, 6)) < 0.4)
    B = rng.random((50, 6))
    G, R = B.T @ B, rng.random((300, 6)) * 20
    got = kernel("hoyer_sweep", NumpyEngine())(A, G, R, 0.6)
    np.testing.assert_allclose(got, hoyer_sweep_xp(A, G, R, 0.6), atol=1e-10)
    np.testing.assert_allclose(sparseness(got), 0.6, atol=1e-12)


# -- frozen components ---------------------------------------------------------------------


def test_frozen_true_H_recovers_W():
    X, W_true, H_true = planted(n=60, m=25, k=4, seed=5)
    model = NMF(4, init="custom", max_iter=2000, tol=1e-12, constraints=[Frozen("H", range(4))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        W = model.fit_transform(X, W=np.full((60, 4), 0.3), H=H_true.copy())
    np.testing.assert_allclose(W, W_true, rtol=1e-6, atol=1e-8)
    assert np.array_equal(model.components_, H_true)


def test_frozen_rows_learn_the_rest():
    X, W_true, H_true = planted(n=80, m=30, k=4, seed=6)
    rng = np.random.default_rng(0)
    H0 = H_true.copy()
    H0[2:] = rng.random((2, 30))
    model = NMF(4, init="custom", max_iter=3000, tol=1e-12, constraints=[Frozen("H", [0, 1])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, W=rng.random((80, 4)), H=H0)
    assert np.array_equal(model.components_[:2], H_true[:2])
    assert model.reconstruction_err_ / np.linalg.norm(X) < 1e-4


@pytest.mark.parametrize("constraint", CASES)
def test_torch_engine_matches_numpy(constraint):
    torch = pytest.importorskip("torch")
    X = _data(4)
    _, W, H, *_ = _fit(constraint, X, max_iter=20)
    _, Wt, Ht, *_ = _fit(constraint, torch.asarray(X), max_iter=20)
    np.testing.assert_allclose(np.asarray(Wt), W, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(np.asarray(Ht), H, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_transform_honours_W_constraints(engine):
    if engine == "torch":
        pytest.importorskip("torch")
    X = _data(5)
    model = NMF(3, constraints=[Simplex("W")], engine=engine, random_state=0).fit(X)
    W = np.asarray(model.transform(X[:10]))
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-12)
    # without W constraints transform keeps its exact one-step solve (bpp)
    plain = NMF(3, constraints=[Hoyer("H", 0.5)], random_state=0).fit(X)
    assert plain.transform(X[:10]).shape == (10, 3)


# -- what cannot hold is refused before the first iteration ---------------------------------

BAD = [
    ([Simplex("W"), Hoyer("W", 0.5)], {}, "cannot hold together on W"),
    ([Simplex("W"), Box("W")], {}, "at most one of Simplex, Box, Hoyer"),
    ([Frozen("H", [7])], {"init": "custom"}, r"n_components=4; use indices in 0..3"),
    ([Frozen("H", [0])], {}, "pass init='custom'"),
    ([Frozen("W", [0]), Simplex("W")], {"init": "custom"}, "Drop one of them"),
    ([Frozen("H", [0]), Frozen("H", [1])], {"init": "custom"}, "in one"),
    ([Simplex("W")], {"solver": "mu"}, r"solver='mu' cannot honour Simplex\('W'\)"),
    ([Simplex("W")], {"beta_loss": "kullback-leibler"}, "need beta_loss='frobenius'"),
    ([Simplex("W")], {"solver": "apg", "beta_loss": 1}, "does not handle beta_loss"),
    (["simplex"], {}, "must be a list of nmfkit constraints"),
]


@pytest.mark.parametrize("constraints,params,match", BAD)
def test_impossible_combinations_are_refused(constraints, params, match):
    X = _data()
    model = NMF(4, constraints=constraints, **params)
    kw = {"W": np.ones((40, 4)), "H": np.ones((4, 12))} if params.get("init") else {}
    with pytest.raises((ValueError, TypeError), match=match):
        model.fit(X, **kw)
    assert not hasattr(model, "components_")


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: Hoyer("H", 1.5), r"sparseness must be a float in \[0, 1\]"),
        (lambda: MinVolume("H", lam=-1.0), "lam must be a float >= 0"),
        (lambda: MinVolume("H", delta=0.0), "delta must be a float > 0"),
        (lambda: Box("W", 0.5, 0.2), "needs 0 <= lower < upper"),
        (lambda: Simplex("X"), "factor must be 'W' or 'H'"),
        (lambda: Frozen("H", []), "at least one"),
        (lambda: Frozen("H", "ab"), "sequence of component indices"),
    ],
)
def test_bad_values_are_refused_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_dask_engine_refuses_constraints():
    pytest.importorskip("dask")
    with pytest.raises(ValueError, match="does not run on the dask engine"):
        NMF(3, constraints=[Simplex("W")], engine="dask").fit(_data())


# -- real data -----------------------------------------------------------------------------


def test_olivetti_hoyer_sparseness_is_exact():
    with np.load(shared_file("faces", "olivetti_faces_64x64.npz"), allow_pickle=False) as f:
        X = f["images"].reshape(400, 4096).astype(np.float64)
    X = (X - X.min()) / (X.max() - X.min())
    model = NMF(49, init="nndsvda", max_iter=20, tol=0.0, constraints=[Hoyer("H", 0.7)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X)
    s = sparseness(model.components_.T)
    assert np.all(np.abs(s - 0.7) <= 1e-6), np.abs(s - 0.7).max()


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_frozen_fit_then_transform_agree_across_engines(engine):
    """A fit with frozen rows of H, then transform with the fitted H, on each engine
    that runs the solver: the same W as on NumPy."""
    if engine == "torch":
        torch = pytest.importorskip("torch")
    X, _, H_true = planted(n=50, m=20, k=3, seed=7)
    rng = np.random.default_rng(1)
    W0, H0 = rng.random((50, 3)) + 0.1, H_true.copy()
    H0[2] = rng.random(20)
    results = {}
    for name in ("numpy", engine):
        data = X if name == "numpy" else torch.asarray(X)
        model = NMF(3, init="custom", max_iter=50, tol=0.0, engine=name,
                    constraints=[Frozen("H", [0, 1])])  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(data, W=W0.copy(), H=H0.copy())
        H = np.asarray(model.components_)
        assert np.array_equal(H[:2], H_true[:2])
        results[name] = (H, np.asarray(model.transform(data[:10])))
    np.testing.assert_allclose(results[engine][0], results["numpy"][0], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(results[engine][1], results["numpy"][1], rtol=1e-7, atol=1e-10)


def test_minibatch_partial_fit_keeps_frozen_rows():
    """partial_fit with Frozen('H'): the kept rows equal the given ones bit for bit after
    every block (and after a model file round trip); the others are learned."""
    from nmfkit import MiniBatchNMF, load

    X, _, H_true = planted(n=600, m=20, k=3, seed=8)
    H0 = H_true.copy()
    H0[2] = np.random.default_rng(2).random(20)
    model = MiniBatchNMF(3, init="custom", constraints=[Frozen("H", [0, 1])], random_state=0)
    for start in range(0, 600, 100):
        block = X[start : start + 100]
        model.partial_fit(block, W=np.full((100, 3), 0.3), H=H0.copy())
        assert np.array_equal(model.components_[:2], H_true[:2])
    assert not np.array_equal(model.components_[2], H0[2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = MiniBatchNMF(3, init="custom", constraints=[Frozen("H", [0, 1])],
                              batch_size=300, max_iter=200, tol=0.0)  # fmt: skip
        fitted.fit(X, W=np.full((600, 3), 0.3), H=H0.copy())
    assert np.array_equal(fitted.components_[:2], H_true[:2])
    h = fitted.components_[2]  # learned up to scale (its W column carries the rest)
    assert h @ H_true[2] / (np.linalg.norm(h) * np.linalg.norm(H_true[2])) > 0.99
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        model.save(f"{d}/m.npz")
        again = load(f"{d}/m.npz")
    again.partial_fit(X[:100])
    assert np.array_equal(again.components_[:2], H_true[:2])


@pytest.mark.parametrize(
    "constraints, params, match",
    [
        ([Simplex("W")], {"init": "custom"}, r"Frozen\('H', \.\.\.\) only"),
        ([Frozen("H", [0])], {}, "pass init='custom'"),
        ([Frozen("H", [5])], {"init": "custom"}, "use indices in 0..2"),
    ],
)
def test_minibatch_refuses_other_constraints(constraints, params, match):
    from nmfkit import MiniBatchNMF

    X = _data()
    model = MiniBatchNMF(3, constraints=constraints, **params)
    given = {"W": np.ones((40, 3)), "H": np.ones((3, 12))} if params else {}
    with pytest.raises(ValueError, match=match):
        model.partial_fit(X, **given)
