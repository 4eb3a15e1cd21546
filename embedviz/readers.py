"""Turn a source (path, bytes or an upload) into a raw pandas DataFrame.

Low level: no knowledge of users, items or ratings. `read_table` detects the
container (gzip, Parquet, text), rejects what cannot be a table (Excel, zip,
images, binary) with a message a person can act on, decodes the text (UTF-8
with or without BOM, UTF-16 with BOM, else Windows-1252, else Latin-1), sniffs
the delimiter and a header row, and parses with pyarrow for speed. Every
failure is a `DataError` naming the file and, when known, the line.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from embedviz.errors import DataError

# Matches `server.maxUploadSize = 200` (MB) in .streamlit/config.toml.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
# A small gzip file can expand enormously; cap what we inflate relative to the upload limit.
GZIP_EXPANSION_LIMIT = 5

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", "::": "double colon (::)"}

# Magic prefixes of files people upload by mistake -> what to call them.
BINARY_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"\x7fELF": "a program (ELF binary)",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"\xfd7zXZ\x00": "an xz-compressed file (only gzip is read; decompress it first)",
    b"\x28\xb5\x2f\xfd": "a zstd-compressed file (only gzip is read; decompress it first)",
    b"SQLite format 3\x00": "an SQLite database",
    b"ARROW1": "an Arrow IPC file",
}
_FORMATS = {
    b"\x1f\x8b": "gzip",
    b"PAR1": "parquet",
    b"\x93NUMPY": "npy",
    b"PK\x03\x04": "zip",
    b"PK\x05\x06": "zip",  # an empty zip archive
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "ole2",  # legacy .xls / .doc
}

_EXPORT_CSV = ("export it as CSV from your spreadsheet program (File > Save As > CSV UTF-8) "
               "and upload that")
_SAMPLE_CHARS = 64 * 1024
_SAMPLE_ROWS = 200
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
        return DELIMITERS.get(self.delimiter, "none (one column)")

    def location(self, row: int) -> str:
        """Human location of 0-based data row ``row``: a file line for text, a row for Parquet.

        Lines assume one line per record (a quoted field spanning lines shifts them).
        """
        if self.format == "csv":
            return f"line {row + 1 + int(self.had_header)}"
        return f"row {row + 1}"


# --------------------------------------------------------------------------- sources
def source_name(source, name: str | None = None) -> str:
    """Display name for messages: ``name`` if given, else the file's name, else "data"."""
    if name:
        return str(name)
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name or str(source)
    file_name = getattr(source, "name", None)
    if isinstance(file_name, str) and file_name:
        return Path(file_name).name
    return "data"


def read_bytes(source, *, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """All bytes of a path, bytes-like or file-like source, refusing more than ``max_bytes``.

    File-like objects (Streamlit's ``UploadedFile`` included) are rewound first when
    seekable, so a file that was already read once (e.g. to hash it) still loads.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        data = _read_path(Path(source), name, max_bytes)
    elif hasattr(source, "read"):
        data = _read_file_object(source, max_bytes)
    else:
        kind = type(source).__name__
        raise TypeError(f"source must be a path, bytes or a file-like object, got {kind}")
    check_size(len(data), name, max_bytes)
    return data


def _read_path(path: Path, name: str, max_bytes: int) -> bytes:
    if not path.exists():
        raise DataError(f"{name}: file not found ({path})")
    if path.is_dir():
        raise DataError(f"{name}: is a folder; expected a file ({path})")
    try:
        check_size(path.stat().st_size, name, max_bytes)
        return path.read_bytes()
    except OSError as err:  # permissions, a file vanishing, a device error
        raise DataError(f"{name}: cannot read the file ({err.strerror or err})") from None


def _read_file_object(stream, max_bytes: int) -> bytes:
    if getattr(stream, "seekable", lambda: False)():
        stream.seek(0)
    data = stream.read(max_bytes + 1)  # one byte more than allowed is enough to refuse it
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def check_size(n_bytes: int, name: str, max_bytes: int) -> None:
    """Raise DataError when ``n_bytes`` exceeds ``max_bytes``."""
    if n_bytes > max_bytes:
        raise DataError(
            f"{name} is {format_size(n_bytes)}, over the {format_size(max_bytes)} size limit for "
            "uploads (server.maxUploadSize in .streamlit/config.toml). For bigger data use the "
            "command line, `python -m embedviz`, which reads files from disk without this limit."
        )


def format_size(n_bytes: int) -> str:
    if n_bytes < 1024 * 1024:
        return f"{n_bytes:,} bytes"
    return f"{n_bytes / (1024 * 1024):,.1f} MB"


# --------------------------------------------------------------------------- containers
def sniff_format(data: bytes) -> str:
    """Container of ``data`` from its magic bytes.

    Returns one of "gzip", "parquet", "npy", "zip", "ole2", "text" (anything else;
    may still turn out to be binary when decoded).
    """
    for magic, fmt in _FORMATS.items():
        if data.startswith(magic):
            return fmt
    return "text"


def gunzip_if_needed(data: bytes, *, name: str, max_bytes: int) -> tuple[bytes, str | None]:
    """``(data, None)`` for plain data; ``(inflated, "gzip")`` for gzip, bounded in size."""
    if sniff_format(data) != "gzip":
        return data, None
    limit = GZIP_EXPANSION_LIMIT * max_bytes
    parts, total, rest = [], 0, data
    while rest.startswith(b"\x1f\x8b"):  # a .gz may hold several members back to back
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = inflater.decompress(rest, limit + 1 - total)
        except zlib.error as err:
            message = f"{name}: gzip data is corrupt ({err}); expected a valid .gz file"
            raise DataError(message) from None
        total += len(chunk)
        parts.append(chunk)
        if total > limit:
            raise DataError(
                f"{name}: decompresses to more than {format_size(limit)} ({GZIP_EXPANSION_LIMIT} x "
                f"the {format_size(max_bytes)} limit); use the command line for big data"
            )
        if not inflater.eof:
            raise DataError(f"{name}: gzip data is truncated or corrupt (the compressed stream "
                            "ends early); expected a complete .gz file")
        rest = inflater.unused_data
    return b"".join(parts), "gzip"


def zip_contents(data: bytes, name: str) -> str:
    """What a zip archive holds: "xlsx", "npz", "docx" or "zip" (anything else)."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        message = f"{name}: a damaged zip archive ({err}); expected a CSV or Parquet file"
        raise DataError(message) from None
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("word/") for n in names):
        return "docx"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    return "zip"


def unreadable_message(fmt: str, data: bytes, name: str) -> str:
    """Why ``data`` (sniffed as ``fmt``) cannot be read as a table, and what to do instead."""
    if fmt == "zip":
        fmt = zip_contents(data, name)
    messages = {
        "xlsx": f"{name} is an Excel workbook (.xlsx), not a CSV file; {_EXPORT_CSV}",
        "ole2": f"{name} is an Excel (.xls) or other Microsoft Office file, not a CSV file; "
                f"{_EXPORT_CSV}",
        "docx": f"{name} is a Word document, not a CSV file; expected a CSV or Parquet table",
        "npz": f"{name} is a NumPy .npz archive (arrays, not a table); open it as embeddings",
        "npy": f"{name} is a NumPy .npy array, not a table; open it as embeddings instead",
        "zip": f"{name} is a zip archive; unzip it and upload the CSV or Parquet file inside",
    }
    return messages.get(fmt, f"{name}: cannot read this {fmt} file as a table")


# --------------------------------------------------------------------------- text
def decode_text(data: bytes, name: str) -> tuple[bytes, str, str]:
    """Validate and decode text.

    Returns
    -------
    utf8 : bytes
        The content as UTF-8 without BOM (what pyarrow parses).
    text : str
        The decoded content (for sniffing and error locations).
    encoding : str
        Which encoding was used, for the load report.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as err:
            message = f"{name}: starts like UTF-16 text but is not valid UTF-16 ({err.reason})"
            raise DataError(message) from None
        return text.encode("utf-8"), text, "UTF-16"
    _reject_binary(data, name)
    has_bom = data.startswith(codecs.BOM_UTF8)
    body, label = (data[len(codecs.BOM_UTF8):], "UTF-8 with BOM") if has_bom else (data, "UTF-8")
    try:
        return body, body.decode("utf-8"), label
    except UnicodeDecodeError as err:
        # A BOM, or valid multi-byte characters before the first bad byte, mean a damaged
        # UTF-8 file rather than a legacy encoding: keep UTF-8 and mark the bad bytes.
        if has_bom or not body[:err.start].isascii():
            text = body.decode("utf-8", errors="replace")
            return text.encode("utf-8"), text, f"{label}, invalid bytes replaced by \ufffd"
    try:
        # Windows-1252 first: it is what Excel and old datasets write; it leaves 5 bytes undefined.
        text, encoding = body.decode("cp1252"), "Windows-1252 (cp1252)"
    except UnicodeDecodeError:
        text, encoding = body.decode("latin-1"), "Latin-1"  # decodes any byte sequence
    return text.encode("utf-8"), text, encoding


def _reject_binary(data: bytes, name: str) -> None:
    for magic, what in BINARY_SIGNATURES.items():
        if data.startswith(magic):
            raise DataError(f"{name} is {what}, not a text table; expected a CSV or Parquet file")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DataError(
            f"{name} is a binary file, not text (a NUL byte at offset {nul:,}); "
            "expected a CSV or Parquet file"
        )
    head = data[:4096]
    controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if head and controls > len(head) // 10:
        raise DataError(f"{name} is a binary file, not text ({controls} control bytes in the first "
                        f"{len(head):,}); expected a CSV or Parquet file")


def _reject_other_text_formats(text: str, name: str) -> None:
    start = text.lstrip()[:64].lower()
    if start.startswith(("<!doctype html", "<html")):
        raise DataError(f"{name} is a web page (HTML), not a CSV file; download the CSV itself")
    if start.startswith(("{", "[{", "[\n", "[ ")):
        raise DataError(f"{name} looks like JSON, not a CSV file; convert it to CSV "
                        "(one row per interaction)")


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
    names, seen = [], Counter()
    for j, raw in enumerate(first_row):
        base = raw.strip() or f"column {j + 1}"
        seen[base] += 1
        names.append(base if seen[base] == 1 else f"{base}.{seen[base] - 1}")
    return names


# --------------------------------------------------------------------------- parsing
def parse_table(data: bytes, *, name: str, header: bool | None = None, n_bytes: int | None = None,
                compression: str | None = None) -> pd.DataFrame:
    """Parse uncompressed bytes (Parquet or delimited text) into a DataFrame.

    ``header``: None detects a header row, True / False force it (ignored for Parquet).
    The result carries a `TableInfo` in ``frame.attrs["table_info"]``.
    """
    n_bytes = len(data) if n_bytes is None else n_bytes
    fmt = sniff_format(data)
    if fmt == "parquet":
        frame = _parse_parquet(data, name)
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
               max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read a table from a path, bytes or file-like source into a raw DataFrame.

    Parameters
    ----------
    source : str, pathlib.Path, bytes or file-like
        CSV / TSV / ``|`` / ``;`` / ``::`` delimited text (optionally gzip-compressed) or Parquet.
    name : str, optional
        Display name for messages; defaults to the file's name.
    header : bool, optional
        Whether the first row holds column names; None (default) detects it.
    max_bytes : int
        Size limit of the source (default 200 MB, like ``server.maxUploadSize``).

    Returns
    -------
    pandas.DataFrame, shape (n_rows, n_columns)
        Integer-looking columns are int64 (unless zero-padded, which stay text),
        number columns float64, the rest strings; empty cells are missing.
        ``frame.attrs["table_info"]`` is a `TableInfo` saying how it was read.
    """
    name = source_name(source, name)
    data = read_bytes(source, name=name, max_bytes=max_bytes)
    n_bytes = len(data)
    data, compression = gunzip_if_needed(data, name=name, max_bytes=max_bytes)
    return parse_table(data, name=name, header=header, n_bytes=n_bytes, compression=compression)


def _parse_parquet(data: bytes, name: str) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(pa.BufferReader(data)).to_pandas()
    except (pa.ArrowException, OSError, ValueError, TypeError) as err:
        message = f"{name}: not a readable Parquet file (truncated or corrupt: {err})"
        raise DataError(message) from None
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _parse_text(data: bytes, *, name: str, header: bool | None, n_bytes: int,
                compression: str | None) -> tuple[pd.DataFrame, TableInfo]:
    utf8, text, encoding = decode_text(data, name)
    if not text.strip():
        raise DataError(f"{name} is empty ({format_size(n_bytes)}, no rows); "
                        "expected a header row and data rows")
    _reject_other_text_formats(text, name)
    stripped = len(text) - len(text.lstrip("\r\n"))
    if stripped:  # leading blank lines would be taken for the header by pyarrow's skip_rows
        text, utf8 = text[stripped:], utf8[stripped:]
    sample, complete = text[:_SAMPLE_CHARS], len(text) <= _SAMPLE_CHARS
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


def _arrow_csv(utf8: bytes, delimiter: str | None, names: list[str], had_header: bool, *,
               name: str, text: str) -> pa.Table:
    single = _UNIT_SEPARATOR if delimiter in (None, "::") else delimiter
    if delimiter == "::":
        utf8 = utf8.replace(b"::", _UNIT_SEPARATOR.encode())
    try:
        return pa_csv.read_csv(
            io.BytesIO(utf8),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=int(had_header)),
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
    label = DELIMITERS.get(delimiter, "one column")
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
    except csv.Error:  # a field longer than the csv module's limit: a quote swallowed the rest
        return f"line {start}: a quote (\") opened here is never closed"
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
