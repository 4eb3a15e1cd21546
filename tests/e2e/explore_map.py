"""Driving the Explore page's map and its linked charts from Playwright."""

from __future__ import annotations

import time

import numpy as np
from playwright.sync_api import expect

from .conftest import SLOW, open_page, wait_idle

MAP = ".st-key-explore_chart .js-plotly-plot"


def open_upload(page, server, vectors, metadata=None) -> None:
    """Open uploaded vectors (``.npy``, with an optional metadata file) on Explore, through its
    Data menu, until the status line counts all of them."""
    n = len(np.load(vectors, mmap_mode="r"))
    open_page(page, server, "Explore", SLOW)
    page.get_by_test_id("stPopover").filter(has_text="Data").get_by_role("button").click()
    uploaders = page.get_by_test_id("stFileUploaderDropzoneInput")
    uploaders.nth(0).set_input_files(vectors)
    if metadata is not None:
        uploaders.nth(1).set_input_files(metadata)
    button = page.get_by_role("button", name="Open these embeddings")
    expect(button).to_be_enabled(timeout=SLOW)
    button.click()
    page.keyboard.press("Escape")
    expect(page.get_by_text(f"of all {n:,} points")).to_be_visible(timeout=SLOW)
# True once the status line says the map shows the UMAP layout and Plotly has drawn it.
UMAP_DRAWN = """() => { const chart = document.querySelector('.st-key-explore_chart .js-plotly-plot');
    return !!chart && !!chart.querySelector('.gl-container canvas')
        && [...document.querySelectorAll('[data-testid="stMarkdown"]')].some(m => m.textContent.startsWith('UMAP of'));
}"""

# Chart area state sampled in the page every 100 ms: is the interactive scatter drawn, is the
# stand-in picture shown, and how tall is the chart's place.
SAMPLER = """() => { window.__mapSamples = [];
    window.__mapSampler = setInterval(() => {
        const chart = document.querySelector('.st-key-explore_chart');
        const canvas = chart && chart.querySelector('.js-plotly-plot .gl-container canvas');
        const img = chart && chart.querySelector('.st-key-explore_preview img');
        const pictured = !!img && img.offsetHeight > 100 && getComputedStyle(img).display !== 'none';
        window.__mapSamples.push({t: performance.now(), canvas: !!canvas, picture: pictured,
                                  height: chart ? chart.getBoundingClientRect().height : 0});
    }, 100); }"""


def wait_for_map(page, method: str = "UMAP", timeout: float = SLOW) -> None:
    """Wait until the status line says the map shows ``method``'s layout and the scatter is drawn."""
    page.get_by_test_id("stMarkdown").filter(has_text=f"{method} of").first.wait_for(timeout=timeout)
    page.wait_for_function(
        """sel => { const gd = document.querySelector(sel);
            return gd && (gd._fullData || []).some(t => t.name === 'points' && t._length > 0)
                && !!gd.querySelector('.gl-container canvas'); }""",
        arg=MAP,
        timeout=timeout,
    )
    wait_idle(page, timeout)


def map_box(page) -> dict:
    return page.locator(MAP).first.bounding_box()


def label_boxes(page) -> list[tuple[str, float, float, float, float]]:
    """(text, left, top, width, height) of every label drawn on the map."""
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel + ' .annotation')].map(a => {
            const r = a.getBoundingClientRect();
            return [a.textContent, r.left, r.top, r.width, r.height]; })""",
        MAP,
    )


def overlapping(boxes) -> list[tuple[str, str]]:
    """Pairs of boxes that share area."""
    pairs = []
    for i, (a, ax, ay, aw, ah) in enumerate(boxes):
        for b, bx, by, bw, bh in boxes[i + 1:]:
            if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                pairs.append((a, b))
    return pairs


def trace_names(page) -> list[str]:
    return page.evaluate(
        "sel => (document.querySelector(sel)._fullData || []).map(t => t.name || '')", MAP
    )


def points_length(page) -> int:
    return page.evaluate(
        """sel => { const t = (document.querySelector(sel)._fullData || []).find(t => t.name === 'points');
            return t ? t._length : -1; }""",
        MAP,
    )


def side_panel(page):
    """The column beside the map (neighbour lists, selection)."""
    return page.locator(".st-key-explore_side")


def facet_bars(page, title: str) -> list[dict]:
    """Bars of the linked chart titled ``title``: label, bar index, count and centre in page pixels
    (drawn bars of the coloured trace, i.e. the points passing the filters), after scrolling the
    chart into view."""
    chart = chart_locator(page, title)
    if chart.count():
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
    return page.evaluate(
        """title => {
            const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
                g => (g.querySelector('.gtitle') || {}).textContent === title);
            if (!gd) return [];
            const traces = gd.querySelectorAll('.barlayer .trace');
            const shown = traces[traces.length - 1];
            const full = gd._fullData[gd._fullData.length - 1];
            return [...shown.querySelectorAll('.point path')].map((p, i) => {
                const r = p.getBoundingClientRect();
                const n = full.orientation === 'h' ? full.x[i] : full.y[i];
                return {label: full.text[i], index: i, n: n, x: r.left + r.width / 2,
                        y: r.top + r.height / 2, width: r.width, height: r.height};
            }); }""",
        title,
    )


def chart_locator(page, title: str):
    return page.locator(".js-plotly-plot").filter(has=page.locator(".gtitle", has_text=title)).first


def sample_chart_area(page, seconds: float, every: float = 0.2) -> list[float]:
    """Screenshots of the map's place every ``every`` s for ``seconds``: the share of non-white
    pixels in each (0 = blank)."""
    import io

    import numpy as np
    from PIL import Image

    box = page.locator(".st-key-explore_chart").bounding_box()
    clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], 640)}
    shares = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        pixels = np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("L"))
        shares.append(float((pixels < 235).mean()))
        time.sleep(max(0.0, every - (time.monotonic() - start)))
    return shares
