"""load_factors without Spark: a folder laid out as the Spark job writes it (Parquet parts,
_SUCCESS, .crc files), as a zip, and every way it can be broken."""
import io
import json
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import embedviz as ev
from embedviz.errors import DataError
from embedviz.spark.factors import FORMAT, INFO_FILE, SparkALS, load_factors

RANK = 4
PARAMS = {"rank": RANK, "maxIter": 5, "regParam": 0.3, "alpha": 2.0, "implicitPrefs": True, "seed": 1}


def write_factor_table(folder, ids, factors, rng, parts=2):
    folder.mkdir(parents=True)
    order = rng.permutation(len(ids))        # Spark writes rows in no particular order
    for part, rows in enumerate(np.array_split(order, parts)):
        table = pa.table({
            "id": pa.array([ids[r] for r in rows]),
            "index": pa.array(rows.astype(np.int32)),
            "factors": pa.array([factors[r].tolist() for r in rows], type=pa.list_(pa.float32())),
        })
        pq.write_table(table, folder / f"part-0000{part}-abc.snappy.parquet")
        (folder / f".part-0000{part}-abc.snappy.parquet.crc").write_bytes(b"crc")
    (folder / "_SUCCESS").write_bytes(b"")


def make_output(folder, *, user_ids=None, n_items=12, seed=0, params=PARAMS, info_changes=None):
    rng = np.random.default_rng(seed)
    user_ids = user_ids if user_ids is not None else [f"u{i:02d}" for i in range(9)]
    item_ids = list(range(100, 100 + n_items))
    users = rng.standard_normal((len(user_ids), RANK)).astype(np.float32)
    items = rng.standard_normal((n_items, RANK)).astype(np.float32)
    seen = rng.random((len(user_ids), n_items)) < 0.3
    values = np.where(seen, rng.integers(1, 6, seen.shape), 0).astype(np.float32)
    write_factor_table(folder / "user_factors", user_ids, users, rng)
    write_factor_table(folder / "item_factors", item_ids, items, rng)
    u, i = np.nonzero(seen)
    (folder / "interactions").mkdir()
    pq.write_table(pa.table({"user_index": u.astype(np.int32), "item_index": i.astype(np.int32),
                             "value": values[u, i]}), folder / "interactions" / "part-00000.parquet")
    info = {"format": FORMAT, "kind": "explicit", "spark_params": params,
            "counts": {"users": len(user_ids), "items": n_items, "interactions": int(seen.sum())},
            **(info_changes or {})}
    (folder / INFO_FILE).write_text(json.dumps(info))
    return user_ids, item_ids, users, items, values


@pytest.fixture
def output(tmp_path):
    folder = tmp_path / "model_dir"
    return folder, make_output(folder)


def zipped(folder, prefix="model_dir/", extra=None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + str(path.relative_to(folder)))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_rows_follow_the_index_with_original_ids(output):
    folder, (user_ids, item_ids, users, items, values) = output
    model = load_factors(folder)
    assert isinstance(model, SparkALS)
    assert model.user_ids_.tolist() == user_ids and model.user_ids_.dtype == object
    assert model.item_ids_.tolist() == item_ids and model.item_ids_.dtype.kind == "i"
    np.testing.assert_array_equal(model.user_factors_, users)
    np.testing.assert_array_equal(model.item_factors_, items)
    np.testing.assert_array_equal(model.train_matrix_.toarray(), values)
    assert model.get_params() == {"factors": RANK, "regularization": 0.3, "alpha": 2.0, "iterations": 5,
                                  "random_state": 1}
    assert model.data_kind_ == "explicit" and model.spark_info_["counts"]["users"] == 9


def test_recommend_ranks_by_dot_product_and_leaves_out_what_was_seen(output):
    folder, (_, _, users, items, values) = output
    model = load_factors(folder)
    for user in range(len(users)):
        expected = np.argsort(-(items @ users[user]), kind="stable")
        got, scores = model.recommend(user, k=len(items), exclude_seen=False)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_allclose(scores, (items @ users[user])[expected], rtol=1e-6)
        got, _ = model.recommend(user, k=5)
        assert not set(got) & set(np.flatnonzero(values[user]))
        assert list(got) == [i for i in expected if values[user, i] == 0][:5]


def spark_row_solution(items, history, values, reg, alpha):
    """Spark's implicit ALS row update, written out densely: (YᵀY + Σ α|r| y yᵀ + reg·n·I) x = Σ_{r>0} (1+αr) y."""
    confidence_minus_one = alpha * np.abs(values)
    system = items.T @ items + items[history].T @ (confidence_minus_one[:, None] * items[history])
    system += reg * np.count_nonzero(values > 0) * np.eye(items.shape[1])
    rhs = items[history].T @ np.where(values > 0, 1 + confidence_minus_one, 0.0)
    return np.linalg.solve(system, rhs)


@pytest.mark.parametrize("history, values", [
    ([0, 3, 7], [1.0, 4.0, 2.5]),
    ([1, 2, 5, 9, 11], [5.0, 0.0, 1.0, 3.0, 2.0]),   # a zero counts as seen, not as a positive value
    ([4], None),                                      # default value 1
])
def test_fold_in_solves_sparks_normal_equations(output, history, values):
    folder, (_, _, _, items, _) = output
    model = load_factors(folder)
    expected_values = np.ones(len(history)) if values is None else np.array(values)
    expected = spark_row_solution(items.astype(np.float64), history, expected_values, 0.3, 2.0)
    np.testing.assert_allclose(model.fold_in(history, values), expected, rtol=1e-5, atol=1e-6)


def test_explain_splits_a_folded_in_score_into_history_contributions(output):
    folder, _ = output
    model = load_factors(folder)
    history, values = np.array([0, 3, 7]), np.array([1.0, 4.0, 2.5])
    vector = model.fold_in(history, values)
    items, contributions = model.explain(history, 5, n=3, values=values)
    assert sorted(items) == [0, 3, 7]
    assert contributions.sum() == pytest.approx(float(model.item_factors_[5] @ vector), rel=1e-4)


def test_saved_as_npz_it_loads_back_with_its_spark_record(output, tmp_path):
    folder, _ = output
    model = load_factors(folder)
    model.save(tmp_path / "m.npz")
    loaded = ev.load_model(tmp_path / "m.npz")
    assert isinstance(loaded, SparkALS) and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.item_factors_, model.item_factors_)
    assert loaded.user_ids_.tolist() == model.user_ids_.tolist()
    assert loaded.spark_info_ == model.spark_info_
    np.testing.assert_array_equal(loaded.recommend(2, k=4)[0], model.recommend(2, k=4)[0])


def test_the_api_queries_work_on_its_factors(output):
    folder, (_, _, _, items, _) = output
    model = load_factors(folder)
    ids, _ = ev.nearest_neighbours(model.item_factors_, 0, k=3, metric="dot")
    scores = items[1:] @ items[0]
    assert ids.tolist() == (np.argsort(-scores)[:3] + 1).tolist()
    assert ev.project(model.item_factors_, method="pca").shape == (12, 2)


@pytest.mark.parametrize("prefix", ["model_dir/", "", "outer/model_dir/"])
def test_a_zip_of_the_folder_opens_from_bytes_or_a_path(output, tmp_path, prefix):
    folder, (user_ids, *_) = output
    data = zipped(folder, prefix, extra={"__MACOSX/._x": b"junk"})
    model = load_factors(data)
    assert model.user_ids_.tolist() == user_ids
    (tmp_path / "m.zip").write_bytes(data)
    np.testing.assert_array_equal(load_factors(tmp_path / "m.zip").user_factors_, model.user_factors_)
    np.testing.assert_array_equal(load_factors(io.BytesIO(data)).train_matrix_.toarray(),
                                  model.train_matrix_.toarray())


def test_without_interactions_nothing_is_left_out(output):
    folder, (_, _, users, items, _) = output
    model = load_factors(folder, interactions=False)
    assert model.train_matrix_.nnz == 0 and model.train_matrix_.shape == (9, 12)
    assert model.recommend(0, k=12)[0].tolist() == np.argsort(-(items @ users[0]), kind="stable").tolist()


def test_integer_user_ids_stay_integers(tmp_path):
    make_output(tmp_path / "m", user_ids=[7, 3, 11])
    assert load_factors(tmp_path / "m").user_ids_.tolist() == [7, 3, 11]


def test_it_is_not_trained_here(output):
    with pytest.raises(ValueError, match="--engine spark"):
        load_factors(output[0]).fit(None)


def test_a_missing_folder_or_a_file(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_factors(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(DataError, match="not a folder"):
        load_factors(tmp_path / "f.txt")


def test_a_folder_that_is_not_a_spark_output(tmp_path):
    (tmp_path / "other").mkdir()
    with pytest.raises(DataError, match=f"no {INFO_FILE}"):
        load_factors(tmp_path / "other")


@pytest.mark.parametrize("info_changes, message", [
    ({"format": "something/2"}, "expected 'embedviz-spark/1'"),
    ({"counts": {"users": 10, "items": 12}}, "10 rows|9 rows, but"),
    ({"spark_params": {**PARAMS, "rank": 5}}, "needs 5 factors"),
    ({"spark_params": {**PARAMS, "regParam": -1}}, "invalid parameters"),
])
def test_inconsistent_json(tmp_path, info_changes, message):
    make_output(tmp_path / "m", info_changes=info_changes)
    with pytest.raises(DataError, match=message):
        load_factors(tmp_path / "m")


def test_broken_json(tmp_path):
    make_output(tmp_path / "m")
    (tmp_path / "m" / INFO_FILE).write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load_factors(tmp_path / "m")


def test_index_with_a_gap(tmp_path):
    make_output(tmp_path / "m")
    part = next((tmp_path / "m" / "item_factors").glob("part-00000*.parquet"))
    table = pq.read_table(part)
    index = table["index"].to_numpy().copy()
    index[0] = 999
    pq.write_table(table.set_column(1, "index", pa.array(index)), part)
    with pytest.raises(DataError, match="item_factors: the index column is not 0..11"):
        load_factors(tmp_path / "m")


def test_missing_factor_files(tmp_path):
    make_output(tmp_path / "m")
    for path in (tmp_path / "m" / "user_factors").iterdir():
        path.unlink()
    (tmp_path / "m" / "user_factors").rmdir()
    with pytest.raises(DataError, match="user_factors/ Parquet files are missing"):
        load_factors(tmp_path / "m")


def test_zip_problems(output):
    folder, _ = output
    with pytest.raises(DataError, match="not a readable zip"):
        load_factors(b"PK\x03\x04 truncated")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ratings.csv", "u,i\n1,2\n")
    with pytest.raises(DataError, match=f"no {INFO_FILE} inside"):
        load_factors(buffer.getvalue())
    with pytest.raises(DataError, match="over the .* size limit"):
        load_factors(zipped(folder), max_bytes=1000)


def test_a_zip_that_inflates_past_the_memory_limit_is_refused_before_inflating(output, monkeypatch):
    folder, _ = output
    bomb = zipped(folder, extra={"model_dir/padding.bin": bytes(3 * 2**20)})   # 3 MB of zeros, tiny zipped
    monkeypatch.setenv("EMBEDVIZ_MAX_MEMORY_MB", "2")
    with pytest.raises(DataError, match="needs 3.* in memory, over the 2.0 MB limit"):
        load_factors(bomb, max_bytes=len(bomb) + 1)
    assert load_factors(bomb).user_factors_.shape == (9, 4)      # no limit for the API by default
