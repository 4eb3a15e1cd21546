"""A MovieLens-100K look-alike: ``u.data``, ``u.item`` (Latin-1, no header), ``u.genre``, ...

The files copy the real set's format byte for byte in kind: tab-separated headerless
ratings in random order, a pipe-separated Latin-1 item file with an empty video-release
column and 19 genre flags, a ``name|index`` genre file ending in a blank line. Behind them
users have sparse tastes over the genres, items a main genre (plus related ones), a quality
and a Zipf-like popularity; a user picks films by popularity x taste and rates them higher
when the genre fits, so a good model finds real signal.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from embedviz.data.synthetic import _names
from embedviz.data.synthetic._common import SyntheticFiles, ensure_dir, gumbel_top_k, split_total

GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western")
# Main-genre shares and related genres, roughly as in the real file (Drama and Comedy dominate).
_SHARE = {"Action": 1.0, "Adventure": 0.3, "Animation": 0.2, "Children's": 0.4, "Comedy": 2.6,
          "Crime": 0.5, "Documentary": 0.3, "Drama": 3.2, "Fantasy": 0.05, "Film-Noir": 0.1,
          "Horror": 0.5, "Musical": 0.2, "Mystery": 0.2, "Romance": 0.6, "Sci-Fi": 0.3,
          "Thriller": 0.7, "War": 0.3, "Western": 0.15}
_RELATED = {"Action": ("Adventure", "Thriller", "Sci-Fi"), "Adventure": ("Action", "Fantasy"),
            "Animation": ("Children's", "Musical", "Comedy"), "Children's": ("Animation", "Comedy"),
            "Comedy": ("Romance", "Drama"), "Crime": ("Thriller", "Drama"),
            "Drama": ("Romance", "War"), "Horror": ("Thriller", "Sci-Fi"),
            "Mystery": ("Thriller", "Film-Noir"), "Romance": ("Comedy", "Drama"),
            "Sci-Fi": ("Action", "Adventure"), "Thriller": ("Crime",), "War": ("Drama", "Action"),
            "Western": ("Action",), "Film-Noir": ("Mystery", "Thriller")}
_RATING_SHARE = np.array([0.061, 0.114, 0.271, 0.342, 0.212])   # 1..5 stars in the real set
_T0, _T1 = 874_724_710, 893_286_638                              # its first and last timestamps
IMDB = "http://us.imdb.com/M/title-exact?"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def write_movielens_100k(out_dir: str | Path, *, n_users: int = 943, n_items: int = 1682,
                         n_ratings: int = 100_000, seed: int = 0) -> SyntheticFiles:
    """Write a MovieLens-100K-like set into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder (created if missing).
    n_users, n_items, n_ratings : int
        Sizes; every user rates at least 20 films, as in the real set.
    seed : int
        Same seed, same bytes.

    Returns
    -------
    SyntheticFiles
        ``paths``: ``ratings`` (u.data), ``items`` (u.item), ``genres`` (u.genre), ``info``
        (u.info).
        ``truth``: ``n_users``, ``n_items``, ``n_ratings``, ``genres`` (19 names),
        ``item_group`` (item id -> main genre, the latent group), ``item_genres``
        (item id -> list of flagged genres), ``user_favourite`` (user id -> genre of largest taste),
        ``titles`` (item id -> title), ``accented_titles`` (ids of non-ASCII titles),
        ``most_popular`` (item id with most ratings), ``encoding`` ("latin-1").
    """
    if n_users * 20 > n_ratings or n_ratings > n_users * n_items:
        raise ValueError("n_ratings must be between 20 * n_users and n_users * n_items, "
                         f"got {n_ratings}")
    rng = np.random.default_rng(seed)
    out = ensure_dir(out_dir)
    main, flags, titles, years = _catalogue(n_items, rng)
    users, items, ratings, taste = _ratings(n_users, main, flags, n_ratings, rng)
    timestamps = _timestamps(users, n_users, rng)

    order = rng.permutation(len(users))
    frame = pd.DataFrame({"user": users[order] + 1, "item": items[order] + 1,
                          "rating": ratings[order], "timestamp": timestamps[order]})
    paths = {"ratings": out / "u.data", "items": out / "u.item", "genres": out / "u.genre",
             "info": out / "u.info"}
    frame.to_csv(paths["ratings"], sep="\t", header=False, index=False)
    paths["items"].write_bytes(_item_lines(titles, years, flags, rng).encode("latin-1"))
    paths["genres"].write_text("".join(f"{g}|{k}\n" for k, g in enumerate(GENRES)) + "\n")
    paths["info"].write_text(f"{n_users} users\n{n_items} items\n{len(frame)} ratings\n")

    ids = range(1, n_items + 1)
    truth = {
        "n_users": n_users, "n_items": n_items, "n_ratings": len(frame), "genres": list(GENRES),
        "item_group": {i: GENRES[g] for i, g in zip(ids, main)},
        "item_genres": {i: [GENRES[g] for g in np.flatnonzero(row)] for i, row in zip(ids, flags)},
        "user_favourite": {u + 1: GENRES[int(np.argmax(t))] for u, t in enumerate(taste)},
        "titles": dict(zip(ids, titles)),
        "accented_titles": [i for i, t in zip(ids, titles) if not t.isascii()],
        "most_popular": int(np.bincount(items).argmax()) + 1,
        "encoding": "latin-1",
    }
    return SyntheticFiles(paths, truth)


def _catalogue(n_items: int, rng: np.random.Generator):
    """Main genre, 19 genre flags, title (with year) and year for each item."""
    names = list(_SHARE)
    share = np.array(list(_SHARE.values()))
    drawn = rng.choice(len(names), n_items, p=share / share.sum())
    main = np.array([GENRES.index(names[k]) for k in drawn])
    flags = np.zeros((n_items, len(GENRES)), dtype=np.int8)
    flags[np.arange(n_items), main] = 1
    for i, g in enumerate(main):
        for other in _RELATED.get(GENRES[g], ()):
            if rng.random() < 0.3:
                flags[i, GENRES.index(other)] = 1
    years = np.clip(np.round(1998 - rng.exponential(6.0, n_items)), 1922, 1998).astype(int)
    titles, seen = [], set()
    foreign = list(_names.FOREIGN_FILMS)
    slots = rng.choice(n_items, size=min(len(foreign), n_items // 2), replace=False)
    slot_set = set(slots.tolist())
    for i in range(n_items):
        if i in slot_set:
            name, year = foreign.pop()
            years[i] = year
        else:
            name = _names.film_title(rng)
        title = f"{name} ({years[i]})"
        while title in seen:
            title = f"{_names.film_title(rng)} ({years[i]})"
        seen.add(title)
        titles.append(title)
    # Like item 267 of the real file: title "unknown", no date, no URL, genre unknown.
    unknown = int(rng.choice(np.setdiff1d(np.arange(n_items // 2, n_items), slots)))
    titles[unknown], flags[unknown], main[unknown], years[unknown] = "unknown", 0, 0, 0
    flags[unknown, 0] = 1
    return main, flags, titles, years


def _ratings(n_users: int, main: np.ndarray, flags: np.ndarray, n_ratings: int,
             rng: np.random.Generator):
    """Who rated what, and how: picks by popularity x taste, stars by taste fit + quality + bias."""
    n_items = len(main)
    taste = rng.dirichlet(np.full(len(GENRES), 0.15), n_users)
    taste[:, 0] = 0.0
    taste /= taste.sum(axis=1, keepdims=True)
    fit = taste @ (flags / flags.sum(axis=1, keepdims=True)).T          # (users, items)
    match = 0.7 * taste[:, main] + 0.3 * fit
    # Zipf head with an exponential cut-off: the real tail falls faster than a power law
    # (about 140 of 1682 films have a single rating).
    rank = np.arange(1, n_items + 1)
    popularity = (rank ** -0.6 * np.exp(-4.0 * rank / n_items))[rng.permutation(n_items)]
    popularity /= popularity.sum()
    cap = min(n_items, 7 * n_ratings // n_users)              # the real heaviest user rated 737
    counts = split_total(n_ratings, rng.lognormal(0, 0.9, n_users), 20, cap)
    chosen = gumbel_top_k(np.log(popularity)[None, :] + np.log(match + 0.01), counts, rng)
    users = np.repeat(np.arange(n_users), counts)
    items = _cover_every_item(np.concatenate(chosen), n_items, rng)

    affinity = match[users, items] / match.max(axis=1)[users]
    quality = rng.normal(0, 0.45, n_items) + 0.3 * np.log(popularity * n_items)
    bias = rng.normal(0, 0.4, n_users)[users]
    raw = 2.0 * affinity + quality[items] + bias + rng.normal(0, 0.6, len(users))
    cuts = np.quantile(raw, np.cumsum(_RATING_SHARE)[:-1])
    return users, items, (np.searchsorted(cuts, raw) + 1).astype(np.int64), taste


def _cover_every_item(items: np.ndarray, n_items: int, rng: np.random.Generator) -> np.ndarray:
    """Give each never-rated item one rating taken from an item rated often (as in the real set)."""
    counts = np.bincount(items, minlength=n_items)
    missing = np.flatnonzero(counts == 0)
    # Donors are items rated more often than there are gaps, so none of them drops to zero.
    donors = rng.permutation(np.flatnonzero(counts[items] > missing.size + 1))[: missing.size]
    items = items.copy()
    items[donors] = missing[: donors.size]
    return items


def _timestamps(users: np.ndarray, n_users: int, rng: np.random.Generator) -> np.ndarray:
    """Each user rates in their own window inside the real period (Sep 1997 - Apr 1998)."""
    start = rng.uniform(_T0, _T1, n_users)
    length = np.minimum(rng.exponential(20 * 86_400, n_users), _T1 - start)
    return (start[users] + rng.random(len(users)) * length[users]).astype(np.int64)


def _item_lines(titles: list[str], years: np.ndarray, flags: np.ndarray,
                rng: np.random.Generator) -> str:
    """u.item rows: ``id|title|release date||IMDb URL|19 flags``."""
    lines = []
    for i, (title, year, row) in enumerate(zip(titles, years, flags), start=1):
        if title == "unknown":
            date = url = ""
        else:
            on_new_year = rng.random() < 0.7      # most real dates are 01-Jan-<year>
            day = 1 if on_new_year else int(rng.integers(1, 29))
            month = _MONTHS[0 if on_new_year else int(rng.integers(12))]
            date = f"{day:02d}-{month}-{year}"
            url = IMDB + quote(title, safe="(),':!", encoding="latin-1")
        lines.append(f"{i}|{title}|{date}||{url}|" + "|".join(map(str, row)) + "\n")
    return "".join(lines)
