"""Kernels for the Torch engine: the same signatures as the Numba kernels, in torch ops.

Every kernel is vectorised over rows (rows are independent) so it runs as a few large
operations on a GPU. Imported only by the Torch engine.
"""

import torch

from .nnls import _P_BAR

# Rows solved at once by ``nnls_rows``: bounds the (rows, k, k) systems in memory.
_NNLS_ROWS = 4096
# Entries evaluated at once by ``wh_at``: bounds the (entries, k) gathers.
_WH_ENTRIES = 1 << 22


def _rows_of(indptr, nnz):
    n = indptr.shape[0] - 1
    counts = indptr[1:] - indptr[:-1]
    return torch.repeat_interleave(torch.arange(n, device=indptr.device), counts, output_size=nnz)


def wh_at(indptr, indices, W, Ht, out):
    """Values of W @ Ht.T at the stored entries of a CSR structure, into ``out``."""
    rows = _rows_of(indptr, out.shape[0])
    step = max(1, _WH_ENTRIES // max(W.shape[1], 1))
    for s in range(0, out.shape[0], step):
        e = min(s + step, out.shape[0])
        out[s:e] = (W[rows[s:e]] * Ht[indices[s:e]]).sum(1)
    return out


def kl_ccd_sweep(W, Ht, hsum, indptr, indices, data, wh, order, n_newton, l1, l2):
    """One KL coordinate-descent sweep over the columns of W, all rows at once.

    The update of ``kernels.kl.kl_ccd_sweep_xp`` (see it for the parameters): projected
    Newton steps per coordinate, each halved until the row's 1-D objective does not
    increase; ``wh`` (W H at the stored entries) is kept up to date. As in the compiled
    kernel, the Newton step and the descent test are computed in float64 also for
    float32 data, and each per-row sum is added onto its starting value in turn.
    """
    f64 = torch.float64
    rows = _rows_of(indptr, data.shape[0])
    eps = torch.finfo(W.dtype).eps
    live = data != 0
    safe = torch.where(live, data.to(f64), 1.0)
    zero = torch.zeros((), dtype=W.dtype, device=W.device)
    moves = 0

    def accumulate(start, v):
        # start + sum of v per row, added onto the start as the compiled kernel does
        # (on the CPU, index_add_ adds in turn)
        return start.index_add_(0, rows, v.to(f64))

    for t in [int(v) for v in order]:
        h_all = Ht[indices, t]
        h = torch.where(live, h_all, zero)
        h64 = h.to(f64)
        base = hsum[t].to(f64) + l1
        for _ in range(n_newton):
            w = W[:, t].to(f64)
            y = wh.clamp(min=eps)
            r = torch.where(live, data / y, zero)
            g = accumulate(base + l2 * w, -(r * h))
            c = accumulate(torch.full_like(w, l2), torch.where(live, r * h * h / y, zero))
            newton = w - g / torch.where(c > 0, c, 1.0)
            flat = torch.where(g > 0, 0.0, w)  # no curvature: see the Numba kernel
            d = torch.where(c > 0, newton, flat).clamp(min=0) - w
            y64 = y.to(f64)
            for _ in range(60):  # halve each row's step until its objective does not rise
                ratio = torch.where(live, d[rows] * h64 / y64, 0.0)
                logs = torch.where(live, safe * torch.log1p(ratio), 0.0)
                df = accumulate(d * (base + l2 * (w + 0.5 * d)), -logs)
                bad = (d < 0) & ~(df <= 0)  # a step up always descends (f''' <= 0)
                if not bool(bad.any()):
                    break
                d = torch.where(bad, d * 0.5, d)
            else:
                d = torch.where(bad, 0.0, d)
            changed = int(torch.count_nonzero(d))
            if not changed:
                break
            W[:, t] = (w + d).to(W.dtype)
            moves += changed
            # W H at every stored entry, explicit zeros too
            wh.copy_((wh.to(f64) + d[rows] * h_all.to(f64)).to(wh.dtype))
    return moves


def _masked_solve(G, B, P):
    """Per row, solve G[p, p] x[p] = B[p] with x = 0 off the passive set p."""
    k = G.shape[0]
    mask = P[:, :, None] & P[:, None, :]
    A = torch.where(mask, G, torch.zeros((), dtype=G.dtype, device=G.device))
    eye = torch.eye(k, dtype=torch.bool, device=G.device)
    A = torch.where(eye & ~P[:, :, None], torch.ones((), dtype=G.dtype, device=G.device), A)
    b = torch.where(P, B, torch.zeros((), dtype=B.dtype, device=B.device))
    x, info = torch.linalg.solve_ex(A, b)
    failed = info != 0
    if bool(failed.any()):  # a singular passive block: least squares through the pseudo-inverse
        x[failed] = (torch.linalg.pinv(A[failed]) @ b[failed].unsqueeze(-1)).squeeze(-1)
    return x


def _nnls_block(G, B, X, small):
    """Block principal pivoting (Kim & Park 2011) on a block of rows, all at once."""
    n, k = B.shape
    P = X > 0
    budget = torch.full((n,), _P_BAR, device=B.device)
    best = torch.full((n,), k + 1, device=B.device)
    index = torch.arange(k, device=B.device)
    todo = torch.arange(n, device=B.device)
    X = torch.zeros_like(B)
    for _ in range(5 * k + 10):
        if todo.numel() == 0:
            break
        Xt = _masked_solve(G, B[todo], P[todo])
        Yt = Xt @ G - B[todo]
        Xt = torch.where(Xt.abs() < small, torch.zeros_like(Xt), Xt)
        Yt = torch.where((Yt.abs() < small) | P[todo], torch.zeros_like(Yt), Yt)
        X[todo] = Xt
        bad = ((Yt < 0) & ~P[todo]) | ((Xt < 0) & P[todo])
        n_bad = bad.sum(1)
        keep = n_bad > 0
        todo, bad, n_bad = todo[keep], bad[keep], n_bad[keep]
        if todo.numel() == 0:
            break
        full = n_bad < best[todo]
        best[todo[full]] = n_bad[full]
        budget[todo[full]] = _P_BAR
        retry = ~full & (budget[todo] >= 1)
        budget[todo[retry]] -= 1
        backup = ~(full | retry)
        # backup rule: exchange only the largest violating index
        last = (bad * index).argmax(1)
        only = torch.nn.functional.one_hot(last, k).bool() & backup[:, None]
        flip = torch.where(backup[:, None], only, bad)
        P[todo] ^= flip
    return X.clamp(min=0)


def nnls_rows(G, B, X, small):
    """Solve every row of X ≥ 0: min ½ xᵀ G x − B[i]·x, warm-started from X (overwritten).

    The same problem and signature as ``kernels._numba_nnls.nnls_rows``; rows are solved
    in batches of masked systems (one batched LU per exchange).
    """
    for s in range(0, B.shape[0], _NNLS_ROWS):
        e = min(s + _NNLS_ROWS, B.shape[0])
        new = _nnls_block(G, B[s:e], X[s:e], small)
        # the numba kernel's safeguard: keep the warm start where it is the better point
        better = _quadratic(G, B[s:e], new) <= _quadratic(G, B[s:e], X[s:e])
        X[s:e] = torch.where(better[:, None], new, X[s:e])
    return X


def _quadratic(G, B, Y):
    """½ yᵀ G y − b·y for each row y of Y (b the row of B)."""
    return 0.5 * ((Y @ G) * Y).sum(1) - (B * Y).sum(1)
