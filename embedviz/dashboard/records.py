"""Plain records the pages keep in session state (no streamlit here, so tests can build them)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from embedviz.dashboard.cache import DerivedCache
from embedviz.data.interactions import Interactions
from embedviz.data.loaders import LoadReport
from embedviz.data.metadata import MetadataReport
from embedviz.models.base import FactorizationModel


@dataclass(eq=False)
class Dataset:
    """A loaded data set: interactions, item metadata in item order, and where it came from.

    ``digest`` identifies the content (sha256 of the uploaded bytes); caches key on it.
    """

    name: str
    interactions: Interactions
    items: pd.DataFrame          # one row per item, in interactions.item_ids order; has "title", "genres"
    digest: str
    report: LoadReport | None = None  # when it came from a file
    is_demo: bool = False
    meta_report: MetadataReport | None = None   # how the item metadata covers the items
    derived: DerivedCache = field(default_factory=DerivedCache)   # its summary charts, built once

    def __post_init__(self):
        self.items.attrs = {}   # the loader's bookkeeping; Streamlit cannot serialise it

    @property
    def titles(self) -> np.ndarray:
        return self.items["title"].astype(str).to_numpy()

    @property
    def warnings(self) -> list[str]:
        """What a person must know before showing this data set (e.g. titles that are ids)."""
        return list(self.meta_report.warnings) if self.meta_report is not None else []


@dataclass(eq=False)
class TrainedModel:
    """A fitted model with the split it was evaluated on and its scores."""

    name: str
    model: FactorizationModel
    params: dict
    dataset_digest: str
    seconds: float = 0.0
    metrics: dict = field(default_factory=dict)
    baseline_metrics: dict = field(default_factory=dict)
    train: Interactions | None = None
    test: Interactions | None = None
    partial: bool = False        # training was cancelled before its last step and kept anyway
    derived: DerivedCache = field(default_factory=DerivedCache)   # spaces, recommendation tables
    warnings: list = field(default_factory=list)   # what fitting warned about (e.g. all scores ~0)

    @property
    def kind(self) -> str:
        return type(self.model).__name__



@dataclass(eq=False)
class Space:
    """A set of vectors to explore, with what the pages show about each row.

    Built from a model's item (and/or user) factors or from uploaded embeddings.
    Layouts, neighbour indexes and clusterings computed for it are kept in ``derived``.
    """

    name: str
    vectors: np.ndarray            # (n, d) float32
    table: pd.DataFrame            # one row per vector: "title", "genres", metadata columns
    popularity: np.ndarray         # (n,) interactions per row (0 when unknown)
    is_user: np.ndarray            # (n,) bool
    ids: np.ndarray                # (n,) original ids (item ids, user ids, or uploaded labels)
    # (n,) interactions the vectors were learned from (a model's training split); None: ``popularity``
    evidence: np.ndarray | None = None
    derived: DerivedCache = field(default_factory=DerivedCache)   # layouts, indexes, clusters

    @property
    def titles(self) -> np.ndarray:
        return self.table["title"].astype(str).to_numpy()
