"""Helpers shared by the solver steps."""

from array_api_compat import device

from ..engines._ops import namespace


def h_stats(X, H, state, engine):
    """X Hᵀ and H Hᵀ for the current H, cached in ``state`` while H is held fixed."""
    if "fixed_H" in state:
        return state["fixed_H"]
    stats = {"XHt": engine.XHt(X, H), "HHt": H @ H.T}
    if not state["update_H"]:
        state["fixed_H"] = stats
    return stats


def penalised(G, R, l1, l2):
    """Gram G + l2·I and cross product R - l1 (copies only when a penalty is set)."""
    if l2:
        xp = namespace(G)
        G = G + l2 * xp.eye(G.shape[0], dtype=G.dtype, device=device(G))
    if l1:
        R = R - l1
    return G, R
