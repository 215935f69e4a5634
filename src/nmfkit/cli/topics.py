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
    # what -m cannot take: the saved model's own settings stand
    tp.set_defaults(func=run, fit_options={d: tp.get_default(d) for d in _FIT_OPTIONS})
    return tp


# the fit's options, by argparse dest, and how the user names them
_FIT_OPTIONS = {"n_topics": "-k", "loss": "--loss", "min_df": "--min-df", "max_df": "--max-df",
                "no_stop_words": "--no-stop-words", "max_iter": "--max-iter",
                "seed": "--seed"}  # fmt: skip


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
        given = [f for d, f in _FIT_OPTIONS.items() if getattr(args, d) != args.fit_options[d]]
        if given:
            raise CLIError(
                f"-m uses the saved model as it was fitted, so {', '.join(given)} would do "
                "nothing; leave them out, or fit anew without -m"
            )
        model = _load(args.model, docs)
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
    if not (args.model and similar is not None):  # a saved model's topics: shown before
        _print_topics(model, args.n_words)
    if similar is not None:
        named = (lambda i: f"{i}") if titles is None else (lambda i: f"{i} {titles[i]}")
        print(f"\ndocuments most similar to {named(similar)}: {_snippet(docs[similar])}")
        print(f"{'row':>7} {'affinity':>8}  {'document' if titles is None else 'title: document'}")
        for i, sim in model.similar_documents(similar, n=args.n):
            titled = titles is not None and titles[i]
            text = f"{titles[i]}: {_snippet(docs[i], 50)}" if titled else _snippet(docs[i])
            print(f"{i:>7} {sim:>8.3f}  {text}")
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


def _print_topics(model, n_words):
    """The table of topics: size (documents where dominant), NPMI, top words."""
    npmi = model.coherence("npmi", n_words)
    labels = model.topic_labels_
    sizes = np.bincount(labels[labels >= 0], minlength=model.n_topics)
    print(f"{'topic':>5} {'docs':>6} {'NPMI':>6}  top words")
    for t, words in enumerate(model.topics(n_words)):
        print(f"{t:>5} {sizes[t]:>6} {npmi.per_topic[t]:>6.3f}  {' '.join(w for w, _ in words)}")
    print(f"mean NPMI {npmi.mean:.3f}")


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
    if len(matches) > 1:
        rows = ", ".join(str(i) for i in matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise CLIError(
            f"--similar {doc!r}: {len(matches)} documents have this title (rows {rows}); give "
            "the row number of the one you mean"
        )
    return matches[0]


def _load(path, docs):
    """A saved TopicModel fitted on exactly these documents (their words, row by row)."""
    model = load(path)
    if not isinstance(model, TopicModel):
        raise CLIError(
            f"{path} holds a {type(model).__name__}, not a topic model; give a file written "
            "by 'nmfkit topics -o'"
        )
    fitted_on = model.doc_topic_.shape[0]
    if fitted_on != len(docs):
        raise CLIError(
            f"{path} was fitted on {fitted_on} documents but the corpus has {len(docs)}; give "
            "the corpus the model was fitted on (or fit anew without -m)"
        )
    # the words of each document, as the model's vectorizer reads them, against the
    # document-term structure the model kept of its training corpus
    X = model._vectorizer().transform(docs).tocsr()
    X.sort_indices()
    kept = model._presence()
    rows = np.flatnonzero(np.diff(X.indptr) != np.diff(kept.indptr))
    if not len(rows):  # the same number of words in every row: compare the words
        where = np.flatnonzero(X.indices != kept.indices)
        rows = np.unique(np.searchsorted(X.indptr, where, side="right") - 1)
    if len(rows):
        raise CLIError(
            f"{path} was fitted on other documents: {len(rows)} of the corpus's {len(docs)} "
            f"differ from its training corpus (first: row {rows[0]}); give the corpus the "
            "model was fitted on, in the same order (or fit anew without -m)"
        )
    return model


def _snippet(text, width=70):
    text = " ".join(text.split())
    return text[:width] + ("…" if len(text) > width else "")
