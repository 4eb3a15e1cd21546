"""Explore: the map of a vector space — clusters, neighbours on click, and how far to trust it."""
import streamlit as st

from embedviz.dashboard import bigmap, explore, explore_tables, explore_view, maps, present, state
from embedviz.dashboard.sidebar import setup_page

data = setup_page("Explore", ":material/scatter_plot:")
present.for_an_audience("explore", data)   # present mode: the plain version of this page, then stop
st.title("Explore", help="Each point is a vector; similar ones end up close together. The layout keeps each "
                         "point's nearest neighbours (by cosine similarity) nearby — the status line says how well.")

# A vector file opened on the server (`python -m embedviz explore FILE`, or the operator's folder): its own
# map for any size (density image of every point, a hoverable sample, search and neighbours over all rows).
on_server = bigmap.served_choice()
if on_server is not None:
    bigmap.explore_served(on_server)
    st.stop()

# Inputs: the row of controls (with the Data and Map menus) and the status row's toggle.
space, options, status = explore_view.controls(data, state.active_model())
view = maps.map_data(space, options.request, options.n_clusters, options.show_hidden)
facets = maps.facets(space, options.request.min_count, options.n_clusters, options.show_hidden)
chosen = explore_tables.chosen_bars(space, facets)
keep = explore_tables.filter_rows(facets, chosen, len(space.vectors))
picked = explore.pick(space)

shown, n_passing = explore_view.points_shown(space, view, keep, picked)

# The status line and, while UMAP runs, its progress (polled; the page reruns when it is ready).
explore_view.status_line(status, space, options, view, len(shown), n_passing)
st.fragment(run_every=0.5 if view.job.running else None)(explore_view.layout_progress)(
    view.job, view.layout is view.job.result, explore_view.redraw_when_ready(options))

# The map, and beside it the clicked point's neighbours.
left, right = st.columns([2.15, 1], gap="medium")
with left:
    explore_view.draw_map(space, explore_view.map_figure(space, options, view, shown, picked))
with right:
    explore_view.side_panel(space, view, picked, options.source)

# Linked charts (cross-filter), then the table of the points shown or selected, and their export.
explore_tables.linked_charts(space, facets, chosen, view.on_map)
rows, what = explore_tables.table_rows(view, keep, picked)
explore_tables.points_table(space, view, rows, what)
