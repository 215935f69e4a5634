"""The compiled form of ``kernels.symmetric``: the same loops, through Numba."""

from numba import njit

from .symmetric import symnmf_cd_sweep_xp

_sweep = njit(cache=True, nogil=True)(symnmf_cd_sweep_xp)

__all__ = ["symnmf_cd_sweep"]


def symnmf_cd_sweep(indptr, indices, data, H, HtH, rownorm):
    """See ``kernels.symmetric.symnmf_cd_sweep_xp``."""
    return _sweep(indptr, indices, data, H, HtH, rownorm)
