"""The Plan: every choice of a fit settled before the first iteration.

``resolve`` turns the estimator's parameters, the data and the engine into a frozen
``Plan``: "auto" values settled, β chosen, penalties scaled, the solver's capabilities
checked. Every error that depends only on parameters, shapes or dtypes is raised here.
"""

import os
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .constraints import check_constraints, on_factor, settle
from .losses import beta_from_loss, loss_name
from .sketch import resolve_compression
from .solvers import ALIASES, AUTO, SOLVERS

__all__ = ["Plan", "resolve", "start", "CHECK_EVERY"]

# Iterations between two evaluations of the objective, for every solver: what `tol`
# compares is always the decrease over this many iterations.
CHECK_EVERY = 10


@dataclass(frozen=True, eq=False)
class Plan:
    """Everything a fit needs to know, settled and checked.

    Parameters
    ----------
    n_components : int
    beta : float
        The β of the β-divergence (2 Frobenius, 1 KL, 0 IS).
    solver : str
        Key of ``SOLVERS``.
    init : str
        'random', 'nndsvd', 'nndsvda', 'nndsvdar' or 'custom'.
    tol : float
        Relative decrease of the objective between checks below which the fit stops.
    max_iter : int
    l1_W, l2_W, l1_H, l2_H : float
        Penalty weights, already scaled by n_features (W) and n_samples (H).
    update_H : bool
        False when H is fixed (``transform``).
    random_state : int, Generator, RandomState or None
    dtype : numpy dtype
        float32 or float64; the compute and output dtype.
    verbose : int
    shuffle : bool
        Visit HALS coordinates in random order.
    check_every : int
        Iterations between objective checks.
    balance : bool
        Rescale each component of the result so that its W column and H row have equal
        norms (no penalty depends on the scale; H is learned).
    exact_W : bool
        Return the exact W ≥ 0 for the final H (Frobenius, H learned), so that
        ``fit_transform(X)`` equals ``fit(X).transform(X)``.
    solved_in_one_step : bool
        The step solves the whole problem exactly (H fixed, Frobenius, BPP): the Loop
        stops after it as converged, whatever ``tol`` (a second step repeats the first).
    compression : {'randomized', None}
        Iterate on a randomized sketch of X first, then on X (``core.sketch``).
    constraints : tuple of Constraint
        Constraints and penalties on W and H (``core.constraints``), checked against
        the solver; their 'auto' values are settled from the start (``start``).

    Everything a fit does depends on the Plan and the data, never on the engine: every
    engine runs the same iterations (up to rounding) from the same start.
    """

    n_components: int
    beta: float
    solver: str
    init: str
    tol: float
    max_iter: int
    l1_W: float
    l2_W: float
    l1_H: float
    l2_H: float
    update_H: bool
    random_state: Any
    dtype: Any
    verbose: int = 0
    shuffle: bool = False
    check_every: int = CHECK_EVERY
    balance: bool = False
    exact_W: bool = False
    solved_in_one_step: bool = False
    compression: Any = None
    constraints: tuple = ()


def _memory():
    """Bytes of physical memory, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _check_memory(n_samples, n_features, k, dtype, caller):
    """Refuse an n_components whose factors (W, H, their Gram products and the few
    copies a solver keeps: about 4 of each) cannot fit in this machine's memory."""
    need = 4 * (n_samples + n_features + k) * k * dtype.itemsize
    have = _memory()
    if have is not None and need > have:
        raise ValueError(
            f"{caller}: n_components={k} needs about {need / 2**30:.3g} GiB for W, H and "
            f"their products (X is {n_samples} x {n_features}), more than this machine's "
            f"{have / 2**30:.3g} GiB; use fewer components."
        )


def _check_factor(A, shape, name, caller, engine, dtype):
    """A user's W or H, checked against the shape and dtype the fit needs (scikit-learn's
    words first in each message)."""
    if A is None:
        raise ValueError(
            f"{caller}: init='custom' needs both W and H, but {name} is None. Pass "
            f"{name}= of shape {shape}, or use init='nndsvda' or 'random'."
        )
    given = getattr(A, "dtype", None)
    A = engine.check_input(A, caller=caller, name=name)
    if engine.is_sparse(A):
        raise TypeError(f"{caller}: {name} must be a dense array, got a sparse matrix.")
    if given is not None and np.dtype(engine.dtype_of(A)) != dtype:
        raise TypeError(
            f"{caller}: {name} should have the same dtype as X. Got {name}.dtype = "
            f"{engine.dtype_of(A)} for X of {dtype}; pass {name}.astype(X.dtype)."
        )
    names = {"W": "(n_samples, n_components)", "H": "(n_components, n_features)"}
    for axis, which in ((0, "first"), (1, "second")):
        if A.shape[axis] != shape[axis]:
            raise ValueError(
                f"{caller}: Array with wrong {which} dimension passed to NMF (input {name}). "
                f"Expected {shape[axis]}, but got {A.shape[axis]}: {name} has shape "
                f"{tuple(A.shape)} where {names[name]} = {shape} is needed."
            )
    if engine.max_value(A) == 0:
        raise ValueError(
            f"{caller}: Array passed to NMF (input {name}) is full of zeros; the solvers "
            f"cannot move an all-zero {name}. Pass {name} with positive entries."
        )
    return A


def _check_product(high_W, high_H, k, dtype, caller):
    """Refuse user factors whose product W H could reach a size whose square overflows
    the dtype: every loss would be infinite from the first iteration on."""
    top = np.log2(float(high_W)) + np.log2(float(high_H)) + np.log2(k)
    if top >= np.finfo(dtype).maxexp / 2 - 1:
        raise ValueError(
            f"{caller}: the custom W and H are too large: W H reaches about "
            f"2**{top:.0f} (largest W {float(high_W):.3g}, largest H {float(high_H):.3g}), "
            f"whose square overflows {dtype}. Rescale them so that W H is of X's size."
        )


def resolve(params, data, engine, W=None, H=None, update_H=True, caller="NMF.fit"):
    """Settle every "auto" choice and check the combination; return (Plan, W, H).

    Parameters
    ----------
    params : dict
        The estimator's parameters (already checked against their constraints).
    data : FitData of shape (n_samples, n_features)
        Checked input (finite, non-negative, float32/float64), plain or masked.
    engine : Engine
    W, H : array-like, optional
        User factors for ``init='custom'``; H alone when ``update_H`` is False.
    update_H : bool, default=True
    caller : str
        Named first in every message.

    Returns
    -------
    plan : Plan
    W, H : ndarray or None
        The user factors, checked and cast to X's dtype (None where not given).
    """
    n_samples, n_features = data.shape
    beta = beta_from_loss(params["beta_loss"])
    init = params["init"]

    k = params["n_components"]
    if k is None:
        k = n_features
    elif k == "auto":
        if init == "custom" and H is not None:
            k = np.shape(H)[0]
        elif init == "custom" and W is not None:
            k = np.shape(W)[1]
        elif not update_H and H is not None:
            k = np.shape(H)[0]
        else:
            k = n_features

    dtype = np.dtype(data.dtype)
    _check_memory(n_samples, n_features, k, dtype, caller)
    if not update_H:
        H = _check_factor(H, (k, n_features), "H", caller, engine, dtype)
        if init == "custom" and W is not None:
            W = _check_factor(W, (n_samples, k), "W", caller, engine, dtype)
        else:
            W = None
    elif init == "custom":
        W = _check_factor(W, (n_samples, k), "W", caller, engine, dtype)
        H = _check_factor(H, (k, n_features), "H", caller, engine, dtype)
    else:
        W = H = None
    if W is not None and H is not None:
        _check_product(engine.max_value(W), engine.max_value(H), k, dtype, caller)
    if init is None:
        # NNDSVD needs the whole matrix; with unknown entries it would see them as zeros
        init = "nndsvda" if k <= min(n_samples, n_features) and data.all_known else "random"
    if update_H and init.startswith("nndsvd") and k > min(n_samples, n_features):
        raise ValueError(
            f"{caller}: init = {init!r} can only be used when n_components <= "
            f"min(n_samples, n_features) = {min(n_samples, n_features)}, got "
            f"n_components={k}. Use init='random' or fewer components."
        )

    if beta <= 0:
        zeros = data.count_zeros()
        if zeros:
            fix = "use beta_loss='kullback-leibler'" if beta == 0 else "use beta_loss > 0"
            shown = "'itakura-saito'" if beta == 0 else repr(params["beta_loss"])
            raise ValueError(
                f"{caller}: When beta_loss <= 0 and X contains zeros, the solver may "
                f"diverge: beta_loss={shown} needs X > 0 but X has {zeros} zeros; add a "
                f"small constant or {fix}."
            )

    solver = ALIASES.get(params["solver"], params["solver"])
    constraints = check_constraints(
        params.get("constraints"), data.shape, k, "apg", update_H, True, caller
    )
    active = tuple(c for c in constraints if c.factor == "W" or update_H)
    if solver == "auto":
        solver = next((s for s in AUTO if _auto(SOLVERS[s], beta, data, engine, active)), None)
        if solver is None:
            _no_solver(active, beta, params["beta_loss"], engine, caller)
    check_every, one_step = CHECK_EVERY, False
    if (
        not update_H
        and beta == 2
        and not on_factor(constraints, "W")
        and SOLVERS[solver].fits(data.kind)
    ):
        # With H fixed the Frobenius problem is a convex NNLS that BPP solves exactly
        # in one step: every solver's transform gives the same, optimal W.
        solver, check_every, one_step = "bpp", 1, True
    chosen = SOLVERS[solver]
    if not chosen.minimises(beta):
        names = ", ".join(repr(loss_name(b)) for b in chosen.betas)
        raise ValueError(
            f"{caller}: Invalid beta_loss parameter: solver {params['solver']!r} does not "
            f"handle beta_loss = {params['beta_loss']!r}; it supports beta_loss={names} "
            "only. Use solver='mu' (or 'auto') for this loss."
        )
    if not chosen.fits(data.kind):
        raise ValueError(
            f"{caller}: solver={params['solver']!r} does not support unknown entries or "
            "weights (NaN in X, observed='stored' or weights=); use solver='mu' (or "
            "'auto'), or 'hals' or 'bpp' for the Frobenius loss."
        )
    alpha_W = params["alpha_W"]
    alpha_H = alpha_W if params["alpha_H"] == "same" else params["alpha_H"]
    l1 = params["l1_ratio"]
    penalised = bool(alpha_W or (alpha_H and update_H))
    wanted = {name for name, used in (("l1", l1 > 0), ("l2", l1 < 1)) if penalised and used}
    if wanted - set(chosen.penalties):
        missing = " and ".join(sorted(wanted - set(chosen.penalties)))
        raise ValueError(
            f"{caller}: solver={params['solver']!r} does not take the {missing} penalty "
            f"(alpha_W={alpha_W!r}, l1_ratio={l1!r}); use solver='mu' or drop the penalty."
        )
    if engine.chunked and not chosen.chunked:
        raise ValueError(
            f"{caller}: solver={params['solver']!r} needs all of X in one place and does not "
            f"run on the {engine.name} engine; use solver='mu' (or 'auto') there."
        )
    constraints = check_constraints(
        constraints, data.shape, k, solver, update_H, init == "custom", caller
    )
    penalties = bool(alpha_W or alpha_H)
    for name, alpha, n in (("alpha_W", alpha_W, n_features), ("alpha_H", alpha_H, n_samples)):
        if not np.isfinite(float(alpha) * n) or alpha * n > np.finfo(dtype).max ** 0.5:
            raise ValueError(
                f"{caller}: {name}={alpha!r} times {n} (the penalty's weight, as scikit-learn "
                f"scales it) is too large for {dtype}: the objective would overflow. Use a "
                f"smaller {name} (the data-fit term is of the size of X's squared norm)."
            )
    plan = Plan(
        n_components=int(k),
        beta=beta,
        solver=solver,
        init=init,
        tol=float(params["tol"]),
        max_iter=int(params["max_iter"]),
        l1_W=n_features * alpha_W * l1,
        l2_W=n_features * alpha_W * (1.0 - l1),
        l1_H=(n_samples * alpha_H * l1) if update_H else 0.0,
        l2_H=(n_samples * alpha_H * (1.0 - l1)) if update_H else 0.0,
        update_H=update_H,
        random_state=params["random_state"],
        dtype=dtype,
        verbose=int(params["verbose"]),
        shuffle=bool(params.get("shuffle", False)),
        check_every=check_every,
        balance=update_H and not penalties and not constraints,
        exact_W=update_H and beta == 2 and not on_factor(constraints, "W"),
        solved_in_one_step=one_step,
        constraints=constraints,
    )
    compression = params.get("compression")
    if compression is not None and not constraints:
        if plan.max_iter < 2:
            compression = None  # a single iteration runs on X itself
        compression = resolve_compression(compression, plan, data, engine, caller)
        plan = replace(plan, compression=compression)
    if W is not None:
        W = engine.asarray(W, dtype, rows=True)
    if H is not None:
        H = engine.asarray(H, dtype)
    return plan, W, H


def _no_solver(constraints, beta, beta_loss, engine, caller):
    """Say why no solver takes a constrained fit: the loss, or the engine."""
    listed = ", ".join(c.describe() for c in constraints)
    able = [s for s in SOLVERS.values() if all(s.name in c.solvers for c in constraints)]
    if not any(s.minimises(beta) for s in able):
        raise ValueError(
            f"{caller}: no solver honours the constraints {listed} with beta_loss="
            f"{beta_loss!r}; they need beta_loss='frobenius'."
        )
    names = " or ".join(repr(s.name) for s in able)
    raise ValueError(
        f"{caller}: the constraints {listed} need solver={names}, which does not run on "
        f"the {engine.name} engine (or with unknown entries); use the numpy or torch "
        "engine with every entry known."
    )


def _auto(solver, beta, data, engine, constraints=()):
    """Whether solver='auto' takes ``solver``: it minimises this β, fits this kind of
    data, runs on this engine, suits X's storage (``Solver.auto_on_dense``) and
    honours every constraint of the fit."""
    return (
        all(solver.name in c.solvers for c in constraints)
        and solver.minimises(beta)
        and solver.fits(data.kind)
        and (solver.chunked or not engine.chunked)
        and (solver.auto_on_dense or engine.is_sparse(data.X))
    )


def start(plan, data, W, H, engine):
    """The Plan and starting pair of a constrained fit, settled from the start: each
    factor projected onto its constraint's set, then every 'auto' value of the
    constraints (MinVolume's λ and δ) set from the projected pair
    (``Constraint.settle``). Returns (plan, W, H); unchanged without constraints."""
    if not plan.constraints:
        return plan, W, H
    for c in plan.constraints:
        if c.role != "set" or (c.factor == "H" and not plan.update_H):
            continue
        if c.factor == "W":
            W = c.project(W, engine)
        else:
            H = engine.copy(c.project(H.T, engine).T)
    fit = data.divergence(W, H, plan.beta)
    return replace(plan, constraints=settle(plan.constraints, W, H, fit)), W, H
