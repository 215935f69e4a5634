"""Shared fixtures: registries to parametrize over, data makers, real-data paths."""

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(*parts):
    """Path to a file under ../shared/data, or skip the test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


def planted(n=30, m=20, k=3, seed=0, dtype=np.float64, density=None):
    """Exact rank-k non-negative data X = W H (optionally with sparse W, H)."""
    rng = np.random.default_rng(seed)
    W = rng.random((n, k))
    H = rng.random((k, m))
    if density is not None:
        W *= rng.random((n, k)) < density
        H *= rng.random((k, m)) < density
    return (W @ H).astype(dtype), W, H


def random_sparse(n=40, m=30, density=0.3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return sp.random(n, m, density=density, format="csr", random_state=rng, dtype=dtype)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
