"""Figures of the guided demo: the catalogue as a map of named groups, and where "you" land.

Plain words only (no axes, no symbols to decode). The same figures go into the page and the
downloadable report; ``webgl=False`` draws SVG, which needs no graphics card and prints.
User text is HTML-escaped, because Plotly renders a subset of HTML in labels and hover text.
"""
from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from embedviz.analysis.labels import group_anchors, padded_range, place_labels
from embedviz.viz.plots import OTHER_COLOUR, PALETTE, Texts, escape, hide_axes

_LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=56, b=10), font=dict(size=15),
               hovermode="closest", showlegend=False)
STAR_COLOUR = "#E03131"


def _scatter(webgl: bool):
    return go.Scattergl if webgl else go.Scatter


def label_positions(xy: np.ndarray, groups: np.ndarray, *, height_px: float = 520,
                    width_px: float = 560) -> list[tuple[float, float, str]]:
    """Where to write each group's name: just above the densest part of the group, with no two
    names overlapping (`embedviz.analysis.labels`, as on the Explore page; a name with no free
    spot is left out). Positions are for axes spanning `padded_range` of the points."""
    names, codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    placed = place_labels(group_anchors(xy, codes), dict(enumerate(names.tolist())),
                          x_range=padded_range(xy[:, 0]), y_range=padded_range(xy[:, 1]),
                          width_px=width_px, height_px=height_px)
    return [(label.x, label.y, label.text) for label in placed]


def catalogue_map(xy: np.ndarray, groups: np.ndarray, hover: Texts, *, star: tuple[int, str] | None = None,
                  title: str = "", webgl: bool = True, height: int = 620, max_points: int = 50_000) -> go.Figure:
    """The catalogue as a map: one colour and one written label per group, an optional starred item.

    Parameters
    ----------
    xy : (n, 2) float array
        2-D layout of the items.
    groups : (n,) array of str
        Group name per item (e.g. from `embedviz.analysis.clustering.label_clusters`).
    hover : list of str
        Hover text per item (escaped here).
    star : (row, label), optional
        An item drawn as a large star with its label written next to it.
    webgl : bool
        WebGL (fast for many points) or SVG (for files that must open anywhere).
    max_points : int
        Bigger catalogues are drawn as a uniform random sample of this many points (the map's
        shape and density stay; the star is always drawn).
    """
    groups = np.asarray(groups).astype(str)
    shown = np.arange(len(xy))
    if len(xy) > max_points:
        shown = np.sort(np.random.default_rng(0).choice(len(xy), max_points, replace=False))
    names, sizes = np.unique(groups, return_counts=True)
    names = names[np.argsort(-sizes, kind="stable")]
    fig = go.Figure(layout=dict(title=dict(text=html.escape(title), x=0.01), height=height,
                                **{**_LAYOUT, "showlegend": True},
                                legend=dict(title=dict(text="Groups"), itemsizing="constant", font=dict(size=14))))
    text = np.empty(len(xy), dtype=object)
    text[shown] = escape(np.asarray(hover, dtype=object)[shown])
    trace = _scatter(webgl)
    for n, name in enumerate(names):
        rows = shown[groups[shown] == name]
        colour = PALETTE[n] if n < len(PALETTE) else OTHER_COLOUR
        fig.add_trace(trace(x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=html.escape(name),
                            marker=dict(size=7, color=colour, opacity=0.75, line=dict(width=0)),
                            text=text[rows], hovertemplate="%{text}<extra></extra>"))
    for x, y, name in label_positions(xy[shown], groups[shown], height_px=height - 100):
        fig.add_annotation(x=x, y=y, text=html.escape(name), showarrow=False,
                           font=dict(size=13, color="#212529"), bgcolor="rgba(255,255,255,0.75)", borderpad=2)
    if star is not None:
        row, label = star
        fig.add_trace(go.Scatter(x=[xy[row, 0]], y=[xy[row, 1]], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(size=24, symbol="star", color=STAR_COLOUR,
                                             line=dict(width=1.5, color="white"))))
        fig.add_annotation(x=xy[row, 0], y=xy[row, 1], text=html.escape(label), showarrow=True, arrowhead=0,
                           arrowcolor=STAR_COLOUR, ax=0, ay=-44, font=dict(size=15, color=STAR_COLOUR),
                           bgcolor="rgba(255,255,255,0.9)", bordercolor=STAR_COLOUR, borderpad=3)
    hide_axes(fig)
    fig.update_xaxes(range=padded_range(xy[shown, 0]))    # the ranges the labels were placed for
    fig.update_yaxes(range=padded_range(xy[shown, 1]))
    return fig


def you_map(xy: np.ndarray, at: np.ndarray, picked, suggested, hover: Texts, *, webgl: bool = True,
            height: int = 480) -> go.Figure:
    """Where a new person lands among the items: what they picked, what we suggest, and "you"."""
    fig = go.Figure(layout=dict(title=dict(text="Where you land on the map", x=0.01), height=height,
                                **{**_LAYOUT, "showlegend": True},
                                legend=dict(orientation="h", y=-0.05)))
    text = np.asarray(escape(hover), dtype=object)
    trace = _scatter(webgl)
    fig.add_trace(trace(x=xy[:, 0], y=xy[:, 1], mode="markers", name="everything else",
                        marker=dict(size=4, color="#DEE2E6"), text=text, hovertemplate="%{text}<extra></extra>"))
    for name, rows, colour in (("what you picked", picked, PALETTE[1]), ("what we suggest", suggested, PALETTE[0])):
        rows = np.asarray(rows, dtype=np.int64)
        fig.add_trace(trace(x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=name, text=text[rows],
                            marker=dict(size=11, color=colour, line=dict(width=1, color="white")),
                            hovertemplate="%{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[at[0]], y=[at[1]], mode="markers+text", name="you", text=["you"],
                             textposition="top center", textfont=dict(size=16, color=STAR_COLOUR),
                             marker=dict(size=22, symbol="star", color=STAR_COLOUR), hoverinfo="skip"))
    hide_axes(fig)
    return fig


def hit_rate_bars(ours: float, popular: float, *, k: int = 10, nouns: str = "items", height: int = 260) -> go.Figure:
    """Two bars in plain words: people (in every 100) with a later choice found in the top ``k``."""
    labels = ["Our suggestions", f"The most popular {nouns}, for everyone"]
    values = [round(100 * ours), round(100 * popular)]
    fig = go.Figure(layout=dict(
        title=dict(text=f"People (out of every 100) for whom at least one later choice was in the top {k}", x=0.01),
        height=height, **{**_LAYOUT, "margin": dict(l=10, r=30, t=56, b=30)}))
    fig.add_bar(y=labels, x=values, orientation="h", marker_color=[PALETTE[0], "#ADB5BD"], text=values,
                textposition="outside", textfont=dict(size=18), hovertemplate="%{y}: %{x} in every 100<extra></extra>",
                cliponaxis=False)
    fig.update_xaxes(range=[0, 100], showgrid=False, zeroline=False, tickfont=dict(size=14))
    fig.update_yaxes(autorange="reversed", showgrid=False, tickfont=dict(size=16))
    return fig


def closeness_strip(direction_people, distance_people, direction_titles, distance_titles, query_people: float,
                    query_title: str, *, height: int = 300) -> go.Figure:
    """How well known each neighbour is, by direction and by distance, with the item itself as a line."""
    fig = go.Figure(layout=dict(title=dict(text="How many people chose each neighbour", x=0.01), height=height,
                                **{**_LAYOUT, "margin": dict(l=10, r=30, t=56, b=40)}))
    rows = (("By direction", direction_people, direction_titles, PALETTE[0]),
            ("By distance", distance_people, distance_titles, PALETTE[1]))
    for label, people, titles, colour in rows:
        people = np.asarray(people, dtype=float)
        fig.add_scatter(x=people, y=[label] * len(people), mode="markers", name=label,
                        marker=dict(size=16, color=colour, opacity=0.8, line=dict(width=1, color="white")),
                        text=escape(titles), hovertemplate="%{text}: %{x:,} people<extra></extra>")
    fig.add_vline(x=query_people, line=dict(color=STAR_COLOUR, dash="dash", width=2))
    fig.add_annotation(x=query_people, y=1.08, yref="paper", showarrow=False, xanchor="right",
                       text=f"{html.escape(query_title)}: {query_people:,.0f} people",
                       font=dict(color=STAR_COLOUR, size=14))
    top = max(float(np.max(direction_people, initial=0)), float(np.max(distance_people, initial=0)), query_people)
    fig.update_xaxes(range=[0, top * 1.08], title="people who chose it", showgrid=True, tickformat=",d",
                     tickfont=dict(size=14), zeroline=False)
    fig.update_yaxes(autorange="reversed", showgrid=False, tickfont=dict(size=16))
    return fig
