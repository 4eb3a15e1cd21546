"""Load embeddings trained elsewhere (vectors + optional metadata) into an `EmbeddingSet`.

Formats: ``.npy`` (never unpickled), ``.npz`` (one 2-D array, or ``vectors`` /
``ids`` keys), delimited text of numbers (TensorFlow Embedding Projector's
``vectors.tsv``: no header, tab-separated; an optional leading label column),
and Parquet (number columns, or one list column; a text column gives ids).
Metadata follows the Projector's ``metadata.tsv`` rule: one column means no
header, several columns mean the first row holds their names.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from embedviz.data.columns import normalise_name
from embedviz.data.limits import memory_limit, parse_slot
from embedviz.data.metadata import ID_NAMES, item_table
from embedviz.data.npyfiles import read_npy, read_npz
from embedviz.data.readers import TableInfo, parse_table
from embedviz.data.sources import (
    DEFAULT_MAX_BYTES,
    gunzip_if_needed,
    read_bytes,
    sniff_format,
    source_name,
    unreadable_message,
    zip_contents,
)
from embedviz.data.values import parsed_numbers, plural_rows
from embedviz.errors import DataError

__all__ = ["EmbeddingSet", "load_embeddings"]

_VECTOR_KEYS = ("vectors", "embeddings", "embedding", "factors")
_ID_KEYS = ("ids", "labels", "names", "words")
_SAVE_HINT = "save a numeric array, e.g. np.save(path, vectors.astype('float32'))"


class VectorRows:
    """``n`` (rows) and ``dim`` (dimensions) of a record holding ``vectors``, shape (n, dim)."""

    vectors: np.ndarray

    @property
    def n(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


@dataclass(frozen=True, eq=False)
class EmbeddingSet(VectorRows):
    """Vectors with their ids and metadata.

    Attributes
    ----------
    vectors : numpy.ndarray, shape (n, d), float32
        One row per embedded thing; all finite.
    ids : numpy.ndarray, shape (n,)
        Ids / labels from the file, else ``0 .. n-1``.
    metadata : pandas.DataFrame, shape (n, n_columns)
        Row ``k`` describes ``vectors[k]``; index = ``ids``; always has ``title``
        (str) and ``genres`` (list of str).
    source : str
        Display name of the vectors file.
    """

    vectors: np.ndarray
    ids: np.ndarray
    metadata: pd.DataFrame
    source: str


def load_embeddings(source, *, name: str | None = None, metadata=None,
                    max_bytes: int | None = DEFAULT_MAX_BYTES) -> EmbeddingSet:
    """Read an embedding matrix (and optional metadata) from files.

    Parameters
    ----------
    source : str, pathlib.Path, bytes or file-like
        ``.npy``, ``.npz``, CSV / TSV of numbers (gzip allowed) or Parquet.
    name : str, optional
        Display name for messages; defaults to the file's name.
    metadata : path, bytes, file-like or pandas.DataFrame, optional
        One row per vector, in the same order (Projector ``metadata.tsv`` rules).
    max_bytes : int or None
        Size limit for each file (default 200 MB, like ``server.maxUploadSize``); what a file
        may expand to in memory is `embedviz.data.limits.memory_limit`. None: no limits.

    Returns
    -------
    EmbeddingSet
        ``vectors`` float32 of shape (n, d) with n >= 2 and d >= 2.

    Raises
    ------
    DataError
        Unreadable or pickled files, wrong shapes, non-numeric / NaN / infinite
        values (with the row), ragged rows, a metadata row count that differs, a file
        that would expand past the memory limit.
    """
    name = source_name(source, name)
    limit = memory_limit(max_bytes)
    with parse_slot(name):
        data = read_bytes(source, name=name, max_bytes=max_bytes)
        n_bytes = len(data)
        data, compression = gunzip_if_needed(data, name=name, limit=limit)
        fmt = sniff_format(data)
        if fmt == "zip" and zip_contents(data, name) == "npz":
            fmt = "npz"
        if fmt == "npy":
            vectors, ids, where = read_npy(data, name, limit), None, (lambda row: f"row {row + 1}")
        elif fmt == "npz":
            vectors, ids, where = *_from_npz(data, name, limit), (lambda row: f"row {row + 1}")
        elif fmt in ("text", "parquet"):
            frame = parse_table(data, name=name, n_bytes=n_bytes, compression=compression, limit=limit)
            vectors, ids = _from_frame(frame, name)
            where = frame.attrs["table_info"].location
        else:
            message = unreadable_message(fmt, data, name)
            raise DataError(message.replace("not a table", "not embeddings"))
        del data
        vectors = validated_vectors(vectors, name, where)
        ids = np.arange(len(vectors)) if ids is None else _checked_ids(ids, len(vectors), name)
        table = _metadata_table(metadata, ids, name=name, max_bytes=max_bytes)
    return EmbeddingSet(vectors, ids, table, name)


# --------------------------------------------------------------------------- numpy files
def _from_npz(data: bytes, name: str, limit: int | None) -> tuple[np.ndarray, np.ndarray | None]:
    arrays = read_npz(data, name, limit)
    vector_key = next((k for k in _VECTOR_KEYS if k in arrays), None)
    vector_key = vector_key or _single_2d_key(arrays, name)
    ids_key = next((k for k in _ID_KEYS if k in arrays), None)
    return arrays[vector_key], None if ids_key is None else arrays[ids_key]


def _single_2d_key(arrays: dict, name: str) -> str:
    two_d = [k for k, a in arrays.items() if a.ndim == 2]
    if len(two_d) != 1:
        found = ", ".join(f"{k!r} {a.shape}" for k, a in arrays.items()) or "none"
        raise DataError(f"{name}: expected one 2-D array (or a key named 'vectors'), found "
                        f"arrays {found}")
    return two_d[0]


# --------------------------------------------------------------------------- tables
def _from_frame(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Vectors from number columns (or one list column); ids from a leading text / id column."""
    info: TableInfo = frame.attrs["table_info"]
    if frame.shape[0] == 0:
        raise DataError(f"{name}: has a header row but no vectors")
    list_columns = [c for c in frame.columns if _is_list_column(frame[c])]
    id_col = _id_column(frame, info, exclude=list_columns)
    ids = None if id_col is None else frame[id_col].to_numpy()
    rest = frame.drop(columns=[id_col]) if id_col is not None else frame
    if list_columns:
        return _stack_lists(frame[list_columns[0]], list_columns[0], name, info), ids
    numbers = {c: _numbers(rest[c], c, name, info) for c in rest.columns}
    return pd.DataFrame(numbers).to_numpy(dtype=np.float64, na_value=np.nan), ids


def _id_column(frame: pd.DataFrame, info: TableInfo, exclude: list) -> str | None:
    first = frame.columns[0]
    if first in exclude or frame.shape[1] < 2:
        return None
    if not pd.api.types.is_numeric_dtype(frame[first]):
        return first
    id_like = normalise_name(first) in (*ID_NAMES, "word", "label", "key", "name")
    named_like_id = info.had_header and id_like
    return first if named_like_id and pd.api.types.is_integer_dtype(frame[first]) else None


def _is_list_column(series: pd.Series) -> bool:
    first = series.dropna().head(1)
    return (series.dtype == object and not first.empty
            and isinstance(first.iloc[0], (list, tuple, np.ndarray)))


def _stack_lists(series: pd.Series, column: str, name: str, info: TableInfo) -> np.ndarray:
    cells = [np.asarray(v if v is not None else [], dtype=object) for v in series.to_numpy()]
    lengths = np.array([c.size for c in cells])
    ragged = np.flatnonzero(lengths != lengths[0])
    if ragged.size:
        raise DataError(f"{name}, {info.location(ragged[0])}: column {column!r} has "
                        f"{lengths[ragged[0]]} numbers but {info.location(0)} has {lengths[0]}; "
                        "every vector needs the same length")
    try:
        return np.stack(cells).astype(np.float64) if cells else np.empty((0, 0))
    except (TypeError, ValueError):
        message = f"{name}: column {column!r} holds lists with non-numbers; expected numbers"
        raise DataError(message) from None


def _numbers(series: pd.Series, column: str, name: str, info: TableInfo) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series
    return parsed_numbers(series, column, name=name, where=info.location,
                          hint="; only the first column may hold ids or labels")


# --------------------------------------------------------------------------- validation
def validated_vectors(array, name: str, where=lambda row: f"row {row + 1}") -> np.ndarray:
    """A finite float32 matrix of shape (n >= 2, d >= 2), or a DataError saying what is wrong."""
    array = np.asarray(array)
    if array.dtype.names is not None or array.dtype.kind not in "biuf":
        raise DataError(f"{name}: expected numbers, found an array of dtype {array.dtype}; "
                        f"{_SAVE_HINT}")
    if array.ndim != 2:
        what = (f"a 1-D array of {array.size:,} numbers" if array.ndim == 1
                else f"an array of shape {array.shape}")
        raise DataError(f"{name}: expected a 2-D array of shape (n_items, n_dims) - one row per "
                        f"item - found {what}")
    n, d = array.shape
    if n < 2:
        raise DataError(f"{name}: found {n} vector(s); need at least 2 to compare or project")
    if d < 2:
        raise DataError(f"{name}: vectors have {d} dimension(s); need at least 2 (one number per "
                        "dimension, one row per item)")
    with np.errstate(over="ignore"):  # too-large values become inf and are reported just below
        vectors = array.astype(np.float32)
    bad_rows = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
    if bad_rows.size:
        row = bad_rows[0]
        col = int(np.flatnonzero(~np.isfinite(vectors[row]))[0])
        value = array[row, col]
        what = "a missing or NaN value" if np.isnan(value) else (
            f"{value} (infinite)" if np.isinf(value) else f"{value} (too large for float32)")
        raise DataError(f"{name}, {where(row)}: dimension {col + 1} is {what}; expected finite "
                        f"numbers ({plural_rows(bad_rows.size)} like this)")
    return vectors


def _checked_ids(ids, n: int, name: str) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) != n:
        raise DataError(f"{name}: the ids have shape {ids.shape} but there are {n:,} vectors; "
                        "expected one id per vector")
    return ids.astype(object) if ids.dtype.kind in "OUS" else ids


# --------------------------------------------------------------------------- metadata
def _metadata_table(metadata, ids: np.ndarray, *, name: str, max_bytes: int | None) -> pd.DataFrame:
    if metadata is None:
        return item_table(pd.DataFrame(index=range(len(ids))), ids)
    if isinstance(metadata, pd.DataFrame):
        frame, meta_name, delimiter = metadata.reset_index(drop=True), "metadata", None
    else:
        frame, meta_name = _read_projector_metadata(metadata, max_bytes)
        delimiter = frame.attrs["table_info"].delimiter
    if len(frame) != len(ids):
        raise DataError(_count_mismatch(meta_name, len(frame), name, len(ids)))
    if frame.shape[1] == 1:
        frame = frame.set_axis(["label"], axis=1).assign(title=frame.iloc[:, 0].astype(str))
    return item_table(frame, ids, delimiter=delimiter)


def _read_projector_metadata(metadata, max_bytes: int | None) -> tuple[pd.DataFrame, str]:
    meta_name = source_name(metadata)
    limit = memory_limit(max_bytes)
    data = read_bytes(metadata, name=meta_name, max_bytes=max_bytes)
    data, _ = gunzip_if_needed(data, name=meta_name, limit=limit)
    frame = parse_table(data, name=meta_name, header=False, limit=limit)
    if frame.shape[1] > 1 and frame.attrs["table_info"].format == "csv":
        # Projector rule: several columns -> the first row holds their names.
        frame = parse_table(data, name=meta_name, header=True, limit=limit)
    return frame, meta_name


def _count_mismatch(meta_name: str, n_meta: int, name: str, n: int) -> str:
    hint = (" One row too many: with a single column the Projector format has no header row."
            if n_meta == n + 1 else "")
    return (f"{meta_name} has {n_meta:,} rows but {name} has {n:,} vectors; the metadata needs "
            f"exactly one row per vector, in the same order.{hint}")
