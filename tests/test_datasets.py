import gzip

import numpy as np
import pandas as pd

from embedviz.data.datasets import DEMO_ITEMS, DEMO_RATINGS, make_demo, synthetic_interactions


def test_committed_demo_files_are_what_the_generator_makes():
    ratings, items = make_demo()
    assert gzip.decompress(DEMO_RATINGS.read_bytes()) == ratings.to_csv(index=False).encode()
    assert DEMO_ITEMS.read_text() == items.to_csv(index=False)


def test_demo_is_small_and_realistic():
    assert DEMO_RATINGS.stat().st_size + DEMO_ITEMS.stat().st_size < 5 * 2**20
    ratings, items = make_demo()
    assert 2000 <= ratings.user_id.nunique() <= 5000 and 2000 <= len(items) <= 5000
    assert set(np.unique(ratings.rating)) <= set(np.arange(1, 11) / 2)
    assert not ratings.duplicated(["user_id", "item_id"]).any()
    release = pd.to_datetime(items.set_index("item_id").year.astype(str)).astype("int64") // 10**9
    assert (ratings.timestamp.to_numpy() >= release.loc[ratings.item_id].to_numpy()).all()


def test_demo_popularity_has_a_long_tail():
    ratings, _ = make_demo()
    counts = np.sort(ratings.item_id.value_counts().to_numpy())[::-1]
    top_decile_share = counts[: len(counts) // 10].sum() / counts.sum()
    assert top_decile_share > 0.35 and counts[-1] < 10


def test_demo_users_stick_to_their_genres():
    """Planted structure: a user's ratings concentrate in few genres, far more than chance."""
    ratings, items = make_demo()
    main = items.set_index("item_id").genres.str.split("|").str[0]
    frame = ratings.assign(genre=main.loc[ratings.item_id].to_numpy())
    top_share = frame.groupby("user_id").genre.agg(lambda g: g.value_counts(normalize=True).iloc[0])
    overall_top = main.value_counts(normalize=True).iloc[0]
    assert top_share.median() > 2 * overall_top


def test_demo_ratings_are_higher_in_a_users_favourite_genre():
    ratings, items = make_demo()
    main = items.set_index("item_id").genres.str.split("|").str[0]
    frame = ratings.assign(genre=main.loc[ratings.item_id].to_numpy())
    favourite = frame.groupby("user_id").genre.agg(lambda g: g.value_counts().index[0])
    in_favourite = frame.genre.to_numpy() == favourite.loc[frame.user_id].to_numpy()
    assert frame.rating[in_favourite].mean() > frame.rating[~in_favourite].mean() + 0.2


def test_synthetic_interactions_shape_kind_and_tail():
    data = synthetic_interactions(2000, 500, 50_000, seed=3)
    assert data.n_users <= 2000 and data.n_items <= 500
    assert data.kind == "implicit" and 20_000 < data.nnz <= 50_000   # duplicates are summed
    assert data.matrix.data.min() >= 1
    explicit = synthetic_interactions(500, 100, 5_000, kind="explicit", seed=3)
    assert explicit.kind == "explicit" and set(np.unique(explicit.matrix.data)) <= {1, 2, 3, 4, 5}


def test_synthetic_is_reproducible():
    a = synthetic_interactions(300, 100, 5_000, seed=9)
    b = synthetic_interactions(300, 100, 5_000, seed=9)
    assert (a.matrix != b.matrix).nnz == 0
