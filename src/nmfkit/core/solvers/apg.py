"""Alternating block minimisation under constraints on the factors (Frobenius loss).

Each block (W given H, then H given W) is the quadratic problem
``min ½ tr(A G Aᵀ) - tr(A Rᵀ)`` of the factor in row form A (``constraints._base``),
with every penalty on it majorised at the current A by a quadratic (MinVolume), so the
block stays quadratic. It is solved by what its constraints allow:

* a set that is one set per component (Box, Hoyer): one sweep over the components,
  each taking its exact minimiser with the others held, the projection of its
  unconstrained minimiser (HALS's update with a projection in place of max(·, 0));
* another set (Simplex): Nesterov's fast projected gradient, step 1/L with L the
  largest eigenvalue of G (Gillis's FPGM, as in Leplat, Ang & Gillis 2019);
* an exact minimiser (Orthogonal): that minimiser;
* none beyond A ≥ 0: HALS sweeps (``hals``), the exact coordinate minimisers.

Frozen components are taken out of the block (their part of the product moves into R)
and never written. A block's result is kept only if it does not raise the block's
(majorised) objective; from a feasible start, then, the objective never rises: the
majoriser touches the objective at the current point. The starting factors are
projected onto their sets before the first iteration (``plan.start``).
"""

import math

from array_api_compat import device

from ...arrays.kernels import kernel
from ...arrays.ops import fdot, namespace
from ..constraints import on_factor
from ._common import h_stats, penalised
from ._solver import Solver
from .hals import _orders, _sweeps, inner_budget

__all__ = ["SOLVER", "solve_block"]

# projected gradient steps per block: Leplat, Ang & Gillis's inner iterations
_INNER = 10


def _quadratic(A, G, R):
    """½ tr(A G Aᵀ) - tr(A Rᵀ), in float64."""
    return 0.5 * fdot(A @ G, A) - fdot(A, R)


def _fpgm(A, G, R, project, n_inner):
    """Fast projected gradient from feasible A; the result never has a higher block
    objective than A (A itself is returned rather than a worse point)."""
    xp = namespace(A)
    L = float(xp.max(xp.linalg.eigvalsh(xp.astype(G, xp.float64))))
    if not L > 0:
        return A
    start = _quadratic(A, G, R)
    Y, prev, t = A, A, 1.0
    for _ in range(n_inner):
        new = project(Y - (Y @ G - R) / L)
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        Y = new + ((t - 1.0) / t_next) * (new - prev)
        prev, t = new, t_next
    if _quadratic(prev, G, R) <= start:
        return prev
    # the momentum can end above the start (FPGM's iterates do not descend one by
    # one): one plain projected step, which does from a feasible start
    new = project(A - (A @ G - R) / L)
    return new if _quadratic(new, G, R) <= start else A


def _hals(A, G, R, plan, state, engine, other_rows):
    """HALS sweeps on A in place (budgeted as ``hals`` does)."""
    n, k = A.shape
    sweeps = inner_budget(state["facts"]["nnz"] * k + other_rows * k * k, n, k)
    orders = _orders(k, state["rng"] if plan.shuffle else None)
    sweep = kernel("hals_sweeps", engine, work=sweeps * n * k * k)
    return _sweeps(A, G, R, sweeps, sweep, orders, engine)


def solve_block(A, G, R, constraints, plan, state, engine, other_rows):
    """The block's new A (row form) under its constraints; see the module docstring.

    Parameters
    ----------
    A : array of shape (n, k)
        W, or a copy of Hᵀ; may be updated in place.
    G : array of shape (k, k)
    R : array of shape (n, k)
    constraints : tuple of Constraint
        Those on this factor.
    plan : Plan
    state : dict
    engine : Engine
    other_rows : int
        Rows of the other factor's row form (for the HALS budget).
    """
    xp = namespace(A)
    for c in constraints:
        if c.role == "penalty":
            G = G + c.curvature(A)
    frozen = next((c for c in constraints if c.role == "frozen"), None)
    shaping = next((c for c in constraints if c.role in ("set", "exact")), None)
    full = A
    if frozen is not None:
        k = A.shape[1]
        keep = frozen.indices(k)
        free = [j for j in range(k) if j not in keep]
        if not free:
            return A
        fi = xp.asarray(free, device=device(A))
        ki = xp.asarray(keep, device=device(A))
        Gkf = xp.take(xp.take(G, ki, axis=0), fi, axis=1)
        R = xp.take(R, fi, axis=1) - xp.take(A, ki, axis=1) @ Gkf
        G = xp.take(xp.take(G, fi, axis=0), fi, axis=1)
        A = engine.copy(xp.take(A, fi, axis=1))
    if shaping is None:
        A = _hals(A, G, R, plan, state, engine, other_rows)
    elif shaping.role == "exact":
        # the minimiser over the constraint's set: no worse than A once A is in it
        A = shaping.solve(G, R)
    elif shaping.per_component:
        A = shaping.sweep(A, G, R, engine)
    else:
        A = _fpgm(A, G, R, lambda B: shaping.project(B, engine), _INNER)
    if frozen is None:
        return A
    full[:, free] = A
    return full


def step(data, W, H, state, plan, engine):
    """One block update of W, then of H, each under its constraints."""
    X = data.X
    n, m = X.shape
    hs = h_stats(X, H, state, engine)
    G, R = penalised(hs["HHt"], hs["XHt"], plan.l1_W, plan.l2_W)
    W = solve_block(W, G, R, on_factor(plan.constraints, "W"), plan, state, engine, m)
    if not plan.update_H:
        state["stats"] = hs
        return W, H
    WtW, XtW = engine.gram(W), engine.XtW(X, W)
    G, R = penalised(WtW, XtW, plan.l1_H, plan.l2_H)
    Ht = solve_block(
        engine.transposed(H), G, R, on_factor(plan.constraints, "H"), plan, state, engine, n
    )
    state["stats"] = {"WtX": XtW.T, "WtW": WtW}
    return W, Ht.T


SOLVER = Solver("apg", {"plain": step}, betas=(2.0,), chunked=False)
