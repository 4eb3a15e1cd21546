"""Clustered embedding vectors at scale (up to millions), with metadata and known clusters.

Cluster sizes differ by orders of magnitude (a Zipf law over clusters, the smallest a handful
of points) and a few isolated outliers sit far from everything: the points a uniform sample
loses and a density-aware one must keep.

Parquet layout: ``id`` (int64), ``title`` (string), ``category`` (string), ``vector``
(fixed_size_list<float32>[dim]). One fixed-size-list column beats ``dim`` separate float
columns for the reader this project needs (vectors -> one C-contiguous (n, dim) float32 array):
its values are already one contiguous buffer per row group, so reading is a copy per row
group with no transposition. Measured on 1M x 64 here (snappy, memory-mapped read to numpy):
0.6 s / 806 MB peak RSS for the list column vs 1.5 s / 1005 MB for 64 float columns.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from embedviz.data.synthetic import _names
from embedviz.data.synthetic._common import SyntheticFiles, ensure_dir

FORMATS = ("parquet", "npy", "tsv")


def clustered_vectors(n: int = 100_000, dim: int = 64, *, n_clusters: int = 40,
                      outlier_fraction: float = 0.0005, label_noise: float = 0.03,
                      seed: int = 0) -> tuple[np.ndarray, pd.DataFrame, dict]:
    """``n`` vectors in clusters of very different sizes plus a few isolated outliers.

    Parameters
    ----------
    n, dim : int
        Shape of the result.
    n_clusters : int
        Clusters; their sizes span four orders of magnitude (the largest about a fifth of the
        points, the smallest a handful).
    outlier_fraction : float
        Share of points that belong to no cluster, far from all of them (at least 3).
    label_noise : float
        Share of clustered points whose ``category`` is a different cluster's name (real labels are
        noisy); the true cluster is in ``truth["cluster"]``.
    seed : int
        Same seed, same vectors.

    Returns
    -------
    vectors : numpy.ndarray, shape (n, dim), float32
    metadata : pandas.DataFrame, shape (n, 3)
        ``id`` (int64, 0..n-1), ``title`` (unique str), ``category`` (str), row k describes
        ``vectors[k]``.
    truth : dict
        ``cluster`` (int32 array (n,), -1 for outliers), ``cluster_names``, ``cluster_sizes``,
        ``outliers`` (row indices), ``small_clusters`` (indices of clusters under 0.1 % of n),
        ``centers`` (n_clusters, dim).
    """
    if n < 10 * n_clusters:
        raise ValueError(f"n must be at least 10 * n_clusters = {10 * n_clusters}, got {n}")
    rng = np.random.default_rng(seed)
    n_outliers = max(3, round(outlier_fraction * n))
    sizes = _cluster_sizes(n - n_outliers, n_clusters)
    labels = np.concatenate([np.repeat(np.arange(n_clusters, dtype=np.int32), sizes),
                             np.full(n_outliers, -1, dtype=np.int32)])[rng.permutation(n)]

    centers = rng.normal(0.0, 1.0, (n_clusters, dim)).astype(np.float32) * 4.0
    spread = rng.uniform(0.4, 1.4, n_clusters).astype(np.float32)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    clustered = labels >= 0
    vectors[clustered] *= spread[labels[clustered], None]
    vectors[clustered] += centers[labels[clustered]]
    outliers = np.flatnonzero(~clustered)
    directions = vectors[outliers] / np.linalg.norm(vectors[outliers], axis=1, keepdims=True)
    vectors[outliers] = directions * rng.uniform(60.0, 90.0, (outliers.size, 1)).astype(np.float32)

    names = _cluster_names(n_clusters, rng)
    shown = labels.copy()
    noisy = clustered & (rng.random(n) < label_noise)
    shown[noisy] = rng.integers(0, n_clusters, int(noisy.sum()))
    shown[outliers] = rng.integers(0, n_clusters, outliers.size)
    metadata = pd.DataFrame({"id": np.arange(n, dtype=np.int64), "title": _titles(n, rng),
                             "category": pd.Categorical.from_codes(shown, names).astype(str)})
    truth = {"cluster": labels, "cluster_names": names, "cluster_sizes": sizes,
             "outliers": outliers, "small_clusters": np.flatnonzero(sizes < 0.001 * n),
             "centers": centers}
    return vectors, metadata, truth


def write_vectors(out_dir: str | Path, n: int = 100_000, dim: int = 64, *,
                  formats: tuple[str, ...] = ("parquet",), seed: int = 0,
                  **options) -> SyntheticFiles:
    """Write `clustered_vectors` to files in the formats asked for.

    Parameters
    ----------
    out_dir : str or Path
        Folder (created if missing).
    n, dim, seed, **options
        Passed to `clustered_vectors`.
    formats : tuple of {"parquet", "npy", "tsv"}
        ``parquet``: ``vectors.parquet`` (layout in the module docstring). ``npy``: ``vectors.npy``
        (float32) + ``metadata.tsv``. ``tsv``: the Embedding Projector pair ``vectors.tsv`` (no
        header, tab-separated) + ``metadata.tsv`` (header row, since it has several columns).

    Returns
    -------
    SyntheticFiles
        ``paths`` keyed ``parquet`` / ``npy`` / ``vectors_tsv`` / ``metadata_tsv``; ``truth`` as
        `clustered_vectors`' plus ``n`` and ``dim``.
    """
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"formats must be among {FORMATS}, got {sorted(unknown)}")
    out = ensure_dir(out_dir)
    vectors, metadata, truth = clustered_vectors(n, dim, seed=seed, **options)
    paths: dict[str, Path] = {}
    if "parquet" in formats:
        paths["parquet"] = out / "vectors.parquet"
        write_parquet(paths["parquet"], vectors, metadata)
    if "npy" in formats:
        paths["npy"] = out / "vectors.npy"
        np.save(paths["npy"], vectors)
    if "tsv" in formats:
        paths["vectors_tsv"] = out / "vectors.tsv"
        _write_tsv(paths["vectors_tsv"], vectors)
    if "npy" in formats or "tsv" in formats:
        paths["metadata_tsv"] = out / "metadata.tsv"
        metadata.to_csv(paths["metadata_tsv"], sep="\t", index=False)
    return SyntheticFiles(paths, {**truth, "n": n, "dim": dim})


def write_parquet(path: str | Path, vectors: np.ndarray, metadata: pd.DataFrame,
                  row_group_size: int = 131_072) -> None:
    """One row per vector: the metadata columns and ``vector`` as fixed_size_list<float32>[dim]."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1))
    columns = {name: pa.array(metadata[name].to_numpy()) for name in metadata.columns}
    columns["vector"] = pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1])
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size,
                   use_dictionary=[c for c in metadata.columns if metadata[c].dtype == object])


def _write_tsv(path: Path, vectors: np.ndarray) -> None:
    """Headerless tab-separated numbers, fast (Arrow's CSV writer, not a Python loop)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.table({f"v{k}": vectors[:, k] for k in range(vectors.shape[1])})
    pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=False, delimiter="\t",
                                                    quoting_style="none"))


def _cluster_sizes(total: int, n_clusters: int) -> np.ndarray:
    """Sizes spread evenly on a log scale over four orders of magnitude, summing to ``total``,
    each at least 3: a few clusters hold most points, several hold a handful."""
    weights = 10.0 ** (-4.0 * np.arange(n_clusters) / max(n_clusters - 1, 1))
    sizes = np.maximum(3, np.floor(weights / weights.sum() * total)).astype(np.int64)
    sizes[0] += total - sizes.sum()
    return sizes


def _cluster_names(n_clusters: int, rng: np.random.Generator) -> list[str]:
    pairs = {f"{a.lower()}-{b.lower()}" for a, b in zip(rng.permutation(_names.ADJECTIVES),
                                                        rng.permutation(_names.NOUNS))}
    names = sorted(pairs)
    while len(names) < n_clusters:
        names.append(f"cluster-{len(names)}")
    return [names[k] for k in rng.permutation(len(names))[:n_clusters]]


def _titles(n: int, rng: np.random.Generator) -> list[str]:
    """Unique readable titles such as "Velvet Harbor 48213" (the number keeps them unique)."""
    adjectives, nouns = _names.ADJECTIVES, _names.NOUNS
    a = rng.integers(len(adjectives), size=n).tolist()
    b = rng.integers(len(nouns), size=n).tolist()
    return [f"{adjectives[x]} {nouns[y]} {k}" for k, (x, y) in enumerate(zip(a, b))]
