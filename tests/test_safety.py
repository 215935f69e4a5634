"""Security and data loss (issue 17, part B): each hole an adversarial review found,
reproduced, and closed. RELIABILITY.md lists them.

Tests that could crash the process on a regression (malformed sparse input reaching a
compiled kernel) run their case in a child process.
"""

import errno
import json
import os
import struct
import subprocess
import sys
import textwrap
import warnings
import zipfile
import zlib

import numpy as np
import pytest
import scipy.sparse as sp

from nmfkit import NMF, Checkpoint, Recommender, TopicModel, load
from nmfkit.cli import main
from nmfkit.core import files, readers
from nmfkit.core.io import _digest, read_matrix

RNG = np.random.default_rng(0)
X = RNG.random((20, 12)) + 0.05


def _fitted(tmp_path, name="m.npz"):
    path = tmp_path / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        NMF(3, random_state=0, max_iter=20).fit(X).save(path)
    return path


def _contents(path):
    with np.load(path, allow_pickle=False) as f:
        return {name: f[name] for name in f.files}


def _forge(path, contents, change):
    """``change(meta, contents)``, then write the file back with its digest recomputed."""
    meta = json.loads(str(contents["__meta__"]))
    change(meta, contents)
    contents["__meta__"] = np.array(json.dumps(meta))
    _write(path, contents)


def _write(path, contents, resign=True, compressed=False):
    """Write a model file's contents back; ``resign``: with a digest a forger recomputed."""
    meta = json.loads(str(contents["__meta__"]))
    if resign:
        arrays = {k: v for k, v in contents.items() if k != "__meta__"}
        meta["sha256"] = _digest(arrays, meta)
    contents = {**contents, "__meta__": np.array(json.dumps(meta))}
    (np.savez_compressed if compressed else np.savez)(path, **contents)


# -- B1: malformed sparse input ------------------------------------------------------------
MALFORMED = {
    "index past the end": "_csr([0, 1, 10**6], [0, 2, 3])",
    "negative index": "_csr([0, -5, 1], [0, 2, 3])",
    "decreasing indptr": "_csr([0, 1, 2], [0, 3, 1])",
}
ENTRY_POINTS = {
    "NMF.fit": "NMF(2, init='random', random_state=0).fit(M)",
    "NMF weights": "NMF(2, init='random', solver='mu').fit(np.ones(M.shape), weights=M)",
    "MiniBatchNMF.fit": "MiniBatchNMF(2, init='random', batch_size=1).fit(M)",
    "NMF.transform": "NMF(2, init='random', random_state=0).fit(np.ones(M.shape)).transform(M)",
    "torch engine": "NMF(2, init='random', engine='torch').fit(M)",
    "Dask engine": "NMF(2, init='random', engine='dask').fit(da.from_array(M, chunks=(2, -1)))",
    "TopicModel": "TopicModel(1, min_df=1).fit(M, vocabulary=['a', 'b', 'c', 'd'])",
    "Recommender": "Recommender(1).fit(M)",
}


def _refusals(setup, cases, call):
    """Run ``call`` on each case's M in one child process (a crash is -11 or -6 there,
    not here); return the child's output, one 'refused' line per refused case."""
    code = textwrap.dedent(
        f"""
        import warnings, numpy as np, scipy.sparse as sp
        warnings.simplefilter("ignore")
        from nmfkit import NMF, MiniBatchNMF, TopicModel, Recommender, select_rank
        {setup}
        def _csr(indices, indptr):
            return sp.csr_matrix((np.ones(3), np.array(indices), np.array(indptr)), shape=(2, 4))
        for case, make in {cases!r}.items():
            exec(make)
            try:
                {call}
                print("accepted:", case)
            except ValueError as exc:
                print("refused:", case, "-", exc)
        """
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr[-2000:])
    return p.stdout


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_malformed_sparse_input_is_refused_before_any_kernel(entry):
    """Every malformed case at every entry point, each entry point in a child process."""
    setup = "pass"
    if entry == "torch engine":
        pytest.importorskip("torch")
    if entry == "Dask engine":
        pytest.importorskip("dask.array")
        setup = "import dask, dask.array as da; dask.config.set(scheduler='synchronous')"
    cases = {case: f"M = {make}" for case, make in MALFORMED.items()}
    out = _refusals(setup, cases, ENTRY_POINTS[entry])
    for case in MALFORMED:
        assert f"refused: {case} - " in out and "malformed sparse" in out, out


def test_a_malformed_sparse_npz_file_is_one_line_from_the_cli(tmp_path):
    path = tmp_path / "X.npz"
    np.savez(path, format=np.array("csr"), shape=np.array([2, 4]), data=np.ones(3),
             indices=np.array([0, 1, 10**6]), indptr=np.array([0, 2, 3]))  # fmt: skip
    p = subprocess.run(
        [sys.executable, "-m", "nmfkit", "fit", str(path), "-k", "1", "-o", str(tmp_path / "m")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert p.returncode == 2 and "malformed sparse matrix" in p.stderr, p.stderr[-2000:]


@pytest.mark.parametrize("model", ["TopicModel", "Recommender"])
def test_a_model_file_with_a_malformed_index_structure_is_refused(tmp_path, model):
    """Topic and recommender models rebuild sparse matrices from saved index arrays."""
    path = tmp_path / "m.npz"
    if model == "TopicModel":
        docs = ["cats purr", "dogs bark", "cats and dogs", "a cat sleeps"] * 3
        TopicModel(2, min_df=1, random_state=0, stop_words=None).fit(docs).save(path)
        name = "_X_indices"
    else:
        Recommender(2, random_state=0).fit(
            ([1, 1, 2, 2, 3], [1, 2, 1, 3, 2], [5, 3, 4, 1, 2])
        ).save(path)
        name = "_seen_indices"
    contents = _contents(path)
    contents[name] = contents[name].copy()
    contents[name][0] = 10**6
    _write(path, contents)
    with pytest.raises(ValueError, match=r"is not a valid .*malformed: an index is outside"):
        load(path)


OTHER_FORMATS = {
    "COO with a row past the end": "M = sp.coo_matrix(np.ones((3, 4))); M.row[0] = 10**6",
    "CSC with an index past the end": "M = sp.csc_matrix(np.ones((3, 4))); M.indices[0] = 10**6",
}
CONVERTING_ENTRY_POINTS = {
    "NMF.fit": "NMF(2, init='random').fit(M)",
    "TopicModel": "TopicModel(1, min_df=1).fit(M, vocabulary=['a', 'b', 'c', 'd'])",
    "select_rank": "select_rank(M, ranks=[1, 2], n_runs=2)",
}


@pytest.mark.parametrize("entry", CONVERTING_ENTRY_POINTS)
def test_other_sparse_formats_are_checked_before_any_conversion(entry):
    """A conversion to CSR reads the indices as they are: COO and CSC are checked first."""
    out = _refusals("pass", OTHER_FORMATS, CONVERTING_ENTRY_POINTS[entry])
    for case in OTHER_FORMATS:
        assert f"refused: {case} - " in out and "malformed sparse" in out, out


def test_a_malformed_csc_npz_is_one_line_from_every_command(tmp_path):
    M = sp.csc_matrix(np.ones((6, 4)))
    M.indices[0] = 10**6
    path = tmp_path / "X.npz"
    np.savez(path, format=np.array("csc"), shape=np.array(M.shape), data=M.data,
             indices=M.indices, indptr=M.indptr)  # fmt: skip
    for argv in (["fit", str(path), "-k", "1"], ["rank", str(path), "--ranks", "1-2"]):
        p = subprocess.run([sys.executable, "-m", "nmfkit", *argv], capture_output=True,
                           text=True, timeout=300, cwd=tmp_path)  # fmt: skip
        assert p.returncode == 2 and "malformed sparse matrix" in p.stderr, (argv, p.stderr)


# -- B2: a checkpoint names a function ---------------------------------------------------------
def test_a_checkpoint_cannot_make_nmfkit_call_a_function_it_names(tmp_path, monkeypatch):
    """The random generator is made from an allow-list of NumPy's bit generators, never
    from a name read from the file."""
    NMF(3, random_state=0, max_iter=10, tol=0, shuffle=True, solver="hals").fit(
        X, checkpoint=Checkpoint(tmp_path, every=0)
    )
    path = tmp_path / Checkpoint.FILE
    contents = _contents(path)
    text = str(contents["__meta__"])
    assert '"bit_generator": "PCG64"' in text
    called = []
    monkeypatch.setattr(np.random, "seed", lambda *a: called.append(a))
    text = text.replace('"bit_generator": "PCG64"', '"bit_generator": "seed"')
    contents["__meta__"] = np.array(text)
    _write(path, contents)
    with pytest.raises(ValueError, match=r"unknown random generator"):
        NMF(3, random_state=0, max_iter=20, tol=0, shuffle=True, solver="hals").fit(
            X, checkpoint=Checkpoint(tmp_path)
        )
    assert not called


# -- B3: atomic writes do not follow planted symlinks ------------------------------------------
def test_a_save_never_writes_through_a_planted_symlink(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    path = out / "model.npz"
    for name in ("model.npz.tmp", ".model.npz.tmp"):
        os.symlink(victim, out / name)
    _fitted(out, "model.npz")
    assert victim.read_text() == "precious"
    assert type(load(path)) is NMF
    left = sorted(p.name for p in out.iterdir())
    assert left == [".model.npz.tmp", "model.npz", "model.npz.tmp"], left  # no temporaries


def test_write_atomic_keeps_the_old_file_and_leaves_nothing_on_failure(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)

    def fail(f):
        f.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        files.write_atomic(path, fail)
    assert path.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["f.bin"]
    files.write_atomic(path, lambda f: f.write(b"new"))
    assert path.read_bytes() == b"new" and (path.stat().st_mode & 0o777) == 0o640


# -- B4: the digest covers metadata; every field is validated ----------------------------------
def test_changed_metadata_fails_the_checksum(tmp_path):
    path = _fitted(tmp_path)
    contents = _contents(path)
    meta = json.loads(str(contents["__meta__"]))
    meta["params"]["beta_loss"] = "kullback-leibler"
    contents["__meta__"] = np.array(json.dumps(meta))
    _write(path, contents, resign=False)
    with pytest.raises(ValueError, match=r"failed its SHA-256 check: the arrays or metadata"):
        load(path)


FORGED = [
    ("a loss out of range", lambda m, c: m["params"].update(beta_loss=-1000.0),
     r"'beta_loss' parameter"),
    ("n_iter_ as text", lambda m, c: m["attributes"].update(n_iter_="many"), r"'n_iter_'"),
    ("a negative n_components_", lambda m, c: m["attributes"].update(n_components_=-3),
     r"'n_components_'"),
    ("a NaN in the loss curve", lambda m, c: m["attributes"].update(loss_curve_=[1.0, "NaN"]),
     r"'loss_curve_'"),
    ("a bool as a format version", lambda m, c: m.update(format_version=True),
     r"format version True"),
    ("components of another shape", lambda m, c: c.update(components_=np.ones((3, 5))),
     r"components_ has shape \(3, 5\), expected \(3, 12\)"),
    ("components as text", lambda m, c: c.update(components_=np.array(["a"])),
     r"components_ holds <U1 values"),
    ("components with inf", lambda m, c: c.update(components_=np.full((3, 12), np.inf)),
     r"components_ holds NaN or infinite"),
    ("no components", lambda m, c: c.pop("components_"), r"has no components_"),
    ("metadata not an object", lambda m, c: (m.clear(), m.update(x=1)), r"is a None file"),
]  # fmt: skip


@pytest.mark.parametrize("change, match", [f[1:] for f in FORGED], ids=[f[0] for f in FORGED])
def test_a_forged_model_file_is_refused_by_validation(tmp_path, change, match):
    """A forger can recompute an unkeyed digest: then the validation refuses the file."""
    path = _fitted(tmp_path)
    _forge(path, _contents(path), change)
    with pytest.raises(ValueError, match=match):
        load(path)


def test_metadata_that_is_not_a_json_object_is_refused(tmp_path):
    path = _fitted(tmp_path)
    contents = _contents(path)
    contents["__meta__"] = np.array("[1, 2]")
    np.savez(path, **contents)
    with pytest.raises(ValueError, match=r"metadata that is not a JSON object"):
        load(path)


def test_a_forged_ngram_range_cannot_make_transform_build_huge_ngrams(tmp_path):
    docs = ["cats purr softly", "dogs bark loudly", "cats and dogs play"] * 3
    path = tmp_path / "t.npz"
    TopicModel(2, min_df=1, random_state=0, stop_words=None).fit(docs).save(path)
    contents = _contents(path)
    meta = json.loads(str(contents["__meta__"]))
    # consistent with the vocabulary, but transform would build every n-gram up to 10**6
    # words of each document: it builds none longer than the vocabulary's longest
    meta["params"]["ngram_range"] = [1, 10**6]
    contents["__meta__"] = np.array(json.dumps(meta))
    _write(path, contents)
    model = load(path)
    assert model._vectorizer().ngram_range == (1, 1)
    assert model.transform(["cats purr " * 2000]).shape == (1, 2)
    meta["params"]["ngram_range"] = [3, 10**6]  # no word of the vocabulary is a 3-gram
    contents["__meta__"] = np.array(json.dumps(meta))
    _write(path, contents)
    with pytest.raises(ValueError, match=r"n-grams outside ngram_range"):
        load(path)
    meta["params"]["ngram_range"] = [1, "x"]
    contents["__meta__"] = np.array(json.dumps(meta))
    _write(path, contents)
    with pytest.raises(ValueError, match=r"'ngram_range' parameter"):
        load(path)


def test_a_forged_checkpoint_is_refused_before_anything_of_it_is_used(tmp_path):
    ckpt = Checkpoint(tmp_path, every=0)
    NMF(3, random_state=0, max_iter=10, tol=0).fit(X, checkpoint=ckpt)
    path = tmp_path / Checkpoint.FILE
    original = _contents(path)
    for change, match in [
        (lambda m, c: m.update(key=5), r"key, description or snapshot"),
        (lambda m, c: m["describe"].update(solver=7), r"key, description or snapshot"),
        (lambda m, c: c.update({"s.W": np.ones((2, 2))}), r"W has shape \(2, 2\)"),
        (lambda m, c: m["snapshot"]["dict"].update(n_iter={"value": -4}), r"n_iter -4"),
    ]:
        _forge(path, dict(original), change)
        with pytest.raises(ValueError, match=match):
            NMF(3, random_state=0, max_iter=20, tol=0).fit(X, checkpoint=Checkpoint(tmp_path))


# -- B5: decompression and allocation bombs -----------------------------------------------
def test_a_compressed_model_file_cannot_inflate(tmp_path):
    """nmfkit writes members uncompressed; a compressed one (200 MB of zeros in 200 kB
    here) is refused from the zip directory, before anything inflates."""
    path = _fitted(tmp_path)
    contents = _contents(path)
    contents["W_"] = np.zeros((25_000_000 // 3, 3))
    _write(path, contents, compressed=True)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(ValueError, match=r"is compressed; nmfkit writes its files uncompressed"):
        load(path)


def _npy_header(shape, dtype="<f8"):
    header = "{" + f"'descr': '{dtype}', 'fortran_order': False, 'shape': {shape}, " + "}"
    header = header.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()


def test_a_header_declaring_a_huge_shape_is_refused_before_allocating(tmp_path):
    path = tmp_path / "X.npy"
    path.write_bytes(_npy_header((3, 10**11)) + b"\x00" * 64)
    with pytest.raises(ValueError, match=r"declares shape \(3, 100000000000\) .* holds 64 bytes"):
        read_matrix(path)
    bomb = tmp_path / "X.npz"
    with zipfile.ZipFile(bomb, "w") as z:
        z.writestr("X.npy", _npy_header((3, 10**11)) + b"\x00" * 64)
    with pytest.raises(ValueError, match=r"declares shape \(3, 100000000000\)"):
        read_matrix(bomb)
    argv = ["fit", str(path), "-k", "2", "--batch-size", "2", "-o", str(tmp_path / "m.npz")]
    assert main(argv) == 2


def test_a_data_file_larger_than_the_memory_is_refused(tmp_path, monkeypatch):
    """A compressed .npz whose members inflate beyond the available memory (faked small
    here) is refused from the zip directory."""
    path = tmp_path / "X.npz"
    np.savez_compressed(path, X=np.zeros((1000, 500)))  # 4 MB, a few kB on disk
    monkeypatch.setattr(files, "available_memory", lambda: 1_000_000)
    with pytest.raises(ValueError, match=r"needs 3.8 MiB of memory and 976.6 KiB is available"):
        read_matrix(path)


def _png(width, height):
    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_png_of_too_many_pixels_is_refused_from_its_header(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "a.png").write_bytes(_png(20000, 20000))
    assert main(["images", str(folder), "-k", "2", "--out", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err
    assert "more pixels than the" in err and len(err.strip().splitlines()) == 1


# -- B6: an output that is an input --------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        "fit {X} -k 2 -o {X}",
        "fit {X} -k 2 -o {d}/m.npz --W {X}",
        "fit {X} -k 2 -o {d}/link.npy",
        "fit {X} -k 2 -o {d}/m.npz --W {d}/m.npz",
        "transform {d}/model.npz {X} -o {X}",
        "transform {d}/model.npz {X} -o {d}/model.npz",
        "consensus {X} -k 2 --runs 2 -o {X}",
    ],
)
def test_an_output_that_is_an_input_is_refused_before_any_work(tmp_path, capsys, argv):
    data = tmp_path / "X.npy"
    np.save(data, X)
    os.symlink(data, tmp_path / "link.npy")
    assert main(["fit", str(data), "-k", "2", "-o", str(tmp_path / "model.npz")]) == 0
    before = data.read_bytes(), (tmp_path / "model.npz").read_bytes()
    capsys.readouterr()
    assert main(argv.format(X=data, d=tmp_path).split()) == 2
    err = capsys.readouterr().err
    assert "is the input" in err or "are the same file" in err, err
    assert (data.read_bytes(), (tmp_path / "model.npz").read_bytes()) == before


def test_an_encrypted_npz_member_is_refused_in_one_line(tmp_path, capsys):
    path = tmp_path / "X.npz"
    np.savez(path, X=X)
    raw = bytearray(path.read_bytes())
    for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local, central
        start = raw.find(signature)
        raw[start + at] |= 0x1  # the "encrypted" flag: zipfile wants a password
    path.write_bytes(bytes(raw))
    assert main(["fit", str(path), "-k", "2", "-o", str(tmp_path / "m.npz")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not a readable .npz" in err, err


# -- B7: two fits on one checkpoint folder ------------------------------------------------
def test_a_second_fit_on_a_checkpoint_folder_in_use_is_refused(tmp_path):
    refused = []

    def second_fit(n_iter, loss, W, H):
        if n_iter == 10:
            try:
                NMF(3, random_state=1, max_iter=20).fit(X, checkpoint=Checkpoint(tmp_path))
            except ValueError as exc:
                refused.append(str(exc))
        return False

    NMF(3, random_state=0, max_iter=30, tol=0, callback=second_fit).fit(
        X, checkpoint=Checkpoint(tmp_path, every=0)
    )
    assert refused and "is in use by another fit (pid" in refused[0], refused
    # the first fit's checkpoint is whole, and the folder is free again
    resumed = Checkpoint(tmp_path)
    NMF(3, random_state=0, max_iter=40, tol=0, callback=second_fit).fit(X, checkpoint=resumed)
    assert resumed.resumed_from == 30


def test_the_checkpoint_lock_never_writes_through_a_planted_symlink(tmp_path):
    folder, victim = tmp_path / "ckpt", tmp_path / "victim.txt"
    folder.mkdir()
    victim.write_text("precious")
    os.symlink(victim, folder / ".lock")
    with pytest.raises(ValueError, match=r"lock file"):
        NMF(3, random_state=0, max_iter=20).fit(X, checkpoint=Checkpoint(folder))
    assert victim.read_text() == "precious"


def test_temporaries_left_by_a_killed_writer_are_removed_at_the_next_start(tmp_path):
    stale = tmp_path / ".checkpoint.npz.k1ll3d.tmp"
    stale.write_bytes(b"half a checkpoint")
    other = tmp_path / ".notes.txt.tmp"
    other.write_text("not ours")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        NMF(3, random_state=0, max_iter=20).fit(X, checkpoint=Checkpoint(tmp_path))
    assert not stale.exists() and other.exists()


# -- B8: a full disk ----------------------------------------------------------------------
def test_a_failed_checkpoint_write_warns_and_the_fit_goes_on(tmp_path, monkeypatch):
    ckpt = Checkpoint(tmp_path, every=0)
    real = os.fsync
    calls = []

    def full(fd):
        calls.append(fd)
        if len(calls) > 2:  # the first checkpoints are written, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.warns(UserWarning, match=r"could not write .* No space left .* goes on"):
        model = NMF(3, random_state=0, max_iter=50, tol=0).fit(X, checkpoint=ckpt)
    assert model.n_iter_ == 50 and np.isfinite(model.components_).all()
    assert ckpt.saved_at == 10  # the last checkpoint written is intact
    assert sorted(os.listdir(tmp_path)) == [".lock", "checkpoint.npz"]  # no temporaries
    monkeypatch.setattr(files.os, "fsync", real)
    again = Checkpoint(tmp_path)
    NMF(3, random_state=0, max_iter=50, tol=0).fit(X, checkpoint=again)
    assert again.resumed_from == 10


@pytest.mark.parametrize("command", ["fit --W", "transform -o"])
def test_cli_outputs_are_atomic(tmp_path, monkeypatch, command):
    data = tmp_path / "X.npy"
    np.save(data, X)
    assert main(["fit", str(data), "-k", "2", "-o", str(tmp_path / "model.npz")]) == 0
    out = tmp_path / "W.npy"
    out.write_bytes(b"the old W")
    if command == "fit --W":
        argv = ["fit", str(data), "-k", "2", "-o", str(tmp_path / "m2.npz"), "--W", str(out)]
    else:
        argv = ["transform", str(tmp_path / "model.npz"), str(data), "-o", str(out)]
    real = np.save

    def disk_full(file, arr, *a, **k):
        real(file, arr[: len(arr) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", disk_full)
    assert main(argv) == 2
    assert out.read_bytes() == b"the old W"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    monkeypatch.setattr(np, "save", real)
    txt = tmp_path / "W.txt"
    argv = ["transform", str(tmp_path / "model.npz"), str(data), "-o", str(txt)]
    assert main(argv) == 0  # written exactly where asked, as .npy content
    assert txt.exists() and not (tmp_path / "W.txt.npy").exists()
    assert np.load(txt).shape == (20, 2)


# -- the lock is released however a fit ends ------------------------------------------------
def test_the_checkpoint_lock_is_released_when_a_fit_fails(tmp_path):
    def boom(n_iter, loss, W, H):
        raise RuntimeError("boom")

    first = Checkpoint(tmp_path)  # kept alive: only finish() can release its lock
    with pytest.raises(RuntimeError, match="boom"):
        NMF(3, random_state=0, max_iter=30, callback=boom).fit(X, checkpoint=first)
    assert first._handle is None  # the Loop's finally released it
    model = NMF(3, random_state=0, max_iter=30).fit(X, checkpoint=Checkpoint(tmp_path))
    assert model.n_iter_ > 0  # the second fit was not refused


def test_ids_are_read_as_written():
    assert readers.as_ids(["007", "7"]).dtype.kind == "U"
    assert readers.as_ids(["7", "-3", "0"]).tolist() == [7, -3, 0]
    assert readers.as_ids(["99999999999999999999"]).dtype.kind == "U"  # beyond int64
    assert readers.as_ids(["-0", "0"]).dtype.kind == "U"


def test_sparse_structure_checks_do_not_change_the_matrix():
    M = sp.csr_matrix(X)
    M.indices = M.indices.astype(np.int64)
    before = (M.indices.dtype, M.indptr.dtype, M.data.copy())
    NMF(2, init="random", random_state=0, max_iter=5).fit(M)
    assert (M.indices.dtype, M.indptr.dtype) == before[:2]
    np.testing.assert_array_equal(M.data, before[2])
