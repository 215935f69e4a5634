"""select_rank: the criteria side by side, reproducible, and right on planted data."""

import numpy as np
import pytest
import scipy.sparse as sp

from nmfkit import select_rank
from nmfkit.datasets import make_planted


@pytest.mark.parametrize("k", [3, 5, 8])
def test_suggested_rank_finds_the_planted_k_in_9_of_10_data_sets(k):
    """Issue 8 acceptance: moderate noise (std 10 % of the mean), 10 random data sets."""
    found = []
    for seed in range(10):
        X, _, _ = make_planted(100, 80, k, noise=0.1, random_state=seed)
        survey = select_rank(
            X, ranks=range(2, 11), n_runs=2, criteria=("heldout",), random_state=seed
        )
        found.append(survey.suggested_rank)
    assert sum(f == k for f in found) >= 9, found


def test_survey_is_bit_identical_for_one_and_two_jobs():
    X, _, _ = make_planted(40, 30, 3, noise=0.1, random_state=0)
    kwargs = dict(ranks=[2, 3, 4], n_runs=4, random_state=5, n_heldout=2, max_iter=100)
    one = select_rank(X, n_jobs=1, **kwargs)
    two = select_rank(X, n_jobs=2, **kwargs)
    assert one.rows == two.rows  # exact equality of every float
    assert one.suggested_rank == two.suggested_rank
    other = select_rank(X, n_jobs=1, **{**kwargs, "random_state": 6})
    assert other.rows != one.rows


def test_every_criterion_is_reported_and_sensible():
    pytest.importorskip("pandas")
    X, _, _ = make_planted(50, 40, 3, noise=0.05, random_state=1)
    survey = select_rank(X, ranks=[2, 3, 4, 5], n_runs=6, random_state=0, max_iter=150)
    table = survey.table
    assert list(table.index) == [2, 3, 4, 5]
    expected = {
        "cophenetic",
        "dispersion",
        "stability",
        "heldout_error",
        "heldout_se",
        "error",
        "explained_variance",
        "error_permuted",
    }
    assert set(table.columns) == expected
    assert survey.suggested_rank == 3
    # real structure fits far better than the column-shuffled baseline at the true rank
    assert table.loc[3, "error"] < 0.5 * table.loc[3, "error_permuted"]
    # each error is that of the very matrix fitted: never worse than W = 0
    assert (table["error_permuted"] < 1).all() and (table["error"] < 1).all()
    assert table["error"].is_monotonic_decreasing
    assert ((table[["cophenetic", "dispersion"]] <= 1 + 1e-12).all()).all()


def test_sparse_input_without_heldout_and_errors():
    X = sp.random(60, 40, density=0.2, random_state=0, format="csr")
    survey = select_rank(X, ranks=[2, 3], n_runs=3, criteria=("consensus", "error"), random_state=0)
    assert {"cophenetic", "error", "error_permuted"} <= set(survey.rows[0])
    with pytest.raises(ValueError, match=r"'heldout' criterion hides entries of a dense X"):
        select_rank(X, ranks=[2], n_runs=2)
    with pytest.raises(ValueError, match=r"unknown criteria \['bic'\]"):
        select_rank(X.toarray(), criteria=("bic",))
    with pytest.raises(ValueError, match=r"n_runs must be an integer >= 2"):
        select_rank(X.toarray(), n_runs=1)


def test_survey_plot_has_a_panel_per_criterion():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    X, _, _ = make_planted(30, 20, 2, noise=0.05, random_state=2)
    survey = select_rank(X, ranks=[1, 2, 3], n_runs=3, random_state=0, max_iter=80)
    fig, axes = survey.plot()
    titles = [ax.get_title() for ax in axes if ax.axison]
    assert titles == [k for k in survey.rows[0] if k != "rank"]
    plt.close("all")


def test_cli_rank_and_consensus(tmp_path, capsys):
    from nmfkit import load
    from nmfkit.cli import main

    X, _, _ = make_planted(40, 30, 3, noise=0.05, random_state=0)
    np.save(tmp_path / "x.npy", X)
    code = main(
        ["rank", str(tmp_path / "x.npy"), "--ranks", "2-4", "--runs", "3", "--max-iter", "80"]
    )
    captured = capsys.readouterr()
    assert code == 0 and "suggested rank: 3" in captured.out and "fits [" in captured.err
    assert len([line for line in captured.out.splitlines() if line[:4].strip().isdigit()]) == 3
    out = tmp_path / "c.npz"
    assert (
        main(["consensus", str(tmp_path / "x.npy"), "-k", "3", "--runs", "4", "-o", str(out)]) == 0
    )
    model = load(out)
    assert model.components_.shape == (3, 30) and 0 <= model.cophenetic_ <= 1
    assert main(["rank", str(tmp_path / "x.npy"), "--ranks", "two"]) == 2
    assert "write a range like 2-10" in capsys.readouterr().err
