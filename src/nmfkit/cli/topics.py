"""``nmfkit topics``: topics of a corpus, similar documents, an HTML report."""

import os
import time

import numpy as np

from ..applications.topics.corpus import read_corpus
from ..applications.topics.model import TopicModel
from ..applications.topics.report import topic_report
from ..core.io import load
from ._common import (
    CLIError,
    add_iterations_and_seed,
    add_loss,
    check_paths,
    fit_progress,
    loss_of,
    save_text,
)


def add_parser(sub):
    """Register the sub-command and its handler ``run`` on ``sub`` (argparse sub-parsers)."""
    tp = sub.add_parser("topics", help="topics of a corpus, similar documents, an HTML report")
    tp.add_argument(
        "corpus",
        help=".txt (a document per line), .jsonl[.gz] (a JSON object per line) or .tsv/.csv "
        "(a header row and a text column)",
    )
    tp.add_argument("-k", "--n-topics", type=int, default=20, help="number of topics (default: 20)")
    add_loss(tp, only=(2.0, 1.0), why="TopicModel fits frobenius or kullback-leibler")
    tp.add_argument("--n-words", type=int, default=10, help="words shown per topic (default: 10)")
    tp.add_argument("--report", metavar="HTML", help="write a self-contained HTML report here")
    tp.add_argument(
        "--similar",
        metavar="DOC",
        help="list the documents most similar to document DOC (its row number from 0, or "
        "its title)",
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
    tp.add_argument(
        "-n", type=int, default=10, help="similar documents listed by --similar (default: 10)"
    )
    tp.add_argument(
        "-m",
        "--model",
        metavar="NPZ",
        help="use this saved model (written with -o from the same corpus) instead of fitting",
    )
    tp.add_argument(
        "--title-field",
        default="auto",
        help="JSON field or CSV/TSV column naming each document in the report and the "
        "similar documents (default: auto, the first of title, name or subject the file has)",
    )
    tp.set_defaults(func=run)
    return tp


def run(args):
    """``nmfkit topics``: fit (or load), print the topics, the similar documents, a report."""
    check_paths(
        [args.corpus] + ([args.model] if args.model else []),
        [(args.report, "report"), (args.output, "model")],
    )
    if args.n < 1:
        raise CLIError(f"-n {args.n}: list at least one similar document (-n 1 or more)")
    title_field = None if args.title_field.lower() == "none" else args.title_field
    docs, titles = read_corpus(
        args.corpus, text_field=args.text_field, encoding=args.encoding, title_field=title_field
    )
    similar = _document(args.similar, docs, titles) if args.similar is not None else None
    if args.model:
        model = _load(args.model, len(docs))
        print(
            f"{len(docs)} documents, {len(model.vocabulary_)} words, {model.n_topics} topics; "
            f"model {args.model} (no fit)"
        )
    else:
        model = TopicModel(
            args.n_topics,
            loss=loss_of(args),
            min_df=args.min_df,
            max_df=args.max_df,
            stop_words=None if args.no_stop_words else "english",
            max_iter=args.max_iter,
            random_state=args.seed,
            callback=fit_progress(args.max_iter),
        )
        start = time.perf_counter()
        model.fit(docs)
        model.callback.close()  # ends the progress bar's line, if one was drawn
        fit = model.model_
        print(
            f"{len(docs)} documents, {len(model.vocabulary_)} words, {args.n_topics} topics; "
            f"{fit.n_iter_} iterations in {time.perf_counter() - start:.2f} s ({fit.stop_reason_})"
        )
    name = str if titles is None else titles.__getitem__
    npmi = model.coherence("npmi", args.n_words)
    k = model.n_topics
    sizes = np.bincount(model.topic_labels_[model.topic_labels_ >= 0], minlength=k)
    print(f"{'topic':>5} {'docs':>6} {'NPMI':>6}  top words")
    for t, words in enumerate(model.topics(args.n_words)):
        print(f"{t:>5} {sizes[t]:>6} {npmi.per_topic[t]:>6.3f}  {' '.join(w for w, _ in words)}")
    print(f"mean NPMI {npmi.mean:.3f}")
    if similar is not None:
        print(f"\ndocuments most similar to {name(similar)}: {_snippet(docs[similar])}")
        for i, sim in model.similar_documents(similar, n=args.n):
            label = f"{i:>7}" if titles is None else f"{_snippet(titles[i], 30):<30}"
            print(f"{label} {sim:.3f}  {_snippet(docs[i])}")
    if args.report:
        page = topic_report(
            model,
            docs,
            n_words=args.n_words,
            title=f"Topics of {os.path.basename(args.corpus)}",
            titles=titles,
        )
        save_text(args.report, page)
        print(f"report      {args.report}")
    if args.output:
        model.set_params(callback=None)
        model.save(args.output)
        print(f"saved       {args.output}")
    return 0


def _document(doc, docs, titles):
    """The row of --similar's document: a row number, or a title of the corpus."""
    if doc.lstrip("-").isdigit():
        i = int(doc)
        if not 0 <= i < len(docs):
            raise CLIError(
                f"--similar {doc}: the corpus has {len(docs)} documents (0 to {len(docs) - 1})"
            )
        return i
    if titles is None:
        raise CLIError(
            f"--similar {doc!r}: give a row number (the corpus has no title field; name one "
            "with --title-field)"
        )
    matches = [i for i, t in enumerate(titles) if t.strip().lower() == doc.strip().lower()]
    if not matches:
        raise CLIError(f"--similar {doc!r}: no document has this title")
    return matches[0]


def _load(path, n_docs):
    """A saved TopicModel fitted on a corpus of ``n_docs`` documents."""
    model = load(path)
    if not isinstance(model, TopicModel):
        raise CLIError(
            f"{path} holds a {type(model).__name__}, not a topic model; give a file written "
            "by 'nmfkit topics -o'"
        )
    fitted_on = model.doc_topic_.shape[0]
    if fitted_on != n_docs:
        raise CLIError(
            f"{path} was fitted on {fitted_on} documents but the corpus has {n_docs}; give "
            "the corpus the model was fitted on (or fit anew without -m)"
        )
    return model


def _snippet(text, width=70):
    text = " ".join(text.split())
    return text[:width] + ("…" if len(text) > width else "")
