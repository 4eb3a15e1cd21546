"""The story's steps (embedviz.analysis.story_steps), its figures (embedviz.viz.story_plots) and
the self-contained report (embedviz.viz.report): plain words, every step present, user text
escaped, no external resource, bounded size."""
import html
import re

import numpy as np
import plotly.graph_objects as go
import pytest

import embedviz as ev
from embedviz.analysis import story, story_steps
from embedviz.analysis.evaluation import PopularityBaseline
from embedviz.analysis.labels import label_box
from embedviz.data.datasets import synthetic_interactions
from embedviz.viz import report, story_plots

HOSTILE = '</script><script>alert("x")</script> **bold** [link](http://e.vil)'
JARGON = re.compile(r"NDCG|Jaccard|w₀|fold-in|U Vᵀ|cosine|euclidean|vector|embedding", re.IGNORECASE)


@pytest.fixture(scope="module")
def story_parts():
    data = synthetic_interactions(300, 90, 6_000, factors=3, kind="explicit", seed=1)
    train, test = ev.split(data, seed=0)
    model = ev.WALS(factors=6, iterations=6, random_state=0).fit(train)
    titles = np.array([f"Film {i} (199{i % 10})" for i in range(data.n_items)], dtype=object)
    titles[3] = HOSTILE
    genres = [["Comedy"] if i % 3 == 0 else ["Horror", "Thriller"] if i % 3 == 1 else [] for i in range(data.n_items)]
    cat = story_steps.Catalogue(titles, genres, data.item_popularity(), "film", "films", "rated", "rate")
    return model, data, train, test, cat


def _steps(story_parts, picks=(3, 4, 5)):
    model, data, train, test, cat = story_parts
    item = 3
    user = story.showcase_user(model, train, test, cat.genres)
    xy = np.random.default_rng(0).normal(size=(data.n_items, 2))
    groups = np.array(["Comedy", "Horror · Thriller", "Films like Film 2"])[np.arange(data.n_items) % 3]
    hover = [str(t) for t in cat.titles]
    rate, n = story.hit_rate(model, train, test)
    base, _ = story.hit_rate(PopularityBaseline().fit(train), train, test)
    direction, _ = ev.nearest_neighbours(model.item_factors_, item, k=10, metric="cosine")
    distance, _ = ev.nearest_neighbours(model.item_factors_, item, k=10, metric="euclidean")
    you = story_steps.you_step(cat, model, list(picks), mode="shown")
    you.figure = story_plots.you_map(xy, xy[list(picks)].mean(axis=0), list(picks), [0, 1], hover)
    return [
        story_steps.map_step(cat, groups, item, model.item_factors_,
                             story_plots.catalogue_map(xy, groups, hover, star=(item, str(cat.titles[item])))),
        story_steps.person_step(cat, model, train, user, "Person 7"),
        story_steps.check_step(cat, model, train, test, user, "Person 7", rate, base, n, by_time=False,
                               figure=story_plots.hit_rate_bars(rate, base, nouns="films")),
        you,
        story_steps.closeness_step(cat, item, direction, distance, story_plots.closeness_strip(
            cat.popularity[direction], cat.popularity[distance], cat.titles[direction], cat.titles[distance],
            float(cat.popularity[item]), str(cat.titles[item]))),
    ]


def _text(step) -> str:
    parts = [step.title, step.lead, *step.notes]
    for panel in step.panels:
        parts.append(panel.heading)
        for entry in panel.entries:
            parts += [entry.detail, entry.tag, panel.because_label]
    return " ".join(parts)


def test_the_five_steps_speak_plainly(story_parts):
    steps = _steps(story_parts)
    assert [s.number for s in steps] == [1, 2, 3, 4, 5]
    for step in steps:
        assert not JARGON.search(_text(step)), (step.title, JARGON.search(_text(step)))
    person = steps[1]
    assert person.lead.startswith("Person 7 has rated")
    suggestions = person.panels[1]
    assert len(suggestions.entries) == 10
    assert sum(bool(e.because) for e in suggestions.entries) >= 8, "most suggestions name the items behind them"
    model, _, train, test, cat = story_parts
    history = train.matrix[story.showcase_user(model, train, test, cat.genres)].indices
    titles = {str(cat.titles[i]) for i in history}
    assert all(set(e.because) <= titles for e in suggestions.entries), "reasons come from the person's history"
    check = steps[2]
    assert "picked at random" in check.lead and "in every 100" in check.notes[0]
    assert {e.tag.split(":")[0] for e in check.panels[0].entries} <= {"found", "not in our top 10"}


def test_new_person_step_modes(story_parts):
    model, _, _, _, cat = story_parts
    live = story_steps.you_step(cat, model, [])
    assert live.lead.startswith("Pick three films") and not live.panels and "Nothing picked yet" in live.notes[0]
    example = story_steps.you_step(cat, model, [0, 1, 2], mode="example")
    assert example.lead.startswith("Nobody picked anything") and "Film 0 (1990)" in example.lead
    assert [e.title for e in example.panels[0].entries] == [str(t) for t in cat.titles[:3]]
    suggested = {e.title for e in example.panels[1].entries}
    assert len(suggested) == 10 and not suggested & {str(t) for t in cat.titles[:3]}
    with pytest.raises(ValueError, match="mode must be one of"):
        story_steps.you_step(cat, model, [0], mode="demo")


def test_closeness_step_marks_what_changes(story_parts):
    model, _, _, _, cat = story_parts
    step = story_steps.closeness_step(cat, 0, np.array([1, 2, 3]), np.array([3, 4, 5]))
    direction, distance = step.panels
    assert [e.tag for e in direction.entries] == ["only by direction", "only by direction", ""]
    assert [e.tag for e in distance.entries] == ["", "only by distance", "only by distance"]
    assert step.notes[0].startswith("1 of the 3 appear in both lists")


def test_map_step_examples_are_typical_of_their_group():
    cat = story_steps.Catalogue(np.array(["hub", "a1", "a2", "b1"], dtype=object), [[], [], [], []],
                                np.array([100, 10, 9, 5]))
    vectors = np.array([[1.0, 1.0], [1.0, 0.0], [1.0, 0.05], [0.0, 1.0]])
    step = story_steps.map_step(cat, np.array(["A", "A", "A", "B"]), 0, vectors, examples=2)
    entries = {e.title: e for e in step.panels[0].entries}
    assert entries["A"].because == ("a1", "a2"), "the hub is popular but not typical of group A"
    assert entries["A"].detail == "3 items" and entries["B"].detail == "1 item"
    assert "best-known titles" in step.lead and "hub" in step.notes[0]


def test_report_holds_every_step_escaped_and_offline(story_parts):
    steps = _steps(story_parts)
    page = report.story_report(steps, title=f"Demo of {HOSTILE}", subtitle="300 people", created="today",
                               javascript="/* plotly stub */")
    assert page.startswith("<!DOCTYPE html>")
    assert re.findall(r'<section id="step-(\d)"', page) == ["1", "2", "3", "4", "5"]
    for step in steps:
        assert html.escape(step.title) in page and html.escape(step.lead) in page
    assert '<script>alert("x")' not in page and "&lt;/script&gt;&lt;script&gt;alert(" in page
    assert page.count("Plotly.newPlot(") == 4, "map, hit rates, where you land, how well known"
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', page), "no external resource"
    size = len(page.encode("utf-8"))
    assert f"One file ({size / 1e6:.1f} MB)" in page and report.SIZE_MARK not in page
    assert f"<title>Demo of {html.escape(HOSTILE)}</title>" in page


def test_report_with_the_real_plotly_bundle_is_small_enough(story_parts):
    page = report.story_report(_steps(story_parts), title="Demo")
    size = len(page.encode("utf-8"))
    assert 4e6 < size < 15e6, size
    assert page.count("<script>") == 1 + 4, "the bundle once, one script per chart"


def test_as_svg_redraws_webgl_and_bounds_the_points():
    xy = np.random.default_rng(0).normal(size=(30_000, 2))
    groups = np.where(xy[:, 0] > 0, "right", "left")
    fig = story_plots.catalogue_map(xy, groups, [""] * len(xy), star=(5, "star"), webgl=True)
    assert {t.type for t in fig.data} == {"scattergl", "scatter"}
    svg = report.as_svg(fig, max_points=2_000)
    assert {t.type for t in svg.data} == {"scatter"}
    assert sum(len(t.x) for t in svg.data) <= 2_000 + 1
    assert len(svg.data[-1].x) == 1, "a one-point trace (the star) is kept whole"
    assert svg.layout.annotations == fig.layout.annotations


def test_label_positions_name_each_groups_dense_part_without_overlap():
    rng = np.random.default_rng(0)
    big = rng.normal(0, 0.1, size=(50, 2))
    small = rng.normal(10, 0.1, size=(5, 2))
    other = rng.normal((0, 10), 0.1, size=(20, 2))
    near = rng.normal((0.3, 0), 0.1, size=(30, 2))          # a third group right beside A
    xy = np.vstack([big, small, other, near])
    groups = np.array(["A"] * 55 + ["B"] * 20 + ["C long name"] * 30)
    found = story_plots.label_positions(xy, groups)
    labels = {name: (x, y) for x, y, name in found}
    assert set(labels) == {"A", "B", "C long name"}
    assert np.hypot(*labels["A"]) < 1.5, "on the big patch of A, not between its two patches"
    assert np.hypot(labels["B"][0], labels["B"][1] - 10) < 1.5
    x_span, y_span = np.ptp(xy, axis=0) * 1.08
    boxes = [(x, y, *label_box(name, x_span, y_span, 560, 520)) for x, y, name in found]
    for i, (x1, y1, w1, h1) in enumerate(boxes):          # no two boxes share any area
        for x2, y2, w2, h2 in boxes[i + 1:]:
            assert abs(x1 - x2) * 2 >= w1 + w2 or abs(y1 - y2) * 2 >= h1 + h2


def test_figures_escape_titles():
    fig = story_plots.closeness_strip([1, 2], [3, 4], [HOSTILE, "b"], ["c", "d"], 5, HOSTILE)
    text = fig.to_json()
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert isinstance(story_plots.hit_rate_bars(0.5, 0.4), go.Figure)


def test_closeness_step_without_counts_says_only_what_the_lists_share():
    cat = story_steps.Catalogue(np.array(["q", "a", "b", "c"], dtype=object), [[]] * 4, np.zeros(4))
    step = story_steps.closeness_step(cat, 0, np.array([1, 2]), np.array([2, 3]), figure=go.Figure())
    assert step.figure is None and step.notes == ["1 of the 2 appear in both lists; the others are marked."]
    assert all(e.detail == "" for p in step.panels for e in p.entries)
