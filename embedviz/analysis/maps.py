"""A map of (part of) a vector space: its layout and how far to trust it, computed together.

UMAP needs each point's nearest neighbours; the same neighbours say, after the layout, how many
of them ended up next to the point on the map (`embedviz.analysis.preservation`). `lay_out`
computes the neighbour graph once and uses it for both. Rows left out of a layout (items with
too few interactions) can be placed among their nearest laid-out neighbours afterwards.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from embedviz.analysis.neighbours import exact_knn_graph
from embedviz.analysis.placement import EXACT_KNN_ROWS, Callback, place_by_neighbours
from embedviz.analysis.preservation import map_neighbours, neighbourhood_preservation, true_neighbours
from embedviz.analysis.projection import MIN_UMAP_ROWS, ProjectionInfo, default_n_neighbors, project

# Neighbourhood size of the preservation figure.
PRESERVATION_K = 10
# Above EXACT_KNN_ROWS rows, preservation is measured on a random sample of this many rows.
PRESERVATION_SAMPLE = 5_000


@dataclass(frozen=True, eq=False)
class MapLayout:
    """A layout of some rows of a space and its per-point neighbourhood preservation.

    Attributes
    ----------
    rows : ndarray of int64, shape (m,)
        Rows of the space that were laid out.
    xy : ndarray of float32, shape (m, n_components)
        Their positions.
    preservation : ndarray of float64, shape (m,)
        Share of each row's ``k`` true neighbours (among the laid-out rows) that are among its
        ``k`` nearest on the map; NaN where not measured (very large layouts use a sample).
    k : int
        Neighbourhood size of ``preservation``.
    info : ProjectionInfo
        How the layout was made.
    seconds : float
        Wall time, layout and preservation together.
    """

    rows: np.ndarray
    xy: np.ndarray
    preservation: np.ndarray
    k: int
    info: ProjectionInfo
    seconds: float

    @property
    def overall(self) -> float:
        """Mean preservation over the measured rows (NaN when none was measured)."""
        measured = self.preservation[np.isfinite(self.preservation)]
        return float(measured.mean()) if measured.size else float("nan")


def lay_out(vectors, rows=None, *, method: str = "umap", n_components: int = 2, metric: str = "cosine",
            random_state: int | None = None, k: int = PRESERVATION_K,
            callback: Callback | None = None) -> MapLayout:
    """Lay out ``vectors[rows]`` and measure how well the map keeps each row's neighbours.

    Parameters
    ----------
    vectors : array-like, shape (n_items, dim)
    rows : array-like of int, optional
        Rows to lay out (all by default).
    method : {"umap", "pca"}
    n_components : int
    metric : {"cosine", "euclidean"}
        The layout's metric, also the one "true" neighbours are found with.
    random_state : int, optional
        A seed makes the layout reproducible (and umap-learn single-threaded: slower).
    k : int
        Neighbourhood size for the preservation figure.
    callback : callable(stage, fraction), optional
        Progress: "neighbours", "layout", "transform", "preservation", "done".

    Returns
    -------
    MapLayout
    """
    start = time.perf_counter()
    x = np.asarray(vectors, dtype=np.float32)
    rows = np.arange(len(x)) if rows is None else np.asarray(rows, dtype=np.int64)
    x = x[rows]
    knn = None
    n_neighbors = default_n_neighbors(len(x))
    if method == "umap" and MIN_UMAP_ROWS <= len(x) <= EXACT_KNN_ROWS:
        _report(callback, "neighbours", 0.0)
        knn = exact_knn_graph(x, max(n_neighbors, k + 1), metric)
    xy, info = project(x, method=method, n_components=n_components, metric=metric,
                       random_state=random_state, knn=knn, callback=_not_done(callback),
                       return_info=True)
    _report(callback, "preservation", 0.0)
    preservation = _preservation(x, xy, k, metric, knn, random_state)
    _report(callback, "done", 1.0)
    return MapLayout(rows, xy, preservation, min(k, max(len(x) - 1, 0)), info, time.perf_counter() - start)


def _preservation(x, xy, k, metric, knn, random_state) -> np.ndarray:
    if len(x) < 2:
        return np.ones(len(x))
    k = min(k, len(x) - 1)
    if knn is not None:
        return neighbourhood_preservation(None, xy, k, metric, knn=knn[0][:, 1:k + 1])
    if len(x) <= EXACT_KNN_ROWS:
        return neighbourhood_preservation(x, xy, k, metric)
    sample = np.sort(np.random.default_rng(random_state or 0).choice(len(x), PRESERVATION_SAMPLE,
                                                                      replace=False))
    true = true_neighbours(x, k, metric, rows=sample)
    drawn = map_neighbours(xy, k)[sample]
    out = np.full(len(x), np.nan)
    both = np.sort(np.hstack([true, drawn]), axis=1)
    out[sample] = (both[:, 1:] == both[:, :-1]).sum(axis=1) / k
    return out


def place_rows(vectors, layout: MapLayout, rows, metric: str = "cosine") -> np.ndarray:
    """Positions for rows left out of ``layout``: among their nearest laid-out rows.

    Parameters
    ----------
    vectors : array-like, shape (n_items, dim)
        The whole space (``layout.rows`` index into it).
    layout : MapLayout
    rows : array-like of int
        Rows of the space to place.
    metric : {"cosine", "euclidean"}

    Returns
    -------
    ndarray of float32, shape (len(rows), n_components)
    """
    x = np.asarray(vectors, dtype=np.float32)
    rows = np.asarray(rows, dtype=np.int64)
    return place_by_neighbours(x[layout.rows], layout.xy, x[rows], k=default_n_neighbors(len(layout.rows)),
                               metric=metric)


def _report(callback: Callback | None, stage: str, fraction: float) -> None:
    if callback is not None:
        callback(stage, fraction)


def _not_done(callback: Callback | None) -> Callback | None:
    """The callback without `project`'s final "done" (preservation comes after it)."""
    if callback is None:
        return None

    def forward(stage: str, fraction: float) -> None:
        if stage != "done":
            callback(stage, fraction)

    return forward
