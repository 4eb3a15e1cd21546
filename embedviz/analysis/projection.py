"""2-D / 3-D layouts of embeddings: PCA (numpy, instant) and UMAP (umap-learn).

UMAP's first fit in a new process is slow because numba compiles its kernels
and most of umap-learn's are not cached on disk. `project` switches on-disk
caching on for umap-learn's kernels (they are plain module-level functions, so
numba can cache them), builds the k-nearest-neighbour graph with our exact
search instead of pynndescent (whose `nn_descent` cannot be cached and takes
~30 s to compile per process), and `warmup` compiles everything once so a
fresh server process starts from warm caches (``NUMBA_CACHE_DIR``). Large
inputs are laid out from a sample; the other rows go next to their nearest
sampled neighbours.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

from embedviz.analysis._umap import (
    INITS,
    Callback,
    _pca,
    _report,
    _umap_all,
    _umap_sampled,
    default_n_neighbors,
    enable_umap_caching,
)
from embedviz.analysis.metrics import normalise_rows

METHODS = ("pca", "umap")
PROJECTION_METRICS = ("cosine", "euclidean")
# Below this many rows UMAP has too few points for a neighbourhood graph.
MIN_UMAP_ROWS = 16


@dataclass(frozen=True)
class ProjectionInfo:
    """How a layout was made, for the page to show.

    Attributes
    ----------
    method : {"pca", "umap"}
        The method actually used (PCA when UMAP had too few rows).
    n_neighbors : int or None
        UMAP's neighbourhood size.
    sampled : bool
        True when UMAP was fitted on a random sample and the other rows were
        placed among their nearest sampled neighbours.
    n_fitted : int
        Rows the layout was fitted on.
    used_knn : bool
        True when an exact k-NN graph (given or computed here) replaced
        umap-learn's approximate one.
    seconds : float
        Wall time.
    message : str
        One sentence describing the above.
    """

    method: str
    n_neighbors: int | None
    sampled: bool
    n_fitted: int
    used_knn: bool
    seconds: float
    message: str


def _check_inputs(vectors, method, n_components, metric, n_neighbors, min_dist) -> np.ndarray:
    x = np.asarray(vectors)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(
            f"vectors must be a 2-D array (n_items, dim) with at least one row and column, "
            f"got shape {x.shape}"
        )
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError(f"vectors must be real numbers, got dtype {x.dtype}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        raise ValueError("vectors must be finite, found NaN or inf")
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if metric not in PROJECTION_METRICS:
        raise ValueError(f"metric must be one of {sorted(PROJECTION_METRICS)}, got {metric!r}")
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) \
            or n_components < 1:
        raise ValueError(f"n_components must be an integer >= 1, got {n_components!r}")
    if n_neighbors is not None and (
        isinstance(n_neighbors, bool) or not isinstance(n_neighbors, (int, np.integer))
        or n_neighbors < 2
    ):
        raise ValueError(f"n_neighbors must be None or an integer >= 2, got {n_neighbors!r}")
    if not np.isfinite(min_dist) or min_dist < 0:
        raise ValueError(f"min_dist must be a number >= 0, got {min_dist!r}")
    return x


# ----------------------------------------------------------------------------- PCA


# ----------------------------------------------------------------------------- UMAP


def _describe(method, n, n_fitted, n_neighbors, used_knn, tiny) -> str:
    if tiny:
        return f"PCA layout: {n} items are too few for UMAP (it needs {MIN_UMAP_ROWS})."
    if method == "pca":
        return f"PCA layout of {n:,} items."
    graph = "exact" if used_knn else "approximate"
    if n_fitted < n:
        return (f"UMAP fitted on a random sample of {n_fitted:,} of {n:,} items; the other "
                f"{n - n_fitted:,} were placed among their nearest sampled neighbours.")
    return f"UMAP layout of {n:,} items ({n_neighbors} neighbours, {graph} neighbour graph)."


@overload
def project(
    vectors,
    method: str = "umap",
    n_components: int = 2,
    metric: str = "cosine",
    *,
    n_neighbors: int | None = None,
    min_dist: float = 0.1,
    random_state: int | None = None,
    knn: tuple[np.ndarray, np.ndarray] | None = None,
    sample_above: int = 200_000,
    init: str = "pca",
    callback: Callback | None = None,
    return_info: Literal[False] = False,
) -> np.ndarray: ...


@overload
def project(
    vectors,
    method: str = "umap",
    n_components: int = 2,
    metric: str = "cosine",
    *,
    n_neighbors: int | None = None,
    min_dist: float = 0.1,
    random_state: int | None = None,
    knn: tuple[np.ndarray, np.ndarray] | None = None,
    sample_above: int = 200_000,
    init: str = "pca",
    callback: Callback | None = None,
    return_info: Literal[True],
) -> tuple[np.ndarray, ProjectionInfo]: ...


def project(
    vectors,
    method: str = "umap",
    n_components: int = 2,
    metric: str = "cosine",
    *,
    n_neighbors: int | None = None,
    min_dist: float = 0.1,
    random_state: int | None = None,
    knn: tuple[np.ndarray, np.ndarray] | None = None,
    sample_above: int = 200_000,
    init: str = "pca",
    callback: Callback | None = None,
    return_info: bool = False,
) -> np.ndarray | tuple[np.ndarray, ProjectionInfo]:
    """Lay embeddings out in 2-D or 3-D.

    Parameters
    ----------
    vectors : array-like, shape (n_items, dim)
        Finite numbers.
    method : {"umap", "pca"}
        UMAP (umap-learn) keeps neighbourhoods; PCA (numpy) is instant and
        linear. Fewer than 16 rows always get PCA (said in the info).
    n_components : int
        2 or 3 for display; any integer >= 1 works.
    metric : {"cosine", "euclidean"}
        UMAP's input distance. PCA with "cosine" projects the unit-length
        vectors, so its layout shows direction like the UMAP one.
    n_neighbors : int, optional
        UMAP neighbourhood size; default `default_n_neighbors` (15 except for
        tiny inputs); capped at n_items - 1.
    min_dist : float
        UMAP's minimum distance between laid-out points.
    random_state : int, optional
        Seed for reproducible layouts. umap-learn then runs single-threaded,
        so seeded UMAP is slower.
    knn : (indices, distances), optional
        A precomputed k-NN graph in umap-learn's format, e.g. from
        `embedviz.analysis.neighbours.exact_knn_graph` (k >= n_neighbors, row i first
        in its own row). Without it an exact graph is computed here up to
        `EXACT_KNN_ROWS` rows, above that umap-learn builds an approximate one.
        Ignored on the sampling path.
    sample_above : int
        Above this many rows, UMAP is fitted on a random sample of this many
        rows and every other row is placed at the weighted mean position of its
        ``n_neighbors`` nearest sampled rows (a fast stand-in for umap-learn's
        ``transform``).
    init : {"pca", "spectral"}
        UMAP's starting layout: PCA of the rows (unit-length ones for cosine; fast) or
        umap-learn's spectral embedding of the neighbour graph (its default; one thread,
        20 of 31 CPU seconds for 20k rows).
    callback : callable(stage, fraction), optional
        Progress: stage is "neighbours", "layout", "transform" or "done",
        fraction in [0, 1]. An exception raised in it aborts the projection.
    return_info : bool
        Also return a `ProjectionInfo`.

    Returns
    -------
    xy : ndarray of float32, shape (n_items, n_components)
    info : ProjectionInfo
        Only when ``return_info`` is True.
    """
    start = time.perf_counter()
    x = _check_inputs(vectors, method, n_components, metric, n_neighbors, min_dist)
    if isinstance(sample_above, bool) or not isinstance(sample_above, (int, np.integer)) \
            or sample_above < MIN_UMAP_ROWS:
        raise ValueError(
            f"sample_above must be an integer >= {MIN_UMAP_ROWS}, got {sample_above!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {sorted(INITS)}, got {init!r}")
    n = len(x)
    tiny = method == "umap" and n < MIN_UMAP_ROWS
    n_fitted, used_knn, k = n, False, None
    if method == "pca" or tiny:
        xy = _pca(normalise_rows(x) if metric == "cosine" else x, n_components, random_state)
    else:
        enable_umap_caching()
        n_fitted = min(n, sample_above)
        k = min(n_neighbors or default_n_neighbors(n_fitted), n_fitted - 1)
        options = (n_components, metric, k, min_dist, random_state, init)
        if n > sample_above:
            xy, used_knn = _umap_sampled(x, *options, n_fitted, callback)
        else:
            xy, used_knn = _umap_all(x, *options, knn, callback)
    _report(callback, "done", 1.0)
    xy = np.ascontiguousarray(xy, dtype=np.float32)
    if not return_info:
        return xy
    used = "pca" if method == "pca" or tiny else "umap"
    info = ProjectionInfo(used, k, n_fitted < n, n_fitted, used_knn,
                          time.perf_counter() - start,
                          _describe(used, n, n_fitted, k, used_knn, tiny))
    return xy, info


def trustworthiness(vectors, xy, k: int = 10, metric: str = "cosine", *,
                    sample: int = 5_000, random_state: int = 0) -> float:
    """How well a layout keeps neighbourhoods (sklearn's trustworthiness, 1 is best).

    Parameters
    ----------
    vectors : array-like, shape (n_items, dim)
    xy : array-like, shape (n_items, n_components)
    k : int
        Neighbourhood size.
    metric : str
        Distance in the input space.
    sample : int
        Rows used when n_items is larger (the computation is O(n^2)).
    random_state : int
        Seed for the sample.
    """
    from sklearn.manifold import trustworthiness as sklearn_trustworthiness

    x, y = np.asarray(vectors), np.asarray(xy)
    if len(x) != len(y):
        raise ValueError(f"vectors and xy must have the same rows, got {len(x)} and {len(y)}")
    if len(x) > sample:
        rows = np.random.default_rng(random_state).choice(len(x), sample, replace=False)
        x, y = x[rows], y[rows]
    return float(sklearn_trustworthiness(x, y, n_neighbors=k, metric=metric))


def warmup(*, approximate: bool = False) -> dict[str, float]:
    """Compile (and cache on disk) the numba code the layouts and neighbours use.

    Fits tiny UMAP layouts on a precomputed graph, seeded and unseeded (umap's
    serial and parallel layout kernels), lays out from a sample, and runs the
    neighbour kernels. With ``approximate`` also builds small pynndescent
    indexes (what catalogues above 2M items and UMAP above 50k rows use); those
    cannot be cached on disk, so this only helps the current process (~30-60 s).
    Caches go to ``NUMBA_CACHE_DIR`` when set.

    Returns
    -------
    dict
        Seconds per step.
    """
    from embedviz.analysis.metrics import METRICS
    from embedviz.analysis.neighbours import NeighbourIndex, nearest_neighbours

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((4, 8)) * 4
    x = (centres[rng.integers(0, 4, 300)] + rng.standard_normal((300, 8))).astype(np.float32)
    seconds = {}
    start = time.perf_counter()
    import umap  # noqa: F401  (the import itself is part of the cost)

    seconds["import umap"] = time.perf_counter() - start
    steps = {
        "neighbours": lambda: [nearest_neighbours(x, 0, metric=m) for m in METRICS],
        "umap (parallel)": lambda: project(x, random_state=None),
        "umap (seeded)": lambda: project(x, random_state=0, n_components=3),
        "umap (sampled)": lambda: project(x, sample_above=100, random_state=0),
    }
    if approximate:
        index = NeighbourIndex(x, approximate_above=10)
        steps["pynndescent"] = lambda: [index.query(0, metric=m) for m in METRICS]
    for name, step in steps.items():
        start = time.perf_counter()
        step()
        seconds[name] = time.perf_counter() - start
    return seconds
