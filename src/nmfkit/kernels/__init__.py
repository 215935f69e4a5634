"""Kernels: the hot inner loops, looked up by name for an engine.

Each kernel has an array-API form (``*_xp``) that runs on every engine and is the test
oracle; a compiled (Numba) form may be registered beside it for the NumPy engine.
"""

from .hals import hals_sweep_xp

__all__ = ["KERNELS", "kernel"]

KERNELS = {"hals_sweep": {"xp": hals_sweep_xp}}


def kernel(name, engine):
    """The fastest available implementation of kernel ``name`` for ``engine``."""
    impls = KERNELS[name]
    return impls.get(engine.name, impls["xp"])
