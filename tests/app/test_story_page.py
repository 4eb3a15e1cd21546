"""The guided story and present mode in AppTest: every step from a link, next/back, choices in the
URL, no jargon in present mode, and a model prepared with one button for a data set without one."""
import re

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import ROOT, TIMEOUT, errors

STORY = "pages/6_Story.py"
# Terms an audience should not meet (the list, plus the maths behind them).
JARGON = re.compile(r"NDCG|Jaccard|w₀|fold-in|U\s?Vᵀ|A ≈|cosine|euclidean|Spearman|\b\d{9,10}\b", re.IGNORECASE)


def open_story(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for name, value in params.items():
        at.query_params[name] = str(value)
    at.run()
    at.switch_page(STORY)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_text(at: AppTest) -> str:
    """Every text the page shows: markdown, titles, captions, alerts, widget labels and options."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        parts += [element.value for element in getattr(at, kind)]
    for widget in (*at.button, *at.selectbox, *at.text_input, *at.toggle):
        parts.append(widget.label)
    for box in at.selectbox:
        parts += [str(o) for o in box.options]
    parts += [str(m.label) + " " + str(m.value) for m in at.metric]
    return "\n".join(re.sub(r"\\(.)", r"\1", p) for p in parts)


def query(at: AppTest) -> dict:
    return {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in at.query_params}


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_every_step_opens_from_a_link_in_plain_words(step):
    at = open_story(present=1, step=step)
    assert not errors(at)
    from embedviz.analysis.story_steps import STEP_TITLES

    assert at.title[0].value == STEP_TITLES[step - 1]
    text = shown_text(at)
    assert not JARGON.search(text), JARGON.search(text)
    assert query(at)["step"] == str(step) and query(at)["present"] == "1"
    assert not [s for s in at.selectbox if s.label == "Model in use"], "present mode hides the model picker"


def test_next_and_back_move_through_the_steps_and_the_link_follows():
    at = open_story()
    assert at.title[0].value == "The catalogue as a map"
    at.button(key="story_next").click()
    at.run()
    assert at.title[0].value == "Meet a person" and query(at)["step"] == "2"
    at.button(key="story_next").click()
    at.run()
    assert at.title[0].value == "Were we right?"
    at.button(key="story_back").click()
    at.run()
    assert at.title[0].value == "Meet a person" and query(at)["step"] == "2"


def test_the_link_carries_the_person_the_item_and_the_picks():
    at = open_story(step=2)
    default_user, item = query(at)["user"], query(at)["item"]
    data = at.session_state["ev_dataset"]
    other = str(data.interactions.user_ids[np.flatnonzero(data.interactions.user_ids.astype(str) != default_user)[3]])
    picks = [str(i) for i in data.interactions.item_ids[:3]]
    at = open_story(step=2, user=other, item=item, likes=",".join(picks))
    assert any(m.value.startswith(f"Person {other} has") for m in at.markdown)
    at.button(key="story_next").click()
    at.run()
    at.button(key="story_next").click()
    at.run()
    assert at.title[0].value == "Now you"
    panels = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert "#### What you picked" in panels and "#### What we would suggest" in panels
    assert query(at)["likes"] == ",".join(picks) and query(at)["user"] == other


def test_a_link_to_someone_unknown_says_so_and_uses_the_default():
    at = open_story(step=2, user="no-such-person")
    assert any("no\\-such\\-person" in w.value or "no-such-person" in w.value for w in at.warning)
    assert query(at)["user"] != "no-such-person"


def test_the_report_button_states_the_size():
    at = open_story(step=5)
    (button,) = [b for b in at.get("download_button") if "Download the demo" in b.proto.label]
    size = float(re.search(r"\(([\d.]+) MB\)", button.proto.label).group(1))
    assert 3 < size < 15


def test_present_mode_on_the_other_pages():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["present"] = "1"
    at.run()
    text = shown_text(at)
    assert at.button(key="start_story").label == "Start the story"
    assert "NDCG" not in text and "U Vᵀ" not in text
    at.switch_page("pages/4_Neighbours.py")
    at.run()
    assert not at.exception and not JARGON.search(shown_text(at)), JARGON.search(shown_text(at))
    assert not at.metric, "no overlap statistics"
    at.switch_page("pages/5_Recommend.py")
    at.run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["A real person", "You"]
    assert not JARGON.search(shown_text(at))
    at.toggle[0].set_value(False).run()      # the sidebar's present-mode switch
    assert "present" not in at.query_params
    assert [t.label for t in at.tabs] == ["A real user", "Build a new user", "Save · load · export"]


def test_a_data_set_without_a_model_is_prepared_with_one_button():
    from embedviz.dashboard.records import Dataset
    from embedviz.data.datasets import synthetic_interactions

    interactions = synthetic_interactions(120, 60, 2_500, seed=3)
    items = pd.DataFrame({"title": [f"Song {i}" for i in interactions.item_ids],
                          "genres": [["Pop"] if i % 2 else ["Jazz"] for i in range(60)]})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.session_state["ev_dataset"] = Dataset("Songs", interactions, items, "digest-songs")
    at.session_state["ev_models"] = {}
    at.switch_page(STORY)
    at.run()
    assert at.title[0].value == "Before the story"
    at.button(key="story_prepare").click()
    at.run()
    job = at.session_state["ev_jobs"]["train"]
    job.wait(120)
    assert job.status == "finished", job.error
    for _ in range(3):
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "The catalogue as a map"
    assert any("Every dot is one of the 60 items" in m.value for m in at.markdown)


@pytest.mark.parametrize(("path", "title"), [("pages/1_Data.py", "The data"), ("pages/2_Train.py", "Learning"),
                                              ("pages/3_Explore.py", "The map")])
def test_engineering_pages_have_a_plain_version_in_present_mode(path, title):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["present"] = "1"
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    assert not JARGON.search(shown_text(at)), JARGON.search(shown_text(at))
    assert not at.get("file_uploader") and not at.number_input and not at.radio, "no technical controls"
    if path.endswith("Explore.py"):
        at.text_input(key="present_find").set_value("the").run()
        assert not at.exception and at.selectbox[0].label == "Matches"
