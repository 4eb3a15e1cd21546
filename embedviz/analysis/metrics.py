"""Similarity measures: one `Metric` entry per way of scoring a pair of vectors."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Metric:
    """How one similarity measure scores a pair of vectors.

    Attributes
    ----------
    label : str
        Name to show on a page.
    score_name : str
        What the returned score is ("similarity", "distance", ...).
    higher_is_closer : bool
        True when larger scores mean nearer neighbours (results sorted
        descending); False for distances (sorted ascending).
    description : str
        One-line plain-language explanation.
    """

    label: str
    score_name: str
    higher_is_closer: bool
    description: str

    @property
    def score_help(self) -> str:
        """What a score column holds, e.g. "cosine similarity, higher is closer"."""
        return f"{self.score_name}, {'higher' if self.higher_is_closer else 'lower'} is closer"


METRICS = {
    "cosine": Metric(
        "Cosine", "cosine similarity", True,
        "Angle between vectors: direction only, length ignored.",
    ),
    "euclidean": Metric(
        "Euclidean", "euclidean distance", False,
        "Straight-line distance: direction and length both count.",
    ),
    "dot": Metric(
        "Dot product", "dot product", True,
        "What recommendation scores use: rewards long (often popular) vectors.",
    ),
}


def check_metric(metric: str) -> Metric:
    """The `Metric` for a name; ValueError listing the valid names otherwise."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    return METRICS[metric]


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, shape and dtype kept; zero rows stay zero
    (so their cosine similarity with everything is 0)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
