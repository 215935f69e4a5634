r"""``TopicModel``: topics of a collection of documents by NMF, and similar documents.

The documents become a document-term matrix X (TF-IDF or counts, scikit-learn's
vectorizers), and NMF factorises it, X ≈ W H: each row of H is a topic (a weight per
word), each row of W says how much of each topic a document holds. Both are reported
normalised:

- a topic's word weights sum to 1 (``topics``);
- a document's topic shares sum to 1 (``transform``, ``doc_topic_``): the share of
  topic t in document d is the size of topic t's part of the document's reconstruction,
  :math:`W_{dt} H_t`, measured as the loss measures it: its Euclidean norm
  :math:`W_{dt} \|H_t\|_2` for the Frobenius loss, its mass :math:`W_{dt} \|H_t\|_1`
  for Kullback-Leibler (there the shares are PLSA's topic proportions P(t | d)); then
  normalised (an empty document gets all zeros). The dominant topic (``topic_labels_``)
  is the largest share. Raw W is not comparable across topics (NMF's scale is free
  between W and H), and the mass of a Frobenius topic over-weights broad topics, whose
  small weights spread over many words add up to a large L1 norm but explain little of
  each document.

Similar documents are ranked by the Bhattacharyya coefficient of their topic shares,
:math:`\sum_t \sqrt{p_t q_t}` (1 for equal shares, 0 for documents with no topic in
common; the affinity behind the Hellinger distance, the usual comparison of topic
mixtures). Coherence is measured on the corpus itself (``topics.coherence``).
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ...arrays.engines import check_sparse, sparse_problem
from ...core.init import INITS
from ...core.io import Saveable, expect_shape
from ...core.validation import (
    BOOLEAN,
    CALLABLE,
    COUNT,
    NONE,
    RANDOM_STATE,
    Instance,
    Interval,
    ListOf,
    Options,
    validate_params,
)
from ...estimators.nmf import NMF, with_components
from .coherence import top_words, topic_coherence

__all__ = ["TopicModel"]

_LOSSES = {
    "frobenius": "frobenius",
    "kullback-leibler": "kullback-leibler",
    "kl": "kullback-leibler",
}


# How a topic's part W_dt H_t of a document is sized, by loss: its Euclidean norm for
# Frobenius, its mass for Kullback-Leibler ("norm" and "mass" name the rules themselves)
_RULES = {"frobenius": "norm", "kullback-leibler": "mass", "kl": "mass", "norm": "norm",
          "mass": "mass"}  # fmt: skip


def _shares(W, H, rule="frobenius"):
    """Topic shares of each document, rows summing to 1: W scaled by the size of each
    topic in the loss's own geometry (``rule``: a loss, or 'norm' / 'mass')."""
    H = np.asarray(H)
    size = H.sum(axis=1) if _RULES[rule] == "mass" else np.linalg.norm(H, axis=1)
    part = np.asarray(W) * size[None, :]
    total = part.sum(axis=1, keepdims=True)
    return np.divide(part, total, out=np.zeros_like(part), where=total > 0)


class _NgramRange:
    """(min_n, max_n): two ints with 1 <= min_n <= max_n."""

    def is_satisfied_by(self, value):
        return (
            isinstance(value, (list, tuple))
            and len(value) == 2
            and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
            and 1 <= value[0] <= value[1]
        )

    def __str__(self):
        return "a tuple (min_n, max_n) of ints with 1 <= min_n <= max_n"


class TopicModel(BaseEstimator, Saveable):
    """Topics of a document collection by non-negative matrix factorization.

    Parameters
    ----------
    n_topics : int, default=20
    loss : {'frobenius', 'kullback-leibler', 'kl'}, default='frobenius'
        The NMF loss. Kullback-Leibler often gives topics closer to the documents'
        classes, at several times the fit time.
    vectorizer : {'tfidf', 'count'}, default='tfidf'
        scikit-learn's ``TfidfVectorizer`` or ``CountVectorizer``.
    stop_words : 'english', list of str or None, default='english'
    ngram_range : tuple (min_n, max_n), default=(1, 1)
    min_df : int or float, default=2
        Words in fewer documents (or a smaller share of them) are dropped.
    max_df : int or float, default=0.95
        Words in more documents (or a larger share) are dropped.
    max_features : int or None, default=None
    lowercase : bool, default=True
    init : {'random', 'nndsvd', 'nndsvda', 'nndsvdar'} or None, default=None
        NMF's initialisation (None: 'nndsvda' when n_topics <= the number of documents
        and of words, else 'random').
    max_iter : int, default=200
    tol : float, default=1e-5
        NMF's ``tol``, ten times tighter than its default: readers compare topics word by
        word, and the order of a topic's top words keeps settling after the loss has
        nearly stopped falling (on 20 Newsgroups this is 10 more iterations, about 0.3 s).
    random_state : int, Generator, RandomState or None, default=None
    alpha_W, alpha_H, l1_ratio : float, default=0.0
        NMF's penalties (see :class:`nmfkit.NMF`).
    callback : callable, default=None
        NMF's ``callback(n_iter, loss, W, H)``, for progress displays.

    Attributes
    ----------
    vocabulary_ : ndarray of str of shape (n_words,)
        The word of each column of ``components_``.
    components_ : ndarray of shape (n_topics, n_words)
        H as fitted (unnormalised).
    doc_topic_ : ndarray of shape (n_documents, n_topics)
        Topic shares of the training documents (rows sum to 1, or are 0): W scaled by
        each topic's ‖H_t‖₂ (Frobenius) or ‖H_t‖₁ (Kullback-Leibler), see the module.
    share_rule_ : {'norm', 'mass'}
        How the shares size each topic's part (see the module): 'norm' for Frobenius,
        'mass' for Kullback-Leibler; a model file saved before this attribute keeps
        'mass', the rule it was saved with.
    topic_labels_ : ndarray of int of shape (n_documents,)
        Dominant topic of each training document (-1 for a document with no topic).
    model_ : NMF
        The fitted NMF.

    Examples
    --------
    >>> from nmfkit import TopicModel
    >>> docs = ["cats purr and cats meow", "dogs bark and dogs run", "cats and dogs play",
    ...         "the cat sleeps", "a dog barks loudly", "kittens purr softly"]
    >>> tm = TopicModel(n_topics=2, min_df=1, random_state=0).fit(docs)
    >>> len(tm.topics(n_words=3))
    2
    """

    _saved_arrays = {
        "components_": "float",
        "vocabulary_": "text",
        "idf_": "float",
        "doc_topic_": "float",
        "topic_labels_": "int",
        "_X_indptr": "int",
        "_X_indices": "int",
    }
    # share_rule_: files written before issue 22 have none and keep their rule, 'mass'
    _saved_attributes = {
        "_X_shape": [ListOf(COUNT, length=2)],
        "share_rule_": [Options(["norm", "mass"])],
    }
    _parameter_constraints = {
        "n_topics": [Interval(numbers.Integral, 1, None, "left")],
        "loss": [Options(list(_LOSSES))],
        "vectorizer": [Options(["tfidf", "count"])],
        "stop_words": [Options(["english"]), Instance((list, tuple), "a list of str"), NONE],
        "ngram_range": [_NgramRange()],
        "min_df": [Interval(numbers.Real, 0, None, "left")],
        "max_df": [Interval(numbers.Real, 0, None, "right")],
        "max_features": [Interval(numbers.Integral, 1, None, "left"), NONE],
        "lowercase": [BOOLEAN],
        "init": [Options(INITS), NONE],
        "max_iter": [Interval(numbers.Integral, 1, None, "left")],
        "tol": [Interval(numbers.Real, 0, None, "left")],
        "random_state": [RANDOM_STATE],
        "alpha_W": [Interval(numbers.Real, 0, None, "left")],
        "alpha_H": [Interval(numbers.Real, 0, None, "left")],
        "l1_ratio": [Interval(numbers.Real, 0, 1, "both")],
        "callback": [CALLABLE, NONE],
    }

    def __init__(
        self,
        n_topics=20,
        *,
        loss="frobenius",
        vectorizer="tfidf",
        stop_words="english",
        ngram_range=(1, 1),
        min_df=2,
        max_df=0.95,
        max_features=None,
        lowercase=True,
        init=None,
        max_iter=200,
        tol=1e-5,
        random_state=None,
        alpha_W=0.0,
        alpha_H=0.0,
        l1_ratio=0.0,
        callback=None,
    ):
        self.n_topics = n_topics
        self.loss = loss
        self.vectorizer = vectorizer
        self.stop_words = stop_words
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.lowercase = lowercase
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.callback = callback

    # -- vectorizing --------------------------------------------------------------------
    def _make_vectorizer(self):
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        cls = TfidfVectorizer if self.vectorizer == "tfidf" else CountVectorizer
        min_df, max_df = self.min_df, self.max_df
        # scikit-learn reads 1.0 as "a share", 1 as "one document": keep the user's intent
        min_df = int(min_df) if float(min_df).is_integer() and min_df >= 1 else float(min_df)
        max_df = int(max_df) if float(max_df).is_integer() and max_df > 1 else float(max_df)
        return cls(
            stop_words=self.stop_words,
            ngram_range=tuple(self.ngram_range),
            min_df=min_df,
            max_df=max_df,
            max_features=self.max_features,
            lowercase=self.lowercase,
            dtype=np.float64,
        )

    def _loaded(self):
        """Check that the saved arrays fit together (see ``Saveable``)."""
        k, n_words = self.n_topics, len(self.vocabulary_)
        expect_shape("components_", self.components_, (k, n_words))
        expect_shape("vocabulary_", self.vocabulary_, (n_words,))
        if getattr(self, "idf_", None) is not None:
            expect_shape("idf_", self.idf_, (n_words,))
        elif self.vectorizer == "tfidf":
            raise ValueError("a tf-idf model without idf_")
        n_docs = self._X_shape[0]
        expect_shape("doc_topic_", self.doc_topic_, (n_docs, k))
        expect_shape("topic_labels_", self.topic_labels_, (n_docs,))
        if n_docs and not (-1 <= self.topic_labels_.min() and self.topic_labels_.max() < k):
            raise ValueError("topic_labels_ holds labels outside [-1, n_topics)")
        sizes = {len(w.split()) for w in self.vocabulary_}
        low, high = self.ngram_range
        if sizes and not low <= min(sizes) <= max(sizes) <= high:
            raise ValueError(f"vocabulary_ holds n-grams outside ngram_range {self.ngram_range}")
        if self._X_shape[1] != n_words:
            raise ValueError(f"_X_shape {self._X_shape} does not match {n_words} words")
        problem = sparse_problem(self._presence())
        if problem is not None:
            raise ValueError(f"the document-term structure is malformed: {problem}")

    def _vectorizer(self):
        """The fitted vectorizer (rebuilt from ``vocabulary_`` and ``idf_`` after load)."""
        if getattr(self, "vectorizer_", None) is None:
            vec = self._make_vectorizer()
            # no n-gram longer than the longest word of the vocabulary can match: a
            # loaded file's ngram_range cannot make transform build more than that
            longest = max((len(w.split()) for w in self.vocabulary_), default=1)
            low, high = self.ngram_range
            vec.ngram_range = (low, max(low, min(high, longest)))
            vec.vocabulary_ = {w: i for i, w in enumerate(self.vocabulary_)}
            if self.vectorizer == "tfidf":
                vec.idf_ = self.idf_
            self.vectorizer_ = vec
        return self.vectorizer_

    @staticmethod
    def _documents(docs, caller):
        if isinstance(docs, str):
            raise TypeError(
                f"{caller}: docs must be an iterable of strings, got one string; wrap it in a list."
            )
        docs = list(docs)
        bad = next((i for i, d in enumerate(docs) if not isinstance(d, str)), None)
        if bad is not None:
            raise TypeError(
                f"{caller}: document {bad} is a {type(docs[bad]).__name__}, not a string; pass "
                "strings, or a document-term matrix with vocabulary=."
            )
        return docs

    # -- fit ------------------------------------------------------------------------------
    def fit(self, docs, y=None, vocabulary=None):
        """Find the topics of a corpus.

        Parameters
        ----------
        docs : iterable of str, or {array, sparse matrix} of shape (n_documents, n_words)
            The documents, or a ready document-term matrix (then pass ``vocabulary``).
        y : Ignored
        vocabulary : sequence of str, optional
            The word of each column of a document-term matrix.

        Returns
        -------
        self : TopicModel
        """
        caller = "TopicModel.fit"
        validate_params("TopicModel", self.get_params(deep=False), self._parameter_constraints)
        if vocabulary is not None or sp.issparse(docs) or hasattr(docs, "shape"):
            if vocabulary is None:
                raise ValueError(
                    f"{caller}: a document-term matrix needs vocabulary= (the word of each column)."
                )
            if sp.issparse(docs):
                check_sparse(docs, caller, "X")  # before any conversion reads its indices
            X = sp.csr_matrix(docs, dtype=np.float64)
            vocab = np.asarray(list(vocabulary), dtype=str)
            if len(vocab) != X.shape[1]:
                raise ValueError(
                    f"{caller}: vocabulary has {len(vocab)} words but the matrix has "
                    f"{X.shape[1]} columns; pass one word per column."
                )
            vec = None
        else:
            docs = self._documents(docs, caller)
            if not docs:
                raise ValueError(f"{caller}: the corpus is empty; pass at least one document.")
            if not any(d.strip() for d in docs):
                raise ValueError(
                    f"{caller}: all {len(docs)} documents are empty; pass documents with text."
                )
            vec = self._make_vectorizer()
            try:
                X = vec.fit_transform(docs).tocsr()
            except ValueError as exc:
                raise ValueError(
                    f"{caller}: no words are left after stop words and min_df/max_df "
                    f"(scikit-learn: {exc}); lower min_df, raise max_df or pass "
                    "stop_words=None."
                ) from None
            vocab = vec.get_feature_names_out().astype(str)
        if self.n_topics > len(vocab):
            raise ValueError(
                f"{caller}: n_topics={self.n_topics} is more than the {len(vocab)} words of the "
                "vocabulary; ask for fewer topics or keep more words (lower min_df)."
            )
        model = NMF(
            self.n_topics,
            beta_loss=_LOSSES[self.loss],
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
            alpha_W=self.alpha_W,
            alpha_H=self.alpha_H,
            l1_ratio=self.l1_ratio,
            callback=self.callback,
            init=self.init,
        )
        W = model.fit_transform(X)
        # every attribute is set only now: an interrupted fit leaves nothing behind
        self.vectorizer_, self.idf_ = vec, getattr(vec, "idf_", None)
        self.model_ = model
        self.vocabulary_ = vocab
        self.components_ = model.components_
        # which words each document holds: all that coherence needs of the corpus
        X.sort_indices()
        self._X_indptr, self._X_indices, self._X_shape = X.indptr, X.indices, list(X.shape)
        self.share_rule_ = _RULES[self.loss]
        self.doc_topic_ = _shares(W, self.components_, self.share_rule_)
        self.topic_labels_ = np.where(
            self.doc_topic_.sum(axis=1) > 0, self.doc_topic_.argmax(axis=1), -1
        )
        return self

    # -- answers ----------------------------------------------------------------------------
    def topics(self, n_words=10):
        """The top words of each topic with their weights (each topic's weights sum to 1).

        Parameters
        ----------
        n_words : int, default=10

        Returns
        -------
        list of list of (word, weight)
            One list per topic, heaviest word first.
        """
        check_is_fitted(self)
        H = self.components_
        mass = H.sum(axis=1, keepdims=True)
        Hn = np.divide(H, mass, out=np.zeros_like(H), where=mass > 0)
        return [
            [(str(self.vocabulary_[j]), float(Hn[t, j])) for j in row if Hn[t, j] > 0]
            for t, row in enumerate(top_words(Hn, n_words))
        ]

    def transform(self, docs):
        """Topic shares of documents (each row sums to 1; an empty document gets zeros).

        Parameters
        ----------
        docs : iterable of str, or {array, sparse matrix} of shape (n_documents, n_words)

        Returns
        -------
        ndarray of shape (n_documents, n_topics)
        """
        check_is_fitted(self)
        if sp.issparse(docs) or hasattr(docs, "shape"):
            if sp.issparse(docs):
                check_sparse(docs, "TopicModel.transform", "X")
            X = sp.csr_matrix(docs, dtype=np.float64)
        else:
            docs = self._documents(docs, "TopicModel.transform")
            X = self._vectorizer().transform(docs).tocsr()
        rule = getattr(self, "share_rule_", "mass")  # a file from before issue 22: its rule
        return _shares(self._nmf().transform(X), self.components_, rule)

    def _nmf(self):
        """The fitted NMF (rebuilt from ``components_`` after load)."""
        if getattr(self, "model_", None) is None:
            self.model_ = with_components(self.components_, beta_loss=_LOSSES[self.loss])
        return self.model_

    def _presence(self):
        """The training corpus's document-term structure (values 1)."""
        indices = self._X_indices
        return sp.csr_matrix(
            (np.ones(len(indices)), indices, self._X_indptr), shape=tuple(self._X_shape),
            copy=False,
        )  # fmt: skip

    def similar_documents(self, doc, n=10):
        """The training documents whose topic shares are closest to ``doc``'s.

        Parameters
        ----------
        doc : int or str
            The index of a training document (left out of the answer), or a new text.
        n : int, default=10

        Returns
        -------
        list of (index, similarity)
            Training documents, most similar first; the similarity is the Bhattacharyya
            coefficient of the topic shares, in [0, 1].
        """
        check_is_fitted(self)
        if isinstance(doc, (numbers.Integral, np.integer)):
            n_docs = self.doc_topic_.shape[0]
            if not -n_docs <= doc < n_docs:
                raise IndexError(
                    f"TopicModel.similar_documents: document {doc} is out of range; the "
                    f"training corpus has {n_docs} documents."
                )
            p = self.doc_topic_[doc]
            exclude = int(doc) % n_docs
        elif isinstance(doc, str):
            p = self.transform([doc])[0]
            exclude = None
        else:
            raise TypeError(
                "TopicModel.similar_documents: doc must be a document index or a text, got "
                f"{type(doc).__name__}."
            )
        sims = np.sqrt(self.doc_topic_) @ np.sqrt(p)
        if exclude is not None:
            sims[exclude] = -np.inf
        top = np.argsort(-sims, kind="stable")[: int(n)]
        return [(int(i), float(sims[i])) for i in top if np.isfinite(sims[i])]

    def coherence(self, metric="npmi", n_words=10):
        """Coherence of each topic's top words on the training corpus.

        Parameters
        ----------
        metric : {'npmi', 'umass'}, default='npmi'
            See ``nmfkit.topic_coherence``.
        n_words : int, default=10

        Returns
        -------
        Coherence
            ``per_topic`` (ndarray) and ``mean``.
        """
        check_is_fitted(self)
        return topic_coherence(self.components_, self._presence(), n_words, metric)
