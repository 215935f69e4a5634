"""The minimum-volume penalty: λ logdet(AᵀA/δ + I) on the components."""

import numbers
from dataclasses import dataclass, replace

from array_api_compat import device

from ...arrays.ops import namespace
from ._base import Constraint

__all__ = ["MinVolume"]


def _logdet_term(A, delta):
    """logdet(AᵀA/δ + I) in float64 (≥ 0)."""
    xp = namespace(A)
    A = xp.astype(A, xp.float64)
    k = A.shape[1]
    M = A.T @ A / delta + xp.eye(k, dtype=xp.float64, device=device(A))
    return float(xp.linalg.slogdet(M)[1])


@dataclass(frozen=True)
class MinVolume(Constraint):
    r"""The minimum-volume penalty :math:`\lambda \log\det(H H^\top/\delta + I)`.

    Among the factorizations that fit X equally well, it prefers the one whose
    components span the smallest volume: the one that hugs the data, which recovers
    the true sources (endmembers, notes) where plain NMF does not (Fu, Huang,
    Sidiropoulos & Ma 2016, doi:10.1109/TSP.2016.2545938; Leplat, Ang & Gillis 2019,
    doi:10.1109/ICASSP.2019.8682280; Leplat, Gillis & Ang 2020,
    doi:10.1109/TSP.2020.2991801). It is :math:`\lambda (\log\det(HH^\top + \delta I)
    - k \log\delta)`: the usual term shifted to be 0 at H = 0, so the objective stays
    non-negative. At each step it is majorised by its tangent, the quadratic
    :math:`\lambda\,\mathrm{tr}(Z H H^\top)` with :math:`Z = (H_0 H_0^\top + \delta
    I)^{-1}` (a concave function lies below its tangent), so the block stays a
    quadratic problem and the objective never rises.

    Parameters
    ----------
    factor : {'W', 'H'}, default='H'
    lam : float or 'auto', default='auto'
        λ. 'auto': ``lam_tilde`` times the data-fit term of the start divided by the
        penalty's log-determinant there (Leplat, Ang & Gillis 2019): the penalty
        starts at ``lam_tilde`` of the error, whatever the data's scale.
    lam_tilde : float, default=0.1
        The relative weight of 'auto'.
    delta : float or 'auto', default='auto'
        δ > 0, which keeps the log-determinant finite for rank-deficient H. 'auto':
        0.1 times the mean squared norm of the starting components, so that the
        penalty does not depend on the data's scale.
    """

    factor: str = "H"
    lam: object = "auto"
    lam_tilde: float = 0.1
    delta: object = "auto"

    name = "minvolume"
    role = "penalty"

    def __post_init__(self):
        super().__post_init__()
        for what, value, zero in (("lam", self.lam, True), ("delta", self.delta, False)):
            if value == "auto":
                continue
            good = isinstance(value, numbers.Real) and (value >= 0 if zero else value > 0)
            if not good:
                sign = ">= 0" if zero else "> 0"
                raise ValueError(
                    f"MinVolume: {what} must be a float {sign} or 'auto', got {value!r}; "
                    f"use {what}='auto' for the scaling of Leplat, Ang & Gillis (2019)."
                )
        if not (isinstance(self.lam_tilde, numbers.Real) and self.lam_tilde >= 0):
            raise ValueError(
                f"MinVolume: lam_tilde must be a float >= 0, got {self.lam_tilde!r}; "
                "0.1 is the literature's default."
            )

    def settle(self, A, data_fit):
        xp = namespace(A)
        delta = self.delta
        if delta == "auto":
            norms = float(xp.mean(xp.sum(xp.astype(A, xp.float64) ** 2, axis=0)))
            delta = 0.1 * norms if norms > 0 else 1.0
        lam = self.lam
        if lam == "auto":
            term = _logdet_term(A, delta)
            lam = float(self.lam_tilde) * data_fit / term if term > 0 else 0.0
        return replace(self, lam=float(lam), delta=float(delta))

    def penalty(self, A):
        return float(self.lam) * _logdet_term(A, float(self.delta)) if self.lam else 0.0

    def curvature(self, A):
        xp = namespace(A)
        k = A.shape[1]
        M = A.T @ A + float(self.delta) * xp.eye(k, dtype=A.dtype, device=device(A))
        return (2.0 * float(self.lam)) * xp.linalg.inv(M)

    def describe(self):
        return f"MinVolume({self.factor!r}, lam={self.lam!r}, delta={self.delta!r})"
