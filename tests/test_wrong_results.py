"""Silently wrong results (issue 17, part C): each case an adversarial review found gave
a wrong answer without an error. Now each one is refused before the fit, stopped with an
error during it, or gives the right answer. RELIABILITY.md lists them.
"""

import os
import threading
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from nmfkit import NMF, Recommender, non_negative_factorization
from nmfkit.applications.recommender.ratings import read_ratings
from nmfkit.cli import main
from nmfkit.core.io import read_matrix

RNG = np.random.default_rng(0)
X = RNG.random((20, 12)) + 0.05


# -- parameters that cannot give finite factors are refused before the fit -----------------
W_HUGE = np.full((20, 2), 1e200)
H_ONE = np.ones((2, 12))

NON_FINITE = [
    ("alpha_W=inf", dict(alpha_W=np.inf), r"alpha_W.*finite|alpha_W"),
    ("alpha_W=1e308, l1_ratio=0.5", dict(alpha_W=1e308, l1_ratio=0.5), r"penalty"),
    ("alpha_H=1e308", dict(alpha_H=1e308), r"penalty"),
    ("beta_loss=inf", dict(beta_loss=np.inf, solver="mu"), r"beta_loss"),
    ("beta_loss=-inf", dict(beta_loss=-np.inf, solver="mu"), r"beta_loss"),
    ("beta_loss=nan", dict(beta_loss=np.nan, solver="mu"), r"beta_loss"),
    ("beta_loss=-1000", dict(beta_loss=-1000.0, solver="mu"), r"beta_loss"),
]


@pytest.mark.parametrize(
    "params, match", [c[1:] for c in NON_FINITE], ids=[c[0] for c in NON_FINITE]
)
def test_parameters_that_cannot_give_finite_factors_are_refused(params, match):
    with pytest.raises(ValueError, match=match):
        NMF(2, init="random", random_state=0, max_iter=50, **params).fit(X)


def test_a_custom_start_whose_product_overflows_is_refused():
    with pytest.raises(ValueError, match=r"overflow"):
        non_negative_factorization(X, W_HUGE, H_ONE, n_components=2, init="custom",
                                   solver="hals", max_iter=20)  # fmt: skip


def test_a_non_finite_iterate_stops_the_fit_with_an_error_never_converged():
    """Whatever makes the factors overflow mid-fit (here a callback that poisons W),
    the Loop stops with FloatingPointError instead of reporting convergence."""

    def poison(n_iter, loss, W, H):
        if n_iter >= 10:
            W[0, 0] = np.nan

    with pytest.raises(FloatingPointError, match=r"objective is nan at iteration"):
        NMF(2, init="random", random_state=0, solver="mu", max_iter=200, callback=poison).fit(X)


CLI_NON_FINITE = [
    ["--alpha-W", "inf"],
    ["--alpha-W", "1e308", "--l1-ratio", "0.5"],
    ["--loss", "inf", "--solver", "mu"],
    ["--loss", "-1000"],
]


@pytest.mark.parametrize("argv", CLI_NON_FINITE)
def test_the_cli_saves_no_model_for_parameters_that_cannot_work(tmp_path, capsys, argv):
    np.save(tmp_path / "X.npy", X)
    model = tmp_path / "m.npz"
    assert main(["fit", str(tmp_path / "X.npy"), "-k", "2", "-o", str(model), *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert not model.exists()


def test_an_interrupted_fit_never_saves_a_non_finite_point():
    """A stop requested while the iterates went NaN raises before the final save, so the
    last good checkpoint is not replaced by one that cannot be resumed."""
    from nmfkit.core.loop import LoopControl

    class Recording(LoopControl):
        finals = 0

        def save(self, snapshot, final=False):
            self.finals += final

    control = Recording()

    def poison(n_iter, loss, W, H):
        W[:] = np.nan  # the next iteration is NaN
        control.stop_requested = True  # and a stop is asked for before its check

    with pytest.raises(FloatingPointError, match=r"at iteration 11"):
        NMF(2, init="random", random_state=0, solver="mu", max_iter=100, callback=poison).fit(
            X, checkpoint=control
        )
    assert control.finals == 0


def test_an_integer_parameter_beyond_float_range_gets_the_parameter_error():
    with pytest.raises(ValueError, match=r"n_components"):
        NMF(n_components=2**70).fit(X)


# -- KL's default solver leaves no dead components ------------------------------------------
def test_kl_ccd_does_not_kill_components_on_dense_data():
    """k larger than the planted rank on dense data: CCD used to zero a weight whose
    curvature was zero, and once a component's W column and H row were both zero no
    update could revive it (16 of 40 dead, KL 0.46 against MU's 0.04)."""
    rng = np.random.default_rng(0)
    Y = rng.random((400, 20)) @ rng.random((20, 100))
    Y /= Y.max()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ccd = NMF(40, beta_loss="kullback-leibler", solver="ccd", random_state=0, max_iter=100)
        ccd.fit(Y)
        mu = NMF(40, beta_loss="kullback-leibler", solver="mu", random_state=0, max_iter=100)
        mu.fit(Y)
    W, H = ccd.transform(Y), ccd.components_
    dead = int(np.sum((W.max(axis=0) == 0) | (H.max(axis=1) == 0)))
    assert dead == 0
    assert ccd.reconstruction_err_ <= 1.5 * mu.reconstruction_err_


@pytest.mark.parametrize("sparse, expected", [(False, "mu"), (True, "ccd")])
def test_kl_auto_takes_ccd_for_sparse_x_and_mu_for_dense_x(sparse, expected):
    """CCD's cost follows the stored entries: on dense faces it was 4x slower than MU to
    the same loss (benchmarks/kl_dense.py), so 'auto' takes it for sparse X only."""
    Y = np.where(RNG.random(X.shape) < 0.5, 0.0, X)
    Y = sp.csr_matrix(Y) if sparse else Y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto = NMF(4, beta_loss="kullback-leibler", random_state=0, max_iter=30).fit(Y)
        chosen = NMF(4, beta_loss="kullback-leibler", random_state=0, max_iter=30,
                     solver=expected).fit(Y)  # fmt: skip
    np.testing.assert_array_equal(auto.components_, chosen.components_)


# -- the recommender at the edge of float64 ------------------------------------------------
def test_ratings_whose_products_overflow_are_refused(tmp_path, capsys):
    ratings = ([1, 1, 2, 2, 3], [1, 2, 1, 3, 2], [5e155, 3e155, 4e155, 1e155, 2e155])
    with pytest.raises(ValueError, match=r"rating"):
        Recommender(2, random_state=0).fit(ratings)
    path = tmp_path / "r.csv"
    path.write_text("".join(f"{u},{i},{r}\n" for u, i, r in zip(*ratings)))
    assert main(["recommend", str(path), "--user", "1", "-k", "2"]) == 2
    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1 and "rating" in captured.err
    assert "nan" not in captured.out.lower()


# -- CSV matrices: a real CSV reader -------------------------------------------------------
CSV = [
    ("byte order mark", "\ufeff1,2\n3,4\n", [[1, 2], [3, 4]]),
    ("header of names", "a,b\n1,2\n3,4\n", [[1, 2], [3, 4]]),
    ("quoted numbers", '"1","2"\n3,4\n', [[1, 2], [3, 4]]),
    ("nan for unknown", "1,nan\n3,4\n", [[1, np.nan], [3, 4]]),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in CSV], ids=[c[0] for c in CSV])
def test_csv_rows_are_all_read(tmp_path, text, expected):
    path = tmp_path / "X.csv"
    path.write_text(text, encoding="utf-8")
    np.testing.assert_array_equal(read_matrix(path), np.array(expected, dtype=float))


BAD_CSV = [
    ("trailing comma on the first row", "1,2,\n3,4\n", r"X.csv:1: an empty field"),
    ("missing column on the first row", "1\n3,4\n", r"X.csv:2: 2 fields, where line 1 has 1"),
    ("a comment is not a number", "1,2#x\n3,4\n", r"X.csv:1: '2#x' is not a number"),
    ("empty file", "", r"X.csv: no data rows"),
]


@pytest.mark.parametrize("text, match", [c[1:] for c in BAD_CSV], ids=[c[0] for c in BAD_CSV])
def test_csv_that_is_not_a_matrix_is_refused_with_the_line(tmp_path, text, match):
    path = tmp_path / "X.csv"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning before the error
        with pytest.raises(ValueError, match=match):
            read_matrix(path)


# -- ratings files --------------------------------------------------------------------------
def test_a_first_line_with_a_non_numeric_rating_is_an_error_not_a_header(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("1,2,five\n1,3,4\n")
    with pytest.raises(ValueError, match=r"r.csv:1: rating 'five' is not a number"):
        read_ratings(path)


def test_a_header_of_names_is_skipped(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("user,item,rating\n1,2,5\n1,3,4\n")
    users, items, values = read_ratings(path)
    assert users.tolist() == [1, 1] and values.tolist() == [5.0, 4.0]


def test_quoted_fields_may_hold_the_separator(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('alice,"Heat (1995), director\'s cut",5\nbob,Fargo,4\n')
    users, items, values = read_ratings(path)
    assert items.tolist() == ["Heat (1995), director's cut", "Fargo"]


def test_tsv_splits_on_tabs_only(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("ann lee\tThe Matrix\t5\nbo\tHeat\t3\n")
    users, items, values = read_ratings(path)
    assert users.tolist() == ["ann lee", "bo"] and items.tolist() == ["The Matrix", "Heat"]


def test_ids_written_differently_stay_different_users(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("007,1,5\n7,1,3\n7,2,4\n")
    users, _, _ = read_ratings(path)
    assert users.tolist() == ["007", "7", "7"]
    assert len(Recommender(1, random_state=0, max_iter=5).fit(read_ratings(path)).user_ids_) == 2


# -- determinism: layout and fork ------------------------------------------------------------
def _bits(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NMF(3, random_state=0, max_iter=50, solver="hals")
        return model.fit_transform(data), model.components_


@pytest.mark.parametrize("layout", ["fortran", "dataframe", "strided view"])
def test_every_layout_gives_the_same_bits_as_a_c_ordered_array(layout):
    if layout == "fortran":
        data = np.asfortranarray(X)
    elif layout == "dataframe":
        data = pytest.importorskip("pandas").DataFrame(X)
    else:
        data = np.repeat(X, 2, axis=1)[:, ::2]  # X itself, every other column of a copy
    W0, H0 = _bits(np.ascontiguousarray(X))
    W1, H1 = _bits(data)
    np.testing.assert_array_equal(W1, W0)
    np.testing.assert_array_equal(H1, H0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_a_fit_runs_starts_with_no_blas_holders():
    from nmfkit.arrays.engines import _numpy

    entered, release = threading.Event(), threading.Event()

    def hold():
        with _numpy._one_blas_thread():
            entered.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert entered.wait(30)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads
            pid = os.fork()
        if pid == 0:  # the child: its own fits must start from zero holders
            os._exit(0 if _numpy._holders["count"] == 0 and _numpy._holders["limiter"] is None
                     else 1)  # fmt: skip
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        t.join()


# -- complex input is refused, sparse as well as dense --------------------------------------
@pytest.mark.parametrize("sparse", [False, True])
def test_complex_input_is_refused(sparse):
    Z = X.astype(complex)
    with pytest.raises(ValueError, match=r"Complex data not supported"):
        NMF(2).fit(sp.csr_matrix(Z) if sparse else Z)


def test_the_cli_refuses_complex_matrix_market_files(tmp_path, capsys):
    import scipy.io

    path = tmp_path / "Z.mtx"
    scipy.io.mmwrite(path, sp.coo_matrix(X.astype(complex)))
    assert main(["fit", str(path), "-k", "2", "-o", str(tmp_path / "m.npz")]) == 2
    assert "complex" in capsys.readouterr().err
