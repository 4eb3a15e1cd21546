"""The data set's summary charts (the Data page and present mode): how people rate, the long
tail of popularity, activity per user and over time. Pure functions: arrays in, figure out."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from embedviz.viz.plots import PALETTE, titled_figure


def rating_distribution(values: np.ndarray, kind: str) -> go.Figure:
    """Bar chart of how often each rating occurs (explicit) or of interaction strength (implicit)."""
    if kind == "explicit":
        levels, counts = np.unique(values, return_counts=True)
        fig = titled_figure("How people rate", xaxis_title="rating", yaxis_title="interactions", height=340)
        fig.add_bar(x=levels, y=counts, marker_color=PALETTE[0],
                    hovertemplate="rating %{x}: %{y:,} interactions<extra></extra>")
        fig.update_xaxes(tickmode="array", tickvals=levels)
        return fig
    edges, labels = _strength_bins(np.asarray(values, dtype=np.float64))
    counts, _ = np.histogram(values, bins=edges)
    log = len(edges) > 2 and edges[-1] / max(edges[0], 1e-12) > 100
    fig = titled_figure(f"Interaction strength (median {np.median(values):,.4g})", height=340,
                        xaxis_title="value" + (" (log-spaced bins)" if log else ""), yaxis_title="interactions")
    fig.add_bar(x=labels, y=counts, marker_color=PALETTE[0],
                hovertemplate="value %{x}: %{y:,} interactions<extra></extra>")
    fig.update_xaxes(type="category")
    return fig


def _strength_bins(values: np.ndarray, n_bins: int = 24) -> tuple[np.ndarray, list[str]]:
    """Bin edges and labels for implicit values: one bar per value when there are few distinct
    whole numbers, log-spaced bins for skewed positive values (play counts 1 … 350k),
    linear ones otherwise."""
    low, high = float(values.min()), float(values.max())
    whole = bool(np.all(values == np.round(values)))
    if whole and high - low < n_bins:
        edges = np.arange(low, high + 2) - 0.5
        return edges, [f"{v:g}" for v in edges[:-1] + 0.5]
    if low > 0 and high / low > 100:
        edges = np.geomspace(low, high * 1.000001, n_bins + 1)
        if whole:
            edges = np.unique(np.ceil(edges))
            edges[-1] = max(edges[-1], high + 1)
            return edges, [f"{lo:,.0f}" if hi - lo <= 1 else f"{lo:,.0f}–{hi - 1:,.0f}"
                           for lo, hi in zip(edges[:-1], edges[1:])]
    else:
        edges = np.linspace(low, high if high > low else low + 1, n_bins + 1)
    return edges, [f"{lo:.3g}–{hi:.3g}" for lo, hi in zip(edges[:-1], edges[1:])]


def popularity_curve(popularity: np.ndarray) -> go.Figure:
    """The long tail: items ranked by number of interactions, with the head's share annotated."""
    ranked = np.sort(popularity)[::-1]
    share = np.cumsum(ranked) / max(1, ranked.sum())
    head = int(np.searchsorted(share, 0.5)) + 1
    fig = titled_figure(f"Long tail: the top {head:,} items ({head / len(ranked):.0%}) get half of all interactions",
                        height=340, xaxis_title="item rank, most popular first (log)", yaxis_title="interactions (log)")
    ranks = np.arange(1, len(ranked) + 1)
    fig.add_scatter(x=ranks, y=np.maximum(ranked, 0.8), mode="lines", fill="tozeroy", line=dict(color=PALETTE[0]),
                    hovertemplate="rank %{x:,}: %{y:,} interactions<extra></extra>", showlegend=False)
    fig.add_vrect(x0=1, x1=head, fillcolor=PALETTE[1], opacity=0.15, line_width=0)
    fig.update_xaxes(type="log", range=[0, np.log10(len(ranked)) + 0.05], dtick=_log_dtick(len(ranked)))
    fig.update_yaxes(type="log", dtick=_log_dtick(ranked[0] / max(ranked[-1], 0.8)))
    return fig


def _log_dtick(span: float) -> int | None:
    """Label only powers of ten when a log axis spans two decades or more (Plotly's default
    then also labels 2 and 5 of every decade, a wall of small numbers); else Plotly's choice."""
    return 1 if span >= 100 else None


def activity_histogram(activity: np.ndarray) -> go.Figure:
    """How many interactions each user has, in log-spaced bins labelled with real counts."""
    activity = activity[activity > 0]
    edges = np.unique(np.round(np.logspace(np.log10(activity.min()), np.log10(activity.max() + 1), 16)).astype(int))
    counts, _ = np.histogram(activity, bins=edges)
    labels = [f"{lo}" if hi - 1 <= lo else f"{lo}–{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:])]
    fig = titled_figure(f"Interactions per user (median {np.median(activity):,.0f})", height=340,
                        xaxis_title="interactions", yaxis_title="users")
    fig.add_bar(x=labels, y=counts, marker_color=PALETTE[2],
                hovertemplate="%{x} interactions: %{y:,} users<extra></extra>")
    fig.update_xaxes(type="category")
    return fig


TIME_BINS = (("hour", "datetime64[h]", 3 * 86_400), ("day", "datetime64[D]", 120 * 86_400),
             ("week", "datetime64[W]", 3 * 365 * 86_400), ("month", "datetime64[M]", None))


def activity_over_time(timestamps: np.ndarray) -> go.Figure:
    """Interactions per hour, day, week or month, whichever suits the time span."""
    span = float(timestamps.max() - timestamps.min())
    unit, dtype, _ = next(b for b in TIME_BINS if b[2] is None or span <= b[2])
    bins = timestamps.astype("datetime64[s]").astype(dtype)
    labels, counts = np.unique(bins, return_counts=True)
    fig = titled_figure(f"Interactions per {unit}", xaxis_title=unit, yaxis_title="interactions", height=340)
    x = labels.astype("datetime64[s]").astype(str)
    if len(labels) < 40:
        fig.add_bar(x=x, y=counts, marker_color=PALETTE[5], hovertemplate="%{x}: %{y:,}<extra></extra>")
    else:
        fig.add_scatter(x=x, y=counts, mode="lines", fill="tozeroy", line=dict(color=PALETTE[5]),
                        hovertemplate="%{x}: %{y:,}<extra></extra>")
    return fig
