"""A Dask worker killed mid-fit does not lose the fit (issue 9, item 7)."""

import os
import signal
import warnings

import numpy as np
import pytest

from nmfkit import NMF


@pytest.mark.parametrize("solver", ["mu", "hals"])
def test_a_worker_killed_mid_fit_is_replaced_and_the_fit_ends_as_undisturbed(solver):
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=50
        )
    with cluster, distributed.Client(cluster) as client:
        X = da.from_array(np.random.default_rng(0).random((2000, 200)), chunks=(500, 200))
        params = dict(n_components=5, init="random", random_state=0, max_iter=16, tol=0)
        undisturbed = NMF(solver=solver, **params).fit(X)
        before = dict(client.run(os.getpid))
        killed = []

        def kill_a_worker(n_iter, loss, W, H):
            # at the check of iteration 10: W's chunks live on both workers by now
            if n_iter == 10:
                address, pid = sorted(before.items())[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(address)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = NMF(solver=solver, callback=kill_a_worker, **params).fit(X)
        after = set(client.scheduler_info()["workers"])
        assert killed and killed[0] not in after  # the worker died; its nanny started anew
        assert model.n_iter_ == 16 and model.stop_reason_ == "max_iter"
        # Dask recomputed the lost chunks, to the same bits
        np.testing.assert_array_equal(model.components_, undisturbed.components_)
        np.testing.assert_array_equal(model.loss_curve_, undisturbed.loss_curve_)
        np.testing.assert_array_equal(np.asarray(model.W_), np.asarray(undisturbed.W_))
