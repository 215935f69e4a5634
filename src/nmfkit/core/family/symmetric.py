"""Symmetric NMF: A ≈ H Hᵀ with H ≥ 0, for a symmetric similarity or graph matrix A.

Kuang, Ding & Park (2012, 2015): clustering by the largest entry of each row of H,
which, unlike spectral clustering's eigenvectors, reads directly as memberships. The
Loop's pair is (W, H) with W of shape (n, k) and H of shape (k, n), so that W H
approximates A as in NMF. Two solvers:

* ``'symmetric-anls'``: Kuang et al.'s penalty method, alternating non-negative least
  squares on ½‖A − W H‖² + ½α‖W − Hᵀ‖², whose two blocks are the same NNLS problem
  (Gram HHᵀ + αI, right-hand side A Hᵀ + α Hᵀ) solved exactly by block principal
  pivoting; α = max(A)² as in their code; at convergence W = Hᵀ.
* ``'symmetric-cd'``: exact coordinate descent on ½‖A − H Hᵀ‖² itself (Vandaele et al.
  2016; ``kernels.symmetric``), with the pair held as (H, Hᵀ).

Both are monotone in the objective the data reports (the penalised one for ANLS). A may
be dense or scipy.sparse; only products with it are formed.
"""

import numpy as np
import scipy.sparse as sp

from ...arrays.kernels import kernel
from ..solvers._solver import Solver
from ..solvers.bpp import nnls_bpp

__all__ = ["SymmetricData", "SOLVERS"]


class SymmetricData:
    """A symmetric non-negative A (n × n), and the coupling weight α of the ANLS
    objective (0 for coordinate descent).

    Parameters
    ----------
    A : ndarray or scipy.sparse matrix of shape (n, n)
    engine : Engine
    alpha : float
    """

    kind = "symmetric"
    all_known = True

    def __init__(self, A, engine, alpha=0.0):
        self.A = A
        self.engine = engine
        self.alpha = float(alpha)
        self._csr = None

    @property
    def shape(self):
        return tuple(self.A.shape)

    @property
    def dtype(self):
        return self.A.dtype

    def csr(self):
        """A in CSR form, float64 (made once: coordinate descent reads it by rows)."""
        if self._csr is None:
            self._csr = sp.csr_matrix(self.A, dtype=np.float64)
            self._csr.sort_indices()
        return self._csr

    def describe(self):
        A = self.A
        values = A.data if sp.issparse(A) else A
        return {"normX2": float(np.vdot(values, values)), "nnz": int(np.count_nonzero(values))}

    def divergence(self, W, H, beta=2.0, facts=None, stats=None):
        """½‖A − W H‖²_F + ½α‖W − Hᵀ‖²_F, float64 sums, without forming W H."""
        normA2 = facts["normX2"] if facts else self.describe()["normX2"]
        cross = float(np.vdot(W, self.A @ H.T))
        quad = float(np.vdot(W.T @ W, H @ H.T))
        fit = 0.5 * max(normA2 - 2.0 * cross + quad, 0.0)
        if self.alpha:
            fit += 0.5 * self.alpha * float(np.vdot(W - H.T, W - H.T))
        return fit


def _block(data, F, X0, engine):
    """argmin_{X ≥ 0} ½‖A − X Fᵀ‖² + ½α‖X − F‖² for the other block F (n × k)."""
    alpha = data.alpha
    G = F.T @ F + alpha * np.eye(F.shape[1], dtype=F.dtype)
    B = np.asarray(data.A @ F) + alpha * F
    return nnls_bpp(G, B, X0, engine, data.dtype)


def anls_step(data, W, H, state, plan, engine):
    """W for H, then H for W: each an exact NNLS solve (A symmetric, so both blocks
    are the same problem)."""
    W = _block(data, H.T, W, engine)
    if plan.update_H:
        H = _block(data, W, H.T, engine).T.copy()
    return W, H


def cd_step(data, W, H, state, plan, engine):
    """One sweep of exact coordinate descent on ½‖A − W Wᵀ‖²; returns (W, Wᵀ)."""
    A = data.csr()
    n, k = W.shape
    # always compiled: its plain form is loops in Python, not a vectorised twin
    sweep = kernel("symnmf_cd_sweep", engine)
    F = np.array(W, dtype=np.float64)
    sweep(A.indptr, A.indices, A.data, F, F.T @ F, np.einsum("ij,ij->i", F, F))
    F = F.astype(data.dtype, copy=False)
    return F, F.T.copy()


SOLVERS = (
    Solver("symmetric-anls", {"symmetric": anls_step}, betas=(2.0,), chunked=False, penalties=()),
    Solver("symmetric-cd", {"symmetric": cd_step}, betas=(2.0,), chunked=False, penalties=()),
)
