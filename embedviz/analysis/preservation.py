"""How much a 2-D (or 3-D) map keeps each point's true neighbours: the map's local honesty.

A layout squeezes a high-dimensional space onto a screen; some neighbourhoods survive, some
do not. For every point we count how many of its ``k`` nearest neighbours in the original
space (by the layout's metric) are also among its ``k`` nearest on the map. A point whose
share is low sits among strangers on the map: what is drawn next to it is not what is close
to it. The mean over points is the map's overall figure (the "k-NN preservation" of the
dimensionality-reduction literature; scikit-learn's trustworthiness is its rank-weighted
cousin).
"""
from __future__ import annotations

import numpy as np

from embedviz.analysis.neighbours import NeighbourIndex
from embedviz.validation import check_int

# Rows scored per call when the true neighbours must be searched (bounded memory).
_QUERY_CHUNK = 4_096


def map_neighbours(xy, k: int = 10) -> np.ndarray:
    """Each point's ``k`` nearest other points on the map (euclidean in the layout).

    Parameters
    ----------
    xy : array-like, shape (n_points, n_components)
        The layout.
    k : int
        Neighbours per point (capped at n_points - 1).

    Returns
    -------
    ndarray of int64, shape (n_points, min(k, n_points - 1))
        Row indices, nearest first; a point never lists itself (duplicates of a position
        do count as neighbours).
    """
    from scipy.spatial import cKDTree

    points = _as_layout(xy)
    k = min(check_int("k", k, 1), len(points) - 1)
    if k < 1:
        return np.zeros((len(points), 0), np.int64)
    _, found = cKDTree(points).query(points, k=k + 1)
    return _drop_self(np.asarray(found, np.int64).reshape(len(points), k + 1), k)


def _drop_self(found: np.ndarray, k: int) -> np.ndarray:
    """Remove each row's own index (usually first; not when positions coincide)."""
    rows = np.arange(len(found))[:, None]
    is_self = found == rows
    has_self = is_self.any(axis=1)
    # Where the row is absent (k+1 identical points), drop the last column instead.
    is_self[~has_self, -1] = True
    return found[~is_self].reshape(len(found), k)


def true_neighbours(vectors, k: int = 10, metric: str = "cosine", rows=None) -> np.ndarray:
    """The exact ``k`` nearest other rows of ``vectors`` for ``rows`` (all by default).

    Returns
    -------
    ndarray of int64, shape (len(rows), min(k, n - 1))
    """
    index = NeighbourIndex(vectors, approximate_above=None)
    rows = np.arange(index.n_items) if rows is None else np.asarray(rows, np.int64)
    k = min(check_int("k", k, 1), index.n_items - 1)
    parts = [index.query(rows[s:s + _QUERY_CHUNK], k=k, metric=metric)[0]
             for s in range(0, len(rows), _QUERY_CHUNK)]
    return np.concatenate(parts) if parts else np.zeros((0, k), np.int64)


def neighbourhood_preservation(vectors, xy, k: int = 10, metric: str = "cosine", *,
                               knn: np.ndarray | None = None) -> np.ndarray:
    """Per point: the share of its ``k`` true neighbours that are among its ``k`` nearest on the map.

    Parameters
    ----------
    vectors : array-like, shape (n_points, dim)
        The original vectors (ignored when ``knn`` is given).
    xy : array-like, shape (n_points, n_components)
        Their layout.
    k : int
        Neighbourhood size (capped at n_points - 1).
    metric : {"cosine", "euclidean", "dot"}
        How "true" neighbours are found (use the layout's own metric).
    knn : ndarray of int, shape (n_points, >= k), optional
        Each point's true neighbours, nearest first, the point itself left out (e.g. columns
        1: of `embedviz.analysis.neighbours.exact_knn_graph`, which a UMAP layout computed
        anyway). Saves the search.

    Returns
    -------
    ndarray of float64, shape (n_points,)
        Values in [0, 1]: 1 = all of the point's true neighbours are drawn next to it.
        ``mean()`` is the map's overall figure.
    """
    layout = _as_layout(xy)
    n = len(layout)
    if n < 2:
        return np.ones(n)
    k = min(check_int("k", k, 1), n - 1)
    if knn is None:
        if len(np.asarray(vectors)) != n:
            raise ValueError(f"vectors and xy must have the same rows, got {len(vectors)} and {n}")
        true = true_neighbours(vectors, k, metric)
    else:
        true = np.asarray(knn)
        if true.ndim != 2 or true.shape[0] != n or true.shape[1] < k:
            raise ValueError(f"knn must have shape ({n}, >= {k}), got {true.shape}")
        true = true[:, :k]
    drawn = map_neighbours(layout, k)
    return _shared_share(true, drawn)


def _shared_share(true: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """Row-wise |true ∩ drawn| / k for two (n, k) index arrays (sorting, no Python loop)."""
    n, k = true.shape
    both = np.sort(np.hstack([true, drawn]), axis=1)
    shared = (both[:, 1:] == both[:, :-1]).sum(axis=1)
    return shared / k


def _as_layout(xy) -> np.ndarray:
    points = np.asarray(xy, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] < 1:
        raise ValueError(f"xy must be a 2-D array (n_points, n_components), got shape {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError("xy must be finite, found NaN or inf")
    return points
