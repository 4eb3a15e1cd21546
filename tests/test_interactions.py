import numpy as np
import pytest

from embedviz.data.interactions import check_usable, detect_kind, from_arrays
from embedviz.errors import DataError


def test_explicit_duplicates_keep_the_latest_rating():
    data = from_arrays(["a", "a", "b"], [1, 1, 2], [2.0, 5.0, 3.0], [20, 10, 5])
    assert data.kind == "explicit"
    assert data.matrix[0, 0] == 2.0            # the rating at t=20 is later than t=10
    assert data.timestamps.tolist() == [20, 5]


def test_explicit_duplicates_without_time_keep_the_last_row():
    data = from_arrays([1, 1], [7, 7], [2.0, 4.0], kind="explicit")
    assert data.matrix[0, 0] == 4.0 and data.nnz == 1


def test_implicit_duplicates_are_summed_and_keep_latest_time():
    data = from_arrays([1, 1, 1], [7, 7, 8], [2, 3, 1], [5, 9, 1], kind="implicit")
    assert data.matrix.toarray().tolist() == [[5.0, 1.0]]
    assert data.timestamps.tolist() == [9, 1]


def test_ids_keep_their_type_and_order():
    data = from_arrays(["zoë", "ann"], [10, 2], [1, 2], kind="implicit")
    assert data.user_ids.tolist() == ["ann", "zoë"] and data.item_ids.tolist() == [2, 10]
    assert data.user_index("zoë") == 1 and data.item_index(10) == 1
    with pytest.raises(KeyError):
        data.user_index("nobody")


def test_matrix_is_canonical_float32_csr():
    rng = np.random.default_rng(0)
    data = from_arrays(rng.integers(0, 50, 2000), rng.integers(0, 80, 2000), rng.integers(1, 6, 2000))
    assert data.matrix.dtype == np.float32 and data.matrix.has_canonical_format
    frame = data.to_frame()
    assert len(frame) == data.nnz and set(frame.columns) == {"user", "item", "value"}


def test_select_keeps_shape_ids_and_alignment():
    data = from_arrays([1, 1, 2, 3], [1, 2, 2, 3], [1, 2, 3, 4], [4, 3, 2, 1])
    part = data.select(np.array([True, False, True, False]))
    assert part.matrix.shape == data.matrix.shape and part.nnz == 2
    assert part.matrix.data.tolist() == [1.0, 3.0] and part.timestamps.tolist() == [4, 2]


@pytest.mark.parametrize("values, kind", [
    ([1, 2, 3, 4, 5], "explicit"), ([0.5, 1.5, 4.0], "explicit"), ([1, 1, 1], "implicit"),
    ([1, 20, 300, 4000, 2, 3, 4, 5, 6, 7, 8, 9, 10], "implicit"), ([0.13, 0.77], "implicit"),
])
def test_detect_kind(values, kind):
    assert detect_kind(np.array(values, dtype=float)) == kind


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="kind must be one of"):
        from_arrays([1, 2], [1, 2], kind="ratings")


def test_check_usable_needs_two_users_and_two_items():
    with pytest.raises(DataError, match="1 user"):
        check_usable(from_arrays([1, 1], [1, 2]), "x.csv")
    with pytest.raises(DataError, match="1 item"):
        check_usable(from_arrays([1, 2], [1, 1]), "x.csv")
