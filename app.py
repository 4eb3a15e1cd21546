"""embedviz home page: what this is, the data set in use, where to go next."""
import streamlit as st

from embedviz.dashboard import state
from embedviz.dashboard.safe import md
from embedviz.dashboard.sidebar import PAGES, STORY, menu, setup_page

data = setup_page("Home", ":material/home:")
presenting = state.presenting()

st.title("embedviz")
if presenting:
    st.markdown(
        "#### How a computer learns what people like — and what to suggest next\n"
        "A person's taste or a film is not a number. From who liked what, the computer places every person "
        "and every title on a map so that similar things sit close together. Suggestions come from there.")
else:
    st.markdown(
        "#### Turn who-liked-what into vectors, and see what *close* means\n"
        "A user's taste or a film is not a number. Factorizing the feedback matrix **A ≈ U Vᵀ** gives every user "
        "and every item a vector so that similar things end up close together. embedviz trains that "
        "factorization, draws the learned space, and shows how the choice of *similarity* (cosine, euclidean, "
        "dot product) changes which items count as neighbours — and which get recommended.")

matrix = data.interactions
st.markdown(f"#### Data set in use: {md(data.name)}")
b, c, d = st.columns(3)
b.metric("People" if presenting else "Users", f"{matrix.n_users:,}")
c.metric("Items", f"{matrix.n_items:,}")
d.metric("Choices" if presenting else "Interactions", f"{matrix.nnz:,}")

trained = state.active_model()
if trained is not None and not presenting:
    ndcg = next((v for k, v in trained.metrics.items() if k.startswith("ndcg")), None)
    base = next((v for k, v in trained.baseline_metrics.items() if k.startswith("ndcg")), None)
    if ndcg is not None and base is not None:
        st.success(f"Model in use: **{md(trained.name)}** — NDCG@10 {ndcg:.3f} on held-out interactions "
                   f"(popularity baseline {base:.3f}).", icon=":material/check_circle:")

if presenting and st.button("Start the story", type="primary", icon=":material/play_arrow:", key="start_story"):
    st.switch_page(STORY.path)

st.markdown("#### Where to go")
steps = [page for page in menu(presenting) if page.path != "app.py" and not (presenting and page == STORY)]
columns = st.columns(len(steps))
for column, page in zip(columns, steps):
    number = PAGES.index(page)
    with column.container(border=True):
        st.page_link(page.path, label=f"**{page.label}**" if presenting else f"**{number} · {page.label}**",
                     icon=page.icon if presenting else None)
        st.caption(page.plain if presenting else page.blurb)
