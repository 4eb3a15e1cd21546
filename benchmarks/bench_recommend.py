"""Fold-in + top-10 for a new user (the Recommend page's live builder), vs implicit's
``recommend(..., recalculate_user=True)`` which does the same job in the same run.

    .venv/bin/python benchmarks/bench_recommend.py [--items 100000] [--factors 64]

Target (issue 6): ≤ 10 ms for 100k items with 10 picked items.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import embedviz as ev  # noqa: E402
from embedviz.data.datasets import synthetic_interactions  # noqa: E402


def median_ms(function, repeats: int = 200) -> float:
    function()                                   # warm (numba / BLAS threads)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--picked", type=int, default=10)
    args = parser.parse_args()

    data = synthetic_interactions(args.users, args.items, 1_000_000, seed=0)
    model = ev.WALS(factors=args.factors, iterations=3, random_state=0).fit(data)
    picked = np.random.default_rng(1).choice(data.n_items, args.picked, replace=False)
    values = np.ones(args.picked, dtype=np.float32)

    def ours():
        vector = model.fold_in(picked, values)
        return model.recommend_vector(vector, k=10, exclude=picked)

    rows = [("embedviz fold_in + recommend_vector", median_ms(ours))]
    try:
        from implicit.cpu.als import AlternatingLeastSquares
    except ImportError:
        print("implicit not installed (pip install -r requirements-bench.txt): no peer column")
        peer = None
    else:
        als = AlternatingLeastSquares(factors=args.factors, iterations=1, random_state=0)
        als.user_factors = model.user_factors_.copy()
        als.item_factors = model.item_factors_.copy()
        history = sp.csr_matrix((values, (np.zeros(args.picked, int), picked)), shape=(1, data.n_items))
        peer = median_ms(lambda: als.recommend(0, history, N=10, recalculate_user=True,
                                               filter_already_liked_items=True))
        rows.append(("implicit recommend(recalculate_user=True)", peer))

    print(f"\nNew-user fold-in + top-10: {data.n_items:,} items x {args.factors} factors, "
          f"{args.picked} picked items, median of 200 calls\n")
    print("| method | ms | ratio vs implicit |")
    print("|---|---:|---:|")
    for name, ms in rows:
        ratio = f"{ms / peer:.2f}" if peer else "–"
        print(f"| {name} | {ms:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
