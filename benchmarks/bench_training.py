"""Training speed and quality: embedviz WALS vs implicit's ALS, GradientDescentMF vs Surprise's SVD.

Every fit runs in its own child process (so its peak RSS can be measured) on the
same train/test split (per-user random 20 % hold-out, seed 0). Times exclude numba
compilation: each child first fits both libraries on a tiny problem. Fit time is
the median of ``--repeats`` fits. NDCG@10 is computed by `embedviz.evaluate` for
every model (the peer's factors are wrapped), on at most ``EVAL_USERS`` test users.

Run: ``python benchmarks/bench_training.py [--with-10m] [--repeats N]``; prints a
markdown table. implicit and scikit-surprise come from requirements-bench.txt.
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
# name -> (n_users, n_items, n_interactions drawn) for embedviz.datasets.synthetic_interactions
SYNTHETIC = {"synthetic 1M": (20_000, 10_000, 1_000_000), "synthetic 10M": (150_000, 40_000, 10_000_000)}
# (dataset, model) runs; the peer of each embedviz model is measured right after it.
RUNS = [
    ("ml-latest-small", "popularity"), ("ml-latest-small", "embedviz WALS"), ("ml-latest-small", "implicit ALS"),
    ("ml-latest-small", "embedviz GradientDescentMF"), ("ml-latest-small", "surprise SVD"),
    ("synthetic 1M", "popularity"), ("synthetic 1M", "embedviz WALS"), ("synthetic 1M", "implicit ALS"),
    ("synthetic 10M", "popularity"), ("synthetic 10M", "embedviz WALS"), ("synthetic 10M", "implicit ALS"),
]
PEERS = {"embedviz WALS": "implicit ALS", "embedviz GradientDescentMF": "surprise SVD"}


# --------------------------------------------------------------------------- child side


def load_split(dataset: str):
    from embedviz.datasets import synthetic_interactions
    from embedviz.evaluation import split
    from embedviz.interactions import from_arrays

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


def fit_embedviz_wals(train, warm):
    from embedviz.models.wals import WALS

    model = WALS(factors=FACTORS, iterations=ITERATIONS, regularization=REGULARIZATION, random_state=0)
    return (lambda data: model.fit(data)), (lambda: model), warm


def fit_implicit(train, warm):
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    holder = {}

    def fit(data):
        # implicit's own advice: one BLAS thread (its check_blas_config warning); 2 worker threads.
        with threadpool_limits(1, user_api="blas"):
            holder["model"] = AlternatingLeastSquares(factors=FACTORS, iterations=ITERATIONS, use_cg=True,
                                                      regularization=REGULARIZATION, num_threads=2, random_state=0)
            holder["model"].fit(data.matrix, show_progress=False)

    return fit, lambda: FactorScores(holder["model"].user_factors, holder["model"].item_factors), warm


def fit_embedviz_gd(train, warm):
    from embedviz.models.gradient_descent import GradientDescentMF

    model = GradientDescentMF(factors=FACTORS, epochs=EPOCHS, random_state=0)
    return (lambda data: model.fit(data)), (lambda: model), warm


def fit_surprise(train, warm):
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

    return fit, scorer, warm


def _known(to_inner, raw) -> bool:
    try:
        to_inner(raw)
        return True
    except ValueError:
        return False


def fit_popularity(train, warm):
    from embedviz.evaluation import PopularityBaseline

    model = PopularityBaseline()
    return (lambda data: model.fit(data)), (lambda: model), warm


FITTERS = {
    "embedviz WALS": fit_embedviz_wals, "implicit ALS": fit_implicit, "embedviz GradientDescentMF": fit_embedviz_gd,
    "surprise SVD": fit_surprise, "popularity": fit_popularity,
}


def run_child(dataset: str, model_name: str, repeats: int) -> dict:
    """Fit one model ``repeats`` times on one dataset; time, evaluate, report peak RSS."""
    from embedviz.evaluation import evaluate
    from embedviz.models import warmup

    warmup()  # numba kernels: load/compile outside the timed region
    train, test = load_split(dataset)
    tiny, _ = load_split("ml-latest-small") if ML_SMALL.exists() else (None, None)
    fit, scorer, _ = FITTERS[model_name](train, None)
    if tiny is not None and model_name != "popularity":
        FITTERS[model_name](tiny, None)[0](tiny)  # warm the peer's code paths too
    rss_before = _peak_rss_mb()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit(train)
        times.append(time.perf_counter() - start)
    metrics = evaluate(scorer(), train, evaluation_slice(test), k=10)
    return {"fit_s": float(np.median(times)), "ndcg": metrics["ndcg@10"], "rmse": metrics.get("rmse"),
            "peak_rss_mb": _peak_rss_mb(), "rss_before_mb": rss_before, "nnz": train.nnz}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- parent side


def measure(dataset: str, model_name: str, repeats: int) -> dict:
    command = [sys.executable, __file__, "--child", json.dumps([dataset, model_name]), "--repeats", str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{dataset} / {model_name} failed:\n{done.stderr[-2000:]}")
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
    parser.add_argument("--repeats", type=int, default=3, help="fits per measurement (median reported)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(*json.loads(args.child), args.repeats)))
        return
    results = {}
    for dataset, model_name in RUNS:
        if (dataset == "ml-latest-small" and not ML_SMALL.exists()) or ("10M" in dataset and not args.with_10m):
            continue
        repeats = 1 if ("10M" in dataset or model_name == "popularity") else args.repeats
        results[(dataset, model_name)] = measure(dataset, model_name, repeats)
        print(f"  {dataset} / {model_name}: {results[(dataset, model_name)]}", file=sys.stderr, flush=True)
    print(table(results))


if __name__ == "__main__":
    main()
