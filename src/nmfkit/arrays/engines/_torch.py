"""The Torch engine: dense and sparse (CSR) tensors on any device PyTorch supports.

X is moved to the engine's device once; the factors live there too, and every product
runs there. Outputs go back to where the input came from: a tensor's device, or NumPy
for host input (``NMF(engine='torch', device='cuda').fit(numpy_X)``).
"""

import warnings

import numpy as np

from .. import linalg
from ._base import Engine, missing_extra
from ._numpy import NumpyEngine

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised without torch installed
    raise missing_extra("torch", "PyTorch", "torch") from exc

__all__ = ["TorchEngine"]

_TO_TORCH = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
_TO_NUMPY = {v: k for k, v in _TO_TORCH.items()}


def _csr(indptr, indices, values, shape):
    with warnings.catch_warnings():  # "sparse CSR support is in beta"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(indptr, indices, values, size=shape)


def _check_structure(X, caller, name):
    """Raise, naming the fix, for a sparse tensor whose indices are not valid (torch's
    kernels would read or write outside its arrays)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if X.layout == torch.sparse_coo:
                torch.sparse_coo_tensor(X._indices(), X._values(), X.shape, check_invariants=True)
            elif X.layout == torch.sparse_csr:
                torch.sparse_csr_tensor(
                    X.crow_indices(), X.col_indices(), X.values(), X.shape, check_invariants=True
                )
            else:
                raise RuntimeError(f"layout {X.layout} is not supported; use COO or CSR")
    except RuntimeError as exc:
        raise ValueError(
            f"{caller}: {name} is a malformed sparse tensor ({exc}). Build it from valid "
            "parts (every index inside the shape)."
        ) from None


def _usable_device(device):
    """``device`` as a torch.device this process can compute on, or ValueError naming
    what to pass instead (checked before any data moves)."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device ({str(exc).splitlines()[0][:80]}...); "
            "use 'cpu', 'cuda' or 'cuda:N'."
        ) from None
    if dev.type == "meta":
        raise ValueError("device='meta' holds no data to fit; use 'cpu' or 'cuda'.")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r}, but CUDA is not available to this torch "
                f"({torch.__version__}: a CPU-only build, or no GPU visible); use "
                "device='cpu', or install a CUDA build of torch."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}, but this machine has {torch.cuda.device_count()} CUDA "
                "device(s); use 'cuda:0' up to the last one."
            )
        return dev
    if dev.type != "cpu":
        try:
            torch.empty(1, device=dev)
        except (RuntimeError, AssertionError) as exc:
            raise ValueError(
                f"device={device!r} cannot be used here ({str(exc).splitlines()[0][:80]}); "
                "use 'cpu' or 'cuda'."
            ) from None
    return dev


class TorchEngine(Engine):
    """Run on torch tensors; ``device`` None keeps a tensor's device (host data: CUDA if
    available, else the CPU)."""

    name = "torch"

    @classmethod
    def accepts(cls, X):
        """Torch tensors."""
        return torch.is_tensor(X)

    def __init__(self, device=None):
        self.device = None if device is None else _usable_device(device)
        self._host_output = False
        self._out_device = None
        self._t_cache = None  # (X, CSR of Xᵀ) for sparse X

    # -- input -------------------------------------------------------------------
    def _target(self, X):
        if self.device is None:
            if torch.is_tensor(X):
                self.device = X.device
            else:
                self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return self.device

    def check_input(self, X, caller="NMF.fit", name="X"):
        """Return X as a float32/float64 tensor (strided or sparse CSR) on the device."""
        if name == "X":
            self._host_output = not torch.is_tensor(X)
            self._out_device = X.device if torch.is_tensor(X) else None
        device = self._target(X)
        if not torch.is_tensor(X):
            # the NumPy engine's checks and messages, then one move to the device
            X = NumpyEngine().check_input(X, caller=caller, name=name)
            if hasattr(X, "tocsr"):
                return _csr(
                    torch.as_tensor(X.indptr, dtype=torch.int64, device=device),
                    torch.as_tensor(X.indices, dtype=torch.int64, device=device),
                    torch.as_tensor(X.data, device=device),
                    X.shape,
                )
            return torch.as_tensor(X, device=device)
        X = X.detach().to(device)
        if X.ndim != 2:
            raise ValueError(
                f"{caller}: Expected a 2-D {name} but got a {X.ndim}-D tensor of shape "
                f"{tuple(X.shape)}."
            )
        if X.is_complex():
            raise ValueError(f"{caller}: Complex data not supported: {name} is {X.dtype}.")
        if X.dtype not in (torch.float32, torch.float64):
            X = X.to(torch.float32 if X.is_floating_point() else torch.float64)
        if X.layout != torch.strided:
            _check_structure(X, caller, name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                # duplicates are summed (coalesce), as scipy.sparse does
                X = X.to_sparse_coo().coalesce().to_sparse_csr()
        for axis, what in ((0, "sample(s)"), (1, "feature(s)")):
            if X.shape[axis] == 0:
                raise ValueError(
                    f"{caller}: Found array with 0 {what} (shape={tuple(X.shape)}) while "
                    f"a minimum of 1 is required; {name} needs at least one row and column."
                )
        NumpyEngine._check_values_with(self.values(X), caller, name, _TorchChecks, X.shape)
        return X

    # -- queries -----------------------------------------------------------------
    @staticmethod
    def is_sparse(X):
        return X.layout != torch.strided

    @staticmethod
    def values(X):
        """The stored values of sparse X (all entries of dense X), flat."""
        return X.values() if X.layout != torch.strided else X.reshape(-1)

    def max_value(self, X):
        """The largest entry of X (0 for an empty or all-zero X)."""
        v = self.values(X)
        return float(v.max()) if v.numel() else 0.0

    def count_zeros(self, X):
        v = self.values(X)
        return X.shape[0] * X.shape[1] - v.numel() + int((v == 0).sum())

    @staticmethod
    def dtype_of(X):
        return _TO_NUMPY[X.dtype]

    def sq_norm(self, X):
        v = self.values(X).to(torch.float64)
        return float(v @ v)

    def total(self, X):
        return float(self.values(X).sum(dtype=torch.float64))

    # -- products ----------------------------------------------------------------
    @staticmethod
    def XHt(X, H):
        return X @ H.T

    def _transpose(self, X):
        """Xᵀ as a CSR tensor, built once per X with index operations every device has
        (sparse products with CSR are the ones cuSPARSE supports everywhere)."""
        if self._t_cache is None or self._t_cache[0] is not X:
            _, (indptr, indices, data), _ = self.csr_pair(X)
            self._t_cache = (X, _csr(indptr, indices, data, (X.shape[1], X.shape[0])))
        return self._t_cache[1]

    def WtX(self, W, X):
        if X.layout != torch.strided:
            return (self._transpose(X) @ W).T
        return W.T @ X

    def XtW(self, X, W):
        return self._transpose(X) @ W if X.layout != torch.strided else X.T @ W

    def wh_at(self, X, W, H):
        """Values of W @ H at the stored entries of CSR X, in storage order."""
        from ..kernels import kernel

        out = torch.empty(X.values().shape[0], dtype=W.dtype, device=W.device)
        return kernel("wh_at", self)(X.crow_indices(), X.col_indices(), W, H.T, out)

    @staticmethod
    def with_values(X, values):
        return _csr(X.crow_indices(), X.col_indices(), values, X.shape)

    def csr_pair(self, X):
        """CSR parts of X and of Xᵀ, and the position in X's values of each entry of Xᵀ."""
        if X.layout == torch.strided:
            rows, cols = X.nonzero(as_tuple=True)
            data = X[rows, cols]
        else:
            indptr, cols, data = X.crow_indices(), X.col_indices(), X.values()
            rows = torch.repeat_interleave(
                torch.arange(X.shape[0], device=X.device), indptr[1:] - indptr[:-1]
            )
        n, m = X.shape
        indptr = torch.zeros(n + 1, dtype=torch.int64, device=X.device)
        indptr[1:] = torch.cumsum(torch.bincount(rows, minlength=n), 0)
        perm = torch.argsort(cols * n + rows, stable=True)
        indptr_t = torch.zeros(m + 1, dtype=torch.int64, device=X.device)
        indptr_t[1:] = torch.cumsum(torch.bincount(cols, minlength=m), 0)
        return (indptr, cols, data), (indptr_t, rows[perm], data[perm]), perm

    @staticmethod
    def _svd_on_host(X):
        """Sparse X and X on the CPU take the NumPy engine's SVD (the same start)."""
        return X.layout != torch.strided or X.device.type == "cpu"

    def top_svd(self, X, k, rng):
        """The k leading singular triplets of X, as host arrays (the NNDSVD input)."""
        if self._svd_on_host(X):
            # the NumPy engine's SVD on the host: the same start as a NumPy fit
            Xh = X.to_sparse_coo() if X.layout != torch.strided else X
            if X.layout != torch.strided:
                import scipy.sparse as sp

                idx = Xh.indices().cpu().numpy()
                Xh = sp.csr_matrix((Xh.values().cpu().numpy(), idx), shape=tuple(X.shape))
            else:
                Xh = X.cpu().numpy()
            return linalg.top_svd(Xh, k, rng)
        seed = linalg.svd_seed(rng)
        n, m = X.shape
        if min(n, m) <= linalg.GRAM_SVD_MAX and k < min(n, m):
            A = (X if n <= m else X.T).to(torch.float64)
            evals, evecs = torch.linalg.eigh(A @ A.T)
            U, S, V = linalg.svd_from_gram(A, evals.flip(0)[:k], evecs.flip(1)[:, :k], n <= m)
        else:
            torch.manual_seed(seed)
            U, S, Vt = torch.svd_lowrank(X, q=min(k + 10, n, m), niter=7)
            U, S, V = U[:, :k], S[:k], Vt[:, :k].T
        return tuple(A.detach().cpu().numpy().astype(np.float64) for A in (U, S, V))

    # -- movement ----------------------------------------------------------------
    def asarray(self, a, dtype, rows=False):
        """``a`` (host array or tensor) as a contiguous tensor on the device."""
        return torch.as_tensor(a, dtype=_TO_TORCH[np.dtype(dtype)], device=self.device).contiguous()

    def to_output(self, A):
        """A as NumPy for host input, else as a tensor on the input's device."""
        if self._host_output:
            return A.detach().cpu().numpy()
        return A.to(self._out_device) if self._out_device is not None else A

    def fingerprint(self, X):
        """X's values (and CSR parts when sparse)."""
        if X.layout != torch.strided:
            return {"indptr": X.crow_indices(), "indices": X.col_indices(), "data": X.values()}, ""
        return {"X": X}, ""

    @staticmethod
    def floor(A, eps):
        return A.clamp_(min=eps)

    @staticmethod
    def copy(A):
        return A.clone()

    @staticmethod
    def transposed(A, spare=False):
        if spare and A.T.is_contiguous():
            return A.T
        return A.T.clone(memory_format=torch.contiguous_format)

    @staticmethod
    def float64_copy(A):
        return A.to(torch.float64, copy=True).contiguous()

    @staticmethod
    def empty(like, shape, dtype):
        if not isinstance(dtype, torch.dtype):
            dtype = _TO_TORCH[np.dtype(dtype)]
        return torch.empty(shape, dtype=dtype, device=like.device)


class _TorchChecks:
    """The value checks of ``NumpyEngine`` in torch ops."""

    isfinite = staticmethod(torch.isfinite)
    isnan = staticmethod(torch.isnan)

    @staticmethod
    def count(mask):
        return int(mask.sum())

    @staticmethod
    def min(values):
        return float(values.min()) if values.numel() else 0.0

    @staticmethod
    def max(values):
        return float(values.max()) if values.numel() else 0.0

    @staticmethod
    def dtype(values):
        return _TO_NUMPY[values.dtype]
