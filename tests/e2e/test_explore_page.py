"""Explore page in the browser (demo): click a point, lasso a group, find an item by title."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import SLOW, open_page, screenshot, trace_length, wait_for_trace
from .explore_map import side_panel, trace_names, wait_for_map
from .scatter import densest_disc, isolated_point, lasso, points_on_screen, set_dragmode


def open_explore_with_umap(page, server):
    open_page(page, server, "Explore", SLOW)
    wait_for_map(page)        # the first fit in a process may compile numba code
    expect(side_panel(page).get_by_text("Click a point", exact=True)).to_be_visible()


# Hover text of every point of the scatter, by global row id (customdata).
HOVER_BY_ROW = """() => { const t = document.querySelector('.st-key-explore_chart .js-plotly-plot')._fullData[0];
    return Object.fromEntries(Array.from({length: t._length},
                                         (_, i) => [Number(t.customdata[i]), t.text[i]])); }"""


def test_click_and_lasso_select(server, page, tmp_path):
    open_explore_with_umap(page, server)
    titles = page.evaluate(HOVER_BY_ROW)
    assert len(titles) > 2_500           # the demo's items with training interactions

    set_dragmode(page, "pan")  # the mode in which Streamlit selects on click
    points, plot = points_on_screen(page)
    point, gap = isolated_point(points, plot)
    assert gap > 6, "no point stands alone on screen; cannot click exactly one"
    page.mouse.click(point[0], point[1])
    wait_for_trace(page, "query")  # the chart marks it at once
    title = re.sub(r"<[^>]+>", "\n", titles[str(point[2])]).strip().splitlines()[0]
    panel = side_panel(page)
    expect(panel.get_by_text(title, exact=True)).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("1 point selected", exact=True)).to_be_visible()
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
    print(f"\nlasso: {n} items selected ({len(rows)} points inside the lasso by the figure's own coordinates)")
    assert abs(n - len(rows)) <= max(3, 0.2 * len(rows))
    expect(page.get_by_text(f"{n} points selected", exact=True)).to_be_visible(timeout=SLOW)
    expect(panel.get_by_text(f"Selected: {n} points")).to_be_visible()
    screenshot(page, tmp_path / "explore_lasso.png")


def test_search_focuses_the_item(server, page, tmp_path):
    open_explore_with_umap(page, server)
    search = page.get_by_role("textbox", name="Find an item")
    search.fill("return")
    search.press("Enter")
    matches = page.get_by_role("combobox", name="Matches")
    expect(matches).to_be_enabled(timeout=30_000)
    matches.click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    assert options.count() >= 2
    wanted = options.nth(1).inner_text().strip()
    assert "return" in wanted.lower()
    options.nth(1).click()
    expect(matches).to_have_value(wanted)
    expect(side_panel(page).get_by_text(wanted, exact=True)).to_be_visible(timeout=SLOW)
    wait_for_trace(page, "query")
    assert "cosine: lines to true neighbours" in trace_names(page)
    screenshot(page, tmp_path / "explore_search.png")
