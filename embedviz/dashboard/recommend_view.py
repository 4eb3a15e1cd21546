"""Recommend-page pieces that hold widget state: user picking, new-user builder, files."""
from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from embedviz import workflows
from embedviz.analysis import catalogue as items_catalogue
from embedviz.analysis import story_steps
from embedviz.dashboard import links, maps, services, state
from embedviz.dashboard.records import Dataset, TrainedModel
from embedviz.dashboard.safe import attempt, md
from embedviz.dashboard.story_render import draw_panels, draw_step
from embedviz.dashboard.story_state import catalogue
from embedviz.models.base import FactorizationModel

USER_KEY = "rec_user"
HISTORY_COLUMNS = {"title": st.column_config.TextColumn("title", width="large"),
                   "when": st.column_config.DateColumn("when", width="small")}
RECOMMENDATION_COLUMNS = {
    "rank": st.column_config.NumberColumn("#", width=32),
    "hit": st.column_config.TextColumn("hit", width=36, help="✓ the user really did interact with it later "
                                       "(held out from training)"),
    # Sized so that a page-wide table shows a whole title and two whole reason titles (~70 characters).
    "title": st.column_config.TextColumn("title", width=260),
    "genres": st.column_config.TextColumn("genres", width=110),
    "because you liked": st.column_config.TextColumn("because you liked", width=400),
}


def recommendation_columns(frame) -> dict:
    """Column settings for a recommendation table; the score as a bar relative to the top one, so
    small folded-in scores (all about 0.04) still show their order."""
    scores = frame["score"].to_numpy(dtype=float) if "score" in frame and len(frame) else np.zeros(1)
    low, high = min(0.0, float(scores.min())), float(scores.max())
    score = st.column_config.ProgressColumn("score", width=100, format="%.3g", min_value=low,
                                            max_value=high if high > low else low + 1,
                                            help="The model's score (dot product); the bar is relative to "
                                                 "the top item.")
    return {**RECOMMENDATION_COLUMNS, "score": score}


def present_person(data: Dataset, trained: TrainedModel, user: int, k: int) -> None:
    """Present mode: the story's "meet a person" for anyone — favourites, suggestions with the items
    behind each and how strong the match is, full titles, and which ones they really chose later."""
    train = trained.train or data.interactions
    draw_step(story_steps.person_step(catalogue(data), trained.model, train, user,
                                      f"Person {data.interactions.user_ids[user]}", k=k, held_out=trained.test))


def present_new_person(data: Dataset, trained: TrainedModel, picked: list[int], values: list[float]) -> None:
    """Present mode: suggestions for what was picked, with the picks behind each, full titles."""
    step = story_steps.you_step(catalogue(data), trained.model, picked, values=values)
    draw_panels(step, stacked=True)


def pick_user(data: Dataset, from_link, presenting: bool = False, default: int = 0) -> int:
    """Searchable user picker with a 'random user' button; honours a user id from the link."""
    ids = data.interactions.user_ids
    if USER_KEY not in st.session_state:
        hits = np.flatnonzero(ids.astype(str) == str(from_link)) if from_link is not None else np.array([], int)
        if from_link is not None and len(hits) == 0:
            st.warning(f"The link asks for user {md(links.shorten(from_link))}, who is not in the data set "
                       "loaded now.")
        st.session_state[USER_KEY] = int(hits[0]) if len(hits) else default
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    who = "person" if presenting else "user"
    right.button(f"Random {who}", icon=":material/casino:", on_click=_random_user, args=(len(ids),))
    return int(left.selectbox("Person" if presenting else "User (type to search ids)", np.arange(len(ids)),
                              key=USER_KEY, format_func=lambda u: f"{who} {ids[u]}"))


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
    matches = items_catalogue.search_titles(titles, query, limit=30) if query else np.array([], dtype=int)
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


USER_TABLES = 32   # recommendation tables kept per model (users browsed on the Recommend page)


def user_recommendations(trained: TrainedModel, items, user: int, k: int, exclude_seen: bool):
    """The real user's recommendation table, cached per (user, k, seen) on the model record (in a
    cache of their own, so browsing many users never pushes out the model's spaces and layouts)."""
    from embedviz.analysis.recommendations import recommendation_frame
    from embedviz.dashboard.cache import DerivedCache

    tables = trained.derived.get_or_build("recommendation tables", lambda: DerivedCache(USER_TABLES))
    return tables.get_or_build(
        ("recommendations", user, k, exclude_seen),
        lambda: recommendation_frame(trained.model, user, items, k=k, exclude_seen=exclude_seen,
                                     held_out=trained.test))


def timed(function, *args, **kwargs):
    """(result, milliseconds) — the page shows how fast fold-in + ranking is."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


def user_map(data: Dataset, trained: TrainedModel, user: int, frame: pd.DataFrame):
    """A real user on the item map: their history, their recommendations and where they sit."""
    from embedviz.viz import plots

    space = services.model_space(data, trained, "Items")
    xy = services.current_layout(space)
    history = (trained.train or data.interactions).matrix[user].indices
    who = f"user {data.interactions.user_ids[user]}"
    return plots.new_user_map(xy, new_user_position(space, xy, trained.model.user_factors_[user]), history,
                              frame.index.to_numpy(), maps.hover_texts(space), who=who, liked_name="history",
                              title=f"{who} on the map: what they have (history) and what comes next")


def new_user_position(space, xy: np.ndarray, vector: np.ndarray, k: int = 10) -> np.ndarray:
    """Where a folded-in user lands in the 2-D layout: the mean position of its k nearest items (cosine)."""
    nearest, _ = services.neighbour_index(space).query(vector, k=k, metric="cosine")
    return xy[nearest].mean(axis=0)


def load_session_file(uploaded, items_upload=None) -> TrainedModel:
    """Replace the data set and model with a saved session (.npz) or a zipped Spark output (with
    optional item metadata); on error nothing changes."""
    from embedviz.data.limits import DEFAULT_MAX_BYTES
    from embedviz.data.sources import digest_bytes

    content = uploaded.getvalue()
    if uploaded.name.lower().endswith(".zip"):
        from embedviz.spark.bundle import open_spark_output

        extra = items_upload.getvalue() if items_upload is not None else None
        model: FactorizationModel
        model, interactions, items, name = open_spark_output(
            content, items=extra, items_name=getattr(items_upload, "name", None), max_bytes=DEFAULT_MAX_BYTES)
        train, test, digest = interactions, None, digest_bytes(content, extra or b"")  # Spark held nothing out
    else:
        from embedviz.data.session_io import load_session

        model, interactions, items, name = load_session(content, name=uploaded.name)
        train, test = workflows.evaluation_split(interactions)   # the split the app trains on
        digest = digest_bytes(content)
    data = Dataset(f"{name} (from {uploaded.name})", interactions, items.reset_index(drop=True), digest)
    trained = TrainedModel(name=f"{type(model).__name__} (loaded)", model=model,
                           params=dict(getattr(model, "get_params", dict)()), dataset_digest=data.digest,
                           train=train, test=test)
    state.set_dataset(data)
    state.add_model(trained)
    return trained


def open_saved_model() -> None:
    """The "open a saved model" form (works before any model exists)."""
    st.markdown("**Open a saved model** — a `.npz` saved here or by `python -m embedviz train`. It carries the "
                "data set's ids, interactions and item titles, so nothing else is needed. Or a `.zip` of the "
                "output folder of `python -m embedviz train --engine spark` (Spark ALS factors; see "
                "`docs/scale.md`), with the item metadata if the job was given none.")
    uploaded = st.file_uploader("Saved model (.npz) or Spark output (.zip)", type=["npz", "zip"],
                                key="upload_model")
    spark_items = (st.file_uploader("Item metadata for the Spark output (optional: titles, genres)",
                                    type=["csv", "tsv", "txt", "dat", "gz", "parquet"], key="upload_model_items")
                   if uploaded is not None and uploaded.name.lower().endswith(".zip") else None)
    if uploaded is not None and st.button("Open this model", type="primary"):
        safe_load_session(uploaded, spark_items)


def downloads(data: Dataset, trained: TrainedModel) -> None:
    """Save the model with its data, export item vectors, and everyone's top 10 (files made on click)."""
    from embedviz.analysis.recommendations import all_recommendations
    from embedviz.data import session_io
    from embedviz.data.export import embeddings_frame, safe_text_frame

    model: Any = trained.model

    def vectors():
        return embeddings_frame(data.interactions.item_ids, model.item_factors_, data.titles)

    st.markdown("**Download**")
    a, b, c, d = st.columns(4)
    a.download_button("Model + data (.npz)", lambda: session_io.session_bytes(model, data.interactions, data.items,
                                                                              data.name),
                      "embedviz-model.npz", "application/octet-stream", icon=":material/download:")
    b.download_button("Item embeddings (CSV)", lambda: safe_text_frame(vectors()).to_csv(index=False),
                      "item_embeddings.csv", "text/csv", icon=":material/download:")
    c.download_button("Item embeddings (Parquet)", lambda: vectors().to_parquet(index=False),
                      "item_embeddings.parquet", "application/octet-stream", icon=":material/download:")
    d.download_button("Top-10 for every user (CSV)", lambda: safe_text_frame(all_recommendations(
        model, data.interactions, data.items)).to_csv(index=False), "recommendations.csv", "text/csv",
        icon=":material/download:")


def safe_load_session(uploaded, items_upload=None) -> None:
    """`load_session_file`; a bad file gets one message and changes nothing."""
    if attempt(uploaded.name, lambda: load_session_file(uploaded, items_upload)) is not None:
        state.flash(f"Loaded {md(uploaded.name)}.")
        st.rerun()   # redraw everything, the sidebar included, for the loaded data set and model
