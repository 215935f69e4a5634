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
    "make_single_cell",
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


def make_single_cell(
    n_cells=2000,
    n_genes=1000,
    n_identity=5,
    n_activity=1,
    activity_prob=0.3,
    activity_usage=(0.1, 0.7),
    de_prob=0.025,
    de_loc=1.0,
    de_scale=1.0,
    library_loc=7.5,
    library_scale=0.3,
    bcv=0.2,
    doublet_rate=0.0,
    random_state=None,
):
    """Single-cell counts from known gene expression programs, with the truth.

    The simulation of the cNMF paper (Kotliar et al. 2019, doi:10.7554/eLife.43803), which
    adapts Splatter (Zappia et al. 2017, doi:10.1186/s13059-017-1305-0):

    1. Gene base means from Gamma(0.6, scale 1/0.3), as in Splatter.
    2. Every program (``n_identity`` cell identities, then ``n_activity`` activities)
       up-regulates each gene with probability ``de_prob`` by a log-normal factor
       (``de_loc``, ``de_scale``); its profile is the base means times its factors,
       scaled to sum to 1.
    3. Each cell has one identity (uniformly drawn); with probability ``activity_prob``
       it also runs one activity (uniformly drawn) at a usage drawn uniformly from
       ``activity_usage``, and its identity gets the rest of the usage.
    4. A cell's mean is its usages times the profiles, times a log-normal library size
       (``library_loc``, ``library_scale``: the log of the median count per cell);
       biological variation is Gamma with coefficient of variation
       ``bcv + 1/sqrt(mean)`` (Splatter's mean-dependent BCV, without its χ² jitter);
       counts are Poisson of that.
    5. With ``doublet_rate`` > 0, that share of cells are doublets: the mean of two
       cells' profiles at the sum of their library sizes.

    Parameters
    ----------
    n_cells, n_genes, n_identity, n_activity : int
    activity_prob : float in [0, 1], default=0.3
    activity_usage : (float, float), default=(0.1, 0.7)
    de_prob, de_loc, de_scale : float
    library_loc, library_scale : float
    bcv : float, default=0.2
    doublet_rate : float in [0, 1), default=0.0
    random_state : int, Generator or None

    Returns
    -------
    counts : scipy.sparse.csr_matrix of shape (n_cells, n_genes), float64
        Integer counts, stored as floats.
    usages : ndarray of shape (n_cells, n_identity + n_activity)
        True usages; rows sum to 1 (a doublet's are the mean of its two cells').
    programs : ndarray of shape (n_identity + n_activity, n_genes)
        True programs, each a profile that sums to 1 (multiply by 1e6 for TPM).
    doublets : ndarray of shape (n_cells,), bool

    Examples
    --------
    >>> from nmfkit.datasets import make_single_cell
    >>> counts, usages, programs, doublets = make_single_cell(200, 300, random_state=0)
    >>> counts.shape, usages.shape, programs.shape
    ((200, 300), (200, 6), (6, 300))
    """
    from scipy import sparse

    from ..core.init import make_rng

    if n_identity < 1 or n_activity < 0 or n_cells < 1 or n_genes < 1:
        raise ValueError(
            "make_single_cell: n_cells, n_genes and n_identity must be at least 1 and "
            "n_activity at least 0."
        )
    if not 0 <= doublet_rate < 1 or not 0 <= activity_prob <= 1:
        raise ValueError(
            "make_single_cell: doublet_rate must be in [0, 1) and activity_prob in [0, 1]."
        )
    rng = make_rng(random_state)
    k = n_identity + n_activity
    base = rng.gamma(0.6, 1 / 0.3, n_genes)
    de = rng.random((k, n_genes)) < de_prob
    factors = np.where(de, rng.lognormal(de_loc, de_scale, (k, n_genes)), 1.0)
    programs = base * factors
    programs /= programs.sum(axis=1, keepdims=True)

    usages = np.zeros((n_cells, k))
    identity = rng.integers(n_identity, size=n_cells)
    usages[np.arange(n_cells), identity] = 1.0
    if n_activity:
        active = rng.random(n_cells) < activity_prob
        which = n_identity + rng.integers(n_activity, size=n_cells)
        level = rng.uniform(*activity_usage, size=n_cells) * active
        usages[np.arange(n_cells), identity] -= level
        usages[np.arange(n_cells), which] += level
    library = rng.lognormal(library_loc, library_scale, n_cells)
    doublets = rng.random(n_cells) < doublet_rate
    if doublets.any():
        partner = rng.integers(n_cells, size=int(doublets.sum()))
        usages[doublets] = (usages[doublets] + usages[partner]) / 2
        library[doublets] += library[partner]

    rows = []
    for start in range(0, n_cells, 2000):  # in blocks: a dense block, never the whole matrix
        stop = min(start + 2000, n_cells)
        mean = (usages[start:stop] @ programs) * library[start:stop, None]
        cv = bcv + 1.0 / np.sqrt(np.maximum(mean, 1e-12))
        shape = 1.0 / cv**2
        lam = rng.gamma(shape, mean / shape)
        rows.append(sparse.csr_matrix(rng.poisson(lam).astype(np.float64)))
    counts = sparse.vstack(rows, format="csr")
    return counts, usages, programs, doublets
