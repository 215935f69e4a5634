"""Run a row-wise kernel over blocks of rows on a pool of threads.

Every kernel here updates row i from row i's data alone, so blocks of rows can run at
the same time on threads (the compiled kernels release the GIL). The blocks depend on
the size of the work only, never on the number of threads, and per-block results are
added up in block order: the output is the same bit for bit on any machine and with
any number of threads.

Idle pool threads sleep on a queue; they do not spin, so they leave the cores to BLAS
between kernels (Numba's OpenMP layer spins, and on a 2-core machine that and BLAS's
spinning made an Olivetti fit take 25 s instead of 11 s). Several threads may call
kernels at once.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Work (about flops) below which a kernel runs whole in the calling thread, and the
# largest number of blocks; between them, one block per _MIN_WORK.
_MIN_WORK = 1 << 20
_MAX_BLOCKS = 64

_pool, _pool_size = None, 0
_lock = threading.Lock()


def n_threads():
    """Threads in the pool: the CPUs this process may use, capped by NMFKIT_NUM_THREADS
    and then by NUMBA_NUM_THREADS (nmfkit's kernels are Numba's).

    joblib's process workers (``select_rank``, ``ConsensusNMF``, a user's ``Parallel``
    around nmfkit) get NUMBA_NUM_THREADS (and OMP_NUM_THREADS) = CPUs // n_jobs: two
    workers on two cores then run one thread each instead of four threads fighting for
    two cores. OMP_NUM_THREADS is not read: a Dask ``Client`` that starts worker
    processes sets it to 1 in the calling process for good, which would leave that
    process's own fits on one thread.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    for name in ("NMFKIT_NUM_THREADS", "NUMBA_NUM_THREADS"):
        cap = os.environ.get(name)
        if not cap:
            continue
        try:
            return max(1, min(cpus, int(cap)))
        except ValueError:
            if name != "NMFKIT_NUM_THREADS":
                continue  # Numba's setting, in a form it may accept
            raise ValueError(
                f"NMFKIT_NUM_THREADS={cap!r} is not a whole number; set it to the number "
                "of threads to use (for example 2), or unset it to use every CPU."
            ) from None
    return cpus


def _forget_pool():
    # a forked child inherits the pool object but not its threads: start a new one
    global _pool, _pool_size, _lock
    _pool, _pool_size, _lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _get_pool(threads):
    """The pool, made anew when the number of threads asked for has changed."""
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size != threads:
            old = _pool
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="nmfkit")
            _pool_size = threads
            if old is not None:
                old.shutdown(wait=False)  # work already handed to it still runs
        return _pool


def blocks(cost, min_work=None, max_blocks=None):
    """Row boundaries of blocks of about equal work.

    Parameters
    ----------
    cost : ndarray of shape (n + 1,)
        Cumulative work: rows ``i:j`` cost ``cost[j] - cost[i]``.
    min_work, max_blocks : int, optional
        One block per ``min_work``, at most ``max_blocks`` (default: the kernels'),
        rounded down to a power of two.

    Returns
    -------
    ndarray of int
        Boundaries ``0 = b[0] < b[1] < ... = n``.
    """
    n, total = len(cost) - 1, float(cost[-1])
    min_work = _MIN_WORK if min_work is None else min_work
    max_blocks = _MAX_BLOCKS if max_blocks is None else max_blocks
    count = int(min(max_blocks, n, total // min_work))
    # a power of two: blocks of equal work then share out evenly over 2, 4, 8... threads
    # (3 blocks on 2 threads take as long as 4); still set by the work alone
    count = 1 << (count.bit_length() - 1) if count > 1 else count
    if count <= 1:
        return np.array([0, n])
    cuts = np.searchsorted(cost, total * np.arange(1, count) / count)
    return np.unique(np.concatenate(([0], cuts, [n])))


def even_blocks(n, row_work, min_work=None, max_blocks=None):
    """``blocks`` for ``n`` rows that each cost ``row_work``."""
    return blocks(np.arange(n + 1, dtype=np.float64) * row_work, min_work, max_blocks)


def csr_blocks(indptr, entry_work):
    """``blocks`` for the rows of a CSR matrix: a row costs (stored entries + 1)·entry_work."""
    return blocks((indptr + np.arange(len(indptr))).astype(np.float64) * entry_work)


def map_blocks(func, bounds):
    """``[func(lo, hi) for each block]``, on the pool when there is more than one block."""
    pairs = list(zip(bounds[:-1], bounds[1:]))
    threads = n_threads()
    # work handed out from a pool thread runs there: a pool thread waiting on the pool
    # could wait forever once every thread does
    inside = threading.current_thread().name.startswith("nmfkit")
    if len(pairs) == 1 or threads == 1 or inside:
        return [func(lo, hi) for lo, hi in pairs]
    return list(_get_pool(threads).map(lambda p: func(*p), pairs))
