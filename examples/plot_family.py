"""
NMF's relatives: semi-NMF and symmetric NMF
===========================================

Two of the models beside ``NMF``, on three groups of points in the plane (coordinates of
both signs, so plain NMF does not apply):

* ``SemiNMF`` keeps W ≥ 0 but lets the components take any sign (Ding, Li & Jordan 2010):
  its components are cluster centres, and W the soft memberships.
* ``SymmetricNMF`` factors a similarity graph A ≈ H Hᵀ with H ≥ 0 (Kuang, Ding & Park 2012):
  a graph clustering. ``similarity_graph`` builds the graph from the points.

:doc:`/family` has them (and separable NMF) on digits and on 20 Newsgroups as a graph.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import adjusted_rand_score as ari

from nmfkit import SemiNMF, SymmetricNMF, similarity_graph

rng = np.random.default_rng(0)
centres = np.array([[-2.0, 0.0], [2.0, 1.0], [0.0, -2.5]])
X = np.concatenate([c + 0.6 * rng.standard_normal((80, 2)) for c in centres])
truth = np.repeat(np.arange(3), 80)

semi = SemiNMF(3, random_state=0)
W = semi.fit_transform(X)
graph = similarity_graph(X)
clusters = SymmetricNMF(3, random_state=0).fit_predict(graph)
print(
    f"adjusted Rand index with the true groups: semi-NMF {ari(truth, W.argmax(axis=1)):.3f}, "
    f"symmetric NMF {ari(truth, clusters):.3f}"
)
print("semi-NMF components (any sign):\n", semi.components_.round(2))

fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharex=True, sharey=True)
axes[0].scatter(*X.T, c=W.argmax(axis=1), cmap="tab10", vmax=9, s=12)
axes[0].scatter(*semi.components_.T, marker="x", s=120, color="black", label="components")
axes[0].legend(loc="upper left")
axes[0].set_title("SemiNMF: points by their largest weight")
axes[1].scatter(*X.T, c=clusters, cmap="tab10", vmax=9, s=12)
axes[1].set_title("SymmetricNMF on the similarity graph")
fig.tight_layout()
