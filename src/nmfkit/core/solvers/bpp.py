"""Alternating non-negative least squares by block principal pivoting (ANLS-BPP).

Kim & Park (2011), doi:10.1137/110821172: each half-step solves the non-negative least
squares problem for a whole factor exactly, exchanging many variables between the
passive and active sets at once. The ``nnls_rows`` kernel solves each row on its own
(a k×k Cholesky factorisation per exchange, in compiled code, rows in parallel), warm
started from the current factor's support, so a half-step near convergence costs about
one small factorisation per row. Frobenius loss with L1/L2 penalties.
"""

import dataclasses

import numpy as np

from ...arrays.kernels import kernel
from ...arrays.kernels.masked import held_share
from ...arrays.ops import namespace
from ._common import h_stats, l2_per_line, penalised
from ._solver import Solver

# Rows copied to float64 and solved at a time: bounds the copies to _SOLVE_ROWS·k floats.
_SOLVE_ROWS = 2048


def _scaling(G, engine, dtype=np.float64):
    """d with d·G·d of unit diagonal (1 where G's diagonal is 0), and that d·G·d.

    A factor whose rows differ in scale by many orders (HALS can let one component's W
    column shrink while its H row grows) gives a Gram whose Cholesky factorisation loses
    everything; in the scaled variables x / d the problem is well posed again, and
    x ≥ 0 is unchanged since d > 0.
    """
    xp = namespace(G)
    G = engine.float64_copy(G)
    diag = xp.linalg.diagonal(G)
    # a component whose Gram diagonal is 0, or at most eps² of the trace in the fit's
    # dtype (kernels.masked.held_share), is held at 0: d = 0 zeroes its row, column and
    # right-hand side, and a unit diagonal keeps the system regular
    live = (diag > 0) & (diag > held_share(dtype) * xp.sum(diag))
    d = xp.where(live, 1.0 / xp.sqrt(xp.where(live, diag, 1.0)), 0.0)
    Gs = G * d[:, None] * d[None, :]
    Gs = Gs + xp.diag(xp.astype(~live, Gs.dtype))
    return d, Gs


def _threshold(B, d):
    """Magnitudes below this count as zero in the feasibility tests (all of B, scaled).

    1e-12 of B's largest entry, or its rounding error when B is float32 (its products
    carry errors of k·eps that the tests would otherwise chase around a degenerate
    problem, such as k above the rank of X, and end on a worse vertex).
    """
    xp = namespace(B)
    k = B.shape[1]
    rel = max(1e-12, 10.0 * k * float(np.finfo(np.float32).eps)) if B.dtype == xp.float32 else 1e-12
    return rel * max(float(xp.max(xp.abs(B * d))), 1e-300)


def nnls_bpp(G, B, X0, engine, dtype, small=None):
    """Solve min ½ xᵀ G x − B[i]·x s.t. x ≥ 0 for every row of B, from Grams.

    Parameters
    ----------
    G : array of shape (k, k)
        Aᵀ A (symmetric positive semi-definite), plus any L2 weight.
    B : array of shape (r, k)
        The right-hand sides Bᵀ A, one row each.
    X0 : array of shape (r, k)
        Warm start: its positive entries seed the passive sets.
    engine : Engine
    dtype : dtype
        Of the result.
    small : float, optional
        Zero threshold of the feasibility tests (see ``_threshold``; from B by default).

    Returns
    -------
    X : array of shape (r, k), non-negative
    """
    d, Gs = _scaling(G, engine, dtype)
    small = _threshold(B, d) if small is None else small
    # a row's solve costs a few k × k factorizations
    solve = kernel("nnls_rows", engine, work=B.shape[0] * B.shape[1] ** 3)
    xp = namespace(d)
    inverse = xp.where(d > 0, 1.0 / xp.where(d > 0, d, 1.0), 0.0)  # held components: 0
    out = engine.empty(B, B.shape, dtype)
    for lo in range(0, out.shape[0], _SOLVE_ROWS):
        hi = lo + _SOLVE_ROWS
        Bs = engine.float64_copy(B[lo:hi])
        Bs *= d
        # X0, in the scaled variables, seeds the passive sets and is the safeguard
        Xs = solve(Gs, Bs, engine.float64_copy(X0[lo:hi]) * inverse, small)
        Xs *= d
        out[lo:hi] = Xs
    return out


def _gram64(A, gram, engine, rows):
    """The Gram of A's rows (``rows``) or columns in float64: ``gram`` when A is float64.

    A float32 Gram is off by rounding in every direction, so the Gram of a factor whose
    rank is below k (k larger than a side of X) is not singular any more, and its
    solution runs off along the spurious directions; in float64 the rank deficit stays
    visible to the solver, which then takes the least-squares solution.
    """
    if engine.dtype_of(A) == np.float64:
        return gram
    A64 = engine.float64_copy(A) if rows else namespace(A).astype(A, namespace(A).float64)
    return A64 @ A64.T if rows else engine.gram(A64)


def _exact_W(hs, W, plan, engine, H=None):
    """The W ≥ 0 that minimises the objective for the H behind ``hs``, from W's support."""
    HHt = hs["HHt"] if H is None else _gram64(H, hs["HHt"], engine, rows=True)
    HHt, XHt = penalised(HHt, hs["XHt"], plan.l1_W, plan.l2_W)
    small, block = _threshold(XHt, _scaling(HHt, engine)[0]), engine.block

    def solve(Wb, Rb):
        return nnls_bpp(HHt, Rb, Wb, block, plan.dtype, small), 0.0

    return engine.map_rows(solve, W, XHt, whole=True)[0]


def update_W(data, W, H, state, plan, engine):
    """W exactly given H (warm-started from W's support); and H's Gram products."""
    hs = h_stats(data.X, H, state, engine)
    return _exact_W(hs, W, plan, engine, H), hs


def update_H(data, W, H, state, plan, engine):
    """H exactly given W (H itself is left as it is); and W's Gram products."""
    WtW, WtX = engine.gram(W), engine.WtX(W, data.X)
    G, R = penalised(_gram64(W, WtW, engine, rows=False), WtX, plan.l1_H, plan.l2_H)
    H = nnls_bpp(G, R.T, H.T, engine.block, plan.dtype).T
    return H, {"WtX": WtX, "WtW": WtW}


def step(data, W, H, state, plan, engine):
    """One ANLS sweep: W exactly given H, then H exactly given W."""
    W, hs = update_W(data, W, H, state, plan, engine)
    if not plan.update_H:
        state["stats"] = hs
        return W, H
    H, state["stats"] = update_H(data, W, H, state, plan, engine)
    return W, H


def _masked_solve_W(obs, W, H, plan, engine, state):
    """The exact minimiser over W ≥ 0 for fixed H, over the observed entries only.

    Each row has its own Gram (its observed columns of H), built and solved in the
    ``masked_nnls_rows`` kernel: O(|Ω|·k² + n·k³).
    """
    l2 = l2_per_line(obs, plan, state)
    solve = kernel("masked_nnls_rows", engine)
    Ht = np.ascontiguousarray(H.T)
    return solve(obs.indptr, obs.indices, obs.values, obs.weights, W, Ht, plan.l1_W, l2[0])


def masked_step(obs, W, H, state, plan, engine):
    """One ANLS sweep over the observed entries: each row of W, then each column of H,
    solved exactly with its own Gram."""
    W = _masked_solve_W(obs, W, H, plan, engine, state)
    if plan.update_H:
        if "_masked_t" not in state:
            state["_masked_t"] = (obs.values[obs.perm], obs.weights[obs.perm])
        values_t, weights_t = state["_masked_t"]
        l2 = l2_per_line(obs, plan, state)
        Ht = np.ascontiguousarray(H.T)
        solve = kernel("masked_nnls_rows", engine)
        Ht = solve(obs.indptr_t, obs.indices_t, values_t, weights_t, Ht, W, plan.l1_H, l2[1])
        H = np.ascontiguousarray(Ht.T)
    state["stats"] = {}
    return W, H


SOLVER = Solver("bpp", {"plain": step, "masked": masked_step}, betas=(2.0,))


def exact_W(data, W, H, plan, engine):
    """The exact minimiser over W ≥ 0 for fixed H (Frobenius, with W's penalties), on
    the data's known entries, and the Gram products it used (they give the loss of the
    result; none for masked data): one BPP step with H held.

    Parameters
    ----------
    data : FitData
    W : array of shape (n_samples, k)
        Warm start (its support seeds the passive sets).
    H : array of shape (k, n_features)
    plan : Plan
    engine : Engine

    Returns
    -------
    W : array of shape (n_samples, k)
    stats : dict
    """
    state = {"update_H": False, "stats": {}}
    fixed = dataclasses.replace(plan, update_H=False)
    W, _ = SOLVER.steps[data.kind](data, W, H, state, fixed, engine)
    return W, state["stats"]
