"""Behaviour shared by the factorization models: parameters, the training loop's
callback protocol and recommendation queries (the ``.npz`` format is in `persistence`).

A model keeps the training matrix it was fitted on (``train_matrix_``) so that
`recommend` can leave out what a user has already seen, and so a saved model is
self-contained.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from embedviz.data.interactions import Interactions, check_usable, detect_kind
from embedviz.errors import DataError, NotFittedError
from embedviz.models.ranking import mask_seen, top_k
from embedviz.validation import check_indices, check_int

Callback = Callable[[int, dict], "bool | None"]


# --------------------------------------------------------------------------- parameter checks


# --------------------------------------------------------------------------- ranking helpers


class Recommender:
    """`recommend` built on ``score_users`` and the kept ``train_matrix_``."""

    train_matrix_: sp.csr_matrix     # set by fit / load; absent before

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

    # learned state (set by fit or load_model), declared for type checkers
    factors: int
    user_factors_: np.ndarray
    item_factors_: np.ndarray
    user_ids_: np.ndarray
    item_ids_: np.ndarray
    data_kind_: str
    loss_history_: list[dict]
    stopped_early_: bool
    extras_: dict[str, np.ndarray]

    _USER_ARRAYS: tuple[str, ...] = ("user_factors_",)
    _ITEM_ARRAYS: tuple[str, ...] = ("item_factors_",)
    _FITTED_SCALARS: tuple[str, ...] = ("loss_history_", "stopped_early_", "data_kind_")
    # name -> check of its JSON value on load, for learned scalars a subclass adds (default: a number)
    _FITTED_CHECKS: dict = {}

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
        self.__dict__.pop("train_matrix_", None)  # set last: a failed fit leaves the model unfitted
        self._check_size(data.n_users, data.n_items)
        self._fit(data, callback)
        self.train_matrix_ = data.matrix
        return self

    def _fit(self, data: Interactions, callback: Callback | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def _memory_estimate(self, n_users: int, n_items: int) -> int:
        """Bytes training needs at least: the factor matrices (a few float32 copies) and
        ``factors x factors`` float64 work matrices (Gramians, eigenvectors, solves)."""
        k = int(self.factors)
        return 12 * k * (n_users + n_items) + 64 * k * k

    def _check_size(self, n_users: int, n_items: int) -> None:
        """Refuse, before allocating anything, a model that cannot fit in this machine's memory."""
        need, available = self._memory_estimate(n_users, n_items), physical_memory()
        if available and need > available:
            from embedviz.data.limits import format_size

            # largest k with 64 k^2 + 12 k (n_users + n_items) <= available
            b = 12 * (n_users + n_items)
            largest = int((-b + (b * b + 256 * available) ** 0.5) / 128)
            raise ValueError(
                f"factors={self.factors} needs about {format_size(need)} to train on {n_users:,} users x "
                f"{n_items:,} items, more than this machine's {format_size(available)} of memory; "
                f"choose factors <= {largest:,} (a few hundred is plenty for most data)"
            )

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
        from embedviz.models.persistence import save_model

        save_model(self, path, **extra_arrays)


def physical_memory() -> int:
    """This machine's memory in bytes (0 when the system does not say)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


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


