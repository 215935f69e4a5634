r"""β-divergence losses, penalties and the multiplicative-update terms.

The data-fit term is the β-divergence summed over all entries,

.. math::

    d_\beta(x \mid y) = \frac{x^\beta + (\beta - 1) y^\beta - \beta x y^{\beta - 1}}
                             {\beta (\beta - 1)},

with its limits :math:`\tfrac12 (x - y)^2` (β = 2, Frobenius),
:math:`x \log(x / y) - x + y` (β = 1, Kullback-Leibler) and
:math:`x / y - \log(x / y) - 1` (β = 0, Itakura-Saito). The objective adds
scikit-learn's penalties:
:math:`l_{1,W} \|W\|_1 + \tfrac12 l_{2,W} \|W\|_F^2 + l_{1,H} \|H\|_1 + \tfrac12 l_{2,H} \|H\|_F^2`.

For sparse X no dense W H is ever formed: W H is evaluated at the stored entries, and
the sum over the implicit zeros (:math:`y^\beta / \beta`) is either closed-form
(β = 1, 2) or accumulated over blocks of rows.
"""

import numpy as np

from ..arrays.ops import divide_into, fdot, floor, fsum, namespace
from .masked import Observed

__all__ = [
    "EPSILON",
    "beta_divergence",
    "objective",
    "penalty",
    "describe_data",
    "mu_apply",
    "mu_update_W",
    "mu_update_H",
]

# Floor applied to W H before dividing by it or taking a negative power, and to MU
# denominators: the same constant scikit-learn uses, so both take identical steps.
EPSILON = float(np.finfo(np.float32).eps)

# Rows of W H formed at once when a dense block is unavoidable (β ∉ {1, 2}, sparse X).
_ROW_BLOCK_ENTRIES = 1 << 22


def _row_blocks(n_rows, n_cols):
    step = max(1, _ROW_BLOCK_ENTRIES // max(n_cols, 1))
    for s in range(0, n_rows, step):
        yield slice(s, min(s + step, n_rows))


def _pointwise(x, y, beta, weights=None):
    """Sum of d_β(x | y) over paired entries (x >= 0, y > 0), in float64; each term
    multiplied by its weight when ``weights`` (of x's shape) is given."""
    xp = namespace(x)
    x = xp.astype(x, xp.float64, copy=False)
    y = xp.astype(y, xp.float64, copy=False)

    def total(terms):
        return fsum(terms) if weights is None else fdot(weights, terms)

    if beta == 2:
        d = x - y
        return 0.5 * (fdot(d, d) if weights is None else fdot(weights, d * d))
    if beta == 1:
        pos = x > 0
        logs = xp.where(pos, x * xp.log(xp.where(pos, x, 1.0) / y), 0.0)
        if weights is None:
            return fsum(logs) - fsum(x) + fsum(y)
        return fdot(weights, logs - x + y)
    if beta == 0:
        r = x / y
        return total(r - xp.log(r) - 1)
    return total(x**beta + (beta - 1) * y**beta - beta * x * y ** (beta - 1)) / (beta * (beta - 1))


def _frobenius_from_stats(W, H, stats, normX2, engine):
    """0.5 ||X - W H||² from Gram products of the current W (or H), float64 sums.

    ``stats`` holds either ``WtX``/``WtW`` computed from the current W, or
    ``XHt``/``HHt`` from the current H; the other factor may be anything. Or it holds
    ``cross`` = <X, W H> with ``WtW``, valid for this very pair only (a scalar instead of
    a factor-sized array, for state kept across iterations).
    """
    if "WtW" in stats:
        cross = stats["cross"] if "cross" in stats else fdot(H, stats["WtX"])
        quad = fdot(stats["WtW"], H @ H.T)
    else:
        cross = fdot(W, stats["XHt"])
        quad = fdot(engine.gram(W), stats["HHt"])
    return 0.5 * max(float(normX2 - 2.0 * cross + quad), 0.0)


def beta_divergence(X, W, H, beta, engine, data=None, stats=None):
    """Data-fit term d_β(X | W H) summed over all entries (never negative).

    See :func:`_divergence` for the parameters.
    """
    # sums of non-negative terms can round a hair below zero at an exact fit
    return max(_divergence(X, W, H, beta, engine, data, stats), 0.0)


def _divergence(X, W, H, beta, engine, data=None, stats=None):
    """d_β(X | W H) summed over all entries, as computed (may round below zero).

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
    W : array of shape (n_samples, k)
    H : array of shape (k, n_features)
    beta : float
    engine : Engine
    data : dict, optional
        Cached facts about X from :func:`describe_data`.
    stats : dict, optional
        Gram products valid for the current W or H (Frobenius shortcut).

    Returns
    -------
    float
    """
    if isinstance(X, Observed):
        return X.divergence(W, H, beta)
    data = data if data is not None else describe_data(X, engine)
    if beta == 2 and not stats and engine.is_sparse(X):
        # through X Hᵀ (n × k) rather than W H at every stored entry (nnz)
        stats = {"XHt": engine.XHt(X, H), "HHt": H @ H.T}
    if beta == 2 and stats:
        return _frobenius_from_stats(W, H, stats, data["normX2"], engine)
    block = engine.block
    return engine.reduce_rows(lambda Xb, Wb: _rows_divergence(Xb, Wb, H, beta, block), X, W)


def _rows_divergence(X, W, H, beta, engine):
    """d_β(X | W H) for in-memory rows of X (the per-block work of ``_divergence``)."""
    if not engine.is_sparse(X):
        WH = W @ H
        if beta != 2:
            WH = floor(WH, EPSILON)
        return _pointwise(X, WH, beta)
    y = floor(engine.wh_at(X, W, H), EPSILON)
    stored = _pointwise(engine.values(X), y, beta)
    if beta == 1:
        # d_1(0 | y) = y: add sum(W H) minus its stored part
        xp = namespace(W)
        total = float(xp.sum(W, axis=0, dtype=xp.float64) @ xp.sum(H, axis=1, dtype=xp.float64))
        return stored + total - fsum(y)
    # β > 0 here (the Plan forbids zeros for β <= 0): d_β(0 | y) = y^β / β
    implicit = 0.0
    xp = namespace(W)
    for blk in _row_blocks(W.shape[0], H.shape[1]):
        WHb = xp.astype(floor(W[blk] @ H, EPSILON), xp.float64)
        implicit += fsum(WHb**beta) / beta
    implicit -= fsum(xp.astype(y, xp.float64) ** beta) / beta
    return stored + implicit


def penalty(W, H, plan):
    """The L1/L2 penalty terms of the objective."""
    out = 0.0
    for A, l1, l2 in ((W, plan.l1_W, plan.l2_W), (H, plan.l1_H, plan.l2_H)):
        if l1:
            out += l1 * fsum(A)
        if l2:
            out += 0.5 * l2 * fdot(A, A)
    return out


def objective(X, W, H, plan, engine, data=None, stats=None):
    """The full objective: β-divergence plus penalties (what the solvers minimise)."""
    return beta_divergence(X, W, H, plan.beta, engine, data, stats) + penalty(W, H, plan)


def describe_data(X, engine):
    """Facts about X reused at every iteration: squared norm and number of non-zeros
    (of the observed entries, weighted, for an ``Observed``)."""
    if isinstance(X, Observed):
        x = X.values.astype(np.float64)
        return {"normX2": float(X.weights @ (x * x)), "nnz": int(np.count_nonzero(x))}
    n_entries = X.shape[0] * X.shape[1]
    data = {"normX2": engine.sq_norm(X), "nnz": n_entries - engine.count_zeros(X)}
    return data


# -- multiplicative updates (Lee & Seung 2001; Févotte & Idier 2011) ----------------


def _gamma(beta):
    """Févotte & Idier's exponent that makes the MU monotone for every β."""
    if beta < 1:
        return 1.0 / (2.0 - beta)
    if beta > 2:
        return 1.0 / (beta - 1.0)
    return 1.0


def _weighted_ratio(x, y, beta):
    """x * y^(β-2), in y's memory where possible (y floored at EPSILON where the power
    is negative)."""
    if beta < 2:
        y = floor(y, EPSILON)
    if beta == 1:
        return divide_into(x, y)
    y **= -2 if beta == 0 else beta - 2
    y *= x
    return y


def _powered_blocks(W, H, beta):
    """Yield (row slice, (W H)^(β-1)) over blocks of rows (β ∉ {1, 2})."""
    for blk in _row_blocks(W.shape[0], H.shape[1]):
        WHb = W[blk] @ H
        if beta < 1:
            WHb = floor(WHb, EPSILON)
        yield blk, WHb ** (beta - 1)


def _mu_terms(X, W, H, beta, engine, for_W):
    """Numerator and denominator of the unpenalised MU ratio for W (or H).

    X, W are in memory (a block of rows on Dask); H is whole.
    """
    xp = namespace(W)
    if beta == 2:
        if for_W:
            return engine.XHt(X, H), W @ (H @ H.T)
        return engine.WtX(W, X), (W.T @ W) @ H
    sparse = engine.is_sparse(X)
    if sparse:
        ratio = _weighted_ratio(engine.values(X), engine.wh_at(X, W, H), beta)
        R = engine.with_values(X, ratio)
        num = engine.XHt(R, H) if for_W else engine.WtX(W, R)
    else:
        R = _weighted_ratio(X, W @ H, beta)
        num = R @ H.T if for_W else W.T @ R
    if beta == 1:
        den = xp.sum(H, axis=1)[None, :] if for_W else xp.sum(W, axis=0)[:, None]
        return num, den
    if not sparse:
        WH = W @ H
        if beta < 1:
            WH = floor(WH, EPSILON)
        WH **= beta - 1
        return num, (WH @ H.T if for_W else W.T @ WH)
    den = xp.empty_like(W) if for_W else xp.zeros_like(H)
    for blk, P in _powered_blocks(W, H, beta):
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


def mu_update_W(X, W, H, plan, engine):
    """One multiplicative update of W (H fixed); returns W (updated in place)."""
    gamma, block = _gamma(plan.beta), engine.block

    def update(Wb, Xb):
        num, den = _mu_terms(Xb, Wb, H, plan.beta, block, for_W=True)
        return mu_apply(Wb, num, den, plan.l1_W, plan.l2_W, gamma, plan.beta), 0.0

    return engine.map_rows(update, W, X)[0]


def mu_update_H(X, W, H, plan, engine):
    """One multiplicative update of H in place (W fixed)."""
    block = engine.block
    num, den = engine.reduce_rows(
        lambda Xb, Wb: _mu_terms(Xb, Wb, H, plan.beta, block, for_W=False), X, W
    )
    H = mu_apply(H, num, den, plan.l1_H, plan.l2_H, _gamma(plan.beta), plan.beta)
    if plan.beta <= 1:
        # as in scikit-learn: tiny entries would otherwise stall the update
        H[H < np.finfo(np.float64).eps] = 0.0
    return H
