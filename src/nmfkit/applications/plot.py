"""Plots of factorizations (matplotlib, an optional extra: ``pip install 'nmfkit[plot]'``).

matplotlib is imported when a function here is first called, never by ``import
nmfkit``. Every function draws into the given ``ax`` (or a new figure), returns what it
drew on, and never calls ``plt.show()``.
"""

import numpy as np

__all__ = [
    "components_as_images",
    "top_features",
    "loss_curve",
    "weights_heatmap",
    "consensus_map",
    "unmixing",
    "k_selection",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "nmfkit.plot needs matplotlib; install it with pip install 'nmfkit[plot]'."
        ) from None
    return plt


def _components(model_or_H):
    H = getattr(model_or_H, "components_", model_or_H)
    return np.asarray(H, dtype=np.float64)


def components_as_images(
    model_or_H, image_shape, n_cols=None, cmap="gray_r", fig=None, title=None, ax=None
):
    """A grid of the components drawn as images (parts of faces, swimmer limbs).

    Parameters
    ----------
    model_or_H : fitted model or array of shape (k, n_pixels)
    image_shape : tuple (height, width)
    n_cols : int, optional
        Images per row (default: about √k).
    cmap : str, default='gray_r'
    fig : matplotlib Figure, optional
        Drawn into (cleared first); a new one by default.
    title : str, optional
    ax : matplotlib Axes, optional
        Draw the grid as one tiled image into this Axes instead (for composing a
        figure); each image is scaled to its own maximum.

    Returns
    -------
    fig : Figure
    axes : ndarray of Axes
        One per grid cell (cells past k switched off), or ``[ax]`` when ``ax`` is given.
    """
    plt = _pyplot()
    H = _components(model_or_H)
    k = H.shape[0]
    if int(np.prod(image_shape)) != H.shape[1]:
        raise ValueError(
            f"components_as_images: image_shape {tuple(image_shape)} has "
            f"{int(np.prod(image_shape))} pixels but the components have {H.shape[1]}."
        )
    n_cols = n_cols or int(np.ceil(np.sqrt(k)))
    n_rows = int(np.ceil(k / n_cols))
    if ax is not None:
        h, w = image_shape
        tiles = np.full((n_rows * (h + 1) + 1, n_cols * (w + 1) + 1), np.nan)
        for i in range(k):
            r, c = divmod(i, n_cols)
            top = max(float(H[i].max()), 1e-300)
            tiles[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + c * (w + 1) : 1 + c * (w + 1) + w] = (
                H[i].reshape(image_shape) / top
            )
        ax.imshow(tiles, cmap=cmap, interpolation="nearest", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        if title:
            ax.set_title(title)
        return ax.figure, np.array([ax])
    if fig is None:
        fig = plt.figure(figsize=(1.3 * n_cols, 1.3 * n_rows + (0.4 if title else 0)))
    else:
        fig.clear()
    axes = np.array(fig.subplots(n_rows, n_cols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < k:
            ax.imshow(H[i].reshape(image_shape), cmap=cmap, interpolation="nearest")
        else:
            ax.axis("off")
    if title:
        fig.suptitle(title)
    return fig, axes


def top_features(model, feature_names, n=10, n_cols=5, fig=None, ax=None):
    """Bar charts of each component's n heaviest features (topic words, genes).

    Parameters
    ----------
    model : fitted model or array of shape (k, n_features)
    feature_names : sequence of str of length n_features
    n : int, default=10
    n_cols : int, default=5
    fig : matplotlib Figure, optional
    ax : sequence of matplotlib Axes, optional
        One Axes per component, drawn into instead of a new grid (extra ones are
        switched off).

    Returns
    -------
    fig : Figure
    axes : ndarray of Axes
        One per component (titled "component i"); extra cells switched off.
    """
    plt = _pyplot()
    H = _components(model)
    names = np.asarray(feature_names, dtype=str)
    if len(names) != H.shape[1]:
        raise ValueError(
            f"top_features: {len(names)} feature names for {H.shape[1]} features; pass one "
            "name per column of components_."
        )
    k = H.shape[0]
    n_cols = min(n_cols, k)
    n_rows = int(np.ceil(k / n_cols))
    given = ax is not None
    if given:
        axes = np.ravel(np.asarray(ax, dtype=object))
        if len(axes) < k:
            raise ValueError(f"top_features: {len(axes)} axes for {k} components; pass one each.")
        fig = axes[0].figure
    elif fig is None:
        fig = plt.figure(figsize=(2.6 * n_cols, 0.25 * n * n_rows + 0.6 * n_rows))
    if not given:
        fig.clear()
        axes = np.array(fig.subplots(n_rows, n_cols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        if i >= k:
            ax.axis("off")
            continue
        top = np.argsort(-H[i], kind="stable")[:n]
        ax.barh(np.arange(len(top))[::-1], H[i, top], color="#4a7ab5")
        ax.set_yticks(np.arange(len(top))[::-1])
        ax.set_yticklabels(names[top], fontsize=8)
        ax.set_title(f"component {i}", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    if not given:
        fig.tight_layout()
    return fig, axes


def loss_curve(model, ax=None, x="both", label=None):
    """The objective against iteration, against time, or both side by side (log scale).

    Parameters
    ----------
    model : fitted NMF
        Uses ``loss_curve_``, ``n_iter_`` and ``loss_times_``.
    ax : matplotlib Axes, or a pair of them for ``x='both'``, optional
        New ones by default.
    x : {'both', 'iteration', 'time'}, default='both'
    label : str, optional
        Legend label of the curve (call again on the same axes to compare fits).

    Returns
    -------
    ax : Axes, or ndarray of two Axes (iteration, time) for ``x='both'``
    """
    plt = _pyplot()
    if x not in ("both", "iteration", "time"):
        raise ValueError(f"loss_curve: x must be 'both', 'iteration' or 'time', got {x!r}.")
    curve = np.asarray(model.loss_curve_, dtype=np.float64)
    from ..core.plan import CHECK_EVERY

    # checks come every CHECK_EVERY iterations and at the last one
    iters = np.minimum(np.arange(len(curve)) * CHECK_EVERY, model.n_iter_)
    times = getattr(model, "loss_times_", None)
    if x != "iteration" and (times is None or len(times) != len(curve)):
        raise ValueError("loss_curve: this model has no loss_times_; use x='iteration'.")
    kinds = ("iteration", "time") if x == "both" else (x,)
    if ax is None:
        _, axes = plt.subplots(1, len(kinds), figsize=(4.5 * len(kinds), 3.5), squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object))
        if len(axes) != len(kinds):
            raise ValueError(f"loss_curve: x={x!r} draws on {len(kinds)} axes, got {len(axes)}.")
    for a, kind in zip(axes, kinds):
        xs = iters if kind == "iteration" else np.asarray(times)
        a.plot(xs, curve, marker="o", markersize=3, label=label)
        a.set_yscale("log")
        a.set_xlabel("iteration" if kind == "iteration" else "seconds")
        a.set_ylabel("objective")
        a.set_title(f"loss against {kind}")
        if label:
            a.legend()
    return axes if x == "both" else axes[0]


def weights_heatmap(W, labels=None, ax=None, cmap="viridis"):
    """Samples × components weights as an image, rows grouped by label when given.

    Parameters
    ----------
    W : array-like of shape (n_samples, k)
    labels : array-like of shape (n_samples,), optional
        Rows are sorted by label (stable), and the groups marked on the y-axis.
    ax : matplotlib Axes, optional
    cmap : str, default='viridis'

    Returns
    -------
    ax : Axes
    """
    plt = _pyplot()
    W = np.asarray(W, dtype=np.float64)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != W.shape[0]:
            raise ValueError(
                f"weights_heatmap: {len(labels)} labels for {W.shape[0]} rows; pass one per row."
            )
        order = np.argsort(labels, kind="stable")
        W, labels = W[order], labels[order]
        starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
        ax.set_yticks(starts)
        ax.set_yticklabels([str(v) for v in labels[starts]], fontsize=7)
        for s in starts[1:]:
            ax.axhline(s - 0.5, color="white", linewidth=0.5)
    image = ax.imshow(W, aspect="auto", cmap=cmap, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax)
    ax.set_xlabel("component")
    ax.set_ylabel("sample")
    ax.set_title("weights W")
    return ax


def consensus_map(model, fig=None, cmap="Blues"):
    """The consensus matrix of a ``ConsensusNMF``, reordered by its average-linkage tree,
    with the dendrogram above it.

    Parameters
    ----------
    model : fitted ConsensusNMF (or a square consensus matrix)
    fig : matplotlib Figure, optional
    cmap : str, default='Blues'

    Returns
    -------
    fig : Figure
    axes : tuple (dendrogram Axes, matrix Axes)
    """
    from scipy.cluster.hierarchy import dendrogram, linkage
    from scipy.spatial.distance import squareform

    plt = _pyplot()
    C = np.asarray(getattr(model, "consensus_matrix_", model), dtype=np.float64)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"consensus_map: needs a square consensus matrix, got shape {C.shape}.")
    if fig is None:
        fig = plt.figure(figsize=(5, 6))
    else:
        fig.clear()
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 4]})
    tree = linkage(squareform(1.0 - C, checks=False), method="average")
    order = dendrogram(
        tree, ax=top, no_labels=True, color_threshold=0, link_color_func=lambda _: "k"
    )["leaves"]
    top.set_axis_off()
    image = bottom.imshow(
        C[np.ix_(order, order)], cmap=cmap, vmin=0, vmax=1, interpolation="nearest"
    )
    fig.colorbar(image, ax=bottom, fraction=0.046)
    bottom.set_xticks([])
    bottom.set_yticks([])
    title = "consensus matrix"
    if hasattr(model, "cophenetic_"):
        title += f" (cophenetic {model.cophenetic_:.3f})"
    bottom.set_title(title)
    return fig, (top, bottom)


def unmixing(model, wavelengths=None, reference=None, names=None, fig=None, cmap="viridis"):
    """Endmember spectra and abundance maps of a fitted ``Unmixing``, with a reference
    row below when given.

    Parameters
    ----------
    model : fitted Unmixing (with ``image_shape``)
    wavelengths : array-like of shape (n_bands,), optional
        The x axis of the spectra (default: band index).
    reference : tuple (maps, spectra), optional
        Reference abundance maps of shape (k, rows, cols) and spectra of shape
        (k, n_bands), in the model's component order (``nmfkit.metrics.match_spectra``
        pairs them); drawn below the fit, spectra dashed.
    names : list of str, optional
        A title for each component.
    fig : matplotlib Figure, optional
    cmap : str, default='viridis'

    Returns
    -------
    fig : Figure
    axes : ndarray of Axes of shape (rows, k + 1)
        Spectra in the first column, one abundance map per component after it.
    """
    plt = _pyplot()
    maps = model.abundance_maps()
    H = np.asarray(model.components_, dtype=np.float64)
    k = H.shape[0]
    x = np.arange(H.shape[1]) if wavelengths is None else np.asarray(wavelengths)
    n_rows = 1 if reference is None else 2
    if fig is None:
        fig = plt.figure(figsize=(3.0 * (k + 1), 2.8 * n_rows))
    else:
        fig.clear()
    axes = np.atleast_2d(fig.subplots(n_rows, k + 1, squeeze=False))
    rows = [(maps, H, "found")]
    if reference is not None:
        ref_maps, ref_spectra = (np.asarray(a, dtype=np.float64) for a in reference)
        rows.append((ref_maps, ref_spectra, "reference"))
    for r, (M, S, label) in enumerate(rows):
        ax = axes[r, 0]
        for j in range(k):
            # each spectrum scaled to its maximum: shapes compare, scales differ
            ax.plot(x, S[j] / max(S[j].max(), 1e-300), color=f"C{j}", ls="-" if r == 0 else "--")
        ax.set_title(f"endmembers ({label}, scaled to max 1)", fontsize=9)
        ax.set_xlabel("wavelength" if wavelengths is not None else "band")
        for j in range(k):
            ax = axes[r, j + 1]
            ax.imshow(M[j], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            title = names[j] if names is not None else f"component {j}"
            ax.set_title(f"{title} ({label})", fontsize=9, color=f"C{j}")
    fig.tight_layout()
    return fig, axes


def k_selection(table, chosen=None, ax=None):
    """cNMF's k-selection plot: stability (left axis) and error (right axis) against k.

    Parameters
    ----------
    table : dict with arrays ``k``, ``stability`` and ``error``
        ``GeneProgramNMF.k_selection_``.
    chosen : int, optional
        The k chosen, marked with a dashed line.
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : Axes (the stability axis; the error axis is its twin)
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ks = np.asarray(table["k"])
    ax.plot(ks, table["stability"], "o-", color="tab:blue")
    ax.set_xlabel("k (number of programs)")
    ax.set_ylabel("stability (silhouette)", color="tab:blue")
    twin = ax.twinx()
    twin.plot(ks, table["error"], "s-", color="tab:red")
    twin.set_ylabel("error ‖X − W H‖²", color="tab:red")
    if chosen is not None:
        ax.axvline(chosen, linestyle="--", color="grey")
    ax.set_xticks(ks)
    ax.grid(alpha=0.3)
    ax.set_title("k selection" + (f": k = {chosen}" if chosen is not None else ""))
    return ax
