"""Box constraints: every entry of a factor between two bounds."""

import math
from dataclasses import dataclass

from ...arrays.ops import namespace
from ._base import Constraint

__all__ = ["Box"]


@dataclass(frozen=True)
class Box(Constraint):
    """Every entry of the factor in [lower, upper] (e.g. W in [0, 1]).

    Each component takes its exact minimiser in turn, clipped to the box (coordinate
    descent, as HALS; the objective never rises).

    Parameters
    ----------
    factor : {'W', 'H'}, default='W'
    lower : float, default=0.0
        At least 0 (the factor stays non-negative).
    upper : float, default=1.0
        Above ``lower``; ``math.inf`` for no upper bound.
    """

    lower: float = 0.0
    upper: float = 1.0

    name = "box"
    per_component = True

    def __post_init__(self):
        super().__post_init__()
        lo, hi = float(self.lower), float(self.upper)
        if not (math.isfinite(lo) and lo >= 0) or not hi > lo:
            raise ValueError(
                f"Box: needs 0 <= lower < upper, got lower={self.lower!r}, "
                f"upper={self.upper!r}; for W in [0, 1] write Box('W', 0.0, 1.0)."
            )

    def project(self, A, engine=None):
        return namespace(A).clip(A, min=float(self.lower), max=float(self.upper))

    def violation(self, A):
        xp = namespace(A)
        low = xp.max(xp.clip(self.lower - A, min=0.0))
        high = xp.max(xp.clip(A - self.upper, min=0.0)) if math.isfinite(self.upper) else 0.0
        return float(max(low, high))

    def describe(self):
        return f"Box({self.factor!r}, {self.lower!r}, {self.upper!r})"
