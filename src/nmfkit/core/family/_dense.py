"""What the dense relatives' fit data share: X held whole, every entry known."""

import numpy as np

__all__ = ["DenseData"]


class DenseData:
    """A dense X with every entry known; a subclass names its ``kind`` and objective.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite, float32 or float64.
    engine : Engine
    """

    kind = None
    all_known = True

    def __init__(self, X, engine):
        self.X = X
        self.engine = engine

    @property
    def shape(self):
        return tuple(self.X.shape)

    @property
    def dtype(self):
        return self.X.dtype

    def describe(self):
        return {"normX2": float(np.vdot(self.X, self.X)), "nnz": int(np.count_nonzero(self.X))}
