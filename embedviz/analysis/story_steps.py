"""The guided demo's five steps as plain content: words, lists and a figure per step.

The story page draws these `Step` objects with Streamlit and the report writes the very same
objects to HTML, so the report holds the steps exactly as they were shown. Titles and other
user text stay plain strings here; each renderer escapes them for its own medium.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from embedviz.analysis import story
from embedviz.data.interactions import Interactions

STEP_TITLES = ("The catalogue as a map", "Meet a person", "Were we right?", "Now you", "“Close” is a choice")
SHORT_TITLES = ("The map", "A person", "Were we right?", "Now you", "What is close?")


@dataclass(frozen=True)
class Entry:
    """One line of a list: a title, a detail (genres, counts), the titles behind it, a short tag."""

    title: str
    detail: str = ""
    because: tuple[str, ...] = ()
    tag: str = ""

    @property
    def tag_kind(self) -> str:
        """How the tag reads: "good", "fair", "other" or "" (the page's badge colour, the report's CSS class)."""
        return next((kind for prefixes, kind in _TAG_KINDS if self.tag.startswith(prefixes)), "")


# Tag kind by the tag's first word(s); tags are our own words, written in this module.
_TAG_KINDS = ((("strong", "found"), "good"), (("good", "only by direction"), "fair"),
              (("only by distance", "rated"), "other"))


@dataclass(frozen=True)
class Panel:
    """A titled list; ``because_label`` introduces each entry's ``because`` titles."""

    heading: str
    entries: tuple[Entry, ...]
    because_label: str = ""
    ordered: bool = True


@dataclass
class Step:
    """One step of the story: what it says, what it lists and (optionally) a figure."""

    number: int
    title: str
    lead: str
    panels: list[Panel] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figure: object | None = None       # a plotly Figure
    figure_first: bool = True          # drawn before the lists (else after them, before the notes)


@dataclass(frozen=True)
class Catalogue:
    """What the steps need to know about the items and how to speak of them."""

    titles: np.ndarray            # (n_items,) str
    genres: list                  # (n_items,) lists of str (empty lists without genres)
    popularity: np.ndarray        # (n_items,) interactions per item
    noun: str = "item"            # "film"
    nouns: str = "items"          # "films"
    verb: str = "chose"           # what people did with items, past tense: "rated", "chose"
    verb_now: str = "choose"      # the same, present tense: "rate", "choose"

    @classmethod
    def from_table(cls, items: pd.DataFrame, popularity: np.ndarray, *, explicit: bool,
                   noun: str = "item", nouns: str = "items") -> Catalogue:
        genres = [g if isinstance(g, list) else [] for g in items["genres"]] if "genres" in items \
            else [[] for _ in range(len(items))]
        return cls(items["title"].astype(str).to_numpy(), genres, np.asarray(popularity), noun, nouns,
                   *(("rated", "rate") if explicit else ("chose", "choose")))

    def genre_text(self, item: int, limit: int = 3) -> str:
        return ", ".join(self.genres[item][:limit])

    def people(self, item: int) -> str:
        n = int(self.popularity[item])
        return f"{n:,} {'person' if n == 1 else 'people'}"


# ---------------------------------------------------------------- 1: the map

def map_step(cat: Catalogue, groups: np.ndarray, star: int, vectors: np.ndarray | None = None, figure=None,
             examples: int = 2) -> Step:
    """Step 1: every item on a map, groups named, the showcase item starred.

    Each group's examples are well-known members typical of it (closest to its mean direction among
    its most popular), so a hub that is popular everywhere does not stand for a group.
    """
    groups = np.asarray(groups).astype(str)
    names, counts = np.unique(groups, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    entries = []
    for name, count in zip(names[order], counts[order]):
        best = typical_members(np.flatnonzero(groups == name), cat.popularity, vectors, examples)
        entries.append(Entry(name, f"{count:,} {cat.nouns if count != 1 else cat.noun}",
                             tuple(cat.titles[best]), ""))
    named_by = "most common genres" if any(cat.genres) else "best-known titles"
    lead = (f"Every dot is one of the {len(cat.titles):,} {cat.nouns}. {cat.nouns.capitalize()} that the same "
            f"people like sit close together, so groups appear by themselves — nobody told the computer what "
            f"the {cat.nouns} are about. Each group is named after its {named_by}.")
    notes = [f"The star is {cat.titles[star]}, one of the best-known {cat.nouns} here ({cat.people(star)}). "
             "We come back to it at the end."]
    return Step(1, STEP_TITLES[0], lead, [Panel("The groups, largest first", tuple(entries), "for example",
                                                ordered=False)], notes, figure)


def typical_members(members: np.ndarray, popularity: np.ndarray, vectors: np.ndarray | None, n: int,
                    pool: int = 20) -> np.ndarray:
    """``n`` well-known members typical of their group: of the ``pool`` most popular, the closest in
    direction to the group's mean (the most popular ones without vectors)."""
    popular = members[np.argsort(-np.asarray(popularity)[members], kind="stable")[:pool]]
    if vectors is None or len(popular) <= n:
        return popular[:n]
    from embedviz.analysis.metrics import normalise_rows

    unit = normalise_rows(np.asarray(vectors[members], dtype=np.float32))
    centre = unit.mean(axis=0)
    closeness = normalise_rows(np.asarray(vectors[popular], dtype=np.float32)) @ centre
    return popular[np.sort(np.argsort(-closeness, kind="stable")[:n])]   # the chosen ones, best-known first


# ---------------------------------------------------------------- 2: a person and their suggestions

def reasons(model, history, item: int, titles: np.ndarray, values=None, n: int = 2) -> tuple[str, ...]:
    """Titles of the history items that pushed ``item`` up the list most (positive contributions only)."""
    if isinstance(history, (int, np.integer)):
        contributors, weights = model.explain(int(history), int(item), n=n)
    else:
        contributors, weights = model.explain(np.asarray(history), int(item), n=n, values=values)
    return tuple(str(titles[c]) for c, w in zip(contributors, weights) if w > 0)


def suggestion_entries(cat: Catalogue, model, history, indices, scores, values=None) -> tuple[Entry, ...]:
    """Recommendations as entries: title, genres, the items behind each, how strong the match is."""
    words = story.match_words(scores)
    return tuple(Entry(str(cat.titles[i]), cat.genre_text(i), reasons(model, history, i, cat.titles, values), w)
                 for i, w in zip(np.asarray(indices).tolist(), words))


def person_step(cat: Catalogue, model, train: Interactions, user: int, person: str, k: int = 10,
                held_out: Interactions | None = None) -> Step:
    """Step 2: what one person liked, what we would suggest, and why.

    With ``held_out``, suggestions the person really chose later (hidden while learning) say so.
    """
    history = train.matrix[user].indices
    liked = story.favourites(train, user, cat.popularity)
    taste = story.taste_sentence(story.taste(cat.genres, history), cat.nouns)
    lead = f"{person} has {cat.verb} {len(history):,} {cat.nouns}." + (f" {taste}." if taste else "")
    values = train.matrix[user].data
    top = float(values.max()) if len(values) else 0.0
    tags = [_value_tag(float(train.matrix[user, i]), top, train.kind) for i in liked]
    heading = f"{cat.nouns.capitalize()} they liked most"
    if len(set(tags)) == 1:            # all the same ("rated 5 of 5"): say it once, in the heading
        heading += f" (all {tags[0]})" if tags[0] else ""
        tags = [""] * len(tags)
    liked_entries = tuple(Entry(str(cat.titles[i]), cat.genre_text(i), tag=t) for i, t in zip(liked, tags))
    indices, scores = model.recommend(int(user), k=k, exclude_seen=True)
    suggested = suggestion_entries(cat, model, int(user), indices, scores)
    if held_out is not None:
        later = set(held_out.matrix[int(user)].indices.tolist())
        suggested = tuple(replace(e, tag=f"found: {person} chose it later") if int(i) in later else e
                          for e, i in zip(suggested, indices))
    return Step(2, STEP_TITLES[1], lead, [
        Panel(heading, liked_entries, ordered=False),
        Panel("What we would suggest next", suggested, "because they liked"),
    ], ["Each suggestion names the things in their history that pushed it up the list most."])


def _value_tag(value: float, top: float, kind: str) -> str:
    if kind == "explicit":
        return f"rated {value:g} of {top:g}"
    return f"{value:,.0f} times" if value != 1 else ""


# ---------------------------------------------------------------- 3: were we right?

def check_step(cat: Catalogue, model, train: Interactions, test: Interactions, user: int, person: str,
               model_rate: float, baseline_rate: float, n_people: int, *, by_time: bool, k: int = 10,
               show: int = 12, figure=None) -> Step:
    """Step 3: the person's hidden items found in the top ``k``, and the rate over everyone."""
    check = story.held_out_check(model, train, test, user, k=k)
    hidden = len(check.items)
    which = f"latest {hidden:,}" if by_time else f"{hidden:,} (picked at random)"
    lead = (f"Before learning, we hid {person}'s {which} {cat.nouns}: the computer never saw them. "
            f"{check.found} of them {'is' if check.found == 1 else 'are'} among the {k} {cat.nouns} "
            f"we would suggest.")
    entries = tuple(Entry(str(cat.titles[i]), cat.genre_text(i),
                          tag=f"found: number {r} on our list" if r else f"not in our top {k}")
                    for i, r in zip(check.items[:show].tolist(), check.ranks[:show].tolist()))
    if hidden > show:
        lead += f" The first {show} are listed."
    verdict = ("better than" if model_rate > baseline_rate + 0.005 else
               "about the same as" if model_rate >= baseline_rate - 0.005 else "worse than")
    notes = [f"Across all {n_people:,} people with hidden {cat.nouns}: for {story.in_every_100(model_rate)}, "
             f"at least one of them was in our top {k}. Suggesting the most popular {cat.nouns} to everyone "
             f"finds one for {story.in_every_100(baseline_rate)} — we do {verdict} that."]
    return Step(3, STEP_TITLES[2], lead, [Panel(f"What {person} went on to {cat.verb_now}", entries, ordered=False)],
                notes, figure, figure_first=False)


# ---------------------------------------------------------------- 4: now you

YOU_MODES = ("live", "shown", "example")


def you_step(cat: Catalogue, model, picks: list[int], *, mode: str = "live", k: int = 10, figure=None,
             values=None) -> Step:
    """Step 4: a new person from a few picked items, placed and served at once (no retraining).

    ``mode``: "live" (the page: an invitation to pick), "shown" (the report: what was picked during
    the demo) or "example" (the report when nothing was picked: an example person).
    """
    if mode not in YOU_MODES:
        raise ValueError(f"mode must be one of {YOU_MODES}, got {mode!r}")
    picks = [int(p) for p in picks]
    named = ", ".join(str(cat.titles[p]) for p in picks)
    lead = {
        "live": f"Pick three {cat.nouns} you like. We place you among everyone else and suggest what to try next "
                "— instantly, without learning everything again.",
        "shown": f"During the demo we picked {named}. The computer placed this new person among everyone else "
                 "and suggested what to try next — instantly, without learning everything again.",
        "example": f"Nobody picked anything during the demo, so here is an example: a new person who likes {named}. "
                   "The computer places them among everyone else and suggests what to try next — instantly.",
    }[mode]
    if not picks:
        return Step(4, STEP_TITLES[3], lead, notes=[f"Nothing picked yet: choose a few {cat.nouns} above."])
    vector = model.fold_in(picks, values)
    indices, scores = model.recommend_vector(vector, k=k, exclude=picks)
    who = "you" if mode == "live" else "they"
    return Step(4, STEP_TITLES[3], lead, [
        Panel(f"What {who} picked", tuple(Entry(str(cat.titles[p]), cat.genre_text(p)) for p in picks),
              ordered=False),
        Panel("What we would suggest", suggestion_entries(cat, model, picks, indices, scores, values),
              f"because {who} picked"),
    ], figure=figure)


# ---------------------------------------------------------------- 5: close is a choice

def closeness_step(cat: Catalogue, query: int, direction, distance, figure=None) -> Step:
    """Step 5: the same item's neighbours by direction and by distance, and what changes.

    Without interaction counts (uploaded embeddings) the lists say only what they share.
    """
    direction, distance = np.asarray(direction, dtype=np.int64), np.asarray(distance, dtype=np.int64)
    title = cat.titles[query]
    counted = bool(np.any(cat.popularity))
    lead = (f"Which {cat.nouns} are closest to {title}? It depends on how you measure. By direction: "
            f"{cat.nouns} that appeal to the same people, however many people that is. By distance: the same, "
            "and also about as widely known.")

    def entries(own, other, only: str) -> tuple[Entry, ...]:
        shared = set(other.tolist())
        return tuple(Entry(str(cat.titles[i]), cat.people(i) if counted else "", tag="" if i in shared else only)
                     for i in own.tolist())

    compared = story.compare_closeness(direction, distance, cat.popularity, query)
    note = story.closeness_sentence(compared, cat.nouns) if counted else (
        f"{compared.shared} of the {compared.k} appear in both lists; the others are marked.")
    return Step(5, STEP_TITLES[4], lead, [
        Panel("Closest by direction", entries(direction, distance, "only by direction")),
        Panel("Closest by distance", entries(distance, direction, "only by distance"))], [note],
        figure if counted else None)
