"""URL parameters: bad values are ignored with one short notice, good ones still drive the page."""
from __future__ import annotations

import pytest

from embedviz.dashboard import links
from tests.app.conftest import open_page

BAD_K = ["-1", "99999999", "abc", "1e3", "3.5", "", "\x00", "%00", "1" * 300]


def open_with(path: str, **params: str):
    at = open_page()
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def notices(at) -> list[str]:
    return [w.value for w in at.warning]


@pytest.mark.parametrize("value", BAD_K)
def test_neighbours_ignores_a_bad_k(value):
    at = open_with("pages/4_Neighbours.py", k=value)
    assert at.number_input(key="nb_k").value == 10
    (notice,) = [n for n in notices(at) if "Ignored in the link" in n]
    assert "k=" in notice and "expected a whole number from 3 to 50" in notice and len(notice) < 300
    assert len(at.dataframe) == 3       # the page still works


@pytest.mark.parametrize("value", ["-1", "abc", "7.5", "51"])
def test_recommend_ignores_a_bad_k(value):
    at = open_with("pages/5_Recommend.py", k=value)
    assert at.slider[0].value == 10
    assert any("Ignored in the link" in n and "k=" in n for n in notices(at))


@pytest.mark.parametrize("path, name", [("pages/4_Neighbours.py", "item"), ("pages/4_Neighbours.py", "user"),
                                        ("pages/5_Recommend.py", "user")])
def test_a_huge_id_is_ignored_without_being_echoed(path, name):
    at = open_with(path, **{name: "9" * 100_000})
    shown = " ".join(notices(at))
    assert "Ignored in the link" in shown and "100,000 characters" in shown
    assert len(shown) < 400


def test_valid_values_still_drive_the_page():
    at = open_with("pages/4_Neighbours.py", k="7", normalise="1", query="user")
    assert at.number_input(key="nb_k").value == 7 and at.toggle(key="nb_normalise").value
    assert at.radio(key="nb_mode").value == "User" and not notices(at)


def test_an_unknown_but_well_formed_id_is_named_shortly():
    at = open_with("pages/5_Recommend.py", user="no-such-user-" + "x" * 150)
    (notice,) = notices(at)
    assert "not in the data set" in notice and len(notice) < 200


@pytest.mark.parametrize("param, raw, expected", [
    (links.Int(3, 50), " 7 ", 7), (links.Int(3, 50), "+50", 50), (links.Int(3, 50), "2", None),
    (links.Int(3, 50), "1e1", None), (links.Int(3, 50), "٣", None), (links.Choice(("a", "b")), "b", "b"),
    (links.Choice(("a", "b")), "B", None), (links.Text(), "Toy Story", "Toy Story"), (links.Text(), "a\x00", None),
    (links.Text(), "", None), (links.Text(5), "abcdef", None),
])
def test_parameter_parsing(param, raw, expected):
    assert param.parse(raw) == expected


def test_shorten_quotes_a_few_characters_and_escapes_controls():
    assert links.shorten("abc") == "'abc'"
    short = links.shorten("\x00" + "y" * 1000)
    assert short.startswith("'\\x00yyy") and "1,001 characters" in short and len(short) < 60
