"""A self-contained HTML report of a fitted ``TopicModel`` (no scripts, no links)."""

import html

import numpy as np

__all__ = ["topic_report"]

_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 70em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table.words { border-collapse: collapse; }
table.words td { padding: 1px 6px; font-size: 0.9em; }
.bar { background: #4a7ab5; height: 0.8em; display: inline-block; }
.sizebar { background: #b5834a; height: 0.8em; display: inline-block; }
.doc { font-size: 0.85em; color: #444; border-left: 3px solid #ccc; padding-left: 8px;
       margin: 4px 0; white-space: pre-wrap; }
.meta { color: #666; font-size: 0.9em; }
"""


def topic_report(model, docs=None, n_words=10, n_examples=3, title="Topics"):
    """HTML for a fitted ``TopicModel``: every topic's words (with weight bars), its
    size (documents where it dominates), its coherence and example documents.

    Parameters
    ----------
    model : TopicModel
    docs : sequence of str, optional
        The training documents, for the examples (none shown without them).
    n_words, n_examples : int
    title : str

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
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">{len(topics)} topics, {n_docs} documents, '
        f"{len(model.vocabulary_)} words. Mean coherence: NPMI {npmi.mean:.3f}, "
        f"UMass {umass.mean:.3f} (top {n_words} words, document co-occurrence).</p>",
        '<h2>Topic sizes</h2><table class="words">',
    ]
    biggest = max(int(sizes.max()), 1)
    for t, words in enumerate(topics):
        head = ", ".join(esc(w) for w, _ in words[:4])
        width = 300 * sizes[t] / biggest
        out.append(
            f"<tr><td>topic {t}</td><td>{head}</td>"
            f'<td><span class="sizebar" style="width:{width:.0f}px"></span> {sizes[t]}</td></tr>'
        )
    out.append("</table>")
    for t, words in enumerate(topics):
        out.append(
            f'<h2 id="topic-{t}">Topic {t}</h2><p class="meta">{sizes[t]} documents '
            f"({100 * sizes[t] / max(n_docs, 1):.1f} %) · NPMI {npmi.per_topic[t]:.3f} · "
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
            best = np.argsort(-model.doc_topic_[:, t], kind="stable")[:n_examples]
            for i in best:
                if model.doc_topic_[i, t] <= 0:
                    continue
                text = " ".join(str(docs[i]).split())
                snippet = text[:300] + ("…" if len(text) > 300 else "")
                out.append(
                    f'<div class="doc">#{i} ({100 * model.doc_topic_[i, t]:.0f} % this topic): '
                    f"{esc(snippet)}</div>"
                )
    out.append("</body></html>")
    return "\n".join(out)
