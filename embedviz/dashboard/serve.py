"""``python -m embedviz.dashboard.serve [streamlit options]``: the app, warm before its first visitor.

``streamlit run app.py`` works too, but then the first page view shares the server with the
one-off warm-up (demo data and model, plotly's figure code, starting the UMAP worker) and takes
seconds longer. This launcher does that work first (~2 s), then starts the same Streamlit server
in this process, so the caches it filled are the ones the pages use.
"""
from __future__ import annotations

import gc
import sys
import time
import traceback
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def main(argv: list[str] | None = None) -> None:
    """Warm up, then hand over to ``streamlit run app.py`` with the given options."""
    from streamlit.web import cli

    from embedviz.dashboard import served, services

    started = time.perf_counter()
    try:
        services.warm_up_now()
        opened = served.default_served()
        if opened is not None:      # `python -m embedviz explore FILE`: its first view, ready
            served.warm(opened)
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
