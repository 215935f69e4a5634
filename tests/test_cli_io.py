"""The command line's input and --loss (issue 22): which array of a file, which way
round, empty cells as unknown entries, unreadable text, and one --loss for every command
that fits a model. (One-line errors for these are rows of test_cli_failures.py.)"""

import argparse

import numpy as np
import pytest

from nmfkit import NMF, load
from nmfkit.cli import main
from nmfkit.cli.app import build_parser
from nmfkit.core.readers import read_matrix

RNG = np.random.default_rng(1)
X = RNG.random((30, 8)) + 0.05

# the commands that read a data matrix, and those that fit a model
READERS = ("fit", "transform", "cluster", "rank", "consensus", "unmix", "programs")
FITTERS = ("fit", "recommend", "topics", "images", "unmix", "separate", "cluster", "rank",
           "consensus", "programs", "demo")  # fmt: skip


def _parsers():
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices


def test_every_command_that_reads_a_matrix_takes_key_and_transpose():
    parsers = _parsers()
    for name in READERS:
        options = {s for a in parsers[name]._actions for s in a.option_strings}
        assert {"--key", "--transpose"} <= options, name


def test_every_command_that_fits_takes_loss_with_one_wording():
    from nmfkit.cli._common import LOSS_HELP

    parsers = _parsers()
    for name, parser in parsers.items():
        (loss,) = [a for a in parser._actions if "--loss" in a.option_strings] or [None]
        if name in FITTERS or name == "transform":
            assert loss is not None, f"{name} has no --loss"
            assert loss.help.startswith(LOSS_HELP), (name, loss.help)
            assert loss.choices is None and loss.type is None, name  # parsed by parse_loss
        else:
            assert name == "info" and loss is None


@pytest.mark.parametrize(
    "text, value",
    [("frobenius", "frobenius"), ("KL", "kullback-leibler"), ("kullback-leibler",
     "kullback-leibler"), ("is", "itakura-saito"), ("2", "frobenius"), ("1.0",
     "kullback-leibler"), ("0.5", 0.5)],
)  # fmt: skip
def test_parse_loss_reads_names_aliases_and_numbers(text, value):
    from nmfkit.cli._common import parse_loss

    assert parse_loss(text) == value


def test_key_and_transpose_choose_the_matrix_and_say_so(tmp_path, capsys):
    np.savez(tmp_path / "d.npz", genes=X.T, other=np.ones(3))
    out = tmp_path / "m.npz"
    argv = ["fit", str(tmp_path / "d.npz"), "--key", "genes", "--transpose", "-k", "2", "-o"]
    assert main([*argv, str(out), "--seed", "0"]) == 0
    said = capsys.readouterr().out
    assert "d.npz[genes]: 30 samples x 8 features (dense, transposed)" in said
    model = load(out)
    assert model.n_features_in_ == 8
    expected = NMF(2, random_state=0).fit(X)
    np.testing.assert_allclose(model.components_, expected.components_, rtol=1e-6)


def test_the_array_read_is_said_without_key_too(tmp_path, capsys):
    np.savez(tmp_path / "d.npz", X=X, names=np.arange(30))
    assert main(["consensus", str(tmp_path / "d.npz"), "-k", "2", "--runs", "2",
                 "-o", str(tmp_path / "c.npz")]) == 0  # fmt: skip
    assert "d.npz[X]: 30 samples x 8 features (dense)" in capsys.readouterr().out


def test_empty_csv_cells_are_unknown_entries_as_in_the_python_api(tmp_path, capsys):
    holes = X.copy()
    holes[[1, 4, 9], [0, 3, 7]] = np.nan
    text = "\n".join(",".join("" if np.isnan(v) else repr(float(v)) for v in row) for row in holes)
    (tmp_path / "h.csv").write_text("a,b,c,d,e,f,g,h\n" + text + "\n")
    np.testing.assert_array_equal(read_matrix(tmp_path / "h.csv"), holes)
    W = tmp_path / "W.npy"
    argv = ["fit", str(tmp_path / "h.csv"), "-k", "2", "--seed", "0", "-o"]
    assert main([*argv, str(tmp_path / "m.npz"), "--W", str(W)]) == 0
    expected = NMF(2, random_state=0).fit_transform(holes)  # NaN: left out of the loss
    np.testing.assert_allclose(np.load(W), expected, rtol=1e-6)


def test_a_column_empty_in_every_row_is_refused(tmp_path):
    (tmp_path / "t.csv").write_text("1,2,\n3,4,\n")
    with pytest.raises(ValueError, match=r"t.csv: column 3 is empty in every row"):
        read_matrix(tmp_path / "t.csv")


@pytest.mark.parametrize(
    "content, what",
    [
        (b"\x89HDF\r\n\x1a\n" + bytes(100), "an HDF5 file"),
        (b"%PDF-1.4\n" + bytes(100), "a PDF document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "an OLE document"),
        (b"1,2\n3,\x004\n", "binary"),
    ],
)
def test_binary_files_under_a_text_name_are_an_unsupported_format(tmp_path, content, what):
    path = tmp_path / "data.tsv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"^unsupported format: .*data.tsv is {what}"):
        read_matrix(path)


def test_read_matrix_from_names_the_source(tmp_path):
    from nmfkit.core.readers import read_matrix_from

    np.savez(tmp_path / "one.npz", counts=X)
    M, source = read_matrix_from(tmp_path / "one.npz")
    assert source.endswith("one.npz[counts]") and M.shape == X.shape
    np.save(tmp_path / "x.npy", X)
    assert read_matrix_from(tmp_path / "x.npy")[1].endswith("x.npy")


def test_loss_reaches_the_model(tmp_path, capsys):
    np.save(tmp_path / "X.npy", X)
    out = tmp_path / "c.npz"
    argv = ["consensus", str(tmp_path / "X.npy"), "-k", "2", "--runs", "2", "--loss", "kl"]
    assert main([*argv, "-o", str(out)]) == 0
    assert load(out).beta_loss == "kullback-leibler"
