"""The guided story's page pieces: its state in the URL, the stepper, each step, the report.

Every choice lives in the link (``?step=3&user=42&item=7&likes=1,2,3``), so any step opens
from a shared URL. Defaults come from `embedviz.analysis.story`: a well-known item and an
active person with a clear taste. Computed results are kept on the model record.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import streamlit as st

from embedviz.analysis import story
from embedviz.analysis import story_steps as steps
from embedviz.dashboard import links, services, state
from embedviz.dashboard.records import Dataset, Space, TrainedModel
from embedviz.dashboard.safe import md
from embedviz.dashboard.story_render import draw_step
from embedviz.viz import story_plots

N_STEPS = len(steps.STEP_TITLES)
STEP_KEY = "story_step"
LIKES_KEY = "story_likes"
K = 10
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

def showcase(data: Dataset, trained: TrainedModel) -> tuple[int, int, np.ndarray]:
    """(item, user, other people worth showing), computed once per model."""
    def build():
        genres = steps.Catalogue.from_table(data.items, data.interactions.item_popularity(), explicit=True).genres
        train, test = _split(data, trained)
        model: Any = trained.model
        item = story.showcase_item(model.item_factors_, train.item_popularity(), genres)
        user = story.showcase_user(model, train, test, genres, k=K)
        clarity = story.taste_clarity(train, model.item_factors_, genres)
        active = train.user_activity() >= np.percentile(train.user_activity(), 50)
        others = np.flatnonzero(active)[np.argsort(-clarity[active], kind="stable")[:12]]
        return item, user, others
    return trained.derived.get_or_build(("story", "showcase"), build)


def hit_rates(data: Dataset, trained: TrainedModel) -> tuple[float, float, int]:
    """(model, most-popular baseline, people counted): share with a hidden item in their top 10."""
    def build():
        from embedviz.analysis.evaluation import PopularityBaseline

        train, test = _split(data, trained)
        rate, n = story.hit_rate(trained.model, train, test, k=K)
        base, _ = story.hit_rate(PopularityBaseline().fit(train), train, test, k=K)
        return rate, base, n
    return trained.derived.get_or_build(("story", "hit rates"), build)


def _split(data: Dataset, trained: TrainedModel):
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
    params = links.read(("step", "user", "item", "likes"))
    item, user, _ = showcase(data, trained)
    matrix = data.interactions
    if st.session_state.get("story_for") != (data.digest, trained.name):   # new data or model: start over
        for key in ("story_user", "story_item", LIKES_KEY, "story_search"):
            st.session_state.pop(key, None)
        st.session_state["story_for"] = (data.digest, trained.name)
    noun, plural = nouns(data)
    cat = steps.Catalogue.from_table(data.items, matrix.item_popularity(), explicit=matrix.kind == "explicit",
                                     noun=noun, nouns=plural)
    if STEP_KEY not in st.session_state:
        st.session_state[STEP_KEY] = _clip_step(params.get("step"))
    if LIKES_KEY not in st.session_state:
        st.session_state[LIKES_KEY] = [i for i in (_find(matrix.item_ids, v, "title") for v in
                                                    params.get("likes", "").split(",") if v) if i is not None]
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


def _clip_step(value) -> int:
    try:
        return int(np.clip(int(value), 1, N_STEPS))
    except (TypeError, ValueError):
        return 1


def _find(ids: np.ndarray, wanted, what: str) -> int | None:
    if wanted is None:
        return None
    hits = np.flatnonzero(np.asarray(ids).astype(str) == str(wanted))
    if hits.size == 0:
        st.warning(f"The link asks for {what} {md(repr(wanted))}, which is not in the data set loaded now; "
                   "the story uses its own choice instead.", icon=":material/link_off:")
        return None
    return int(hits[0])


# ---------------------------------------------------------------- stepper and navigation

def stepper(s: Story) -> None:
    st.segmented_control("Step", list(range(1, N_STEPS + 1)), key="story_stepper", default=s.step,
                         format_func=lambda n: f"{n} · {steps.SHORT_TITLES[n - 1]}", label_visibility="collapsed",
                         on_change=_stepper_changed)
    st.caption(f"Step {s.step} of {N_STEPS}")
    st.title(steps.STEP_TITLES[s.step - 1])


def _stepper_changed() -> None:
    chosen = st.session_state.get("story_stepper")
    if chosen:                         # clicking the current step clears the control: stay
        st.session_state[STEP_KEY] = int(chosen)
    st.session_state["story_stepper"] = st.session_state[STEP_KEY]


def _go(step: int) -> None:
    st.session_state[STEP_KEY] = step
    st.session_state["story_stepper"] = step


def navigation(s: Story) -> None:
    """Back, the report, and Next (the one primary action, or the report on the last step)."""
    st.divider()
    back, middle, forward = st.columns([1, 2, 1], vertical_alignment="center")
    if s.step > 1:
        back.button("Back", icon=":material/arrow_back:", on_click=_go, args=(s.step - 1,), key="story_back",
                    use_container_width=True)
    with middle:
        download(s, primary=s.step == N_STEPS)
    if s.step < N_STEPS:
        forward.button(f"Next: {steps.SHORT_TITLES[s.step]}", icon=":material/arrow_forward:", type="primary",
                       on_click=_go, args=(s.step + 1,), key="story_next", use_container_width=True)


# ---------------------------------------------------------------- the five steps

def layout(s: Story) -> tuple[np.ndarray, bool]:
    """The 2-D map (UMAP when ready, PCA meanwhile) and whether the final one is still computing."""
    job = services.umap_job(s.space, 2)
    if job.status == "finished":
        return cast(np.ndarray, job.result), False
    return services.pca_layout(s.space, 2), job.status == "running"


def hover(s: Story) -> list[str]:
    from embedviz.analysis import catalogue

    return s.trained.derived.get_or_build(("story", "hover"), lambda: [
        text.replace(" interactions", " people") for text in catalogue.hover_text(s.space.table, s.space.popularity)])


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
    train, _ = _split(s.data, s.trained)
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
    train, test = _split(s.data, s.trained)
    rate, base, n = hit_rates(s.data, s.trained)
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


def you_step(s: Story, picks: list[int], webgl: bool = True, example: bool = False) -> steps.Step:
    step = steps.you_step(s.cat, s.trained.model, picks, example=example, k=K)
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
        draw_step(step, show_figure=False)
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
    parts = [first, person_step(s), check_step(s), you_step(s, picks, webgl=False, example=not s.picks),
             closeness_step(s)]
    matrix = s.data.interactions
    return story_report(
        parts, title=f"What people like, and what to suggest next: {s.data.name}",
        subtitle=f"{matrix.n_users:,} people · {matrix.n_items:,} {s.cat.nouns} · {matrix.nnz:,} choices",
        created=f"Made {dt.date.today():%d %B %Y}")


def download(s: Story, primary: bool = False) -> None:
    """The report button, with the file's size (built once per state of the story, kept for this visitor)."""
    key = (s.data.digest, s.trained.name, s.user, s.item, tuple(s.picks), layout(s)[1])
    cached = st.session_state.get("story_report")
    if cached is None or cached[0] != key:
        cached = (key, report_html(s).encode("utf-8"))
        st.session_state["story_report"] = cached
    size = len(cached[1]) / 1e6
    st.download_button(f"Download the demo ({size:.1f} MB)", cached[1], "embedviz-demo.html", "text/html",
                       icon=":material/download:", type="primary" if primary else "secondary",
                       use_container_width=True, key="story_download",
                       help="One HTML file with every step as shown here. It opens in any browser without "
                            "an internet connection, so it can be kept or forwarded.")


# ---------------------------------------------------------------- before the story: a model

def model_or_prepare(data: Dataset) -> TrainedModel:
    """The model in use; without one, a single button that learns from the data (default settings)."""
    trained = state.active_model()
    if trained is not None:
        return trained
    jobs = state.session_jobs()
    st.title("Before the story")
    st.markdown(f"The computer has not learned from **{md(data.name)}** yet. It takes a moment, once.")
    job = jobs.get("train")
    if job is None or not job.running:
        if st.button("Learn from this data", type="primary", icon=":material/play_arrow:", key="story_prepare"):
            from embedviz.models.registry import MODELS

            name = next(iter(MODELS))
            state.start_job("train", services.start_training(data, name, {}, MODELS[name].label))
            st.rerun()
        if job is not None and job.status == "failed":
            st.error(f"Learning failed: {md(job.error)}", icon=":material/error:")
        st.stop()

    def progress() -> None:
        current = jobs["train"]
        st.progress(current.fraction, text=f"Learning… {current.fraction:.0%}")
        if not current.running and state.keep_finished_model("train"):
            st.rerun()

    st.fragment(run_every=0.5)(progress)()
    st.stop()
    raise AssertionError("unreachable")   # st.stop() ends the run
