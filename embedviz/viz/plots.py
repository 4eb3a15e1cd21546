"""The dashboard's Plotly figures (the data summaries are in `data_plots`, the story's in `story_plots`).
Pure functions: arrays in, figure out.

User text (titles, ids, genres) is HTML-escaped before it reaches a hover label,
because Plotly renders a subset of HTML in hover text.
"""
from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# Hover texts, one per row: a list or an object array (cached per space).
Texts = Sequence[str] | np.ndarray

# 16 categories told apart by hue first, then lightness (no two oranges or two blues: a legend must be readable).
PALETTE = ["#4C6EF5", "#F76707", "#2B8A3E", "#E03131", "#7048E8", "#0C8599", "#F06595", "#94D82D",
           "#8B5E34", "#FCC419", "#495057", "#66D9E8", "#AE3EC9", "#5C940D", "#FFA8A8", "#E599F7"]
METRIC_COLOURS = {"cosine": "#4C6EF5", "euclidean": "#F76707", "dot": "#2B8A3E"}
OTHER_COLOUR = "#CED4DA"   # categories beyond the palette, and the grey background under highlights
HIGHLIGHT_COLOURS = {**METRIC_COLOURS, "selected": "#212529"}   # selection: neutral, unlike any genre colour
_LAYOUT = dict(margin=dict(l=10, r=10, t=50, b=10), font=dict(size=13))
# Every figure uses plotly_white, set once as the default: passed to each figure as template="plotly_white",
# Plotly rebuilt and validated the whole template per figure (60 % of the Data page's 4 figures; the top cost
# of the server with 30 sessions in benchmarks/load_test.py --profile). The figures' JSON is the same.
pio.templates.default = "plotly_white"


def titled_figure(title: str, **layout) -> go.Figure:
    """An empty figure with the dashboard's title placement, margins and font."""
    fig = go.Figure()
    fig.update_layout(title=dict(text=title, x=0.01), **{**_LAYOUT, **layout})
    return fig


def hide_axes(fig: go.Figure) -> None:
    """No ticks, grid or titles: a map's coordinates mean nothing, only distances do."""
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, title=None)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, title=None)


def escape(values) -> list[str]:
    """HTML-escape user text for hover labels."""
    return [html.escape(str(v)) for v in values]


# ---------------------------------------------------------------- training

LOSS_TERMS = {  # history key -> (label, colour, dash)
    "observed": ("observed error", PALETTE[0], "solid"),
    "unobserved": ("unobserved (weighted)", PALETTE[1], "solid"),
    "regularization": ("regularisation", PALETTE[2], "dot"),
    "total": ("total", "#212529", "dash"),
    "train_rmse": ("train RMSE", PALETTE[0], "solid"),
    "validation_rmse": ("validation RMSE", PALETTE[1], "solid"),
}


def loss_curve(history: list[dict], total_iterations: int | None = None) -> go.Figure:
    """The terms of the objective per iteration (WALS) or train/validation RMSE per epoch (SGD)."""
    rmse = any("train_rmse" in h for h in history)
    fig = titled_figure("Validation and training error per epoch" if rmse else "Loss per iteration, by term",
                        xaxis_title="epoch" if rmse else "iteration", yaxis_title="RMSE" if rmse else "loss",
                        height=360, legend=dict(orientation="h", y=-0.25))
    steps = [h.get("iteration", i + 1) for i, h in enumerate(history)]
    for key, (label, colour, dash) in LOSS_TERMS.items():
        ys = [h.get(key) for h in history]
        if any(y is not None for y in ys):
            fig.add_scatter(x=steps, y=ys, name=label, mode="lines+markers",
                            line=dict(color=colour, dash=dash), marker=dict(size=5))
    if total_iterations:
        fig.update_xaxes(range=[0.5, total_iterations + 0.5])
    return fig


TRIAL_STAGES = {  # stage -> (legend label, colour, symbol, size)
    "screen": ("short fit (screening)", "#ADB5BD", "circle", 7),
    "full": ("full fit", PALETTE[0], "circle", 10),
    "defaults": ("defaults", "#212529", "diamond", 12),
}


def tuning_trials(trials, metric: str, params: tuple[str, str]) -> go.Figure:
    """Validation score of every tuning trial against two searched parameters (log axes), best starred.

    Parameters
    ----------
    trials : pandas.DataFrame
        Rows of `embedviz.TuneResult.trials` (or the live rows): ``stage``, ``score`` or
        ``validation <metric>``, and the parameter columns.
    metric : str
        "ndcg@10" (higher is better) or "rmse" (lower is better).
    params : (str, str)
        The two parameter columns on the x axes.
    """
    from plotly.subplots import make_subplots

    score = trials["score"] if "score" in trials else trials[f"validation {metric}"]
    lower = metric == "rmse"
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04)
    fig.update_layout(title=dict(text=f"Tuning trials: validation {metric.upper()} "
                                      f"({'lower' if lower else 'higher'} is better)", x=0.01),
                      height=360, legend=dict(orientation="h", y=-0.25), **{k: v for k, v in _LAYOUT.items()})
    full = trials["stage"] != "screen"
    best = (score.where(full).idxmin() if lower else score.where(full).idxmax()) if full.any() else None
    for column, name in enumerate(params, start=1):
        for stage, (label, colour, symbol, size) in TRIAL_STAGES.items():
            rows = trials["stage"] == stage
            fig.add_scatter(x=trials.loc[rows, name], y=score[rows], mode="markers", name=label,
                            legendgroup=stage, showlegend=column == 1,
                            marker=dict(color=colour, symbol=symbol, size=size, line=dict(width=1, color="white")),
                            customdata=trials.loc[rows, "trial"],
                            hovertemplate=f"trial %{{customdata}}<br>{name} %{{x:.3g}}<br>{metric} %{{y:.4f}}"
                                          "<extra></extra>", row=1, col=column)
        if best is not None:
            fig.add_scatter(x=[trials.at[best, name]], y=[score[best]], mode="markers", name="best",
                            legendgroup="best", showlegend=column == 1,
                            marker=dict(color="#E03131", symbol="star", size=18), row=1, col=column)
        fig.update_xaxes(type="log", title_text=name.replace("_", " "), row=1, col=column)
    fig.update_yaxes(title_text=f"validation {metric}", row=1, col=1)
    return fig


def metrics_comparison(results: dict[str, dict], metrics: list[str]) -> go.Figure:
    """Grouped bars: each model (and the popularity baseline) on each ranking metric."""
    fig = titled_figure("Held-out ranking quality (higher is better)", barmode="group", height=360,
                        yaxis_title="score", legend=dict(orientation="h", y=-0.2))
    for n, (name, values) in enumerate(results.items()):
        colour = "#ADB5BD" if "baseline" in name.lower() else PALETTE[n % len(PALETTE)]
        fig.add_bar(name=html.escape(name), x=metrics, y=[values.get(m, 0.0) for m in metrics],
                    marker_color=colour, texttemplate="%{y:.3f}", textposition="outside")
    return fig


# ---------------------------------------------------------------- embedding scatter

def embedding_scatter(
    xy: np.ndarray,
    *,
    row_ids: np.ndarray,
    hover: Texts,
    colour: np.ndarray | None = None,
    colour_label: str = "",
    numeric_colour: bool = False,
    log_colour: bool = False,
    sizes: np.ndarray | None = None,
    is_user: np.ndarray | None = None,
    highlight: dict[str, np.ndarray] | None = None,
    labels: list[tuple[float, float, str]] | None = None,
    density: bool = False,
    title: str = "",
    height: int = 640,
    category_order: list[str] | None = None,
    lines: dict[str, np.ndarray] | None = None,
    faded: np.ndarray | None = None,
    faded_label: str = "",
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    unit_colour: bool = False,
) -> go.Figure:
    """One-trace WebGL scatter of an embedding layout.

    Parameters
    ----------
    xy : (n, 2) or (n, 3) float array
        The layout; 3 columns draw a 3-D scatter.
    row_ids : (n,) int array
        Global row id of each point, stored in ``customdata`` so a selection maps back
        to items whatever subset is drawn (one trace: per-trace indices would collide).
    hover : list of str
        Hover text per point; escaped here.
    colour : (n,) array, optional
        Category labels (``numeric_colour=False``) or numbers (colour scale, optionally log).
    sizes : (n,) array, optional
        Marker size per point (e.g. scaled popularity).
    is_user : (n,) bool array, optional
        Users drawn as diamonds, items as circles.
    highlight : dict name -> (n,) bool mask, optional
        Groups drawn on top in their own colour (selection, neighbour lists).
    labels : list of (x, y, text), optional
        Cluster names written on the plot.
    density : bool
        Draw density contours under the points (helps with many points).
    category_order : list of str, optional
        Categories in colour order (the first gets the first palette colour), so colours stay
        the same whichever subset is drawn; default: most common among these points first.
    lines : dict name -> (m, 2, n_components) array, optional
        Line segments (from, to) drawn over the points, coloured like the highlight of the
        same name (e.g. from a point to its true neighbours).
    faded : (n,) bool array, optional
        Points drawn small and grey in a second (still selectable) trace, e.g. items laid out
        by their neighbours rather than by the layout; ``faded_label`` names them in the legend.
    x_range, y_range : (float, float), optional
        Fixed axis ranges (label placement needs to know them).
    unit_colour : bool
        Numeric colours are shares: the colour scale spans 0 to 1 whatever the values.
    """
    three_d = xy.shape[1] == 3
    # dragmode is left to Streamlit: with selections on it gives click-to-select; lasso and box are in the
    # toolbar (Streamlit 1.67 turns clicks into empty selections when dragmode is "lasso").
    fig = titled_figure(title, height=height, legend=dict(orientation="h", y=-0.08, itemsizing="constant"),
                        hovermode="closest", **({} if title else {"margin": dict(l=10, r=10, t=10, b=10)}))
    main = np.ones(len(xy), dtype=bool) if faded is None else ~np.asarray(faded, dtype=bool)
    marker, legend = _marker(None if colour is None else np.asarray(colour)[main], numeric_colour, log_colour,
                             colour_label, category_order, unit_colour)
    if colour is None and highlight:
        marker["color"] = OTHER_COLOUR          # grey background so the highlighted groups stand out
    if sizes is not None:
        marker["size"] = np.asarray(sizes)[main]
    if is_user is not None and is_user.any():
        marker["symbol"] = np.where(is_user[main], "diamond", "circle")
        legend["users (◆)"] = "#212529"
    if density and not three_d:
        fig.add_histogram2dcontour(x=xy[:, 0], y=xy[:, 1], colorscale="Greys", showscale=False, ncontours=12,
                                   contours=dict(coloring="fill"), opacity=0.35, hoverinfo="skip", name="density")
    text = np.asarray(escape(hover), dtype=object)
    ids = np.asarray(row_ids)
    points = dict(x=xy[main, 0], y=xy[main, 1], mode="markers", marker=marker, customdata=ids[main],
                  text=text[main], hovertemplate="%{text}<extra></extra>", name="points", showlegend=False)
    fig.add_trace(go.Scatter3d(z=xy[main, 2], **points) if three_d else go.Scattergl(**points))
    if faded is not None and (~main).any():
        grey = dict(x=xy[~main, 0], y=xy[~main, 1], mode="markers", customdata=ids[~main], text=text[~main],
                    marker=dict(size=3, color="#ADB5BD", opacity=0.6), hovertemplate="%{text}<extra></extra>",
                    name=html.escape(faded_label or "faded"))
        fig.add_trace(go.Scatter3d(z=xy[~main, 2], **grey) if three_d else go.Scattergl(**grey))
    for name, colour_hex in legend.items():       # legend entries only: empty traces select nothing
        fig.add_scattergl(x=[None], y=[None], mode="markers", marker=dict(color=colour_hex, size=10), name=name)
    for name, segments in (lines or {}).items():
        _add_lines(fig, segments, name, HIGHLIGHT_COLOURS.get(name, "#212529"), three_d)
    groups = list((highlight or {}).items())
    for n, (name, mask) in enumerate(groups):      # earlier groups bigger, so overlapping ones stay visible
        size = 8 + 3 * (len(groups) - n)
        _add_highlight(fig, xy, mask, name, HIGHLIGHT_COLOURS.get(name, PALETTE[(n + 1) % len(PALETTE)]), three_d,
                       size)
    for x, y, label_text in labels or []:
        fig.add_annotation(x=x, y=y, text=html.escape(label_text), showarrow=False, font=dict(size=13, color="#212529"),
                           bgcolor="rgba(255,255,255,0.75)", borderpad=2)
    hide_axes(fig)
    fig.update_xaxes(range=x_range)
    fig.update_yaxes(range=y_range)
    return fig


def _add_lines(fig, segments: np.ndarray, name: str, colour: str, three_d: bool) -> None:
    """Segments as one line trace with gaps (None) between them; not selectable, no hover."""
    segments = np.asarray(segments, dtype=float)
    if segments.size == 0:
        return
    dims = segments.shape[2]
    coords = []
    for d in range(dims):
        values = np.column_stack([segments[:, 0, d], segments[:, 1, d], np.full(len(segments), np.nan)]).ravel()
        coords.append([None if np.isnan(v) else float(v) for v in values])   # None: a gap between segments
    style = dict(mode="lines", line=dict(color=colour, width=1.6), opacity=0.75, hoverinfo="skip",
                 name=f"{html.escape(name)}: lines to true neighbours", showlegend=False)
    if three_d:
        fig.add_trace(go.Scatter3d(x=coords[0], y=coords[1], z=coords[2], **style))
    else:
        fig.add_trace(go.Scattergl(x=coords[0], y=coords[1], **style))


def _marker(colour, numeric: bool, log: bool, label: str, order: list[str] | None = None,
            unit_range: bool = False) -> tuple[dict, dict]:
    """Marker dict for the single trace, plus legend entries for categorical colours."""
    marker = dict(size=5, opacity=0.8, line=dict(width=0))
    if colour is None:
        marker["color"] = PALETTE[0]
        return marker, {}
    if numeric:
        values = np.asarray(colour, dtype=float)
        title = f"{label} (log₁₀)" if log else label
        marker.update(color=np.log10(np.maximum(values, 1)) if log else values, colorscale="Viridis",
                      showscale=True, colorbar=dict(title=dict(text=html.escape(title), side="right"), thickness=12,
                                                    len=0.85))
        if unit_range:
            marker.update(cmin=0.0, cmax=1.0)
        return marker, {}
    categories, codes = np.unique(np.asarray(colour, dtype=str), return_inverse=True)
    if order is not None:    # a fixed order: colours do not depend on which points are drawn
        position = {c: i for i, c in enumerate(order)}
        fixed = np.array([position.get(c, len(position)) for c in categories])
        rank = np.minimum(fixed, len(PALETTE))
        drawing = np.argsort(fixed, kind="stable")
    else:                    # most common categories get the first colours
        drawing = np.argsort(-np.bincount(codes), kind="stable")
        rank = np.empty_like(drawing)
        rank[drawing] = np.minimum(np.arange(len(drawing)), len(PALETTE))   # beyond the palette: "other"
    colours = (PALETTE + [OTHER_COLOUR])[: rank.max() + 1]
    # Numbers on a stepped colour scale rather than a colour string per point: Plotly validates
    # every string (2.2 s for 100k points; 0.2 s this way).
    k = len(colours)
    marker.update(color=rank[codes], cmin=-0.5, cmax=k - 0.5, showscale=False,
                  colorscale=[[(i + step) / k, c] for i, c in enumerate(colours) for step in (0, 1)])
    legend = {html.escape(str(categories[i])): colours[rank[i]] for i in drawing if rank[i] < len(PALETTE)}
    if (rank >= len(PALETTE)).any():
        legend["other"] = OTHER_COLOUR
    return marker, legend


def _add_highlight(fig, xy, mask, name, colour, three_d, size: int = 11) -> None:
    """A non-selectable overlay (hoverinfo skipped) so selections keep coming from the main trace.

    The query and a search hit are drawn as stars so they read as "this one".
    """
    mask = np.asarray(mask, dtype=bool)
    star = name == "query" or name.startswith("found:")
    marker = dict(size=18 if star else size, color="#E03131" if star else colour, symbol="star" if star else "circle",
                  line=dict(width=1.5, color="white"), opacity=0.95)
    if three_d:
        marker["symbol"] = "diamond" if star else "circle"
    overlay = dict(x=xy[mask, 0], y=xy[mask, 1], mode="markers", marker=marker, name=html.escape(name),
                   hoverinfo="skip")
    fig.add_trace(go.Scatter3d(z=xy[mask, 2], **overlay) if three_d else go.Scattergl(**overlay))


MAX_BIN_TICKS = 5   # tick labels under a histogram of bins


def facet_chart(title: str, labels: list[str], total: np.ndarray, current: np.ndarray, chosen=(), *,
                horizontal: bool = True, height: int = 230) -> go.Figure:
    """A linked chart: one bar per category or bin, pale for the whole set, coloured for the rows
    that pass the other charts' filters; chosen bars are darker. ``customdata`` is the bar index,
    so a click or a box selection says which bars were picked.
    """
    index = np.arange(len(labels))
    chosen_mask = np.isin(index, list(chosen))
    colours = np.where(chosen_mask, "#1C3FAA", PALETTE[0]) if chosen_mask.any() else PALETTE[0]
    names = escape(labels)
    # Categories: a click picks a bar (shift-click adds one); Streamlit selects on click only when the
    # drag mode is not a selection. Numbers (vertical bars): dragging brushes a range of bins.
    fig = titled_figure(html.escape(title), height=height, barmode="overlay", showlegend=False, bargap=0.15,
                        margin=dict(l=10, r=10, t=36, b=10), font=dict(size=12), hovermode="closest",
                        dragmode="pan" if horizontal else "select", selectdirection="h")
    # Positions are bar numbers with the labels as tick text, so equal labels cannot merge bars.
    for values, colour, name in ((total, "#E9ECEF", "all"), (current, colours, "shown")):
        bars = dict(customdata=index, marker_color=colour, name=name,
                    hovertemplate="%{text}: %{" + ("x" if horizontal else "y") + ":,}<extra>" + name + "</extra>",
                    text=names, textposition="none")
        if horizontal:
            fig.add_bar(y=index, x=values, orientation="h", **bars)
        else:
            fig.add_bar(x=index, y=values, **bars)
    if horizontal:
        fig.update_yaxes(autorange="reversed", tickmode="array", tickvals=index,
                         ticktext=escape(_short_label(str(label)) for label in labels))   # cut, then escape
        fig.update_xaxes(title=None, showgrid=True)
    else:
        # Bins: a few ticks at the bins' lower edges (a label per bin would be a rotated wall of
        # "1922–1926"s in a quarter-width chart); the hover names each bin's range.
        every = max(1, -(-len(labels) // MAX_BIN_TICKS))
        fig.update_xaxes(tickangle=0, tickmode="array", tickvals=index[::every],
                         ticktext=[name.split("–")[0] for name in names[::every]])
    fig.update_xaxes(fixedrange=True)      # nothing to pan or zoom in a summary
    fig.update_yaxes(fixedrange=True)
    return fig


def _short_label(text: str, limit: int = 22) -> str:
    """A bar's label cut to fit a quarter-width chart; 22 keeps three-genre cluster names whole
    ("War · Drama · Romance": the last word is what tells it from its namesake)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def norm_vs_popularity(norms: np.ndarray, popularity: np.ndarray, titles, lists: dict[str, np.ndarray],
                       sample: int = 20_000) -> go.Figure:
    """Vector length against popularity for the catalogue, with each neighbour list on top.

    Shows *why* lists differ: the dot product favours long vectors (often popular
    items), euclidean distance favours vectors of similar length to the query.
    """
    fig = titled_figure("Why the lists differ: vector length vs popularity", height=420,
                        xaxis_title="interactions (log)", yaxis_title="vector length ‖v‖",
                        legend=dict(orientation="h", y=-0.2))
    rows = np.arange(len(norms))
    if len(rows) > sample:
        rows = np.random.default_rng(0).choice(rows, sample, replace=False)
    fig.add_scattergl(x=np.maximum(popularity[rows], 1), y=norms[rows], mode="markers", name="all items",
                      marker=dict(size=4, color=OTHER_COLOUR), text=escape(np.asarray(titles)[rows]),
                      hovertemplate="%{text}<br>%{x:,} interactions, ‖v‖=%{y:.2f}<extra></extra>")
    for name, indices in lists.items():
        indices = np.asarray(indices)
        fig.add_scattergl(x=np.maximum(popularity[indices], 1), y=norms[indices], mode="markers", name=name,
                          marker=dict(size=10, color=METRIC_COLOURS.get(name, "#212529"),
                                      line=dict(width=1, color="white")),
                          text=escape(np.asarray(titles)[indices]),
                          hovertemplate="%{text}<br>%{x:,} interactions, ‖v‖=%{y:.2f}<extra></extra>")
    fig.update_xaxes(type="log")
    return fig


def new_user_map(xy: np.ndarray, at: np.ndarray, liked, recommended, hover: Texts, *,
                 title: str = "Where you land in the item space", who: str = "you",
                 liked_name: str = "liked") -> go.Figure:
    """Where a user lands among the items (``at``, marked ``who``): the items they like, and the
    recommendations. The user is placed by the caller (e.g. among its nearest items)."""
    fig = titled_figure(html.escape(title), height=460, legend=dict(orientation="h", y=-0.1))
    text = np.asarray(escape(hover), dtype=object)
    fig.add_scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", name="items", marker=dict(size=4, color="#DEE2E6"),
                      text=text, hovertemplate="%{text}<extra></extra>")
    for name, rows, colour in ((liked_name, liked, PALETTE[1]), ("recommended", recommended, PALETTE[0])):
        rows = np.asarray(rows, dtype=int)
        # Similar items sit on top of each other on the map: the legend says how many there are.
        fig.add_scattergl(x=xy[rows, 0], y=xy[rows, 1], mode="markers", name=f"{name} ({len(rows)})", text=text[rows],
                          marker=dict(size=10, color=colour, line=dict(width=1, color="white")),
                          hovertemplate="%{text}<extra></extra>")
    fig.add_scattergl(x=[at[0]], y=[at[1]], mode="markers+text", name=html.escape(who), text=[html.escape(who)],
                      textposition="top center", marker=dict(size=18, symbol="star", color="#E03131"))
    hide_axes(fig)
    return fig


def warm_up(xy: np.ndarray) -> None:
    """Build and serialise small scatters once: Plotly loads its validators on first use (~0.3 s)."""
    import plotly.io

    n = min(len(xy), 200)
    for colour, numeric in (((np.arange(n) % 3).astype(str), False), (np.arange(n, dtype=float), True)):
        fig = embedding_scatter(xy[:n], row_ids=np.arange(n), hover=[""] * n, colour=colour,
                                numeric_colour=numeric, title="warm-up")
        plotly.io.to_json(fig, validate=False)
        from embedviz.viz.preview import static_preview

        static_preview(fig)
