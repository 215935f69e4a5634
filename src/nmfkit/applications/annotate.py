"""AnnData out: a fitted model's results written into an ``anndata.AnnData``, the way
scanpy stores its own (``sc.pp.pca`` writes ``obsm['X_pca']``, ``varm['PCs']``,
``uns['pca']``).

=====================  ==========================================================
model                  written (``key`` defaults to 'nmf', 'cnmf' or 'nmf_rank')
=====================  ==========================================================
NMF, MiniBatchNMF,     ``obsm['X_<key>']`` cell weights W (cells × k),
ConsensusNMF           ``varm['<key>_components']`` H transposed (genes × k),
                       ``uns['<key>']`` parameters (JSON text) and fit figures
GeneProgramNMF         ``obsm['X_<key>']`` usages (rows sum to 1),
                       ``varm['<key>_spectra_tpm']``, ``varm['<key>_spectra_scores']``
                       (genes × k), ``var['<key>_used']`` (the genes factorized),
                       ``uns['<key>']`` parameters, k and the k-selection table
RankSurvey             ``uns['<key>']``: one array per criterion, by rank
=====================  ==========================================================

Only small dense arrays are added; X and the layers are left as they are.
"""

import json

import numpy as np

from ..core.anndata import is_anndata, read_h5ad

__all__ = ["to_anndata", "read_h5ad"]


def _params(model):
    params = {k: v for k, v in model.get_params(deep=False).items() if not callable(v)}
    return json.dumps(params, default=repr, sort_keys=True)


def _weights(model, adata, layer):
    W = getattr(model, "W_", None)
    if W is None or np.shape(W)[0] != adata.n_obs:
        W = model.transform(adata, layer=layer)
    return np.asarray(W, dtype=np.float64)


def to_anndata(model, adata, key=None, layer=None):
    """Write ``model``'s results into ``adata`` (in place; see the module docstring).

    Parameters
    ----------
    model : fitted NMF, MiniBatchNMF, ConsensusNMF or GeneProgramNMF, or a RankSurvey
    adata : anndata.AnnData
        The object the model was fitted on (same cells and genes).
    key : str, optional
        Name of the entries ('nmf', 'cnmf' for GeneProgramNMF, 'nmf_rank' for a survey).
    layer : str, optional
        The layer the model was fitted on, for a W computed afresh (``transform``).

    Returns
    -------
    adata : anndata.AnnData
    """
    if not is_anndata(adata):
        raise TypeError(
            f"to_anndata: adata must be an anndata.AnnData, got {type(adata).__name__}."
        )
    kind = type(model).__name__
    if kind == "RankSurvey":
        key = key or "nmf_rank"
        names = [name for name in model.rows[0] if name != "rank"]
        table = {"rank": np.array([row["rank"] for row in model.rows])}
        for name in names:
            table[name] = np.array(
                [np.nan if row[name] is None else row[name] for row in model.rows]
            )
        adata.uns[key] = {"table": table, "suggested_rank": int(model.suggested_rank)}
        return adata
    if not hasattr(model, "components_"):
        raise ValueError(f"to_anndata: this {kind} is not fitted; call fit first.")
    if kind == "GeneProgramNMF":
        key = key or "cnmf"
        _expect(adata, model.usages_.shape[0], model.n_features_in_, kind)
        adata.obsm[f"X_{key}"] = np.asarray(model.usages_, dtype=np.float64)
        adata.varm[f"{key}_spectra_tpm"] = model.spectra_tpm_.T.copy()
        adata.varm[f"{key}_spectra_scores"] = model.spectra_scores_.T.copy()
        used = np.zeros(adata.n_vars, dtype=bool)
        used[model.genes_] = True
        adata.var[f"{key}_used"] = used
        adata.uns[key] = {
            "params": _params(model),
            "k": int(model.n_components_),
            "stability": float(model.stability_),
            "n_outliers": int(model.n_outliers_),
            "k_selection": {name: np.asarray(v) for name, v in model.k_selection_.items()},
        }
        return adata
    key = key or "nmf"
    H = np.asarray(model.components_, dtype=np.float64)
    _expect(adata, None, H.shape[1], kind)
    adata.obsm[f"X_{key}"] = _weights(model, adata, layer)
    adata.varm[f"{key}_components"] = H.T.copy()
    uns = {"params": _params(model), "n_components": int(H.shape[0])}
    err = getattr(model, "reconstruction_err_", None)
    if err is not None:
        uns["reconstruction_err"] = float(err)
    adata.uns[key] = uns
    return adata


def _expect(adata, n_obs, n_vars, kind):
    if n_vars != adata.n_vars or (n_obs is not None and n_obs != adata.n_obs):
        raise ValueError(
            f"to_anndata: the {kind} was fitted on {n_obs or '?'} cells × {n_vars} genes, "
            f"but the AnnData has {adata.n_obs} × {adata.n_vars}; pass the object it was "
            "fitted on."
        )
