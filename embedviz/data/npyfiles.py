"""``.npy`` and ``.npz`` files read without pickles and within a memory limit.

`numpy.load` trusts the file: it allocates whatever shape an ``.npy`` header declares
before reading a byte (a 200-byte file can ask for terabytes), inflates any zip member
however large, and reports a member shorter than its header as an unpickling problem.
These readers check first and say what is wrong:

* a zip archive's declared sizes (``ZipInfo.file_size``, which also bounds what zipfile
  inflates) against the memory limit, before inflating anything;
* each header's shape x dtype against the limit and against the bytes that follow it;
* object (pickled) arrays are refused, never unpickled.
"""
from __future__ import annotations

import io
import math
import zipfile
import zlib

import numpy as np

from embedviz.data.limits import check_memory, format_size
from embedviz.errors import DataError

__all__ = ["NPY_MAGIC", "read_npy", "read_npz"]

NPY_MAGIC = b"\x93NUMPY"
MAX_MEMBERS = 1000
_CHUNK = 16 * 1024 * 1024
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
    (3, 0): np.lib.format.read_array_header_2_0,   # same layout, UTF-8 field names
}
_PICKLE_HINT = "save a numeric array, e.g. np.save(path, vectors.astype('float32'))"
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)


def read_npy(data: bytes, name: str, limit: int | None) -> np.ndarray:
    """The array in the bytes of an ``.npy`` file. Raises DataError (never unpickles)."""
    return _read_array(io.BytesIO(data), len(data), name, "the array", limit)


def read_npz(data: bytes, name: str, limit: int | None) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive by key (member name without ``.npy``).

    The archive's declared uncompressed size is checked against ``limit`` before any
    member is inflated. Raises DataError.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise DataError(f"{name}: a truncated or corrupt zip/.npz archive ({err}); expected a file written by "
                        "numpy.savez or model.save()") from None
    if len(infos) > MAX_MEMBERS:
        raise DataError(f"{name}: the archive holds {len(infos):,} files; an .npz has a few arrays "
                        f"(at most {MAX_MEMBERS:,} are read)")
    check_memory(sum(info.file_size for info in infos), limit, name,
                 f"unpacking its {len(infos)} array(s) ({format_size(len(data))} compressed)")
    arrays = {}
    with archive:
        for info in infos:
            key = _member_key(info, name)
            try:
                with archive.open(info) as stream:
                    arrays[key] = _read_array(stream, info.file_size, name, f"array {key!r}", limit)
            except _DAMAGE as err:
                raise DataError(f"{name}: array {key!r} is truncated or corrupt ({err}); "
                                "expected an intact .npz file") from None
    return arrays


def _member_key(info: zipfile.ZipInfo, name: str) -> str:
    if not info.filename.endswith(".npy") or info.is_dir():
        raise DataError(f"{name}: the archive holds {info.filename[:80]!r}, which is not a NumPy array "
                        "(.npy); expected an .npz written by numpy.savez or model.save()")
    return info.filename[:-len(".npy")]


def _read_array(stream, n_bytes: int, name: str, what: str, limit: int | None) -> np.ndarray:
    shape, fortran_order, dtype = _header(stream, name, what)
    count = math.prod(shape)
    n_data = count * dtype.itemsize
    described = f"{what} of shape {_shape_text(shape)} ({dtype.str})"
    check_memory(n_data, limit, name, described)
    available = n_bytes - stream.tell()
    if available < n_data:
        raise DataError(f"{name}: {what} is truncated: its header declares shape {_shape_text(shape)} of "
                        f"{dtype.str} ({format_size(n_data)}) but only {format_size(max(0, available))} "
                        "of data follow; the file is cut short or forged")
    try:
        array = np.empty(count, dtype=dtype)
    except (MemoryError, ValueError):
        raise DataError(f"{name}: {described} does not fit in memory") from None
    _fill(stream, array, n_data, name, what)
    if fortran_order:
        return array.reshape(shape[::-1]).transpose()
    return array.reshape(shape)


def _header(stream, name: str, what: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    magic = stream.read(len(NPY_MAGIC) + 2)
    if not magic.startswith(NPY_MAGIC) or len(magic) < len(NPY_MAGIC) + 2:
        raise DataError(f"{name}: {what} is not a NumPy array (it starts with {magic[:8]!r}); "
                        "expected a file written by numpy.save")
    version = (magic[-2], magic[-1])
    reader = _HEADER_READERS.get(version)
    if reader is None:
        raise DataError(f"{name}: {what} has an unknown .npy format version {version}")
    try:
        shape, fortran_order, dtype = reader(stream)
    except Exception as err:   # numpy parses the header text with tokenize/ast: any error means corrupt
        raise DataError(f"{name}: {what} is not a readable NumPy file: its header is truncated or "
                        f"corrupt ({str(err)[:200]})") from None
    if dtype.hasobject:
        raise DataError(f"{name}: {what} holds Python objects (pickled), which are never loaded; only "
                        f"plain numeric or text arrays are read - {_PICKLE_HINT}")
    if dtype.itemsize == 0 or any(not isinstance(n, int) or n < 0 for n in shape):
        raise DataError(f"{name}: {what} has an invalid .npy header (shape {_shape_text(shape)}, "
                        f"dtype {dtype.str})")
    return tuple(shape), bool(fortran_order), dtype


def _fill(stream, array: np.ndarray, n_data: int, name: str, what: str) -> None:
    """Read ``n_data`` bytes into ``array`` chunk by chunk (no second full-size copy)."""
    target = array.reshape(-1).view(np.uint8)
    done = 0
    while done < n_data:
        chunk = stream.read(min(_CHUNK, n_data - done))
        if not chunk:
            raise DataError(f"{name}: {what} is truncated: {format_size(done)} of the "
                            f"{format_size(n_data)} its header declares")
        target[done:done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        done += len(chunk)


def _shape_text(shape) -> str:
    return "(" + ", ".join(f"{n:,}" if isinstance(n, int) else repr(n) for n in shape) + ")"
