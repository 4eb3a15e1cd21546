"""Item metadata: titles, genres and other columns, read from a file and aligned to the items."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from embedviz.data.columns import ROLE_NAMES, check_mapping, normalise_name
from embedviz.data.readers import TableInfo, read_table
from embedviz.data.sources import DEFAULT_MAX_BYTES, source_name
from embedviz.data.values import id_values, locator
from embedviz.errors import DataError

# Metadata columns, same normalisation.
ID_NAMES = ("movieid", "itemid", "id", "item", *ROLE_NAMES["item"])


TITLE_NAMES = ("title", "name", "movietitle", "booktitle", "itemname", "productname", "trackname",
               "songname", "artistname", "label", "word")


GENRE_NAMES = ("genres", "genre", "categories", "category", "tags", "tag", "labels", "keywords",
               "subjects")


NO_GENRE = {"(no genres listed)", "(none)", "none", "n/a"}


def load_item_metadata(source, *, id_col: str | None = None, name: str | None = None,
                       max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read item metadata (titles, genres, anything else) indexed by item id.

    Parameters
    ----------
    source : str, pathlib.Path, bytes or file-like
        CSV (any supported delimiter and encoding, Latin-1 included), gzip CSV or Parquet.
    id_col : str, optional
        Item id column; None guesses it (``movieId``, ``item_id``, ``id``... else the first).
    name : str, optional
        Display name for messages.
    max_bytes : int
        Size limit.

    Returns
    -------
    pandas.DataFrame, shape (n_items, n_columns)
        Index: item ids (the first row is kept for duplicates). Columns: ``title`` (str; the
        id when absent), ``genres`` (list of str, split on ``|`` and ``;``), then every other
        column. ``attrs["notes"]`` says which columns were used and what was dropped.
    """
    name = source_name(source, name)
    frame = read_table(source, name=name, max_bytes=max_bytes)
    if len(frame) == 0:
        raise DataError(f"{name}: has a header row but no data rows; expected one row per item")
    id_col = id_col if id_col is not None else _pick(frame, ID_NAMES) or str(frame.columns[0])
    check_mapping(frame, {"id": id_col}, name)
    ids = id_values(frame[id_col], "item", id_col, name=name, where=locator(frame))
    info: TableInfo | None = frame.attrs.get("table_info")
    rest = frame.drop(columns=[id_col])
    meta = item_table(rest, ids, delimiter=info.delimiter if info else None)
    meta.index.name = id_col
    title_col, genre_col = metadata_columns(rest)
    titles_from = repr(title_col) if title_col else "the ids (no title column)"
    genres_from = repr(genre_col) if genre_col else "nowhere (no genre column)"
    notes = [f"Item ids from column {id_col!r}; titles from {titles_from}; genres from "
             f"{genres_from}."]
    duplicated = meta.index.duplicated(keep="first")
    if duplicated.any():
        examples = ", ".join(map(repr, meta.index[duplicated][:3]))
        notes.append(f"{int(duplicated.sum()):,} duplicate item ids (e.g. {examples}): kept the "
                     "first row of each.")
        meta = meta[~duplicated]
    meta.attrs = {"notes": notes, "table_info": info}
    return meta


def metadata_columns(frame: pd.DataFrame) -> tuple[str | None, str | None]:
    """The title-like and the genre-like column of a metadata table (None when absent)."""
    return _pick(frame, TITLE_NAMES), _pick(frame, GENRE_NAMES)


def item_table(frame: pd.DataFrame, ids: np.ndarray, *,
               delimiter: str | None = None) -> pd.DataFrame:
    """Metadata columns with ``title`` (str) and ``genres`` (list) first, indexed by ``ids``.

    Titles come from a title-like column (else the id); genres from a genre-like
    column split on ``|`` (and on ``;`` unless ``;`` separates the file's fields).
    """
    frame = frame.reset_index(drop=True)
    title_col, genre_col = metadata_columns(frame)
    titles = [str(i) for i in ids] if title_col is None else _titles(frame[title_col], ids)
    separators = "|" if delimiter == ";" else "|;"
    genres = ([[] for _ in ids] if genre_col is None
              else split_multi_values(frame[genre_col], separators=separators))
    rest = frame.drop(columns=[c for c in (title_col, genre_col) if c is not None])
    meta = pd.concat([pd.DataFrame({"title": titles, "genres": genres}), rest], axis=1)
    meta.index = pd.Index(ids)
    return meta


def _pick(frame: pd.DataFrame, names: tuple) -> str | None:
    normalised = {normalise_name(c): str(c) for c in reversed(frame.columns)}
    return next((normalised[n] for n in names if n in normalised), None)


def _titles(series: pd.Series, ids: np.ndarray) -> list[str]:
    return [str(i) if pd.isna(t) else str(t) for t, i in zip(series.to_numpy(), ids)]


def split_multi_values(series: pd.Series, *, separators: str = "|;") -> list[list[str]]:
    """``"Action|Comedy"`` -> ``["Action", "Comedy"]`` per cell; missing / "(none)" -> []."""
    pattern = re.compile("|".join(map(re.escape, separators)))
    out = []
    for cell in series.to_numpy():
        if isinstance(cell, (list, tuple, np.ndarray)):
            out.append([str(v) for v in cell])
        elif _is_missing(cell) or str(cell).strip().lower() in NO_GENRE:
            out.append([])
        else:
            out.append([p.strip() for p in pattern.split(str(cell)) if p.strip()])
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
    return aligned[["title", "genres", *others]]


def _id_keys(ids) -> pd.Index:
    """Ids as text keys that match across int / float / str (12, 12.0 and "12" -> "12")."""
    index = pd.Index(ids)
    if index.dtype.kind == "f" and np.all(np.isfinite(index)) and np.all(index == np.round(index)):
        index = index.astype(np.int64)
    return pd.Index([str(i).strip() for i in index], dtype=object)
