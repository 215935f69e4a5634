"""The public API, pinned: the names ``nmfkit`` exports, its public modules, and every
sub-command's arguments and defaults (as they were before the layered package, issue 16).

A change here is a change users see: make it on purpose, and update this test with it.
"""

import argparse

import pytest

import nmfkit
from nmfkit.cli.app import build_parser

PUBLIC = {
    "NMF", "MiniBatchNMF", "Recommender", "TopicModel", "ConsensusNMF", "select_rank",
    "RankSurvey", "topic_coherence", "non_negative_factorization", "read_ratings",
    "rating_metrics", "cross_validate_ratings", "load", "Checkpoint", "__version__",
    # issue 19: constraints on the factors, and unmixing
    "Unmixing", "Simplex", "Box", "Hoyer", "Orthogonal", "Frozen", "MinVolume",
    # issue 20: the family
    "SeparableNMF", "SemiNMF", "SymmetricNMF", "similarity_graph", "ConvolutiveNMF",
    "normalize_graph",
    # issue 21: single-cell gene expression programs, AnnData in and out
    "GeneProgramNMF", "to_anndata", "read_h5ad",
}  # fmt: skip
MODULES = {
    "plot": {"components_as_images", "top_features", "loss_curve", "weights_heatmap",
             "consensus_map", "unmixing", "k_selection"},
    "metrics": {"hoyer_sparseness", "relative_error", "explained_variance",
                "match_components", "spectral_angles", "match_spectra", "pixel_errors"},
    "datasets": {"make_swimmer", "swimmer_parts", "match_parts", "make_planted",
                 "load_matrix", "load_corpus", "load_ratings", "make_single_cell"},
    "images": {"extract_patches", "fit_images", "read_images", "normalize_contrast"},
}  # fmt: skip
# every sub-command's arguments, in order: positional names, or option strings
COMMANDS = {
    "fit": ["input", ("--key",), ("--transpose",), ("-k", "--n-components"), ("-o", "--output"),
            ("--W",), ("--loss",),
            ("--solver",), ("--init",), ("--max-iter",), ("--tol",), ("--seed",),
            ("--engine",), ("--device",), ("--batch-size",), ("--observed",),
            ("--checkpoint",), ("--checkpoint-every",), ("--resume",), ("--alpha-W",),
            ("--l1-ratio",), ("--constraint",), ("-v", "--verbose")],
    "transform": ["model", "input", ("--key",), ("--transpose",), ("-o", "--output"),
                  ("--loss",)],
    "recommend": ["ratings", ("--user",), ("--similar",), ("--items",), ("-n",), ("--evaluate",),
                  ("--folds",), ("--include-seen",), ("-k", "--n-components"), ("--reg",),
                  ("--reg-bias",), ("--shrinkage",), ("--rank-by",), ("--implicit-components",),
                  ("--min-ratings",), ("--max-iter",),
                  ("--seed",), ("--sep",), ("--loss",)],
    "topics": ["corpus", ("-k", "--n-topics"), ("--loss",), ("--n-words",), ("--report",),
               ("--similar",), ("--text-field",), ("--encoding",), ("--min-df",),
               ("--max-df",), ("--no-stop-words",), ("--max-iter",), ("--seed",),
               ("-o", "--output"), ("-n",), ("-m", "--model"), ("--title-field",)],
    "images": ["input", ("-k", "--n-components"), ("--out",), ("--patch",), ("--normalize",),
               ("--max-patches",), ("--solver",), ("--max-iter",), ("--seed",),
               ("-o", "--output"), ("--loss",)],
    "unmix": ["input", ("--key",), ("--transpose",), ("-k", "--k", "--n-components"),
              ("--shape",), ("--bands-first",), ("--order",), ("--out",), ("--abundances",),
              ("--endmembers",), ("--min-volume",), ("--max-iter",), ("--loss",)],
    "separate": ["input", ("--sources",), ("--out",), ("--pattern",), ("--n-fft",), ("--hop",),
                 ("--loss",), ("--max-iter",), ("--seed",)],
    "cluster": ["input", ("--key",), ("--transpose",), ("-k", "--n-clusters"), ("--method",),
                ("--convex",), ("--graph",),
                ("--raw",), ("--neighbors",), ("--metric",), ("--labels",), ("--memberships",),
                ("-o", "--output"), ("--max-iter",), ("--seed",), ("--loss",)],
    "rank": ["input", ("--key",), ("--transpose",), ("--ranks",), ("--runs",), ("--criteria",),
             ("--plot",), ("--jobs",), ("--max-iter",), ("--seed",), ("--loss",)],
    "consensus": ["input", ("--key",), ("--transpose",), ("-k", "--n-components"), ("--runs",),
                  ("-o", "--output"), ("--labels",), ("--jobs",), ("--max-iter",), ("--seed",),
                  ("--loss",)],
    "programs": ["input", ("--key",), ("--transpose",), ("-k", "--n-components"), ("--runs",),
                 ("--choose",), ("--out",),
                 ("--layer",),
                 ("--genes",), ("--density-threshold",), ("--jobs",), ("--max-iter",),
                 ("--seed",), ("--loss",)],
    "demo": [("-k", "--n-components"), ("--restarts",), ("--seed",), ("--plot",), ("--loss",)],
    "info": [],
}  # fmt: skip


def _subcommands():
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices


def test_nmfkit_exports_the_same_names():
    assert set(nmfkit.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(nmfkit, name) is not None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_the_public_modules_keep_their_names(module):
    import importlib

    mod = importlib.import_module(f"nmfkit.{module}")
    assert set(mod.__all__) == MODULES[module]
    assert all(callable(getattr(mod, name)) for name in mod.__all__)
    assert getattr(nmfkit, module) is mod


def test_every_subcommand_keeps_its_arguments():
    commands = _subcommands()
    assert list(commands) == list(COMMANDS)
    for name, expected in COMMANDS.items():
        got = [
            tuple(a.option_strings) if a.option_strings else a.dest
            for a in commands[name]._actions
            if not isinstance(a, argparse._HelpAction)
        ]
        assert got == expected, name


def test_every_subcommand_keeps_its_defaults():
    """The defaults of every argument, as the version before issue 16 had them
    (tests/data/cli-defaults-v1.txt, read off its parser)."""
    import ast
    from pathlib import Path

    saved = Path(__file__).parent / "data" / "cli-defaults-v1.txt"
    before = ast.literal_eval(saved.read_text())
    for name, parser in _subcommands().items():
        defaults = {
            a.dest: a.default for a in parser._actions if not isinstance(a, argparse._HelpAction)
        }
        assert defaults == {**before.get(name, {}), **ADDED.get(name, {})}, name


# the arguments added since v1, with their defaults (issue 19: constraints, unmix)
ADDED = {
    "fit": {"constraint": None},
    "unmix": {"input": None, "k": None, "key": None, "shape": None, "bands_first": False,
              "order": "C", "out": "maps.png", "abundances": None, "endmembers": None,
              "min_volume": 0.1, "max_iter": 1000},
    # issue 20: audio source separation by convolutive NMF
    "separate": {"input": None, "sources": 2, "out": "separated", "pattern": 0.1,
                 "n_fft": 1024, "hop": None, "loss": "kullback-leibler", "max_iter": 1000,
                 "seed": 0},
    # issue 20: clusters by symmetric NMF of a k-NN graph, or by semi-NMF
    "cluster": {"input": None, "n_clusters": None, "method": "symmetric", "convex": False,
                "graph": "knn", "raw": False, "neighbors": "auto", "metric": "auto",
                "labels": "labels.txt",
                "memberships": None, "output": None, "max_iter": None, "seed": 0},
    # issue 22: similar documents from a saved model, titles in the outputs
    "topics": {"n": 10, "model": None, "title_field": "auto"},
    # issue 21: gene expression programs (the cNMF workflow)
    "programs": {"input": None, "n_components": None, "runs": 100, "choose": None,
                 "out": "programs",
                 "layer": None, "genes": 2000, "density_threshold": 0.5, "jobs": None,
                 "max_iter": 1000, "seed": 0},
    # issue 22: recommend --similar ITEM, --items titles, shrinkage and a support floor
    "recommend": {"similar": None, "items": None, "shrinkage": 5.0, "min_ratings": 1,
                  # issue 22: lists ranked by the chance of rating and liking an item
                  "rank_by": "relevance", "implicit_components": 20,
                  # issue 22: the default k is 200, or min(users, items) on smaller data
                  "n_components": None},
    # issue 22: consensus writes each sample's cluster labels (default: next to the model)
    "consensus": {"labels": None},
}  # fmt: skip
# issue 22: every command that reads a data file takes --key and --transpose; every
# command that fits a model takes --loss (cli/_common.py add_input, add_loss)
for _name in ("fit", "transform", "unmix", "cluster", "rank", "consensus", "programs"):
    ADDED.setdefault(_name, {}).update(key=None, transpose=False)
for _name in ("recommend", "images", "unmix", "cluster", "rank", "consensus", "programs", "demo"):
    ADDED.setdefault(_name, {})["loss"] = "frobenius"
ADDED["transform"]["loss"] = None  # the saved model's


def test_choices_come_from_the_registries():
    """--solver and --engine list the registries (a superset of the earlier lists)."""
    from nmfkit.arrays.engines import ENGINES
    from nmfkit.core.solvers import SOLVERS

    actions = {a.dest: a for a in _subcommands()["fit"]._actions}
    assert set(actions["solver"].choices) == {"auto", "cd", *SOLVERS}
    assert set(actions["engine"].choices) == {"auto", *ENGINES}
    assert {"auto", "hals", "cd", "mu", "bpp", "ccd"} <= set(actions["solver"].choices)
    assert {"auto", "numpy", "torch"} <= set(actions["engine"].choices)
