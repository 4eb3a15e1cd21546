"""Exact neighbours by block scan agree with the neighbour index, without copying the vectors."""
import numpy as np
import pytest

from embedviz.analysis.neighbours import NeighbourIndex
from embedviz.analysis.scan import BLOCK_ROWS, scan_neighbours


@pytest.fixture(scope="module")
def vectors():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BLOCK_ROWS + 5_000, 8)).astype(np.float32)      # more than one block
    x[7] = 0
    return x, np.linalg.norm(x, axis=1).astype(np.float32)


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
@pytest.mark.parametrize("row", [3, 7, BLOCK_ROWS + 10])
def test_same_as_the_index(vectors, metric, row):
    x, norms = vectors
    rows, scores = scan_neighbours(x, norms, row, k=10, metric=metric)
    expected_rows, expected_scores = NeighbourIndex(x).query(row, k=10, metric=metric)
    np.testing.assert_array_equal(rows, expected_rows)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-6)
    assert row not in rows


def test_vector_query_and_exclusions(vectors):
    x, norms = vectors
    rows, _ = scan_neighbours(x, norms, x[3] * 2.0, k=3, metric="cosine")
    assert rows[0] == 3
    rows, _ = scan_neighbours(x, norms, x[3], k=3, metric="euclidean", exclude=[3])
    assert 3 not in rows and len(rows) == 3


def test_bad_queries(vectors):
    x, norms = vectors
    with pytest.raises(IndexError):
        scan_neighbours(x, norms, len(x))
    with pytest.raises(ValueError, match="finite vector of length 8"):
        scan_neighbours(x, norms, np.ones(3))
    with pytest.raises(ValueError, match="metric"):
        scan_neighbours(x, norms, 0, metric="manhattan")
    with pytest.raises(ValueError, match="k must be"):
        scan_neighbours(x, norms, 0, k=0)
