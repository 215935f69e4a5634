"""The application commands of the ``nmfkit`` command line: recommend, topics, images,
rank and consensus."""

import os
import sys
import time

import numpy as np

from .cli import CLIError

__all__ = ["cmd_recommend", "cmd_topics", "cmd_images", "cmd_rank", "cmd_consensus"]


def cmd_recommend(args):
    """``nmfkit recommend``: recommendations for a user, or k-fold evaluation."""
    from . import Recommender, cross_validate_ratings, read_ratings

    if args.user is None and not args.evaluate:
        raise CLIError("give --user ID to recommend for, or --evaluate to cross-validate")
    if not os.path.isfile(args.ratings):
        raise CLIError(f"ratings file not found: {args.ratings}")
    users, items, values = read_ratings(args.ratings, sep=args.sep)
    params = dict(
        n_components=args.n_components, reg=args.reg, reg_bias=args.reg_bias, max_iter=args.max_iter
    )
    n_users, n_items = len(np.unique(users)), len(np.unique(items))
    print(f"ratings     {len(values)} by {n_users} users on {n_items} items")
    if args.evaluate:
        folds = cross_validate_ratings(
            (users, items, values), n_splits=args.folds, random_state=args.seed, k=args.n, **params
        )
        at = f"@{args.n}"
        print(f"{'fold':>4} {'RMSE':>7} {'MAE':>7} {'P' + at:>7} {'R' + at:>7} {'fit (s)':>8}")
        for f, m in enumerate(folds, 1):
            print(
                f"{f:>4} {m['rmse']:>7.4f} {m['mae']:>7.4f} {m['precision_at_k']:>7.4f} "
                f"{m['recall_at_k']:>7.4f} {m['fit_time']:>8.2f}"
            )
        mean = {key: float(np.mean([m[key] for m in folds])) for key in folds[0]}
        print(
            f"{'mean':>4} {mean['rmse']:>7.4f} {mean['mae']:>7.4f} {mean['precision_at_k']:>7.4f} "
            f"{mean['recall_at_k']:>7.4f} {mean['fit_time']:>8.2f}"
        )
    if args.user is not None:
        model = Recommender(random_state=args.seed, **params).fit((users, items, values))
        user = args.user
        if model.user_ids_.dtype.kind == "i":
            try:
                user = int(user)
            except ValueError:
                raise CLIError(
                    f"user {user!r} is not in {args.ratings} (its ids are integers)"
                ) from None
        try:
            recs = model.recommend(user, n=args.n, exclude_seen=not args.include_seen)
        except KeyError as exc:
            raise CLIError(f"{exc.args[0]} ({args.ratings})") from None
        print(f"top {len(recs)} for user {user}:")
        print(f"{'rank':>4}  {'item':<20} {'predicted':>9}")
        for rank, (item, score) in enumerate(recs, 1):
            print(f"{rank:>4}  {str(item):<20} {score:>9.3f}")
    return 0


def _draw(label, done, total, extra=""):
    """Redraw the one-line progress bar on stderr."""
    filled = int(30 * min(done / total, 1.0))
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}{extra}")
    sys.stderr.flush()


def _progress(max_iter):
    """An NMF callback drawing the progress bar with the loss and the time so far."""
    start = time.perf_counter()

    def show(n_iter, loss, W, H):
        elapsed = time.perf_counter() - start
        _draw("fitting", n_iter, max_iter, f" loss {loss:.5g} {elapsed:.1f}s")
        return False

    return show


def _bar(label):
    """A ``progress(done, total)`` callback drawing the progress bar, ended by a newline."""

    def show(done, total):
        _draw(label, done, total)
        if done == total:
            sys.stderr.write("\n")

    return show


def cmd_topics(args):
    """``nmfkit topics``: fit, print the topics, and the similar documents or a report."""
    from . import TopicModel
    from ._corpus import read_corpus
    from .cli import writable

    writable(args.report, "report")
    writable(args.output, "model")
    from ._report import topic_report

    docs = read_corpus(args.corpus, text_field=args.text_field, encoding=args.encoding)
    model = TopicModel(
        args.n_topics,
        loss=args.loss,
        min_df=args.min_df,
        max_df=args.max_df,
        stop_words=None if args.no_stop_words else "english",
        max_iter=args.max_iter,
        random_state=args.seed,
        callback=_progress(args.max_iter),
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
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(page)
        print(f"report      {args.report}")
    if args.output:
        model.set_params(callback=None)
        model.save(args.output)
        print(f"saved       {args.output}")
    return 0


def _snippet(text, width=70):
    text = " ".join(text.split())
    return text[:width] + ("…" if len(text) > width else "")


def cmd_images(args):
    """``nmfkit images``: the parts (basis images) of an image stack, drawn to a PNG."""
    from .cli import writable
    from .images import fit_images, normalize_contrast, read_images
    from .metrics import hoyer_sparseness

    writable(args.out, "image")
    writable(args.output, "model")

    images = read_images(args.input)
    if args.normalize:
        images = normalize_contrast(images)
    patch = tuple(args.patch) if args.patch else None
    start = time.perf_counter()
    model, basis = fit_images(
        images,
        args.n_components,
        patch_size=patch,
        max_patches=args.max_patches,
        random_state=args.seed,
        max_iter=args.max_iter,
        solver=args.solver,
    )
    elapsed = time.perf_counter() - start
    what = f"patches {patch[0]}x{patch[1]}" if patch else "whole images"
    print(f"{len(images)} images of {images.shape[1]}x{images.shape[2]}, {what}")
    print(
        f"{args.n_components} parts in {elapsed:.2f} s ({model.n_iter_} iterations, "
        f"{model.stop_reason_}); Hoyer sparseness of the parts "
        f"{hoyer_sparseness(model.components_)[1]:.3f}"
    )
    try:
        import matplotlib

        matplotlib.use("Agg")
        from .plot import components_as_images

        fig, _ = components_as_images(
            basis.reshape(len(basis), -1), basis.shape[1:], title="NMF parts"
        )
        fig.savefig(args.out, dpi=100, bbox_inches="tight")
        print(f"parts image {args.out}")
    except ImportError:
        raise CLIError("drawing the parts needs matplotlib: pip install 'nmfkit[plot]'") from None
    if args.output:
        model.save(args.output)
        print(f"saved       {args.output}")
    return 0


def _ranks(text):
    """'2-10', '5-30:5' or '2,3,5' as a list of ranks."""
    try:
        if "-" in text:
            span, _, step = text.partition(":")
            lo, hi = (int(v) for v in span.split("-"))
            return list(range(lo, hi + 1, int(step) if step else 1))
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise CLIError(
            f"--ranks {text!r}: write a range like 2-10 (or 5-30:5) or a list 2,3,5"
        ) from None


def cmd_rank(args):
    """``nmfkit rank``: the rank criteria as a table, and optionally a plot."""
    from . import select_rank
    from .cli import read_matrix, writable

    writable(args.plot, "plot")
    X = read_matrix(args.input)
    criteria = tuple(args.criteria.split(","))
    if hasattr(X, "nnz") and "heldout" in criteria:
        criteria = tuple(c for c in criteria if c != "heldout")
        print("sparse input: the held-out criterion (which needs dense X) is left out")
    start = time.perf_counter()
    survey = select_rank(
        X,
        ranks=_ranks(args.ranks),
        n_runs=args.runs,
        criteria=criteria,
        random_state=args.seed,
        n_jobs=args.jobs,
        max_iter=args.max_iter,
        progress=_bar("fits"),
    )
    keys = [k for k in survey.rows[0] if k != "rank"]
    print(f"{'rank':>4} " + " ".join(f"{k:>18}" for k in keys))
    for row in survey.rows:
        print(f"{row['rank']:>4} " + " ".join(f"{row[k]:>18.4f}" for k in keys))
    print(f"suggested rank: {survey.suggested_rank} ({time.perf_counter() - start:.1f} s)")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        fig, _ = survey.plot()
        fig.savefig(args.plot, dpi=90, bbox_inches="tight")
        print(f"plot        {args.plot}")
    return 0


def cmd_consensus(args):
    """``nmfkit consensus``: a consensus factorization from many random starts."""
    from . import ConsensusNMF
    from .cli import read_matrix, writable

    writable(args.output, "model")

    X = read_matrix(args.input)
    start = time.perf_counter()
    model = ConsensusNMF(
        args.n_components,
        n_runs=args.runs,
        random_state=args.seed,
        n_jobs=args.jobs,
        max_iter=args.max_iter,
    ).fit(X)
    print(
        f"{args.runs} runs of k={args.n_components} in {time.perf_counter() - start:.1f} s: "
        f"cophenetic {model.cophenetic_:.4f}, dispersion {model.dispersion_:.4f}, "
        f"stability {model.stability_:.4f}, {model.n_outliers_} outlier components dropped"
    )
    model.save(args.output)
    print(f"saved       {args.output}")
    return 0
