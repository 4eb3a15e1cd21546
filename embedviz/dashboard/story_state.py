"""The guided story's state and the results it is built from, cached on the model record.

Every choice lives in the link (``?step=3&user=42&item=7&likes=1,2,3``), so any step opens from a
shared URL. Defaults come from `embedviz.analysis.story`: a well-known item and an active person
with a clear taste.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from embedviz.analysis import story
from embedviz.analysis import story_steps as steps
from embedviz.dashboard import links, maps, services
from embedviz.dashboard.records import Dataset, Space, TrainedModel
from embedviz.dashboard.safe import md

N_STEPS = len(steps.STEP_TITLES)
STEP_KEY = "story_step"
LIKES_KEY = "story_likes"
K = 10
MAX_LIKES = 20       # picks a link may carry
N_GROUPS = 10


@dataclass
class Story:
    """Everything one run of the story page needs."""

    data: Dataset
    trained: TrainedModel
    space: Space
    cat: steps.Catalogue
    step: int
    user: int
    item: int
    picks: list[int]

    @property
    def person(self) -> str:
        return f"Person {self.data.interactions.user_ids[self.user]}"


# ---------------------------------------------------------------- defaults, cached on the model record

def catalogue(data: Dataset) -> steps.Catalogue:
    """The items and the words to speak of them ("films" for the demo, "items" otherwise)."""
    noun, plural = nouns(data)
    matrix = data.interactions
    return steps.Catalogue.from_table(data.items, matrix.item_popularity(), explicit=matrix.kind == "explicit",
                                      noun=noun, nouns=plural)


def showcase_item(space: Space) -> int:
    """A well-known item whose neighbours look like it (not the most popular one, a hub close to
    everything): where the story and the Neighbours page start. Computed once per space."""
    genres = space.table["genres"].tolist() if "genres" in space.table else None
    return space.derived.get_or_build("showcase item", lambda: story.showcase_item(
        space.vectors, space.popularity, genres))


def showcase(data: Dataset, trained: TrainedModel) -> tuple[int, int, np.ndarray]:
    """(item, user, other people worth showing), computed once per model."""
    def build():
        genres = catalogue(data).genres
        train, test = split(data, trained)
        model: Any = trained.model
        item = showcase_item(services.model_space(data, trained, "Items"))
        user = story.showcase_user(model, train, test, genres, k=K)
        clarity = story.taste_clarity(train, model.item_factors_, genres)
        active = train.user_activity() >= np.percentile(train.user_activity(), 50)
        others = np.flatnonzero(active)[np.argsort(-clarity[active], kind="stable")[:12]]
        return item, user, others
    return trained.derived.get_or_build(("story", "showcase"), build)


def check_rates(data: Dataset, trained: TrainedModel) -> tuple[float, float, int]:
    """(model, most-popular baseline, people counted): share with a hidden item in their top 10."""
    def build():
        from embedviz.analysis.evaluation import PopularityBaseline

        train, test = split(data, trained)
        rate, n = story.hit_rate(trained.model, train, test, k=K)
        base, _ = story.hit_rate(PopularityBaseline().fit(train), train, test, k=K)
        return rate, base, n
    return trained.derived.get_or_build(("story", "hit rates"), build)


def split(data: Dataset, trained: TrainedModel):
    if trained.train is not None and trained.test is not None:
        return trained.train, trained.test
    from embedviz import workflows

    return workflows.evaluation_split(data.interactions)


def groups(s: Story) -> np.ndarray:
    """A group name per item: k-means of the vectors (kinds of taste), named from genres or titles."""
    labels, names = services.cluster_labels(s.space, N_GROUPS)
    return np.array([names[label] for label in labels], dtype=object)


# ---------------------------------------------------------------- state from the link

def nouns(data: Dataset) -> tuple[str, str]:
    return ("film", "films") if data.is_demo else ("item", "items")


def read_story(data: Dataset, trained: TrainedModel) -> Story:
    """The story's state: from the widgets, else the link, else the defaults; written back to the link."""
    params = links.read({"step": links.Int(1, N_STEPS), "user": links.Text(), "item": links.Text(),
                         "likes": links.Text(max_length=MAX_LIKES * links.MAX_LENGTH)})
    item, user, _ = showcase(data, trained)
    matrix = data.interactions
    if st.session_state.get("story_for") != (data.digest, trained.name):   # new data or model: start over
        for key in ("story_user", "story_item", LIKES_KEY, "story_search"):
            st.session_state.pop(key, None)
        st.session_state["story_for"] = (data.digest, trained.name)
    cat = catalogue(data)
    if STEP_KEY not in st.session_state:
        st.session_state[STEP_KEY] = int(params.get("step", 1))
    if LIKES_KEY not in st.session_state:
        st.session_state[LIKES_KEY] = _find_all(matrix.item_ids, str(params.get("likes", "")).split(",")[:MAX_LIKES])
    if "story_user" not in st.session_state:
        linked = _find(matrix.user_ids, params.get("user"), "person")
        st.session_state["story_user"] = user if linked is None else linked
    if "story_item" not in st.session_state:
        linked = _find(matrix.item_ids, params.get("item"), "title")
        st.session_state["story_item"] = item if linked is None else linked
    user, item = st.session_state["story_user"], st.session_state["story_item"]
    story_ = Story(data, trained, services.model_space(data, trained, "Items"), cat, int(st.session_state[STEP_KEY]),
                   int(user), int(item), list(st.session_state[LIKES_KEY]))
    links.write(step=story_.step, user=matrix.user_ids[story_.user], item=matrix.item_ids[story_.item],
                likes=",".join(str(matrix.item_ids[i]) for i in story_.picks) or None)
    if not story_.picks:
        st.query_params.pop("likes", None)
    return story_


def _find(ids: np.ndarray, wanted, what: str) -> int | None:
    if wanted is None:
        return None
    hits = np.flatnonzero(np.asarray(ids).astype(str) == str(wanted))
    if hits.size == 0:
        st.warning(f"The link asks for {what} {md(links.shorten(wanted))}, which is not in the data set loaded "
                   "now; the story uses its own choice instead.", icon=":material/link_off:")
        return None
    return int(hits[0])


def _find_all(ids: np.ndarray, wanted: list[str]) -> list[int]:
    """Rows of the linked item ids that exist (in link order); one notice for those that don't."""
    wanted = [w for w in wanted if w]
    position = {str(v): n for n, v in enumerate(np.asarray(ids).tolist())}
    found = list(dict.fromkeys(position[w] for w in wanted if w in position))
    missing = [w for w in wanted if w not in position]
    if missing:
        st.warning(f"The link picks {len(missing)} title(s) not in the data set loaded now (e.g. "
                   f"{md(links.shorten(missing[0]))}); they are left out.", icon=":material/link_off:")
    return found


# ---------------------------------------------------------------- the map

def layout(s: Story) -> tuple[np.ndarray, bool]:
    """The 2-D map (UMAP when ready, PCA meanwhile) and whether the final one is still computing."""
    return layout_of(s.space)


def layout_of(space: Space) -> tuple[np.ndarray, bool]:
    """A space's 2-D map (UMAP when ready, PCA meanwhile) and whether the final one is still computing."""
    return services.current_layout(space), services.layout_running(space)


def hover(s: Story) -> np.ndarray:
    return maps.hover_texts(s.space, people=True)


