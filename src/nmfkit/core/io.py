"""Files: data matrices in, and model files (an .npz of plain arrays plus JSON
metadata, never pickles) out and back.

Layout: ``components_`` (and any other array attributes) as arrays, and ``__meta__``
as a 0-d unicode array holding JSON: format version, nmfkit version, estimator class,
parameters, scalar attributes and a SHA-256 over the arrays. ``load`` reads with
``allow_pickle=False`` and refuses unknown formats and checksum mismatches.
"""

import hashlib
import json
import os
import zipfile

import numpy as np

from .._version import __version__
from ..arrays.ops import to_host

__all__ = ["save", "load", "write_npz", "read_npz", "read_matrix", "FORMAT_VERSION"]

FORMAT_VERSION = 1
# MiniBatchNMF's running statistics travel with it, so partial_fit resumes after load
# (a Recommender's ids, biases, factors and seen ratings, for recommend and explain)
_ARRAYS = (
    "components_",
    "W_",
    "feature_names_in_",
    "_stats_A",
    "_stats_B",
    "_stats_rows",
    "user_ids_",
    "item_ids_",
    "user_bias_",
    "item_bias_",
    "user_factors_",
    "_seen_indptr",
    "_seen_indices",
    "_seen_ratings",
    "vocabulary_",
    "idf_",
    "doc_topic_",
    "topic_labels_",
    "_X_indptr",
    "_X_indices",
    "consensus_matrix_",
    "run_losses_",
)
_SCALARS = (
    "n_components_",
    "n_iter_",
    "reconstruction_err_",
    "loss_curve_",
    "loss_times_",
    "stop_reason_",
    "n_features_in_",
    "n_steps_",
    "global_mean_",
    "rating_range_",
    "_X_shape",
    "cophenetic_",
    "dispersion_",
    "stability_",
    "n_outliers_",
)
_ESTIMATORS = ("NMF", "MiniBatchNMF", "Recommender", "TopicModel", "ConsensusNMF")


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
    """Write a fitted estimator to ``path``; the write is atomic (temp file, rename).

    Parameters
    ----------
    model : NMF, MiniBatchNMF or Recommender
        A fitted estimator.
    path : str or os.PathLike
        Target file; '.npz' is the conventional suffix.
    """
    if not hasattr(model, "components_"):
        raise ValueError(f"{type(model).__name__}.save: the model is not fitted; call fit first.")
    arrays = {n: to_host(getattr(model, n)) for n in _ARRAYS if getattr(model, n, None) is not None}
    if "feature_names_in_" in arrays:
        arrays["feature_names_in_"] = arrays["feature_names_in_"].astype(str)
    meta = {
        "format": "nmfkit-model",
        "format_version": FORMAT_VERSION,
        "nmfkit_version": __version__,
        "estimator": type(model).__name__,
        "params": {k: _json_param(v) for k, v in model.get_params(deep=False).items()},
        "attributes": {n: getattr(model, n) for n in _SCALARS if hasattr(model, n)},
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
    model : NMF
        A fitted estimator equal to the one saved.
    """
    import nmfkit

    meta, contents = read_npz(
        path, "nmfkit-model", FORMAT_VERSION, "nmfkit.load", "Refit and save it with NMF.save."
    )
    cls = getattr(nmfkit, meta["estimator"]) if meta.get("estimator") in _ESTIMATORS else None
    if cls is None:
        raise ValueError(f"nmfkit.load: unknown estimator {meta['estimator']!r} in {path!r}.")
    model = cls(**meta["params"])
    for name, value in contents.items():
        setattr(model, name, value)
    for name, value in meta["attributes"].items():
        setattr(model, name, value)
    if hasattr(model, "n_components_"):
        model._n_features_out = model.n_components_
    return model


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
