"""One view of a served set's map: the density image and the hoverable sample for a window.

No Streamlit here: the page asks for a view, and views are cached on the served record (shared
by every session: they hold no visitor's data), so a second visitor or a return to the same
window costs nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedviz.analysis.sampling import Window, density_sample
from embedviz.dashboard.served import MapLayout, Served
from embedviz.viz import density
from embedviz.viz.mapview import IMAGE_SIZE
from embedviz.viz.plots import PALETTE

# Hoverable points per view: ~0.7 MB of figure JSON (positions, row ids, titles); hover stays
# smooth (WebGL) and the density image shows everything else.
SAMPLE_POINTS = 20_000


@dataclass(frozen=True, eq=False)
class View:
    """What the browser gets for one window."""

    window: Window
    rows: np.ndarray        # sampled rows, sorted (plus the rows that must show)
    image: bytes            # PNG of every point in the window
    n_inside: int           # points in the window


def colour_codes(served: Served, column: str | None) -> tuple[np.ndarray | None, list[str] | None]:
    """Category codes (most common first) and names for a metadata column; (None, None) for none."""
    if not column:
        return None, None
    return served.views.get_or_build(("codes", column), lambda: served.data.category_codes(column))


def view(served: Served, layout: MapLayout, window: Window | None, colour: str | None, keep=(),
         n_points: int = SAMPLE_POINTS) -> View:
    """The view of ``window`` (default: the whole map), with the rows in ``keep`` always sampled."""
    window = window or layout.full
    codes, _ = colour_codes(served, colour)

    def build() -> View:
        inside = int(window.contains(layout.xy).sum())
        rows = density_sample(layout.xy, n_points, window=window, groups=codes, priority=layout.priority)
        rgba = density.density_rgba(layout.xy, window, *IMAGE_SIZE, codes=codes, palette=PALETTE)
        return View(window, rows, density.png_bytes(rgba), inside)

    key = ("view", layout.name, id(layout.xy), window.as_tuple(), colour, n_points)
    cached = served.views.get_or_build(key, build)
    extra = np.asarray([k for k in keep if k is not None], dtype=np.int64)
    if not len(extra):
        return cached
    return View(cached.window, np.union1d(cached.rows, extra), cached.image, cached.n_inside)


def hover_text(served: Served, rows: np.ndarray, colour: str | None) -> list[str]:
    """Title (and the colour column's value) of each row."""
    titles = served.data.titles(rows)
    if not colour or colour == "title":
        return titles
    values = served.data.table[colour].take(rows).astype(str).tolist()
    return [f"{title} · {value}" for title, value in zip(titles, values)]
