"""Helpers shared by the solver steps."""


def h_stats(X, H, state, engine):
    """X Hᵀ and H Hᵀ for the current H, cached in ``state`` while H is held fixed."""
    if "fixed_H" in state:
        return state["fixed_H"]
    stats = {"XHt": engine.XHt(X, H), "HHt": H @ H.T}
    if not state["update_H"]:
        state["fixed_H"] = stats
    return stats


def penalised(G, R, l1, l2, xp):
    """Gram G + l2·I and cross product R - l1 (copies only when a penalty is set)."""
    if l2:
        G = G + l2 * xp.eye(G.shape[0], dtype=G.dtype)
    if l1:
        R = R - l1
    return G, R
