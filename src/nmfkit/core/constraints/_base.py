"""The record every constraint or penalty on a factor declares."""

from dataclasses import asdict, dataclass
from typing import ClassVar

from ...arrays.kernels.sparseness import column_sweep

__all__ = ["Constraint", "FACTORS", "ROLES"]

FACTORS = ("W", "H")
# How a solver honours a constraint (see ``solvers/apg.py``):
#   'set'     a projection onto the constraint's set after each gradient step;
#   'exact'   the block's exact minimiser under the constraint (``solve``);
#   'penalty' a term of the objective, majorised at the current factor by a quadratic
#             (``curvature``), so the block stays a quadratic problem;
#   'frozen'  components the block leaves as they are.
ROLES = ("set", "exact", "penalty", "frozen")


@dataclass(frozen=True)
class Constraint:
    """A constraint or penalty on W or on H: one object, one registry entry.

    Every method works on the factor in *row form* ``A``: W itself, of shape
    (n_samples, k), or Hᵀ, of shape (n_features, k). A component is a column of A; a
    row of A is a sample's weights (W) or a feature's loadings (H). The Frobenius
    block problem of A is ``min ½ tr(A G Aᵀ) - tr(A Rᵀ)`` with G the Gram of the other
    factor and R the cross product with X.

    Parameters
    ----------
    factor : {'W', 'H'}
        The factor it applies to.
    """

    factor: str = "W"

    name: ClassVar[str] = ""
    role: ClassVar[str] = "set"
    # the solvers that honour it
    solvers: ClassVar[tuple] = ("apg",)
    # whether a step under it never raises the objective by construction (a convex
    # set, an exact minimiser, a majorised penalty); a step that would is rejected
    monotone: ClassVar[bool] = True
    # whether the set is a product of one set per component (column of A): each column
    # then takes its exact minimiser, the projection of its unconstrained one (the
    # block's quadratic is isotropic in one column); else projected gradient steps
    per_component: ClassVar[bool] = False

    def __post_init__(self):
        if self.factor not in FACTORS:
            raise ValueError(
                f"{type(self).__name__}: factor must be 'W' or 'H', got {self.factor!r}; "
                f"write {type(self).__name__}('W') for the samples' weights or "
                f"{type(self).__name__}('H') for the components."
            )

    def check(self, n_rows, k, caller):
        """Raise ValueError when it cannot hold for a factor of row form (n_rows, k)."""

    def settle(self, A, data_fit):
        """This constraint with every 'auto' value settled from the starting factor A
        (row form) and the starting data-fit term."""
        return self

    def project(self, A, engine=None):
        """The nearest point of the set (role 'set'); ``engine`` picks a compiled
        kernel where there is one."""
        return A

    def sweep(self, A, G, R, engine=None):
        """One sweep over the columns of A (``per_component`` sets), each set to the
        projection of its exact minimiser with the others held; returns the new A."""
        return column_sweep(A, G, R, lambda col: self.project(col, engine))

    def solve(self, G, R):
        """The exact minimiser of the block problem under it (role 'exact')."""
        raise NotImplementedError

    def curvature(self, A):
        """The k × k matrix C with ½ tr(B C Bᵀ) + const majorising the penalty at A,
        touching it there (role 'penalty')."""
        raise NotImplementedError

    def penalty(self, A):
        """Its term in the objective (0 for a constraint)."""
        return 0.0

    def violation(self, A):
        """How far A is from satisfying it (0.0 when it holds; for the tests)."""
        return 0.0

    def to_dict(self):
        """Its name and fields, for model files (``from_dict`` reads it back)."""
        fields = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {"constraint": self.name, **fields}

    def describe(self):
        """How it reads in messages: ``Simplex('W')``."""
        return f"{type(self).__name__}({self.factor!r})"
