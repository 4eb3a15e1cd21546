import numpy as np
import pandas as pd
import pytest

import embedviz as ev
from embedviz.analysis import recommendations as recs
from embedviz.data.datasets import synthetic_interactions
from embedviz.data.session_io import load_session, session_bytes


@pytest.fixture(scope="module")
def fitted():
    data = synthetic_interactions(400, 120, 8_000, seed=2)
    items = pd.DataFrame({"title": [f"item {i}" for i in data.item_ids],
                          "genres": [["A"] if i % 2 else ["B"] for i in range(data.n_items)]})
    train, test = ev.split(data, seed=0)
    return ev.WALS(factors=8, iterations=5, random_state=0).fit(train), data, train, test, items


def test_recommendation_frame_for_a_known_user_marks_hits(fitted):
    model, data, train, test, items = fitted
    frame = recs.recommendation_frame(model, 3, items, k=5, held_out=test)
    assert list(frame.columns) == ["rank", "hit", "title", "genres", "score", "because you liked"]
    assert len(frame) == 5 and frame.score.is_monotonic_decreasing
    hidden = set(test.matrix[3].indices)
    assert [h == "✓" for h in frame.hit] == [i in hidden for i in frame.index]
    assert not set(frame.index) & set(train.matrix[3].indices)     # seen items left out


def test_recommendation_frame_for_a_folded_in_user(fitted):
    model, _, _, _, items = fitted
    liked, values = [1, 5, 9], [1.0, 1.0, 1.0]
    vector = model.fold_in(liked, values)
    frame = recs.recommendation_frame(model, (liked, values), items, k=5, vector=vector, exclude=liked)
    assert len(frame) == 5 and not set(frame.index) & set(liked)
    assert all(reason for reason in frame["because you liked"])
    assert "hit" not in frame


def test_history_frame_is_most_recent_first_when_timestamps_exist():
    from embedviz.data.interactions import from_arrays

    data = from_arrays([1, 1, 1], [10, 20, 30], [3, 4, 5], [100, 300, 200])
    items = pd.DataFrame({"title": ["a", "b", "c"], "genres": [[], [], []]})
    frame = recs.history_frame(data, items, 0)
    assert frame.title.tolist() == ["b", "c", "a"]


def test_all_recommendations_cover_every_user(fitted):
    model, data, _, _, items = fitted
    frame = recs.all_recommendations(model, data, items, k=3, batch=50)
    assert len(frame) == 3 * data.n_users and frame.groupby("user").size().eq(3).all()


def test_all_recommendations_write_only_real_ones_for_users_with_few_unseen_items():
    from embedviz.data.interactions import from_arrays

    # user 1 has seen 4 of 6 items, user 2 all 6, user 3 one: at most 2, 0 and 5 unseen items remain
    users = [1] * 4 + [2] * 6 + [3]
    items_seen = [0, 1, 2, 3] + list(range(6)) + [0]
    data = from_arrays(users, items_seen, np.ones(len(users)), kind="implicit")
    model = ev.WALS(factors=2, iterations=3, random_state=0).fit(data)
    items = pd.DataFrame({"title": [f"t{i}" for i in range(6)], "genres": [[]] * 6})
    frame = recs.all_recommendations(model, data, items, k=4, batch=2)
    assert frame.groupby("user").size().to_dict() == {1: 2, 3: 4}
    assert np.isfinite(frame.score).all()
    for user, group in frame.groupby("user"):
        seen = set(data.item_ids[data.matrix[data.user_index(user)].indices])
        assert not seen & set(group["item"]) and group["rank"].tolist() == list(range(1, len(group) + 1))
        assert group["item"].is_unique


def test_session_file_round_trip_is_exact(fitted):
    model, data, _, _, items = fitted
    loaded, data2, items2, name = load_session(session_bytes(model, data, items, "demo"))
    assert name == "demo" and np.array_equal(loaded.item_factors_, model.item_factors_)
    assert (data2.matrix != data.matrix).nnz == 0 and items2.title.tolist() == items.title.tolist()
    assert [list(g) for g in items2.genres] == [list(g) for g in items.genres]
    a, _ = model.recommend(7, k=5)
    b, _ = loaded.recommend(7, k=5)
    assert a.tolist() == b.tolist()


def test_a_plain_model_file_is_not_a_session(fitted, tmp_path):
    model = fitted[0]
    model.save(tmp_path / "m.npz")
    with pytest.raises(ev.DataError, match="not the data set"):
        load_session(tmp_path / "m.npz")
