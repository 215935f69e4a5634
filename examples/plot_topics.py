"""
Topics of documents
===================

``TopicModel`` turns a corpus into TF-IDF, factorizes it and reports what a reader looks
at: each topic's words, each document's topic shares and dominant topic, similar documents
and the coherence of the topics. The corpus here is generated: documents of 12 words, each
drawn mostly from one of four themes' words, with some words shared by every theme. The
same model on 20 Newsgroups is in :doc:`/topic-words` and the benchmarks;
``nmfkit topics corpus.txt -k 4 --report topics.html`` writes an HTML report of the same.
"""

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

from nmfkit import TopicModel
from nmfkit.plot import top_features

themes = {
    "space": "orbit rocket launch nasa shuttle moon astronaut satellite telescope mars",
    "food": "pasta tomato basil garlic recipe oven cheese sauce olive bread",
    "music": "guitar melody chord drummer concert album singer rhythm piano tour",
    "sport": "match goal referee league striker coach stadium season penalty cup",
}
common = "people time year good new work day great".split()
rng = np.random.default_rng(0)
docs, labels = [], []
for label, words in enumerate(themes.values()):
    words = words.split()
    for _ in range(60):
        n_common = rng.integers(0, 4)
        picked = list(rng.choice(words, 12 - n_common)) + list(rng.choice(common, n_common))
        docs.append(" ".join(rng.permutation(picked)))
        labels.append(label)

model = TopicModel(4, min_df=2, random_state=0).fit(docs)
for t, words in enumerate(model.topics(n_words=6)):
    print(f"topic {t}:", " ".join(w for w, _ in words))
nmi = normalized_mutual_info_score(labels, model.topic_labels_)
print(f"NMI of the dominant topic with the theme: {nmi:.3f}")
print(f"mean NPMI coherence: {model.coherence('npmi')[1]:.3f}")
print("shares of a new document:", model.transform(["a rocket launch on the moon"]).round(2))

fig, axes = top_features(model.components_, model.vocabulary_, n=8, n_cols=4)
