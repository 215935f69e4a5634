"""nmfkit.plot (Agg backend), nmfkit.metrics, datasets.make_planted and nmfkit.images."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from nmfkit import NMF
from nmfkit.datasets import make_planted, make_swimmer, swimmer_parts
from nmfkit.metrics import (
    explained_variance,
    hoyer_sparseness,
    match_components,
    relative_error,
)


def test_import_nmfkit_imports_no_matplotlib():
    code = (
        "import nmfkit, nmfkit.plot, nmfkit.metrics, nmfkit.images, sys; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_hoyer_sparseness_extremes_and_axis():
    s, mean = hoyer_sparseness([[0, 0, 3.0, 0], [1, 1, 1, 1], [0, 0, 0, 0]])
    np.testing.assert_allclose(s, [1.0, 0.0, 0.0], atol=1e-12)
    assert mean == pytest.approx(1 / 3)
    s0, _ = hoyer_sparseness(np.array([[0, 1.0], [0, 1.0], [5, 1.0]]), axis=0)
    np.testing.assert_allclose(s0, [1.0, 0.0], atol=1e-12)


def test_errors_and_explained_variance_agree_dense_and_sparse():
    X, W, H = make_planted(40, 30, 3, noise=0.1, random_state=0)
    Wn, Hn = W * 0.9, H
    dense = relative_error(X, Wn, Hn)
    assert dense == pytest.approx(np.linalg.norm(X - Wn @ Hn) / np.linalg.norm(X))
    assert relative_error(sp.csr_matrix(X), Wn, Hn) == pytest.approx(dense)
    ev = 1 - np.sum((X - Wn @ Hn) ** 2) / np.sum((X - X.mean(0)) ** 2)
    assert explained_variance(X, Wn, Hn) == pytest.approx(ev)
    assert explained_variance(sp.csr_matrix(X), Wn, Hn) == pytest.approx(ev)


def test_match_components_pairs_permuted_components():
    _, _, H = make_planted(10, 50, 6, random_state=1)
    perm = np.array([3, 0, 5, 1, 4, 2])
    rows, cols, sim = match_components(H, 2.0 * H[perm])
    np.testing.assert_array_equal(perm[cols], rows)
    np.testing.assert_allclose(sim, 1.0)
    with pytest.raises(ValueError, match=r"H1 has 50 features but H2 has 3"):
        match_components(H, H[:, :3])


def test_make_planted_is_reproducible_and_sparse():
    X1, W1, H1 = make_planted(30, 20, 4, sparsity=0.5, random_state=3)
    X2, _, _ = make_planted(30, 20, 4, sparsity=0.5, random_state=3)
    np.testing.assert_array_equal(X1, X2)
    assert 0.3 < np.mean(W1 == 0) < 0.7 and X1.min() >= 0
    np.testing.assert_allclose(X1, W1 @ H1)


def _swimmer_recovered(H):
    torso, limbs = swimmer_parts()
    off = (torso.ravel() == 0).astype(float)
    _, _, sim = match_components(limbs.reshape(16, -1), H * off)
    return sim.min()


def test_swimmer_k17_limbs_matched_by_distinct_components_in_9_of_10_starts():
    """Acceptance (issue 7), with MU: each of the 16 limb positions paired with its own
    component at cosine >= 0.9 (Hungarian pairing; the torso may be shared)."""
    X, _ = make_swimmer()
    found = [
        _swimmer_recovered(NMF(17, solver="mu", init="random", random_state=s).fit(X).components_)
        >= 0.9
        for s in range(10)
    ]
    assert sum(found) >= 9, found


@pytest.fixture
def pyplot():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture(scope="module")
def swimmer_fit():
    X, positions = make_swimmer()
    return NMF(17, solver="mu", init="random", random_state=0, max_iter=300).fit(X), positions


def test_components_as_images_draws_a_grid(pyplot, swimmer_fit):
    from nmfkit.plot import components_as_images

    model, _ = swimmer_fit
    fig, axes = components_as_images(model, (32, 32), n_cols=6, title="parts")
    assert len(axes) == 18 and sum(ax.axison for ax in axes) == 17
    assert len(axes[0].images) == 1 and fig._suptitle.get_text() == "parts"
    with pytest.raises(ValueError, match=r"image_shape \(30, 30\) has 900 pixels"):
        components_as_images(model, (30, 30))
    fig, ax = pyplot.subplots()  # into one given Axes: a tiled mosaic
    _, axes = components_as_images(model, (32, 32), n_cols=6, ax=ax, title="mosaic")
    assert list(axes) == [ax] and ax.get_title() == "mosaic"
    assert ax.images[0].get_array().shape == (3 * 33 + 1, 6 * 33 + 1)


def test_top_features_one_titled_panel_per_component(pyplot):
    from nmfkit.plot import top_features

    X, _, _ = make_planted(30, 12, 3, random_state=0)
    model = NMF(3, random_state=0).fit(X)
    names = [f"w{i}" for i in range(12)]
    fig, axes = top_features(model, names, n=4, n_cols=2)
    live = [ax for ax in axes if ax.axison]
    assert [ax.get_title() for ax in live] == ["component 0", "component 1", "component 2"]
    assert all(len(ax.patches) == 4 for ax in live)
    with pytest.raises(ValueError, match=r"3 feature names for 12 features"):
        top_features(model, names[:3])
    fig, given = pyplot.subplots(1, 4)
    _, axes = top_features(model, names, n=3, ax=given)
    assert [a.get_title() for a in axes[:3]] == ["component 0", "component 1", "component 2"]
    assert not axes[3].axison
    with pytest.raises(ValueError, match=r"2 axes for 3 components"):
        top_features(model, names, ax=given[:2])


def test_loss_curve_against_iteration_and_time(pyplot):
    from nmfkit.plot import loss_curve

    X, _, _ = make_planted(40, 30, 3, random_state=0)
    model = NMF(3, random_state=0, max_iter=45, tol=0).fit(X)
    assert len(model.loss_times_) == len(model.loss_curve_)
    axes = loss_curve(model, label="hals")
    assert len(axes) == 2
    assert [a.get_xlabel() for a in axes] == ["iteration", "seconds"]
    assert [a.get_title() for a in axes] == ["loss against iteration", "loss against time"]
    np.testing.assert_array_equal(axes[0].get_lines()[0].get_xdata(), [0, 10, 20, 30, 40, 45])
    np.testing.assert_array_equal(axes[1].get_lines()[0].get_xdata(), model.loss_times_)
    assert all(a.get_yscale() == "log" and a.get_legend() is not None for a in axes)
    fig, ax = pyplot.subplots()
    for solver in ("hals", "mu"):  # two fits on one axes
        fit = NMF(3, solver=solver, random_state=0, max_iter=30, tol=0).fit(X)
        out = loss_curve(fit, ax=ax, x="iteration", label=solver)
    assert out is ax and len(ax.get_lines()) == 2
    with pytest.raises(ValueError, match=r"x='both' draws on 2 axes, got 1"):
        loss_curve(model, ax=ax)


def test_weights_heatmap_sorts_rows_by_label(pyplot, swimmer_fit):
    from nmfkit.plot import weights_heatmap

    model, positions = swimmer_fit
    labels = positions[:, 0]
    fig, ax = pyplot.subplots()
    out = weights_heatmap(model.W_, labels=labels, ax=ax)
    assert out is ax and ax.get_title() == "weights W"
    shown = ax.images[0].get_array()
    np.testing.assert_allclose(shown, model.W_[np.argsort(labels, kind="stable")])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2", "3"]


def test_fit_images_whole_and_patches():
    from nmfkit.images import extract_patches, fit_images

    _, _, images = make_swimmer(return_images=True)
    model, basis = fit_images(images, 17, solver="mu", init="random", random_state=0)
    assert basis.shape == (17, 32, 32) and basis.min() >= 0
    patches = extract_patches(images[:4], (8, 8), max_patches=10, random_state=0)
    assert patches.shape == (40, 64)
    _, pbasis = fit_images(images[:20], 5, patch_size=(8, 8), max_patches=30, random_state=0)
    assert pbasis.shape == (5, 8, 8)
    with pytest.raises(ValueError, match=r"negative pixels"):
        fit_images(-np.ones((2, 4, 4)), 1)


def test_cli_images_writes_the_parts_png(tmp_path, pyplot, capsys):
    from nmfkit.cli import main

    _, _, images = make_swimmer(return_images=True)
    np.savez(tmp_path / "swim.npz", images=images)
    out = tmp_path / "parts.png"
    assert (
        main(
            ["images", str(tmp_path / "swim.npz"), "-k", "17", "--solver", "mu", "--out", str(out)]
        )
        == 0
    )
    assert out.stat().st_size > 1000 and "Hoyer sparseness" in capsys.readouterr().out
    assert main(["images", str(tmp_path / "none.npz"), "-k", "2"]) == 2


def test_nmf_features_in_a_pipeline_beat_chance_widely():
    from conftest import shared_file
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    with np.load(shared_file("faces", "olivetti_faces_64x64.npz"), allow_pickle=False) as f:
        X, y = f["images"].reshape(400, -1) / 255.0, f["target"]
    pipe = make_pipeline(NMF(20, random_state=0, max_iter=100), LogisticRegression(max_iter=1000))
    scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert scores.mean() > 0.8  # chance: 1 in 40


def test_olivetti_nmf_parts_are_sparse_and_pca_components_are_not():
    """Issue 7: Olivetti, k = 49, faces prepared as Lee & Seung (1999) prepared theirs
    (pixel mean and std 0.25 per image, clipped to [0, 1]): Hoyer sparseness of the NMF
    basis images >= 0.5, PCA's far lower (docs/faces.md has the figures)."""
    from conftest import shared_file
    from sklearn.decomposition import PCA

    from nmfkit.images import normalize_contrast

    with np.load(shared_file("faces", "olivetti_faces_64x64.npz"), allow_pickle=False) as f:
        X = normalize_contrast(f["images"]).reshape(400, -1)
    nmf = hoyer_sparseness(NMF(49, random_state=0, max_iter=500).fit(X).components_)[1]
    pca = hoyer_sparseness(PCA(49, random_state=0).fit(X).components_)[1]
    assert nmf >= 0.5, nmf
    assert pca < 0.3 and nmf > 2 * pca, (nmf, pca)


def test_normalize_contrast_sets_mean_and_spread_then_clips():
    from nmfkit.images import normalize_contrast

    rng = np.random.default_rng(0)
    images = rng.random((3, 8, 8)) * 200
    images[2] = 7.0  # constant: all at the mean
    out = normalize_contrast(images)
    assert out.min() >= 0 and out.max() <= 1
    unclipped = normalize_contrast(images, mean=0.5, std=0.1)
    np.testing.assert_allclose(unclipped[:2].reshape(2, -1).mean(axis=1), 0.5)
    np.testing.assert_allclose(unclipped[:2].reshape(2, -1).std(axis=1), 0.1)
    assert np.all(out[2] == 0.25)
