"""ConsensusNMF: seeded runs, consensus matrix and its measures, consensus components."""

import numpy as np
import pytest

from nmfkit import ConsensusNMF
from nmfkit.applications.consensus import consensus_matrix, cophenetic_correlation, dispersion
from nmfkit.datasets import make_planted, make_swimmer, swimmer_parts
from nmfkit.metrics import match_components


def test_consensus_matrix_and_its_measures_on_hand_made_labelings():
    stable = [[0, 0, 1, 1], [1, 1, 0, 0], [2, 2, 5, 5]]  # the same split, other names
    C = consensus_matrix(stable)
    np.testing.assert_array_equal(C, [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])
    assert dispersion(C) == 1.0 and cophenetic_correlation(C) == pytest.approx(1.0)
    unstable = [[0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]]
    C2 = consensus_matrix(unstable)
    assert C2[0, 1] == pytest.approx(1 / 3)
    assert dispersion(C2) < dispersion(C)


def test_swimmer_consensus_recovers_all_16_limb_positions():
    """Issue 8: ConsensusNMF(k=17, n_runs=20) on Swimmer recovers every limb (cos >= 0.9)."""
    X, _ = make_swimmer()
    model = ConsensusNMF(17, n_runs=20, random_state=0, n_jobs=2).fit(X)
    torso, limbs = swimmer_parts()
    off = (torso.ravel() == 0).astype(float)
    _, _, sim = match_components(limbs.reshape(16, -1), model.components_ * off)
    assert sim.min() >= 0.9, sim
    assert model.W_.shape == (256, 17) and model.components_.min() >= 0
    assert 0 < model.stability_ <= 1 and model.consensus_matrix_.shape == (256, 256)


def test_results_do_not_depend_on_n_jobs_and_any_run_replays_alone():
    X, _, _ = make_planted(60, 40, 3, noise=0.05, random_state=0)
    one = ConsensusNMF(3, n_runs=6, random_state=7, n_jobs=1).fit(X)
    two = ConsensusNMF(3, n_runs=6, random_state=7, n_jobs=2).fit(X)
    np.testing.assert_array_equal(one.components_, two.components_)
    np.testing.assert_array_equal(one.consensus_matrix_, two.consensus_matrix_)
    np.testing.assert_array_equal(one.run_losses_, two.run_losses_)
    assert one.replay(4).loss_curve_[-1] == one.run_losses_[4]
    other = ConsensusNMF(3, n_runs=6, random_state=8).fit(X)
    assert not np.array_equal(other.run_losses_, one.run_losses_)


def test_planted_components_are_found_and_stable():
    X, _, H = make_planted(80, 50, 4, sparsity=0.5, random_state=1)
    model = ConsensusNMF(4, n_runs=10, random_state=0, axis="features").fit(X)
    _, _, sim = match_components(H, model.components_)
    assert sim.min() > 0.95
    assert model.consensus_matrix_.shape == (50, 50)
    assert model.transform(X[:5]).shape == (5, 4)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match=r"The 'n_runs' parameter of ConsensusNMF must be"):
        ConsensusNMF(2, n_runs=1).fit(np.ones((4, 3)))


def test_consensus_map_draws_the_reordered_matrix(tmp_path):
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from nmfkit.plot import consensus_map

    X, _, _ = make_planted(30, 20, 3, noise=0.05, random_state=0)
    model = ConsensusNMF(3, n_runs=5, random_state=0).fit(X)
    fig, (tree, matrix) = consensus_map(model)
    assert matrix.get_title().startswith("consensus matrix (cophenetic")
    assert matrix.images[0].get_array().shape == (30, 30)
    assert len(tree.collections) > 0 or len(tree.lines) > 0  # the dendrogram
    with pytest.raises(ValueError, match=r"needs a square consensus matrix"):
        consensus_map(np.ones((2, 3)))
    plt.close("all")
