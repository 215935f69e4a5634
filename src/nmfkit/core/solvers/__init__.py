"""Solver steps: one outer iteration each, written against the engine interface.

Every solver module exposes ``SUPPORTS`` (what it can minimise) and
``step(X, W, H, state, plan, engine) -> (W, H)``. A step updates W, then H (unless
``plan.update_H`` is False), and leaves in ``state["stats"]`` Gram products that stay
valid for the returned factors, so the Loop can evaluate a Frobenius objective without
forming W H. A module may set ``POOLED = True`` when its work is row-wise: the engine
then runs it on one pool of threads (``NumpyEngine.threads``). ``SOLVERS`` is the
registry the Plan checks and the tests loop over.

``state`` is the solver's memory between steps. Keys that start with ``_`` hold caches
derived from X and the Plan alone (rebuilt when needed); every other key (besides the
Loop's ``data``) is part of the fit's progress and must hold only arrays, numbers,
strings, None, NumPy Generators, and dicts, lists or tuples of those: checkpoints
(``nmfkit.Checkpoint``) save it so that a resumed fit continues exactly.
"""

from . import bpp, ccd, hals, mu

__all__ = ["SOLVERS"]

SOLVERS = {"mu": mu, "hals": hals, "bpp": bpp, "ccd": ccd}
