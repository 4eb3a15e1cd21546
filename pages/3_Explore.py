"""Explore: the learned space as an interactive scatter (UMAP, with PCA shown at once)."""
import numpy as np
import streamlit as st

from embedviz.analysis import catalogue
from embedviz.dashboard import bigmap, explore, services
from embedviz.dashboard.safe import md
from embedviz.dashboard.sidebar import require_model, setup_page
from embedviz.errors import DataError
from embedviz.viz import plots

MAX_POINTS = 100_000

data = setup_page("Explore", ":material/scatter_plot:")
st.title("Explore")
st.caption("Each point is a vector. Similar items end up close together: the layout keeps each point's nearest "
           "neighbours (by cosine similarity) nearby. Click a point to select it; the chart's toolbar has Lasso and "
           "Box select for groups.")

on_server = bigmap.served_choice()
if on_server is not None:      # a file opened on the server (`python -m embedviz explore FILE`)
    bigmap.explore_served(on_server)
    st.stop()

with st.expander("Open embeddings trained elsewhere", icon=":material/upload:"):
    st.caption("Vectors as `.npy`, `.npz`, `.csv`/`.tsv` (TensorFlow Projector's vectors.tsv) or Parquet, "
               "plus an optional metadata file with one row per vector (Projector's metadata.tsv).")
    left, right = st.columns(2)
    vectors_file = left.file_uploader("Vectors", type=["npy", "npz", "csv", "tsv", "txt", "parquet"])
    metadata_file = right.file_uploader("Metadata (optional)", type=["csv", "tsv", "txt", "parquet"])
    if vectors_file is not None and st.button("Open these embeddings", type="primary"):
        try:
            explore.open_external(vectors_file, metadata_file)
        except DataError as error:
            st.error(f"{md(error)}\n\nNothing was changed.", icon=":material/error:")

sources = list(services.SPACES) + (["Uploaded embeddings"] if explore.external_space() else [])
top = st.columns([3, 2, 1])
which = top[0].radio("Show", sources, horizontal=True)
method = top[1].radio("Layout", ["UMAP", "PCA"], horizontal=True,
                      help="UMAP keeps neighbourhoods; PCA is a linear view, instant.")
dims = 3 if top[2].toggle("3-D") else 2

from_model = which != "Uploaded embeddings"
if from_model:
    space = services.model_space(data, require_model(), which)
else:
    space = explore.external_space()

controls = st.columns([2, 2, 1, 1])
colour_by = controls[0].selectbox("Colour by", catalogue.colour_options(space.table, bool(space.popularity.any())))
genres = controls[1].multiselect("Only these genres", catalogue.all_genres(space.table), placeholder="all genres")
sized = controls[2].toggle("Size by popularity")
density = controls[3].toggle("Density", help="Shaded contours under the points show where they pile up.")
top_pop = int(space.popularity.max()) if len(space.popularity) else 0
min_count = st.slider("At least this many interactions", 0, max(1, min(top_pop, 200)), 0) if top_pop else 0
n_clusters = 12
if colour_by == catalogue.COLOUR_BY_CLUSTER:
    n_clusters = st.slider("Number of clusters", 2, 30, 12)

query = st.text_input("Find an item", placeholder="type part of a title", key="explore_search")
found = catalogue.search_titles(space.titles, query) if query else np.array([], dtype=int)
target = None
if len(found):
    target = int(st.selectbox("Matches", found, format_func=lambda i: space.titles[i]))
elif query:
    st.caption("No title contains that text.")


def draw() -> None:
    """The scatter; re-polled while UMAP computes, then swapped to the UMAP layout."""
    xy, note = services.pca_layout(space, dims), "PCA layout"
    if method == "UMAP":
        job = services.umap_job(space, dims)
        if job.status == "finished":
            xy, note = job.result, "UMAP layout"
        elif job.status == "failed":
            st.error(f"UMAP failed ({md(job.error)}); showing PCA instead.")
        else:
            st.info(f"Computing the UMAP layout ({job.elapsed:.0f} s so far) — the PCA layout is shown meanwhile "
                    "and will be replaced automatically.", icon=":material/hourglass_top:")
    keep = catalogue.filter_mask(space.table, space.popularity, genres, min_count)
    rows = np.flatnonzero(keep)
    pinned = np.searchsorted(rows, [target] if target is not None and keep[target] else [])
    shown = rows[catalogue.display_sample(len(rows), MAX_POINTS, pinned)]
    if len(shown) < len(rows):
        note += f" · showing a random sample of {len(shown):,} of {len(rows):,} points (density preserved)"
    else:
        note += f" · {len(shown):,} points"
    colour, numeric, log = catalogue.colour_values(space.table.iloc[shown], colour_by, space.popularity[shown],
                                                   _clusters(shown))
    selected = explore.selected_rows(from_model)
    highlight = {"selected": np.isin(shown, selected)} if selected else {}
    if target is not None:
        highlight[f"found: {space.titles[target]}"] = shown == target
    fig = plots.embedding_scatter(
        xy[shown], row_ids=shown, hover=catalogue.hover_text(space.table.iloc[shown], space.popularity[shown]),
        colour=colour, colour_label=colour_by, numeric_colour=numeric, log_colour=log,
        sizes=catalogue.sizes_from_popularity(space.popularity[shown]) if sized else None,
        is_user=space.is_user[shown], highlight=highlight, labels=_cluster_names(xy, shown),
        density=density, title=note)
    if target is not None:
        _centre(fig, xy[target])
    explore.scatter_chart(fig, key="explore_scatter", on_select=lambda: explore.store_selection(
        "explore_scatter", int((~space.is_user).sum()), from_model), selection_mode=("points", "box", "lasso"))
    downloads(xy, fig)
    show_selection()
    if polling and method == "UMAP" and services.umap_job(space, dims).status == "finished":
        st.rerun()  # the whole page, so the fragment stops polling


def _clusters(shown):
    if colour_by != catalogue.COLOUR_BY_CLUSTER:
        return None
    labels, names = services.cluster_labels(space, n_clusters)
    return np.array([names[label] for label in labels[shown]], dtype=object)


def _cluster_names(xy, shown):
    if colour_by != catalogue.COLOUR_BY_CLUSTER or dims == 3:
        return None
    labels, names = services.cluster_labels(space, n_clusters)
    return [(float(np.median(xy[shown][labels[shown] == c, 0])), float(np.median(xy[shown][labels[shown] == c, 1])),
             names[c]) for c in np.unique(labels[shown])]


def _centre(fig, point) -> None:
    if len(point) == 2:
        fig.update_xaxes(range=[point[0] - 1.5, point[0] + 1.5])
        fig.update_yaxes(range=[point[1] - 1.5, point[1] + 1.5])


def downloads(xy, fig) -> None:
    left, right = st.columns(2)
    left.download_button("Download layout (CSV)", lambda: explore.projection_csv(space, xy), "layout.csv",
                         "text/csv", icon=":material/download:")
    right.download_button("Download figure (HTML)", lambda: fig.to_html(include_plotlyjs=True), "layout.html",
                          "text/html", icon=":material/download:")



def show_selection() -> None:
    """The picked items; inside the fragment so a click updates it at once."""
    rows = explore.selected_rows(from_model)
    st.subheader(f"Selected: {len(rows)} item{'s' if len(rows) != 1 else ''}")
    if not rows:
        st.caption("Nothing selected yet: click a point, or choose Lasso / Box select in the chart's toolbar "
                   "and draw around a group.")
        return
    st.dataframe(explore.selection_table(space, rows), hide_index=True)
    left, right = st.columns(2)
    if from_model:
        left.page_link("pages/4_Neighbours.py", label="Compare this item's neighbours", icon=":material/hub:")
        left.page_link("pages/5_Recommend.py", label="Build a new user from these items", icon=":material/recommend:")
    if right.button("Clear selection"):
        explore.clear_selection(from_model)
        st.rerun()


polling = method == "UMAP" and services.umap_job(space, dims).running
st.fragment(run_every=1.0 if polling else None)(draw)()
