"""What a user waits for before the iterations: a fresh process's first fit, and memory.

1. **First fit.** A fresh Python process imports the library and fits a 200 × 100, k=5
   matrix (default parameters); wall time of the whole process body (imports included),
   median of --repeats processes, nmfkit beside scikit-learn. "cold" runs nmfkit with
   an empty Numba cache folder (``NUMBA_CACHE_DIR``), as after an install.
2. **Peak memory** of a default fit (200 iterations) on 20 Newsgroups TF-IDF (k=20) and
   Olivetti (k=40): size of X plus tracemalloc's peak during the fit, over
   size(X + W + H), in a fresh process each (``measures.peak_memory``).

Usage::

    python benchmarks/first_fit.py --repeats 5

No number here is asserted in the tests: these machines are shared and noisy.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measures  # noqa: E402

_CODE = """
import time
start = time.perf_counter()
import numpy as np
from {module} import NMF
X = np.random.default_rng(0).random((200, 100))
NMF(5, random_state=0).fit(X)
print(time.perf_counter() - start)
"""


def first_fit(module, repeats, env=None):
    times = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", _CODE.format(module=module)],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--no-memory", action="store_true")
    args = p.parse_args(argv)
    sk = first_fit("sklearn.decomposition", args.repeats)
    warm = first_fit("nmfkit", args.repeats)
    with tempfile.TemporaryDirectory() as cache:
        cold = first_fit("nmfkit", 1, env={**os.environ, "NUMBA_CACHE_DIR": cache})
    lines = [
        "| fresh process: import + fit 200×100, k=5 | seconds |",
        "|---|---:|",
        f"| scikit-learn | {sk:.2f} |",
        f"| nmfkit (compile cache warm) | {warm:.2f} (scikit-learn + {warm - sk:+.2f}) |",
        f"| nmfkit (empty compile cache) | {cold:.2f} |",
    ]
    if not args.no_memory:
        lines += ["", "| peak memory / (X + W + H) | nmfkit | scikit-learn |", "|---|---:|---:|"]
        for label, loader, k in (
            ("20 Newsgroups TF-IDF, k=20", "load_news_tfidf", 20),
            ("Olivetti, k=40", "load_olivetti", 40),
        ):
            cells = []
            for lib in ("nmfkit", "sklearn"):
                ratio, mb = measures.peak_memory(lib, loader, k)
                cells.append(f"{ratio:.2f}× ({mb['X'] + mb['peak']:.1f} MB)")
            lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
