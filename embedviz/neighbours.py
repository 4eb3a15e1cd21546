"""Nearest neighbours of items and users under cosine, euclidean and dot-product scores.

Exact search reads the vector matrix once per query with a fused numba kernel
(dot products and a per-thread top-k in one pass), so it runs at memory speed;
large batches score tiles of queries per pass over the items, in parallel. Above
a configurable catalogue size `NeighbourIndex` switches cosine and euclidean to
approximate pynndescent indexes and says so; dot product then stays exact but
reads the longest vectors first and stops when no further item can enter.

Ranking happens in float32 (half the bytes to read); the returned scores are
recomputed in float64 from the caller's vectors for a few extra candidates, and
the final order is (score, then lower index first), so results are
deterministic and float32 / float64 inputs agree.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np
from numba import prange


@dataclass(frozen=True)
class Metric:
    """How one similarity measure scores a pair of vectors.

    Attributes
    ----------
    label : str
        Name to show on a page.
    score_name : str
        What the returned score is ("similarity", "distance", ...).
    higher_is_closer : bool
        True when larger scores mean nearer neighbours (results sorted
        descending); False for distances (sorted ascending).
    description : str
        One-line plain-language explanation.
    """

    label: str
    score_name: str
    higher_is_closer: bool
    description: str


METRICS = {
    "cosine": Metric(
        "Cosine", "cosine similarity", True,
        "Angle between vectors: direction only, length ignored.",
    ),
    "euclidean": Metric(
        "Euclidean", "euclidean distance", False,
        "Straight-line distance: direction and length both count.",
    ),
    "dot": Metric(
        "Dot product", "dot product", True,
        "What recommendation scores use: rewards long (often popular) vectors.",
    ),
}

# Extra float32 candidates re-scored in float64, so near-ties at the k-th place
# are settled by the exact scores rather than float32 rounding.
TIE_PAD = 8
# Above this many candidates the insertion top-k costs more than a partition.
MAX_KERNEL_K = 512
# Multiply-adds below which a scan runs on one thread (see `_threads_for`).
PARALLEL_MIN_WORK = 16_000_000
# Queries handled together (bounds the float64 re-scoring arrays).
QUERY_BLOCK = 1024
# Score matrices of the large-k path stay near this many floats.
BLOCK_FLOATS = 4_000_000


def check_metric(metric: str) -> Metric:
    """The `Metric` for a name; ValueError listing the valid names otherwise."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    return METRICS[metric]


# ----------------------------------------------------------------------------- kernels


@numba.njit(inline="always")
def _insert(keys, idx, s, i):
    # keys is sorted descending; equal keys keep the earlier (lower) index first.
    p = keys.shape[0] - 1
    while p > 0 and keys[p - 1] < s:
        keys[p] = keys[p - 1]
        idx[p] = idx[p - 1]
        p -= 1
    keys[p] = s
    idx[p] = i


@numba.njit(inline="always")
def _is_excluded(excluded, i, self_index):
    if i == self_index:
        return True
    if excluded.shape[0] == 0:
        return False
    p = np.searchsorted(excluded, i)
    return p < excluded.shape[0] and excluded[p] == i


@numba.njit(parallel=True, fastmath=True, cache=True)
def _scan_topk(vectors, query, offsets, excluded, self_index, k, n_chunks):
    """Top-k of ``vectors @ query - offsets`` per chunk of rows, in one pass."""
    n, d = vectors.shape
    out_key = np.full((n_chunks, k), -np.inf, np.float32)
    out_idx = np.full((n_chunks, k), -1, np.int64)
    chunk = (n + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        keys = out_key[c]
        idx = out_idx[c]
        for i in range(c * chunk, min(n, (c + 1) * chunk)):
            s = np.float32(0.0)
            for j in range(d):
                s += vectors[i, j] * query[j]
            if offsets.shape[0] > 0:
                s -= offsets[i]
            if s > keys[k - 1] and not _is_excluded(excluded, i, self_index):
                _insert(keys, idx, s, i)
    return out_key, out_idx


# Queries scored together per pass over the items (each item row is loaded
# once per tile). Measured on 10k x 64: BLAS product + parallel top-k 2.5 s,
# one query per pass 1.1 s, tiles of 4 0.8 s (the BLAS and numba thread pools
# also fight over the two cores).
QUERY_TILE = 4


@numba.njit(parallel=True, fastmath=True, cache=True)
def _scan_topk_many(vectors, queries, offsets, excluded, self_indices, k):
    """Top-k of ``vectors @ queries[r] - offsets`` for each query row r."""
    n, d = vectors.shape
    b = queries.shape[0]
    out_key = np.full((b, k), -np.inf, np.float32)
    out_idx = np.full((b, k), -1, np.int64)
    for t in prange((b + QUERY_TILE - 1) // QUERY_TILE):
        first = t * QUERY_TILE
        last = min(b, first + QUERY_TILE)
        tile = np.empty(QUERY_TILE, np.float32)
        for i in range(n):
            for r in range(first, last):
                s = np.float32(0.0)
                for j in range(d):
                    s += vectors[i, j] * queries[r, j]
                tile[r - first] = s
            for r in range(first, last):
                s = tile[r - first]
                if offsets.shape[0] > 0:
                    s -= offsets[i]
                if s > out_key[r, k - 1] and not _is_excluded(excluded, i, self_indices[r]):
                    _insert(out_key[r], out_idx[r], s, i)
    return out_key, out_idx


# ----------------------------------------------------------------------------- input checks


def _as_matrix(vectors) -> np.ndarray:
    array = np.asarray(vectors)
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(
            f"vectors must be a 2-D array (n_items, dim) with at least one row and column, "
            f"got shape {array.shape}"
        )
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"vectors must be numeric, got dtype {array.dtype}")
    return array


def _check_finite(array: np.ndarray, name: str) -> None:
    step = max(1, 4_000_000 // max(1, array.shape[-1]))
    flat = array.reshape(-1, array.shape[-1]) if array.ndim > 1 else array[None, :]
    for start in range(0, flat.shape[0], step):
        if not np.isfinite(flat[start:start + step]).all():
            raise ValueError(f"{name} must be finite, found NaN or inf")


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    return int(k)


def _check_indices(values, n: int, name: str) -> np.ndarray:
    indices = np.asarray(values).reshape(-1)
    if indices.size and not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(f"{name} must hold integer row indices, got dtype {indices.dtype}")
    indices = indices.astype(np.int64)
    bad = indices[(indices < 0) | (indices >= n)]
    if bad.size:
        raise ValueError(f"{name} must be row indices in [0, {n}), got {int(bad[0])}")
    return indices


@dataclass(frozen=True)
class _Query:
    """A parsed query: vectors (b, d) and, for index queries, their rows (b,)."""

    vectors: np.ndarray  # in the caller's dtype
    rows: np.ndarray  # -1 where the query is a raw vector
    single: bool


def _parse_query(query, source: np.ndarray) -> _Query:
    n, dim = source.shape
    array = np.asarray(query)
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise ValueError(
            "query must be a row index, an array of row indices or float vector(s), "
            f"got dtype {array.dtype}"
        )
    if np.issubdtype(array.dtype, np.integer):
        if array.ndim > 1:
            raise ValueError(f"query indices must be a scalar or 1-D, got shape {array.shape}")
        rows = _check_indices(array, n, "query")
        return _Query(source[rows], rows, array.ndim == 0)
    if array.ndim not in (1, 2) or array.shape[-1] != dim:
        raise ValueError(
            f"query vector must have shape ({dim},) or (n_queries, {dim}) to match the "
            f"vectors, got shape {array.shape}"
        )
    _check_finite(array, "query")
    vectors = np.atleast_2d(array).astype(np.float64)
    return _Query(vectors, np.full(len(vectors), -1, np.int64), array.ndim == 1)


def _parse_exclude(exclude, n: int) -> np.ndarray:
    if exclude is None:
        return np.zeros(0, np.int64)
    return np.unique(_check_indices(exclude, n, "exclude"))


# ----------------------------------------------------------------------------- exact scores


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, shape and dtype kept; zero rows stay zero
    (so their cosine similarity with everything is 0)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def _exact_scores(metric, source, norms, candidates, queries) -> np.ndarray:
    """float64 scores of rows ``candidates`` (b, c) of ``source`` against queries (b, d)."""
    rows = source[candidates].astype(np.float64)
    if metric == "euclidean":
        return np.sqrt(((rows - queries[:, None, :]) ** 2).sum(axis=-1))
    dots = np.einsum("bcd,bd->bc", rows, queries)
    if metric == "dot":
        return dots
    denominator = norms[candidates] * np.linalg.norm(queries, axis=1)[:, None]
    return np.divide(dots, denominator, out=np.zeros_like(dots), where=denominator > 0)


# ----------------------------------------------------------------------------- the index


class NeighbourIndex:
    """Nearest-neighbour search over a fixed set of vectors, caching per-metric state.

    Normalised vectors (cosine), half squared norms (euclidean) and, above
    ``approximate_above`` items, a pynndescent index per metric (cosine,
    euclidean) or the vectors sorted by length (dot) are built on the first
    query that needs them and reused afterwards. The caller's array is kept
    by reference (re-scoring reads it): do not modify it in place afterwards.

    Parameters
    ----------
    vectors : array-like, shape (n_items, dim)
        Item (or user) vectors, any float or int dtype; must be finite.
    approximate_above : int or None
        Use approximate search when ``n_items`` exceeds this; None means always
        exact. The default keeps exact search up to the size where one query
        still takes tens of milliseconds.
    random_state : int or None
        Seed for the pynndescent indexes.

    Examples
    --------
    >>> index = NeighbourIndex(item_factors)
    >>> ids, sims = index.query(42, k=10, metric="cosine")   # item 42 left out
    """

    def __init__(self, vectors, *, approximate_above: int | None = 2_000_000,
                 random_state: int | None = 0):
        self.vectors = _as_matrix(vectors)
        _check_finite(self.vectors, "vectors")
        self.approximate_above = approximate_above
        self.random_state = random_state
        self._ann: dict[str, object] = {}

    @property
    def n_items(self) -> int:
        return self.vectors.shape[0]

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    @property
    def is_approximate(self) -> bool:
        """True above ``approximate_above`` items (cosine and euclidean via pynndescent)."""
        return self.approximate_above is not None and self.n_items > self.approximate_above

    @property
    def description(self) -> str:
        """A sentence a page can show, e.g. "exact search over 9,742 items"."""
        if not self.is_approximate:
            return f"exact search over {self.n_items:,} items"
        return (f"approximate search (pynndescent) over {self.n_items:,} items; dot product "
                "stays exact, reading the longest vectors first")

    @cached_property
    def norms(self) -> np.ndarray:
        """Vector lengths, shape (n_items,), float64."""
        v = self.vectors if np.issubdtype(self.vectors.dtype, np.floating) else self._float32
        return np.sqrt(np.einsum("ij,ij->i", v, v)).astype(np.float64)

    @cached_property
    def _float32(self) -> np.ndarray:
        return np.ascontiguousarray(self.vectors, dtype=np.float32)

    @cached_property
    def _unit32(self) -> np.ndarray:
        return normalise_rows(self._float32)

    @cached_property
    def _half_sq_norms(self) -> np.ndarray:
        # ranking by q.v - |v|^2 / 2 is ranking by -|q - v|^2 / 2 (|q| is constant)
        return (0.5 * self.norms**2).astype(np.float32)

    def _scan_inputs(self, metric: str, queries: np.ndarray):
        """(matrix, float32 queries, offsets) such that key = matrix @ q - offsets."""
        no_offsets = np.zeros(0, np.float32)
        if metric == "cosine":
            return self._unit32, normalise_rows(queries).astype(np.float32), no_offsets
        offsets = self._half_sq_norms if metric == "euclidean" else no_offsets
        return self._float32, queries.astype(np.float32), offsets

    def query(self, query, k: int = 10, metric: str = "cosine", exclude=None):
        """The ``k`` nearest items to a query.

        Parameters
        ----------
        query : int, array of int, or float array
            A row index (that item is left out of its own results), a 1-D array
            of row indices (a batch), a raw vector shape (dim,) such as a
            folded-in user, or raw vectors shape (n_queries, dim). Integer dtype
            means indices, float dtype means vectors.
        k : int
            Number of neighbours; fewer are returned when fewer items are left.
        metric : {"cosine", "euclidean", "dot"}
            See `METRICS`.
        exclude : array of int, optional
            Row indices to leave out of every result (e.g. items a user has seen).

        Returns
        -------
        indices : ndarray of int64, shape (k,) or (n_queries, k)
        scores : ndarray of float64, same shape
            Cosine similarity or dot product (descending) or euclidean distance
            (ascending); equal scores are ordered by lower index first.
        """
        check_metric(metric)
        k = _check_k(k)
        parsed = _parse_query(query, self.vectors)
        excluded = _parse_exclude(exclude, self.n_items)
        k_eff = min(k, self._available(parsed.rows, excluded))
        if k_eff == 0:
            shape = (0,) if parsed.single else (len(parsed.rows), 0)
            return np.zeros(shape, np.int64), np.zeros(shape, np.float64)
        n_candidates = min(k_eff + TIE_PAD, self._available(parsed.rows, excluded))
        step = QUERY_BLOCK
        parts = [
            self._query_block(metric, parsed.vectors[s:s + step], parsed.rows[s:s + step],
                              excluded, n_candidates, k_eff)
            for s in range(0, len(parsed.rows), step)
        ]
        indices = np.concatenate([part[0] for part in parts])
        scores = np.concatenate([part[1] for part in parts])
        return (indices[0], scores[0]) if parsed.single else (indices, scores)

    def _available(self, rows: np.ndarray, excluded: np.ndarray) -> int:
        """Items left for the worst-off query after exclusions (itself included)."""
        self_counted = (rows >= 0) & ~np.isin(rows, excluded)
        return self.n_items - len(excluded) - int(self_counted.any())

    def _query_block(self, metric, queries, rows, excluded, n_candidates, k):
        """Candidates for a block of queries, re-scored in float64 and ordered."""
        queries = queries.astype(np.float64)
        find = self._approximate_candidates if self.is_approximate else self._exact_candidates
        candidates = find(metric, queries, rows, excluded, n_candidates)
        scores = _exact_scores(metric, self.vectors, self.norms, candidates, queries)
        primary = -scores if METRICS[metric].higher_is_closer else scores
        order = np.lexsort((candidates, primary), axis=-1)[:, :k]
        return (np.take_along_axis(candidates, order, axis=-1),
                np.take_along_axis(scores, order, axis=-1))

    def _exact_candidates(self, metric, queries, rows, excluded, n_candidates):
        matrix, queries32, offsets = self._scan_inputs(metric, queries)
        return _scan_block(matrix, queries32, offsets, excluded, rows, n_candidates)

    def _approximate_candidates(self, metric, queries, rows, excluded, n_candidates):
        index = self._ann_index(metric)
        if metric == "dot":
            return index.query(queries, n_candidates, excluded, rows)
        n_ask = min(self.n_items, max(n_candidates, ANN_MIN_CANDIDATES) + len(excluded) + 1)
        found, _ = index.query(_ann_queries(metric, queries), k=n_ask, epsilon=ANN_EPSILON)
        keep = (found >= 0) & ~np.isin(found, excluded) & (found != rows[:, None])
        # all survivors are re-scored exactly, so more candidates only help recall
        n_kept = int(keep.sum(axis=1).min())
        first_kept = np.argsort(~keep, axis=1, kind="stable")[:, :n_kept]
        return np.take_along_axis(found, first_kept, axis=1).astype(np.int64)

    def _ann_index(self, metric: str):
        """The index for a metric, built on first use (pynndescent: minutes for millions)."""
        if metric not in self._ann:
            if metric == "cosine":
                index = _build_ann(self._unit32, "cosine", self.random_state)
            elif metric == "euclidean":
                index = _build_ann(self._float32, "euclidean", self.random_state)
            else:
                index = _NormPrunedDot(self._float32, self.norms)
            self._ann[metric] = index
        return self._ann[metric]


@contextmanager
def _threads_for(work: int):
    """Run small jobs on one thread: a parallel region waits for its slowest
    thread, and on a busy 2-core machine that wait cost ~10 ms per query at
    100k x 64 (1.2 ms on one thread; 0.4 vs 0.7 ms when the machine is idle)."""
    before = numba.get_num_threads()
    if work < PARALLEL_MIN_WORK:
        numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _scan_keys(matrix, query, offsets, excluded, row, n_candidates):
    """(keys, indices) of one query's best rows, best first, via the fused kernel."""
    with _threads_for(matrix.size):
        n_chunks = min(len(matrix), 4 * numba.get_num_threads())
        keys, idx = _scan_topk(matrix, query, offsets, excluded, row, n_candidates, n_chunks)
    keys, idx = keys.ravel(), idx.ravel()
    valid = idx >= 0
    order = np.lexsort((idx[valid], -keys[valid]))[:n_candidates]
    return keys[valid][order], idx[valid][order]


def _scan_one(matrix, query, offsets, excluded, row, n_candidates) -> np.ndarray:
    """Candidates (1, c) for one query."""
    return _scan_keys(matrix, query, offsets, excluded, row, n_candidates)[1][None, :]


def _scan_block(matrix, queries, offsets, excluded, rows, n_candidates) -> np.ndarray:
    """Candidates (b, c) for a block of queries."""
    if n_candidates <= MAX_KERNEL_K:
        if len(queries) < 2 * QUERY_TILE * numba.get_num_threads():
            # too few tiles to keep every thread busy: split the items instead
            return np.vstack([
                _scan_one(matrix, q, offsets, excluded, row, n_candidates)
                for q, row in zip(queries, rows)
            ])
        with _threads_for(matrix.size * len(queries)):
            return _scan_topk_many(matrix, queries, offsets, excluded, rows, n_candidates)[1]
    step = max(1, BLOCK_FLOATS // len(matrix))
    return np.vstack([
        _sort_block(matrix, queries[s:s + step], offsets, excluded, rows[s:s + step], n_candidates)
        for s in range(0, len(queries), step)
    ])


def _sort_block(matrix, queries, offsets, excluded, rows, n_candidates) -> np.ndarray:
    """Candidates for large k: all scores, then a stable sort (lower index first on ties)."""
    scores = queries @ matrix.T
    if offsets.size:
        scores -= offsets
    scores[:, excluded] = -np.inf
    has_self = rows >= 0
    scores[np.flatnonzero(has_self), rows[has_self]] = -np.inf
    return np.argsort(-scores, axis=1, kind="stable")[:, :n_candidates]


# ----------------------------------------------------------------------------- approximate


# pynndescent query settings: at 1M x 64 (benchmark data) euclidean recall@10 was
# 0.76 with epsilon 0.1 and 19 candidates, 0.98 with 0.2 and 40 (0.37 ms a query).
ANN_EPSILON = 0.2
ANN_MIN_CANDIDATES = 40


class _NormPrunedDot:
    """Exact dot-product search reading the longest vectors first and stopping early.

    No item scores more than |q| * |v|, so once the k-th best score found beats
    |q| times the next item's length, no later item can enter. Typical queries
    stop after 5-25 % of the items (benchmark data, demo embeddings). Graph
    indexes did badly here: dot product reduced to cosine by appending
    sqrt(M^2 - |v|^2) (Bachrach et al., 2014) reached recall@10 0.26-0.72 at 1M,
    even within 8 ranges of similar length.
    """

    first_chunk = 16_384

    def __init__(self, vectors: np.ndarray, norms: np.ndarray):
        self.order = np.argsort(-norms, kind="stable")   # equal lengths keep index order
        self.position = np.empty_like(self.order)
        self.position[self.order] = np.arange(len(self.order))
        self.vectors = vectors[self.order]
        self.norms = norms[self.order]

    def query(self, queries: np.ndarray, k: int, excluded: np.ndarray, rows: np.ndarray):
        """Original row indices (b, <= k) of each query's k best dot products."""
        excluded_positions = np.sort(self.position[excluded])
        found = []
        for query, row in zip(queries.astype(np.float32), rows):
            if not query.any():   # every score is 0: the lowest indices win
                found.append(np.setdiff1d(np.arange(len(self.order)), np.r_[excluded, row])[:k])
            else:
                found.append(self._one(query, k, excluded_positions,
                                       self.position[row] if row >= 0 else -1))
        width = min(len(f) for f in found)
        return np.vstack([f[:width] for f in found])

    def _one(self, query, k, excluded, row) -> np.ndarray:
        n, no_offsets = len(self.vectors), np.zeros(0, np.float32)
        bound_scale = float(np.linalg.norm(query))
        margin = 1e-5 * bound_scale * self.norms[0]     # float32 rounding of the keys
        keys, positions = np.zeros(0, np.float32), np.zeros(0, np.int64)
        start, size = 0, self.first_chunk
        while start < n:
            stop = min(n, start + size)
            local = excluded[(excluded >= start) & (excluded < stop)] - start
            local_row = row - start if start <= row < stop else -1
            chunk_keys, chunk_idx = _scan_keys(self.vectors[start:stop], query, no_offsets,
                                               local, local_row, k)
            keys = np.concatenate([keys, chunk_keys])
            positions = np.concatenate([positions, chunk_idx + start])
            best = np.lexsort((self.order[positions], -keys))[:k]
            keys, positions = keys[best], positions[best]
            if stop == n or (len(keys) == k and keys[-1] > bound_scale * self.norms[stop] + margin):
                break
            start, size = stop, 2 * size
        return self.order[positions]


def _ann_queries(metric: str, queries: np.ndarray) -> np.ndarray:
    return (normalise_rows(queries) if metric == "cosine" else queries).astype(np.float32)


def _build_ann(data: np.ndarray, metric: str, random_state: int | None):
    """A pynndescent index over ``data``, with its search function compiled."""
    from pynndescent import NNDescent

    index = NNDescent(data, metric=metric, n_neighbors=30, random_state=random_state)
    index.prepare()
    return index


# ----------------------------------------------------------------------------- functions


_CACHE_SIZE = 2
_index_cache: list[tuple[tuple, NeighbourIndex]] = []


def _cached_index(vectors) -> NeighbourIndex:
    """Reuse the index of the last arrays queried (same object, shape, dtype, buffer).

    The cache holds the arrays alive, so an id cannot be reused by another array
    while its entry exists; an array modified in place after a query would be
    served stale state, hence hold a `NeighbourIndex` yourself in that case.
    """
    if not isinstance(vectors, np.ndarray):
        return NeighbourIndex(vectors)
    key = (id(vectors), vectors.shape, vectors.dtype.str,
           vectors.__array_interface__["data"][0])
    for entry_key, index in _index_cache:
        if entry_key == key:
            return index
    index = NeighbourIndex(vectors)
    _index_cache.insert(0, (key, index))
    del _index_cache[_CACHE_SIZE:]
    return index


def nearest_neighbours(vectors, query, k: int = 10, metric: str = "cosine", exclude=None):
    """The ``k`` nearest rows of ``vectors`` to a query (see `NeighbourIndex.query`).

    Exact below 2,000,000 rows, approximate (pynndescent) above. The index
    built for an array is cached for the last two arrays, so repeated queries
    on the same array skip normalising it again.

    Parameters
    ----------
    vectors : array-like, shape (n_items, dim)
    query : int, array of int, or float array shape (dim,) or (n_queries, dim)
        A row index (which is then left out of its own results), a batch of row
        indices, or raw vector(s) such as a folded-in user.
    k : int
        Number of neighbours (all remaining items when fewer).
    metric : {"cosine", "euclidean", "dot"}
    exclude : array of int, optional
        Rows to leave out (e.g. the items a user has already seen).

    Returns
    -------
    indices : ndarray of int64, shape (k,) or (n_queries, k)
    scores : ndarray of float64, same shape
        Cosine similarity / dot product (descending) or euclidean distance
        (ascending); ties ordered by lower index first.
    """
    check_metric(metric)
    return _cached_index(vectors).query(query, k=k, metric=metric, exclude=exclude)


# UMAP wants distances; our cosine scores are similarities.
_GRAPH_DISTANCE = {
    "cosine": lambda similarity: np.maximum(1.0 - similarity, 0.0),
    "euclidean": lambda distance: distance,
}


def scores_to_distances(scores: np.ndarray, metric: str) -> np.ndarray:
    """Scores from `nearest_neighbours` as umap-learn's distances (cosine: 1 - similarity)."""
    if metric not in _GRAPH_DISTANCE:
        raise ValueError(f"metric must be one of {sorted(_GRAPH_DISTANCE)}, got {metric!r}")
    return _GRAPH_DISTANCE[metric](scores)


def exact_knn_graph(vectors, k: int = 15, metric: str = "cosine"):
    """The exact k-nearest-neighbour graph in umap-learn's ``precomputed_knn`` format.

    Row ``i`` starts with ``i`` itself at distance 0, followed by its ``k - 1``
    nearest other rows. Cost grows as n² · dim (about 0.3 s for 10k × 64 on two
    cores); for very large n prefer a sample.

    Parameters
    ----------
    vectors : array-like, shape (n_items, dim)
    k : int
        Neighbours per row including the row itself (umap's ``n_neighbors``);
        capped at ``n_items``.
    metric : {"cosine", "euclidean"}
        Cosine distances are ``1 - cosine similarity``.

    Returns
    -------
    indices : ndarray of int32, shape (n_items, min(k, n_items))
    distances : ndarray of float32, same shape
    """
    scores_to_distances(np.zeros(0), metric)   # checks the metric
    k = _check_k(k)
    index = NeighbourIndex(vectors, approximate_above=None)
    n = index.n_items
    rows = np.arange(n)
    if min(k, n) == 1:
        return rows[:, None].astype(np.int32), np.zeros((n, 1), np.float32)
    others, scores = index.query(rows, k=k - 1, metric=metric)
    indices = np.hstack([rows[:, None], others]).astype(np.int32)
    distances = np.hstack([np.zeros((n, 1)), scores_to_distances(scores, metric)])
    return indices, distances.astype(np.float32)


# ----------------------------------------------------------------------------- comparing lists


def _as_list(values, name: str) -> np.ndarray:
    array = np.asarray(values).reshape(-1)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer row indices, got dtype {array.dtype}")
    return array.astype(np.int64)


def _spearman_of_positions(positions_b: np.ndarray) -> float | None:
    """Spearman correlation between 0..m-1 and the ranks of ``positions_b``."""
    m = len(positions_b)
    if m < 2:
        return None
    ranks_b = np.argsort(np.argsort(positions_b))
    d2 = float(((np.arange(m) - ranks_b) ** 2).sum())
    return 1.0 - 6.0 * d2 / (m * (m * m - 1))


def overlap_stats(list_a, list_b, *, popularity=None, norms=None) -> dict:
    """Numbers that say how two neighbour lists differ and why.

    Parameters
    ----------
    list_a, list_b : array-like of int
        Ranked row indices (best first), e.g. cosine and euclidean neighbours.
    popularity : array-like, shape (n_items,), optional
        Interactions per item.
    norms : array-like, shape (n_items,), optional
        Vector length per item.

    Returns
    -------
    dict
        ``jaccard`` (|A ∩ B| / |A ∪ B|; 1.0 for two empty lists), ``shared``
        (count), ``shared_items`` (int64 array, in list A's order),
        ``rank_correlation`` (Spearman of the shared items' ranks in A and B;
        None when fewer than 2 are shared), and when given
        ``mean_popularity_a/b`` and ``mean_norm_a/b`` (None for an empty list).
    """
    a, b = _as_list(list_a, "list_a"), _as_list(list_b, "list_b")
    in_b = np.isin(a, b)
    shared = a[in_b]
    union = len(np.union1d(a, b))
    position_in_b = {item: pos for pos, item in reversed(list(enumerate(b.tolist())))}
    stats = {
        "jaccard": len(np.unique(shared)) / union if union else 1.0,
        "shared": int(len(shared)),
        "shared_items": shared,
        "rank_correlation": _spearman_of_positions(
            np.array([position_in_b[item] for item in shared.tolist()])
        ),
    }
    for name, values in (("popularity", popularity), ("norm", norms)):
        if values is not None:
            values = np.asarray(values, dtype=np.float64)
            stats[f"mean_{name}_a"] = float(values[a].mean()) if a.size else None
            stats[f"mean_{name}_b"] = float(values[b].mean()) if b.size else None
    return stats


# A list "favours" longer vectors / more popular items when its mean is this
# many times the cosine list's.
FAVOURS_RATIO = 1.25


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2g}"


def _popularity_clause(mean_list, mean_cosine, catalogue_mean, unit) -> str:
    if mean_list * FAVOURS_RATIO <= mean_cosine:
        who = f"items with few {unit}" if mean_list < catalogue_mean else f"items with fewer {unit}"
    elif mean_list >= mean_cosine * FAVOURS_RATIO:
        who = "popular items" if mean_list > catalogue_mean else f"items with more {unit}"
    else:
        return ""
    return f" — {who} here (mean {_number(mean_list)} {unit} vs {_number(mean_cosine)} for cosine)"


def _versus_cosine(metric, lists, norms, popularity, unit) -> str:
    """One sentence on how ``metric``'s list differs from the cosine list."""
    label = METRICS[metric].label
    norm_m, norm_c = norms[lists[metric]].mean(), norms[lists["cosine"]].mean()
    shared = overlap_stats(lists[metric], lists["cosine"])["shared"]
    if norm_m * FAVOURS_RATIO <= norm_c or norm_m >= norm_c * FAVOURS_RATIO:
        size = "short" if norm_m < norm_c else "long"
        clause = ""
        if popularity is not None:
            clause = _popularity_clause(popularity[lists[metric]].mean(),
                                        popularity[lists["cosine"]].mean(),
                                        popularity.mean(), unit)
        return (f"{label} favours items with {size} vectors{clause}; mean length "
                f"{_number(norm_m)} vs {_number(norm_c)} for cosine.")
    return (f"{label} and cosine pick vectors of similar length and share {shared} of "
            f"{len(lists['cosine'])} items.")


def explain_difference(lists: dict, *, norms, popularity=None,
                       unit: str = "ratings") -> str:
    """A short plain-language caption saying why the metrics' lists differ.

    Parameters
    ----------
    lists : dict
        Metric name -> ranked row indices, e.g. ``{"cosine": ..., "euclidean":
        ..., "dot": ...}``; must contain "cosine" (the reference) and at least
        one other metric.
    norms : array-like, shape (n_items,)
        Vector length of every item (the catalogue, not only the lists).
    popularity : array-like, shape (n_items,), optional
        Interactions per item; adds "popular" / "rarely rated" to the caption.
    unit : str
        What popularity counts, e.g. "ratings", "plays", "interactions".

    Returns
    -------
    str
        One to three sentences, e.g. "Euclidean favours items with short
        vectors — items with few ratings here (mean 3 ratings vs 40 for
        cosine);
        mean length 0.31 vs 1.2 for cosine."
    """
    for metric in lists:
        check_metric(metric)
    if "cosine" not in lists or len(lists) < 2:
        raise ValueError(
            f"lists must hold 'cosine' and at least one other metric, got {sorted(lists)}"
        )
    lists = {metric: _as_list(items, metric) for metric, items in lists.items()}
    norms = np.asarray(norms, dtype=np.float64)
    popularity = None if popularity is None else np.asarray(popularity, dtype=np.float64)
    if any(items.size == 0 for items in lists.values()):
        return "Nothing to compare: a list is empty."
    sentences = []
    if "euclidean" in lists:
        if np.ptp(norms) <= 1e-3 * max(norms.mean(), 1e-12):
            shared = overlap_stats(lists["euclidean"], lists["cosine"])["shared"]
            sentences.append(
                "All vectors have the same length (normalised embeddings), so only direction "
                f"counts and cosine and euclidean give the same list ({shared} of "
                f"{len(lists['cosine'])} shared)."
            )
        elif np.array_equal(lists["euclidean"], lists["cosine"]):
            sentences.append("Cosine and euclidean give exactly the same list here.")
        else:
            sentences.append(_versus_cosine("euclidean", lists, norms, popularity, unit))
    if "dot" in lists:
        sentences.append(_versus_cosine("dot", lists, norms, popularity, unit))
    return " ".join(sentences)
