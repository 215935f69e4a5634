"""
Gene expression programs of single cells
========================================

``GeneProgramNMF`` runs the cNMF workflow (Kotliar et al. 2019): over-dispersed genes,
many seeded NMF runs at each candidate k, their consensus, and k chosen from the
stability and error curves. The counts here are simulated as in the cNMF paper
(``make_single_cell``): 400 cells of 3 identities, half of them also running an
activity program, so 4 programs in all. :doc:`/single_cell` has the workflow in full
and a real data set.
"""

import matplotlib.pyplot as plt
import numpy as np

from nmfkit import GeneProgramNMF
from nmfkit.applications.singlecell import match_programs
from nmfkit.datasets import make_single_cell

counts, usages, programs, _ = make_single_cell(
    n_cells=400,
    n_genes=500,
    n_identity=3,
    n_activity=1,
    de_prob=0.1,
    activity_prob=0.5,
    random_state=0,
)
expressed = np.asarray(counts.sum(axis=0)).ravel() > 0  # cNMF needs every gene seen once
counts, programs = counts[:, expressed], programs[:, expressed]
model = GeneProgramNMF(range(2, 7), n_runs=10, n_top_genes=300, random_state=0).fit(counts)
print("k chosen:", model.n_components_)
r, _ = match_programs(programs, model.spectra_tpm_)
print("correlation of each true program with its match:", np.round(r, 3))

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
model.plot_k_selection(ax=axes[0])
identity = usages[:, :3].argmax(axis=1)
order = np.argsort(identity, kind="stable")
axes[1].imshow(model.usages_[order], aspect="auto", cmap="viridis", interpolation="nearest")
axes[1].set_xticks(range(model.n_components_))
axes[1].set_xlabel("program found")
axes[1].set_ylabel("cells, grouped by true identity")
axes[1].set_title("usages")
fig.tight_layout()
