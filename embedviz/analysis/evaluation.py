"""Held-out evaluation: train/test splits, top-k ranking metrics and a popularity baseline.

Ranking metrics use binary relevance (an item is relevant when the user interacted
with it in the test split) and are averaged over the users that have test items:

- precision@k = hits / k
- recall@k    = hits / n_relevant
- ndcg@k      = DCG / ideal DCG, gains 1 / log2(rank + 1)
- map@k       = sum of precision@rank at each hit / min(k, n_relevant)
- coverage@k  = distinct items recommended to anyone / n_items (catalogue coverage)
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from embedviz.data.interactions import Interactions
from embedviz.errors import DataError
from embedviz.models.base import Recommender, as_interactions
from embedviz.models.ranking import mask_seen, top_k
from embedviz.validation import check_float, check_int

# Scores of this many (user, item) pairs are held in memory at once while evaluating.
_SCORE_BUDGET = 16_000_000


# --------------------------------------------------------------------------- splits


def _random_holdout(data: Interactions, test_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Rank each user's entries randomly; the first round(fraction * n) go to test."""
    priority = rng.random(data.nnz)
    return _first_per_user(data, priority, test_fraction)


def _latest_holdout(data: Interactions, test_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Each user's most recent entries go to test (ties broken at random)."""
    if data.timestamps is None:
        raise DataError("split(by='time') needs timestamps, and this data has none; use by='user'")
    tie_break = rng.random(data.nnz)
    # Rank newest first: sort by -time, then the random tie-break.
    order_key = np.lexsort((tie_break, -data.timestamps.astype(np.float64)))
    priority = np.empty(data.nnz)
    priority[order_key] = np.arange(data.nnz)
    return _first_per_user(data, priority, test_fraction)


def _first_per_user(data: Interactions, priority: np.ndarray, test_fraction: float) -> np.ndarray:
    """Test mask (nnz,): per user, the entries with the lowest priority, keeping >= 1 in train."""
    counts = data.user_activity()
    rows = np.repeat(np.arange(data.n_users), counts)
    order = np.lexsort((priority, rows))
    starts = np.repeat(np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    rank = np.empty(data.nnz, dtype=np.int64)
    rank[order] = np.arange(data.nnz) - starts
    n_test = np.minimum(np.floor(test_fraction * counts + 0.5), np.maximum(counts - 1, 0)).astype(np.int64)
    return rank < n_test[rows]


SPLITS = {"user": _random_holdout, "time": _latest_holdout}


def split(data: Interactions, test_fraction: float = 0.2, by: str = "user", seed: int = 0):
    """Hold out part of each user's interactions for testing.

    Parameters
    ----------
    data : Interactions, shape (n_users, n_items)
    test_fraction : float in (0, 1)
        Share of each user's interactions held out (rounded per user; every user
        keeps at least one training interaction).
    by : {"user", "time"}
        "user": a random share per user; "time": each user's latest share (needs timestamps).
    seed : int
        Seed of the random choice (and of tie-breaks for equal timestamps).

    Returns
    -------
    train, test : Interactions
        Same shape and ids as ``data``; every entry is in exactly one of them.
    """
    if not isinstance(data, Interactions):
        raise ValueError(f"data must be an embedviz Interactions, got {type(data).__name__}")
    test_fraction = check_float("test_fraction", test_fraction, 0.0, inclusive=False, maximum=1.0)
    if by not in SPLITS:
        raise ValueError(f"by must be one of {sorted(SPLITS)}, got {by!r}")
    seed = check_int("seed", seed, 0)
    test_mask = SPLITS[by](data, test_fraction, np.random.default_rng(seed))
    return data.select(~test_mask), data.select(test_mask)


# --------------------------------------------------------------------------- metrics


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def precision_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per user: hits in the top k / k. ``hits`` is bool (n_users, <= k) in rank order."""
    return hits.sum(axis=1) / k


def recall_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per user: hits in the top k / number of relevant items."""
    return hits.sum(axis=1) / n_relevant


def ndcg_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per user: DCG of the ranking / DCG of a perfect ranking (binary gains)."""
    discounts = _discounts(k)
    dcg = hits @ discounts[: hits.shape[1]]
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, k) - 1]
    return dcg / ideal


def map_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per user: average of precision@rank over the ranks of the hits, / min(k, n_relevant)."""
    ranks = np.arange(1, hits.shape[1] + 1)
    precision_at_rank = np.cumsum(hits, axis=1) / ranks
    return (precision_at_rank * hits).sum(axis=1) / np.minimum(n_relevant, k)


RANKING_METRICS = {"precision": precision_at_k, "recall": recall_at_k, "ndcg": ndcg_at_k, "map": map_at_k}


def evaluate(model, train: Interactions, test: Interactions, k: int = 10) -> dict:
    """Held-out quality of a fitted model (or `PopularityBaseline`).

    Every user with test interactions gets a top-``k`` list over all items except
    their training items; the lists are scored against the test items.

    Parameters
    ----------
    model : fitted model with ``score_users``
    train, test : Interactions, same shape (from `split`)
    k : int

    Returns
    -------
    dict
        "precision@k", "recall@k", "ndcg@k", "map@k", "coverage@k" (with the actual k),
        plus "rmse" and "mae" when the model has ``predict`` and the test data is explicit.
    """
    k = check_int("k", k, 1)
    if train.matrix.shape != test.matrix.shape:
        raise ValueError(f"train and test must have the same shape, got {train.matrix.shape} and {test.matrix.shape}")
    users = np.flatnonzero(test.user_activity() > 0)
    totals = dict.fromkeys(RANKING_METRICS, 0.0)
    recommended = np.zeros(train.n_items, dtype=bool)
    test_keys = _pair_keys(test.matrix)
    for _, rows, items, valid in top_k_unseen(model, train, users, k):
        recommended[items[valid]] = True
        keys = rows[:, None].astype(np.int64) * train.n_items + items
        hits = _contains(test_keys, keys) & valid
        n_relevant = np.diff(test.matrix.indptr)[rows]
        for name, metric in RANKING_METRICS.items():
            totals[name] += float(metric(hits, n_relevant, k).sum())
    n_users = max(1, len(users))
    results = {f"{name}@{k}": total / n_users for name, total in totals.items()}
    results[f"coverage@{k}"] = float(recommended.mean())
    if hasattr(model, "predict") and test.kind == "explicit" and test.nnz:
        results.update(_rating_errors(model, test))
    return results


def top_k_unseen(model, train: Interactions, users: np.ndarray, k: int):
    """Top-``k`` lists of ``users`` with their training items left out, scored a batch at a time
    (bounded memory).

    Yields
    ------
    (start, rows, items, valid)
        Offset of the batch in ``users``, its user rows, their top items (batch, k), and which
        of those are real (False where a user has fewer than ``k`` unseen items).
    """
    batch = max(1, _SCORE_BUDGET // max(1, train.n_items))
    for start in range(0, len(users), batch):
        rows = users[start : start + batch]
        scores = np.array(model.score_users(rows), dtype=np.float32)
        mask_seen(scores, train.matrix, rows)
        items, best = top_k(scores, k)
        yield start, rows, items, ~np.isneginf(best)


def _pair_keys(matrix: sp.csr_matrix) -> np.ndarray:
    """row * n_cols + col for every stored entry (sorted, as the matrix is canonical CSR)."""
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    return rows * matrix.shape[1] + matrix.indices


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Elementwise ``key in sorted_keys`` (binary search), same shape as ``keys``."""
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    positions = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[positions] == keys


def _rating_errors(model, test: Interactions) -> dict:
    coo = test.matrix.tocoo()
    errors = model.predict(coo.row, coo.col).astype(np.float64) - coo.data
    return {"rmse": float(np.sqrt(np.mean(errors**2))), "mae": float(np.mean(np.abs(errors)))}


# --------------------------------------------------------------------------- baseline


class PopularityBaseline(Recommender):
    """Recommends the items with the most training interactions to everyone.

    Same query API as the factorization models (`recommend`, `score_users`,
    `score_items`), so its metrics can be shown next to theirs.
    """

    def fit(self, interactions: Interactions):
        """Count interactions per item. Returns self."""
        data = as_interactions(interactions)
        self.item_popularity_ = data.item_popularity().astype(np.float32)
        self.user_ids_, self.item_ids_ = data.user_ids, data.item_ids
        self.train_matrix_ = data.matrix
        return self

    def score_items(self, user_vector=None) -> np.ndarray:
        """Popularity of every item, float32 (n_items,); the same for any user."""
        self._check_fitted()
        return self.item_popularity_.copy()

    def score_users(self, user_indices) -> np.ndarray:
        """Popularity of every item for each given user, float32 (n_users_given, n_items)."""
        self._check_fitted()
        n = np.atleast_1d(np.asarray(user_indices)).shape[0]
        return np.broadcast_to(self.item_popularity_, (n, self.item_popularity_.shape[0])).copy()
