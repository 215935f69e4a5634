"""Built-in data sets, generated in code (no download).

``make_swimmer`` draws the Swimmer images of Donoho & Stodden (2003), "When does
non-negative matrix factorization give a correct decomposition into parts?", NIPS 16:
a torso and four limbs, each limb in one of four positions, 4⁴ = 256 images of 32 × 32.
"""

from itertools import product

import numpy as np

from ..core.io import read_matrix

__all__ = [
    "make_swimmer",
    "swimmer_parts",
    "match_parts",
    "make_planted",
    "load_matrix",
    "load_corpus",
    "load_ratings",
]

_SIZE = 32
_LIMB_LENGTH = 5
# (anchor pixel on the torso, the four directions its limb can point in)
_LIMBS = (
    ((9, 14), ((0, -1), (-1, -1), (-1, 0), (1, -1))),  # left arm
    ((9, 16), ((0, 1), (-1, 1), (-1, 0), (1, 1))),  # right arm
    ((21, 14), ((0, -1), (-1, -1), (1, -1), (1, 0))),  # left leg
    ((21, 16), ((0, 1), (-1, 1), (1, 1), (1, 0))),  # right leg
)


def _torso():
    img = np.zeros((_SIZE, _SIZE), dtype=np.uint8)
    img[9:22, 15] = 1
    for r, c in (anchor for anchor, _ in _LIMBS):
        img[r, c] = 1
    return img


def swimmer_parts():
    """The 17 parts every Swimmer image is a sum of.

    Returns
    -------
    torso : ndarray of shape (32, 32), uint8
    limbs : ndarray of shape (4, 4, 32, 32), uint8
        ``limbs[l, p]`` is limb l (left arm, right arm, left leg, right leg) in
        position p.
    """
    limbs = np.zeros((4, 4, _SIZE, _SIZE), dtype=np.uint8)
    for li, ((r0, c0), directions) in enumerate(_LIMBS):
        for pi, (dr, dc) in enumerate(directions):
            for t in range(1, _LIMB_LENGTH + 1):
                limbs[li, pi, r0 + t * dr, c0 + t * dc] = 1
    return _torso(), limbs


def make_swimmer(return_images=False):
    """The 256 Swimmer images as a data matrix.

    Parameters
    ----------
    return_images : bool, default=False
        Also return the images as an array of shape (256, 32, 32).

    Returns
    -------
    X : ndarray of shape (256, 1024), float64
        One flattened image per row, pixels 0 or 1; row i shows limb positions
        ``positions[i]``.
    positions : ndarray of shape (256, 4), int
        The position (0-3) of each of the four limbs in each image.
    images : ndarray of shape (256, 32, 32), uint8
        Only when ``return_images`` is True.

    Examples
    --------
    >>> from nmfkit.datasets import make_swimmer
    >>> X, positions = make_swimmer()
    >>> X.shape, int(X.sum(axis=1).max())
    ((256, 1024), 37)
    """
    torso, limbs = swimmer_parts()
    positions = np.array(list(product(range(4), repeat=4)))
    images = np.empty((len(positions), _SIZE, _SIZE), dtype=np.uint8)
    for i, pos in enumerate(positions):
        images[i] = torso + sum(limbs[li, p] for li, p in enumerate(pos))
    X = images.reshape(len(images), -1).astype(np.float64)
    return (X, positions, images) if return_images else (X, positions)


def match_parts(components, threshold=0.9):
    """Which of the 16 limb positions the components recover.

    The torso appears in every image, so NMF may share it among components; it is
    ignored when comparing. A limb position counts as recovered when some component's
    cosine similarity to it, off the torso, is at least ``threshold``.

    Parameters
    ----------
    components : ndarray of shape (n_components, 1024)
        H from a fit on ``make_swimmer()``.
    threshold : float, default=0.9

    Returns
    -------
    similarity : ndarray of shape (4, 4)
        Best cosine similarity for each limb (row) and position (column).
    """
    torso, limbs = swimmer_parts()
    off = (torso.ravel() == 0).astype(float)
    C = np.asarray(components, dtype=float) * off
    C /= np.maximum(np.linalg.norm(C, axis=1, keepdims=True), 1e-300)
    L = limbs.reshape(16, -1).astype(float)
    L /= np.linalg.norm(L, axis=1, keepdims=True)
    return (L @ C.T).max(axis=1).reshape(4, 4)


def make_planted(n_samples=100, n_features=80, k=5, noise=0.0, sparsity=0.0, random_state=None):
    """Non-negative data with a known factorization, for tests and demos.

    X = W H + noise, with W, H uniform on [0, 1) and a share ``sparsity`` of their
    entries set to 0; the noise is Gaussian with standard deviation ``noise`` times the
    mean of W H, and X is clipped at 0.

    Parameters
    ----------
    n_samples, n_features, k : int
    noise : float, default=0.0
    sparsity : float in [0, 1), default=0.0
    random_state : int, Generator or None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, k)
    H : ndarray of shape (k, n_features)
    """
    from ..core.init import make_rng

    if not 0 <= sparsity < 1:
        raise ValueError(f"make_planted: sparsity must be in [0, 1), got {sparsity}.")
    rng = make_rng(random_state)
    W = rng.random((n_samples, k)) * (rng.random((n_samples, k)) >= sparsity)
    H = rng.random((k, n_features)) * (rng.random((k, n_features)) >= sparsity)
    X = W @ H
    if noise:
        X = np.maximum(X + rng.normal(0.0, noise * X.mean(), X.shape), 0.0)
    return X, W, H


def load_matrix(path):
    """A data matrix from .npy, .npz, .mtx, .csv or .tsv (what ``nmfkit fit`` reads).

    Raises ValueError, with the reason, for a file that is missing or not a matrix.
    """
    try:
        return read_matrix(path)
    except OSError as exc:  # a missing file or a folder: ValueError, as it always was
        raise ValueError(str(exc)) from None


def load_corpus(path, text_field="text", encoding="utf-8"):
    """Documents from .txt, .jsonl(.gz), .tsv or .csv (what ``nmfkit topics`` reads)."""
    from .topics.corpus import read_corpus

    return read_corpus(path, text_field=text_field, encoding=encoding)


def load_ratings(path, sep=None):
    """(users, items, ratings) from a ratings file (what ``nmfkit recommend`` reads)."""
    from .recommender.ratings import read_ratings

    return read_ratings(path, sep=sep)
