"""The ``.npz`` model format: what `FactorizationModel.save` writes and `load_model` reads.

Plain arrays and JSON strings only, read with ``allow_pickle=False``; the model class is
looked up in the registry, so a new model needs no change here.
"""
from __future__ import annotations

import json
from os import PathLike
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from embedviz.data.interactions import KINDS
from embedviz.data.limits import DEFAULT_MAX_BYTES, memory_limit, parse_slot
from embedviz.data.npyfiles import read_npz
from embedviz.data.sources import read_bytes, source_name
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


def load_model(source, *, name: str | None = None,
               max_bytes: int | None = DEFAULT_MAX_BYTES) -> FactorizationModel:
    """Load a model written by ``model.save`` (never unpickles anything).

    Parameters
    ----------
    source : str, PathLike, bytes or binary file object
    name : str, optional
        The file's name in messages (default: the path's name, else "model file").
    max_bytes : int or None
        Size limit of the file (default 200 MB, like uploads); what it may unpack to in
        memory is `embedviz.data.limits.memory_limit`. None: no limits (local files).

    Returns
    -------
    FactorizationModel
        Fitted model; extra arrays given to ``save`` are in ``model.extras_``.

    Raises
    ------
    DataError
        When the file is not a model archive, is truncated, holds pickled objects, would
        unpack past the memory limit, lacks keys, has inconsistent shapes, non-finite
        factors, duplicate ids or names an unknown model class. The message names the
        file and the field.
    """
    label = name or (source_name(source) if isinstance(source, (str, PathLike)) else "model file")
    with parse_slot(label):
        raw = read_bytes(source, name=label, max_bytes=max_bytes) if _is_source(source) else None
        if raw is None:
            raise DataError(f"{label}: expected a path, bytes or a file object, got {type(source).__name__}")
        if not raw.startswith(b"PK\x03\x04"):
            raise DataError(f"{label}: {_describe_non_zip(raw)}; expected an .npz archive written by model.save()")
        arrays = read_npz(raw, label, memory_limit(max_bytes))
        del raw
        model = _build_model(arrays, label)
        _restore_fitted(model, arrays, label)
    return model


def _is_source(source) -> bool:
    return isinstance(source, (bytes, bytearray, memoryview, str, PathLike)) or hasattr(source, "read")


def _describe_non_zip(raw: bytes) -> str:
    if not raw:
        return "the file is empty"
    if raw[:1] == b"\x80":
        return "the file is a Python pickle, which is never loaded (it could run arbitrary code)"
    if raw.startswith(b"\x93NUMPY"):
        return "the file is a single .npy array, not a model archive"
    return f"not a zip/.npz archive (it starts with {raw[:16]!r})"


_COMMON_KEYS = (
    "format_version", "model_class", "params", "fitted", "train_indptr", "train_indices", "train_data",
    "user_ids", "user_id_kind", "item_ids", "item_id_kind",
)


def text_field(arrays: dict, key: str, name: str) -> str:
    """A text value stored as a 0-d string array (``np.array("...")``), or DataError."""
    value = arrays[key]
    if value.dtype.kind != "U" or value.ndim != 0:
        raise DataError(f"{name}: {key} should be one text value, found an array of shape {value.shape} "
                        f"and dtype {value.dtype}")
    return str(value)


def json_field(arrays: dict, key: str, name: str, expected: type = dict):
    """A JSON text field decoded, checked to be an ``expected`` (object -> dict), or DataError."""
    try:
        value = json.loads(text_field(arrays, key, name))
    except json.JSONDecodeError as error:
        raise DataError(f"{name}: {key} is not valid JSON ({error}); expected a JSON "
                        f"{_JSON_NAMES[expected]}") from None
    if not isinstance(value, expected):
        raise DataError(f"{name}: {key} should be a JSON {_JSON_NAMES[expected]}, found "
                        f"{_JSON_NAMES.get(type(value), type(value).__name__)}")
    return value


_JSON_NAMES = {dict: "object", list: "list", str: "string", int: "whole number", float: "number",
               bool: "true/false", type(None): "null"}


def _build_model(arrays: dict, name: str) -> FactorizationModel:
    missing = [key for key in ("model_class", "params") if key not in arrays]
    if missing:
        raise DataError(f"{name}: missing keys {missing}; is this a file written by model.save()?")
    from embedviz.models.registry import LOADED_ONLY, MODELS, model_class

    class_name = text_field(arrays, "model_class", name)
    try:
        cls = model_class(class_name)
    except KeyError:
        raise DataError(f"{name}: unknown model class {class_name[:80]!r}; expected one of "
                        f"{sorted([*MODELS, *LOADED_ONLY])}") from None
    needed = (*_COMMON_KEYS, *(key.rstrip("_") for key in (*cls._USER_ARRAYS, *cls._ITEM_ARRAYS)))
    missing = [key for key in needed if key not in arrays]
    if missing:
        raise DataError(f"{name}: missing keys {missing}")
    params = json_field(arrays, "params", name)
    try:
        model = cls(**params)
        model._validate_params()
    except (TypeError, ValueError) as error:
        raise DataError(f"{name}: invalid {class_name} parameters ({error})") from None
    return model


def _restore_fitted(model: FactorizationModel, arrays: dict, name: str) -> None:
    user_ids = _checked_ids(arrays, "user", name)
    item_ids = _checked_ids(arrays, "item", name)
    n_users, n_items = len(user_ids), len(item_ids)
    factors = model.factors
    for names, rows, what in ((model._USER_ARRAYS, n_users, "user_ids"), (model._ITEM_ARRAYS, n_items, "item_ids")):
        for attribute in names:
            key = attribute.rstrip("_")
            expected = (rows, factors) if attribute.endswith("factors_") else (rows,)
            setattr(model, attribute, _finite_floats(arrays[key], key, expected, f"{rows} {what}, "
                                                     f"factors={factors}", name))
    model.train_matrix_ = _restore_matrix(arrays, n_users, n_items, name)
    model.user_ids_, model.item_ids_ = user_ids, item_ids
    fitted = json_field(arrays, "fitted", name)
    legacy = model._legacy_fitted() if hasattr(model, "_legacy_fitted") else {}   # files from before a scalar
    missing = [scalar for scalar in model._FITTED_SCALARS if scalar not in fitted and scalar not in legacy]
    if missing:
        raise DataError(f"{name}: 'fitted' lacks {missing}")
    for scalar in model._FITTED_SCALARS:
        value = fitted[scalar] if scalar in fitted else legacy[scalar]
        setattr(model, scalar, _checked_scalar(scalar, value, name, model._FITTED_CHECKS))
    model.extras_ = {
        key[len(_EXTRA_PREFIX):]: value for key, value in arrays.items() if key.startswith(_EXTRA_PREFIX)
    }


def _checked_ids(arrays: dict, which: str, name: str) -> np.ndarray:
    """``user_ids`` / ``item_ids``: 1-D, numbers or text as their ``*_id_kind`` says, all distinct."""
    key, kind = f"{which}_ids", text_field(arrays, f"{which}_id_kind", name)
    stored = arrays[key]
    if kind not in _ID_KINDS:
        raise DataError(f"{name}: {which}_id_kind is {kind[:40]!r}; expected one of {sorted(_ID_KINDS)}")
    if stored.ndim != 1 or stored.dtype.kind not in _ID_KINDS[kind]:
        raise DataError(f"{name}: {key} should be a 1-D array of {kind} ids, found shape {stored.shape} "
                        f"and dtype {stored.dtype}")
    unique, counts = np.unique(stored, return_counts=True)
    if len(unique) != len(stored):
        example = unique[np.argmax(counts)]
        raise DataError(f"{name}: {key} holds {len(stored) - len(unique):,} duplicate id(s) (e.g. "
                        f"{str(example)[:40]!r}); expected one row per {which}")
    if kind == "numeric" and stored.dtype.kind == "f" and not np.isfinite(stored).all():
        raise DataError(f"{name}: {key} holds NaN or infinite ids; expected one id per {which}")
    return _decode_ids(stored, kind)


_ID_KINDS = {"numeric": "iufb", "str": "U"}


def _finite_floats(array: np.ndarray, key: str, expected: tuple, explain: str, name: str) -> np.ndarray:
    if array.shape != expected:
        raise DataError(f"{name}: {key} has shape {array.shape}, expected {expected} ({explain})")
    if array.dtype.kind != "f":
        raise DataError(f"{name}: {key} should hold floating-point numbers, found dtype {array.dtype}")
    bad = ~np.isfinite(array)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise DataError(f"{name}: {key} holds {int(bad.sum()):,} NaN or infinite value(s) (first in row "
                        f"{row + 1}); expected finite numbers - retrain the model")
    return array


def _checked_scalar(key: str, value, name: str, own_checks: dict):
    """A learned scalar from the 'fitted' JSON, checked for its kind of value (a model class may
    declare checks for scalars of its own in ``_FITTED_CHECKS``)."""
    ok = {
        **own_checks,
        "loss_history_": lambda v: isinstance(v, list) and all(
            isinstance(e, dict) and all(_is_number(x) for x in e.values()) for e in v),
        "stopped_early_": lambda v: isinstance(v, bool),
        "data_kind_": lambda v: v in KINDS,
    }.get(key, lambda v: v is None or _is_number(v))
    if not ok(value):
        raise DataError(f"{name}: 'fitted' has an invalid {key.rstrip('_')} ({str(value)[:60]}); "
                        "the file was not written by model.save() or was edited")
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def _restore_matrix(arrays: dict, n_users: int, n_items: int, name: str) -> sp.csr_matrix:
    indptr, indices, data = arrays["train_indptr"], arrays["train_indices"], arrays["train_data"]
    for key, array, kinds in (("train_indptr", indptr, "iu"), ("train_indices", indices, "iu"),
                              ("train_data", data, "iuf")):
        if array.ndim != 1 or array.dtype.kind not in kinds:
            raise DataError(f"{name}: {key} should be a 1-D array of {'numbers' if 'f' in kinds else 'integers'}, "
                            f"found shape {array.shape} and dtype {array.dtype}")
    if indptr.shape != (n_users + 1,):
        raise DataError(
            f"{name}: train_indptr has shape {indptr.shape}, expected ({n_users + 1},) for {n_users} users"
        )
    if indices.shape != data.shape or indptr[-1] != indices.shape[0] or indptr[0] != 0:
        raise DataError(
            f"{name}: training matrix parts disagree: train_indices {indices.shape}, "
            f"train_data {data.shape}, train_indptr ends at {indptr[-1]}"
        )
    if np.any(np.diff(indptr) < 0) or (indices.size and (indices.min() < 0 or indices.max() >= n_items)):
        raise DataError(f"{name}: training matrix indices are outside 0..{n_items - 1} or rows are out of order")
    if not np.isfinite(data).all():
        raise DataError(f"{name}: train_data holds {int((~np.isfinite(data)).sum()):,} NaN or infinite "
                        "interaction value(s); expected finite numbers")
    matrix = sp.csr_matrix((data.astype(np.float32), indices, indptr), shape=(n_users, n_items))
    if not matrix.has_canonical_format:
        raise DataError(f"{name}: the training matrix repeats an item within a user's row or is unsorted; "
                        "expected one entry per (user, item)")
    return matrix
