"""A worker process for the heavy numba work (UMAP), so pages stay responsive.

umap-learn's numba kernels hold the GIL. Run in a thread of the server process, a
layout stalls every page script in the meantime (measured: the first scatter on a
fresh server took 6-8 s while the demo's UMAP ran in a thread). One worker
process, started with the server and kept, loads umap only once.
"""
from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _prepare_worker() -> None:
    import os

    from embedviz.analysis.projection import enable_umap_caching

    # Background work: on a small machine, pages and the browser drawing them go first
    # (measured on 2 cores: the first scatter came ~1 s later while umap loaded and ran at normal priority).
    os.nice(10)

    enable_umap_caching()


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # forkserver: a clean (thread-free) parent to fork from, and, with our own (light) preload
            # list, the server's __main__ (streamlit's CLI, pytest, ...) is never re-imported. umap
            # is imported by the worker itself, at low priority.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_prepare_worker)
        return _pool


def start() -> None:
    """Start the worker now (it imports umap), so the first layout does not wait for it."""
    _get_pool().submit(int)


class FileProgress:
    """A progress callback that crosses processes: the worker writes "stage fraction" to a file
    the server reads (picklable, unlike a queue handed to an already running pool)."""

    def __init__(self, path: str):
        self.path = path

    def __call__(self, stage: str, fraction: float) -> None:
        import os

        with open(self.path + ".tmp", "w") as out:
            out.write(f"{stage} {fraction:.4f}")
        os.replace(self.path + ".tmp", self.path)

    def read(self) -> tuple[str, float] | None:
        try:
            with open(self.path) as source:
                stage, fraction = source.read().split()
            return stage, float(fraction)
        except (OSError, ValueError):
            return None


def run(function, *args, progress=None, **kwargs):
    """``function(*args, **kwargs)`` in the worker; blocks, so call it from a background thread.

    With ``progress`` (a callable(stage, fraction)), ``function`` gets a ``callback=`` that
    reports to it from the worker process, polled twice a second. A crashed worker (e.g. out of
    memory) is replaced for the next call; this call raises.
    """
    global _pool
    try:
        if progress is None:
            return _get_pool().submit(function, *args, **kwargs).result()
        return _run_reporting(function, args, kwargs, progress)
    except BrokenProcessPool:
        with _lock:
            _pool = None
        raise RuntimeError("the layout worker process stopped unexpectedly (out of memory?); try again") from None


def _run_reporting(function, args, kwargs, progress):
    import tempfile
    from concurrent.futures import TimeoutError as FutureTimeout
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="embedviz-progress-") as folder:
        reporter = FileProgress(str(Path(folder) / "progress"))
        future = _get_pool().submit(function, *args, callback=reporter, **kwargs)
        while True:
            try:
                return future.result(timeout=0.5)
            except FutureTimeout:
                seen = reporter.read()
                if seen is not None:
                    progress(*seen)


def project_shared(vectors, **kwargs):
    """`embedviz.project` on an array or a `MappedArray` (mapped here, in the worker, not copied)."""
    from embedviz.analysis.projection import project
    from embedviz.data.bigfiles import MappedArray

    return project(vectors.open() if isinstance(vectors, MappedArray) else vectors, **kwargs)
