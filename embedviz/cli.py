"""Command line for data too big to upload through the browser.

    python -m embedviz train ratings.csv --items movies.csv --out model.npz
    python -m embedviz tune ratings.csv --budget 60 --out tuned.npz
    python -m embedviz recommend model.npz --user 42 -k 10
    python -m embedviz export model.npz --what items --out item_embeddings.parquet
    python -m embedviz train ratings.parquet --engine spark --master spark://host:7077 --out model_dir/
    python -m embedviz explore vectors.parquet --metadata items.tsv --port 8501

A model file written by ``train`` opens in the app (Recommend page → Save · load · export).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from embedviz.errors import DataError
from embedviz.models.registry import MODELS, Param, model_spec

EXPORTS = ("items", "users", "recommendations")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m embedviz", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model on an interactions file and save it")
    train.add_argument("interactions", type=str,
                       help="file (with --engine spark: a file, folder, glob or URI Spark reads)")
    train.add_argument("--items", type=Path, help="item metadata file (titles, genres)")
    train.add_argument("--model", choices=[spec.cli_name for spec in MODELS.values()],
                       default=next(iter(MODELS.values())).cli_name)
    train.add_argument("--iterations", type=int, help="training steps: " + ", ".join(
        f"{spec.steps_param} of {spec.cli_name}" for spec in MODELS.values()))
    _add_model_parameters(train)
    train.add_argument("--out", type=str, required=True,
                       help="model file to write (.npz); with --engine spark an output folder or URI")
    train.add_argument("--engine", choices=("local", "spark"), default="local",
                       help="spark: Spark MLlib's ALS with the WALS parameters translated (docs/scale.md)")
    train.add_argument("--master", help="Spark master URL (--engine spark; default local[*])")
    train.add_argument("--conf", action="append", metavar="KEY=VALUE", help="Spark setting, repeatable")

    tune = commands.add_parser("tune", help="search a model's parameters within a time budget (embedviz.tune)")
    tune.add_argument("interactions", type=Path)
    tune.add_argument("--items", type=Path, help="item metadata file (titles, genres), kept in the saved model")
    tune.add_argument("--model", choices=[spec.cli_name for spec in MODELS.values()],
                      default=next(iter(MODELS.values())).cli_name)
    tune.add_argument("--budget", type=float, default=60.0, help="seconds for the whole search (default 60)")
    tune.add_argument("--max-trials", type=int, help="stop after this many trials")
    tune.add_argument("--seed", type=int, default=0, help="seed of the search and every fit (default 0)")
    tune.add_argument("--out", type=Path, help="save the tuned model (.npz), like `train --out`")

    recommend = commands.add_parser("recommend", help="top-k recommendations for one user")
    recommend.add_argument("model", type=Path, help="a .npz model, or a --engine spark output folder / .zip")
    recommend.add_argument("--user", required=True, help="user id as in the data")
    recommend.add_argument("-k", type=int, default=10)

    export = commands.add_parser("export", help="export embeddings or everyone's recommendations")
    export.add_argument("model", type=Path, help="a .npz model, or a --engine spark output folder / .zip")
    export.add_argument("--what", choices=EXPORTS, default="items")
    export.add_argument("--out", type=Path, required=True, help=".csv or .parquet")
    export.add_argument("-k", type=int, default=10)

    explore = commands.add_parser("explore", help="open a vector file on the server and start the app with it")
    explore.add_argument("vectors", type=Path, help=".parquet, .npy, .npz, Projector vectors.tsv, or a folder "
                                                     "(Projector pair or Spark factors)")
    explore.add_argument("--metadata", type=Path, help="one row per vector (Projector metadata.tsv rules)")
    explore.add_argument("--port", type=int, default=8501)
    explore.add_argument("--address", help="interface to listen on (Streamlit's default: all)")
    explore.add_argument("--data-dir", type=Path, help="also let visitors open files inside this folder "
                                                        "(off unless given, or EMBEDVIZ_DATA_DIR is set)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        commands = {"train": train, "tune": tune, "recommend": recommend, "export": export, "explore": explore}
        return commands[args.command](args)
    except (DataError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _add_model_parameters(parser: argparse.ArgumentParser) -> None:
    """One option per registered model parameter (defaults: the registry's, per model)."""
    seen: dict[str, list[tuple[str, Param]]] = {}
    for spec in MODELS.values():
        for param in spec.params:
            if param.name != spec.steps_param:      # set with --iterations
                seen.setdefault(param.name, []).append((spec.cli_name, param))
    defaults = {spec.cli_name: spec.defaults() for spec in MODELS.values()}
    for name, uses in seen.items():
        flag = "--seed" if name == "random_state" else "--" + name.replace("_", "-")
        shown = ", ".join(f"{defaults[model][name]} ({model})" for model, _ in uses)
        param = uses[0][1]
        kinds: dict[str, Callable[[str], object]] = {"int": int, "float": float, "auto_float": _float_or_auto}
        kind = kinds.get(param.kind, str)
        parser.add_argument(flag, dest=name, type=kind, choices=param.choices or None,
                            help=f"{param.label}; default {shown}")


def _float_or_auto(text: str):
    return text if text == "auto" else float(text)


def model_params(args: argparse.Namespace) -> tuple[str, dict]:
    """(registry name, parameters) chosen on the command line, on top of the registry defaults."""
    spec = model_spec(args.model)
    params = spec.defaults()
    if args.iterations is not None:
        params[spec.steps_param] = args.iterations
    others = {p.name for other in MODELS.values() for p in other.params} - set(params)
    given_elsewhere = [name for name in others if getattr(args, name, None) is not None]
    if given_elsewhere:
        raise ValueError(f"--{given_elsewhere[0].replace('_', '-')} does not apply to --model {args.model}")
    params.update({name: getattr(args, name) for name in params
                   if name != spec.steps_param and getattr(args, name, None) is not None})
    return spec.name, params


def train(args) -> int:
    if args.engine == "spark":
        from embedviz.spark import command

        return command.train(args)
    if args.master or args.conf:
        raise DataError("--master and --conf need --engine spark")
    args.interactions, args.out = Path(args.interactions), Path(args.out)
    import embedviz as ev
    from embedviz import workflows
    from embedviz.data.metadata import align_metadata
    from embedviz.data.session_io import save_session

    # Local files: no upload or memory limit (those protect the server from its visitors).
    data = ev.load_interactions(args.interactions, max_bytes=None)
    meta = ev.load_item_metadata(args.items, max_bytes=None) if args.items else None
    items = align_metadata(meta if meta is not None else _empty_meta(), data.item_ids)
    print(f"{args.interactions.name}: {data.n_users:,} users, {data.n_items:,} items, "
          f"{data.nnz:,} interactions ({data.kind})", flush=True)
    name, params = model_params(args)
    result = workflows.train_and_evaluate(data, name, params,
                                          callback=_progress(MODELS[name].steps(params)))
    print(f"trained in {result.seconds:.1f} s (fit only)", flush=True)
    reason = getattr(result.model, "confidence_reason_", None)
    if reason:
        print(reason, flush=True)
    print("held-out: " + ", ".join(
        f"{k} {v:.4f}" + (f" (popularity {result.baseline_metrics[k]:.4f})"
                          if k in result.baseline_metrics else "")
        for k, v in result.metrics.items() if k.startswith(("ndcg", "recall", "rmse"))))
    save_session(args.out, result.model, data, items, args.interactions.name)
    print(f"saved {args.out} — open it in the app on the Recommend page")
    return 0


def tune(args) -> int:
    import embedviz as ev
    from embedviz import workflows
    from embedviz.data.metadata import align_metadata
    from embedviz.data.session_io import save_session

    data = ev.load_interactions(args.interactions)
    meta = ev.load_item_metadata(args.items) if args.items else None
    spec = model_spec(args.model)
    print(f"{args.interactions.name}: {data.n_users:,} users, {data.n_items:,} items, {data.nnz:,} interactions "
          f"({data.kind}); tuning {spec.label} for {args.budget:g} s on 80 % of each user's interactions "
          "(the other 20 % are kept for the final check)", flush=True)

    def report(progress) -> bool:
        row = progress.row
        print(f"  trial {progress.trial} of ~{progress.planned}: {row['stage']:<8} "
              f"{spec.metric} {row['score']:.4f} (best {progress.best_score:.4f}) "
              f"fit {row['fit seconds']:.1f} s", flush=True)
        return True

    result, evaluated = workflows.tune_and_evaluate(data, spec.name, args.budget, random_state=args.seed,
                                                    callback=report, max_trials=args.max_trials)
    print("\n".join(result.notes))
    print(f"validation {result.metric}: defaults {result.default_score:.4f}, tuned {result.best_score:.4f}")
    shown = {p.name: result.best_params[p.name] for p in spec.params}
    print("best parameters: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                          for k, v in shown.items()))
    print("held-out (never seen by the search): " + ", ".join(
        f"{k} {v:.4f}" + (f" (popularity {evaluated.baseline_metrics[k]:.4f})" if k in evaluated.baseline_metrics
                          else "")
        for k, v in evaluated.metrics.items() if k.startswith(("ndcg", "recall", "rmse"))))
    if args.out:
        items = align_metadata(meta if meta is not None else _empty_meta(), data.item_ids)
        save_session(args.out, result.best_model, data, items, args.interactions.name)
        print(f"saved {args.out} (the tuned model refitted on the training split)")
    return 0


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
    from embedviz.analysis.recommendations import recommendation_frame
    model, data, items, _ = _open_model(args.model)
    try:
        user = data.user_index(_typed(args.user, data.user_ids))
    except KeyError:
        raise DataError(f"user {args.user!r} is not in {args.model.name}") from None
    frame = recommendation_frame(model, user, items, k=args.k)
    print(frame.to_string(index=False))
    return 0


def export(args) -> int:
    from embedviz.analysis.recommendations import all_recommendations
    from embedviz.data.export import embeddings_frame, safe_text_frame
    model, data, items, _ = _open_model(args.model)
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


def _open_model(path: Path):
    """A saved session (.npz), or the output folder (or .zip) of ``train --engine spark``."""
    if path.is_dir() or path.suffix.lower() == ".zip":
        from embedviz.spark.bundle import open_spark_output

        return open_spark_output(path)
    from embedviz.data.session_io import load_session

    return load_session(path, max_bytes=None)   # a local file the user named: no upload cap


def _typed(text: str, ids):
    """A command-line id as the same type as the data's ids."""
    return int(text) if ids.dtype.kind in "iu" and text.lstrip("-").isdigit() else text


def explore(args) -> int:
    """Replace this process with the app's launcher, which opens the file before serving."""
    import os

    if not args.vectors.exists():
        raise DataError(f"{args.vectors}: no such file or folder")
    command = explore_command(args)
    os.execv(command[0], command)
    return 0     # not reached


def explore_command(args) -> list[str]:
    """The launcher command for ``explore``: ``python -m embedviz.dashboard.serve --open FILE ...``."""
    command = [sys.executable, "-m", "embedviz.dashboard.serve", "--open", str(args.vectors)]
    if args.metadata is not None:
        command += ["--metadata", str(args.metadata)]
    if args.data_dir is not None:
        command += ["--data-dir", str(args.data_dir)]
    command.append(f"--server.port={args.port}")
    return command + ([f"--server.address={args.address}"] if args.address else [])
