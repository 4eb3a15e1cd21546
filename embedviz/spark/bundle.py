"""A Spark output folder, or a zip of it, as the app's data set and model.

`open_spark_output` returns what `embedviz.data.session_io.load_session` returns for a saved
``.npz`` session, so the dashboard (and the command line) open either the same way.
"""
from __future__ import annotations

import pandas as pd

from embedviz.data.interactions import Interactions, check_usable
from embedviz.data.metadata import align_metadata, load_item_metadata
from embedviz.errors import DataError
from embedviz.spark.factors import INTERACTIONS, SparkALS, open_folder, read_factors


def open_spark_output(source, *, items=None, items_name: str | None = None,
                      max_bytes: int | None = None) -> tuple[SparkALS, Interactions, pd.DataFrame, str]:
    """The model, its interactions, item metadata in item order, and a display name.

    Parameters
    ----------
    source : str, PathLike, bytes or binary file
        The ``--out`` folder of ``python -m embedviz train --engine spark`` (a path or URI), a
        ``.zip`` of it, or the zip's bytes (an upload).
    items : str, PathLike, bytes or file, optional
        Item metadata (titles, genres...). Without it, the ``items.*`` file the job copied
        into the folder (``--items``) is used when there is one; else titles are the ids.
    items_name : str, optional
        File name of ``items`` for messages (an upload's name).
    max_bytes : int, optional
        Upload size limit (zip and metadata), as `embedviz.load_interactions` takes it; None: none.

    Returns
    -------
    model : SparkALS
    interactions : Interactions
        What Spark trained on (all of it: there is no held-out part).
    items : pandas.DataFrame
        One row per item in model order, indexed by item id, with "title" and "genres".
    name : str

    Raises
    ------
    DataError
        Not a Spark output, no interactions in it (the app shows histories), bad metadata.
    """
    folder = open_folder(source, max_bytes=max_bytes)
    model = read_factors(folder)
    if INTERACTIONS not in folder.names():
        raise DataError(f"{folder.label}: has no {INTERACTIONS}/ folder; the app needs the interactions "
                        "Spark trained on (histories, seen items), so zip the whole output folder")
    data = Interactions(model.train_matrix_, model.user_ids_, model.item_ids_, model.data_kind_, None)
    check_usable(data, folder.label)
    meta = _metadata(folder, model.spark_info_, items, items_name, max_bytes)
    table = align_metadata(meta if meta is not None else pd.DataFrame(index=pd.Index([], name="item_id")),
                           model.item_ids_)
    source_name = str(model.spark_info_.get("source", "")).rstrip("/").rsplit("/", 1)[-1] or folder.label
    return model, data, table, f"{source_name} (Spark ALS)"


def _metadata(folder, info: dict, items, items_name: str | None, max_bytes: int | None) -> pd.DataFrame | None:
    if items is not None:
        return load_item_metadata(items, name=items_name, max_bytes=max_bytes)
    stored = info.get("items_file")
    if not stored:
        return None
    raw = folder.read_bytes(str(stored), limit=max_bytes)
    if raw is None:
        raise DataError(f"{folder.label}: the item metadata {stored!r} named in its JSON is missing")
    return load_item_metadata(raw, name=str(stored), max_bytes=max_bytes)
