"""Explore-page pieces that touch session state: uploaded spaces and the scatter selection."""
from __future__ import annotations

import base64
import time

import numpy as np
import pandas as pd
import streamlit as st

from embedviz.dashboard import state
from embedviz.dashboard.records import Space

_EXTERNAL = "ev_external_space"


def external_space() -> Space | None:
    """Embeddings the visitor uploaded (trained elsewhere), if any."""
    return st.session_state.get(_EXTERNAL)


def open_external(vectors_file, metadata_file) -> Space:
    """Validate uploaded vectors (+ metadata) into a Space and keep it. Raises DataError."""
    from embedviz.data.embeddings import load_embeddings

    loaded = load_embeddings(vectors_file.getvalue(), name=vectors_file.name, metadata=metadata_file)
    table = loaded.metadata.reset_index(drop=True).copy()
    if "title" not in table:
        text_columns = [c for c in table.columns if table[c].dtype == object and c != "genres"]
        table["title"] = table[text_columns[0]].astype(str) if text_columns else [str(i) for i in loaded.ids]
    if "genres" not in table:
        table["genres"] = [[] for _ in range(len(table))]
    count_columns = [c for c in table.columns if str(c).lower() in ("count", "popularity", "interactions")]
    popularity = table[count_columns[0]].to_numpy(dtype=float) if count_columns else np.zeros(len(table))
    space = Space(f"Uploaded: {vectors_file.name}", loaded.vectors, table, popularity,
                  np.zeros(len(table), dtype=bool), np.asarray(loaded.ids, dtype=object))
    st.session_state[_EXTERNAL] = space
    return space


def store_selection(chart_key: str, n_items: int, from_model: bool) -> None:
    """on_select callback: keep the picked item rows (global ids from customdata)."""
    event = st.session_state.get(chart_key)
    points = (event or {}).get("selection", {}).get("points", [])
    rows = sorted({int(p["customdata"]) for p in points if "customdata" in p and p["customdata"] is not None})
    items = [r for r in rows if r < n_items]
    if from_model:
        state.set_selection(items)
    else:
        st.session_state["ev_external_selection"] = items


def clear_selection(from_model: bool) -> None:
    if from_model:
        state.set_selection([])
    else:
        st.session_state["ev_external_selection"] = []


def selected_rows(from_model: bool) -> list[int]:
    return state.selection() if from_model else list(st.session_state.get("ev_external_selection", []))


def selection_table(space: Space, rows: list[int]) -> pd.DataFrame:
    table = space.table.iloc[rows][["title"]].copy()
    if "genres" in space.table:
        genres = [", ".join(g) if isinstance(g, list) else "" for g in space.table["genres"].iloc[rows]]
        if any(genres):                      # no empty column for a catalogue without genres
            table["genres"] = genres
    table["interactions"] = space.popularity[rows]
    return table


def projection_csv(space: Space, xy: np.ndarray) -> bytes:
    """id, title, x, y[, z] for download (text neutralised against spreadsheet formulas)."""
    from embedviz.data.export import safe_text_frame

    frame = pd.DataFrame({"id": space.ids, "title": space.titles})
    for axis, column in zip("xyz", xy.T):
        frame[axis] = column
    return safe_text_frame(frame).to_csv(index=False).encode()


# A first visit waits ~1.5 s for the browser to load and start Plotly.js (a 4.7 MB bundle). During a
# session's first seconds the scatter comes with a server-drawn picture of the same points, shown
# until Plotly has drawn the chart on top of it (CSS, so the swap needs no round trip).
PREVIEW_SECONDS = 10.0
_PREVIEW_CSS = "<style>.st-key-explore_chart:has(.js-plotly-plot) .st-key-explore_preview {display: none}</style>"


def scatter_chart(fig, **chart_options):
    """``st.plotly_chart(fig, **chart_options)`` with the static preview in front while Plotly.js loads."""
    from embedviz.viz.preview import static_preview

    first_run = st.session_state.setdefault("ev_explore_first_run", time.monotonic())
    with st.container(key="explore_chart"):
        with st.container(key="explore_preview"):
            if time.monotonic() - first_run < PREVIEW_SECONDS and all(t.type != "scatter3d" for t in fig.data):
                # A markdown image with a data: URL: markdown's code is in Streamlit's first bundle and
                # the picture needs no second request, so it shows before the widgets' code has loaded.
                png = base64.b64encode(static_preview(fig)).decode()
                st.markdown(f"![Preview of the scatter while the interactive chart loads](data:image/png;base64,{png})")
                st.html(_PREVIEW_CSS)
        return st.plotly_chart(fig, **chart_options)
