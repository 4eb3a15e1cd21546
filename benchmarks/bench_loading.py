"""Loading speed: `embedviz.load_interactions` vs plain `pandas.read_csv` (C engine) on 1M rows.

The peer only parses; embedviz also sniffs, validates, detects the kind and
builds the CSR matrix, so a ratio near 1 means validation is nearly free.
Run: ``python benchmarks/bench_loading.py [n_rows]``; prints a markdown table.
"""
from __future__ import annotations

import gzip
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from embedviz.data.loaders import load_interactions
from embedviz.data.readers import read_table

REPEATS = 3


def make_files(directory: Path, n_rows: int) -> dict[str, Path]:
    """The same MovieLens-shaped table as CSV, gzip CSV and Parquet."""
    rng = np.random.default_rng(0)
    table = pa.table({
        "userId": rng.integers(1, 100_000, n_rows), "movieId": rng.integers(1, 50_000, n_rows),
        "rating": rng.integers(1, 11, n_rows) / 2, "timestamp": rng.integers(900_000_000, 1_600_000_000, n_rows),
    })
    paths = {"CSV": directory / "ratings.csv", "gzip CSV": directory / "ratings.csv.gz",
             "Parquet": directory / "ratings.parquet"}
    pa_csv.write_csv(table, paths["CSV"])
    paths["gzip CSV"].write_bytes(gzip.compress(paths["CSV"].read_bytes(), compresslevel=6))
    pq.write_table(table, paths["Parquet"])
    return paths


def best_time(work) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


PEERS = {
    "CSV": lambda path: pd.read_csv(path),
    "gzip CSV": lambda path: pd.read_csv(path, compression="gzip"),
    "Parquet": lambda path: pd.read_parquet(path),
}


def main(n_rows: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_files(Path(tmp), n_rows)
        load_interactions(paths["CSV"])  # first call pays for imports; not what we measure
        print(f"{n_rows:,} rows (userId, movieId, rating, timestamp); best of {REPEATS}; "
              f"{os.cpu_count()} cores\n")
        print("| format | size | load_interactions (s) | read_table (s) | pandas peer (s) "
              "| ratio load / peer | ratio read / peer |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for fmt, path in paths.items():
            load = best_time(lambda: load_interactions(path))
            read = best_time(lambda: read_table(path))
            peer = best_time(lambda: PEERS[fmt](path))
            size = path.stat().st_size / 2**20
            print(f"| {fmt} | {size:.1f} MB | {load:.2f} | {read:.2f} | {peer:.2f} | {load / peer:.2f} "
                  f"| {read / peer:.2f} |")
        print("\nload_interactions = read + validate + build the CSR matrix; read_table = sniff + parse + "
              "typed columns;\npandas peer = `pd.read_csv` (default C engine) / `pd.read_parquet`, parse only.")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
