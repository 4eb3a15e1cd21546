"""The shared page set-up every page calls first: config, menu, data set and model in use."""
from __future__ import annotations

import streamlit as st

from embedviz.dashboard import services, state
from embedviz.dashboard.safe import md

PAGES = (
    ("app.py", "Home", ":material/home:"),
    ("pages/1_Data.py", "Data", ":material/table_chart:"),
    ("pages/2_Train.py", "Train", ":material/model_training:"),
    ("pages/3_Explore.py", "Explore", ":material/scatter_plot:"),
    ("pages/4_Neighbours.py", "Neighbours", ":material/hub:"),
    ("pages/5_Recommend.py", "Recommend", ":material/recommend:"),
)


def setup_page(title: str, icon: str = ":material/scatter_plot:"):
    """Configure the page and draw the sidebar; returns the data set in use."""
    st.set_page_config(page_title=f"{title} · embedviz", page_icon=icon, layout="wide")
    services.warm_up()
    with st.sidebar:
        st.markdown("### embedviz")
        for path, label, page_icon in PAGES:
            st.page_link(path, label=label, icon=page_icon)
        st.divider()
        data = state.dataset()
        _dataset_summary(data)
        _model_picker()
    _cache_notice()
    return data


def _cache_notice() -> None:
    """Once per session: say that computed results cannot be kept on disk (a read-only folder)."""
    from embedviz import workflows

    if workflows.cache_status() == "read-only" and not st.session_state.get("ev_cache_notice"):
        st.session_state["ev_cache_notice"] = True
        st.toast("The cache folder cannot be written, so the demo model lives in memory only and is retrained "
                 "when the server restarts. Everything works; set EMBEDVIZ_CACHE_DIR to a writable folder to "
                 "keep it.", icon=":material/info:")


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
    chosen = st.selectbox("Model in use", names, index=names.index(active.name),
                          label_visibility="collapsed")
    if chosen != active.name:
        state.set_active_model(chosen)


def require_model():
    """The active model, or stop the page with a pointer to the Train page."""
    trained = state.active_model()
    if trained is None:
        st.info("No model yet. Train one on the **Train** page first.")
        st.page_link("pages/2_Train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    return trained
