"""Engines: the array library a fit runs on.

An engine is chosen from the data (or by name) and passed explicitly to every solver;
there is no global backend state. Only the NumPy/SciPy engine exists now; the registry
``ENGINES`` is what later engines (torch, dask) join, and what the tests loop over.
"""

from ._numpy import NumpyEngine

__all__ = ["ENGINES", "select_engine", "NumpyEngine"]

ENGINES = {"numpy": NumpyEngine}


def select_engine(X, engine="auto", caller="NMF.fit"):
    """Return the engine instance for ``X``.

    Parameters
    ----------
    X : array-like or sparse matrix
        The data; its type decides the engine when ``engine='auto'``.
    engine : str, default="auto"
        ``"auto"`` or a key of ``ENGINES``.
    caller : str
        Named in error messages.
    """
    if engine == "auto":
        return NumpyEngine()
    if engine not in ENGINES:
        raise ValueError(
            f"{caller}: unknown engine {engine!r}; available engines are "
            f"{sorted(ENGINES)}. Use engine='auto' to pick one from the data."
        )
    return ENGINES[engine]()
