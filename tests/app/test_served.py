"""The Explore page on a set opened on the server (as `python -m embedviz explore FILE` does)."""
import numpy as np
import pytest

from embedviz.dashboard import served
from embedviz.data.server_paths import ENV_VAR
from embedviz.data.synthetic import write_vectors
from tests.app.conftest import errors, open_page


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    files = write_vectors(folder, 5_000, 16, n_clusters=12, seed=1)
    chosen = served.open_served(files.paths["parquet"], default=True)
    yield chosen
    served._DEFAULT.clear()


def test_explore_shows_the_served_set_and_finds_any_title(opened, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    at = open_page("pages/3_Explore.py")
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at)
    assert at.radio(key="bigmap_source").value == opened.key
    assert not [e for e in at.expander if "server" in e.label.lower()], "server files are off by default"
    last = opened.data.titles([opened.data.n - 1])[0]
    at.text_input(key="bigmap_search").input(last).run()
    assert at.selectbox(key="bigmap_match").value == opened.data.n - 1
    state = at.session_state[f"ev_map::{opened.key}"]
    assert state["found"] == opened.data.n - 1
    window = state["window"]
    xy = opened.space.derived.get(("pca", 2))
    x, y = xy[opened.data.n - 1]
    assert window[0] < x < window[1] and window[2] < y < window[3]


def test_the_model_can_still_be_explored(opened):
    at = open_page("pages/3_Explore.py")
    at.radio(key="bigmap_source").set_value("__model__").run()
    assert not at.exception and not errors(at)
    assert at.radio(key="bigmap_source").value == "__model__"


def test_operator_folder_offers_its_files(opened, monkeypatch, tmp_path):
    write_vectors(tmp_path, 1_000, 8, n_clusters=5, formats=("npy",))
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    at = open_page("pages/3_Explore.py")
    assert at.selectbox(key="bigmap_server_file").options == ["metadata.tsv", "vectors.npy"]
    at.selectbox(key="bigmap_server_file").set_value("vectors.npy").run()
    at.selectbox(key="bigmap_server_meta").set_value("metadata.tsv")
    at.button(key="bigmap_server_open").click().run()
    assert not at.exception and not errors(at)
    key = at.session_state["ev_served_key"]
    assert served.by_key(key).data.n == 1_000
    assert at.radio(key="bigmap_source").value == key
    np.testing.assert_array_equal(served.by_key(key).data.vectors, np.load(tmp_path / "vectors.npy"))
