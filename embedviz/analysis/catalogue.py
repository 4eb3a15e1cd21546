"""Item catalogue helpers for display: search, filters, colours, hover text, sampling.

Pure functions over the aligned item table (one row per item, columns ``title``,
``genres`` (lists) and any metadata) so the pages stay short and this stays testable.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from embedviz.analysis.facets import date_years

COLOUR_BY_GENRE = "Genre"
COLOUR_BY_POPULARITY = "Popularity"
COLOUR_BY_CLUSTER = "Cluster (k-means)"
COLOUR_BY_PRESERVATION = "Neighbourhood preserved"
COLOUR_NONE = "Nothing"


def main_genre(items: pd.DataFrame) -> np.ndarray:
    """First listed genre per item ("(none)" when missing), shape (n_items,)."""
    if "genres" not in items:
        return np.full(len(items), "(none)", dtype=object)
    return np.array([g[0] if isinstance(g, list) and g else "(none)" for g in items["genres"]], dtype=object)


def all_genres(items: pd.DataFrame) -> list[str]:
    """Distinct genres, most common first."""
    if "genres" not in items:
        return []
    counts = pd.Series([g for gs in items["genres"] if isinstance(gs, list) for g in gs]).value_counts()
    return list(counts.index)


def colour_options(items: pd.DataFrame, has_popularity: bool = True) -> list[str]:
    """What the scatter can be coloured by: built-ins plus any other metadata column."""
    genre = [COLOUR_BY_GENRE] if all_genres(items) else []
    extra = [c for c in items.columns if c not in ("title", "genres") and _colourable(items[c])]
    if has_popularity:
        return [COLOUR_BY_CLUSTER] + genre + [COLOUR_BY_POPULARITY, COLOUR_BY_PRESERVATION] + extra + [COLOUR_NONE]
    # uploads: their own labels first
    return genre + extra + [COLOUR_BY_CLUSTER, COLOUR_BY_PRESERVATION, COLOUR_NONE]


MAX_COLOUR_CATEGORIES = 40


def _colourable(column: pd.Series) -> bool:
    """Numbers or dates with some spread (a colour scale), or text with a few categories - not one
    URL per item, which would give every point its own colour."""
    distinct = column.nunique(dropna=True)
    if pd.api.types.is_numeric_dtype(column):
        return distinct > 1
    years = date_years(column)
    if years is not None:
        return years.nunique() > 1
    return 1 < distinct <= MAX_COLOUR_CATEGORIES


def colour_values(items: pd.DataFrame, by: str, popularity: np.ndarray, clusters=None, preservation=None):
    """(values, numeric, log) for `embedviz.viz.plots.embedding_scatter`'s colour arguments."""
    if by == COLOUR_BY_PRESERVATION:
        return np.asarray(preservation, dtype=float), True, False
    if by == COLOUR_BY_GENRE:
        return main_genre(items), False, False
    if by == COLOUR_BY_POPULARITY:
        return popularity, True, True
    if by == COLOUR_BY_CLUSTER:
        return np.asarray(clusters), False, False
    if by in items.columns:
        column = items[by]
        if pd.api.types.is_numeric_dtype(column) and column.nunique() > 12:
            return column.to_numpy(dtype=float), True, False
        years = date_years(column)
        if years is not None:
            return years.to_numpy(), True, False
        return column.astype(str).to_numpy(), False, False
    return None, False, False


def hover_text(items: pd.DataFrame, popularity: np.ndarray) -> list[str]:
    """Title, genres and interaction count per item (plain text; the plot escapes it).

    Without any counts (uploaded vectors) the count line is left out: a hundred thousand
    "0 interactions" lines would only make the page's data larger.
    """
    genres = items["genres"] if "genres" in items else pd.Series([[]] * len(items))
    counted = bool(np.any(np.asarray(popularity) > 0))
    return [
        f"{title}\n{', '.join(g) if isinstance(g, list) else ''}" + (f"\n{int(p):,} interactions" if counted else "")
        for title, g, p in zip(items["title"].astype(str), genres, popularity)
    ]


def filter_mask(items: pd.DataFrame, popularity: np.ndarray, genres=(), min_interactions: int = 0) -> np.ndarray:
    """Items in any of ``genres`` (all when empty) with at least ``min_interactions``."""
    keep = np.asarray(popularity) >= min_interactions
    if genres and "genres" in items:
        wanted = set(genres)
        keep &= np.array([isinstance(g, list) and bool(wanted & set(g)) for g in items["genres"]])
    return keep


def search_titles(titles: np.ndarray, query: str, limit: int = 20) -> np.ndarray:
    """Indices of titles containing ``query`` (case-insensitive), prefix matches first."""
    query = query.strip().lower()
    if not query:
        return np.array([], dtype=np.int64)
    lowered = pd.Series(titles, dtype=str).str.lower()
    hits = np.flatnonzero(lowered.str.contains(query, regex=False).to_numpy())
    starts = lowered.iloc[hits].str.startswith(query).to_numpy()
    return hits[np.argsort(~starts, kind="stable")][:limit]


def display_sample(n: int, max_points: int, must_keep=(), seed: int = 0) -> np.ndarray:
    """Row indices to draw: everything, or a uniform random sample (which preserves the
    layout's density) of ``max_points`` plus the rows in ``must_keep``; sorted."""
    if n <= max_points:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(n, size=max_points, replace=False)
    return np.union1d(chosen, np.asarray(must_keep, dtype=np.int64))


def sizes_from_popularity(popularity: np.ndarray, low: float = 3.0, high: float = 14.0) -> np.ndarray:
    """Marker sizes growing with log popularity."""
    scaled = np.log1p(np.asarray(popularity, dtype=float))
    span = scaled.max() - scaled.min() or 1.0
    return low + (high - low) * (scaled - scaled.min()) / span


def points_to_draw(candidates: np.ndarray, max_points: int, must_keep=(), seed: int = 0) -> np.ndarray:
    """Which ``candidates`` (space rows that pass the filters) go into the map's trace.

    All of them when they fit; else a uniform random sample of ``max_points`` (it keeps the
    layout's density) plus every row of ``must_keep`` among the candidates (the clicked point,
    the selection, neighbours). Returns sorted space rows.
    """
    candidates = np.asarray(candidates, dtype=np.int64)
    keep = np.searchsorted(candidates, np.intersect1d(np.asarray(must_keep, dtype=np.int64), candidates))
    return candidates[display_sample(len(candidates), max_points, keep, seed)]
