"""Open the output of ``python -m embedviz train --engine spark`` without Spark.

The output folder (see `embedviz.spark.job`)::

    embedviz-spark.json   parameters (WALS and Spark), data counts, timings
    user_factors/         Parquet: id (original), index (row number), factors (list of float)
    item_factors/         Parquet: the same for items
    interactions/         Parquet: user_index, item_index, value (duplicates combined)
    spark_model/          the ALSModel as Spark saves it (ALSModel.load for batch scoring on Spark)
    items.<ext>           optional: the item metadata given with --items

`load_factors` reads it from a local folder, a URI pyarrow can open (``s3://``, ``hdfs://``),
a ``.zip`` of the folder, or the zip's bytes, and returns a `SparkALS` model.
"""
from __future__ import annotations

import io
import json
import zipfile
from os import PathLike, fspath
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import scipy.sparse as sp

from embedviz.data.limits import check_memory, memory_limit
from embedviz.data.sources import check_size
from embedviz.errors import DataError
from embedviz.models.wals import WALS
from embedviz.validation import check_float, check_int, check_random_state

FORMAT = "embedviz-spark/1"
INFO_FILE = "embedviz-spark.json"
USER_FACTORS, ITEM_FACTORS, INTERACTIONS, SPARK_MODEL = "user_factors", "item_factors", "interactions", "spark_model"
FACTOR_COLUMNS = ("id", "index", "factors")
INTERACTION_COLUMNS = ("user_index", "item_index", "value")
_MAX_INFO_BYTES = 1 << 20


_INFO_EXTRA = "spark_info"


class SparkALS(WALS):
    """User and item factors trained by Spark MLlib's implicit ALS, with embedviz's queries.

    Spark's objective differs from WALS's (see `embedviz.spark.params`): unobserved pairs
    weigh 1, an observed value r weighs ``1 + alpha * |r|`` with preference ``r > 0``, and a
    row with n positive values is penalised ``regularization * n``. `fold_in` and `explain`
    solve Spark's normal equations for that row exactly, so folding in a training user's
    history gives back Spark's own user vector.

    Not trained here: create one with `load_factors`. Parameters are Spark's.

    Parameters
    ----------
    factors : int
        ``rank``.
    regularization : float >= 0
        ``regParam`` (scaled by each row's number of positive values).
    alpha : float >= 0
        ``alpha``.
    iterations : int
        ``maxIter`` it was trained with.
    random_state : int or None
        ``seed`` it was trained with.
    """

    # WALS's query code reads these; they are what Spark's objective fixes.
    unobserved_weight = 1.0
    confidence = "linear"
    confidence_ = "linear"
    confidence_reason_ = "Confidence: Spark ALS weighs an entry 1 + alpha * |value| (linear)."
    target = "implicit"
    solver = "cholesky"
    cg_steps = 1

    def __init__(self, factors: int = 10, regularization: float = 0.1, alpha: float = 1.0,
                 iterations: int = 10, random_state: int | None = None):
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_int("factors", self.factors, 1)
        check_float("regularization", self.regularization, 0.0)
        check_float("alpha", self.alpha, 0.0)
        check_int("iterations", self.iterations, 0)
        check_random_state(self.random_state)

    @property
    def spark_info_(self) -> dict:
        """The output folder's JSON (parameters, counts, timings); kept through `save` / `load_model`."""
        stored = getattr(self, "extras_", {}).get(_INFO_EXTRA)
        return {} if stored is None else json.loads(str(stored))

    def save(self, path, **extra_arrays) -> None:
        """`FactorizationModel.save`, keeping `spark_info_` as an extra array."""
        info = self.extras_.get(_INFO_EXTRA, json.dumps({}))
        super().save(path, **{_INFO_EXTRA: info, **extra_arrays})

    def fit(self, interactions, callback=None):
        """Not available: SparkALS factors come from Spark."""
        raise ValueError("SparkALS is trained on Spark: run `python -m embedviz train DATA --engine spark "
                         "--out FOLDER` and open FOLDER with embedviz.load_factors; use WALS to train here")

    def _confidence_and_target(self, values: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(values, dtype=np.float32)
        if not np.all(np.isfinite(values)):
            raise DataError(f"{source}: values must be finite numbers")
        confidence = 1.0 + float(self.alpha) * np.abs(values.astype(np.float64))
        return confidence, (values > 0).astype(np.float32)

    def _user_system(self, items: np.ndarray, values: np.ndarray | None):
        system, confidence, target = super()._user_system(items, values)
        # WALS adds regularization * I; Spark (ALS-WR) adds regParam * (number of positive values) * I.
        system += self.regularization * (float(np.count_nonzero(target)) - 1.0) * np.eye(self.factors)
        return system, confidence, target


# --------------------------------------------------------------------------- where the files are


class _FileSystemFolder:
    """The output folder on a local disk or any filesystem pyarrow opens from a URI."""

    def __init__(self, location: str):
        import pyarrow.fs as pafs

        self.label = location
        try:
            if "://" in location:
                self.fs, self.root = pafs.FileSystem.from_uri(location)
            else:
                self.fs, self.root = pafs.LocalFileSystem(), str(Path(location).expanduser().resolve())
            info = self.fs.get_file_info(self.root)
        except (OSError, pa.ArrowException) as error:
            raise DataError(f"{location}: cannot open ({error})") from None
        if info.type == pafs.FileType.NotFound:
            raise DataError(f"{location}: no such folder")
        if info.type != pafs.FileType.Directory:
            raise DataError(f"{location}: not a folder; expected the --out folder of "
                            "`python -m embedviz train --engine spark` (or a .zip of it)")

    def read_bytes(self, name: str, limit: int | None = _MAX_INFO_BYTES) -> bytes | None:
        import pyarrow.fs as pafs

        path = f"{self.root}/{name}"
        info = self.fs.get_file_info(path)
        if info.type != pafs.FileType.File:
            return None
        if limit is not None and info.size > limit:
            raise DataError(f"{self.label}: {name} is {info.size:,} bytes; expected a small file")
        with self.fs.open_input_stream(path) as stream:
            return stream.read()

    def table(self, name: str, columns: tuple[str, ...]) -> pa.Table | None:
        import pyarrow.fs as pafs

        path = f"{self.root}/{name}"
        if self.fs.get_file_info(path).type == pafs.FileType.NotFound:
            return None
        return pq.read_table(path, filesystem=self.fs, columns=list(columns))

    def names(self) -> list[str]:
        import pyarrow.fs as pafs

        return [info.base_name for info in self.fs.get_file_info(pafs.FileSelector(self.root))]


class _ZipFolder:
    """The output folder inside a zip archive (the folder itself or its contents at the top)."""

    def __init__(self, raw: bytes, label: str, max_bytes: int | None):
        self.label = label
        check_size(len(raw), label, max_bytes)
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(raw))
            members = [m for m in self.archive.infolist() if not m.is_dir() and "__MACOSX" not in m.filename]
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise DataError(f"{label}: not a readable zip archive ({error})") from None
        # Read in memory: the members' declared sizes are checked before anything is inflated.
        check_memory(sum(m.file_size for m in members), memory_limit(max_bytes), label, "the unzipped Spark output")
        infos = [m for m in members if PurePosixPath(m.filename).name == INFO_FILE]
        if not infos:
            raise DataError(f"{label}: no {INFO_FILE} inside; expected a zip of the --out folder of "
                            "`python -m embedviz train --engine spark`")
        shallowest = min(infos, key=lambda m: m.filename.count("/"))
        self.prefix = shallowest.filename[: -len(INFO_FILE)]
        self.members = {m.filename[len(self.prefix):]: m for m in members if m.filename.startswith(self.prefix)}

    def read_bytes(self, name: str, limit: int | None = _MAX_INFO_BYTES) -> bytes | None:
        member = self.members.get(name)
        if member is None:
            return None
        if limit is not None and member.file_size > limit:
            raise DataError(f"{self.label}: {name} is {member.file_size:,} bytes; expected a small file")
        return self._read(member)

    def table(self, name: str, columns: tuple[str, ...]) -> pa.Table | None:
        parts = sorted(key for key in self.members if key.startswith(f"{name}/") and key.endswith(".parquet")
                       and not PurePosixPath(key).name.startswith(("_", ".")))
        if not parts:
            return None
        tables = [pq.read_table(io.BytesIO(self._read(self.members[key])), columns=list(columns))
                  for key in parts]
        return pa.concat_tables(tables)

    def names(self) -> list[str]:
        return sorted({key.split("/")[0] for key in self.members})

    def _read(self, member: zipfile.ZipInfo) -> bytes:
        try:
            return self.archive.read(member)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise DataError(f"{self.label}: {member.filename} is corrupt ({error})") from None


def open_folder(source, *, max_bytes: int | None = None):
    """The Spark output folder behind ``source``: a folder path or URI, a .zip path, zip bytes or file.

    ``max_bytes`` limits a zip (an upload) and, through `embedviz.data.limits.memory_limit`, what
    it inflates to; None (the command line and the API) reads any size.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _ZipFolder(bytes(source), "uploaded zip", max_bytes)
    if hasattr(source, "read"):
        return _ZipFolder(source.read(), getattr(source, "name", "uploaded zip"), max_bytes)
    if not isinstance(source, (str, PathLike)):
        raise DataError(f"Spark output: expected a folder, a URI or a zip, got {type(source).__name__}")
    location = fspath(source)
    if "://" not in location and location.lower().endswith(".zip") and Path(location).is_file():
        path = Path(location)
        check_size(path.stat().st_size, path.name, max_bytes)
        return _ZipFolder(path.read_bytes(), path.name, max_bytes)
    return _FileSystemFolder(location)


# --------------------------------------------------------------------------- reading


def read_info(folder) -> dict:
    """The parsed ``embedviz-spark.json`` of an opened folder (checked for its format)."""
    raw = folder.read_bytes(INFO_FILE)
    if raw is None:
        raise DataError(f"{folder.label}: no {INFO_FILE}; is this the --out folder of "
                        "`python -m embedviz train --engine spark`?")
    try:
        info = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{folder.label}: {INFO_FILE} is not valid JSON ({error})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        found = info.get("format") if isinstance(info, dict) else type(info).__name__
        raise DataError(f"{folder.label}: {INFO_FILE} has format {found!r}; expected {FORMAT!r}")
    missing = [key for key in ("counts", "spark_params", "kind") if key not in info]
    if missing:
        raise DataError(f"{folder.label}: {INFO_FILE} lacks {missing}")
    return info


def _factor_rows(table: pa.Table | None, name: str, rank: int, expected: int, label: str):
    """(ids in row order, float32 factors (n, rank)) from a factor table."""
    if table is None:
        raise DataError(f"{label}: the {name}/ Parquet files are missing")
    where = f"{label}, {name}"
    n = table.num_rows
    if n != expected:
        raise DataError(f"{where}: {n:,} rows, but {INFO_FILE} counts {expected:,}")
    index = table["index"].to_numpy().astype(np.int64)
    order = np.argsort(index, kind="stable")
    if not np.array_equal(index[order], np.arange(n)):
        raise DataError(f"{where}: the index column is not 0..{n - 1}, each once")
    lists = table["factors"].combine_chunks()
    if lists.null_count or (n and pc.min(pc.list_value_length(lists)).as_py() != rank) or (
            n and pc.max(pc.list_value_length(lists)).as_py() != rank):
        raise DataError(f"{where}: every row needs {rank} factors (the rank); some have another length")
    factors = lists.flatten().to_numpy(zero_copy_only=False).astype(np.float32).reshape(n, rank)[order]
    if not np.all(np.isfinite(factors)):
        raise DataError(f"{where}: factors hold NaN or infinite values")
    ids = table["id"]
    if ids.null_count:
        raise DataError(f"{where}: {ids.null_count:,} rows have no id")
    ids = ids.to_numpy(zero_copy_only=False)[order]
    ids = ids.astype(object) if ids.dtype.kind in "OUS" else ids
    if not pd.Index(ids).is_unique:
        raise DataError(f"{where}: ids repeat")
    return ids, factors


def _train_matrix(table: pa.Table | None, shape: tuple[int, int], label: str) -> sp.csr_matrix:
    """The interactions Spark trained on as CSR; empty when the folder has none."""
    if table is None:
        return sp.csr_matrix(shape, dtype=np.float32)
    users = table["user_index"].to_numpy().astype(np.int64)
    items = table["item_index"].to_numpy().astype(np.int64)
    values = table["value"].to_numpy().astype(np.float32)
    if users.size and (users.min() < 0 or users.max() >= shape[0] or items.min() < 0 or items.max() >= shape[1]):
        raise DataError(f"{label}, {INTERACTIONS}: indices outside the {shape[0]:,} users x {shape[1]:,} items")
    if not np.all(np.isfinite(values)):
        raise DataError(f"{label}, {INTERACTIONS}: values hold NaN or infinite numbers")
    matrix = sp.csr_matrix((values, (users, items)), shape=shape, dtype=np.float32)
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def load_factors(source, *, interactions: bool = True, max_bytes: int | None = None) -> SparkALS:
    """Open the output of ``python -m embedviz train --engine spark`` as a model.

    Parameters
    ----------
    source : str, PathLike, bytes or binary file
        The output folder (local path or a URI pyarrow can open, e.g. ``s3://bucket/model``),
        a ``.zip`` of it, or the zip's bytes.
    interactions : bool
        Also read the interactions Spark trained on, so ``recommend`` leaves out what a user
        has seen. False skips them (the model then excludes nothing), e.g. for billions of rows.
    max_bytes : int, optional
        Size limit of a zip (read in memory) and, through ``EMBEDVIZ_MAX_MEMORY_MB``, of what
        it inflates to, as for uploads; None (default) reads any size.

    Returns
    -------
    SparkALS
        ``user_factors_`` (n_users, rank) and ``item_factors_`` (n_items, rank), float32, rows
        in the order of ``user_ids_`` / ``item_ids_`` (original ids, sorted as Spark sorted them);
        ``spark_info_`` holds the folder's JSON. ``save`` writes the usual ``.npz``.

    Raises
    ------
    DataError
        Not such a folder, missing or inconsistent parts.
    """
    return read_factors(open_folder(source, max_bytes=max_bytes), interactions=interactions)


def read_factors(folder, *, interactions: bool = True) -> SparkALS:
    """`load_factors` on a folder opened with `open_folder`."""
    info = read_info(folder)
    spark, counts = info["spark_params"], info["counts"]
    model = SparkALS(factors=int(spark["rank"]), regularization=float(spark["regParam"]),
                     alpha=float(spark["alpha"]), iterations=int(spark["maxIter"]),
                     random_state=spark.get("seed"))
    try:
        model._validate_params()
        n_users, n_items = int(counts["users"]), int(counts["items"])
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f"{folder.label}: {INFO_FILE} has invalid parameters or counts ({error})") from None
    try:
        user_ids, users = _factor_rows(folder.table(USER_FACTORS, FACTOR_COLUMNS), USER_FACTORS, model.factors,
                                       n_users, folder.label)
        item_ids, items = _factor_rows(folder.table(ITEM_FACTORS, FACTOR_COLUMNS), ITEM_FACTORS, model.factors,
                                       n_items, folder.label)
        seen = folder.table(INTERACTIONS, INTERACTION_COLUMNS) if interactions else None
    except (pa.ArrowException, OSError, KeyError) as error:
        raise DataError(f"{folder.label}: unreadable Parquet ({error})") from None
    model.user_ids_, model.item_ids_ = user_ids, item_ids
    model.user_factors_, model.item_factors_ = users, items
    model.train_matrix_ = _train_matrix(seen, (n_users, n_items), folder.label)
    model.data_kind_ = str(info["kind"])
    model.loss_history_, model.stopped_early_ = [], False
    model.alpha_ = float(spark["alpha"])   # WALS's fitted alpha; Spark's is given, never "auto"
    model.extras_ = {_INFO_EXTRA: np.array(json.dumps(info))}
    return model
