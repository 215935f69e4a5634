"""Each loss against a naive dense reference; dense, sparse and Gram paths agree."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import random_sparse

from nmfkit.arrays.engines import NumpyEngine
from nmfkit.core.data import Plain
from nmfkit.core.losses import EPSILON, beta_divergence, beta_from_loss
from nmfkit.core.solvers.mu import update_H as mu_update_H
from nmfkit.core.solvers.mu import update_W as mu_update_W

BETAS = [2.0, 1.0, 0.0, 0.5, 1.5, 3.0, -0.5]


def naive_divergence(X, Y, beta):
    """Entry-by-entry β-divergence, written from the definition."""
    total = 0.0
    for x, y in zip(X.ravel().tolist(), Y.ravel().tolist()):
        if beta == 2:
            total += 0.5 * (x - y) ** 2
        elif beta == 1:
            total += (x * np.log(x / y) if x > 0 else 0.0) - x + y
        elif beta == 0:
            total += x / y - np.log(x / y) - 1
        else:
            total += (x**beta + (beta - 1) * y**beta - beta * x * y ** (beta - 1)) / (
                beta * (beta - 1)
            )
    return total


def factors(n, m, k, seed):
    rng = np.random.default_rng(seed)
    return rng.random((n, k)) + 0.1, rng.random((k, m)) + 0.1


@pytest.mark.parametrize("beta", BETAS)
def test_dense_matches_naive(beta):
    rng = np.random.default_rng(1)
    X = rng.random((7, 5)) + (0.05 if beta <= 0 else 0.0)
    W, H = factors(7, 5, 3, 2)
    got = beta_divergence(X, W, H, beta, NumpyEngine())
    assert got == pytest.approx(naive_divergence(X, W @ H, beta), rel=1e-10)


@pytest.mark.parametrize("beta", [b for b in BETAS if b > 0])
def test_sparse_matches_dense_and_naive(beta):
    X = random_sparse(12, 9, density=0.3, seed=3)
    W, H = factors(12, 9, 4, 4)
    eng = NumpyEngine()
    sparse = beta_divergence(X, W, H, beta, eng)
    dense = beta_divergence(X.toarray(), W, H, beta, eng)
    assert sparse == pytest.approx(dense, rel=1e-10)
    assert sparse == pytest.approx(naive_divergence(X.toarray(), W @ H, beta), rel=1e-10)


def test_sparse_explicit_zeros_and_unsorted_indices():
    X = sp.csr_matrix(
        (np.array([0.0, 2.0, 1.0]), np.array([2, 0, 1]), np.array([0, 2, 3])), shape=(2, 3)
    )
    X = NumpyEngine().check_input(X)
    W, H = factors(2, 3, 2, 0)
    for beta in (2.0, 1.0, 1.5):
        assert beta_divergence(X, W, H, beta, NumpyEngine()) == pytest.approx(
            naive_divergence(X.toarray(), W @ H, beta), rel=1e-10
        )


@pytest.mark.parametrize("which", ["W", "H", "cross"])
def test_frobenius_from_gram_products(which):
    rng = np.random.default_rng(5)
    X = rng.random((10, 8))
    W, H = factors(10, 8, 3, 6)
    eng = NumpyEngine()
    data = Plain(X, eng).describe()
    stats = {
        "W": {"WtX": W.T @ X, "WtW": W.T @ W},
        "H": {"XHt": X @ H.T, "HHt": H @ H.T},
        "cross": {"cross": float(np.sum(X * (W @ H))), "WtW": W.T @ W},
    }[which]
    got = beta_divergence(X, W, H, 2.0, eng, data, stats)
    assert got == pytest.approx(naive_divergence(X, W @ H, 2.0), rel=1e-9)


def test_wh_at_matches_dense_product():
    X = random_sparse(50, 40, density=0.2, seed=7)
    W, H = factors(50, 40, 5, 8)
    eng = NumpyEngine()
    got = eng.wh_at(X, W, H)
    rows, cols = X.nonzero()
    np.testing.assert_allclose(got, (W @ H)[rows, cols], rtol=1e-12)


@pytest.mark.parametrize("beta", [2.0, 1.0, 0.5, 1.5, 3.0])
def test_mu_updates_sparse_equal_dense(beta):
    """The MU step on sparse X equals the step on its dense copy."""
    from nmfkit.core.plan import Plan

    X = random_sparse(15, 11, density=0.4, seed=9)
    W, H = factors(15, 11, 3, 10)
    plan = Plan(3, beta, "mu", "custom", 0.0, 1, 0.1, 0.2, 0.0, 0.3, True, 0, np.float64)
    eng = NumpyEngine()
    Ws = mu_update_W(X, W.copy(), H, plan, eng)
    Wd = mu_update_W(X.toarray(), W.copy(), H, plan, eng)
    np.testing.assert_allclose(Ws, Wd, rtol=1e-10)
    Hs = mu_update_H(X, Ws, H.copy(), plan, eng)
    Hd = mu_update_H(X.toarray(), Wd, H.copy(), plan, eng)
    np.testing.assert_allclose(Hs, Hd, rtol=1e-10)


def test_named_losses():
    assert [beta_from_loss(n) for n in ("frobenius", "kullback-leibler", "itakura-saito")] == [
        2.0,
        1.0,
        0.0,
    ]
    assert beta_from_loss(1.5) == 1.5
    assert EPSILON == np.finfo(np.float32).eps
