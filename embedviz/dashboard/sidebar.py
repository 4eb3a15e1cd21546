"""The shared page set-up every page calls first: config, menu, data set and model in use."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from embedviz.dashboard import services, state
from embedviz.dashboard.safe import md


@dataclass(frozen=True)
class Page:
    path: str
    label: str
    icon: str
    blurb: str   # one line on the home page's "where to go"


# The one list of pages: the sidebar menu and the home page's cards are drawn from it.
PAGES = (
    Page("app.py", "Home", ":material/home:", "What this is and the data set in use."),
    Page("pages/1_Data.py", "Data", ":material/table_chart:",
         "Upload interactions and item metadata, or look at the demo data."),
    Page("pages/2_Train.py", "Train", ":material/model_training:",
         "Fit WALS or gradient-descent MF and watch the loss fall."),
    Page("pages/3_Explore.py", "Explore", ":material/scatter_plot:",
         "See the item and user vectors in a UMAP scatter; select groups."),
    Page("pages/4_Neighbours.py", "Neighbours", ":material/hub:",
         "Compare cosine, euclidean and dot-product neighbours."),
    Page("pages/5_Recommend.py", "Recommend", ":material/recommend:",
         "Recommendations with reasons, and a new user you build live."),
)


def setup_page(title: str, icon: str = ":material/scatter_plot:"):
    """Configure the page and draw the sidebar; returns the data set in use."""
    st.set_page_config(page_title=f"{title} · embedviz", page_icon=icon, layout="wide")
    services.warm_up()
    with st.sidebar:
        st.markdown("### embedviz")
        for page in PAGES:
            st.page_link(page.path, label=page.label, icon=page.icon)
        st.divider()
        data = state.dataset()
        _dataset_summary(data)
        _model_picker()
    return data


def _dataset_summary(data) -> None:
    st.caption("Data set")
    st.markdown(f"**{md(data.name)}**")
    st.caption(f"{data.interactions.n_users:,} users · {data.interactions.n_items:,} items · "
               f"{data.interactions.nnz:,} interactions")


def _model_picker() -> None:
    available = state.models()
    st.caption("Model")
    if not available:
        st.markdown("_none yet_ — train one on the **Train** page")
        return
    names = list(available)
    active = state.active_model()
    current = names.index(active.name) if active is not None else 0
    chosen = st.selectbox("Model in use", names, index=current, label_visibility="collapsed")
    if active is None or chosen != active.name:
        state.set_active_model(chosen)


def require_model():
    """The active model, or stop the page with a pointer to the Train page."""
    trained = state.active_model()
    if trained is None:
        st.info("No model yet. Train one on the **Train** page first.")
        st.page_link("pages/2_Train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    return trained
