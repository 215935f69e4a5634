"""The catalogue of bad inputs (issue 9, item 1).

Every entry gets either a specific error, raised before any work, or a documented and
correct result. From the command line every one ends with exit code 2 and one line on
stderr, without a traceback (``--debug`` shows it). RELIABILITY.md lists them.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from nmfkit import (
    NMF,
    ConsensusNMF,
    ConvolutiveNMF,
    GeneProgramNMF,
    MiniBatchNMF,
    Recommender,
    SemiNMF,
    SeparableNMF,
    SymmetricNMF,
    TopicModel,
    load,
    non_negative_factorization,
    select_rank,
    similarity_graph,
)
from nmfkit.cli import main

RNG = np.random.default_rng(0)
X = RNG.random((12, 8)) + 0.05


def _with(**changes):
    """X with some entries changed: _with(at=(0, 1), value=-1.0)."""
    Y = X.copy()
    Y[changes["at"]] = changes["value"]
    return Y


# -- errors: (id, call, exception, message) ---------------------------------------------
ERRORS = [
    ("negative", lambda: NMF(2).fit(_with(at=(0, 1), value=-0.5)), ValueError,
     r"NMF\.fit: Negative values in data passed to NMF \(input X\): X has 1 negative entries "
     r"\(min -0\.5\)"),
    ("negative sparse", lambda: NMF(2).fit(sp.csr_matrix(-X)), ValueError,
     r"X has 96 negative entries"),
    ("inf", lambda: NMF(2).fit(_with(at=(2, 2), value=np.inf)), ValueError,
     r"X contains 1 inf entries; X needs finite values"),
    ("NaN in a sparse X", lambda: NMF(2).fit(sp.csr_matrix(_with(at=(1, 1), value=np.nan))),
     ValueError, r"X contains 1 NaN entries"),
    ("NaN in MiniBatchNMF", lambda: MiniBatchNMF(2).fit(_with(at=(1, 1), value=np.nan)),
     ValueError, r"MiniBatchNMF\.fit: X contains 1 NaN entries; X needs finite values here"),
    ("every entry NaN", lambda: NMF(2).fit(np.full((3, 3), np.nan)), ValueError,
     r"X has no observed entries"),
    ("1-D", lambda: NMF(2).fit(X[0]), ValueError,
     r"Expected a 2-D X but got a 1-D array of shape \(8,\)\. Reshape your data"),
    ("3-D", lambda: NMF(2).fit(X.reshape(2, 6, 8)), ValueError,
     r"Expected a 2-D X but got a 3-D array"),
    ("no rows", lambda: NMF(2).fit(np.zeros((0, 8))), ValueError,
     r"Found array with 0 sample\(s\)"),
    ("no columns", lambda: NMF(2).fit(np.zeros((5, 0))), ValueError,
     r"Found array with 0 feature\(s\)"),
    ("object dtype", lambda: NMF(2).fit(np.array([["a", 1.0]], dtype=object)), ValueError,
     r"X has dtype object with non-numeric entries"),
    ("complex", lambda: NMF(2).fit(X + 1j), ValueError, r"Complex data not supported"),
    ("huge n_components", lambda: NMF(10**11).fit(X), ValueError,
     r"n_components=100000000000 needs about .* GiB .* more than this machine's"),
    ("subnormal scale", lambda: NMF(2).fit(X * 1e-310), ValueError,
     r"X's largest entry .*e-310 is too small for float64: .* multiply X by a constant"),
    ("1e-200 scale", lambda: NMF(2, beta_loss="kullback-leibler").fit(X * 1e-200), ValueError,
     r"largest entry .*e-200 is too small for float64"),
    ("1e300 scale", lambda: NMF(2).fit(X * 1e300), ValueError,
     r"largest entry .*e\+300 is too large for float64: .* divide X by a constant"),
    ("float32 overflow", lambda: NMF(2).fit((X * 1e30).astype(np.float32)), ValueError,
     r"is too large for float32: .* pass X\.astype\(np\.float64\)"),
    ("custom W of the wrong shape",
     lambda: NMF(2, init="custom").fit(X, W=np.ones((12, 3)), H=np.ones((2, 8))), ValueError,
     r"Array with wrong second dimension passed to NMF \(input W\)\. Expected 2, but got 3"),
    ("custom H with NaN",
     lambda: NMF(2, init="custom").fit(X, W=np.ones((12, 2)), H=np.full((2, 8), np.nan)),
     ValueError, r"H contains 16 NaN entries"),
    ("custom W missing", lambda: NMF(2, init="custom").fit(X, H=np.ones((2, 8))), ValueError,
     r"init='custom' needs both W and H, but W is None"),
    ("unknown parameter", lambda: NMF(2, alpha=0.1), TypeError,
     r"unexpected keyword argument 'alpha'"),
    ("unknown parameter via set_params", lambda: NMF(2).set_params(alpha=0.1), ValueError,
     r"Invalid parameter 'alpha' for estimator NMF"),
    ("bad parameter value", lambda: NMF(2, tol=-1).fit(X), ValueError,
     r"The 'tol' parameter of NMF must be a float in the range \[0\.0, inf\)\. Got -1"),
    ("itakura-saito with zeros", lambda: NMF(2, beta_loss=0).fit(_with(at=(0, 0), value=0)),
     ValueError, r"beta_loss='itakura-saito' needs X > 0 but X has 1 zeros"),
    ("solver that cannot fit the loss", lambda: NMF(2, solver="bpp", beta_loss=1).fit(X),
     ValueError, r"Invalid beta_loss parameter: solver 'bpp' does not handle"),
    ("transform before fit", lambda: NMF(2).transform(X), NotFittedError, r"not fitted yet"),
    ("transform with other features",
     lambda: NMF(2, max_iter=10, tol=0).fit(X).transform(X[:, :5]), ValueError,
     r"X has 5 features, but NMF is expecting 8 features"),
    ("weights of the wrong shape", lambda: NMF(2).fit(X, weights=np.ones((3, 3))), ValueError,
     r"weights has shape \(3, 3\) but X has shape \(12, 8\)"),
    ("negative weights", lambda: NMF(2).fit(X, weights=-np.ones_like(X)), ValueError,
     r"weights has 96 negative entries"),
    ("function API", lambda: non_negative_factorization(X, n_components=-1), ValueError,
     r"The 'n_components' parameter of NMF must be an int in the range \[1, inf\)"),
    ("MiniBatchNMF batch size", lambda: MiniBatchNMF(2, batch_size=0).fit(X), ValueError,
     r"'batch_size' parameter of MiniBatchNMF must be an int in the range \[1, inf\)"),
    ("ratings with NaN", lambda: Recommender(n_components=2).fit(([1, 2], [1, 2], [np.nan, 3])),
     ValueError, r"Recommender\.fit: 1 ratings are NaN or inf"),
    ("ratings of unequal lengths", lambda: Recommender(n_components=2).fit(([1, 2], [1], [3, 3])),
     ValueError, r"2 users, 1 items and 2 ratings"),
    ("no ratings", lambda: Recommender(n_components=2).fit(([], [], [])), ValueError,
     r"no ratings given"),
    ("a string for a corpus", lambda: TopicModel(2).fit("one document"), TypeError,
     r"docs must be an iterable of strings, got one string; wrap it in a list"),
    ("empty corpus", lambda: TopicModel(2).fit([]), ValueError, r"the corpus is empty"),
    ("numbers for documents", lambda: TopicModel(2).fit([1, 2]), TypeError,
     r"document 0 is a int, not a string"),
    ("consensus on negative data", lambda: ConsensusNMF(2, n_runs=2).fit(-X), ValueError,
     r"Negative values in data"),
    ("rank survey without ranks", lambda: select_rank(X, ranks=[]), ValueError,
     r"select_rank: ranks must be positive integers, got \[\]"),
    ("model file that does not exist", lambda: load("no/such/model.npz"), FileNotFoundError,
     r"nmfkit\.load: no such file"),
    # issue 20: the family
    ("semi-NMF with NaN", lambda: SemiNMF(2).fit(_with(at=(0, 1), value=np.nan)), ValueError,
     r"Input X contains NaN"),
    ("semi-NMF, more components than samples", lambda: SemiNMF(20).fit(X), ValueError,
     r"SemiNMF\.fit: n_components=20 is more than the 12 samples of X"),
    ("convex semi-NMF by ALS", lambda: SemiNMF(2, convex=True, solver="als").fit(X), ValueError,
     r"convex=True has multiplicative updates only"),
    ("symmetric NMF of a non-square matrix", lambda: SymmetricNMF(2).fit(X), ValueError,
     r"SymmetricNMF\.fit: A must be square .* nmfkit\.similarity_graph\(X\)"),
    ("symmetric NMF of an asymmetric matrix", lambda: SymmetricNMF(2).fit(X[:8] + np.eye(8)),
     ValueError, r"A is not symmetric .* A = \(A \+ A\.T\) / 2"),
    ("k-NN graph with an unknown metric", lambda: similarity_graph(X, metric="l1"), ValueError,
     r"metric='l1' is not one of 'auto', 'cosine', 'euclidean'"),
    ("separable NMF of negative data", lambda: SeparableNMF(2).fit(-X), ValueError,
     r"SeparableNMF\.fit: Negative values .* X has 96 negative entries"),
    ("convolutive NMF, pattern longer than X", lambda: ConvolutiveNMF(2, pattern_length=13).fit(X),
     ValueError, r"pattern_length=13 is more than the frames \(rows\) of X"),
    ("convolutive NMF, Itakura-Saito with zeros",
     lambda: ConvolutiveNMF(2, beta_loss="itakura-saito").fit(_with(at=(0, 1), value=0.0)),
     ValueError, r"needs X > 0 but X has 1 zeros; add a small constant"),
    # issue 21: single-cell programs, AnnData (the AnnData cases: tests/test_anndata.py)
    ("gene programs, a gene without counts", lambda: GeneProgramNMF(2, n_runs=2).fit(
        np.hstack([X, np.zeros((12, 1))])), ValueError,
     r"1 genes have no counts in any cell .* scanpy\.pp\.filter_genes"),
    ("gene programs, scaled data", lambda: GeneProgramNMF(2, n_runs=2).fit(X - 0.5), ValueError,
     r"counts must be finite and non-negative; pass the raw counts"),
    ("gene programs, k beyond the data", lambda: GeneProgramNMF(9, n_runs=2).fit(X),
     ValueError, r"k=9 is more than the data allow \(at most min\(cells, genes used\) = 8\)"),
    ("a layer of a plain matrix", lambda: NMF(2).fit(X, layer="counts"), ValueError,
     r"layer='counts' names a layer of an AnnData, but X is a ndarray"),
]  # fmt: skip


@pytest.mark.parametrize("call, error, match", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_bad_input_gets_a_specific_error(call, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=match):
            call()


def test_the_catalogue_is_large_enough():
    assert len(ERRORS) + len(DOCUMENTED) + len(CLI) >= 30


# -- documented results: (id, data, check) ------------------------------------------------
def _fit(data, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NMF(2, random_state=0, max_iter=50, **params)
        return model, model.fit_transform(data)


def _same_as_plain(data):
    _, W = _fit(np.ascontiguousarray(data, dtype=np.float64))
    return W


def _all_zero(data):
    model, W = _fit(data)
    assert not W.any() and not model.components_.any()
    assert model.reconstruction_err_ == 0 and model.stop_reason_ == "converged"


def _zero_rows_and_columns(data):
    model, W = _fit(data)
    assert not W[3].any() and not model.components_[:, 5].any()
    assert np.isfinite(W).all() and np.isfinite(model.components_).all()


def _float16(data):
    model, W = _fit(data)
    assert W.dtype == np.float64  # float16 is computed in float64, as scikit-learn does
    np.testing.assert_array_equal(W, _same_as_plain(data))


def _layout(data):
    before = np.array(data, copy=True)
    _, W = _fit(data)
    np.testing.assert_allclose(W, _same_as_plain(data), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(data, before)  # never written to


def _read_only():
    Y = X.copy()
    Y.flags.writeable = False
    return Y


def _zeroed():
    Y = X.copy()
    Y[3] = 0
    Y[:, 5] = 0
    return Y


DOCUMENTED = [
    ("all-zero X: W = 0, H = 0, loss 0", lambda: np.zeros((6, 4)), _all_zero),
    ("all-zero sparse X", lambda: sp.csr_matrix((6, 4)), _all_zero),
    ("zero rows and columns stay zero", _zeroed, _zero_rows_and_columns),
    ("float16 is computed in float64", lambda: X.astype(np.float16), _float16),
    ("non-contiguous view", lambda: np.hstack([X, X])[:, ::2], _layout),
    ("read-only array", _read_only, _layout),
    ("Fortran order", lambda: np.asfortranarray(X), _layout),
    ("integer data", lambda: (X * 10).astype(np.int64), _layout),
    ("nested lists", lambda: X.tolist(), _layout),
]


@pytest.mark.parametrize("make, check", [d[1:] for d in DOCUMENTED], ids=[d[0] for d in DOCUMENTED])
def test_bad_looking_input_gets_the_documented_result(make, check):
    check(make())


# -- the command line: (id, arguments, message); every command ------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    np.save(d / "X.npy", X)
    np.save(d / "stack.npy", RNG.random((3, 4, 4)))
    np.save(d / "X5.npy", X[:, :5])
    (d / "strings.csv").write_text("1,2\n3,x\n4,5\n")
    (d / "ratings.tsv").write_text("1\t1\t5\n1\t2\tgood\n")
    (d / "short.tsv").write_text("1 1\n")
    (d / "empty.txt").write_text("")
    (d / "stop.txt").write_text("the the and\nand of the\n")
    (d / "images").mkdir()
    (d / "images" / "a.png").write_bytes(b"not a png")
    (d / "junk.npz").write_bytes(b"junk")
    assert main(["fit", str(d / "X.npy"), "-k", "2", "-o", str(d / "model.npz")]) == 0
    return d


CLI = [
    ("fit: missing file", "fit {d}/none.npy -k 2", "input file not found"),
    ("fit: strings in a CSV", "fit {d}/strings.csv -k 2", "is not a number"),
    ("fit: k = 0", "fit {d}/X.npy -k 0", "'n_components' parameter of NMF"),
    ("fit: huge k", "fit {d}/X.npy -k 100000000000", "more than this machine's"),
    ("fit: 3-D data", "fit {d}/stack.npy -k 2", "Expected a 2-D X"),
    ("fit: unknown loss", "fit {d}/X.npy -k 2 --loss poisson", "'beta_loss' parameter"),
    ("fit: batch size 0", "fit {d}/X.npy -k 2 --batch-size 0", "'batch_size' parameter"),
    ("fit: output folder missing", "fit {d}/X.npy -k 2 -o {d}/no/m.npz", "does not exist"),
    ("fit: --resume alone", "fit {d}/X.npy -k 2 --resume", "--resume needs --checkpoint"),
    ("fit: bad duration", "fit {d}/X.npy -k 2 --checkpoint {d}/c --checkpoint-every soon",
     "could not read the duration 'soon'"),
    ("transform: corrupt model", "transform {d}/junk.npz {d}/X.npy", "not an nmfkit model"),
    ("transform: data as model", "transform {d}/X.npy {d}/X.npy", "one bare array"),
    ("transform: other features", "transform {d}/model.npz {d}/X5.npy", "has 5 features but"),
    ("recommend: missing file", "recommend {d}/none.tsv --user 1", "ratings file not found"),
    ("recommend: word for a rating", "recommend {d}/ratings.tsv --user 1",
     "ratings.tsv:2: rating 'good' is not a number"),
    ("recommend: short line", "recommend {d}/short.tsv --user 1", "short.tsv:1: expected"),
    ("topics: missing file", "topics {d}/none.txt", "corpus file not found"),
    ("topics: empty corpus", "topics {d}/empty.txt", "the corpus is empty"),
    ("topics: only stop words", "topics {d}/stop.txt", "no words are left"),
    ("images: missing", "images {d}/none -k 2", "no such file or folder"),
    ("images: not a PNG", "images {d}/images -k 2", "not a readable PNG"),
    ("images: not a stack", "images {d}/X.npy -k 2", "expected a stack of grey images"),
    ("rank: bad ranks", "rank {d}/X.npy --ranks a-b", "write a range like 2-10"),
    ("rank: unknown criterion", "rank {d}/X.npy --ranks 2-4 --criteria luck", "unknown criteria"),
    ("consensus: k = 0", "consensus {d}/X.npy -k 0", "'n_components' parameter"),
    ("consensus: one run", "consensus {d}/X.npy -k 2 --runs 1", "'n_runs' parameter"),
    ("demo: no restarts", "demo --restarts 0", "--restarts must be at least 1"),
]  # fmt: skip


@pytest.mark.parametrize("argv, message", [c[1:] for c in CLI], ids=[c[0] for c in CLI])
def test_every_command_answers_bad_input_with_exit_2_and_one_line(files, capsys, argv, message):
    args = argv.format(d=files).split()
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"nmfkit {args[0]}: error:") and message in err, err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(files):
    with pytest.raises(ValueError, match="the corpus is empty"):
        main(["--debug", "topics", str(files / "empty.txt")])
