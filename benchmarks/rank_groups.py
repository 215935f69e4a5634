"""select_rank on data with known groups that it was not tuned on (issue 22).

Two kinds of data, each with a known number of groups of samples:

- simulated expression in the style of Brunet et al. (2004): 38 samples in 2 or 3
  groups (at least 5 samples each), 1000 genes with log-normal baselines; each group
  up-regulates its own 10 % of the genes (log fold change ~ N(1.5, 0.5)); library sizes
  vary (log-normal, sd 0.2) and every entry has multiplicative log-normal noise (sd 0.3).
  In the "+ programs" variant two continuous gene programs (5 % of the genes each, an
  activity per sample ~ Gamma(2, 0.3), shared by all groups, like a cell-cycle or batch
  effect) add real structure beyond the groups: the harder and more realistic case.
- real labelled non-negative data that scikit-learn ships (no download): wine (178 x 13,
  3 cultivars), breast cancer (569 x 30, 2 diagnoses), iris (150 x 4, 3 species), each
  feature scaled to [0, 1] (their units differ by orders of magnitude).

For each data set, loss (Frobenius, KL) and seed, select_rank runs ranks 2-8 (iris:
2-4) with 10 runs per rank, every criterion. Reported: the true number of groups, the
old rule's suggestion (the held-out error's one-standard-error rule, which was the
whole rule before issue 22, computed from the same survey), the new rule's suggestion
("stable and supported", see docs/rank.md) and each criterion's own pick; medians over
the seeds with the values per seed.

Usage::

    python benchmarks/rank_groups.py [--seeds 0 1 2] [--runs 10] [--json out.json]
    python benchmarks/rank_groups.py --table benchmarks/rank_groups.json  # no fits
"""

import argparse
import json
import time
import warnings

import numpy as np

from nmfkit import select_rank

CRITERIA = ("cophenetic", "dispersion", "stability", "heldout_error", "error")


def make_expression(n_groups, n_programs=0, n_samples=38, n_genes=1000, noise=0.3, seed=0):
    """Brunet-style expression data with known groups (see the module docstring)."""
    rng = np.random.default_rng(seed)
    sizes = rng.multinomial(n_samples - 5 * n_groups, np.ones(n_groups) / n_groups) + 5
    labels = np.repeat(np.arange(n_groups), sizes)
    base = rng.lognormal(0.0, 1.0, n_genes)
    effect = np.zeros((n_groups, n_genes))
    for g in range(n_groups):
        genes = rng.choice(n_genes, n_genes // 10, replace=False)
        effect[g, genes] = rng.normal(1.5, 0.5, len(genes))
    log = effect[labels]
    for _ in range(n_programs):
        genes = rng.choice(n_genes, n_genes // 20, replace=False)
        activity = rng.gamma(2.0, 0.3, n_samples)
        log[:, genes] += np.outer(activity, rng.normal(1.0, 0.3, len(genes)))
    library = rng.lognormal(0.0, 0.2, n_samples)
    X = library[:, None] * base * np.exp(log + rng.normal(0.0, noise, (n_samples, n_genes)))
    return X, labels


def _scaled(loader):
    from sklearn.preprocessing import minmax_scale

    data = loader()
    return minmax_scale(data.data), data.target


def data_sets():
    """(name, maker(seed) -> (X, labels), ranks)."""
    from sklearn.datasets import load_breast_cancer, load_iris, load_wine

    sets = []
    for g in (2, 3):
        sets.append((f"expression, {g} groups", lambda s, g=g: make_expression(g, 0, seed=s),
                     range(2, 9)))  # fmt: skip
        sets.append((f"expression, {g} groups + 2 programs",
                     lambda s, g=g: make_expression(g, 2, seed=s), range(2, 9)))  # fmt: skip
    sets.append(("wine (scikit-learn)", lambda s: _scaled(load_wine), range(2, 9)))
    sets.append(
        ("breast cancer (scikit-learn)", lambda s: _scaled(load_breast_cancer), range(2, 9))
    )
    sets.append(("iris (scikit-learn)", lambda s: _scaled(load_iris), range(2, 5)))
    return sets


def _median(values):
    return float(np.median(values))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--json", default=None)
    p.add_argument("--table", metavar="JSON", help="print the table of a saved run, no fits")
    p.add_argument(
        "--rescore",
        action="store_true",
        help="with --table: suggest again from the saved criteria by the current rule (the "
        "suggestion is a function of the survey's rows alone), and save it back",
    )
    args = p.parse_args()
    if args.table:
        with open(args.table) as f:
            saved = json.load(f)
        if args.rescore:
            from nmfkit.applications.rank import _picks, _suggest

            for row in saved["results"]:
                for s in row["seeds"]:
                    s["picks"] = _picks(s["rows"])
                    s["new"] = _suggest(s["rows"], s["picks"])
            with open(args.table, "w") as f:
                json.dump(saved, f, indent=1)
        print(table(saved["results"]))
        return
    warnings.simplefilter("ignore")
    results = []
    start = time.perf_counter()
    for name, make, ranks in data_sets():
        for loss in ("frobenius", "kullback-leibler"):
            per_seed = []
            for seed in args.seeds:
                X, labels = make(seed)
                survey = select_rank(X, ranks=ranks, n_runs=args.runs, random_state=seed,
                                     beta_loss=loss, max_iter=400, n_jobs=args.jobs)  # fmt: skip
                per_seed.append(
                    {"seed": seed, "old": survey.picks["heldout_error"],
                     "new": survey.suggested_rank, "picks": survey.picks, "rows": survey.rows}
                )  # fmt: skip
            row = {
                "data": name, "shape": list(X.shape), "loss": loss,
                "true_k": int(len(np.unique(labels))), "seeds": per_seed,
            }  # fmt: skip
            results.append(row)
            print(_line(row), flush=True)
    print(f"({time.perf_counter() - start:.0f} s)")
    print()
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seeds": args.seeds, "runs": args.runs, "results": results}, f, indent=1)


def _cell(values):
    med = _median(values)
    text = f"{med:g}"
    return text if len(set(values)) == 1 else f"{text} ({', '.join(map(str, values))})"


def _line(row):
    seeds = row["seeds"]
    old = _cell([s["old"] for s in seeds])
    new = _cell([s["new"] for s in seeds])
    return f"{row['data']:38s} {row['loss'][:2]} true {row['true_k']} old {old} new {new}"


def table(results):
    """The markdown table: medians over seeds (the per-seed values where they differ)."""
    head = ["data", "loss", "true k", "old rule", "new rule", *CRITERIA]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in results:
        seeds = row["seeds"]
        cells = [
            f"{row['data']} ({row['shape'][0]} x {row['shape'][1]})",
            "Frobenius" if row["loss"] == "frobenius" else "KL",
            str(row["true_k"]),
            _cell([s["old"] for s in seeds]),
            "**" + _cell([s["new"] for s in seeds]) + "**",
            *[_cell([s["picks"][c] for s in seeds]) for c in CRITERIA],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    hits = {
        rule: sum(s[rule] == r["true_k"] for r in results for s in r["seeds"])
        for rule in ("old", "new")
    }
    total = sum(len(r["seeds"]) for r in results)
    off = {
        rule: [abs(s[rule] - r["true_k"]) for r in results for s in r["seeds"]]
        for rule in ("old", "new")
    }
    lines.append("")
    lines.append(
        f"Suggested k equal to the true number of groups: old rule {hits['old']}/{total} "
        f"surveys, new rule {hits['new']}/{total}; |k - true k| on average "
        f"{np.mean(off['old']):.2f} (old) and {np.mean(off['new']):.2f} (new), at most "
        f"{max(off['old'])} (old) and {max(off['new'])} (new)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
