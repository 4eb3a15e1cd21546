"""Every page renders on the demo with zero clicks, and its main interactions work (AppTest)."""
import pytest

from embedviz.dashboard.sidebar import PAGES as MENU
from tests.app.conftest import button, errors, open_page

PAGES = [page.path for page in MENU[1:]]


def test_home_page_shows_the_demo_and_the_default_model():
    at = open_page()
    assert not at.exception and not errors(at)
    assert any("Turn who-liked-what into vectors" in m.value for m in at.markdown)
    assert any("NDCG@10" in s.value for s in at.success)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_without_errors(path):
    at = open_page(path)
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at), errors(at)
    assert at.title and at.title[0].value


def test_training_runs_in_the_background_and_adds_a_model():
    at = open_page("pages/2_Train.py")
    at.number_input(key="WALS_iterations").set_value(3)   # keep the test quick
    button(at, "Train").click()
    at.run()
    job = at.session_state["ev_jobs"]["train"]
    job.wait(60)
    assert job.status == "finished", job.error
    at.run()                                  # the page picks up the finished job
    at.run()
    assert "WALS" in at.session_state["ev_models"]
    assert at.dataframe, "the metrics table is shown"


def test_gradient_descent_choice_builds_its_own_form():
    at = open_page("pages/2_Train.py")
    at.radio(key="train_model").set_value("GradientDescentMF")
    at.run()
    labels = [n.label for n in at.number_input]
    assert "Learning rate" in labels and "Unobserved weight w₀" not in labels


def test_neighbours_page_shows_three_lists_and_overlap_numbers():
    at = open_page("pages/4_Neighbours.py")
    assert len(at.dataframe) == 3
    assert {m.label for m in at.metric} >= {"Cosine ∩ euclidean", "Jaccard cosine/euclidean"}
    assert at.info and at.info[0].value


def test_neighbours_normalise_toggle_makes_cosine_and_euclidean_agree():
    at = open_page("pages/4_Neighbours.py")
    at.toggle(key="nb_normalise").set_value(True)
    at.run()
    assert not at.exception
    cosine, euclidean = at.dataframe[0].value, at.dataframe[1].value
    assert cosine["title"].tolist() == euclidean["title"].tolist()


def test_neighbours_user_query_excludes_seen_items():
    at = open_page("pages/4_Neighbours.py")
    at.radio(key="nb_mode").set_value("User")
    at.run()
    assert not at.exception and len(at.dataframe) == 3


def test_recommend_page_shows_history_recommendations_and_reasons():
    at = open_page("pages/5_Recommend.py")
    assert not at.exception
    history, recs = at.dataframe[0].value, at.dataframe[1].value
    assert len(history) > 0 and len(recs) == 10
    assert "because you liked" in recs.columns and "hit" in recs.columns


def test_recommend_link_parameters_choose_the_user():
    at = open_page()
    at.query_params["user"] = "7"
    at.switch_page("pages/5_Recommend.py")
    at.run()
    assert not at.exception
    assert at.selectbox(key="rec_user").value == at.session_state["ev_dataset"].interactions.user_index(7)


def test_explore_page_shows_a_scatter_at_once():
    at = open_page("pages/3_Explore.py")
    assert not at.exception
    assert at.get("plotly_chart"), "a scatter is drawn (PCA until UMAP is ready)"


def previews(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("![Preview of the scatter")]


def test_explore_sends_a_picture_of_the_scatter_only_in_a_sessions_first_seconds(monkeypatch):
    from embedviz.dashboard import explore

    at = open_page("pages/3_Explore.py")
    (preview,) = previews(at)
    assert "(data:image/png;base64," in preview and len(preview) > 10_000
    monkeypatch.setattr(explore, "PREVIEW_SECONDS", 0.0)   # later on, Plotly.js is loaded: no picture
    at.run()
    assert not previews(at) and at.get("plotly_chart")


def test_tuning_runs_in_the_background_and_its_settings_fill_the_form(monkeypatch):
    from embedviz import workflows

    original = workflows.tune_and_evaluate
    monkeypatch.setattr(workflows, "tune_and_evaluate",   # a few trials keep the test quick
                        lambda *args, **kwargs: original(*args, **{**kwargs, "max_trials": 4}))
    at = open_page("pages/2_Train.py")
    button(at, "Tune").click()
    at.run()
    job = at.session_state["ev_jobs"]["tune"]
    job.wait(180)
    assert job.status == "finished", job.error
    at.run()
    at.run()
    assert not at.exception and not errors(at)
    result, trained = job.result
    assert len(result.trials) == 4 and "WALS (tuned)" in at.session_state["ev_models"]
    assert trained.metrics["ndcg@10"] > trained.baseline_metrics["ndcg@10"]
    assert any("defaults" in s.value and "tuned" in s.value for s in at.success)
    at.number_input(key="WALS_regularization").set_value(5.0)
    at.number_input(key="WALS_factors").set_value(8)
    at.run()
    button(at, "Use these settings").click()
    at.run()
    for name in ("regularization", "unobserved_weight", "factors"):
        assert at.number_input(key=f"WALS_{name}").value == pytest.approx(result.best_params[name])
