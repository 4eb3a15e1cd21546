"""Training speed and quality: embedviz WALS vs implicit's ALS, GradientDescentMF vs Surprise's SVD.

All models see the same train/test split (per-user random 20 % hold-out, seed 0).
Quality and peak RSS come from one fit per model in its own child process. Fit time
comes from a separate child per (embedviz model, peer) pair that fits the two
alternately ``--repeats`` times (order swapped each round) and reports medians, so
both see the same machine load. Times exclude numba compilation: every child first
fits its models once on ml-latest-small. NDCG@10 is computed by `embedviz.evaluate`
for every model (the peer's factors are wrapped), on at most ``EVAL_USERS`` test users.

Run: ``python benchmarks/bench_training.py [--with-10m] [--repeats N] [--datasets NAMES]``;
prints a markdown table. implicit and scikit-surprise come from requirements-bench.txt.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ML_SMALL = ROOT.parent / "shared" / "data" / "ml-latest-small" / "ratings.csv"
FACTORS, ITERATIONS, REGULARIZATION, EPOCHS = 64, 15, 0.05, 20
EVAL_USERS = 20_000
# name -> (n_users, n_items, n_interactions drawn) for embedviz.data.datasets.synthetic_interactions
SYNTHETIC = {"synthetic 1M": (20_000, 10_000, 1_000_000), "synthetic 10M": (150_000, 40_000, 10_000_000)}
# (dataset, model) rows; each embedviz model's peer (PEERS) gets its own row right after it.
RUNS = [
    ("ml-latest-small", "popularity"), ("ml-latest-small", "embedviz WALS"),
    ("ml-latest-small", "embedviz GradientDescentMF"),
    ("synthetic 1M", "popularity"), ("synthetic 1M", "embedviz WALS"),
    ("synthetic 10M", "popularity"), ("synthetic 10M", "embedviz WALS"),
]
PEERS = {"embedviz WALS": "implicit ALS", "embedviz GradientDescentMF": "surprise SVD"}


# --------------------------------------------------------------------------- child side


def load_split(dataset: str):
    from embedviz.analysis.evaluation import split
    from embedviz.data.datasets import synthetic_interactions
    from embedviz.data.interactions import from_arrays

    if dataset == "ml-latest-small":
        import pandas as pd

        frame = pd.read_csv(ML_SMALL)
        data = from_arrays(frame.userId, frame.movieId, frame.rating, frame.timestamp, kind="explicit")
    else:
        n_users, n_items, n = SYNTHETIC[dataset]
        data = synthetic_interactions(n_users, n_items, n, seed=0)
    return split(data, test_fraction=0.2, by="user", seed=0)


def evaluation_slice(test):
    """Test entries of at most EVAL_USERS users (fixed sample), so 10M evaluates in seconds."""
    users = np.flatnonzero(test.user_activity() > 0)
    if len(users) > EVAL_USERS:
        users = np.random.default_rng(0).choice(users, EVAL_USERS, replace=False)
    rows = np.repeat(np.arange(test.n_users), test.user_activity())
    return test.select(np.isin(rows, users))


class FactorScores:
    """Adapter: lets `embedviz.evaluate` score a peer from its factor matrices."""

    def __init__(self, users, items, user_bias=None, item_bias=None, predict=None):
        self.users, self.items = users, items
        self.user_bias, self.item_bias = user_bias, item_bias
        if predict is not None:
            self.predict = predict

    def score_users(self, rows):
        scores = self.users[rows] @ self.items.T
        if self.item_bias is not None:
            scores += self.item_bias[None, :] + self.user_bias[rows][:, None]
        return scores


def fit_embedviz_wals(train):
    from embedviz.models.wals import WALS

    # The speed comparison keeps the objective it was measured with (the class defaults before issue 10);
    # bench_defaults.py compares the current defaults' quality.
    model = WALS(factors=FACTORS, iterations=ITERATIONS, regularization=REGULARIZATION, unobserved_weight=0.1,
                 alpha=0.1, confidence="linear", random_state=0)
    return (lambda data: model.fit(data)), (lambda: model)


def fit_implicit(train):
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    holder = {}

    def fit(data):
        # implicit's own advice: one BLAS thread (its check_blas_config warning); 2 worker threads.
        with threadpool_limits(1, user_api="blas"):
            holder["model"] = AlternatingLeastSquares(factors=FACTORS, iterations=ITERATIONS, use_cg=True,
                                                      regularization=REGULARIZATION, num_threads=2, random_state=0)
            holder["model"].fit(data.matrix, show_progress=False)

    return fit, lambda: FactorScores(holder["model"].user_factors, holder["model"].item_factors)


def fit_embedviz_gd(train):
    from embedviz.models.gradient_descent import GradientDescentMF

    model = GradientDescentMF(factors=FACTORS, epochs=EPOCHS, random_state=0)
    return (lambda data: model.fit(data)), (lambda: model)


def fit_surprise(train):
    holder = {}

    def fit(data):
        import pandas as pd
        from surprise import SVD, Dataset, Reader

        coo = data.matrix.tocoo()
        frame = pd.DataFrame({"u": coo.row, "i": coo.col, "r": coo.data})
        low, high = float(coo.data.min()), float(coo.data.max())
        trainset = Dataset.load_from_df(frame, Reader(rating_scale=(low, high))).build_full_trainset()
        holder["model"], holder["trainset"] = SVD(n_factors=FACTORS, n_epochs=EPOCHS, random_state=0), trainset
        holder["model"].fit(trainset)

    def scorer():
        model, trainset = holder["model"], holder["trainset"]
        users, user_bias = np.zeros((train.n_users, FACTORS)), np.zeros(train.n_users)
        items, item_bias = np.zeros((train.n_items, FACTORS)), np.zeros(train.n_items)
        for raw in range(train.n_users):
            if _known(trainset.to_inner_uid, raw):
                inner = trainset.to_inner_uid(raw)
                users[raw], user_bias[raw] = model.pu[inner], model.bu[inner]
        for raw in range(train.n_items):
            if _known(trainset.to_inner_iid, raw):
                inner = trainset.to_inner_iid(raw)
                items[raw], item_bias[raw] = model.qi[inner], model.bi[inner]

        def predict(rows, cols):
            return np.array([model.predict(int(u), int(i)).est for u, i in zip(rows, cols)])

        return FactorScores(users, items, user_bias, item_bias, predict)

    return fit, scorer


def _known(to_inner, raw) -> bool:
    try:
        to_inner(raw)
        return True
    except ValueError:
        return False


def fit_popularity(train):
    from embedviz.analysis.evaluation import PopularityBaseline

    model = PopularityBaseline()
    return (lambda data: model.fit(data)), (lambda: model)


FITTERS = {
    "embedviz WALS": fit_embedviz_wals, "implicit ALS": fit_implicit, "embedviz GradientDescentMF": fit_embedviz_gd,
    "surprise SVD": fit_surprise, "popularity": fit_popularity,
}


def prepared(dataset: str, model_names) -> tuple:
    """The split, plus each model's (fit, scorer) already run once on ml-latest-small.

    The first fit compiles / loads numba kernels and warms the peers' code paths, so
    it is kept out of the timings.
    """
    from embedviz.models import warmup

    warmup()
    train, test = load_split(dataset)
    tiny, _ = load_split("ml-latest-small") if ML_SMALL.exists() else (train, None)
    for name in model_names:
        FITTERS[name](tiny)[0](tiny)
    return train, test, {name: FITTERS[name](train) for name in model_names}


def run_model_child(dataset: str, model_name: str) -> dict:
    """One fit: quality on the test split and the child's peak RSS."""
    from embedviz.analysis.evaluation import evaluate

    train, test, fitters = prepared(dataset, [model_name])
    fit, scorer = fitters[model_name]
    start = time.perf_counter()
    fit(train)
    seconds = time.perf_counter() - start
    metrics = evaluate(scorer(), train, evaluation_slice(test), k=10)
    return {"fit_s": seconds, "ndcg": metrics["ndcg@10"], "rmse": metrics.get("rmse"),
            "peak_rss_mb": _peak_rss_mb(), "nnz": train.nnz}


def run_timing_child(dataset: str, ours: str, peer: str, repeats: int) -> dict:
    """Median fit time of ``ours`` and ``peer``, fitted alternately (order swapped each round)
    so both see the same machine load."""
    train, _, fitters = prepared(dataset, [ours, peer])
    times = {ours: [], peer: []}
    for round_ in range(repeats):
        for name in ((ours, peer) if round_ % 2 == 0 else (peer, ours)):
            start = time.perf_counter()
            fitters[name][0](train)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values)) for name, values in times.items()}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- parent side


def child(*args) -> dict:
    command = [sys.executable, __file__, "--child", json.dumps(args)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: dict) -> str:
    lines = ["| dataset | train nnz | model | fit (s) | ratio embedviz/peer | NDCG@10 | RMSE | peak RSS (MB) |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    for (dataset, model_name), row in results.items():
        peer = results.get((dataset, PEERS.get(model_name)))
        ratio = f"{row['fit_s'] / peer['fit_s']:.2f}" if peer else ""
        rmse = f"{row['rmse']:.4f}" if row["rmse"] is not None else ""
        fit_s = f"{row['fit_s']:.2f}" if model_name != "popularity" else ""
        lines.append(f"| {dataset} | {row['nnz']:,} | {model_name} | {fit_s} | {ratio} | {row['ndcg']:.4f} | "
                     f"{rmse} | {row['peak_rss_mb']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--with-10m", action="store_true", help="include the 10M-interaction synthetic set")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits per model (median; at most 3 for 10M)")
    parser.add_argument("--datasets", help="comma-separated subset, e.g. 'synthetic 10M' (default: all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = json.loads(args.child)
        print(json.dumps(CHILDREN[kind](*rest)))
        return
    results = {}
    for dataset, model_name in RUNS:
        wanted = args.datasets is None or dataset in args.datasets.split(",")
        if not wanted or (dataset == "ml-latest-small" and not ML_SMALL.exists()) or (
                "10M" in dataset and not (args.with_10m or args.datasets)):
            continue
        results[(dataset, model_name)] = child("model", dataset, model_name)
        print(f"  {dataset} / {model_name}: {results[(dataset, model_name)]}", file=sys.stderr, flush=True)
        peer = PEERS.get(model_name)
        if peer:
            repeats = min(args.repeats, 3) if "10M" in dataset else args.repeats
            paired = child("timing", dataset, model_name, peer, repeats)
            print(f"  {dataset} timing: {paired}", file=sys.stderr, flush=True)
            results[(dataset, model_name)]["fit_s"] = paired[model_name]
            results[(dataset, peer)] = {**child("model", dataset, peer), "fit_s": paired[peer]}
            print(f"  {dataset} / {peer}: {results[(dataset, peer)]}", file=sys.stderr, flush=True)
    print(table(results))


CHILDREN = {"model": run_model_child, "timing": run_timing_child}


if __name__ == "__main__":
    main()
