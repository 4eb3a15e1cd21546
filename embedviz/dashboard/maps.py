"""The Explore page's computations on a space, each built once and kept on the space.

Layouts run in the worker process as background jobs with progress; a newer request for the
same space cancels an older one still running. Clusters, placements and facets are cheap and
computed in the page's process. No streamlit calls here, so the pieces are testable.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from embedviz.analysis import maps
from embedviz.analysis.evidence import Threshold, choose_min_count
from embedviz.analysis.projection import ProjectionInfo
from embedviz.dashboard import workers
from embedviz.dashboard.jobs import Job
from embedviz.dashboard.records import Space

# Share of a layout job's progress bar per stage: (start, width).
_STAGES = {"neighbours": (0.0, 0.25), "layout": (0.25, 0.65), "transform": (0.9, 0.05),
           "preservation": (0.95, 0.05), "done": (1.0, 0.0)}
# Rows per second of the last finished UMAP layout in this process (for a first estimate);
# the start value is this machine's 20k rows in ~7 s on two quiet cores.
_rate = {"umap": 3_000.0}


@dataclass(frozen=True)
class LayoutRequest:
    """What to lay out and how: the cache key of a layout."""

    method: str = "umap"          # "umap" | "pca"
    dims: int = 2
    min_count: int = 0            # rows with fewer interactions are left out
    seeded: bool = False          # reproducible (single-threaded UMAP)


def evidence(space: Space) -> np.ndarray:
    """Interactions each vector was learned from (the training split for a model's vectors)."""
    return space.popularity if space.evidence is None else space.evidence


def evidence_unit(space: Space) -> str:
    """How the page names `evidence`."""
    return "interactions" if space.evidence is None else "training interactions"


def threshold(space: Space) -> Threshold:
    """The interaction count from which the space's vectors are laid out by default."""
    return space.derived.get_or_build("threshold", lambda: choose_min_count(evidence(space)))


def default_request(space: Space) -> LayoutRequest:
    """The map the Explore page opens with: 2-D UMAP of the rows above the data's threshold."""
    return LayoutRequest("umap", 2, threshold(space).min_count, False)


def full_positions(space: Space, request: LayoutRequest) -> np.ndarray:
    """Every row's position, shape (n, dims): laid out, or placed among its nearest laid-out rows."""
    layout, _ = current_layout(space, request)
    xy = np.empty((len(space.vectors), request.dims), np.float32)
    xy[layout.rows] = layout.xy
    if len(layout.rows) < len(space.vectors):
        rest, rest_xy = placed_rows(space, layout, request)
        xy[rest] = rest_xy
    return xy


def laid_rows(space: Space, min_count: int) -> np.ndarray:
    """Rows with at least ``min_count`` interactions to learn from (all rows when counts are unknown)."""
    counts = evidence(space)
    if min_count <= 0 or not np.any(counts > 0):
        return np.arange(len(space.vectors))
    return np.flatnonzero(counts >= min_count)


def layout_job(space: Space, request: LayoutRequest) -> Job:
    """The layout for ``request`` as a background job in the worker (started once; restarted when
    an earlier attempt failed or was cancelled). Other running layouts of the space are cancelled."""
    key = ("map", request)
    existing = space.derived.get(key)
    if existing is not None and existing.status in ("failed", "cancelled"):
        space.derived.discard(key)
    for other_key, other in space.derived.items():
        if isinstance(other_key, tuple) and other_key[:1] == ("map",) and other_key != key \
                and isinstance(other, Job) and other.running:
            other.cancel()
    return space.derived.get_or_build(key, lambda: _start(space, request))


def _start(space: Space, request: LayoutRequest) -> Job:
    rows = laid_rows(space, request.min_count)
    vectors = space.vectors

    def work(job: Job) -> maps.MapLayout | None:
        def progress(stage: str, fraction: float) -> None:
            start, width = _STAGES.get(stage, (0.0, 0.0))
            job.update(int(1000 * (start + width * fraction)), {"stage": stage, "seconds": job.elapsed})

        try:
            result = workers.run(maps.lay_out, vectors, rows, method=request.method, n_components=request.dims,
                                 random_state=0 if request.seeded else None, progress=progress,
                                 cancelled=lambda: job.cancelled)
        except workers.Cancelled:
            return None          # the job's status becomes "cancelled"
        progress("done", 1.0)    # a fast layout may end before its progress was read
        if request.method == "umap" and not request.seeded and result.info.method == "umap":
            _rate["umap"] = len(rows) / max(result.seconds, 1e-3)
        return result

    return Job(f"{request.method.upper()} layout of {len(rows):,} points", work, total=1000, unit="‰",
               size=len(rows))


def estimate_seconds_left(job: Job) -> float | None:
    """Seconds until ``job`` finishes: from its progress once the layout runs, else from the
    speed of the last layout (None when nothing to go on)."""
    if not job.running:
        return 0.0
    fraction = job.fraction
    if fraction >= _STAGES["layout"][0] + 0.05:
        return job.elapsed * (1 - fraction) / fraction
    rows = job.size
    if not rows:
        return None
    return max(rows / _rate["umap"] - job.elapsed, 1.0)


def stage_of(job: Job) -> str:
    """The stage the job reported last ("starting" before any report)."""
    _, history = job.snapshot()
    return history[-1]["stage"] if history else "starting"


def placeholder(space: Space, request: LayoutRequest) -> maps.MapLayout:
    """An instant PCA layout of the same rows, shown while the requested one is computed."""
    rows = laid_rows(space, request.min_count)

    def build() -> maps.MapLayout:
        from embedviz.analysis.projection import project

        start = time.perf_counter()
        xy = project(space.vectors[rows], method="pca", n_components=request.dims)
        info = ProjectionInfo("pca", None, False, len(rows), False, time.perf_counter() - start,
                              f"PCA layout of {len(rows):,} points (shown while the UMAP layout is computed).")
        return maps.MapLayout(rows, xy, np.full(len(rows), np.nan), maps.PRESERVATION_K, info, info.seconds)

    return space.derived.get_or_build(("pca-placeholder", request.dims, request.min_count), build)


def current_layout(space: Space, request: LayoutRequest) -> tuple[maps.MapLayout, Job]:
    """The requested layout when ready, else the placeholder; and its job."""
    job = layout_job(space, request)
    if job.status == "finished" and job.result is not None:
        return job.result, job
    return placeholder(space, request), job


def placed_rows(space: Space, layout: maps.MapLayout, request: LayoutRequest) -> tuple[np.ndarray, np.ndarray]:
    """(rows, xy) of the rows left out of ``layout``, placed among their nearest laid-out rows."""
    def build() -> tuple[np.ndarray, np.ndarray]:
        rest = np.setdiff1d(np.arange(len(space.vectors)), layout.rows)
        return rest, maps.place_rows(space.vectors, layout, rest)

    return space.derived.get_or_build(("placed", request, layout.info.method), build)


AUTO = 0   # n_clusters meaning "choose from the data"


def auto_n_clusters(space: Space, min_count: int) -> int:
    """The cluster count with the best silhouette on the laid-out rows (built once)."""
    from embedviz.analysis.clustering import choose_n_clusters

    return space.derived.get_or_build(
        ("auto-clusters", min_count), lambda: choose_n_clusters(space.vectors[laid_rows(space, min_count)]))


def clusters(space: Space, min_count: int, n_clusters: int) -> tuple[np.ndarray, dict[int, str]]:
    """k-means clusters of the laid-out rows (the others join the nearest cluster) and their names.

    Computed on the laid-out rows only, so filters never change them; names come from
    over-represented genres/tags, else the most popular titles. ``n_clusters`` `AUTO` chooses
    the count from the data (`auto_n_clusters`).
    """
    from embedviz.analysis.clustering import cluster_embeddings, label_clusters, nearest_cluster

    if n_clusters == AUTO:
        n_clusters = auto_n_clusters(space, min_count)

    def build() -> tuple[np.ndarray, dict[int, str]]:
        rows = laid_rows(space, min_count)
        fitted = cluster_embeddings(space.vectors[rows], n_clusters=n_clusters, random_state=0)
        labels = np.empty(len(space.vectors), np.int64)
        labels[rows] = fitted
        rest = np.setdiff1d(np.arange(len(space.vectors)), rows)
        labels[rest] = nearest_cluster(space.vectors[rows], fitted, space.vectors[rest])
        genres = space.table["genres"].iloc[rows].tolist() if "genres" in space.table else None
        names = label_clusters(fitted, genres=genres, titles=space.titles[rows], popularity=space.popularity[rows])
        return labels, names

    return space.derived.get_or_build(("clusters", min_count, n_clusters), build)


def facets(space: Space, min_count: int, n_clusters: int, show_hidden: bool = False):
    """The linked charts' facets (cluster, popularity, genres/tags, other columns), built once."""
    from embedviz.analysis.facets import table_facets

    if n_clusters == AUTO:
        n_clusters = auto_n_clusters(space, min_count)

    def build():
        labels, names = clusters(space, min_count, n_clusters)
        popularity = space.popularity if np.any(space.popularity > 0) else None
        laid = laid_rows(space, min_count)
        low = None if show_hidden or popularity is None or not len(laid) else float(popularity[laid].min())
        return table_facets(space.table, popularity, [names[c] for c in labels], min_popularity=low)

    return space.derived.get_or_build(("facets", min_count, n_clusters, show_hidden), build)


def colour_choices(space: Space) -> list[str]:
    """What the map can be coloured by, built once per space (it looks at every column and parses
    any column of dates, which every rerun of the page would repeat)."""
    from embedviz.analysis import catalogue

    return space.derived.get_or_build(
        "colour choices", lambda: catalogue.colour_options(space.table, bool(np.any(space.popularity > 0))))


def hover_texts(space: Space, *, people: bool = False) -> np.ndarray:
    """Hover text of every row (built once per space); ``people``: counts read "people", for an audience."""
    from embedviz.analysis import catalogue

    def build() -> np.ndarray:
        texts = catalogue.hover_text(space.table, space.popularity)
        if people:
            texts = [text.replace(" interactions", " people") for text in texts]
        return np.asarray(texts, dtype=object)

    return space.derived.get_or_build(("hover", people), build)


@dataclass(eq=False)
class MapData:
    """Everything the map, the side panel and the table need, aligned to the space's rows.

    ``xy`` and ``preservation`` have one row per space row (NaN where a row is not on the map
    or not measured); ``on_map`` lists the rows with a position; ``placed`` marks those placed by
    their neighbours rather than by the layout.
    """

    layout: maps.MapLayout
    job: Job
    xy: np.ndarray
    preservation: np.ndarray
    on_map: np.ndarray
    placed: np.ndarray
    cluster: np.ndarray
    cluster_names: dict[int, str]

    def cluster_name(self, rows) -> np.ndarray:
        return np.array([self.cluster_names.get(int(c), "") for c in self.cluster[rows]], dtype=object)


def map_data(space: Space, request: LayoutRequest, n_clusters: int, show_hidden: bool) -> MapData:
    """The current layout (placeholder until ready) with positions, preservation and clusters per row."""
    layout, job = current_layout(space, request)
    n = len(space.vectors)
    xy = np.full((n, request.dims), np.nan, np.float32)
    xy[layout.rows] = layout.xy
    preservation = np.full(n, np.nan)
    preservation[layout.rows] = layout.preservation
    placed = np.zeros(n, dtype=bool)
    if show_hidden and len(layout.rows) < n:
        rest, rest_xy = placed_rows(space, layout, request)
        xy[rest] = rest_xy
        placed[rest] = True
    labels, names = clusters(space, request.min_count, n_clusters)
    on_map = np.flatnonzero(np.isfinite(xy[:, 0]))
    return MapData(layout, job, xy, preservation, on_map, placed, labels, names)
