"""Data: load interactions (+ item metadata), map columns, validate, and see the summary."""
import streamlit as st

from embedviz.dashboard import data_view as view
from embedviz.dashboard import present, state, uploads
from embedviz.dashboard.safe import md
from embedviz.dashboard.sidebar import setup_page

data = setup_page("Data", ":material/table_chart:")
present.for_an_audience("data", data)   # present mode: the plain version of this page, then stop
st.title("Data")
st.caption("Who interacted with what: the feedback matrix A (users × items) that the model factorizes.")

with st.expander("Load your own data", expanded=False, icon=":material/upload:"):
    st.markdown(
        "Interactions: one row per (user, item[, rating or count][, timestamp]). CSV (any of `,` `;` tab `|` `::`, "
        "header optional), gzip-compressed CSV or Parquet. Item metadata (optional): an id column, a title, "
        "genres as a list, as text (`Action|Comedy` is split) or as a block of 0/1 columns (MovieLens `u.item`), "
        "any other columns for colouring.")
    st.caption(f"Uploads are capped at {st.get_option('server.maxUploadSize')} MB (`server.maxUploadSize` in "
               "`.streamlit/config.toml`). For bigger files train from the command line with "
               "`python -m embedviz train FILE --out model.npz` and upload the model on the Recommend page.")
    left, right = st.columns(2)
    # No type filter: any file reaches our validator, which says what is wrong with it.
    interactions_file = left.file_uploader("Interactions file", key="upload_interactions")
    metadata_file = right.file_uploader("Item metadata (optional)", key="upload_metadata")
    header = left.radio("First row of the interactions", list(uploads.HEADER_CHOICES), horizontal=True,
                        help="Override when the header row is guessed wrong (e.g. all-text files without one).")
    meta_header = right.radio("First row of the metadata", list(uploads.HEADER_CHOICES), horizontal=True,
                              key="meta_header")
    raw = view.read(interactions_file, "interactions", uploads.HEADER_CHOICES[header])
    mapping, kind = view.interactions_mapping(raw) if raw is not None else ({}, None)
    meta_raw = view.read(metadata_file, "metadata", uploads.HEADER_CHOICES[meta_header], metadata=True)
    metadata = (view.metadata_mapping(meta_raw, raw, mapping.get("item")) if meta_raw is not None else None)
    if raw is not None and st.button("Use this data set", type="primary", icon=":material/check:"):
        view.load(raw, mapping, kind, metadata, metadata_wanted=meta_raw is not None)

state.show_flash()
st.subheader(md(data.name))
view.warnings(data)
matrix = data.interactions
a, b, c, d = st.columns(4)
a.metric("Users", f"{matrix.n_users:,}")
b.metric("Items", f"{matrix.n_items:,}")
c.metric("Interactions", f"{matrix.nnz:,}")
d.metric("Density", f"{matrix.density:.2%}", help="Share of the users × items matrix that is observed.")
view.report(data)

for pair in range(0, 4, 2):          # two charts a row
    for column, figure in zip(st.columns(2), view.summary_figures(data)[pair:pair + 2]):
        column.plotly_chart(figure)

st.subheader("Preview")
tab_interactions, tab_items = st.tabs(["Interactions", "Items"])
tab_interactions.dataframe(view.interactions_preview(data), hide_index=True)
tab_items.dataframe(view.items_preview(data), column_config={"title": st.column_config.TextColumn(width="large")})
