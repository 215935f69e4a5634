"""Files: data matrices in, and model files (an .npz of plain arrays plus JSON
metadata, never pickles) out and back.

Layout: the array attributes a class declares (``Saveable._saved_arrays``) as arrays,
and ``__meta__`` as a 0-d unicode array holding JSON: format version, nmfkit version,
the class as ``module:qualname``, parameters, the declared scalar attributes and a
SHA-256 over the arrays. ``load`` reads with ``allow_pickle=False``, refuses unknown
formats and checksum mismatches, makes only the saveable classes nmfkit has defined, and
sets only the attributes that class declares.
"""

import hashlib
import json
import os
import zipfile

import numpy as np

from .._version import __version__
from ..arrays.ops import to_host

__all__ = [
    "Saveable",
    "save",
    "load",
    "write_npz",
    "read_npz",
    "read_matrix",
    "FORMAT_VERSION",
]

FORMAT_VERSION = 1
# Every saveable class, by "module:qualname", filled as the classes are defined: load
# makes a class from here and imports nothing a file names
_CLASSES = {}


class Saveable:
    """What a class must declare for its fitted models to go to a file and come back.

    ``_saved_arrays`` names the attributes written as plain arrays, ``_saved_attributes``
    those written as JSON (numbers, strings, lists of them); each is written when the
    model has it. The file records the class as ``module:qualname`` with its
    parameters (``get_params``), and ``load`` makes it again from them: a saveable
    class takes its parameters as keyword arguments, as scikit-learn estimators do.
    """

    _saved_arrays = ()
    _saved_attributes = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):  # mixins are not model classes
            _CLASSES[f"{cls.__module__}:{cls.__qualname__}"] = cls

    def save(self, path):
        """Write the fitted model to ``path``: an .npz of plain arrays and JSON metadata,
        never a pickle, written atomically; ``nmfkit.load`` reads it back.

        Parameters
        ----------
        path : str or os.PathLike
            The file; '.npz' is the conventional suffix.
        """
        save(self, path)

    def _loaded(self):
        """Called by ``load`` once the saved attributes are set: derive the others."""


def _digest(arrays):
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _json_param(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, (list, tuple)):  # ngram_range, stop word lists
        items = [_json_param(v) for v in value]
        return items if all(i is not None for i in items) else None
    return None  # callables, RandomState instances: not stored


def save(model, path):
    """Write a fitted ``Saveable`` to ``path``; the write is atomic (temp file, rename).

    Parameters
    ----------
    model : Saveable
        A fitted estimator (``NMF``, ``MiniBatchNMF``, ``Recommender``, ...).
    path : str or os.PathLike
        Target file; '.npz' is the conventional suffix.
    """
    cls = type(model)
    if not hasattr(model, "components_"):
        raise ValueError(f"{cls.__name__}.save: the model is not fitted; call fit first.")
    arrays = {
        n: to_host(getattr(model, n))
        for n in cls._saved_arrays
        if getattr(model, n, None) is not None
    }
    if "feature_names_in_" in arrays:
        arrays["feature_names_in_"] = arrays["feature_names_in_"].astype(str)
    meta = {
        "format": "nmfkit-model",
        "format_version": FORMAT_VERSION,
        "nmfkit_version": __version__,
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "estimator": cls.__name__,
        "params": {k: _json_param(v) for k, v in model.get_params(deep=False).items()},
        "attributes": {n: getattr(model, n) for n in cls._saved_attributes if hasattr(model, n)},
    }
    write_npz(path, arrays, meta)


def write_npz(path, arrays, meta):
    """Write arrays and JSON ``meta`` (plus their SHA-256) to an .npz atomically.

    Temp file, fsync, rename: a crash at any moment leaves either the old file or the
    new one, never a torn one.
    """
    meta = {**meta, "sha256": _digest(arrays)}
    path = os.fspath(path)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez(f, __meta__=np.array(json.dumps(meta)), **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_npz(path, kind, version, caller, fix):
    """Read and check a file of ``write_npz``; return (meta, arrays).

    Refuses pickled content, another ``kind`` or format version, and a SHA-256 mismatch,
    with messages that end with ``fix``.
    """
    path = os.fspath(path)
    label = "an " + kind.replace("-", " ")
    try:
        f = np.load(path, allow_pickle=False)
        if not hasattr(f, "files"):  # an .npy: one bare array, no metadata
            raise ValueError("it holds one bare array")
        with f:
            contents = {name: f[name] for name in f.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"{caller}: no such file: {path!r}") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{caller}: {path!r} is not {label} file ({exc}); {fix}") from None
    if "__meta__" not in contents:
        raise ValueError(f"{caller}: {path!r} has no nmfkit metadata; {fix}")
    try:
        meta = json.loads(str(contents.pop("__meta__")))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{caller}: {path!r} has corrupt metadata ({exc}); {fix}") from None
    if meta.get("format") != kind:
        raise ValueError(f"{caller}: {path!r} is a {meta.get('format')!r} file, not {label}; {fix}")
    if meta.get("format_version") != version:
        raise ValueError(
            f"{caller}: {path!r} has format version {meta.get('format_version')!r}; this "
            f"nmfkit ({__version__}) reads version {version}. {fix}"
        )
    if _digest(contents) != meta.get("sha256"):
        raise ValueError(
            f"{caller}: {path!r} failed its SHA-256 check: the arrays were changed or "
            f"damaged after saving. {fix}"
        )
    return meta, contents


def load(path):
    """Read a model written by ``save``.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    model : Saveable
        A fitted estimator equal to the one saved (``NMF``, ``MiniBatchNMF``, ...).
    """
    fix = "Refit and save it with NMF.save."
    meta, contents = read_npz(path, "nmfkit-model", FORMAT_VERSION, "nmfkit.load", fix)
    cls = _saved_class(meta, path)
    params, attributes = meta.get("params"), meta.get("attributes")
    if not (isinstance(params, dict) and isinstance(attributes, dict)):
        raise ValueError(f"nmfkit.load: {path!r} has no parameters or attributes; {fix}")
    unknown = set(contents) - set(cls._saved_arrays) | set(attributes) - set(cls._saved_attributes)
    if unknown:
        raise ValueError(
            f"nmfkit.load: {path!r} holds {sorted(unknown)}, which a {cls.__name__} does not "
            f"save; {fix}"
        )
    try:
        model = cls(**params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"nmfkit.load: {path!r} has parameters {cls.__name__} does not take "
                         f"({exc}); {fix}") from None  # fmt: skip
    for name, value in contents.items():
        setattr(model, name, value)
    for name, value in attributes.items():
        setattr(model, name, value)
    model._loaded()
    return model


def _saved_class(meta, path):
    """The class a model file names, from the saveable classes nmfkit has defined.

    By ``module:qualname``; files written before that was recorded (or by a version
    where the class lived elsewhere) name it by its class name, which is unique among
    nmfkit's model classes. Nothing the file names is imported.
    """
    target, name = meta.get("class"), meta.get("estimator")
    cls = _CLASSES.get(target) if isinstance(target, str) else None
    if cls is None and isinstance(name, str):
        same = [c for c in _CLASSES.values() if c.__name__ == name]
        same = [c for c in same if c.__module__.split(".")[0] == "nmfkit"]
        cls = same[0] if len(same) == 1 else None
    if cls is None:
        shown = target if target is not None else name
        raise ValueError(
            f"nmfkit.load: unknown estimator {shown!r} in {path!r}: not a model class of "
            f"this nmfkit ({__version__}). Refit and save it with NMF.save."
        )
    return cls


def read_matrix(path):
    """Read a data matrix from .npy, .npz, .mtx, .csv or .tsv.

    Parameters
    ----------
    path : str or os.PathLike
        .npz may hold a scipy.sparse matrix (``scipy.sparse.save_npz``) or arrays; an
        array named ``X`` is taken, else the only array in the file.

    Returns
    -------
    X : ndarray or scipy.sparse matrix

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        ``path`` is missing or a folder.
    ValueError
        The file cannot be read as a matrix, or its format is not one of the above.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"input file not found: {path}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"input is a directory, not a file: {path}")
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext == ".npy":
            return np.load(path, allow_pickle=False)
        if ext == ".npz":
            return _read_npz_matrix(path)
        if ext == ".mtx":
            import scipy.io

            return scipy.io.mmread(path).tocsr()
        if ext in (".csv", ".tsv", ".txt"):
            delimiter = "," if ext == ".csv" else "\t"
            try:
                return np.loadtxt(path, delimiter=delimiter, ndmin=2)
            except ValueError:
                # one header row is common; anything else non-numeric is an error
                return np.loadtxt(path, delimiter=delimiter, ndmin=2, skiprows=1)
    except _NotAMatrix as exc:
        raise ValueError(str(exc)) from None
    except (ValueError, OSError, EOFError, TypeError) as exc:
        raise ValueError(f"could not read {path}: {exc}") from None
    raise ValueError(
        f"unsupported input format {ext!r} for {path}; use .npy, .npz, .mtx, .csv or .tsv"
    )


class _NotAMatrix(Exception):
    """An .npz that holds arrays but no one data matrix."""


def _read_npz_matrix(path):
    """A scipy.sparse matrix saved with save_npz, the array 'X', or the only array."""
    sparse_keys = (
        {"format", "data", "indices", "indptr", "shape"},
        {"format", "row", "col", "data", "shape"},
    )
    with np.load(path, allow_pickle=False) as f:
        names = f.files
        if any(keys <= set(names) for keys in sparse_keys):
            import scipy.sparse

            return scipy.sparse.load_npz(path)
        if "X" in names:
            return f["X"]
        if len(names) == 1:
            return f[names[0]]
    raise _NotAMatrix(f"{path} holds arrays {names}; name the data matrix 'X' or save one array.")
