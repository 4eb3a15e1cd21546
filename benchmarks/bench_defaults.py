"""Defaults vs tuned vs implicit's best: held-out NDCG@10 of WALS on ratings and on play counts.

For each data set, on the split the app uses (each user's latest 20 % held out when there are
timestamps, else a random 20 % per user, seed 0), one run prints side by side:

- popularity: the most popular unseen items for everyone;
- embedviz ``WALS()``: the class defaults, confidence chosen from the data ("auto");
- embedviz tuned: ``embedviz.tune(train, budget_s=BUDGET, random_state=0)`` — it splits its own
  validation set from the training part and never sees the test part; its ``best_model`` is scored;
- implicit ALS, best of a grid: ``AlternatingLeastSquares(factors=64, iterations=15, use_cg=True)``
  over regularization {0.01, 0.1, 1, 10, 100} x alpha {0.1, 0.3, 1, 3, 10, 40} (30 fits), confidences
  ``alpha * value`` for ratings and ``alpha * log1p(value)`` for counts. The best is picked **on the test
  split itself** — an oracle choice, so the peer's number is an upper bound for a grid search.

Plus gradient-descent MF on the ratings (validation RMSE is what it is tuned for): defaults vs tuned.

Data: ml-latest-small (``../shared/data``; skipped when absent) and a last.fm-like play-count set
written by `embedviz.data.synthetic.write_lastfm` (1,892 users, ~18k artists, 90k plays from 1 to
~350k). Everything runs in this one process; implicit comes from requirements-bench.txt.

Run: ``python benchmarks/bench_defaults.py [--budget 110] [--datasets ml-latest-small,lastfm-like]``
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ML_SMALL = ROOT.parent / "shared" / "data" / "ml-latest-small" / "ratings.csv"
REGULARIZATION = (0.01, 0.1, 1.0, 10.0, 100.0)
ALPHA = (0.1, 0.3, 1.0, 3.0, 10.0, 40.0)
FACTORS, ITERATIONS = 64, 15


def load(name: str, folder: Path):
    import embedviz as ev

    if name == "ml-latest-small":
        return ev.load_interactions(ML_SMALL)
    from embedviz.data.synthetic import write_lastfm

    return ev.load_interactions(write_lastfm(folder / "lastfm", seed=0).paths["plays"])


class Factors:
    """Lets `embedviz.evaluate` score implicit's factors."""

    def __init__(self, users, items):
        self.users, self.items = users, items

    def score_users(self, rows):
        return self.users[rows] @ self.items.T


def implicit_grid(train, test) -> tuple[float, dict, float]:
    """Best held-out NDCG@10 of implicit's ALS over the grid, its settings, mean fit seconds."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from embedviz.analysis.evaluation import evaluate

    matrix = train.matrix.astype(np.float32)
    if train.kind == "implicit":
        matrix = matrix.copy()
        matrix.data = np.log1p(matrix.data)
    best, best_params, seconds = -1.0, {}, []
    for reg in REGULARIZATION:
        for alpha in ALPHA:
            started = time.perf_counter()
            with threadpool_limits(1, user_api="blas"):    # implicit's own advice
                model = AlternatingLeastSquares(factors=FACTORS, iterations=ITERATIONS, regularization=reg,
                                                alpha=alpha, use_cg=True, num_threads=2, random_state=0)
                model.fit(matrix, show_progress=False)
            seconds.append(time.perf_counter() - started)
            score = evaluate(Factors(model.user_factors, model.item_factors), train, test)["ndcg@10"]
            if score > best:
                best, best_params = score, {"regularization": reg, "alpha": alpha}
    return best, best_params, float(np.median(seconds))


def run_dataset(name: str, budget: float, folder: Path) -> list[dict]:
    import embedviz as ev
    from embedviz.analysis.evaluation import PopularityBaseline, evaluate
    from embedviz.workflows import evaluation_split

    data = load(name, folder)
    train, test = evaluation_split(data)
    label = f"{name} ({data.kind}, {train.nnz:,} train)"
    rows = [{"data": label, "model": "popularity",
             "ndcg": evaluate(PopularityBaseline().fit(train), train, test)["ndcg@10"]}]
    started = time.perf_counter()
    defaults = ev.WALS(random_state=0).fit(train)
    rows.append({"data": label, "model": "embedviz WALS() defaults", "seconds": time.perf_counter() - started,
                 "ndcg": evaluate(defaults, train, test)["ndcg@10"],
                 "settings": f"auto: {defaults.confidence_}, alpha {defaults.alpha_:.3g}"})
    tuned = ev.tune(train, "WALS", budget_s=budget, random_state=0)
    best = {k: tuned.best_params[k] for k in ("factors", "regularization", "unobserved_weight", "alpha")}
    rows.append({"data": label, "model": f"embedviz tune({budget:g} s)", "seconds": tuned.seconds,
                 "ndcg": evaluate(tuned.best_model, train, test)["ndcg@10"],
                 "settings": f"{len(tuned.trials)} trials; " + ", ".join(
                     f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in best.items())})
    print(f"  {name}: defaults and tuning done", file=sys.stderr, flush=True)
    peer, params, fit_seconds = implicit_grid(train, test)
    rows.append({"data": label, "model": "implicit ALS, grid best (oracle)", "seconds": fit_seconds,
                 "ndcg": peer, "settings": f"regularization {params['regularization']:g}, alpha {params['alpha']:g}"
                                           f"{', log1p' if train.kind == 'implicit' else ''} (of 30)"})
    for row in rows[1:3]:
        row["gap"] = row["ndcg"] - peer
    if data.kind == "explicit":
        rows += gradient_descent_rows(label, train, test, budget / 2)
    return rows


def gradient_descent_rows(label: str, train, test, budget: float) -> list[dict]:
    import embedviz as ev
    from embedviz.analysis.evaluation import evaluate

    defaults = ev.GradientDescentMF(random_state=0).fit(train)
    tuned = ev.tune(train, "GradientDescentMF", budget_s=budget, random_state=0)
    best = {k: tuned.best_params[k] for k in ("factors", "learning_rate", "regularization")}
    return [{"data": label, "model": "embedviz GradientDescentMF() defaults",
             "rmse": evaluate(defaults, train, test)["rmse"]},
            {"data": label, "model": f"embedviz tune(GradientDescentMF, {budget:g} s)", "seconds": tuned.seconds,
             "rmse": evaluate(tuned.best_model, train, test)["rmse"],
             "settings": f"{len(tuned.trials)} trials; " + ", ".join(f"{k} {v:.3g}" for k, v in best.items())}]


def table(rows: list[dict]) -> str:
    lines = ["| data (split) | model | held-out NDCG@10 | vs implicit best | held-out RMSE | seconds | settings |",
             "|---|---|---:|---:|---:|---:|---|"]
    for row in rows:
        ndcg = f"{row['ndcg']:.4f}" if "ndcg" in row else ""
        gap = f"{row['gap']:+.4f}" if "gap" in row else ""
        rmse = f"{row['rmse']:.4f}" if "rmse" in row else ""
        seconds = f"{row['seconds']:.1f}" if "seconds" in row else ""
        lines.append(f"| {row['data']} | {row['model']} | {ndcg} | {gap} | {rmse} | {seconds} | "
                     f"{row.get('settings', '')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=110.0,
                        help="seconds for each WALS tuning run, final refit included (default 110)")
    parser.add_argument("--datasets", default="ml-latest-small,lastfm-like")
    args = parser.parse_args()
    from embedviz.models import warmup

    warmup()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.datasets.split(","):
            if name == "ml-latest-small" and not ML_SMALL.exists():
                print(f"  skipping ml-latest-small: {ML_SMALL} not found", file=sys.stderr)
                continue
            rows += run_dataset(name, args.budget, Path(folder))
    print(table(rows))
    print(f"\nWhole run {time.perf_counter() - started:.0f} s; load average {load_before:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end (2 cores).")


if __name__ == "__main__":
    main()
