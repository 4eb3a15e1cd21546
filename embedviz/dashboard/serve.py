"""``python -m embedviz.dashboard.serve [streamlit options]``: the app, warm before its first visitor.

``streamlit run app.py`` works too, but then the first page view shares the server with the
one-off warm-up (demo data and model, plotly's figure code, starting the UMAP worker) and takes
seconds longer. This launcher does that work first (~2 s), then starts the same Streamlit server
in this process, so the caches it filled are the ones the pages use.
"""
from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
import time
import traceback
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"
_M_ARENA_MAX = -8   # glibc's mallopt parameter for MALLOC_ARENA_MAX
GC_EVERY_S = 5.0


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas for the threads the server starts from now on.

    Streamlit runs every script run in a thread of its own; glibc gives threads up to 8 arenas per
    core and keeps what is freed in them. Measured with benchmarks/load_test.py (same server, 1 then
    10 then 30 sessions, each closed and dropped): RSS 378 -> 420 -> 465 MB with 63 MB in use,
    and 369 -> 377 -> 387 MB with 2 arenas. An explicit ``MALLOC_ARENA_MAX`` in the environment
    wins. Returns whether the cap was set (False off glibc).
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):   # not glibc (macOS, musl): nothing to tune
        return False
    return mallopt(_M_ARENA_MAX, arenas) == 1


def collect_periodically(every: float = GC_EVERY_S, stop: threading.Event | None = None) -> threading.Thread:
    """A full garbage collection every ``every`` seconds (skipped while nothing is allocated), in a thread.

    Replaces Streamlit's collection after every script run (``runner.postScriptGC``): with the
    sessions' data alive that one costs more the more sessions there are, and it runs once per run of
    every session, so it grew to 45-60 % of the server's Python time in benchmarks/load_test.py
    (py-spy, 1 to 30 sessions). Garbage still goes within seconds.
    """
    stop = stop or threading.Event()

    def loop() -> None:
        seen = -1
        while not stop.wait(every):
            if gc.get_stats()[0]["collections"] != seen:   # young collections happen as objects are made
                gc.collect()
                seen = gc.get_stats()[0]["collections"]

    thread = threading.Thread(target=loop, daemon=True, name="embedviz-gc")
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> None:
    """Warm up, then hand over to ``streamlit run app.py`` with the given options.

    ``--open FILE [--metadata FILE] [--data-dir FOLDER]`` (what ``python -m embedviz explore``
    passes) first opens a vector file for every session; the other options go to Streamlit.
    """
    from streamlit.web import cli

    from embedviz.dashboard import served, services

    limit_malloc_arenas()   # before the warm-up starts threads
    argv = sys.argv[1:] if argv is None else argv
    own, argv = _own_options(argv)
    if own.open is not None:
        _open_file(own)
    started = time.perf_counter()
    try:
        services.warm_up_now()
        opened = served.default_served()
        if opened is not None:      # `python -m embedviz explore FILE`: its first view, ready
            served.warm(opened)
    except Exception:  # serve anyway: the pages report what fails when they need it
        traceback.print_exc()
    # What is loaded now lives as long as the process: keep it out of every full garbage collection.
    gc.freeze()
    print(f"embedviz: warmed up in {time.perf_counter() - started:.1f} s", flush=True)
    options = list(argv)
    if not any(option.startswith("--runner.postScriptGC") for option in options):   # an explicit choice wins
        options.append("--runner.postScriptGC=false")
        collect_periodically()
    sys.argv = ["streamlit", "run", str(APP), *options]
    cli.main()


def _own_options(argv: list[str]):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m embedviz.dashboard.serve", add_help=False)
    parser.add_argument("--open", type=Path)
    parser.add_argument("--metadata", type=Path)
    parser.add_argument("--data-dir", type=Path)
    return parser.parse_known_args(argv)


def _open_file(options) -> None:
    """Open the vector file where it lies (memory-mapped) as the set every session sees first."""
    import os

    from embedviz.dashboard import served
    from embedviz.data.server_paths import ENV_VAR, allowed_folder
    from embedviz.errors import DataError

    try:
        if options.data_dir is not None:
            os.environ[ENV_VAR] = str(options.data_dir)
            allowed_folder()          # a bad folder stops here, with its message
        print(f"embedviz: opening {options.open} ...", flush=True)
        opened = served.open_served(options.open, options.metadata, default=True).data
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"embedviz: {opened.name}: {opened.n:,} vectors x {opened.dim} in {opened.seconds:.1f} s "
          f"({'; '.join(opened.notes)})", flush=True)


if __name__ == "__main__":
    main()
