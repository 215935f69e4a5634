"""Hoyer's sparseness: each component at a chosen L1/L2 ratio."""

from dataclasses import dataclass

from ...arrays.kernels import kernel
from ...arrays.kernels.sparseness import column_sparseness, cone_projection_xp, hoyer_sweep_xp
from ...arrays.ops import namespace
from ._base import Constraint

__all__ = ["Hoyer", "sparseness", "project_sparseness"]


def sparseness(A):
    """Hoyer's sparseness of each column of A: (√n - ‖a‖₁/‖a‖₂) / (√n - 1), in [0, 1]
    (0: all entries equal, 1: one non-zero); NaN for a zero column."""
    return column_sparseness(A)


def project_sparseness(A, target, engine=None):
    """The nearest point of Hoyer's sparseness cone to each column of A
    (``kernels.sparseness.cone_projection_xp``); ``engine`` picks a compiled kernel
    where it has one.

    Parameters
    ----------
    A : array of shape (n, k)
    target : float in [0, 1]
    engine : Engine, optional

    Returns
    -------
    P : array of shape (n, k)
    """
    if engine is None:
        return cone_projection_xp(A, target)
    return cone_projection_xp(A, target, kernel("sparseness_projection", engine))


@dataclass(frozen=True)
class Hoyer(Constraint):
    """Every component at Hoyer's sparseness ``sparseness`` (Hoyer 2004,
    https://www.jmlr.org/papers/v5/hoyer04a.html).

    Sparseness (√n - ‖h‖₁/‖h‖₂)/(√n - 1) is 0 for a component with all entries equal
    and 1 for one with a single non-zero; "parts with sparseness 0.7" is
    ``Hoyer('H', 0.7)``. The set is a cone per component, and each component takes
    its exact minimiser in turn (the projection of its unconstrained minimiser, the
    other components held: the block's quadratic is isotropic in one component), so
    every step is an exact block minimisation and the objective never rises, though
    the set is not convex (a different start can end elsewhere).

    Parameters
    ----------
    factor : {'W', 'H'}, default='H'
    sparseness : float in [0, 1], default=0.5
    """

    factor: str = "H"
    sparseness: float = 0.5

    name = "hoyer"
    per_component = True

    def __post_init__(self):
        super().__post_init__()
        s = self.sparseness
        if not (isinstance(s, (int, float)) and 0.0 <= s <= 1.0):
            raise ValueError(
                f"Hoyer: sparseness must be a float in [0, 1] (0: dense, 1: one non-zero "
                f"per component), got {s!r}; 0.5-0.8 gives parts."
            )

    def check(self, n_rows, k, caller):
        if n_rows < 2:
            raise ValueError(
                f"{caller}: {self.describe()} needs components of at least 2 entries; "
                f"the factor has {n_rows}. Drop the constraint."
            )

    def project(self, A, engine=None):
        return project_sparseness(A, float(self.sparseness), engine)

    def sweep(self, A, G, R, engine=None):
        if engine is None:
            return hoyer_sweep_xp(A, G, R, float(self.sparseness))
        return kernel("hoyer_sweep", engine)(A, G, R, float(self.sparseness))

    def violation(self, A):
        xp = namespace(A)
        s = sparseness(A)
        s = s[~xp.isnan(s)]
        if s.shape[0] == 0:
            return 0.0
        return float(max(xp.max(xp.abs(s - self.sparseness)), xp.max(xp.clip(-A, min=0.0))))

    def describe(self):
        return f"Hoyer({self.factor!r}, {self.sparseness!r})"
