"""Explore-page pieces: the compact controls (gathered into `ExploreOptions`), the status line,
the map and the neighbours beside it. The page calls them top to bottom with plain arguments.

Every control lives in the URL (widgets bound to query parameters; the pick by id), so a
shared link reopens the same view.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from embedviz.analysis import catalogue
from embedviz.analysis.evidence import LADDER
from embedviz.analysis.labels import group_anchors, padded_range, place_labels
from embedviz.dashboard import explore, links, maps, services
from embedviz.dashboard.explore import UPLOADED
from embedviz.dashboard.maps import LayoutRequest, MapData
from embedviz.dashboard.records import Dataset, Space
from embedviz.dashboard.safe import failure_message, md
from embedviz.viz import plots

MAX_POINTS = 100_000
MAP_HEIGHT = 640
# The smallest plot area (pixels) labels are placed for: at 1400 px wide with the sidebar open the
# map's plot area is about 620 × 560; on a wider screen the boxes only get further apart.
LABEL_AREA_PX = (560, 520)
NEIGHBOURS_K = 10
LIST_METRICS = ("cosine", "euclidean")


@dataclass(frozen=True)
class ExploreOptions:
    """Everything the visitor chose on the Explore page."""

    source: str
    colour_by: str
    n_clusters: int
    request: LayoutRequest
    show_hidden: bool
    sized: bool
    labels: bool
    found: int | None


# ---------------------------------------------------------------- controls


def controls(data: Dataset, trained) -> tuple[Space, ExploreOptions, st.delta_generator.DeltaGenerator]:
    """The row of controls under the title, and under it the status row with its one toggle.

    Every choice starts from the URL (a shared link) and is written back to it.
    Returns the space shown, the options, and the status row's empty slot (for `status_line`).
    ``trained`` is the active model or None (then only uploaded embeddings can be shown).
    """
    defaults: dict[str, object] = {}
    row = st.columns([2.2, 2.4, 2.6, 1.1, 1.1], vertical_alignment="bottom")
    with row[4].popover("Data", icon=":material/dataset:", use_container_width=True):
        source = _source_picker(defaults)
        _upload_form()
    space = _space_for(data, trained, source)
    with row[3].popover("Map", icon=":material/tune:", use_container_width=True):
        request, n_clusters, sized, labels = _map_settings(space, defaults)
    choices = maps.colour_choices(space)
    _start_value("colour", choices[0], defaults, choices)
    colour_by = row[0].selectbox("Colour by", choices, key="colour")
    found = _finder(row[1], row[2], space)
    status, switch = st.columns([5, 1.4], vertical_alignment="center")
    show_hidden = False
    hidden = len(space.vectors) - len(maps.laid_rows(space, request.min_count))
    if hidden:
        _start_value("hidden", False, defaults, parse=links.flag)
        show_hidden = switch.toggle("Show the others", key="hidden",
                                    help=f"Place the {hidden:,} points with too few interactions among their "
                                         "nearest laid-out neighbours (in grey); the layout itself stays as it is.")
    chosen = {key: source if key == "show" else st.session_state.get(key) for key in defaults}
    links.mirror(defaults, chosen)
    st.session_state[_REMEMBERED] = chosen
    options = ExploreOptions(source, colour_by, n_clusters, request, bool(show_hidden), sized, labels, found)
    return space, options, status.empty()


# The choices of the last run: Streamlit forgets a widget's value when another page is shown, and
# coming back to Explore from the menu should not reset the view.
_REMEMBERED = "ev_explore_choices"


def _start_value(key: str, default, defaults: dict, options=None, parse=str, name: str | None = None) -> None:
    """Before drawing widget ``key``: its value from earlier runs, else from the URL, else from the
    last visit of the page, else ``default``. ``name``: the URL parameter (default: the key)."""
    name = name or key
    defaults[name] = default
    if options is not None and key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]            # e.g. a colour the newly shown space does not have
    links.seed(key, parse, None if options is None else (lambda value: value in options), name=name)
    remembered = st.session_state.get(_REMEMBERED, {}).get(name, default)
    st.session_state.setdefault(key, remembered if options is None or remembered in options else default)


# Embeddings opened in this session (not "ev_uploads": the Data page keeps its read uploads there).
_UPLOAD_COUNT = "ev_explore_uploads"


def _source_picker(defaults: dict) -> str:
    choices = [*services.SPACES, UPLOADED]
    # A new widget after each upload, which starts on the uploaded vectors. (Setting the old one
    # from the upload's callback did not hold: with the menu closed, the browser still had the old
    # choice and sent it back with the next rerun.)
    key = f"show_{st.session_state.get(_UPLOAD_COUNT, 0)}"
    _start_value(key, choices[0], defaults, choices, name="show")
    return st.radio("Show", choices, key=key,
                    help="The vectors to lay out: a model's items, its users, both, or embeddings trained "
                         "elsewhere (open them below).")


def _upload_form() -> None:
    st.markdown("**Open embeddings trained elsewhere**")
    st.caption("Vectors as `.npy`, `.npz`, `.csv`/`.tsv` (TensorFlow Projector's vectors.tsv) or Parquet, plus an "
               "optional metadata file with one row per vector (Projector's metadata.tsv).")
    vectors_file = st.file_uploader("Vectors", type=["npy", "npz", "csv", "tsv", "txt", "parquet", "gz"],
                                    key="upload_vectors")
    metadata_file = st.file_uploader("Metadata (optional)", type=["csv", "tsv", "txt", "parquet", "gz"],
                                     key="upload_vectors_metadata")
    st.button("Open these embeddings", type="primary", disabled=vectors_file is None, on_click=_open_upload,
              args=(vectors_file, metadata_file))
    error = st.session_state.pop("ev_upload_error", None)
    if error:
        st.error(error, icon=":material/error:")


def _open_upload(vectors_file, metadata_file) -> None:
    """on_click (so the "show" choice can still change): open the files, or keep one message."""
    try:
        explore.open_external(vectors_file, metadata_file)
    except Exception as error:   # never Streamlit's exception box for a visitor's file
        st.session_state["ev_upload_error"] = failure_message(
            vectors_file.name, error, "Nothing was changed: the embeddings shown before, the data set and the "
                                      "model in use stay.")
        return
    count = st.session_state.get(_UPLOAD_COUNT, 0) + 1
    st.session_state[_UPLOAD_COUNT] = count
    st.session_state[f"show_{count}"] = UPLOADED


def _space_for(data: Dataset, trained, source: str) -> Space:
    external = explore.external_space()
    if source == UPLOADED and external is not None:
        return external
    if source == UPLOADED:
        st.info("No embeddings uploaded in this session yet: open some in the **Data** menu above (uploads "
                "stay in the session that made them, so a shared link cannot bring them along).")
        st.stop()
    if trained is None:
        st.info("Nothing to show yet. Train a model on the **Train** page, or open embeddings trained elsewhere "
                "in the **Data** menu above.")
        st.page_link("pages/2_Train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    return services.model_space(data, trained, source)


CLUSTER_CHOICES = ["auto", *map(str, range(2, 31))]


def _map_settings(space: Space, defaults: dict) -> tuple[LayoutRequest, int, bool, bool]:
    _start_value("layout", "UMAP", defaults, ["UMAP", "PCA"])
    method = st.radio("Layout", ["UMAP", "PCA"], horizontal=True, key="layout",
                      help="UMAP keeps neighbourhoods; PCA is a linear view, instant.")
    _start_value("d3", False, defaults, parse=links.flag)
    dims = 3 if st.toggle("3-D", key="d3") else 2
    _start_value("seed", False, defaults, parse=links.flag)
    seeded = st.toggle("Reproducible layout", key="seed",
                       help="A fixed seed gives the same layout every time, but forces UMAP onto one thread: "
                            "several times slower on large sets. Off: each computation arranges the groups "
                            "differently (their neighbourhoods stay the same).")
    min_count = 0
    if np.any(maps.evidence(space) > 0):
        chosen = maps.threshold(space)
        steps = [c for c in LADDER if c <= max(int(maps.evidence(space).max()), 1)]
        _start_value("min", chosen.min_count if chosen.min_count in steps else steps[0], defaults, steps, parse=int)
        min_count = st.select_slider(f"Lay out points with at least this many {maps.evidence_unit(space)}", steps,
                                     key="min", help=f"Chosen from the data: {chosen.reason} Changing it computes "
                                                     "a new layout.")
    _start_value("clusters", "auto", defaults, CLUSTER_CHOICES)
    count = st.select_slider("Clusters", CLUSTER_CHOICES, key="clusters",
                             help="k-means on the laid-out vectors (direction only, like the layout). Auto: the "
                                  "count from 4 to 16 whose clusters are best separated (silhouette).")
    n_clusters = maps.AUTO if count == "auto" else int(count)
    _start_value("labels", True, defaults, parse=links.flag)
    labels = st.toggle("Cluster names on the map", key="labels")
    sized = False
    if np.any(space.popularity > 0):
        _start_value("size", False, defaults, parse=links.flag)
        sized = st.toggle("Size by popularity", key="size")
    return LayoutRequest("umap" if method == "UMAP" else "pca", dims, int(min_count), bool(seeded)), \
        n_clusters, bool(sized), bool(labels)


def _finder(left, right, space: Space) -> int | None:
    """Search box and its matches (always both drawn, so the page keeps its shape)."""
    query = left.text_input("Find an item", placeholder="part of a title", key="find")
    found = catalogue.search_titles(space.titles, query) if query else np.array([], dtype=int)
    # One widget per query: a keyed selectbox keeps its old (empty) value when its options change,
    # so a new search would otherwise show "no match" above its own matches.
    choice = right.selectbox("Matches", found.tolist(), format_func=lambda i: space.titles[i], key=f"found::{query}",
                             disabled=not len(found), index=0 if len(found) else None,
                             placeholder="no match" if query else "type to search")
    if choice is not None and st.session_state.get("ev_last_found") != (space.name, choice):
        st.session_state["ev_last_found"] = (space.name, choice)
        explore.set_pick(space, choice, [choice])
    return choice


# ---------------------------------------------------------------- status line


def status_line(slot, space: Space, options: ExploreOptions, view: MapData, n_drawn: int, n_passing: int) -> None:
    """What is laid out, what is hidden, how far the map can be trusted (into the status row's slot)."""
    noun = "users" if space.is_user.all() else "points"
    n, laid = len(space.vectors), len(view.layout.rows)
    method = "UMAP" if view.layout.info.method == "umap" else "PCA"
    parts = []
    if laid < n:
        hidden = n - laid
        shown = "shown in grey, placed by their nearest neighbours" if options.show_hidden else "hidden"
        parts.append(f"{method} of **{laid:,}** {noun} with ≥ {options.request.min_count} "
                     f"{maps.evidence_unit(space)}; {hidden:,} with fewer are {shown}.")
    else:
        parts.append(f"{method} of all **{n:,}** {noun}.")
    if n_passing < len(view.on_map):
        parts.append(f"{n_passing:,} pass the filters.")
    if n_drawn < n_passing:
        parts.append(f"A random {n_drawn:,} of them are drawn (the density is kept).")
    if np.isfinite(view.layout.overall):
        parts.append(f"Neighbourhood preserved: **{view.layout.overall:.0%}** of each point's {view.layout.k} true "
                     f"neighbours are among its {view.layout.k} nearest on the map (mean).")
    slot.markdown(" ".join(parts), help=_threshold_help(space, options))


def _threshold_help(space: Space, options: ExploreOptions) -> str | None:
    if not np.any(maps.evidence(space) > 0):
        return None
    chosen = maps.threshold(space)
    return (f"{chosen.reason} Change it in the Map menu. Preservation: the share of a point's {NEIGHBOURS_K} nearest "
            "neighbours in the full-dimensional space that are also among its nearest on the 2-D map; low values "
            "mean what is drawn next to the point is not what is close to it.")


def layout_progress(job, showing_result: bool, redraw: bool = True) -> None:
    """Progress and an estimate while the layout is computed; once it is ready, rerun the page to
    draw it. ``showing_result``: the page draws the job's result already. ``redraw`` False: the
    positions drawn are already the final ones (PCA), so only the preservation figure is added
    here instead of sending the whole map again."""
    if job.status == "finished":
        if showing_result or job.result is None:
            return
        if redraw:
            st.rerun()
        layout = job.result
        st.caption(f"Neighbourhood preserved: **{layout.overall:.0%}** of each point's {layout.k} true neighbours "
                   f"are among its {layout.k} nearest on the map (mean).")
        return
    if job.status == "failed":
        st.error(f"The layout failed ({md(job.error)}); showing PCA instead.", icon=":material/error:")
    elif job.running:
        left = maps.estimate_seconds_left(job)
        eta = "" if left is None else f", about {left:.0f} s left"
        st.progress(job.fraction, text=f"{md(job.name)}: {maps.stage_of(job)} · {job.elapsed:.0f} s{eta} — the PCA "
                                       "layout is shown meanwhile and is replaced when this is done.")


def redraw_when_ready(options: ExploreOptions) -> bool:
    """Whether the finished layout changes the map: UMAP's does; PCA's has the same positions as the
    stand-in and only adds the preservation figure (unless the points are coloured by it)."""
    return options.request.method != "pca" or options.colour_by == catalogue.COLOUR_BY_PRESERVATION


# ---------------------------------------------------------------- the map


def points_shown(space: Space, view: MapData, keep: np.ndarray, picked) -> tuple[np.ndarray, int]:
    """The rows drawn on the map (filtered; sampled when too many, keeping the pick and its
    neighbours), and how many passed the filters."""
    candidates = view.on_map[keep[view.on_map]]
    lists = neighbour_lists(space, view, picked.focus)
    must = [*([] if picked.focus is None else [picked.focus]), *picked.rows,
            *[r for rows, _ in lists.values() for r in rows]]
    return catalogue.points_to_draw(candidates, MAX_POINTS, must), len(candidates)


def map_figure(space: Space, options: ExploreOptions, view: MapData, shown: np.ndarray, picked):
    """The map's figure: the points ``shown``, the pick, lines to the focus's true neighbours, labels."""
    lists = neighbour_lists(space, view, picked.focus)
    xy = view.xy[shown]
    colour, numeric, log = catalogue.colour_values(
        space.table.iloc[shown], options.colour_by, space.popularity[shown], view.cluster_name(shown),
        view.preservation[shown])
    highlight, lines = _pick_overlays(view, shown, picked, lists)
    x_range, y_range = padded_range(view.xy[view.on_map, 0]), padded_range(view.xy[view.on_map, 1])
    labels = _labels(view, shown, x_range, y_range) if options.labels and options.request.dims == 2 else None
    return plots.embedding_scatter(
        xy, row_ids=shown, hover=maps.hover_texts(space)[shown].tolist(), colour=colour,
        colour_label=options.colour_by, numeric_colour=numeric, log_colour=log,
        sizes=catalogue.sizes_from_popularity(space.popularity[shown]) if options.sized else None,
        is_user=space.is_user[shown], highlight=highlight, labels=labels, title="",
        height=MAP_HEIGHT, category_order=_category_order(space, options, view), lines=lines,
        faded=view.placed[shown] if view.placed.any() else None, faded_label="placed by neighbours",
        x_range=None if options.request.dims == 3 else x_range, y_range=None if options.request.dims == 3 else y_range,
        unit_colour=options.colour_by == catalogue.COLOUR_BY_PRESERVATION)


def _category_order(space: Space, options: ExploreOptions, view: MapData) -> list[str] | None:
    if options.colour_by == catalogue.COLOUR_BY_CLUSTER:
        return [view.cluster_names[c] for c in sorted(view.cluster_names)]
    if options.colour_by == catalogue.COLOUR_BY_GENRE:
        return catalogue.all_genres(space.table)
    return None


def _labels(view: MapData, shown: np.ndarray, x_range, y_range) -> list[tuple[float, float, str]]:
    laid = shown[~view.placed[shown]]
    anchors = group_anchors(view.xy[laid], view.cluster[laid])
    placed = place_labels(anchors, view.cluster_names, x_range=x_range, y_range=y_range,
                          width_px=LABEL_AREA_PX[0], height_px=LABEL_AREA_PX[1], min_members=max(5, len(laid) // 400))
    return [(label.x, label.y, label.text) for label in placed]


def _pick_overlays(view: MapData, shown, picked, lists) -> tuple[dict, dict]:
    highlight: dict[str, np.ndarray] = {}
    lines: dict[str, np.ndarray] = {}
    if picked.focus is not None and np.isfinite(view.xy[picked.focus, 0]):
        start = view.xy[picked.focus]
        for metric, (rows, _) in lists.items():
            highlight[metric] = np.isin(shown, rows)
            lines[metric] = np.stack([np.broadcast_to(start, (len(rows), len(start))), view.xy[rows]], axis=1)
        highlight["query"] = shown == picked.focus
    if len(picked.rows) > 1:
        highlight = {"selected": np.isin(shown, picked.rows), **highlight}
    return highlight, lines


def neighbour_lists(space: Space, view: MapData, focus: int | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The focus's top-k cosine and euclidean neighbours among the points on the map."""
    if focus is None or not np.isfinite(view.xy[focus, 0]):
        return {}
    index = services.neighbour_index(space)
    off_map = np.setdiff1d(np.arange(len(space.vectors)), view.on_map)
    return {m: index.query(focus, k=NEIGHBOURS_K, metric=m, exclude=off_map) for m in LIST_METRICS}


def draw_map(space: Space, fig) -> None:
    """The chart (with its stand-in picture while Plotly draws); clicks and lassos update the pick."""
    explore.scatter_chart(fig, key="explore_map", on_select=functools.partial(explore.store_map_selection,
                                                                               "explore_map", space),
                          selection_mode=("points", "box", "lasso"))


# ---------------------------------------------------------------- beside the map


LIST_COLUMNS = {
    "": st.column_config.TextColumn("", width=22, help="● also in the other list"),
    "score": st.column_config.NumberColumn("score", width=60, format="%.3f"),
    "title": st.column_config.TextColumn("title"),
}


def side_panel(space: Space, view: MapData, picked, source: str) -> None:
    """The focus's neighbours (cosine, euclidean) and how many the map keeps; or the selection; or a hint."""
    with st.container(key="explore_side"):
        _side_panel(space, view, picked, source)


def _side_panel(space: Space, view: MapData, picked, source: str) -> None:
    if picked.focus is None:
        _no_focus(space, picked)
        return
    focus = picked.focus
    st.markdown(f"**{md(space.titles[focus])}**")
    info = [f"{int(space.popularity[focus]):,} interactions"] if space.popularity[focus] > 0 else []
    info.append(f"cluster: {view.cluster_names.get(int(view.cluster[focus]), '')}")
    st.caption(md(" · ".join(info)))
    lists = neighbour_lists(space, view, focus)
    if not lists:
        st.caption("This point is not on the map (hidden by the interaction threshold).")
        return
    kept = view.preservation[focus]
    if np.isfinite(kept):
        st.caption(f"{kept * view.layout.k:.0f} of its {view.layout.k} true (cosine) neighbours are among its "
                   f"{view.layout.k} nearest on the map. Lines go to the true ones.")
    both = set(lists["cosine"][0].tolist()) & set(lists["euclidean"][0].tolist())
    for metric, (rows, scores) in lists.items():
        st.markdown(f":{_COLOUR_NAMES[metric]}[●] **{'Cosine' if metric == 'cosine' else 'Euclidean'}**",
                    help="Similarity of direction (1 = same)" if metric == "cosine" else
                    "Distance between the vectors (0 = same)")
        table = pd.DataFrame({"": ["●" if r in both else "" for r in rows], "score": scores,
                              "title": space.titles[rows]})
        with st.container(key=f"explore_list_{metric}"):
            st.dataframe(table, hide_index=True, column_config=LIST_COLUMNS, row_height=24,
                         height=38 + 24 * len(table))
    st.page_link("pages/4_Neighbours.py", label="All three metrics side by side", icon=":material/hub:",
                 query_params={"item": str(space.ids[focus]), **({"space": "uploaded"} if source == UPLOADED else {})})
    st.button("Clear", icon=":material/close:", key="explore_clear_focus", on_click=explore.clear_pick, args=(space,))


_COLOUR_NAMES = {"cosine": "blue", "euclidean": "orange"}


def _no_focus(space: Space, picked) -> None:
    if picked.rows:
        st.markdown(f"**Selected: {len(picked.rows):,} points**")
        st.caption("They are listed in the table below the charts and can be exported there.")
        st.button("Clear selection", icon=":material/close:", key="explore_clear_selection",
                  on_click=explore.clear_pick, args=(space,))
        return
    st.markdown("**Click a point**")
    st.caption("to list its 10 nearest neighbours by cosine and by euclidean distance here, with lines to them on "
               "the map: where the lines run far, the map has pulled true neighbours apart. Lasso or box select "
               "(chart toolbar) picks a group.")
