"""The five steps of the guided story: built from the story's state, drawn on the page, and
gathered into the report (the same `Step` objects, so the report holds what was shown)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import streamlit as st

from embedviz.analysis import story
from embedviz.analysis import story_steps as steps
from embedviz.dashboard import services
from embedviz.dashboard.safe import md
from embedviz.dashboard.story_render import draw_step
from embedviz.dashboard.story_state import LIKES_KEY, K, Story, check_rates, groups, hover, layout, showcase, split
from embedviz.viz import story_plots


def map_figure(s: Story, xy: np.ndarray, webgl: bool = True):
    return story_plots.catalogue_map(xy, groups(s), hover(s), star=(s.item, s.cat.titles[s.item]),
                                     title=f"The {s.cat.nouns} as a map: similar {s.cat.nouns} sit together",
                                     webgl=webgl)


def map_step(s: Story) -> steps.Step:
    return steps.map_step(s.cat, groups(s), s.item, s.space.vectors)


def draw_map(s: Story) -> None:
    """Step 1; the map is redrawn when the final layout replaces the quick one."""
    step = map_step(s)
    st.markdown(md(step.lead))

    def chart() -> None:
        xy, computing = layout(s)
        st.plotly_chart(map_figure(s, xy), key="story_map", config={"displaylogo": False})
        if computing:
            st.caption("A sharper map is being drawn and will replace this one in a moment.")
        elif polling:
            st.rerun()

    polling = layout(s)[1]
    st.fragment(run_every=1.0 if polling else None)(chart)()
    step.lead = ""
    draw_step(step, show_figure=False)


def person_step(s: Story) -> steps.Step:
    train, _ = split(s.data, s.trained)
    return steps.person_step(s.cat, s.trained.model, train, s.user, s.person, k=K)


def draw_person(s: Story) -> None:
    _, default, others = showcase(s.data, s.trained)
    options = list(dict.fromkeys([default, *others.tolist(), s.user]))
    ids = s.data.interactions.user_ids
    st.selectbox("Whose suggestions?", options, index=options.index(s.user), key="story_person",
                 format_func=lambda u: f"Person {ids[u]}" + (" (our pick)" if u == default else ""),
                 on_change=lambda: st.session_state.update(story_user=int(st.session_state["story_person"])))
    draw_step(person_step(s))


def check_step(s: Story) -> steps.Step:
    train, test = split(s.data, s.trained)
    rate, base, n = check_rates(s.data, s.trained)
    return steps.check_step(s.cat, s.trained.model, train, test, s.user, s.person, rate, base, n,
                            by_time=s.data.interactions.timestamps is not None, k=K,
                            figure=story_plots.hit_rate_bars(rate, base, k=K, nouns=s.cat.nouns))


def suggestions(s: Story) -> np.ndarray:
    labels = groups(s)
    return s.trained.derived.get_or_build(("story", "suggestions"),
                                          lambda: story.suggestions(s.cat.popularity, labels, n=12))


def example_picks(s: Story) -> list[int]:
    """Three well-known items of the starred item's group: the report's example when nobody picked."""
    labels = groups(s)
    members = np.flatnonzero(labels == labels[s.item])
    return members[np.argsort(-s.cat.popularity[members], kind="stable")[:3]].tolist()


def you_step(s: Story, picks: list[int], webgl: bool = True, mode: str = "live") -> steps.Step:
    step = steps.you_step(s.cat, s.trained.model, picks, mode=mode, k=K)
    if picks:
        from embedviz.dashboard.recommend_view import new_user_position

        xy, _ = layout(s)
        model: Any = s.trained.model
        vector = model.fold_in(picks)
        suggested, _ = model.recommend_vector(vector, k=K, exclude=picks)
        step.figure = story_plots.you_map(xy, new_user_position(s.space, xy, vector), picks, suggested, hover(s),
                                          webgl=webgl)
    return step


def draw_you(s: Story) -> None:
    options = list(dict.fromkeys([*suggestions(s).tolist(), *s.picks]))
    titles = s.cat.titles
    step = you_step(s, list(st.session_state[LIKES_KEY]))
    st.markdown(md(step.lead))
    st.pills(f"{s.cat.nouns.capitalize()} many people know", options, selection_mode="multi", key=LIKES_KEY,
             format_func=lambda i: md(titles[i]))
    with st.expander(f"Not here? Search all {len(titles):,} {s.cat.nouns}", icon=":material/search:"):
        from embedviz.analysis import catalogue

        query = st.text_input("Search by title", key="story_search", placeholder="type part of a title")
        matches = catalogue.search_titles(titles, query, limit=30) if query else np.array([], dtype=int)
        if len(matches):
            st.selectbox("Matches", matches, format_func=lambda i: titles[i], key="story_match")
            st.button("Add", icon=":material/add:", on_click=_add_match)
        elif query:
            st.caption("No title contains that text.")
    left, right = st.columns([3, 2], gap="large")
    with left:
        step.lead = ""
        draw_step(step, show_figure=False, stacked=True)
    if step.figure is not None:
        right.plotly_chart(step.figure, key="story_you_map", config={"displaylogo": False})


def _add_match() -> None:
    pick = st.session_state.get("story_match")
    likes = list(st.session_state.get(LIKES_KEY) or [])
    if pick is not None and int(pick) not in likes:
        st.session_state[LIKES_KEY] = [*likes, int(pick)]


def closeness_step(s: Story) -> steps.Step:
    index = services.neighbour_index(s.space)
    direction, _ = index.query(s.item, k=K, metric="cosine")
    distance, _ = index.query(s.item, k=K, metric="euclidean")
    people, titles = s.cat.popularity, s.cat.titles
    figure = story_plots.closeness_strip(people[direction], people[distance], titles[direction], titles[distance],
                                         float(people[s.item]), str(titles[s.item]))
    return steps.closeness_step(s.cat, s.item, direction, distance, figure)


def draw_closeness(s: Story) -> None:
    from embedviz.analysis import catalogue

    titles = s.cat.titles
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    query = left.text_input("Try another title", key="story_item_search", placeholder="type part of a title")
    found = list(catalogue.search_titles(titles, query, limit=30)) if query else []
    options = list(dict.fromkeys([s.item, *found]))
    right.selectbox("Title", options, index=0, key=f"story_item_pick_{s.item}", format_func=lambda i: titles[i],
                    on_change=_item_changed, args=(s.item,), label_visibility="visible")
    draw_step(closeness_step(s))


def _item_changed(previous: int) -> None:
    st.session_state["story_item"] = int(st.session_state[f"story_item_pick_{previous}"])


DRAW = {1: draw_map, 2: draw_person, 3: lambda s: draw_step(check_step(s)), 4: draw_you, 5: draw_closeness}


def draw(s: Story) -> None:
    DRAW[s.step](s)


# ---------------------------------------------------------------- the report

def report_html(s: Story) -> str:
    """The five steps as shown (the picks made, or an example), as one self-contained HTML page."""
    from embedviz.viz.report import story_report

    xy, _ = layout(s)
    first = map_step(s)
    first.figure = map_figure(s, xy, webgl=False)
    picks = s.picks or example_picks(s)
    you = you_step(s, picks, webgl=False, mode="shown" if s.picks else "example")
    parts = [first, person_step(s), check_step(s), you, closeness_step(s)]
    matrix = s.data.interactions
    return story_report(
        parts, title=f"What people like, and what to suggest next: {s.data.name}",
        subtitle=f"{matrix.n_users:,} people · {matrix.n_items:,} {s.cat.nouns} · {matrix.nnz:,} choices",
        created=f"Made {dt.date.today():%d %B %Y}")


