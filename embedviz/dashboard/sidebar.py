"""The shared page set-up every page calls first: config, menu, data set and model in use."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from embedviz.dashboard import services, state
from embedviz.dashboard.safe import md


@dataclass(frozen=True)
class Page:
    """One page of the app: the menu, the home page's "where to go" and present mode read this."""

    path: str
    label: str
    icon: str
    blurb: str            # one line for an engineer on the home page's "where to go"
    plain: str = ""       # the same for an audience in present mode ("" = not offered in present mode)


# The one list of pages: the sidebar menu and the home page's cards are drawn from it.
PAGES = (
    Page("app.py", "Home", ":material/home:", "What this is and the data set in use.", "Start here."),
    Page("pages/1_Data.py", "Data", ":material/table_chart:",
         "Upload interactions and item metadata, or look at the demo data."),
    Page("pages/2_Train.py", "Train", ":material/model_training:",
         "Fit WALS or gradient-descent MF and watch the loss fall."),
    Page("pages/3_Explore.py", "Explore", ":material/scatter_plot:",
         "See the item and user vectors in a UMAP scatter; select groups.",
         "The whole catalogue as a map: similar things sit together."),
    Page("pages/4_Neighbours.py", "Neighbours", ":material/hub:",
         "Compare cosine, euclidean and dot-product neighbours.",
         "What is “close” to a title? It depends on how you measure."),
    Page("pages/5_Recommend.py", "Recommend", ":material/recommend:",
         "Recommendations with reasons, and a new user you build live.",
         "Suggestions for a person, with the reasons behind each."),
    Page("pages/6_Story.py", "Story", ":material/slideshow:",
         "A guided five-step demo in plain words for stakeholders, with a report to download.",
         "Five steps from the map to your own suggestions, and a report to keep."),
)
STORY = PAGES[-1]


def menu(presenting: bool) -> list[Page]:
    """The pages to offer: all of them; in present mode the story first and no technical pages."""
    if not presenting:
        return list(PAGES)
    return [PAGES[0], STORY, *(p for p in PAGES[1:-1] if p.plain)]


# Present mode's larger type. Sizes only (so any light or dark theme keeps its colours), and no
# user text: this block is a constant.
PRESENT_STYLE = """<style>
.stMain [data-testid="stMarkdownContainer"] p, .stMain [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; }
.stMain [data-testid="stCaptionContainer"] p { font-size: 1.1rem; }
.stMain h1 { font-size: 3rem; }
.stMain h2 { font-size: 2.2rem; }
.stMain h3 { font-size: 1.8rem; }
.stMain h4 { font-size: 1.5rem; }
.stMain [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p { font-size: 2.6rem; }
.stMain [data-testid="stMetricLabel"] p { font-size: 1.15rem; }
.stMain [data-testid="stWidgetLabel"] p { font-size: 1.15rem; }
.stMain button p { font-size: 1.15rem; }
.stMain [data-baseweb="select"], .stMain [data-baseweb="input"] input { font-size: 1.15rem; }
</style>"""


def setup_page(title: str, icon: str = ":material/scatter_plot:"):
    """Configure the page and draw the sidebar; returns the data set in use."""
    st.set_page_config(page_title=f"{title} · embedviz", page_icon=icon, layout="wide")
    services.warm_up()
    presenting = state.presenting()
    if presenting:
        st.html(PRESENT_STYLE)
        if st.query_params.get("present") != "1":
            st.query_params["present"] = "1"      # menu links drop the query: keep the URL shareable
    with st.sidebar:
        st.markdown("### embedviz")
        for page in menu(presenting):
            st.page_link(page.path, label=page.label, icon=page.icon)
        st.divider()
        data = state.dataset()
        _dataset_summary(data)
        if not presenting:
            _model_picker()
        st.divider()
        _present_toggle(presenting)
    _cache_notice()
    return data


def _present_toggle(presenting: bool) -> None:
    on = st.toggle("Present mode", value=presenting, key=f"present_toggle_{int(presenting)}",
                   help="For an audience: plain words, larger type, technical controls hidden. "
                        "Add ?present=1 to any link to open it this way.")
    if on != presenting:
        state.set_presenting(on)
        st.rerun()


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
    people, events = ("people", "choices") if state.presenting() else ("users", "interactions")
    st.caption(f"{data.interactions.n_users:,} {people} · {data.interactions.n_items:,} items · "
               f"{data.interactions.nnz:,} {events}")


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
