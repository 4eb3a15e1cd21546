"""Cell values of a table as typed arrays: ids, numbers, timestamps — each failure a DataError
that names the file, the column and the first bad row.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from embedviz.data.readers import TableInfo
from embedviz.errors import DataError

# Epoch numbers above these are milliseconds, microseconds, nanoseconds (1e11 s is the year 5138).
EPOCH_UNITS = ((1e11, "seconds", 1), (1e14, "milliseconds", 10**3), (1e17, "microseconds", 10**6),
               (9e18, "nanoseconds", 10**9))


def plural_rows(n: int) -> str:
    """ "1 row" / "2,345 rows" for messages."""
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def locator(frame: pd.DataFrame):
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
    if bad.size and _decimal_commas(series):
        numbers = pd.to_numeric(series.astype(str).str.replace(",", ".", regex=False).where(series.notna()),
                                errors="coerce")
        bad = np.flatnonzero((numbers.isna() & series.notna()).to_numpy())
    if bad.size:
        found = series.iloc[bad[0]]
        comma = re.fullmatch(r"-?\d+,\d+", str(found))
        hint = ("; 1,000-style values are ambiguous (thousands or decimals?): write 1000 or 1.5"
                if comma else hint)
        raise DataError(f"{name}, {where(bad[0])}: column {column!r} should hold numbers, found "
                        f"{found!r} ({plural_rows(bad.size)} not numbers){hint}")
    return numbers


def _decimal_commas(series: pd.Series) -> bool:
    """True when the text numbers use a decimal comma (European exports: "3,5").

    "1,000" could be a thousand, so a column whose every comma is followed by exactly three
    digits is not read this way; one "3,5" or "2,25" settles it.
    """
    text = series.dropna().astype(str).str.strip()
    with_comma = text[text.str.contains(",", regex=False)]
    if with_comma.empty or not with_comma.str.fullmatch(r"-?\d*,\d+").all():
        return False
    if text.str.contains(".", regex=False).any():
        return False
    return not with_comma.str.fullmatch(r"-?\d+,\d{3}").all()


# Date formats tried after ISO 8601, day first (what European exports write); the first that
# reads every value wins, so 13.01.2023 settles day-first even when 01.02.2023 alone could not.
DATE_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
                "%d/%m/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%d-%m-%Y %H:%M", "%d-%m-%Y")


def parse_dates(series: pd.Series) -> tuple[pd.Series | None, str]:
    """Text dates as UTC datetimes and how they were read; (None, "") when no format reads all."""
    text = series.astype(str).str.strip()
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    if parsed.notna().all():
        return parsed, "ISO dates"
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
        if parsed.notna().all():
            shown = fmt
            for code, word in (("%d", "DD"), ("%m", "MM"), ("%Y", "YYYY"), ("%H", "hh"), ("%M", "mm"), ("%S", "ss")):
                shown = shown.replace(code, word)
            return parsed, f"dates written {shown}"
    return None, ""


def reject_negative(values: np.ndarray, column: str, *, name: str, where) -> None:
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
    # Text: epoch numbers if the first one is a number (then all must be), else dates.
    numbers = pd.to_numeric(series, errors="coerce")
    if not pd.isna(numbers.iloc[0]):
        bad = np.flatnonzero(numbers.isna().to_numpy())
        if not bad.size:
            return _epoch_to_seconds(numbers.to_numpy(dtype=np.float64), column, name=name, where=where)
    else:
        dates, how = parse_dates(series)
        if dates is not None:
            return _datetimes_to_seconds(dates), how
        iso = pd.to_datetime(series.astype(str), format="ISO8601", errors="coerce", utc=True)
        bad = np.flatnonzero(iso.isna().to_numpy())
    raise DataError(f"{name}, {where(bad[0])}: cannot read the time {series.iloc[bad[0]]!r} in "
                    f"column {column!r}; expected epoch seconds or a date like 2024-01-31, "
                    "2024-01-31T13:45:00 or 31.01.2024 13:45")


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
