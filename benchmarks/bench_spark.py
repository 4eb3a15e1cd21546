"""Parity with Spark: Spark MLlib ALS (implicitPrefs, local[2]) vs embedviz WALS on the same split.

Spark gets the WALS parameters translated by `embedviz.spark.params.spark_params` (what
``python -m embedviz train --engine spark`` does). Both see the same train/test split (per-user
random 20 % hold-out, seed 0) and are scored by `embedviz.evaluate` (NDCG@10 on at most
``EVAL_USERS`` test users). Fit times exclude warm-up: embedviz's numba kernels are loaded and
Spark's JVM has fitted once on a small set first; the median of ``--repeats`` fits is reported.
Both engines run in one child process (Spark's JVM is its child) and are fitted alternately,
order swapped each round, so both see the same machine load. "End to end" is the whole
command, ``python -m embedviz train FILE --engine spark`` / ``python -m embedviz train FILE``,
from launch to the model written (the local command also evaluates on a split; the Spark one
also writes Parquet and its ALSModel).

Run: ``python benchmarks/bench_spark.py [--repeats N] [--datasets NAMES] [--skip-end-to-end] [--explain]``;
needs requirements-spark.txt and Java 17.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ML_SMALL = ROOT.parent / "shared" / "data" / "ml-latest-small" / "ratings.csv"
SYNTHETIC = {"synthetic 1M": (20_000, 10_000, 1_000_000)}
DATASETS = ("ml-latest-small", "synthetic 1M")
EVAL_USERS = 20_000


# WALS as measured for benchmarks/README.md (the app's defaults then; they have changed since).
WALS_PARAMS = dict(factors=32, regularization=10.0, unobserved_weight=0.5, alpha=0.1, confidence="linear",
                   iterations=15, random_state=0)


def wals_params() -> dict:
    return dict(WALS_PARAMS)


def load_split(dataset: str):
    from embedviz.analysis.evaluation import split
    from embedviz.data.datasets import synthetic_interactions
    from embedviz.data.interactions import from_arrays

    if dataset == "ml-latest-small":
        import pandas as pd

        frame = pd.read_csv(ML_SMALL)
        data = from_arrays(frame.userId, frame.movieId, frame.rating, frame.timestamp, kind="explicit")
    else:
        data = synthetic_interactions(*SYNTHETIC[dataset], seed=0)
    return split(data, test_fraction=0.2, by="user", seed=0)


def evaluation_slice(test):
    users = np.flatnonzero(test.user_activity() > 0)
    if len(users) > EVAL_USERS:
        users = np.random.default_rng(0).choice(users, EVAL_USERS, replace=False)
    rows = np.repeat(np.arange(test.n_users), test.user_activity())
    return test.select(np.isin(rows, users))


def counts_of(train):
    from embedviz.spark.params import DataCounts

    values = train.matrix.data
    return DataCounts(train.n_users, train.n_items, int((values > 0).sum()), float(values[values > 0].mean()))


# --------------------------------------------------------------------------- children


def pair_child(dataset: str, repeats: int) -> dict:
    """Both engines in one process, fitted alternately (order swapped each round), so both see
    the same machine load; quality from the last fit of each."""
    from embedviz.analysis.evaluation import evaluate
    from embedviz.models import warmup
    from embedviz.models.wals import WALS
    from embedviz.spark.job import start_session
    from embedviz.spark.params import spark_params

    warmup()
    train, test = load_split(dataset)
    params = spark_params(wals_params(), counts_of(train))
    start = time.perf_counter()
    spark, _ = start_session("local[2]", "bench_spark", {"spark.driver.memory": "4g"})
    session_s = time.perf_counter() - start
    try:
        fit_spark = _spark_fitter(spark, train, params)
        fits = {"embedviz": lambda: WALS(**wals_params()).fit(train), "spark": fit_spark}
        times: dict[str, list] = {"embedviz": [], "spark": []}
        models = {}
        for round_ in range(repeats):
            for name in (("embedviz", "spark") if round_ % 2 == 0 else ("spark", "embedviz")):
                start = time.perf_counter()
                models[name] = fits[name]()
                times[name].append(time.perf_counter() - start)
        models["spark"] = _spark_scorer(models["spark"], train, params)
        rss = _jvm_peak_rss_mb()
    finally:
        spark.stop()
    held_out = evaluation_slice(test)
    return {"nnz": train.nnz, "session_s": session_s, "jvm_peak_rss_mb": rss, "params": params,
            **{f"{name}_fit_s": float(np.median(values)) for name, values in times.items()},
            **{f"{name}_ndcg": evaluate(models[name], train, held_out, k=10)["ndcg@10"] for name in models}}


def _spark_fitter(spark, train, params: dict):
    """A function fitting Spark's ALS (eagerly: the factors are materialised), after a warm-up fit."""
    from pyspark.ml.recommendation import ALS

    frame = _as_spark_frame(spark, train)
    spark.sparkContext.setCheckpointDir(tempfile.mkdtemp())   # as the job does: ALS cuts its lineage
    als = ALS(userCol="user_index", itemCol="item_index", ratingCol="value", numUserBlocks=2,
              numItemBlocks=2, **params)
    als.setMaxIter(2).fit(frame.limit(20_000))       # JIT warm-up, not timed
    als.setMaxIter(params["maxIter"])
    return lambda: als.fit(frame)


def _spark_scorer(model, train, params: dict):
    from embedviz.spark.factors import SparkALS

    scorer = SparkALS(factors=params["rank"], regularization=params["regParam"], alpha=params["alpha"])
    scorer.user_factors_ = _factors(model.userFactors, train.n_users)
    scorer.item_factors_ = _factors(model.itemFactors, train.n_items)
    scorer.train_matrix_ = train.matrix
    return scorer


def _as_spark_frame(spark, train):
    """The training matrix as a persisted (user_index, item_index, value) DataFrame, via Parquet."""
    import pandas as pd

    coo = train.matrix.tocoo()
    path = Path(tempfile.mkdtemp()) / "train.parquet"
    pd.DataFrame({"user_index": coo.row.astype(np.int32), "item_index": coo.col.astype(np.int32),
                  "value": coo.data.astype(np.float32)}).to_parquet(path, index=False)
    frame = spark.read.parquet(str(path)).persist()
    frame.count()
    return frame


def _factors(frame, n: int) -> np.ndarray:
    rows = frame.collect()
    out = np.zeros((n, len(rows[0]["features"])), dtype=np.float32)
    for row in rows:
        out[row["id"]] = row["features"]
    return out


def _jvm_peak_rss_mb() -> float | None:
    """VmHWM of this process's Java child (the Spark driver and its local executors)."""
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            if f"PPid:\t{os.getpid()}\n" in status and b"java" in (entry / "cmdline").read_bytes()[:200]:
                return int(status.split("VmHWM:")[1].split()[0]) / 1024
        except (OSError, IndexError, ValueError):
            continue
    return None


def end_to_end_child(dataset: str, engine: str) -> dict:
    """The whole command from launch, on the data written as Parquet."""
    train, _ = load_split(dataset)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "train.parquet"
        train.to_frame().to_parquet(source, index=False)
        out = Path(folder) / ("model" if engine == "spark" else "model.npz")
        args = [sys.executable, "-m", "embedviz", "train", str(source), "--out", str(out)]
        if engine == "spark":
            args += ["--engine", "spark", "--master", "local[2]", "--conf", "spark.driver.memory=4g"]
        start = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        timings = json.loads((out / "embedviz-spark.json").read_text())["timings_s"] if engine == "spark" else {}
    return {"seconds": seconds, "timings": timings}


def reference_als(train, params: dict, per_row: bool, seed: int = 0):
    """Spark's implicit objective solved exactly in numpy (items, then users, as Spark orders it).

    ``per_row`` True: penalty regParam * n per row (Spark); False: one constant penalty with the
    same total, regParam * nnz_positive * 2 / (n_users + n_items) per row (WALS's form).
    """
    import scipy.sparse as sp

    from embedviz.spark.factors import SparkALS

    rank, reg, alpha = params["rank"], params["regParam"], params["alpha"]
    by_user = sp.csr_matrix(train.matrix)
    by_item = sp.csr_matrix(by_user.T)
    positive = int((by_user.data > 0).sum())
    constant = reg * 2 * positive / (by_user.shape[0] + by_user.shape[1])
    rng = np.random.default_rng(seed)
    users = rng.standard_normal((by_user.shape[0], rank))
    users /= np.linalg.norm(users, axis=1, keepdims=True)
    items = np.zeros((by_user.shape[1], rank))
    for _ in range(params["maxIter"]):
        items = _solve_rows(by_item, users, reg, alpha, per_row, constant)
        users = _solve_rows(by_user, items, reg, alpha, per_row, constant)
    model = SparkALS(factors=rank, regularization=reg, alpha=alpha)
    model.user_factors_, model.item_factors_ = users.astype(np.float32), items.astype(np.float32)
    model.train_matrix_ = train.matrix
    return model


def _solve_rows(matrix, fixed, reg, alpha, per_row, constant):
    gram, eye = fixed.T @ fixed, np.eye(fixed.shape[1])
    out = np.zeros((matrix.shape[0], fixed.shape[1]))
    for row in range(matrix.shape[0]):
        cols = matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]]
        values = matrix.data[matrix.indptr[row]:matrix.indptr[row + 1]].astype(np.float64)
        if cols.size == 0:
            continue
        history, extra = fixed[cols], alpha * np.abs(values)
        penalty = reg * np.count_nonzero(values > 0) if per_row else constant
        system = gram + history.T @ (extra[:, None] * history) + penalty * eye
        out[row] = np.linalg.solve(system, history.T @ np.where(values > 0, 1 + extra, 0.0))
    return out


def explain_child(dataset: str) -> dict:
    """NDCG@10 of Spark's objective solved in numpy, with Spark's per-row penalty and with a constant one."""
    from embedviz.analysis.evaluation import evaluate
    from embedviz.spark.params import spark_params

    train, test = load_split(dataset)
    params = spark_params(wals_params(), counts_of(train))
    held_out = evaluation_slice(test)
    return {name: evaluate(reference_als(train, params, per_row), train, held_out, k=10)["ndcg@10"]
            for name, per_row in (("per_row", True), ("constant", False))}


def memory_child(n_users: int, n_items: int, n_events: int) -> dict:
    """Resident memory of one WALS fit (k=32) on top of its data: the single-machine limit."""
    from embedviz.data.datasets import synthetic_interactions
    from embedviz.models import warmup
    from embedviz.models.wals import WALS

    warmup()
    data = synthetic_interactions(n_users, n_items, n_events, seed=0)
    before = _status_mb("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    WALS(**wals_params()).fit(data)
    return {"nnz": data.nnz, "users": n_users, "items": n_items, "fit_s": time.perf_counter() - start,
            "data_mb": data.matrix.data.nbytes / 2**20 * 3, "before_mb": before,
            "fit_extra_mb": _status_mb("VmHWM") - before}


def _status_mb(field: str) -> float:
    text = Path("/proc/self/status").read_text()
    return int(text.split(f"{field}:")[1].split()[0]) / 1024


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS (Linux >= 4.0)


CHILDREN = {"pair": pair_child, "end_to_end": end_to_end_child,
            "explain": explain_child, "memory": memory_child}


# --------------------------------------------------------------------------- parent


def child(*args) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: dict) -> str:
    lines = ["| dataset | train nnz | engine | fit (s) | ratio Spark / embedviz | NDCG@10 | end to end (s) |",
             "|---|---:|---|---:|---:|---:|---:|"]
    for dataset, (pair, e2e) in results.items():
        lines.append(f"| {dataset} | {pair['nnz']:,} | embedviz WALS (2 threads) | {pair['embedviz_fit_s']:.2f} | | "
                     f"{pair['embedviz_ndcg']:.4f} | {_e2e(e2e, 'local')} |")
        lines.append(f"| {dataset} | {pair['nnz']:,} | Spark ALS local[2] | {pair['spark_fit_s']:.2f} | "
                     f"{pair['spark_fit_s'] / pair['embedviz_fit_s']:.1f} | {pair['spark_ndcg']:.4f} | "
                     f"{_e2e(e2e, 'spark')} |")
    lines += ["", "| dataset | Spark parameters | session start (s) | Spark JVM peak RSS (MB) | Spark's objective "
              "in numpy: NDCG@10 per-row penalty / constant penalty |", "|---|---|---:|---:|---|"]
    for dataset, (pair, _) in results.items():
        p, ref = pair["params"], pair.get("explain")
        explained = f"{ref['per_row']:.4f} / {ref['constant']:.4f}" if ref else ""
        lines.append(f"| {dataset} | rank {p['rank']}, maxIter {p['maxIter']}, regParam {p['regParam']:.4g}, "
                     f"alpha {p['alpha']:.4g} | {pair['session_s']:.1f} | {pair['jvm_peak_rss_mb'] or 0:.0f} | "
                     f"{explained} |")
    return "\n".join(lines)


def _e2e(e2e: dict | None, engine: str) -> str:
    return f"{e2e[engine]['seconds']:.1f}" if e2e else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--datasets", help="comma-separated subset of: " + ", ".join(DATASETS))
    parser.add_argument("--skip-end-to-end", action="store_true")
    parser.add_argument("--explain", action="store_true",
                        help="also solve Spark's objective in numpy with a per-row and a constant penalty (slow)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = json.loads(args.child)
        print(json.dumps(CHILDREN[kind](*rest)))
        return
    results = {}
    for dataset in (args.datasets.split(",") if args.datasets else DATASETS):
        if dataset == "ml-latest-small" and not ML_SMALL.exists():
            print(f"skipping {dataset}: {ML_SMALL} not found", file=sys.stderr)
            continue
        pair = child("pair", dataset, args.repeats)
        if args.explain:
            pair["explain"] = child("explain", dataset)
        e2e = None if args.skip_end_to_end else {
            engine: child("end_to_end", dataset, engine) for engine in ("local", "spark")}
        results[dataset] = (pair, e2e)
        print(json.dumps({dataset: results[dataset]}), file=sys.stderr, flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(table(results))


if __name__ == "__main__":
    main()
