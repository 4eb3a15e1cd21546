"""The guided demo's choices and plain-language numbers (embedviz.analysis.story), on block data
with known answers: three genres of items, people who each love one genre, and one hub item
that everybody watches."""
import numpy as np
import pytest
import scipy.sparse as sp

import embedviz as ev
from embedviz.analysis import story
from embedviz.analysis.evaluation import PopularityBaseline
from embedviz.data.interactions import Interactions

GENRES = ("Comedy", "Horror", "Western")
PER_GENRE = 30
HUB = 0   # item 0: a Comedy that everybody watches


def _block_data(seed: int = 0) -> tuple[Interactions, list[list[str]]]:
    rng = np.random.default_rng(seed)
    n_items = PER_GENRE * len(GENRES)
    genre_of = np.repeat(np.arange(len(GENRES)), PER_GENRE)
    popularity = 1.0 / np.arange(1, PER_GENRE + 1) ** 0.7
    rows, cols = [], []
    for user in range(150):
        loves = user % len(GENRES)
        own = np.flatnonzero(genre_of == loves)
        n = 6 + user % 18                      # activity from 6 to 23
        picked = rng.choice(own, size=min(n, len(own)), replace=False, p=popularity / popularity.sum())
        picked = np.union1d(picked, [HUB])
        rows += [user] * len(picked)
        cols += picked.tolist()
    matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(150, n_items))
    data = Interactions(matrix, np.arange(150) + 1000, np.arange(n_items) + 1, "implicit", None)
    return data, [[GENRES[g]] for g in genre_of]


@pytest.fixture(scope="module")
def fitted():
    data, genres = _block_data()
    train, test = ev.split(data, test_fraction=0.25, seed=0)
    model = ev.WALS(factors=6, iterations=8, random_state=0).fit(train)
    return model, data, train, test, genres


def test_showcase_item_is_popular_with_neighbours_of_its_own_kind_not_the_hub(fitted):
    model, data, train, _, genres = fitted
    popularity = train.item_popularity()
    item = story.showcase_item(model.item_factors_, popularity, genres, candidates=10)
    assert item != HUB, "the hub everyone watches has neighbours of every kind"
    assert item in np.argsort(-popularity)[:10]
    neighbours, _ = ev.nearest_neighbours(model.item_factors_, item, k=10, metric="cosine")
    assert np.mean([genres[n] == genres[item] for n in neighbours]) >= 0.8


def test_showcase_item_without_genres_uses_how_similar_the_neighbours_are(fitted):
    model, _, train, _, _ = fitted
    item = story.showcase_item(model.item_factors_, train.item_popularity(), None, candidates=10)
    assert item != HUB


def test_showcase_item_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="one vector per item"):
        story.showcase_item(np.zeros((3, 2)), np.ones(4))


def test_taste_clarity_is_the_share_of_the_top_genre():
    matrix = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]], dtype=np.float32))
    data = Interactions(matrix, np.arange(3), np.arange(4), "implicit", None)
    genres = [["A"], ["A"], ["B"], ["B"]]
    assert story.taste_clarity(data, np.eye(4), genres).tolist() == [1.0, 0.5, 0.0]


def test_taste_clarity_without_genres_is_how_aligned_the_items_are():
    matrix = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1]], dtype=np.float32))
    data = Interactions(matrix, np.arange(2), np.arange(3), "implicit", None)
    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
    assert story.taste_clarity(data, vectors).tolist() == pytest.approx([1.0, 0.0])


def test_showcase_user_is_active_with_a_clear_taste_and_checkable(fitted):
    model, _, train, test, genres = fitted
    user = story.showcase_user(model, train, test, genres)
    activity = train.user_activity()
    assert activity[user] >= np.median(activity)
    assert test.matrix[user].nnz >= 2
    clarity = story.taste_clarity(train, model.item_factors_, genres)
    assert clarity[user] >= np.quantile(clarity, 0.5)


def test_taste_sentence_in_plain_words():
    shares = story.taste([["A", "B"], ["A"], ["C"], ["A"]], np.array([0, 1, 2, 3]))
    assert shares[0] == ("A", 0.75)
    assert story.taste_sentence(shares, "films") == "Mostly A (75% of their films), also B (25%) and C (25%)"
    assert story.taste_sentence([], "films") == ""


def test_favourites_are_the_highest_rated_then_the_best_known():
    matrix = sp.csr_matrix(np.array([[3, 5, 5, 1]], dtype=np.float32))
    data = Interactions(matrix, np.arange(1), np.arange(4), "explicit", None)
    assert story.favourites(data, 0, np.array([9, 1, 7, 100]), n=3).tolist() == [2, 1, 0]


def test_held_out_check_ranks_found_items_first(fitted):
    model, _, train, test, _ = fitted
    user = story.showcase_user(model, train, test)
    check = story.held_out_check(model, train, test, user, k=10)
    top, _ = model.recommend(user, k=10)
    assert sorted(check.items.tolist()) == sorted(test.matrix[user].indices.tolist())
    for item, rank in zip(check.items, check.ranks):
        assert rank == (top.tolist().index(item) + 1 if item in top else 0)
    found = check.ranks[check.ranks > 0]
    assert check.found == len(found) and list(found) == sorted(found)
    assert (check.ranks[: check.found] > 0).all()


def test_hit_rate_counts_people_with_a_hidden_item_in_their_top_k(fitted):
    model, _, train, test, _ = fitted
    users = np.flatnonzero(test.user_activity() > 0)
    expected = np.mean([len(set(model.recommend(int(u), k=5)[0].tolist()) & set(test.matrix[u].indices)) > 0
                        for u in users])
    rate, n = story.hit_rate(model, train, test, k=5)
    assert n == len(users) and rate == pytest.approx(expected)
    baseline, _ = story.hit_rate(PopularityBaseline().fit(train), train, test, k=5)
    assert rate > baseline, "people who love one genre: the model must beat most-popular-for-everyone"
    sampled, counted = story.hit_rate(model, train, test, k=5, max_users=20)
    assert counted == 20 and 0 <= sampled <= 1


def test_in_every_100():
    assert story.in_every_100(0.637) == "64 in every 100"
    assert story.in_every_100(0.0) == "0 in every 100"


def test_suggestions_take_the_best_known_of_each_group_side_by_side():
    popularity = np.array([50, 40, 30, 20, 10, 5, 1])
    groups = np.array([0, 0, 0, 1, 1, 2, 0])
    assert story.suggestions(popularity, groups, n=5).tolist() == [0, 1, 3, 4, 5]
    assert story.suggestions(popularity, groups, n=5, per_group=1).tolist() == [0, 3, 5, 1, 4]
    assert sorted(story.suggestions(popularity, groups, n=20).tolist()) == list(range(7))


def test_match_words_are_relative_to_the_best_suggestion():
    assert story.match_words([1.0, 0.9, 0.7, 0.2]) == ["strong match", "strong match", "good match", "worth a try"]
    assert story.match_words([]) == []


@pytest.mark.parametrize(("direction", "distance", "expected"), [
    ([1, 2, 3], [4, 5, 6], "leans to better-known"),
    ([4, 5, 6], [1, 2, 3], "leans to lesser-known"),
    ([1, 2, 3], [1, 2, 3], "about equally well known"),
])
def test_closeness_sentence_follows_the_numbers(direction, distance, expected):
    popularity = np.array([500, 10, 12, 14, 100, 120, 140])
    c = story.compare_closeness(direction, distance, popularity, query=0)
    assert c.shared == len(set(direction) & set(distance)) and c.k == 3
    sentence = story.closeness_sentence(c, "films")
    assert expected in sentence
    if not expected.startswith("about"):
        assert "500 people chose this one" in sentence
        assert sentence.startswith("The two lists have nothing in common.")
    else:
        assert sentence.startswith("3 of the 3 appear in both lists")


def test_showcase_item_prefers_one_where_direction_and_distance_disagree():
    a = [[1.0, 0.0]] + [[5.0, 0.25 * k] for k in range(1, 5)] + [[0.9, 0.4 + 0.01 * k] for k in range(4)]
    b = [[0.0, 1.0]] + [[0.05 * k, 1.0] for k in range(1, 5)]
    vectors = np.array(a + b)
    popularity = np.array([100] + [1] * 8 + [200] + [1] * 4)
    genres = [["X"]] * 9 + [["Y"]] * 5
    assert story.showcase_item(vectors, popularity, genres, candidates=2, k=4) == 0, \
        "item 0's closest by direction (far, same way) and by distance (near, off to the side) differ"
    assert story.showcase_item(vectors[9:], popularity[9:], genres[9:], candidates=1, k=4) == 0
