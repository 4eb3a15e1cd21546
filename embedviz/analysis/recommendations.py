"""Recommendation tables for people: a user's history, their top-N with reasons, exports.

Wraps the model API (`recommend`, `recommend_vector`, `explain`) with titles and
genres from the aligned item table, so pages and the CLI show the same thing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from embedviz.data.interactions import Interactions


def _genre_text(items: pd.DataFrame, indices) -> list[str]:
    if "genres" not in items:
        return [""] * len(indices)
    genres = items["genres"]
    return [", ".join(genres.iat[i]) if isinstance(genres.iat[i], list) else "" for i in indices]


def history_frame(data: Interactions, items: pd.DataFrame, user: int, limit: int = 50) -> pd.DataFrame:
    """What ``user`` interacted with, most recent first (highest rated first without timestamps)."""
    row = data.matrix[user]
    start, stop = data.matrix.indptr[user], data.matrix.indptr[user + 1]
    frame = pd.DataFrame({
        "item": row.indices,
        "title": items["title"].astype(str).to_numpy()[row.indices],
        "genres": _genre_text(items, row.indices),
        "rating" if data.kind == "explicit" else "count": row.data,
    })
    if data.timestamps is not None:
        times = data.timestamps[start:stop]
        frame["when"] = pd.to_datetime(times, unit="s").date
        frame = frame.iloc[np.argsort(-times, kind="stable")]
    else:
        frame = frame.sort_values(frame.columns[3], ascending=False, kind="stable")
    return frame.head(limit).reset_index(drop=True)


def reasons(model, history, item: int, items: pd.DataFrame, n: int = 2) -> str:
    """'A; B': the history items contributing most to ``item``'s score.

    ``history`` is a training user's row number or, for a folded-in user, ``(item_indices, values)``.
    """
    if isinstance(history, tuple):
        liked, values = history
        contributors, weights = model.explain(np.asarray(liked), item, n=n, values=values)
    else:
        contributors, weights = model.explain(history, item, n=n)
    titles = items["title"].astype(str).to_numpy()
    positive = [titles[c] for c, w in zip(contributors, weights) if w > 0]
    return "; ".join(positive) if positive else "overall popularity / taste profile"


def recommendation_frame(model, user, items: pd.DataFrame, *, k: int = 10, exclude_seen: bool = True,
                         held_out: Interactions | None = None, vector=None, exclude=None) -> pd.DataFrame:
    """Top-k for a known user (``user`` = row index) or a folded-in one (``vector`` + ``user`` = history).

    Columns: rank, title, genres (left out when no item has any), score (4 significant digits),
    because (reasons) and, when ``held_out`` is given, hit (the user really interacted with it
    later, hidden from training).
    """
    if vector is None:
        indices, scores = model.recommend(user, k=k, exclude_seen=exclude_seen)
    else:
        indices, scores = model.recommend_vector(vector, k=k, exclude=exclude)
    frame = pd.DataFrame({
        "rank": np.arange(1, len(indices) + 1),
        "title": items["title"].astype(str).to_numpy()[indices],
        "genres": _genre_text(items, indices),
        "score": [float(f"{s:.4g}") for s in scores],      # 4 significant digits: folded-in scores are small
        "because you liked": [reasons(model, user, int(i), items) for i in indices],
    })
    if not frame["genres"].astype(bool).any():              # a catalogue without genres: no empty column
        frame = frame.drop(columns="genres")
    if held_out is not None and vector is None:
        hidden = set(held_out.matrix[user].indices.tolist())
        frame.insert(1, "hit", ["✓" if int(i) in hidden else "" for i in indices])
    frame.index = indices
    return frame


def all_recommendations(model, data: Interactions, items: pd.DataFrame, k: int = 10,
                        batch: int = 2048) -> pd.DataFrame:
    """Top-k for every user, long format: user, rank, item, title, score.

    Only real recommendations: a user with fewer than ``k`` unseen items gets fewer rows
    (the batch query marks the missing slots with item -1 and score -inf; they are dropped).
    """
    parts = []
    titles = items["title"].astype(str).to_numpy()
    for start in range(0, data.n_users, batch):
        users = np.arange(start, min(start + batch, data.n_users))
        indices, scores = model.recommend(users, k=k, exclude_seen=True)
        real = (indices >= 0) & np.isfinite(scores)
        rows, ranks = np.nonzero(real)
        chosen = indices[real]
        parts.append(pd.DataFrame({
            "user": data.user_ids[users[rows]],
            "rank": ranks + 1,
            "item": data.item_ids[chosen],
            "title": titles[chosen],
            "score": scores[real],
        }))
    return pd.concat(parts, ignore_index=True)
