"""`python -m embedviz explore` on a generated 1M-vector Parquet file, in Chromium (issue 14).

The first picture appears, hovering a point shows its title, searching finds a point that is
not in the hoverable sample and centres the map on it, and a click lists its neighbours.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from playwright.sync_api import expect

from .conftest import ROOT, TALL_VIEWPORT, _free_port, screenshot
from .scatter import points_on_screen

pytestmark = pytest.mark.slow
N = 1_000_000
FIRST_PICTURE = 'img[alt^="Map of every point"], .js-plotly-plot'
DRAWN = """() => { const gd = document.querySelector('.js-plotly-plot');
    return !!gd && !!gd._fullLayout && !!gd._fullData && gd._fullData.length > 0; }"""
TRACE_POINTS = "() => document.querySelector('.js-plotly-plot')._fullData[0].customdata.map(Number)"
VIEW = """() => { const gd = document.querySelector('.js-plotly-plot'); const L = gd._fullLayout;
    const found = gd._fullData.find(t => (t.name || '').startsWith('found:'));
    return {x: L.xaxis.range, y: L.yaxis.range, found: found ? [found.x[0], found.y[0]] : null}; }"""


def lone_point(points, plot, margin: float = 20):
    """The point inside the plot whose nearest neighbour on screen is farthest (easy to hover / click)."""
    import numpy as np
    from scipy.spatial import cKDTree

    xy = np.array([p[:2] for p in points])
    left, top, width, height = plot
    inside = np.flatnonzero((xy[:, 0] > left + margin) & (xy[:, 0] < left + width - margin)
                            & (xy[:, 1] > top + margin) & (xy[:, 1] < top + height - margin))
    gaps, _ = cKDTree(xy).query(xy[inside], k=2)
    return points[int(inside[np.argmax(gaps[:, 1])])]


@pytest.fixture(scope="module")
def million(tmp_path_factory):
    from embedviz.data.synthetic import write_vectors

    return write_vectors(tmp_path_factory.mktemp("million"), N, 64, formats=("parquet",), seed=0).paths["parquet"]


@pytest.fixture(scope="module")
def explore_server(million, tmp_path_factory, playwright_browser):
    folder = tmp_path_factory.mktemp("explore-server")
    port = _free_port()
    cache = folder / "cache"      # the 256 MB converted copy goes here (removed below), with the demo model
    cache.mkdir()
    for model in Path(os.environ.get("EMBEDVIZ_CACHE_DIR", ROOT / ".cache")).glob("demo-model-*.npz"):
        shutil.copy(model, cache)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(ROOT / ".numba_cache"), PYTHONUNBUFFERED="1",
               EMBEDVIZ_CACHE_DIR=str(cache))
    with open(folder / "server.log", "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "embedviz", "explore", str(million), "--port", str(port),
                                    "--address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    started, url = time.perf_counter(), f"http://127.0.0.1:{port}"
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.perf_counter() - started > 600:
                process.kill()
                pytest.fail("explore server did not start:\n" + (folder / "server.log").read_text()[-3000:])
            time.sleep(0.5)
    print(f"1M: server ready {time.perf_counter() - started:.1f} s after the command")
    yield url
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(cache, ignore_errors=True)
    million.unlink(missing_ok=True)


def test_a_million_points_from_the_command_line(explore_server, million, new_page, tmp_path):
    page = new_page(TALL_VIEWPORT)
    opened = time.perf_counter()
    page.goto(f"{explore_server}/Explore")
    page.wait_for_selector(FIRST_PICTURE, state="visible", timeout=120_000)
    picture = time.perf_counter() - opened
    page.wait_for_function(DRAWN, timeout=180_000)
    print(f"1M: first picture {picture:.1f} s, interactive {time.perf_counter() - opened:.1f} s after opening")
    assert page.get_by_text("1,000,000 vectors × 64").is_visible()

    # Hover: the label shows a title from the file.
    titles = pq.read_table(million, columns=["title"]).column("title")
    points, plot = points_on_screen(page)
    x, y, row = lone_point(points, plot)
    page.mouse.move(x - 4, y - 4)
    page.mouse.move(x, y, steps=3)
    label = page.locator(".hoverlayer .hovertext").first
    expect(label).to_be_visible(timeout=30_000)
    assert titles[int(row)].as_py() in label.text_content()

    # Search: a point that is not in the sample; the map centres on it.
    sampled = set(page.evaluate(TRACE_POINTS))
    target = next(r for r in range(N - 1, 0, -1) if r not in sampled)
    page.get_by_placeholder("part of a title").fill(titles[target].as_py())
    page.keyboard.press("Enter")
    page.wait_for_function("() => !!document.querySelector('.js-plotly-plot') && "
                           "document.querySelector('.js-plotly-plot')._fullData.some(t => "
                           "(t.name || '').startsWith('found:'))", timeout=60_000)
    view = page.evaluate(VIEW)
    (x0, x1), (y0, y1), (fx, fy) = view["x"], view["y"], view["found"]
    assert abs((x0 + x1) / 2 - fx) < 0.01 * (x1 - x0) and abs((y0 + y1) / 2 - fy) < 0.01 * (y1 - y0)
    assert target in set(page.evaluate(TRACE_POINTS)), "the found point is hoverable in the new view"
    screenshot(page, tmp_path / "million_found.png")

    # Click: the clicked point's neighbours are listed.
    points, plot = points_on_screen(page)
    x, y, row = lone_point(points, plot)
    page.mouse.click(x, y)
    heading = page.get_by_text("Nearest neighbours of")
    expect(heading).to_be_visible(timeout=60_000)
    assert titles[int(row)].as_py() in heading.text_content()
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')._fullData.some("
                           "t => t.name === 'neighbours' && t.x.length === 10)", timeout=60_000)
    screenshot(page, tmp_path / "million_neighbours.png")
