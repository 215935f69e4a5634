"""Topics of 20 Newsgroups (train, k = 20): nmfkit against scikit-learn and gensim.

Every model factorises the same TF-IDF matrix of the 11,314 training documents
(``TfidfVectorizer(min_df=5, max_df=0.5, stop_words='english')``), with its default
parameters and seed 0; the vectorizing is timed once and apart. Measured in one run:

- NMI between each document's dominant topic and its newsgroup
  (``normalized_mutual_info_score``); the dominant topic is the largest topic share, the
  same rule for every model (``TopicModel.doc_topic_``'s: W scaled by the topics' norms
  ‖H_t‖₂ for Frobenius, masses ‖H_t‖₁ for KL); scikit-learn's plain argmax of W is
  given too;
- mean NPMI coherence of the top 10 words, from document co-occurrence in the training
  corpus (``nmfkit.topic_coherence``, the same function for every model);
- fit time (median of ``--repeat`` fits).

Spread over starts: the same figures from ``--seeds`` random initialisations
(``init='random'``, seeds 0, 1, ...) for nmfkit, scikit-learn and gensim, as median and
range, since single runs differ by a few hundredths in NMI and NPMI.

Similar documents: each test document's most similar training document (nmfkit:
``TopicModel`` topic shares, Bhattacharyya coefficient; baseline: cosine of
scikit-learn NMF features, W from ``transform``) and how often its label is the test
document's, for k = 20 and k = 50.

Usage::

    python benchmarks/topics.py [--repeat 3] [--json out.json]
"""

import argparse
import gzip
import json
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.decomposition import NMF as SkNMF
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import normalize

from nmfkit import TopicModel, topic_coherence
from nmfkit.applications.topics.model import _shares

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "20newsgroups"
K = 20


def load():
    with gzip.open(CORPUS / "20news_bydate.jsonl.gz", "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    train = [d for d in docs if d["split"] == "train"]
    test = [d for d in docs if d["split"] == "test"]
    return train, test


def timed(fit, repeat):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fit()
        times.append(time.perf_counter() - start)
    return out, float(np.median(times))


def gensim_fit(X, vocab, k):
    """gensim's Nmf on the same TF-IDF rows; (H, W) as dense arrays."""
    from gensim.corpora import Dictionary
    from gensim.models.nmf import Nmf

    dictionary = Dictionary([[w] for w in vocab])  # ids 0..V-1 in vocabulary order
    corpus = [
        list(zip(X.indices[X.indptr[i] : X.indptr[i + 1]], X.data[X.indptr[i] : X.indptr[i + 1]]))
        for i in range(X.shape[0])
    ]
    model = Nmf(corpus, num_topics=k, id2word=dictionary, random_state=0)
    return model, corpus


def gensim_factors(model, corpus, k, n_words):
    H = model.get_topics()
    W = np.zeros((len(corpus), k))
    for i, bow in enumerate(corpus):
        for t, v in model.get_document_topics(bow, minimum_probability=0.0):
            W[i, t] = v
    return H, W


def nearest_label(train_vecs, test_vecs, y):
    return y[np.asarray((test_vecs @ train_vecs.T).argmax(axis=1)).ravel()]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", default=None)
    p.add_argument("--no-gensim", action="store_true", help="skip gensim's Nmf")
    p.add_argument("--seeds", type=int, default=5, help="random starts for the spread")
    args = p.parse_args()
    warnings.simplefilter("ignore")
    train, test = load()
    y = np.array([d["label_id"] for d in train])
    yt = np.array([d["label_id"] for d in test])
    vec = TfidfVectorizer(min_df=5, max_df=0.5, stop_words="english")
    start = time.perf_counter()
    X = vec.fit_transform([d["text"] for d in train]).tocsr()
    vectorize = time.perf_counter() - start
    vocab = vec.get_feature_names_out()
    Xt = vec.transform([d["text"] for d in test]).tocsr()
    n_docs, n_words = X.shape
    print(f"20 Newsgroups train: {n_docs} documents x {n_words} words, TF-IDF {vectorize:.1f} s")

    results = {}

    def record(name, H, W, seconds, extra=None, loss="frobenius"):
        shares = _shares(W, H, loss)
        results[name] = {
            "nmi": float(normalized_mutual_info_score(y, shares.argmax(axis=1))),
            "npmi": topic_coherence(H, X, 10, "npmi").mean,
            "umass": topic_coherence(H, X, 10, "umass").mean,
            "fit_seconds": seconds,
            **(extra or {}),
        }

    for loss in ("frobenius", "kullback-leibler"):
        model = TopicModel(K, loss=loss, random_state=0)
        tm, secs = timed(lambda m=model: m.fit(X, vocabulary=vocab), args.repeat)
        record(f"nmfkit TopicModel(loss={loss!r})", tm.components_, tm.model_.W_, secs, loss=loss)
    sk, secs = timed(lambda: SkNMF(K, random_state=0).fit(X), args.repeat)
    W_sk = sk.transform(X)
    record(
        "scikit-learn NMF()",
        sk.components_,
        W_sk,
        secs,
        {"nmi_argmax_W": float(normalized_mutual_info_score(y, W_sk.argmax(axis=1)))},
    )
    if not args.no_gensim:
        (gm, corpus), secs = timed(lambda: gensim_fit(X, vocab, K), args.repeat)
        H, W = gensim_factors(gm, corpus, K, 10)
        record("gensim Nmf()", H, W, secs)

    print(f"\nk = {K}: NMI (dominant topic vs newsgroup), mean NPMI and UMass (top 10 words),")
    print(f"fit time (median of {args.repeat})")
    print(f"{'model':<42} {'NMI':>6} {'NPMI':>7} {'UMass':>7} {'fit s':>7}")
    for name, r in results.items():
        scores = f"{r['nmi']:>6.3f} {r['npmi']:>7.3f} {r['umass']:>7.3f}"
        print(f"{name:<42} {scores} {r['fit_seconds']:>7.2f}")

    spread = {}

    def ours_seed(s):
        start = time.perf_counter()
        m = TopicModel(K, init="random", random_state=s).fit(X, vocabulary=vocab)
        return m.components_, m.model_.W_, time.perf_counter() - start

    def sklearn_seed(s):
        start = time.perf_counter()
        m = SkNMF(K, init="random", random_state=s).fit(X)
        return m.components_, m.transform(X), time.perf_counter() - start

    makers = {
        "nmfkit TopicModel(init='random')": ours_seed,
        "scikit-learn NMF(init='random')": sklearn_seed,
    }
    if not args.no_gensim:

        def gensim_seed(s, corpus=corpus):
            from gensim.corpora import Dictionary
            from gensim.models.nmf import Nmf

            words = Dictionary([[w] for w in vocab])
            start = time.perf_counter()
            model = Nmf(corpus, num_topics=K, id2word=words, random_state=s)
            seconds = time.perf_counter() - start
            return (*gensim_factors(model, corpus, K, 10), seconds)

        makers["gensim Nmf()"] = gensim_seed
    for name, make in makers.items():
        rows = []
        for seed in range(args.seeds):
            H, W, seconds = make(seed)
            rows.append(
                (
                    normalized_mutual_info_score(y, _shares(W, H).argmax(axis=1)),
                    topic_coherence(H, X, 10, "npmi").mean,
                    seconds,
                )
            )
        rows = np.array(rows)
        spread[name] = {
            "nmi": [float(v) for v in rows[:, 0]],
            "npmi": [float(v) for v in rows[:, 1]],
            "seconds": [float(v) for v in rows[:, 2]],
        }
    print(f"\nover {args.seeds} random starts: median [min, max]")
    print(f"{'model':<36} {'NMI':>22} {'NPMI':>22} {'fit s':>7}")
    for name, r in spread.items():
        cells = [
            f"{np.median(r[key]):.3f} [{min(r[key]):.3f}, {max(r[key]):.3f}]"
            for key in ("nmi", "npmi")
        ]
        print(f"{name:<36} {cells[0]:>22} {cells[1]:>22} {np.median(r['seconds']):>7.2f}")
    results["random_starts"] = spread

    similar = {}
    for k in (20, 50):
        tm = TopicModel(k, random_state=0).fit(X, vocabulary=vocab)
        mine = nearest_label(np.sqrt(tm.doc_topic_), np.sqrt(tm.transform(Xt)), y)
        sk = SkNMF(k, random_state=0).fit(X)
        base = nearest_label(normalize(sk.transform(X)), normalize(sk.transform(Xt)), y)
        similar[k] = {
            "nmfkit": float(np.mean(mine == yt)),
            "sklearn_cosine": float(np.mean(base == yt)),
        }
    print("\nsimilar documents: share of test documents whose most similar training document")
    print("has their label")
    for k, r in similar.items():
        ours, base = r["nmfkit"], r["sklearn_cosine"]
        print(f"  k = {k}: nmfkit TopicModel {ours:.3f}   scikit-learn NMF, cosine {base:.3f}")
    results["similar_documents"] = similar
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
