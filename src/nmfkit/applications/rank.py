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

``suggested_rank`` is the smallest rank whose held-out error is within one standard error
(over the masks) of the smallest one (the one-standard-error rule), when it is measured;
else the rank just before the largest drop of the cophenetic correlation (Brunet et al.).
"""

import numbers

import numpy as np

from ..core.anndata import from_anndata
from ..estimators.nmf import NMF
from .consensus import (
    consensus_matrix,
    cophenetic_correlation,
    dispersion,
    group_components,
    unit_rows,
)
from .metrics import explained_variance, relative_error

__all__ = ["select_rank", "RankSurvey", "CRITERIA"]

CRITERIA = ("consensus", "stability", "heldout", "error")
_HIDDEN = 0.1


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
    """

    def __init__(self, rows, suggested_rank):
        self.rows = rows
        self.suggested_rank = suggested_rank

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
            ax.axvline(self.suggested_rank, color="grey", linestyle=":")
            ax.set_title(key, fontsize=9)
            ax.set_xlabel("rank")
        for ax in axes[len(keys) :]:
            ax.axis("off")
        fig.tight_layout()
        return fig, axes


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
    """
    from sklearn.utils.parallel import Parallel, delayed

    X = from_anndata(X, layer, "select_rank")
    ranks = [int(r) for r in ranks]
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
    return RankSurvey(rows, _suggest(rows))


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


def _suggest(rows):
    if "heldout_error" in rows[0]:
        # one-standard-error rule: the smallest rank within one SE of the best
        best = min(rows, key=lambda r: (r["heldout_error"], r["rank"]))
        limit = best["heldout_error"] + best["heldout_se"]
        return min(r["rank"] for r in rows if r["heldout_error"] <= limit)
    if "cophenetic" in rows[0] and len(rows) > 1:
        drops = [rows[i]["cophenetic"] - rows[i + 1]["cophenetic"] for i in range(len(rows) - 1)]
        return rows[int(np.argmax(drops))]["rank"]
    return rows[0]["rank"]
