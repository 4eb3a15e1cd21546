"""Explore page in the browser: click a point, lasso a group, find an item by title."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import (
    SLOW,
    open_page,
    plotly_figures,
    screenshot,
    trace_length,
    wait_for_title,
    wait_for_trace,
    wait_idle,
)
from .scatter import densest_disc, isolated_point, lasso, points_on_screen, set_dragmode


def open_explore_with_umap(page, server):
    open_page(page, server, "Explore", SLOW)
    # the first fit in a process may compile numba code
    wait_for_title(page, "UMAP layout", timeout=SLOW)
    wait_idle(page, SLOW)
    expect(page.get_by_role("heading", name=re.compile(r"^Selected: 0 items"))).to_be_visible()


# Hover text of every point of the scatter, by global row id (customdata).
HOVER_BY_ROW = """() => { const t = document.querySelector('.js-plotly-plot')._fullData[0];
    return Object.fromEntries(Array.from({length: t._length},
                                         (_, i) => [Number(t.customdata[i]), t.text[i]])); }"""


def test_click_and_lasso_select(server, page, tmp_path):
    open_explore_with_umap(page, server)
    titles = page.evaluate(HOVER_BY_ROW)
    assert len(titles) == 3000

    set_dragmode(page, "pan")  # the mode in which Streamlit selects on click
    points, plot = points_on_screen(page)
    point, gap = isolated_point(points, plot)
    assert gap > 6, "no point stands alone on screen; cannot click exactly one"
    page.mouse.click(point[0], point[1])
    wait_for_trace(page, "selected")  # the chart marks it at once (its fragment reruns)
    expect(page.get_by_role("heading", name="Selected: 1 item", exact=True)).to_be_visible(
        timeout=30_000
    )
    title = re.sub(r"<[^>]+>", "\n", titles[str(point[2])]).strip().splitlines()[0]
    table = page.get_by_test_id("stDataFrame").last
    expect(table.locator("td", has_text=title).first).to_be_attached()
    screenshot(page, tmp_path / "explore_click.png")

    set_dragmode(page, "lasso")
    points, plot = points_on_screen(page)
    centre, rows = densest_disc(points, plot, radius=45)
    assert len(rows) > 3
    lasso(page, centre, radius=45)
    wait_for_trace(page, "selected", at_least=2)
    n = trace_length(page, "selected")
    print(
        f"\nlasso: {n} items selected ({len(rows)} points inside the lasso by the figure's own "
        "coordinates)"
    )
    assert abs(n - len(rows)) <= max(3, 0.2 * len(rows))
    expect(page.get_by_role("heading", name=f"Selected: {n} items", exact=True)).to_be_visible(
        timeout=30_000
    )
    screenshot(page, tmp_path / "explore_lasso.png")


def test_search_highlights_item(server, page, tmp_path):
    open_explore_with_umap(page, server)
    search = page.get_by_role("textbox", name="Find an item")
    search.fill("return")
    search.press("Enter")
    matches = page.get_by_role("combobox", name="Matches")
    expect(matches).to_be_visible(timeout=30_000)
    matches.click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    assert options.count() >= 2
    wanted = options.nth(1).inner_text().strip()
    assert "return" in wanted.lower()
    options.nth(1).click()
    expect(matches).to_have_value(wanted)

    found = f"found: {wanted}"
    wait_for_trace(page, found)
    names = [t["name"] for t in plotly_figures(page)[0]["traces"]]
    assert found in names
    screenshot(page, tmp_path / "explore_search.png")
