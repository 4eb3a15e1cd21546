"""Page re-render times measured with Streamlit's AppTest (script time on the server, no browser).

    .venv/bin/python benchmarks/bench_pages.py

Targets: Neighbours — all three metrics for a new query re-rendered in < 300 ms after the first load
(issue 5); Recommend — the new-user builder updates in < 1 s after a change (issue 6). The peer
column is the page's first load in the same run (it builds the indexes and layouts the reruns reuse).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402


def open_page(path: str) -> tuple[AppTest, float]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page(path)
    start = time.perf_counter()
    at.run()
    return at, time.perf_counter() - start


def timed_runs(at: AppTest, change, repeats: int = 10) -> float:
    times = []
    for n in range(repeats):
        change(at, n)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, [e.value for e in at.exception]
    return statistics.median(times)


def new_query(at: AppTest, n: int) -> None:
    item = next(s for s in at.selectbox if s.label == "Item")
    item.set_value(item.options[n % len(item.options)] if len(item.options) > 1 else item.value)
    at.number_input[0].set_value(10 + n % 2)          # k toggles, so every run recomputes the lists


def add_liked_item(at: AppTest, n: int) -> None:
    at.text_input(key="new_user_search").set_value(["the", "love", "galaxy", "heist", "wild"][n % 5])
    at.run()
    at.selectbox(key="new_user_match").set_value(at.selectbox(key="new_user_match").options[n % 3])
    next(b for b in at.button if b.label == "Add to liked items").click()


def main() -> None:
    rows = []
    at, first = open_page("pages/4_Neighbours.py")
    rows.append(("Neighbours: new query, 3 metrics", first, timed_runs(at, new_query), 0.300))
    at, first = open_page("pages/5_Recommend.py")
    rows.append(("Recommend: add an item to the new user", first, timed_runs(at, add_liked_item), 1.0))
    print("\nPage script time per rerun (AppTest, median of 10; excludes browser rendering)\n")
    print("| interaction | first load (s) | rerun (s) | ratio rerun / first load | target (s) |")
    print("|---|---:|---:|---:|---:|")
    for name, first, rerun, target in rows:
        print(f"| {name} | {first:.3f} | {rerun:.3f} | {rerun / first:.2f} | {target} |")


if __name__ == "__main__":
    main()
