"""What the command line writes besides its results (issue 22): progress bars on a
terminal only, warnings as one line, the caller's warning filters in parallel workers,
and the first kernel compile said once."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from nmfkit.cli import main

X = np.random.default_rng(2).random((30, 8)) + 0.05


@pytest.fixture
def data(tmp_path):
    np.save(tmp_path / "X.npy", X)
    return tmp_path


def _terminal(monkeypatch, on):
    import nmfkit.cli._common as common

    monkeypatch.setattr(common, "on_terminal", lambda: on, raising=False)


def test_a_log_gets_no_carriage_returns(data, capsys):
    """stderr to a file or a pipe: no bar redrawn with '\\r' (rank draws one per fit)."""
    argv = ["rank", str(data / "X.npy"), "--ranks", "2-3", "--runs", "2", "--max-iter", "30"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "\r" not in err, err


def test_fit_draws_its_progress_on_a_terminal_once_it_runs_long(data, capsys, monkeypatch):
    import nmfkit.cli._common as common
    import nmfkit.cli.fit as fit

    _terminal(monkeypatch, True)
    # a fit of a few milliseconds stands for one of seconds: draw from the first check
    monkeypatch.setattr(fit, "fit_progress", lambda max_iter: common.FitProgress(max_iter, 0.0))
    argv = ["fit", str(data / "X.npy"), "-k", "2", "--tol", "0", "--max-iter", "50"]
    assert main([*argv, "-o", str(data / "m.npz")]) == 0
    err = capsys.readouterr().err
    assert "\rfitting [" in err and "] 50/50 loss" in err and err.endswith("\n"), err


def test_the_fit_progress_waits_and_draws_on_a_terminal_only(monkeypatch, capsys):
    from nmfkit.cli._common import FitProgress

    _terminal(monkeypatch, True)
    FitProgress(100, delay=2.0)(10, 1.0, None, None)  # within the first 2 s: nothing
    assert capsys.readouterr().err == ""
    _terminal(monkeypatch, False)
    progress = FitProgress(100, delay=0.0)
    progress(10, 1.0, None, None)  # not a terminal: nothing, ever
    progress.close()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_warning_is_one_line_without_a_source_path(data, jobs):
    """A fit's ConvergenceWarning, in a real process with Python's default filters; with
    --jobs 2 it is raised in joblib's worker processes, and prints the same way."""
    argv = ["consensus", str(data / "X.npy"), "-k", "2", "--runs", "3", "--max-iter", "2",
            "-o", str(data / "c.npz"), "--jobs", jobs]  # fmt: skip
    p = subprocess.run(
        [sys.executable, "-m", "nmfkit", *argv], capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stderr
    lines = p.stderr.strip().splitlines()
    assert lines and all(line.startswith("nmfkit consensus: warning: ") for line in lines), lines
    assert "stopped after 2 iterations, before the fit converged" in lines[0]
    if jobs == "1":
        assert len(lines) == len(set(lines))  # three runs, one line (per process)
    assert ".py:" not in p.stderr and "ConvergenceWarning" not in p.stderr


def test_the_library_leaves_warnings_display_alone(data):
    from nmfkit import NMF

    before = warnings.showwarning
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        NMF(2, max_iter=2).fit(X)
    assert warnings.showwarning is before
    assert main(["fit", str(data / "X.npy"), "-k", "2", "-o", str(data / "m.npz")]) == 0
    assert warnings.showwarning is before  # main puts it back


def test_workers_follow_the_callers_warning_filters():
    """n_jobs=2: select_rank's fits run in joblib worker processes, which get the
    caller's filters (sklearn.utils.parallel): 'error' turns the workers'
    ConvergenceWarning into an exception here, where plain joblib workers would only
    print it."""
    from nmfkit import select_rank

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="Maximum number of iterations"):
            select_rank(X, ranks=[2], n_runs=2, n_jobs=2, max_iter=2, criteria=("error",))


def test_a_filter_silences_a_warning_raised_in_a_worker():
    """ConsensusNMF(n_jobs=2) under the caller's 'ignore': its workers print nothing."""
    code = textwrap.dedent(
        """
        import warnings
        import numpy as np
        from sklearn.exceptions import ConvergenceWarning
        from nmfkit import ConsensusNMF

        warnings.simplefilter("ignore", ConvergenceWarning)
        X = np.random.default_rng(0).random((20, 6))
        ConsensusNMF(2, n_runs=4, n_jobs=2, max_iter=2, random_state=0).fit(X)
        """
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "ConvergenceWarning" not in p.stderr, p.stderr


def test_the_first_compile_is_said_once_on_a_terminal(monkeypatch, capsys, caplog):
    numba = pytest.importorskip("numba")
    import logging

    import nmfkit.arrays.kernels as kernels
    from nmfkit.cli._common import announce_compiling

    # as in a fresh process
    monkeypatch.setattr(kernels, "_compiles", {"listening": False, "announced": False})
    kernels._listen_for_compiles()

    def compile_two():  # two kernels Numba has never seen: two compiles, one message
        numba.njit(lambda x: x + 1)(1.0)
        numba.njit(lambda x: x * 2)(1.0)

    _terminal(monkeypatch, True)
    with caplog.at_level(logging.INFO, logger="nmfkit.kernels"), announce_compiling("fit"):
        compile_two()
    assert capsys.readouterr().err == f"nmfkit fit: {kernels.COMPILING}\n"
    assert [r.getMessage() for r in caplog.records] == [kernels.COMPILING]

    # off a terminal, the command line says nothing; the library logs, never prints
    monkeypatch.setattr(kernels, "_compiles", {"listening": False, "announced": False})
    kernels._listen_for_compiles()
    _terminal(monkeypatch, False)
    with announce_compiling("fit"):
        compile_two()
    assert capsys.readouterr().err == ""


def test_topics_writes_nothing_to_a_log_around_its_fit(tmp_path, capsys):
    words = ["cats purr softly", "dogs bark loudly", "cats and dogs play", "a cat sleeps"]
    (tmp_path / "docs.txt").write_text("\n".join(words * 10) + "\n")
    argv = ["topics", str(tmp_path / "docs.txt"), "-k", "2", "--min-df", "1", "--max-iter", "30"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "\n\n" not in "\n" + err, repr(err)  # no bar, no blank line


def test_the_iteration_limit_warning_names_the_commands_options(tmp_path):
    """A fit stopped by its iteration limit is told in the command's terms: --max-iter
    (and --tol where the command has it), not the Python parameters max_iter and tol."""
    X = tmp_path / "X.npy"
    np.save(X, np.random.default_rng(0).random((40, 20)))
    out = tmp_path / "m.npz"

    def _cli(argv):
        return subprocess.run(
            [sys.executable, "-m", "nmfkit", *argv], capture_output=True, text=True, timeout=300
        )

    fit = _cli(["fit", str(X), "-k", "4", "--max-iter", "3", "-o", str(out)])
    cons = _cli(["consensus", str(X), "-k", "3", "--runs", "3", "--max-iter", "3",
                 "-o", str(tmp_path / "c.npz")])  # fmt: skip
    assert "raise --max-iter (now 3), or raise --tol (now 0.0001)" in fit.stderr
    assert "raise --max-iter (now 3)" in cons.stderr and "--tol" not in cons.stderr
    for run in (fit, cons):
        assert "max_iter=" not in run.stderr and run.stderr.count("\n") >= 1
