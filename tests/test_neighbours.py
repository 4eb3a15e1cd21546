"""Nearest neighbours against a plain numpy reference, plus overlap statistics."""
import numpy as np
import pytest
from scipy.stats import spearmanr

import embedviz.analysis._knn_kernels as kernels
import embedviz.analysis.approximate as approximate
from embedviz.analysis.comparison import explain_difference, overlap_stats
from embedviz.analysis.metrics import METRICS
from embedviz.analysis.neighbours import NeighbourIndex, exact_knn_graph, nearest_neighbours


def reference(vectors, query, k, metric, exclude=()):
    """Brute force in float64: sort by (score, index), drop excluded rows."""
    v = np.asarray(vectors, dtype=np.float64)
    q = np.asarray(query, dtype=np.float64)
    if metric == "euclidean":
        scores = np.sqrt(((v - q) ** 2).sum(axis=1))
        primary = scores
    else:
        scores = v @ q
        if metric == "cosine":
            denominator = np.linalg.norm(v, axis=1) * np.linalg.norm(q)
            scores = np.divide(scores, denominator, out=np.zeros_like(scores),
                               where=denominator > 0)
        primary = -scores
    order = np.lexsort((np.arange(len(v)), primary))
    order = order[~np.isin(order, list(exclude))][:k]
    return order, scores[order]


@pytest.fixture(scope="module")
def vectors():
    rng = np.random.default_rng(0)
    # varied lengths, so the three metrics disagree
    return rng.standard_normal((600, 16)) * rng.lognormal(0, 0.5, size=(600, 1))


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_index_query_matches_reference_and_leaves_itself_out(vectors, metric):
    for row in (0, 17, 599):
        indices, scores = nearest_neighbours(vectors, row, k=10, metric=metric)
        expected, expected_scores = reference(vectors, vectors[row], 10, metric, exclude=[row])
        np.testing.assert_array_equal(indices, expected)
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_raw_vector_query_matches_reference(vectors, metric):
    query = np.random.default_rng(1).standard_normal(16)
    indices, scores = nearest_neighbours(vectors, query, k=7, metric=metric)
    expected, expected_scores = reference(vectors, query, 7, metric)
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-9)


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_batch_equals_single_queries(vectors, metric):
    for rows in (np.array([3, 50, 3, 400]), np.arange(0, 600, 13)):
        _check_batch(vectors, rows, metric)


def _check_batch(vectors, rows, metric):
    indices, scores = nearest_neighbours(vectors, rows, k=5, metric=metric, exclude=[7])
    assert indices.shape == scores.shape == (len(rows), 5)
    for r, row in enumerate(rows):
        single, single_scores = nearest_neighbours(vectors, row, k=5, metric=metric, exclude=[7])
        np.testing.assert_array_equal(indices[r], single)
        np.testing.assert_allclose(scores[r], single_scores)


def test_batch_of_raw_vectors(vectors):
    queries = np.random.default_rng(2).standard_normal((3, 16))
    indices, _ = nearest_neighbours(vectors, queries, k=4, metric="euclidean")
    assert indices.shape == (3, 4)
    for r in range(3):
        np.testing.assert_array_equal(indices[r], reference(vectors, queries[r], 4, "euclidean")[0])


def test_descending_similarities_and_ascending_distances(vectors):
    _, cos = nearest_neighbours(vectors, 5, k=20, metric="cosine")
    _, dist = nearest_neighbours(vectors, 5, k=20, metric="euclidean")
    assert np.all(np.diff(cos) <= 0) and np.all(np.diff(dist) >= 0)


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_exclude_leaves_items_out(vectors, metric):
    seen = [1, 2, 3, 100, 200]
    query = vectors[:5].mean(axis=0)
    indices, _ = nearest_neighbours(vectors, query, k=10, metric=metric, exclude=seen)
    np.testing.assert_array_equal(indices, reference(vectors, query, 10, metric, seen)[0])
    assert not set(indices) & set(seen)


def test_zero_vectors_have_cosine_zero_without_nan():
    v = np.zeros((6, 3))
    v[4] = [1.0, 0.0, 0.0]
    indices, scores = nearest_neighbours(v, 0, k=5, metric="cosine")
    np.testing.assert_array_equal(indices, [1, 2, 3, 4, 5])   # all tie at 0: index order
    np.testing.assert_array_equal(scores, np.zeros(5))
    indices, scores = nearest_neighbours(v, np.array([0.0, 0.0, 1.0]), k=2, metric="cosine")
    np.testing.assert_array_equal(indices, [0, 1])
    assert not np.isnan(scores).any()


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_duplicate_vectors_tie_with_lower_index_first(metric):
    rng = np.random.default_rng(3)
    v = rng.standard_normal((300, 8))
    v[1] *= 10                        # longest vector: also the dot-product winner
    copies = np.arange(40, 300, 7)    # 38 copies, more than the tie padding
    v[copies] = v[1]
    for k in (3, 12):
        indices, scores = nearest_neighbours(v, 1, k=k, metric=metric)
        np.testing.assert_array_equal(indices, copies[:k])
        assert np.ptp(scores) == 0
        for n_queries in (2, 40):   # per-query kernel, then tiles of queries
            batch, _ = nearest_neighbours(v, np.full(n_queries, 1), k=k, metric=metric)
            np.testing.assert_array_equal(batch, [copies[:k]] * n_queries)


def test_large_k_partition_path_matches_kernel_path(vectors, monkeypatch):
    expected = nearest_neighbours(vectors, 9, k=30, metric="dot")
    monkeypatch.setattr(kernels, "MAX_KERNEL_K", 4)
    got = NeighbourIndex(vectors).query(9, k=30, metric="dot")
    np.testing.assert_array_equal(got[0], expected[0])
    v = np.ones((50, 2))
    np.testing.assert_array_equal(NeighbourIndex(v).query(0, k=5)[0], [1, 2, 3, 4, 5])


def test_k_larger_than_catalogue_returns_everything_available(vectors):
    small = vectors[:8]
    indices, _ = nearest_neighbours(small, 2, k=50)
    assert sorted(indices) == [0, 1, 3, 4, 5, 6, 7]
    indices, _ = nearest_neighbours(small, small[2], k=50, exclude=[0, 1])
    assert sorted(indices) == [2, 3, 4, 5, 6, 7]
    indices, scores = nearest_neighbours(small[:1], 0, k=3)
    assert indices.shape == scores.shape == (0,)


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_float32_and_float64_agree(vectors, metric):
    i64, s64 = nearest_neighbours(vectors, 11, k=10, metric=metric)
    i32, s32 = nearest_neighbours(vectors.astype(np.float32), 11, k=10, metric=metric)
    np.testing.assert_array_equal(i32, i64)
    np.testing.assert_allclose(s32, s64, rtol=1e-5)


def test_cached_index_follows_a_new_array_of_the_same_shape():
    rng = np.random.default_rng(4)
    for _ in range(4):
        v = rng.standard_normal((100, 4)).astype(np.float32)
        np.testing.assert_array_equal(nearest_neighbours(v, 0, k=5)[0],
                                      reference(v, v[0], 5, "cosine", [0])[0])
        del v


def test_exact_knn_graph_has_self_first_then_neighbours(vectors):
    indices, distances = exact_knn_graph(vectors, k=6, metric="cosine")
    assert indices.shape == distances.shape == (600, 6)
    assert indices.dtype == np.int32 and distances.dtype == np.float32
    np.testing.assert_array_equal(indices[:, 0], np.arange(600))
    expected, similarities = reference(vectors, vectors[42], 5, "cosine", [42])
    np.testing.assert_array_equal(indices[42, 1:], expected)
    np.testing.assert_allclose(distances[42, 1:], 1 - similarities, rtol=1e-5)
    euclidean_indices, _ = exact_knn_graph(vectors[:4], k=10, metric="euclidean")
    assert euclidean_indices.shape == (4, 4)


def test_describes_exact_or_approximate_search(vectors):
    assert NeighbourIndex(vectors).description == "exact search over 600 items"
    approximate = NeighbourIndex(vectors, approximate_above=100)
    assert approximate.is_approximate
    assert approximate.description.startswith("approximate search (pynndescent) over 600 items")


@pytest.mark.slow
@pytest.mark.parametrize("parallel_queries", [False, True])   # True: the layout's batch placement
def test_approximate_recall_at_10_is_at_least_095(parallel_queries):
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((30, 24)) * 3
    v = (centres[rng.integers(0, 30, 4000)] + rng.standard_normal((4000, 24)))
    v *= rng.lognormal(0, 0.4, size=(4000, 1))
    exact = NeighbourIndex(v)
    approximate = NeighbourIndex(v, approximate_above=1000, random_state=0, parallel_queries=parallel_queries)
    rows = rng.choice(4000, 200, replace=False)
    seen = rows[:20]
    for metric in sorted(METRICS):
        truth, _ = exact.query(rows, k=10, metric=metric, exclude=seen)
        found, _ = approximate.query(rows, k=10, metric=metric, exclude=seen)
        recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)])
        assert recall >= 0.95, (metric, recall)
        assert not np.isin(found, seen).any()
        assert not (found == rows[:, None]).any()


def test_dot_product_above_the_threshold_is_exact_and_reads_longest_first(monkeypatch):
    rng = np.random.default_rng(6)
    v = rng.standard_normal((5000, 8)) * rng.lognormal(0, 0.5, size=(5000, 1))
    v[100:5000:50] = v[7]                 # duplicates: ties still go to lower indices
    monkeypatch.setattr(approximate.NormPrunedDot, "first_chunk", 64)
    exact, pruned = NeighbourIndex(v), NeighbourIndex(v, approximate_above=10)
    rows = np.r_[7, rng.choice(5000, 50, replace=False)]
    queries = np.vstack([v[:3], np.zeros((1, 8))])   # raw vectors, a zero vector too
    for query, exclude in ((rows, None), (rows, [1, 2, 3]), (queries, None)):
        np.testing.assert_array_equal(
            pruned.query(query, k=12, metric="dot", exclude=exclude)[0],
            exact.query(query, k=12, metric="dot", exclude=exclude)[0])


# ----------------------------------------------------------------------------- bad input


def test_unknown_metric_is_rejected(vectors):
    with pytest.raises(ValueError, match=r"metric must be one of \['cosine', 'dot', 'euclidean'\]"):
        nearest_neighbours(vectors, 0, metric="manhattan")


@pytest.mark.parametrize("k", [0, -3, 2.5, True])
def test_k_must_be_a_positive_integer(vectors, k):
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        nearest_neighbours(vectors, 0, k=k)


def test_query_index_out_of_range(vectors):
    with pytest.raises(ValueError, match=r"query must be row indices in \[0, 600\), got 600"):
        nearest_neighbours(vectors, 600)


def test_query_dimension_mismatch(vectors):
    with pytest.raises(ValueError, match=r"shape \(16,\) or \(n_queries, 16\).*got shape \(3,\)"):
        nearest_neighbours(vectors, np.ones(3))


def test_exclude_out_of_range(vectors):
    with pytest.raises(ValueError, match=r"exclude must be row indices in \[0, 600\), got -1"):
        nearest_neighbours(vectors, 0, exclude=[-1])


def test_non_finite_vectors_are_rejected():
    v = np.ones((5, 2))
    v[3, 1] = np.nan
    with pytest.raises(ValueError, match="vectors must be finite"):
        nearest_neighbours(v, 0)


def test_vectors_must_be_2d():
    with pytest.raises(ValueError, match=r"vectors must be a 2-D array.*got shape \(5,\)"):
        nearest_neighbours(np.ones(5), 0)


def test_boolean_query_is_rejected(vectors):
    with pytest.raises(ValueError, match="got dtype bool"):
        nearest_neighbours(vectors, np.array([True, False]))


def test_knn_graph_metric_must_be_a_distance(vectors):
    expected = r"metric must be one of \['cosine', 'euclidean'\], got 'dot'"
    with pytest.raises(ValueError, match=expected):
        exact_knn_graph(vectors, k=5, metric="dot")


# ----------------------------------------------------------------------------- overlap


def test_overlap_stats_known_answer():
    popularity = np.arange(10) * 10.0
    norms = np.linspace(0.5, 5.0, 10)
    stats = overlap_stats([1, 2, 3, 4], [3, 4, 5, 1], popularity=popularity, norms=norms)
    assert stats["jaccard"] == pytest.approx(3 / 5)
    assert stats["shared"] == 3
    np.testing.assert_array_equal(stats["shared_items"], [1, 3, 4])
    # shared items ranked (1, 3, 4) in A and (3, 4, 1) in B
    assert stats["rank_correlation"] == pytest.approx(spearmanr([0, 1, 2], [2, 0, 1])[0])
    assert stats["mean_popularity_a"] == pytest.approx(25.0)
    assert stats["mean_popularity_b"] == pytest.approx(32.5)
    assert stats["mean_norm_a"] == pytest.approx(norms[[1, 2, 3, 4]].mean())


def test_overlap_stats_edge_cases():
    disjoint = overlap_stats([1, 2], [3, 4])
    assert disjoint["jaccard"] == 0 and disjoint["shared"] == 0
    assert disjoint["rank_correlation"] is None
    assert overlap_stats([1, 2], [2, 9])["rank_correlation"] is None
    assert overlap_stats([1, 2, 3], [1, 2, 3])["rank_correlation"] == pytest.approx(1.0)
    assert overlap_stats([], [])["jaccard"] == 1.0
    assert "mean_norm_a" not in disjoint


def _catalogue():
    """20 items: 0-9 short vectors rated rarely, 10-19 long vectors rated often."""
    norms = np.r_[np.full(10, 0.3), np.full(10, 2.0)]
    popularity = np.r_[np.full(10, 3.0), np.full(10, 40.0)]
    return norms, popularity


def test_explains_euclidean_favouring_short_rarely_rated_vectors():
    norms, popularity = _catalogue()
    caption = explain_difference(
        {"cosine": [10, 11, 12, 13], "euclidean": [0, 1, 2, 13]},
        norms=norms, popularity=popularity,
    )
    assert caption.startswith("Euclidean favours items with short vectors")
    assert "— items with few ratings here (mean 12 ratings vs 40 for cosine)" in caption


def test_explains_dot_product_favouring_long_popular_vectors():
    norms, popularity = _catalogue()
    caption = explain_difference(
        {"cosine": [0, 1, 2, 3], "dot": [10, 11, 12, 13]},
        norms=norms, popularity=popularity, unit="plays",
    )
    assert caption.startswith("Dot product favours items with long vectors — popular items")
    assert "mean 40 plays vs 3 for cosine" in caption


def test_explains_normalised_embeddings_give_the_same_list():
    caption = explain_difference(
        {"cosine": [1, 2, 3], "euclidean": [1, 2, 3]}, norms=np.ones(10)
    )
    assert "same length" in caption and "same list (3 of 3 shared)" in caption


def test_explains_similar_lengths_and_identical_lists():
    norms = np.linspace(1.0, 1.1, 20)
    caption = explain_difference({"cosine": [0, 1, 2], "dot": [0, 1, 5]}, norms=norms)
    assert caption == ("Dot product and cosine pick vectors of similar length and share 2 of 3 "
                       "items.")
    caption = explain_difference({"cosine": [0, 1], "euclidean": [0, 1]}, norms=norms)
    assert caption == "Cosine and euclidean give exactly the same list here."


def test_explain_needs_cosine_and_another_list():
    with pytest.raises(ValueError, match="lists must hold 'cosine' and at least one other"):
        explain_difference({"euclidean": [1], "dot": [2]}, norms=np.ones(3))
