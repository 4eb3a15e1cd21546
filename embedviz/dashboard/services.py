"""Cached and background computations the pages call: one call per piece of work.

Demo data and the demo's default model are public, so they are cached process-wide
(once per server process) and warmed in a background thread when the server process
first imports this module. Everything derived from a visitor's own upload is kept
on that visitor's records (session state), never in a process-wide cache.
"""
from __future__ import annotations

import functools
import threading

import numpy as np
import pandas as pd

from embedviz import workflows
from embedviz.analysis.metrics import normalise_rows
from embedviz.dashboard import workers
from embedviz.dashboard.jobs import Job
from embedviz.dashboard.records import Dataset, Space, TrainedModel
from embedviz.data.sources import digest_bytes
from embedviz.models.registry import model_spec


def _once(function):
    """``functools.cache`` for a no-argument function, thread-safe: the warm-up thread and the
    first pages may ask at once, and the work must run once."""
    lock, cached = threading.Lock(), functools.cache(function)

    @functools.wraps(function)
    def call():
        with lock:
            return cached()

    return call


@_once
def demo_dataset() -> Dataset:
    """The embedded demo data set with its item metadata (public, shared by all sessions)."""
    from embedviz.data.datasets import DEMO_ITEMS, DEMO_RATINGS, load_demo
    from embedviz.data.metadata import align_metadata, metadata_report

    data, meta = load_demo()
    digest = digest_bytes(DEMO_RATINGS.read_bytes(), DEMO_ITEMS.read_bytes())
    items = align_metadata(meta, data.item_ids)
    return Dataset("Demo: films (generated)", data, items, digest, is_demo=True,
                   meta_report=metadata_report(meta, items))


@_once
def demo_model() -> TrainedModel:
    """The demo's default model, so every page works with zero clicks.

    Training is deterministic, so the fitted model is kept in the cache folder (written by
    ``make run``'s warm-up or the first visit) and a fresh server loads it in milliseconds.
    """
    data = demo_dataset()
    result = workflows.demo_evaluation(data.interactions)
    return trained_model(result, data, name=f"{workflows.DEMO_MODEL} (demo default)")


def trained_model(result: workflows.Evaluated, data: Dataset, *, name: str) -> TrainedModel:
    """A workflow's result as the record the pages keep."""
    return TrainedModel(name=name, model=result.model, params=result.params, dataset_digest=data.digest,
                        seconds=result.seconds, metrics=result.metrics,
                        baseline_metrics=result.baseline_metrics, train=result.train, test=result.test,
                        warnings=list(result.warnings))


def start_training(data: Dataset, model_name: str, params: dict, name: str) -> Job:
    """Train in a background thread; the page polls the returned job."""
    spec = model_spec(model_name)

    def work(job: Job) -> TrainedModel:
        def report(iteration: int, losses: dict) -> bool:
            return job.update(iteration + 1, {"iteration": iteration + 1, **losses})

        result = workflows.train_and_evaluate(data.interactions, spec.name, params, callback=report)
        return trained_model(result, data, name=name)

    job = Job(name, work, total=spec.steps(params), unit=spec.step_unit)
    job.model = spec.name
    return job


def start_tuning(data: Dataset, model_name: str, budget_s: float, name: str, random_state: int = 0) -> Job:
    """Tune in a background thread (`embedviz.tune` on the training split); the page polls the job.

    The job's result is ``(TuneResult, TrainedModel)``: the search, and the tuned model scored on
    the held-out split like any trained model.
    """
    spec = model_spec(model_name)

    def work(job: Job):
        def report(progress) -> bool:
            job.set_total(max(progress.planned, progress.trial))
            return job.update(progress.trial, {"row": progress.row, "best": progress.best_score})

        result, evaluated = workflows.tune_and_evaluate(data.interactions, spec.name, budget_s,
                                                        random_state=random_state, callback=report)
        return result, trained_model(evaluated, data, name=name)

    job = Job(name, work, total=max(1, int(budget_s)), unit="trial", cancel_finishes=True)
    job.model = spec.name
    return job


# ---------------------------------------------------------------- spaces and layouts

SPACES = ("Items", "Users", "Items and users")


def model_space(data: Dataset, trained: TrainedModel, which: str = "Items") -> Space:
    """The items, users or both of a trained model as an explorable `Space` (built once)."""
    return trained.derived.get_or_build(("space", which), lambda: _build_model_space(data, trained, which))


def _build_model_space(data: Dataset, trained: TrainedModel, which: str) -> Space:
    model, matrix = trained.model, data.interactions
    # What the vectors were learned from: the training split (the held-out interactions taught nothing).
    learned = trained.train if trained.train is not None else matrix
    items = data.items.reset_index(drop=True)
    users = pd.DataFrame({"title": [f"user {u}" for u in matrix.user_ids], "genres": [[] for _ in matrix.user_ids]})
    parts = {"Items": [(model.item_factors_, items, matrix.item_popularity(), False, matrix.item_ids,
                        learned.item_popularity())],
             "Users": [(model.user_factors_, users, matrix.user_activity(), True, matrix.user_ids,
                        learned.user_activity())]}
    parts["Items and users"] = parts["Items"] + parts["Users"]
    chosen = parts[which]
    return Space(
        name=f"{trained.name} · {which.lower()}",
        vectors=np.vstack([p[0] for p in chosen]).astype(np.float32),
        table=pd.concat([p[1] for p in chosen], ignore_index=True),
        popularity=np.concatenate([p[2] for p in chosen]),
        is_user=np.concatenate([np.full(len(p[0]), p[3]) for p in chosen]),
        ids=np.concatenate([np.asarray(p[4], dtype=object) for p in chosen]),
        evidence=np.concatenate([p[5] for p in chosen]),
    )


def current_layout(space: Space) -> np.ndarray:
    """Every row's position on the Explore page's default map, shape (n, 2): the layout of the
    rows with enough interactions (PCA until UMAP is ready), the others placed among their
    nearest laid-out neighbours."""
    from embedviz.dashboard import maps

    return maps.full_positions(space, maps.default_request(space))


def cluster_labels(space: Space, n_clusters: int) -> tuple[np.ndarray, dict[int, str]]:
    """Every row's cluster on the default map and a name per cluster (see `maps.clusters`)."""
    from embedviz.dashboard import maps

    return maps.clusters(space, maps.default_request(space).min_count, n_clusters)


def layout_running(space: Space) -> bool:
    """True while the default map's UMAP layout is still being computed (pages poll meanwhile)."""
    from embedviz.dashboard import maps

    return maps.layout_job(space, maps.default_request(space)).running


def neighbour_index(space: Space, normalised: bool = False):
    """Exact (or, for huge catalogues, approximate) neighbour index, built once per space.

    ``normalised`` indexes the vectors scaled to unit length (cosine and euclidean then agree).
    """
    from embedviz.analysis.neighbours import NeighbourIndex

    def build() -> NeighbourIndex:
        vectors = normalise_rows(space.vectors) if normalised else space.vectors
        return NeighbourIndex(vectors.astype(np.float32))

    return space.derived.get_or_build(("neighbours", normalised), build)


# ---------------------------------------------------------------- warm-up

@_once
def warm_up_now() -> None:
    """Do now what the first page view would otherwise wait for (the launcher calls this before serving).

    Starts the UMAP worker process first (it imports umap on the other core), then, here: the demo
    data and model, the demo map (PCA now, UMAP queued in the worker, clusters in a thread) and plotly's
    figure code.
    """
    from embedviz.dashboard import maps
    from embedviz.viz import plots

    workers.start()
    space = model_space(demo_dataset(), demo_model(), "Items")
    request = maps.default_request(space)
    maps.layout_job(space, request)
    plots.warm_up(maps.placeholder(space, request).xy)
    # The clusters' count is chosen from the data (~1 CPU s): after serving starts, in a thread; a first
    # visitor who asks sooner waits for this same build (DerivedCache).
    threading.Thread(target=maps.clusters, args=(space, request.min_count, maps.AUTO), daemon=True,
                     name="embedviz-warm-clusters").start()


def _warm_in_background() -> None:
    def work():
        try:
            warm_up_now()
        except Exception:  # the pages report problems when they hit them themselves
            import traceback

            traceback.print_exc()

    threading.Thread(target=work, daemon=True, name="embedviz-warm").start()


warm_up = _once(_warm_in_background)
warm_up.__doc__ = "Start the one-off background warm-up (idempotent; called by every page)."
