"""Multiplicative updates for every β-divergence.

Lee & Seung (2001), doi:10.5555/3008751.3008829, for β = 1, 2; Févotte & Idier (2011),
doi:10.1162/NECO_a_00168, for any β with the exponent that keeps every step monotone.
"""

import numpy as np

from .. import losses
from ..masked import mu_terms
from ._common import h_stats

SUPPORTS = {"beta": "any", "sparse": True, "penalties": ("l1", "l2"), "masked": True}


def step(X, W, H, state, plan, engine):
    """One MU sweep: W then H; for β = 2 it reuses the Gram products it needs anyway."""
    if plan.beta != 2:
        W = losses.mu_update_W(X, W, H, plan, engine)
        if plan.update_H:
            H = losses.mu_update_H(X, W, H, plan, engine)
        state["stats"] = {}
        return W, H
    hs = h_stats(X, H, state, engine)
    HHt = hs["HHt"]

    def update(Wb, XHt):
        return losses.mu_apply(Wb, XHt, Wb @ HHt, plan.l1_W, plan.l2_W, 1.0), 0.0

    W = engine.map_rows(update, W, hs["XHt"])[0]
    if not plan.update_H:
        state["stats"] = hs
        return W, H
    WtX, WtW = engine.WtX(W, X), engine.gram(W)
    H = losses.mu_apply(H, WtX, WtW @ H, plan.l1_H, plan.l2_H, 1.0)
    state["stats"] = {"WtX": WtX, "WtW": WtW}
    return W, H


def masked_step(obs, W, H, state, plan, engine):
    """One weighted MU sweep over the observed entries only (any β)."""
    gamma = losses._gamma(plan.beta)
    num, den = mu_terms(obs, W, H, plan.beta, for_W=True)
    W = losses.mu_apply(W, num, den, plan.l1_W, plan.l2_W, gamma, plan.beta)
    if plan.update_H:
        num, den = mu_terms(obs, W, H, plan.beta, for_W=False)
        H = losses.mu_apply(H, num, den, plan.l1_H, plan.l2_H, gamma, plan.beta)
        if plan.beta <= 1:
            H[H < np.finfo(np.float64).eps] = 0.0
    state["stats"] = {}
    return W, H
