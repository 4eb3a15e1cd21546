"""Positions for rows that were not laid out: the weighted mean position of their nearest
laid-out rows (how a sampled UMAP layout places the rest, and how the Explore map shows the
rarely seen items it left out of the layout)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from embedviz.analysis.neighbours import NeighbourIndex, scores_to_distances

# Above this many rows an approximate graph (pynndescent: ~30 s to compile in each process,
# then seconds) beats our exact one (n^2 * dim work: measured 0.3-0.8 s at 10k, 8 s at 50k,
# 41 s at 100k x 64 on two cores). Used by UMAP's neighbour graph and by the placement here.
EXACT_KNN_ROWS = 50_000
# Rows placed per step (progress is reported between steps).
TRANSFORM_CHUNK = 50_000

# Progress reports: callback(stage, fraction done).
Callback = Callable[[str, float], None]


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
    # unseeded: the batch search runs on every core (800k rows among 200k: ~7 min -> ~3.5 min on two)
    index = NeighbourIndex(laid_out, approximate_above=EXACT_KNN_ROWS, random_state=random_state,
                           parallel_queries=random_state is None)
    k = min(k, index.n_items)
    for start in range(0, len(others), TRANSFORM_CHUNK):
        if callback is not None:
            callback("transform", start / len(others))
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
