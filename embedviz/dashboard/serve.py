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
import time
import traceback
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"
_M_ARENA_MAX = -8   # glibc's mallopt parameter for MALLOC_ARENA_MAX


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


def main(argv: list[str] | None = None) -> None:
    """Warm up, then hand over to ``streamlit run app.py`` with the given options."""
    from streamlit.web import cli

    from embedviz.dashboard import services

    limit_malloc_arenas()   # before the warm-up starts threads
    started = time.perf_counter()
    try:
        services.warm_up_now()
    except Exception:  # serve anyway: the pages report what fails when they need it
        traceback.print_exc()
    # What is loaded now lives as long as the process: keep it out of the full garbage collection
    # Streamlit runs after every script run (runner.postScriptGC; measured ~160 ms per run otherwise).
    gc.freeze()
    print(f"embedviz: warmed up in {time.perf_counter() - started:.1f} s", flush=True)
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
