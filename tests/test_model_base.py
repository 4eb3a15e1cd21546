"""Shared model behaviour: queries, callback protocol, fit-first errors, exact save/load and bad files."""
import io
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from embedviz.data.interactions import from_arrays
from embedviz.errors import DataError, NotFittedError
from embedviz.models import warmup
from embedviz.models.gradient_descent import GradientDescentMF
from embedviz.models.persistence import load_model
from embedviz.models.wals import WALS


@pytest.fixture(scope="module")
def ratings():
    rng = np.random.default_rng(0)
    users = rng.integers(0, 30, 400)
    items = rng.integers(0, 25, 400)
    values = rng.integers(1, 6, 400).astype(float)
    user_ids = np.array([f"user-{u}" for u in users])
    return from_arrays(user_ids, items * 10, values, kind="explicit")


@pytest.fixture(scope="module", params=["WALS", "GradientDescentMF"])
def fitted(request, ratings):
    if request.param == "WALS":
        return WALS(factors=4, iterations=3, regularization=1.0, random_state=0).fit(ratings)
    return GradientDescentMF(factors=4, epochs=5, random_state=0).fit(ratings)


def roundtrip_bytes(model, **extras) -> bytes:
    buffer = io.BytesIO()
    model.save(buffer, **extras)
    return buffer.getvalue()


def archive_arrays(raw: bytes) -> dict:
    with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def rewrite(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# --------------------------------------------------------------------------- queries


def test_recommend_is_1d_for_one_user_and_2d_for_many(fitted, ratings):
    items, scores = fitted.recommend(3, k=5)
    assert items.shape == scores.shape == (5,)
    assert np.all(np.diff(scores) <= 0)
    assert not set(items.tolist()) & set(ratings.matrix[3].indices.tolist())
    batch_items, batch_scores = fitted.recommend(np.array([3, 4]), k=5)
    assert batch_items.shape == batch_scores.shape == (2, 5)
    np.testing.assert_array_equal(batch_items[0], items)


def test_recommend_without_exclusion_ranks_all_items(fitted):
    items, scores = fitted.recommend(3, k=1000, exclude_seen=False)
    assert sorted(items.tolist()) == list(range(fitted.item_factors_.shape[0]))
    np.testing.assert_allclose(scores, np.sort(fitted.score_users(3)[0])[::-1], rtol=1e-6)


def test_batch_recommend_pads_missing_slots():
    matrix = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1]], dtype=np.float32))
    model = WALS(factors=2, iterations=2, regularization=0.1, random_state=0).fit(matrix)
    items, scores = model.recommend(np.array([0, 1]), k=3)
    assert items[0].tolist()[1:] == [-1, -1] and np.isneginf(scores[0, 1:]).all()
    assert (items[1, :2] >= 0).all() and items[1, 2] == -1
    assert model.recommend(0, k=3)[0].tolist() == [2]


def test_recommend_vector_excludes_given_items(fitted):
    vector = fitted.fold_in([0, 1, 2])
    assert vector.shape == (4,) and vector.dtype == np.float32
    items, scores = fitted.recommend_vector(vector, k=4, exclude=[0, 1, 2])
    assert items.shape == (4,) and not {0, 1, 2} & set(items.tolist())
    np.testing.assert_allclose(scores, fitted.score_items(vector)[items], rtol=1e-6)


def test_queries_validate_indices(fitted):
    with pytest.raises(IndexError, match="user_index"):
        fitted.recommend(10_000)
    with pytest.raises(ValueError, match="k must be"):
        fitted.recommend(0, k=0)
    with pytest.raises(IndexError, match="item"):
        fitted.fold_in([10_000])
    with pytest.raises(ValueError, match="shape"):
        fitted.score_items(np.zeros(3))


def test_explain_returns_history_items(fitted, ratings):
    items, weights = fitted.explain(3, item_index=0, n=2)
    assert items.shape == weights.shape and items.shape[0] <= 2
    assert set(items.tolist()) <= set(ratings.matrix[3].indices.tolist())
    items, _ = fitted.explain([1, 2, 5], item_index=0, n=5)
    assert sorted(items.tolist()) == [1, 2, 5]


@pytest.mark.parametrize("cls", [WALS, GradientDescentMF])
def test_use_before_fit_says_call_fit_first(cls):
    with pytest.raises(NotFittedError, match="call fit"):
        cls().recommend(0)
    with pytest.raises(NotFittedError, match="call fit"):
        cls().save(io.BytesIO())


@pytest.mark.parametrize("cls", [WALS, GradientDescentMF])
def test_fit_rejects_unusable_input(cls):
    with pytest.raises(ValueError, match="Interactions"):
        cls().fit(np.ones((3, 3)))
    with pytest.raises(DataError, match="no interactions"):
        cls().fit(sp.csr_matrix((3, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="callback"):
        cls().fit(sp.csr_matrix(np.eye(3, dtype=np.float32)), callback="print")


def test_get_params_and_repr():
    model = WALS(factors=8, solver="cholesky")
    assert model.get_params()["factors"] == 8
    assert repr(model).startswith("WALS(factors=8, regularization=90.0, unobserved_weight=3.0")


# --------------------------------------------------------------------------- save / load


def test_save_load_roundtrip_is_exact(fitted, tmp_path):
    path = tmp_path / "model.bin"
    fitted.save(path, titles=np.array(["a", "b"], dtype=object), weights=np.arange(3.0))
    assert path.exists()  # written exactly where asked, no suffix added
    loaded = load_model(path)
    assert type(loaded) is type(fitted) and loaded.get_params() == fitted.get_params()
    for name in (*fitted._USER_ARRAYS, *fitted._ITEM_ARRAYS):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(fitted, name))
        assert getattr(loaded, name).dtype == getattr(fitted, name).dtype
    for name in fitted._FITTED_SCALARS:
        assert getattr(loaded, name) == getattr(fitted, name)
    assert loaded.user_ids_.dtype == object and list(loaded.user_ids_) == list(fitted.user_ids_)
    np.testing.assert_array_equal(loaded.item_ids_, fitted.item_ids_)
    assert (loaded.train_matrix_ != fitted.train_matrix_).nnz == 0
    for a, b in zip(loaded.recommend(np.arange(5), k=4), fitted.recommend(np.arange(5), k=4)):
        np.testing.assert_array_equal(a, b)
    assert loaded.extras_["titles"].tolist() == ["a", "b"]
    np.testing.assert_array_equal(loaded.extras_["weights"], np.arange(3.0))


def test_load_accepts_bytes_and_file_objects(fitted):
    raw = roundtrip_bytes(fitted)
    for source in (raw, io.BytesIO(raw)):
        np.testing.assert_array_equal(load_model(source).item_factors_, fitted.item_factors_)


def test_save_refuses_non_string_object_extras(fitted):
    with pytest.raises(ValueError, match="'bad'"):
        fitted.save(io.BytesIO(), bad=np.array([{"a": 1}], dtype=object))


def test_not_a_zip_is_a_data_error():
    with pytest.raises(DataError, match="not a zip"):
        load_model(b"userId,movieId,rating\n1,2,3\n")
    with pytest.raises(DataError, match="empty"):
        load_model(b"")


def test_pickle_file_is_refused():
    with pytest.raises(DataError, match="pickle"):
        load_model(pickle.dumps({"model": "evil"}))


def test_single_npy_is_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    with pytest.raises(DataError, match=".npy"):
        load_model(buffer.getvalue())


def test_truncated_file_is_a_data_error(fitted):
    raw = roundtrip_bytes(fitted)
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_model(raw[: len(raw) // 2])


def test_object_array_inside_archive_is_refused(fitted):
    arrays = archive_arrays(roundtrip_bytes(fitted))
    arrays["user_ids"] = np.array([object()] * 3, dtype=object)
    with pytest.raises(DataError, match="'user_ids'.*pickled"):
        load_model(rewrite(arrays))


def test_missing_keys_are_listed(fitted):
    arrays = archive_arrays(roundtrip_bytes(fitted))
    del arrays["item_factors"], arrays["train_data"]
    with pytest.raises(DataError, match=r"missing keys \['train_data', 'item_factors'\]"):
        load_model(rewrite(arrays))


def test_mismatched_shapes_are_named(fitted):
    arrays = archive_arrays(roundtrip_bytes(fitted))
    arrays["user_factors"] = arrays["user_factors"][:-1]
    with pytest.raises(DataError, match="user_factors has shape"):
        load_model(rewrite(arrays))
    arrays = archive_arrays(roundtrip_bytes(fitted))
    arrays["train_indptr"] = arrays["train_indptr"][:-1]
    with pytest.raises(DataError, match="train_indptr has shape"):
        load_model(rewrite(arrays))


def test_unknown_model_class_is_named(fitted):
    arrays = archive_arrays(roundtrip_bytes(fitted))
    arrays["model_class"] = np.array("SVDPlusPlus")
    with pytest.raises(DataError, match="unknown model class 'SVDPlusPlus'"):
        load_model(rewrite(arrays))


def test_invalid_params_are_a_data_error(fitted):
    arrays = archive_arrays(roundtrip_bytes(fitted))
    arrays["params"] = np.array('{"factors": -1}')
    with pytest.raises(DataError, match="factors"):
        load_model(rewrite(arrays))


def test_warmup_runs():
    warmup()
