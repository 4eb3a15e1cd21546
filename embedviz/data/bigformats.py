"""Readers that turn one big vector file into one float32 (n, d) array, a block of rows at a time.

Used by `embedviz.data.bigfiles`. A reader either maps the file's own bytes (``.npy`` and
uncompressed ``.npz`` members already float32 in C order: nothing is read until used) or
writes blocks of converted rows into a `Sink` (Parquet, text, compressed or non-float32
NumPy). Memory stays at one block (~16 MB) on top of the result, never a float64 copy.
"""
from __future__ import annotations

import os
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from embedviz.errors import DataError

BLOCK_BYTES = 16 << 20            # bytes of input per block
_VECTOR_KEYS = ("vectors", "embeddings", "embedding", "factors")
_ID_KEYS = ("ids", "labels", "names", "words")
_PICKLE = ("holds Python objects (a pickle); for safety only plain numeric arrays are read - "
           "save one with np.save(path, vectors.astype('float32'))")


class Sink:
    """A float32 (n, d) array written block by block (rows in order), with its row norms.

    With a ``target`` the rows go straight to a ``.npy`` file with plain writes (no mapping, so
    the conversion does not hold the result in this process's memory) under a temporary name,
    renamed by `finish`: a half-written file is never mistaken for a finished one. Without a
    target, or when the folder is not writable, they go to memory. Every block is checked for
    NaN / infinite values as it arrives (the error names the row).
    """

    def __init__(self, shape: tuple[int, int], target: Path | None, name: str):
        self.shape, self.target, self.name, self.rows = shape, target, name, 0
        self.norms = np.empty(shape[0], dtype=np.float32)
        self.tmp: Path | None = None
        self.array: np.ndarray | None = None
        if target is not None:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                self.tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp")
                self.file = open(self.tmp, "wb")  # noqa: SIM115 (closed by finish / abort)
                self.file.write(_npy_header(shape))
                return
            except OSError:
                self.tmp = None
        self.array = np.empty(shape, dtype=np.float32)

    def write(self, block: np.ndarray) -> None:
        """The next rows (any numeric dtype; converted here)."""
        stop = self.rows + len(block)
        if stop > self.shape[0]:
            raise DataError(f"{self.name}: more rows than the {self.shape[0]:,} announced; the file changed while read")
        with np.errstate(over="ignore", invalid="ignore"):   # too large for float32 -> inf, reported below
            block = np.ascontiguousarray(block, dtype=np.float32)
        self.norms[self.rows:stop] = block_norms(block, self.rows, self.name)
        if self.array is not None:
            self.array[self.rows:stop] = block
        else:
            self.file.write(block.tobytes())
        self.rows = stop

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, norms): read-only, memory-mapped from ``target`` when there is one."""
        if self.rows < 2:
            raise DataError(f"{self.name}: found {self.rows} vector(s); need at least 2 to compare or project")
        norms = self.norms[:self.rows]
        if self.array is not None:
            array = self.array[:self.rows]
            array.flags.writeable = False
            return array, norms
        assert self.tmp is not None and self.target is not None
        if self.rows != self.shape[0]:      # fewer rows than lines (blank lines): fix the header
            header = _npy_header((self.rows, self.shape[1]))
            if len(header) != len(_npy_header(self.shape)):
                raise DataError(f"{self.name}: unexpected row count {self.rows:,}; convert it to .npy first")
            self.file.seek(0)
            self.file.write(header)
        self.file.close()
        os.replace(self.tmp, self.target)
        self.tmp = None
        return np.load(self.target, mmap_mode="r", allow_pickle=False), norms

    def abort(self) -> None:
        if self.tmp is not None:
            self.file.close()
            self.tmp.unlink(missing_ok=True)


def _npy_header(shape: tuple[int, int]) -> bytes:
    import io

    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return out.getvalue()


def block_norms(block: np.ndarray, first_row: int, name: str) -> np.ndarray:
    """Row lengths of a float32 block; a NaN / infinite value raises a DataError naming its row."""
    squared = np.einsum("ij,ij->i", block, block, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(squared))
    if bad.size:
        row = int(bad[0])
        column = int(np.flatnonzero(~np.isfinite(block[row]))[0])
        raise DataError(f"{name}, row {first_row + row + 1}: dimension {column + 1} is {block[row, column]}; "
                        "expected finite numbers (found a missing value, NaN, infinity or a number too "
                        "large for float32)")
    return np.sqrt(squared).astype(np.float32)


def rows_per_block(dim: int, itemsize: int = 4) -> int:
    return max(1, BLOCK_BYTES // max(1, dim * itemsize))


# ------------------------------------------------------------------------------ NumPy files

class NpyLayout:
    """Where a ``.npy`` array's numbers start in a file, and their shape, dtype and order."""

    def __init__(self, shape: tuple[int, ...], fortran: bool, dtype: np.dtype, offset: int):
        self.shape, self.fortran, self.dtype, self.offset = shape, fortran, dtype, offset

    @property
    def mappable(self) -> bool:
        """float32 in C order: the file's bytes are the result."""
        return self.dtype == np.float32 and not self.fortran and len(self.shape) == 2


def read_npy_header(stream, name: str) -> NpyLayout:
    """Parse a ``.npy`` header at the stream's position; ``offset`` is where the numbers start."""
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:   # 2.0; 3.0 differs only in the header's text encoding
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    except (ValueError, OSError, EOFError) as error:
        raise DataError(f"{name}: not a readable NumPy file ({error}); it may be truncated") from None
    if dtype.hasobject:
        raise DataError(f"{name} {_PICKLE}")
    return NpyLayout(tuple(shape), bool(fortran), dtype, stream.tell())


def npy_layout(path: Path, name: str) -> NpyLayout:
    with open(path, "rb") as stream:
        return read_npy_header(stream, name)


def map_npy(path: Path, layout: NpyLayout) -> np.ndarray:
    """The array in the file, memory-mapped read-only (no bytes read yet)."""
    return np.memmap(path, dtype=layout.dtype, mode="r", offset=layout.offset, shape=layout.shape,
                     order="F" if layout.fortran else "C")


def array_blocks(source: np.ndarray) -> Iterator[np.ndarray]:
    """A (mapped) array a block of rows at a time."""
    step = rows_per_block(source.shape[1], source.dtype.itemsize)
    for start in range(0, len(source), step):
        yield np.asarray(source[start:start + step])


def npz_members(path: Path, name: str) -> tuple[str, str | None]:
    """(vectors member, ids member or None) of an ``.npz`` archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.endswith(".npy")]
            shapes = {}
            for member in members:
                with archive.open(member) as stream:
                    shapes[member[:-4]] = read_npy_header(stream, f"{name}: array {member[:-4]!r}").shape
    except zipfile.BadZipFile as error:
        raise DataError(f"{name}: not a readable .npz archive ({error})") from None
    key = next((k for k in _VECTOR_KEYS if k in shapes), None)
    if key is None:
        two_d = [k for k, shape in shapes.items() if len(shape) == 2]
        if len(two_d) != 1:
            found = ", ".join(f"{k!r} {s}" for k, s in shapes.items()) or "none"
            raise DataError(f"{name}: expected one 2-D array (or a key named 'vectors'), found arrays {found}")
        key = two_d[0]
    ids = next((k for k in _ID_KEYS if k in shapes), None)
    return key + ".npy", None if ids is None else ids + ".npy"


def npz_stored_layout(path: Path, member: str, name: str) -> NpyLayout | None:
    """The member's layout in the archive file when it is stored uncompressed (mappable), else None."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with open(path, "rb") as stream:
        stream.seek(info.header_offset)
        local = stream.read(30)
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        stream.seek(start)
        return read_npy_header(stream, f"{name}: array {member[:-4]!r}")


def npz_blocks(path: Path, member: str, name: str) -> tuple[NpyLayout, Iterator[np.ndarray]]:
    """The member's layout and its rows block by block, decompressed as they are read."""
    archive = zipfile.ZipFile(path)
    stream = archive.open(member)
    layout = read_npy_header(stream, f"{name}: array {member[:-4]!r}")

    def blocks() -> Iterator[np.ndarray]:
        with archive, stream:
            n, d = layout.shape
            step = rows_per_block(d, layout.dtype.itemsize)
            for start in range(0, n, step):
                rows = min(step, n - start)
                data = stream.read(rows * d * layout.dtype.itemsize)
                if len(data) < rows * d * layout.dtype.itemsize:
                    raise DataError(f"{name}: array {member[:-4]!r} ends after {start:,} rows; the file is truncated")
                yield np.frombuffer(data, dtype=layout.dtype).reshape(rows, d)

    if layout.fortran:
        archive.close()
        raise DataError(f"{name}: array {member[:-4]!r} is compressed and in Fortran order; "
                        "save it with np.savez (uncompressed) or as C-ordered .npy")
    return layout, blocks()


def npz_ids(path: Path, member: str, name: str, n: int) -> np.ndarray:
    """A small ids array from the archive (never unpickled)."""
    with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
        try:
            ids = np.lib.format.read_array(stream, allow_pickle=False)
        except ValueError:
            raise DataError(f"{name}: array {member[:-4]!r} {_PICKLE}") from None
    if ids.ndim != 1 or len(ids) != n:
        raise DataError(f"{name}: the ids have shape {ids.shape} but there are {n:,} vectors; "
                        "expected one id per vector")
    return ids


# ------------------------------------------------------------------------------ Parquet

def parquet_plan(path: Path, name: str):
    """(ParquetFile, vector columns, dim, other columns): one list column or several float columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)   # plain reads: a mapping would count the file in RSS
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"{name}: not a readable Parquet file ({error})") from None
    schema = parquet.schema_arrow
    lists = [f for f in schema if (pa.types.is_list(f.type) or pa.types.is_large_list(f.type)
                                   or pa.types.is_fixed_size_list(f.type))
             and (pa.types.is_floating(f.type.value_type) or pa.types.is_integer(f.type.value_type))]
    if lists:
        column = lists[0]
        dim = column.type.list_size if pa.types.is_fixed_size_list(column.type) else None
        vector_columns = [column.name]
    else:
        vector_columns = [f.name for f in schema if pa.types.is_floating(f.type)]
        dim = len(vector_columns)
        if dim < 2:
            found = ", ".join(f"{f.name} ({f.type})" for f in schema)
            raise DataError(f"{name}: expected a list column of numbers (one vector per row) or at least two "
                            f"float columns, found {found}")
    others = [f.name for f in schema if f.name not in vector_columns]
    return parquet, vector_columns, dim, others


def parquet_blocks(parquet, vector_columns: list[str], name: str) -> Iterator[np.ndarray]:
    """Rows of vectors per row group (a list column is read as one flat buffer)."""
    import pyarrow as pa

    first_row = 0
    for group in range(parquet.num_row_groups):
        table = parquet.read_row_group(group, columns=vector_columns)
        if len(vector_columns) > 1:
            yield np.column_stack([table.column(c).to_numpy() for c in vector_columns])
        else:
            cells = table.column(0).combine_chunks()
            lengths = np.diff(np.asarray(cells.offsets)) if not pa.types.is_fixed_size_list(cells.type) \
                else np.full(len(cells), cells.type.list_size)
            if cells.null_count:
                row = first_row + int(np.flatnonzero(cells.is_null().to_numpy(zero_copy_only=False))[0])
                raise DataError(f"{name}, row {row + 1}: column {vector_columns[0]!r} is empty (null); "
                                "every row needs a vector")
            if len(lengths) and (lengths != lengths[0]).any():
                row = int(np.flatnonzero(lengths != lengths[0])[0])
                raise DataError(f"{name}, row {first_row + row + 1}: column {vector_columns[0]!r} has "
                                f"{lengths[row]} numbers but row {first_row + 1} has {lengths[0]}; "
                                "every vector needs the same length")
            values = cells.flatten().to_numpy(zero_copy_only=False)
            yield values.reshape(len(cells), -1) if len(cells) else values.reshape(0, 0)
        first_row += table.num_rows


# ------------------------------------------------------------------------------ text (Projector)

def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def text_plan(path: Path, name: str) -> tuple[str, bool, bool, int]:
    """(delimiter, header row?, leading label column?, number of vector columns) from the first lines."""
    with open(path, "rb") as stream:
        head = stream.read(1 << 16).decode("utf-8", errors="replace").splitlines()
    lines = [line for line in head[:-1] if line.strip()] or [line for line in head if line.strip()]
    if not lines:
        raise DataError(f"{name}: is empty; expected one vector per line")
    delimiter = "\t" if "\t" in lines[0] else ("," if "," in lines[0] else " ")
    fields = lines[0].split(delimiter)
    numeric = [_is_number(f) for f in fields]
    header = not any(numeric[1:]) and len(lines) > 1
    if header:
        fields = lines[1].split(delimiter)
        numeric = [_is_number(f) for f in fields]
    label = not numeric[0]
    if not all(numeric[1:]):
        bad = next(i for i, ok in enumerate(numeric) if not ok and i > 0)
        raise DataError(f"{name}, line {2 if header else 1}: column {bad + 1} is {fields[bad][:40]!r}; "
                        "expected numbers (only the first column may hold labels)")
    dim = len(fields) - int(label)
    if dim < 2:
        raise DataError(f"{name}: lines have {dim} number(s); need at least 2 per vector")
    return delimiter, header, label, dim


def count_lines(path: Path) -> int:
    """Lines in a text file (an upper bound for its rows; blank lines are skipped when parsing)."""
    count, last = 0, b"\n"
    with open(path, "rb") as stream:
        while block := stream.read(BLOCK_BYTES):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def text_blocks(path: Path, name: str, delimiter: str, header: bool, label: bool, dim: int):
    """Blocks of (vectors, labels or None) parsed by Arrow's streaming CSV reader (all cores)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = (["label"] if label else []) + [f"v{k}" for k in range(dim)]
    types = {f"v{k}": pa.float32() for k in range(dim)} | ({"label": pa.string()} if label else {})
    try:
        reader = pacsv.open_csv(
            path, read_options=pacsv.ReadOptions(column_names=names, skip_rows=int(header),
                                                 block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False),
            convert_options=pacsv.ConvertOptions(column_types=types))
        for batch in reader:
            vectors = np.column_stack([batch.column(f"v{k}").to_numpy(zero_copy_only=False) for k in range(dim)])
            yield vectors, batch.column("label") if label else None
    except pa.ArrowInvalid as error:
        message = str(error).split("\n")[0]
        raise DataError(f"{name}: {message}; expected {dim} numbers per line"
                        f"{' after a label' if label else ''}, separated by {delimiter!r}") from None
