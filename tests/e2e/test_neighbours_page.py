"""Neighbours page in the browser: pick an item, see three lists side by side, the overlap and
the highlighted scatter."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import (
    SLOW,
    after_rerun,
    metric_value,
    open_page,
    pick_option,
    plotly_figures,
    screenshot,
)

METRICS = ("cosine", "euclidean", "dot")


def choose_item(page, text: str) -> str:
    """Search the catalogue and pick the first match that contains ``text``; returns its title."""
    search = page.get_by_role("textbox", name="Search an item by title")
    search.fill(text)
    after_rerun(page, lambda: search.press("Enter"))
    item = page.get_by_role("combobox", name="Item", exact=True)
    title = pick_option(page, item, re.compile(text, re.IGNORECASE))
    expect(item).to_have_value(title)
    return title


def lists_figure(page) -> dict:
    """The scatter that highlights each metric's list (has traces named after the metrics)."""
    figures = [f for f in plotly_figures(page) if {t["name"] for t in f["traces"]} >= set(METRICS)]
    assert figures, f"no scatter with traces {METRICS}: {plotly_figures(page)}"
    return figures[0]


def test_neighbours_side_by_side(server, page, tmp_path):
    open_page(page, server, "Neighbours", SLOW)
    expect(page.get_by_role("heading", name="Neighbours", level=1)).to_be_visible()
    title = choose_item(page, "return")
    expect(page.get_by_role("heading", name=f"Neighbours of {title}")).to_be_visible(timeout=30_000)

    tables = page.get_by_test_id("stDataFrame")
    expect(tables).to_have_count(3)
    columns = page.get_by_test_id("stColumn").filter(has=tables)
    expect(columns).to_have_count(3)
    for n, heading in enumerate(("Cosine", "Euclidean", "Dot")):
        expect(columns.nth(n).locator("strong", has_text=heading)).to_be_visible()
    boxes = [tables.nth(i).bounding_box() for i in range(3)]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"], "the three lists are not side by side"
    assert max(b["y"] for b in boxes) - min(b["y"] for b in boxes) < 5

    shared = metric_value(page, "Cosine ∩ euclidean")
    assert re.fullmatch(r"\d+ of 10", shared), shared
    for label in ("Jaccard cosine/euclidean", "Jaccard cosine/dot"):
        assert 0 <= float(metric_value(page, label)) <= 1
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2"
    )
    counts = {t["name"]: t["n"] for t in lists_figure(page)["traces"]}
    assert all(counts[m] == 10 for m in METRICS), counts
    assert counts.get("query") == 1
    screenshot(page, tmp_path / "neighbours.png")

    page.get_by_test_id("stCheckbox").filter(has_text="Normalise").locator("label").click()
    caption = page.get_by_test_id("stAlert").filter(
        has_text=re.compile(r"cosine and euclidean give (exactly )?the same list", re.IGNORECASE)
    )
    expect(caption).to_be_visible(timeout=30_000)
    assert metric_value(page, "Cosine ∩ euclidean") == "10 of 10"
    assert metric_value(page, "Jaccard cosine/euclidean") == "1.00"
    screenshot(page, tmp_path / "neighbours_normalised.png")
