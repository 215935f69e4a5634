"""``nmfkit fit``: factorize a matrix file and save the model."""

import contextlib
import signal
import sys
import time
import warnings

import numpy as np

from ..arrays.engines import ENGINES
from ..arrays.ops import to_host
from ..core.constraints import Box, Hoyer, MinVolume, Orthogonal, Simplex
from ..core.files import check_npy
from ..core.init import INITS
from ..core.loop import LoopControl
from ..core.solvers import solver_names
from ..estimators.checkpoint import Checkpoint, parse_duration
from ..estimators.minibatch import MiniBatchNMF
from ..estimators.nmf import NMF
from ._common import (
    CLIError,
    add_input,
    add_loss,
    check_paths,
    fit_progress,
    loss_of,
    read_input,
    save_array,
    signals_handled,
    warning_line,
)


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    f = sub.add_parser("fit", help="factorize a matrix file and save the model")
    add_input(f, "data file: .npy, .npz, .mtx, .h5ad, .csv or .tsv (samples x features; an "
              "empty field or nan is an unknown entry, left out of the loss)")  # fmt: skip
    f.add_argument("-k", "--n-components", type=int, required=True, help="number of components")
    f.add_argument(
        "-o", "--output", default="model.npz", help="model file to write (default: model.npz)"
    )
    f.add_argument("--W", metavar="PATH", help="also write W (samples x k) to this .npy file")
    add_loss(f)
    f.add_argument(
        "--solver",
        default="auto",
        choices=solver_names(),
        help="solver (default: auto)",
    )
    f.add_argument(
        "--init",
        default=None,
        choices=INITS,
        help="initialisation (default: nndsvda)",
    )
    f.add_argument("--max-iter", type=int, default=200, help="maximum iterations (default: 200)")
    f.add_argument(
        "--tol",
        type=float,
        default=1e-4,
        help="relative decrease per 10 iterations to stop at (default: 1e-4)",
    )
    f.add_argument("--seed", type=int, default=None, help="random seed")
    f.add_argument(
        "--engine",
        default="auto",
        choices=("auto", *ENGINES),
        help="array library to fit on (default: auto; "
        + ", ".join(f"{name} needs nmfkit[{e.extra}]" for name, e in ENGINES.items() if e.extra)
        + ")",
    )
    f.add_argument(
        "--device", default=None, help="torch device such as cuda or cpu (implies --engine torch)"
    )
    f.add_argument(
        "--batch-size",
        type=int,
        default=None,
        metavar="N",
        help="fit from mini-batches of N rows (MiniBatchNMF); a .npy input is then read "
        "memory-mapped, a batch at a time",
    )
    f.add_argument(
        "--observed",
        default="all",
        choices=("all", "stored"),
        help="sparse input: 'stored' counts only the stored entries as known, the others "
        "are left out of the loss (default: all; NaN in dense input is always unknown)",
    )
    f.add_argument(
        "--checkpoint",
        metavar="DIR",
        help="save the fit's progress to DIR/checkpoint.npz now and then (atomically)",
    )
    f.add_argument(
        "--checkpoint-every",
        default="60s",
        metavar="TIME",
        help="time between checkpoints: 60s, 5m, 1h (default: 60s)",
    )
    f.add_argument(
        "--resume",
        action="store_true",
        help="continue from the checkpoint in --checkpoint DIR (same data and parameters)",
    )
    f.add_argument("--alpha-W", type=float, default=0.0, help="penalty weight (default: 0)")
    f.add_argument(
        "--l1-ratio", type=float, default=0.0, help="L1 share of the penalty (default: 0)"
    )
    f.add_argument(
        "--constraint",
        action="append",
        metavar="SPEC",
        help="a constraint on W or H (repeatable): simplex:W, simplex:W:at-most, "
        "box:W:LOW:HIGH, hoyer:H:0.7, orthogonal:W, minvolume:H[:WEIGHT] "
        "(nmfkit.Simplex, Box, Hoyer, Orthogonal, MinVolume)",
    )
    f.add_argument(
        "-v", "--verbose", action="count", default=0, help="print the loss at each check"
    )
    f.set_defaults(func=run)
    return f


def run(args):
    check_paths([args.input], [(args.output, "model"), (args.W, "W file")])
    common = dict(
        n_components=args.n_components,
        init=args.init,
        beta_loss=loss_of(args),
        tol=args.tol,
        max_iter=args.max_iter,
        random_state=args.seed,
        alpha_W=args.alpha_W,
        l1_ratio=args.l1_ratio,
        verbose=args.verbose,
    )
    constraints = [parse_constraint(c) for c in args.constraint or ()]
    if args.resume and not args.checkpoint:
        raise CLIError("--resume needs --checkpoint DIR: the folder to resume from")
    if args.batch_size is not None:
        if args.checkpoint:
            raise CLIError("--checkpoint is for full-batch fits: drop --batch-size or --checkpoint")
        if args.engine != "auto" or args.device or args.solver != "auto":
            raise CLIError("--batch-size streams on the CPU: drop --engine, --device and --solver")
        if args.observed != "all":
            raise CLIError("--batch-size needs every entry known: drop --observed")
        if constraints:
            raise CLIError("--constraint is for full-batch fits: drop --batch-size")
        # a .npy file is read a batch at a time (memory-mapped), never whole
        streamed = str(args.input).endswith(".npy") and args.key is None
        if streamed:
            check_npy(args.input, in_memory=False)  # the header against the file's size
            X = np.load(args.input, mmap_mode="r", allow_pickle=False)
            if X.ndim != 2:
                raise CLIError(f"{args.input} holds an array of shape {X.shape}; give a matrix")
            X = X.T if args.transpose else X
            how = ", transposed" if args.transpose else ""
            print(f"input       {args.input}: {X.shape[0]} samples x {X.shape[1]} features "
                  f"(dense, memory-mapped{how})")  # fmt: skip
        else:
            fix = "drop --batch-size: a full-batch fit leaves them out of the loss"
            X = read_input(args, missing=fix)
        model = MiniBatchNMF(batch_size=args.batch_size, **common)
    else:
        X = read_input(args)
        common["callback"] = progress = fit_progress(args.max_iter)
        model = NMF(
            solver=args.solver,
            engine=args.engine,
            device=args.device,
            observed=args.observed,
            constraints=constraints or None,
            **common,
        )
    control, fit_args = None, {}
    if args.batch_size is None:
        if args.checkpoint:
            every = parse_duration(args.checkpoint_every)
            control = Checkpoint(args.checkpoint, every=every, resume=args.resume)
        else:
            control = LoopControl()
        fit_args["checkpoint"] = control
    start = time.perf_counter()
    received = []
    with warnings.catch_warnings(record=True) as caught, _stop_on_signals(control, received):
        warnings.simplefilter("always")
        try:
            W = model.fit_transform(X, **fit_args)
        finally:
            if args.batch_size is None:
                progress.close()  # ends the progress bar's line, if one was drawn
        elapsed = time.perf_counter() - start
        # still under the handlers: a signal now waits until the files are complete
        model.save(args.output)
        if args.W:
            save_array(args.W, to_host(W))  # a Dask or torch W comes to the host first
    print(f"data        {X.shape[0]} x {X.shape[1]} ({'sparse' if hasattr(X, 'nnz') else 'dense'})")
    how = f"batch size {args.batch_size}" if args.batch_size else f"solver={args.solver}"
    print(f"model       k={model.n_components_}, loss={common['beta_loss']}, {how}")
    if constraints:
        print(f"constraints {', '.join(c.describe() for c in constraints)}")
    steps = "passes" if args.batch_size else "iterations"
    print(f"fit         {model.n_iter_} {steps} in {elapsed:.2f} s ({model.stop_reason_})")
    err = model.reconstruction_err_
    print(f"loss        {model.loss_curve_[-1]:.6g} (reconstruction error {err:.6g})")
    print(f"saved       {args.output}")
    if args.resume and control.resumed_from is not None:
        print(f"resumed     from iteration {control.resumed_from} ({control.path})")
    elif args.resume:
        print(f"resumed     nothing: no checkpoint in {args.checkpoint}, started afresh")
    for w in caught:
        print(warning_line("fit", w.message, ("--max-iter", "--tol")), file=sys.stderr)
    if received and getattr(model, "stop_reason_", None) != "interrupted":
        name = signal.Signals(received[0]).name
        print(warning_line("fit", f"{name} while saving: {args.output} was written whole, "
                           "then stopped"), file=sys.stderr)  # fmt: skip
        return 128 + received[0]
    if getattr(model, "stop_reason_", None) == "interrupted":
        again = f"; continue with --checkpoint {args.checkpoint} --resume" * bool(args.checkpoint)
        signum = received[0] if received else signal.SIGINT
        how = "interrupted" if signum == signal.SIGINT else signal.Signals(signum).name
        print(
            warning_line("fit", f"{how} after iteration {model.n_iter_}: the factors reached "
                         f"so far are saved in {args.output}{again}"),
            file=sys.stderr,
        )  # fmt: skip
        return 128 + signum  # 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP
    return 0


def parse_constraint(spec):
    """A --constraint SPEC (NAME:FACTOR[:ARGS]) as the constraint object it names."""
    parts = spec.split(":")
    name = parts[0].lower()
    forms = {
        "simplex": "simplex:W or simplex:W:at-most",
        "box": "box:W:LOW:HIGH",
        "hoyer": "hoyer:H:SPARSENESS",
        "orthogonal": "orthogonal:W",
        "minvolume": "minvolume:H or minvolume:H:WEIGHT",
    }
    if name == "frozen":
        raise CLIError(
            f"--constraint {spec!r}: Frozen keeps given values of components, which the "
            "command line cannot take; use nmfkit.Frozen from Python with init='custom'"
        )
    if name not in forms:
        raise CLIError(
            f"--constraint {spec!r}: unknown constraint {name!r}; the command line takes "
            + ", ".join(forms.values())
        )
    if len(parts) < 2 or parts[1] not in ("W", "H"):
        raise CLIError(
            f"--constraint {spec!r}: write NAME:FACTOR[:ARGS] with FACTOR W or H, e.g. "
            + ", ".join(forms.values())
        )
    factor, rest = parts[1], parts[2:]
    try:
        if name == "simplex" and rest in ([], ["at-most"]):
            return Simplex(factor, at_most=bool(rest))
        if name == "box" and len(rest) == 2:
            return Box(factor, float(rest[0]), float(rest[1]))
        if name == "hoyer" and len(rest) == 1:
            return Hoyer(factor, float(rest[0]))
        if name == "orthogonal" and not rest:
            return Orthogonal(factor)
        if name == "minvolume" and len(rest) <= 1:
            return MinVolume(factor, lam_tilde=float(rest[0]) if rest else 0.1)
    except ValueError as e:
        raise CLIError(f"--constraint {spec!r}: {e}") from None
    raise CLIError(f"--constraint {spec!r}: write it as {forms[name]}")


# Ctrl-C, and what `timeout`, Docker and systemd send to end a process, or a closed
# terminal: each asks a running fit to stop after the current iteration and save
_STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


@contextlib.contextmanager
def _stop_on_signals(control, received):
    """SIGINT, SIGTERM or SIGHUP ask the fit to stop after the current iteration (the
    signal is appended to ``received``); a second one of the same kind acts as it
    would have without nmfkit (Ctrl-C aborts, SIGTERM ends the process)."""
    if control is None:
        yield
        return
    previous = {}  # filled before the first handler is installed: a signal may come at once

    def handler(signum, frame):
        control.stop_requested = True
        received.append(signum)
        signal.signal(signum, previous[signum])
        again = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        print(f"\nstopping after the current iteration ({again} again to abort)", file=sys.stderr)

    with signals_handled(_STOP_SIGNALS, handler, previous):
        yield
