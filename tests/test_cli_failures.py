"""One-line errors for every command line failure (issue 17, part D).

A table of damaged, hostile and unusual inputs drives every sub-command: a failure is
exit code 2 and one line on stderr (``--debug`` shows the traceback), with no Python
warning before it; an unusual input that is fine works (exit 0). A new sub-command must
get rows here: ``test_every_sub_command_is_in_the_table`` fails until it has.
"""

import gzip
import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from nmfkit import Recommender
from nmfkit.cli import main
from nmfkit.cli.app import COMMANDS
from nmfkit.core.io import _digest

RNG = np.random.default_rng(0)
X = RNG.random((30, 10)) + 0.05


def _resign(path, change):
    """Change a model file's metadata and recompute its digest, as a forger would."""
    with np.load(path, allow_pickle=False) as f:
        contents = {name: f[name] for name in f.files}
    meta = json.loads(str(contents.pop("__meta__")))
    meta = change(meta)
    if isinstance(meta, dict):
        meta["sha256"] = _digest(contents, meta)
    np.savez(path, __meta__=np.array(json.dumps(meta)), **contents)


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    np.save(d / "X.npy", X)
    np.save(d / "XT.npy", X.T)  # samples as columns
    (d / "notzip.npz").write_bytes(b"this is not a zip file")
    np.save(d / "negative.npy", X - 0.5)
    np.save(d / "stack.npy", np.ones((4, 5, 5)))  # 4 images of 5 x 5 pixels
    np.savez(d / "two.npz", a=X, b=X)
    with open(d / "npz.npy", "wb") as f:
        np.savez(f, X=X)  # an .npz under an .npy name
    scipy.io.mmwrite(d / "dense.mtx", X)  # the 'array' (dense) Matrix Market format
    (d / "bigint.mtx").write_text(
        "%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 99999999999999999999\n"
    )
    (d / "empty.csv").write_text("")
    # issue 22: what a trial found under .csv names, and empty cells (unknown entries)
    (d / "random.csv").write_bytes(bytes(RNG.integers(0, 256, 4096, dtype=np.uint8)))
    with __import__("zipfile").ZipFile(d / "docx.csv", "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    (d / "latin1.csv").write_bytes("a,b\n1,2\n3,caf\xe9\n".encode("latin-1"))
    (d / "holes.csv").write_text("".join(f"{a:.3f},,{b:.3f}\n" if i % 7 == 3 else
                                         f"{a:.3f},{b:.3f},{a + b:.3f}\n"
                                         for i, (a, b) in enumerate(X[:, :2])))  # fmt: skip
    os.mkfifo(d / "pipe")  # not a regular file (a test never writes to a real device)
    (d / "ratings.csv").write_text(
        "".join(f"{u},{i},{r}\n" for u, i, r in [(1, 1, 5), (1, 2, 3), (2, 1, 4), (2, 3, 1)])
    )
    big = 10**20  # ids beyond int64 are ids all the same
    (d / "bigids.csv").write_text(
        "".join(f"{big + u},{i},{r}\n" for u, i, r in [(1, 1, 5), (1, 2, 3), (2, 1, 4), (2, 3, 2)])
    )
    words = ["cats purr", "dogs bark loudly", "cats and dogs play", "a cat sleeps all day"]
    (d / "docs.txt").write_text("\n".join(words * 5) + "\n")
    long_doc = " ".join(["cats purr dogs bark"] * 40000)  # 800 KB in one CSV field
    (d / "long.csv").write_text("text\n" + "\n".join([long_doc] + words * 5) + "\n")
    raw = gzip.compress("".join(json.dumps({"text": w}) + "\n" for w in words * 50).encode())
    (d / "truncated.jsonl.gz").write_bytes(raw[: len(raw) // 2])
    (d / "nested.jsonl").write_text('{"text": ' + "[" * 100000 + "]" * 100000 + "}\n")
    _cells(d)
    assert main(["fit", str(d / "X.npy"), "-k", "2", "-o", str(d / "model.npz")]) == 0
    Recommender(2, random_state=0).fit(([1, 1, 2], [1, 2, 1], [5.0, 3.0, 4.0])).save(
        d / "recommender.npz"
    )
    for name, change in {
        "no_components": lambda m: {**m, "attributes": {}},
        "meta_list": lambda m: [1, 2, 3],
        "version_true": lambda m: {**m, "format_version": True},
        "no_attributes": lambda m: {k: v for k, v in m.items() if k != "attributes"},
    }.items():
        (d / f"{name}.npz").write_bytes((d / "model.npz").read_bytes())
        _resign(d / f"{name}.npz", change)
    # a checkpoint whose key (a string) was replaced by a number
    assert main(["fit", str(d / "X.npy"), "-k", "2", "-o", str(d / "c.npz"),
                 "--checkpoint", str(d / "ckpt"), "--checkpoint-every", "0s"]) == 0  # fmt: skip
    path = d / "ckpt" / "checkpoint.npz"
    with np.load(path, allow_pickle=False) as f:
        contents = {name: f[name] for name in f.files}
    meta = json.loads(str(contents.pop("__meta__")))
    meta["key"] = 5
    np.savez(path, __meta__=np.array(json.dumps(meta)), **contents)
    return d


def _cells(d):
    """Single-cell counts: cells.h5ad (raw counts in X and in a 'counts' layer, scaled
    data in 'scaled'), and zerogene.npz with a gene that has no counts."""
    from nmfkit.datasets import make_single_cell

    counts = make_single_cell(80, 40, 2, 0, de_prob=0.2, random_state=0)[0]
    counts = counts[:, np.asarray(counts.sum(axis=0)).ravel() > 0].tocsr()
    sp.save_npz(d / "zerogene.npz", sp.hstack([counts, sp.csr_matrix((80, 1))]).tocsr())
    try:
        import anndata
    except ImportError:
        return
    a = anndata.AnnData(counts)
    a.layers["counts"] = counts
    a.layers["scaled"] = counts.toarray() - counts.toarray().mean(axis=0)
    a.write_h5ad(d / "cells.h5ad")


# (id, arguments, message in the one line); every sub-command has rows
FAILS = [
    ("fit: .npz that is not a zip", "fit {d}/notzip.npz -k 2", "is not a zip"),
    ("fit: .mtx integer beyond int64", "fit {d}/bigint.mtx -k 1", "out of range"),
    ("fit: .npz named .npy, --batch-size", "fit {d}/npz.npy -k 2 --batch-size 5", "one bare array"),
    ("fit: --device bogus", "fit {d}/X.npy -k 2 --device bogus", "device"),
    ("fit: --device mps", "fit {d}/X.npy -k 2 --device mps", "mps"),
    ("fit: --device meta", "fit {d}/X.npy -k 2 --device meta", "meta"),
    ("fit: --device cuda without CUDA", "fit {d}/X.npy -k 2 --device cuda", "cuda"),
    ("fit: empty CSV", "fit {d}/empty.csv -k 2", "no data rows"),
    ("fit: --W to a named pipe", "fit {d}/X.npy -k 2 -o {d}/m2.npz --W {d}/pipe",
     "not a regular file"),
    ("fit: checkpoint with a number for a string",
     "fit {d}/X.npy -k 2 -o {d}/r.npz --checkpoint {d}/ckpt --resume", "checkpoint"),
    ("transform: a Recommender model", "transform {d}/recommender.npz {d}/X.npy", "Recommender"),
    ("transform: no components", "transform {d}/no_components.npz {d}/X.npy", "components_"),
    ("transform: metadata not an object", "transform {d}/meta_list.npz {d}/X.npy", "JSON object"),
    ("transform: format_version true", "transform {d}/version_true.npz {d}/X.npy",
     "format version True"),
    ("transform: no attributes", "transform {d}/no_attributes.npz {d}/X.npy", "no_attributes.npz"),
    ("recommend: -n -1", "recommend {d}/ratings.csv --user 1 -n -1 -k 2", "-n"),
    ("recommend: -n 0", "recommend {d}/ratings.csv --user 1 -n 0 -k 2", "-n"),
    ("recommend: -k beyond the data", "recommend {d}/ratings.csv --user 1 -k 20000",
     "-k 20000 is more than the data allow: 2 users and 3 items support at most 2 factors"),
    ("recommend: --similar of no item", "recommend {d}/ratings.csv --similar 9 -k 2",
     "--similar '9' is not an item id"),
    ("recommend: --items missing", "recommend {d}/ratings.csv --similar 1 -k 2 --items "
     "{d}/none.tsv", "--items file not found"),
    ("recommend: --shrinkage -1", "recommend {d}/ratings.csv --user 1 -k 2 --shrinkage -1",
     "--shrinkage must be at least 0"),
    ("topics: --encoding bogus", "topics {d}/docs.txt -k 2 --encoding bogus", "bogus"),
    ("topics: truncated .jsonl.gz", "topics {d}/truncated.jsonl.gz -k 2", "truncated.jsonl.gz"),
    ("topics: deeply nested .jsonl", "topics {d}/nested.jsonl -k 2", "nested.jsonl:1"),
    ("images: .npz that is not a zip", "images {d}/notzip.npz -k 2", "is not a zip"),
    ("rank: .npz that is not a zip", "rank {d}/notzip.npz --ranks 2-3", "is not a zip"),
    ("consensus: .npz that is not a zip", "consensus {d}/notzip.npz -k 2", "is not a zip"),
    ("demo: plot into a missing folder", "demo --restarts 1 --plot {d}/none/p.png", "none"),
    ("fit: contradicting constraints", "fit {d}/X.npy -k 2 --constraint simplex:W "
     "--constraint hoyer:W:0.5", "cannot hold together on W"),
    ("fit: --constraint hoyer:H:1.5", "fit {d}/X.npy -k 2 --constraint hoyer:H:1.5", "[0, 1]"),
    ("fit: --constraint bogus", "fit {d}/X.npy -k 2 --constraint bogus:W", "unknown constraint"),
    ("fit: --constraint simplex", "fit {d}/X.npy -k 2 --constraint simplex", "NAME:FACTOR"),
    ("fit: --constraint frozen", "fit {d}/X.npy -k 2 --constraint frozen:H:0", "from Python"),
    ("fit: --constraint box with one bound", "fit {d}/X.npy -k 2 --constraint box:W:1",
     "box:W:LOW:HIGH"),
    ("fit: a constraint KL cannot honour", "fit {d}/X.npy -k 2 --loss kullback-leibler "
     "--constraint simplex:W", "beta_loss='frobenius'"),
    ("fit: a constraint mu cannot honour", "fit {d}/X.npy -k 2 --solver mu "
     "--constraint simplex:W", "cannot honour"),
    ("fit: --constraint minvolume:H:-1", "fit {d}/X.npy -k 2 --constraint minvolume:H:-1",
     "lam_tilde"),
    ("unmix: .npz that is not a zip", "unmix {d}/notzip.npz -k 2", "is not a zip"),
    ("unmix: .npz of two arrays", "unmix {d}/two.npz -k 2", "--key"),
    ("unmix: --shape of other size", "unmix {d}/X.npy -k 2 --shape 4x4", "--bands-first"),
    ("unmix: --shape not RxC", "unmix {d}/X.npy -k 2 --shape 4by4", "ROWSxCOLS"),
    ("unmix: negative spectra", "unmix {d}/negative.npy -k 2", "np.clip"),
    ("unmix: -k too large", "unmix {d}/X.npy -k 12", "at most 10 can"),
    ("unmix: --min-volume -1", "unmix {d}/X.npy -k 2 --min-volume -1", "min_volume"),
    ("separate: not a .wav", "separate {d}/X.npy", "as a .wav file"),
    ("separate: --sources 0", "separate {d}/X.npy --sources 0", "--sources"),
    ("separate: missing file", "separate {d}/none.wav", "no such file"),
    ("cluster: -k 0", "cluster {d}/X.npy -k 0 --labels {d}/l.txt", "-k must be"),
    ("cluster: --neighbors zero", "cluster {d}/X.npy -k 2 --neighbors zero --labels {d}/l.txt",
     "--neighbors"),
    ("cluster: data given as a graph", "cluster {d}/X.npy -k 2 --graph given --labels {d}/l.txt",
     "must be square"),
    ("cluster: semi with a given graph",
     "cluster {d}/X.npy -k 2 --method semi --graph given --labels {d}/l.txt", "--graph given"),
    ("programs: no such layer", "programs {d}/cells.h5ad -k 2 --runs 2 --layer raw --out {d}/p1",
     "no layer 'raw'"),
    ("programs: scaled data", "programs {d}/cells.h5ad -k 2 --runs 2 --layer scaled --out {d}/p2",
     "use the raw counts layer"),
    ("programs: a gene without counts", "programs {d}/zerogene.npz -k 2 --runs 2 --out {d}/p3",
     "genes have no counts"),
    ("programs: k beyond the data", "programs {d}/cells.h5ad -k 500 --runs 2 --out {d}/p4",
     "more than the data allow"),
    ("programs: bad -k", "programs {d}/cells.h5ad -k 3-x --out {d}/p5", "-k '3-x'"),
    ("programs: a reversed range", "programs {d}/zerogene.npz -k 10-4 --out {d}/p7", "no rank"),
    ("programs: no such file", "programs {d}/none.h5ad -k 2 --out {d}/p8", "input file not found"),
    ("programs: --choose outside -k", "programs {d}/zerogene.npz -k 2-3 --choose 5 --out {d}/p9",
     "chosen_k=5 is not one of the ks [2, 3]"),
    ("programs: --layer of an .npz", "programs {d}/zerogene.npz -k 2 --layer counts --out {d}/p6",
     "--layer"),
    # issue 22: input options, unreadable text, unknown entries, one --loss
    ("fit: .npz of two arrays, no --key", "fit {d}/two.npz -k 2", "(a, b); choose one (the "
     "command line's --key NAME)"),
    ("fit: --key of no array", "fit {d}/two.npz -k 2 --key c", "has no array 'c'; it holds a, b"),
    ("fit: --key of a .npy", "fit {d}/X.npy -k 2 --key a", "holds one matrix"),
    ("rank: --key of no array", "rank {d}/two.npz --key c", "has no array 'c'"),
    ("consensus: --key of no array", "consensus {d}/two.npz -k 2 --key c", "has no array 'c'"),
    ("transform: --key of no array", "transform {d}/model.npz {d}/two.npz --key c",
     "has no array 'c'"),
    ("fit: random bytes named .csv", "fit {d}/random.csv -k 2", "unsupported format: "),
    ("fit: a ZIP (.docx) named .csv", "fit {d}/docx.csv -k 2", "docx.csv is a ZIP archive"),
    ("fit: Latin-1 text", "fit {d}/latin1.csv -k 2", "is not UTF-8 text (byte 13: 0xe9)"),
    ("cluster: empty CSV cells", "cluster {d}/holes.csv -k 2", "4 unknown (empty or nan) "
     "entries, which this command cannot leave out; fill them in first"),
    ("rank: empty CSV cells", "rank {d}/holes.csv --ranks 2-3", "cannot leave out"),
    ("unmix: empty CSV cells", "unmix {d}/holes.csv -k 2", "cannot leave out"),
    ("fit --batch-size: empty CSV cells", "fit {d}/holes.csv -k 2 --batch-size 5",
     "drop --batch-size"),
    ("cluster: --loss kl", "cluster {d}/X.npy -k 2 --loss kl", "--loss kl: symmetric NMF"),
    ("unmix: --loss kl", "unmix {d}/X.npy -k 2 --loss kl", "--loss kl: minimum-volume"),
    ("programs: --loss kl", "programs {d}/zerogene.npz -k 2 --loss kl --out {d}/p10",
     "--loss kl: GeneProgramNMF"),
    ("recommend: --loss is", "recommend {d}/ratings.csv --user 1 --loss is",
     "--loss is: the Recommender fits the squared error"),
    ("topics: --loss is", "topics {d}/docs.txt -k 2 --loss is", "use --loss frobenius or "
     "kullback-leibler"),
    ("transform: data transposed", "transform {d}/model.npz {d}/XT.npy -o {d}/wt.npy",
     "has 30 features but the model"),
    ("transform: --loss not the model's", "transform {d}/model.npz {d}/X.npy --loss kl",
     "fitted with frobenius"),
    ("consensus: --loss poisson", "consensus {d}/X.npy -k 2 --loss poisson", "is not a loss"),
    ("rank: --loss nan", "rank {d}/X.npy --loss nan", "is not a loss"),
    ("separate: --loss poisson", "separate {d}/X.npy --loss poisson", "is not a loss"),
    ("demo: --loss poisson", "demo --loss poisson --plot {d}/d.png", "is not a loss"),
    ("demo: --loss is", "demo --loss is --plot {d}/d.png", "the Swimmer images hold zeros"),
    # issue 22: a k above min(samples, features) is refused before any fit, naming the limit
    ("rank: --ranks backwards", "rank {d}/X.npy --ranks 5-2", "holds no rank"),
    ("rank: k beyond the data", "rank {d}/X.npy --ranks 2-50 --runs 2",
     "k=50 is more than the data allow (at most min(samples, features) = min(30, 10) = 10); "
     "lower --ranks"),
    ("consensus: k beyond the data", "consensus {d}/X.npy -k 50 --runs 2 -o {d}/k50.npz",
     "k=50 is more than the data allow (at most min(samples, features) = min(30, 10) = 10); "
     "lower -k"),
    ("images: k beyond the data", "images {d}/stack.npy -k 5000 --out {d}/k5000.png",
     "k=5000 is more than the data allow (at most min(samples, features) = min(4, 25) = 4)"),
]  # fmt: skip
WORKS = [
    # issue 22
    ("fit: --key and --transpose", "fit {d}/two.npz --key b --transpose -k 2 -o {d}/kt.npz"),
    ("fit: empty CSV cells are unknown entries", "fit {d}/holes.csv -k 2 -o {d}/holes.npz"),
    ("consensus: empty CSV cells, --loss kl", "consensus {d}/holes.csv -k 2 --runs 3 --loss kl "
     "-o {d}/ckl.npz"),
    ("transform: --transpose", "transform {d}/model.npz {d}/XT.npy --transpose -o {d}/w3.npy"),
    ("transform: --loss of the model", "transform {d}/model.npz {d}/X.npy --loss 2 -o {d}/w2.npy"),
    ("fit: dense Matrix Market", "fit {d}/dense.mtx -k 2 -o {d}/dense.npz"),
    ("recommend: ids beyond int64", "recommend {d}/bigids.csv --user 100000000000000000001 -k 2"),
    ("recommend: --similar ITEM", "recommend {d}/ratings.csv --similar 1 -k 2 -n 2"),
    ("topics: a CSV document over 128 KiB", "topics {d}/long.csv -k 2 --min-df 1"),
    ("info", "info"),
    ("fit: with constraints", "fit {d}/X.npy -k 2 -o {d}/cons.npz --constraint simplex:W "
     "--constraint minvolume:H"),
    ("unmix: pixels x bands with --shape", "unmix {d}/X.npy -k 2 --shape 5x6 --out {d}/u.png"),
    ("cluster: k-NN graph", "cluster {d}/X.npy -k 2 --labels {d}/l.txt -o {d}/sym.npz"),
    ("cluster: semi-NMF", "cluster {d}/X.npy -k 2 --method semi --labels {d}/l2.txt "
     "--memberships {d}/w.npy"),
    ("programs: an .h5ad layer", "programs {d}/cells.h5ad -k 1-3 --runs 3 --layer counts "
     "--genes 30 --out {d}/prog"),
]  # fmt: skip


def _run(argv, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err, caught


@pytest.mark.parametrize("argv, message", [c[1:] for c in FAILS], ids=[c[0] for c in FAILS])
def test_a_failure_is_exit_2_and_one_line(d, capsys, argv, message):
    if ".h5ad" in argv:
        pytest.importorskip("anndata")
    if "--device" in argv:
        torch = pytest.importorskip("torch")
        if "cuda" in argv and torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
    args = argv.format(d=d).split()
    code, out, err, caught = _run(args, capsys)
    assert code == 2, (code, err)
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"nmfkit {args[0]}: error:") and message in err, err
    assert not caught, [str(w.message) for w in caught]  # no warning before the error


@pytest.mark.parametrize("argv", [c[1] for c in WORKS], ids=[c[0] for c in WORKS])
def test_an_unusual_input_that_is_fine_works(d, capsys, argv):
    if ".h5ad" in argv:
        pytest.importorskip("anndata")
    code, out, err, _ = _run(argv.format(d=d).split(), capsys)
    assert code == 0, err


def test_every_sub_command_is_in_the_table():
    tested = {row[1].split()[0] for row in FAILS + WORKS}
    names = {c.__module__.rsplit(".", 1)[-1] for c in COMMANDS}
    assert names <= tested, f"add rows for {sorted(names - tested)} to FAILS or WORKS"


def test_a_memory_error_anywhere_is_one_line(d, capsys, monkeypatch):
    import nmfkit.estimators.nmf as nmf

    def no_memory(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(nmf.NMF, "fit_transform", no_memory)
    code, out, err, _ = _run(["fit", str(d / "X.npy"), "-k", "2", "-o", str(d / "m.npz")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "out of memory" in err, err


def test_debug_shows_the_traceback_of_a_damaged_file(d):
    with pytest.raises(ValueError, match="is not a zip"):
        main(["--debug", "fit", str(d / "notzip.npz"), "-k", "2"])


def test_demo_checks_its_plot_path_before_the_fit(d, capsys, monkeypatch):
    import nmfkit.cli.demo as demo

    def no_fit(*args, **kwargs):
        raise AssertionError("the fit started before the plot path was checked")

    monkeypatch.setattr(demo, "make_swimmer", no_fit)
    code, _, err, _ = _run(["demo", "--plot", str(d / "none" / "p.png")], capsys)
    assert code == 2 and "none" in err


def test_ctrl_c_during_import_is_one_line():
    """Ctrl-C while the CLI imports its libraries (seconds on a cold machine)."""
    code = textwrap.dedent(
        """
        import sys

        class Interrupt:
            def find_spec(self, name, path=None, target=None):
                if name == "sklearn":
                    raise KeyboardInterrupt

        sys.meta_path.insert(0, Interrupt())
        from nmfkit.cli import main
        sys.exit(main(["info"]))
        """
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 130 and p.stderr.strip() == "nmfkit: interrupted", p.stderr


def test_dask_arrays_of_unknown_chunk_sizes_get_the_fix():
    da = pytest.importorskip("dask.array")
    from nmfkit import NMF

    A = da.from_array(X, chunks=(10, -1))
    A = A[A[:, 0] > 0]  # boolean indexing: chunk sizes unknown
    with pytest.raises(ValueError, match=r"unknown chunk sizes.*compute_chunk_sizes"):
        NMF(2, engine="dask").fit(A)


def test_a_sparse_matrix_market_file_still_reads_as_sparse(d):
    from nmfkit.core.io import read_matrix

    scipy.io.mmwrite(d / "sparse.mtx", sp.random(8, 6, density=0.5, random_state=0))
    assert sp.issparse(read_matrix(d / "sparse.mtx"))
    assert isinstance(read_matrix(d / "dense.mtx"), np.ndarray)
