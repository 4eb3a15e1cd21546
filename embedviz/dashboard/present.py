"""Present mode for the engineering pages (Data, Train, Explore): their plain version for an audience.

Each of those pages calls `for_an_audience` right after `setup_page`; in present mode it draws the
page's plain version and stops the script, so the page's own code (upload forms, training
settings, layout controls, scores) never runs for an audience. Errors stay visible: nothing here
catches them.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from embedviz.dashboard import maps, services, state
from embedviz.dashboard.records import Dataset
from embedviz.dashboard.safe import md


def for_an_audience(page: str, data: Dataset) -> None:
    """In present mode: draw ``page``'s plain version ("data", "train" or "explore") and stop."""
    if not state.presenting():
        return
    {"data": _data, "train": _train, "explore": _explore}[page](data)
    st.stop()


def _story_link() -> None:
    from embedviz.dashboard.sidebar import STORY

    st.page_link(STORY.path, label="Go to the story", icon=":material/slideshow:")


def _data(data: Dataset) -> None:
    from embedviz.dashboard.data_view import summary_figures

    st.title("The data", anchor=False)
    st.caption("Who chose what: every row of the data is one person choosing, rating or playing one item.")
    matrix = data.interactions
    st.subheader(md(data.name), anchor=False)
    a, b, c = st.columns(3)
    a.metric("People", f"{matrix.n_users:,}")
    b.metric("Items", f"{matrix.n_items:,}")
    c.metric("Choices", f"{matrix.nnz:,}")
    for column, figure in zip(st.columns(2), summary_figures(data)[:2]):   # how people rate, the long tail
        column.plotly_chart(figure)
    st.caption("Loading other data is for before the demo: switch present mode off in the sidebar.")


def _train(data: Dataset) -> None:
    st.title("Learning", anchor=False)
    trained = state.active_model()
    if trained is None:
        st.markdown(f"The computer has not learned from **{md(data.name)}** yet. The story does it with one button.")
    else:
        st.markdown(f"The computer has learned from **{md(data.name)}**: every person and every item has its "
                    "place on a map. The story shows what came out of it.")
    _story_link()
    st.caption("Training settings are for before the demo: switch present mode off in the sidebar.")


def _explore(data: Dataset) -> None:
    """The story's map: named groups of similar items, a title to find starred."""
    from embedviz.analysis import catalogue
    from embedviz.dashboard import story_state
    from embedviz.dashboard.sidebar import require_model
    from embedviz.viz import story_plots

    st.title("The map", anchor=False)
    trained = require_model()
    space = services.model_space(data, trained, "Items")
    cat = story_state.catalogue(data)
    st.caption(f"Every dot is one of the {len(cat.titles):,} {cat.nouns}; {cat.nouns} that the same people like sit "
               "close together. Point at a dot to see what it is.")
    query = st.text_input("Find a title", placeholder="type part of a title", key="present_find")
    found = catalogue.search_titles(cat.titles, query, limit=30) if query else np.array([], dtype=np.int64)
    star = int(st.selectbox("Matches", found, format_func=lambda i: cat.titles[i])) if len(found) else \
        story_state.showcase_item(space)
    if query and not len(found):
        st.caption("No title contains that text.")

    def chart() -> None:
        xy, computing = story_state.layout_of(space)
        labels, names = services.cluster_labels(space, story_state.N_GROUPS)
        groups = np.array([names[label] for label in labels], dtype=object)
        hover = maps.hover_texts(space, people=True)
        st.plotly_chart(story_plots.catalogue_map(xy, groups, hover, star=(star, str(cat.titles[star])),
                                                  title=f"Similar {cat.nouns} sit together"), key="present_map")
        if computing:
            st.caption("A sharper map is being drawn and will replace this one in a moment.")
        elif polling:
            st.rerun()

    polling = services.layout_running(space)
    st.fragment(run_every=1.0 if polling else None)(chart)()
