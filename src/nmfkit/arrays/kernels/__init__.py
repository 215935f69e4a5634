"""Kernels: the hot inner loops, looked up by name for an engine.

Each kernel has an array-API form (``*_xp``) that is the test oracle; the NumPy engine
uses a compiled Numba form and the Torch engine a vectorised torch form, each imported
on first use (``import nmfkit`` imports neither Numba nor torch), falling back to the
array-API form when the library is not installed.

Numba compiles a kernel on its first call and caches it on disk (``cache=True``), so
only the first fit of an installation (or after a Numba or Python upgrade) compiles.
That first compile is announced once per process on the logger ``nmfkit.kernels`` (at
INFO level: silent unless the application shows it, as the command line does on a
terminal); the library itself never prints.
"""

import importlib
import logging

from .convolutive import convolutive_w_sweep_xp
from .hals import hals_sweeps_xp
from .kl import kl_ccd_sweep_xp
from .masked import masked_hals_rows_xp, masked_nnls_rows_xp
from .nnls import nnls_rows_xp
from .products import csr_dense_xp, csr_has_duplicates_xp, wh_at_xp
from .sparseness import hoyer_sweep_xp, sparseness_projection_xp
from .symmetric import symnmf_cd_sweep_xp

__all__ = ["KERNELS", "kernel", "COMPILING", "logger"]

# where the first compile is announced (see the module docstring)
logger = logging.getLogger("nmfkit.kernels")
COMPILING = (
    "compiling kernels, once per installation (Numba caches them): this first fit takes longer"
)

# name -> {"xp": array-API form, engine name: "module:function" of a compiled form}
KERNELS = {
    "hals_sweeps": {"xp": hals_sweeps_xp, "numpy": "nmfkit.arrays.kernels._numba:hals_sweeps"},
    "sparseness_projection": {
        "xp": sparseness_projection_xp,
        "numpy": "nmfkit.arrays.kernels._numba:sparseness_projection",
    },
    "hoyer_sweep": {"xp": hoyer_sweep_xp, "numpy": "nmfkit.arrays.kernels._numba:hoyer_sweep"},
    "kl_ccd_sweep": {
        "xp": kl_ccd_sweep_xp,
        "numpy": "nmfkit.arrays.kernels._numba:kl_ccd_sweep",
        "torch": "nmfkit.arrays.kernels._torch:kl_ccd_sweep",
    },
    "wh_at": {
        "xp": wh_at_xp,
        "numpy": "nmfkit.arrays.kernels._numba:wh_at",
        "torch": "nmfkit.arrays.kernels._torch:wh_at",
    },
    "nnls_rows": {
        "xp": nnls_rows_xp,
        "numpy": "nmfkit.arrays.kernels._numba_nnls:nnls_rows",
        "torch": "nmfkit.arrays.kernels._torch:nnls_rows",
    },
    "masked_nnls_rows": {
        "xp": masked_nnls_rows_xp,
        "numpy": "nmfkit.arrays.kernels._numba_masked:masked_nnls_rows",
    },
    "masked_hals_rows": {
        "xp": masked_hals_rows_xp,
        "numpy": "nmfkit.arrays.kernels._numba_masked:masked_hals_rows",
    },
    "convolutive_w_sweep": {
        "xp": convolutive_w_sweep_xp,
        "numpy": "nmfkit.arrays.kernels._numba_convolutive:convolutive_w_sweep",
    },
    "symnmf_cd_sweep": {
        "xp": symnmf_cd_sweep_xp,
        "numpy": "nmfkit.arrays.kernels._numba_symmetric:symnmf_cd_sweep",
    },
    "csr_dense": {"xp": csr_dense_xp, "numpy": "nmfkit.arrays.kernels._numba:csr_dense"},
    "csr_has_duplicates": {
        "xp": csr_has_duplicates_xp,
        "numpy": "nmfkit.arrays.kernels._numba:csr_has_duplicates",
    },
}

_loaded = {}

# Below this much work (about flops) a call takes the array-API form: loading the
# compiled kernels costs a fresh process about 0.6 s (Numba's import and its cache),
# more than a small fit takes in all. Set by the sizes alone, so a given problem always
# runs the same code.
COMPILE_WORK = 1 << 18


def kernel(name, engine, compiled=True, work=None):
    """The fastest available implementation of kernel ``name`` for ``engine``.

    Parameters
    ----------
    name : str
        Key of ``KERNELS``.
    engine : Engine
    compiled : bool, default=True
        False returns the array-API form (what the tests compare against).
    work : float, optional
        The flops of the call, where known: below ``COMPILE_WORK`` the array-API form
        is the faster one in place of a Numba form.
    """
    impls = KERNELS[name]
    target = impls.get(engine.kernels) if compiled else None
    if target is not None and "._numba" in target and work is not None and work < COMPILE_WORK:
        target = None  # only Numba's forms cost a load; Torch's are plain torch calls
    if target is None:
        return impls["xp"]
    if target not in _loaded:
        if "._numba" in target:
            _listen_for_compiles()
        module, func = target.split(":")
        try:
            _loaded[target] = getattr(importlib.import_module(module), func)
        except ImportError:
            _loaded[target] = impls["xp"]
    return _loaded[target]


# whether a listener is registered with Numba, and whether the first compile was said
_compiles = {"listening": False, "announced": False}


def _listen_for_compiles():
    """Before the first Numba kernel is loaded: log ``COMPILING`` (INFO, ``logger``) at
    the start of the first compile of this process. Numba raises its 'numba:compile'
    event only when it compiles, not when it loads a kernel from its cache."""
    if _compiles["listening"]:
        return
    _compiles["listening"] = True
    try:
        from numba.core import event
    except ImportError:  # no Numba: the array-API forms run, nothing compiles
        return

    class FirstCompile(event.Listener):
        def on_start(self, ev):
            if not _compiles["announced"]:
                _compiles["announced"] = True
                logger.info(COMPILING)

        def on_end(self, ev):
            pass

    event.register("numba:compile", FirstCompile())
