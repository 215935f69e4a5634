"""
How many components, and which to trust
=======================================

``select_rank`` fits NMF many times at each candidate rank and reports the usual criteria:
the cophenetic correlation of the consensus matrix (Brunet et al. 2004), the stability of
the components across runs, the error on held-out entries and the fit error.
``ConsensusNMF`` then keeps the components that recur across seeded runs. The data are a
planted factorization of rank 4 with noise, so the answer is known. :doc:`/rank` has the
rules and the real-data checks.
"""

from nmfkit import ConsensusNMF, select_rank
from nmfkit.datasets import make_planted
from nmfkit.plot import consensus_map

X = make_planted(n_samples=60, n_features=40, k=4, noise=0.5, sparsity=0.5, random_state=0)[0]
survey = select_rank(X, ranks=range(2, 8), n_runs=8, random_state=0, max_iter=500)
print(survey.table.round(3).T.to_string())  # one column per rank
print("suggested rank:", survey.suggested_rank)
figure = survey.plot()

# %%
# The consensus matrix of 20 runs at the suggested rank: how often two samples fall in the
# same cluster (their dominant component). Clean blocks mean stable clusters.
model = ConsensusNMF(survey.suggested_rank, n_runs=20, max_iter=1000, random_state=0).fit(X)
print(f"cophenetic correlation {model.cophenetic_:.3f}")
figure = consensus_map(model)
