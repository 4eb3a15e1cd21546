"""A PNG of a scatter figure drawn on the server with numpy + Pillow, shown while Plotly.js loads.

It reads positions, colours, sizes, highlights, axis ranges and the title from the figure
itself, so the picture matches the interactive chart drawn on top of it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.graph_objects as go


def static_preview(fig: go.Figure, width: int = 1000) -> bytes:
    """PNG of a 2-D scatter figure's points, drawn on the server in milliseconds.

    A first visit waits ~1.5 s for the browser to load and start Plotly.js; the Explore page shows
    this picture of the same points meanwhile. Reads everything (positions, colours, sizes, axis
    ranges) from the figure itself, so it matches what Plotly then draws.

    Parameters
    ----------
    fig : plotly Figure
        Made by `embedding_scatter` (2-D): its markers traces are drawn in order.
    width : int
        Image width in pixels; the height is the figure's.
    """
    from io import BytesIO

    from PIL import Image, ImageDraw, ImageFont

    height = int(fig.layout.height or 640)
    margin = fig.layout.margin
    left, top = int(margin.l or 0) + 10, int(margin.t or 0) + 10
    box = (left, top, width - int(margin.r or 0) - 10, height - int(margin.b or 0) - 60)  # legend below
    traces = [t for t in fig.data if t.type == "scattergl" and "lines" not in (t.mode or "")
              and t.x is not None and len(t.x) and t.x[0] is not None]
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    if traces:
        to_pixels = _pixel_mapping(fig, traces, box)
        for trace in traces:
            _stamp(canvas, *to_pixels(trace), _rgb(trace.marker), _radii(trace.marker, len(trace.x)))
    image = Image.fromarray(canvas)
    title = fig.layout.title.text or ""
    ImageDraw.Draw(image).text((left, 16), title, fill=(42, 63, 95), font=ImageFont.load_default(size=17))
    out = BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _pixel_mapping(fig: go.Figure, traces, box) -> Callable[[Any], tuple[np.ndarray, np.ndarray]]:
    """Data -> pixel coordinates: the figure's axis ranges, or the points' extent padded like Plotly's."""
    def axis_range(axis, values):
        if axis.range is not None:
            return map(float, axis.range)
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        pad = 0.05 * (hi - lo or 1.0)
        return lo - pad, hi + pad

    (x0, x1) = axis_range(fig.layout.xaxis, np.concatenate([np.asarray(t.x, dtype=float) for t in traces]))
    (y0, y1) = axis_range(fig.layout.yaxis, np.concatenate([np.asarray(t.y, dtype=float) for t in traces]))
    left, top, right, bottom = box

    def to_pixels(trace):
        x = left + (np.asarray(trace.x, dtype=float) - x0) / (x1 - x0) * (right - left)
        y = bottom - (np.asarray(trace.y, dtype=float) - y0) / (y1 - y0) * (bottom - top)
        return np.rint(x).astype(np.int64), np.rint(y).astype(np.int64)

    return to_pixels


def _rgb(marker) -> np.ndarray:
    """(n, 3) or (3,) uint8 colours of a marker: one colour, or numbers on its colour scale
    (`embedding_scatter` sends categories as codes on a stepped scale)."""
    from plotly.colors import hex_to_rgb, unlabel_rgb

    def parse(colour: str):
        return hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour)

    colour = marker.color
    if isinstance(colour, str):
        rgb = np.array(parse(colour), dtype=float)
    else:
        values = np.asarray(colour, dtype=float)
        lo = np.nanmin(values) if marker.cmin is None else marker.cmin
        hi = np.nanmax(values) if marker.cmax is None else marker.cmax
        at = np.nan_to_num((values - lo) / ((hi - lo) or 1.0))
        stops = np.array([float(stop) for stop, _ in marker.colorscale])
        colours = np.array([parse(c) for _, c in marker.colorscale], dtype=float)
        rgb = np.stack([np.interp(at, stops, colours[:, channel]) for channel in range(3)], axis=1)
    opacity = 1.0 if marker.opacity is None else float(marker.opacity)
    return np.rint(rgb * opacity + 255 * (1 - opacity)).astype(np.uint8)   # as if over white


def _radii(marker, n: int) -> np.ndarray:
    size = marker.size if marker.size is not None else 6
    return np.maximum(np.rint(np.broadcast_to(np.asarray(size, dtype=float), (n,)) / 2), 1).astype(int)


def _stamp(canvas: np.ndarray, x: np.ndarray, y: np.ndarray, rgb: np.ndarray, radii: np.ndarray) -> None:
    """Draw filled discs, outer rings first so every point's centre stays visible."""
    height, width = canvas.shape[:2]
    rgb = np.broadcast_to(rgb, (len(x), 3))
    for radius in np.unique(radii):
        group = radii == radius
        dy, dx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
        inside = dx ** 2 + dy ** 2 <= radius ** 2 + radius
        order = np.argsort(-(dx ** 2 + dy ** 2)[inside], kind="stable")
        for ox, oy in zip(dx[inside][order], dy[inside][order]):
            px, py = x[group] + ox, y[group] + oy
            ok = (px >= 0) & (px < width) & (py >= 0) & (py < height)
            canvas[py[ok], px[ok]] = rgb[group][ok]
