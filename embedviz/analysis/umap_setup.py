"""Compile-once set-up for umap-learn: numba's on-disk cache for its kernels, and the warm-up.

Re-exported by `embedviz.analysis.projection` (``enable_umap_caching``, ``warmup``).
"""
from __future__ import annotations

import time

import numpy as np

_caching_enabled = False


def enable_umap_caching() -> None:
    """Let numba cache umap-learn's kernels on disk (most lack ``cache=True``).

    Dispatchers that cannot be cached (dynamic globals) only warn, which is
    silenced. Idempotent; affects this process's umap-learn.

    umap-learn compiles some functions twice, serial and ``parallel=True`` (the layout's epoch:
    serial when seeded, parallel otherwise). numba's cache files are named after the Python
    function and its index does not tell the two apart, so with both cached whichever was saved
    first served both: the unseeded 20k layout ran its epochs on one thread (9.2 s wall, 9.3 s
    CPU) instead of two (5.5 s wall, 10.9 s CPU), or a seeded one could have run the parallel,
    non-reproducible code. Such twins get cache files of their own ("-serial" / "-parallel").
    """
    global _caching_enabled
    if _caching_enabled:
        return
    from embedviz import numba_cache

    numba_cache.install()
    import umap.distances
    import umap.layouts
    import umap.sparse
    import umap.spectral
    import umap.umap_
    import umap.utils
    from numba.core.dispatcher import Dispatcher

    dispatchers = [value for module in (umap.umap_, umap.layouts, umap.distances, umap.utils, umap.spectral,
                                        umap.sparse)
                   for value in vars(module).values()
                   if isinstance(value, Dispatcher) and value.py_func.__module__ == module.__name__]
    twins: dict[object, list] = {}
    for dispatcher in dispatchers:
        twins.setdefault(dispatcher.py_func, []).append(dispatcher)
    for dispatcher in dispatchers:
        if len({id(d) for d in twins[dispatcher.py_func]}) > 1:
            suffix = "parallel" if dispatcher.targetoptions.get("parallel") else "serial"
            dispatcher._cache = _named_cache(dispatcher.py_func, suffix)  # type: ignore[attr-defined]
        else:
            dispatcher.enable_caching()
    _caching_enabled = True


def _named_cache(py_func, suffix: str):
    """numba's function cache for ``py_func`` with ``-suffix`` added to its file names."""
    from numba.core.caching import CompileResultCacheImpl, FunctionCache

    class Impl(CompileResultCacheImpl):
        def get_filename_base(self, fullname, abiflags):
            return f"{super().get_filename_base(fullname, abiflags)}-{suffix}"

    class Cache(FunctionCache):
        _impl_class = Impl

    return Cache(py_func)


def warmup(*, approximate: bool = False) -> dict[str, float]:
    """Compile (and cache on disk) the numba code the layouts and neighbours use.

    Fits tiny UMAP layouts on a precomputed graph, seeded and unseeded (umap's
    serial and parallel layout kernels), lays out from a sample, and runs the
    neighbour kernels. With ``approximate`` also builds small pynndescent
    indexes (what catalogues above 2M items and UMAP above 50k rows use); those
    cannot be cached on disk, so this only helps the current process (~30-60 s).
    Caches go to ``NUMBA_CACHE_DIR`` when set.

    Returns
    -------
    dict
        Seconds per step.
    """
    from embedviz.analysis.metrics import METRICS
    from embedviz.analysis.neighbours import NeighbourIndex, nearest_neighbours
    from embedviz.analysis.projection import project

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((4, 8)) * 4
    x = (centres[rng.integers(0, 4, 300)] + rng.standard_normal((300, 8))).astype(np.float32)
    seconds = {}
    start = time.perf_counter()
    import umap  # noqa: F401  (the import itself is part of the cost)

    seconds["import umap"] = time.perf_counter() - start
    steps = {
        "neighbours": lambda: [nearest_neighbours(x, 0, metric=m) for m in METRICS],
        "umap (parallel)": lambda: project(x, random_state=None),
        "umap (seeded)": lambda: project(x, random_state=0, n_components=3),
        "umap (sampled)": lambda: project(x, sample_above=100, random_state=0),
    }
    if approximate:
        index = NeighbourIndex(x, approximate_above=10)
        steps["pynndescent"] = lambda: [index.query(0, metric=m) for m in METRICS]
    for name, step in steps.items():
        start = time.perf_counter()
        step()
        seconds[name] = time.perf_counter() - start
    return seconds
