"""The figures of docs/rank.md: the rank survey and the consensus map of scikit-learn's
breast cancer data (569 samples x 30 features scaled to [0, 1], 2 diagnoses), KL loss,
seed 0, as in benchmarks/rank_groups.py: a case where the held-out error alone (the
rule before issue 22) suggests 8 and the stability criteria fall after 3.

Usage::

    python benchmarks/rank_figures.py [--out benchmarks]
"""

import argparse
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from sklearn.preprocessing import minmax_scale  # noqa: E402

from nmfkit import ConsensusNMF, select_rank  # noqa: E402
from nmfkit.plot import consensus_map  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(Path(__file__).parent))
    args = p.parse_args()
    warnings.simplefilter("ignore")
    data = load_breast_cancer()
    X, labels = minmax_scale(data.data), data.target
    kl = dict(beta_loss="kullback-leibler", max_iter=400)
    survey = select_rank(X, ranks=range(2, 9), n_runs=10, random_state=0, **kl)
    for key, pick in survey.picks.items():
        print(f"pick of {key}: {pick}")
    print(f"suggested rank: {survey.suggested_rank}")
    fig, _ = survey.plot()
    fig.savefig(Path(args.out) / "rank_survey_breast_cancer.png", dpi=80)
    model = ConsensusNMF(survey.suggested_rank, n_runs=20, random_state=0, **kl).fit(X)
    print(
        f"k={survey.suggested_rank}: ARI with the diagnoses: dominant component "
        f"{adjusted_rand_score(labels, model.labels_):.3f}, consensus tree "
        f"{adjusted_rand_score(labels, model.consensus_labels_):.3f}; "
        f"cophenetic {model.cophenetic_:.3f}"
    )
    fig, _ = consensus_map(model)
    fig.savefig(Path(args.out) / "rank_consensus_breast_cancer.png", dpi=80)


if __name__ == "__main__":
    main()
