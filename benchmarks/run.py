"""nmfkit against scikit-learn, side by side in one run, on ../shared/data.

For every contender and data set, the fit is run from its own default initialisation
(fixed seed) with iteration budgets N growing by √2 (tol=0, so exactly N iterations run).
Each run is timed (median of --repeats), and the objective of the factors it returns is
evaluated afterwards, outside the timing, with one common function. From these curves:

* the time to reach the best objective seen by any contender times (1 + eps);
* the objective reached within fixed time budgets.

Usage::

    python benchmarks/run.py                   # both data sets, 3 repeats per point
    python benchmarks/run.py --data olivetti --repeats 1 --plot olivetti.png

No number here is asserted in the tests: these machines are shared and noisy.
"""

import argparse
import gzip
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.decomposition import NMF as SkNMF

import nmfkit
from nmfkit import NMF
from nmfkit.arrays.engines import NumpyEngine
from nmfkit.core.losses import beta_divergence
from nmfkit.core.plan import beta_from_loss

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_olivetti():
    with np.load(SHARED / "faces" / "olivetti_faces_64x64.npz", allow_pickle=False) as f:
        x = f["images"].astype(np.float32)
    x -= x.min()
    x /= x.max()
    return x.reshape(len(x), -1).astype(np.float64)


def load_news_tfidf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    path = SHARED / "20newsgroups" / "20news_bydate.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        docs = [d["text"] for d in map(json.loads, f) if d["split"] == "train"]
    vec = TfidfVectorizer(min_df=5, max_df=0.5, stop_words="english")
    return vec.fit_transform(docs).tocsr()


def load_news_counts():
    from sklearn.feature_extraction.text import CountVectorizer

    path = SHARED / "20newsgroups" / "20news_bydate.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        docs = [d["text"] for d in map(json.loads, f) if d["split"] == "train"]
    vec = CountVectorizer(min_df=5, max_df=0.5, stop_words="english")
    return vec.fit_transform(docs).tocsr().astype(np.float64)


def schedule(n_max, first=10):
    """Iteration budgets growing by √2: time-to-target is resolved to about 40 %."""
    out, n = [], float(first)
    while round(n) <= n_max:
        if round(n) not in out:
            out.append(round(n))
        n *= 2**0.5
    return out


FROBENIUS = ("nmfkit auto", "nmfkit bpp", "sklearn cd", "sklearn mu")
KL = ("nmfkit auto", "nmfkit mu", "sklearn mu")

# name: (loader, k, beta_loss, largest iteration budget, time budgets in s, eps values,
#        contenders)
DATASETS = {
    "olivetti": (load_olivetti, 40, "frobenius", 2560, [0.5, 1.0, 2.0, 5.0], [1e-3], FROBENIUS),
    "news-tfidf": (
        load_news_tfidf,
        20,
        "frobenius",
        1280,
        [1.0, 2.0, 5.0, 10.0],
        [1e-3, 1e-5],
        FROBENIUS,
    ),
    "news-counts": (
        load_news_counts,
        20,
        "kullback-leibler",
        640,
        [5.0, 10.0, 20.0, 40.0],
        [1e-3],
        KL,
    ),
}


def _nmfkit(solver):
    def make(k, beta, n):
        return NMF(k, beta_loss=beta, solver=solver, max_iter=n, tol=0.0, random_state=0)

    return make


def _sklearn(solver):
    def make(k, beta, n):
        return SkNMF(k, beta_loss=beta, solver=solver, max_iter=n, tol=0.0, random_state=0)

    return make


# Each from its own default initialisation; the fixed seed makes every budget N start
# from the same point.
CONTENDERS = {
    "nmfkit auto": _nmfkit("auto"),
    "nmfkit bpp": _nmfkit("bpp"),
    "nmfkit mu": _nmfkit("mu"),
    "sklearn cd": _sklearn("cd"),
    "sklearn mu": _sklearn("mu"),
}


def curve(make, X, k, beta, budgets, repeats, max_seconds, flat):
    """(N, median seconds, objective) for each iteration budget N.

    A curve stops once a run takes longer than ``max_seconds``, or once the objective
    fell by less than ``flat`` (relative) over the last two budgets.
    """
    points = []
    b = beta_from_loss(beta)
    for n in budgets:
        times = []
        for _ in range(repeats):
            model = make(k, beta, n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                W = model.fit_transform(X)
                times.append(time.perf_counter() - start)
        loss = beta_divergence(X, np.asarray(W, np.float64), model.components_, b, NumpyEngine())
        points.append((n, statistics.median(times), loss))
        print(f"    N={n:<5} {points[-1][1]:8.3f} s  loss {loss:.10g}", file=sys.stderr)
        if points[-1][1] > max_seconds:
            break
        if len(points) >= 3 and points[-3][2] - loss <= flat * loss:
            break
    return points


def time_to(pts, level):
    """Seconds to reach ``level``: interpolated between the two budgets around it.

    The objective falls convexly in time, so the straight line between two measured
    points lies above the curve: the interpolated time is an upper bound (and never
    more than the first budget at or below the level). None when never reached.
    """
    for j, (_, t, loss) in enumerate(pts):
        if loss <= level:
            if j == 0:
                return t
            _, t0, loss0 = pts[j - 1]
            return t0 + (t - t0) * (loss0 - level) / (loss0 - loss)
    return None


def summarise(curves, budgets, eps_values):
    """Times to reach best·(1 + eps) and scikit-learn's best; objective per budget."""
    best = min(loss for pts in curves.values() for _, _, loss in pts)
    sk = [loss for name, pts in curves.items() if name.startswith("sklearn") for *_, loss in pts]
    levels = [best * (1 + eps) for eps in eps_values] + ([min(sk)] if sk else [])
    rows = {}
    for name, pts in curves.items():
        reach = [time_to(pts, level) for level in levels]
        at = []
        for budget in budgets:
            within = [loss for _, t, loss in pts if t <= budget]
            at.append(min(within) if within else None)
        rows[name] = {"time_to_target": reach, "loss_at": at}
    return best, rows


def _ratio(t, ref):
    return f"{t / ref:.2f}×" if (t is not None and ref) else "—"


def table(title, best, eps_values, budgets, rows, reference="nmfkit auto"):
    """A markdown table: times to target, ratios to nmfkit auto, objective per budget."""
    refs = rows[reference]["time_to_target"]
    head, rule = "| contender |", "|---|"
    labels = [f"best·(1+{eps:g})" for eps in eps_values]
    labels += ["sklearn's best"] * (len(refs) - len(eps_values))
    for label in labels:
        head += f" s to {label} | ÷ nmfkit auto |"
        rule += "---:|---:|"
    head += "".join(f" objective at {b:g} s |" for b in budgets)
    rule += "---:|" * len(budgets)
    lines = [f"### {title}; best objective {best:.10g}", "", head, rule]
    for cname, r in rows.items():
        cells = []
        for t, ref in zip(r["time_to_target"], refs):
            cells += [f"{t:.3f}" if t is not None else "not reached", _ratio(t, ref)]
        cells += [f"{v:.8g}" if v is not None else "—" for v in r["loss_at"]]
        lines.append(f"| {cname} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(curves, title, path):
    """Objective above the best against time, log-log, one line per contender."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    best = min(loss for pts in curves.values() for _, _, loss in pts)
    for name, pts in curves.items():
        gap = [max(loss / best - 1, 1e-9) for _, _, loss in pts]
        ax.plot([t for _, t, _ in pts], gap, marker="o", label=name)
    ax.set(
        xscale="log", yscale="log", xlabel="time (s)", ylabel="objective / best − 1", title=title
    )
    ax.legend()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", nargs="*", default=list(DATASETS), choices=list(DATASETS))
    p.add_argument("--contenders", nargs="*", default=list(CONTENDERS), choices=list(CONTENDERS))
    p.add_argument("--repeats", type=int, default=3, help="timed runs per point (median)")
    p.add_argument(
        "--max-seconds",
        type=float,
        default=30.0,
        help="stop a contender's curve once one run takes longer than this",
    )
    p.add_argument("--plot", nargs="*", default=[], help="PNG path per data set, in order")
    p.add_argument("--json", help="write all points to this file")
    p.add_argument(
        "--extras", action="store_true", help="also GEMM share, peak memory and Loop overhead"
    )
    args = p.parse_args(argv)
    print(
        f"nmfkit {nmfkit.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}; median of {args.repeats} runs per point\n"
    )
    results = {}
    for i, name in enumerate(args.data):
        loader, k, beta, n_max, budgets, eps_values, contenders = DATASETS[name]
        X = loader()
        print(f"{name}: X {X.shape[0]} x {X.shape[1]}", file=sys.stderr)
        curves = {}
        for c in [c for c in args.contenders if c in contenders]:
            print(f"  {c}", file=sys.stderr)
            curves[c] = curve(
                CONTENDERS[c],
                X,
                k,
                beta,
                schedule(n_max),
                args.repeats,
                args.max_seconds,
                flat=min(eps_values) / 10,
            )
        best, rows = summarise(curves, budgets, eps_values)
        title = f"{name} {X.shape[0]}×{X.shape[1]}, k={k}, {beta}"
        print(table(title, best, eps_values, budgets, rows))
        print()
        results[name] = {"curves": curves, "summary": rows, "best": best}
        if i < len(args.plot):
            plot(curves, f"{name}, k={k}, {beta}", args.plot[i])
    if args.extras:
        results["extras"] = extras(args.repeats)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


def extras(repeats):
    """GEMM share, peak memory and Loop overhead, printed as one table."""
    import measures

    gemm, rates = measures.gemm_share(
        {
            "nmfkit auto": lambda k, n: NMF(k, init="random", max_iter=n, tol=0.0, random_state=0),
            "sklearn cd": lambda k, n: SkNMF(
                k, init="random", solver="cd", max_iter=n, tol=0.0, random_state=0
            ),
        },
        repeats=repeats,
    )
    memory = {lib: measures.peak_memory(lib) for lib in ("nmfkit", "sklearn")}
    overhead = measures.loop_overhead(load_olivetti(), 40)
    print("### Efficiency")
    print()
    print("| measure | nmfkit | scikit-learn |")
    print("|---|---:|---:|")
    print(
        f"| dense 4000×4000, k=64: GFLOP/s per iteration (4·n·m·k flops) / GEMM {gemm:.1f} "
        f"GFLOP/s | {rates['nmfkit auto']:.1f} ({rates['nmfkit auto'] / gemm:.0%}) | "
        f"{rates['sklearn cd']:.1f} ({rates['sklearn cd'] / gemm:.0%}) |"
    )
    cells = [f"{ratio:.2f}× ({mb['X'] + mb['peak']:.1f} MB)" for ratio, mb in memory.values()]
    sizes = memory["nmfkit"][1]
    print(
        f"| 20 Newsgroups TF-IDF fit, k=20: peak memory / (X + W + H = "
        f"{sizes['X'] + sizes['W'] + sizes['H']:.1f} MB) | {cells[0]} | {cells[1]} |"
    )
    print(
        f"| Olivetti fit, k=40: share of time in the Loop's objective checks | {overhead:.1%} | — |"
    )
    print()
    return {"gemm": gemm, "rates": rates, "memory": memory, "loop_overhead": overhead}


if __name__ == "__main__":
    main()
