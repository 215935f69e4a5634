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

from ..plan import Plan
from . import convex, convolutive, semi, symmetric

__all__ = ["FAMILY_SOLVERS", "family_plan"]

# one line per model: its solver records
FAMILY_SOLVERS = {
    s.name: s for s in (*semi.SOLVERS, convex.SOLVER, *symmetric.SOLVERS, *convolutive.SOLVERS)
}


def family_plan(
    n_components, solver, *, tol, max_iter, random_state, dtype, verbose=0, beta=2.0, update=True
):
    """The Plan of a fit of a relative of NMF: no penalties, no constraints.

    Parameters
    ----------
    n_components : int
    solver : str
        A key of ``FAMILY_SOLVERS``.
    tol, max_iter, random_state, verbose
        As for NMF: ``tol`` is the relative decrease of the objective between two
        checks (10 iterations apart) below which the fit stops.
    dtype : numpy dtype
    beta : float, default=2.0
        The β-divergence the model measures its fit with.
    update : bool, default=True
        False holds the components fixed (``transform``).
    """
    return Plan(
        n_components=n_components, beta=float(beta), solver=solver, init="custom",
        tol=float(tol), max_iter=int(max_iter), l1_W=0.0, l2_W=0.0, l1_H=0.0, l2_H=0.0,
        update_H=update, random_state=random_state, dtype=dtype, verbose=verbose,
    )  # fmt: skip
