"""Self-contained session files: a trained model plus the data set's ids, interactions and
item metadata in one ``.npz`` (no pickles), so it can be explored later without retraining.
"""
from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from embedviz.data.interactions import Interactions
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


def load_session(source) -> tuple[FactorizationModel, Interactions, pd.DataFrame, str]:
    """Read a session file: (model, interactions, items table in item order, name). Raises DataError."""
    from embedviz.models.persistence import load_model

    model = load_model(source)
    extras = getattr(model, "extras_", {}) or {}
    needed = {"session_info", "data_indptr", "data_indices", "data_values", "item_title", "item_genres"}
    missing = sorted(needed - set(extras))
    if missing:
        raise DataError(f"model file: it holds a model but not the data set it was trained on (missing "
                        f"{', '.join(missing)}); save it from the Recommend page or `python -m embedviz train`")
    info = json.loads(str(extras["session_info"]))
    shape = tuple(info["shape"])
    if shape != (len(model.user_ids_), len(model.item_ids_)):
        raise DataError(f"model file: data shape {shape} does not match the model's "
                        f"{len(model.user_ids_)} users x {len(model.item_ids_)} items")
    try:
        matrix = sp.csr_matrix((extras["data_values"], extras["data_indices"], extras["data_indptr"]), shape=shape)
        matrix.check_format(full_check=True)
    except ValueError as error:
        raise DataError(f"model file: the stored interactions are corrupt ({error})") from None
    times = extras.get("data_timestamps")
    data = Interactions(matrix.astype(np.float32), model.user_ids_, model.item_ids_, info["kind"], times)
    genres = [g.split(GENRE_SEPARATOR) if g else [] for g in extras["item_genres"].tolist()]
    items = pd.DataFrame({"title": extras["item_title"].astype(str), "genres": genres},
                         index=pd.Index(model.item_ids_, name="item_id"))
    return model, data, items, info["name"]
