"""Randomized compression: iterate on a sketch of X, then polish on X itself.

Erichson, Mendible, Wihlborn & Kutz, "Randomized nonnegative matrix factorization",
Pattern Recognition Letters 104 (2018), doi:10.1016/j.patrec.2018.01.007. A randomized
range finder (Halko, Martinsson & Tropp 2011, doi:10.1137/090771806) gives Q of shape
(n_samples, l) with orthonormal columns, l = k + ``OVERSAMPLE``, after
``POWER_ITERATIONS`` power iterations, and B = Qᵀ X of shape (l, n_features), so that
X ≈ Q B. The products an iteration of HALS needs then cost O((n + m)·l·k) instead of
O(n·m·k):

    X Hᵀ ≈ Q (B Hᵀ)        Xᵀ W ≈ Bᵀ (Qᵀ W)

Everything else (the sweeps, extrapolation, the Loop, its one meaning of ``tol``) is
unchanged: the sketch is an engine whose products come from Q and B
(``SketchedEngine``). HALS's inner-sweep budget still counts X's entries: with the
sketch's cheaper products it would run one sweep per update, and on a 3000 × 1500,
k = 10 fit that needed 2000 iterations instead of 450 and took longer. The fit
iterates on the sketch until the Loop's stopping rule fires, then goes on from there
on X itself with the exact products ("polishing"), so that it ends at a point of X's
own objective. The sketch costs
2·(1 + ``POWER_ITERATIONS``) passes over X, about as much as three iterations on X.
"""

import warnings
from dataclasses import replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..arrays.ops import namespace, to_host
from .init import initialize, make_rng
from .loop import LoopControl, run

__all__ = ["OVERSAMPLE", "POWER_ITERATIONS", "SketchedEngine", "sketch", "run_compressed"]

OVERSAMPLE = 20
POWER_ITERATIONS = 2
# 'auto' compresses dense X from this many entries on (20000 × 5000 has 1e8), where k
# leaves the sketch at most 1/8 of the smaller side
AUTO_ENTRIES = 1 << 26
AUTO_SHARE = 8


def sketch_width(k, shape):
    """l: the number of columns of Q."""
    return int(min(k + OVERSAMPLE, *shape))


def wins(k, shape):
    """Whether ``compression='auto'`` compresses a dense X of this shape for k."""
    n, m = shape
    return n * m >= AUTO_ENTRIES and sketch_width(k, shape) * AUTO_SHARE <= min(n, m)


def _orthonormal(Y):
    """Q of Y's reduced QR: orthonormal columns spanning Y's range."""
    return namespace(Y).linalg.qr(Y)[0]


def sketch(X, k, engine, rng, dtype):
    """Q (n_samples, l), orthonormal, and B = Qᵀ X (l, n_features), with X ≈ Q B.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
    k : int
        The number of components; l = min(k + OVERSAMPLE, n_samples, n_features).
    engine : Engine
    rng : numpy.random.Generator
        Draws the test matrix on the host, so every engine sketches the same way.
    dtype : dtype
    """
    width = sketch_width(k, X.shape)
    omega = engine.asarray(rng.standard_normal((width, X.shape[1])), dtype)
    Q = _orthonormal(engine.XHt(X, omega))  # the range of X Ω
    for _ in range(POWER_ITERATIONS):
        Z = _orthonormal(engine.XtW(X, Q))
        Q = _orthonormal(engine.XHt(X, engine.transposed(Z)))
    return Q, engine.WtX(Q, X)


class SketchedEngine:
    """The engine of X, with X's products taken from its sketch X ≈ Q B.

    Every other operation is the wrapped engine's.

    Parameters
    ----------
    engine : Engine
    Q : array of shape (n_samples, l)
    B : array of shape (l, n_features)
    """

    def __init__(self, engine, Q, B):
        self._engine, self.Q, self.B = engine, Q, B

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def XHt(self, X, H):
        """Q (B Hᵀ), of shape (n_samples, k)."""
        BHt = self._engine.XHt(self.B, H)
        return self._engine.XHt(self.Q, self._engine.transposed(BHt))

    def XtW(self, X, W):
        """Bᵀ (Qᵀ W), of shape (n_features, k)."""
        return self._engine.XtW(self.B, self._engine.XtW(self.Q, W))

    def WtX(self, W, X):
        """(Qᵀ W)ᵀ B, of shape (k, n_features)."""
        return self._engine.transposed(self.XtW(X, W))

    def top_svd(self, X, k, rng):
        """The k leading singular triplets of Q B, as host arrays: U = Q U_B from the
        SVD of the small B (l × n_features)."""
        xp = namespace(self.B)
        U_B, S, Vt = xp.linalg.svd(xp.astype(self.B, xp.float64), full_matrices=False)
        U = xp.astype(self.Q, xp.float64) @ U_B[:, :k]
        return tuple(np.asarray(to_host(A), dtype=np.float64) for A in (U, S[:k], Vt[:k]))


def run_compressed(data, W, H, plan, engine, callback=None, caller="NMF", control=None):
    """Initialise from the sketch of X, ``loop.run`` on it until the stopping rule
    fires, then on X.

    ``W`` and ``H`` are the user's factors (``init='custom'``) or None, as for
    ``initialize``: NNDSVD takes its SVD from Q B (``SketchedEngine.top_svd``), which
    saves the passes over X of a separate randomized SVD (5.7 of the first 11 s of a
    20000 × 5000, k = 50 fit).

    Returns what ``run`` returns, for the whole fit: the iterations, losses and times
    of both parts (the losses of the first part are those of the sketch, X's own
    squared norm included). A ``control`` (a ``LoopControl`` that saves nothing) is
    asked for stops in both parts; a stop or the callback's True in the first part ends
    the fit there.
    """
    rng = make_rng(plan.random_state)
    Q, B = sketch(data.X, plan.n_components, engine, rng, plan.dtype)
    sketched = SketchedEngine(engine, Q, B)
    W, H = initialize(data, plan, sketched, W, H)
    # at least one iteration is left for X: the result is a point of X's own objective
    first_plan = replace(plan, max_iter=plan.max_iter - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the part on X warns
        stops = _StopsOnly(control) if control is not None else None
        W, H, first = run(data, W, H, first_plan, sketched, callback, caller, stops)
    if first.stop_reason in ("callback", "interrupted"):
        # the user said stop: the result is where the sketch got to
        first.stats = {}
        return W, H, first
    rest = plan.max_iter - first.n_iter
    shifted = _Shifted(callback, first.n_iter) if callback is not None else None
    W, H, second = run(data, W, H, replace(plan, max_iter=rest), engine, shifted, caller, control)
    offset = first.times[-1]
    second.n_iter += first.n_iter
    second.loss_curve = first.loss_curve + second.loss_curve[1:]
    second.times = first.times + [offset + t for t in second.times[1:]]
    return W, H, second


class _StopsOnly(LoopControl):
    """A caller's control for the sketched part: its stop requests, nothing saved."""

    def __init__(self, control):
        self.control = control

    @property
    def stop_requested(self):
        return self.control.stop_requested


class _Shifted:
    """The user's callback, told the iteration count of the whole fit."""

    def __init__(self, callback, offset):
        self.callback, self.offset = callback, offset

    def __call__(self, n_iter, loss, W, H):
        return self.callback(n_iter + self.offset, loss, W, H)


def resolve_compression(value, plan, data, engine, caller):
    """The Plan's ``compression``: 'randomized' or None, checked.

    'auto' compresses a dense X with every entry known, for the Frobenius loss fitted by
    HALS, on an engine that holds X whole, where X is large and the sketch narrow
    (``wins``). 'randomized' asks for it and raises where it cannot run.
    """
    sparse = data.kind == "plain" and engine.is_sparse(data.X)
    fits = (
        plan.beta == 2
        and plan.solver == "hals"
        and plan.update_H
        and data.kind == "plain"
        and not sparse
        and not engine.chunked
    )
    if value == "randomized" and not fits:
        raise ValueError(
            f"{caller}: compression='randomized' sketches a dense X, all of it known and "
            f"in one place, fitted with beta_loss='frobenius' and solver='hals' (or "
            f"'auto'); this fit has beta_loss={plan.beta:g}, solver={plan.solver!r}"
            f"{', sparse X' if sparse else ''}"
            f"{', unknown entries' if data.kind != 'plain' else ''}"
            f"{f', the {engine.name} engine' if engine.chunked else ''}. Use "
            "compression=None."
        )
    if value == "auto":
        return "randomized" if fits and wins(plan.n_components, data.shape) else None
    return value
