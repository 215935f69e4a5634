"""A self-contained HTML report of a fitted ``TopicModel`` (no scripts, no links)."""

import html

import numpy as np

__all__ = ["topic_report"]

_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 70em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table.words { border-collapse: collapse; }
table.words td { padding: 1px 6px; font-size: 0.9em; }
table.words th { padding: 1px 6px; font-size: 0.85em; color: #555; text-align: left; }
.bar { background: #4a7ab5; height: 0.8em; display: inline-block; }
.sizebar { background: #b5834a; height: 0.8em; display: inline-block; }
.doc { font-size: 0.85em; color: #444; border-left: 3px solid #ccc; padding-left: 8px;
       margin: 4px 0; white-space: pre-wrap; }
.meta { color: #666; font-size: 0.9em; }
"""


def topic_report(model, docs=None, n_words=10, n_examples=3, title="Topics", titles=None):
    """HTML for a fitted ``TopicModel``: every topic's words (with weight bars), its
    size (documents where it dominates, and its share of the corpus), its coherence and
    example documents.

    Parameters
    ----------
    model : TopicModel
    docs : sequence of str, optional
        The training documents, for the examples (none shown without them).
    n_words, n_examples : int
    title : str
    titles : sequence of str, optional
        A name for each training document (a title column), shown with its examples
        instead of its row number.

    Notes
    -----
    A topic's examples are the documents with its largest shares, skipping near
    duplicates: a document whose words overlap an example already shown by half or more
    (Jaccard index of their word sets) is passed over, so that reposted or templated
    documents do not fill a topic's examples (they fill the places left when the topic
    has no other documents; an identical text is never shown twice).

    Returns
    -------
    str
        A complete HTML page: inline CSS only, no script, image or link, so it renders
        the same with no network.
    """
    topics = model.topics(n_words)
    npmi = model.coherence("npmi", n_words)
    umass = model.coherence("umass", n_words)
    labels = model.topic_labels_
    sizes = np.bincount(labels[labels >= 0], minlength=len(topics))
    n_docs = len(labels)
    corpus_share = model.doc_topic_.sum(axis=0) / max(n_docs, 1)  # of all the shares
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{len(topics)} topics, {n_docs} documents, '
        f"{len(model.vocabulary_)} words. Mean coherence: NPMI {npmi.mean:.3f}, "
        f"UMass {umass.mean:.3f} (top {n_words} words, document co-occurrence).</p>",
        "<h2>Topic sizes</h2>",
        '<p class="meta">Documents where the topic dominates (bar), and its share of all '
        "the documents' topic shares.</p>",
        '<table class="words">',
        "<tr><th>topic</th><th>top words</th><th>documents</th><th>share</th></tr>",
    ]
    biggest = max(int(sizes.max()), 1)
    for t, words in enumerate(topics):
        head = ", ".join(esc(w) for w, _ in words[:4])
        width = 300 * sizes[t] / biggest
        out.append(
            f"<tr><td>topic {t}</td><td>{head}</td>"
            f'<td><span class="sizebar" style="width:{width:.0f}px"></span> {sizes[t]}</td>'
            f"<td>{100 * corpus_share[t]:.1f} %</td></tr>"
        )
    out.append("</table>")
    for t, words in enumerate(topics):
        out.append(
            f'<h2 id="topic-{t}">Topic {t}</h2><p class="meta">dominant in {sizes[t]} '
            f"documents ({100 * sizes[t] / max(n_docs, 1):.1f} %) · share of the corpus "
            f"{100 * corpus_share[t]:.1f} % · NPMI {npmi.per_topic[t]:.3f} · "
            f"UMass {umass.per_topic[t]:.3f}</p>"
        )
        out.append('<table class="words">')
        top = words[0][1] if words else 1.0
        for w, weight in words:
            width = 240 * weight / top
            out.append(
                f'<tr><td>{esc(w)}</td><td><span class="bar" style="width:{width:.0f}px">'
                f"</span> {weight:.4f}</td></tr>"
            )
        out.append("</table>")
        if docs is not None and n_examples:
            for i in _examples(model, t, n_examples, docs):
                text = " ".join(str(docs[i]).split())
                snippet = text[:300] + ("…" if len(text) > 300 else "")
                name = esc(str(titles[i])) if titles is not None and titles[i] else f"#{i}"
                out.append(
                    f'<div class="doc"><b>{name}</b> ({100 * model.doc_topic_[i, t]:.0f} % '
                    f"this topic): {esc(snippet)}</div>"
                )
    out.append("</body></html>")
    return "\n".join(out)


def _examples(model, topic, n, docs, overlap=0.5, candidates=100):
    """Up to ``n`` documents with the largest shares of ``topic`` among the top
    ``candidates``: first those whose word sets overlap no example before them by
    ``overlap`` or more (Jaccard index), then, if the topic has too few of those, the
    near duplicates passed over, but never a text (spaces aside) shown already."""
    shares = model.doc_topic_[:, topic]
    order = [i for i in np.argsort(-shares, kind="stable")[:candidates] if shares[i] > 0]
    words = model._presence()
    chosen, sets, texts, near = [], [], set(), []
    for i in order:
        text = " ".join(str(docs[i]).split())
        if text in texts:
            continue
        mine = set(words.indices[words.indptr[i] : words.indptr[i + 1]].tolist())
        if any(len(mine & s) >= overlap * len(mine | s) for s in sets if mine | s):
            near.append(int(i))
        elif len(chosen) < n:
            chosen.append(int(i))
        sets.append(mine)
        texts.add(text)
    return chosen + near[: n - len(chosen)]
