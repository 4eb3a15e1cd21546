"""Per-point neighbourhood preservation against a direct numpy computation, and the map layout."""
import numpy as np
import pytest

from embedviz.analysis.maps import lay_out, place_rows
from embedviz.analysis.preservation import map_neighbours, neighbourhood_preservation


def direct(vectors, xy, k, metric):
    """Brute force: full distance matrices, argsort, set intersections, one point at a time."""
    if metric == "cosine":
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        high = 1.0 - unit @ unit.T
    else:
        high = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)
    low = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(high, np.inf)
    np.fill_diagonal(low, np.inf)
    out = []
    for i in range(len(vectors)):
        true = set(np.argsort(high[i], kind="stable")[:k])
        drawn = set(np.argsort(low[i], kind="stable")[:k])
        out.append(len(true & drawn) / k)
    return np.array(out)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("k", [1, 5, 10])
def test_preservation_matches_a_direct_computation(metric, k):
    rng = np.random.default_rng(k)
    vectors = rng.normal(size=(80, 6)) + 3 * rng.normal(size=(4, 6))[rng.integers(0, 4, 80)]
    xy = vectors[:, :2] + rng.normal(scale=0.5, size=(80, 2))   # a lossy "map"
    got = neighbourhood_preservation(vectors, xy, k=k, metric=metric)
    want = direct(vectors, xy, k, metric)
    np.testing.assert_allclose(got, want)
    assert 0 < got.mean() < 1


def test_a_perfect_map_scores_one_and_a_shuffled_one_scores_low():
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(200, 2))
    assert neighbourhood_preservation(xy, xy, k=10, metric="euclidean").min() == 1.0
    shuffled = xy[rng.permutation(200)]
    assert neighbourhood_preservation(xy, shuffled, k=10, metric="euclidean").mean() < 0.15


def test_precomputed_true_neighbours_give_the_same_answer():
    from embedviz.analysis.neighbours import exact_knn_graph

    rng = np.random.default_rng(1)
    vectors, xy = rng.normal(size=(60, 5)), rng.normal(size=(60, 2))
    knn, _ = exact_knn_graph(vectors, 11, "cosine")
    np.testing.assert_allclose(neighbourhood_preservation(None, xy, 10, knn=knn[:, 1:]),
                               neighbourhood_preservation(vectors, xy, 10, "cosine"))


def test_map_neighbours_never_list_the_point_itself_even_on_duplicates():
    xy = np.zeros((5, 2))
    found = map_neighbours(xy, k=4)
    assert found.shape == (5, 4)
    for i, row in enumerate(found):
        assert i not in row and len(set(row)) == 4


@pytest.mark.parametrize("bad", [np.zeros((3,)), np.array([[0.0, np.nan], [1, 1]])])
def test_bad_layouts_are_refused(bad):
    with pytest.raises(ValueError, match="xy"):
        neighbourhood_preservation(np.zeros((len(bad), 2)), bad)


def test_mismatched_rows_are_refused():
    with pytest.raises(ValueError, match="same rows"):
        neighbourhood_preservation(np.zeros((4, 3)), np.zeros((5, 2)))


def test_lay_out_measures_preservation_on_the_laid_out_rows():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(5, 16)) * 5
    vectors = (centres[rng.integers(0, 5, 400)] + rng.normal(size=(400, 16))).astype(np.float32)
    rows = np.arange(0, 400, 2)
    layout = lay_out(vectors, rows, method="pca", k=10)
    assert layout.rows.tolist() == rows.tolist() and layout.xy.shape == (200, 2)
    np.testing.assert_allclose(layout.preservation,
                               direct(vectors[rows], layout.xy.astype(float), 10, "cosine"))
    placed = place_rows(vectors, layout, np.arange(1, 400, 2))
    assert placed.shape == (200, 2) and np.isfinite(placed).all()
