"""Explore on a long-tailed play-count catalogue (last.fm-like, 17.6k artists, most played by one
listener, 8 latent groups with tags), loaded and trained through the pages as a new user would.

The map is the page (top edge within the first 400 px of a 1400×900 window, 600+ px tall); the
default map shows labelled groups whose labels do not overlap; changing Colour by never blanks
the chart; clicking a point lists its cosine and euclidean neighbours with lines to them.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from embedviz.data.synthetic import write_lastfm

from .conftest import SLOW, pick_option, screenshot, table_rows, wait_idle
from .explore_map import (
    SAMPLER,
    label_boxes,
    map_box,
    overlapping,
    sample_chart_area,
    side_panel,
    trace_names,
    wait_for_map,
)
from .scatter import isolated_point, points_on_screen, set_dragmode

pytestmark = pytest.mark.slow
WINDOW = {"width": 1400, "height": 900}


def load_and_train(page, server, folder):
    files = write_lastfm(folder, seed=0)
    assert files.truth["n_artists"] >= 15_000 and files.truth["single_listener_share"] > 0.5
    page.goto(f"{server.url}/Data")
    wait_idle(page, SLOW)
    page.get_by_test_id("stExpander").filter(has_text="Load your own data").locator("summary").click()
    uploaders = page.get_by_test_id("stFileUploaderDropzoneInput")
    uploaders.nth(0).set_input_files(files.paths["plays"])
    uploaders.nth(1).set_input_files(files.paths["artist_tags"])
    page.get_by_role("button", name="Use this data set").click()
    expect(page.get_by_text(re.compile(r"Loaded user_artists\.dat"))).to_be_visible(timeout=SLOW)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("link", name="Train").click()
    page.get_by_role("button", name="Train").click()
    expect(page.get_by_text("Held-out evaluation")).to_be_visible(timeout=SLOW)
    sidebar.get_by_role("link", name="Explore").click()
    return files


def test_long_tail_map_first_labelled_honest_neighbours(server, new_page, tmp_path):
    page = new_page(WINDOW)
    files = load_and_train(page, server, tmp_path / "lastfm")
    wait_for_map(page)

    # Lay out what has signal: the threshold is chosen from the data and said.
    status = page.get_by_text(re.compile(r"UMAP of [\d,]+ points with ≥ \d+ (?:training )?interactions"))
    expect(status).to_be_visible()
    shown, at_least = map(lambda s: int(s.replace(",", "")),
                          re.search(r"UMAP of ([\d,]+) points with ≥ (\d+)", status.inner_text()).groups())
    assert 1_000 < shown < files.truth["n_artists"] / 2 and at_least >= 2
    expect(page.get_by_text(re.compile(r"Neighbourhood preserved: \d+%"))).to_be_visible()

    # The map is the page.
    box = map_box(page)
    print(f"\nmap: top {box['y']:.0f} px, {box['width']:.0f} × {box['height']:.0f} px; {shown:,} artists laid out")
    assert box["y"] <= 400 and box["height"] >= 600

    # At least 4 labelled groups, named after their tags, no two labels overlapping.
    labels = label_boxes(page)
    print("labels:", [text for text, *_ in labels])
    assert len(labels) >= 4
    assert not overlapping(labels), overlapping(labels)
    tags = set(files.truth["groups"])
    assert sum(any(word in tags for word in re.split(r"[ ·()\d]+", text)) for text, *_ in labels) >= 4
    screenshot(page, tmp_path / "explore_long_tail.png", viewport=WINDOW)

    # Changing Colour by never leaves the chart's place blank.
    page.evaluate(SAMPLER)
    pick_option(page, page.get_by_role("combobox", name="Colour by"), "Neighbourhood preserved")
    shares = sample_chart_area(page, seconds=6.0)
    page.wait_for_function("() => !!document.querySelector('.st-key-explore_chart .colorbar')", timeout=SLOW)
    samples = page.evaluate("() => { clearInterval(window.__mapSampler); return window.__mapSamples; }")
    print(f"colour change: {len(shares)} screenshots, least ink {min(shares):.3f}; {len(samples)} samples, "
          f"{sum(not s['canvas'] for s in samples)} without the interactive chart (picture shown instead)")
    # A blank chart area has (next to) no ink; every screenshot has at least a third of the usual.
    assert min(shares) > max(0.003, np.median(shares) / 3), shares
    assert all(s["canvas"] or s["picture"] for s in samples)
    assert min(s["height"] for s in samples) >= 600          # the place keeps its height: no jump
    screenshot(page, tmp_path / "explore_long_tail_preserved.png", viewport=WINDOW)

    # Click a point: its cosine and euclidean neighbours beside the map, lines to them on it.
    set_dragmode(page, "pan")
    points, plot = points_on_screen(page)
    point, gap = isolated_point(points, plot)
    page.mouse.click(point[0], point[1])
    panel = side_panel(page)
    expect(panel.get_by_text("Cosine", exact=True)).to_be_visible(timeout=SLOW)
    expect(panel.get_by_text("Euclidean", exact=True)).to_be_visible()
    for metric in ("cosine", "euclidean"):
        rows = table_rows(page.locator(f".st-key-explore_list_{metric}").get_by_test_id("stDataFrame"))
        assert len(rows) == 11, rows                          # header + 10 neighbours
    page.wait_for_function(
        """() => { const gd = document.querySelector('.st-key-explore_chart .js-plotly-plot');
            return gd && gd._fullData.some(t => t.name === 'cosine: lines to true neighbours'); }""",
        timeout=SLOW,
    )
    names = trace_names(page)
    assert {"cosine: lines to true neighbours", "euclidean: lines to true neighbours", "query"} <= set(names)
    expect(panel.get_by_text(re.compile(r"\d+ of its 10 true \(cosine\) neighbours"))).to_be_visible()
    assert "focus=" in page.url and "colour=Neighbourhood" in page.url
    wait_idle(page)
    screenshot(page, tmp_path / "explore_long_tail_click.png", viewport=WINDOW)
