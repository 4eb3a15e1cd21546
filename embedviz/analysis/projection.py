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

import re
import time
import warnings
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

from embedviz.analysis.metrics import normalise_rows
from embedviz.analysis.neighbours import exact_knn_graph
from embedviz.analysis.placement import EXACT_KNN_ROWS, Callback, place_by_neighbours
from embedviz.analysis.umap_setup import enable_umap_caching, warmup  # noqa: F401  (public here too)

METHODS = ("pca", "umap")
PROJECTION_METRICS = ("cosine", "euclidean")
# Below this many rows UMAP has too few points for a neighbourhood graph.
MIN_UMAP_ROWS = 16
# PCA axes are estimated from at most this many rows (plenty for a display).
PCA_FIT_ROWS = 20_000
# Rows checked / projected per block, so big (memory-mapped) inputs are never copied whole.
CHUNK_ROWS = 65_536


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
    x = np.ascontiguousarray(x, dtype=np.float32)    # no copy for float32 (a memory-mapped file stays mapped)
    if not all(np.isfinite(x[s:s + CHUNK_ROWS]).all() for s in range(0, len(x), CHUNK_ROWS)):
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


def default_n_neighbors(n_rows: int) -> int:
    """UMAP neighbourhood size for ``n_rows`` points: 15, smaller for tiny sets.

    15 is umap-learn's well-tested default; larger values cost layout time
    linearly and blur the local structure the Explore page is about. With few
    points a 15-neighbourhood would span whole groups, so use a quarter of n.
    """
    return int(min(15, max(2, n_rows // 4)))


def default_n_epochs(n_rows: int) -> int:
    """Layout epochs: umap-learn uses 500 up to 10k rows and 200 above; we use
    200 from 2,000 rows: at 10k, 500 epochs took 6.4 s against 2.0 s for the
    same trustworthiness (0.979 vs 0.978); and 150 above 10,000 rows, so a 20k
    layout is ready within 15 s even on a busy server: 4.4 s instead of 5.6 s
    on two quiet cores, k-NN preservation 0.152 vs 0.154 (clustered bench vectors;
    on 7,850 last.fm-like artists 0.350 vs 0.358)."""
    return 500 if n_rows < 2_000 else 200 if n_rows <= 10_000 else 150


# ----------------------------------------------------------------------------- PCA


def _pca(x: np.ndarray, n_components: int, random_state, unit: bool = False) -> np.ndarray:
    """Principal components of ``x`` (n, d) -> (n, n_components) float32.

    Axes from a centred SVD of at most `PCA_FIT_ROWS` rows (``unit``: rows scaled to length 1);
    components beyond the rank are zero; signs fixed (largest loading positive). Rows are
    projected a block at a time, so a 1M-row (mapped) input is never copied whole.
    """
    n, d = x.shape
    fit_rows = x
    if n > PCA_FIT_ROWS:
        rng = np.random.default_rng(random_state if random_state is not None else 0)
        fit_rows = x[np.sort(rng.choice(n, PCA_FIT_ROWS, replace=False))]
    prepared = normalise_rows if unit else np.asarray
    fit_rows = prepared(np.asarray(fit_rows))
    mean = fit_rows.mean(axis=0, dtype=np.float64)
    _, _, vt = np.linalg.svd(fit_rows.astype(np.float64) - mean, full_matrices=False)
    axes = vt[:n_components]
    axes *= np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]
    out = np.zeros((n, n_components), np.float32)
    axes32, shift = axes.T.astype(np.float32), (mean @ axes.T).astype(np.float32)
    for start in range(0, n, CHUNK_ROWS):
        out[start:start + CHUNK_ROWS, : len(axes)] = prepared(np.asarray(x[start:start + CHUNK_ROWS])) @ axes32 - shift
    return out


# ----------------------------------------------------------------------------- UMAP


class _ProgressFile:
    """A file for umap-learn's tqdm bar that forwards "n/total" to a callback."""

    pattern = re.compile(r"(\d+)/(\d+)")

    def __init__(self, callback: Callback, stage: str):
        self.callback, self.stage = callback, stage

    def write(self, text: str) -> None:
        found = self.pattern.findall(text)
        if found:
            done, total = map(int, found[-1])
            self.callback(self.stage, done / max(total, 1))

    def flush(self) -> None:
        pass


def _umap_model(n_neighbors, n_components, metric, min_dist, random_state, n_rows,
                callback, knn=None, init="spectral"):
    import umap

    progress = {}
    if callback is not None:
        progress = {"disable": False, "file": _ProgressFile(callback, "layout"),
                    "bar_format": "{n}/{total}", "mininterval": 0.25, "leave": False}
    return umap.UMAP(
        n_neighbors=n_neighbors, n_components=n_components, metric=metric,
        min_dist=min_dist, random_state=random_state, n_epochs=default_n_epochs(n_rows),
        precomputed_knn=knn if knn is not None else (None, None, None),
        tqdm_kwds=progress, init=init,
    )


def _check_knn(knn, n_rows: int, n_neighbors: int):
    indices, distances = (np.asarray(a) for a in knn)
    if indices.shape != distances.shape or indices.ndim != 2 or indices.shape[0] != n_rows:
        raise ValueError(
            f"knn must be (indices, distances) of shape ({n_rows}, k), got shapes "
            f"{indices.shape} and {distances.shape}"
        )
    if indices.shape[1] < n_neighbors:
        raise ValueError(
            f"knn has {indices.shape[1]} neighbours per row but n_neighbors is {n_neighbors}; "
            "compute it with exact_knn_graph(vectors, k=n_neighbors)"
        )
    return indices[:, :n_neighbors].astype(np.int32), distances[:, :n_neighbors].astype(np.float32)


def _report(callback: Callback | None, stage: str, fraction: float) -> None:
    if callback is not None:
        callback(stage, fraction)


def _fit_quietly(model, x: np.ndarray) -> np.ndarray:
    """``model.fit`` without umap-learn's expected warnings (seeded -> one thread,
    no search index with a precomputed graph, kernels that cannot be cached)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.filterwarnings("ignore", message="Cannot cache compiled function")
        model.fit(x)
    return model.embedding_


def _umap_all(x, n_components, metric, n_neighbors, min_dist, random_state, init, knn, callback):
    """UMAP fitted on every row, on an exact k-NN graph when affordable."""
    if knn is not None:
        knn = _check_knn(knn, len(x), n_neighbors)
    elif len(x) <= EXACT_KNN_ROWS:
        _report(callback, "neighbours", 0.0)
        knn = exact_knn_graph(x, n_neighbors, metric)
    _report(callback, "layout", 0.0)
    model = _umap_model(n_neighbors, n_components, metric, min_dist, random_state, len(x),
                        callback, knn, _initial_layout(x, init, n_components, metric, random_state))
    return _fit_quietly(model, x), knn is not None


INITS = ("pca", "spectral")


def _initial_layout(x, init, n_components, metric, random_state):
    """umap-learn's ``init``: "spectral" as is, "pca" as our PCA of the rows (unit-length ones
    for cosine, so the start follows direction like the layout), scaled to umap's ±10 box.

    umap-learn's spectral start solves an eigenproblem on one thread; on 20k clustered rows it
    cost 20 CPU seconds of a 31-second layout (PCA start: 10.5 s, trustworthiness 0.998 both),
    and more when the neighbour graph falls apart into many pieces.
    """
    if init == "spectral":
        return "spectral"
    start = _pca(x, n_components, random_state, unit=metric == "cosine")
    start = start.astype(np.float64)
    start *= 10.0 / max(float(np.abs(start).max()), 1e-12)
    # umap-learn adds a little noise so that no two rows start at the same place
    noise = np.random.default_rng(random_state).normal(scale=1e-4, size=start.shape)
    return (start + noise).astype(np.float32)


def _umap_sampled(x, n_components, metric, n_neighbors, min_dist, random_state, init,
                  n_sample, callback):
    """UMAP fitted on a random sample of ``n_sample`` rows; every other row is put
    at the weighted mean position of its nearest sampled rows.

    umap-learn's ``transform`` starts from that same point and then optimises
    further; for 100k rows (20k sampled) it took 110 s against 10 s here, and it
    needs pynndescent (~30 s to compile in every process).
    """
    rng = np.random.default_rng(random_state)
    fitted = np.sort(rng.choice(len(x), n_sample, replace=False))
    out = np.empty((len(x), n_components), np.float32)
    out[fitted], used_knn = _umap_all(x[fitted], n_components, metric, n_neighbors, min_dist,
                                      random_state, init, None, callback)
    rest = np.setdiff1d(np.arange(len(x)), fitted)
    out[rest] = place_by_neighbours(x[fitted], out[fitted], x[rest], k=n_neighbors, metric=metric,
                                    callback=callback, random_state=random_state)
    return out, used_knn


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
        xy = _pca(x, n_components, random_state, unit=metric == "cosine")
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
