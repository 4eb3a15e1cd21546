"""Positions for rows left out of a layout: among their nearest laid-out neighbours.

The same idea as umap-learn's ``transform`` start: a new row goes to the weighted mean position
of its nearest rows that have a position. For 100k rows (20k laid out) it took 10 s against
110 s for umap-learn's ``transform``, which also needs pynndescent (~30 s to compile per process).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from embedviz.analysis.neighbours import NeighbourIndex, scores_to_distances

# Rows placed per step (progress is reported between steps).
TRANSFORM_CHUNK = 50_000


def place_by_neighbours(laid_out, xy, others, k: int = 15, metric: str = "cosine", *,
                        callback: Callable[[str, float], None] | None = None, random_state: int | None = 0,
                        approximate_above: int = 50_000) -> np.ndarray:
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
    random_state : int, optional
        Seed of the approximate index (above ``approximate_above`` laid-out rows).
    approximate_above : int
        Search the laid-out rows approximately when there are more than this.

    Returns
    -------
    ndarray of float32, shape (m, n_components)
    """
    others = np.asarray(others, dtype=np.float32)
    out = np.empty((len(others), xy.shape[1]), np.float32)
    if len(others) == 0:
        return out
    index = NeighbourIndex(laid_out, approximate_above=approximate_above, random_state=random_state)
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
