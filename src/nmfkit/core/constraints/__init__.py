"""Constraints and penalties on the factors: one object each, one registry line.

A constraint on W or on H (``Constraint``) carries its projection, exact block
solution or majorised penalty, its term of the objective, and the solvers that honour
it. ``CONSTRAINTS`` is the registry the Plan checks and the tests loop over: a new
constraint is a new module and one line here.
"""

from ._base import FACTORS, ROLES, Constraint
from .box import Box
from .frozen import Frozen
from .hoyer import Hoyer, project_sparseness, sparseness
from .minvolume import MinVolume
from .orthogonal import Orthogonal
from .simplex import Simplex, project_simplex

__all__ = [
    "CONSTRAINTS",
    "Constraint",
    "Simplex",
    "Box",
    "Hoyer",
    "Orthogonal",
    "Frozen",
    "MinVolume",
    "check_constraints",
    "from_dict",
    "on_factor",
    "settle",
    "project_simplex",
    "project_sparseness",
    "sparseness",
    "ROLES",
]

CONSTRAINTS = {c.name: c for c in (Simplex, Box, Hoyer, Orthogonal, Frozen, MinVolume)}


def on_factor(constraints, factor):
    """The constraints of ``constraints`` on ``factor`` ('W' or 'H')."""
    return tuple(c for c in constraints if c.factor == factor)


def check_constraints(constraints, shape, k, solver, update_H, custom, caller):
    """Refuse a combination of constraints that cannot hold or that the solver cannot
    honour, before the first iteration; return them as a tuple.

    Parameters
    ----------
    constraints : sequence of Constraint or None
    shape : tuple of int
        X's (n_samples, n_features).
    k : int
    solver : str
        The solver the fit runs (already settled from 'auto').
    update_H : bool
    custom : bool
        Whether the start is given (``init='custom'``), as frozen components need.
    caller : str
    """
    if constraints is None:
        return ()
    if isinstance(constraints, Constraint):
        constraints = (constraints,)
    constraints = tuple(constraints)
    for c in constraints:
        if not isinstance(c, Constraint):
            names = ", ".join(cls.__name__ for cls in CONSTRAINTS.values())
            raise TypeError(
                f"{caller}: constraints must be a list of nmfkit constraints ({names}), "
                f"got {c!r}; e.g. constraints=[nmfkit.Simplex('W')]."
            )
    rows = {"W": shape[0], "H": shape[1]}
    for factor in FACTORS:
        mine = on_factor(constraints, factor)
        for c in mine:
            c.check(rows[factor], k, caller)
        shaping = [c for c in mine if c.role in ("set", "exact")]
        if len(shaping) > 1:
            listed = " and ".join(c.describe() for c in shaping)
            raise ValueError(
                f"{caller}: {listed} cannot hold together on {factor}: a factor takes at "
                "most one of Simplex, Box, Hoyer and Orthogonal. Keep one of them (a "
                "penalty such as MinVolume combines with any)."
            )
        frozen = [c for c in mine if c.role == "frozen"]
        if len(frozen) > 1:
            raise ValueError(
                f"{caller}: {factor} has {len(frozen)} Frozen constraints; name all the "
                f"kept components in one: Frozen({factor!r}, [...])."
            )
        if frozen and shaping and shaping[0].name in ("simplex", "orthogonal"):
            raise ValueError(
                f"{caller}: {frozen[0].describe()} and {shaping[0].describe()} cannot hold "
                f"together: the kept components' entries would have to change to keep "
                f"each row of {factor} {shaping[0].name}. Drop one of them."
            )
        if frozen and not custom and not (factor == "H" and not update_H):
            raise ValueError(
                f"{caller}: {frozen[0].describe()} keeps components at their starting "
                f"values, which must be given: pass init='custom' with fit(X, W=..., H=...)."
            )
    for c in constraints:
        if c.factor == "H" and not update_H:
            continue  # H is held fixed: nothing to honour
        if solver not in c.solvers:
            takes = " or ".join(repr(s) for s in c.solvers)
            raise ValueError(
                f"{caller}: solver={solver!r} cannot honour {c.describe()}; use solver="
                f"{takes} (or 'auto')."
            )
    return constraints


def settle(constraints, W, H, data_fit):
    """The constraints with their 'auto' values settled from the start (W, H) and its
    data-fit term (``Constraint.settle``)."""
    return tuple(c.settle(W if c.factor == "W" else H.T, data_fit) for c in constraints)


def from_dict(d):
    """The constraint that ``Constraint.to_dict`` wrote (a model file's parameter)."""
    if not isinstance(d, dict) or d.get("constraint") not in CONSTRAINTS:
        raise ValueError(f"not a constraint: {d!r}")
    fields = {k: v for k, v in d.items() if k != "constraint"}
    try:
        return CONSTRAINTS[d["constraint"]](**fields)
    except TypeError:
        raise ValueError(f"not a constraint: {d!r}") from None
