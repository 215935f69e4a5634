"""NMF's relatives as kinds of fit data and solver steps, run by the one Loop.

Each relative of NMF (semi-NMF, convex NMF, symmetric NMF, convolutive NMF) is one
module here holding a kind of fit data and the solver steps for it. The data answers
the part of ``core.data.FitData`` the Loop asks for (``describe`` and ``divergence``:
the model's own objective of the current pair), the steps are ``Solver`` records keyed
by that kind, and ``FAMILY_SOLVERS`` is their registry. So every relative shares the
Loop's stopping rule (one meaning of ``tol``), loss history, callback, verbose output,
ConvergenceWarning and stop reasons, without a flag in the Loop. NMF's own solvers
stay in ``SOLVERS``; the names of the two registries never overlap.
"""

from . import convex, convolutive, semi, symmetric

__all__ = ["FAMILY_SOLVERS"]

# one line per model: its solver records
FAMILY_SOLVERS = {
    s.name: s for s in (*semi.SOLVERS, convex.SOLVER, *symmetric.SOLVERS, *convolutive.SOLVERS)
}
