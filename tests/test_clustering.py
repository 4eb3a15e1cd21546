"""k-means clusters and their names, on embeddings with planted groups."""
import numpy as np
import pytest

from embedviz.analysis.clustering import cluster_embeddings, label_clusters


def planted(n_per=(120, 80, 50), dim=16, seed=0):
    """Groups of directions with different lengths; returns vectors and group per row."""
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((len(n_per), dim)) * 3
    group = np.repeat(np.arange(len(n_per)), n_per)
    vectors = directions[group] + rng.standard_normal((len(group), dim))
    vectors *= rng.lognormal(0, 0.7, size=(len(group), 1))   # length must not matter
    return vectors, group


def test_recovers_planted_groups_numbered_by_size():
    vectors, group = planted()
    labels = cluster_embeddings(vectors, n_clusters=3, random_state=0)
    assert labels.shape == (250,) and labels.dtype == np.int64
    # one cluster per group, largest group -> cluster 0
    np.testing.assert_array_equal(labels, group)


def test_more_clusters_than_rows_is_capped():
    labels = cluster_embeddings(np.eye(4), n_clusters=10)
    assert sorted(set(labels)) == [0, 1, 2, 3]
    labels = cluster_embeddings(np.ones((6, 3)), n_clusters=3)
    assert set(labels) == {0}


def test_large_inputs_use_minibatch_and_still_recover_groups():
    vectors, group = planted(n_per=(12_000, 9_000), dim=8, seed=1)
    labels = cluster_embeddings(vectors, n_clusters=2, random_state=0)
    assert (labels == group).mean() > 0.99


def _genres_for(group):
    """Drama everywhere; Horror in group 0, Comedy|Romance in 1, Documentary in 2."""
    rng = np.random.default_rng(2)
    planted_genres = {0: ["Horror"], 1: ["Comedy", "Romance"], 2: ["Documentary"]}
    genres = []
    for g in group:
        own = planted_genres[g] if rng.random() < 0.8 else planted_genres[(g + 1) % 3]
        genres.append(["Drama", *own])
    return genres


def test_clusters_are_named_after_over_represented_genres_not_common_ones():
    _, group = planted()
    names = label_clusters(group, genres=_genres_for(group))
    assert names[0] == "Horror"
    assert names[1] in ("Comedy · Romance", "Romance · Comedy")
    assert names[2] == "Documentary"
    assert not any("Drama" in name for name in names.values())
    assert label_clusters(group, genres=_genres_for(group), max_words=1)[1] in ("Comedy", "Romance")


def test_movielens_genre_strings_are_split():
    labels = np.array([0, 0, 1, 1])
    names = label_clusters(labels, genres=["Horror|Drama", "Horror", "Comedy|Drama", "Comedy"])
    assert names == {0: "Horror", 1: "Comedy"}


def test_without_a_distinct_genre_the_most_popular_titles_name_the_cluster():
    labels = np.array([0, 0, 0, 1, 1])
    titles = ["Alien", "Heat", "A very long title that needs shortening here", "Up", "Big"]
    popularity = [5, 50, 40, 1, 9]
    names = label_clusters(labels, genres=[["Drama"]] * 5, titles=titles, popularity=popularity)
    assert names[0] == "Heat / A very long title that need…"   # 28 characters
    assert names[1] == "Big / Up"
    assert label_clusters(labels) == {0: "cluster 0", 1: "cluster 1"}


def test_repeated_names_are_numbered():
    labels = np.array([0, 0, 1, 1, 2, 2])
    genres = [["Horror"], ["Horror"], ["Horror"], ["Horror"], ["Comedy"], ["Comedy"]]
    names = label_clusters(labels, genres=genres)
    assert names == {0: "Horror", 1: "Horror (2)", 2: "Comedy"}


def test_bad_n_clusters_is_rejected():
    with pytest.raises(ValueError, match="n_clusters must be an integer >= 1, got 0"):
        cluster_embeddings(np.ones((5, 2)), n_clusters=0)


def test_non_finite_vectors_are_rejected():
    with pytest.raises(ValueError, match="vectors must be finite"):
        cluster_embeddings(np.array([[1.0, np.nan], [0.0, 1.0]]), n_clusters=2)


def test_genres_of_the_wrong_length_are_rejected():
    with pytest.raises(ValueError, match=r"genres must have one entry per label \(3\), got 2"):
        label_clusters([0, 1, 1], genres=[["A"], ["B"]])


def test_bad_max_words_is_rejected():
    with pytest.raises(ValueError, match="max_words must be an integer >= 1, got 0"):
        label_clusters([0, 1], max_words=0)


def test_silhouette_matches_scikit_learn_and_picks_the_planted_count():
    from sklearn.metrics import silhouette_score

    from embedviz.analysis.clustering import choose_n_clusters, silhouette

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(6, 10)) * 4
    x = centres[rng.integers(0, 6, 600)] + rng.normal(size=(600, 10))
    labels = rng.integers(0, 4, 600)
    labels[:1] = 9                                               # a cluster of one point
    d = np.linalg.norm(x[:, None] - x[None], axis=2)
    assert silhouette(d, labels) == pytest.approx(silhouette_score(d, labels, metric="precomputed"))
    assert choose_n_clusters(x) == 6


def test_namesakes_are_told_apart_by_the_genre_that_sets_each_off():
    labels = np.repeat([0, 1, 2], [4, 4, 8])
    horror_drama = [["Horror", "Drama"]] * 2 + [["Horror"]] * 2     # Drama: as common as overall (no lift)...
    horror = [["Horror"]] * 4
    comedy = [["Comedy", "Drama"]] * 6 + [["Comedy"]] * 2
    names = label_clusters(labels, genres=horror_drama + horror + comedy)
    assert names == {0: "Horror · Drama", 1: "Horror", 2: "Comedy · Drama"}   # ...but twice the other Horror's
