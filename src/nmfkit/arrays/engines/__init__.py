"""Engines: the array library a fit runs on.

An engine is chosen from the data (or by name) and passed explicitly to every solver;
there is no global backend state. ``ENGINES`` says where each engine class lives, which
library it needs and which arrays it takes; a class is imported only when a fit asks
for it (``import nmfkit`` imports neither torch nor dask). The estimators' ``engine=``
values, the command line's ``--engine`` choices and the tests all come from it: a new
engine is a new module and one entry here.
"""

import importlib
import sys
from dataclasses import dataclass
from typing import Optional

from ._base import Engine, missing_extra
from ._numpy import NumpyEngine, check_sparse, sparse_problem

__all__ = [
    "check_sparse",
    "sparse_problem",
    "ENGINES",
    "EngineEntry",
    "Engine",
    "NumpyEngine",
    "available_engines",
    "load_engine",
    "select_engine",
]


@dataclass(frozen=True)
class EngineEntry:
    """Where an engine lives and what it needs.

    Parameters
    ----------
    target : str
        ``"module:Class"`` of the engine.
    package : str
        The library it needs, as messages name it.
    extra : str or None
        The nmfkit extra that installs it (None: always installed).
    library : str or None
        The module that makes the arrays it takes (``'torch'``, ``'dask.array'``):
        ``engine='auto'`` asks the class (``Engine.accepts``) only once that module is
        imported, since only then can X be one of its arrays. None for the default
        engine, which takes what no other one does.
    devices : bool, default=False
        It takes a ``device`` (a GPU): ``device=`` alone selects it.
    """

    target: str
    package: str
    extra: Optional[str] = None
    library: Optional[str] = None
    devices: bool = False


ENGINES = {
    "numpy": EngineEntry("nmfkit.arrays.engines._numpy:NumpyEngine", "NumPy"),
    "torch": EngineEntry(
        "nmfkit.arrays.engines._torch:TorchEngine", "PyTorch", "torch", "torch", devices=True
    ),
    "dask": EngineEntry("nmfkit.arrays.engines._dask:DaskEngine", "Dask", "dask", "dask.array"),
}


def load_engine(name):
    """The engine class ``name``; an ImportError naming the extra when its library is missing."""
    entry = ENGINES[name]
    module, cls = entry.target.split(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        if entry.extra is None:
            raise
        raise missing_extra(name, entry.package, entry.extra) from exc


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


def _engine_for(X, device):
    """The engine ``engine='auto'`` picks: the one that takes a device when one is
    given, else the first whose arrays X is, else the default."""
    if device is not None:
        return next(name for name, entry in ENGINES.items() if entry.devices)
    for name, entry in ENGINES.items():
        # only a library already imported can have made X (no import here)
        if entry.library is not None and entry.library in sys.modules:
            try:
                cls = load_engine(name)
            except ImportError:  # the library is there but the engine cannot load
                continue
            if cls.accepts(X):
                return name
    return next(name for name, entry in ENGINES.items() if entry.library is None)


def select_engine(X, engine="auto", device=None, caller="NMF.fit"):
    """Return the engine instance for ``X``.

    Parameters
    ----------
    X : array-like, sparse matrix, torch tensor or dask array
        The data; its type decides the engine when ``engine='auto'``.
    engine : str, default="auto"
        ``"auto"`` or a key of ``ENGINES``.
    device : str or None, default=None
        Device ('cpu', 'cuda', 'cuda:1', ...) of an engine that takes one (torch); a
        device implies that engine.
    caller : str
        Named in error messages.
    """
    if engine == "auto":
        engine = _engine_for(X, device)
    if engine not in ENGINES:
        raise ValueError(
            f"{caller}: unknown engine {engine!r}; available engines are "
            f"{sorted(ENGINES)}. Use engine='auto' to pick one from the data."
        )
    if device is not None and not ENGINES[engine].devices:
        takes = " or ".join(f"engine={name!r}" for name, e in ENGINES.items() if e.devices)
        raise ValueError(
            f"{caller}: device={device!r} is for {takes}, got engine={engine!r}. "
            f"Drop device= or use {takes}."
        )
    cls = load_engine(engine)
    if not ENGINES[engine].devices:
        return cls()
    try:
        return cls(device=device)
    except ValueError as exc:
        raise ValueError(f"{caller}: {exc}") from None
