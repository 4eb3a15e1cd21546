"""Vector files opened on the server, shared read-only by every session of the process.

``python -m embedviz explore FILE`` opens its file here before the server starts (the default
set every visitor sees); when the operator allows a folder (`embedviz.data.server_paths`),
visitors can open files inside it too. Either way the vectors are memory-mapped once per
process and file, never copied per session; what is derived from them (layouts, the map's
images and samples) is cached on the shared record, because it holds nothing private: the
operator chose to serve these files to everyone who can reach the server.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embedviz.analysis.sampling import Window, full_window, point_priority
from embedviz.dashboard.cache import DerivedCache
from embedviz.dashboard.jobs import Job
from embedviz.dashboard.records import Space
from embedviz.data.bigfiles import VectorSet, open_vectors

MAX_OPEN = 3            # files kept open at once (besides the default one)
_LOCK = threading.Lock()
_OPEN: OrderedDict[str, Served] = OrderedDict()
_DEFAULT: list[Served] = []


@dataclass(frozen=True, eq=False)
class MapLayout:
    """A 2-D layout of a served set with what every view of it reuses."""

    name: str               # "PCA" or "UMAP"
    xy: np.ndarray          # (n, 2) float32
    full: Window            # the window around every point
    priority: np.ndarray    # (n,) fixed random priority for the samples (zooming keeps points)


@dataclass(eq=False)
class Served:
    """A served vector set: the data, a `Space` for the shared services, caches for the map."""

    key: str
    data: VectorSet
    space: Space
    views: DerivedCache = field(default_factory=lambda: DerivedCache(max_entries=48))  # images, samples

    @property
    def name(self) -> str:
        return self.data.name


def _key(path: Path, metadata) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_mtime_ns}|{metadata and Path(metadata).resolve()}"


def open_served(path, metadata=None, *, default: bool = False) -> Served:
    """Open (or reuse) a file for every session; ``default`` makes it the set the pages show first."""
    path = Path(path)
    key = _key(path, metadata)
    with _LOCK:
        found = _OPEN.get(key) or next((s for s in _DEFAULT if s.key == key), None)
    if found is None:
        data = open_vectors(path, metadata=metadata)
        found = Served(key, data, _space(data))
    with _LOCK:
        if default:
            _DEFAULT[:] = [found]
        elif key not in _OPEN:
            _OPEN[key] = found
            while len(_OPEN) > MAX_OPEN:
                _OPEN.popitem(last=False)
    return found


def _space(data: VectorSet) -> Space:
    n = data.n
    return Space(name=f"Opened on the server: {data.name}", vectors=data.vectors, table=data.table,
                 popularity=np.zeros(n, dtype=np.float32), is_user=np.zeros(n, dtype=bool), ids=data.ids)


def default_served() -> Served | None:
    """The set given to ``python -m embedviz explore``, if any."""
    with _LOCK:
        return _DEFAULT[0] if _DEFAULT else None


def by_key(key: str) -> Served | None:
    with _LOCK:
        return _OPEN.get(key) or next((s for s in _DEFAULT if s.key == key), None)


def map_layout(served: Served, name: str, xy: np.ndarray) -> MapLayout:
    """The `MapLayout` for a layout array (built once per layout and kept with the set)."""
    def build() -> MapLayout:
        flat = np.ascontiguousarray(xy[:, :2], dtype=np.float32)
        return MapLayout(name, flat, full_window(flat), point_priority(len(flat)))

    return served.views.get_or_build(("layout", name, id(xy)), build)


def pca_layout(served: Served) -> np.ndarray:
    """The instant 2-D layout (PCA, a block at a time), shown until UMAP is ready."""
    from embedviz.analysis.projection import project

    return served.space.derived.get_or_build(("pca", 2), lambda: project(served.data.vectors, method="pca"))


# Progress of a layout over its stages: share of the total time each takes (roughly, at 200k rows).
_STAGES = {"neighbours": (0.0, 0.3), "layout": (0.3, 0.85), "transform": (0.85, 1.0), "done": (1.0, 1.0)}


def umap_job(served: Served, reproducible: bool = False) -> Job:
    """The UMAP layout, computed once per set (and seeding) in the worker process.

    Multithreaded unless ``reproducible`` (seeded: umap-learn then uses one thread). The worker
    gets the vectors as a `MappedArray` and maps the same file (no pickled copy through a pipe);
    the job's ``done`` counts per cent, its last history entry names the stage.
    """
    from embedviz.dashboard import workers
    from embedviz.data.bigfiles import mapped_reference

    vectors = mapped_reference(served.data.vectors) or served.data.vectors

    def work(job: Job):
        def progress(stage: str, fraction: float) -> None:
            low, high = _STAGES.get(stage, (0.0, 1.0))
            job.update(int(100 * (low + (high - low) * fraction)), {"stage": stage, "fraction": fraction})

        started = time.perf_counter()
        xy = workers.run(workers.project_shared, vectors, method="umap", random_state=0 if reproducible else None,
                         progress=progress)
        print(f"embedviz: UMAP 2-D layout of {len(xy):,} rows in {time.perf_counter() - started:.1f} s "
              f"({'seeded' if reproducible else 'multithreaded'})", flush=True)
        return xy

    return served.space.derived.get_or_build(("umap", 2, reproducible),
                                             lambda: Job("UMAP 2-D", work, total=100, unit="%"))


def warm(served: Served) -> None:
    """Compute what the first view needs (PCA layout, its map image) and queue the UMAP layout."""
    from embedviz.dashboard import mapviews

    mapviews.view(served, map_layout(served, "PCA", pca_layout(served)), None, None)
    umap_job(served)
