"""Engines: the array library a fit runs on.

An engine is chosen from the data (or by name) and passed explicitly to every solver;
there is no global backend state. ``ENGINES`` maps each name to where its class lives,
imported only when a fit asks for it (``import nmfkit`` imports neither torch nor
dask); it is what the tests loop over.
"""

import importlib
import sys

from ._base import Engine, missing_extra
from ._numpy import NumpyEngine

__all__ = ["ENGINES", "Engine", "NumpyEngine", "available_engines", "load_engine", "select_engine"]

# name -> (module:class, the package it needs, the extra that installs it)
ENGINES = {
    "numpy": ("nmfkit.arrays.engines._numpy:NumpyEngine", "NumPy", None),
    "torch": ("nmfkit.arrays.engines._torch:TorchEngine", "PyTorch", "torch"),
    "dask": ("nmfkit.arrays.engines._dask:DaskEngine", "Dask", "dask"),
}


def load_engine(name):
    """The engine class ``name``; an ImportError naming the extra when its library is missing."""
    target, package, extra = ENGINES[name]
    module, cls = target.split(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        if extra is None:
            raise
        raise missing_extra(name, package, extra) from exc


def available_engines():
    """Names of the engines whose library is installed."""
    out = []
    for name in ENGINES:
        try:
            load_engine(name)
        except ImportError:
            continue
        out.append(name)
    return out


def _is_type(X, module, attr):
    # only libraries already imported can have made X (no import here)
    mod = sys.modules.get(module)
    return mod is not None and isinstance(X, getattr(mod, attr))


def select_engine(X, engine="auto", device=None, caller="NMF.fit"):
    """Return the engine instance for ``X``.

    Parameters
    ----------
    X : array-like, sparse matrix, torch tensor or dask array
        The data; its type decides the engine when ``engine='auto'``.
    engine : str, default="auto"
        ``"auto"`` or a key of ``ENGINES``.
    device : str or None, default=None
        Torch device ('cpu', 'cuda', 'cuda:1', ...); a device implies the torch engine.
    caller : str
        Named in error messages.
    """
    if engine == "auto":
        if _is_type(X, "torch", "Tensor") or device is not None:
            engine = "torch"
        elif _is_type(X, "dask.array", "Array"):
            engine = "dask"
        else:
            engine = "numpy"
    if engine not in ENGINES:
        raise ValueError(
            f"{caller}: unknown engine {engine!r}; available engines are "
            f"{sorted(ENGINES)}. Use engine='auto' to pick one from the data."
        )
    if device is not None and engine != "torch":
        raise ValueError(
            f"{caller}: device={device!r} is for engine='torch', got engine={engine!r}. "
            "Drop device= or use engine='torch'."
        )
    cls = load_engine(engine)
    return cls(device=device) if engine == "torch" else cls()
