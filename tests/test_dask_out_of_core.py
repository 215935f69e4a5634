"""Dask out of core: a fit on data larger than the cluster's memory, on its own cluster."""

import warnings

import numpy as np
import pytest

from nmfkit import NMF


def test_dask_fits_data_three_times_the_cluster_memory():
    """X is produced lazily, chunk by chunk, and is 3× what the workers may hold."""
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    limit = 600e6  # bytes per worker; 2 workers; about 230 MB of it is Python + libraries
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, memory_limit=limit, dashboard_address=None
        )
    with cluster, distributed.Client(cluster) as client:
        workers = set(client.scheduler_info()["workers"])
        n_rows = int(3 * 2 * limit / (2000 * 4)) + 1
        # 10 MB chunks: a chunk that travels between workers is copied once more to
        # aligned memory (engines._dask._aligned); with 20 MB chunks a worker once
        # reached 98 % of its limit in the full suite and was restarted
        X = da.random.default_rng(0).random((n_rows, 2000), chunks=(1250, 2000), dtype=np.float32)
        assert X.nbytes >= 3 * 2 * limit
        model = NMF(5, init="random", random_state=0, max_iter=2, tol=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # distributed's "unmanaged memory" notes
            W = model.fit_transform(X)
        # no worker was lost (a killed worker comes back under a new address)
        assert set(client.scheduler_info()["workers"]) == workers
        assert W.shape == (n_rows, 5) and W.chunks[0] == X.chunks[0]
        assert np.isfinite(model.reconstruction_err_)
        assert model.loss_curve_[-1] < model.loss_curve_[0]
