"""Write one model file per estimator, and the answers each model gives, to a folder.

Run once with nmfkit 0.x as it was before the layered package (issue 16); the files in
``tests/data/models-v1/`` came from that run, and ``tests/test_model_files.py`` checks
that today's ``nmfkit.load`` reads them and gives the same answers::

    PYTHONPATH=/path/to/old/src python tests/data/write_model_files.py tests/data/models-v1
"""

import sys
from pathlib import Path

import numpy as np


def inputs():
    """The small data sets the models are fitted on and answer for."""
    from nmfkit.datasets import make_planted

    X, _, _ = make_planted(30, 20, 3, noise=0.05, random_state=0)
    docs = ["cats purr", "dogs bark loudly", "cats and dogs", "birds sing", "dogs run"] * 4
    users, items = np.repeat(np.arange(10), 4), np.tile(np.arange(4), 10)
    ratings = (users + items) % 5 + 1.0
    return {"X": X, "docs": docs, "ratings": (users, items, ratings)}


# what each saved model is asked, from the inputs
ANSWERS = {
    "NMF": lambda m, d: m.transform(d["X"]),
    "NMF-missing": lambda m, d: m.predict_entries([0, 1], [2, 3]),
    "MiniBatchNMF": lambda m, d: m.transform(d["X"]),
    "Recommender": lambda m, d: m.predict([1, 2], [0, 3]),
    "TopicModel": lambda m, d: m.transform(["dogs and cats"]),
    "ConsensusNMF": lambda m, d: m.transform(d["X"]),
}


def fitted():
    """One fitted model per entry of ANSWERS."""
    from nmfkit import NMF, ConsensusNMF, MiniBatchNMF, Recommender, TopicModel

    d = inputs()
    X = d["X"]
    return {
        "NMF": NMF(3, random_state=0).fit(X),
        "NMF-missing": NMF(3, random_state=0).fit(np.where(X > 0.9, np.nan, X)),
        "MiniBatchNMF": MiniBatchNMF(3, random_state=0).fit(X),
        "Recommender": Recommender(2, random_state=0).fit(d["ratings"]),
        "TopicModel": TopicModel(2, min_df=1, random_state=0).fit(d["docs"]),
        "ConsensusNMF": ConsensusNMF(3, n_runs=3, random_state=0).fit(X),
    }


def main(folder):
    import nmfkit

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    d = inputs()
    for name, model in fitted().items():
        model.save(folder / f"{name}.npz")
        np.save(folder / f"{name}.answer.npy", ANSWERS[name](model, d))
    (folder / "VERSION").write_text(nmfkit.__version__ + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
