"""umap-learn behind `project`: the model settings, the exact kNN graph for it, a sampled fit for
large inputs, and placing points that were not fitted among their laid-out neighbours.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import numpy as np

from embedviz.analysis.metrics import normalise_rows
from embedviz.analysis.neighbours import NeighbourIndex, exact_knn_graph, scores_to_distances

# (stage, fraction done) -> None: progress of a layout
Callback = Callable[[str, float], None]
# PCA axes are estimated from at most this many rows (plenty for a display).
PCA_FIT_ROWS = 20_000
# Rows placed per step on the sampling path (progress is reported between steps).
TRANSFORM_CHUNK = 50_000


_caching_enabled = False


def enable_umap_caching() -> None:
    """Let numba cache umap-learn's kernels on disk (most lack ``cache=True``).

    Dispatchers that cannot be cached (dynamic globals) only warn, which is
    silenced. Idempotent; affects this process's umap-learn.
    """
    global _caching_enabled
    if _caching_enabled:
        return
    from embedviz import numba_cache

    numba_cache.install()
    import umap.distances
    import umap.layouts
    import umap.sparse
    import umap.spectral
    import umap.umap_
    import umap.utils
    from numba.core.dispatcher import Dispatcher

    for module in (umap.umap_, umap.layouts, umap.distances, umap.utils, umap.spectral,
                   umap.sparse):
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and value.py_func.__module__ == module.__name__:
                value.enable_caching()
    _caching_enabled = True


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


def _fit_quietly(model, x: np.ndarray) -> np.ndarray:
    """``model.fit`` without umap-learn's expected warnings (seeded -> one thread,
    no search index with a precomputed graph, kernels that cannot be cached)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.filterwarnings("ignore", message="Cannot cache compiled function")
        model.fit(x)
    return model.embedding_


# Above this many rows umap-learn's approximate graph (pynndescent: ~30 s to
# compile in each process, then seconds) beats our exact one (n^2 * dim work:
# measured 0.3-0.8 s at 10k, 8 s at 50k, 41 s at 100k x 64 on two cores).
EXACT_KNN_ROWS = 50_000


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
    start = _pca(normalise_rows(x) if metric == "cosine" else x, n_components, random_state)
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
    same trustworthiness (0.979 vs 0.978)."""
    return 500 if n_rows < 2_000 else 200


def _pca(x: np.ndarray, n_components: int, random_state) -> np.ndarray:
    """Principal components of ``x`` (n, d) -> (n, n_components) float32.

    Axes come from a centred SVD of at most `PCA_FIT_ROWS` rows; components
    beyond the rank are zero. Signs are fixed (largest loading positive) so a
    layout does not flip between runs.
    """
    n, d = x.shape
    fit_rows = x
    if n > PCA_FIT_ROWS:
        rng = np.random.default_rng(random_state if random_state is not None else 0)
        fit_rows = x[np.sort(rng.choice(n, PCA_FIT_ROWS, replace=False))]
    mean = fit_rows.mean(axis=0, dtype=np.float64)
    _, _, vt = np.linalg.svd(fit_rows.astype(np.float64) - mean, full_matrices=False)
    axes = vt[:n_components]
    axes *= np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]
    out = np.zeros((n, n_components), np.float32)
    out[:, : len(axes)] = (x - mean.astype(np.float32)) @ axes.T.astype(np.float32)
    return out


def _report(callback: Callback | None, stage: str, fraction: float) -> None:
    if callback is not None:
        callback(stage, fraction)


def place_by_neighbours(laid_out, xy, others, k: int = 15, metric: str = "cosine", *,
                        callback: Callback | None = None, random_state: int | None = 0) -> np.ndarray:
    """Positions for new rows: the weighted mean position of their nearest laid-out rows.

    Parameters
    ----------
    laid_out : array-like, shape (n, dim)
        Vectors that have a layout.
    xy : ndarray, shape (n, n_components)
        Their layout.
    others : array-like, shape (m, dim)
        Vectors to place.
    k : int
        Neighbours averaged (the nearest weighs most).
    metric : {"cosine", "euclidean"}
    callback : callable(stage, fraction), optional
        Progress, stage "transform".

    Returns
    -------
    ndarray of float32, shape (m, n_components)
    """
    others = np.asarray(others, dtype=np.float32)
    out = np.empty((len(others), xy.shape[1]), np.float32)
    if len(others) == 0:
        return out
    index = NeighbourIndex(laid_out, approximate_above=EXACT_KNN_ROWS, random_state=random_state)
    k = min(k, index.n_items)
    for start in range(0, len(others), TRANSFORM_CHUNK):
        _report(callback, "transform", start / len(others))
        chunk = slice(start, start + TRANSFORM_CHUNK)
        rows, scores = index.query(others[chunk], k=k, metric=metric)
        out[chunk] = _weighted_positions(xy, rows, scores_to_distances(scores, metric))
    return out


def _weighted_positions(xy: np.ndarray, rows: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Mean of ``xy[rows]`` (m, k, c) weighted by exp(-excess distance / its mean),
    so the nearest neighbour counts most (umap-learn weighs its graph alike)."""
    excess = distances - distances[:, :1]
    scale = excess.mean(axis=1, keepdims=True)
    weights = np.exp(-excess / np.where(scale > 0, scale, 1.0))
    return (weights[..., None] * xy[rows]).sum(axis=1) / weights.sum(axis=1, keepdims=True)
