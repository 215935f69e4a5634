"""The compiled form of ``kernels.convolutive``: the same loops, through Numba."""

from numba import njit

from .convolutive import convolutive_w_sweep_xp

_sweep = njit(cache=True, nogil=True)(convolutive_w_sweep_xp)

__all__ = ["convolutive_w_sweep"]


def convolutive_w_sweep(R, W, H, norms):
    """See ``kernels.convolutive.convolutive_w_sweep_xp``."""
    return _sweep(R, W, H, norms)
