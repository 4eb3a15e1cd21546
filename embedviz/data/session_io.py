"""Self-contained session files: a trained model plus the data set's ids, interactions and
item metadata in one ``.npz`` (no pickles), so it can be explored later without retraining.
"""
from __future__ import annotations

import io
import json
import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from embedviz.data.interactions import KINDS, Interactions
from embedviz.data.limits import DEFAULT_MAX_BYTES
from embedviz.data.sources import source_name
from embedviz.errors import DataError

if TYPE_CHECKING:
    from embedviz.models.base import FactorizationModel

GENRE_SEPARATOR = "|"


def save_session(target, model, data: Interactions, items: pd.DataFrame, name: str) -> None:
    """Write ``model`` with the data it was trained on to ``target`` (path or binary file)."""
    csr = data.matrix
    extras = {
        "session_info": np.array(json.dumps({"name": name, "kind": data.kind, "shape": list(csr.shape)})),
        "data_indptr": csr.indptr, "data_indices": csr.indices, "data_values": csr.data,
        "item_title": items["title"].astype(str).to_numpy().astype(str),
        "item_genres": np.array([GENRE_SEPARATOR.join(g) if isinstance(g, list) else "" for g in items.get(
            "genres", pd.Series([[]] * len(items)))]).astype(str),
    }
    if data.timestamps is not None:
        extras["data_timestamps"] = data.timestamps
    model.save(target, **extras)


def session_bytes(model, data: Interactions, items: pd.DataFrame, name: str) -> bytes:
    buffer = io.BytesIO()
    save_session(buffer, model, data, items, name)
    return buffer.getvalue()


def load_session(source, *, name: str | None = None, max_bytes: int | None = DEFAULT_MAX_BYTES
                 ) -> tuple[FactorizationModel, Interactions, pd.DataFrame, str]:
    """Read a session file: (model, interactions, items table in item order, data set name).

    Every field is checked (see `load_model` for the model's); ``name`` is the file's
    name in messages. Raises DataError naming the file, the field and what was expected.
    """
    from embedviz.models.persistence import load_model

    label = name or (source_name(source) if isinstance(source, (str, os.PathLike)) else "session file")
    model = load_model(source, name=label, max_bytes=max_bytes)
    extras = getattr(model, "extras_", {}) or {}
    missing = sorted(_NEEDED - set(extras))
    if missing:
        raise DataError(f"{label}: it holds a model but not the data set it was trained on (missing "
                        f"{', '.join(missing)}); save it from the Recommend page or with python -m embedviz train")
    info = _session_info(extras, label)
    n_users, n_items = len(model.user_ids_), len(model.item_ids_)
    if info["shape"] != [n_users, n_items]:
        raise DataError(f"{label}: session_info's shape {info['shape']} does not match the model's "
                        f"{n_users} users x {n_items} items")
    matrix = _interactions_matrix(extras, (n_users, n_items), label)
    times = _timestamps(extras, matrix.nnz, label)
    data = Interactions(matrix, model.user_ids_, model.item_ids_, info["kind"], times)
    titles = _texts(extras, "item_title", n_items, label)
    genres = [g.split(GENRE_SEPARATOR) if g else [] for g in _texts(extras, "item_genres", n_items, label)]
    items = pd.DataFrame({"title": titles, "genres": genres}, index=pd.Index(model.item_ids_, name="item_id"))
    return model, data, items, info["name"]


_NEEDED = {"session_info", "data_indptr", "data_indices", "data_values", "item_title", "item_genres"}


def _session_info(extras: dict, label: str) -> dict:
    """``session_info``: a JSON object with a text name, a known kind and a [users, items] shape."""
    from embedviz.models.persistence import json_field

    info = json_field(extras, "session_info", label)
    name, kind, shape = info.get("name"), info.get("kind"), info.get("shape")
    if not isinstance(name, str):
        raise DataError(f"{label}: session_info's name should be text, found {str(name)[:40]!r}")
    if kind not in KINDS:
        raise DataError(f"{label}: session_info's kind is {str(kind)[:40]!r}; expected one of {list(KINDS)}")
    if not (isinstance(shape, list) and len(shape) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
        raise DataError(f"{label}: session_info's shape is {str(shape)[:40]}; expected two whole numbers "
                        "[users, items]")
    return {"name": name[:200], "kind": kind, "shape": shape}


def _interactions_matrix(extras: dict, shape: tuple[int, int], label: str) -> sp.csr_matrix:
    indptr, indices, values = extras["data_indptr"], extras["data_indices"], extras["data_values"]
    for key, array, kinds in (("data_indptr", indptr, "iu"), ("data_indices", indices, "iu"),
                              ("data_values", values, "iuf")):
        if array.ndim != 1 or array.dtype.kind not in kinds:
            raise DataError(f"{label}: {key} should be a 1-D array of numbers, found shape {array.shape} "
                            f"and dtype {array.dtype}")
    if not np.isfinite(values).all():
        raise DataError(f"{label}: data_values holds {int((~np.isfinite(values)).sum()):,} NaN or infinite "
                        "interaction value(s); expected finite ratings or counts")
    try:
        matrix = sp.csr_matrix((values.astype(np.float32), indices, indptr), shape=shape)
        matrix.check_format(full_check=True)
    except (ValueError, TypeError) as error:
        raise DataError(f"{label}: the stored interactions are corrupt ({error}); expected a CSR matrix of "
                        f"{shape[0]} users x {shape[1]} items") from None
    if not matrix.has_canonical_format:
        raise DataError(f"{label}: the stored interactions repeat an item within a user's row or are unsorted; "
                        "expected one entry per (user, item)")
    return matrix


def _timestamps(extras: dict, nnz: int, label: str) -> np.ndarray | None:
    times = extras.get("data_timestamps")
    if times is None:
        return None
    if times.shape != (nnz,) or times.dtype.kind not in "iu":
        raise DataError(f"{label}: data_timestamps has shape {times.shape} and dtype {times.dtype}; expected "
                        f"{nnz:,} whole numbers, one per interaction")
    return times.astype(np.int64)


def _texts(extras: dict, key: str, n_items: int, label: str) -> list[str]:
    array = extras[key]
    if array.dtype.kind != "U" or array.shape != (n_items,):
        raise DataError(f"{label}: {key} has shape {array.shape} and dtype {array.dtype}; expected "
                        f"{n_items:,} text values, one per item")
    return array.tolist()
