"""Clusters of embeddings and readable names for them.

Clusters are k-means on unit-length vectors (so they follow direction, like the
cosine UMAP layout). Each cluster is named after the genres that are
over-represented in it relative to the whole catalogue (lift), or else after its
most popular titles — the way Apple's Embedding Atlas labels its clusters.
"""
from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Collection, Sequence

import numpy as np

from embedviz.analysis.metrics import normalise_rows

# k-means (several restarts) up to this many rows, mini-batch k-means above.
FULL_KMEANS_ROWS = 20_000
# A genre names a cluster only if this share of the cluster has it...
MIN_GENRE_SHARE = 0.25
# ...and it is this many times more common there than in the whole catalogue.
MIN_GENRE_LIFT = 1.25
# Titles longer than this are shortened in labels.
MAX_TITLE_CHARS = 28
# Threads for k-means. One: these fits are small and the page's process shares the cores with
# the server and the layout worker; sklearn's OpenMP threads cost several times the CPU time here.
_THREADS = 1


def cluster_embeddings(vectors, n_clusters: int = 12, *,
                       random_state: int | None = 0) -> np.ndarray:
    """k-means cluster of each row, on the unit-length vectors.

    Parameters
    ----------
    vectors : array-like, shape (n_items, dim)
        Finite numbers.
    n_clusters : int
        Number of clusters (capped at n_items; fewer come out when there are
        fewer distinct rows).
    random_state : int or None
        Seed.

    Returns
    -------
    labels : ndarray of int64, shape (n_items,)
        Cluster of each row, numbered by size: 0 is the largest cluster.
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    x = np.asarray(vectors)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"vectors must be a 2-D array (n_items, dim), got shape {x.shape}")
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise ValueError("vectors must be finite, found NaN or inf")
    x = normalise_rows(x)
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, (int, np.integer)) \
            or n_clusters < 1:
        raise ValueError(f"n_clusters must be an integer >= 1, got {n_clusters!r}")
    n_clusters = int(min(n_clusters, len(x)))
    if len(x) <= FULL_KMEANS_ROWS:
        model = KMeans(n_clusters, n_init=3, random_state=random_state)
    else:
        model = MiniBatchKMeans(n_clusters, n_init=3, batch_size=4096, random_state=random_state)
    with warnings.catch_warnings(), threadpool_limits(_THREADS):
        # fewer distinct rows than clusters: some clusters stay empty, which is fine
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = model.fit_predict(x)
    by_size = np.argsort(-np.bincount(labels, minlength=n_clusters), kind="stable")
    return np.argsort(by_size)[labels].astype(np.int64)


def _genre_lists(genres, n: int) -> list[list[str]]:
    if len(genres) != n:
        raise ValueError(f"genres must have one entry per label ({n}), got {len(genres)}")
    # MovieLens style "Comedy|Romance" strings are accepted as well as lists
    return [g.split("|") if isinstance(g, str) else list(g or []) for g in genres]


def _genre_counts(rows, genre_lists) -> Counter:
    """How many of ``rows`` hold each genre."""
    return Counter(g for i in rows for g in set(genre_lists[i]))


def _distinctive_genres(rows: np.ndarray, genre_lists, reference: Counter, reference_size: int,
                        exclude: Collection[str] = ()) -> list[str]:
    """Genres held by at least 25 % of ``rows`` and at least 1.25 times as common there as in the
    reference rows (``reference``: items per genre among ``reference_size``), most over-represented first."""
    counts = _genre_counts(rows, genre_lists)
    scored = []
    for genre, count in counts.items():
        share = count / len(rows)
        lift = share / (reference[genre] / reference_size)
        if genre not in exclude and share >= MIN_GENRE_SHARE and lift >= MIN_GENRE_LIFT:
            scored.append((-lift, -share, genre))
    return [genre for *_, genre in sorted(scored)]


def _short(title: str) -> str:
    title = str(title)
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def _title_name(members: np.ndarray, titles, popularity, max_words: int) -> str | None:
    if titles is None:
        return None
    if popularity is not None:
        members = members[np.argsort(-np.asarray(popularity)[members], kind="stable")]
    return " / ".join(_short(titles[i]) for i in members[:max_words])   # titles hold commas ("Heat, The")


def label_clusters(
    labels,
    *,
    genres: Sequence | None = None,
    titles: Sequence[str] | None = None,
    popularity=None,
    max_words: int = 2,
) -> dict[int, str]:
    """A short readable name for every cluster.

    A cluster is named after up to ``max_words`` genres held by at least 25 %
    of its items and at least 1.25 times as common there as in the whole
    catalogue, most over-represented first ("Horror · Thriller"); so a genre
    everything has, like Drama, names no cluster. Otherwise it is named after
    its ``max_words`` most popular titles ("Heat / Alien"), otherwise "cluster N". Clusters that
    get the same name are told apart by the genre that sets each off from the others ("Horror ·
    Drama" beside "Horror"); names still repeated get " (2)", " (3)" appended.

    Parameters
    ----------
    labels : array-like of int, shape (n_items,)
        Cluster per item, e.g. from `cluster_embeddings`.
    genres : sequence of lists of str, optional
        Genres per item ("A|B" strings are split on "|").
    titles : sequence of str, optional
        Title per item.
    popularity : array-like, shape (n_items,), optional
        Interactions per item, to pick the best-known titles.
    max_words : int
        Genres or titles per name.

    Returns
    -------
    dict
        Cluster label -> name.
    """
    labels = np.asarray(labels).reshape(-1)
    n = len(labels)
    if isinstance(max_words, bool) or not isinstance(max_words, (int, np.integer)) \
            or max_words < 1:
        raise ValueError(f"max_words must be an integer >= 1, got {max_words!r}")
    for name, values in (("titles", titles), ("popularity", popularity)):
        if values is not None and len(values) != n:
            raise ValueError(f"{name} must have one entry per label ({n}), got {len(values)}")
    genre_lists = None if genres is None else _genre_lists(genres, n)
    overall = _genre_counts(range(n), genre_lists) if genre_lists else Counter()
    members = {cluster: np.flatnonzero(labels == cluster) for cluster in np.unique(labels).tolist()}
    base = {cluster: (genre_lists and " · ".join(_distinctive_genres(rows, genre_lists, overall, n)[:max_words]))
            or _title_name(rows, titles, popularity, max_words) or f"cluster {cluster}"
            for cluster, rows in members.items()}
    namesakes: dict[str, list[int]] = {}
    for cluster, name in base.items():
        namesakes.setdefault(_same(name), []).append(cluster)
    names: dict[int, str] = {}
    used: Counter = Counter()
    for cluster, name in base.items():
        group = namesakes[_same(name)]
        if len(group) > 1 and genre_lists:     # tell namesakes apart by what sets each off from the others
            around = np.concatenate([members[c] for c in group])
            extra = _distinctive_genres(members[cluster], genre_lists, _genre_counts(around, genre_lists),
                                        len(around), set(name.split(" · ")))
            name = f"{name} · {extra[0]}" if extra else name
        key = _same(name)
        used[key] += 1
        names[cluster] = name if used[key] == 1 else f"{name} ({used[key]})"
    return names


def _same(name: str) -> str:
    """One key for names with the same words ("Horror · Thriller" repeats "Thriller · Horror")."""
    return " · ".join(sorted(name.split(" · ")))


def nearest_cluster(vectors, labels, others) -> np.ndarray:
    """Cluster of each row of ``others``: the one whose mean direction is closest (cosine).

    Parameters
    ----------
    vectors : array-like, shape (n, dim)
        Clustered rows.
    labels : array-like of int, shape (n,)
        Their clusters (e.g. from `cluster_embeddings`).
    others : array-like, shape (m, dim)
        Rows to assign (e.g. items left out of the clustering for having too few interactions).

    Returns
    -------
    ndarray of int64, shape (m,)
    """
    x = normalise_rows(np.asarray(vectors, dtype=np.float32))
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) != len(x):
        raise ValueError(f"labels must have one entry per row ({len(x)}), got {len(labels)}")
    others = np.asarray(others, dtype=np.float32)
    if len(others) == 0 or len(x) == 0:
        return np.zeros(len(others), np.int64)
    ids = np.unique(labels)
    centres = normalise_rows(np.stack([x[labels == c].mean(axis=0) for c in ids]))
    return ids[np.argmax(normalise_rows(others) @ centres.T, axis=1)]


# Cluster counts `choose_n_clusters` tries: from a few groups up to the palette's 16 colours.
AUTO_CLUSTERS = tuple(range(4, 17))


def choose_n_clusters(vectors, candidates=AUTO_CLUSTERS, *, sample: int = 1_000,
                      random_state: int = 0) -> int:
    """The number of clusters with the best cosine silhouette on a sample of the rows.

    Each candidate is fitted (k-means on unit vectors, as `cluster_embeddings`) on the same
    random sample of at most ``sample`` rows; the silhouette (how much closer points are to
    their own cluster than to the next) picks the count. Measured: 8 on a last.fm-like set
    with 8 planted groups; the demo's many small groups reach the top of the range.

    Parameters
    ----------
    vectors : array-like, shape (n_items, dim)
    candidates : sequence of int
        Cluster counts to try (those >= n_items are skipped).
    sample : int
        Rows used for the choice.
    random_state : int

    Returns
    -------
    int
        The chosen count (the smallest candidate when there are too few rows to compare).
    """
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    x = normalise_rows(np.asarray(vectors, dtype=np.float32))
    if len(x) > sample:
        x = x[np.random.default_rng(random_state).choice(len(x), sample, replace=False)]
    usable = [int(k) for k in candidates if 2 <= k < len(x)]
    if not usable:
        return int(min(candidates))
    scores = {}
    distances = np.maximum(1.0 - x @ x.T, 0.0)       # cosine distances, computed once for every count
    # One thread: on two busy cores sklearn's OpenMP threads cost 4x the CPU time for these small fits
    # (1,000 rows, 13 counts: 0.5 CPU s on one thread, 5.6 s on two).
    with threadpool_limits(_THREADS):
        for k in usable:
            labels = KMeans(k, n_init=2, random_state=random_state).fit_predict(x)
            if len(np.unique(labels)) > 1:
                scores[k] = silhouette(distances, labels)
    return max(scores, key=lambda k: (scores[k], -k)) if scores else usable[0]


def silhouette(distances: np.ndarray, labels) -> float:
    """Mean silhouette of a clustering from a square distance matrix (as scikit-learn's
    ``silhouette_score(..., metric="precomputed")``: points alone in their cluster score 0).

    One matrix product per call, so trying many cluster counts on the same rows is cheap.
    """
    labels = np.unique(np.asarray(labels), return_inverse=True)[1]
    onehot = np.zeros((len(labels), labels.max() + 1))
    onehot[np.arange(len(labels)), labels] = 1.0
    sums = distances @ onehot                        # (n, k): summed distance to each cluster
    sizes = onehot.sum(axis=0)
    rows = np.arange(len(labels))
    own_size = sizes[labels]
    a = np.where(own_size > 1, sums[rows, labels] / np.maximum(own_size - 1, 1), 0.0)
    mean_to = sums / sizes
    mean_to[rows, labels] = np.inf
    b = mean_to.min(axis=1)
    score = np.where(own_size > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(score.mean())
