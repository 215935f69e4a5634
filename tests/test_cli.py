"""The nmfkit command line: every command, every input format, one-line errors."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import nmfkit
from nmfkit.cli import main


def run_cli(*args):
    """Run ``python -m nmfkit`` in a subprocess; return (code, stdout, stderr)."""
    p = subprocess.run(
        [sys.executable, "-m", "nmfkit", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return p.returncode, p.stdout, p.stderr


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((20, 3)) @ rng.random((3, 12))


def write(path, X):
    ext = path.suffix
    if ext == ".npy":
        np.save(path, X)
    elif ext == ".npz":
        sp.save_npz(path, sp.csr_matrix(X))
    elif ext == ".mtx":
        scipy.io.mmwrite(path, sp.coo_matrix(X))
    else:
        np.savetxt(path, X, delimiter="," if ext == ".csv" else "\t")
    return path


@pytest.mark.parametrize("ext", [".npy", ".npz", ".mtx", ".csv", ".tsv"])
def test_fit_every_format_then_transform(tmp_path, data, ext, capsys):
    src = write(tmp_path / f"X{ext}", data)
    model_path = tmp_path / "model.npz"
    assert (
        main(
            [
                "fit",
                str(src),
                "-k",
                "3",
                "-o",
                str(model_path),
                "--seed",
                "0",
                "--max-iter",
                "500",
                "--tol",
                "1e-8",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "data        20 x 12" in out and "iterations in" in out and "loss" in out
    model = nmfkit.load(model_path)
    assert model.components_.shape == (3, 12)
    W_path = tmp_path / "W.npy"
    assert main(["transform", str(model_path), str(src), "-o", str(W_path)]) == 0
    W = np.load(W_path)
    assert W.shape == (20, 3)
    assert np.linalg.norm(data - W @ model.components_) / np.linalg.norm(data) < 1e-3


def test_fit_options_reach_the_model(tmp_path, data):
    src = write(tmp_path / "X.npy", data)
    out = tmp_path / "m.npz"
    code = main(
        [
            "fit",
            str(src),
            "-k",
            "2",
            "--loss",
            "kullback-leibler",
            "--solver",
            "mu",
            "--init",
            "random",
            "--seed",
            "3",
            "--max-iter",
            "30",
            "--alpha-W",
            "0.01",
            "--l1-ratio",
            "0.5",
            "-o",
            str(out),
            "--W",
            str(tmp_path / "W.npy"),
        ]
    )
    assert code == 0
    params = nmfkit.load(out).get_params()
    assert (
        params["beta_loss"],
        params["solver"],
        params["init"],
        params["random_state"],
        params["max_iter"],
        params["alpha_W"],
        params["l1_ratio"],
    ) == ("kullback-leibler", "mu", "random", 3, 30, 0.01, 0.5)
    assert np.load(tmp_path / "W.npy").shape == (20, 2)
    code = main(["fit", str(src), "-k", "2", "--loss", "1.5", "-o", str(out)])
    assert code == 0 and nmfkit.load(out).beta_loss == 1.5


def test_npz_with_named_array(tmp_path, data):
    src = tmp_path / "arrays.npz"
    np.savez(src, X=data, labels=np.arange(20))
    assert main(["fit", str(src), "-k", "2", "-o", str(tmp_path / "m.npz")]) == 0


@pytest.mark.parametrize(
    "content, name, message",
    [
        (None, "missing.npy", "input file not found"),
        (b"a,b\n1,2\n3,x\n", "bad.csv", "bad.csv:3: 'x' is not a number"),
        (b"\x93NUMPY garbage", "bad.npy", "bad.npy is not a readable .npy array"),
        (b"not a zip", "bad.npz", "bad.npz is not a readable .npz (zip) file"),
        (b"1,2\n", "X.xlsx", "unsupported input format '.xlsx'"),
        (b"-1,2\n3,4\n", "neg.csv", "Negative values in data"),
        (b"1,inf\n3,4\n", "inf.csv", "X contains 1 inf entries"),
    ],
)
def test_bad_input_files_exit_2_with_one_line(tmp_path, content, name, message):
    src = tmp_path / name
    if content is not None:
        src.write_bytes(content)
    out = tmp_path / "model.npz"
    code, stdout, stderr = run_cli("fit", src, "-k", "1", "-o", out)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith("nmfkit fit: error:") and message in stderr
    assert "Traceback" not in stderr
    assert not out.exists()  # nothing written


def test_transform_with_corrupt_model(tmp_path, data):
    (tmp_path / "m.npz").write_bytes(b"junk")
    src = write(tmp_path / "X.npy", data)
    code, _, stderr = run_cli("transform", tmp_path / "m.npz", src)
    assert code == 2 and "not an nmfkit model file" in stderr and "Traceback" not in stderr


def test_debug_shows_traceback(tmp_path):
    code, _, stderr = run_cli("--debug", "fit", tmp_path / "missing.npy", "-k", "1")
    assert code != 0 and "Traceback" in stderr


def test_bad_option_is_usage_error():
    code, _, stderr = run_cli("fit", "x.npy")  # no -k
    assert code == 2 and "required" in stderr


def test_demo_finds_the_swimmer_parts(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "parts.png"
    code, out, _ = run_cli("demo", "--plot", png)
    assert code == 0
    assert "Recovered 16 of 16 limb positions" in out
    assert png.exists() and png.read_bytes()[:4] == b"\x89PNG"


def test_info_lists_versions():
    code, out, _ = run_cli("info")
    assert code == 0
    assert out.startswith(f"nmfkit {nmfkit.__version__}")
    assert "engines: numpy" in out and "scikit-learn" in out


def test_console_script_help():
    code, out, _ = run_cli("--help")
    assert code == 0
    for cmd in ("fit", "transform", "demo", "info"):
        assert cmd in out


def test_fit_on_torch_and_from_mini_batches(tmp_path, data, capsys):
    pytest.importorskip("torch")
    src = write(tmp_path / "X.npy", data)
    out = tmp_path / "m.npz"
    args = ["fit", str(src), "-k", "3", "--seed", "0", "--init", "random", "-o", str(out)]
    assert main([*args, "--device", "cpu"]) == 0
    on_torch = nmfkit.load(out)
    assert main([*args, "--engine", "numpy"]) == 0
    np.testing.assert_allclose(on_torch.components_, nmfkit.load(out).components_, rtol=1e-5)
    assert main([*args, "--batch-size", "8"]) == 0
    assert "batch size 8" in capsys.readouterr().out
    assert isinstance(nmfkit.load(out), nmfkit.MiniBatchNMF)
    assert main([*args, "--batch-size", "8", "--engine", "torch"]) == 2
    assert "--batch-size streams on the CPU" in capsys.readouterr().err


def test_fit_on_dask_writes_W_and_transforms_as_numpy(tmp_path, data):
    """--engine dask (offered since the choices come from the registry) writes plain
    .npy files for W, from fit and from transform."""
    import warnings

    pytest.importorskip("dask.array")
    src = write(tmp_path / "X.npy", data)
    out, W, W2 = tmp_path / "m.npz", tmp_path / "W.npy", tmp_path / "W2.npy"
    args = ["fit", str(src), "-k", "3", "--seed", "0", "--init", "random", "-o", str(out)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # np.save of a Dask array warns
        assert main([*args, "--engine", "dask", "--W", str(W)]) == 0
        assert main(["transform", str(out), str(src), "-o", str(W2)]) == 0
    model = nmfkit.load(out)
    assert model.engine == "dask"
    np.testing.assert_array_equal(np.load(W2), np.asarray(model.transform(data).compute()))
    assert np.load(W).shape == (data.shape[0], 3)


def test_fit_treats_nan_as_unknown_and_sparse_stored_entries_as_the_known_ones(tmp_path, capsys):
    from nmfkit import load

    rng = np.random.default_rng(0)
    X = rng.random((15, 3)) @ rng.random((3, 8))
    X[rng.random(X.shape) < 0.3] = np.nan
    np.savetxt(tmp_path / "x.csv", X, delimiter=",")
    args = ["fit", str(tmp_path / "x.csv"), "-k", "3", "--seed", "0", "-o", str(tmp_path / "m.npz")]
    assert main(args) == 0
    model = load(tmp_path / "m.npz")
    known = ~np.isnan(X)
    WH = model.W_ @ model.components_
    assert np.abs(WH - np.nan_to_num(X))[known].max() < 0.05
    S = sp.csr_matrix(np.nan_to_num(X))
    scipy.io.mmwrite(tmp_path / "x.mtx", S)
    out = str(tmp_path / "s.npz")
    assert main(["fit", str(tmp_path / "x.mtx"), "-k", "3", "--observed", "stored", "-o", out]) == 0
    stored = load(out)
    assert stored.observed == "stored"
    assert (
        main(
            ["fit", str(tmp_path / "x.csv"), "-k", "3", "--batch-size", "4", "--observed", "stored"]
        )
        == 2
    )
    assert "drop --observed" in capsys.readouterr().err
