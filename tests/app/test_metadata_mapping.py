"""The Data page's item metadata step in AppTest: a headerless MovieLens-100K-like upload gets real
titles and named genres, the mapping can be changed, and bad metadata keeps the data set in use."""
from __future__ import annotations

import pytest

from embedviz.data.synthetic import write_movielens_100k
from tests.app.conftest import button, errors, metric, open_page


@pytest.fixture(scope="module")
def ml100k(tmp_path_factory):
    return write_movielens_100k(tmp_path_factory.mktemp("ml100k"), n_users=60, n_items=120, n_ratings=2_400)


def _upload(at, key: str, path):
    at.file_uploader(key=key).set_value((path.name, path.read_bytes(), "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _selectbox(at, label: str):
    return next(s for s in at.selectbox if s.label == label)


def _warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


def test_headerless_item_file_gets_titles_and_named_genres(ml100k):
    at = open_page("pages/1_Data.py")
    _upload(at, "upload_interactions", ml100k.paths["ratings"])
    _upload(at, "upload_metadata", ml100k.paths["items"])
    assert _selectbox(at, "Title column").value == "column 2"
    assert _selectbox(at, "Genres from").value == "A block of 0/1 columns"
    assert _selectbox(at, "First genre flag column").value == "column 6"
    assert _selectbox(at, "Last genre flag column").value == "column 24"
    assert "no names" in _warnings(at)                       # flags still read "column 6" ...
    at.text_area(key="meta_genre_text").input(", ".join(ml100k.truth["genres"])).run()
    assert "no names" not in _warnings(at)
    button(at, "Use this data set").click()
    at.run()
    assert not errors(at), errors(at)
    data = at.session_state["ev_dataset"]
    assert metric(at, "Items") == "120"
    titles = dict(zip(data.interactions.item_ids, data.titles))
    assert all(titles[i] == ml100k.truth["titles"][i] for i in data.interactions.item_ids)
    item = int(data.interactions.item_ids[0])
    assert data.items["genres"].iat[0] == [g for g in ml100k.truth["item_genres"][item] if g != "unknown"]
    assert data.meta_report.matched == 120 and not data.warnings
    assert "Titles" not in _warnings(at)


def test_wrong_genre_name_count_is_an_error_and_keeps_the_demo(ml100k):
    at = open_page("pages/1_Data.py")
    _upload(at, "upload_interactions", ml100k.paths["ratings"])
    _upload(at, "upload_metadata", ml100k.paths["items"])
    at.text_area(key="meta_genre_text").input("Action, Comedy").run()
    assert any("2 genre names" in e and "19 genre flag columns" in e for e in errors(at)), errors(at)
    button(at, "Use this data set").click()
    at.run()
    assert any("not changed" in e for e in errors(at))
    assert at.session_state["ev_dataset"].is_demo and metric(at, "Users") == "2,500"


def test_an_id_column_whose_values_all_repeat_is_an_error(ml100k):
    at = open_page("pages/1_Data.py")
    _upload(at, "upload_interactions", ml100k.paths["ratings"])
    _upload(at, "upload_metadata", ml100k.paths["items"])
    _selectbox(at, "Genres from").set_value("No genres").run()
    _selectbox(at, "Item id column").set_value("column 14").run()    # the Drama flags: 0 and 1
    assert any("every value of the id column 'column 14' repeats" in e for e in errors(at)), errors(at)
    button(at, "Use this data set").click()
    at.run()
    assert any("not changed" in e for e in errors(at))
    assert at.session_state["ev_dataset"].is_demo


def test_interactions_alone_warn_that_titles_are_ids(ml100k):
    at = open_page("pages/1_Data.py")
    _upload(at, "upload_interactions", ml100k.paths["ratings"])
    button(at, "Use this data set").click()
    at.run()
    assert not errors(at), errors(at)
    assert "Titles are the item ids" in _warnings(at)
