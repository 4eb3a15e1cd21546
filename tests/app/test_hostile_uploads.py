"""Every upload point of the app, every hostile file: one clear message, nothing changed, no exception box.

Walks the Data page (interactions, item metadata), Explore (vectors, their metadata) and Recommend
(a saved model + data) with the corpus of tests/fixtures/hostile/ and the bombs built by
tests/fixtures/make_hostile.py. A case fails on any exception that would reach Streamlit's error
box, and on a silent rejection (no st.error naming what is wrong and that nothing changed).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.conftest import button, errors, open_page
from tests.fixtures import make_hostile

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
MANIFEST = json.loads((HOSTILE / "manifest.json").read_text())
PAGES = {"interactions": "pages/1_Data.py", "metadata": "pages/1_Data.py", "embeddings": "pages/3_Explore.py",
         "embeddings_metadata": "pages/3_Explore.py", "session": "pages/5_Recommend.py"}
UNCHANGED = ("was not changed", "were not changed", "Nothing was changed")
_SESSIONS: dict = {}


def session_for(target: str):
    """One visitor per upload point, reused across files (each file must leave it as it was)."""
    if target not in _SESSIONS:
        at = open_page(PAGES[target])
        _SESSIONS[target] = (at, sorted(at.session_state["ev_models"]))
    return _SESSIONS[target]


def put(at, key: str, name: str, content: bytes) -> None:
    at.file_uploader(key=key).set_value((name, content, "application/octet-stream"))
    at.run()


def hand_over(at, target: str, name: str, content: bytes) -> None:
    """Do what a visitor does to use ``content`` at ``target``."""
    if target in ("interactions", "metadata"):
        good = (HOSTILE / make_hostile.GOOD_INTERACTIONS).read_bytes()
        put(at, "upload_interactions", *((name, content) if target == "interactions" else ("ratings.csv", good)))
        if target == "metadata":
            put(at, "upload_metadata", name, content)
        if not errors(at):   # a readable table: the problem shows when the mapping is applied
            button(at, "Use this data set").click()
            at.run()
    elif target in ("embeddings", "embeddings_metadata"):
        vectors = (HOSTILE / make_hostile.GOOD_VECTORS).read_bytes()
        put(at, "upload_vectors", *((name, content) if target == "embeddings" else
                                    (make_hostile.GOOD_VECTORS, vectors)))
        if target == "embeddings_metadata":
            put(at, "upload_vectors_metadata", name, content)
        button(at, "Open these embeddings").click()
        at.run()
    else:
        put(at, "upload_model", name, content)
        button(at, "Open this model").click()
        at.run()


def check_refused(target: str, name: str, content: bytes, expect: str) -> None:
    at, models_before = session_for(target)
    hand_over(at, target, name, content)
    assert not at.exception, [e.value for e in at.exception]
    shown = errors(at)
    assert shown, f"{name}: silently rejected (no message)"
    assert any(expect in text and name in text for text in shown), shown
    assert any(phrase in text for text in shown for phrase in UNCHANGED), shown
    assert at.session_state["ev_dataset"].is_demo
    assert sorted(at.session_state["ev_models"]) == models_before
    assert "ev_external_space" not in at.session_state


@pytest.mark.parametrize("file", sorted(MANIFEST))
def test_every_upload_point_refuses_every_hostile_file_clearly(file):
    case = MANIFEST[file]
    check_refused(case["target"], file.split("__", 1)[1], (HOSTILE / file).read_bytes(), case["expect"])


@pytest.mark.parametrize("bomb", sorted(make_hostile.BOMBS))
def test_every_upload_point_refuses_bombs_clearly(bomb, monkeypatch):
    monkeypatch.setenv("EMBEDVIZ_MAX_MEMORY_MB", "64")
    target, build, expect = make_hostile.BOMBS[bomb]
    check_refused(target, bomb, build(64 << 20), expect)


def test_after_all_that_a_good_session_still_opens():
    at, _ = session_for("session")
    put(at, "upload_model", "tiny.npz", (HOSTILE / make_hostile.GOOD_SESSION).read_bytes())
    button(at, "Open this model").click()
    at.run()
    assert not at.exception and not errors(at), errors(at)
    assert not at.session_state["ev_dataset"].is_demo
    assert "tiny" in at.session_state["ev_dataset"].name


def test_a_data_page_upload_then_embeddings_in_the_same_session():
    """Both pages keep upload bookkeeping in session state; one must not trip over the other's."""
    at = open_page("pages/1_Data.py")
    put(at, "upload_interactions", "ratings.csv", (HOSTILE / make_hostile.GOOD_INTERACTIONS).read_bytes())
    at.switch_page("pages/3_Explore.py")
    at.run()
    put(at, "upload_vectors", "vectors.npy", (HOSTILE / make_hostile.GOOD_VECTORS).read_bytes())
    button(at, "Open these embeddings").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at), errors(at)
    assert at.session_state["ev_external_space"].vectors.shape == (6, 3)

