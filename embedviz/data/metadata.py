"""Item metadata: titles, genres and other columns, read from a file and aligned to the items.

Which column is which is guessed in `embedviz.data.metadata_columns` (a headerless MovieLens
``u.item`` included) or given; `metadata_report` says how well the metadata covers the items
of a data set, for the Data page's validation report and its warnings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from embedviz.data.metadata_columns import (
    ID_NAMES,
    MetadataMapping,
    describe_text,
    flag_matrix,
    guess_content_columns,
    guess_metadata_columns,
    name_flags,
    resolve_genre_names,
    span,
)
from embedviz.data.readers import TableInfo, read_table
from embedviz.data.sources import DEFAULT_MAX_BYTES, source_name
from embedviz.data.values import id_values, locator
from embedviz.errors import DataError

__all__ = ["ID_NAMES", "MetadataReport", "align_metadata", "item_table", "load_item_metadata",
           "metadata_from_frame", "metadata_report", "split_multi_values"]

NO_GENRE = {"(no genres listed)", "(none)", "none", "n/a", "unknown"}


def load_item_metadata(source, *, id_col: str | None = None, title_col: str | None = None,
                       genre_col: str | None = None, flag_cols=None, genre_names=None,
                       name: str | None = None, header: bool | None = None,
                       max_bytes: int | None = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read item metadata (titles, genres, anything else) indexed by item id.

    Parameters
    ----------
    source : str, pathlib.Path, bytes or file-like
        CSV (any supported delimiter, header optional, any encoding Latin-1 included), gzip
        CSV or Parquet; e.g. MovieLens's ``movies.csv`` or its headerless ``u.item``.
    id_col, title_col, genre_col : str, optional
        Columns to use; None guesses them: ids from a column named like ``movieId`` / ``id``
        (else the first), titles from one named like ``title`` / ``name`` (else the text column
        with the most distinct values that is not URLs, dates or numbers), genres from one
        named like ``genres`` / ``tags`` (lists, or text split on ``|`` and ``;``).
    flag_cols : sequence of str, optional
        A block of 0/1 columns, one per genre; None looks for the longest run of adjacent
        0/1 columns when there is no genre column.
    genre_names : sequence of str, or a path / bytes of a ``u.genre``-style file, optional
        Names of the flag columns, in order (``name|index`` lines, one name per line, or a
        list). None names them after their columns.
    name : str, optional
        Display name for messages.
    header : bool, optional
        Whether the first row holds column names; None detects it.
    max_bytes : int or None
        Size limit (None: no size or memory limit, for local files).

    Returns
    -------
    pandas.DataFrame, shape (n_items, n_columns)
        Index: item ids (the first row is kept for duplicates). Columns: ``title`` (str),
        ``genres`` (list of str), then every other column. ``attrs["notes"]`` says which
        columns were used and what was dropped; ``attrs["mapping"]`` is the `MetadataMapping`.

    Raises
    ------
    DataError
        No data rows, no text column for titles, every id repeated, flag columns holding
        values other than 0 / 1, or a number of genre names that differs from the flag columns.
    """
    name = source_name(source, name)
    frame = read_table(source, name=name, header=header, max_bytes=max_bytes)
    mapping = guess_metadata_columns(frame, id_col=id_col, title_col=title_col,
                                     genre_col=genre_col, flag_cols=flag_cols, name=name)
    names_from = "a list" if isinstance(genre_names, (list, tuple)) else source_name(genre_names)
    names = resolve_genre_names(genre_names, name=names_from)
    return metadata_from_frame(frame, mapping, name=name, genre_names=names,
                               names_from=names_from)


def metadata_from_frame(frame: pd.DataFrame, mapping: MetadataMapping, *, name: str,
                        genre_names: list[str] | None = None,
                        names_from: str = "genre names") -> pd.DataFrame:
    """Validate a raw table with chosen columns into item metadata (see `load_item_metadata`)."""
    if len(frame) == 0:
        raise DataError(f"{name}: has a header row but no data rows; expected one row per item")
    if mapping.title is None:
        raise DataError(no_title_message(frame, mapping, name))
    if mapping.id is None:
        raise DataError(f"{name}: no item id column chosen")
    ids = id_values(frame[mapping.id], "item", mapping.id, name=name, where=locator(frame))
    _reject_all_duplicated(ids, mapping.id, name)
    genre_labels = name_flags(mapping, genre_names, name=name, names_from=names_from)
    info: TableInfo | None = frame.attrs.get("table_info")
    meta = item_table(frame, ids, delimiter=info.delimiter if info else None, mapping=mapping,
                      genre_labels=genre_labels, name=name)
    meta.index.name = mapping.id
    notes = _notes(frame, mapping, genre_labels, genre_names is not None, names_from)
    empty = [c for c in meta.columns if c not in ("title", "genres") and meta[c].isna().all()]
    if empty:       # e.g. u.item's video release date: nothing to show or colour by
        meta = meta.drop(columns=empty)
        notes.append(f"Left out {len(empty)} empty column{'s' if len(empty) > 1 else ''}: "
                     f"{', '.join(map(repr, empty))}.")
    duplicated = meta.index.duplicated(keep="first")
    if duplicated.any():
        examples = ", ".join(map(repr, meta.index[duplicated][:3]))
        notes.append(f"{int(duplicated.sum()):,} duplicate item ids (e.g. {examples}): kept the "
                     "first row of each.")
        meta = meta[~duplicated]
    meta.attrs = {"notes": notes, "table_info": info, "mapping": mapping, "source": name,
                  "rows": len(frame), "unnamed_flags": bool(mapping.flags) and genre_names is None
                  and not (info is None or info.had_header)}
    return meta


def no_title_message(frame: pd.DataFrame, mapping: MetadataMapping, name: str) -> str:
    kinds = ", ".join(f"{c!r} ({describe_text(frame[c])})" for c in map(str, frame.columns)
                      if c not in mapping.used)
    return (f"{name}: no text column to take item titles from (other columns: {kinds or 'none'}); "
            "expected a column of names or titles, not URLs, dates or numbers")


def _reject_all_duplicated(ids: np.ndarray, column: str, name: str) -> None:
    counts = pd.Series(ids).value_counts()
    if len(ids) > 1 and counts.min() > 1:
        raise DataError(f"{name}: every value of the id column {column!r} repeats ({len(ids):,} "
                        f"rows, {len(counts):,} distinct ids, e.g. {counts.index[0]!r} on "
                        f"{int(counts.iloc[0]):,} rows); expected one row per item - is "
                        f"{column!r} the item id?")


def _notes(frame: pd.DataFrame, mapping: MetadataMapping, labels: list[str], named: bool,
           names_from: str) -> list[str]:
    info: TableInfo | None = frame.attrs.get("table_info")
    notes = [f"Read {len(frame):,} rows from {info.name if info else 'a table'}"
             + ("" if info is None or info.format != "csv"
                else f" ({info.delimiter_label}-separated, "
                     + ("with a header row" if info.had_header else "no header row")
                     + (f", {info.encoding}" if info.encoding not in (None, "UTF-8") else "") + ")")
             + "."]
    genres = "nowhere (no genre column)"
    if mapping.genres is not None:
        genres = repr(mapping.genres)
    elif mapping.flags:
        genres = (f"{len(labels)} 0/1 flag columns {span(mapping.flags)}, named "
                  + (f"by {names_from}" if named else "after their columns"))
    notes.append(f"Item ids from column {mapping.id!r}; titles from {mapping.title!r}; genres "
                 f"from {genres}.")
    return notes


def item_table(frame: pd.DataFrame, ids: np.ndarray, *, delimiter: str | None = None,
               mapping: MetadataMapping | None = None, genre_labels: list[str] | None = None,
               name: str = "metadata") -> pd.DataFrame:
    """Metadata columns with ``title`` (str) and ``genres`` (list) first, indexed by ``ids``.

    ``mapping`` None guesses the columns (titles fall back to the ids when no column fits).
    Genres come from a genre column split on ``|`` (and ``;`` unless ``;`` separates the
    file's fields, and ``,`` when neither occurs and ``,`` does not separate fields), or from
    a block of 0/1 columns named by ``genre_labels``.
    """
    frame = frame.reset_index(drop=True)
    if mapping is None:
        mapping = guess_content_columns(frame, MetadataMapping(None))
    titles = ([str(i) for i in ids] if mapping.title is None
              else _titles(frame[mapping.title], ids))
    if mapping.genres is not None:
        genres = split_multi_values(frame[mapping.genres], separators=_separators(
            frame[mapping.genres], delimiter))
    elif mapping.flags:
        flags = flag_matrix(frame, mapping.flags, name=name, where=locator(frame))
        labels = np.asarray(genre_labels or mapping.flags, dtype=object)
        genres = [[g for g in labels[row] if g.lower() not in NO_GENRE] for row in flags]
    else:
        genres = [[] for _ in ids]
    rest = frame.drop(columns=[c for c in mapping.used if c in frame.columns])
    meta = pd.concat([pd.DataFrame({"title": titles, "genres": genres}), rest], axis=1)
    meta.index = pd.Index(ids)
    return meta


def _separators(series: pd.Series, delimiter: str | None) -> str:
    separators = "|" if delimiter == ";" else "|;"
    if delimiter != ",":
        text = series.dropna().astype(str).head(2000)
        if not text.str.contains(r"[|;]", regex=True).any() and text.str.contains(",").any():
            separators = ","
    return separators


def _titles(series: pd.Series, ids: np.ndarray) -> list[str]:
    return [str(i) if pd.isna(t) or not str(t).strip() else str(t).strip()
            for t, i in zip(series.to_numpy(), ids)]


def split_multi_values(series: pd.Series, *, separators: str = "|;") -> list[list[str]]:
    """``"Action|Comedy"`` -> ``["Action", "Comedy"]`` per cell; missing / "(none)" -> []."""
    pattern = re.compile("|".join(map(re.escape, separators)))
    out = []
    for cell in series.to_numpy():
        if isinstance(cell, (list, tuple, np.ndarray)):
            out.append([str(v) for v in cell if str(v).strip().lower() not in NO_GENRE])
        elif _is_missing(cell) or str(cell).strip().lower() in NO_GENRE:
            out.append([])
        else:
            out.append([p.strip() for p in pattern.split(str(cell))
                        if p.strip() and p.strip().lower() not in NO_GENRE])
    return out


def _is_missing(cell) -> bool:
    return cell is None or (isinstance(cell, float) and np.isnan(cell))


def align_metadata(meta: pd.DataFrame, item_ids) -> pd.DataFrame:
    """One metadata row per item of ``item_ids``, in that order.

    Ids match across types (metadata ``"1"`` matches interaction id ``1``).
    Items without metadata get ``title = str(id)`` and ``genres = []``; other
    columns are missing there.

    Parameters
    ----------
    meta : pandas.DataFrame
        Indexed by item id (e.g. from `load_item_metadata`); may be empty.
    item_ids : array-like, shape (n_items,)

    Returns
    -------
    pandas.DataFrame, shape (n_items, n_columns)
        Index: ``item_ids`` themselves; always has ``title`` and ``genres``.
        ``attrs["matched"]`` is a bool array (n_items,): the item has a metadata row.
    """
    item_ids = np.asarray(item_ids)
    item_ids = item_ids.astype(object) if item_ids.dtype.kind in "US" else item_ids
    keys = _id_keys(meta.index)
    first = ~keys.duplicated(keep="first")
    unique = meta[first].set_axis(keys[first], axis=0)
    aligned = unique.reindex(_id_keys(item_ids))
    found = unique.index.get_indexer(aligned.index) >= 0
    titles = aligned["title"] if "title" in aligned else [None] * len(aligned)
    aligned["title"] = [t if ok and not pd.isna(t) else str(i)
                        for t, ok, i in zip(titles, found, item_ids)]
    genres = aligned["genres"] if "genres" in aligned else [None] * len(aligned)
    aligned["genres"] = [g if isinstance(g, list) else [] for g in genres]
    aligned.index = pd.Index(item_ids, dtype=item_ids.dtype, name=meta.index.name)
    others = [c for c in aligned.columns if c not in ("title", "genres")]
    aligned = aligned[["title", "genres", *others]]
    aligned.attrs = {"matched": found}
    return aligned


def _id_keys(ids) -> pd.Index:
    """Ids as text keys that match across int / float / str (12, 12.0 and "12" -> "12")."""
    index = pd.Index(ids)
    if index.dtype.kind == "f" and np.all(np.isfinite(index)) and np.all(index == np.round(index)):
        index = index.astype(np.int64)
    return pd.Index([str(i).strip() for i in index], dtype=object)


# --------------------------------------------------------------------------- coverage report
@dataclass
class MetadataReport:
    """How item metadata covers the items of a data set (the Data page's validation report).

    Attributes
    ----------
    source : str or None
        Metadata file name; None when no metadata was given.
    rows : int
        Rows in the metadata file.
    n_items : int
        Items in the interactions.
    matched : int
        Items that have a metadata row (their title comes from it).
    unused : int
        Metadata rows whose id is not an item of the interactions.
    notes : list of str
        What was read and from where.
    warnings : list of str
        What a person must know before showing the data: titles that fell back to ids,
        genre flags without names.
    """

    source: str | None
    rows: int
    n_items: int
    matched: int
    unused: int
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def missing(self) -> int:
        """Items without metadata (titled by their id)."""
        return self.n_items - self.matched


def metadata_report(meta: pd.DataFrame | None, aligned: pd.DataFrame) -> MetadataReport:
    """Coverage of ``aligned`` (from `align_metadata`) by ``meta`` (from `load_item_metadata`)."""
    n_items = len(aligned)
    if meta is None or len(meta) == 0:
        return MetadataReport(None, 0, n_items, 0, 0, ["No item metadata file: titles are the item ids."],
                              ["Titles are the item ids: no item metadata was loaded, so search and "
                               "recommendations show ids. Add a metadata file (titles, genres) to "
                               "show names."])
    matched = int(np.count_nonzero(aligned.attrs.get("matched", np.ones(n_items, dtype=bool))))
    source = meta.attrs.get("source", "metadata")
    rows = int(meta.attrs.get("rows", len(meta)))
    notes = list(meta.attrs.get("notes", []))
    notes.append(f"Metadata covers {matched:,} of {n_items:,} items ({matched / max(1, n_items):.1%}); "
                 f"{n_items - matched:,} items have no row; {max(0, len(meta) - matched):,} rows "
                 "name items not in the interactions.")
    warnings = []
    if matched == 0:
        warnings.append(f"Titles fell back to the item ids: none of the {n_items:,} item ids "
                        f"matched an id in {source} (column {meta.index.name!r}). Check the id "
                        "column chosen for the metadata.")
    elif matched < n_items:
        warnings.append(f"{n_items - matched:,} of {n_items:,} items ({1 - matched / n_items:.1%}) "
                        f"have no row in {source}: their titles are their ids.")
    if meta.attrs.get("unnamed_flags"):
        flags = meta.attrs["mapping"].flags
        warnings.append(f"The {len(flags)} genre flag columns of {source} have no names (the file "
                        f"has no header), so genres read {span(flags)}. Give the genre names "
                        "(a u.genre file, or typed) to name them.")
    return MetadataReport(source, rows, n_items, matched, max(0, len(meta) - matched), notes,
                          warnings)
