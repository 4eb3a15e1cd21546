"""embedviz.data.loaders: interactions and item metadata from files, the bad-file corpus, MovieLens."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

import embedviz as ev
from embedviz.data.columns import guess_columns
from embedviz.data.loaders import interactions_from_frame, load_interactions
from embedviz.data.metadata import align_metadata, load_item_metadata
from embedviz.data.readers import read_table
from embedviz.errors import DataError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BAD = json.loads((FIXTURES / "bad" / "manifest.json").read_text())
GOOD = json.loads((FIXTURES / "good" / "manifest.json").read_text())
MOVIELENS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ml-latest-small"
NO_MOVIELENS = "../shared/data/ml-latest-small not found (only present in CI / the dev machine)"


# --------------------------------------------------------------------------- fixture corpora
def test_bad_corpus_is_complete():
    files = {p.name for p in (FIXTURES / "bad").iterdir() if p.name != "manifest.json"}
    assert files == set(BAD) and len(BAD) >= 30


@pytest.mark.parametrize("file_name", sorted(BAD))
def test_each_bad_file_gives_its_data_error(file_name):
    spec = BAD[file_name]
    with pytest.raises(DataError) as info:
        load_interactions(FIXTURES / "bad" / file_name, **spec["kwargs"])
    assert spec["expect"] in str(info.value)
    assert str(info.value).startswith(file_name)  # every message names the file


@pytest.mark.parametrize("file_name", sorted(n for n, s in GOOD.items() if s.get("loader") != "metadata"))
def test_each_good_file_loads(file_name):
    spec = GOOD[file_name]
    data = load_interactions(FIXTURES / "good" / file_name, **spec["kwargs"])
    assert (data.n_users, data.n_items, data.nnz, data.kind) == (
        spec["n_users"], spec["n_items"], spec["nnz"], spec["kind"])


def test_fixture_ids_survive():
    good = FIXTURES / "good"
    assert set(load_interactions(good / "unicode_ids.csv").user_ids) == {"Zoë", "李雷", "😀fan"}
    assert "Heat, the\nmovie" in load_interactions(good / "quoted_newlines.csv").item_ids
    assert set(load_interactions(good / "zero_padded_ids.csv").item_ids) == {"0195153448", "0002005018", "0060973129"}
    assert load_interactions(good / "bom_crlf.csv").user_ids.dtype == np.int64
    assert set(load_interactions(good / "cp1252_ids.csv").user_ids) == {"René", "Zoë"}


# --------------------------------------------------------------------------- MovieLens formats
def test_movielens_u_data_made_here(tmp_path):
    path = tmp_path / "u.data"
    path.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n196\t302\t5\t881250950\n")
    data, report = load_interactions(path, return_report=True)
    assert (data.n_users, data.n_items, data.nnz) == (3, 3, 4)
    assert report.columns == {"user": "column 1", "item": "column 2", "value": "column 3", "time": "column 4"}
    assert report.had_header is False and report.delimiter == "\t"
    assert data.matrix[data.user_index(196), data.item_index(302)] == 5


def test_movielens_ratings_dat_made_here(tmp_path):
    path = tmp_path / "ratings.dat"
    path.write_text("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n")
    data = load_interactions(path)
    assert (data.n_users, data.n_items, data.nnz, data.kind) == (2, 2, 3, "explicit")
    assert data.timestamps is not None and data.timestamps.min() == 978298413


@pytest.fixture(scope="module")
def movielens():
    if not MOVIELENS.exists():
        pytest.skip(NO_MOVIELENS)
    return load_interactions(MOVIELENS / "ratings.csv"), load_item_metadata(MOVIELENS / "movies.csv")


def test_ml_latest_small_ratings(movielens):
    data, _ = movielens
    assert (data.n_users, data.n_items, data.nnz, data.kind) == (610, 9724, 100836, "explicit")
    assert data.timestamps is not None and len(data.timestamps) == 100836
    assert data.user_ids.dtype == np.int64 and data.item_ids.dtype == np.int64


def test_ml_latest_small_movies(movielens):
    data, movies = movielens
    assert len(movies) == 9742 and movies.loc[1, "title"] == "Toy Story (1995)"
    assert movies.loc[1, "genres"] == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]
    aligned = align_metadata(movies, data.item_ids)
    assert len(aligned) == data.n_items and aligned.index.equals(pd.Index(data.item_ids, name="movieId"))
    assert (aligned["title"] != aligned.index.astype(str)).all()  # every rated movie found its title


def test_public_exports():
    assert ev.load_interactions is load_interactions and ev.load_item_metadata is load_item_metadata


# --------------------------------------------------------------------------- column guessing
@pytest.mark.parametrize("columns, expected", [
    (["userId", "movieId", "rating", "timestamp"], ("userId", "movieId", "rating", "timestamp")),
    (["User-ID", "ISBN", "Book-Rating"], ("User-ID", "ISBN", "Book-Rating", None)),
    (["user_id", "artist_name", "plays"], ("user_id", "artist_name", "plays", None)),
    (["visitorid", "itemid", "event_count", "ts"], ("visitorid", "itemid", "event_count", "ts")),
    (["when", "customer", "product", "quantity"], ("customer", "product", "quantity", "when")),
])
def test_guess_columns_by_name(columns, expected):
    frame = pd.DataFrame([[1] * len(columns)], columns=columns)
    guess = guess_columns(frame)
    assert (guess["user"], guess["item"], guess["value"], guess["time"]) == expected


def test_guess_columns_by_position():
    frame = pd.DataFrame({"a": ["x", "y"], "b": ["p", "q"], "c": [1.5, 2.0], "d": [978300760, 978300761]})
    assert guess_columns(frame) == {"user": "a", "item": "b", "value": "c", "time": "d"}
    frame = pd.DataFrame({"a": [1], "b": [2], "when": ["2020-01-01"]})
    assert guess_columns(frame) == {"user": "a", "item": "b", "value": None, "time": "when"}


def test_guess_columns_keeps_given_roles():
    frame = pd.DataFrame(columns=["userId", "movieId", "rating", "other"])
    guess = guess_columns(frame, user="other", value=None)
    assert (guess["user"], guess["item"], guess["value"]) == ("other", "movieId", "rating")


def test_guess_columns_needs_two_columns():
    with pytest.raises(DataError, match="found only 1 column"):
        guess_columns(pd.DataFrame({"userId": [1, 2]}))


# --------------------------------------------------------------------------- validation
def frame_with(values=None, times=None, users=(1, 1, 2, 2), items=(10, 20, 10, 20)):
    frame = pd.DataFrame({"u": list(users), "i": list(items)})
    if values is not None:
        frame["v"] = values
    if times is not None:
        frame["t"] = times
    return frame


def build(frame, **kwargs):
    columns = {"value_col": "v" if "v" in frame else None, "time_col": "t" if "t" in frame else None}
    return interactions_from_frame(frame, user_col="u", item_col="i", **{**columns, **kwargs})


def test_plain_frame_reports_rows():
    with pytest.raises(DataError, match=r"data, row 3: column 'v' has a missing or NaN value"):
        build(frame_with([1.0, 2.0, np.nan, 4.0]))


@pytest.mark.parametrize("values, message", [
    (["4", "x", "5", "3"], "row 2: column 'v' should hold numbers, found 'x'"),
    ([1.0, np.inf, 3.0, 4.0], "row 2: column 'v' has inf (infinite)"),
    ([1.0, -np.inf, 3.0, 4.0], "row 2: column 'v' has -inf (infinite)"),
])
def test_bad_values(values, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(frame_with(values))


def test_dates_are_not_values():
    with pytest.raises(DataError, match="column 'v' holds dates or durations; expected numbers"):
        build(frame_with(pd.to_datetime(["2001-01-01"] * 4)))


def test_epoch_beyond_nanoseconds():
    with pytest.raises(DataError, match="row 2: column 't' has the time 1e\\+30, too large"):
        build(frame_with([1.0, 2.0, 3.0, 4.0], [1.0, 1e30, 1.0, 1.0]))


def test_mixed_type_ids_become_text():
    data, _ = build(frame_with([1.0, 2.0, 3.0, 4.0], users=(1, "a", 1, "a")))
    assert sorted(data.user_ids) == ["1", "a"]


def test_unknown_kind():
    with pytest.raises(ValueError, match=r"kind must be one of \['explicit', 'implicit'\], got 'ratings'"):
        build(frame_with([1.0, 2.0, 3.0, 4.0]), kind="ratings")


def test_no_user_column_chosen():
    with pytest.raises(DataError, match="no user column chosen"):
        interactions_from_frame(frame_with(), user_col=None, item_col="i")


def test_explicit_duplicates_keep_the_latest_by_time():
    frame = frame_with([5.0, 1.0, 2.0, 4.0], [200, 100, 5, 5], users=(1, 1, 2, 2), items=(10, 10, 10, 20))
    data, report = build(frame, kind="explicit")
    assert data.matrix[data.user_index(1), data.item_index(10)] == 5.0  # t=200 beats t=100
    assert report.duplicates_combined == 1 and "latest rating wins" in " ".join(report.notes)


def test_implicit_duplicates_are_summed():
    data, report = build(frame_with([2.0, 3.0, 1.0, 1.0], users=(1, 1, 2, 2), items=(10, 10, 10, 20)))
    assert data.kind == "implicit" or report.kind_detected
    data, report = build(frame_with([2.0, 3.0, 1.0, 1.0], users=(1, 1, 2, 2), items=(10, 10, 10, 20)),
                         kind="implicit")
    assert data.matrix[data.user_index(1), data.item_index(10)] == 5.0
    assert report.duplicates_combined == 1 and "summed" in " ".join(report.notes)
    assert report.kind_detected is False


def test_no_value_column_means_implicit_ones():
    data, report = build(frame_with())
    assert data.kind == "implicit" and np.all(data.matrix.data == 1.0)
    assert any("counts 1" in note for note in report.notes)


@pytest.mark.parametrize("times, expected", [
    ([978300760, 978300761, 978300762, 978300763], 978300760),
    ([978300760123, 978300761000, 978300762000, 978300763000], 978300760),                   # ms
    (["2001-01-01", "2001-01-02T10:00:00", "2001-01-03", "2001-01-04"], 978307200),
    (["978300760", "978300761", "978300762", "978300763"], 978300760),                      # epoch as text
    (pd.to_datetime(["2001-01-01", "2001-01-02", "2001-01-03", "2001-01-04"], utc=True), 978307200),
])
def test_timestamps_become_epoch_seconds(times, expected):
    data, report = build(frame_with([1.0, 2.0, 3.0, 4.0], times))
    assert data.timestamps.dtype == np.int64 and data.timestamps.min() == expected
    assert report.time_unit is not None


def test_report_fields(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("user;item;stars\nRené;a;4\nZoë;b;5\nRené;b;3\n".encode("cp1252"))
    data, report = load_interactions(path, return_report=True)
    assert (report.rows_read, report.rows_used, report.duplicates_combined) == (3, 3, 0)
    assert (report.kind, report.kind_detected, report.delimiter, report.had_header) == ("explicit", True, ";", True)
    assert report.encoding == "Windows-1252 (cp1252)" and report.guessed == ["user", "item", "value"]
    assert report.columns == {"user": "user", "item": "item", "value": "stars", "time": None}
    assert any("cp1252" in note for note in report.notes)


def test_read_table_then_map_like_the_data_page():
    frame = read_table(b"who,what,n\nann,x,3\nbob,y,1\nann,y,2\n", name="plays.csv")
    guess = guess_columns(frame)
    data, report = interactions_from_frame(frame, user_col=guess["user"], item_col=guess["item"],
                                           value_col=guess["value"], name="plays.csv")
    assert (data.n_users, data.n_items, data.nnz) == (2, 2, 3) and report.source == "plays.csv"


def test_streamlit_upload_object():
    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

    upload = UploadedFile(UploadedFileRec("id", "mine.csv", "text/csv", b"u,i\n1,a\n2,b\n"), None)
    data, report = load_interactions(upload, return_report=True)
    assert data.nnz == 2 and report.source == "mine.csv"


def test_one_million_rows_load(tmp_path):
    """Correctness at scale; the speed (< 2 s) is measured by benchmarks/bench_loading.py."""
    rng = np.random.default_rng(1)
    n = 1_000_000
    table = pa.table({"userId": rng.integers(1, 50_000, n), "movieId": rng.integers(1, 20_000, n),
                      "rating": rng.integers(1, 11, n) / 2})
    path = tmp_path / "big.csv"
    pa_csv.write_csv(table, path)
    data = load_interactions(path)
    pairs = table.to_pandas().drop_duplicates(["userId", "movieId"])
    assert data.kind == "explicit" and data.nnz == len(pairs)
    assert data.n_users == pairs.userId.nunique() and data.n_items == pairs.movieId.nunique()


# --------------------------------------------------------------------------- item metadata
def test_metadata_latin1_duplicates_and_no_genres():
    meta = load_item_metadata(FIXTURES / "good" / "items_latin1.csv")
    assert meta.index.tolist() == [1, 2, 3] and meta.loc[2, "title"] == "Léon (1994)"
    assert meta.loc[3, "genres"] == []
    assert any("duplicate item ids" in note for note in meta.attrs["notes"])


def test_metadata_guesses_columns_and_keeps_the_rest():
    meta = load_item_metadata(b"sku;name;category;price\nA1;Mug;Kitchen|Gifts;4.5\nB2;Pen;Office;1\n")
    assert meta.index.name == "sku" and meta.columns.tolist() == ["title", "genres", "price"]
    assert meta.loc["A1", "genres"] == ["Kitchen", "Gifts"] and meta.loc["B2", "price"] == 1.0


def test_semicolons_inside_a_field_split_unless_they_are_the_delimiter():
    meta = load_item_metadata(b'id,title,tags\n1,A,"x; y|z"\n2,B,w\n')
    assert meta.loc[1, "genres"] == ["x", "y", "z"]
    meta = load_item_metadata(b"id;title;tags\n1;A;x|y\n2;B;w\n")
    assert meta.loc[1, "genres"] == ["x", "y"]


def test_metadata_without_a_text_column_is_an_error():
    with pytest.raises(DataError, match=r"items.csv: no text column to take item titles from \(other "
                                        r"columns: 'year' \(numbers\), 'url' \(URLs\)\)"):
        load_item_metadata(b"item_id,year,url\n7,1999,http://a.b/7\n8,2001,http://a.b/8\n", id_col="item_id",
                           name="items.csv")


def test_metadata_parquet_with_list_genres():
    buffer = io.BytesIO()
    pd.DataFrame({"item": ["a", "b"], "title": ["A", "B"], "genres": [["x", "y"], []]}).to_parquet(buffer)
    meta = load_item_metadata(buffer.getvalue())
    assert meta.loc["a", "genres"] == ["x", "y"] and meta.loc["b", "genres"] == []


def test_metadata_errors():
    with pytest.raises(DataError, match="column 'nope' .* not found; available columns: 'id', 'title'"):
        load_item_metadata(b"id,title\n1,A\n", id_col="nope")
    with pytest.raises(DataError, match="no data rows"):
        load_item_metadata(b"movieId,title,genres\n")
    with pytest.raises(DataError, match="line 3: missing item id"):
        load_item_metadata(b"id,title\n1,A\n,B\n")


@pytest.mark.parametrize("meta_ids, item_ids", [
    (["1", "2", "3"], np.array([3, 1, 9])),
    ([1, 2, 3], np.array(["3", "1", "9"], dtype=object)),
    ([1.0, 2.0, 3.0], np.array([3, 1, 9])),
])
def test_align_metadata_matches_ids_across_types(meta_ids, item_ids):
    meta = pd.DataFrame({"title": ["one", "two", "three"], "genres": [["a"], ["b"], ["c"]], "year": [1, 2, 3]},
                        index=pd.Index(meta_ids, name="id"))
    aligned = align_metadata(meta, item_ids)
    assert aligned.index.tolist() == item_ids.tolist() and aligned.index.dtype == item_ids.dtype
    assert aligned["title"].tolist() == ["three", "one", "9"]
    assert aligned["genres"].tolist() == [["c"], ["a"], []]
    assert aligned["year"].isna().tolist() == [False, False, True]


def test_align_empty_metadata():
    aligned = align_metadata(pd.DataFrame(index=pd.Index([], name="item_id")), np.array([5, 6]))
    assert aligned["title"].tolist() == ["5", "6"] and aligned["genres"].tolist() == [[], []]
