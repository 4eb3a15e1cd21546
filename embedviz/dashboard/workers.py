"""A worker process for the heavy numba work (UMAP), so pages stay responsive.

umap-learn's numba kernels hold the GIL. Run in a thread of the server process, a
layout stalls every page script in the meantime (measured: the first scatter on a
fresh server took 6-8 s while the demo's UMAP ran in a thread). One worker
process, started with the server and kept, loads umap only once.
"""
from __future__ import annotations

import multiprocessing
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


# Priority of the worker. It used to run at nice 10 so that pages went first on a small machine
# (the first scatter of a fresh server came ~1 s later at normal priority), but a visitor waits for
# what it computes, and on a shared server at nice 10 it got ~10 % of a core next to other busy
# processes: a 17.6k layout took over 5 minutes. At 0 it gets its fair share.
WORKER_NICE = 0


def _prepare_worker() -> None:
    import os

    from embedviz.analysis.projection import enable_umap_caching

    if WORKER_NICE:
        os.nice(WORKER_NICE)
    enable_umap_caching()


class _WorkerProcess(multiprocessing.context.ForkServerProcess):
    """A forkserver process that does not import the parent's ``__main__``.

    multiprocessing makes every child import the parent's main module first. In a Streamlit
    server ``__main__`` is the page script being run (Streamlit executes pages as ``__main__``),
    so each worker ran app.py in bare mode: it printed a traceback ("an attempt has been made to
    start a new process before the current process has finished its bootstrapping phase") from
    the warm-up it started, and loaded the demo model for nothing. The work sent here is module
    functions of embedviz, which need no main module.
    """

    @staticmethod
    def _Popen(process_obj):
        from multiprocessing import spawn

        with _launch_lock:
            original = spawn.get_preparation_data

            def without_main(name):
                data = original(name)
                data.pop("init_main_from_path", None)
                data.pop("init_main_from_name", None)
                return data

            spawn.get_preparation_data = without_main
            try:
                return multiprocessing.context.ForkServerProcess._Popen(process_obj)
            finally:
                spawn.get_preparation_data = original


class _WorkerContext(multiprocessing.context.ForkServerContext):
    Process = _WorkerProcess


_launch_lock = threading.Lock()


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # forkserver: a clean (thread-free) parent to fork from; our own (light) preload list,
            # and no main module imported (see _WorkerProcess). umap is imported by the worker itself.
            context = _WorkerContext()
            context.set_forkserver_preload([__name__])
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_prepare_worker)
            _stop_with_the_server()
        return _pool


def _stop_with_the_server() -> None:
    """Make the server's exit end the worker at once.

    concurrent.futures waits at exit for the running task (a 1M-row UMAP: minutes): the
    stopped server stayed alive meanwhile and its worker ran on as an orphan. Exit callbacks
    registered later run first, so this terminates the worker before that wait.
    """
    def stop() -> None:
        pool = _pool
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()

    threading._register_atexit(stop)  # type: ignore[attr-defined]


def start() -> None:
    """Start the worker now (it imports umap), so the first layout does not wait for it."""
    _get_pool().submit(int)


class Cancelled(Exception):
    """Raised in the worker when the caller gave up on the work (a newer request replaced it)."""


def run(function, *args, progress: Callable[[str, float], None] | None = None,
        cancelled: Callable[[], bool] | None = None, **kwargs):
    """``function(*args, **kwargs)`` in the worker; blocks, so call it from a background thread.

    With ``progress``, ``function`` gets a ``callback(stage, fraction)`` keyword argument whose
    reports reach ``progress`` here (through a small file; polled every 0.2 s). When
    ``cancelled()`` turns True the next report raises `Cancelled` in the worker, which frees it.
    A crashed worker (e.g. out of memory) is replaced for the next call; this call raises.
    """
    global _pool
    try:
        if progress is None and cancelled is None:
            return _get_pool().submit(function, *args, **kwargs).result()
        with tempfile.TemporaryDirectory(prefix="embedviz-job-") as folder:
            future = _get_pool().submit(_reporting, folder, function, args, kwargs)
            return _wait(future, Path(folder), progress, cancelled)
    except BrokenProcessPool:
        with _lock:
            _pool = None
        raise RuntimeError("the layout worker process stopped unexpectedly (out of memory?); try again") from None


def _wait(future, folder: Path, progress, cancelled):
    while True:
        try:
            return future.result(timeout=POLL_SECONDS)
        except FutureTimeout:
            pass
        if cancelled is not None and cancelled():
            (folder / "cancel").touch()
        if progress is not None:
            try:
                stage, fraction = (folder / "progress").read_text().split()
                progress(stage, float(fraction))
            except (OSError, ValueError):   # not written yet, or being replaced
                pass


POLL_SECONDS = 0.2


def _reporting(folder: str, function, args, kwargs):
    """Runs in the worker: ``function`` with a callback that writes progress and checks for cancel."""
    import os

    def callback(stage: str, fraction: float) -> None:
        if os.path.exists(os.path.join(folder, "cancel")):
            raise Cancelled("cancelled")
        partial = os.path.join(folder, "progress.tmp")
        with open(partial, "w") as handle:
            handle.write(f"{stage} {fraction:.4f}")
        os.replace(partial, os.path.join(folder, "progress"))

    return function(*args, callback=callback, **kwargs)


def project_shared(vectors, **kwargs):
    """`embedviz.project` on an array or a `MappedArray` (mapped here, in the worker, not copied)."""
    from embedviz.analysis.projection import project
    from embedviz.data.bigfiles import MappedArray

    return project(vectors.open() if isinstance(vectors, MappedArray) else vectors, **kwargs)
