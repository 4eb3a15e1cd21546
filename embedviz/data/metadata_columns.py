"""Which column of an item metadata table is which: id, title, genres (a column or a 0/1 block).

Named columns win (``movieId``, ``title``, ``genres``...). Without a header the title is the
text column with the most distinct values that is not a URL, a date or a number, and a run of
adjacent columns holding only 0 and 1 (MovieLens-100K's ``u.item`` has 19) is a multi-hot genre
block, named by a ``u.genre``-style file or names a person types.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from embedviz.data.columns import ROLE_NAMES, check_mapping, normalise_name
from embedviz.data.readers import is_number
from embedviz.data.sources import DEFAULT_MAX_BYTES, decode_text, read_bytes, source_name
from embedviz.errors import DataError

# Normalised column names, most telling first.
ID_NAMES = ("movieid", "itemid", "id", "item", *ROLE_NAMES["item"])
TITLE_NAMES = ("title", "name", "movietitle", "booktitle", "itemname", "productname", "trackname",
               "songname", "artistname", "label", "word")
GENRE_NAMES = ("genres", "genre", "categories", "category", "tags", "tag", "labels", "keywords",
               "subjects")

_SAMPLE = 2_000                     # cells looked at per column when judging what it holds
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)\S+$", re.IGNORECASE)
_MIN_FLAGS = 2                      # a lone 0/1 column is an attribute ("adult"), not a block


@dataclass(frozen=True)
class MetadataMapping:
    """The roles of a metadata table's columns.

    Attributes
    ----------
    id : str or None
        Item id column (None when the ids come from elsewhere, e.g. a vectors file).
    title : str or None
        Title column; None when the table has no usable text column.
    genres : str or None
        A column of lists or of delimited text (``Action|Comedy``).
    flags : tuple of str
        A block of 0/1 columns, one per genre (used when ``genres`` is None).
    """

    id: str | None
    title: str | None = None
    genres: str | None = None
    flags: tuple[str, ...] = ()

    @property
    def used(self) -> list[str]:
        """Columns this mapping consumes (the rest are kept as extra metadata)."""
        return [c for c in (self.id, self.title, self.genres) if c is not None] + list(self.flags)


def guess_metadata_columns(frame: pd.DataFrame, *, id_col: str | None = None,
                           title_col: str | None = None, genre_col: str | None = None,
                           flag_cols=None, name: str = "metadata") -> MetadataMapping:
    """Guess the id, title and genre columns; given ones are kept (and checked to exist).

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n_rows, n_columns)
        A raw table from `embedviz.data.readers.read_table`.
    id_col, title_col, genre_col : str, optional
        Columns already chosen.
    flag_cols : sequence of str, optional
        A block of 0/1 genre columns already chosen.
    name : str
        File name for messages.

    Returns
    -------
    MetadataMapping
        ``title`` is None when no column can hold titles; ``genres`` and ``flags`` are empty
        when no genre column or 0/1 block was found.
    """
    flags = tuple(str(c) for c in flag_cols) if flag_cols is not None else ()
    check_mapping(frame, {"id": id_col, "title": title_col, "genres": genre_col,
                          **{f"genre flag {i + 1}": c for i, c in enumerate(flags)}}, name)
    columns = [str(c) for c in frame.columns]
    id_col = id_col or _named(columns, ID_NAMES, {title_col, genre_col, *flags}) or columns[0]
    return guess_content_columns(frame, MetadataMapping(id_col, title_col, genre_col, flags))


def guess_content_columns(frame: pd.DataFrame, given: MetadataMapping) -> MetadataMapping:
    """``given`` with its missing title and genre columns guessed (its id may be None)."""
    columns = [str(c) for c in frame.columns]
    title_col, genre_col, flags = given.title, given.genres, given.flags
    taken = {c for c in given.used if c}
    title_col = title_col or _named(columns, TITLE_NAMES, taken)
    if title_col is not None:
        taken.add(title_col)
    if genre_col is None and not flags:
        genre_col = _named(columns, GENRE_NAMES, taken)
        if genre_col is None:
            blocks = flag_blocks(frame, exclude=taken)
            flags = tuple(max(blocks, key=len)) if blocks else ()  # type: ignore[arg-type]
    if title_col is None:
        candidates = title_candidates(frame, exclude={given.id, genre_col, *flags})
        title_col = candidates[0] if candidates else None
    return MetadataMapping(given.id, title_col, genre_col, flags)


def _named(columns: list[str], names: tuple, taken: set) -> str | None:
    normalised = {normalise_name(c): c for c in reversed(columns) if c not in taken}
    return next((normalised[n] for n in names if n in normalised), None)


# --------------------------------------------------------------------------- titles
def title_candidates(frame: pd.DataFrame, exclude=()) -> list[str]:
    """Columns that can hold titles, best first: text that is not URLs, dates or numbers,
    ordered by number of distinct values (then by position)."""
    scored = []
    for position, column in enumerate(map(str, frame.columns)):
        if column in exclude or describe_text(frame[column]) != "text":
            continue
        scored.append((-int(frame[column].nunique(dropna=True)), position, column))
    return [column for *_, column in sorted(scored)]


def describe_text(series: pd.Series) -> str:
    """What a column holds, in a word: "text", "numbers", "URLs", "dates", "empty", "lists"."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return "numbers"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "dates"
    sample = series.dropna().head(_SAMPLE)
    if sample.empty:
        return "empty"
    if sample.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
        return "lists"
    text = sample.astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return "empty"
    if text.map(lambda v: bool(_URL.match(v))).mean() > 0.5:
        return "URLs"
    if text.map(is_number).mean() > 0.8:
        return "numbers"
    if _date_share(text) > 0.8:
        return "dates"
    return "text"


def _date_share(text: pd.Series) -> float:
    """Share of cells that read as dates ("01-Jan-1995", "2024-01-31", "Jan 5 2001")."""
    if not text.str.contains(r"\d", regex=True).all():   # every date has a digit; titles often do not
        return 0.0
    parsed = pd.to_datetime(text.head(200), format="mixed", errors="coerce", dayfirst=False)
    return float(parsed.notna().mean())


# --------------------------------------------------------------------------- 0/1 genre blocks
def flag_blocks(frame: pd.DataFrame, exclude=()) -> list[list[str]]:
    """Runs of at least two adjacent columns holding only 0 and 1 (missing cells allowed)."""
    blocks, run = [], []
    for column in map(str, frame.columns):
        if column not in exclude and is_flag_column(frame[column]):
            run.append(column)
            continue
        if len(run) >= _MIN_FLAGS:
            blocks.append(run)
        run = []
    if len(run) >= _MIN_FLAGS:
        blocks.append(run)
    return blocks


def is_flag_column(series: pd.Series) -> bool:
    """Only 0 / 1 (or True / False) values, at least one of them."""
    values = series.dropna()
    if values.empty:
        return False
    if pd.api.types.is_bool_dtype(values):
        return True
    if not pd.api.types.is_numeric_dtype(values):
        return False
    return bool(values.isin([0, 1]).all())


def flag_matrix(frame: pd.DataFrame, flags, *, name: str, where) -> np.ndarray:
    """The flag block as a bool array (n_rows, n_flags); a value other than 0 / 1 raises.

    Missing cells count as 0.
    """
    columns = []
    for column in flags:
        series = frame[column]
        values = pd.to_numeric(series.astype(object), errors="coerce")
        bad = np.flatnonzero((series.notna() & ~values.isin([0, 1])).to_numpy())
        if bad.size:
            found = series.iloc[bad[0]]
            found = found.item() if isinstance(found, np.generic) else found
            raise DataError(f"{name}, {where(bad[0])}: genre flag column {column!r} holds {found!r}; a flag "
                            f"column must hold only 0 or 1 ({bad.size:,} such value{'s' if bad.size > 1 else ''})")
        columns.append(values.fillna(0).to_numpy() == 1)
    return np.column_stack(columns) if columns else np.zeros((len(frame), 0), dtype=bool)


# --------------------------------------------------------------------------- genre names
def parse_genre_names(text: str, *, name: str = "genre names") -> list[str]:
    """Genre names from a ``u.genre``-style ``name|index`` file, one name per line, or a
    comma-separated list; in index order when indices are given."""
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
    if len(lines) == 1 and "," in lines[0] and "|" not in lines[0]:
        lines = [part.strip() for part in lines[0].split(",") if part.strip()]
    pairs = [re.fullmatch(r"(.+?)\s*[|\t;,]\s*(\d+)", line) for line in lines]
    if lines and all(pairs):
        indexed = sorted((int(m.group(2)), m.group(1).strip()) for m in pairs if m)
        indices = [i for i, _ in indexed]
        if indices != list(range(indices[0], indices[0] + len(indices))):
            raise DataError(f"{name}: the genre indices must run 0, 1, 2... without gaps or "
                            f"repeats; found {indices[:25]}")
        return [genre for _, genre in indexed]
    if not lines:
        raise DataError(f"{name}: no genre names found; expected one name per line "
                        "(or 'name|index' lines like MovieLens's u.genre)")
    return lines


def read_genre_names(source, *, name: str | None = None,
                     max_bytes: int | None = DEFAULT_MAX_BYTES) -> list[str]:
    """Genre names from a file (path, bytes or file-like); see `parse_genre_names`."""
    name = source_name(source, name)
    _, text, _ = decode_text(read_bytes(source, name=name, max_bytes=max_bytes), name)
    return parse_genre_names(text, name=name)


def resolve_genre_names(genre_names, *, name: str | None = None) -> list[str] | None:
    """``genre_names`` as a list: a sequence of names, or a path / bytes / file of them."""
    if genre_names is None:
        return None
    if isinstance(genre_names, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        names = [str(g).strip() for g in genre_names]
        if any(not g for g in names):
            raise DataError("genre_names: empty names are not allowed")
        return names
    return read_genre_names(genre_names, name=name)


def name_flags(mapping: MetadataMapping, genre_names, *, name: str,
               names_from: str = "genre names") -> list[str]:
    """One genre name per flag column: the given names (their count must match) or the columns'."""
    if genre_names is None:
        return list(mapping.flags)
    if not mapping.flags:
        raise DataError(f"{name}: {len(genre_names)} genre names were given ({names_from}) but "
                        "no block of 0/1 genre columns was found or chosen")
    if len(genre_names) != len(mapping.flags):
        raise DataError(f"{name}: {len(genre_names)} genre names ({names_from}) for "
                        f"{len(mapping.flags)} genre flag columns ({span(mapping.flags)}); "
                        "expected one name per flag column, in order")
    return list(genre_names)


def span(columns) -> str:
    """``'column 6' … 'column 24'`` for a block of columns."""
    columns = list(columns)
    return repr(columns[0]) if len(columns) == 1 else f"{columns[0]!r} … {columns[-1]!r}"


def with_flags(mapping: MetadataMapping, first: str, last: str, columns: list[str]) -> MetadataMapping:
    """The mapping with the flag block from column ``first`` to ``last`` (inclusive)."""
    lo, hi = sorted((columns.index(first), columns.index(last)))
    return replace(mapping, genres=None, flags=tuple(columns[lo:hi + 1]))
