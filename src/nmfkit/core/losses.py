r"""The objective: β-divergence losses and penalties (the update rules live in solvers/).

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

from ..arrays.ops import fdot, fsum, namespace

__all__ = [
    "EPSILON",
    "LOSS_NAMES",
    "beta_from_loss",
    "loss_name",
    "pointwise",
    "beta_divergence",
    "objective",
    "penalty",
]

# The named losses and their β: the one list the estimators and the CLI offer.
LOSS_NAMES = {"frobenius": 2.0, "kullback-leibler": 1.0, "itakura-saito": 0.0}

# Floor applied to W H before dividing by it or taking a negative power, and to MU
# denominators: the same constant scikit-learn uses, so both take identical steps.
EPSILON = float(np.finfo(np.float32).eps)

# Rows of W H formed at once when a dense block is unavoidable (β ∉ {1, 2}, sparse X).
_ROW_BLOCK_ENTRIES = 1 << 22
# ... and for a dense X, where the block and its difference to X are both temporaries
# beside X itself: small blocks keep the peak of an evaluation far below X's size.
_DENSE_BLOCK_ENTRIES = 1 << 18


def beta_from_loss(beta_loss):
    """The β of a loss given by name or number."""
    if isinstance(beta_loss, str):
        return LOSS_NAMES[beta_loss]
    return float(beta_loss)


def loss_name(beta):
    """A readable name for β ('frobenius', 'kullback-leibler', ... or 'beta=1.5')."""
    for name, b in LOSS_NAMES.items():
        if b == beta:
            return name
    return f"beta={beta:g}"


def row_blocks(n_rows, n_cols, entries=_ROW_BLOCK_ENTRIES):
    """Slices of rows whose block of W H holds about ``entries`` (2²²) entries."""
    step = max(1, entries // max(n_cols, 1))
    for s in range(0, n_rows, step):
        yield slice(s, min(s + step, n_rows))


def pointwise(x, y, beta, weights=None):
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


def beta_divergence(X, W, H, beta, engine, facts=None, stats=None):
    """d_β(X | W H) summed over every entry of X (never negative).

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
        As the engine holds it; every entry known (``nmfkit.core.data.Plain``).
    W : array of shape (n_samples, k)
    H : array of shape (k, n_features)
    beta : float
    engine : Engine
    facts : dict, optional
        ``Plain.describe()``: its ``normX2`` saves a pass over X for the Frobenius loss.
    stats : dict, optional
        Gram products valid for the current W or H (Frobenius shortcut).

    Returns
    -------
    float
    """
    # sums of non-negative terms can round a hair below zero at an exact fit
    return max(_divergence(X, W, H, beta, engine, facts, stats), 0.0)


def _divergence(X, W, H, beta, engine, facts, stats):
    """d_β(X | W H) as computed (may round below zero)."""
    if beta == 2 and not stats and engine.is_sparse(X):
        # through X Hᵀ (n × k) rather than W H at every stored entry (nnz)
        stats = {"XHt": engine.XHt(X, H), "HHt": H @ H.T}
    if beta == 2 and stats:
        normX2 = facts["normX2"] if facts is not None else engine.sq_norm(X)
        return _frobenius_from_stats(W, H, stats, normX2, engine)
    block = engine.block
    return engine.reduce_rows(lambda Xb, Wb: _rows_divergence(Xb, Wb, H, beta, block), X, W)


def _rows_divergence(X, W, H, beta, engine):
    """d_β(X | W H) for in-memory rows of X (the per-block work of ``_divergence``)."""
    if not engine.is_sparse(X):
        total = 0.0
        for blk in row_blocks(W.shape[0], H.shape[1], _DENSE_BLOCK_ENTRIES):
            WH = W[blk] @ H
            if beta != 2:
                WH = engine.floor(WH, EPSILON)
            total += pointwise(X[blk], WH, beta)
        return total
    y = engine.floor(engine.wh_at(X, W, H), EPSILON)
    stored = pointwise(engine.values(X), y, beta)
    xp = namespace(W)
    if beta == 1:
        # d_1(0 | y) = y: add sum(W H) minus its stored part
        total = float(xp.sum(W, axis=0, dtype=xp.float64) @ xp.sum(H, axis=1, dtype=xp.float64))
        return stored + total - fsum(y)
    if beta <= 0:  # the Plan forbids zeros for β <= 0: every entry is stored
        return stored
    # d_β(0 | y) = y^β / β at the entries not stored
    implicit = 0.0
    for blk in row_blocks(W.shape[0], H.shape[1]):
        WHb = xp.astype(engine.floor(W[blk] @ H, EPSILON), xp.float64)
        implicit += fsum(WHb**beta) / beta
    implicit -= fsum(xp.astype(y, xp.float64) ** beta) / beta
    return stored + implicit


def penalty(W, H, plan):
    """The penalty terms of the objective: L1/L2, and those of the Plan's constraints
    (``Constraint.penalty``, on W or on Hᵀ)."""
    out = 0.0
    for c in plan.constraints:
        out += c.penalty(W if c.factor == "W" else H.T)
    for A, l1, l2 in ((W, plan.l1_W, plan.l2_W), (H, plan.l1_H, plan.l2_H)):
        if l1:
            out += l1 * fsum(A)
        if l2:
            out += 0.5 * l2 * fdot(A, A)
    return out


def objective(data, W, H, plan, facts=None, stats=None):
    """The full objective, what the solvers minimise: the divergence over the data's
    known entries (``FitData.divergence``) plus the penalties."""
    return data.divergence(W, H, plan.beta, facts, stats) + penalty(W, H, plan)
