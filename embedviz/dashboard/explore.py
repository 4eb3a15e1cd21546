"""Explore-page state: uploaded spaces, the map's selection and focus, and the chart container.

The selection (rows picked with a click, box or lasso) and the focus (the one point whose
neighbours are shown) belong to a space; both are mirrored in the URL by id (``focus``,
``sel``), so a shared link reopens them.
"""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from embedviz.dashboard import state
from embedviz.dashboard.records import Space

_EXTERNAL = "ev_external_space"
UPLOADED = "Uploaded embeddings"
# Ids of at most this many selected points go into the URL.
MAX_URL_SELECTION = 200


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


# ---------------------------------------------------------------- selection and focus


@dataclass
class MapPick:
    """What is picked on a space's map: a focus point and a set of rows (space row indices)."""

    space: str
    focus: int | None = None
    rows: list[int] = field(default_factory=list)


def pick(space: Space) -> MapPick:
    """This session's pick on ``space``; a new space starts from the URL's ``focus``/``sel``."""
    current = st.session_state.get("ev_map_pick")
    if current is None or current.space != space.name:
        current = MapPick(space.name, *_from_url(space))
        st.session_state["ev_map_pick"] = current
    return current


def _from_url(space: Space) -> tuple[int | None, list[int]]:
    ids = space.ids.astype(str)
    position = {value: row for row, value in enumerate(ids)}
    focus = position.get(st.query_params.get("focus", ""))
    wanted = [p for p in st.query_params.get("sel", "").split(",") if p]
    rows = sorted({position[p] for p in wanted if p in position})
    return focus, rows


def set_pick(space: Space, focus: int | None, rows) -> None:
    """Change the pick (and the URL, and the item selection other pages read)."""
    current = pick(space)
    current.focus = None if focus is None else int(focus)
    current.rows = sorted({int(r) for r in rows})
    _to_url(space, current)
    if not space.is_user.any() and space.name != UPLOADED and not space.name.startswith("Uploaded"):
        state.set_selection(current.rows)


def _to_url(space: Space, current: MapPick) -> None:
    ids = space.ids.astype(str)
    if current.focus is None:
        st.query_params.pop("focus", None)
    else:
        st.query_params["focus"] = ids[current.focus]
    if current.rows and len(current.rows) <= MAX_URL_SELECTION:
        st.query_params["sel"] = ",".join(ids[current.rows])
    else:
        st.query_params.pop("sel", None)


def store_map_selection(chart_key: str, space: Space) -> None:
    """on_select callback of the map: one point = focus it; a box or lasso = select the rows."""
    event = st.session_state.get(chart_key)
    points = (event or {}).get("selection", {}).get("points", [])
    rows = sorted({int(p["customdata"]) for p in points if p.get("customdata") is not None})
    current = pick(space)
    if len(rows) == 1:
        set_pick(space, rows[0], rows)
    elif rows:
        set_pick(space, None, rows)
    else:
        set_pick(space, current.focus, [])


def clear_pick(space: Space) -> None:
    set_pick(space, None, [])


# ---------------------------------------------------------------- the chart


# The map is drawn anew (a new Plotly instance) whenever its figure changes, and a new WebGL
# scatter takes a moment to appear (seconds on a busy machine; on a first visit Plotly.js itself
# still loads). A server-drawn picture of the same figure lies over the chart's place until
# Plotly's canvas exists (CSS, no round trip), and the place keeps its height, so the page
# neither blanks nor jumps. (The page's top padding is halved too: the map is the page.)
_CHART_CSS = """<style>
[data-testid="stMainBlockContainer"] {padding-top: 3.5rem}
.st-key-explore_chart {position: relative; min-height: %dpx}
.st-key-explore_preview {position: absolute; top: 0; left: 0; right: 0; z-index: 2; pointer-events: none;
                         background: white}
.st-key-explore_preview img {width: 100%%; height: %dpx}
.st-key-explore_chart:has(.js-plotly-plot .gl-container canvas) .st-key-explore_preview,
.st-key-explore_chart:has(.js-plotly-plot .gl-container canvas) .st-key-explore_preview * {display: none}
</style>"""
# First visits keep the picture longest; it is sent with every figure (a few tens of kB).
PREVIEW_SECONDS = float("inf")


def scatter_chart(fig, **chart_options):
    """``st.plotly_chart(fig, **chart_options)`` with the server-drawn picture in front until Plotly has drawn."""
    from embedviz.viz.preview import static_preview

    first_run = st.session_state.setdefault("ev_explore_first_run", time.monotonic())
    height = int(fig.layout.height or 640)
    st.html(_CHART_CSS % (height, height))
    with st.container(key="explore_chart"):
        with st.container(key="explore_preview"):
            if time.monotonic() - first_run < PREVIEW_SECONDS and all(t.type != "scatter3d" for t in fig.data):
                # A markdown image with a data: URL: markdown's code is in Streamlit's first bundle and
                # the picture needs no second request, so it shows before the widgets' code has loaded.
                png = base64.b64encode(static_preview(fig, width=900)).decode()
                st.markdown(f"![Preview of the scatter while the interactive chart loads](data:image/png;base64,{png})")
        return st.plotly_chart(fig, **chart_options)
