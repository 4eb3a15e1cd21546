"""The map of a big layout: every point in a density image, a sample of them hoverable on top.

`map_figure` draws one view (a `Window` of the layout): the density image of all points inside
it (`embedviz.viz.density`), one WebGL trace with the sampled points (row numbers in
``customdata``, so a click or box selection maps back to rows whatever was sampled), the same
colours in both, and the search hit, the picked point and its neighbours on top.
"""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from embedviz.analysis.sampling import Window
from embedviz.viz import density
from embedviz.viz.plots import OTHER_COLOUR, PALETTE, Texts, escape, hide_axes

MAP_HEIGHT = 640
# The image is drawn at about the plot area's size in the browser (wide layout, 1400 px window).
IMAGE_SIZE = (1200, 560)


def map_figure(xy: np.ndarray, rows: np.ndarray, hover: Texts, *, window: Window, image: bytes,
               codes: np.ndarray | None = None, names: list[str] | None = None, found: int | None = None,
               found_label: str = "", picked: int | None = None, neighbours: np.ndarray | None = None,
               title: str = "", height: int = MAP_HEIGHT) -> go.Figure:
    """One view of the map.

    Parameters
    ----------
    xy : ndarray, shape (N, 2)
        The whole layout (only ``rows`` and the highlighted rows are sent).
    rows : ndarray of int, shape (m,)
        The sampled rows drawn as hoverable points.
    hover : list of str
        Hover text per sampled row (plain text; escaped here).
    window : Window
        The axis ranges of this view.
    image : bytes
        PNG of every point in ``window`` (`density.png_bytes` of `density.density_rgba`).
    codes : ndarray of int, shape (N,), optional
        Category code per row (0 = most common), as used for the image.
    names : list of str, optional
        Category names by code (legend).
    found, picked : int, optional
        A search hit (star) and the clicked row (ringed).
    neighbours : ndarray of int, optional
        The picked row's neighbours (dots).
    """
    fig = go.Figure()
    fig.update_layout(title=dict(text=html.escape(title), x=0.01), template="plotly_white", height=height,
                      margin=dict(l=10, r=10, t=50, b=10), font=dict(size=13), hovermode="closest",
                      legend=dict(orientation="h", y=-0.04, itemsizing="constant"), uirevision=str(window))
    rows = np.asarray(rows, dtype=np.int64)
    marker: dict = dict(size=4, opacity=0.8, line=dict(width=0), color=PALETTE[0])
    if codes is not None and names:
        k = min(len(names), len(PALETTE)) + 1
        colours = PALETTE[: k - 1] + [OTHER_COLOUR]
        shown = np.asarray(codes)[rows].astype(np.int64)
        shown = np.where((shown < 0) | (shown >= k - 1), k - 1, shown)
        marker.update(color=shown.astype(np.int8), cmin=-0.5, cmax=k - 0.5, showscale=False,
                      colorscale=[[(i + step) / k, c] for i, c in enumerate(colours) for step in (0, 1)])
    fig.add_trace(go.Scattergl(x=xy[rows, 0], y=xy[rows, 1], mode="markers", marker=marker,
                               customdata=rows.astype(np.int32), text=escape(hover),
                               hovertemplate="%{text}<extra></extra>", name="points", showlegend=False))
    for code, name in enumerate((names or [])[: len(PALETTE)]):
        fig.add_scattergl(x=[None], y=[None], mode="markers", marker=dict(color=PALETTE[code], size=10),
                          name=html.escape(name))
    _overlays(fig, xy, found, found_label, picked, neighbours)
    density.add_density_image(fig, image, window)
    hide_axes(fig)
    return fig


def _overlays(fig: go.Figure, xy: np.ndarray, found, found_label: str, picked, neighbours) -> None:
    """Non-selectable marks on top: neighbours, the picked row, the search hit."""
    def mark(rows, name, **marker):
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        fig.add_scattergl(x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=html.escape(name),
                          hoverinfo="skip", marker=marker)

    white_edge = dict(width=1.5, color="white")
    if neighbours is not None and len(neighbours):
        mark(neighbours, "neighbours", size=10, color="#212529", line=white_edge)
    if picked is not None:
        mark(picked, "picked", size=18, symbol="circle-open", color="#E03131", line=dict(width=3))
    if found is not None:
        mark(found, f"found: {found_label}", size=20, color="#E03131", symbol="star", line=white_edge)
