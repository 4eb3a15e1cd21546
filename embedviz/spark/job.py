"""Train on Spark: read the interactions where they are, fit MLlib's implicit ALS, write the factors.

    python -m embedviz train s3a://bucket/ratings.parquet --engine spark --master yarn --out s3a://bucket/model

Everything heavy runs on the cluster: reading, checking, combining duplicates, numbering the
ids, ALS and the Parquet writes. The driver sees only samples, a few counts per partition and
the parameters. Executors run no Python. The output folder is described in
`embedviz.spark.factors`. Needs pyspark (``requirements-spark.txt``) and Java 17.
"""
from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

with warnings.catch_warnings():  # pyspark 4.3 warns about pandas 3 on import; we never convert to pandas
    warnings.simplefilter("ignore", FutureWarning)
    import pyspark
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException
    from pyspark.ml.recommendation import ALS, ALSModel
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import functions as F

from embedviz.errors import DataError
from embedviz.spark import factors as layout
from embedviz.spark.frames import Prepared, hadoop_path, jvm, prepare, read_table
from embedviz.spark.params import DataCounts, spark_params

# A cluster that accepts the application but has no free worker would leave it waiting forever.
EXECUTOR_WAIT_S = 60
_QUIET = {"spark.ui.showConsoleProgress": "false", "spark.log.level": "ERROR"}


def start_session(master: str | None, app_name: str, conf: dict | None = None) -> tuple[SparkSession, bool]:
    """(SparkSession, whether we own it). With no ``master``: the session already running in this
    process (a Databricks job or notebook; not ours to stop), else spark-submit's master, else
    ``local[*]``."""
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active, False
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit
        builder = builder.master("local[*]")
    # On one machine the log lines say how far the job is, so Spark's web UI (a Jetty server) stays
    # off; --conf spark.ui.enabled=true brings it back.
    submitted = master is None and "PYSPARK_GATEWAY_PORT" in os.environ
    local = {"spark.ui.enabled": "false"} if not submitted and (master or "local").startswith("local") else {}
    for key, value in {**_QUIET, **local, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate(), True


def wait_for_executors(spark: SparkSession, timeout_s: float = EXECUTOR_WAIT_S) -> None:
    """Return once an executor has joined (at once on a local master); DataError after ``timeout_s``."""
    sc = spark.sparkContext
    if str(sc.master).startswith("local"):
        return
    deadline = time.monotonic() + timeout_s
    while sc._jsc.sc().getExecutorMemoryStatus().size() < 2:  # the driver is one entry
        if time.monotonic() > deadline:
            raise DataError(f"no Spark executor joined within {timeout_s:.0f} s on {sc.master}: does the "
                            "cluster have a worker with free cores and the memory asked for "
                            "(spark.executor.memory)? See the master's web UI")
        time.sleep(0.25)


def size_shuffles(spark: SparkSession) -> None:
    """On a local master, shuffle partitions = 2 x the cores, unless configured.

    Spark's default of 200 suits clusters (and adaptive execution merges small partitions);
    on one machine it makes every groupBy and join of this job run 200 tiny tasks (measured:
    104 s instead of 26 s for the 100k-rating set on local[2]). On a cluster the number of
    cores at start says little (dynamic allocation), so Spark's setting stays.
    """
    sc = spark.sparkContext
    if str(sc.master).startswith("local") and not sc.getConf().contains("spark.sql.shuffle.partitions"):
        spark.conf.set("spark.sql.shuffle.partitions", str(max(2, 2 * sc.defaultParallelism)))


def als_blocks(spark: SparkSession) -> int:
    """User and item blocks of ALS: the cores on one machine, at least Spark's default 10 on a cluster."""
    sc = spark.sparkContext
    cores = max(1, sc.defaultParallelism)
    return cores if str(sc.master).startswith("local") else max(10, cores)


def check_output(spark: SparkSession, out: str) -> None:
    """Refuse an --out that is a file or a folder holding something else; clear a previous run's JSON."""
    fs, path = hadoop_path(spark, out)
    if not fs.exists(path):
        return
    if fs.isFile(path):
        raise DataError(f"--out {out} is a file; it needs a folder (new, or a previous Spark output)")
    names = sorted(status.getPath().getName() for status in fs.listStatus(path))
    if names and layout.INFO_FILE not in names:
        raise DataError(f"--out {out} exists and is not an embedviz Spark output (it holds {names[:3]}); "
                        "choose a new folder")
    if names:  # a failed rewrite must not leave the old JSON describing new parts
        fs.delete(hadoop_path(spark, _join(out, layout.INFO_FILE))[1], False)


def use_checkpoints(spark: SparkSession, out: str) -> str | None:
    """Give ALS a checkpoint folder (``out/_checkpoints``) unless one is configured; returns it.

    Without one, ALS cannot cut its lineage every ``checkpointInterval`` (10) iterations, and a
    long fit can die of a StackOverflowError while Spark serialises its tasks.
    """
    sc = spark.sparkContext
    if sc.getCheckpointDir() is not None:
        return None
    folder = _join(out, "_checkpoints")
    sc.setCheckpointDir(folder)
    return folder


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}"


def fit_als(prepared: Prepared, params: dict, blocks: int) -> ALSModel:
    """Spark's ALS; ``blocks`` user and item blocks (Spark's default 10 leaves a big cluster idle
    and gives a small one 10 tasks per step)."""
    als = ALS(userCol="user_index", itemCol="item_index", ratingCol="value", numUserBlocks=blocks,
              numItemBlocks=blocks, **params)
    return als.fit(prepared.ratings)


def _factor_frame(factors: DataFrame, ids: DataFrame) -> DataFrame:
    numbered = factors.select(F.col("id").alias("index"), F.col("features").alias("factors"))
    return numbered.join(ids, "index").select("id", "index", "factors")


def write_outputs(spark: SparkSession, out: str, prepared: Prepared, model: ALSModel, items: Path | None) -> None:
    """Parquet factors with original ids, the interactions, Spark's own model and the item file."""
    for name, factors, ids in ((layout.USER_FACTORS, model.userFactors, prepared.users),
                               (layout.ITEM_FACTORS, model.itemFactors, prepared.items)):
        _factor_frame(factors, ids).write.mode("overwrite").parquet(_join(out, name))
    prepared.ratings.write.mode("overwrite").parquet(_join(out, layout.INTERACTIONS))
    model.write().overwrite().save(_join(out, layout.SPARK_MODEL))
    if items is not None:
        fs, target = hadoop_path(spark, _join(out, _items_name(items)))
        local = jvm(spark).org.apache.hadoop.fs.Path(str(items.resolve()))
        fs.copyFromLocalFile(False, True, local, target)


def write_info(spark: SparkSession, out: str, info: dict) -> None:
    """The JSON, written last: its presence marks a complete output folder."""
    fs, target = hadoop_path(spark, _join(out, layout.INFO_FILE))
    stream = fs.create(target, True)
    try:
        stream.write(bytearray(json.dumps(info, indent=2).encode()))
    finally:
        stream.close()


def _items_name(items: Path) -> str:
    return "items" + "".join(items.suffixes[-2:])


def train_on_spark(source: str, out: str, wals: dict, *, master: str | None = None, conf: dict | None = None,
                   items: Path | None = None, log: Callable[[str], None] = print) -> dict:
    """Fit Spark ALS with parameters translated from ``wals`` and write the output folder.

    Parameters
    ----------
    source : str
        CSV (header optional; gzip by a .gz name) or Parquet, a file, folder or glob on any
        filesystem the Spark installation reads (local, ``hdfs://``, ``s3a://``...).
    out : str
        Output folder (on a cluster: a path every executor can write, e.g. HDFS or S3).
    wals : dict
        WALS parameters (factors, regularization, unobserved_weight, alpha, iterations,
        random_state); see `embedviz.spark.params`.
    master : str, optional
        Spark master URL; None uses the session already running (Databricks), else
        spark-submit's master, else ``local[*]``.
    conf : dict, optional
        Extra Spark settings (e.g. ``spark.executor.memory``).
    items : Path, optional
        A local item metadata file, copied into the output folder.
    log : callable(str)
        Progress messages.

    Returns
    -------
    dict
        What ``embedviz-spark.json`` holds.
    """
    started = time.perf_counter()
    spark, owned = start_session(master, f"embedviz train {Path(source).name}", conf)
    try:
        return _train(spark, source, out, wals, items, log, started)
    except (PySparkException, Py4JError) as error:
        raise DataError(f"Spark failed: {_first_line(error)}") from None
    finally:
        if owned:
            spark.stop()


def _train(spark: SparkSession, source: str, out: str, wals: dict, items: Path | None,
           log: Callable[[str], None], started: float) -> dict:
    sc = spark.sparkContext
    log(f"Spark {spark.version} on {sc.master} (application {sc.applicationId})")
    wait_for_executors(spark)
    size_shuffles(spark)
    check_output(spark, out)
    frame, fmt = read_table(spark, source)
    prepared = prepare(frame, Path(source).name, log)
    params = _translated(wals, prepared)
    blocks = als_blocks(spark)
    log(_data_line(source, fmt, prepared))
    log("ALS: " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in params.items())
        + f"; {blocks} user and item blocks")
    timings = {"start_read_prepare": time.perf_counter() - started}
    checkpoints = use_checkpoints(spark, out)
    model = fit_als(prepared, params, blocks)
    timings["fit"] = time.perf_counter() - started - sum(timings.values())
    log(f"fitted in {timings['fit']:.1f} s; writing {out}")
    write_outputs(spark, out, prepared, model, items)
    if checkpoints is not None:
        fs, path = hadoop_path(spark, checkpoints)
        fs.delete(path, True)
    timings["write"] = time.perf_counter() - started - sum(timings.values())
    timings["total"] = time.perf_counter() - started
    info = _info(spark, source, fmt, prepared, wals, params, items)
    info["spark"]["blocks"] = blocks
    info["timings_s"] = {key: round(value, 3) for key, value in timings.items()}
    write_info(spark, out, info)
    return info


def _translated(wals: dict, prepared: Prepared) -> dict:
    c = prepared.counts
    try:
        return spark_params(wals, DataCounts(c["users"], c["items"], c["positive"], c["mean_positive"]))
    except ValueError as error:
        raise DataError(str(error)) from None


def _data_line(source: str, fmt: str, prepared: Prepared) -> str:
    c = prepared.counts
    roles = ", ".join(f"{role} {column!r}" for role, column in prepared.columns.items() if column)
    return (f"{Path(source).name} ({fmt}): {c['users']:,} users, {c['items']:,} items, {c['interactions']:,} "
            f"interactions from {c['rows']:,} rows ({prepared.kind}); columns: {roles}")


def _info(spark, source, fmt, prepared: Prepared, wals: dict, params: dict, items: Path | None) -> dict:
    sc = spark.sparkContext
    return {
        "format": layout.FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source, "source_format": fmt, "columns": prepared.columns, "kind": prepared.kind,
        "counts": prepared.counts,
        "wals_params": wals, "spark_params": params,
        "spark": {"version": spark.version, "pyspark": pyspark.__version__, "master": sc.master,
                  "application_id": sc.applicationId, "application_name": sc.appName,
                  "default_parallelism": sc.defaultParallelism},
        "items_file": None if items is None else _items_name(items),
    }


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "java_exception", None) or error).strip()
    return (text.splitlines() or ["(no message)"])[0][:500]
