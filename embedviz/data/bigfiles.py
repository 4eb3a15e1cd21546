"""Open big embedding files where they lie (no upload, no size cap), memory-mapped and float32.

    vectors = open_vectors("vectors.parquet", metadata="items.tsv")
    vectors.vectors      # (n, d) float32, read-only, memory-mapped
    vectors.search("harbor")

Formats: ``.npy``, ``.npz``, Parquet (one list column or float columns; the other columns are
metadata), the Embedding Projector's TSV pair (``vectors.tsv`` + ``metadata.tsv``, or a folder
holding them) and a folder of Spark factors (`embedviz.spark.factors.load_factors`).

Memory: a float32 C-ordered ``.npy`` (or uncompressed ``.npz`` member) is mapped as it is.
Anything else is converted once, a block at a time, into a float32 ``.npy`` in the cache folder
(``<cache>/vectors/``, keyed by path, size and modification time) and mapped from there, so the
vectors are file-backed pages: shared by every session of the server and by the layout worker
process, read again from the page cache on the next open (no second conversion), and never
copied to float64. Metadata is kept as Arrow-backed columns (1M titles: ~28 MB, not ~100 MB of
Python strings).
"""
from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from embedviz.data import bigformats as fmt
from embedviz.data.columns import normalise_name
from embedviz.data.embeddings import VectorRows
from embedviz.data.metadata_columns import ID_NAMES, TITLE_NAMES
from embedviz.errors import DataError
from embedviz.paths import cache_dir

__all__ = ["VECTOR_SUFFIXES", "MappedArray", "VectorSet", "mapped_reference", "open_vectors", "read_metadata"]

VECTOR_SUFFIXES = (".npy", ".npz", ".parquet", ".pq", ".tsv", ".txt", ".csv")
CATEGORY_MAX = 64             # a text column with at most this many values can colour the map


@dataclass(eq=False)
class VectorSet(VectorRows):
    """Vectors opened from a file on the server, with their metadata.

    Attributes
    ----------
    name : str
        Display name (the file's name).
    vectors : numpy.ndarray, shape (n, d), float32
        Read-only; memory-mapped from ``mapped_from`` when that is set.
    norms : numpy.ndarray, shape (n,), float32
        Row lengths (computed while checking every value is finite).
    table : pandas.DataFrame, shape (n, k)
        Row ``i`` describes ``vectors[i]``; always has ``title`` (str). Text columns are
        Arrow-backed.
    ids : numpy.ndarray, shape (n,)
        Ids from the file (an id column or ``.npz`` ids), else ``0 .. n-1``.
    mapped_from : pathlib.Path or None
        The ``.npy`` (or ``.npz``) file the vectors are mapped from: the source itself or its
        converted copy in the cache folder.
    seconds : float
        Time to open.
    """

    name: str
    vectors: np.ndarray
    norms: np.ndarray
    table: pd.DataFrame
    ids: np.ndarray
    mapped_from: Path | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    _categories: list[str] | None = field(default=None, repr=False)

    def titles(self, rows) -> list[str]:
        """Titles of the given rows (only those are turned into Python strings)."""
        return self.table["title"].take(np.asarray(rows, dtype=np.int64)).astype(str).tolist()

    def search(self, query: str, limit: int = 20) -> np.ndarray:
        """Rows whose title contains ``query`` (case-insensitive), prefix matches first; every row searched."""
        query = query.strip().lower()
        if not query:
            return np.array([], dtype=np.int64)
        titles = self.table["title"]
        hits = np.flatnonzero(titles.str.contains(query, case=False, regex=False).to_numpy(dtype=bool))
        starts = titles.take(hits).str.lower().str.startswith(query).to_numpy(dtype=bool)
        return hits[np.argsort(~starts, kind="stable")][:limit]

    def category_columns(self) -> list[str]:
        """Text columns with 2..CATEGORY_MAX distinct values (colour choices), most useful first.

        Computed once (counting distinct values of 1M rows takes a moment; every page run asks).
        """
        if self._categories is None:
            self._categories = self._find_categories()
        return list(self._categories)

    def _find_categories(self) -> list[str]:
        found = []
        for column in self.table.columns:
            if column == "title" or pd.api.types.is_float_dtype(self.table[column]):
                continue
            distinct = self.table[column].nunique(dropna=True)
            if 2 <= distinct <= CATEGORY_MAX:
                found.append((distinct, column))
        return [column for _, column in sorted(found, key=lambda pair: -pair[0])]

    def category_codes(self, column: str) -> tuple[np.ndarray, list[str]]:
        """(codes int16 (n,), names): most common value first; -1 where missing."""
        codes, names = pd.factorize(self.table[column], sort=False)
        counts = np.bincount(codes[codes >= 0], minlength=len(names))
        order = np.argsort(-counts, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        ranked = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1).astype(np.int16)
        return ranked, [str(names[i]) for i in order]


@dataclass(frozen=True)
class MappedArray:
    """Where a memory-mapped array lies, small enough to send to another process (which maps the
    same file: its pages are shared through the page cache instead of copied through a pipe)."""

    path: str
    offset: int
    shape: tuple[int, ...]
    dtype: str

    def open(self) -> np.ndarray:
        """The array, mapped read-only."""
        return np.memmap(self.path, dtype=np.dtype(self.dtype), mode="r", offset=self.offset, shape=self.shape)


def mapped_reference(array: np.ndarray) -> MappedArray | None:
    """A `MappedArray` for a whole memory-mapped file array (not a slice of one), else None."""
    import mmap

    if isinstance(array, np.memmap) and isinstance(array.base, mmap.mmap) and array.filename \
            and array.flags.c_contiguous:
        return MappedArray(str(array.filename), int(array.offset), tuple(array.shape), array.dtype.str)
    return None


def open_vectors(path, *, metadata=None, name: str | None = None, cache: bool = True) -> VectorSet:
    """Open a vector file (or folder) on the server without reading it all into memory.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.npy``, ``.npz``, ``.parquet``, ``.tsv`` / ``.txt`` / ``.csv`` of numbers (Projector
        ``vectors.tsv``), a folder with ``vectors.tsv`` (+ ``metadata.tsv``), or a Spark factors folder.
    metadata : str or pathlib.Path, optional
        One row per vector in the same order (Projector ``metadata.tsv`` rules: one column means
        no header row). Overrides metadata found in the vectors file.
    name : str, optional
        Display name; the file's name by default.
    cache : bool
        Convert non-mappable formats into the cache folder (else into memory).

    Returns
    -------
    VectorSet

    Raises
    ------
    DataError
        A missing or unreadable file, an unknown format, pickled arrays, wrong shapes,
        NaN / infinite values (with the row), a metadata row count that differs.
    """
    started = time.perf_counter()
    path = Path(path)
    name = name or path.name
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir() and _is_spark_output(path):
        return _open_spark(path, metadata, name, cache, started)
    if path.is_dir():
        path, metadata = _folder_contents(path, metadata, name)
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        raise DataError(f"{name}: unknown vector format {suffix or '(no extension)'!r}; expected one of "
                        f"{', '.join(VECTOR_SUFFIXES)} or a folder of Spark factors")
    target = _cache_target(path) if cache else None
    vectors, ids, table, mapped_from, notes, norms = _open(path, suffix, name, target)
    if norms is None:
        norms = _stored_norms(mapped_from, len(vectors))
    if norms is None:
        norms = checked_norms(vectors, name)
    if metadata is not None:
        table = read_metadata(metadata, len(vectors), vector_name=name)
    table, ids = _with_ids_and_titles(table, ids, len(vectors))
    return VectorSet(name, vectors, norms, table, ids, mapped_from, time.perf_counter() - started, notes)


def _folder_contents(folder: Path, metadata, name: str):
    tsv = folder / "vectors.tsv"
    if tsv.exists():
        meta = folder / "metadata.tsv"
        return tsv, metadata if metadata is not None else (meta if meta.exists() else None)
    raise DataError(f"{name}: a folder with neither vectors.tsv (Embedding Projector) nor the output of "
                    "`python -m embedviz train --engine spark`")


def _is_spark_output(folder: Path) -> bool:
    from embedviz.spark.factors import INFO_FILE

    return (folder / INFO_FILE).is_file()


def _open_spark(folder: Path, metadata, name: str, cache: bool, started: float) -> VectorSet:
    """The item factors of a Spark output folder (read by `embedviz.spark.factors.load_factors`),
    with the item metadata saved beside them (``items.*``) or given."""
    from embedviz.spark.factors import ITEM_FACTORS, load_factors

    model = load_factors(folder, interactions=False)
    factors = model.item_factors_
    target = _cache_target(folder / ITEM_FACTORS) if cache else None
    if target is not None and target.exists():
        vectors = np.load(target, mmap_mode="r", allow_pickle=False)
        norms = _stored_norms(target, len(vectors))
    else:
        vectors, norms = _fill(fmt.array_blocks(factors), factors.shape, target, name)
    if norms is None:
        norms = checked_norms(vectors, name)
    ids = np.asarray(model.item_ids_)
    saved = sorted(folder.glob("items.*"))
    if metadata is not None:
        table = read_metadata(metadata, len(ids), vector_name=name)
    else:
        table = _aligned_items(saved[0], ids) if saved else None
    table, ids = _with_ids_and_titles(table, ids, len(ids))
    notes = [f"item factors of a Spark ALS model (rank {model.factors})"]
    return VectorSet(name, vectors, norms, table, ids, _mapped(vectors, target), time.perf_counter() - started,
                     notes)


def _aligned_items(path: Path, ids: np.ndarray) -> pd.DataFrame:
    """The training run's item metadata in factor order (genres joined into one text column)."""
    from embedviz.data.metadata import align_metadata, load_item_metadata

    items = align_metadata(load_item_metadata(path), ids).reset_index(drop=True)
    if "genres" in items:
        items["genres"] = ["|".join(g) if isinstance(g, list) else "" for g in items["genres"]]
    return items


def _cache_target(path: Path) -> Path:
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:20]
    return cache_dir() / "vectors" / f"{path.stem[:40]}-{key}.npy"


class _Opened(NamedTuple):
    vectors: np.ndarray
    ids: np.ndarray | None
    table: pd.DataFrame | None
    mapped_from: Path | None
    notes: list[str]
    norms: np.ndarray | None = None


def _open(path: Path, suffix: str, name: str, target: Path | None) -> _Opened:
    """The vectors of one file, with ids / metadata stored in it."""
    if target is not None and target.exists():
        vectors = np.load(target, mmap_mode="r", allow_pickle=False)
        ids, table = _side_data(path, suffix, name, len(vectors))
        return _Opened(vectors, ids, table, target, [f"read the converted copy {target.name} (no conversion)"])
    if suffix == ".npy":
        layout = fmt.npy_layout(path, name)
        _check_shape(layout.shape, name)
        if layout.mappable:
            return _Opened(fmt.map_npy(path, layout), None, None, path, ["mapped the file as it is"])
        n, d = layout.shape
        vectors, norms = _fill(fmt.array_blocks(fmt.map_npy(path, layout)), (n, d), target, name)
        return _Opened(vectors, None, None, _mapped(vectors, target), [f"converted {layout.dtype} to float32 once"],
                       norms)
    if suffix == ".npz":
        return _open_npz(path, name, target)
    if suffix in (".parquet", ".pq"):
        return _open_parquet(path, name, target)
    return _open_text(path, name, target)


def _side_data(path: Path, suffix: str, name: str, n: int):
    """Ids / metadata stored next to the vectors in the same file (for a cached conversion)."""
    if suffix == ".npz":
        _, ids_member = fmt.npz_members(path, name)
        return (None if ids_member is None else fmt.npz_ids(path, ids_member, name, n)), None
    if suffix in (".parquet", ".pq"):
        parquet, _, _, others = fmt.parquet_plan(path, name)
        return None, _parquet_metadata(parquet, others)
    if suffix in (".tsv", ".txt", ".csv"):
        delimiter, header, label, _ = fmt.text_plan(path, name)
        if label:
            return _text_labels(path, delimiter, header), None
    return None, None


def _check_shape(shape: tuple, name: str) -> None:
    if len(shape) != 2:
        raise DataError(f"{name}: expected a 2-D array of shape (n_items, n_dims), found shape {shape}")
    if shape[0] < 2 or shape[1] < 2:
        raise DataError(f"{name}: found shape {shape}; need at least 2 vectors of at least 2 numbers")


def _fill(blocks, shape: tuple[int, int], target: Path | None, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, norms) from blocks of rows, through a `bigformats.Sink` (checked as they come)."""
    sink = fmt.Sink(shape, target, name)
    try:
        for block in blocks:
            sink.write(block)
        vectors, norms = sink.finish()
    except BaseException:
        sink.abort()
        raise
    if getattr(vectors, "filename", None) and target is not None:
        with contextlib.suppress(OSError):     # a later open skips the pass over the vectors
            np.save(_norms_path(target), norms)
    return vectors, norms


def _open_npz(path: Path, name: str, target):
    member, ids_member = fmt.npz_members(path, name)
    stored = fmt.npz_stored_layout(path, member, name)
    if stored is not None:
        _check_shape(stored.shape, name)
    norms = None
    if stored is not None and stored.mappable:
        vectors, notes = fmt.map_npy(path, stored), ["mapped the archive member as it is"]
        mapped: Path | None = path
    else:
        layout, blocks = fmt.npz_blocks(path, member, name)
        _check_shape(layout.shape, name)
        n, d = layout.shape
        vectors, norms = _fill(blocks, (n, d), target, name)
        mapped, notes = _mapped(vectors, target), ["decompressed / converted once to float32"]
    ids = None if ids_member is None else fmt.npz_ids(path, ids_member, name, len(vectors))
    return _Opened(vectors, ids, None, mapped, notes, norms)


def _open_parquet(path: Path, name: str, target):
    parquet, columns, dim, others = fmt.parquet_plan(path, name)
    n = parquet.metadata.num_rows
    if dim is None:     # variable-length list column: the first row tells
        first = next(fmt.parquet_blocks(parquet, columns, name), np.zeros((0, 0)))
        dim = first.shape[1]
    _check_shape((n, dim), name)
    vectors, norms = _fill(fmt.parquet_blocks(parquet, columns, name), (n, dim), target, name)
    return _Opened(vectors, None, _parquet_metadata(parquet, others), _mapped(vectors, target),
                   ["converted Parquet to float32 once"], norms)


def _parquet_metadata(parquet, columns: list[str]) -> pd.DataFrame | None:
    if not columns:
        return None
    return parquet.read(columns=columns).to_pandas(split_blocks=True, self_destruct=True)


def _open_text(path: Path, name: str, target):
    delimiter, header, label, dim = fmt.text_plan(path, name)
    upper = fmt.count_lines(path) - int(header)
    labels: list = []

    def blocks():
        for vectors, batch_labels in fmt.text_blocks(path, name, delimiter, header, label, dim):
            if batch_labels is not None:
                labels.append(batch_labels)
            yield vectors

    vectors, norms = _fill(blocks(), (max(upper, 2), dim), target, name)
    ids = _arrow_strings(labels) if label else None
    return _Opened(vectors, ids, None, _mapped(vectors, target), ["parsed the text once into float32"], norms)


def _mapped(vectors: np.ndarray, target: Path | None) -> Path | None:
    return target if getattr(vectors, "filename", None) else None


def _text_labels(path: Path, delimiter: str, header: bool) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(autogenerate_column_names=True,
                                                                skip_rows=int(header)),
                           parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False),
                           convert_options=pacsv.ConvertOptions(include_columns=["f0"],
                                                                column_types={"f0": pa.string()}))
    return _arrow_strings([table.column("f0")])


def _arrow_strings(chunks: list) -> np.ndarray:
    import pyarrow as pa

    return pa.chunked_array([c for chunk in chunks for c in getattr(chunk, "chunks", [chunk])],
                            type=pa.string()).to_numpy(zero_copy_only=False)


def _norms_path(mapped_from: Path) -> Path:
    return mapped_from.with_name(mapped_from.stem + ".norms.npy")


def _stored_norms(mapped_from: Path | None, n: int) -> np.ndarray | None:
    """Norms saved with a converted copy in the cache folder (never for the user's own file)."""
    if mapped_from is None or mapped_from.parent != cache_dir() / "vectors":
        return None
    try:
        norms = np.load(_norms_path(mapped_from), allow_pickle=False)
    except (OSError, ValueError):
        return None
    return norms if norms.shape == (n,) and norms.dtype == np.float32 else None


def checked_norms(vectors: np.ndarray, name: str) -> np.ndarray:
    """Row lengths (float32), a block at a time; a NaN / infinite value raises with its row."""
    norms = np.empty(len(vectors), dtype=np.float32)
    step = fmt.rows_per_block(vectors.shape[1])
    for start in range(0, len(vectors), step):
        norms[start:start + step] = fmt.block_norms(np.asarray(vectors[start:start + step]), start, name)
    return norms


# ------------------------------------------------------------------------------ metadata

def read_metadata(path, n: int, *, vector_name: str = "the vectors") -> pd.DataFrame:
    """A Projector-style metadata file (``.tsv`` / ``.csv`` / ``.parquet``) with exactly ``n`` rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such metadata file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            table = pq.read_table(path, memory_map=True)
        else:
            delimiter = "," if path.suffix.lower() == ".csv" else "\t"
            with open(path, "rb") as stream:
                first = stream.readline().decode("utf-8", errors="replace")
            several = delimiter in first
            table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(
                autogenerate_column_names=not several, block_size=fmt.BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"' if delimiter == "," else False),
                convert_options=pacsv.ConvertOptions(strings_can_be_null=False))
            if not several:
                table = table.rename_columns(["title"])
    except (pa.ArrowException, UnicodeDecodeError) as error:
        raise DataError(f"{path.name}: not a readable metadata table ({str(error).splitlines()[0]})") from None
    if table.num_rows != n:
        hint = (" One row too many: with a single column the Projector format has no header row."
                if table.num_rows == n + 1 else "")
        raise DataError(f"{path.name} has {table.num_rows:,} rows but {vector_name} has {n:,} vectors; the "
                        f"metadata needs exactly one row per vector, in the same order.{hint}")
    return table.to_pandas(split_blocks=True, self_destruct=True)


def _with_ids_and_titles(table: pd.DataFrame | None, ids, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The metadata with a ``title`` column; ids from ``ids``, an id column, or 0..n-1."""
    table = pd.DataFrame(index=pd.RangeIndex(n)) if table is None else table.reset_index(drop=True)
    names = {normalise_name(str(c)): c for c in table.columns}
    id_column = next((names[k] for k in ID_NAMES if k in names), None)
    if ids is None:
        ids = table[id_column].to_numpy() if id_column is not None else np.arange(n, dtype=np.int64)
    if "title" not in table.columns:
        title = next((names[k] for k in TITLE_NAMES if k in names), None)
        if title is None:
            text = [c for c in table.columns if c != id_column and pd.api.types.is_string_dtype(table[c])]
            title = text[0] if text else None
        table["title"] = table[title].astype("str") if title is not None else pd.Series(ids).astype("str")
    return table, np.asarray(ids)
