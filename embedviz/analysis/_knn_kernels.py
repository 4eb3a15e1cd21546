"""The numba scans behind exact neighbour search: a fused dot-product + per-thread top-k.

Ranking keys are ``matrix @ query - offsets`` in float32; the caller re-scores the
candidates exactly. Small jobs run on one thread (see `_threads_for`).
"""
from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np
from numba import prange

from embedviz import numba_cache

numba_cache.install()   # a damaged or read-only cache means compiling, never an error

# Above this many candidates the insertion top-k costs more than a partition.
MAX_KERNEL_K = 512


# Multiply-adds below which a scan runs on one thread (see `_threads_for`).
PARALLEL_MIN_WORK = 16_000_000


# Queries handled together (bounds the float64 re-scoring arrays).
QUERY_BLOCK = 1024


# Score matrices of the large-k path stay near this many floats.
BLOCK_FLOATS = 4_000_000


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


def scan_keys(matrix, query, offsets, excluded, row, n_candidates):
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
    return scan_keys(matrix, query, offsets, excluded, row, n_candidates)[1][None, :]


def scan_block(matrix, queries, offsets, excluded, rows, n_candidates) -> np.ndarray:
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
