"""embedviz: learn, project and compare embeddings of users and items.

The public API (see DESIGN.md) is exported lazily, so ``import embedviz`` is
cheap and heavy libraries (numba kernels, umap, plotly) load on first use. Type
checkers read the real imports below (``TYPE_CHECKING``), so ``ev.WALS`` is the class.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from embedviz.data.interactions import Interactions
from embedviz.errors import DataError, NotFittedError, TrainingDivergedError

if TYPE_CHECKING:
    from embedviz.analysis.clustering import cluster_embeddings, label_clusters
    from embedviz.analysis.comparison import explain_difference, overlap_stats
    from embedviz.analysis.evaluation import PopularityBaseline, evaluate, split
    from embedviz.analysis.metrics import METRICS, Metric
    from embedviz.analysis.neighbours import NeighbourIndex, exact_knn_graph, nearest_neighbours
    from embedviz.analysis.projection import project, trustworthiness
    from embedviz.data.columns import guess_columns
    from embedviz.data.embeddings import EmbeddingSet, load_embeddings
    from embedviz.data.loaders import LoadReport, load_interactions
    from embedviz.data.metadata import align_metadata, load_item_metadata
    from embedviz.data.readers import read_table
    from embedviz.models.gradient_descent import GradientDescentMF
    from embedviz.models.persistence import load_model
    from embedviz.models.registry import MODELS
    from embedviz.models.wals import WALS
    from embedviz.spark.factors import load_factors
    from embedviz.tuning import TuneResult, tune

__version__ = "0.1.0"



def _lazy_exports() -> dict[str, str]:
    """Public name -> defining module, read from the ``TYPE_CHECKING`` imports above, so the
    list of public names is written once for both type checkers and lazy loading."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    block = next(node for node in tree.body
                 if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING")
    return {alias.name: node.module for node in block.body
            if isinstance(node, ast.ImportFrom) and node.module for alias in node.names}


_EXPORTS = _lazy_exports()

__all__ = ["DataError", "Interactions", "NotFittedError", "TrainingDivergedError", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'embedviz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
