"""Checkpoints of a long fit: saved now and then, resumed after a crash or Ctrl-C.

A checkpoint is an .npz written like a model file (plain arrays, JSON metadata, a
SHA-256 over both; a fresh temporary, fsync, rename) that holds everything the Loop
needs to go on as if it had never stopped: W and H, the iteration count, the loss
history and the solver's ``state`` (HALS extrapolation, the generator of shuffled
orders). Solver caches (state keys starting with ``_``) are rebuilt from X instead. A
resumed fit therefore reaches the same factors as an uninterrupted one with the same
seed.

Safety: one fit at a time holds a folder (a lock file, ``fcntl.flock``: released by the
system even when the process dies); a checkpoint that cannot be written (a full disk)
is a warning, never the end of the fit; a file read back is checked whole (digest,
then every field's type and every array's shape) before anything of it is used.
"""

import dataclasses
import hashlib
import os
import stat
import time
import warnings

import numpy as np

from .._version import __version__
from ..arrays.ops import to_host
from ..core.files import remove_stale_temporaries
from ..core.io import _digest, read_npz, write_npz
from ..core.loop import LoopControl
from ..core.solvers import STATES

try:
    import fcntl
except ImportError:  # Windows: no lock; every writer still has its own temporary
    fcntl = None

__all__ = ["Checkpoint", "CheckpointWarning", "parse_duration"]

# 2: the Plan's fields by name, and solver state as dataclasses (issue 16)
# 3: the digest covers the metadata too (issue 17)
FORMAT_VERSION = 3


class CheckpointWarning(UserWarning):
    """A checkpoint could not be written (the fit goes on without it)."""


# Plan fields that do not change the iterates: a fit may resume with other values
_FREE = ("tol", "max_iter", "verbose", "random_state")


class Checkpoint(LoopControl):
    """Save a fit's progress to a folder at intervals, and resume from it.

    Pass it to ``NMF.fit`` (``fit(X, checkpoint=Checkpoint('ckpt/'))``) or use
    ``nmfkit fit ... --checkpoint DIR``. The file ``DIR/checkpoint.npz`` is replaced
    atomically, so a crash or a kill at any moment leaves the previous checkpoint intact.

    Parameters
    ----------
    directory : str or os.PathLike
        Folder of the checkpoint file; created when missing.
    every : float, default=60.0
        Seconds between two saves. A save happens at the first objective check after
        that (checks come every 10 iterations); 0 saves at every check.
    resume : bool, default=True
        Continue from the checkpoint in ``directory`` when there is one. It must have
        been written for the same data and the same parameters (``max_iter``, ``tol``,
        ``verbose`` and ``random_state`` may differ), else ``fit`` raises ValueError.

    Attributes
    ----------
    resumed_from : int or None
        Iteration the last fit continued from (None: it started afresh).
    saved_at : int or None
        Iteration of the last checkpoint written.
    """

    saves = True

    FILE = "checkpoint.npz"

    def __init__(self, directory, every=60.0, resume=True):
        every = float(every)
        if not every >= 0:
            raise ValueError(f"Checkpoint: every must be >= 0 seconds. Got {every!r} instead.")
        self.directory = os.fspath(directory)
        self.every = every
        self.resume = bool(resume)
        self.resumed_from = None
        self.saved_at = None
        self._key = None
        self._last = None
        self._handle = None

    @property
    def path(self):
        """The checkpoint file."""
        return os.path.join(self.directory, self.FILE)

    def start(self, data, plan, engine):
        """Fingerprint this fit; return the saved progress when resuming, else None."""
        if os.path.exists(self.directory) and not os.path.isdir(self.directory):
            raise ValueError(
                f"Checkpoint: {self.directory!r} is a file; the checkpoint needs a folder."
            )
        os.makedirs(self.directory, exist_ok=True)
        self._lock()
        remove_stale_temporaries(self.path)  # left by a writer that was killed mid-write
        self._key = _fingerprint(data, plan)
        self._last = time.monotonic()
        self.resumed_from = self.saved_at = None
        if not (self.resume and os.path.exists(self.path)):
            return None
        meta, arrays = read_npz(
            self.path,
            "nmfkit-checkpoint",
            FORMAT_VERSION,
            "Checkpoint",
            f"Delete {self.path} to start afresh.",
        )
        _check_meta(meta, self.path)
        if meta["key"] != self._key:
            saved, now = meta["describe"], _describe(plan)
            changed = [
                f"{name}={saved.get(name)} (now {value})"
                for name, value in now.items()
                if saved.get(name) != value
            ]
            what = f"other parameters: {', '.join(changed)}" if changed else "other data"
            raise ValueError(
                f"Checkpoint: {self.path} was written for {what}; pass the same data and "
                "parameters, another folder, or resume=False (--checkpoint without "
                "--resume) to start afresh."
            )
        rows = data.shape[0]

        def device(a):
            return engine.asarray(a, a.dtype, rows=a.ndim == 2 and a.shape[0] == rows)

        try:
            snapshot = _unflatten(meta["snapshot"], arrays, device)
            _check_snapshot(snapshot, data.shape, plan)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(
                f"Checkpoint: {self.path} is damaged ({_reason(exc)}); delete it to start afresh."
            ) from None
        self.resumed_from = snapshot["n_iter"]
        return snapshot

    def finish(self):
        """Release the folder (the Loop calls this when the fit ends, however it ends)."""
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None:
            handle.close()  # closing the file releases the lock

    def _lock(self):
        """Hold the folder for this fit: a second fit on it is refused, not interleaved."""
        self.finish()
        if fcntl is None:
            return
        path = os.path.join(self.directory, ".lock")
        try:  # never through a planted symlink, and only into a regular file
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as exc:
            raise ValueError(
                f"Checkpoint: cannot open the lock file {path!r} ({exc.strerror}); remove it "
                "if it is a link, or give this fit another folder."
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ValueError(f"Checkpoint: {path!r} is not a regular file; remove it.")
        handle = os.fdopen(fd, "r+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ValueError(
                f"Checkpoint: {self.directory!r} is in use by another fit ({holder}); wait "
                "for it to finish, or give this fit another folder."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._handle = handle

    def save(self, snapshot, final=False):
        """Write the snapshot when ``every`` seconds have passed (always when final)."""
        now = time.monotonic()
        if not final and now - self._last < self.every:
            return
        arrays = {}
        snap = snapshot()
        meta = {
            "format": "nmfkit-checkpoint",
            "format_version": FORMAT_VERSION,
            "nmfkit_version": __version__,
            "key": self._key,
            "describe": _describe(snap["plan"]),
            "snapshot": _flatten({k: v for k, v in snap.items() if k != "plan"}, "s", arrays),
        }
        try:
            write_npz(self.path, arrays, meta)
        except OSError as exc:
            # a full disk or a lost mount ends this checkpoint, not the fit: the previous
            # checkpoint stays as it was, and the next one is tried at the next interval
            warnings.warn(
                f"Checkpoint: could not write {self.path} at iteration {snap['n_iter']} "
                f"({exc}); the fit goes on, the last checkpoint is from iteration "
                f"{self.saved_at if self.saved_at is not None else 'none'}.",
                CheckpointWarning,
                stacklevel=2,
            )
        else:
            self.saved_at = snap["n_iter"]
        self._last = time.monotonic()


def parse_duration(text):
    """Seconds in '60', '60s', '5m' or '2h' (as ``--checkpoint-every`` takes them)."""
    units = {"s": 1, "m": 60, "h": 3600}
    s = str(text).strip().lower()
    scale = units.get(s[-1:], None)
    number = s[:-1] if scale else s
    try:
        value = float(number) * (scale or 1)
    except ValueError:
        raise ValueError(
            f"could not read the duration {text!r}; write seconds, or add s, m or h: 60s, 5m, 1h"
        ) from None
    if not value >= 0:
        raise ValueError(f"the duration must be >= 0. Got {text!r} instead.")
    return value


# -- fingerprint ---------------------------------------------------------------------
def _describe(plan):
    """The Plan fields that change the iterates, by name, as text."""
    return {
        f.name: str(getattr(plan, f.name)) for f in dataclasses.fields(plan) if f.name not in _FREE
    }


def _fingerprint(data, plan):
    """SHA-256 of the data and of the Plan fields that change the iterates."""
    parts, text = data.fingerprint()
    arrays = _digest({name: to_host(part) for name, part in parts.items()})
    described = ", ".join(f"{name}={value}" for name, value in _describe(plan).items())
    text = f"{described}|{tuple(data.shape)}|{text}|{arrays}"
    return hashlib.sha256(text.encode()).hexdigest()


# -- checks of a file read back ----------------------------------------------------
def _reason(exc):
    return f"missing {exc}" if isinstance(exc, KeyError) else str(exc)


def _check_meta(meta, path):
    """The fields ``start`` reads, with their types, before any is used."""
    describe = meta.get("describe")
    ok = (
        isinstance(meta.get("key"), str)
        and isinstance(describe, dict)
        and all(isinstance(v, str) for v in describe.values())
        and isinstance(meta.get("snapshot"), dict)
    )
    if not ok:
        raise ValueError(
            f"Checkpoint: {path} is damaged (its key, description or snapshot is missing "
            "or of the wrong type); delete it to start afresh."
        )


def _check_snapshot(snap, shape, plan):
    """Raise ValueError unless the snapshot is one this fit can continue from."""
    if not isinstance(snap, dict):
        raise ValueError("the snapshot is not a mapping")
    n_iter = snap["n_iter"]
    if type(n_iter) is not int or n_iter < 0:
        raise ValueError(f"n_iter {n_iter!r} is not a count")
    k = plan.n_components
    for name, want in (("W", (shape[0], k)), ("H", (k, shape[1]))):
        A = snap[name]
        if tuple(A.shape) != want:
            raise ValueError(f"{name} has shape {tuple(A.shape)}, expected {want}")
        if np.dtype(str(A.dtype).replace("torch.", "")) != np.dtype(plan.dtype):
            raise ValueError(f"{name} holds {A.dtype} values, expected {np.dtype(plan.dtype)}")
        if not bool(np.isfinite(to_host(A)).all()):
            raise ValueError(f"{name} holds NaN or infinite values")
    for name in ("curve", "times"):
        values = snap[name]
        if not (isinstance(values, list) and values and all(_finite(v) for v in values)):
            raise ValueError(f"{name} is not a list of finite numbers")
    if not _finite(snap["previous"]) or not isinstance(snap["state"], dict):
        raise ValueError("previous or state is of the wrong type")
    _check_state(snap["state"], shape[0], k, shape[1])


# The arrays a solver state may hold, by name (Gram products of ``stats`` included), and
# the names of a tuple's items: every array read back must have its exact shape, since
# kernels index them by the factors' sizes
def _state_shapes(n, k, m):
    return {
        **dict.fromkeys(("W", "Wy", "XHt"), (n, k)),
        **dict.fromkeys(("H", "Hy", "WtX"), (k, m)),
        **dict.fromkeys(("WtW", "HHt"), (k, k)),
    }


_TUPLES = {"best": ("loss", "W", "H", "stats")}
_STATE_KEYS = ("stats", "update_H", "rng")


def _check_state(state, n, k, m):
    shapes = _state_shapes(n, k, m)

    def walk(obj, name):
        if isinstance(obj, dict):
            for key, value in obj.items():
                walk(value, key)
        elif dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                walk(getattr(obj, f.name), f.name)
        elif isinstance(obj, (tuple, list)):
            names = _TUPLES.get(name)
            if names is None or len(obj) != len(names):
                raise ValueError(f"{name} is not a {len(names or ())}-tuple")
            for item, key in zip(obj, names):
                walk(item, key)
        elif hasattr(obj, "shape"):
            want = shapes.get(name)
            if want is None or tuple(obj.shape) != want:
                raise ValueError(f"{name} has shape {tuple(obj.shape)}, expected {want}")
            if not str(obj.dtype).replace("torch.", "").startswith("float"):
                raise ValueError(f"{name} holds {obj.dtype} values, not floats")
            if not bool(np.isfinite(to_host(obj)).all()):
                raise ValueError(f"{name} holds NaN or infinite values")

    for key, value in state.items():
        solver_state = type(value).__name__ in STATES and STATES[type(value).__name__] is type(
            value
        )
        if key not in _STATE_KEYS and not solver_state:
            raise ValueError(f"unknown state {key!r:.60}")
    if not isinstance(state.get("update_H", True), bool):
        raise ValueError("update_H is not a bool")
    if not isinstance(state.get("rng"), (np.random.Generator, type(None))):
        raise ValueError("rng is not a random generator")
    if not isinstance(state.get("stats", {}), dict):
        raise ValueError("stats is not a mapping")
    walk(state, "state")


def _finite(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and bool(np.isfinite(v))


# -- the snapshot as JSON plus arrays -----------------------------------------------
# The bit generators a saved Generator may use (NumPy's own classes)
_BIT_GENERATORS = {
    cls.__name__: cls
    for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937, np.random.Philox,
                np.random.SFC64)
}  # fmt: skip


def _flatten(obj, name, arrays):
    """A JSON description of ``obj``; its arrays go to ``arrays`` under derived names."""
    if isinstance(obj, dict):
        return {"dict": {k: _flatten(v, f"{name}.{k}", arrays) for k, v in obj.items()}}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(v, f"{name}.{i}", arrays) for i, v in enumerate(obj)]
        return {"tuple" if isinstance(obj, tuple) else "list": items}
    if isinstance(obj, np.random.Generator):
        return {"generator": obj.bit_generator.state}
    if dataclasses.is_dataclass(obj) and STATES.get(type(obj).__name__) is type(obj):
        saved = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        return {"state": [type(obj).__name__, _flatten(saved, name, arrays)]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return {"value": obj.item()}
    if hasattr(obj, "shape"):
        arrays[name] = to_host(obj)
        return {"array": name}
    raise TypeError(f"Checkpoint: cannot save {type(obj).__name__} at {name}")


def _unflatten(node, arrays, device):
    if not (isinstance(node, dict) and len(node) == 1):
        raise ValueError(f"a malformed entry {node!r:.60}")
    ((tag, value),) = node.items()
    if tag == "dict":
        return {k: _unflatten(v, arrays, device) for k, v in value.items()}
    if tag in ("list", "tuple"):
        items = [_unflatten(v, arrays, device) for v in value]
        return tuple(items) if tag == "tuple" else items
    if tag == "generator":
        # a class from this list, never a name read from the file
        make = _BIT_GENERATORS.get(value.get("bit_generator") if isinstance(value, dict) else None)
        if make is None:
            raise ValueError(f"unknown random generator {value!r:.60}")
        bit_generator = make()
        try:
            bit_generator.state = value
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            raise ValueError(f"damaged random generator state ({exc})") from None
        return np.random.Generator(bit_generator)
    if tag == "array":
        if not isinstance(value, str) or value not in arrays:
            raise ValueError(f"no array {value!r:.60}")
        if arrays[value].dtype.kind not in "fiub":
            raise ValueError(f"array {value} holds {arrays[value].dtype} values")
        return device(arrays[value])
    if tag == "state":
        kind, saved = value
        if not isinstance(kind, str) or kind not in STATES:
            raise ValueError(f"unknown solver state {kind!r:.60}")
        return STATES[kind](**_unflatten(saved, arrays, device))
    if tag == "value" and (value is None or isinstance(value, (bool, int, float, str))):
        return value
    raise ValueError(f"an entry of unknown kind {tag!r:.60}")
