"""Turn a source (path, bytes or an upload) into a raw pandas DataFrame.

Low level: no knowledge of users, items or ratings. `read_table` takes the bytes and
their container from `embedviz.data.sources` (which rejects what cannot be a table and
decodes the text), sniffs the delimiter and a header row, and parses with pyarrow for
speed. Every
failure is a `DataError` naming the file and, when known, the line.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from itertools import islice

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from embedviz.data.limits import memory_limit, parse_slot
from embedviz.data.parquet import read_parquet
from embedviz.data.sources import (
    DEFAULT_MAX_BYTES,
    decode_text,
    format_size,
    gunzip_if_needed,
    read_bytes,
    reject_other_text_formats,
    sniff_format,
    source_name,
    unreadable_message,
)
from embedviz.errors import DataError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", "::": "double colon (::)"}


_SAMPLE_CHARS = 64 * 1024
_SAMPLE_ROWS = 200
# Longest line read: pyarrow's parse block (a record must fit in one), and the most the
# sniffer extends its sample to reach the end of the first two lines (a very wide header).
MAX_LINE_CHARS = 1024 * 1024
# Single-character stand-in for '::' (pyarrow takes one-character delimiters only) and
# the "delimiter" for one-column files: the ASCII unit separator never occurs in real text.
_UNIT_SEPARATOR = "\x1f"
_NUMBER = re.compile(
    r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$", re.IGNORECASE
)
# Words that make a first row a header even when every column holds text.
_HEADER_WORDS = frozenset(
    "user users userid uid item items itemid iid rating ratings score value count weight time "
    "timestamp date datetime title name genre genres category categories tag tags label movie "
    "movieid product productid customer customerid book bookid isbn song songid track trackid "
    "artist artistid word id ids user_id item_id".split()
)


@dataclass(frozen=True)
class TableInfo:
    """How a table was read; stored in ``frame.attrs["table_info"]`` by `read_table`.

    Attributes
    ----------
    name : str
        Display name of the source (file name).
    format : {"csv", "parquet"}
    compression : {"gzip"} or None
    encoding : str or None
        Text encoding used ("UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1252 (cp1252)",
        "Latin-1"); None for Parquet.
    delimiter : str or None
        Field separator (``"::"`` included); None for Parquet and one-column text.
    had_header : bool
        Whether the first row held column names (always True for Parquet).
    n_bytes : int
        Size of the source as given (before decompression).
    """

    name: str
    format: str
    compression: str | None
    encoding: str | None
    delimiter: str | None
    had_header: bool
    n_bytes: int

    @property
    def delimiter_label(self) -> str:
        return DELIMITERS.get(self.delimiter or "", "none (one column)")

    def location(self, row: int) -> str:
        """Human location of 0-based data row ``row``: a file line for text, a row for Parquet.

        Lines assume one line per record (a quoted field spanning lines shifts them).
        """
        if self.format == "csv":
            return f"line {row + 1 + int(self.had_header)}"
        return f"row {row + 1}"


# --------------------------------------------------------------------------- containers


# --------------------------------------------------------------------------- text


# --------------------------------------------------------------------------- sniffing
def sample_rows(sample: str, delimiter: str, *, complete: bool) -> list[list[str]]:
    """Records of a text sample split with ``delimiter`` (quotes honoured, blank lines dropped).

    When the sample is a prefix of a longer text (``complete=False``) its last record
    may be cut short, so it is dropped.
    """
    single = _UNIT_SEPARATOR if delimiter == "::" else delimiter
    text = sample.replace("::", _UNIT_SEPARATOR) if delimiter == "::" else sample
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=single, strict=False)
    try:
        rows = [row for row in islice(reader, _SAMPLE_ROWS + 1) if row]
    except csv.Error:
        return []
    if not complete and len(rows) > 1:
        rows = rows[:-1]
    return rows[:_SAMPLE_ROWS]


def sniff_delimiter(sample: str, *, complete: bool = True) -> str | None:
    """The delimiter in `DELIMITERS` that splits ``sample`` into a steady number (>= 2) of fields.

    Score: share of records with the most common field count, then that count
    (more columns win a tie), then the order of `DELIMITERS`. A delimiter is a
    candidate only when at most one record in five (at least one) deviates, so a
    ragged row is reported at its line later rather than changing the guess.
    Returns None when no candidate fits (a one-column file).
    """
    best_score, best = None, None
    for delimiter in DELIMITERS:
        counts = [len(row) for row in sample_rows(sample, delimiter, complete=complete)]
        if not counts:
            continue
        width, hits = Counter(counts).most_common(1)[0]
        deviating = len(counts) - hits
        if width < 2 or deviating > max(1, len(counts) // 5):
            continue
        score = (hits / len(counts), width)
        if best_score is None or score > best_score:
            best_score, best = score, delimiter
    return best


def is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.strip()))


def detect_header(rows: list[list[str]]) -> bool:
    """Whether the first record holds column names.

    Yes when some column is text in the first record but numeric in all others
    (``userId`` above ``1``); when every first-record field is text without digits
    and one of them is made of a usual column word (``user``, ``movieId``,
    ``Book-Rating``...); or when the only record is all text (a header-only file).
    """
    if not rows:
        return False
    first, rest = rows[0], rows[1:]
    all_text = all(f.strip() and not is_number(f) for f in first)
    if not rest:
        return all_text
    for j, field in enumerate(first):
        below = [row[j].strip() for row in rest if j < len(row) and row[j].strip()]
        if field.strip() and not is_number(field) and below and all(is_number(v) for v in below):
            return True
    no_digits = not any(c.isdigit() for f in first for c in f)
    return all_text and no_digits and any(_words(f) & _HEADER_WORDS for f in first)


def _words(field: str) -> set[str]:
    """Lower-case words of a column name: "Book-Rating" -> {"book", "rating", "book-rating"}."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", field.strip())
    return set(re.split(r"[^0-9a-z]+", spaced.lower())) | {field.strip().lower()}


def column_names(first_row: list[str] | None, width: int) -> list[str]:
    """Clean, unique column names; ``column 1``, ``column 2``... where there is no header."""
    if first_row is None:
        return [f"column {j + 1}" for j in range(width)]
    names: list[str] = []
    seen: Counter[str] = Counter()
    for j, raw in enumerate(first_row):
        base = raw.strip() or f"column {j + 1}"
        seen[base] += 1
        names.append(base if seen[base] == 1 else f"{base}.{seen[base] - 1}")
    return names


# --------------------------------------------------------------------------- parsing
def parse_table(data: bytes, *, name: str, header: bool | None = None, n_bytes: int | None = None,
                compression: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Parse uncompressed bytes (Parquet or delimited text) into a DataFrame.

    ``header``: None detects a header row, True / False force it (ignored for Parquet).
    ``limit``: the memory a Parquet table may expand to (None: no limit).
    The result carries a `TableInfo` in ``frame.attrs["table_info"]``.
    """
    n_bytes = len(data) if n_bytes is None else n_bytes
    fmt = sniff_format(data)
    if fmt == "parquet":
        frame = read_parquet(data, name, limit)
        info = TableInfo(name, "parquet", compression, None, None, True, n_bytes)
    elif fmt == "text":
        frame, info = _parse_text(data, name=name, header=header, n_bytes=n_bytes,
                                  compression=compression)
    elif fmt == "gzip":
        raise DataError(f"{name}: gzip inside gzip; expected one level of compression")
    else:
        raise DataError(unreadable_message(fmt, data, name))
    frame.attrs["table_info"] = info
    return frame


def read_table(source, *, name: str | None = None, header: bool | None = None,
               max_bytes: int | None = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read a table from a path, bytes or file-like source into a raw DataFrame.

    Parameters
    ----------
    source : str, pathlib.Path, bytes or file-like
        CSV / TSV / ``|`` / ``;`` / ``::`` delimited text (optionally gzip-compressed) or Parquet.
    name : str, optional
        Display name for messages; defaults to the file's name.
    header : bool, optional
        Whether the first row holds column names; None (default) detects it.
    max_bytes : int or None
        Size limit of the source (default 200 MB, like ``server.maxUploadSize``); the memory
        it may decompress to is `embedviz.data.limits.memory_limit`. None: no limits.

    Returns
    -------
    pandas.DataFrame, shape (n_rows, n_columns)
        Integer-looking columns are int64 (unless zero-padded, which stay text),
        number columns float64, the rest strings; empty cells are missing.
        ``frame.attrs["table_info"]`` is a `TableInfo` saying how it was read.
    """
    name = source_name(source, name)
    limit = memory_limit(max_bytes)
    with parse_slot(name):
        data = read_bytes(source, name=name, max_bytes=max_bytes)
        n_bytes = len(data)
        data, compression = gunzip_if_needed(data, name=name, limit=limit)
        return parse_table(data, name=name, header=header, n_bytes=n_bytes, compression=compression,
                           limit=limit)


def _parse_text(data: bytes, *, name: str, header: bool | None, n_bytes: int,
                compression: str | None) -> tuple[pd.DataFrame, TableInfo]:
    utf8, text, encoding = decode_text(data, name)
    if not text.strip():
        raise DataError(f"{name} is empty ({format_size(n_bytes)}, no rows); "
                        "expected a header row and data rows")
    reject_other_text_formats(text, name)
    stripped = len(text) - len(text.lstrip("\r\n"))
    if stripped:  # leading blank lines would be taken for the header by pyarrow's skip_rows
        text, utf8 = text[stripped:], utf8[stripped:]
    sample = _sample(text, name)
    complete = len(sample) == len(text)
    delimiter = sniff_delimiter(sample, complete=complete)
    rows = sample_rows(sample, delimiter or _UNIT_SEPARATOR, complete=complete)
    if not rows:
        raise parse_error(ValueError("no records"), text, delimiter, name)
    had_header = detect_header(rows) if header is None else header
    names = column_names(rows[0] if had_header else None, len(rows[0]))
    table = _arrow_csv(utf8, delimiter, names, had_header, name=name, text=text)
    trim = [j for j in range(len(names))
            if any(j < len(row) and row[j] != row[j].strip() for row in rows[int(had_header):])]
    frame = _typed_frame(table, trim)
    return frame, TableInfo(name, "csv", compression, encoding, delimiter, had_header, n_bytes)


def _sample(text: str, name: str) -> str:
    """The first 64k characters, or more when needed to hold the first two lines whole
    (a header of 20,000 columns is longer than the usual sample)."""
    sample = text[:_SAMPLE_CHARS]
    if len(text) <= _SAMPLE_CHARS or sample.count("\n") >= 2:
        return sample
    first = text.find("\n", 0, MAX_LINE_CHARS + 1)
    if first < 0:
        if len(text) > MAX_LINE_CHARS:
            raise DataError(f"{name}, line 1: longer than {MAX_LINE_CHARS:,} characters, too long for "
                            "one record; expected a table with one record per line")
        return text
    second = text.find("\n", first + 1, first + 1 + MAX_LINE_CHARS)
    return text[:second + 1 if second >= 0 else max(_SAMPLE_CHARS, first + 1)]


def _arrow_csv(utf8: bytes, delimiter: str | None, names: list[str], had_header: bool, *,
               name: str, text: str) -> pa.Table:
    single = _UNIT_SEPARATOR if delimiter in (None, "::") else delimiter
    if delimiter == "::":
        utf8 = utf8.replace(b"::", _UNIT_SEPARATOR.encode())
    try:
        return pa_csv.read_csv(
            io.BytesIO(utf8),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=int(had_header),
                                            block_size=MAX_LINE_CHARS),
            # Quoted newlines need a slower serial chunker; only pay for it when there are quotes.
            parse_options=pa_csv.ParseOptions(delimiter=single, newlines_in_values=b'"' in utf8),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                quoted_strings_can_be_null=True, null_values=[""],
            ),
        )
    except (pa.ArrowException, OSError, ValueError) as err:
        raise parse_error(err, text, delimiter, name) from None


def parse_error(err: Exception, text: str, delimiter: str | None, name: str) -> DataError:
    """A DataError pointing at the first record whose field count differs from the first one's."""
    label = DELIMITERS.get(delimiter or "", "one column")
    long_line = _first_long_line(text, MAX_LINE_CHARS)
    if long_line is not None:
        line, length = long_line
        return DataError(f"{name}, line {line}: {length:,} characters long, more than the "
                         f"{MAX_LINE_CHARS:,} read for one record; expected one record per line")
    problem = _first_ragged_record(text, delimiter)
    if problem is None:
        return DataError(f"{name}: cannot parse as {label}-separated text ({err})")
    if "quote" in problem:
        return DataError(f"{name}, {problem}")
    return DataError(f"{name}, {problem}; check that every line uses the same delimiter "
                     f"({label} was detected)")


def _first_ragged_record(text: str, delimiter: str | None) -> str | None:
    """Where and how the first ragged record goes wrong ("line 7: expected 3 ..."), or None."""
    single = _UNIT_SEPARATOR if delimiter in (None, "::") else delimiter
    if delimiter == "::":
        text = text.replace("::", _UNIT_SEPARATOR)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=single, strict=False)
    expected, start = None, 1
    try:
        for record in reader:
            if record:
                expected = len(record) if expected is None else expected
                if len(record) != expected:
                    return _ragged_message(start, expected, record, delimiter)
            start = reader.line_num + 1
    except csv.Error:  # a field longer than the csv module's limit
        line = _line_at(text, start)
        if '"' in line[:csv.field_size_limit()]:   # a quote swallowed the rest of the file
            return f"line {start}: a quote (\") opened here is never closed"
        return (f"line {start}: a field longer than {csv.field_size_limit():,} characters (the line has "
                f"{len(line):,}); expected short fields, one record per line")
    return None


def _line_at(text: str, number: int) -> str:
    """Line ``number`` (1-based) of ``text`` without its line break."""
    start = 0
    for _ in range(number - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def _first_long_line(text: str, max_chars: int) -> tuple[int, int] | None:
    """(line number, length) of the first line longer than ``max_chars``, or None."""
    if len(text) <= max_chars:
        return None
    start, line = 0, 1
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - start > max_chars:
            return line, end - start
        start, line = end + 1, line + 1
    return None


def _ragged_message(line: int, expected: int, record: list[str], delimiter: str | None) -> str:
    shown = (delimiter or "").join(record)
    if "\n" in shown or "\r" in shown:
        return f"line {line}: a quote (\") opened here is never closed (or closes lines later)"
    return (f"line {line}: expected {_fields(expected)} like line 1, found {len(record)} "
            f"({shown[:80]!r})")


def _fields(n: int) -> str:
    return f"{n} field" if n == 1 else f"{n} fields"


# --------------------------------------------------------------------------- types
def _typed_frame(table: pa.Table, trim: list[int]) -> pd.DataFrame:
    """Give each all-text column the narrowest type: int64, float64 or string."""
    columns = []
    for j, column in enumerate(table.columns):
        if j in trim:
            column = pc.utf8_trim_whitespace(column)
        columns.append(_narrowest(column))
    return pa.table(columns, names=table.column_names).to_pandas()


def _narrowest(column: pa.ChunkedArray) -> pa.ChunkedArray:
    try:
        ints = pc.cast(column, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    else:
        # Zero-padded codes ("007", ISBNs) are ids, not numbers: keep their text.
        return column if _has_leading_zeros(column) else ints
    try:
        floats = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return column
    return column if _long_digit_strings(column, floats) else floats


def _has_leading_zeros(column: pa.ChunkedArray) -> bool:
    padded = pc.and_(pc.starts_with(column, "0"), pc.greater(pc.binary_length(column), 1))
    negative = pc.and_(pc.starts_with(column, "-0"), pc.greater(pc.binary_length(column), 2))
    return bool(pc.any(pc.or_(padded, negative)).as_py())


def _long_digit_strings(column: pa.ChunkedArray, floats: pa.ChunkedArray) -> bool:
    """True for integers too long for int64 (e.g. 20-digit ids): floats would lose digits."""
    largest = pc.max(pc.abs(floats)).as_py()
    if largest is None or not np.isfinite(largest) or largest < 2.0**53:
        return False
    return bool(pc.any(pc.match_substring_regex(column, r"^-?\d{16,}$")).as_py())
