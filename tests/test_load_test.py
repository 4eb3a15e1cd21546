"""The browserless load test (benchmarks/load_test.py): its leak check, and a 2-session smoke run."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import load_test  # noqa: E402

PAGES = {"Home", "Data", "Data: read upload", "Data: use this data set", "Train", "Train: submit",
         "Explore", "Neighbours", "Neighbours: open a link", "Neighbours: search a title", "Recommend",
         "Recommend: move the k slider"}


def test_leak_scan_tells_own_names_from_another_sessions():
    ratings, items = load_test.session_data("LTK0000abcd", seed=1)
    visitor = load_test.Visitor(0, "LTK0000abcd", "http://127.0.0.1:1", cycles=1, think=0)
    visitor.scan(items)
    assert visitor.own_seen == 1 and visitor.leaks == []
    visitor.scan(b"\x12\x08title: Silent Echo LTK1234beef n004")
    assert visitor.leaks == ["LTK1234beef"]
    assert b"LTK" not in ratings   # the token is in the titles only, so a leak means a title leaked


def test_session_data_titles_are_unique_to_the_session():
    _, first = load_test.session_data("LTKaaaaaaaa", seed=1)
    _, second = load_test.session_data("LTKbbbbbbbb", seed=2)
    assert load_test.item_title(first, 3).endswith("LTKaaaaaaaa n003")
    assert not set(first.decode().splitlines()[1:]) & set(second.decode().splitlines()[1:])


@pytest.mark.slow
def test_two_sessions_complete_one_cycle_without_errors_or_leaks():
    result = load_test.main(["--sessions", "2", "--cycles", "1", "--think", "0.3", "--no-warmup",
                             "--session-ttl", "2", "--settle", "1", "--after-close", "1", "--budget", "120"])
    level = result["levels"][0]
    assert level["errors"] == []
    assert level["leaks"] == []
    assert level["lost"] == 0
    assert all(seen > 0 for seen in level["own_seen"]), "the leak check saw no titles at all"
    assert PAGES <= set(level["times"]), PAGES - set(level["times"])
    assert all(len(level["times"][page]) >= 2 for page in PAGES)
