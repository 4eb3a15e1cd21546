"""Behaviour shared by the factorization models: parameters, the training loop's
callback protocol, recommendation queries and the ``.npz`` save format.

A model keeps the training matrix it was fitted on (``train_matrix_``) so that
`recommend` can leave out what a user has already seen, and so a saved model is
self-contained.
"""
from __future__ import annotations

import inspect
import io
import json
import zipfile
import zlib
from importlib import import_module
from os import PathLike
from typing import Callable

import numpy as np
import scipy.sparse as sp

from embedviz.errors import DataError
from embedviz.interactions import Interactions, check_usable, detect_kind

Callback = Callable[[int, dict], "bool | None"]

FORMAT_VERSION = "embedviz-model/1"
# Model class name -> module that defines it (imported on load, so base.py stays import-light).
MODEL_CLASSES = {
    "WALS": "embedviz.models.wals",
    "GradientDescentMF": "embedviz.models.gradient_descent",
}
_EXTRA_PREFIX = "extra__"


class NotFittedError(ValueError, AttributeError):
    """A model was queried before `fit` (or `load_model`)."""


class TrainingDivergedError(ValueError, FloatingPointError):
    """Training produced NaN / inf or blew up; the message names the parameter to change."""


# --------------------------------------------------------------------------- parameter checks


def check_int(name: str, value, minimum: int) -> int:
    """Return ``value`` as int, or raise ValueError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_float(name: str, value, minimum: float, *, inclusive: bool = True, maximum: float | None = None) -> float:
    """Return ``value`` as float within the bounds, or raise ValueError naming the parameter."""
    bound = f">= {minimum}" if inclusive else f"> {minimum}"
    if maximum is not None:
        bound += f" and < {maximum}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")
    value = float(value)
    too_low = value < minimum if inclusive else value <= minimum
    if not np.isfinite(value) or too_low or (maximum is not None and value >= maximum):
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")
    return value


def check_choice(name: str, value, choices) -> str:
    """Raise ValueError unless ``value`` is one of ``choices`` (a lookup table or tuple)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_random_state(value) -> int | None:
    """``random_state`` is None (fresh randomness) or a non-negative int (reproducible)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"random_state must be None or a non-negative integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- ranking helpers


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` columns per row, best first (ties inside the top k: lower column first).

    Parameters
    ----------
    scores : ndarray, shape (n_rows, n_cols)
    k : int

    Returns
    -------
    indices : int64 ndarray, shape (n_rows, min(k, n_cols))
    values : ndarray, shape (n_rows, min(k, n_cols))
    """
    k = min(k, scores.shape[1])
    if k < scores.shape[1]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)  # equal scores: lower index first
    indices = np.take_along_axis(part, order, axis=1).astype(np.int64)
    return indices, np.take_along_axis(part_scores, order, axis=1)


def mask_seen(scores: np.ndarray, matrix: sp.csr_matrix, rows: np.ndarray) -> None:
    """Set ``scores[b, j] = -inf`` where ``matrix[rows[b], j]`` is stored; in place."""
    sub = matrix[rows]
    batch_rows = np.repeat(np.arange(len(rows)), np.diff(sub.indptr))
    scores[batch_rows, sub.indices] = -np.inf


def check_indices(name: str, values, size: int, what: str) -> np.ndarray:
    indices = np.asarray(values)
    if indices.dtype.kind not in "iu":
        raise ValueError(f"{name} must be integer {what} indices (row numbers), got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        bad = indices[(indices < 0) | (indices >= size)].ravel()[0]
        raise IndexError(f"{name} {bad} is out of range: the model has {size} {what}s (0..{size - 1})")
    return indices.astype(np.int64)


class Recommender:
    """`recommend` built on ``score_users`` and the kept ``train_matrix_``."""

    def score_users(self, user_indices) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def recommend(self, user_index, k: int = 10, exclude_seen: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items for one user (1-D results) or an array of users (2-D results).

        Parameters
        ----------
        user_index : int or array of int, shape (n,)
            Row numbers of the users.
        k : int
        exclude_seen : bool
            Leave out items the user interacted with in the training data.

        Returns
        -------
        item_indices : int64 ndarray, shape (k,) or (n, k)
            Column numbers, best first. For one user, excluded items are dropped (the
            result may be shorter than ``k``); for a batch, missing slots hold -1.
        scores : float32 ndarray, same shape; -inf in the missing slots of a batch.
        """
        self._check_fitted()
        k = check_int("k", k, 1)
        n_users = self.train_matrix_.shape[0]
        users = check_indices("user_index", user_index, n_users, "user")
        rows = np.atleast_1d(users)
        scores = self.score_users(rows)
        if exclude_seen:
            mask_seen(scores, self.train_matrix_, rows)
        items, best = top_k(scores, k)
        items[np.isneginf(best)] = -1
        if users.ndim == 0:
            keep = items[0] >= 0
            return items[0][keep], best[0][keep]
        return items, best

    def _check_fitted(self) -> None:
        if getattr(self, "train_matrix_", None) is None:
            raise NotFittedError(
                f"{type(self).__name__} is not fitted yet: call fit(interactions) first (or load a saved model)"
            )


# --------------------------------------------------------------------------- the model base class


class FactorizationModel(Recommender):
    """Base class: sklearn-style parameters, training loop protocol, queries, save.

    Subclasses define ``__init__`` (store parameters only), ``_validate_params``,
    ``_fit``, ``fold_in`` and ``explain``, and list their learned arrays in
    ``_USER_ARRAYS`` / ``_ITEM_ARRAYS`` and their learned scalars in ``_FITTED_SCALARS``.
    """

    _USER_ARRAYS: tuple[str, ...] = ("user_factors_",)
    _ITEM_ARRAYS: tuple[str, ...] = ("item_factors_",)
    _FITTED_SCALARS: tuple[str, ...] = ("loss_history_", "stopped_early_", "data_kind_")

    # ---- parameters

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [name for name in signature.parameters if name != "self"]

    def get_params(self) -> dict:
        """Constructor parameters as a dict (JSON-serialisable)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={value!r}" for name, value in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _validate_params(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    # ---- training

    def fit(self, interactions, callback: Callback | None = None):
        """Learn user and item factors.

        Parameters
        ----------
        interactions : Interactions or scipy.sparse matrix, shape (n_users, n_items)
        callback : callable(iteration: int, losses: dict) -> bool or None, optional
            Called after each iteration / epoch (``iteration`` counts from 0, like
            implicit's callback; the losses are those after that iteration). Returning
            False stops training after that iteration; the model stays usable and
            ``stopped_early_`` is True.

        Returns
        -------
        self
        """
        self._validate_params()
        if callback is not None and not callable(callback):
            raise ValueError(f"callback must be callable or None, got {type(callback).__name__}")
        data = as_interactions(interactions)
        self.user_ids_ = data.user_ids
        self.item_ids_ = data.item_ids
        self.data_kind_ = data.kind
        self.loss_history_ = []
        self.stopped_early_ = False
        self.extras_ = {}
        self.train_matrix_ = None  # set last: a failed fit leaves the model unfitted
        self._fit(data, callback)
        self.train_matrix_ = data.matrix
        return self

    def _fit(self, data: Interactions, callback: Callback | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def _report(self, iteration: int, losses: dict, callback: Callback | None) -> bool:
        """Record one iteration's losses; return False when the callback asked to stop."""
        self.loss_history_.append(losses)
        if callback is not None and callback(iteration, dict(losses)) is False:
            self.stopped_early_ = True
            return False
        return True

    # ---- queries

    def score_users(self, user_indices) -> np.ndarray:
        """Scores of all items for the given users, float32 (n_users_given, n_items)."""
        self._check_fitted()
        users = check_indices("user_indices", user_indices, self.user_factors_.shape[0], "user")
        return np.atleast_2d(self.user_factors_[users] @ self.item_factors_.T)

    def score_items(self, user_vector) -> np.ndarray:
        """Scores of all items for one user vector (factors,), float32 (n_items,)."""
        self._check_fitted()
        return self.item_factors_ @ self._check_vector(user_vector)

    def recommend_vector(self, vector, k: int = 10, exclude=None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items for a user vector (e.g. from `fold_in`).

        Parameters
        ----------
        vector : ndarray, shape (factors,)
        k : int
        exclude : array of int, optional
            Item indices to leave out (typically the items the vector was folded in from).

        Returns
        -------
        item_indices : int64 ndarray, shape (<= k,), best first
        scores : float32 ndarray, shape (<= k,)
        """
        k = check_int("k", k, 1)
        scores = self.score_items(vector).astype(np.float32, copy=True)
        if exclude is not None:
            scores[check_indices("exclude", exclude, scores.shape[0], "item")] = -np.inf
        items, best = top_k(scores[None, :], k)
        keep = ~np.isneginf(best[0])
        return items[0][keep], best[0][keep]

    def _check_vector(self, vector) -> np.ndarray:
        vector = np.asarray(vector, dtype=np.float32)
        factors = self.item_factors_.shape[1]
        if vector.shape != (factors,):
            raise ValueError(f"user vector must have shape ({factors},), got {vector.shape}")
        return vector

    def _history(self, user_index_or_history, values=None) -> tuple[np.ndarray, np.ndarray | None]:
        """(item indices, values or None) of a training user (int) or of a given history."""
        if isinstance(user_index_or_history, (int, np.integer)):
            user = int(check_indices("user_index", user_index_or_history, self.train_matrix_.shape[0], "user"))
            row = self.train_matrix_[user]
            return row.indices.astype(np.int64), row.data.astype(np.float32)
        n_items = self.train_matrix_.shape[1]
        items = check_indices("item_indices", np.atleast_1d(user_index_or_history), n_items, "item")
        if values is None:
            return items, None
        values = np.asarray(values, dtype=np.float32)
        if values.shape != items.shape:
            raise ValueError(f"values must have one entry per item: {items.shape[0]} items, got shape {values.shape}")
        if not np.all(np.isfinite(values)):
            raise ValueError("values must be finite numbers")
        return items, values

    # ---- persistence

    def save(self, path, **extra_arrays) -> None:
        """Write the fitted model (and any extra named arrays) to an ``.npz`` file.

        Parameters
        ----------
        path : str, PathLike or binary file object
            Written exactly as given (no ``.npz`` suffix is added).
        **extra_arrays : array-like
            Stored alongside, returned by `load_model` as ``model.extras_``. Arrays of
            Python strings are stored as unicode arrays; other object arrays are refused.
        """
        self._check_fitted()
        arrays = {
            "format_version": np.array(FORMAT_VERSION),
            "model_class": np.array(type(self).__name__),
            "params": np.array(json.dumps(self.get_params())),
            "fitted": np.array(json.dumps({name: getattr(self, name) for name in self._FITTED_SCALARS})),
            "train_indptr": self.train_matrix_.indptr.astype(np.int64),
            "train_indices": self.train_matrix_.indices.astype(np.int32),
            "train_data": self.train_matrix_.data.astype(np.float32),
        }
        for which, ids in (("user", self.user_ids_), ("item", self.item_ids_)):
            stored, kind = _encode_ids(ids)
            arrays[f"{which}_ids"] = stored
            arrays[f"{which}_id_kind"] = np.array(kind)
        for name in (*self._USER_ARRAYS, *self._ITEM_ARRAYS):
            arrays[name.rstrip("_")] = getattr(self, name)
        for name, value in extra_arrays.items():
            arrays[_EXTRA_PREFIX + name] = _encode_extra(name, value)
        if isinstance(path, (str, PathLike)):
            with open(path, "wb") as handle:
                np.savez_compressed(handle, **arrays)
        else:
            np.savez_compressed(path, **arrays)


def as_interactions(data) -> Interactions:
    """Accept `Interactions` or a scipy sparse matrix; check it can be factorized."""
    if isinstance(data, Interactions):
        matrix = data.matrix
    elif sp.issparse(data):
        matrix = sp.csr_matrix(data, dtype=np.float32)
        matrix.sum_duplicates()
        matrix.sort_indices()
        data = Interactions(
            matrix, np.arange(matrix.shape[0]), np.arange(matrix.shape[1]), detect_kind(matrix.data), None
        )
    else:
        raise ValueError(
            f"interactions must be an embedviz Interactions or a scipy sparse matrix, got {type(data).__name__}"
        )
    check_usable(data, "training data")
    if matrix.nnz == 0:
        raise DataError("training data: the matrix has no interactions")
    if not np.all(np.isfinite(matrix.data)):
        raise DataError("training data: values must be finite; found NaN or inf")
    return data


# --------------------------------------------------------------------------- save / load helpers


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
    class_name = str(arrays["model_class"])
    if class_name not in MODEL_CLASSES:
        raise DataError(f"model file: unknown model class {class_name!r}; expected one of {sorted(MODEL_CLASSES)}")
    cls = getattr(import_module(MODEL_CLASSES[class_name]), class_name)
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
