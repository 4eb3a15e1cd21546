"""Explore page with 100k uploaded vectors: it renders, the payload stays under 10 MB, and
pan, zoom and hover keep working."""

from __future__ import annotations

import re
import time

import numpy as np
from playwright.sync_api import expect

from .conftest import SLOW, after_rerun, open_page, screenshot
from .scatter import points_on_screen, set_dragmode

N_POINTS, DIMS = 100_000, 16
PAYLOAD_LIMIT = 10_000_000
INTERACTION_BOUND = 10.0  # seconds for a pan, zoom or hover to show; generous for CI

AXIS_RANGES = """() => { const L = document.querySelector('.js-plotly-plot')._fullLayout;
    return [...L.xaxis.range, ...L.yaxis.range]; }"""


def write_embeddings(folder):
    """100k × 16 float32 vectors in 20 clusters (.npy) and a Projector-style metadata.tsv."""
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=4.0, size=(20, DIMS))
    cluster = rng.integers(0, 20, size=N_POINTS)
    vectors = (centres[cluster] + rng.normal(size=(N_POINTS, DIMS))).astype(np.float32)
    np.save(folder / "vectors.npy", vectors)
    lines = ["title\tcluster"] + [f"point {i}\tc{c:02d}" for i, c in enumerate(cluster)]
    (folder / "metadata.tsv").write_text("\n".join(lines) + "\n")
    return folder / "vectors.npy", folder / "metadata.tsv"


def record_websocket_frames(page) -> list[tuple[float, int]]:
    """(perf_counter time, size in bytes) of every websocket frame the page receives from now on."""
    frames: list[tuple[float, int]] = []

    def on_socket(ws):
        ws.on("framereceived", lambda payload: frames.append((time.perf_counter(), len(payload))))

    page.on("websocket", on_socket)
    return frames


def wait_ranges_change(page, before, timeout=30_000) -> float:
    start = time.perf_counter()
    page.wait_for_function(
        f"before => JSON.stringify(({AXIS_RANGES})()) !== JSON.stringify(before)",
        arg=before,
        timeout=timeout,
    )
    return time.perf_counter() - start


def test_explore_100k_uploaded_points(server, page, tmp_path):
    vectors, metadata = write_embeddings(tmp_path)
    frames = record_websocket_frames(page)
    open_page(page, server, "Explore", SLOW)
    page.get_by_test_id("stPopover").filter(has_text="Map").get_by_role("button").click()
    after_rerun(page, page.get_by_test_id("stRadio").filter(has_text="Layout").get_by_text("PCA", exact=True).click)
    page.keyboard.press("Escape")
    page.get_by_test_id("stPopover").filter(has_text="Data").get_by_role("button").click()
    uploaders = page.get_by_test_id("stFileUploaderDropzoneInput")
    start = time.perf_counter()
    uploaders.nth(0).set_input_files(vectors)
    uploaders.nth(1).set_input_files(metadata)
    open_button = page.get_by_role("button", name="Open these embeddings")
    expect(open_button).to_be_enabled(timeout=SLOW)
    print(f"\n100k: upload {time.perf_counter() - start:.1f} s")

    frames.clear()
    start = time.perf_counter()
    open_button.click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        """n => { const gd = document.querySelector('.st-key-explore_chart .js-plotly-plot');
            return gd && (gd._fullData || []).some(
                t => t.type === 'scattergl' && t.name === 'points' && t._length === n); }""",
        arg=N_POINTS,
        timeout=SLOW,
    )
    page.wait_for_function(
        """() => document.querySelector('.st-key-explore_chart .js-plotly-plot .gl-container canvas') !== null"""
    )
    rendered = time.perf_counter() - start
    expect(page.get_by_text(re.compile(r"PCA of all 100,000 points"))).to_be_visible()
    figure_bytes = page.evaluate("""() => { const gd = document.querySelector('.js-plotly-plot');
        // Plotly.js keeps the decoded typed array next to each base64 spec (_inputArray): not sent.
        return JSON.stringify({data: gd.data, layout: gd.layout},
                              (key, value) => key.startsWith('_') ? undefined : value).length; }""")
    sizes = [size for _, size in frames]
    biggest = max(frames, key=lambda frame: frame[1])
    print(
        f"100k: scatter drawn {rendered:.1f} s after opening the file (validation included; figure received after "
        f"{biggest[0] - start:.1f} s); figure JSON {figure_bytes / 1e6:.2f} MB; "
        f"websocket: {len(sizes)} frames, {sum(sizes) / 1e6:.2f} MB"
    )
    assert figure_bytes < PAYLOAD_LIMIT
    assert 0 < sum(sizes) < PAYLOAD_LIMIT
    screenshot(page, tmp_path / "explore_100k.png")

    # Hover: a label with the point's title.
    points, plot = points_on_screen(page)
    x, y, row = points[len(points) // 2]
    start = time.perf_counter()
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y, steps=3)
    label = page.locator(".hoverlayer .hovertext")
    expect(label.first).to_be_visible(timeout=30_000)
    hover = time.perf_counter() - start
    assert re.search(r"point \d+", label.first.text_content())

    # Pan: drag the plot in pan mode.
    set_dragmode(page, "pan")
    points, plot = points_on_screen(page)
    left, top, width, height = plot
    before = page.evaluate(AXIS_RANGES)
    page.mouse.move(left + width / 2, top + height / 2)
    page.mouse.down()
    page.mouse.move(left + width / 2 + 150, top + height / 2 + 80, steps=8)
    page.mouse.up()
    pan = wait_ranges_change(page, before)

    # Zoom: the mouse wheel where Plotly allows it, else the toolbar's "Zoom in".
    before = page.evaluate(AXIS_RANGES)
    start = time.perf_counter()
    page.mouse.move(left + width / 2, top + height / 2)
    page.mouse.wheel(0, -400)
    try:
        wait_ranges_change(page, before, timeout=3_000)
        how = "wheel"
    except Exception:
        start = time.perf_counter()
        page.locator('.js-plotly-plot .modebar-btn[data-val="in"]').first.click()
        wait_ranges_change(page, before)
        how = "toolbar"
    zoom = time.perf_counter() - start
    print(f"100k: hover label {hover:.2f} s, pan {pan:.2f} s, zoom ({how}) {zoom:.2f} s")
    screenshot(page, tmp_path / "explore_100k_zoomed.png")
    assert max(hover, pan, zoom) < INTERACTION_BOUND
