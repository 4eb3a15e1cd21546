"""Comparing neighbour lists: overlap statistics and a plain-language caption of why they differ."""
from __future__ import annotations

import numpy as np

from embedviz.analysis.metrics import METRICS, check_metric


def _as_list(values, name: str) -> np.ndarray:
    array = np.asarray(values).reshape(-1)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer row indices, got dtype {array.dtype}")
    return array.astype(np.int64)


def _spearman_of_positions(positions_b: np.ndarray) -> float | None:
    """Spearman correlation between 0..m-1 and the ranks of ``positions_b``."""
    m = len(positions_b)
    if m < 2:
        return None
    ranks_b = np.argsort(np.argsort(positions_b))
    d2 = float(((np.arange(m) - ranks_b) ** 2).sum())
    return 1.0 - 6.0 * d2 / (m * (m * m - 1))


def overlap_stats(list_a, list_b, *, popularity=None, norms=None) -> dict:
    """Numbers that say how two neighbour lists differ and why.

    Parameters
    ----------
    list_a, list_b : array-like of int
        Ranked row indices (best first), e.g. cosine and euclidean neighbours.
    popularity : array-like, shape (n_items,), optional
        Interactions per item.
    norms : array-like, shape (n_items,), optional
        Vector length per item.

    Returns
    -------
    dict
        ``jaccard`` (|A ∩ B| / |A ∪ B|; 1.0 for two empty lists), ``shared``
        (count), ``shared_items`` (int64 array, in list A's order),
        ``rank_correlation`` (Spearman of the shared items' ranks in A and B;
        None when fewer than 2 are shared), and when given
        ``mean_popularity_a/b`` and ``mean_norm_a/b`` (None for an empty list).
    """
    a, b = _as_list(list_a, "list_a"), _as_list(list_b, "list_b")
    in_b = np.isin(a, b)
    shared = a[in_b]
    union = len(np.union1d(a, b))
    position_in_b = {item: pos for pos, item in reversed(list(enumerate(b.tolist())))}
    stats = {
        "jaccard": len(np.unique(shared)) / union if union else 1.0,
        "shared": int(len(shared)),
        "shared_items": shared,
        "rank_correlation": _spearman_of_positions(
            np.array([position_in_b[item] for item in shared.tolist()])
        ),
    }
    for name, values in (("popularity", popularity), ("norm", norms)):
        if values is not None:
            values = np.asarray(values, dtype=np.float64)
            stats[f"mean_{name}_a"] = float(values[a].mean()) if a.size else None
            stats[f"mean_{name}_b"] = float(values[b].mean()) if b.size else None
    return stats


# A list "favours" longer vectors / more popular items when its mean is this
# many times the cosine list's.
FAVOURS_RATIO = 1.25


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2g}"


def _popularity_clause(mean_list, mean_cosine, catalogue_mean, unit) -> str:
    if mean_list * FAVOURS_RATIO <= mean_cosine:
        who = f"items with few {unit}" if mean_list < catalogue_mean else f"items with fewer {unit}"
    elif mean_list >= mean_cosine * FAVOURS_RATIO:
        who = "popular items" if mean_list > catalogue_mean else f"items with more {unit}"
    else:
        return ""
    return f" — {who} here (mean {_number(mean_list)} {unit} vs {_number(mean_cosine)} for cosine)"


def _versus_cosine(metric, lists, norms, popularity, unit) -> str:
    """One sentence on how ``metric``'s list differs from the cosine list."""
    label = METRICS[metric].label
    norm_m, norm_c = norms[lists[metric]].mean(), norms[lists["cosine"]].mean()
    shared = overlap_stats(lists[metric], lists["cosine"])["shared"]
    if norm_m * FAVOURS_RATIO <= norm_c or norm_m >= norm_c * FAVOURS_RATIO:
        size = "short" if norm_m < norm_c else "long"
        clause = ""
        if popularity is not None:
            clause = _popularity_clause(popularity[lists[metric]].mean(),
                                        popularity[lists["cosine"]].mean(),
                                        popularity.mean(), unit)
        return (f"{label} favours items with {size} vectors{clause}; mean length "
                f"{_number(norm_m)} vs {_number(norm_c)} for cosine.")
    return (f"{label} and cosine pick vectors of similar length and share {shared} of "
            f"{len(lists['cosine'])} items.")


def explain_difference(lists: dict, *, norms, popularity=None,
                       unit: str = "ratings") -> str:
    """A short plain-language caption saying why the metrics' lists differ.

    Parameters
    ----------
    lists : dict
        Metric name -> ranked row indices, e.g. ``{"cosine": ..., "euclidean":
        ..., "dot": ...}``; must contain "cosine" (the reference) and at least
        one other metric.
    norms : array-like, shape (n_items,)
        Vector length of every item (the catalogue, not only the lists).
    popularity : array-like, shape (n_items,), optional
        Interactions per item; adds "popular" / "rarely rated" to the caption.
    unit : str
        What popularity counts, e.g. "ratings", "plays", "interactions".

    Returns
    -------
    str
        One to three sentences, e.g. "Euclidean favours items with short
        vectors — items with few ratings here (mean 3 ratings vs 40 for
        cosine);
        mean length 0.31 vs 1.2 for cosine."
    """
    for metric in lists:
        check_metric(metric)
    if "cosine" not in lists or len(lists) < 2:
        raise ValueError(
            f"lists must hold 'cosine' and at least one other metric, got {sorted(lists)}"
        )
    lists = {metric: _as_list(items, metric) for metric, items in lists.items()}
    norms = np.asarray(norms, dtype=np.float64)
    popularity = None if popularity is None else np.asarray(popularity, dtype=np.float64)
    if any(items.size == 0 for items in lists.values()):
        return "Nothing to compare: a list is empty."
    same_length = np.ptp(norms) <= 1e-3 * max(norms.mean(), 1e-12)
    sentences = [_sentence(metric, lists, norms, popularity, unit, same_length)
                 for metric in METRICS if metric in lists and metric != "cosine"]
    return " ".join(sentences)


def _sentence(metric, lists, norms, popularity, unit, same_length: bool) -> str:
    """How one metric's list compares with the cosine list."""
    label = METRICS[metric].label
    if same_length:
        shared = overlap_stats(lists[metric], lists["cosine"])["shared"]
        return ("All vectors have the same length (normalised embeddings), so only direction "
                f"counts and cosine and {label.lower()} give the same list ({shared} of "
                f"{len(lists['cosine'])} shared).")
    if np.array_equal(lists[metric], lists["cosine"]):
        return f"Cosine and {label.lower()} give exactly the same list here."
    return _versus_cosine(metric, lists, norms, popularity, unit)
