"""The realistic synthetic sets look like the real files and carry the structure they promise."""
import time

import numpy as np
import pandas as pd
import pytest

from embedviz.data.synthetic import (
    clustered_vectors,
    write_european_ratings,
    write_lastfm,
    write_movielens_100k,
    write_vectors,
    zipf_slope,
)


@pytest.fixture(scope="module")
def movielens(tmp_path_factory):
    return write_movielens_100k(tmp_path_factory.mktemp("ml"), seed=0)


@pytest.fixture(scope="module")
def lastfm(tmp_path_factory):
    return write_lastfm(tmp_path_factory.mktemp("lastfm"), seed=0)


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vec")
    return write_vectors(folder, 20_000, formats=("parquet", "npy", "tsv"), seed=0)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- MovieLens-100K ------------------------------------------------------------------------------

def test_u_item_is_headerless_latin1_with_24_columns_and_19_flags(movielens):
    raw = movielens.paths["items"].read_bytes()
    assert not _is_utf8(raw)
    lines = raw.decode("latin-1").splitlines()
    rows = [line.split("|") for line in lines]
    assert len(rows) == movielens.truth["n_items"] == 1682
    assert [r[0] for r in rows] == [str(i) for i in range(1, 1683)]  # no header: ids from line 1
    assert {len(r) for r in rows} == {24}
    assert {r[3] for r in rows} == {""}                               # video release date: empty
    flags = np.array([r[5:] for r in rows], dtype=int)
    assert flags.shape == (1682, 19) and set(np.unique(flags)) == {0, 1}
    assert (flags.sum(axis=1) >= 1).all()
    titles = [r[1] for r in rows]
    assert "Amélie (2001)" in titles and "Café au lait (1993)" in titles and "unknown" in titles
    assert sum(not t.isascii() for t in titles) >= 20
    assert all(r[2] == "" or pd.to_datetime(r[2], format="%d-%b-%Y").year > 1900 for r in rows)
    urls = [r[4] for r in rows if r[1] != "unknown"]
    assert all(url.startswith("http://us.imdb.com/M/title-exact?") for url in urls)


def test_u_genre_and_u_info(movielens):
    lines = movielens.paths["genres"].read_text().split("\n")
    assert lines[0] == "unknown|0" and lines[18] == "Western|18" and lines[19:] == ["", ""]
    assert movielens.paths["info"].read_text() == "943 users\n1682 items\n100000 ratings\n"


def test_u_data_shape_and_rating_distribution(movielens):
    frame = pd.read_csv(movielens.paths["ratings"], sep="\t", header=None)
    assert frame.shape == (100_000, 4)
    assert frame[0].nunique() == 943 and frame[1].nunique() == 1682
    assert not frame.duplicated([0, 1]).any()
    assert frame[0].value_counts().min() >= 20
    shares = frame[2].value_counts(normalize=True).sort_index().to_numpy()
    np.testing.assert_allclose(shares, [0.061, 0.114, 0.271, 0.342, 0.212], atol=0.01)
    assert frame[3].between(874_724_710, 893_286_638).all()
    assert not frame[0].is_monotonic_increasing                  # random order, like the real file


def test_movielens_popularity_is_zipf_like(movielens):
    frame = pd.read_csv(movielens.paths["ratings"], sep="\t", header=None)
    counts = frame[1].value_counts().to_numpy()
    assert -1.3 < zipf_slope(counts) < -0.5
    assert counts.max() > 400 and (counts <= 3).sum() > 30


def test_movielens_ratings_follow_the_latent_tastes(movielens):
    frame = pd.read_csv(movielens.paths["ratings"], sep="\t", header=None,
                        names=["u", "i", "r", "t"])
    truth = movielens.truth
    group = frame["i"].map(truth["item_group"]).to_numpy()
    favourite = frame["u"].map(truth["user_favourite"]).to_numpy()
    fits = group == favourite
    assert frame.loc[fits, "r"].mean() > frame.loc[~fits, "r"].mean() + 0.4
    shuffled = group == np.random.default_rng(0).permutation(favourite)
    assert fits.mean() > 2 * shuffled.mean()                     # and they pick their genre more


# --- last.fm -------------------------------------------------------------------------------------

def test_user_artists_shape_and_heavy_tailed_counts(lastfm):
    plays = pd.read_csv(lastfm.paths["plays"], sep="\t")
    assert list(plays.columns) == ["userID", "artistID", "weight"]
    assert plays["userID"].nunique() == 1892 and plays["artistID"].nunique() >= 15_000
    assert plays["weight"].min() == 1 and plays["weight"].max() > 100_000
    assert plays["weight"].median() < 1000 < plays["weight"].mean() * 2
    per_user = plays["userID"].value_counts()
    assert per_user.max() == 50 and per_user.median() == 50
    assert plays.equals(plays.sort_values(["userID", "artistID"]).reset_index(drop=True))


def test_most_artists_have_one_listener_and_popularity_is_zipf_like(lastfm):
    listeners = pd.read_csv(lastfm.paths["plays"], sep="\t")["artistID"].value_counts()
    assert (listeners == 1).mean() > 0.5
    assert listeners.max() > 200
    assert -1.2 < zipf_slope(listeners.to_numpy()) < -0.5


def test_artists_and_tags_files(lastfm):
    artists = pd.read_csv(lastfm.paths["artists"], sep="\t", keep_default_na=False)
    assert list(artists.columns) == ["id", "name", "url", "pictureURL"]
    assert artists["name"].is_unique and (~artists["name"].map(str.isascii)).mean() > 0.05
    assert artists["url"].str.startswith("http://www.last.fm/music/").all()
    plays = pd.read_csv(lastfm.paths["plays"], sep="\t")
    assert set(plays["artistID"]) == set(artists["id"])
    assert artists["id"].max() > len(artists)                          # ids have gaps

    raw = lastfm.paths["tags"].read_bytes()
    assert not _is_utf8(raw) and raw.startswith(b"tagID\ttagValue\n")
    tags = pd.read_csv(lastfm.paths["tags"], sep="\t", encoding="latin-1")
    assert "música" in set(tags["tagValue"]) and tags["tagValue"].is_unique

    taggings = pd.read_csv(lastfm.paths["taggings"], sep="\t")
    assert list(taggings.columns) == ["userID", "artistID", "tagID", "day", "month", "year"]
    assert set(taggings["tagID"]) <= set(tags["tagID"]) and (taggings["day"] == 1).all()
    assert 0 < (~taggings["artistID"].isin(artists["id"])).sum() <= 40   # as in the real set


def test_artist_tags_name_the_latent_groups(lastfm):
    table = pd.read_csv(lastfm.paths["artist_tags"], sep="\t", keep_default_na=False)
    assert list(table.columns) == ["id", "name", "tags"]
    truth = lastfm.truth
    listeners = pd.read_csv(lastfm.paths["plays"], sep="\t")["artistID"].value_counts()
    popular = table[table["id"].isin(listeners.index[listeners >= 20])]
    main_tag = popular["id"].map(truth["artist_group"]).map(truth["group_tag"])
    first_tag = popular["tags"].str.split("|").str[0]
    assert len(popular) > 300 and (first_tag == main_tag).mean() > 0.8


def test_lastfm_users_listen_mostly_in_their_group(lastfm):
    plays = pd.read_csv(lastfm.paths["plays"], sep="\t")
    truth = lastfm.truth
    same = plays["artistID"].map(truth["artist_group"]) == plays["userID"].map(truth["user_group"])
    assert same.mean() > 0.7
    groups = pd.Series(truth["artist_group"]).value_counts()
    assert 6 <= len(groups) <= 10 and groups.min() > 500


# --- vectors -------------------------------------------------------------------------------------

def test_clustered_vectors_shapes_sizes_and_outliers():
    vectors, metadata, truth = clustered_vectors(20_000, 64, seed=1)
    assert vectors.shape == (20_000, 64) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all()
    assert list(metadata.columns) == ["id", "title", "category"] and metadata["title"].is_unique
    sizes = truth["cluster_sizes"]
    assert sizes.sum() + len(truth["outliers"]) == 20_000 and sizes.max() / sizes.min() > 1000
    assert np.array_equal(np.flatnonzero(truth["cluster"] < 0), truth["outliers"])
    names = np.array(truth["cluster_names"])
    assert (metadata["category"] == names[truth["cluster"].clip(0)]).mean() > 0.9
    # Outliers are far from every cluster centre; clustered points are near their own.
    member = truth["cluster"] >= 0
    own = np.linalg.norm(vectors[member] - truth["centers"][truth["cluster"][member]], axis=1)
    gaps = vectors[truth["outliers"], None, :] - truth["centers"][None]
    far = np.linalg.norm(gaps, axis=2).min(axis=1)
    assert far.min() > 2 * np.quantile(own, 0.999)


def test_vector_files_round_trip(vectors):
    import pyarrow as pa
    import pyarrow.parquet as pq

    expected, metadata, _ = clustered_vectors(20_000, 64, seed=0)
    table = pq.read_table(vectors.paths["parquet"], memory_map=True)
    assert table.schema.field("vector").type == pa.list_(pa.float32(), 64)
    assert table.column_names == ["id", "title", "category", "vector"]
    chunks = table.column("vector").chunks
    read = np.concatenate([c.values.to_numpy().reshape(-1, 64) for c in chunks])
    assert np.array_equal(read, expected)
    assert np.array_equal(np.load(vectors.paths["npy"], allow_pickle=False), expected)
    tsv = pd.read_csv(vectors.paths["vectors_tsv"], sep="\t", header=None, dtype=np.float32)
    assert tsv.shape == (20_000, 64) and np.array_equal(tsv.to_numpy(), expected)
    meta = pd.read_csv(vectors.paths["metadata_tsv"], sep="\t")
    assert meta.equals(metadata)


def test_bad_parameters_raise(tmp_path):
    with pytest.raises(ValueError, match="formats"):
        write_vectors(tmp_path, 1000, formats=("hdf5",))
    with pytest.raises(ValueError, match="n must be"):
        clustered_vectors(100, n_clusters=40)
    with pytest.raises(ValueError, match="n_ratings"):
        write_movielens_100k(tmp_path, n_ratings=100)
    with pytest.raises(ValueError, match="language"):
        write_european_ratings(tmp_path / "r.csv", language="xx")


@pytest.mark.slow
def test_a_million_vectors_generate_and_write_quickly(tmp_path):
    start = time.perf_counter()
    written = write_vectors(tmp_path, 1_000_000, formats=("parquet",), seed=0)
    assert time.perf_counter() - start < 40                    # ~4 s on the 2-core dev box
    assert written.paths["parquet"].stat().st_size > 1_000_000 * 64 * 4 * 0.9


# --- European spreadsheet export -----------------------------------------------------------------

def test_european_csv_has_bom_crlf_semicolons_and_decimal_commas(tmp_path):
    written = write_european_ratings(tmp_path / "ratings.csv", seed=0)
    raw = written.paths["ratings"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfKunde;Artikel;Titel;Bewertung;Datum\r\n")
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n") == written.truth["n_rows"] + 1
    assert b";3,5;" in raw and b";4;" in raw and b'"Caf\xc3\xa9; Paris"' in raw
    frame = pd.read_csv(written.paths["ratings"], sep=";", decimal=",", encoding="utf-8-sig")
    np.testing.assert_array_equal(frame["Bewertung"].to_numpy(), written.truth["ratings"])
    assert frame["Kunde"].nunique() == written.truth["n_users"]
    assert pd.to_datetime(frame["Datum"], format="%d.%m.%Y %H:%M").dt.year.between(2020, 2023).all()


# --- determinism ---------------------------------------------------------------------------------

def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    small = {"n_users": 100, "n_items": 300, "n_ratings": 5000}
    first = write_movielens_100k(tmp_path / "a", seed=0, **small)
    again = write_movielens_100k(tmp_path / "b", seed=0, **small)
    other = write_movielens_100k(tmp_path / "c", seed=1, **small)
    for role in ("ratings", "items"):
        assert again.paths[role].read_bytes() == first.paths[role].read_bytes()
        assert other.paths[role].read_bytes() != first.paths[role].read_bytes()
    one = write_european_ratings(tmp_path / "e1.csv", seed=3).paths["ratings"]
    two = write_european_ratings(tmp_path / "e2.csv", seed=3).paths["ratings"]
    assert one.read_bytes() == two.read_bytes()
    a, ma, _ = clustered_vectors(5000, 16, n_clusters=10, seed=4)
    b, mb, _ = clustered_vectors(5000, 16, n_clusters=10, seed=4)
    assert np.array_equal(a, b) and ma.equals(mb)


def test_lastfm_is_deterministic(tmp_path):
    small = {"n_users": 200, "pool": 5000, "n_junk_tags": 300}
    first = write_lastfm(tmp_path / "a", seed=5, **small)
    again = write_lastfm(tmp_path / "b", seed=5, **small)
    for role in first.paths:
        assert again.paths[role].read_bytes() == first.paths[role].read_bytes(), role
