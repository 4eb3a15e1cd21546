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
    import json

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)       # the user on the item map
    traces = {trace["name"]: trace for trace in spec["data"]}
    user_id = at.session_state["ev_dataset"].interactions.user_ids[0]
    assert points(traces[f"history ({len(history)})"]["x"]) == len(history)
    assert points(traces["recommended (10)"]["x"]) == 10
    assert traces[f"user {user_id}"]["text"] == [f"user {user_id}"]


def points(values) -> int:
    """How many values a Plotly JSON array holds (a list, or base64 "bdata" with its dtype)."""
    import base64

    import numpy as np

    if isinstance(values, dict):
        return len(base64.b64decode(values["bdata"])) // np.dtype(values["dtype"]).itemsize
    return len(values)


def test_browsing_many_users_never_pushes_out_the_models_map():
    from embedviz.dashboard import recommend_view, services

    data, trained = services.demo_dataset(), services.demo_model()
    space = services.model_space(data, trained, "Items")
    for user in range(3 * recommend_view.USER_TABLES):   # more tables than the model record keeps
        recommend_view.user_recommendations(trained, data.items, user, 5, True)
    assert services.model_space(data, trained, "Items") is space   # its layouts and indexes kept with it


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
    status = next(m.value for m in at.markdown if " of " in m.value and "points" in m.value)
    assert status.startswith(("PCA of", "UMAP of")) and "training interactions" in status


def previews(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("![Preview of the scatter")]


def test_explore_sends_a_picture_with_the_scatter_so_a_redraw_never_blanks(monkeypatch):
    from embedviz.dashboard import explore

    at = open_page("pages/3_Explore.py")
    (preview,) = previews(at)
    assert "(data:image/png;base64," in preview and len(preview) > 10_000
    at.selectbox(key="colour").set_value("Popularity")
    at.run()
    assert len(previews(at)) == 1 and previews(at)[0] != preview      # a picture of the new figure
    monkeypatch.setattr(explore, "PREVIEW_SECONDS", 0.0)
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


def test_explore_choices_come_from_the_link_and_go_back_into_it():
    at = open_page()
    at.query_params["colour"] = "Genre"
    at.query_params["clusters"] = "7"
    at.query_params["layout"] = "PCA"
    at.switch_page("pages/3_Explore.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="colour").value == "Genre"
    assert at.select_slider(key="clusters").value == "7"
    at.selectbox(key="colour").set_value("Popularity")
    at.run()
    assert at.query_params["colour"] == "Popularity" and at.query_params["layout"] == "PCA"
    at.selectbox(key="colour").set_value("Cluster (k-means)")     # the default leaves the link
    at.run()
    assert "colour" not in at.query_params


def test_explore_ignores_link_values_the_page_does_not_offer():
    at = open_page()
    at.query_params["colour"] = "no such column"
    at.query_params["min"] = "banana"
    at.switch_page("pages/3_Explore.py")
    at.run()
    assert not at.exception and at.selectbox(key="colour").value == "Cluster (k-means)"


def uploaded_space(n=300):
    import numpy as np
    import pandas as pd

    from embedviz.dashboard.records import Space

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    table = pd.DataFrame({"title": [f"p{i}" for i in range(n)], "genres": [["a"] if i % 2 else ["b"] for i in range(n)]})
    return Space("Uploaded: x.npy", vectors, table, np.zeros(n), np.zeros(n, bool), np.arange(n).astype(object))


def test_neighbours_page_lists_three_metrics_for_uploaded_embeddings():
    at = open_page()
    at.session_state["ev_external_space"] = uploaded_space()
    at.query_params["space"] = "uploaded"
    at.query_params["item"] = "7"
    at.switch_page("pages/4_Neighbours.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="nb_space").value == "Uploaded embeddings"
    assert len(at.dataframe) == 3 and all(len(d.value) == 10 for d in at.dataframe)
    assert not [r for r in at.radio if r.label == "Query"]              # no users in uploaded vectors
    assert any("Neighbours of **p7**" in m.value for m in at.markdown)


def test_explore_shows_uploaded_embeddings_without_asking_for_a_model():
    at = open_page()
    at.session_state["ev_external_space"] = uploaded_space()
    at.query_params["show"] = "Uploaded embeddings"
    at.switch_page("pages/3_Explore.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.value.startswith(("PCA of all **300** points", "UMAP of all **300** points")) for m in at.markdown)


def test_explore_search_picks_its_first_match():
    at = open_page("pages/3_Explore.py")
    at.text_input(key="find").set_value("Moon").run()
    matches = at.selectbox(key="found::Moon")
    assert len(matches.options) > 0 and matches.value is not None   # not "no match" above its matches
    assert "moon" in matches.options[0].lower()
