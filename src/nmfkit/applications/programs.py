"""``GeneProgramNMF``: the cNMF workflow for single-cell counts in one estimator.

Kotliar et al. 2019 (cNMF, doi:10.7554/eLife.43803), step by step as ``fit`` runs it:

1. Counts (cells × genes, raw: an AnnData's X or a layer) are TPM-normalized; the
   ``n_top_genes`` most over-dispersed genes are kept, and their counts are scaled to
   unit variance without centring (a sparse matrix stays sparse).
2. For every k in ``n_components``, ``n_runs`` NMF runs from random starts; run r of
   rank k starts from ``SeedSequence(random_state, spawn_key=(k, r))``, so a run is
   the same whatever else runs, in any order, on any number of processes. With
   ``checkpoint=folder`` each finished run is written there at once, and a fit started
   again (after a crash or Ctrl-C) loads the finished runs and runs only the rest.
3. Per k: the runs' components, scaled to unit norm, are pooled; the k-selection
   statistics are the silhouette of their k-means grouping (stability) and the error of
   the consensus (cNMF's two curves); ``choose_k`` picks the k where the error levels
   off most sharply, weighted by stability.
4. For the chosen k: outlier components (mean distance to their nearest neighbours
   above ``density_threshold``) are dropped, the rest grouped by k-means, each group's
   median is a consensus program; usages are refitted by exact non-negative least
   squares; programs are refitted on the TPM of every gene (``spectra_tpm_``) and
   scored as z-scores (``spectra_scores_``); usages are refitted a last time on the
   scaled TPM of the genes used (cNMF's default).
"""

import hashlib
import json
import numbers
import os

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..core.anndata import from_anndata, is_anndata
from ..core.files import write_atomic
from ..core.io import read_npz, write_npz
from ..core.validation import NONE, RANDOM_STATE, Interval, Options, validate_params
from ..estimators.nmf import NMF
from .consensus import consensus_components
from .metrics import _residual_sq
from .singlecell import (
    gene_mean_var,
    gene_scores,
    nnls_rows,
    normalize_total,
    overdispersed_genes,
    poisson_spectra,
    scale_genes,
)

__all__ = ["GeneProgramNMF", "choose_k"]

_RUN_FORMAT = "nmfkit-program-run"


def _run_seed(root, k, run):
    return np.random.SeedSequence(root, spawn_key=(int(k), int(run)))


def _one_run(X, k, seed, params):
    model = NMF(k, init="random", random_state=np.random.default_rng(seed), **params)
    model.fit(X)
    return np.asarray(model.components_, dtype=np.float64), float(model.reconstruction_err_)


def choose_k(ks, stability, error, tolerance=0.05):
    """The k the two k-selection curves point to.

    cNMF plots stability and error against k and leaves k to the eye: take a k where
    the error stops falling fast and the runs agree. Made explicit: with the error's
    fall per added component ``d`` between neighbouring ks, each inner k scores
    ``d(before k) / d(after k)`` (how sharply the error levels off there: about 1 on a
    smooth curve, large at an elbow) times its stability; the best score wins. With
    fewer than three ks there is no elbow to find, and the largest k whose stability is
    within ``tolerance`` of the best is taken.

    Parameters
    ----------
    ks : sequence of int, increasing
    stability : sequence of float
    error : sequence of float
    tolerance : float, default=0.05

    Returns
    -------
    k : int
    """
    ks = np.asarray(ks)
    # an undefined (NaN) or negative silhouette counts as no agreement at all
    stability = np.maximum(np.nan_to_num(np.asarray(stability, dtype=float), nan=0.0), 0.0)
    error = np.asarray(error, dtype=float)
    if len(ks) < 3:
        return int(ks[stability >= np.max(stability) - tolerance].max())
    fall = -np.diff(error) / np.diff(ks)
    positive = fall[fall > 0]
    # a fall of about 0 (or a rise, at large k) would make any ratio huge: floor it
    floor = 1e-3 * (np.median(positive) if positive.size else 1.0)
    fall = np.maximum(fall, floor)
    score = fall[:-1] / fall[1:] * stability[1:-1]
    return int(ks[1:-1][np.argmax(score)])


class GeneProgramNMF(TransformerMixin, BaseEstimator):
    """Gene expression programs of single-cell counts, as cNMF finds them (see the
    module docstring).

    Parameters
    ----------
    n_components : int or sequence of int
        k, or the ks to choose from (by ``choose_k`` on the k-selection curves).
    n_runs : int, default=100
        NMF runs from random starts per k.
    n_top_genes : int or None, default=2000
        Over-dispersed genes to factorize (None: every gene).
    density_threshold : float, default=0.5
        Largest mean distance of a unit-norm component to its nearest neighbours
        for it to be kept (2: keep every one).
    local_neighborhood_size : float, default=0.3
        Neighbours in the density test, as a share of ``n_runs``.
    stability_tolerance : float, default=0.05
        Of ``choose_k`` (used when fewer than three ks are given).
    chosen_k : int or None, default=None
        The k to build the programs at, one of ``n_components``, instead of the one
        ``choose_k`` picks (the k-selection table still covers every k).
    spectra_refit : {'poisson', 'least-squares'}, default='poisson'
        How ``spectra_tpm_`` is fitted with the usages fixed: cNMF's least squares on
        TPM ('least-squares'), or that followed by 20 multiplicative updates toward the
        Poisson likelihood of the counts ('poisson'; see ``poisson_spectra``). The final
        usages are refitted against the least-squares programs either way, as cNMF does.
    beta_loss, solver, max_iter, tol
        Of every run's :class:`nmfkit.NMF` (cNMF: Frobenius, tol 1e-4, at most 1000
        iterations).
    random_state : int or None, default=None
    n_jobs : int or None, default=None
        Parallel runs (joblib processes); results do not depend on it.
    checkpoint : str or None, default=None
        Folder that keeps every finished run; a fit started again resumes from it.
    progress : callable or None, default=None
        ``progress(done, total)`` after each run.

    Attributes
    ----------
    n_components_ : int
        The k chosen.
    genes_ : ndarray of int
        Columns of X factorized (the over-dispersed genes).
    components_ : ndarray of shape (n_components_, len(genes_))
        Consensus programs over ``genes_`` in scaled-count units, each summing to 1.
    spectra_tpm_ : ndarray of shape (n_components_, n_genes)
        Programs in TPM, every gene.
    spectra_scores_ : ndarray of shape (n_components_, n_genes)
        Programs as z-score coefficients, every gene.
    usages_ : ndarray of shape (n_cells, n_components_)
        Usage of each program by each cell; rows sum to 1.
    k_selection_ : dict of ndarrays
        ``k``, ``stability`` (silhouette of all runs' components) and ``error``
        (‖X − W H‖² of the consensus on the scaled counts), one entry per k.
    stability_ : float
        Silhouette of the chosen k's grouping after the density filter (NaN where it
        is undefined: k = 1, or fewer than two groups left).
    n_outliers_ : int
    """

    _parameter_constraints = {
        "n_runs": [Interval(numbers.Integral, 2, None, "left")],
        "n_top_genes": [Interval(numbers.Integral, 1, None, "left"), NONE],
        "density_threshold": [Interval(numbers.Real, 0, 2, "both")],
        "local_neighborhood_size": [Interval(numbers.Real, 0, 1, "right")],
        "stability_tolerance": [Interval(numbers.Real, 0, None, "left")],
        "chosen_k": [Interval(numbers.Integral, 1, None, "left"), NONE],
        "beta_loss": [Options(["frobenius"])],
        "spectra_refit": [Options(["poisson", "least-squares"])],
        "random_state": [RANDOM_STATE],
    }

    def __init__(
        self,
        n_components,
        *,
        n_runs=100,
        n_top_genes=2000,
        density_threshold=0.5,
        local_neighborhood_size=0.3,
        stability_tolerance=0.05,
        chosen_k=None,
        spectra_refit="poisson",
        beta_loss="frobenius",
        solver="auto",
        max_iter=1000,
        tol=1e-4,
        random_state=None,
        n_jobs=None,
        checkpoint=None,
        progress=None,
    ):
        self.n_components = n_components
        self.n_runs = n_runs
        self.n_top_genes = n_top_genes
        self.density_threshold = density_threshold
        self.local_neighborhood_size = local_neighborhood_size
        self.stability_tolerance = stability_tolerance
        self.chosen_k = chosen_k
        self.spectra_refit = spectra_refit
        self.beta_loss = beta_loss
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.checkpoint = checkpoint
        self.progress = progress

    # -- checks ------------------------------------------------------------------------
    def _ks(self):
        ks = self.n_components
        ks = [ks] if isinstance(ks, numbers.Integral) else list(ks)
        if not ks or not all(isinstance(k, numbers.Integral) and k >= 1 for k in ks):
            raise ValueError(
                "GeneProgramNMF: n_components (the command line's -k) must be a positive "
                f"int or several (e.g. range(7, 13), or -k 7-12), got {self.n_components!r}."
            )
        return sorted({int(k) for k in ks})

    def _counts(self, X, layer, caller):
        names = list(X.var_names) if is_anndata(X) else None
        M = from_anndata(X, layer, caller)
        if not sparse.issparse(M):
            M = np.asarray(M)
        if M.ndim != 2:
            raise ValueError(f"{caller}: expected a cells × genes matrix, got shape {M.shape}.")
        values = M.data if sparse.issparse(M) else M
        if values.size and (not np.all(np.isfinite(values)) or values.min() < 0):
            raise ValueError(
                f"{caller}: counts must be finite and non-negative; pass the raw counts "
                "(an AnnData's raw counts layer with layer=...)."
            )
        return (sparse.csr_matrix(M) if sparse.issparse(M) else M), names

    # -- fit ---------------------------------------------------------------------------
    def fit(self, X, y=None, layer=None):
        """Prepare the counts, run every factorization, choose k and build the programs.

        Parameters
        ----------
        X : {array-like, sparse matrix, AnnData} of shape (n_cells, n_genes)
            Raw counts (not log-transformed, not scaled).
        y : Ignored
        layer : str, optional
            With an AnnData: use ``X.layers[layer]`` instead of ``X.X``.

        Returns
        -------
        self : GeneProgramNMF
        """
        caller = "GeneProgramNMF.fit"
        validate_params("GeneProgramNMF", self.get_params(), self._parameter_constraints)
        ks = self._ks()
        if self.chosen_k is not None and self.chosen_k not in ks:
            raise ValueError(
                f"{caller}: chosen_k={self.chosen_k} is not one of the ks {ks}; add it to "
                "n_components (the command line: -k), or leave chosen_k=None."
            )
        counts, names = self._counts(X, layer, caller)
        self._root = self._resolve_root()
        self._check_counts(counts, names, caller)
        tpm = normalize_total(counts)
        genes = overdispersed_genes(tpm, self.n_top_genes or counts.shape[1])
        norm = counts[:, genes]
        _, var = gene_mean_var(norm, ddof=1)
        norm = scale_genes(norm, np.sqrt(var))  # a constant gene (std 0) keeps its scale
        dead = np.flatnonzero(np.asarray(norm.sum(axis=1)).ravel() == 0)
        if dead.size:
            raise ValueError(
                f"{caller}: {dead.size} cells have no counts in the {len(genes)} genes "
                f"used (e.g. rows {dead[:3].tolist()}); drop them, or raise n_top_genes."
            )
        most = min(norm.shape)
        if ks[-1] > most:
            raise ValueError(
                f"{caller}: k={ks[-1]} is more than the data allow (at most "
                f"min(cells, genes used) = {most}); lower n_components."
            )
        # the runs in float32: half the memory traffic, the same consensus (the final
        # refits below are float64)
        runs = self._all_runs(norm.astype(np.float32), ks)
        table = {"k": [], "stability": [], "error": []}
        for k in ks:
            # every component (density 2 keeps all), as cNMF's k-selection plot takes them
            H, _, stability = self._consensus(runs[k], k, density=2.0)
            W = nnls_rows(norm, H)
            table["k"].append(k)
            table["stability"].append(stability)
            table["error"].append(max(_residual_sq(norm, W, H), 0.0))
        self.k_selection_ = {key: np.asarray(v) for key, v in table.items()}
        k = self.chosen_k or choose_k(
            table["k"], table["stability"], table["error"], self.stability_tolerance
        )
        self._finish(counts, tpm, norm, genes, runs[k], k)
        return self

    def fit_transform(self, X, y=None, layer=None):
        """Fit and return ``usages_`` (cells × programs, rows summing to 1)."""
        return self.fit(X, layer=layer).usages_

    def _check_counts(self, counts, names, caller):
        totals = np.asarray(counts.sum(axis=0)).ravel()
        empty = np.flatnonzero(totals == 0)
        if empty.size:
            shown = [names[i] for i in empty[:3]] if names else empty[:3].tolist()
            raise ValueError(
                f"{caller}: {empty.size} genes have no counts in any cell (e.g. {shown}); "
                "drop them first, e.g. scanpy.pp.filter_genes(adata, min_counts=1), or keep "
                "the columns whose sum is above 0."
            )
        cells = np.flatnonzero(np.asarray(counts.sum(axis=1)).ravel() == 0)
        if cells.size:
            raise ValueError(
                f"{caller}: {cells.size} cells have no counts (e.g. rows "
                f"{cells[:3].tolist()}); drop them first (scanpy.pp.filter_cells(adata, "
                "min_counts=1))."
            )

    def _kmeans_seed(self):
        return int(np.random.SeedSequence(self._root).generate_state(1)[0])

    def _nmf_params(self):
        return dict(
            beta_loss=self.beta_loss, solver=self.solver, max_iter=self.max_iter, tol=self.tol
        )

    def _consensus(self, H_runs, k, density):
        """(consensus programs summing to 1, components kept, silhouette or NaN where
        it is undefined: k = 1, or fewer than two groups left)."""
        n_neighbors = max(1, int(self.local_neighborhood_size * self.n_runs))
        H, keep, silhouette = consensus_components(
            np.vstack(H_runs), k, n_neighbors, density, self._kmeans_seed()
        )
        H = H / np.maximum(H.sum(axis=1, keepdims=True), 1e-300)
        return H, keep, np.nan if silhouette is None else float(silhouette)

    def _finish(self, counts, tpm, norm, genes, H_runs, k):
        H, keep, stability = self._consensus(H_runs, k, self.density_threshold)
        W = nnls_rows(norm, H)
        shares = W / np.maximum(W.sum(axis=1, keepdims=True), 1e-300)
        order = np.argsort(-shares.sum(axis=0), kind="stable")
        H, W, shares = H[order], W[:, order], shares[:, order]
        # programs in TPM for every gene, usages (shares) fixed: cNMF's least squares
        least_squares = nnls_rows(tpm.T, shares.T).T
        scores = gene_scores(W, tpm)
        # the last refit of usages, on the TPM of the genes used scaled by their standard
        # deviation, against the least-squares programs (cNMF's default)
        tpm_used = tpm[:, genes]
        _, var = gene_mean_var(tpm_used)
        self._tpm_scale = np.where(var > 0, np.sqrt(var), 1.0)
        self._refit_H = least_squares[:, genes] / self._tpm_scale
        usages = self._usages(tpm_used)
        spectra_tpm = least_squares
        if self.spectra_refit == "poisson":  # the programs reported: toward the likelihood
            spectra_tpm = poisson_spectra(counts, shares, least_squares)
        self.n_components_ = k
        self.genes_ = genes
        self.components_ = H
        self.spectra_tpm_ = spectra_tpm
        self.spectra_scores_ = scores
        self.usages_ = usages
        self.stability_ = float(stability)
        self.n_outliers_ = int((~keep).sum())
        self.n_features_in_ = counts.shape[1]

    def transform(self, X, layer=None):
        """Usages of the fitted programs in new cells (rows summing to 1).

        Parameters
        ----------
        X : {array-like, sparse matrix, AnnData} of shape (n_cells, n_genes)
            Raw counts of the same genes, in the same order, as in ``fit``.
        layer : str, optional

        Returns
        -------
        usages : ndarray of shape (n_cells, n_components_)
        """
        check_is_fitted(self)
        counts, _ = self._counts(X, layer, "GeneProgramNMF.transform")
        if counts.shape[1] != self.n_features_in_:
            raise ValueError(
                f"GeneProgramNMF.transform: X has {counts.shape[1]} genes; the model was "
                f"fitted on {self.n_features_in_}. Pass the same genes in the same order."
            )
        tpm = normalize_total(counts)[:, self.genes_]
        dead = np.flatnonzero(np.asarray(tpm.sum(axis=1)).ravel() == 0)
        if dead.size:
            raise ValueError(
                f"GeneProgramNMF.transform: {dead.size} cells have no counts in the "
                f"{len(self.genes_)} genes of the programs (e.g. rows {dead[:3].tolist()}); "
                "they have no usages to find: drop them."
            )
        return self._usages(tpm)

    def _usages(self, tpm_used):
        """cNMF's last refit: usages of the TPM of the genes used, scaled by their
        standard deviation, against the least-squares programs; rows summing to 1."""
        usages = nnls_rows(scale_genes(tpm_used, self._tpm_scale), self._refit_H)
        return usages / np.maximum(usages.sum(axis=1, keepdims=True), 1e-300)

    # -- runs --------------------------------------------------------------------------
    def _fingerprint(self, X):
        digest = hashlib.sha256()
        for part in (X.data, X.indices, X.indptr) if sparse.issparse(X) else (X,):
            digest.update(memoryview(np.ascontiguousarray(part)).cast("B"))
        params = dict(self._nmf_params(), root=self._root, shape=list(X.shape))
        digest.update(json.dumps(params, sort_keys=True).encode())
        return digest.hexdigest()

    def _resolve_root(self):
        """The root seed of every run: ``random_state`` itself when an int; else one
        drawn from the Generator or RandomState given, or fresh entropy for None. A
        checkpoint folder keeps a drawn root (``root.json``), so that a fit started
        again draws the same runs and resumes."""
        state = self.random_state
        if isinstance(state, numbers.Integral):
            return int(state)
        path = os.path.join(self.checkpoint, "root.json") if self.checkpoint else None
        if path and os.path.exists(path):
            with open(path) as f:
                return int(json.load(f)["root"])
        if isinstance(state, np.random.Generator):
            root = int(state.integers(2**63))
        elif isinstance(state, np.random.RandomState):
            root = int(state.randint(2**31))
        else:
            root = int(np.random.SeedSequence().entropy)
        if path:
            os.makedirs(self.checkpoint, exist_ok=True)
            text = json.dumps({"root": root}).encode()
            write_atomic(path, lambda f: f.write(text))
        return root

    def _run_path(self, k, run):
        return os.path.join(self.checkpoint, f"k{k}", f"run{run:05d}.npz")

    def _load_run(self, path, k, fingerprint):
        fix = "delete it, or use a fresh checkpoint folder."
        meta, arrays = read_npz(path, _RUN_FORMAT, 1, "GeneProgramNMF.fit", fix)
        if meta.get("data") != fingerprint:
            raise ValueError(
                f"GeneProgramNMF.fit: {path!r} holds a run of other data or parameters "
                "(counts, genes, random_state, solver, max_iter or tol changed); use a fresh "
                "checkpoint folder for this fit (from the command line: another --out), or "
                "delete that one."
            )
        H = arrays.get("H")
        if H is None or H.shape[0] != k:
            raise ValueError(f"GeneProgramNMF.fit: {path!r} is not a run of k={k}; {fix}")
        return H

    def _all_runs(self, X, ks):
        """Every run's components, {k: [H of each run]}: loaded from the checkpoint
        folder where finished, run (in parallel) and saved at once otherwise."""
        from sklearn.utils.parallel import Parallel, delayed

        fingerprint = self._fingerprint(X) if self.checkpoint else None
        runs = {k: [None] * self.n_runs for k in ks}
        todo = []
        for k in ks:
            for r in range(self.n_runs):
                path = self._run_path(k, r) if self.checkpoint else None
                if path and os.path.exists(path):
                    runs[k][r] = self._load_run(path, k, fingerprint)
                else:
                    todo.append((k, r))
        total, done = len(ks) * self.n_runs, len(ks) * self.n_runs - len(todo)
        if self.progress is not None:
            self.progress(done, total)
        if self.checkpoint:
            for k in ks:
                os.makedirs(os.path.join(self.checkpoint, f"k{k}"), exist_ok=True)
        params, root = self._nmf_params(), self._root
        jobs = []
        if todo:  # (no pool at all when every run was loaded)
            jobs = Parallel(n_jobs=self.n_jobs, return_as="generator")(
                delayed(_one_run)(X, k, _run_seed(root, k, r), params) for k, r in todo
            )
        for (k, r), (H, err) in zip(todo, jobs):
            runs[k][r] = H
            if self.checkpoint:
                meta = {"format": _RUN_FORMAT, "format_version": 1, "k": k, "run": r}
                meta.update(data=fingerprint, error=err)
                write_npz(self._run_path(k, r), {"H": H}, meta)
            done += 1
            if self.progress is not None:
                self.progress(done, total)
        return runs

    def plot_k_selection(self, ax=None):
        """cNMF's k-selection plot: stability and error against k (needs matplotlib)."""
        from .plot import k_selection

        check_is_fitted(self)
        return k_selection(self.k_selection_, self.n_components_, ax=ax)
