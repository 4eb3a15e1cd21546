"""Explore a vector set opened on the server: the map of every point, search, neighbours on click.

The map is a density image of all points in the visible window with a density-aware sample
of them on top for hover and click (`embedviz.dashboard.mapviews`). Box-select a region to zoom
into it: the server draws that window again, image and sample, so zooming in reaches every
point. Search looks through every title; the map centres on the hit. A click lists the point's
nearest neighbours among all vectors (exact scan).
"""
from __future__ import annotations

import base64
import time

import numpy as np
import pandas as pd
import streamlit as st

from embedviz.analysis.sampling import Window
from embedviz.dashboard import mapviews, served
from embedviz.dashboard.safe import md
from embedviz.errors import DataError

_SOURCE_MODEL = "__model__"
_SESSION_SET = "ev_served_key"
PREVIEW_SECONDS = 10.0
FOUND_ZOOM = 0.06        # a search hit is shown in a window this share of the whole map
_PREVIEW_CSS = "<style>.st-key-bigmap_chart:has(.js-plotly-plot) .st-key-bigmap_preview {display: none}</style>"


def served_choice() -> served.Served | None:
    """Offer the server-side sets (and, when the operator allows it, opening one); the chosen set or None."""
    _folder_opener()
    options = [s for s in (served.default_served(), served.by_key(st.session_state.get(_SESSION_SET, ""))) if s]
    if not options:
        return None
    keys = list(dict.fromkeys(s.key for s in options)) + [_SOURCE_MODEL]
    names = {s.key: f"{s.name} (on the server)" for s in options} | {_SOURCE_MODEL: "The model's vectors / uploads"}
    pick = st.radio("Explore", keys, format_func=names.__getitem__, horizontal=True, key="bigmap_source")
    return None if pick == _SOURCE_MODEL else served.by_key(pick)


def _folder_opener() -> None:
    from embedviz.data.server_paths import allowed_folder, list_openable, resolve_inside

    try:
        folder = allowed_folder()
    except DataError as error:
        st.warning(md(error), icon=":material/warning:")
        return
    if folder is None:
        return
    with st.expander("Open a file on the server", icon=":material/folder_open:"):
        files = list_openable(folder)
        if not files:
            st.caption("The folder the operator allowed holds no vector files.")
            return
        left, right = st.columns(2)
        chosen = left.selectbox("Vectors", files, key="bigmap_server_file")
        metadata = right.selectbox("Metadata (optional)", ["(none)"] + [f for f in files if f != chosen],
                                   key="bigmap_server_meta")
        if st.button("Open on the server", type="primary", key="bigmap_server_open"):
            try:
                meta = None if metadata == "(none)" else resolve_inside(metadata, folder)
                opened = served.open_served(resolve_inside(chosen, folder), meta)
            except DataError as error:
                st.error(f"{md(error)}\n\nNothing was changed.", icon=":material/error:")
                return
            st.session_state[_SESSION_SET] = opened.key
            st.session_state["bigmap_source"] = opened.key


# ---------------------------------------------------------------------------------------- the page

def explore_served(chosen: served.Served) -> None:
    """Controls, the map (polled while UMAP computes), and the picked point's neighbours."""
    data = chosen.data
    st.caption(f"{md(data.name)}: {data.n:,} vectors × {data.dim} · opened on the server in {data.seconds:.1f} s · "
               "every point is drawn; a density-aware sample is hoverable (box-select to zoom in and "
               "sample that window; click a point for its neighbours).")
    top = st.columns([2, 2, 2, 3])
    method = top[0].radio("Layout", ["UMAP", "PCA"], horizontal=True, key="bigmap_layout")
    reproducible = top[0].toggle("Reproducible UMAP", key="bigmap_seeded",
                                 help="Seeded layout: the same every time, but umap-learn then uses one thread.")
    colours = data.category_columns()
    colour = top[1].selectbox("Colour by", colours + ["Nothing"], key="bigmap_colour")
    metric = top[2].selectbox("Neighbours by", ["cosine", "euclidean", "dot"], key="bigmap_metric")
    _search(chosen, top[3])
    job = served.umap_job(chosen, reproducible)
    if method == "UMAP" and job.running:
        st.fragment(run_every=2.0)(_progress)(job)
    elif method == "UMAP" and job.status == "failed":
        st.error(f"UMAP failed ({md(job.error)}); showing PCA instead.")
    layout, note = _layout(chosen, method, job)
    st.fragment(_draw)(chosen, layout, note, None if colour == "Nothing" else colour, metric)


def _progress(job) -> None:
    """Polled while UMAP computes: a progress bar only (the map is not re-sent); the page reruns when done."""
    if not job.running:
        st.rerun()
    stage = job.history[-1]["stage"] if job.history else "starting"
    st.progress(job.fraction, text=f"Computing the UMAP layout ({stage}, {job.elapsed:.0f} s so far); the PCA "
                                   "layout is shown meanwhile and will be replaced.")


def _state(chosen: served.Served) -> dict:
    return st.session_state.setdefault(f"ev_map::{chosen.key}", {"window": None, "found": None,
                                                                    "picked": None, "layout": None})


def _search(chosen: served.Served, column) -> None:
    query = column.text_input("Find", placeholder="part of a title (searches every point)", key="bigmap_search")
    if not query:
        return
    hits = chosen.data.search(query)
    if not len(hits):
        column.caption("No title contains that text.")
        return
    titles = dict(zip(hits.tolist(), chosen.data.titles(hits)))
    row = column.selectbox("Matches", list(titles), format_func=titles.__getitem__, key="bigmap_match")
    state = _state(chosen)
    if row is not None and row != state["found"]:
        state["found"] = int(row)
        state["window"] = None       # centred on it by _draw, in the layout shown


def _layout(chosen: served.Served, method: str, job) -> tuple[served.MapLayout, str]:
    if method == "UMAP" and job.status == "finished":
        return served.map_layout(chosen, "UMAP", job.result), "UMAP layout"
    return served.map_layout(chosen, "PCA", served.pca_layout(chosen)), "PCA layout"


def _draw(chosen: served.Served, layout: served.MapLayout, note: str, colour: str | None, metric: str) -> None:
    """The map of the current window (a fragment: zooming and clicking rerun only this)."""
    from embedviz.viz.mapview import map_figure

    state = _state(chosen)
    if state["layout"] != layout.name:
        state["layout"], state["window"] = layout.name, None
    if state["window"] is None and state["found"] is not None:
        x, y = layout.xy[state["found"]]
        state["window"] = Window.around(float(x), float(y), layout.full.width * FOUND_ZOOM,
                                        layout.full.height * FOUND_ZOOM).as_tuple()
    window = Window(*state["window"]) if state["window"] else layout.full
    shown = mapviews.view(chosen, layout, window, colour, keep=[state["found"], state["picked"]])
    _zoom_buttons(chosen, layout, window)
    with st.container(key="bigmap_chart"):
        _preview(shown.image)
        neighbours = _neighbours(chosen, state["picked"], metric)
        codes, names = mapviews.colour_codes(chosen, colour)
        found = state["found"]
        fig = map_figure(layout.xy, shown.rows, mapviews.hover_text(chosen, shown.rows, colour), window=window,
                         image=shown.image, codes=codes, names=names, found=found,
                         found_label=chosen.data.titles([found])[0] if found is not None else "",
                         picked=state["picked"],
                         neighbours=None if neighbours is None else neighbours["row"].to_numpy(),
                         title=f"{note} · {shown.n_inside:,} points in view, {len(shown.rows):,} hoverable")
        st.plotly_chart(fig, key="bigmap_scatter", on_select=lambda: _on_select(chosen, layout),
                        selection_mode=("points", "box"), config={"displaylogo": False})
    _picked_panel(chosen, state["picked"], neighbours, metric)


def _zoom_buttons(chosen: served.Served, layout: served.MapLayout, window: Window) -> None:
    state = _state(chosen)
    buttons = st.columns([1.3, 1.3, 1.5, 4])
    if buttons[0].button("Zoom in", icon=":material/zoom_in:", key="bigmap_zoom_in"):
        state["window"] = window.zoomed(0.5).as_tuple()
        st.rerun(scope="fragment")
    if buttons[1].button("Zoom out", icon=":material/zoom_out:", key="bigmap_zoom_out"):
        state["window"] = window.zoomed(2.0).as_tuple()
        st.rerun(scope="fragment")
    if buttons[2].button("Whole map", icon=":material/fit_screen:", key="bigmap_reset"):
        state["window"] = layout.full.as_tuple()
        st.rerun(scope="fragment")
    buttons[3].caption("Box select (chart toolbar) zooms into the box; a click picks a point.")


def _preview(image: bytes) -> None:
    """During the session's first seconds, the map's picture in front while Plotly.js (4.7 MB) loads."""
    first_run = st.session_state.setdefault("ev_bigmap_first_run", time.monotonic())
    with st.container(key="bigmap_preview"):
        if time.monotonic() - first_run < PREVIEW_SECONDS:
            # markdown's code is in Streamlit's first bundle: this shows before Plotly.js has loaded
            st.markdown(f"![Map of every point](data:image/png;base64,{base64.b64encode(image).decode()})")
            st.html(_PREVIEW_CSS)


def _on_select(chosen: served.Served, layout: served.MapLayout) -> None:
    """A box zooms into it; a clicked point becomes the picked one."""
    event = st.session_state.get("bigmap_scatter") or {}
    selection = event.get("selection", {}) if isinstance(event, dict) else {}
    state = _state(chosen)
    boxes = selection.get("box") or []
    if boxes:
        xs, ys = boxes[-1].get("x", []), boxes[-1].get("y", [])
        if len(xs) == 2 and len(ys) == 2 and xs[0] != xs[1] and ys[0] != ys[1]:
            state["window"] = (min(xs), max(xs), min(ys), max(ys))
        return
    rows = [int(p["customdata"]) for p in selection.get("points", []) if p.get("customdata") is not None]
    if rows and 0 <= rows[0] < len(layout.xy):
        state["picked"] = rows[0]


def _neighbours(chosen: served.Served, row: int | None, metric: str) -> pd.DataFrame | None:
    if row is None:
        return None
    from embedviz.analysis.scan import scan_neighbours

    def build() -> tuple[np.ndarray, np.ndarray]:
        return scan_neighbours(chosen.data.vectors, chosen.data.norms, row, k=10, metric=metric)

    rows, scores = chosen.views.get_or_build(("neighbours", row, metric), build)
    return pd.DataFrame({"row": rows, "title": chosen.data.titles(rows), metric: scores})


def _picked_panel(chosen: served.Served, row: int | None, neighbours: pd.DataFrame | None, metric: str) -> None:
    if row is None or neighbours is None:
        st.caption("Click a point to list its nearest neighbours among all the vectors.")
        return
    title = chosen.data.titles([row])[0]
    st.subheader(f"Nearest neighbours of {md(title)}")
    st.caption(f"By {metric}, exact, among all {chosen.data.n:,} vectors; drawn as dark dots on the map.")
    st.dataframe(neighbours.assign(id=chosen.data.ids[neighbours["row"].to_numpy()]).drop(columns="row"),
                 hide_index=True)
    if st.button("Clear", key="bigmap_clear_pick"):
        _state(chosen)["picked"] = None
        st.rerun(scope="fragment")
