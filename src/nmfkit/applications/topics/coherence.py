r"""Topic coherence from a corpus's own document co-occurrence (no reference corpus).

For a topic's top words :math:`w_1, \dots, w_N` (by weight), with D(w) the number of
documents that contain w, D(w_i, w_j) the number that contain both and n the number of
documents:

- NPMI (Bouma 2009; Lau, Newman & Baldwin 2014, doi:10.3115/v1/E14-1056): the mean over
  pairs i < j of :math:`\log\frac{P(w_i, w_j)}{P(w_i) P(w_j)} / (-\log P(w_i, w_j))`,
  with P = D / n, and -1 for a pair that never co-occurs. In [-1, 1]; higher is better.
- UMass (Mimno et al. 2011, "Optimizing semantic coherence in topic models", EMNLP):
  the mean over pairs (word ranked m, word ranked l < m) of
  :math:`\log\frac{D(w_m, w_l) + 1}{D(w_l)}`. At most about 0; higher is better.
"""

from collections import namedtuple

import numpy as np
import scipy.sparse as sp

__all__ = ["Coherence", "topic_coherence", "top_words"]

Coherence = namedtuple("Coherence", ["per_topic", "mean"])
Coherence.__doc__ = """Coherence of each topic (ndarray) and their mean (float)."""


def top_words(H, n_words):
    """Indices of the ``n_words`` largest entries of each row of H, largest first."""
    H = np.asarray(H)
    n_words = min(int(n_words), H.shape[1])
    part = np.argpartition(-H, n_words - 1, axis=1)[:, :n_words]
    rows = np.arange(H.shape[0])[:, None]
    order = np.argsort(-H[rows, part], axis=1, kind="stable")
    return part[rows, order]


def topic_coherence(H, X, n_words=10, metric="npmi"):
    """Coherence of the topics in H on the documents of X.

    Parameters
    ----------
    H : array of shape (n_topics, n_words_in_vocabulary)
        Topic-word weights (``components_``).
    X : {array, sparse matrix} of shape (n_documents, n_words_in_vocabulary)
        Any document-term matrix of the corpus; only which entries are non-zero counts.
    n_words : int, default=10
        Top words per topic.
    metric : {'npmi', 'umass'}, default='npmi'

    Returns
    -------
    Coherence
        ``per_topic`` (ndarray of shape (n_topics,)) and ``mean``.
    """
    if metric not in ("npmi", "umass"):
        raise ValueError(f"topic_coherence: metric must be 'npmi' or 'umass', got {metric!r}.")
    top = top_words(H, n_words)
    words = np.unique(top)
    present = sp.csc_matrix(X)[:, words]
    present = (present != 0).astype(np.float64)
    n_docs = X.shape[0]
    co = np.asarray((present.T @ present).todense())  # co-document counts of the top words
    df = np.diag(co).copy()
    where = {w: i for i, w in enumerate(words)}
    scores = []
    for row in top:
        idx = [where[w] for w in row]
        vals = []
        for m in range(1, len(idx)):
            for j in range(m):
                a, b = idx[m], idx[j]
                if metric == "umass":
                    vals.append(np.log((co[a, b] + 1.0) / max(df[b], 1.0)))
                elif co[a, b] == 0:
                    vals.append(-1.0)
                else:
                    p_ab = co[a, b] / n_docs
                    pmi = np.log(p_ab / (df[a] / n_docs * df[b] / n_docs))
                    vals.append(1.0 if p_ab == 1.0 else pmi / -np.log(p_ab))
        scores.append(float(np.mean(vals)) if vals else 0.0)
    per_topic = np.array(scores)
    return Coherence(per_topic, float(per_topic.mean()))
