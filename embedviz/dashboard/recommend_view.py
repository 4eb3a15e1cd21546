"""Recommend-page pieces that hold widget state: user picking, new-user builder, files."""
from __future__ import annotations

import time

import numpy as np
import streamlit as st

from embedviz import workflows
from embedviz.analysis import catalogue
from embedviz.dashboard import services, state
from embedviz.dashboard.records import Dataset, TrainedModel
from embedviz.dashboard.safe import md
from embedviz.errors import DataError

USER_KEY = "rec_user"
HISTORY_COLUMNS = {"title": st.column_config.TextColumn("title", width="medium"),
                   "when": st.column_config.DateColumn("when", width="small")}
RECOMMENDATION_COLUMNS = {
    "rank": st.column_config.NumberColumn("#", width=32),
    "hit": st.column_config.TextColumn("hit", width=36, help="✓ the user really did interact with it later "
                                       "(held out from training)"),
    "title": st.column_config.TextColumn("title", width="medium"),
    "genres": st.column_config.TextColumn("genres", width="small"),
    "score": st.column_config.NumberColumn("score", width=56, format="%.2f"),
    "because you liked": st.column_config.TextColumn("because you liked", width="large"),
}


def pick_user(data: Dataset, from_link) -> int:
    """Searchable user picker with a 'random user' button; honours a user id from the link."""
    ids = data.interactions.user_ids
    if USER_KEY not in st.session_state:
        hits = np.flatnonzero(ids.astype(str) == str(from_link)) if from_link is not None else np.array([], int)
        if from_link is not None and len(hits) == 0:
            st.warning(f"The link asks for user {md(repr(from_link))}, who is not in the data set loaded now.")
        st.session_state[USER_KEY] = int(hits[0]) if len(hits) else 0
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    right.button("Random user", icon=":material/casino:", on_click=_random_user, args=(len(ids),))
    return int(left.selectbox("User (type to search ids)", np.arange(len(ids)), key=USER_KEY,
                              format_func=lambda u: f"user {ids[u]}"))


def _random_user(n: int) -> None:
    st.session_state[USER_KEY] = int(np.random.default_rng().integers(n))


def pick_liked_items(data: Dataset, titles: np.ndarray) -> tuple[list[int], list[float]]:
    """The new-user builder: search and pick items, optionally rate each."""
    query = st.text_input("Search the catalogue", placeholder="e.g. galaxy, love, heist", key="new_user_search")
    chosen = st.session_state.setdefault("new_user_items", [])
    picked_on_explore = [i for i in state.selection() if i not in chosen]
    if picked_on_explore and st.button(f"Add the {len(picked_on_explore)} item(s) selected on Explore",
                                       icon=":material/scatter_plot:"):
        chosen.extend(picked_on_explore[:20])
        st.rerun()
    matches = catalogue.search_titles(titles, query, limit=30) if query else np.array([], dtype=int)
    if len(matches):
        st.selectbox("Matches", matches, format_func=lambda i: titles[i], key="new_user_match")
        st.button("Add to liked items", icon=":material/add:", on_click=_add_match, args=(chosen,))
    if not chosen:
        st.caption("No items yet: search for a few things you like and add them.")
        return [], []
    explicit = data.interactions.kind == "explicit"
    top = float(data.interactions.matrix.data.max()) if explicit else 1.0
    values = []
    for item in list(chosen):
        left, middle, right = st.columns([5, 3, 1], vertical_alignment="center")
        left.markdown(f"**{md(titles[item])}**")
        if explicit:
            values.append(middle.slider("rating", top / 10, top, top, top / 10, key=f"rate_{item}",
                                        label_visibility="collapsed"))
        else:
            values.append(1.0)
        if right.button("", icon=":material/close:", key=f"drop_{item}", help="Remove"):
            chosen.remove(item)
            st.rerun()
    return list(chosen), values


def _add_match(chosen: list[int]) -> None:
    """on_click: add the picked match before the rerun, so one script run shows the update."""
    pick = st.session_state.get("new_user_match")
    if pick is not None and int(pick) not in chosen:
        chosen.append(int(pick))


def user_recommendations(trained: TrainedModel, items, user: int, k: int, exclude_seen: bool):
    """The real user's recommendation table, cached per (user, k, seen) on the model record."""
    from embedviz.analysis.recommendations import recommendation_frame

    return trained.derived.get_or_build(
        ("recommendations", user, k, exclude_seen),
        lambda: recommendation_frame(trained.model, user, items, k=k, exclude_seen=exclude_seen,
                                     held_out=trained.test))


def timed(function, *args, **kwargs):
    """(result, milliseconds) — the page shows how fast fold-in + ranking is."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


def new_user_position(space, xy: np.ndarray, vector: np.ndarray, k: int = 10) -> np.ndarray:
    """Where a folded-in user lands in the 2-D layout: the mean position of its k nearest items (cosine)."""
    nearest, _ = services.neighbour_index(space).query(vector, k=k, metric="cosine")
    return xy[nearest].mean(axis=0)


def load_session_file(uploaded) -> None:
    """Replace the data set and model with a saved session; on error nothing changes."""
    from embedviz.data.session_io import load_session
    from embedviz.data.sources import digest_bytes

    content = uploaded.getvalue()
    model, interactions, items, name = load_session(content)
    train, test = workflows.evaluation_split(interactions)   # the split the app trains on
    data = Dataset(f"{name} (from {uploaded.name})", interactions, items.reset_index(drop=True),
                   digest_bytes(content))
    trained = TrainedModel(name=f"{type(model).__name__} (loaded)", model=model,
                           params=dict(getattr(model, "get_params", dict)()), dataset_digest=data.digest,
                           train=train, test=test)
    state.set_dataset(data)
    state.add_model(trained)


def safe_load_session(uploaded) -> None:
    try:
        load_session_file(uploaded)
    except DataError as error:
        st.error(f"{md(error)}\n\nThe data set and model in use were not changed.", icon=":material/error:")
    else:
        state.flash(f"Loaded {md(uploaded.name)}.")
        st.rerun()   # redraw everything, the sidebar included, for the loaded data set and model
