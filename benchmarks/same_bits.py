"""SHA-256 of the results of a fixed set of fits, to compare two nmfkit trees bit for bit.

Every solver × loss × data kind (dense, sparse, missing entries, weights) the solvers
registry allows, with and without penalties, shuffled HALS, transform, update_H=False,
float32, the torch and Dask engines, MiniBatchNMF, Recommender, TopicModel and
ConsensusNMF. Only the public API is used, so any two trees can be compared::

    git worktree add /tmp/before <commit>
    python benchmarks/same_bits.py --tree /tmp/before/src --tree src

Each tree runs in its own process. The table lists every fit whose results differ.
"""

import argparse
import hashlib
import json
import subprocess
import sys
import warnings

import numpy as np


def _digest(*arrays):
    h = hashlib.sha256()
    for a in arrays:
        if hasattr(a, "compute"):
            a = a.compute()
        if hasattr(a, "detach"):
            a = a.detach().cpu().numpy()
        a = np.ascontiguousarray(np.asarray(a))
        h.update(f"{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def _data():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    W, H = rng.random((60, 4)), rng.random((4, 40))
    dense = W @ H + 0.05 * rng.random((60, 40))
    sparse = sp.random(60, 40, density=0.25, format="csr", random_state=1) * 3
    missing = np.where(rng.random(dense.shape) < 0.2, np.nan, dense)
    weights = rng.random(dense.shape) * (rng.random(dense.shape) > 0.1)
    return {
        "dense": (dense, {}),
        "sparse": (sparse, {}),
        "missing": (missing, {}),
        "weights": (dense, {"weights": weights}),
        "stored": (sparse, {"observed": "stored"}),
    }


def cases():
    """(name, function returning arrays) for every fit."""
    from nmfkit import NMF, non_negative_factorization

    data = _data()
    solvers = {"mu": "any", "hals": (2.0,), "bpp": (2.0,), "ccd": (1.0,)}
    out = []
    for solver, betas in solvers.items():
        for beta in (2.0, 1.0, 0.5, 0.0):
            if betas != "any" and beta not in betas:
                continue
            for kind, (X, extra) in data.items():
                masked = kind in ("missing", "weights", "stored")
                if masked and solver == "ccd":
                    continue
                if beta <= 0 and kind in ("sparse", "stored"):
                    continue
                Xk = X + 0.01 if beta <= 0 else X
                for alpha in (0.0, 0.01):
                    fit_kw = {k: v for k, v in extra.items() if k == "weights"}
                    params = {k: v for k, v in extra.items() if k != "weights"}

                    def fit(solver=solver, beta=beta, Xk=Xk, alpha=alpha, fit_kw=fit_kw,
                            params=params, init=None):  # fmt: skip
                        m = NMF(5, solver=solver, beta_loss=beta, max_iter=30, tol=0,
                                random_state=0, alpha_W=alpha, l1_ratio=0.5, init=init,
                                **params)  # fmt: skip
                        W = m.fit_transform(Xk, **fit_kw)
                        return W, m.components_, np.array(m.loss_curve_)

                    out.append((f"{solver} b={beta:g} {kind} alpha={alpha}", fit))
                    if alpha == 0.0:
                        out.append((f"{solver} b={beta:g} {kind} random init",
                                    lambda fit=fit: fit(init="random")))  # fmt: skip
    dense = data["dense"][0]
    sparse = data["sparse"][0]

    def shuffled():
        m = NMF(5, solver="hals", shuffle=True, random_state=3, max_iter=30, tol=0)
        return m.fit_transform(dense), m.components_

    def transform_kl():
        m = NMF(5, beta_loss=1.0, random_state=0, max_iter=30, tol=0).fit(sparse)
        return (m.transform(sparse[:10]),)

    def float32():
        m = NMF(5, random_state=0, max_iter=30, tol=0)
        return m.fit_transform(dense.astype(np.float32)), m.components_

    def fixed_H():
        H = np.random.default_rng(5).random((5, 40))
        W, H, n = non_negative_factorization(dense, H=H, n_components=5, update_H=False)
        return W, H

    def default_fit():
        m = NMF(5, random_state=0)
        return m.fit_transform(dense), m.components_, np.array(m.loss_curve_)

    out += [("hals shuffled", shuffled), ("transform kl", transform_kl),
            ("float32 hals", float32), ("update_H=False", fixed_H),
            ("default NMF", default_fit)]  # fmt: skip
    return out + _engines(dense, sparse) + _applications(dense)


def _engines(dense, sparse):
    from nmfkit import NMF

    out = []
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        for solver, beta in (("mu", 2.0), ("hals", 2.0), ("bpp", 2.0), ("ccd", 1.0), ("mu", 1.0)):

            def fit(solver=solver, beta=beta):
                m = NMF(5, solver=solver, beta_loss=beta, max_iter=20, tol=0, random_state=0)
                return m.fit_transform(torch.as_tensor(dense)), m.components_

            out.append((f"torch {solver} b={beta:g}", fit))
    try:
        import dask
        import dask.array as da
    except ImportError:
        da = None
    if da is not None:
        for solver, beta in (("mu", 2.0), ("hals", 2.0), ("bpp", 2.0), ("mu", 1.0)):

            def fit(solver=solver, beta=beta):
                X = da.from_array(dense, chunks=(15, 40))
                with dask.config.set(scheduler="synchronous"):
                    m = NMF(5, solver=solver, beta_loss=beta, max_iter=20, tol=0,
                            random_state=0, init="random")  # fmt: skip
                    W = m.fit_transform(X)
                    return W.compute(), m.components_

            out.append((f"dask {solver} b={beta:g}", fit))
    return out


def _applications(dense):
    from nmfkit import ConsensusNMF, MiniBatchNMF, Recommender, TopicModel

    rng = np.random.default_rng(2)
    users, items = rng.integers(0, 50, 800), rng.integers(0, 30, 800)
    ratings = rng.integers(1, 6, 800).astype(float)
    words = "cat dog bird fish tree rock sky sea sun moon star rain snow wind leaf".split()
    docs = [" ".join(rng.choice(words, 12)) for _ in range(80)]

    def minibatch(beta):
        m = MiniBatchNMF(4, batch_size=16, beta_loss=beta, random_state=0, max_iter=5)
        return m.fit_transform(dense), m.components_

    def recommender():
        m = Recommender(8, random_state=0, max_iter=20).fit((users, items, ratings))
        return m.user_factors_, m.components_, m.predict(users[:20], items[:20])

    def topics():
        m = TopicModel(3, min_df=1, random_state=0).fit(docs)
        return m.doc_topic_, m.components_, m.transform(docs[:5])

    def consensus():
        m = ConsensusNMF(3, n_runs=4, random_state=0, max_iter=50).fit(dense)
        return m.components_, m.consensus_matrix_

    return [("minibatch b=2", lambda: minibatch(2.0)), ("minibatch b=1", lambda: minibatch(1.0)),
            ("recommender", recommender), ("topics", topics), ("consensus", consensus)]  # fmt: skip


def worker(tree):
    sys.path.insert(0, tree)
    warnings.simplefilter("ignore")
    result = {}
    for name, fn in cases():
        try:
            result[name] = _digest(*fn())
        except Exception as exc:  # a fit a tree cannot run is reported, not hidden
            result[name] = f"error: {type(exc).__name__}: {exc}"
    print(json.dumps(result))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tree", action="append", required=True, help="a src/ folder of nmfkit")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--json", help="also write the digests of every tree to this file")
    args = p.parse_args()
    if args.worker:
        return worker(args.worker)
    results = []
    for tree in args.tree:
        cmd = [sys.executable, __file__, "--tree", tree, "--worker", tree]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(zip(args.tree, results)), f, indent=1)
    first = results[0]
    same = [name for name in first if all(r.get(name) == first[name] for r in results)]
    print(f"{len(same)} of {len(first)} fits give the same bits in every tree")
    for name in first:
        if name not in same:
            print(f"  differs: {name}: " + " | ".join(str(r.get(name)) for r in results))


if __name__ == "__main__":
    main()
