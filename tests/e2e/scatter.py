"""Driving a Plotly WebGL scatter from Playwright: points are pixels on a canvas, not DOM nodes,
so positions come from the figure's axes (``l2p``) and clicks/lassos are raw mouse events."""

from __future__ import annotations

import math

_POINTS_JS = """([chart, trace]) => {
    const gd = document.querySelectorAll('.js-plotly-plot')[chart];
    const t = gd._fullData[trace], L = gd._fullLayout, box = gd.getBoundingClientRect();
    const out = [];
    for (let i = 0; i < t._length; i++) {
        const px = box.left + L._size.l + L.xaxis.l2p(t.x[i]);
        const py = box.top + L._size.t + L.yaxis.l2p(t.y[i]);
        out.push([px, py, t.customdata ? Number(t.customdata[i]) : i]);
    }
    return {points: out, plot: [box.left + L._size.l, box.top + L._size.t, L._size.w, L._size.h]};
}"""


def chart_locator(page, chart: int = 0):
    return page.locator(".js-plotly-plot").nth(chart)


def points_on_screen(page, chart: int = 0, trace: int = 0):
    """([(x, y, customdata), ...] in page pixels, (left, top, width, height) of the plot area),
    after scrolling the plot area into the viewport."""
    chart_locator(page, chart).locator(".nsewdrag").first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    found = page.evaluate(_POINTS_JS, [chart, trace])
    return [tuple(p) for p in found["points"]], tuple(found["plot"])


def set_dragmode(page, mode: str, chart: int = 0) -> None:
    """Pick a drag mode ("pan", "zoom", "select", "lasso") in the chart's toolbar, as a user would.

    Streamlit selects on click only in pan/zoom mode (it sets clickmode "event" for lasso/box)."""
    locator = chart_locator(page, chart)
    if (
        page.evaluate(
            "i => document.querySelectorAll('.js-plotly-plot')[i]._fullLayout.dragmode", chart
        )
        == mode
    ):
        return
    locator.locator(".nsewdrag").first.hover()
    locator.locator(f'.modebar-btn[data-val="{mode}"]').first.click()
    page.wait_for_function(
        "([i, m]) => document.querySelectorAll('.js-plotly-plot')[i]._fullLayout.dragmode === m",
        arg=[chart, mode],
    )


def _inside(plot, x, y, margin=8) -> bool:
    left, top, width, height = plot
    return left + margin < x < left + width - margin and top + margin < y < top + height - margin


def isolated_point(points, plot):
    """The point (inside the plot area) whose nearest neighbour on screen is farthest away."""
    inside = [p for p in points if _inside(plot, p[0], p[1], margin=20)]
    best, best_gap = None, -1.0
    for p in inside:
        gap = min((math.hypot(p[0] - q[0], p[1] - q[1]) for q in points if q is not p), default=1e9)
        if gap > best_gap:
            best, best_gap = p, gap
    return best, best_gap


def densest_disc(points, plot, radius: float):
    """(centre, rows inside) of the disc of this pixel radius, centred on a point,
    that holds the most points."""
    inside = [p for p in points if _inside(plot, p[0], p[1], margin=radius + 5)]
    step = max(1, len(inside) // 400)  # enough candidate centres, bounded work
    best = (None, [])
    for c in inside[::step]:
        rows = [q[2] for q in points if math.hypot(q[0] - c[0], q[1] - c[1]) < radius]
        if len(rows) > len(best[1]):
            best = (c, rows)
    return best


def lasso(page, centre, radius: float, corners: int = 24) -> None:
    """Drag a closed lasso (a polygon approximating a circle) around ``centre``."""
    ring = [
        (
            centre[0] + radius * math.cos(2 * math.pi * k / corners),
            centre[1] + radius * math.sin(2 * math.pi * k / corners),
        )
        for k in range(corners + 1)
    ]
    page.mouse.move(*ring[0])
    page.mouse.down()
    for x, y in ring[1:]:
        page.mouse.move(x, y, steps=3)
    page.mouse.up()
