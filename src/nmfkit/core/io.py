"""Model files: an .npz of plain arrays plus JSON metadata (never pickles), out and back.

Layout: the array attributes a class declares (``Saveable._saved_arrays``) as arrays,
and ``__meta__`` as a 0-d unicode array holding JSON: format version, nmfkit version,
the class as ``module:qualname``, parameters, the declared scalar attributes and a
SHA-256 over the arrays and the rest of the metadata. ``load`` checks the members' sizes
before reading, reads with ``allow_pickle=False``, refuses unknown formats and checksum
mismatches, makes only the saveable classes nmfkit has defined, validates parameters,
attributes and arrays as the class declares them, and sets nothing else. The digest is
not keyed: it detects accidents (a damaged or edited file), not a forger, who can
recompute it; the validation is what bounds what a forged file can do.
(``read_matrix``, for data files, lives in ``readers`` and is re-exported here.)
"""

import hashlib
import json
import os
import zipfile

import numpy as np

from .._version import __version__
from ..arrays.ops import to_host
from .constraints import Constraint, from_dict
from .files import check_npz, write_atomic
from .readers import read_matrix
from .validation import validate_params

__all__ = [
    "Saveable",
    "save",
    "load",
    "write_npz",
    "read_npz",
    "read_matrix",
    "check_saved_array",
    "expect_shape",
    "FORMAT_VERSION",
]

# 2: the digest covers the metadata too (issue 17); version 1 files still load
FORMAT_VERSION = 2
# Every saveable class, by "module:qualname", filled as the classes are defined: load
# makes a class from here and imports nothing a file names
_CLASSES = {}


class Saveable:
    """What a class must declare for its fitted models to go to a file and come back.

    ``_saved_arrays`` maps the attributes written as plain arrays to what they hold
    ('float': finite reals, 'int', 'text', or 'id': integers or text);
    ``_saved_attributes`` maps those written as JSON (numbers, strings, lists of them)
    to their constraints (``core.validation``). Each is written when the model has it.
    The file records the class as ``module:qualname`` with its parameters
    (``get_params``), and ``load`` makes it again from them, checked by the class's
    ``_parameter_constraints``: a saveable class takes its parameters as keyword
    arguments, as scikit-learn estimators do. ``_loaded`` checks that the arrays fit
    together (shapes, index ranges) and derives the rest.
    """

    _saved_arrays = {}
    _saved_attributes = {}

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
        """Called by ``load`` once the saved attributes are set: check that they fit
        together (raise ValueError if not) and derive the others."""


def _digest(arrays, meta=None):
    """SHA-256 over the arrays (names, dtypes, shapes, bytes) and, when given, the
    metadata (as canonical JSON, less its own ``sha256`` entry)."""
    h = hashlib.sha256()
    if meta is not None:
        text = json.dumps({k: v for k, v in meta.items() if k != "sha256"}, sort_keys=True)
        h.update(f"meta|{len(text)}|{text}|".encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _json_param(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Constraint):
        return value.to_dict()
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
    """Write arrays and JSON ``meta`` (plus a SHA-256 over both) to an .npz atomically.

    ``write_atomic``: a crash at any moment leaves either the old file or the new one,
    never a torn one. Members are stored uncompressed, which ``read_npz`` requires.
    """
    meta = json.loads(json.dumps(meta))  # the digest covers the metadata as read back
    meta["sha256"] = _digest(arrays, meta)
    write_atomic(path, lambda f: np.savez(f, __meta__=np.array(json.dumps(meta)), **arrays))


def read_npz(path, kind, version, caller, fix, legacy=()):
    """Read and check a file of ``write_npz``; return (meta, arrays).

    Before reading: the member sizes (``check_npz``; members must be stored
    uncompressed, as ``write_npz`` writes them). After: refuses pickled content, another
    ``kind`` or format version, and a SHA-256 mismatch over arrays and metadata, with
    messages that end with ``fix``. Versions in ``legacy`` were written with a digest
    over the arrays only; their metadata is trusted as far as the caller validates it.
    """
    path = os.fspath(path)
    label = "an " + kind.replace("-", " ")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{caller}: no such file: {path!r}")
    try:
        with open(path, "rb") as f:
            if f.read(6) == b"\x93NUMPY":
                raise ValueError("it holds one bare array, an .npy")
        check_npz(path, stored_only=True)
        with np.load(path, allow_pickle=False) as f:
            contents = {name: f[name] for name in f.files}
    except (ValueError, OSError, EOFError, RuntimeError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{caller}: {path!r} is not {label} file ({exc}); {fix}") from None
    meta = contents.pop("__meta__", None)
    if meta is None or meta.shape != () or meta.dtype.kind != "U":
        raise ValueError(f"{caller}: {path!r} has no nmfkit metadata; {fix}")
    try:
        meta = json.loads(str(meta))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{caller}: {path!r} has corrupt metadata ({exc}); {fix}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{caller}: {path!r} has metadata that is not a JSON object; {fix}")
    if meta.get("format") != kind:
        raise ValueError(f"{caller}: {path!r} is a {meta.get('format')!r} file, not {label}; {fix}")
    found = meta.get("format_version")
    if type(found) is not int or found not in (version, *legacy):  # True is not 1
        raise ValueError(
            f"{caller}: {path!r} has format version {found!r}; this nmfkit ({__version__}) "
            f"reads version {', '.join(map(str, (*legacy, version)))}. {fix}"
        )
    covered = None if found in legacy else meta
    if _digest(contents, covered) != meta.get("sha256"):
        what = "arrays" if found in legacy else "arrays or metadata"
        raise ValueError(
            f"{caller}: {path!r} failed its SHA-256 check: the {what} were changed or "
            f"damaged after saving. {fix}"
        )
    return meta, contents


def load(path):
    """Read a model written by ``save``.

    Every part of the file is checked before the model is made: the digest over arrays
    and metadata, the parameters (by the class's own constraints, as ``fit`` checks
    them), the attributes' types and ranges, and the arrays' kinds and shapes.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    model : Saveable
        A fitted estimator equal to the one saved (``NMF``, ``MiniBatchNMF``, ...).
    """
    fix = "Refit and save it with NMF.save."
    meta, contents = read_npz(path, "nmfkit-model", FORMAT_VERSION, "nmfkit.load", fix, (1,))
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
    missing = [n for n in ("components_",) if n in cls._saved_arrays and n not in contents]
    if missing:
        raise ValueError(f"nmfkit.load: {path!r} has no {missing[0]}: not a fitted model; {fix}")
    try:
        if isinstance(params.get("constraints"), list):
            params = {**params, "constraints": [from_dict(c) for c in params["constraints"]]}
        model = cls(**params)
        constraints = getattr(cls, "_parameter_constraints", {})
        validate_params(cls.__name__, model.get_params(deep=False), constraints)
        validate_params(f"a saved {cls.__name__}", attributes, cls._saved_attributes)
        for name, value in contents.items():
            check_saved_array(name, value, cls._saved_arrays[name])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"nmfkit.load: {path!r} is not a valid {cls.__name__} ({exc}); "
                         f"{fix}") from None  # fmt: skip
    for name, value in contents.items():
        setattr(model, name, value)
    for name, value in attributes.items():
        setattr(model, name, value)
    try:
        model._loaded()
    except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
        raise ValueError(f"nmfkit.load: {path!r} is not a valid {cls.__name__} ({exc}); "
                         f"{fix}") from None  # fmt: skip
    return model


# What a saved array may hold, by the kind a class declares for it
_ARRAY_KINDS = {"float": "f", "int": "iu", "text": "U", "id": "iuU"}


def check_saved_array(name, a, kind):
    """Raise ValueError unless the saved array ``a`` holds what its ``kind`` allows:
    'float' (finite reals), 'int', 'text' or 'id' (integers or text)."""
    if a.dtype.kind not in _ARRAY_KINDS[kind]:
        raise ValueError(f"{name} holds {a.dtype} values, not {kind} values")
    if kind == "float" and not np.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or infinite values")


def expect_shape(name, a, shape):
    """Raise ValueError unless ``a.shape`` matches ``shape`` (None: any length)."""
    if len(a.shape) != len(shape) or any(s is not None and n != s for n, s in zip(a.shape, shape)):
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} has shape {a.shape}, expected {want}")


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
