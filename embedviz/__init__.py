"""embedviz: learn, project and compare embeddings of users and items.

The public API (see DESIGN.md) is exported lazily, so ``import embedviz`` is
cheap and heavy libraries (numba kernels, umap, plotly) load on first use.
"""
from importlib import import_module

from embedviz.errors import DataError
from embedviz.interactions import Interactions

__version__ = "0.1.0"

_EXPORTS = {
    "load_interactions": "embedviz.loaders",
    "load_item_metadata": "embedviz.loaders",
    "read_table": "embedviz.loaders",
    "guess_columns": "embedviz.loaders",
    "align_metadata": "embedviz.loaders",
    "load_embeddings": "embedviz.embeddings",
    "WALS": "embedviz.models.wals",
    "GradientDescentMF": "embedviz.models.gradient_descent",
    "load_model": "embedviz.models.base",
    "split": "embedviz.evaluation",
    "evaluate": "embedviz.evaluation",
    "PopularityBaseline": "embedviz.evaluation",
    "nearest_neighbours": "embedviz.neighbours",
    "overlap_stats": "embedviz.neighbours",
    "explain_difference": "embedviz.neighbours",
    "NeighbourIndex": "embedviz.neighbours",
    "exact_knn_graph": "embedviz.neighbours",
    "METRICS": "embedviz.neighbours",
    "project": "embedviz.projection",
    "trustworthiness": "embedviz.projection",
    "cluster_embeddings": "embedviz.clustering",
    "label_clusters": "embedviz.clustering",
}

__all__ = ["DataError", "Interactions", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'embedviz' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
