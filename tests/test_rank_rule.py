"""Issue 22: select_rank's suggestion combines the error and stability criteria, every
criterion's own pick is reported, the plot keeps bounded criteria on [0, 1], and a k
larger than the data allow is refused before any fit (select_rank, ConsensusNMF,
fit_images and their commands)."""

import numpy as np
import pytest

from nmfkit import ConsensusNMF, RankSurvey, select_rank
from nmfkit.applications import consensus as consensus_module
from nmfkit.applications import rank as rank_module
from nmfkit.datasets import make_planted


def _rows(cophenetic, stability, heldout, se=0.01):
    """Hand-made survey rows for ranks 2, 3, ...: the held-out error with one SE."""
    return [
        {"rank": r, "cophenetic": c, "stability": s, "heldout_error": h, "heldout_se": se}
        for r, c, s, h in zip(range(2, 2 + len(heldout)), cophenetic, stability, heldout)
    ]


def test_issue_22_case_suggests_where_the_stable_clustering_ends():
    """The trial's expression data: the held-out error's one-SE rule says 5, while the
    cophenetic correlation is 1.000 at k = 2 and 3 and falls after; the suggestion is 3
    and each criterion's own pick is kept beside it."""
    rows = _rows(
        cophenetic=[1.0, 1.0, 0.93, 0.95, 0.92, 0.90],
        stability=[0.99, 0.97, 0.70, 0.72, 0.60, 0.55],
        heldout=[0.60, 0.50, 0.46, 0.44, 0.45, 0.46],
    )
    picks = rank_module._picks(rows)
    assert picks == {"cophenetic": 3, "stability": 3, "heldout_error": 5}
    assert rank_module._suggest(rows, picks) == 3


def test_the_error_bound_caps_a_stability_curve_that_never_falls():
    """Stable everywhere, but the held-out error stops improving at 3: 3, not 7."""
    rows = _rows(
        cophenetic=[1.0] * 6, stability=[1.0] * 6, heldout=[0.6, 0.4, 0.41, 0.42, 0.45, 0.5]
    )
    picks = rank_module._picks(rows)
    assert picks["heldout_error"] == 3 and picks["cophenetic"] == 7
    assert rank_module._suggest(rows, picks) == 3


def test_without_heldout_the_permuted_baseline_bounds_k():
    """Frigyesi & Hoglund: stop where an added component gains less than on shuffled X."""
    error = [0.60, 0.40, 0.30, 0.28, 0.27]
    permuted = [0.70, 0.66, 0.62, 0.58, 0.54]
    rows = [
        {"rank": r, "error": e, "error_permuted": p, "stability": 0.99}
        for r, e, p in zip(range(2, 7), error, permuted)
    ]
    picks = rank_module._picks(rows)
    assert picks == {"error": 4, "stability": 6}
    assert rank_module._suggest(rows, picks) == 4


def test_survey_reports_rule_and_picks_for_every_criterion():
    X, _, _ = make_planted(40, 30, 3, noise=0.05, random_state=0)
    survey = select_rank(X, ranks=[2, 3, 4], n_runs=3, random_state=0, max_iter=100)
    assert survey.suggested_rank == 3
    assert set(survey.picks) == {"cophenetic", "dispersion", "stability", "heldout_error", "error"}
    assert all(p in (2, 3, 4) for p in survey.picks.values())
    assert survey.rule.startswith("stable and supported") and survey.rule == rank_module.RULE
    assert "largest drop" in select_rank.__doc__ and "one standard error" in select_rank.__doc__


def _expression(n_groups, seed, n_samples=30, n_genes=200):
    """Brunet-style expression: groups of samples, each with its own up-regulated genes,
    over gene baselines, with multiplicative noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n_samples) % n_groups
    effect = np.zeros((n_groups, n_genes))
    for g in range(n_groups):
        genes = rng.choice(n_genes, n_genes // 10, replace=False)
        effect[g, genes] = rng.normal(1.5, 0.5, len(genes))
    base = rng.lognormal(0.0, 1.0, n_genes)
    return base * np.exp(effect[labels] + rng.normal(0, 0.3, (n_samples, n_genes))), labels


@pytest.mark.parametrize("n_groups", [2, 3])
def test_expression_groups_are_suggested(n_groups):
    X, labels = _expression(n_groups, seed=n_groups)
    survey = select_rank(X, ranks=range(2, 6), n_runs=4, random_state=0, max_iter=200)
    assert survey.suggested_rank == n_groups, (survey.picks, survey.rows)
    model = ConsensusNMF(n_groups, n_runs=4, random_state=0, max_iter=200).fit(X)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(labels, model.labels_) == 1.0
    assert adjusted_rand_score(labels, model.consensus_labels_) == 1.0


def test_plot_keeps_bounded_criteria_on_zero_to_one_and_flat_curves_flat():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    rows = [
        {"rank": r, "cophenetic": c, "error": e}
        for r, c, e in zip([2, 3, 4], [1.0, 0.9985, 0.9991], [0.5, 0.4999, 0.4998])
    ]
    fig, axes = RankSurvey(rows, 2).plot()
    cophenetic, error = axes[0], axes[1]
    low, high = cophenetic.get_ylim()
    assert low <= 0.0 and high >= 1.0  # not 0.9985-1.0: the noise stays small
    low, high = error.get_ylim()
    assert high - low >= 0.1 * 0.5  # at least 10 % of the values' size
    plt.close("all")


def _no_fit(*args, **kwargs):
    raise AssertionError("a fit started")


def test_select_rank_refuses_k_beyond_the_data_before_any_fit(monkeypatch):
    X = np.random.default_rng(0).random((38, 100))
    for name in ("_fit", "_heldout", "_permuted_error"):
        monkeypatch.setattr(rank_module, name, _no_fit)
    with pytest.raises(ValueError, match=r"k=50 is more than the data allow .* = 38\); lower"):
        select_rank(X, ranks=range(2, 51), n_runs=2)


def test_consensus_refuses_k_beyond_the_data_before_any_run(monkeypatch):
    X = np.random.default_rng(0).random((38, 20))
    monkeypatch.setattr(consensus_module, "_run", _no_fit)
    with pytest.raises(ValueError, match=r"k=21 is more than the data allow .* = 20\)"):
        ConsensusNMF(21, n_runs=2).fit(X)


def test_fit_images_refuses_k_beyond_the_data_before_any_fit(monkeypatch):
    from nmfkit.estimators.nmf import NMF
    from nmfkit.images import fit_images

    monkeypatch.setattr(NMF, "fit", _no_fit)
    monkeypatch.setattr(NMF, "fit_transform", _no_fit)
    images = np.random.default_rng(0).random((6, 8, 8))
    with pytest.raises(ValueError, match=r"k=5000 is more than the data allow .* = 6\)"):
        fit_images(images, 5000)
    with pytest.raises(ValueError, match=r"k=17 is more than the data allow .* = 16\)"):
        fit_images(images, 17, patch_size=(4, 4), max_patches=3)


def test_consensus_clusters_cut_the_tree_into_k():
    from nmfkit.applications.consensus import consensus_clusters

    blocks = np.kron(np.eye(3), np.ones((2, 2)))  # three pairs that always go together
    C = 0.9 * blocks + 0.05
    np.fill_diagonal(C, 1.0)
    np.testing.assert_array_equal(consensus_clusters(C, 3), [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(consensus_clusters(C, 1), [0] * 6)


def test_cli_rank_prints_rule_and_picks_and_consensus_writes_labels(tmp_path, capsys):
    from nmfkit.cli import main

    X, labels = _expression(2, seed=0)
    np.save(tmp_path / "x.npy", X)
    args = ["rank", str(tmp_path / "x.npy"), "--ranks", "2-4", "--runs", "3", "--max-iter", "100"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "rule: stable and supported" in out
    for key in ("cophenetic", "stability", "heldout_error", "error"):
        assert f"pick of {key}:" in out
    model = tmp_path / "c.npz"
    assert main(["consensus", str(tmp_path / "x.npy"), "-k", "2", "--runs", "3",
                 "-o", str(model)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "agreement (adjusted Rand) 1.000" in out
    table = (tmp_path / "c_labels.tsv").read_text().splitlines()
    assert table[0] == "sample\tlabel\tconsensus_label" and len(table) == 1 + len(X)
    got = np.array([line.split("\t")[1:] for line in table[1:]], dtype=int)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(labels, got[:, 0]) == 1.0
    assert adjusted_rand_score(labels, got[:, 1]) == 1.0
    assert main(["consensus", str(tmp_path / "x.npy"), "-k", "2", "--runs", "3",
                 "-o", str(model), "--labels", "-"]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert "sample\tlabel\tconsensus_label" in lines


def test_the_rule_is_in_the_help_and_labels_follow_the_axis(capsys):
    from nmfkit.cli import main

    with pytest.raises(SystemExit):
        main(["rank", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "stable and supported" in help_text and "one-standard-error" in help_text
    X, _, _ = make_planted(30, 12, 3, noise=0.05, random_state=0)
    model = ConsensusNMF(3, n_runs=3, random_state=0, axis="features").fit(X)
    assert model.labels_.shape == (12,) and model.consensus_labels_.shape == (12,)
    assert set(model.consensus_labels_) <= {0, 1, 2}


def test_ranks_are_surveyed_in_order_once():
    """Ranks given backwards or repeated are the same survey: the criteria read "the next
    rank" in order, and a repeated rank would pool two batches of runs."""
    from nmfkit.datasets import make_planted

    X, _, _ = make_planted(40, 30, 3, noise=0.05, random_state=0)
    kw = dict(n_runs=3, random_state=0, max_iter=100, criteria=("consensus",))
    ahead = select_rank(X, ranks=[2, 3, 4], **kw)
    messy = select_rank(X, ranks=[4, 3, 2, 3], **kw)
    assert [r["rank"] for r in messy.rows] == [2, 3, 4]
    assert messy.picks == ahead.picks and messy.suggested_rank == ahead.suggested_rank


def test_a_patch_larger_than_the_images_is_named_as_such():
    from nmfkit.images import fit_images

    with pytest.raises(ValueError, match="larger than the 8 x 8 images"):
        fit_images(np.random.default_rng(0).random((5, 8, 8)), 3, patch_size=(10, 10))
