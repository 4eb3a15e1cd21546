"""Faults around long work: cancel a training (kept only when asked, marked partial) and retrain;
leave the Explore page while its UMAP layout computes."""
from __future__ import annotations

import pytest

from tests.app.conftest import button, errors, open_page


def start_training(at, iterations: int, name: str):
    at.number_input(key="WALS_iterations").set_value(iterations)
    at.text_input(key="train_name").set_value(name)
    button(at, "Train").click()
    at.run()
    return at.session_state["ev_jobs"]["train"]


def cancel(at, job) -> None:
    button(at, "Cancel").click()
    at.run()
    job.wait(120)
    assert job.status == "cancelled", (job.status, job.error)
    at.run()


def test_a_cancelled_training_is_kept_only_when_asked_and_marked_partial():
    at = open_page("pages/2_Train.py")
    before = dict(at.session_state["ev_models"])
    active = at.session_state["ev_active_model"]
    job = start_training(at, 100, "long run")
    cancel(at, job)
    for _ in range(2):   # the page keeps asking; nothing is added behind the visitor's back
        assert sorted(at.session_state["ev_models"]) == sorted(before)
        assert at.session_state["ev_active_model"] == active
        assert any("Cancelled after" in w.value and "of 100 iterations" in w.value for w in at.warning)
        at.run()
    button(at, "Keep it (partial)").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (kept,) = set(at.session_state["ev_models"]) - set(before)
    record = at.session_state["ev_models"][kept]
    assert kept == "long run (partial)" and record.partial and record.model.stopped_early_
    assert at.session_state["ev_active_model"] == kept
    assert not any("Cancelled after" in w.value for w in at.warning)

    retrain = start_training(at, 2, "quick run")      # and training again works as before
    retrain.wait(120)
    assert retrain.status == "finished", retrain.error
    at.run()
    at.run()
    assert not at.exception and not errors(at)
    assert not at.session_state["ev_models"]["quick run"].partial
    assert set(at.session_state["ev_models"]) == {*before, kept, "quick run"}


def test_discarding_a_cancelled_training_changes_nothing():
    at = open_page("pages/2_Train.py")
    before = sorted(at.session_state["ev_models"])
    job = start_training(at, 100, "unwanted")
    cancel(at, job)
    button(at, "Discard it").click()
    at.run()
    at.run()
    assert not at.exception and sorted(at.session_state["ev_models"]) == before
    assert not any("Cancelled after" in w.value for w in at.warning)


def show(at):
    """The Explore page's "Show" choice (its key changes with each upload)."""
    return next(radio for radio in at.radio if radio.label == "Show")


@pytest.mark.slow
def test_leaving_explore_while_umap_computes_and_coming_back():
    from embedviz.dashboard import maps

    at = open_page("pages/3_Explore.py")
    show(at).set_value("Users")   # a space whose layout is not computed yet
    at.run()
    assert not at.exception
    space = next(v for k, v in at.session_state["ev_models"].items()).derived.get(("space", "Users"))
    job = space.derived.get(("map", maps.default_request(space)))
    assert job is not None
    for page in ("pages/4_Neighbours.py", "app.py", "pages/1_Data.py"):   # away while it runs
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert not errors(at), errors(at)
    job.wait(300)
    assert job.status == "finished", job.error
    at.switch_page("pages/3_Explore.py")
    at.run()
    show(at).set_value("Users")
    at.run()
    assert not at.exception and not errors(at), errors(at)
    assert at.get("plotly_chart")
    status = " ".join(m.value for m in at.markdown)
    assert "UMAP of" in status and "users" in status, "back on the page, the finished UMAP map shows"
