"""Model files of every estimator: round trips, and refusals of anything unsafe or damaged."""

import importlib.util
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from nmfkit import NMF, ConsensusNMF, MiniBatchNMF, Recommender, TopicModel, load
from nmfkit.core.io import _digest
from nmfkit.datasets import make_planted


def _fitted():
    X, _, _ = make_planted(30, 20, 3, noise=0.05, random_state=0)
    docs = ["cats purr", "dogs bark loudly", "cats and dogs", "birds sing", "dogs run"] * 4
    users, items = np.repeat(np.arange(10), 4), np.tile(np.arange(4), 10)
    ratings = (users + items) % 5 + 1.0
    return {
        "NMF": (NMF(3, random_state=0).fit(X), lambda m: m.transform(X)),
        "NMF (missing)": (
            NMF(3, random_state=0).fit(np.where(X > 0.9, np.nan, X)),
            lambda m: m.predict_entries([0, 1], [2, 3]),
        ),
        "MiniBatchNMF": (MiniBatchNMF(3, random_state=0).fit(X), lambda m: m.transform(X)),
        "Recommender": (
            Recommender(2, random_state=0).fit((users, items, ratings)),
            lambda m: m.predict([1, 2], [0, 3]),
        ),
        "TopicModel": (
            TopicModel(2, min_df=1, random_state=0).fit(docs),
            lambda m: m.transform(["dogs and cats"]),
        ),
        "ConsensusNMF": (
            ConsensusNMF(3, n_runs=3, random_state=0).fit(X),
            lambda m: m.transform(X),
        ),
    }


@pytest.mark.parametrize("name", list(_fitted()))
def test_every_estimator_round_trips_with_the_same_answers(tmp_path, name):
    model, answer = _fitted()[name]
    path = tmp_path / "model.npz"
    model.save(path)
    back = load(path)
    assert type(back) is type(model)
    np.testing.assert_array_equal(answer(back), answer(model))
    with np.load(path, allow_pickle=False) as f:  # plain arrays only, no pickles
        assert all(f[name].dtype != object for name in f.files)


def _saved(tmp_path):
    X, _, _ = make_planted(20, 10, 2, random_state=0)
    path = tmp_path / "m.npz"
    NMF(2, random_state=0).fit(X).save(path)
    return path


def _rewrite(path, change, resign=False):
    """Change a saved file's contents; ``resign``: then recompute its digest, as a
    forger could (what must refuse the file then is the validation, not the digest)."""
    with np.load(path, allow_pickle=False) as f:
        contents = {name: f[name] for name in f.files}
    change(contents)
    if resign:
        meta = json.loads(str(contents["__meta__"]))
        arrays = {k: v for k, v in contents.items() if k != "__meta__"}
        meta["sha256"] = _digest(arrays, meta)
        contents["__meta__"] = np.array(json.dumps(meta))
    np.savez(path, **contents)


def test_wrong_format_version_is_refused_with_the_fix(tmp_path):
    path = _saved(tmp_path)

    def bump(contents):
        meta = json.loads(str(contents["__meta__"]))
        meta["format_version"] = 99
        contents["__meta__"] = np.array(json.dumps(meta))

    _rewrite(path, bump, resign=True)
    with pytest.raises(
        ValueError, match=r"has format version 99; this nmfkit .* reads version 1, 2"
    ):
        load(path)


def test_pickled_content_is_refused(tmp_path):
    path = _saved(tmp_path)
    _rewrite(path, lambda c: c.update(components_=np.array([{"evil": 1}], dtype=object)))
    with pytest.raises(ValueError, match=r"is not an nmfkit model file"):
        load(path)


def test_changed_arrays_fail_the_checksum(tmp_path):
    path = _saved(tmp_path)
    _rewrite(path, lambda c: c.update(components_=c["components_"] * 1.0001))
    with pytest.raises(ValueError, match=r"failed its SHA-256 check"):
        load(path)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "no_meta", "bad_json"])
def test_damaged_files_are_refused(tmp_path, damage):
    path = _saved(tmp_path)
    if damage == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        match = r"is not an nmfkit model file"
    elif damage == "garbage":
        path.write_bytes(b"not a model at all")
        match = r"is not an nmfkit model file"
    elif damage == "no_meta":
        _rewrite(path, lambda c: c.pop("__meta__"))
        match = r"has no nmfkit metadata"
    else:
        _rewrite(path, lambda c: c.update(__meta__=np.array("{not json")))
        match = r"has corrupt metadata"
    with pytest.raises(ValueError, match=match):
        load(path)


def test_save_is_atomic_and_needs_a_fitted_model(tmp_path):
    with pytest.raises(ValueError, match=r"NMF.save: the model is not fitted; call fit first"):
        NMF(2).save(tmp_path / "x.npz")
    assert not list(tmp_path.iterdir())  # nothing half-written
    path = _saved(tmp_path)
    assert zipfile.is_zipfile(path) and not (tmp_path / "m.npz.tmp").exists()
    assert sp.issparse(sp.csr_matrix(load(path).components_))


def test_an_interrupted_fit_leaves_the_estimator_unfitted(monkeypatch):
    """KeyboardInterrupt mid-fit: nothing half-set (issue 9, item 3, in Python)."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    def stop(*args):
        raise KeyboardInterrupt

    X, _, _ = make_planted(30, 20, 3, random_state=0)
    docs = ["cats purr", "dogs bark loudly", "cats and dogs", "birds sing"] * 3
    import nmfkit.estimators.minibatch as minibatch

    cases = [
        (NMF(3, callback=stop), lambda m: m.fit(X)),
        (MiniBatchNMF(3, batch_size=10), lambda m: m.fit(X)),
        (TopicModel(2, min_df=1, callback=stop), lambda m: m.fit(docs)),
    ]
    import nmfkit.applications.consensus as consensus

    cases.append((ConsensusNMF(3, n_runs=3), lambda m: m.fit(X)))
    monkeypatch.setattr(consensus, "consensus_matrix", stop)
    # MiniBatchNMF: the interrupt comes in the third batch, after components_ exists
    calls = []
    update = minibatch.MiniBatchNMF._update_H

    def update_then_stop(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return update(self, *args)

    monkeypatch.setattr(minibatch.MiniBatchNMF, "_update_H", update_then_stop)
    import nmfkit.applications.recommender.biased as recommender_fit

    monkeypatch.setattr(recommender_fit, "kernel", lambda *a: stop)
    users, items = np.repeat(np.arange(5), 3), np.tile(np.arange(3), 5)
    cases.append((Recommender(2), lambda m: m.fit((users, items, users + 1.0))))
    for model, fit in cases:
        with pytest.raises(KeyboardInterrupt):
            fit(model)
        with pytest.raises(NotFittedError):
            check_is_fitted(model)


LEGACY = Path(__file__).parent / "data" / "models-v1"


def _writer():
    """tests/data/write_model_files.py, which wrote the files in LEGACY."""
    spec = importlib.util.spec_from_file_location(
        "write_model_files", LEGACY.parent / "write_model_files.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(_writer().ANSWERS))
def test_model_files_written_before_the_layered_package_still_load(name):
    """Files written by nmfkit before issue 16 (they name their class as 'NMF', not
    'module:qualname') load, and give the answers they gave then, to rounding (the
    solvers behind the answers may change their last bits: since issue 18 a small
    problem runs the array-API kernels instead of the compiled ones)."""
    writer = _writer()
    meta = json.loads(str(np.load(LEGACY / f"{name}.npz")["__meta__"]))
    assert "class" not in meta  # the old layout
    model = load(LEGACY / f"{name}.npz")
    assert type(model).__name__ == meta["estimator"]
    np.testing.assert_allclose(
        writer.ANSWERS[name](model, writer.inputs()),
        np.load(LEGACY / f"{name}.answer.npy"),
        rtol=1e-12,
        atol=1e-14,
    )


def test_pickles_made_before_the_layered_package_still_load():
    """joblib/pickle files name classes by the private modules of their time
    (nmfkit._estimator.NMF); those names still resolve. (A test fixture of our own: never
    unpickle a file you did not make.)"""
    import pickle

    writer = _writer()
    with open(LEGACY / "pickled.pkl", "rb") as f:
        models = pickle.load(f)
    assert type(models["NMF"]) is NMF and type(models["MiniBatchNMF"]) is MiniBatchNMF
    np.testing.assert_allclose(
        models["NMF"].transform(writer.inputs()["X"]),
        np.load(LEGACY / "pickled.answer.npy"),
        rtol=1e-12,
        atol=1e-14,
    )


def test_a_model_file_records_its_class_as_module_and_qualname(tmp_path):
    path = _saved(tmp_path)
    meta = json.loads(str(np.load(path)["__meta__"]))
    assert meta["class"] == "nmfkit.estimators.nmf:NMF" and meta["estimator"] == "NMF"


@pytest.mark.parametrize(
    "target",
    [
        "nmfkit.__main__:main",  # importing it would run the command line
        "os:system",
        "builtins:dict",
        "nmfkit.core.io:read_matrix",  # not a class
        "nmfkit.core.io:Saveable",  # the declaration, not a model class
        "nmfkit.estimators.nmf:_FactorizationMixin",  # a mixin
        "nmfkit.core.plan:Plan",  # a class, but not a saveable one
        "nmfkit.nowhere:Evil",
        "nmfkit.estimators.nmf:NMF.__init__",
        None,
    ],
)
def test_load_makes_only_saveable_classes_of_nmfkit(tmp_path, target, monkeypatch):
    """The class comes from the saveable classes nmfkit defined; nothing a file names is
    imported (a file cannot make load import a module)."""
    import builtins

    path = _saved(tmp_path)

    def rename(contents):
        meta = json.loads(str(contents["__meta__"]))
        meta["class"] = target
        meta["estimator"] = "Evil" if target is None else target.rpartition(":")[2]
        contents["__meta__"] = np.array(json.dumps(meta))

    _rewrite(path, rename, resign=True)
    imported = []
    real_import = builtins.__import__
    monkeypatch.setattr(
        builtins,
        "__import__",
        lambda name, *a, **k: imported.append(name) or real_import(name, *a, **k),
    )
    with pytest.raises(ValueError, match=r"nmfkit.load: unknown estimator .* not a model class"):
        load(path)
    assert not [name for name in imported if name.split(".")[0] in ("nmfkit", "os")]


def test_a_class_that_moved_still_loads_by_its_name(tmp_path):
    """A file naming a module path this version does not have falls back to the class
    name, which is unique among nmfkit's model classes."""
    path = _saved(tmp_path)

    def move(contents):
        meta = json.loads(str(contents["__meta__"]))
        meta["class"] = "nmfkit.somewhere_else:NMF"
        contents["__meta__"] = np.array(json.dumps(meta))

    _rewrite(path, move, resign=True)
    assert type(load(path)) is NMF


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda m, c: c.update(__class__=np.zeros(1)), r"holds \['__class__'\]"),
        (lambda m, c: m["attributes"].update(__dict__=1), r"holds \['__dict__'\]"),
        (lambda m, c: m["params"].update(bogus=1), r"is not a valid NMF \(.*'bogus'"),
        (lambda m, c: m.update(params=[1]), r"has no parameters or attributes"),
    ],
)
def test_load_sets_only_what_the_class_declares(tmp_path, change, match):
    path = _saved(tmp_path)

    def tamper(contents):
        meta = json.loads(str(contents["__meta__"]))
        change(meta, contents)
        contents["__meta__"] = np.array(json.dumps(meta))

    # a consistent checksum: what is refused is the content, not the damage
    _rewrite(path, tamper, resign=True)
    with pytest.raises(ValueError, match=match):
        load(path)


def test_every_saveable_class_declares_what_it_saves():
    """Each saveable class names its arrays and attributes, and a fitted one saves its
    components (what save checks to call it fitted)."""
    from nmfkit.core.io import Saveable

    classes = [NMF, MiniBatchNMF, Recommender, TopicModel, ConsensusNMF]
    for cls in classes:
        assert issubclass(cls, Saveable)
        assert "components_" in cls._saved_arrays
        assert not set(cls._saved_arrays) & set(cls._saved_attributes)


def test_load_in_a_fresh_process(tmp_path):
    """``nmfkit.load`` knows every model class before any has been imported (a trial as
    a new user found 'unknown estimator' for a file NMF.save had just written)."""
    import subprocess
    import sys

    import numpy as np

    from nmfkit import NMF, Simplex

    X = np.random.default_rng(0).random((20, 6))
    NMF(2, constraints=[Simplex("W")], random_state=0).fit(X).save(tmp_path / "m.npz")
    code = (
        "import nmfkit, numpy as np; m = nmfkit.load(r'%s'); "
        "print(type(m).__name__, m.constraints[0].describe())" % (tmp_path / "m.npz")
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["NMF", "Simplex('W')"]
