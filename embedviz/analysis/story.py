"""The guided demo's choices and plain-language numbers, computed from a trained model.

A demo should start from things an audience recognises: a well-known item whose neighbours
make sense, and an active person with a clear taste — not a random id. Everything here is a
pure function of arrays (no Streamlit), so the story page, its report and the tests agree.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from embedviz.analysis.evaluation import top_k_unseen
from embedviz.analysis.metrics import normalise_rows
from embedviz.data.interactions import Interactions
from embedviz.validation import check_int


def _genre_lists(genres, n: int) -> list[list[str]]:
    if genres is None:
        return [[] for _ in range(n)]
    return [list(g) if isinstance(g, (list, tuple, np.ndarray)) else [] for g in genres]


# ---------------------------------------------------------------- who and what the story starts from

def showcase_item(vectors: np.ndarray, popularity: np.ndarray, genres=None, *, candidates: int = 30,
                  k: int = 10, slack: float = 0.1) -> int:
    """A well-known item whose nearest neighbours look like it, and where "close" visibly depends
    on how it is measured.

    Among the ``candidates`` most popular items, those whose ``k`` cosine neighbours share a genre
    with it nearly as often as the best one does (within ``slack``; mean cosine similarity to
    them when there are no genres) qualify; of these, the one whose neighbours by direction
    (cosine) and by distance (euclidean) differ most, then the more popular.

    Parameters
    ----------
    vectors : (n_items, d) float array
    popularity : (n_items,) array
        Interactions per item.
    genres : sequence of lists of str, optional
        Genres per item.

    Returns
    -------
    int
        Row number of the chosen item.
    """
    popularity = np.asarray(popularity, dtype=np.float64)
    n = len(popularity)
    if n == 0 or len(vectors) != n:
        raise ValueError(f"need one vector per item: {len(vectors)} vectors, {n} popularities")
    top = np.argsort(-popularity, kind="stable")[: max(1, min(candidates, n))]
    unit = normalise_rows(np.asarray(vectors, dtype=np.float32))
    similarity = unit[top] @ unit.T                        # (candidates, n_items)
    similarity[np.arange(len(top)), top] = -np.inf        # not its own neighbour
    k = max(1, min(k, n - 1))
    neighbours = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    genre_lists = _genre_lists(genres, n)
    if any(genre_lists[i] for i in top):
        coherence = np.array([np.mean([bool(set(genre_lists[c]) & set(genre_lists[j])) for j in row])
                              for c, row in zip(top, neighbours)])
    else:
        coherence = np.take_along_axis(similarity, neighbours, axis=1).mean(axis=1)
    vectors = np.asarray(vectors, dtype=np.float32)
    squared = (vectors ** 2).sum(axis=1)
    distance = squared[top, None] + squared[None, :] - 2 * (vectors[top] @ vectors.T)   # (candidates, n_items)
    distance[np.arange(len(top)), top] = np.inf
    by_distance = np.argsort(distance, axis=1, kind="stable")[:, :k]
    differ = np.array([k - np.isin(a, b).sum() for a, b in zip(neighbours, by_distance)], dtype=float)
    qualifies = coherence >= coherence.max() - slack * max(abs(coherence.max()), 1e-9)
    best = np.lexsort((-popularity[top], -differ, ~qualifies))[0]
    return int(top[best])


def taste_clarity(train: Interactions, item_vectors: np.ndarray, genres=None) -> np.ndarray:
    """How clearly each person's history points one way, in [0, 1] per user.

    With genres: the share of their items that carry their most frequent genre. Without:
    the length of the mean of their items' unit vectors (1 when all point the same way).
    Vectorised (sparse products), so a million people take a moment.
    """
    import scipy.sparse as sp

    chosen = train.matrix.copy()
    chosen.data = np.ones_like(chosen.data)
    counts = np.asarray(chosen.sum(axis=1)).ravel()
    genre_lists = _genre_lists(genres, train.n_items)
    names = sorted({g for gs in genre_lists for g in gs})
    if names:
        column = {g: n for n, g in enumerate(names)}
        rows = [i for i, gs in enumerate(genre_lists) for _ in set(gs)]
        cols = [column[g] for gs in genre_lists for g in set(gs)]
        item_genre = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(train.n_items, len(names)))
        top = (chosen @ item_genre).tocsr().max(axis=1).toarray().ravel()
        return np.divide(top, counts, out=np.zeros(len(counts)), where=counts > 0)
    unit = normalise_rows(np.asarray(item_vectors, dtype=np.float32))
    mean = np.asarray(chosen @ unit) / np.maximum(counts, 1)[:, None]
    return np.where(counts > 0, np.linalg.norm(mean, axis=1), 0.0)


def showcase_user(model, train: Interactions, test: Interactions, genres=None, *, k: int = 10,
                  shortlist: int = 20) -> int:
    """An active person with a clear taste, for whom held-out items can be checked.

    Candidates have more history than the median person (but are not in the top 5 %, whose
    lists are unusual) and at least two held-out items. The ``shortlist`` clearest tastes
    among them are ranked by held-out items found in their top ``k``, then by clarity.

    Returns
    -------
    int
        Row number of the chosen user (the most active user when nobody qualifies).
    """
    activity = train.user_activity()
    held_out = test.user_activity()
    low, high = np.percentile(activity, [50, 95])
    pool = np.flatnonzero((activity >= low) & (activity <= max(high, low)) & (held_out >= 2))
    if pool.size == 0:
        return int(np.argmax(activity))
    clarity = taste_clarity(train, model.item_factors_, genres)[pool]
    short = pool[np.lexsort((-activity[pool], -clarity))[:shortlist]]
    found = found_in_top(model, train, test, short, k=k)
    order = np.lexsort((-activity[short], -taste_clarity(train, model.item_factors_, genres)[short], -found))
    return int(short[order[0]])


# ---------------------------------------------------------------- a person's taste and history

def taste(genres, items: np.ndarray, top: int = 3) -> list[tuple[str, float]]:
    """The genres most present among ``items``: (genre, share of the items), most common first."""
    genre_lists = genres if genres is not None else []
    counts = Counter(g for i in np.asarray(items, dtype=np.int64)
                     for g in set(genre_lists[i] if isinstance(genre_lists[i], list) else []))
    total = max(1, len(items))
    return [(genre, count / total) for genre, count in counts.most_common(top)]


def taste_sentence(shares: list[tuple[str, float]], noun: str = "items") -> str:
    """'Mostly Sci-Fi (62% of their films), also Action (30%)' — or '' without genres."""
    if not shares:
        return ""
    (first, share), rest = shares[0], shares[1:]
    text = f"Mostly {first} ({share:.0%} of their {noun})"
    if rest:
        text += ", also " + " and ".join(f"{g} ({s:.0%})" for g, s in rest)
    return text


def favourites(train: Interactions, user: int, popularity: np.ndarray, n: int = 8) -> np.ndarray:
    """The person's favourite items: highest rated (or most played) first, better-known first on ties."""
    matrix = train.matrix
    items = matrix.indices[matrix.indptr[user]:matrix.indptr[user + 1]]
    values = matrix.data[matrix.indptr[user]:matrix.indptr[user + 1]]
    order = np.lexsort((-np.asarray(popularity)[items], -values))
    return items[order][:n].astype(np.int64)


# ---------------------------------------------------------------- were we right?

@dataclass(frozen=True)
class HeldOutCheck:
    """One person's held-out items and where each landed in their recommendations.

    ``items``: held-out item rows; ``ranks``: their place in the top ``k`` (1-based) or 0.
    """

    items: np.ndarray
    ranks: np.ndarray
    k: int

    @property
    def found(self) -> int:
        return int((self.ranks > 0).sum())


def held_out_check(model, train: Interactions, test: Interactions, user: int, k: int = 10) -> HeldOutCheck:
    """Which of ``user``'s held-out items the model put in its top ``k`` (found ones first)."""
    k = check_int("k", k, 1)
    recommended, _ = model.recommend(int(user), k=k, exclude_seen=True)
    place = {int(item): rank for rank, item in enumerate(np.asarray(recommended).tolist(), start=1)}
    hidden = test.matrix[int(user)].indices.astype(np.int64)
    ranks = np.array([place.get(int(i), 0) for i in hidden], dtype=np.int64)
    order = np.lexsort((np.where(ranks > 0, ranks, k + 1),))
    return HeldOutCheck(hidden[order], ranks[order], k)


def found_in_top(model, train: Interactions, test: Interactions, users, k: int = 10) -> np.ndarray:
    """Number of held-out items in each given user's top ``k`` (training items left out), int array."""
    users = np.asarray(users, dtype=np.int64)
    found = np.zeros(len(users), dtype=np.int64)
    for start, rows, items, valid in top_k_unseen(model, train, users, k):
        for n, (row, picked) in enumerate(zip(rows, items)):
            hidden = test.matrix.indices[test.matrix.indptr[row]:test.matrix.indptr[row + 1]]
            found[start + n] = np.isin(picked[valid[n]], hidden).sum()
    return found


def hit_rate(model, train: Interactions, test: Interactions, k: int = 10, max_users: int = 20_000,
             seed: int = 0) -> tuple[float, int]:
    """Share of people with held-out items for whom at least one is in their top ``k``.

    Returns ``(share, people counted)``; a random ``max_users`` of them on big data sets.
    """
    users = np.flatnonzero(test.user_activity() > 0)
    if users.size > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    if users.size == 0:
        return 0.0, 0
    return float((found_in_top(model, train, test, users, k=k) > 0).mean()), int(users.size)


def in_every_100(share: float) -> str:
    """0.637 -> '64 in every 100' (plain words for a share)."""
    return f"{round(100 * share):d} in every 100"


# ---------------------------------------------------------------- suggestions and matches

def suggestions(popularity: np.ndarray, groups: np.ndarray, n: int = 12, per_group: int = 2) -> np.ndarray:
    """Well-known items, a few from each group, side by side: the ``per_group`` most popular of each
    group, groups in order of their best-known item, until ``n`` (then the next best of each in turn)."""
    popularity = np.asarray(popularity)
    groups = np.asarray(groups)
    by_group = {g: list(np.flatnonzero(groups == g)[np.argsort(-popularity[groups == g], kind="stable")])
                for g in np.unique(groups)}
    order = sorted(by_group, key=lambda g: -popularity[by_group[g][0]])
    picked: list[int] = []
    while len(picked) < min(n, len(popularity)):
        for g in order:
            take = by_group[g][:per_group]
            del by_group[g][:per_group]
            picked += [int(i) for i in take][: n - len(picked)]
    return np.array(picked, dtype=np.int64)


MATCH_WORDS = ((0.85, "strong match"), (0.6, "good match"), (-np.inf, "worth a try"))


def match_words(scores) -> list[str]:
    """How sure we are, in words: each score relative to the best one in the list."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return []
    top, low = scores.max(), min(scores.min(), 0.0)
    relative = (scores - low) / ((top - low) or 1.0)
    return [next(word for bound, word in MATCH_WORDS if r >= bound) for r in relative]


# ---------------------------------------------------------------- "close" is a choice

@dataclass(frozen=True)
class Closeness:
    """Two neighbour lists of one item compared in numbers a sentence can be made from."""

    shared: int
    k: int
    typical_direction: float      # median interactions of the direction (cosine) list
    typical_distance: float       # median interactions of the distance (euclidean) list
    query_popularity: float


def compare_closeness(direction, distance, popularity: np.ndarray, query: int) -> Closeness:
    """Compare an item's neighbours by direction (cosine) and by distance (euclidean)."""
    direction, distance = np.asarray(direction, dtype=np.int64), np.asarray(distance, dtype=np.int64)
    popularity = np.asarray(popularity, dtype=np.float64)
    return Closeness(
        shared=int(np.isin(direction, distance).sum()), k=int(max(len(direction), len(distance))),
        typical_direction=float(np.median(popularity[direction])) if direction.size else 0.0,
        typical_distance=float(np.median(popularity[distance])) if distance.size else 0.0,
        query_popularity=float(popularity[int(query)]))


def closeness_sentence(c: Closeness, nouns: str = "items", ratio: float = 1.25) -> str:
    """What changes between the two lists, in plain words, from the numbers."""
    both = (f"{c.shared} of the {c.k} appear in both lists; the others are marked." if c.shared else
            "The two lists have nothing in common.")
    d, e = c.typical_direction, c.typical_distance
    why = (f"because distance also weighs how many people are behind each one — and "
           f"{c.query_popularity:,.0f} people chose this one.")
    if e >= d * ratio:
        lean = (f"Measured by distance, the list leans to better-known {nouns} (typically {e:,.0f} people each, "
                f"against {d:,.0f} by direction), {why}")
    elif e * ratio <= d:
        lean = (f"Measured by distance, the list leans to lesser-known {nouns} (typically {e:,.0f} people each, "
                f"against {d:,.0f} by direction), {why}")
    else:
        lean = f"Both lists are about equally well known (typically {d:,.0f} people each)."
    return f"{both} {lean}"
