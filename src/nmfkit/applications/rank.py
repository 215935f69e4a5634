"""``select_rank``: the usual criteria for choosing k, side by side, in one call.

For every rank, ``n_runs`` NMFs from random starts (each seeded by its own child of
``SeedSequence(random_state)``, so the survey is the same for any ``n_jobs``) give:

- ``cophenetic``, ``dispersion``: of the consensus matrix of the samples' (or
  features') dominant components (Brunet et al. 2004; Kim & Park 2007);
- ``stability``: silhouette of all runs' components grouped into k clusters (NMFk, cNMF);
- ``heldout_error``: hide a random 10 % of the entries, fit on the rest (weights 0 for
  the hidden ones), relative RMSE on the hidden ones; averaged over ``n_heldout`` masks
  (Owen & Perry 2009 discuss such cross-validation for matrix factorization). Dense X
  only;
- ``error`` and ``explained_variance`` of the best run, and ``error_permuted``: the same
  error on X with each column shuffled, the overfitting baseline of R's NMF rank survey.

``suggested_rank`` follows ``RULE`` (stated in ``select_rank``'s docstring and in
docs/rank.md); ``picks`` holds each criterion's own choice, by ``PICK_RULES``.
"""

import numbers

import numpy as np

from ..core.anndata import from_anndata
from ..estimators.nmf import NMF
from .consensus import (
    check_rank,
    consensus_matrix,
    cophenetic_correlation,
    dispersion,
    group_components,
    unit_rows,
)
from .metrics import explained_variance, relative_error

__all__ = ["select_rank", "RankSurvey", "CRITERIA", "RULE", "PICK_RULES", "check_rank"]

CRITERIA = ("consensus", "stability", "heldout", "error")
_HIDDEN = 0.1
RULE = (
    "stable and supported: the largest rank that the error criteria support (held-out "
    "error: one-standard-error rule; without it, the fall of the error against "
    "column-shuffled data) and that comes before the largest drop (over 0.01) of each "
    "stability criterion (cophenetic, stability) among the supported ranks"
)
PICK_RULES = {
    "cophenetic": "the rank before its largest drop over 0.01 (Brunet et al. 2004)",
    "dispersion": "the rank before its largest drop over 0.01 (Kim & Park 2007)",
    "stability": "the rank before its largest drop over 0.01 (Kotliar et al. 2019)",
    "heldout_error": "the smallest rank within one standard error of the lowest "
    "(Owen & Perry 2009)",
    "error": "the last rank whose added component lowers the squared error more than on "
    "column-shuffled X (Frigyesi & Hoglund 2008)",
}
# a fall of a stability criterion smaller than this is run-to-run noise, not a fall
# (the same data surveyed from three seeds with 10 runs per rank differ by 0.002-0.04)
_MIN_DROP = 0.01
# the bounded criteria: drawn on a fixed [0, 1] axis (an autoscaled 0.9985-1 range
# would make noise look like structure)
_BOUNDED = ("cophenetic", "dispersion", "stability", "explained_variance")


def _fit(X, k, seed, params, weights=None):
    model = NMF(k, init="random", random_state=np.random.default_rng(seed), **params)
    W = model.fit_transform(X, weights=weights) if weights is not None else model.fit_transform(X)
    return np.asarray(W), np.asarray(model.components_)


def _heldout(X, k, seed, params):
    """Relative RMSE on a random 10 % of the entries, fitted on the other 90 %.

    With solver='auto' and the Frobenius loss the fit uses 'bpp': on masked data its
    exact row solves converge in far fewer iterations than HALS (docs/design.md), and an
    unconverged fit would blur the comparison between ranks.
    """
    if params.get("solver", "auto") == "auto" and params.get("beta_loss", "frobenius") in (
        "frobenius",
        2,
        2.0,
    ):
        params = {**params, "solver": "bpp"}
    rng = np.random.default_rng(seed)
    hidden = rng.random(X.shape) < _HIDDEN
    W, H = _fit(X, k, seed, params, weights=(~hidden).astype(np.float64))
    truth = X[hidden]
    err = (W @ H)[hidden] - truth
    return float(np.sqrt(np.mean(err**2)) / max(np.sqrt(np.mean(truth**2)), 1e-300))


class RankSurvey:
    """What ``select_rank`` measured: one row per rank, and the suggested rank.

    Attributes
    ----------
    rows : list of dict
        One per rank: ``rank`` and each measured criterion.
    suggested_rank : int
        The rank ``rule`` gives.
    rule : str
        How ``suggested_rank`` was chosen (``RULE``).
    picks : dict
        Each measured criterion's own choice (``cophenetic``, ``dispersion``,
        ``stability``, ``heldout_error``, ``error``), by the rules in ``PICK_RULES``.
    """

    def __init__(self, rows, suggested_rank, picks=None, rule=RULE):
        self.rows = rows
        self.suggested_rank = suggested_rank
        self.picks = {} if picks is None else picks
        self.rule = rule

    @property
    def table(self):
        """The rows as a pandas DataFrame indexed by rank (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "RankSurvey.table needs pandas; use RankSurvey.rows instead."
            ) from None
        return pd.DataFrame(self.rows).set_index("rank")

    def plot(self, fig=None):
        """Every criterion against rank, one panel each (matplotlib); returns (fig, axes)."""
        from .plot import _pyplot

        plt = _pyplot()
        keys = [key for key in self.rows[0] if key != "rank"]
        if fig is None:
            fig = plt.figure(figsize=(3.2 * min(len(keys), 4), 2.8 * -(-len(keys) // 4)))
        else:
            fig.clear()
        axes = np.array(fig.subplots(-(-len(keys) // 4), min(len(keys), 4), squeeze=False)).ravel()
        ranks = [r["rank"] for r in self.rows]
        for ax, key in zip(axes, keys):
            ax.plot(ranks, [r[key] for r in self.rows], marker="o")
            if key == "error" and "error_permuted" in self.rows[0]:
                ax.plot(
                    ranks, [r["error_permuted"] for r in self.rows], marker="x", label="permuted X"
                )
                ax.legend(fontsize=7)
            if key == "heldout_error" and "heldout_se" in self.rows[0]:
                se = np.array([r["heldout_se"] for r in self.rows])
                ax.errorbar(ranks, [r[key] for r in self.rows], yerr=se, fmt="none", ecolor="C0")
            ax.axvline(self.suggested_rank, color="grey", linestyle=":")
            if key in self.picks:
                ax.axvline(
                    self.picks[key],
                    color="C3",
                    linestyle="--",
                    linewidth=0.8,
                    label=f"own pick {self.picks[key]}",
                )
                ax.legend(fontsize=7)
            shown = [r[key] for r in self.rows]
            if key == "error" and "error_permuted" in self.rows[0]:
                shown += [r["error_permuted"] for r in self.rows]
            if key == "heldout_error" and "heldout_se" in self.rows[0]:
                shown += [r[key] + sign * r["heldout_se"] for r in self.rows for sign in (-1, 1)]
            _limits(ax, key, shown)
            ax.set_title(key, fontsize=9)
            ax.set_xlabel("rank")
            ax.set_xticks(ranks)
        for ax in axes[len(keys) :]:
            ax.axis("off")
        fig.suptitle(
            f"suggested rank {self.suggested_rank} (dotted); each criterion's pick dashed",
            fontsize=9,
        )
        fig.tight_layout()
        return fig, axes


def _limits(ax, key, values):
    """Fixed [0, 1] for the bounded criteria; elsewhere a span of at least 10 % of the
    largest value, so that a nearly flat curve is drawn flat."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if key in _BOUNDED:
        ax.set_ylim(min(0.0, values.min(initial=0.0)) - 0.03, 1.03)
        return
    if not values.size:
        return
    lo, hi = values.min(), values.max()
    span = max(hi - lo, 0.1 * max(abs(hi), abs(lo), 1e-12))
    middle = (lo + hi) / 2
    ax.set_ylim(min(lo, middle - span / 2) - 0.05 * span, max(hi, middle + span / 2) + 0.05 * span)


def select_rank(
    X,
    ranks=range(2, 11),
    n_runs=30,
    criteria=CRITERIA,
    random_state=0,
    n_jobs=None,
    axis="samples",
    n_heldout=3,
    progress=None,
    layer=None,
    **nmf_params,
):
    """Run the rank criteria for every rank; return a ``RankSurvey``.

    The suggested rank is the largest rank on which the two kinds of criterion agree
    ("stable and supported"):

    1. *Supported*: the error criteria bound k from above. With the held-out error, the
       smallest rank within one standard error of the lowest (Owen & Perry 2009:
       beyond it, extra components fit noise); without it, the last rank whose added
       component lowers the squared error more than it does on X with each column
       shuffled (Frigyesi & Hoglund 2008); with neither, the largest rank.
    2. *Stable*: among the supported ranks (and the one after the bound), each
       stability criterion measured (the cophenetic correlation, Brunet et al. 2004;
       the silhouette of the components, Kotliar et al. 2019) picks the rank just
       before its largest drop, where it "begins to fall"; a criterion that never
       drops by more than 0.01 (run-to-run noise) picks the bound.

    The suggestion is the smallest of these picks. Reconstruction error alone keeps
    rewarding components that fit real but minor structure (on expression data it
    suggested 4-5 where the samples form 2-3 groups and the cophenetic correlation was
    1.0 at 2 and 3), and a stability curve alone can stay flat far beyond the
    structure the data hold; a rank both accept is reproducible and not noise. Each
    criterion's own pick is in ``RankSurvey.picks`` (rules in ``PICK_RULES``), to be
    read beside the suggestion.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Dense, non-negative (the held-out criterion hides entries of a dense X).
    ranks : iterable of int, default=range(2, 11)
    n_runs : int, default=30
        Random starts per rank (consensus, stability, error).
    criteria : iterable of {'consensus', 'stability', 'heldout', 'error'}
    random_state : int, default=0
    n_jobs : int or None, default=None
        joblib processes; the survey is the same for any value.
    axis : {'samples', 'features'}, default='samples'
        What the consensus matrix clusters.
    n_heldout : int, default=3
        Random masks for the held-out error.
    progress : callable, optional
        ``progress(done, total)`` after each fit, for progress displays.
    layer : str, optional
        With an ``anndata.AnnData`` as X: survey ``X.layers[layer]`` instead of ``X.X``.
    **nmf_params
        Passed to every :class:`nmfkit.NMF` (``beta_loss``, ``solver``, ``max_iter``, ...).

    Returns
    -------
    RankSurvey
        ``rows`` (one per rank), ``suggested_rank``, ``rule`` and ``picks``.

    Raises
    ------
    ValueError
        Before any fit, for a rank larger than min(n_samples, n_features) (a rank-k
        NMF has at most that many independent components), an unknown criterion, or
        X that is not finite and non-negative.

    Examples
    --------
    >>> from nmfkit import select_rank
    >>> from nmfkit.datasets import make_planted
    >>> X, _, _ = make_planted(40, 30, 3, noise=0.05, random_state=0)
    >>> survey = select_rank(X, ranks=[2, 3, 4], n_runs=3, random_state=0, max_iter=100)
    >>> survey.suggested_rank
    3
    >>> sorted(survey.picks)
    ['cophenetic', 'dispersion', 'error', 'heldout_error', 'stability']
    """
    from sklearn.utils.parallel import Parallel, delayed

    X = from_anndata(X, layer, "select_rank")
    ranks = sorted({int(r) for r in ranks})  # the criteria read "the next rank" in order
    criteria = tuple(criteria)
    unknown = set(criteria) - set(CRITERIA)
    if unknown:
        raise ValueError(
            f"select_rank: unknown criteria {sorted(unknown)}; choose among {CRITERIA}."
        )
    if not ranks or min(ranks) < 1:
        raise ValueError(f"select_rank: ranks must be positive integers, got {ranks}.")
    if not isinstance(n_runs, numbers.Integral) or n_runs < 2:
        raise ValueError(f"select_rank: n_runs must be an integer >= 2, got {n_runs!r}.")
    import scipy.sparse as sp

    from ..arrays.engines import check_sparse

    if sp.issparse(X):
        check_sparse(X, "select_rank", "X")  # before any conversion reads its indices
    X = sp.csr_matrix(X, dtype=np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    values = X.data if sp.issparse(X) else X
    if X.ndim != 2 or (values.size and values.min() < 0) or not np.isfinite(values).all():
        raise ValueError("select_rank: X must be a finite, non-negative 2-D array.")
    check_rank("select_rank", ranks, X.shape, "lower the largest of ranks")
    if "heldout" in criteria and sp.issparse(X):
        raise ValueError(
            "select_rank: the 'heldout' criterion hides entries of a dense X; pass X as a "
            "dense array, or leave 'heldout' out of criteria for sparse data."
        )
    need_runs = bool({"consensus", "stability", "error"} & set(criteria))
    root = np.random.SeedSequence(random_state)
    per_rank = root.spawn(len(ranks))
    jobs, keys = [], []
    for rank, seq in zip(ranks, per_rank):
        # spawn once: a SeedSequence hands out new children at every call
        run_seeds, heldout_seeds, permute_seed = seq.spawn(3)
        for r, s in enumerate(run_seeds.spawn(n_runs) if need_runs else []):
            jobs.append(delayed(_fit)(X, rank, s, nmf_params))
            keys.append((rank, "run", r))
        if "heldout" in criteria:
            for r, s in enumerate(heldout_seeds.spawn(n_heldout)):
                jobs.append(delayed(_heldout)(X, rank, s, nmf_params))
                keys.append((rank, "heldout", r))
        if "error" in criteria:
            jobs.append(delayed(_permuted_error)(X, rank, permute_seed, nmf_params))
            keys.append((rank, "permuted", 0))
    results = []
    for result in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
        results.append(result)
        if progress is not None:
            progress(len(results), len(jobs))
    by = {}
    for key, value in zip(keys, results):
        by.setdefault((key[0], key[1]), []).append(value)
    rows = []
    for rank in ranks:
        runs = by.get((rank, "run"), [])
        row = {"rank": rank}
        if "consensus" in criteria:
            labels = [W.argmax(axis=1) if axis == "samples" else H.argmax(axis=0) for W, H in runs]
            C = consensus_matrix(labels)
            row["cophenetic"] = cophenetic_correlation(C)
            row["dispersion"] = dispersion(C)
        if "stability" in criteria:
            U = unit_rows(np.vstack([H for _, H in runs]))
            if rank == 1:
                row["stability"] = 1.0
            else:
                silhouette = group_components(U, rank, 0)[1]
                row["stability"] = 0.0 if silhouette is None else silhouette
        if "heldout" in criteria:
            errs = np.array(by[(rank, "heldout")])
            row["heldout_error"] = float(errs.mean())
            row["heldout_se"] = (
                float(errs.std(ddof=1) / np.sqrt(len(errs))) if len(errs) > 1 else 0.0
            )
        if "error" in criteria:
            errors = [relative_error(X, W, H) for W, H in runs]
            best = int(np.argmin(errors))
            row["error"] = errors[best]
            row["explained_variance"] = explained_variance(X, *runs[best])
            row["error_permuted"] = by[(rank, "permuted")][0]
        rows.append(row)
    picks = _picks(rows)
    return RankSurvey(rows, _suggest(rows, picks), picks)


def _permuted_error(X, k, seed, params):
    """Relative error of a fit to X with each column shuffled (shuffled in the worker)."""
    Xp = _permuted(X, seed)
    return relative_error(Xp, *_fit(Xp, k, seed, params))


def _permuted(X, seed):
    """X with each column's entries shuffled among the rows (sparse X stays sparse)."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    if not sp.issparse(X):
        return np.column_stack([rng.permutation(col) for col in X.T])
    C = sp.csc_matrix(X, copy=True)
    n = C.shape[0]
    for j in range(C.shape[1]):
        lo, hi = C.indptr[j], C.indptr[j + 1]
        C.indices[lo:hi] = np.sort(rng.choice(n, hi - lo, replace=False))
        C.data[lo:hi] = rng.permutation(C.data[lo:hi])
    return C.tocsr()


def _drop_pick(rows, key, upto=None):
    """The rank just before the largest drop of ``key`` (from a rank to the next),
    among ranks <= ``upto``; ``upto`` (or the last rank) when it never drops by more
    than ``_MIN_DROP``."""
    upto = rows[-1]["rank"] if upto is None else upto
    pick, largest = upto, _MIN_DROP
    for a, b in zip(rows, rows[1:]):
        if a["rank"] > upto:
            break
        drop = a[key] - b[key]
        if drop > largest:
            pick, largest = a["rank"], drop
    return pick


def _one_se(rows):
    """The smallest rank whose held-out error is within one SE of the lowest."""
    best = min(rows, key=lambda r: (r["heldout_error"], r["rank"]))
    limit = best["heldout_error"] + best["heldout_se"]
    return min(r["rank"] for r in rows if r["heldout_error"] <= limit)


def _beats_permuted(rows):
    """The last rank before the first whose added component lowers the squared
    relative error less than it does on column-shuffled X (Frigyesi & Hoglund 2008:
    the fall of the residual sum of squares, both over the same ‖X‖²)."""
    for a, b in zip(rows, rows[1:]):
        gain = a["error"] ** 2 - b["error"] ** 2
        if gain < a["error_permuted"] ** 2 - b["error_permuted"] ** 2:
            return a["rank"]
    return rows[-1]["rank"]


def _picks(rows):
    """Each measured criterion's own rank (``PICK_RULES``)."""
    picks = {}
    for key in ("cophenetic", "dispersion", "stability"):
        if key in rows[0]:
            picks[key] = _drop_pick(rows, key)
    if "heldout_error" in rows[0]:
        picks["heldout_error"] = _one_se(rows)
    if "error" in rows[0]:
        picks["error"] = _beats_permuted(rows)
    return picks


def _suggest(rows, picks):
    """``RULE``: the supported bound, lowered to where a stability criterion drops."""
    bound = picks.get("heldout_error", picks.get("error", rows[-1]["rank"]))
    stable = [_drop_pick(rows, key, bound) for key in ("cophenetic", "stability") if key in rows[0]]
    return min([bound, *stable])
