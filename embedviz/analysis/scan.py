"""Nearest neighbours of one row over vectors too big to copy: a block-by-block exact scan.

`embedviz.analysis.neighbours.NeighbourIndex` keeps a normalised float32 copy of the vectors
(cosine) and builds pynndescent indexes above 2M rows; for a memory-mapped 1M x 64 set that copy
alone is 256 MB per metric. A click asks for one row's neighbours, which one pass over the
vectors answers exactly (1M x 64: ~40 ms with two cores) reading the norms computed at open and
a block of ~16 MB at a time, so nothing grows with the number of rows but the (n,) scores.
"""
from __future__ import annotations

import numpy as np

from embedviz.analysis.metrics import METRICS, check_metric
from embedviz.validation import check_int

BLOCK_ROWS = 65_536


def scan_neighbours(vectors: np.ndarray, norms: np.ndarray, query, k: int = 10, metric: str = "cosine",
                    *, exclude=()) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows nearest to a row (left out of its own list) or to a vector, by exact scan.

    Parameters
    ----------
    vectors : ndarray, shape (n, d), float32
        May be memory-mapped; read a block at a time, never copied whole.
    norms : ndarray, shape (n,)
        Row lengths of ``vectors``.
    query : int or ndarray of shape (d,)
        A row number or a raw vector.
    k : int
        Neighbours wanted (fewer when fewer rows are left).
    metric : {"cosine", "euclidean", "dot"}
    exclude : array of int
        Rows to leave out.

    Returns
    -------
    rows : ndarray of int64, shape (k,)
    scores : ndarray of float64, shape (k,)
        Cosine similarity or dot product (descending) or euclidean distance (ascending), like
        `NeighbourIndex.query`; ties by lower row first.
    """
    check_metric(metric)
    k = check_int("k", k, 1)
    n = len(vectors)
    left_out = np.asarray(exclude, dtype=np.int64).reshape(-1)
    if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
        if not 0 <= query < n:
            raise IndexError(f"row {query} is outside the {n:,} vectors")
        left_out = np.append(left_out, int(query))
        q = np.asarray(vectors[int(query)], dtype=np.float64)
    else:
        q = np.asarray(query, dtype=np.float64).reshape(-1)
        if q.shape != (vectors.shape[1],) or not np.isfinite(q).all():
            raise ValueError(f"query must be a row number or a finite vector of length {vectors.shape[1]}")
    n_candidates = min(n, k + len(left_out) + 8)
    candidates = _candidates(vectors, norms, q, metric, n_candidates)
    candidates = candidates[~np.isin(candidates, left_out)]
    scores = _exact(vectors, norms, candidates, q, metric)
    primary = -scores if METRICS[metric].higher_is_closer else scores
    order = np.lexsort((candidates, primary))[:k]
    return candidates[order], scores[order]


def _candidates(vectors, norms, q: np.ndarray, metric: str, m: int) -> np.ndarray:
    """The ``m`` best rows by a float32 key (higher is better), block by block."""
    q32 = q.astype(np.float32)
    q_norm = float(np.linalg.norm(q))
    if metric != "euclidean" and q_norm == 0:     # every score is 0: the first rows, as the index gives
        return np.arange(min(m, len(vectors)), dtype=np.int64)
    best_rows = np.zeros(0, dtype=np.int64)
    best_keys = np.zeros(0, dtype=np.float32)
    for start in range(0, len(vectors), BLOCK_ROWS):
        block = np.asarray(vectors[start:start + BLOCK_ROWS])
        key = block @ q32
        block_norms = np.asarray(norms[start:start + BLOCK_ROWS], dtype=np.float32)
        if metric == "cosine":
            key /= np.where(block_norms > 0, block_norms, 1.0) * q_norm
        elif metric == "euclidean":      # -|v - q|^2 / 2 up to a constant
            key -= 0.5 * block_norms ** 2
        take = min(m, len(key))
        top = np.argpartition(-key, take - 1)[:take]
        best_rows = np.concatenate([best_rows, top + start])
        best_keys = np.concatenate([best_keys, key[top]])
        if len(best_rows) > 4 * m:
            keep = np.argpartition(-best_keys, m - 1)[:m]
            best_rows, best_keys = best_rows[keep], best_keys[keep]
    keep = np.argpartition(-best_keys, min(m, len(best_keys)) - 1)[:m]
    return best_rows[keep]


def _exact(vectors, norms, rows: np.ndarray, q: np.ndarray, metric: str) -> np.ndarray:
    """float64 scores of ``rows`` (re-scored exactly: the float32 scan only shortlists)."""
    picked = np.asarray(vectors[np.sort(rows)], dtype=np.float64)[np.argsort(np.argsort(rows))]
    if metric == "euclidean":
        return np.sqrt(((picked - q) ** 2).sum(axis=1))
    dots = picked @ q
    if metric == "dot":
        return dots
    denominator = np.linalg.norm(picked, axis=1) * np.linalg.norm(q)
    return np.divide(dots, denominator, out=np.zeros_like(dots), where=denominator > 0)
