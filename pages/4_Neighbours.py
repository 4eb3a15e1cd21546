"""Neighbours: cosine vs euclidean vs dot-product neighbours side by side, and why they differ."""
import numpy as np
import streamlit as st

from embedviz.analysis.metrics import METRICS
from embedviz.dashboard import links, services, state
from embedviz.dashboard import neighbours_view as view
from embedviz.dashboard.safe import md
from embedviz.dashboard.sidebar import setup_page

data = setup_page("Neighbours", ":material/hub:")
params = links.read({"space": links.Choice(("model", "uploaded")), "query": links.Choice(("item", "user")),
                     "item": links.Text(), "user": links.Text(), "k": links.Int(3, 50),
                     "normalise": links.Choice(("0", "1"))})
trained = state.active_model()
space, uploaded = view.pick_space(data, trained, params.get("space"))
if state.presenting():    # an audience: plain words and full titles, no statistics (this ends the page)
    view.present_page(space, params.get("item"))
st.title("Neighbours")
st.caption("“Close” is a choice. **Cosine** compares direction only; **euclidean** distance also counts vector "
           "length; the **dot product** — what recommendation scores use — rewards long vectors.")
top = st.columns([1, 3, 1, 1])
mode = "Item"
if not uploaded:    # uploaded embeddings have no users
    mode = top[0].radio("Query", ["Item", "User"], horizontal=True, index=1 if params.get("query") == "user" else 0,
                        key="nb_mode")
k = top[2].number_input("k", 3, 50, int(params.get("k", 10)), help="How many neighbours per list.", key="nb_k")
normalise = top[3].toggle("Normalise", value=params.get("normalise") == "1",
                          help="Scale every vector to length 1. Then cosine and euclidean rank identically.",
                          key="nb_normalise")

with top[1]:
    if mode == "Item":
        query = view.pick_item(space, params.get("item"), [] if uploaded else state.selection())
        label = space.titles[query]
    else:
        query = view.pick_user(data, params.get("user"))
        label = f"user {data.interactions.user_ids[query]}"
links.write(query=mode.lower(), k=k, normalise=int(normalise), space="uploaded" if uploaded else "model",
            **({"item": space.ids[query]} if mode == "Item" else {"user": data.interactions.user_ids[query]}))

exclude_seen = mode == "User" and st.toggle("Leave out items this user has already seen", value=True)
lists = view.neighbour_lists(space, trained, mode, query, int(k), normalise, exclude_seen)
norms = np.linalg.norm(services.neighbour_index(space, normalised=normalise).vectors, axis=1)
stats = view.statistics(lists, space.popularity, norms)

st.markdown(f"#### Neighbours of **{md(label)}**")
st.info(view.caption(lists, space.popularity, norms), icon=":material/lightbulb:")
cols = st.columns(4)
cols[0].metric("Cosine ∩ euclidean", f"{stats[('cosine', 'euclidean')]['shared']} of {len(lists['cosine'][0])}",
               help="Items in both lists.")
cols[1].metric("Jaccard cosine/euclidean", f"{stats[('cosine', 'euclidean')]['jaccard']:.2f}")
cols[2].metric("Jaccard cosine/dot", f"{stats[('cosine', 'dot')]['jaccard']:.2f}")
corr = stats[("cosine", "euclidean")]["rank_correlation"]
cols[3].metric("Rank agreement (shared items)", "–" if corr is None else f"{corr:+.2f}",
               help="Spearman correlation of the shared items' ranks in the cosine and euclidean lists.")

columns = st.columns(len(METRICS))
for column, (metric, spec) in zip(columns, METRICS.items()):
    with column:
        st.markdown(f"**{spec.label}**")
        st.caption(f"score = {spec.score_help}")
        st.dataframe(view.list_table(space, lists, metric), hide_index=True, height=38 + 35 * len(lists[metric][0]),
                     column_config=view.LIST_COLUMNS, column_order=view.LIST_ORDER)

# Both charts; re-polled until the UMAP layout replaces the PCA one.
st.fragment(run_every=1.0 if services.layout_running(space) else None)(view.draw_maps)(
    space, lists, query if mode == "Item" else None, norms, services.layout_running(space))
