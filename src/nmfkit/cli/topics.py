"""``nmfkit topics``: topics of a corpus, similar documents, an HTML report."""

import os
import sys
import time

import numpy as np

from ..applications.topics.corpus import read_corpus
from ..applications.topics.model import TopicModel
from ..applications.topics.report import topic_report
from ._common import CLIError, add_iterations_and_seed, check_paths, fit_progress, save_text


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    tp = sub.add_parser("topics", help="topics of a corpus, similar documents, an HTML report")
    tp.add_argument(
        "corpus",
        help=".txt (a document per line), .jsonl[.gz] (a JSON object per line) or .tsv/.csv "
        "(a header row and a text column)",
    )
    tp.add_argument("-k", "--n-topics", type=int, default=20, help="number of topics (default: 20)")
    tp.add_argument(
        "--loss",
        default="frobenius",
        choices=("frobenius", "kl", "kullback-leibler"),
        help="NMF loss (default: frobenius)",
    )
    tp.add_argument("--n-words", type=int, default=10, help="words shown per topic (default: 10)")
    tp.add_argument("--report", metavar="HTML", help="write a self-contained HTML report here")
    tp.add_argument(
        "--similar", type=int, metavar="N", help="list the documents most similar to document N"
    )
    tp.add_argument(
        "--text-field",
        default="text",
        help="JSON field or CSV/TSV column of the text (default: text)",
    )
    tp.add_argument("--encoding", default="utf-8", help="file encoding (default: utf-8)")
    tp.add_argument(
        "--min-df", type=float, default=2, help="drop words in fewer documents (default: 2)"
    )
    tp.add_argument(
        "--max-df",
        type=float,
        default=0.95,
        help="drop words in a larger share of documents (default: 0.95)",
    )
    tp.add_argument(
        "--no-stop-words", action="store_true", help="keep English stop words (dropped by default)"
    )
    add_iterations_and_seed(tp, save_to=True)
    tp.set_defaults(func=run)
    return tp


def run(args):
    """``nmfkit topics``: fit, print the topics, and the similar documents or a report."""
    check_paths([args.corpus], [(args.report, "report"), (args.output, "model")])
    docs = read_corpus(args.corpus, text_field=args.text_field, encoding=args.encoding)
    model = TopicModel(
        args.n_topics,
        loss=args.loss,
        min_df=args.min_df,
        max_df=args.max_df,
        stop_words=None if args.no_stop_words else "english",
        max_iter=args.max_iter,
        random_state=args.seed,
        callback=fit_progress(args.max_iter),
    )
    if args.similar is not None and not 0 <= args.similar < len(docs):
        raise CLIError(
            f"--similar {args.similar}: the corpus has {len(docs)} documents (0 to {len(docs) - 1})"
        )
    start = time.perf_counter()
    model.fit(docs)
    sys.stderr.write("\n")
    fit = model.model_
    print(
        f"{len(docs)} documents, {len(model.vocabulary_)} words, {args.n_topics} topics; "
        f"{fit.n_iter_} iterations in {time.perf_counter() - start:.2f} s ({fit.stop_reason_})"
    )
    npmi = model.coherence("npmi", args.n_words)
    sizes = np.bincount(model.topic_labels_[model.topic_labels_ >= 0], minlength=args.n_topics)
    print(f"{'topic':>5} {'docs':>6} {'NPMI':>6}  top words")
    for t, words in enumerate(model.topics(args.n_words)):
        print(f"{t:>5} {sizes[t]:>6} {npmi.per_topic[t]:>6.3f}  {' '.join(w for w, _ in words)}")
    print(f"mean NPMI {npmi.mean:.3f}")
    if args.similar is not None:
        print(f"\ndocuments most similar to {args.similar}: {_snippet(docs[args.similar])}")
        for i, sim in model.similar_documents(args.similar, n=5):
            print(f"{i:>7} {sim:.3f}  {_snippet(docs[i])}")
    if args.report:
        page = topic_report(
            model, docs, n_words=args.n_words, title=f"Topics of {os.path.basename(args.corpus)}"
        )
        save_text(args.report, page)
        print(f"report      {args.report}")
    if args.output:
        model.set_params(callback=None)
        model.save(args.output)
        print(f"saved       {args.output}")
    return 0


def _snippet(text, width=70):
    text = " ".join(text.split())
    return text[:width] + ("…" if len(text) > width else "")
