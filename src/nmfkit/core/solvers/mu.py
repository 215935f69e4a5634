"""Multiplicative updates for every β-divergence, with or without weights.

Lee & Seung (2001), doi:10.5555/3008751.3008829, for β = 1, 2; Févotte & Idier (2011),
doi:10.1162/NECO_a_00168, for any β with the exponent that keeps every step monotone.
The update of W is W ∘ (num / den)^γ with

    num = (w ∘ X ∘ (W H)^(β-2)) Hᵀ,   den = (w ∘ (W H)^(β-1)) Hᵀ

(and the same for H). Plain data has every weight w = 1: the denominator sums over
every entry, in closed form for β = 1, 2. Masked data (unknown entries or weights) is
sparse data whose stored entries are the known ones, each with its weight and the
others with weight 0: the same code, with the denominator summed over the stored
entries only.
"""

import numpy as np

from ...arrays.ops import namespace
from ..losses import EPSILON, row_blocks
from ._common import h_stats
from ._solver import Solver

__all__ = ["SOLVER", "gamma", "terms", "mu_apply", "update_W", "update_H"]


def gamma(beta):
    """Févotte & Idier's exponent that makes the MU monotone for every β."""
    if beta < 1:
        return 1.0 / (2.0 - beta)
    if beta > 2:
        return 1.0 / (beta - 1.0)
    return 1.0


def _ratio(x, y, beta, engine):
    """x * y^(β-2), in y's memory where possible (y floored at EPSILON where the power
    is negative)."""
    if beta < 2:
        y = engine.floor(y, EPSILON)
    if beta == 1:
        return engine.divide_into(x, y)
    y **= -2 if beta == 0 else beta - 2
    y *= x
    return y


def _powered_blocks(W, H, beta, engine):
    """Yield (row slice, (W H)^(β-1)) over blocks of rows (β ∉ {1, 2})."""
    for blk in row_blocks(W.shape[0], H.shape[1]):
        WHb = W[blk] @ H
        if beta < 1:
            WHb = engine.floor(WHb, EPSILON)
        yield blk, WHb ** (beta - 1)


def terms(X, W, H, beta, engine, for_W, weights=None):
    """Numerator and denominator of the unpenalised MU ratio for W (or H).

    Parameters
    ----------
    X : array or CSR matrix of shape (n, m)
        In memory (a block of rows on Dask).
    W : array of shape (n, k)
    H : array of shape (k, m)
        Whole.
    beta : float
    engine : Engine
        The in-memory engine (``engine.block``).
    for_W : bool
        The terms of W's update, else of H's.
    weights : ndarray of shape (nnz,), optional
        The weight of each stored entry of CSR X. Then only the stored entries are known
        (masked data) and the sums run over them; None: every entry is known, with
        weight 1.

    Returns
    -------
    num, den : arrays of W's (or H's) shape (den may broadcast)
    """
    xp = namespace(W)
    if beta == 2 and weights is None:
        if for_W:
            return engine.XHt(X, H), W @ (H @ H.T)
        return engine.WtX(W, X), (W.T @ W) @ H
    sparse = engine.is_sparse(X)
    if sparse:
        y, x = engine.wh_at(X, W, H), engine.values(X)
        if weights is not None:
            # the denominator's values before the ratio takes y's memory; the weights
            # enter the numerator with the values they weigh
            if beta != 2:
                y = engine.floor(y, EPSILON)
            D = engine.with_values(X, (weights * y ** (beta - 1)).astype(W.dtype))
            x = weights * x
        ratio = _ratio(x, y, beta, engine)  # in y's memory and dtype
        R = engine.with_values(X, ratio)
        num = engine.XHt(R, H) if for_W else engine.WtX(W, R)
        if weights is not None:
            return num, (engine.XHt(D, H) if for_W else engine.WtX(W, D))
    else:
        R = _ratio(X, W @ H, beta, engine)
        num = R @ H.T if for_W else W.T @ R
    if beta == 1:
        den = xp.sum(H, axis=1)[None, :] if for_W else xp.sum(W, axis=0)[:, None]
        return num, den
    if not sparse:
        WH = W @ H
        if beta < 1:
            WH = engine.floor(WH, EPSILON)
        WH **= beta - 1
        return num, (WH @ H.T if for_W else W.T @ WH)
    den = xp.empty_like(W) if for_W else xp.zeros_like(H)
    for blk, P in _powered_blocks(W, H, beta, engine):
        if for_W:
            den[blk] = P @ H.T
        else:
            den += W[blk].T @ P
    return num, den


def mu_apply(A, num, den, l1, l2, gamma, beta=None):
    """A *= (num / (den + l1 + l2·A))^gamma in place; num and den are left unchanged.

    For β = 1 with an L2 weight the update is the exact majorisation-minimisation step
    instead: the positive root of l2·a² + (den + l1)·a − num·Ã = 0 (Ã the current A),
    which never increases the penalised objective. scikit-learn's ``den + l2·A`` is a
    heuristic there, and its objective can rise (0.99 → 2.02 in one step, found by
    tests/test_properties.py). For other β ≠ 2 with L2 the heuristic stays.

    Parameters
    ----------
    A : array of shape (n, k) or (k, m)
        The factor being updated.
    num, den : arrays of A's shape (den may broadcast)
        The unpenalised MU numerator and denominator.
    l1, l2 : float
        Penalty weights.
    gamma : float
        Févotte & Idier's exponent.
    beta : float, optional
        The β of the loss (only β = 1 changes the update, see above).
    """
    if beta == 1 and l2:
        xp = namespace(A)
        b = xp.broadcast_to(den, A.shape) + l1
        c = num * A
        # the root in the form that never subtracts: 2c / (b + √(b² + 4·l2·c)); where
        # b = c = 0 (a column no observed entry touches) the root is 0
        s = b + xp.sqrt(b * b + 4 * l2 * c)
        A[...] = xp.where(s > 0, 2 * c / xp.where(s > 0, s, 1.0), 0.0)
        return A
    den = namespace(A).broadcast_to(den, A.shape) + l1  # a fresh array: num, den intact
    if l2:
        den += l2 * A
    den[den == 0] = EPSILON
    ratio = num / den
    if gamma != 1:
        ratio **= gamma
    A *= ratio
    return A


def update_W(X, W, H, plan, engine, weights=None):
    """One multiplicative update of W (H fixed); returns W (updated in place)."""
    g, block = gamma(plan.beta), engine.block

    def update(Wb, Xb):
        num, den = terms(Xb, Wb, H, plan.beta, block, True, weights)
        return mu_apply(Wb, num, den, plan.l1_W, plan.l2_W, g, plan.beta), 0.0

    return engine.map_rows(update, W, X)[0]


def update_H(X, W, H, plan, engine, weights=None):
    """One multiplicative update of H in place (W fixed)."""
    block = engine.block
    num, den = engine.reduce_rows(
        lambda Xb, Wb: terms(Xb, Wb, H, plan.beta, block, False, weights), X, W
    )
    H = mu_apply(H, num, den, plan.l1_H, plan.l2_H, gamma(plan.beta), plan.beta)
    if plan.beta <= 1:
        # as in scikit-learn: tiny entries would otherwise stall the update
        H[H < np.finfo(np.float64).eps] = 0.0
    return H


def step(data, W, H, state, plan, engine):
    """One MU sweep: W then H; for β = 2 it reuses the Gram products it needs anyway."""
    X = data.X
    if plan.beta != 2:
        W = update_W(X, W, H, plan, engine)
        if plan.update_H:
            H = update_H(X, W, H, plan, engine)
        state["stats"] = {}
        return W, H
    hs = h_stats(X, H, state, engine)
    HHt = hs["HHt"]

    def update(Wb, XHt):
        return mu_apply(Wb, XHt, Wb @ HHt, plan.l1_W, plan.l2_W, 1.0), 0.0

    W = engine.map_rows(update, W, hs["XHt"])[0]
    if not plan.update_H:
        state["stats"] = hs
        return W, H
    WtX, WtW = engine.WtX(W, X), engine.gram(W)
    H = mu_apply(H, WtX, WtW @ H, plan.l1_H, plan.l2_H, 1.0)
    state["stats"] = {"WtX": WtX, "WtW": WtW}
    return W, H


def masked_step(obs, W, H, state, plan, engine):
    """One weighted MU sweep over the observed entries only (any β): the sparse MU of
    ``step`` on the observed entries, each with its weight."""
    W = update_W(obs.csr, W, H, plan, engine, obs.weights)
    if plan.update_H:
        H = update_H(obs.csr, W, H, plan, engine, obs.weights)
    state["stats"] = {}
    return W, H


SOLVER = Solver("mu", {"plain": step, "masked": masked_step})
