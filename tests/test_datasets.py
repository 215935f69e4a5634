"""Built-in data: the Swimmer images generated in code equal the published set."""

import numpy as np
from conftest import shared_file

from nmfkit import NMF
from nmfkit.datasets import make_swimmer, match_parts, swimmer_parts


def test_swimmer_structure():
    X, positions, images = make_swimmer(return_images=True)
    assert X.shape == (256, 1024) and images.shape == (256, 32, 32)
    assert set(np.unique(X)) == {0.0, 1.0}
    assert np.all(X.sum(axis=1) == 37)  # torso 17 + 4 limbs of 5 pixels
    assert len({row.tobytes() for row in X}) == 256
    torso, limbs = swimmer_parts()
    parts = np.concatenate([torso[None], limbs.reshape(16, 32, 32)])
    assert parts.sum(axis=0).max() == 1  # the 17 parts do not overlap
    np.testing.assert_array_equal(
        images[7], torso + sum(limbs[li, p] for li, p in enumerate(positions[7]))
    )


def test_swimmer_equals_shared_copy_up_to_order():
    path = shared_file("swimmer", "swimmer.npz")
    with np.load(path, allow_pickle=False) as f:
        reference = f["images"]
    _, _, images = make_swimmer(return_images=True)
    assert reference.shape == images.shape
    assert sorted(r.tobytes() for r in reference.astype(np.uint8)) == sorted(
        r.tobytes() for r in images
    )


def test_match_parts_scores_truth_and_noise():
    torso, limbs = swimmer_parts()
    truth = np.concatenate([torso.reshape(1, -1), limbs.reshape(16, -1)]).astype(float)
    assert np.all(match_parts(truth) > 0.999)
    noise = np.random.default_rng(0).random((17, 1024))
    assert np.all(match_parts(noise) < 0.5)


def test_nmf_recovers_swimmer_parts():
    X, _ = make_swimmer()
    model = NMF(17, init="random", random_state=0, max_iter=1000, tol=1e-8).fit(X)
    assert np.all(match_parts(model.components_) >= 0.9)
    assert model.reconstruction_err_ / np.linalg.norm(X) < 1e-6
