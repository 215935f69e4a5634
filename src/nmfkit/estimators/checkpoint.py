"""Checkpoints of a long fit: saved now and then, resumed after a crash or Ctrl-C.

A checkpoint is an .npz written like a model file (plain arrays, JSON metadata, a
SHA-256 of the arrays; temp file, fsync, rename) that holds everything the Loop needs to
go on as if it had never stopped: W and H, the iteration count, the loss history and the
solver's ``state`` (HALS extrapolation, the generator of shuffled orders). Solver caches
(state keys starting with ``_``) are rebuilt from X instead. A resumed fit therefore
reaches the same factors as an uninterrupted one with the same seed.
"""

import dataclasses
import hashlib
import os
import time

import numpy as np

from .._version import __version__
from ..arrays.ops import to_host
from ..core.io import _digest, read_npz, write_npz
from ..core.loop import LoopControl
from ..core.solvers import STATES

__all__ = ["Checkpoint", "parse_duration"]

# 2: the Plan's fields by name, and solver state as dataclasses (issue 16)
FORMAT_VERSION = 2
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

        snapshot = _unflatten(meta["snapshot"], arrays, device)
        self.resumed_from = snapshot["n_iter"]
        return snapshot

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
        write_npz(self.path, arrays, meta)
        self._last = time.monotonic()
        self.saved_at = snap["n_iter"]


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


# -- the snapshot as JSON plus arrays -----------------------------------------------
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
    ((tag, value),) = node.items()
    if tag == "dict":
        return {k: _unflatten(v, arrays, device) for k, v in value.items()}
    if tag in ("list", "tuple"):
        items = [_unflatten(v, arrays, device) for v in value]
        return tuple(items) if tag == "tuple" else items
    if tag == "generator":
        bit_generator = getattr(np.random, value["bit_generator"])()
        bit_generator.state = value
        return np.random.Generator(bit_generator)
    if tag == "array":
        return device(arrays[value])
    if tag == "state":
        kind, saved = value
        if kind not in STATES:
            raise ValueError(f"Checkpoint: unknown solver state {kind!r}; start afresh.")
        return STATES[kind](**_unflatten(saved, arrays, device))
    return value
