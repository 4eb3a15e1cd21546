"""embedviz home page: what this is, the data set in use, where to go next."""
import streamlit as st

from embedviz.dashboard import state
from embedviz.dashboard.safe import md
from embedviz.dashboard.sidebar import PAGES, setup_page

data = setup_page("Home", ":material/home:")

st.title("embedviz")
st.markdown(
    "#### Turn who-liked-what into vectors, and see what *close* means\n"
    "A user's taste or a film is not a number. Factorizing the feedback matrix **A ≈ U Vᵀ** gives every user "
    "and every item a vector so that similar things end up close together. embedviz trains that factorization, "
    "draws the learned space, and shows how the choice of *similarity* (cosine, euclidean, dot product) changes "
    "which items count as neighbours — and which get recommended."
)

matrix = data.interactions
st.markdown(f"#### Data set in use: {md(data.name)}")
b, c, d = st.columns(3)
b.metric("Users", f"{matrix.n_users:,}")
c.metric("Items", f"{matrix.n_items:,}")
d.metric("Interactions", f"{matrix.nnz:,}")

trained = state.active_model()
if trained is not None:
    ndcg = next((v for k, v in trained.metrics.items() if k.startswith("ndcg")), None)
    base = next((v for k, v in trained.baseline_metrics.items() if k.startswith("ndcg")), None)
    if ndcg is not None and base is not None:
        st.success(f"Model in use: **{md(trained.name)}** — NDCG@10 {ndcg:.3f} on held-out interactions "
                   f"(popularity baseline {base:.3f}).", icon=":material/check_circle:")

st.markdown("#### Where to go")
steps = PAGES[1:]
columns = st.columns(len(steps))
for number, (column, page) in enumerate(zip(columns, steps), start=1):
    with column.container(border=True):
        st.page_link(page.path, label=f"**{number} · {page.label}**")
        st.caption(page.blurb)
