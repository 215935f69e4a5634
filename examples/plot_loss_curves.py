"""
Solvers and loss curves
=======================

Every fit records its objective at iteration 0 and every 10 iterations
(``loss_curve_``), and the seconds since its start (``loss_times_``); one stopping rule
(``tol``) holds for every solver. ``nmfkit.plot.loss_curve`` draws the objective against
iterations and seconds; called again on the same axes it compares fits. Here three
solvers fit the same planted data from the same start. :doc:`/loss-curves` has the same
on faces, and the benchmarks time them to a target objective.
"""

import matplotlib.pyplot as plt

from nmfkit import NMF
from nmfkit.datasets import make_planted
from nmfkit.plot import loss_curve

X = make_planted(n_samples=300, n_features=200, k=10, noise=0.1, random_state=0)[0]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for solver in ("hals", "bpp", "mu"):
    model = NMF(10, solver=solver, init="random", random_state=0, max_iter=200, tol=0)
    model.fit(X)
    print(f"{solver}: objective {model.loss_curve_[-1]:.4g} after {model.n_iter_} iterations")
    loss_curve(model, ax=axes, label=solver)
fig.tight_layout()
