"""Pieces the synthetic generators share: the result type, Zipf weights and fast sampling."""
from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np


class SyntheticFiles(NamedTuple):
    """What a generator wrote and what a test may assert about it.

    Attributes
    ----------
    paths : dict[str, pathlib.Path]
        Role -> file written (e.g. ``"ratings"`` -> ``.../u.data``).
    truth : dict[str, Any]
        Known answers: counts, the latent group of each item, the encoding used, ...
    """

    paths: dict[str, Path]
    truth: dict[str, Any]


def zipf_weights(n: int, exponent: float, rng: np.random.Generator,
                 offset: float = 0.0) -> np.ndarray:
    """Popularity weights ``1 / (rank + offset) ** exponent`` in a random order (sum 1).

    A positive ``offset`` (Zipf-Mandelbrot) flattens the head, as real charts are flat at the top.
    """
    weights = 1.0 / (np.arange(1, n + 1, dtype=np.float64) + offset) ** exponent
    weights = weights[rng.permutation(n)]
    return weights / weights.sum()


def gumbel_top_k(log_weights: np.ndarray, counts: np.ndarray,
                 rng: np.random.Generator) -> list[np.ndarray]:
    """For each row, ``counts[row]`` distinct columns drawn without replacement by weight.

    The Gumbel-top-k trick: adding Gumbel noise to log-weights and keeping the k largest
    is the same as drawing k times without replacement, one vectorised sort for all rows.
    """
    keys = log_weights + rng.gumbel(size=log_weights.shape)
    order = np.argsort(-keys, axis=1)
    return [order[row, :k] for row, k in enumerate(counts)]


def split_total(total: int, weights: np.ndarray, low: int, high: int) -> np.ndarray:
    """Integers within ``[low, high]`` roughly proportional to ``weights`` that sum to ``total``."""
    counts = np.clip(np.round(weights / weights.sum() * total), low, high).astype(np.int64)
    for _ in range(100):                       # clipping moves the sum; spread the rest
        gap = total - int(counts.sum())
        if gap == 0:
            break
        room = (counts < high) if gap > 0 else (counts > low)
        idx = np.flatnonzero(room)
        step = np.sign(gap) * np.ones(min(abs(gap), idx.size), dtype=np.int64)
        chosen = idx[np.argsort(-weights[idx] if gap > 0 else weights[idx])[: step.size]]
        counts[chosen] += step
    return counts


def zipf_slope(counts: np.ndarray, low_rank: int = 10, high_rank: int = 1000) -> float:
    """Least-squares slope of log(count) against log(rank) between two ranks.

    A Zipf law ``count ∝ rank ** -s`` gives ``-s``.
    """
    ordered = np.sort(np.asarray(counts))[::-1]
    high_rank = min(high_rank, int((ordered > 0).sum()))
    ranks = np.arange(low_rank, high_rank + 1)
    return float(np.polyfit(np.log(ranks), np.log(ordered[ranks - 1]), 1)[0])


def ensure_dir(out_dir: str | Path) -> Path:
    path = Path(out_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path
