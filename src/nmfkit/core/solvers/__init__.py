"""Solver steps: one outer iteration each, written against the engine interface.

Every solver module declares one ``SOLVER`` record (``_solver.Solver``): the β it
minimises, whether it runs on chunked engines, its penalties, and one step per kind of
fit data, ``step(data, W, H, state, plan, engine) -> (W, H)``. A step updates W, then H
(unless ``plan.update_H`` is False), and leaves in ``state["stats"]`` Gram products
that stay valid for the returned factors, so the Loop can evaluate a Frobenius
objective without forming W H. ``SOLVERS`` is the registry the Plan checks, the Loop
runs, the estimators and the command line offer, and the tests loop over: a new
solver is a new module and one line here.

``state`` is the solver's memory between steps. Keys that start with ``_`` hold caches
derived from X and the Plan alone (rebuilt when needed); every other key (besides the
Loop's ``facts``) is part of the fit's progress and must hold only arrays, numbers,
strings, None, NumPy Generators, the dataclasses of ``STATES``, and dicts, lists or
tuples of those: checkpoints (``nmfkit.Checkpoint``) save it so that a resumed fit
continues exactly.
"""

from . import apg, bpp, ccd, cd, hals, mu
from ._solver import Solver
from .extrapolation import Extrapolation

__all__ = ["SOLVERS", "ALIASES", "AUTO", "STATES", "Solver", "solver_names"]

# in the order the estimators and the command line list them
SOLVERS = {
    s.name: s for s in (hals.SOLVER, cd.SOLVER, mu.SOLVER, bpp.SOLVER, ccd.SOLVER, apg.SOLVER)
}
ALIASES = {alias: s.name for s in SOLVERS.values() for alias in s.aliases}
# what solver='auto' takes: the first of these that minimises the loss, runs on the
# engine, fits the data (and, for dense X, has ``auto_on_dense``) and honours the
# fit's constraints
AUTO = ("hals", "ccd", "mu", "apg")
# the state records a step may keep in ``state`` (checkpoints save and restore them)
STATES = {cls.__name__: cls for cls in (Extrapolation,)}


def solver_names(beta=None):
    """'auto', then every solver with its aliases (those that minimise ``beta``)."""
    names = ["auto"]
    for solver in SOLVERS.values():
        if beta is None or solver.minimises(beta):
            names += [solver.name, *solver.aliases]
    return names
