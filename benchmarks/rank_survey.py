"""select_rank on 20 Newsgroups TF-IDF (train): ranks 5-30 step 5, 10 runs each.

The TF-IDF matrix is the one of benchmarks/topics.py (11314 × 25631, sparse). The
criteria are component stability and the reconstruction error against a column-shuffled
baseline. The consensus matrix is left out: for 11314 documents it would be an
11314 × 11314 matrix (1 GB) per rank, and the held-out criterion needs a dense X. Runs
go to 2 joblib processes; the wall time of the whole survey is reported.

Usage::

    python benchmarks/rank_survey.py [--jobs 2] [--json out.json]
"""

import argparse
import gzip
import json
import time
import warnings
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer

from nmfkit import select_rank

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "20newsgroups"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--json", default=None)
    args = p.parse_args()
    warnings.simplefilter("ignore")
    with gzip.open(CORPUS / "20news_bydate.jsonl.gz", "rt", encoding="utf-8") as f:
        docs = [d["text"] for d in map(json.loads, f) if d["split"] == "train"]
    X = TfidfVectorizer(min_df=5, max_df=0.5, stop_words="english").fit_transform(docs)
    start = time.perf_counter()
    survey = select_rank(
        X,
        ranks=range(5, 31, 5),
        n_runs=10,
        criteria=("stability", "error"),
        random_state=0,
        n_jobs=args.jobs,
    )
    seconds = time.perf_counter() - start
    print(f"20 Newsgroups TF-IDF {X.shape[0]} x {X.shape[1]}: 6 ranks x 10 runs in {seconds:.1f} s")
    keys = [k for k in survey.rows[0] if k != "rank"]
    print(f"{'rank':>4} " + " ".join(f"{k:>18}" for k in keys))
    for row in survey.rows:
        print(f"{row['rank']:>4} " + " ".join(f"{row[k]:>18.4f}" for k in keys))
    if args.json:
        Path(args.json).write_text(json.dumps({"seconds": seconds, "rows": survey.rows}, indent=1))


if __name__ == "__main__":
    main()
