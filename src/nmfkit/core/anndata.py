"""AnnData in: the matrix an estimator fits, taken from an ``anndata.AnnData``.

Single-cell data live in AnnData objects (cells × genes, scanpy's convention, which is
also scikit-learn's orientation). ``NMF``, ``MiniBatchNMF``, ``ConsensusNMF``,
``select_rank`` and ``GeneProgramNMF`` accept one in X's place and read ``.X`` or, with
``layer=``, ``.layers[layer]``, as it is stored: a sparse matrix stays sparse.
``anndata`` is never imported here: an object is known by its class, so ``import
nmfkit`` stays free of it.
"""

import numpy as np

__all__ = ["is_anndata", "from_anndata", "read_h5ad"]


def is_anndata(X):
    """True for an ``anndata.AnnData`` (or a view of one), without importing anndata."""
    return any(
        c.__name__ == "AnnData" and c.__module__.split(".")[0] == "anndata" for c in type(X).__mro__
    )


def from_anndata(X, layer, caller):
    """The matrix to fit: X itself, or an AnnData's ``.X`` or ``.layers[layer]``.

    Raises ValueError, naming the fix, for a layer that is not there, a missing ``.X``,
    a ``layer`` given with a plain matrix, or negative values in the chosen matrix
    (scaled or centred data: NMF needs the counts or normalized counts).
    """
    if not is_anndata(X):
        if layer is not None:
            raise ValueError(
                f"{caller}: layer={layer!r} names a layer of an AnnData, but X is a "
                f"{type(X).__name__}; pass the AnnData, or leave layer=None."
            )
        return X
    layers = sorted(X.layers.keys())
    if layer is None:
        M, where = X.X, "X"
        if M is None:
            raise ValueError(
                f"{caller}: the AnnData has no X; pass layer= one of its layers {layers}."
            )
    else:
        if layer not in X.layers:
            raise ValueError(
                f"{caller}: the AnnData has no layer {layer!r}; its layers are {layers} "
                "(pass one of them, or layer=None for X)."
            )
        M, where = X.layers[layer], f"layer {layer!r}"
    if hasattr(M, "to_memory"):  # a backed sparse dataset
        M = M.to_memory()
    if not hasattr(M, "tocsr"):
        M = np.asarray(M)  # read once (a backed dense dataset is an h5py Dataset)
    values = M.data if hasattr(M, "tocsr") else M
    if values.size and np.nanmin(values) < 0:
        hint = f" (layer=..., one of {layers})" if layers else " (layer=...)"
        if getattr(X, "raw", None) is not None:
            hint += ", or the unscaled values kept in adata.raw (adata.raw.to_adata())"
        raise ValueError(
            f"{caller}: the AnnData's {where} has negative values (scaled or centred "
            f"data?); NMF needs non-negative data: use the raw counts layer{hint}."
        )
    return M


def read_h5ad(path):
    """An AnnData from an .h5ad file (needs ``anndata``: ``pip install 'nmfkit[anndata]'``)."""
    try:
        import anndata
    except ImportError:
        raise ImportError(
            "reading .h5ad files needs anndata; install it with pip install 'nmfkit[anndata]'."
        ) from None
    return anndata.read_h5ad(path)
