"""Data: load interactions (+ item metadata), map columns, validate, and see the summary."""
import streamlit as st

from embedviz.dashboard import present, state, uploads
from embedviz.dashboard.safe import attempt, md
from embedviz.dashboard.sidebar import setup_page
from embedviz.viz import plots

UNCHANGED_DATA = "The data set in use was not changed."

data = setup_page("Data", ":material/table_chart:")
present.for_an_audience("data", data)   # present mode: the plain version of this page, then stop
st.title("Data")
st.caption("Who interacted with what: the feedback matrix A (users × items) that the model factorizes.")

with st.expander("Load your own data", expanded=False, icon=":material/upload:"):
    st.markdown(
        "Interactions: one row per (user, item[, rating or count][, timestamp]). CSV (any of `,` `;` tab `|` `::`, "
        "header optional), gzip-compressed CSV or Parquet. Item metadata (optional): an id column, a title, "
        "genres/categories (`Action|Comedy` is split), any other columns for colouring.")
    st.caption(f"Uploads are capped at {st.get_option('server.maxUploadSize')} MB (`server.maxUploadSize` in "
               "`.streamlit/config.toml`). For bigger files train from the command line with "
               "`python -m embedviz train FILE --out model.npz` and upload the model on the Recommend page.")
    left, right = st.columns(2)
    # No type filter: any file reaches our validator, which says what is wrong with it.
    interactions_file = left.file_uploader("Interactions file", key="upload_interactions")
    metadata_file = right.file_uploader("Item metadata (optional)", key="upload_metadata")
    header = st.radio("First row", list(uploads.HEADER_CHOICES), horizontal=True,
                      help="Override when the header row is guessed wrong (e.g. all-text files without one).")
    raw = attempt(getattr(interactions_file, "name", "the file"), lambda: uploads.read_upload(
        interactions_file, "interactions", uploads.HEADER_CHOICES[header]), UNCHANGED_DATA)
    if raw is not None:
        st.markdown(f"**{md(raw.name)}** — first rows as read:")
        st.dataframe(uploads.preview(raw.frame), hide_index=True)
        with st.form("mapping"):
            options = [uploads.NOT_MAPPED, *map(str, raw.frame.columns)]
            cols = st.columns(5)
            mapping = {
                role: cols[n].selectbox(label, options, index=options.index(str(raw.guess.get(role) or
                                                                                uploads.NOT_MAPPED)))
                for n, (role, label) in enumerate([("user", "User column"), ("item", "Item column"),
                                                   ("value", "Rating / count"), ("time", "Timestamp")])
            }
            kind = cols[4].selectbox("Feedback type", list(uploads.KIND_CHOICES))
            load = st.form_submit_button("Use this data set", type="primary", icon=":material/check:")
        if load:
            new = attempt(raw.name, lambda: uploads.build_dataset(raw, mapping, uploads.KIND_CHOICES[kind],
                                                                  metadata_file), UNCHANGED_DATA)
            if new is not None:
                state.set_dataset(new)
                state.flash(f"Loaded {md(new.name)}: {new.interactions.n_users:,} users, {new.interactions.n_items:,} "
                            f"items. Train a model on it on the Train page.")
                st.rerun()   # redraw everything, the sidebar included, for the new data set

state.show_flash()
st.subheader(md(data.name))
matrix = data.interactions
a, b, c, d = st.columns(4)
a.metric("Users", f"{matrix.n_users:,}")
b.metric("Items", f"{matrix.n_items:,}")
c.metric("Interactions", f"{matrix.nnz:,}")
d.metric("Density", f"{matrix.density:.2%}", help="Share of the users × items matrix that is observed.")

if data.report is not None:
    with st.expander("Validation report", icon=":material/fact_check:"):
        st.text("\n".join(f"• {line}" for line in data.report.notes))   # plain text: notes quote user data

left, right = st.columns(2)
left.plotly_chart(plots.rating_distribution(matrix.matrix.data, matrix.kind))
right.plotly_chart(plots.popularity_curve(matrix.item_popularity()))
left, right = st.columns(2)
left.plotly_chart(plots.activity_histogram(matrix.user_activity()))
if matrix.timestamps is not None:
    right.plotly_chart(plots.activity_over_time(matrix.timestamps))

st.subheader("Preview")
tab_interactions, tab_items = st.tabs(["Interactions", "Items"])
preview = matrix.to_frame().head(200)
tab_interactions.dataframe(preview, hide_index=True)
tab_items.dataframe(data.items.head(200))
