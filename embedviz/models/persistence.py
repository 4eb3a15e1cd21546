"""The ``.npz`` model format: what `FactorizationModel.save` writes and `load_model` reads.

Plain arrays and JSON strings only, read with ``allow_pickle=False``; the model class is
looked up in the registry, so a new model needs no change here.
"""
from __future__ import annotations

import io
import json
import zipfile
import zlib
from os import PathLike
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from embedviz.errors import DataError

if TYPE_CHECKING:
    from embedviz.models.base import FactorizationModel


FORMAT_VERSION = "embedviz-model/1"


_EXTRA_PREFIX = "extra__"


def save_model(model: FactorizationModel, path, **extra_arrays) -> None:
    """Write a fitted model (and extra named arrays) as ``.npz``; see `FactorizationModel.save`."""
    model._check_fitted()
    matrix = model.train_matrix_
    arrays = {
        "format_version": np.array(FORMAT_VERSION),
        "model_class": np.array(type(model).__name__),
        "params": np.array(json.dumps(model.get_params())),
        "fitted": np.array(json.dumps({name: getattr(model, name) for name in model._FITTED_SCALARS})),
        "train_indptr": matrix.indptr.astype(np.int64),
        "train_indices": matrix.indices.astype(np.int32),
        "train_data": matrix.data.astype(np.float32),
    }
    for which, ids in (("user", model.user_ids_), ("item", model.item_ids_)):
        stored, kind = _encode_ids(ids)
        arrays[f"{which}_ids"] = stored
        arrays[f"{which}_id_kind"] = np.array(kind)
    for name in (*model._USER_ARRAYS, *model._ITEM_ARRAYS):
        arrays[name.rstrip("_")] = getattr(model, name)
    for name, value in extra_arrays.items():
        arrays[_EXTRA_PREFIX + name] = _encode_extra(name, value)
    if isinstance(path, (str, PathLike)):
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **arrays)
    else:
        np.savez_compressed(path, **arrays)


def _encode_ids(ids: np.ndarray) -> tuple[np.ndarray, str]:
    ids = np.asarray(ids)
    if ids.dtype.kind in "iufb":
        return ids, "numeric"
    return ids.astype(str), "str"


def _decode_ids(stored: np.ndarray, kind: str) -> np.ndarray:
    # Interactions keeps string ids as an object array of Python str; restore that.
    return stored.astype(object) if kind == "str" else stored


def _encode_extra(name: str, value) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind == "O":
        if not all(isinstance(item, str) for item in array.ravel()):
            raise ValueError(f"extra array {name!r} holds Python objects that are not strings; cannot be saved safely")
        array = array.astype(str)
    return array


def load_model(source) -> FactorizationModel:
    """Load a model written by ``model.save`` (never unpickles anything).

    Parameters
    ----------
    source : str, PathLike, bytes or binary file object

    Returns
    -------
    FactorizationModel
        Fitted model; extra arrays given to ``save`` are in ``model.extras_``.

    Raises
    ------
    DataError
        When the file is not a model archive, is truncated, holds pickled objects,
        lacks keys, has inconsistent shapes or names an unknown model class.
    """
    archive = _open_archive(source)
    try:
        arrays = _read_arrays(archive)
    finally:
        archive.close()
    model = _build_model(arrays)
    _restore_fitted(model, arrays)
    return model


def _open_archive(source):
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    elif isinstance(source, (str, PathLike)):
        with open(source, "rb") as handle:
            raw = handle.read()
    elif hasattr(source, "read"):
        raw = source.read()
    else:
        raise DataError(f"model file: expected a path, bytes or a file object, got {type(source).__name__}")
    if not raw.startswith(b"PK\x03\x04"):
        raise DataError(f"model file: {_describe_non_zip(raw)}; expected an .npz archive written by model.save()")
    try:
        return np.load(io.BytesIO(raw), allow_pickle=False)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise DataError(f"model file: truncated or corrupt .npz archive ({error})") from None


def _describe_non_zip(raw: bytes) -> str:
    if not raw:
        return "the file is empty"
    if raw[:1] == b"\x80":
        return "the file is a Python pickle, which is never loaded (it could run arbitrary code)"
    if raw.startswith(b"\x93NUMPY"):
        return "the file is a single .npy array, not a model archive"
    return f"not a zip/.npz archive (it starts with {raw[:16]!r})"


def _read_arrays(archive) -> dict:
    arrays = {}
    for name in archive.files:
        try:
            arrays[name] = archive[name]
        except ValueError as error:
            if "allow_pickle" in str(error) or "Object arrays" in str(error):
                raise DataError(
                    f"model file: array {name!r} holds pickled Python objects, which are never loaded"
                ) from None
            raise DataError(f"model file: array {name!r} is unreadable ({error})") from None
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
            raise DataError(
                f"model file: truncated or corrupt .npz archive; array {name!r} unreadable ({error})"
            ) from None
    return arrays


_COMMON_KEYS = (
    "format_version", "model_class", "params", "fitted", "train_indptr", "train_indices", "train_data",
    "user_ids", "user_id_kind", "item_ids", "item_id_kind",
)


def _build_model(arrays: dict) -> FactorizationModel:
    missing = [key for key in ("model_class", "params") if key not in arrays]
    if missing:
        raise DataError(f"model file: missing keys {missing}; is this a file written by model.save()?")
    from embedviz.models.registry import LOADED_ONLY, MODELS, model_class

    class_name = str(arrays["model_class"])
    try:
        cls = model_class(class_name)
    except KeyError:
        raise DataError(f"model file: unknown model class {class_name!r}; expected one of "
                        f"{sorted([*MODELS, *LOADED_ONLY])}") from None
    needed = (*_COMMON_KEYS, *(name.rstrip("_") for name in (*cls._USER_ARRAYS, *cls._ITEM_ARRAYS)))
    missing = [key for key in needed if key not in arrays]
    if missing:
        raise DataError(f"model file: missing keys {missing}")
    try:
        params = json.loads(str(arrays["params"]))
        model = cls(**params)
        model._validate_params()
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        raise DataError(f"model file: invalid {class_name} parameters ({error})") from None
    return model


def _restore_fitted(model: FactorizationModel, arrays: dict) -> None:
    user_ids = _decode_ids(arrays["user_ids"], str(arrays["user_id_kind"]))
    item_ids = _decode_ids(arrays["item_ids"], str(arrays["item_id_kind"]))
    n_users, n_items = len(user_ids), len(item_ids)
    factors = model.factors
    for names, rows, what in ((model._USER_ARRAYS, n_users, "user_ids"), (model._ITEM_ARRAYS, n_items, "item_ids")):
        for name in names:
            array = arrays[name.rstrip("_")]
            expected = (rows, factors) if name.endswith("factors_") else (rows,)
            if array.shape != expected:
                raise DataError(
                    f"model file: {name.rstrip('_')} has shape {array.shape}, expected {expected} "
                    f"({rows} {what}, factors={factors})"
                )
            setattr(model, name, array)
    model.train_matrix_ = _restore_matrix(arrays, n_users, n_items)
    model.user_ids_, model.item_ids_ = user_ids, item_ids
    try:
        fitted = json.loads(str(arrays["fitted"]))
    except json.JSONDecodeError as error:
        raise DataError(f"model file: 'fitted' is not valid JSON ({error})") from None
    missing = [name for name in model._FITTED_SCALARS if name not in fitted]
    if missing:
        raise DataError(f"model file: 'fitted' lacks {missing}")
    for name in model._FITTED_SCALARS:
        setattr(model, name, fitted[name])
    model.extras_ = {
        key[len(_EXTRA_PREFIX):]: value for key, value in arrays.items() if key.startswith(_EXTRA_PREFIX)
    }


def _restore_matrix(arrays: dict, n_users: int, n_items: int) -> sp.csr_matrix:
    indptr, indices, data = arrays["train_indptr"], arrays["train_indices"], arrays["train_data"]
    if indptr.shape != (n_users + 1,):
        raise DataError(
            f"model file: train_indptr has shape {indptr.shape}, expected ({n_users + 1},) for {n_users} users"
        )
    if indices.shape != data.shape or indices.ndim != 1 or indptr[-1] != indices.shape[0] or indptr[0] != 0:
        raise DataError(
            f"model file: training matrix parts disagree: train_indices {indices.shape}, "
            f"train_data {data.shape}, train_indptr ends at {indptr[-1]}"
        )
    if np.any(np.diff(indptr) < 0) or (indices.size and (indices.min() < 0 or indices.max() >= n_items)):
        raise DataError(f"model file: training matrix indices are outside 0..{n_items - 1} or rows are out of order")
    return sp.csr_matrix((data.astype(np.float32), indices, indptr), shape=(n_users, n_items))
