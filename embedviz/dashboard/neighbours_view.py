"""Neighbours-page pieces: picking the query and turning neighbour lists into tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from embedviz.analysis import catalogue
from embedviz.analysis.metrics import METRICS
from embedviz.dashboard import links, maps, services
from embedviz.dashboard.records import Dataset, Space, TrainedModel
from embedviz.dashboard.safe import md

LIST_COLUMNS = {
    "": st.column_config.TextColumn("", width=24, help="● also in another metric's list"),
    "score": st.column_config.NumberColumn("score", width=56, format="%.2f"),
    "interactions": st.column_config.NumberColumn("n", width=48, help="interactions with this item (popularity)"),
    "title": st.column_config.TextColumn("title"),
    "genre": None,   # hidden: genre is what the Explore colours show; the table stays readable in a third
}
# Numbers first, title last: in a third of the page a long title is cut, never the score.
LIST_ORDER = ["", "score", "interactions", "title"]


MODEL_ITEMS, UPLOADED = "Model items", "Uploaded embeddings"


def pick_space(data: Dataset, trained: TrainedModel | None, from_link) -> tuple[Space, bool]:
    """The vectors to query: the active model's items or uploaded embeddings (``space=uploaded``
    in the link). Returns (space, uploaded?); stops the page when there are neither."""
    from embedviz.dashboard import explore
    from embedviz.dashboard.sidebar import require_model

    external = explore.external_space()
    choices = ([MODEL_ITEMS] if trained is not None else []) + ([UPLOADED] if external is not None else [])
    if not choices:
        require_model()
    choice = choices[0]
    if len(choices) > 1:
        choice = st.radio("Vectors", choices, horizontal=True, key="nb_space",
                          index=1 if from_link == "uploaded" else 0)
    elif from_link == "uploaded" and choice != UPLOADED:
        st.warning("The link is for uploaded embeddings, which live only in the session that uploaded them; "
                   "showing the model's items.")
    if choice == UPLOADED and external is not None:
        return external, True
    assert trained is not None   # require_model() stopped the page otherwise
    return services.model_space(data, trained, "Items"), False


def pick_item(space: Space, from_link, selection: list[int]) -> int:
    """Item query: from the link, else the Explore selection, else a well-known item; searchable."""
    default = _index_of(space.ids, from_link)
    if default is None:
        from embedviz.dashboard.story_state import showcase_item

        default = selection[0] if selection else showcase_item(space)
    query = st.text_input("Search an item by title", placeholder="type part of a title")
    options = list(catalogue.search_titles(space.titles, query, limit=50)) if query else []
    if default not in options:
        options.insert(0, default)
    if selection:
        options += [i for i in selection[:20] if i not in options]
    return int(st.selectbox("Item", options, format_func=lambda i: space.titles[i]))


def pick_user(data: Dataset, from_link) -> int:
    """User query: from the link, else the first user; ids are searchable in the box."""
    ids = data.interactions.user_ids
    default = _index_of(ids, from_link) or 0
    return int(st.selectbox("User", np.arange(len(ids)), index=default, format_func=lambda u: f"user {ids[u]}"))


def _index_of(ids: np.ndarray, wanted) -> int | None:
    if wanted is None:
        return None
    hits = np.flatnonzero(np.asarray(ids).astype(str) == str(wanted))
    if hits.size == 0:
        st.warning(f"The link asks for {md(links.shorten(wanted))}, which is not in the data set loaded now; "
                   "showing a default.")
        return None
    return int(hits[0])


def neighbour_lists(space: Space, trained: TrainedModel, mode: str, query: int, k: int,
                    normalise: bool, exclude_seen: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """metric -> (item indices, scores) for an item (its neighbours) or a user (items scored against them)."""
    index = services.neighbour_index(space, normalised=normalise)
    if mode == "Item":
        return {m: index.query(query, k=k, metric=m) for m in METRICS}
    vector = trained.model.user_factors_[query].astype(np.float32)
    if normalise:
        vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
    seen = trained.train.matrix[query].indices if exclude_seen and trained.train is not None else None
    return {m: index.query(vector, k=k, metric=m, exclude=seen) for m in METRICS}


def statistics(lists: dict, popularity: np.ndarray, norms: np.ndarray) -> dict:
    """Overlap statistics for each pair of metrics."""
    from embedviz.analysis.comparison import overlap_stats

    names = list(lists)
    return {(a, b): overlap_stats(lists[a][0], lists[b][0], popularity=popularity, norms=norms)
            for i, a in enumerate(names) for b in names[i + 1:]}


def caption(lists: dict, popularity: np.ndarray, norms: np.ndarray) -> str:
    """Plain-language reason the lists differ, generated from the numbers."""
    from embedviz.analysis.comparison import explain_difference

    known = popularity if np.any(np.asarray(popularity) > 0) else None   # uploads may come without counts
    return explain_difference({m: indices for m, (indices, _) in lists.items()}, norms=norms,
                              popularity=known, unit="interactions")


def list_table(space: Space, lists: dict, metric: str) -> pd.DataFrame:
    """One list as a table; ● marks items that are also in another metric's list."""
    indices, scores = lists[metric]
    others = set().union(*(set(lists[m][0].tolist()) for m in lists if m != metric))
    genres = space.table["genres"] if "genres" in space.table else pd.Series([[]] * len(space.table))
    return pd.DataFrame({
        "": ["●" if i in others else "" for i in indices],
        "title": space.titles[indices],
        "score": np.round(scores, 3),
        "interactions": space.popularity[indices],
        "genre": [", ".join(genres.iat[i][:2]) if isinstance(genres.iat[i], list) else "" for i in indices],
    })


def present_page(space: Space, item_from_link, k: int = 10) -> None:
    """The page for an audience: pick a title, see what is closest by direction and by distance with
    full titles, how well known each is, and what changes, in plain words (the story's last step for
    any item). Stops the page: overlap statistics, scores and vector lengths are for engineers."""
    from embedviz.dashboard import links, state

    st.title("What is close?", anchor=False)
    st.caption("“Close” is a choice: by direction (the same people like them, however many) or by distance "
               "(and about as many people, too).")
    query = pick_item(space, item_from_link, state.selection())
    links.write(item=space.ids[query])
    index = services.neighbour_index(space)
    lists = {metric: index.query(query, k=k, metric=metric) for metric in ("cosine", "euclidean")}
    st.markdown(f"#### Closest to **{md(space.titles[query])}**")
    plain_lists(space, lists, query)
    st.stop()


def plain_lists(space: Space, lists: dict, query: int) -> None:
    """Closest by direction and by distance as full-title lists, how well known each neighbour is,
    and what changes, in plain words."""
    from embedviz.analysis import story_steps
    from embedviz.dashboard.story_render import draw_step
    from embedviz.viz.story_plots import closeness_strip

    direction, distance = lists["cosine"][0], lists["euclidean"][0]
    people, titles = space.popularity, space.titles
    cat = story_steps.Catalogue(titles, [g if isinstance(g, list) else [] for g in space.table.get(
        "genres", pd.Series([[]] * len(titles)))], people)
    step = story_steps.closeness_step(cat, query, direction, distance, closeness_strip(
        people[direction], people[distance], titles[direction], titles[distance], float(people[query]),
        str(titles[query])))
    step.lead = ""
    draw_step(step)


def draw_maps(space: Space, lists: dict, query: int | None, norms: np.ndarray, was_running: bool) -> None:
    """Each list on the Explore map, and vector length against popularity; reruns the page once
    the UMAP layout replaces the PCA one (``was_running``: it was being computed when the page ran)."""
    from embedviz.viz import plots

    xy = services.current_layout(space)
    rows = np.arange(len(xy))
    highlight = {metric: np.isin(rows, lists[metric][0]) for metric in METRICS}
    if query is not None:
        highlight["query"] = rows == query
    left, right = st.columns(2)
    left.plotly_chart(plots.embedding_scatter(
        xy, row_ids=rows, hover=maps.hover_texts(space), highlight=highlight,
        title="Each list on the Explore map", height=460))
    if np.any(space.popularity > 0):
        right.plotly_chart(plots.norm_vs_popularity(norms, space.popularity, space.titles,
                                                    {m: lists[m][0] for m in METRICS}))
    else:
        right.caption("These vectors come without interaction counts, so the chart of vector length against "
                      "popularity (why the dot product favours some items) cannot be drawn.")
    if was_running and not services.layout_running(space):
        st.rerun()
