"""Linked summaries of a catalogue's columns, and the cross-filter between them.

A `Facet` bins one column (categories, tags, numbers, popularity) into bars: every row belongs
to zero or more bars (an item with three tags is in three bars). Picking bars of one facet
filters the rows; every facet then shows its bars counted over the rows that pass the *other*
facets' filters (the cross-filter of Embedding Atlas and crossfilter.js), so a facet's own
choice never empties its own chart.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format
from scipy import sparse

# Bars per category facet (the rest are counted under "other").
MAX_CATEGORIES = 12
# Bins of a number facet.
NUMBER_BINS = 16
# A text column becomes a category facet when it has between 2 and this many distinct values.
MAX_DISTINCT = 200
# Facets drawn at most (popularity and the richest metadata columns first).
MAX_FACETS = 4
OTHER = "other"


@dataclass(frozen=True, eq=False)
class Facet:
    """One column binned into bars.

    Attributes
    ----------
    name : str
        Column (or "popularity", "cluster") shown as the chart's title.
    kind : {"category", "number"}
    labels : list of str
        One per bar, in drawing order.
    members : scipy.sparse.csr_matrix of bool, shape (n_rows, n_bars)
        Which bars each row is in.
    log : bool
        Number bins are log-spaced (popularity).
    """

    name: str
    kind: str
    labels: list[str]
    members: sparse.csr_matrix
    log: bool = False

    def counts(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Rows per bar, over the rows where ``mask`` is True (all rows by default)."""
        chosen = self.members if mask is None else self.members[np.flatnonzero(mask)]
        return np.asarray(chosen.sum(axis=0)).ravel().astype(np.int64)

    def rows_in(self, bars: Sequence[int]) -> np.ndarray:
        """Boolean mask of the rows in any of ``bars``."""
        bars = [b for b in bars if 0 <= b < len(self.labels)]
        if not bars:
            return np.zeros(self.members.shape[0], dtype=bool)
        return np.asarray(self.members[:, bars].sum(axis=1)).ravel() > 0


def category_facet(name: str, values: Sequence, *, max_bars: int = MAX_CATEGORIES) -> Facet:
    """Bars for the most common values; lists (tags, genres) put a row in several bars."""
    cells = pd.Series(list(values), dtype=object)
    multi = bool(cells.map(type).isin((list, tuple, np.ndarray)).any())
    exploded = cells.explode() if multi else cells        # a row with three tags becomes three rows
    exploded = exploded[exploded.notna()].astype(str)
    rows_values = pd.DataFrame({"row": exploded.index.to_numpy(np.int64), "value": exploded.to_numpy()})
    if multi:
        rows_values = rows_values.drop_duplicates()
    counts = rows_values["value"].value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top = [value for value, _ in ranked[:max_bars]]
    labels = top + ([OTHER] if len(ranked) > len(top) else [])
    position = {label: i for i, label in enumerate(top)}
    bars = rows_values["value"].map(position).fillna(len(top)).to_numpy(np.int64)
    pairs = np.unique(np.column_stack([rows_values["row"].to_numpy(), bars]), axis=0) if len(bars) else \
        np.zeros((0, 2), np.int64)
    return Facet(name, "category", labels, _membership(pairs[:, 0], pairs[:, 1], len(cells), len(labels)))


def number_facet(name: str, values, *, bins: int = NUMBER_BINS, log: bool = False,
                 low: float | None = None) -> Facet:
    """Bars for equal-width (or, with ``log``, log-spaced) bins of a number column; NaN in none.

    ``low``: values below it are in no bar (e.g. items hidden from the map).
    """
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=np.float64)
    finite = np.isfinite(x) & ((x > 0) if log else True)
    if low is not None:
        finite &= x >= low
    if not finite.any():
        return Facet(name, "number", [], _membership([], [], len(x), 0), log)
    low, high = float(x[finite].min()), float(x[finite].max())
    whole = bool(np.all(x[finite] == np.round(x[finite])))     # counts, years: bins of whole numbers
    if log:
        edges = np.unique(np.round(np.logspace(np.log10(low), np.log10(high + 1), bins + 1)))
    elif whole:
        edges = np.unique(np.round(np.linspace(low, high + 1, bins + 1)))
    else:
        edges = np.linspace(low, high if high > low else low + 1, bins + 1)
    which = np.clip(np.searchsorted(edges, x[finite], side="right") - 1, 0, len(edges) - 2)
    labels = [_bin_label(lo, hi, log or whole) for lo, hi in zip(edges[:-1], edges[1:])]
    return Facet(name, "number", labels, _membership(np.flatnonzero(finite), which, len(x), len(labels)), log)


def _bin_label(low: float, high: float, whole: bool) -> str:
    """"5–9" for whole numbers (the upper edge is excluded), "0.25–0.5" otherwise."""
    if whole:
        return f"{int(low)}" if high - 1 <= low else f"{int(low)}–{int(high) - 1}"
    return f"{low:.3g}–{high:.3g}"


def _membership(rows, cols, n_rows: int, n_bars: int) -> sparse.csr_matrix:
    data = np.ones(len(rows), dtype=bool)
    return sparse.csr_matrix((data, (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
                             shape=(n_rows, n_bars))


def table_facets(table: pd.DataFrame, popularity=None, clusters: Sequence[str] | None = None, *,
                 min_popularity: float | None = None, max_facets: int = MAX_FACETS) -> list[Facet]:
    """The facets worth drawing for a catalogue: cluster, popularity, genres/tags, then other
    columns (text with a few distinct values, numbers), at most ``max_facets``.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per point; ``genres`` holds lists; ``title`` and id-like columns are skipped.
    popularity : array-like, optional
        Interactions per row (a log-binned facet when any is positive).
    clusters : sequence of str, optional
        Cluster name per row.
    min_popularity : float, optional
        The popularity bars start here (rows below are not on the map).
    """
    facets = []
    if clusters is not None:
        facets.append(category_facet("cluster", clusters, max_bars=30))
    if popularity is not None and np.any(np.asarray(popularity) > 0):
        facets.append(number_facet("popularity", popularity, log=True, low=min_popularity))
    if "genres" in table and any(len(g) for g in table["genres"] if isinstance(g, list)):
        facets.append(category_facet("genres", table["genres"].tolist()))
    for column in table.columns:
        if len(facets) >= max_facets:
            break
        if column in ("title", "genres") or str(column).lower() in ("id", "ids", "url", "pictureurl"):
            continue
        series = table[column]
        distinct = series.nunique(dropna=True)
        name = str(column)
        if name in {f.name for f in facets}:       # e.g. the file's own "cluster" column
            name = f"{name} (file)"
        years = date_years(series)
        if years is not None and years.nunique() > 1:
            facets.append(number_facet(f"{name} (year)", years))
        elif pd.api.types.is_numeric_dtype(series) and distinct > 12:
            facets.append(number_facet(name, series))
        elif 2 <= distinct <= MAX_DISTINCT:
            facets.append(category_facet(name, series.tolist()))
    return facets[:max_facets]


def date_years(series: pd.Series, *, min_share: float = 0.9) -> pd.Series | None:
    """The year of each cell of a text column of dates in one format ("01-Jan-1995", "1995-01-31",
    "12/31/1999"), NaN where a cell is not such a date; None when under ``min_share`` of the filled
    cells are (a title or a genre column), or the column holds numbers.

    A release-date column binned by year reads as a timeline; as text it would be hundreds of
    one-item categories.
    """
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    filled = series.dropna()
    if filled.empty:
        return None
    layout = guess_datetime_format(str(filled.iloc[0]))
    if layout is None or layout == "%Y":        # a bare number is a number, not a date
        return None
    try:
        parsed = pd.to_datetime(series.astype("string"), format=layout, errors="coerce", utc="%z" in layout)
    except (TypeError, ValueError):
        return None
    if parsed.notna().sum() < min_share * len(filled):
        return None
    return parsed.dt.year.astype("float64")


def filter_mask(facets: Sequence[Facet], chosen: Mapping[str, Sequence[int]], n_rows: int, *,
                leave_out: str | None = None) -> np.ndarray:
    """Rows in the chosen bars of every facet (AND across facets, OR within one).

    ``leave_out`` names a facet whose own choice is ignored (to count that facet's bars).
    Choices for facets that do not exist are ignored.
    """
    keep = np.ones(n_rows, dtype=bool)
    for facet in facets:
        bars = chosen.get(facet.name)
        if facet.name != leave_out and bars:
            keep &= facet.rows_in(bars)
    return keep


def crossfilter_counts(facets: Sequence[Facet], chosen: Mapping[str, Sequence[int]],
                       base: np.ndarray) -> dict[str, np.ndarray]:
    """Per facet: its bars counted over the rows in ``base`` that pass the other facets' choices."""
    return {facet.name: facet.counts(base & filter_mask(facets, chosen, len(base), leave_out=facet.name))
            for facet in facets}


def describe_choice(facets: Sequence[Facet], chosen: Mapping[str, Sequence[int]]) -> list[str]:
    """Readable active filters: "genres: metal, jazz"."""
    out = []
    for facet in facets:
        bars = [b for b in chosen.get(facet.name, ()) if 0 <= b < len(facet.labels)]
        if bars:
            out.append(f"{facet.name}: {', '.join(facet.labels[b] for b in bars)}")
    return out
