"""Parquet tables read within a memory limit.

A Parquet file is compressed and encoded (run lengths, dictionaries): a few KB can hold
millions of rows, or one long string repeated a million times. `read_parquet` checks the
row count against the limit first, then reads batch by batch with text kept
dictionary-encoded, stopping as soon as the decoded data passes the limit.
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa

from embedviz.data.limits import check_memory
from embedviz.errors import DataError

__all__ = ["read_parquet"]

_PARQUET_BATCH_ROWS = 64 * 1024


def read_parquet(data: bytes, name: str, limit: int | None) -> pd.DataFrame:
    """Read Parquet batch by batch, stopping when the decoded data passes ``limit``.

    Text columns stay dictionary-encoded while reading (a value repeated a million times is
    stored once), so a small file of repeated long strings cannot expand past the limit.
    """
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        schema = parquet.schema_arrow
        text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        meta = parquet.metadata
        # Every cell costs pandas at least 8 bytes, whatever the file's encoding.
        check_memory(8 * meta.num_rows * max(1, meta.num_columns), limit, name,
                     f"its table of {meta.num_rows:,} rows x {meta.num_columns:,} columns")
        parquet = pq.ParquetFile(pa.BufferReader(data), read_dictionary=text)
        batches, total = [], 0
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS):
            total += batch.nbytes + _decoded_text_bytes(batch)
            check_memory(total, limit, name, f"its table ({meta.num_rows:,} rows, decompressed)")
            batches.append(batch)
        table = pa.Table.from_batches(batches) if batches else parquet.schema_arrow.empty_table()
        frame = table.to_pandas()
    except DataError:
        raise
    except (pa.ArrowException, OSError, ValueError, TypeError) as err:
        message = f"{name}: not a readable Parquet file (truncated or corrupt: {err})"
        raise DataError(message) from None
    for column in frame.columns:   # categories (dictionary text) back to plain values, sharing the objects
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), None)
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _decoded_text_bytes(batch: pa.RecordBatch) -> int:
    """What the batch's dictionary-encoded text would take written out in full (later steps do)."""
    import pyarrow.compute as pc

    total = 0
    for column in batch.columns:
        kind = column.type
        if pa.types.is_dictionary(kind) and (pa.types.is_string(kind.value_type) or pa.types.is_large_string(
                kind.value_type) or pa.types.is_binary(kind.value_type)):
            total += pc.sum(pc.take(pc.binary_length(column.dictionary), column.indices)).as_py() or 0
    return total
