"""TopicModel: topics, shares, similar documents, coherence, corpora, report and CLI."""

import gzip
import json
from html.parser import HTMLParser

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import shared_file

from nmfkit import TopicModel, load, topic_coherence
from nmfkit.applications.topics.corpus import read_corpus
from nmfkit.applications.topics.report import topic_report
from nmfkit.cli import main

THEMES = {
    "space": "orbit rocket launch nasa shuttle moon astronaut satellite",
    "food": "pasta tomato basil garlic recipe oven cheese sauce",
    "music": "guitar melody chord drummer concert album singer rhythm",
}


def themed_corpus(n_per_theme=30, seed=0):
    """Documents of 8 words, each drawn from one theme's words."""
    rng = np.random.default_rng(seed)
    docs, labels = [], []
    for label, words in enumerate(THEMES.values()):
        words = words.split()
        for _ in range(n_per_theme):
            docs.append(" ".join(rng.choice(words, 8)))
            labels.append(label)
    return docs, np.array(labels)


@pytest.fixture(scope="module")
def fitted():
    docs, labels = themed_corpus()
    return TopicModel(3, min_df=1, random_state=0).fit(docs), docs, labels


def test_planted_themes_are_recovered(fitted):
    model, _, labels = fitted
    for words in model.topics(n_words=8):
        themes = {name for name, vocab in THEMES.items() for w, _ in words if w in vocab.split()}
        assert len(themes) == 1  # each topic is one theme's words
    # dominant topics are the themes, up to their order
    pairs = set(zip(model.topic_labels_, labels))
    assert len(pairs) == 3


def test_weights_and_shares_are_normalised(fitted):
    model, docs, _ = fitted
    for words in model.topics(n_words=100):
        weights = [w for _, w in words]
        assert weights == sorted(weights, reverse=True)
        assert sum(weights) == pytest.approx(1.0)
    P = model.transform(docs[:5] + ["", "words never seen"])
    np.testing.assert_allclose(P[:5].sum(axis=1), 1.0)
    assert np.all(P[5:] == 0)  # nothing known in these: zero shares
    np.testing.assert_allclose(model.doc_topic_.sum(axis=1), 1.0)


def test_similar_documents_rank_by_topic_affinity(fitted):
    model, docs, labels = fitted
    sims = model.similar_documents(0, n=10)
    assert 0 not in [i for i, _ in sims]
    assert [s for _, s in sims] == sorted((s for _, s in sims), reverse=True)
    assert all(labels[i] == labels[0] for i, _ in sims)
    p, q = model.doc_topic_[0], model.doc_topic_[sims[0][0]]
    assert sims[0][1] == pytest.approx(np.sum(np.sqrt(p * q)))
    text = model.similar_documents("rocket launch to the moon", n=3)
    assert all(labels[i] == 0 for i, _ in text)
    with pytest.raises(IndexError, match=r"document 500 is out of range; the training corpus"):
        model.similar_documents(500)


def naive_coherence(top, presence, metric):
    """Coherence written out pair by pair from document sets."""
    sets = [set(np.flatnonzero(presence[:, w])) for w in range(presence.shape[1])]
    n = presence.shape[0]
    values = []
    for m in range(1, len(top)):
        for j in range(m):
            a, b = top[m], top[j]
            both = len(sets[a] & sets[b])
            if metric == "umass":
                values.append(np.log((both + 1) / len(sets[b])))
            elif both == 0:
                values.append(-1.0)
            else:
                p = both / n
                values.append(np.log(p / (len(sets[a]) / n * len(sets[b]) / n)) / -np.log(p))
    return np.mean(values)


@pytest.mark.parametrize("metric", ["npmi", "umass"])
def test_coherence_matches_a_pairwise_reference(metric):
    rng = np.random.default_rng(1)
    X = sp.random(60, 15, density=0.3, random_state=rng, format="csr")
    H = rng.random((4, 15))
    got = topic_coherence(H, X, n_words=5, metric=metric)
    presence = X.toarray() > 0
    for t in range(4):
        top = np.argsort(-H[t])[:5]
        assert got.per_topic[t] == pytest.approx(naive_coherence(top, presence, metric))
    assert got.mean == pytest.approx(got.per_topic.mean())


def test_coherent_topics_score_higher_than_mixed_ones(fitted):
    model, _, _ = fitted
    good = model.coherence("npmi", n_words=5)
    rng = np.random.default_rng(2)
    shuffled = rng.permuted(model.components_, axis=1)
    bad = topic_coherence(shuffled, model._presence(), 5, "npmi")
    assert good.mean > bad.mean


def test_matrix_input_with_vocabulary_equals_text_input():
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs, _ = themed_corpus()
    vec = TfidfVectorizer(stop_words="english", min_df=1, max_df=0.95)
    X = vec.fit_transform(docs)
    a = TopicModel(3, min_df=1, random_state=0).fit(docs)
    b = TopicModel(3, min_df=1, random_state=0).fit(X, vocabulary=vec.get_feature_names_out())
    np.testing.assert_allclose(a.components_, b.components_, rtol=1e-10)
    assert a.topics(5) == b.topics(5)


def test_save_and_load_keep_topics_transform_and_coherence(tmp_path, fitted):
    model, docs, _ = fitted
    model.save(tmp_path / "topics.npz")
    back = load(tmp_path / "topics.npz")
    assert isinstance(back, TopicModel)
    assert back.topics(5) == model.topics(5)
    np.testing.assert_allclose(back.transform(docs[:4]), model.transform(docs[:4]))
    assert back.coherence().mean == pytest.approx(model.coherence().mean)
    assert back.similar_documents(3) == model.similar_documents(3)


@pytest.mark.parametrize(
    "docs, kwargs, error, match",
    [
        ([], {}, ValueError, r"the corpus is empty"),
        (["", "  "], {}, ValueError, r"all 2 documents are empty"),
        (["the and of", "is it the"], {}, ValueError, r"no words are left after stop words"),
        (["cats dogs", "dogs birds"], dict(n_topics=5, min_df=1), ValueError, "n_topics=5 is"),
        ("a single string", {}, TypeError, r"got one string; wrap it in a list"),
        (["fine", 3], {}, TypeError, r"document 1 is a int, not a string"),
        (np.ones((2, 3)), {}, ValueError, r"needs vocabulary="),
    ],
)
def test_bad_corpora(docs, kwargs, error, match):
    params = dict(n_topics=1, min_df=1) | kwargs
    with pytest.raises(error, match=match):
        TopicModel(**params).fit(docs)
    with pytest.raises(ValueError, match=r"vocabulary has 2 words but the matrix has 3 columns"):
        TopicModel(1).fit(np.ones((2, 3)), vocabulary=["a", "b"])


def test_read_corpus_formats_and_errors(tmp_path):
    (tmp_path / "a.txt").write_text("first doc\nsecond doc\n")
    assert read_corpus(tmp_path / "a.txt") == ["first doc", "second doc"]
    lines = [json.dumps({"body": "x y"}), json.dumps({"body": "z"})]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    assert read_corpus(tmp_path / "a.jsonl", text_field="body") == ["x y", "z"]
    with gzip.open(tmp_path / "b.jsonl.gz", "wt") as f:
        f.write("\n".join(lines))
    assert read_corpus(tmp_path / "b.jsonl.gz", text_field="body") == ["x y", "z"]
    (tmp_path / "a.csv").write_text('id,text\n1,"hello, world"\n2,bye\n')
    assert read_corpus(tmp_path / "a.csv") == ["hello, world", "bye"]
    (tmp_path / "a.tsv").write_text("text\tid\nfoo bar\t1\n")
    assert read_corpus(tmp_path / "a.tsv") == ["foo bar"]
    (tmp_path / "bad.jsonl").write_text(lines[0] + "\n{not json\n")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: not JSON"):
        read_corpus(tmp_path / "bad.jsonl", text_field="body")
    with pytest.raises(ValueError, match=r"a.jsonl:1: no 'text' field; name the text field"):
        read_corpus(tmp_path / "a.jsonl")
    (tmp_path / "latin.txt").write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.txt:2: not valid utf-8 .*--encoding latin-1"):
        read_corpus(tmp_path / "latin.txt")
    assert read_corpus(tmp_path / "latin.txt", encoding="latin-1")[1] == "café"
    with pytest.raises(ValueError, match=r"no column named 'body'"):
        read_corpus(tmp_path / "a.csv", text_field="body")
    with pytest.raises(ValueError, match=r"unsupported corpus format '.xml'"):
        (tmp_path / "a.xml").write_text("x")
        read_corpus(tmp_path / "a.xml")


class _Page(HTMLParser):
    """Collects ids, tags and every attribute of an HTML page."""

    def __init__(self):
        super().__init__()
        self.ids, self.tags, self.attrs = set(), set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs
        self.ids.update(v for k, v in attrs if k == "id")


def test_html_report_has_every_topic_and_nothing_external(fitted):
    model, docs, _ = fitted
    docs = list(docs)
    docs[0] += " see http://example.com/page <script>alert(1)</script>"
    page = topic_report(model, docs, n_words=5)
    parsed = _Page()
    parsed.feed(page)
    assert {f"topic-{t}" for t in range(3)} <= parsed.ids
    assert not parsed.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not [(k, v) for k, v in parsed.attrs if k in ("href", "src") or "url(" in (v or "")]
    assert "&lt;script&gt;" in page or "alert" not in page  # document text is escaped


def test_cli_topics_prints_topics_similar_documents_and_writes_a_report(tmp_path, capsys):
    docs, _ = themed_corpus()
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(docs) + "\n")
    report = tmp_path / "r.html"
    code = main(
        ["topics", str(path), "-k", "3", "--min-df", "1", "--similar", "0", "--report", str(report)]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "90 documents" in captured.out and "mean NPMI" in captured.out
    assert "documents most similar to 0" in captured.out
    parsed = _Page()
    parsed.feed(report.read_text())
    assert {"topic-0", "topic-1", "topic-2"} <= parsed.ids


@pytest.mark.parametrize(
    "content, name, args, message",
    [
        (b"{bad\n", "c.jsonl", [], "c.jsonl:1: not JSON"),
        (b"caf\xe9\n", "c.txt", [], "c.txt:1: not valid utf-8"),
        (b"\n\n", "c.txt", [], "all 2 documents are empty"),
        (b"a b\nb c\n", "c.txt", ["--similar", "7"], "--similar 7: the corpus has 2 documents"),
        (None, "missing.txt", [], "corpus file not found"),
    ],
)
def test_cli_topics_errors_are_one_line(tmp_path, capsys, content, name, args, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert main(["topics", str(path), "-k", "1", "--min-df", "1", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and err[-1].startswith("nmfkit topics: error:")


def test_20newsgroups_topics_match_scikit_learn_and_similar_documents_reach_60_percent():
    """Acceptance: NMI ≥ scikit-learn NMF's on the same TF-IDF; coherence alongside;
    similar documents (k = 50) share the label for ≥ 60 % of test documents."""
    from sklearn.decomposition import NMF as SkNMF
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from nmfkit.applications.topics.model import _shares

    path = shared_file("20newsgroups", "20news_bydate.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    train = [r for r in records if r["split"] == "train"]
    test = [r for r in records if r["split"] == "test"]
    y = np.array([r["label_id"] for r in train])
    vec = TfidfVectorizer(min_df=5, max_df=0.5, stop_words="english")
    X = vec.fit_transform([r["text"] for r in train])
    vocab = vec.get_feature_names_out()
    ours = TopicModel(20, random_state=0).fit(X, vocabulary=vocab)
    sk = SkNMF(20, random_state=0).fit(X)
    sk_labels = _shares(sk.transform(X), sk.components_).argmax(axis=1)
    assert nmi(y, ours.topic_labels_) >= nmi(y, sk_labels)
    # coherence: the median over seeds 0-2 within 0.01 of scikit-learn's. One seed is
    # luck: both libraries spread by about ±0.02 over seeds, and since issue 18 they
    # start from the same NNDSVD (measured: 0.386/0.411/0.410 against 0.403/0.411/0.428)
    mine, theirs = [ours.coherence().mean], [topic_coherence(sk.components_, X).mean]
    for seed in (1, 2):
        mine.append(TopicModel(20, random_state=seed).fit(X, vocabulary=vocab).coherence().mean)
        theirs.append(topic_coherence(SkNMF(20, random_state=seed).fit(X).components_, X).mean)
    assert np.median(mine) >= np.median(theirs) - 0.01, (mine, theirs)
    wide = TopicModel(50, random_state=0).fit(X, vocabulary=vocab)
    Xt = vec.transform([r["text"] for r in test])
    nearest = (np.sqrt(wide.transform(Xt)) @ np.sqrt(wide.doc_topic_).T).argmax(axis=1)
    agree = np.mean(y[nearest] == np.array([r["label_id"] for r in test]))
    assert agree >= 0.60, agree


def _broad_and_narrow(loss):
    """A broad topic (200 words of weight 0.05: mass 10, norm 0.71) and two narrow ones
    (4 words of weight 0.5: mass 2, norm 1); documents pure, or a narrow topic over a
    background of the broad one (W = 0.3 broad + 1 narrow)."""
    n_words = 208
    H = np.zeros((3, n_words))
    H[0, :200], H[1, 200:204], H[2, 204:] = 0.05, 0.5, 0.5
    W = np.vstack([np.eye(3)] * 10 + [[0.3, 1, 0], [0.3, 0, 1]] * 10)
    X = sp.csr_matrix(W @ H)
    vocab = [f"w{j}" for j in range(n_words)]
    model = TopicModel(3, loss=loss, init="nndsvda", tol=1e-10, max_iter=3000).fit(
        X, vocabulary=vocab
    )
    broad = int(np.argmax((model.components_ > 0).sum(axis=1)))
    return model, X, W, H, broad


def test_dominant_topic_is_the_largest_part_in_the_losss_geometry():
    """Frobenius: the topic whose part W_dt H_t of the reconstruction has the largest norm
    dominates (the narrow topic, norm 1 against 0.21), not the one with the largest mass
    (the broad background, 3 against 2), which swallowed documents on real corpora.
    KL: the mass (PLSA's P(t | d)). transform gives the same shares as doc_topic_."""
    model, X, W, H, broad = _broad_and_narrow("frobenius")
    mixed = slice(30, None)
    assert not np.any(model.topic_labels_[mixed] == broad)
    part = W * np.linalg.norm(H, axis=1)
    truth = part / part.sum(axis=1, keepdims=True)
    order = [int(np.argmax(model.components_[:, j])) for j in (0, 200, 204)]
    np.testing.assert_allclose(model.doc_topic_[:, order], truth, atol=1e-3)
    np.testing.assert_allclose(model.transform(X), model.doc_topic_, atol=1e-6)

    model, X, W, H, broad = _broad_and_narrow("kl")
    assert np.all(model.topic_labels_[mixed] == broad)
    part = W * H.sum(axis=1)
    order = [int(np.argmax(model.components_[:, j])) for j in (0, 200, 204)]
    np.testing.assert_allclose(
        model.doc_topic_[:, order], part / part.sum(axis=1, keepdims=True), atol=1e-3
    )


def test_report_examples_skip_near_duplicates_and_show_titles(fitted):
    model, docs, _ = fitted
    docs = list(docs)
    refit = TopicModel(3, min_df=1, random_state=0).fit([docs[0]] * 3 + docs)
    titles = [f"title {i}" for i in range(len(docs) + 3)]
    page = topic_report(refit, [docs[0]] * 3 + docs, n_examples=3, titles=titles)
    snippet = " ".join(docs[0].split())
    assert page.count(snippet) == 1  # three copies, shown once
    assert "<b>title " in page and "<b>#" not in page
    assert "share</th>" in page  # each topic's share of the corpus beside its size


def _titled_corpus(tmp_path):
    docs, _ = themed_corpus()
    path = tmp_path / "corpus.jsonl"
    lines = [json.dumps({"name": f"doc-{i}", "text": d}) for i, d in enumerate(docs)]
    path.write_text("\n".join(lines) + "\n")
    return path, docs


def test_read_corpus_titles(tmp_path):
    path, docs = _titled_corpus(tmp_path)
    got, titles = read_corpus(path, title_field="auto")
    assert got == docs and titles[:2] == ["doc-0", "doc-1"]
    assert read_corpus(path, title_field="name")[1][5] == "doc-5"
    with pytest.raises(ValueError, match="no 'title' field"):
        read_corpus(path, title_field="title")
    # auto: a record without the field found in the first one gets "" (no error);
    # a named field must be in every record
    mixed = tmp_path / "mixed.jsonl"
    rows = [{"name": "a", "text": "x y"}, {"text": "y z"}, {"name": "c", "text": "z x"}]
    mixed.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert read_corpus(mixed, title_field="auto")[1] == ["a", "", "c"]
    with pytest.raises(ValueError, match="--title-field none"):
        read_corpus(mixed, title_field="name")
    txt = tmp_path / "c.txt"
    txt.write_text("a b\n")
    assert read_corpus(txt, title_field="auto") == (["a b"], None)
    with pytest.raises(ValueError, match="a .txt corpus has no fields"):
        read_corpus(txt, title_field="name")


def test_cli_topics_similar_from_a_saved_model_with_titles_and_n(tmp_path, capsys):
    path, docs = _titled_corpus(tmp_path)
    model = tmp_path / "m.npz"
    assert main(["topics", str(path), "-k", "3", "--min-df", "1", "-o", str(model)]) == 0
    capsys.readouterr()
    code = main(["topics", str(path), "-m", str(model), "--similar", "doc-4", "-n", "3"])
    out = capsys.readouterr().out
    assert code == 0 and "(no fit)" in out and "iterations" not in out
    listed = out.split("documents most similar to 4 doc-4")[1].strip().splitlines()[2:]
    assert len(listed) == 3 and all(line.split()[2].startswith("doc-") for line in listed)
    assert "topic   docs" not in out  # a saved model's topics are not printed again
    # a model of another corpus is refused in one line
    other = tmp_path / "other.txt"
    other.write_text("\n".join(docs[:10]) + "\n")
    assert main(["topics", str(other), "-m", str(model), "--similar", "0"]) == 2
    err = capsys.readouterr().err
    assert "was fitted on 90 documents but the corpus has 10" in err


def test_cli_topics_saved_model_refuses_another_corpus_fit_options_and_vague_titles(
    tmp_path, capsys
):
    """-m checks the documents themselves (a shuffled corpus of the same size is refused),
    refuses fit options it would ignore, and a title that several documents share."""
    path, docs = _titled_corpus(tmp_path)
    model = tmp_path / "m.npz"
    assert main(["topics", str(path), "-k", "3", "--min-df", "1", "-o", str(model)]) == 0
    shuffled = tmp_path / "shuffled.jsonl"
    lines = path.read_text().splitlines()
    shuffled.write_text("\n".join(lines[1:] + lines[:1]) + "\n")
    twice = tmp_path / "twice.jsonl"
    twice.write_text("\n".join(lines[:-1] + [lines[-1].replace("doc-89", "doc-3")]) + "\n")
    capsys.readouterr()
    cases = [
        ([str(shuffled), "-m", str(model)], "was fitted on other documents"),
        ([str(path), "-m", str(model), "-k", "5", "--seed", "3"], "so -k, --seed would do nothing"),
        ([str(twice), "--similar", "doc-3", "-k", "3", "--min-df", "1"], "rows 3, 89"),
    ]
    for args, message in cases:
        assert main(["topics", *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err


def test_report_examples_skip_templated_documents():
    """Documents that share most of their words (a template) are one example, not three."""
    template = "private tables used by the visual truetype tool store hinting source data"
    docs = [f"{template} table{i} holds glyph program text" for i in range(3)]
    docs += ["truetype glyph outlines hinting", "visual font editor for glyph outlines",
             "hinting tables of a truetype font"]  # fmt: skip
    docs += ["cats purr meow kitten whiskers", "dogs bark fetch puppy leash"] * 2
    model = TopicModel(2, min_df=1, random_state=0).fit(docs)
    page = topic_report(model, docs, n_examples=3)
    assert page.count(template) == 1
    # with no other documents to show, near duplicates fill the examples (never a text twice)
    model = TopicModel(1, min_df=1, random_state=0).fit(docs[:3] * 2)
    page = topic_report(model, docs[:3] * 2, n_examples=3)
    assert page.count(template) == 3
