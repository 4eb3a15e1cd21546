"""The job's DataFrame steps: read CSV or Parquet, pick the columns, check the values, combine
duplicates and number the ids, all on Spark (only samples and per-partition counts reach the
driver). Needs pyspark; imported by `embedviz.spark.job`.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pyspark import StorageLevel
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from embedviz.data.columns import guess_columns
from embedviz.data.interactions import detect_kind
from embedviz.data.readers import column_names, detect_header, sample_rows, sniff_delimiter
from embedviz.errors import DataError
from embedviz.spark.command import HEAD_BYTES, sniff_head

SAMPLE_ROWS = 200
_MAX_ID = 2**31 - 1  # ALS takes int ids


@dataclass
class Prepared:
    """Interactions ready for ALS and what was learned on the way."""

    ratings: DataFrame  # user_index int, item_index int, value float; persisted
    users: DataFrame  # id, index
    items: DataFrame  # id, index
    columns: dict
    kind: str
    rows: int
    counts: dict


# --------------------------------------------------------------------------- reading


def jvm(spark: SparkSession) -> Any:
    """The driver JVM's gateway view (for Hadoop's FileSystem API)."""
    return spark.sparkContext._jvm


def hadoop_path(spark: SparkSession, location: str):
    path = jvm(spark).org.apache.hadoop.fs.Path(location)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def one_row(frame: DataFrame) -> Row:
    """The single row of an aggregate (or the first row of a non-empty frame)."""
    row = frame.first()
    if row is None:  # pragma: no cover - aggregates always return a row
        raise RuntimeError("Spark returned no row for an aggregate")
    return row


def first_data_file(spark: SparkSession, location: str):
    """(name, first bytes) of the first data file at ``location`` (a file, folder or glob)."""
    fs, path = hadoop_path(spark, location)
    matches = fs.globStatus(path)
    if matches is None or len(matches) == 0:
        raise DataError(f"{location}: no such file or folder")
    for status in matches:
        statuses = fs.listStatus(status.getPath()) if status.isDirectory() else [status]
        for entry in sorted(statuses, key=lambda s: s.getPath().getName()):
            name = entry.getPath().getName()
            if entry.isFile() and not name.startswith(("_", ".")) and entry.getLen() > 0:
                stream = fs.open(entry.getPath())
                try:
                    return name, bytes(stream.readNBytes(HEAD_BYTES))
                finally:
                    stream.close()
    raise DataError(f"{location}: holds no non-empty data file")


def read_table(spark: SparkSession, location: str) -> tuple[DataFrame, str]:
    """The raw table at ``location`` and its format ("parquet" or "csv")."""
    name, head = first_data_file(spark, location)
    if sniff_head(name, head, location) == "parquet":
        return spark.read.parquet(location), "parquet"
    return _read_csv(spark, location), "csv"


def _read_csv(spark: SparkSession, location: str) -> DataFrame:
    lines = [row.value for row in spark.read.text(location).limit(SAMPLE_ROWS).collect()]
    sample = "\n".join(lines).lstrip("\ufeff")
    if not sample.strip():
        raise DataError(f"{location}: the file is empty; expected one interaction per line")
    delimiter = sniff_delimiter(sample)
    if delimiter is None:
        raise DataError(f"{location}: found only 1 column (first line {lines[0][:60]!r}); interactions "
                        "need at least 2 columns (user and item) separated by , ; tab | or ::")
    rows = sample_rows(sample, delimiter, complete=True)
    header = detect_header(rows)
    width = Counter(len(row) for row in rows).most_common(1)[0][0]
    frame = spark.read.csv(location, sep=delimiter, header=header, inferSchema=True, quote='"',
                           escape='"', mode="PERMISSIVE")
    names = column_names(rows[0] if header else None, width)
    if len(frame.columns) == len(names):
        frame = frame.toDF(*names)
    return frame


def choose_columns(frame: DataFrame, name: str) -> dict:
    """Which column holds users, items, values and times: `embedviz.guess_columns` on a sample."""
    rows = frame.limit(SAMPLE_ROWS).collect()
    sample = pd.DataFrame.from_records([tuple(row) for row in rows], columns=frame.columns)
    sample = sample.infer_objects()
    if sample.empty:
        raise DataError(f"{name}: has no data rows (columns: {', '.join(frame.columns)})")
    return guess_columns(sample, name=name)


# --------------------------------------------------------------------------- checking


def _standard(frame: DataFrame, columns: dict) -> DataFrame:
    """user, item, value (double; 1 without a value column), raw_value, row (file order)[, time]."""
    picked = [F.col(f"`{columns['user']}`").alias("user"), F.col(f"`{columns['item']}`").alias("item"),
              F.monotonically_increasing_id().alias("row")]
    if columns["value"] is None:
        picked += [F.lit(1.0).alias("value"), F.lit(1.0).alias("raw_value")]
    else:
        raw = F.col(f"`{columns['value']}`")
        picked += [raw.cast("double").alias("value"), raw.alias("raw_value")]
    if columns["time"] is not None:
        picked.append(F.col(f"`{columns['time']}`").alias("time"))
    return frame.select(*picked)


def _problems(clean: DataFrame) -> list:
    """(count, condition, what) for each kind of bad row."""
    value = F.col("value")
    return [
        ("no user id", F.col("user").isNull()),
        ("no item id", F.col("item").isNull()),
        ("a value that is not a number", value.isNull() & F.col("raw_value").isNotNull()),
        ("no value", F.col("raw_value").isNull()),
        ("a NaN or infinite value", F.isnan(value) | (F.abs(value) == float("inf"))),
        ("a negative value", value < 0),
    ]


def check_values(clean: DataFrame, columns: dict, name: str) -> tuple[int, int]:
    """Raise DataError for unusable rows or no positive value; return (rows, ~distinct values)."""
    problems = _problems(clean)
    aggregates = [F.count(F.lit(1)).alias("rows"), F.approx_count_distinct("value").alias("distinct"),
                  F.sum((F.col("value") > 0).cast("long")).alias("positive")]
    aggregates += [F.sum(condition.cast("long")).alias(f"p{i}") for i, (_, condition) in enumerate(problems)]
    stats = one_row(clean.agg(*aggregates))
    if stats["rows"] == 0:
        raise DataError(f"{name}: has no data rows")
    for i, (what, condition) in enumerate(problems):
        count = stats[f"p{i}"] or 0
        if count:
            example = one_row(clean.filter(condition))
            shown = {"user": example["user"], "item": example["item"], "value": example["raw_value"]}
            hint = (" WALS and the translated ALS need values >= 0." if what == "a negative value" else "")
            raise DataError(f"{name}: {count:,} of {stats['rows']:,} rows have {what} (columns "
                            f"{_described(columns)}; e.g. {shown}).{hint}")
    if not stats["positive"]:
        _no_positive(name, stats["rows"], columns)
    return int(stats["rows"]), int(stats["distinct"])


def _no_positive(name: str, n: int, columns: dict):
    raise DataError(f"{name}: none of the {n:,} interactions has a positive value (column "
                    f"{columns['value']!r}); implicit ALS learns from positive values only")


def _described(columns: dict) -> str:
    return ", ".join(f"{role} {column!r}" for role, column in columns.items() if column is not None)


def feedback_kind(clean: DataFrame, distinct_estimate: int) -> str:
    """"explicit" or "implicit" by `embedviz.interactions.detect_kind` on the distinct values."""
    if distinct_estimate > 16:
        return "implicit"
    values = [row["value"] for row in clean.select("value").distinct().limit(64).collect()]
    return detect_kind(np.array(values, dtype=np.float64))


# --------------------------------------------------------------------------- ids


def number_ids(frame: DataFrame, column: str) -> tuple[DataFrame, int]:
    """(DataFrame of ``id``, ``index`` = 0..n-1 in sorted id order, n), without collecting the ids.

    Sorting range-partitions the ids; each row's index is its partition's offset (from the
    per-partition counts, one small row per partition) plus its position in the partition.
    """
    spark = frame.sparkSession
    ordered = frame.select(F.col(column).alias("id")).distinct().orderBy("id")
    ordered = ordered.select("id", F.spark_partition_id().alias("part"),
                             F.monotonically_increasing_id().alias("row")).persist(StorageLevel.MEMORY_AND_DISK)
    parts = ordered.groupBy("part").agg(F.count(F.lit(1)).alias("n"), F.min("row").alias("first")).collect()
    bases, offset = [], 0
    for part in sorted(parts, key=lambda p: p["part"]):
        bases.append((part["part"], offset - part["first"]))
        offset += part["n"]
    if offset > _MAX_ID:
        raise DataError(f"{offset:,} distinct {column} ids; Spark's ALS takes at most {_MAX_ID:,}")
    base = spark.createDataFrame(bases, "part int, base long")
    numbered = ordered.join(F.broadcast(base), "part").select(
        "id", (F.col("row") + F.col("base")).cast("int").alias("index"))
    return numbered, offset


def combine_duplicates(clean: DataFrame, kind: str, has_time: bool) -> DataFrame:
    """One value per (user, item), as `embedviz.load_interactions` combines them: counts add up;
    of repeated ratings the latest wins (by time, then by row order within a file)."""
    if kind == "implicit":
        value = F.sum("value")
    else:
        value = F.max_by("value", F.struct("time", "row") if has_time else F.col("row"))
    return clean.groupBy("user", "item").agg(value.alias("value"))


def prepare(frame: DataFrame, name: str, log=lambda line: None) -> Prepared:
    """Checked, de-duplicated interactions with numbered ids, ready for ALS; ``log`` gets progress."""
    started = time.perf_counter()
    columns = choose_columns(frame, name)
    clean = _standard(frame, columns).persist(StorageLevel.MEMORY_AND_DISK)
    rows, distinct = check_values(clean, columns, name)
    kind = feedback_kind(clean, distinct)
    log(f"  read and checked {rows:,} rows ({kind} feedback) in {time.perf_counter() - started:.1f} s")
    combined = combine_duplicates(clean, kind, columns["time"] is not None).persist(StorageLevel.MEMORY_AND_DISK)
    users, n_users = number_ids(combined, "user")
    items, n_items = number_ids(combined, "item")
    ratings = _rated(combined, users, items).persist(StorageLevel.MEMORY_AND_DISK)
    stats = one_row(ratings.agg(
        F.count(F.lit(1)).alias("n"), F.sum((F.col("value") > 0).cast("long")).alias("positive"),
        F.avg(F.when(F.col("value") > 0, F.col("value"))).alias("mean")))
    clean.unpersist()
    combined.unpersist()
    if not stats["positive"]:   # possible for ratings whose latest value is 0
        _no_positive(name, stats["n"], columns)
    log(f"  combined duplicates and numbered ids in {time.perf_counter() - started:.1f} s")
    counts = {"rows": rows, "interactions": int(stats["n"]), "users": n_users, "items": n_items,
              "positive": int(stats["positive"]), "mean_positive": float(stats["mean"])}
    return Prepared(ratings, users, items, columns, kind, rows, counts)


def _rated(combined: DataFrame, users: DataFrame, items: DataFrame) -> DataFrame:
    return (combined
            .join(users.select(F.col("id").alias("user"), F.col("index").alias("user_index")), "user")
            .join(items.select(F.col("id").alias("item"), F.col("index").alias("item_index")), "item")
            .select("user_index", "item_index", F.col("value").cast("float").alias("value")))
