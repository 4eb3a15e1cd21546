"""A last.fm (hetrec-2011) look-alike: play counts, artists, tags, and an artist -> tags table.

Shapes copied from the real set: ``user_artists.dat`` (tab, header ``userID artistID weight``,
sorted by user then artist, each user about 50 artists, play counts 1 to ~350k), ``artists.dat``
(tab, header ``id name url pictureURL``, UTF-8, some non-ASCII names), ``tags.dat`` (tab,
Latin-1), ``user_taggedartists.dat`` (``userID artistID tagID day month year``, a few odd years
and a few artist ids that ``artists.dat`` lacks). Ids have gaps and artist ids follow the order
in which users first played them, as in the real files.

Behind them: a handful of latent groups (metal, hip-hop, ...) with their own tags; each user
mostly listens in one group; artists are drawn by a Zipf-like popularity within their group, from
a pool big enough that most artists end up with a single listener.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote_plus

import numpy as np
import pandas as pd

from embedviz.data.synthetic import _names
from embedviz.data.synthetic._common import SyntheticFiles, ensure_dir, zipf_weights

GROUPS = ("indie", "electronic", "metal", "hip-hop", "jazz", "classical", "country", "k-pop")
_GROUP_SHARE = np.array([0.22, 0.18, 0.16, 0.13, 0.09, 0.08, 0.07, 0.07])
MAX_PLAYS = 352_698                      # the real file's largest weight


def write_lastfm(out_dir: str | Path, *, n_users: int = 1892, pool: int = 48_000,
                 per_user: int = 50, n_junk_tags: int = 4000, seed: int = 0) -> SyntheticFiles:
    """Write a last.fm-like play-count set into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder (created if missing).
    n_users : int
        Listeners (the real set has 1,892).
    pool : int
        Potential artists; only those somebody played are written (about 18k of the default 48k).
    per_user : int
        Artists per user (most users have exactly this many, some fewer).
    n_junk_tags : int
        One-off tags beside the group and generic ones (real tag files are mostly these).
    seed : int
        Same seed, same bytes.

    Returns
    -------
    SyntheticFiles
        ``paths``: ``plays`` (user_artists.dat), ``artists`` (artists.dat), ``tags`` (tags.dat),
        ``taggings`` (user_taggedartists.dat), ``artist_tags`` (artist_tags.tsv: id, name, tags).
        ``truth``: ``n_users``, ``n_artists``, ``n_plays`` (rows), ``max_weight``,
        ``groups`` (names), ``artist_group`` (artist id -> group), ``user_group`` (user id -> main
        group), ``group_tag`` (group -> its main tag), ``single_listener_share``,
        ``top_artists`` (the 10 artist ids with most listeners), ``encodings``.
    """
    rng = np.random.default_rng(seed)
    out = ensure_dir(out_dir)
    group_of = rng.choice(len(GROUPS), pool, p=_GROUP_SHARE)
    popularity = zipf_weights(pool, 1.2, rng, offset=30)
    user_ids = np.sort(rng.choice(np.arange(2, 2 + int(n_users * 1.11)), n_users, replace=False))
    main = rng.choice(len(GROUPS), n_users, p=_GROUP_SHARE)
    counts = np.where(rng.random(n_users) < 0.9, per_user, rng.integers(1, per_user, n_users))
    picks = _picks(main, counts, group_of, popularity, rng)
    weights = _play_counts(picks, main, group_of, popularity, rng)

    pool_index, artist_ids = _artist_ids(np.concatenate(picks), rng)
    plays = pd.DataFrame({"userID": np.repeat(user_ids, counts),
                          "artistID": artist_ids[np.concatenate(picks)],
                          "weight": np.concatenate(weights)})
    plays = plays.sort_values(["userID", "artistID"], kind="stable").reset_index(drop=True)
    ids = artist_ids[pool_index]
    names = _names.artist_names(group_of[pool_index], list(GROUPS), rng)
    tags = _tag_vocabulary(n_junk_tags, rng)
    taggings = _taggings(plays, dict(zip(ids, group_of[pool_index])), tags, rng)

    paths = {"plays": out / "user_artists.dat", "artists": out / "artists.dat",
             "tags": out / "tags.dat", "taggings": out / "user_taggedartists.dat",
             "artist_tags": out / "artist_tags.tsv"}
    plays.to_csv(paths["plays"], sep="\t", index=False)
    _write_artists(paths["artists"], ids, names, rng)
    tags.to_csv(paths["tags"], sep="\t", index=False, encoding="latin-1")
    taggings.to_csv(paths["taggings"], sep="\t", index=False)
    _write_artist_tags(paths["artist_tags"], ids, names, taggings, tags)

    listeners = plays["artistID"].value_counts()
    truth = {
        "n_users": n_users, "n_artists": len(ids), "n_plays": len(plays),
        "max_weight": int(plays["weight"].max()), "groups": list(GROUPS),
        "artist_group": {int(a): GROUPS[g] for a, g in zip(ids, group_of[pool_index])},
        "user_group": {int(u): GROUPS[g] for u, g in zip(user_ids, main)},
        "group_tag": {g: _names.GROUP_TAGS[g][0] for g in GROUPS},
        "single_listener_share": float((listeners == 1).mean()),
        "top_artists": [int(a) for a in listeners.index[:10]],
        "encodings": {"artists.dat": "utf-8", "tags.dat": "latin-1", "artist_tags.tsv": "utf-8"},
    }
    return SyntheticFiles(paths, truth)


def _picks(main, counts, group_of, popularity, rng) -> list[np.ndarray]:
    """Each user's distinct artists (pool indices): mostly from their main group, by popularity."""
    order = np.argsort(group_of, kind="stable")
    bounds = np.searchsorted(group_of[order], np.arange(len(GROUPS) + 1))
    cdf = np.cumsum(popularity[order])
    taste = 0.25 * rng.dirichlet(np.full(len(GROUPS), 0.5), len(main))
    taste[np.arange(len(main)), main] += 0.75
    result = []
    for user, n in enumerate(counts):
        chosen = np.empty(0, dtype=np.int64)
        while chosen.size < n:
            groups = rng.choice(len(GROUPS), 2 * n, p=taste[user])
            lo = np.where(bounds[groups] > 0, cdf[np.maximum(bounds[groups] - 1, 0)], 0.0)
            hi = cdf[bounds[groups + 1] - 1]
            pos = np.searchsorted(cdf, lo + rng.random(groups.size) * (hi - lo))
            drawn = order[np.clip(pos, bounds[groups], bounds[groups + 1] - 1)]
            chosen = np.concatenate([chosen, drawn])
            chosen = chosen[np.sort(np.unique(chosen, return_index=True)[1])]
        result.append(chosen[:n])
    return result


def _play_counts(picks, main, group_of, popularity, rng) -> list[np.ndarray]:
    """Heavy-tailed plays: a log-normal total per user, shared by a power law over their artists,
    the biggest shares going to artists of the user's main group and to popular ones."""
    totals = rng.lognormal(np.log(20_000), 1.25, len(picks))
    result = []
    for user, chosen in enumerate(picks):
        key = ((group_of[chosen] == main[user]) + 0.15 * np.log(popularity[chosen])
               + rng.gumbel(size=chosen.size))
        rank = np.empty(chosen.size)
        rank[np.argsort(-key)] = np.arange(1, chosen.size + 1)
        share = rank ** -1.1 * rng.lognormal(0, 0.4, chosen.size)
        plays = np.round(totals[user] * share / share.sum())
        result.append(np.clip(plays, 1, MAX_PLAYS).astype(np.int64))
    return result


def _artist_ids(flat_picks: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Pool indices of played artists in first-played order, and pool index -> artist id (gappy)."""
    _, first = np.unique(flat_picks, return_index=True)
    pool_index = flat_picks[np.sort(first)]
    artist_ids = np.zeros(flat_picks.max() + 1, dtype=np.int64)
    # Steps of 1, sometimes more: the real ids have gaps.
    artist_ids[pool_index] = np.cumsum(rng.geometric(0.94, pool_index.size))
    return pool_index, artist_ids


def _tag_vocabulary(n_junk: int, rng) -> pd.DataFrame:
    values = [t for g in GROUPS for t in _names.GROUP_TAGS[g]] + list(_names.GENERIC_TAGS)
    values += [t for t in _names.junk_tags(n_junk, rng) if t not in set(values)]
    values = [values[k] for k in rng.permutation(len(values))]
    return pd.DataFrame({"tagID": np.arange(1, len(values) + 1), "tagValue": values})


def _taggings(plays: pd.DataFrame, group_of: dict, tags: pd.DataFrame, rng) -> pd.DataFrame:
    """Who tagged which artist with what, and when (day is always 1 in the real file)."""
    tag_id = dict(zip(tags["tagValue"], tags["tagID"]))
    group_tags = {g: np.array([tag_id[t] for t in _names.GROUP_TAGS[g]]) for g in GROUPS}
    generic = np.array([tag_id[t] for t in _names.GENERIC_TAGS])
    junk = np.setdiff1d(tags["tagID"].to_numpy(), np.concatenate([*group_tags.values(), generic]))
    listeners = plays["userID"].unique()
    taggers = plays[plays["userID"].isin(rng.permutation(listeners)[: int(0.6 * listeners.size)])]
    tagged = taggers[rng.random(len(taggers)) < 0.4]
    per = rng.integers(1, 5, len(tagged))
    users = np.repeat(tagged["userID"].to_numpy(), per)
    artists = np.repeat(tagged["artistID"].to_numpy(), per)
    groups = np.array([group_of[a] for a in artists])
    tag = _finite_zipf(junk, 1.1, users.size, rng)                        # one-off and rare tags
    kind = rng.random(users.size)
    tag[kind < 0.85] = _finite_zipf(generic, 1.0, int((kind < 0.85).sum()), rng)
    for g, name in enumerate(GROUPS):                          # most tags name the group
        rows = (kind < 0.6) & (groups == g)
        tag[rows] = _finite_zipf(group_tags[name], 1.5, int(rows.sum()), rng)
    frame = pd.DataFrame({"userID": users, "artistID": artists, "tagID": tag})
    stray = frame.sample(n=min(40, len(frame)), random_state=int(rng.integers(2**31)))
    stray = stray.assign(artistID=max(group_of) + 1 + np.arange(len(stray)))  # not in artists.dat
    frame = pd.concat([frame, stray]).drop_duplicates().sort_values(["userID", "artistID", "tagID"])
    years = rng.choice(np.arange(2005, 2012), len(frame), p=[0.05, 0.1, 0.15, 0.2, 0.22, 0.18, 0.1])
    years[rng.random(len(frame)) < 0.0005] = 1956              # the real file has a few of these
    months = rng.integers(1, 13, len(frame))
    return frame.assign(day=1, month=months, year=years).reset_index(drop=True)


def _finite_zipf(values: np.ndarray, exponent: float, size: int, rng) -> np.ndarray:
    """``size`` draws from ``values`` with probability ``1 / (position + 1) ** exponent``."""
    weights = 1.0 / np.arange(1, len(values) + 1) ** exponent
    return values[rng.choice(len(values), size, p=weights / weights.sum())]


def _write_artists(path: Path, ids, names, rng) -> None:
    numbers = rng.integers(1000, 60_000_000, len(ids))
    pictures = [f"http://userserve-ak.last.fm/serve/252/{n}.jpg" for n in numbers]
    missing = rng.random(len(ids)) < 0.02
    frame = pd.DataFrame({"id": ids, "name": names,
                          "url": [f"http://www.last.fm/music/{quote_plus(n)}" for n in names],
                          "pictureURL": np.where(missing, "", pictures)})
    frame.to_csv(path, sep="\t", index=False, encoding="utf-8")


def _write_artist_tags(path: Path, ids, names, taggings: pd.DataFrame, tags: pd.DataFrame) -> None:
    """id, name, the artist's three most used tags joined by '|' (empty when nobody tagged it)."""
    counts = taggings.groupby(["artistID", "tagID"]).size().rename("n").reset_index()
    counts = counts.sort_values(["artistID", "n", "tagID"], ascending=[True, False, True])
    counts["value"] = counts["tagID"].map(dict(zip(tags["tagID"], tags["tagValue"])))
    top = counts.groupby("artistID").head(3).groupby("artistID")["value"].agg("|".join)
    frame = pd.DataFrame({"id": ids, "name": names})
    frame["tags"] = frame["id"].map(top).fillna("")
    frame.sort_values("id").to_csv(path, sep="\t", index=False)
