"""Bytes from a source (path, bytes or an upload) within a size limit, and what they are.

Detects the container (gzip, Parquet, zip, .npy, binaries people upload by mistake) and
decodes text, each failure a `DataError` a person can act on. No knowledge of tables.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import os
import zipfile
import zlib
from pathlib import Path

from embedviz.data.limits import DEFAULT_MAX_BYTES, format_size
from embedviz.errors import DataError

__all__ = ["DEFAULT_MAX_BYTES", "format_size", "gunzip_if_needed", "read_bytes", "sniff_format"]

# Inflate gzip this much at a time, so a bomb is stopped within one chunk of the limit.
_GZIP_CHUNK = 4 * 1024 * 1024


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


def read_bytes(source, *, name: str, max_bytes: int | None = DEFAULT_MAX_BYTES) -> bytes:
    """All bytes of a path, bytes-like or file-like source, refusing more than ``max_bytes``.

    ``max_bytes=None`` reads any size (the command line, local files). File-like objects
    (Streamlit's ``UploadedFile`` included) are rewound first when
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


def _read_path(path: Path, name: str, max_bytes: int | None) -> bytes:
    if not path.exists():
        raise DataError(f"{name}: file not found ({path})")
    if path.is_dir():
        raise DataError(f"{name}: is a folder; expected a file ({path})")
    try:
        check_size(path.stat().st_size, name, max_bytes)
        return path.read_bytes()
    except OSError as err:  # permissions, a file vanishing, a device error
        raise DataError(f"{name}: cannot read the file ({err.strerror or err})") from None


def _read_file_object(stream, max_bytes: int | None) -> bytes:
    if getattr(stream, "seekable", lambda: False)():
        stream.seek(0)
    data = stream.read(-1 if max_bytes is None else max_bytes + 1)  # one byte more is enough to refuse it
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def check_size(n_bytes: int, name: str, max_bytes: int | None) -> None:
    """Raise DataError when ``n_bytes`` exceeds ``max_bytes`` (None: no limit)."""
    if max_bytes is not None and n_bytes > max_bytes:
        raise DataError(
            f"{name} is {format_size(n_bytes)}, over the {format_size(max_bytes)} size limit for "
            "uploads (server.maxUploadSize in .streamlit/config.toml). For bigger data use the "
            "command line (python -m embedviz), which reads files from disk without this limit."
        )


def sniff_format(data: bytes) -> str:
    """Container of ``data`` from its magic bytes.

    Returns one of "gzip", "parquet", "npy", "zip", "ole2", "text" (anything else;
    may still turn out to be binary when decoded).
    """
    for magic, fmt in _FORMATS.items():
        if data.startswith(magic):
            return fmt
    return "text"


def gunzip_if_needed(data: bytes, *, name: str, limit: int | None) -> tuple[bytes, str | None]:
    """``(data, None)`` for plain data; ``(inflated, "gzip")`` for gzip.

    Inflates a few MB at a time and stops as soon as the running total passes ``limit``
    (the memory limit, see `embedviz.data.limits`), so a bomb costs at most the limit.
    """
    if sniff_format(data) != "gzip":
        return data, None
    parts: list[bytes] = []
    total, rest = 0, data
    while rest.startswith(b"\x1f\x8b"):  # a .gz may hold several members back to back
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = rest
        while not inflater.eof:
            try:
                chunk = inflater.decompress(pending, _GZIP_CHUNK)
            except zlib.error as err:
                message = f"{name}: gzip data is corrupt ({err}); expected a valid .gz file"
                raise DataError(message) from None
            total += len(chunk)
            if limit is not None and total > limit:
                parts.clear()
                raise DataError(
                    f"{name}: decompresses to more than {format_size(limit)}, the memory limit for one file "
                    f"(EMBEDVIZ_MAX_MEMORY_MB); stopped there, {format_size(len(data))} compressed. For big "
                    "data use the command line (python -m embedviz), which has no such limit."
                )
            parts.append(chunk)
            pending = inflater.unconsumed_tail
            if not pending and not chunk:
                break
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


def reject_other_text_formats(text: str, name: str) -> None:
    start = text.lstrip()[:64].lower()
    if start.startswith(("<!doctype html", "<html")):
        raise DataError(f"{name} is a web page (HTML), not a CSV file; download the CSV itself")
    if start.startswith(("{", "[{", "[\n", "[ ")):
        raise DataError(f"{name} looks like JSON, not a CSV file; convert it to CSV "
                        "(one row per interaction)")


def digest_bytes(*chunks: bytes) -> str:
    """sha256 over one or more byte strings (computed once per upload)."""
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()[:16]

