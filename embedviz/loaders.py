"""Load interactions and item metadata from files into validated embedviz objects.

The Data page uses the steps one by one: `read_table` (raw frame, for the
preview), `guess_columns` (the initial column mapping), then
`interactions_from_frame` (validation + the `LoadReport` it shows).
`load_interactions` chains them for scripts.

Duplicate rule (from `embedviz.interactions.from_arrays`): for explicit ratings
the latest (user, item) rating wins - by timestamp, else the last row; for
implicit counts / weights duplicates are summed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from embedviz.errors import DataError
from embedviz.interactions import KINDS, Interactions, check_usable, detect_kind, from_arrays
from embedviz.readers import DEFAULT_MAX_BYTES, TableInfo, read_table, source_name

__all__ = [
    "LoadReport", "read_table", "guess_columns", "interactions_from_frame", "load_interactions",
    "load_item_metadata", "align_metadata", "item_table",
]

ROLES = ("user", "item", "value", "time")
# Normalised column names (lower case, letters and digits only) per role, most telling first.
ROLE_NAMES = {
    "user": tuple(
        "userid user uid customerid customer visitorid visitor memberid member clientid client "
        "accountid account readerid reader listenerid listener viewerid viewer personid person "
        "profileid profile buyer player rater".split()
    ),
    "item": tuple(
        "movieid itemid item iid productid product trackid track songid song artistid artist "
        "bookid book isbn asin sku movie filmid film showid show animeid anime gameid game "
        "articleid article videoid video recipeid recipe businessid business placeid place "
        "courseid course contentid content".split()
    ),
    "value": tuple(
        "rating score stars star value count plays playcount listens weight quantity qty clicks "
        "views amount grade preference frequency".split()
    ),
    "time": tuple(
        "timestamp time date datetime ts unixtime epoch createdat created ratedat eventtime "
        "when".split()
    ),
}
# Metadata columns, same normalisation.
ID_NAMES = ("movieid", "itemid", "id", "item", *ROLE_NAMES["item"])
TITLE_NAMES = ("title", "name", "movietitle", "booktitle", "itemname", "productname", "trackname",
               "songname", "artistname", "label", "word")
GENRE_NAMES = ("genres", "genre", "categories", "category", "tags", "tag", "labels", "keywords",
               "subjects")
NO_GENRE = {"(no genres listed)", "(none)", "none", "n/a"}
# Epoch numbers above these are milliseconds, microseconds, nanoseconds (1e11 s is the year 5138).
EPOCH_UNITS = ((1e11, "seconds", 1), (1e14, "milliseconds", 10**3), (1e17, "microseconds", 10**6),
               (9e18, "nanoseconds", 10**9))
_DUPLICATE_RULES = {
    "explicit": "the latest rating wins (by timestamp, else the last row)",
    "implicit": "their values are summed",
}


@dataclass
class LoadReport:
    """What happened while loading interactions, for the Data page's validation report.

    Attributes
    ----------
    source : str
        Display name of the file.
    rows_read, rows_used : int
        Data rows in the file; rows that went into the matrix (all of them: bad rows raise).
    duplicates_combined : int
        Rows merged into an earlier (user, item) pair (``rows_used - nnz``).
    kind : {"explicit", "implicit"}
    kind_detected : bool
        True when the kind was detected from the values, False when chosen by the caller.
    columns : dict
        Role ("user", "item", "value", "time") -> column name or None.
    guessed : list of str
        Roles whose column was guessed rather than given.
    format, delimiter, encoding, had_header
        How the file was read (see `embedviz.readers.TableInfo`); None when unknown.
    time_unit : str or None
        How the time column was read ("seconds", "milliseconds", "ISO dates", ...).
    notes : list of str
        Human-readable lines, shown as they are.
    """

    source: str
    rows_read: int
    rows_used: int
    duplicates_combined: int
    kind: str
    kind_detected: bool
    columns: dict
    guessed: list = field(default_factory=list)
    format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    had_header: bool | None = None
    time_unit: str | None = None
    notes: list = field(default_factory=list)


# --------------------------------------------------------------------------- column guessing
def normalise_name(column) -> str:
    """``"User-ID"`` -> ``"userid"``: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", str(column).lower())


def guess_columns(frame: pd.DataFrame, *, user: str | None = None, item: str | None = None,
                  value: str | None = None, time: str | None = None, name: str = "data") -> dict:
    """Guess which column holds users, items, values and times.

    Columns given as keyword arguments are kept; the others are chosen by name
    (exact names such as ``userId`` first, then names containing a known word),
    then by position (first free column = user, next = item, then a numeric
    column = value and an epoch-like or date column = time).

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n_rows, n_columns)
        A raw table from `read_table`.
    user, item, value, time : str, optional
        Columns already chosen.
    name : str
        File name for messages.

    Returns
    -------
    dict
        ``{"user": str, "item": str, "value": str | None, "time": str | None}``.

    Raises
    ------
    DataError
        Fewer than two columns, or a given column that does not exist.
    """
    columns = [str(c) for c in frame.columns]
    _require_two_columns(frame, name)
    mapping = {"user": user, "item": item, "value": value, "time": time}
    check_mapping(frame, mapping, name)
    for match in (_exact_match, _contains_match):
        for role in ROLES:
            if mapping[role] is None:
                mapping[role] = match(columns, role, taken=set(mapping.values()))
    _guess_by_position(frame, mapping)
    return mapping


def _exact_match(columns: list[str], role: str, taken: set) -> str | None:
    normalised = {normalise_name(c): c for c in reversed(columns) if c not in taken}
    return next((normalised[n] for n in ROLE_NAMES[role] if n in normalised), None)


def _contains_match(columns: list[str], role: str, taken: set) -> str | None:
    for word in ROLE_NAMES[role]:
        if len(word) < 3:  # "ts" or "id" inside a longer name means nothing
            continue
        for column in columns:
            if column not in taken and word in normalise_name(column):
                return column
    return None


def _guess_by_position(frame: pd.DataFrame, mapping: dict) -> None:
    free = [str(c) for c in frame.columns if str(c) not in set(mapping.values())]
    for role in ("user", "item"):
        if mapping[role] is None and free:
            mapping[role] = free.pop(0)
    for column in free:
        if mapping["time"] is None and _looks_like_time(frame[column]):
            mapping["time"] = column
        elif mapping["value"] is None and pd.api.types.is_numeric_dtype(frame[column]):
            mapping["value"] = column


def _looks_like_time(series: pd.Series) -> bool:
    sample = series.dropna().head(100)
    if sample.empty:
        return False
    if pd.api.types.is_datetime64_any_dtype(sample):
        return True
    if pd.api.types.is_integer_dtype(sample):
        return bool(sample.min() >= 1e8)  # epoch seconds after 1973; ratings and counts are smaller
    if pd.api.types.is_numeric_dtype(sample):
        return False
    parsed = pd.to_datetime(sample.astype(str), format="ISO8601", errors="coerce", utc=True)
    return bool(parsed.notna().all())


def _require_two_columns(frame: pd.DataFrame, name: str) -> None:
    if frame.shape[1] >= 2:
        return
    info = frame.attrs.get("table_info")
    shown = frame.columns[0] if info is None or info.had_header or frame.empty else frame.iloc[0, 0]
    first = f" ({str(shown)[:60]!r})" if frame.shape[1] else ""
    raise DataError(
        f"{name}: found only {frame.shape[1]} column{first}; interactions need at least 2 columns "
        "(user and item) separated by a comma, semicolon, tab, | or ::"
    )


def check_mapping(frame: pd.DataFrame, mapping: dict, name: str) -> None:
    """Raise DataError for a mapped column that is missing or mapped to two roles."""
    available = [str(c) for c in frame.columns]
    for role, column in mapping.items():
        if column is not None and column not in available:
            raise DataError(f"{name}: column {column!r} (chosen for {role}) not found; "
                            f"available columns: {', '.join(map(repr, available))}")
    chosen = [c for c in mapping.values() if c is not None]
    repeated = sorted({c for c in chosen if chosen.count(c) > 1})
    if repeated:
        roles = [r for r, c in mapping.items() if c == repeated[0]]
        raise DataError(f"{name}: column {repeated[0]!r} is chosen for both {' and '.join(roles)}; "
                        "each role needs its own column")


# --------------------------------------------------------------------------- interactions
def interactions_from_frame(
    frame: pd.DataFrame,
    *,
    user_col: str,
    item_col: str,
    value_col: str | None = None,
    time_col: str | None = None,
    kind: str | None = None,
    name: str = "data",
) -> tuple[Interactions, LoadReport]:
    """Validate mapped columns of a raw table and build `Interactions`.

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n_rows, n_columns)
        Raw table (from `read_table`; its ``attrs["table_info"]`` gives line numbers).
    user_col, item_col : str
        Columns with the original user and item ids (kept as they are: ints or strings).
    value_col : str, optional
        Ratings or counts / weights; None means every row counts 1 (implicit).
    time_col : str, optional
        Epoch seconds / milliseconds or ISO 8601 dates; read as int64 seconds.
    kind : {"explicit", "implicit"}, optional
        Overrides detection (`embedviz.interactions.detect_kind`).
    name : str
        File name for messages.

    Returns
    -------
    data : Interactions
    report : LoadReport

    Raises
    ------
    DataError
        Missing columns, no rows, missing ids, non-numeric / NaN / infinite values,
        negative implicit weights, unreadable times, a single user or item.
    """
    return _build(frame, {"user": user_col, "item": item_col, "value": value_col, "time": time_col},
                  kind=kind, name=name, guessed=[])


def _build(frame: pd.DataFrame, mapping: dict, *, kind: str | None, name: str,
           guessed: list) -> tuple[Interactions, LoadReport]:
    _check_request(frame, mapping, kind, name)
    where = _locator(frame)
    user, item, value, time = (mapping[role] for role in ROLES)
    users = id_values(frame[user], "user", user, name=name, where=where)
    items = id_values(frame[item], "item", item, name=name, where=where)
    values = None if value is None else numeric_values(frame[value], value, name=name, where=where)
    resolved = _resolve_kind(kind, values, name)
    if resolved == "implicit" and values is not None:
        _reject_negative(values, value, name=name, where=where)
    times, unit = (None, None) if time is None else timestamps(frame[time], time, name=name,
                                                               where=where)
    data = from_arrays(users, items, values, times, kind=resolved, source=name)
    check_usable(data, name)
    report = _report(frame, data, mapping, name=name, kind_detected=kind is None,
                     guessed=guessed, time_unit=unit, values=values)
    return data, report


def _check_request(frame: pd.DataFrame, mapping: dict, kind: str | None, name: str) -> None:
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    columns = ", ".join(map(str, frame.columns))
    for role in ("user", "item"):
        if not mapping[role]:
            raise DataError(f"{name}: no {role} column chosen; expected one of: {columns}")
    check_mapping(frame, mapping, name)
    if len(frame) == 0:
        raise DataError(f"{name}: has a header row but no data rows (columns: {columns}); "
                        "expected one interaction per line")


def plural_rows(n: int) -> str:
    """ "1 row" / "2,345 rows" for messages."""
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def _locator(frame: pd.DataFrame):
    info: TableInfo | None = frame.attrs.get("table_info")
    return info.location if info is not None else (lambda row: f"row {row + 1}")


def id_values(series: pd.Series, role: str, column: str, *, name: str, where) -> np.ndarray:
    """Ids as a numpy array: int64 for whole numbers, objects (str) otherwise; missing ids raise."""
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        raise DataError(f"{name}, {where(missing[0])}: missing {role} id in column {column!r} "
                        f"({plural_rows(missing.size)} without one); every row needs one")
    values = series.to_numpy()
    if values.dtype.kind == "f" and np.all(np.isfinite(values) & (values == np.round(values))):
        return values.astype(np.int64)  # 12.0 from a float column (e.g. Parquet) is the id 12
    if values.dtype.kind in "iu":
        return values.astype(np.int64, copy=False)
    values = values.astype(object)
    if pd.api.types.infer_dtype(values, skipna=False) not in ("string", "integer", "bytes"):
        values = values.astype(str)  # mixed types cannot be sorted into one id order
    return values


def numeric_values(series: pd.Series, column: str, *, name: str, where) -> np.ndarray:
    """Finite float64 values of a column; the first bad cell raises with its location."""
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64)
    if not pd.api.types.is_numeric_dtype(series):
        series = parsed_numbers(series, column, name=name, where=where)
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        first = values[bad[0]]
        found = "a missing or NaN value" if np.isnan(first) else f"{first} (infinite)"
        raise DataError(f"{name}, {where(bad[0])}: column {column!r} has {found}; expected a "
                        f"finite number ({plural_rows(bad.size)} like this)")
    return values


def parsed_numbers(series: pd.Series, column: str, *, name: str, where,
                   hint: str = "") -> pd.Series:
    """A non-numeric column as numbers (missing stays NaN); the first non-number raises."""
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        raise DataError(f"{name}: column {column!r} holds dates or durations; expected numbers")
    numbers = pd.to_numeric(series.astype(object), errors="coerce")
    bad = np.flatnonzero((numbers.isna() & series.notna()).to_numpy())
    if bad.size:
        found = series.iloc[bad[0]]
        comma = re.fullmatch(r"-?\d+,\d+", str(found))
        hint = "; decimal commas are not read, write 4.5 not 4,5" if comma else hint
        raise DataError(f"{name}, {where(bad[0])}: column {column!r} should hold numbers, found "
                        f"{found!r} ({plural_rows(bad.size)} not numbers){hint}")
    return numbers


def _resolve_kind(kind: str | None, values: np.ndarray | None, name: str) -> str:
    if kind == "explicit" and values is None:
        raise DataError(f"{name}: explicit ratings need a rating column; none was chosen "
                        "(without one every row counts 1, i.e. implicit feedback)")
    if kind is not None:
        return kind
    return "implicit" if values is None else detect_kind(values)


def _reject_negative(values: np.ndarray, column: str, *, name: str, where) -> None:
    negative = np.flatnonzero(values < 0)
    if negative.size:
        raise DataError(f"{name}, {where(negative[0])}: column {column!r} has the negative weight "
                        f"{values[negative[0]]:g}; implicit counts / weights must be >= 0 "
                        f"({plural_rows(negative.size)} negative). If these are ratings, "
                        "choose explicit feedback.")


def timestamps(series: pd.Series, column: str, *, name: str, where) -> tuple[np.ndarray, str]:
    """Times as int64 epoch seconds, and how they were read ("epoch seconds", "ISO dates"...)."""
    missing = np.flatnonzero(series.isna().to_numpy())
    if missing.size:
        raise DataError(f"{name}, {where(missing[0])}: missing time in column {column!r}; expected "
                        "epoch seconds or an ISO 8601 date in every row (or choose no time column)")
    if pd.api.types.is_datetime64_any_dtype(series):
        return _datetimes_to_seconds(series), "dates"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return _epoch_to_seconds(series.to_numpy(dtype=np.float64), column, name=name, where=where)
    # Text: epoch numbers if the first one is a number (then all must be), else ISO dates.
    numbers = pd.to_numeric(series, errors="coerce")
    parsed = numbers if not pd.isna(numbers.iloc[0]) else pd.to_datetime(
        series.astype(str), format="ISO8601", errors="coerce", utc=True)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise DataError(f"{name}, {where(bad[0])}: cannot read the time {series.iloc[bad[0]]!r} in "
                        f"column {column!r}; expected epoch seconds or an ISO 8601 date like "
                        "2024-01-31 or 2024-01-31T13:45:00")
    if parsed is numbers:
        return _epoch_to_seconds(numbers.to_numpy(dtype=np.float64), column, name=name, where=where)
    return _datetimes_to_seconds(parsed), "ISO dates"


def _epoch_to_seconds(values: np.ndarray, column: str, *, name: str,
                      where) -> tuple[np.ndarray, str]:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise DataError(f"{name}, {where(bad[0])}: column {column!r} has the time "
                        f"{values[bad[0]]}; expected epoch seconds")
    largest = np.abs(values).max()
    if largest >= EPOCH_UNITS[-1][0]:
        row = int(np.argmax(np.abs(values)))
        raise DataError(f"{name}, {where(row)}: column {column!r} has the time {values[row]:g}, "
                        "too large for epoch seconds, milliseconds or nanoseconds")
    unit, per_second = next((unit, scale) for limit, unit, scale in EPOCH_UNITS if largest < limit)
    return np.floor(values / per_second).astype(np.int64), f"epoch {unit}"


def _datetimes_to_seconds(series: pd.Series) -> np.ndarray:
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_convert(None)
    return series.to_numpy().astype("datetime64[s]").astype(np.int64)


# --------------------------------------------------------------------------- report
def _report(frame: pd.DataFrame, data: Interactions, mapping: dict, *, name: str,
            kind_detected: bool, guessed: list, time_unit: str | None,
            values: np.ndarray | None) -> LoadReport:
    info: TableInfo | None = frame.attrs.get("table_info")
    rows = len(frame)
    report = LoadReport(
        source=name, rows_read=rows, rows_used=rows, duplicates_combined=rows - data.nnz,
        kind=data.kind, kind_detected=kind_detected, columns=dict(mapping), guessed=list(guessed),
        format=info and info.format, delimiter=info and info.delimiter,
        encoding=info and info.encoding, had_header=info and info.had_header, time_unit=time_unit,
    )
    report.notes = [*_reading_notes(info, rows), _columns_note(mapping, guessed),
                    _kind_note(data.kind, kind_detected, values), _duplicates_note(report),
                    *_time_notes(data, time_unit), _shape_note(data)]
    return report


def _reading_notes(info: TableInfo | None, rows: int) -> list[str]:
    if info is None:
        return [f"Read {rows:,} rows from a table in memory."]
    parts = ["Parquet" if info.format == "parquet" else f"{info.delimiter_label}-separated text"]
    if info.compression:
        parts.append(f"{info.compression}-compressed")
    if info.format == "csv":
        parts.append("with a header row" if info.had_header else "no header row")
    notes = [f"Read {rows:,} rows from {info.name} ({', '.join(parts)})."]
    if info.encoding not in (None, "UTF-8"):
        unicode = info.encoding.startswith(("UTF-8", "UTF-16"))
        hint = "" if unicode else " (not valid UTF-8; check that accented letters look right)"
        notes.append(f"Text encoding: {info.encoding}{hint}.")
    return notes


def _columns_note(mapping: dict, guessed: list) -> str:
    parts = [f"{role} = {mapping[role]!r}" + (" (guessed)" if role in guessed else "")
             for role in ROLES if mapping[role] is not None]
    absent = "; no value column, so every interaction counts 1" if mapping["value"] is None else ""
    return "Columns: " + ", ".join(parts) + absent + "."


def _kind_note(kind: str, detected: bool, values: np.ndarray | None) -> str:
    what = "explicit ratings" if kind == "explicit" else "implicit feedback (counts / weights)"
    if not detected:
        return f"Feedback type: {what}, as chosen."
    if values is None:
        return f"Feedback type: {what} (no value column)."
    distinct = np.unique(values[:1_000_000])
    return (f"Feedback type detected: {what} - {distinct.size:,} distinct values from "
            f"{distinct.min():g} to {distinct.max():g}. Override it if that is wrong.")


def _duplicates_note(report: LoadReport) -> str:
    rule = _DUPLICATE_RULES[report.kind]
    if report.duplicates_combined == 0:
        return f"No duplicate (user, item) pairs (had there been any, {rule})."
    return f"{report.duplicates_combined:,} duplicate (user, item) rows combined: {rule}."


def _time_notes(data: Interactions, unit: str | None) -> list[str]:
    if data.timestamps is None or data.timestamps.size == 0:
        return []
    first, last = (pd.Timestamp(int(t), unit="s").date()
                   for t in (data.timestamps.min(), data.timestamps.max()))
    return [f"Times read as {unit}, from {first} to {last}."]


def _shape_note(data: Interactions) -> str:
    return (f"Result: {data.n_users:,} users x {data.n_items:,} items, {data.nnz:,} interactions "
            f"(density {data.density:.3%}).")


def load_interactions(
    source,
    *,
    user_col: str | None = None,
    item_col: str | None = None,
    value_col: str | None = None,
    time_col: str | None = None,
    kind: str | None = None,
    name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    return_report: bool = False,
) -> Interactions | tuple[Interactions, LoadReport]:
    """Read interactions (who rated / bought / played what) from a file.

    Parameters
    ----------
    source : str, pathlib.Path, bytes or file-like
        CSV (``,`` ``;`` tab ``|`` ``::``; header optional), gzip-compressed CSV or Parquet.
    user_col, item_col, value_col, time_col : str, optional
        Column names; None guesses them (see `guess_columns`).
    kind : {"explicit", "implicit"}, optional
        Overrides the detected feedback type.
    name : str, optional
        Display name for messages; defaults to the file's name.
    max_bytes : int
        Size limit (default 200 MB, like ``server.maxUploadSize``).
    return_report : bool
        Also return the `LoadReport`.

    Returns
    -------
    Interactions, or (Interactions, LoadReport) when ``return_report``.

    Raises
    ------
    DataError
        Any problem with the file, with its name and the line when known.
    """
    name = source_name(source, name)
    frame = read_table(source, name=name, max_bytes=max_bytes)
    given = {"user": user_col, "item": item_col, "value": value_col, "time": time_col}
    mapping = guess_columns(frame, **given, name=name)
    guessed = [role for role in ROLES if given[role] is None and mapping[role] is not None]
    data, report = _build(frame, mapping, kind=kind, name=name, guessed=guessed)
    return (data, report) if return_report else data


# --------------------------------------------------------------------------- item metadata
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
    ids = id_values(frame[id_col], "item", id_col, name=name, where=_locator(frame))
    info: TableInfo | None = frame.attrs.get("table_info")
    rest = frame.drop(columns=[id_col])
    meta = item_table(rest, ids, delimiter=info and info.delimiter)
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
