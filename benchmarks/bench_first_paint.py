"""First paint of the Explore page on a fresh server, in headless Chromium (issue 4).

    .venv/bin/python benchmarks/bench_first_paint.py [--runs 5]

Each run starts a new server process, opens /Explore in a new browser context (empty cache, as a
first visit) as soon as the server answers, and times: the scatter visible (the server-drawn
preview, or Plotly's chart if that comes first), the interactive Plotly chart drawn, and the
UMAP layout in place (from the server process's start). Peer: plain ``streamlit run app.py``
(no warm-up before serving), alternated with ``make run``'s launcher in the same run.
Target: scatter within 2 s of opening the page; UMAP within 15 s of the server start.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.conftest import BROWSER_ARGS, CHROMIUM, VIEWPORT, Server  # noqa: E402
from tests.e2e.explore_map import UMAP_DRAWN  # noqa: E402
from tests.e2e.test_deep_links import SCATTER_DRAWN, SCATTER_VISIBLE  # noqa: E402

SERVERS = {"plain streamlit run app.py": Server.PLAIN, "make run (embedviz.dashboard.serve)": Server.LAUNCHER}


def one_run(browser, launcher, folder: Path) -> dict[str, float]:
    server = Server(folder / "server.log", launcher)
    try:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        opened = time.perf_counter()
        page.goto(f"{server.url}/Explore")
        page.wait_for_function(SCATTER_VISIBLE, timeout=120_000, polling=20)
        visible = time.perf_counter() - opened
        page.wait_for_function(SCATTER_DRAWN, timeout=120_000)
        interactive = time.perf_counter() - opened
        page.wait_for_function(UMAP_DRAWN, timeout=120_000)
        umap = time.perf_counter() - server.started
        context.close()
        return {"ready": opened - server.started, "visible": visible, "interactive": interactive, "umap": umap}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    results: dict[str, list[dict[str, float]]] = {name: [] for name in SERVERS}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
        for _ in range(runs):
            for name, launcher in SERVERS.items():   # alternated, so both see the same machine load
                results[name].append(one_run(browser, launcher, Path(tmp)))
        browser.close()
    print(f"Explore on a fresh server, median of {runs} runs (min–max); load average {os.getloadavg()[0]:.1f}\n")
    print("| server | answers after start (s) | scatter visible (s) | interactive chart (s) "
          "| UMAP in place after start (s) | visible: ratio vs plain |")
    print("|---|---:|---:|---:|---:|---:|")
    plain = statistics.median(r["visible"] for r in results[next(iter(SERVERS))])
    for name, rows in results.items():
        cells = []
        for key in ("ready", "visible", "interactive", "umap"):
            values = [r[key] for r in rows]
            cells.append(f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})")
        ratio = statistics.median(r["visible"] for r in rows) / plain
        print(f"| {name} | {' | '.join(cells)} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
