"""Coordinate descent as scikit-learn's ``solver='cd'`` runs it.

One HALS sweep over the columns of W, then one over the rows of H, per iteration
(Cichocki & Phan 2009, doi:10.1587/transfun.E92.A.708): each coordinate set to its exact
minimiser with the others held, the L1/L2 penalties included, and nothing more — no
inner sweeps, no extrapolation. From the same start it reaches scikit-learn's iterates
(to rounding), which makes ``solver='cd'`` a drop-in for code written for scikit-learn.
nmfkit's own HALS (``solver='hals'``, the default for the Frobenius loss) repeats the
cheap sweeps and extrapolates, and gets to a given loss sooner.
"""

from ._solver import Solver
from .hals import masked_step, update_H, update_W


def _one_sweep(gram_flops, n_rows, k):
    return 1


def step(data, W, H, state, plan, engine):
    """One sweep over W given H, then one over H given W."""
    W, hs = update_W(data, W, H, state, plan, engine, budget=_one_sweep)
    if not plan.update_H:
        state["stats"] = hs
        return W, H
    H, state["stats"] = update_H(data, W, H, state, plan, engine, budget=_one_sweep)
    return W, H


# on masked data HALS runs one unaccelerated sweep of each factor already
SOLVER = Solver("cd", {"plain": step, "masked": masked_step}, betas=(2.0,), pooled=True)
