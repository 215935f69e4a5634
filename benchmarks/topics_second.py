"""Topics on a labelled corpus nobody tuned on: nmfkit's TopicModel against scikit-learn.

The check of issue 22: on a second corpus, the median over seeds of the NMI between each
document's dominant topic and its label, and of the mean NPMI of the topics, for
``TopicModel`` and for scikit-learn's ``NMF`` fitted on the same TF-IDF matrix (the
TopicModel's own vectorizer: ``min_df=2, max_df=0.95``, English stop words).

- nmfkit: ``TopicModel(k, init='random', random_state=s)`` and its ``topic_labels_``.
- scikit-learn: ``NMF(k, init='random', random_state=s)`` with its defaults; its
  dominant topic as a scikit-learn user takes it, ``argmax(W)``, and also by
  TopicModel's rule (W scaled by ‖H_t‖₂), so that the rule and the fit can be told apart.
- NPMI: ``nmfkit.topic_coherence`` of the top 10 words on the corpus, for both.
- The default start (NNDSVDa, no seed) once for each library, and with ``--kl`` the
  Kullback-Leibler fits (TopicModel ``loss='kl'`` against scikit-learn's MU) too.

The second corpus used in BENCHMARKS.md is Debian's package descriptions labelled by
their archive section (``--debian FILE`` writes it from ``apt-cache dumpavail``, which
needs a Debian system whose package lists are up to date: ``apt-get update``).

Usage::

    python benchmarks/topics_second.py --debian /tmp/debian.jsonl.gz   # make the corpus
    python benchmarks/topics_second.py /tmp/debian.jsonl.gz --label section [--kl]
    python benchmarks/topics_second.py ../shared/data/20newsgroups/20news_bydate.jsonl.gz
"""

import argparse
import gzip
import json
import subprocess
import time
import warnings

import numpy as np
from sklearn.decomposition import NMF as SkNMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import normalized_mutual_info_score as nmi

from nmfkit import TopicModel, topic_coherence
from nmfkit.applications.topics.model import _shares


def debian_corpus(path):
    """Write Debian's package descriptions (name, section, text) as .jsonl.gz."""
    dump = subprocess.run(
        ["apt-cache", "dumpavail"], capture_output=True, text=True, check=True
    ).stdout
    packages = {}
    for block in dump.split("\n\n"):
        fields, lines, key = {}, [], None
        for line in block.splitlines():
            if line.startswith(" ") and key == "Description":
                lines.append("" if line.strip() == "." else line.strip())
            elif ":" in line and not line.startswith(" "):
                key, _, value = line.partition(":")
                fields[key] = value.strip()
                if key == "Description":
                    lines = [value.strip()]
        if "Package" in fields and "Section" in fields and lines:
            section = fields["Section"].split("/")[-1]  # contrib/net -> net
            packages[fields["Package"]] = {
                "name": fields["Package"], "section": section, "text": " ".join(lines)
            }  # fmt: skip
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for record in packages.values():
            f.write(json.dumps(record) + "\n")
    print(f"{len(packages)} package descriptions written to {path}")


def fit_both(X, vocab, y, k, seed, loss):
    """One seed: (nmfkit NMI, nmfkit NPMI, seconds), (sk NMI argmax W, NMI shares, NPMI, s)."""
    init = "random" if seed is not None else None
    start = time.perf_counter()
    tm = TopicModel(k, loss=loss, init=init, random_state=seed).fit(X, vocabulary=vocab)
    ours = (nmi(y, tm.topic_labels_), tm.coherence().mean, time.perf_counter() - start)
    kw = {"beta_loss": "kullback-leibler", "solver": "mu"} if loss == "kl" else {}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = SkNMF(k, init=init, random_state=seed, **kw)
        W = sk.fit_transform(X)
    seconds = time.perf_counter() - start
    H = sk.components_
    theirs = (
        nmi(y, W.argmax(axis=1)),
        nmi(y, _shares(W, H, loss).argmax(axis=1)),
        topic_coherence(H, X).mean,
        seconds,
    )
    return ours, theirs


def summary(values):
    v = np.asarray(values)
    return {"median": float(np.median(v)), "min": float(v.min()), "max": float(v.max())}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", nargs="?", help=".jsonl.gz with a text field and a label field")
    p.add_argument("--label", default="label", help="the label field (default: label)")
    p.add_argument("--text", default="text", help="the text field (default: text)")
    p.add_argument("--split", default=None, help="keep records whose 'split' is this")
    p.add_argument("-k", type=int, default=20)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--kl", action="store_true", help="also the Kullback-Leibler fits")
    p.add_argument("--debian", metavar="OUT", help="write Debian's descriptions corpus and stop")
    p.add_argument("--json", default=None)
    args = p.parse_args()
    if args.debian:
        return debian_corpus(args.debian)
    with gzip.open(args.corpus, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    if args.split:
        records = [r for r in records if r.get("split") == args.split]
    y = [r[args.label] for r in records]
    vec = TopicModel(args.k)._make_vectorizer()
    X = vec.fit_transform([r[args.text] for r in records]).tocsr()
    vocab = vec.get_feature_names_out()
    print(f"{X.shape[0]} documents, {X.shape[1]} words, {len(set(y))} labels, k = {args.k}")
    results = {"documents": X.shape[0], "words": X.shape[1], "labels": len(set(y)), "k": args.k}
    for loss in ["frobenius"] + (["kl"] if args.kl else []):
        rows = [fit_both(X, vocab, y, args.k, s, loss) for s in range(args.seeds)]
        default = fit_both(X, vocab, y, args.k, None, loss)
        out = {
            "nmfkit_nmi": summary([r[0][0] for r in rows]),
            "nmfkit_npmi": summary([r[0][1] for r in rows]),
            "nmfkit_seconds": summary([r[0][2] for r in rows]),
            "sklearn_nmi_argmax_W": summary([r[1][0] for r in rows]),
            "sklearn_nmi_shares": summary([r[1][1] for r in rows]),
            "sklearn_npmi": summary([r[1][2] for r in rows]),
            "sklearn_seconds": summary([r[1][3] for r in rows]),
            "default_init": {"nmfkit": default[0], "sklearn": default[1]},
        }
        results[loss] = out
        print(f"\n{loss}: median [min, max] over seeds 0-{args.seeds - 1} (init='random')")
        for key, s in out.items():
            if key != "default_init":
                print(f"  {key:22s} {s['median']:.3f} [{s['min']:.3f}, {s['max']:.3f}]")
        ours, theirs = np.round(default[0], 3).tolist(), np.round(default[1], 3).tolist()
        print(f"  default init: nmfkit NMI/NPMI/s {ours}")
        print(f"  default init: scikit-learn NMI(argmax W)/NMI(shares)/NPMI/s {theirs}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
