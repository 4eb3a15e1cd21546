"""Ranking helpers shared by the models and the evaluation: best-k per row, seen items masked."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` columns per row, best first (ties inside the top k: lower column first).

    Parameters
    ----------
    scores : ndarray, shape (n_rows, n_cols)
    k : int

    Returns
    -------
    indices : int64 ndarray, shape (n_rows, min(k, n_cols))
    values : ndarray, shape (n_rows, min(k, n_cols))
    """
    k = min(k, scores.shape[1])
    if k < scores.shape[1]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)  # equal scores: lower index first
    indices = np.take_along_axis(part, order, axis=1).astype(np.int64)
    return indices, np.take_along_axis(part_scores, order, axis=1)


def mask_seen(scores: np.ndarray, matrix: sp.csr_matrix, rows: np.ndarray) -> None:
    """Set ``scores[b, j] = -inf`` where ``matrix[rows[b], j]`` is stored; in place."""
    sub = matrix[rows]
    batch_rows = np.repeat(np.arange(len(rows)), np.diff(sub.indptr))
    scores[batch_rows, sub.indices] = -np.inf
