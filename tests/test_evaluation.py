"""Splits, ranking metrics (against a plain-Python reference) and the popularity baseline."""
import math

import numpy as np
import pytest
import scipy.sparse as sp

from embedviz.analysis.evaluation import (
    RANKING_METRICS,
    PopularityBaseline,
    evaluate,
    map_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    split,
)
from embedviz.data.interactions import Interactions, from_arrays
from embedviz.errors import DataError

# --------------------------------------------------------------------------- plain-Python reference


def reference_metrics(ranked: list, relevant: set, k: int) -> dict:
    top = ranked[:k]
    hits = [item in relevant for item in top]
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    precision_sum, found = 0.0, 0
    for i, hit in enumerate(hits):
        if hit:
            found += 1
            precision_sum += found / (i + 1)
    return {
        "precision": sum(hits) / k,
        "recall": sum(hits) / len(relevant),
        "ndcg": sum(1 / math.log2(i + 2) for i, hit in enumerate(hits) if hit) / ideal,
        "map": precision_sum / min(k, len(relevant)),
    }


CASES = [
    # ranked list, relevant set, k
    ([1, 2, 3, 4], {1}, 4),
    ([1, 2, 3, 4], {4}, 4),
    ([5, 1, 6, 2], {1, 2, 9}, 4),
    ([5, 6, 7], {1, 2}, 3),
    ([1, 2, 3], {1, 2, 3, 4, 5, 6}, 3),
    ([3, 1, 2, 0, 7], {0, 1, 2, 3, 7}, 5),
]


@pytest.mark.parametrize("ranked, relevant, k", CASES)
def test_metric_functions_match_reference(ranked, relevant, k):
    hits = np.array([[item in relevant for item in ranked[:k]]])
    n_relevant = np.array([len(relevant)])
    expected = reference_metrics(ranked, relevant, k)
    for name, metric in RANKING_METRICS.items():
        assert metric(hits, n_relevant, k)[0] == pytest.approx(expected[name]), name


def test_known_values():
    hits = np.array([[True, False, True, False]])
    assert precision_at_k(hits, np.array([2]), 4)[0] == 0.5
    assert recall_at_k(hits, np.array([4]), 4)[0] == 0.5
    assert map_at_k(hits, np.array([2]), 4)[0] == pytest.approx((1 + 2 / 3) / 2)
    assert ndcg_at_k(np.array([[True, True]]), np.array([2]), 2)[0] == pytest.approx(1.0)


# --------------------------------------------------------------------------- evaluate


class FixedScores:
    """A 'model' whose scores are a given matrix (n_users, n_items)."""

    def __init__(self, scores, predictions=None):
        self.scores = np.asarray(scores, dtype=np.float32)
        self.predictions = predictions

    def score_users(self, users):
        return self.scores[users]


def interactions(dense, kind="implicit") -> Interactions:
    matrix = sp.csr_matrix(np.asarray(dense, dtype=np.float32))
    return Interactions(matrix, np.arange(matrix.shape[0]), np.arange(matrix.shape[1]), kind, None)


def test_evaluate_matches_reference_and_masks_training_items():
    rng = np.random.default_rng(0)
    n_users, n_items, k = 12, 15, 4
    train_dense = (rng.random((n_users, n_items)) < 0.2).astype(float)
    test_dense = ((rng.random((n_users, n_items)) < 0.3) & (train_dense == 0)).astype(float)
    test_dense[0] = 0  # a user without test items is skipped
    scores = rng.random((n_users, n_items))
    train, test = interactions(train_dense), interactions(test_dense)
    results = evaluate(FixedScores(scores), train, test, k=k)

    per_user, recommended = [], set()
    for user in range(n_users):
        relevant = set(np.flatnonzero(test_dense[user]))
        candidates = [i for i in np.argsort(-scores[user]) if train_dense[user, i] == 0]
        if relevant:
            recommended |= set(candidates[:k])
            per_user.append(reference_metrics(candidates, relevant, k))
    for name in RANKING_METRICS:
        assert results[f"{name}@{k}"] == pytest.approx(np.mean([m[name] for m in per_user])), name
    assert results["coverage@4"] == pytest.approx(len(recommended) / n_items)
    assert set(results) == {"precision@4", "recall@4", "ndcg@4", "map@4", "coverage@4"}


def test_coverage_counts_distinct_recommended_items():
    seen = np.zeros((3, 6))
    seen[0, 5] = seen[1, 0] = seen[2, 0] = 1  # user 0 already has the top item
    train, test = interactions(seen), interactions(np.eye(3, 6, 1))
    same_for_all = FixedScores(np.tile(np.arange(6.0), (3, 1)))
    assert evaluate(same_for_all, train, test, k=2)["coverage@2"] == pytest.approx(3 / 6)


def test_rmse_and_mae_for_explicit_models():
    class Predicting(FixedScores):
        def predict(self, users, items):
            return np.full(len(users), 3.0, dtype=np.float32)

    train = interactions([[4, 0], [0, 2]], kind="explicit")
    test = interactions([[0, 5], [1, 0]], kind="explicit")
    results = evaluate(Predicting(np.zeros((2, 2))), train, test, k=1)
    assert results["rmse"] == pytest.approx(2.0)
    assert results["mae"] == pytest.approx(2.0)
    assert "rmse" not in evaluate(FixedScores(np.zeros((2, 2))), train, test, k=1)


def test_evaluate_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        evaluate(FixedScores(np.zeros((2, 2))), interactions(np.eye(2)), interactions(np.eye(3)))


# --------------------------------------------------------------------------- split


@pytest.fixture(scope="module")
def timed_data():
    rng = np.random.default_rng(1)
    users = np.repeat(np.arange(40), rng.integers(1, 30, 40))
    items = rng.integers(0, 500, len(users))
    times = rng.integers(0, 10_000, len(users))
    return from_arrays(users, items, rng.integers(1, 6, len(users)).astype(float), times, kind="explicit")


@pytest.mark.parametrize("by", ["user", "time"])
def test_split_partitions_each_users_interactions(timed_data, by):
    train, test = split(timed_data, test_fraction=0.25, by=by, seed=0)
    assert train.matrix.shape == test.matrix.shape == timed_data.matrix.shape
    assert train.user_ids is timed_data.user_ids and train.item_ids is timed_data.item_ids
    assert train.nnz + test.nnz == timed_data.nnz
    assert (train.matrix + test.matrix != timed_data.matrix).nnz == 0
    counts = timed_data.user_activity()
    assert np.all(train.user_activity() >= np.minimum(counts, 1))
    expected = np.minimum(np.floor(0.25 * counts + 0.5), np.maximum(counts - 1, 0))
    np.testing.assert_array_equal(test.user_activity(), expected)


def test_time_split_holds_out_each_users_latest(timed_data):
    train, test = split(timed_data, test_fraction=0.3, by="time", seed=0)
    for user in range(timed_data.n_users):
        train_times = train.timestamps[train.matrix.indptr[user] : train.matrix.indptr[user + 1]]
        test_times = test.timestamps[test.matrix.indptr[user] : test.matrix.indptr[user + 1]]
        if len(test_times):
            assert test_times.min() >= train_times.max()


def test_split_is_reproducible_per_seed(timed_data):
    first, _ = split(timed_data, seed=3)
    again, _ = split(timed_data, seed=3)
    other, _ = split(timed_data, seed=4)
    assert (first.matrix != again.matrix).nnz == 0
    assert (first.matrix != other.matrix).nnz > 0


def test_time_split_needs_timestamps():
    data = from_arrays([0, 0, 1, 1], [0, 1, 0, 1])
    with pytest.raises(DataError, match="timestamps"):
        split(data, by="time")


@pytest.mark.parametrize(
    "params, name",
    [(dict(test_fraction=0.0), "test_fraction"), (dict(test_fraction=1.0), "test_fraction"),
     (dict(by="item"), "by"), (dict(seed=-1), "seed")],
)
def test_split_bad_parameters(timed_data, params, name):
    with pytest.raises(ValueError, match=name):
        split(timed_data, **params)


# --------------------------------------------------------------------------- baseline


def test_popularity_baseline_recommends_most_popular_unseen():
    train = interactions([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 0, 0, 1, 0], [0, 0, 0, 0, 1]])
    baseline = PopularityBaseline().fit(train)
    np.testing.assert_array_equal(baseline.score_items(), [3, 2, 1, 1, 1])
    items, scores = baseline.recommend(1, k=2)
    assert items.tolist() == [2, 3] and scores.tolist() == [1, 1]
    assert baseline.recommend(np.array([0, 3]), k=1)[0].tolist() == [[3], [0]]
    assert set(evaluate(baseline, train, train, k=2)) >= {"ndcg@2", "coverage@2"}
