"""Long fits survive interruption: checkpoints, resume, SIGKILL and Ctrl-C (issue 9, item 3)."""

import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

from nmfkit import NMF, Checkpoint, load
from nmfkit.cli import main
from nmfkit.core.solvers import SOLVERS
from nmfkit.estimators.checkpoint import parse_duration

CASES = [
    (solver, beta, shuffle)
    for solver, module in SOLVERS.items()
    for beta in (2.0, 1.0)
    for shuffle in (False, True)
    if module.minimises(beta) and (not shuffle or solver in ("hals", "ccd"))
]


def _fit(X, checkpoint=None, max_iter=60, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NMF(5, random_state=0, tol=0, max_iter=max_iter, **params)
        return model.fit(X, checkpoint=checkpoint)


@pytest.mark.parametrize("solver, beta, shuffle", CASES)
@pytest.mark.parametrize("missing", [False, True])
def test_a_resumed_fit_ends_where_an_uninterrupted_one_does(
    tmp_path, solver, beta, shuffle, missing
):
    rng = np.random.default_rng(1)
    X = rng.random((40, 30))
    params = dict(solver=solver, beta_loss=beta, shuffle=shuffle, init="random")
    if missing:
        if not SOLVERS[solver].masked:
            pytest.skip(f"{solver} does not fit unknown entries")
        X[rng.random(X.shape) < 0.2] = np.nan
    reference = _fit(X, **params)
    first = Checkpoint(tmp_path, every=0)
    _fit(X, first, max_iter=20, **params)
    assert first.saved_at == 20 and first.resumed_from is None
    again = Checkpoint(tmp_path)
    resumed = _fit(X, again, **params)
    assert again.resumed_from == 20
    np.testing.assert_array_equal(resumed.components_, reference.components_)
    np.testing.assert_array_equal(resumed.W_, reference.W_)
    np.testing.assert_array_equal(resumed.loss_curve_, reference.loss_curve_)
    assert resumed.n_iter_ == reference.n_iter_


def test_a_checkpoint_of_an_older_format_is_refused_naming_both_versions(tmp_path):
    """Checkpoints of formats 1 (before issue 16: the Plan's fields by position, solver
    state as plain dicts) and 2 (before issue 17: a digest of the arrays only) are
    refused with both versions named, not misread."""
    import json

    X = np.random.default_rng(0).random((30, 20))
    _fit(X, Checkpoint(tmp_path, every=0), max_iter=10)
    path = tmp_path / Checkpoint.FILE
    with np.load(path, allow_pickle=False) as f:
        contents = {name: f[name] for name in f.files}
    meta = json.loads(str(contents["__meta__"]))
    for version in (1, 2):
        meta["format_version"] = version
        contents["__meta__"] = np.array(json.dumps(meta))
        np.savez(path, **contents)
        with pytest.raises(
            ValueError, match=rf"format version {version}; this nmfkit .* reads version 3"
        ):
            _fit(X, Checkpoint(tmp_path), max_iter=10)


def test_a_checkpoint_for_other_data_or_parameters_is_refused(tmp_path):
    X = np.random.default_rng(0).random((30, 20))
    _fit(X, Checkpoint(tmp_path, every=0), max_iter=10)
    with pytest.raises(ValueError, match=r"other parameters: n_components=5 \(now 4\)"):
        NMF(4, random_state=0, max_iter=10).fit(X, checkpoint=Checkpoint(tmp_path))
    with pytest.raises(ValueError, match=r"written for other data; pass the same data"):
        _fit(X + 1, Checkpoint(tmp_path), max_iter=10)
    # max_iter and tol may change: a finished fit can be extended
    longer = Checkpoint(tmp_path)
    _fit(X, longer, max_iter=30)
    assert longer.resumed_from == 10
    # resume=False starts afresh and overwrites
    fresh = Checkpoint(tmp_path, every=0, resume=False)
    _fit(X + 1, fresh, max_iter=10)
    assert fresh.resumed_from is None and fresh.saved_at == 10


def test_a_damaged_checkpoint_is_refused_and_bad_arguments_are_caught(tmp_path):
    X = np.random.default_rng(0).random((30, 20))
    ckpt = Checkpoint(tmp_path, every=0)
    _fit(X, ckpt, max_iter=10)
    data = open(ckpt.path, "rb").read()
    with open(ckpt.path, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"is not an nmfkit checkpoint file .*Delete .* afresh"):
        _fit(X, Checkpoint(tmp_path))
    with pytest.raises(ValueError, match=r"every must be >= 0 seconds"):
        Checkpoint(tmp_path, every=-1)
    with pytest.raises(TypeError, match=r"checkpoint must be an nmfkit.Checkpoint, got str"):
        NMF(2).fit(X, checkpoint="ckpt/")
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match=r"is a file; the checkpoint needs a folder"):
        _fit(X, Checkpoint(tmp_path / "file"))


def test_durations():
    assert [parse_duration(t) for t in ("60", "60s", "5m", "2h", "0")] == [60, 60, 300, 7200, 0]
    for bad in ("soon", "-5s", "nan"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)


# -- the command line, in a child process that is killed or interrupted -----------------
def _as_in_a_terminal(ignore=()):
    """For the child: the signal dispositions of a command typed in a terminal. A test
    run in the background (CI) inherits SIGINT ignored, and ``nohup`` SIGHUP, and
    nmfkit, like Python itself, leaves an ignored signal ignored."""

    def reset():
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN if signum in ignore else signal.SIG_DFL)

    return reset


def _cli(*args, ignore=()):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "nmfkit", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_as_in_a_terminal(ignore),
    )


def _wait_for(path, process, timeout=60):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no checkpoint was written"
        time.sleep(0.005)


@pytest.fixture
def long_fit(tmp_path):
    """A data file and the arguments of a fit that runs for seconds, checkpointing often."""
    rng = np.random.default_rng(0)
    X = rng.random((300, 12)) @ rng.random((12, 200)) + 0.1 * rng.random((300, 200))
    np.save(tmp_path / "X.npy", X)
    args = ["fit", tmp_path / "X.npy", "-k", 12, "--seed", 0, "--tol", 0, "--max-iter", 3000]
    args += ["--solver", "mu"]
    reference = tmp_path / "reference.npz"
    assert main([*map(str, args), "-o", str(reference)]) == 0
    ckpt = tmp_path / "ckpt"
    return args, load(reference), ckpt, ckpt / "checkpoint.npz"


def test_sigkill_mid_fit_then_resume_gives_the_uninterrupted_result(tmp_path, long_fit, capsys):
    """kill -9 at any moment: the checkpoint on disk is whole, and resuming loses nothing."""
    args, reference, ckpt, path = long_fit
    p = _cli(*args, "-o", tmp_path / "m.npz", "--checkpoint", ckpt, "--checkpoint-every", "0s")
    _wait_for(path, p)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL and not (tmp_path / "m.npz").exists()
    code = main(
        [*map(str, args), "-o", str(tmp_path / "k.npz"), "--checkpoint", str(ckpt), "--resume"]
    )
    out = capsys.readouterr().out
    resumed_from = int(out.split("resumed     from iteration ")[1].split()[0])
    assert code == 0 and 0 < resumed_from < 3000
    model = load(tmp_path / "k.npz")
    np.testing.assert_allclose(model.components_, reference.components_, rtol=1e-10, atol=0)
    np.testing.assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize(
    "sig, code, said",
    [
        (signal.SIGINT, 130, "interrupted"),
        # what timeout, Docker and systemd send, and a closed terminal (issue 17, B9)
        (signal.SIGTERM, 143, "SIGTERM"),
        (signal.SIGHUP, 129, "SIGHUP"),
    ],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
def test_ctrl_c_stops_after_the_iteration_saves_the_factors_and_exits_130(
    tmp_path, long_fit, sig, code, said
):
    """Ctrl-C, SIGTERM and SIGHUP: stop after the iteration, save, exit 128 + signal."""
    args, reference, ckpt, path = long_fit
    p = _cli(*args, "-o", tmp_path / "m.npz", "--checkpoint", ckpt, "--checkpoint-every", "0s")
    _wait_for(path, p)  # the fit is running: its signal handlers are in place
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    assert "stopping after the current iteration" in err and "Traceback" not in err
    assert f"{said} after iteration" in err and "--resume" in err
    model = load(tmp_path / "m.npz")
    assert model.stop_reason_ == "interrupted" and 0 < model.n_iter_ < 3000
    assert np.isfinite(model.components_).all() and np.isfinite(model.reconstruction_err_)
    # Ctrl-C saved a checkpoint where it stopped: resuming finishes the same fit
    argv = [*map(str, args), "-o", str(tmp_path / "r.npz"), "--checkpoint", str(ckpt), "--resume"]
    assert main(argv) == 0
    resumed = load(tmp_path / "r.npz")
    np.testing.assert_allclose(resumed.components_, reference.components_, rtol=1e-10, atol=0)


@pytest.mark.parametrize(
    "signum, code, line",
    [
        (signal.SIGINT, 130, "nmfkit fit: interrupted"),
        (signal.SIGTERM, 143, "nmfkit fit: SIGTERM: stopped, nothing more written"),
        (signal.SIGHUP, 129, "nmfkit fit: SIGHUP: stopped, nothing more written"),
    ],
)
def test_ctrl_c_outside_a_fit_exits_130_in_one_line(tmp_path, signum, code, line):
    """Before the fit starts (reading data), Ctrl-C, SIGTERM and SIGHUP still end in one
    line, with 128 + the signal."""
    fifo = tmp_path / "X.csv"
    os.mkfifo(fifo)  # reading it blocks until the signal comes
    p = _cli("fit", fifo, "-k", 2)
    # wait until the CLI is reading the file (a fixed sleep raced a slow first import)
    deadline = time.monotonic() + 60
    while True:
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # fails until a reader opens
            break
        except OSError:
            assert time.monotonic() < deadline and p.poll() is None, "the CLI never read X"
            time.sleep(0.05)
    p.send_signal(signum)
    out, err = p.communicate(timeout=60)
    os.close(writer)
    assert p.returncode == code and err.strip() == line, err


def test_a_fit_started_under_nohup_ignores_sighup(tmp_path, long_fit):
    """SIGHUP ignored by the caller (nohup) stays ignored: the fit runs to its end."""
    args, reference, ckpt, path = long_fit
    out = tmp_path / "m.npz"
    p = _cli(*args, "-o", out, "--checkpoint", ckpt, "--checkpoint-every", "0s",
             ignore=(signal.SIGHUP,))  # fmt: skip
    _wait_for(path, p)  # the fit is running
    p.send_signal(signal.SIGHUP)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert load(out).n_iter_ == reference.n_iter_
