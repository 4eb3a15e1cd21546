"""Cached and background computations the pages call: one call per piece of work.

Demo data and the demo's default model are public, so they are cached process-wide
(`st.cache_resource`) and warmed in a background thread when the server process
first imports this module. Everything derived from a visitor's own upload is kept
on that visitor's records (session state), never in a process-wide cache.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import embedviz as ev
from embedviz.dashboard import workers
from embedviz.dashboard.jobs import Job
from embedviz.dashboard.records import Dataset, Space, TrainedModel, digest_bytes

DEMO_MODEL_PARAMS = {"factors": 32, "regularization": 10.0, "unobserved_weight": 0.5, "iterations": 15, "random_state": 0}
EVAL_K = 10
CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache"


def _process_wide(function):
    """Compute once per server process, thread-safe (the warm-up thread and pages may race)."""
    lock, result = threading.Lock(), []

    def once():
        with lock:
            if not result:
                result.append(function())
            return result[0]

    once.__doc__ = function.__doc__
    return once


@_process_wide
def demo_dataset() -> Dataset:
    """The embedded demo data set with its item metadata (public, shared by all sessions)."""
    from embedviz.datasets import DEMO_ITEMS, DEMO_RATINGS, load_demo
    from embedviz.loaders import align_metadata

    data, meta = load_demo()
    digest = digest_bytes(DEMO_RATINGS.read_bytes(), DEMO_ITEMS.read_bytes())
    return Dataset("Demo: films (generated)", data, align_metadata(meta, data.item_ids), digest, is_demo=True)


@_process_wide
def demo_model() -> TrainedModel:
    """The demo's default WALS model, so every page works with zero clicks.

    Training is deterministic, so the fitted model is kept on disk (``.cache/``, written by
    ``make run``'s warm-up or the first visit) and a fresh server loads it in milliseconds.
    """
    data = demo_dataset()
    path = CACHE_DIR / f"demo-model-{data.digest}-{digest_bytes(repr(sorted(DEMO_MODEL_PARAMS.items())).encode())}.npz"
    try:
        return _load_trained(path, data)
    except (OSError, ValueError, KeyError):
        trained = train_and_evaluate(data, "WALS", dict(DEMO_MODEL_PARAMS), name="WALS (demo default)")
        _save_trained(path, trained)
        return trained


def _save_trained(path: Path, trained: TrainedModel) -> None:
    """Write atomically (parallel test workers may race) the model and its scores."""
    path.parent.mkdir(exist_ok=True)
    scores = json.dumps({"metrics": trained.metrics, "baseline": trained.baseline_metrics,
                         "seconds": trained.seconds, "params": trained.params, "name": trained.name})
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    with open(partial, "wb") as handle:
        trained.model.save(handle, scores=np.array(scores))
    os.replace(partial, path)


def _load_trained(path: Path, data: Dataset) -> TrainedModel:
    from embedviz.models.base import load_model

    model = load_model(path)
    scores = json.loads(str(model.extras_["scores"]))
    train, test = evaluation_split(data.interactions)
    return TrainedModel(name=scores["name"], model=model, params=scores["params"], dataset_digest=data.digest,
                        seconds=scores["seconds"], metrics=scores["metrics"], baseline_metrics=scores["baseline"],
                        train=train, test=test)


def evaluation_split(interactions):
    """The evaluation split every model of a data set is trained and scored on (deterministic)."""
    by = "time" if interactions.timestamps is not None else "user"
    return ev.split(interactions, test_fraction=0.2, by=by, seed=0)


def train_and_evaluate(data: Dataset, model_name: str, params: dict, *, name: str, job: Job | None = None) -> TrainedModel:
    """Split, fit (reporting to ``job``), evaluate next to the popularity baseline."""
    from embedviz.model_choices import MODELS

    model = MODELS[model_name].cls(**params)
    train, test = evaluation_split(data.interactions)

    def report(iteration: int, losses: dict) -> bool:
        return True if job is None else job.update(iteration + 1, {"iteration": iteration + 1, **losses})

    start = time.perf_counter()
    model.fit(train, callback=report)
    seconds = time.perf_counter() - start
    baseline = ev.PopularityBaseline().fit(train)
    return TrainedModel(
        name=name, model=model, params={"model": model_name, **params}, dataset_digest=data.digest,
        seconds=seconds, metrics=ev.evaluate(model, train, test, k=EVAL_K),
        baseline_metrics=ev.evaluate(baseline, train, test, k=EVAL_K), train=train, test=test,
    )


def start_training(data: Dataset, model_name: str, params: dict, name: str) -> Job:
    """Train in a background thread; the page polls the returned job."""
    total = int(params.get("iterations", params.get("epochs", 1)))
    return Job(name, lambda job: train_and_evaluate(data, model_name, params, name=name, job=job), total=total)


# ---------------------------------------------------------------- spaces and layouts

SPACES = ("Items", "Users", "Items and users")


def model_space(data: Dataset, trained: TrainedModel, which: str = "Items") -> Space:
    """The items, users or both of a trained model as an explorable `Space` (built once)."""
    cache = trained.derived
    key = ("space", which)
    with _LOCK:
        if key not in cache:
            cache[key] = _build_model_space(data, trained, which)
    return cache[key]


def _build_model_space(data: Dataset, trained: TrainedModel, which: str) -> Space:
    model, matrix = trained.model, data.interactions
    items = data.items.reset_index(drop=True)
    users = pd.DataFrame({"title": [f"user {u}" for u in matrix.user_ids], "genres": [[] for _ in matrix.user_ids]})
    parts = {"Items": [(model.item_factors_, items, matrix.item_popularity(), False, matrix.item_ids)],
             "Users": [(model.user_factors_, users, matrix.user_activity(), True, matrix.user_ids)]}
    parts["Items and users"] = parts["Items"] + parts["Users"]
    chosen = parts[which]
    return Space(
        name=f"{trained.name} · {which.lower()}",
        vectors=np.vstack([p[0] for p in chosen]).astype(np.float32),
        table=pd.concat([p[1] for p in chosen], ignore_index=True),
        popularity=np.concatenate([p[2] for p in chosen]),
        is_user=np.concatenate([np.full(len(p[0]), p[3]) for p in chosen]),
        ids=np.concatenate([np.asarray(p[4], dtype=object) for p in chosen]),
    )


def pca_layout(space: Space, dims: int) -> np.ndarray:
    """Instant layout shown while UMAP computes."""
    key = ("pca", dims)
    if key not in space.derived:
        space.derived[key] = ev.project(space.vectors, method="pca", n_components=dims)
    return space.derived[key]


def umap_job(space: Space, dims: int) -> Job:
    """UMAP layout computed in the worker process, started once per (space, dims)."""
    key = ("umap", dims)
    with _LOCK:
        if key not in space.derived:
            vectors = space.vectors
            space.derived[key] = Job(f"UMAP {dims}-D", lambda job: workers.run(
                ev.project, vectors, method="umap", n_components=dims, random_state=0))
    return space.derived[key]


def current_layout(space: Space) -> np.ndarray:
    """The Explore page's 2-D layout: UMAP when it is ready, PCA until then."""
    job = umap_job(space, 2)
    return job.result if job.status == "finished" else pca_layout(space, 2)


def cluster_labels(space: Space, n_clusters: int) -> tuple[np.ndarray, dict[int, str]]:
    """k-means clusters of the space and a readable name for each (from genres or titles)."""
    from embedviz.clustering import cluster_embeddings, label_clusters

    key = ("clusters", n_clusters)
    if key not in space.derived:
        labels = cluster_embeddings(space.vectors, n_clusters=n_clusters, random_state=0)
        genres = space.table["genres"].tolist() if "genres" in space.table else None
        names = label_clusters(labels, genres=genres, titles=space.titles, popularity=space.popularity)
        space.derived[key] = (labels, names)
    return space.derived[key]


def neighbour_index(space: Space, normalised: bool = False):
    """Exact (or, for huge catalogues, approximate) neighbour index, built once per space.

    ``normalised`` indexes the vectors scaled to unit length (cosine and euclidean then agree).
    """
    from embedviz.neighbours import NeighbourIndex

    key = ("neighbours", normalised)
    with _LOCK:
        if key not in space.derived:
            vectors = space.vectors
            if normalised:
                vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            space.derived[key] = NeighbourIndex(vectors.astype(np.float32))
    return space.derived[key]


_LOCK = threading.RLock()


# ---------------------------------------------------------------- warm-up

@_process_wide
def warm_up_now() -> None:
    """Do now what the first page view would otherwise wait for (the launcher calls this before serving).

    Starts the UMAP worker process first (it imports umap on the other core), then, here: the demo
    data and model, the demo layout (PCA now, UMAP queued in the worker) and plotly's figure code.
    """
    workers.start()
    space = model_space(demo_dataset(), demo_model(), "Items")
    xy = pca_layout(space, 2)
    umap_job(space, 2)
    from embedviz import plots

    plots.warm_up(xy)


def _warm_in_background() -> None:
    def work():
        try:
            warm_up_now()
        except Exception:  # the pages report problems when they hit them themselves
            import traceback

            traceback.print_exc()

    threading.Thread(target=work, daemon=True, name="embedviz-warm").start()


warm_up = _process_wide(_warm_in_background)
warm_up.__doc__ = "Start the one-off background warm-up (idempotent; called by every page)."
