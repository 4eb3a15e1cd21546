"""Biased matrix factorization for explicit ratings, trained by stochastic gradient descent.

Predicts ``mu + b_u + b_i + p_u.q_i`` and minimises, over the observed ratings only::

    sum_(u,i) (r_ui - mu - b_u - b_i - p_u.q_i)^2 + lam (b_u^2 + b_i^2 + |p_u|^2 + |q_i|^2)

one rating at a time: each step moves the parameters a ``learning_rate`` against the
gradient of that rating's term (the "crawl against the gradient"). A slice of the
training ratings is held out to measure validation RMSE per epoch and stop early.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from embedviz.data.interactions import Interactions
from embedviz.errors import TrainingDivergedError
from embedviz.models import _sgd_kernels as kernels
from embedviz.models.base import Callback, FactorizationModel
from embedviz.validation import check_bool, check_float, check_indices, check_int, check_random_state

_INIT_SCALE = 0.1


class _Ratings(NamedTuple):
    users: np.ndarray  # int32 (n,)
    items: np.ndarray  # int32 (n,)
    ratings: np.ndarray  # float32 (n,)

# Train RMSE this many times the starting RMSE means the steps overshoot.
_DIVERGENCE_FACTOR = 10.0


class GradientDescentMF(FactorizationModel):
    """Explicit-rating matrix factorization with global, user and item biases (SGD).

    Parameters
    ----------
    factors : int
        Embedding dimension k.
    learning_rate : float > 0
        SGD step size.
    regularization : float >= 0
        lam, L2 penalty applied at every step to the parameters it touches.
    epochs : int
        Maximum passes over the training ratings (shuffled each epoch).
    validation_fraction : float in [0, 1)
        Share of the training ratings held out to measure validation RMSE.
    early_stopping : bool
        Stop when validation RMSE has not improved for ``patience`` epochs and keep
        the best epoch's parameters. Needs ``validation_fraction > 0``.
    patience : int
        Epochs without improvement before stopping.
    random_state : int or None
        Seed of the initial factors, the validation slice and the shuffling.
    """

    _USER_ARRAYS = ("user_factors_", "user_bias_")
    _ITEM_ARRAYS = ("item_factors_", "item_bias_")
    _FITTED_SCALARS = (
        *FactorizationModel._FITTED_SCALARS, "global_bias_", "rating_min_", "rating_max_", "best_epoch_", "n_epochs_",
    )

    def __init__(
        self,
        factors: int = 64,
        learning_rate: float = 0.01,
        regularization: float = 0.05,
        epochs: int = 20,
        validation_fraction: float = 0.05,
        early_stopping: bool = True,
        patience: int = 3,
        random_state: int | None = None,
    ):
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.epochs = epochs
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.random_state = random_state

    def _validate_params(self) -> None:
        check_int("factors", self.factors, 1)
        check_float("learning_rate", self.learning_rate, 0.0, inclusive=False)
        check_float("regularization", self.regularization, 0.0)
        check_int("epochs", self.epochs, 1)
        check_float("validation_fraction", self.validation_fraction, 0.0, maximum=1.0)
        check_bool("early_stopping", self.early_stopping)
        check_int("patience", self.patience, 1)
        check_random_state(self.random_state)
        if self.early_stopping and self.validation_fraction == 0:
            raise ValueError("early_stopping=True needs validation_fraction > 0 (got 0); "
                             "set validation_fraction (e.g. 0.05) or early_stopping=False")

    # ---- training

    def _fit(self, data: Interactions, callback: Callback | None) -> None:
        coo = data.matrix.tocoo()
        rng = np.random.default_rng(self.random_state)
        train, valid = self._validation_split(rng, coo)
        self.global_bias_ = float(train.ratings.mean())
        self.rating_min_, self.rating_max_ = float(coo.data.min()), float(coo.data.max())
        k = self.factors
        self.user_factors_ = (rng.standard_normal((data.n_users, k)) * _INIT_SCALE).astype(np.float32)
        self.item_factors_ = (rng.standard_normal((data.n_items, k)) * _INIT_SCALE).astype(np.float32)
        self.user_bias_ = np.zeros(data.n_users, dtype=np.float32)
        self.item_bias_ = np.zeros(data.n_items, dtype=np.float32)
        self.best_epoch_, self.n_epochs_ = 0, 0
        # Each rating's step penalises the parameters it touches, so a user's penalty
        # counts once per training rating of that user.
        counts = (np.bincount(train.users, minlength=data.n_users), np.bincount(train.items, minlength=data.n_items))
        start_rmse = self._rmse(train)
        best_rmse, best_state = np.inf, None
        for epoch in range(self.epochs):
            squared_errors = kernels.sgd_epoch(
                train.users, train.items, train.ratings, int(rng.integers(2**31)), self.user_factors_,
                self.item_factors_, self.user_bias_, self.item_bias_, self.global_bias_, self.learning_rate,
                self.regularization,
            )
            self.n_epochs_ = epoch + 1
            losses = self._losses(squared_errors, train, valid, counts)
            self._check_diverged(epoch, losses["train_rmse"], start_rmse)
            watched = losses.get("validation_rmse", losses["train_rmse"])
            if watched < best_rmse:
                best_rmse, self.best_epoch_ = watched, epoch
                best_state = self._state() if self.early_stopping else None
            keep_going = self._report(epoch, losses, callback)
            if not keep_going or (self.early_stopping and epoch - self.best_epoch_ >= self.patience):
                break
        if best_state is not None and self.best_epoch_ < self.n_epochs_ - 1:
            self._restore_state(best_state)

    def _validation_split(self, rng: np.random.Generator, coo) -> tuple[_Ratings, _Ratings]:
        """Training and validation ratings (a random ``validation_fraction`` of the entries)."""
        n = coo.data.shape[0]
        n_valid = int(round(self.validation_fraction * n))
        valid = np.zeros(n, dtype=bool)
        valid[rng.permutation(n)[:n_valid]] = True
        users, items, ratings = coo.row.astype(np.int32), coo.col.astype(np.int32), coo.data.astype(np.float32)
        return (_Ratings(users[~valid], items[~valid], ratings[~valid]),
                _Ratings(users[valid], items[valid], ratings[valid]))

    def _rmse(self, ratings: _Ratings) -> float:
        total = kernels.squared_error(ratings.users, ratings.items, ratings.ratings, self.user_factors_,
                                      self.item_factors_, self.user_bias_, self.item_bias_, self.global_bias_)
        return float(np.sqrt(total / max(1, ratings.ratings.shape[0])))

    def _losses(self, squared_errors: float, train: _Ratings, valid: _Ratings, counts) -> dict:
        """RMSEs plus the training objective split into squared error and regularisation.

        The training error is the running one of the epoch (each rating's error just
        before its step), which costs nothing extra; validation RMSE is exact.
        """
        train_rmse = float(np.sqrt(squared_errors / max(1, train.ratings.shape[0])))
        user_norms = np.einsum("ij,ij->i", self.user_factors_, self.user_factors_) + self.user_bias_**2
        item_norms = np.einsum("ij,ij->i", self.item_factors_, self.item_factors_) + self.item_bias_**2
        observed = float(squared_errors)
        regularization = self.regularization * float(counts[0] @ user_norms + counts[1] @ item_norms)
        losses = {"train_rmse": train_rmse}
        if valid.ratings.shape[0]:
            losses["validation_rmse"] = self._rmse(valid)
        losses.update(observed=observed, regularization=regularization, total=observed + regularization)
        return losses

    def _check_diverged(self, epoch: int, train_rmse: float, start_rmse: float) -> None:
        if np.isfinite(train_rmse) and train_rmse <= _DIVERGENCE_FACTOR * max(start_rmse, 1e-3):
            return
        raise TrainingDivergedError(
            f"learning_rate too high: training diverged at epoch {epoch + 1} (train RMSE {train_rmse:.3g}, "
            f"started at {start_rmse:.3g}); try learning_rate <= {self.learning_rate / 2:g}"
        )

    def _state(self) -> tuple[np.ndarray, ...]:
        return tuple(getattr(self, name).copy() for name in (*self._USER_ARRAYS, *self._ITEM_ARRAYS))

    def _restore_state(self, state) -> None:
        for name, value in zip((*self._USER_ARRAYS, *self._ITEM_ARRAYS), state):
            setattr(self, name, value)

    # ---- queries

    def predict(self, user_indices, item_indices) -> np.ndarray:
        """Predicted ratings for (user, item) pairs, clipped to the training rating range.

        Parameters
        ----------
        user_indices, item_indices : array of int, shape (n,)

        Returns
        -------
        float32 ndarray, shape (n,)
        """
        self._check_fitted()
        users = np.atleast_1d(check_indices("user_indices", user_indices, self.user_bias_.shape[0], "user"))
        items = np.atleast_1d(check_indices("item_indices", item_indices, self.item_bias_.shape[0], "item"))
        if users.shape != items.shape:
            raise ValueError(
                f"user_indices and item_indices must have the same shape, got {users.shape} and {items.shape}"
            )
        predicted = kernels.predict_pairs(users.ravel(), items.ravel(), self.user_factors_, self.item_factors_,
                                          self.user_bias_, self.item_bias_, self.global_bias_)
        return np.clip(predicted, self.rating_min_, self.rating_max_).reshape(users.shape)

    def score_users(self, user_indices) -> np.ndarray:
        """Unclipped predicted ratings of all items, float32 (n_users_given, n_items)."""
        scores = super().score_users(user_indices)
        users = np.atleast_1d(np.asarray(user_indices))
        return scores + (self.global_bias_ + self.user_bias_[users])[:, None] + self.item_bias_[None, :]

    def score_items(self, user_vector) -> np.ndarray:
        """Scores of all items for a user vector, including global and item biases, float32 (n_items,)."""
        return super().score_items(user_vector) + np.float32(self.global_bias_) + self.item_bias_

    def fold_in(self, item_indices, values=None) -> np.ndarray:
        """Vector for a new user: ridge regression of (rating - global mean - item bias) on the item factors.

        The ridge penalty is ``regularization * n_ratings``, matching SGD's per-rating penalty.

        Parameters
        ----------
        item_indices : array of int, shape (n,)
        values : array of float, shape (n,), optional
            Ratings; default the highest training rating ("liked").

        Returns
        -------
        float32 ndarray, shape (factors,)
        """
        self._check_fitted()
        items, values = self._history(item_indices, values)
        if values is None:
            values = np.full(items.shape[0], self.rating_max_, dtype=np.float64)
        history = self.item_factors_[items].astype(np.float64)
        residual = values - self.global_bias_ - self.item_bias_[items]
        penalty = max(self.regularization * items.shape[0], 1e-6)
        system = history.T @ history + penalty * np.eye(self.factors)
        return np.linalg.solve(system, history.T @ residual).astype(np.float32)

    def explain(self, user_index_or_history, item_index: int, n: int = 3, values=None):
        """History items most similar to ``item_index`` (cosine of item factors).

        Parameters
        ----------
        user_index_or_history : int or array of int
            A training user's row number, or item indices of a history.
        item_index : int
        n : int
        values : ignored (accepted for the same signature as WALS.explain)

        Returns
        -------
        history_item_indices : int64 ndarray, shape (<= n,), most similar first
        similarities : float64 ndarray, same shape, cosine in [-1, 1]
        """
        self._check_fitted()
        n = check_int("n", n, 1)
        items, _ = self._history(user_index_or_history, values)
        index = int(check_indices("item_index", item_index, self.item_factors_.shape[0], "item"))
        target = self.item_factors_[index].astype(np.float64)
        history = self.item_factors_[items].astype(np.float64)
        norms = np.linalg.norm(history, axis=1) * np.linalg.norm(target)
        similarity = (history @ target) / np.where(norms > 0, norms, 1.0)
        order = np.argsort(-similarity, kind="stable")[:n]
        return items[order], similarity[order]
