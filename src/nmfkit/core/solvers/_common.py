"""Helpers shared by the solver steps."""

import numpy as np
from array_api_compat import device

from ...arrays.ops import namespace


def h_stats(X, H, state, engine):
    """X Hᵀ and H Hᵀ for the current H, cached in ``state`` while H is held fixed."""
    if "_fixed_H" in state:
        return state["_fixed_H"]
    stats = {"XHt": engine.XHt(X, H), "HHt": H @ H.T}
    if not state["update_H"]:
        state["_fixed_H"] = stats
    return stats


def penalised(G, R, l1, l2):
    """Gram G + l2·I and cross product R - l1 (copies only when a penalty is set)."""
    if l2:
        xp = namespace(G)
        G = G + l2 * xp.eye(G.shape[0], dtype=G.dtype, device=device(G))
    if l1:
        R = R - l1
    return G, R


def balance(W, H, engine):
    """Rescale each component so that its W column and H row have equal norms.

    W H, and so every β-divergence, is unchanged. Without penalties nothing fixes a
    component's scale, and coordinate methods can let it drift (a W column shrinking
    while its H row grows by orders of magnitude); fits return the balanced pair.
    Components with a zero column or row are left as they are. See ``balance_scales``.
    """
    s = balance_scales(W, H, engine)
    W = engine.map_rows(lambda Wb: (Wb / s, 0.0), W)[0]
    return W, H * s[:, None]


def balance_scales(W, H, engine):
    """s with W / s and H · s (per component) of equal column and row norms (1 where
    either is zero), in H's dtype."""
    xp = namespace(H)
    # squared norms in float64: float32 squares of a drifted component overflow
    w2 = xp.linalg.diagonal(engine.gram(xp.astype(W, xp.float64)))
    H64 = xp.astype(H, xp.float64)
    h2 = xp.sum(H64 * H64, axis=1)
    live = (w2 > 0) & (h2 > 0)
    s = xp.where(live, (xp.where(live, w2, 1.0) / xp.where(live, h2, 1.0)) ** 0.25, 1.0)
    return xp.astype(s, H.dtype)  # ratios of norms: finite in float32 when both are


def l2_per_line(obs, plan, state):
    """L2 weights of each row of W and each column of H, for the masked kernels (which
    take arrays); cached in ``state``."""
    if "_masked_l2" not in state:
        n, m = obs.shape
        state["_masked_l2"] = (np.full(n, plan.l2_W), np.full(m, plan.l2_H))
    return state["_masked_l2"]
