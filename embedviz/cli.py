"""Command line for data too big to upload through the browser.

    python -m embedviz train ratings.csv --items movies.csv --out model.npz
    python -m embedviz recommend model.npz --user 42 -k 10
    python -m embedviz export model.npz --what items --out item_embeddings.parquet

A model file written by ``train`` opens in the app (Recommend page → Save · load · export).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from embedviz.errors import DataError
from embedviz.model_choices import MODELS

MODEL_NAMES = {"wals": "WALS", "sgd": "GradientDescentMF"}
EXPORTS = ("items", "users", "recommendations")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m embedviz", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model on an interactions file and save it")
    train.add_argument("interactions", type=Path)
    train.add_argument("--items", type=Path, help="item metadata file (titles, genres)")
    train.add_argument("--model", choices=sorted(MODEL_NAMES), default="wals")
    wals, sgd = MODELS["WALS"].defaults(), MODELS["Gradient-descent MF"].defaults()
    train.add_argument("--factors", type=int, default=wals["factors"])
    train.add_argument("--iterations", type=int, default=wals["iterations"], help="WALS iterations / SGD epochs")
    train.add_argument("--regularization", type=float, help=f"default {wals['regularization']:g} (WALS), "
                       f"{sgd['regularization']:g} (SGD)")
    train.add_argument("--unobserved-weight", type=float, default=wals["unobserved_weight"], help="WALS only")
    train.add_argument("--learning-rate", type=float, default=sgd["learning_rate"], help="SGD only")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", type=Path, required=True, help="model file to write (.npz)")

    recommend = commands.add_parser("recommend", help="top-k recommendations for one user")
    recommend.add_argument("model", type=Path)
    recommend.add_argument("--user", required=True, help="user id as in the data")
    recommend.add_argument("-k", type=int, default=10)

    export = commands.add_parser("export", help="export embeddings or everyone's recommendations")
    export.add_argument("model", type=Path)
    export.add_argument("--what", choices=EXPORTS, default="items")
    export.add_argument("--out", type=Path, required=True, help=".csv or .parquet")
    export.add_argument("-k", type=int, default=10)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"train": train, "recommend": recommend, "export": export}[args.command](args)
    except (DataError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def train(args) -> int:
    import embedviz as ev
    from embedviz.loaders import align_metadata
    from embedviz.session_io import save_session

    data = ev.load_interactions(args.interactions)
    meta = ev.load_item_metadata(args.items) if args.items else None
    items = align_metadata(meta if meta is not None else _empty_meta(), data.item_ids)
    print(f"{args.interactions.name}: {data.n_users:,} users, {data.n_items:,} items, {data.nnz:,} interactions "
          f"({data.kind})", flush=True)
    model = _make_model(args)
    train_part, test = ev.split(data, test_fraction=0.2, by="time" if data.timestamps is not None else "user", seed=0)
    start = time.perf_counter()
    model.fit(train_part, callback=_progress(args.iterations))
    print(f"trained in {time.perf_counter() - start:.1f} s", flush=True)
    scores = ev.evaluate(model, train_part, test, k=10)
    baseline = ev.evaluate(ev.PopularityBaseline().fit(train_part), train_part, test, k=10)
    print("held-out: " + ", ".join(
        f"{k} {v:.4f}" + (f" (popularity {baseline[k]:.4f})" if k in baseline else "")
        for k, v in scores.items() if k.startswith(("ndcg", "recall", "rmse"))))
    save_session(args.out, model, data, items, args.interactions.name)
    print(f"saved {args.out} — open it in the app on the Recommend page")
    return 0


def _make_model(args):
    """The chosen model with the app's defaults (embedviz.model_choices) and the given options."""
    choice = MODELS["WALS" if args.model == "wals" else "Gradient-descent MF"]
    params = {**choice.defaults(), "factors": args.factors, "random_state": args.seed}
    if args.regularization is not None:
        params["regularization"] = args.regularization
    if args.model == "wals":
        params.update(iterations=args.iterations, unobserved_weight=args.unobserved_weight)
    else:
        params.update(epochs=args.iterations, learning_rate=args.learning_rate)
    return choice.cls(**params)


def _progress(total: int):
    def report(iteration: int, losses: dict) -> bool:
        shown = ", ".join(f"{k} {v:.4g}" for k, v in losses.items() if isinstance(v, float))
        print(f"  iteration {iteration + 1}/{total}: {shown}", flush=True)
        return True

    return report


def _empty_meta():
    import pandas as pd

    return pd.DataFrame(index=pd.Index([], name="item_id"))


def recommend(args) -> int:
    from embedviz.recommendations import recommendation_frame
    from embedviz.session_io import load_session

    model, data, items, _ = load_session(args.model)
    try:
        user = data.user_index(_typed(args.user, data.user_ids))
    except KeyError:
        raise DataError(f"user {args.user!r} is not in {args.model.name}") from None
    frame = recommendation_frame(model, user, items, k=args.k)
    print(frame.to_string(index=False))
    return 0


def export(args) -> int:
    from embedviz.export import embeddings_frame, safe_text_frame
    from embedviz.recommendations import all_recommendations
    from embedviz.session_io import load_session

    model, data, items, _ = load_session(args.model)
    if args.what == "items":
        frame = embeddings_frame(data.item_ids, model.item_factors_, items["title"].to_numpy())
    elif args.what == "users":
        frame = embeddings_frame(data.user_ids, model.user_factors_)
    else:
        frame = all_recommendations(model, data, items, k=args.k)
    if args.out.suffix == ".parquet":
        frame.to_parquet(args.out, index=False)
    else:
        safe_text_frame(frame).to_csv(args.out, index=False)
    print(f"wrote {len(frame):,} rows to {args.out}")
    return 0


def _typed(text: str, ids):
    """A command-line id as the same type as the data's ids."""
    return int(text) if ids.dtype.kind in "iu" and text.lstrip("-").isdigit() else text
