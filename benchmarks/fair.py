"""A fair benchmark: each library to its own convergence, over seeds, in one run.

For every data set and seed, every contender starts from its own default
initialisation (``random_state=seed``) and runs to its own convergence (``tol=1e-7``,
a high iteration cap and a wall-clock cap per run). Along the way the objective of the
current factors is recorded against time, with one common function (scikit-learn's
``_beta_divergence``) and with the evaluation time left out of the clock:

* nmfkit by wrapping its solvers' steps (``every_step``): its ``callback`` runs only
  at the Loop's checks, every 10 iterations;
* scikit-learn by wrapping the update functions its solvers call once per iteration
  (``_update_coordinate_descent`` for cd, ``_multiplicative_update_w`` for mu).

Reported per data set, per seed and as medians over seeds:

* each contender's final objective;
* the time each contender needs to reach the final objective of scikit-learn's best
  solver for that seed (the lower final objective of cd and mu), and nmfkit's speed-up
  over that solver: the figure that survives a long tail, since scikit-learn's own
  time is the time its whole run needed to get there;
* the objective reached at fixed time budgets (anytime curves, plotted with --plot).

Usage::

    python benchmarks/fair.py                            # every data set, seeds 0-4
    python benchmarks/fair.py --data olivetti --seeds 0 1 --max-seconds 30

No number here is asserted in the tests: these machines are shared and noisy.
"""

import argparse
import contextlib
import dataclasses
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import sklearn.decomposition._nmf as sk_nmf
from sklearn.decomposition import NMF as SkNMF

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import load_news_counts, load_news_tfidf, load_olivetti  # noqa: E402

import nmfkit  # noqa: E402
from nmfkit import NMF  # noqa: E402
from nmfkit.core.solvers import SOLVERS  # noqa: E402


def dense_low_rank(n, m, k, seed=0):
    """A dense n × m matrix of rank-k non-negative structure plus 5 % uniform noise."""
    rng = np.random.default_rng(seed)
    W = rng.random((n, k)) * (rng.random((n, k)) < 0.5)
    H = rng.random((k, m)) * (rng.random((k, m)) < 0.5)
    X = W @ H
    X += 0.05 * X.mean() * rng.random((n, m))
    return X


# name: (loader, k, beta_loss, iteration cap, time budgets in s, sklearn solvers)
DATASETS = {
    "olivetti": (load_olivetti, 40, "frobenius", 5000, [0.5, 1, 2, 5], ("cd", "mu")),
    "olivetti-kl": (load_olivetti, 40, "kullback-leibler", 5000, [1, 2, 5, 10], ("mu",)),
    "news-tfidf": (load_news_tfidf, 20, "frobenius", 5000, [0.5, 1, 2, 5], ("cd", "mu")),
    "news-counts": (load_news_counts, 20, "kullback-leibler", 5000, [5, 10, 20, 40], ("mu",)),
    "dense-4000": (
        lambda: dense_low_rank(4000, 4000, 64),
        64,
        "frobenius",
        5000,
        [2, 5, 10, 20],
        ("cd",),
    ),
    "dense-20000x5000": (
        lambda: dense_low_rank(20000, 5000, 50),
        50,
        "frobenius",
        5000,
        [5, 10, 20, 40],
        ("cd",),
    ),
}
BETA = {"frobenius": 2.0, "kullback-leibler": 1.0}


class _Budget(Exception):
    """Raised from inside a run that has used its wall-clock cap."""


class Recorder:
    """(seconds, objective) along one fit, the evaluations left out of the clock.

    Every iteration up to 20 is recorded, then one whenever the iteration count has grown
    by 5 % since the last record (time resolved to a few per cent at most)."""

    def __init__(self, X, beta, max_seconds):
        self.X, self.beta, self.max_seconds = X, beta, max_seconds
        self.points, self.excluded, self.last, self.it = [], 0.0, 0, 0

    def start(self):
        self.t0 = time.perf_counter()

    def now(self):
        return time.perf_counter() - self.t0 - self.excluded

    def record(self, W, H, force=False):
        t = self.now()
        self.it += 1
        if force or self.it <= 20 or self.it >= 1.05 * self.last:
            self.last = self.it
            begin = time.perf_counter()
            loss = float(sk_nmf._beta_divergence(self.X, W, H, self.beta))
            self.points.append((t, loss))
            self.excluded += time.perf_counter() - begin
        if t > self.max_seconds and not force:
            raise _Budget


@contextlib.contextmanager
def every_step(record):
    """Call ``record(W, H)`` after every iteration of every nmfkit fit inside.

    nmfkit's callback runs at the Loop's checks only (every 10 iterations), which would
    time nmfkit to the next check while scikit-learn is timed to the iteration; so each
    solver step in the registry is wrapped for the block instead, as scikit-learn's
    update functions are. ``record`` sees what the step returns: the pair the Loop
    goes on from (for extrapolated HALS, the best pair so far).
    """
    original = dict(SOLVERS)

    def wrap(step):
        def recorded(data, W, H, state, plan, engine):
            W, H = step(data, W, H, state, plan, engine)
            record(W, H)
            return W, H

        return recorded

    for name, solver in original.items():
        steps = {kind: wrap(step) for kind, step in solver.steps.items()}
        SOLVERS[name] = dataclasses.replace(solver, steps=steps)
    try:
        yield
    finally:
        SOLVERS.update(original)


def _stop_at_budget(rec):
    """(record, callback): records every iteration; the callback stops nmfkit (its own
    way to stop, at the next check) once the wall-clock cap has passed."""
    over = []

    def record(W, H):
        try:
            rec.record(W, H)
        except _Budget:
            over.append(True)

    def callback(n_iter, loss, W, H):
        return bool(over)

    return record, callback


def run_nmfkit_capped(X, k, beta_loss, seed, cap, rec):
    record, callback = _stop_at_budget(rec)
    model = NMF(
        k, beta_loss=beta_loss, tol=1e-7, max_iter=cap, random_state=seed, callback=callback
    )  # fmt: skip
    rec.start()
    with every_step(record):
        W = model.fit_transform(X)
    rec.record(W, model.components_, force=True)


def run_sklearn(solver):
    def run(X, k, beta_loss, seed, cap, rec):
        name = "_update_coordinate_descent" if solver == "cd" else "_multiplicative_update_w"
        original = getattr(sk_nmf, name)
        state = {"calls": 0, "last": None}

        def wrapped(*args, **kwargs):
            # cd updates W (args X, W, Ht) then H (X.T, Ht, W); mu updates W then H:
            # the state at each W update is the one the previous iteration left
            is_w = solver == "mu" or state["calls"] % 2 == 0
            if is_w and state["calls"]:
                W, other = args[1], args[2]
                H = other.T if solver == "cd" else other
                state["last"] = (W.copy(), H.copy())
                rec.record(W, H)
            state["calls"] += 1
            return original(*args, **kwargs)

        model = SkNMF(
            k, beta_loss=beta_loss, solver=solver, tol=1e-7, max_iter=cap, random_state=seed
        )
        setattr(sk_nmf, name, wrapped)
        rec.start()
        try:
            W = model.fit_transform(X)
            H = model.components_
        except _Budget:
            W, H = state["last"]
        finally:
            setattr(sk_nmf, name, original)
        rec.record(W, H, force=True)

    return run


CONTENDERS = {
    "nmfkit": run_nmfkit_capped,
    "sklearn cd": run_sklearn("cd"),
    "sklearn mu": run_sklearn("mu"),
}


def time_to(points, level):
    """Seconds until the objective first is at or below ``level`` (None: never)."""
    for t, loss in points:
        if loss <= level:
            return t
    return None


def at_time(points, budget):
    """The objective of the last record at or before ``budget`` seconds."""
    seen = [loss for t, loss in points if t <= budget]
    return seen[-1] if seen else None


def one_data_set(name, seeds, max_seconds, only=None):
    loader, k, beta_loss, cap, budgets, sk_solvers = DATASETS[name]
    sk_solvers = [s for s in sk_solvers if only is None or s in only]
    X = loader()
    beta = BETA[beta_loss]
    names = ["nmfkit"] + [f"sklearn {s}" for s in sk_solvers]
    with warnings.catch_warnings():  # imports, compiled kernels and caches: not timed
        warnings.simplefilter("ignore")
        NMF(k, beta_loss=beta_loss, max_iter=2).fit(X)
        for s in sk_solvers:
            SkNMF(k, beta_loss=beta_loss, solver=s, max_iter=2).fit(X)
    runs = {}
    for seed in seeds:
        for c in names:
            rec = Recorder(X, beta, max_seconds)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                CONTENDERS[c](X, k, beta_loss, seed, cap, rec)
            runs[(c, seed)] = rec.points
            print(f"  {name} seed {seed} {c}: {rec.points[-1][1]:.6f} after "
                  f"{rec.points[-1][0]:.2f} s", flush=True)  # fmt: skip
    per_seed = []
    for seed in seeds:
        finals = {c: runs[(c, seed)][-1][1] for c in names}
        best_sk = min((c for c in names if c.startswith("sklearn")), key=lambda c: finals[c])
        target = finals[best_sk]
        # scikit-learn's own time: to its final objective to within rounding
        t_sk = time_to(runs[(best_sk, seed)], target * (1 + 1e-12))
        t_nk = time_to(runs[("nmfkit", seed)], target)
        per_seed.append({
            "seed": seed, "final": finals, "best sklearn": best_sk, "target": target,
            "t sklearn": t_sk, "t nmfkit": t_nk,
            "speed-up": (t_sk / t_nk) if t_nk else None,
            "final ratio": finals["nmfkit"] / target,
            "at": {c: [at_time(runs[(c, seed)], b) for b in budgets] for c in names},
        })  # fmt: skip
    return {"k": k, "beta_loss": beta_loss, "shape": list(X.shape), "budgets": budgets,
            "contenders": names, "seeds": per_seed,
            "curves": {f"{c}|{s}": runs[(c, s)] for c, s in runs}}  # fmt: skip


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _cell(v, fmt, suffix=""):
    if v is None:
        return "not reached"
    return "∞" if v == float("inf") else format(v, fmt) + suffix


def table(name, res):
    rows = res["seeds"]
    shape = "×".join(map(str, res["shape"]))
    out = [f"### {name}: {shape}, k={res['k']}, {res['beta_loss']}", ""]
    out.append("| seed | best sklearn | its final objective | its s to it | nmfkit s to it "
               "| speed-up | nmfkit s to it·(1+1e-6) | speed-up "
               "| nmfkit final ÷ sklearn's |")  # fmt: skip
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        # the same loss to 6 digits: the tolerance of the final-loss criterion
        near = time_to(res["curves"][f"nmfkit|{r['seed']}"], r["target"] * (1 + 1e-6))
        r["t nmfkit near"] = near
        r["speed-up near"] = r["t sklearn"] / near if near else None
        out.append(f"| {r['seed']} | {r['best sklearn']} | {r['target']:.6f} | "
                   f"{_cell(r['t sklearn'], '.2f')} | {_cell(r['t nmfkit'], '.2f')} | "
                   f"{_cell(r['speed-up'], '.2f', '×')} | {_cell(near, '.2f')} | "
                   f"{_cell(r['speed-up near'], '.2f', '×')} | "
                   f"{r['final ratio']:.8f} |")  # fmt: skip
    # a seed where nmfkit never reached the level counts as infinitely slow (speed-up 0)
    t_nk = statistics.median(
        r["t nmfkit"] if r["t nmfkit"] is not None else float("inf") for r in rows
    )
    speed = statistics.median(r["speed-up"] or 0.0 for r in rows)
    speed_near = statistics.median(r["speed-up near"] or 0.0 for r in rows)
    t_near = statistics.median(
        r["t nmfkit near"] if r["t nmfkit near"] is not None else float("inf") for r in rows
    )
    reached_near = sum(r["t nmfkit near"] is not None for r in rows)
    t_sk = _median([r["t sklearn"] for r in rows])
    fr = _median([r["final ratio"] for r in rows])
    reached = sum(r["t nmfkit"] is not None for r in rows)
    out.append(f"| **median** | | | {_cell(t_sk, '.2f')} | {_cell(t_nk, '.2f')} | "
               f"**{speed:.2f}×** ({reached}/{len(rows)} reached) | {_cell(t_near, '.2f')} | "
               f"**{speed_near:.2f}×** ({reached_near}/{len(rows)}) | **{fr:.8f}** |")  # fmt: skip
    out.append("")
    names, budgets = res["contenders"], res["budgets"]
    out.append("| contender (median over seeds) | final objective | "
               + " | ".join(f"at {b} s" for b in budgets) + " |")  # fmt: skip
    out.append("|---|---:|" + "---:|" * len(budgets))
    for c in names:
        fin = _median([r["final"][c] for r in rows])
        at = [_median([r["at"][c][i] for r in rows]) for i in range(len(budgets))]
        cells = " | ".join("—" if v is None else f"{v:.6g}" for v in at)
        out.append(f"| {c} | {fin:.6f} | {cells} |")
    return "\n".join(out) + "\n"


def plot(name, res, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    best = min(p[1] for pts in res["curves"].values() for p in pts)
    colours = {}
    for key, pts in res["curves"].items():
        c = key.split("|")[0]
        gap = [max(loss / best - 1, 1e-9) for _, loss in pts]
        line = ax.plot([max(t, 1e-3) for t, _ in pts], gap, color=colours.get(c), alpha=0.7,
                       label=None if c in colours else c)  # fmt: skip
        colours.setdefault(c, line[0].get_color())
    ax.set(xscale="log", yscale="log", xlabel="time (s)", ylabel="objective / best − 1",
           title=f"{name} (every seed)")  # fmt: skip
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = [d for d in DATASETS if "20000" not in d]
    p.add_argument(
        "--data", nargs="*", default=default, choices=list(DATASETS),
        help="data sets (the 20000×5000 one is opt-in)",
    )  # fmt: skip
    p.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--max-seconds", type=float, default=60.0, help="wall-clock cap per run")
    p.add_argument("--sklearn", nargs="*", default=None, choices=["cd", "mu"],
                   help="scikit-learn solvers to run (default: each data set's)")  # fmt: skip
    p.add_argument("--plot", default=None, help="folder for one anytime plot per data set")
    p.add_argument("--json", default=None, help="write every curve and figure here")
    p.add_argument("--tables", default=None, help="print the tables of a --json file, run nothing")
    args = p.parse_args(argv)
    if args.tables:
        saved = json.loads(Path(args.tables).read_text())
        text = [table(name, res) for name, res in saved.items() if name in args.data]
        print("\n".join(text))
        return text
    print(f"nmfkit {nmfkit.__version__}, scikit-learn {sklearn.__version__}, "
          f"numpy {np.__version__}", flush=True)  # fmt: skip
    results, text = {}, []
    for name in args.data:
        results[name] = one_data_set(name, args.seeds, args.max_seconds, args.sklearn)
        text.append(table(name, results[name]))
        print(text[-1], flush=True)
        if args.plot:
            Path(args.plot).mkdir(parents=True, exist_ok=True)
            plot(name, results[name], Path(args.plot) / f"fair-{name}.png")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return text


if __name__ == "__main__":
    main()
