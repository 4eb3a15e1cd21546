"""Explore-page pieces under the map: linked charts (cross-filter), the points table, export.

The filter (bars picked in the linked charts) lives in session state per space and in the URL
as ``f.<chart>=<bar>|<bar>``, so a shared link reopens it.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import streamlit as st

from embedviz.analysis.facets import Facet, crossfilter_counts, describe_choice, filter_mask
from embedviz.dashboard.maps import MapData
from embedviz.dashboard.records import Space
from embedviz.dashboard.safe import md
from embedviz.viz import plots

PAGE_ROWS = 50
_FILTERS = "ev_map_filters"


# ---------------------------------------------------------------- cross-filter


def chosen_bars(space: Space, facets: list[Facet]) -> dict[str, list[int]]:
    """The bars picked per chart for this space (a new space starts from the URL)."""
    current = st.session_state.get(_FILTERS)
    if current is None or current[0] != space.name:
        current = (space.name, _from_url(facets))
        st.session_state[_FILTERS] = current
    return current[1]


def _from_url(facets: list[Facet]) -> dict[str, list[int]]:
    chosen = {}
    for facet in facets:
        wanted = st.query_params.get(f"f.{facet.name}")
        if wanted:
            bars = [facet.labels.index(v) for v in wanted.split("|") if v in facet.labels]
            if bars:
                chosen[facet.name] = bars
    return chosen


def _set_bars(space: Space, facets: list[Facet], name: str, bars: list[int]) -> None:
    chosen = chosen_bars(space, facets)
    if bars:
        chosen[name] = sorted(set(bars))
    else:
        chosen.pop(name, None)
    for facet in facets:
        key = f"f.{facet.name}"
        if chosen.get(facet.name):
            st.query_params[key] = "|".join(facet.labels[b] for b in chosen[facet.name])
        elif key in st.query_params:
            del st.query_params[key]


def _on_chart_select(chart_key: str, space: Space, facets: list[Facet], name: str) -> None:
    event = st.session_state.get(chart_key) or {}
    points = event.get("selection", {}).get("points", [])
    _set_bars(space, facets, name, [int(p["customdata"]) for p in points if p.get("customdata") is not None])


def clear_filters(space: Space, facets: list[Facet]) -> None:
    for facet in facets:
        _set_bars(space, facets, facet.name, [])


def filter_rows(facets: list[Facet], chosen: dict[str, list[int]], n_rows: int) -> np.ndarray:
    """Rows passing every chart's filter."""
    return filter_mask(facets, chosen, n_rows)


def linked_charts(space: Space, facets: list[Facet], chosen: dict[str, list[int]], on_map: np.ndarray) -> None:
    """One small chart per facet; clicking or box-selecting bars filters the map and the other charts."""
    if not facets:
        return
    base = np.zeros(len(space.vectors), dtype=bool)
    base[on_map] = True
    counts = crossfilter_counts(facets, chosen, base)
    active = describe_choice(facets, chosen)
    left, right = st.columns([5, 1.2], vertical_alignment="center")
    left.markdown("**Linked charts** — click a bar (shift-click for more) or drag across a histogram's bars to "
                  "filter the map and the other charts" +
                  (f". Filter: {md('; '.join(active))}" if active else "."))
    if active:
        right.button("Clear filters", icon=":material/filter_alt_off:", on_click=clear_filters, args=(space, facets),
                     key="explore_clear_filters")
    for column, facet in zip(st.columns(len(facets)), facets):
        fig = plots.facet_chart(_TITLES.get(facet.name, facet.name), facet.labels, facet.counts(base),
                                counts[facet.name], chosen.get(facet.name, ()), horizontal=facet.kind == "category")
        key = f"facet_{facet.name}"
        column.plotly_chart(fig, key=key, on_select=functools.partial(_on_chart_select, key, space, facets,
                                                                      facet.name),
                            selection_mode=("points", "box"), config={"displayModeBar": False})


_TITLES = {"genres": "genres / tags", "popularity": "interactions (popularity)"}


# ---------------------------------------------------------------- the table and export


def points_frame(space: Space, view: MapData, rows: np.ndarray) -> pd.DataFrame:
    """id, title, genres, interactions, cluster, x, y[, z], preserved — one row per point."""
    genres = space.table["genres"].iloc[rows] if "genres" in space.table else pd.Series([[]] * len(rows))
    frame = pd.DataFrame({
        "id": space.ids[rows].astype(str),
        "title": space.titles[rows],
        "genres": [", ".join(g) if isinstance(g, list) else "" for g in genres],
        "interactions": space.popularity[rows],
        "cluster": view.cluster_name(rows).astype(str),
    })
    for axis, values in zip("xyz", view.xy[rows].T):
        frame[axis] = values
    frame["preserved"] = view.preservation[rows]
    return frame


def table_rows(view: MapData, keep: np.ndarray, picked) -> tuple[np.ndarray, str]:
    """The rows the table lists and how they are described: the selection ("selected"), else every
    point on the map that passes the filters ("shown")."""
    if picked.rows:
        return np.asarray(picked.rows, dtype=np.int64), "selected"
    return view.on_map[keep[view.on_map]], "shown"


def points_table(space: Space, view: MapData, rows: np.ndarray, what: str) -> None:
    """A sortable, paged table of ``rows``, and the export of them."""
    frame = points_frame(space, view, rows)
    head, sort_col, order_col = st.columns([3, 1.4, 1], vertical_alignment="bottom")
    noun = "point" if len(frame) == 1 else "points"
    head.markdown(f"**{len(frame):,} {noun} {what}**" + (" — click or lasso points on the map to select some"
                                                         if what == "shown" else ""))
    by = sort_col.selectbox("Sort by", ["interactions", "title", "cluster", "preserved", "x", "y"], key="table_sort")
    descending = order_col.toggle("Descending", value=True, key="table_desc")
    frame = frame.sort_values(by, ascending=not descending, kind="stable", na_position="last")
    pages = max(1, -(-len(frame) // PAGE_ROWS))
    if st.session_state.get("table_page", 1) > pages:
        st.session_state["table_page"] = 1
    page = st.pagination(pages, key="table_page") if pages > 1 else 1
    shown = frame.iloc[(page - 1) * PAGE_ROWS: page * PAGE_ROWS]
    st.dataframe(shown, hide_index=True, key="explore_table", column_config={
        "preserved": st.column_config.ProgressColumn("preserved", min_value=0.0, max_value=1.0, format="percent"),
        "x": st.column_config.NumberColumn(format="%.2f"), "y": st.column_config.NumberColumn(format="%.2f"),
        "z": st.column_config.NumberColumn(format="%.2f")})
    export_buttons(frame, what)


def export_buttons(frame: pd.DataFrame, what: str) -> None:
    from embedviz.data.export import to_csv_bytes, to_parquet_bytes

    left, right, _ = st.columns([1.3, 1.3, 2])
    label = "selection" if what == "selected" else "points shown"
    left.download_button(f"Export {label} (CSV)", lambda: to_csv_bytes(frame), "embedviz-points.csv", "text/csv",
                         icon=":material/download:", on_click="ignore", key="export_csv")
    right.download_button(f"Export {label} (Parquet)", lambda: to_parquet_bytes(frame), "embedviz-points.parquet",
                          "application/vnd.apache.parquet", icon=":material/download:", on_click="ignore",
                          key="export_parquet")
