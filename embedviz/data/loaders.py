"""Load interactions and item metadata from files into validated embedviz objects.

The Data page uses the steps one by one: `read_table` (raw frame, for the
preview), `guess_columns` (the initial column mapping), then
`interactions_from_frame` (validation + the `LoadReport` it shows).
`load_interactions` chains them for scripts.

Duplicate rule (from `embedviz.data.interactions.from_arrays`): for explicit ratings
the latest (user, item) rating wins - by timestamp, else the last row; for
implicit counts / weights duplicates are summed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, overload

import numpy as np
import pandas as pd

from embedviz.data.columns import ROLES, check_mapping, guess_columns
from embedviz.data.interactions import KINDS, Interactions, check_usable, detect_kind, from_arrays
from embedviz.data.readers import TableInfo, read_table
from embedviz.data.sources import DEFAULT_MAX_BYTES, source_name
from embedviz.data.values import id_values, locator, numeric_values, reject_negative, timestamps
from embedviz.errors import DataError

__all__ = ["LoadReport", "interactions_from_frame", "load_interactions"]

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
        How the file was read (see `embedviz.data.readers.TableInfo`); None when unknown.
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
        Overrides detection (`embedviz.data.interactions.detect_kind`).
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
    where = locator(frame)
    user, item, value, time = (mapping[role] for role in ROLES)
    users = id_values(frame[user], "user", user, name=name, where=where)
    items = id_values(frame[item], "item", item, name=name, where=where)
    values = None if value is None else numeric_values(frame[value], value, name=name, where=where)
    resolved = _resolve_kind(kind, values, name)
    if resolved == "implicit" and values is not None:
        reject_negative(values, value, name=name, where=where)
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


def _resolve_kind(kind: str | None, values: np.ndarray | None, name: str) -> str:
    if kind == "explicit" and values is None:
        raise DataError(f"{name}: explicit ratings need a rating column; none was chosen "
                        "(without one every row counts 1, i.e. implicit feedback)")
    if kind is not None:
        return kind
    return "implicit" if values is None else detect_kind(values)


# --------------------------------------------------------------------------- report
def _report(frame: pd.DataFrame, data: Interactions, mapping: dict, *, name: str,
            kind_detected: bool, guessed: list, time_unit: str | None,
            values: np.ndarray | None) -> LoadReport:
    info: TableInfo | None = frame.attrs.get("table_info")
    rows = len(frame)
    report = LoadReport(
        source=name, rows_read=rows, rows_used=rows, duplicates_combined=rows - data.nnz,
        kind=data.kind, kind_detected=kind_detected, columns=dict(mapping), guessed=list(guessed),
        format=info.format if info else None, delimiter=info.delimiter if info else None,
        encoding=info.encoding if info else None, had_header=info.had_header if info else None,
        time_unit=time_unit,
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


@overload
def load_interactions(
    source,
    *,
    user_col: str | None = None,
    item_col: str | None = None,
    value_col: str | None = None,
    time_col: str | None = None,
    kind: str | None = None,
    name: str | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    return_report: Literal[False] = False,
) -> Interactions: ...


@overload
def load_interactions(
    source,
    *,
    user_col: str | None = None,
    item_col: str | None = None,
    value_col: str | None = None,
    time_col: str | None = None,
    kind: str | None = None,
    name: str | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    return_report: Literal[True],
) -> tuple[Interactions, LoadReport]: ...


def load_interactions(
    source,
    *,
    user_col: str | None = None,
    item_col: str | None = None,
    value_col: str | None = None,
    time_col: str | None = None,
    kind: str | None = None,
    name: str | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
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
    max_bytes : int or None
        Size limit (default 200 MB, like ``server.maxUploadSize``); what the file may expand to
        in memory is `embedviz.data.limits.memory_limit`. None: no limits (local files).
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


