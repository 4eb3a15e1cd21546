"""Recommend: a real user's history and recommendations with reasons, a live new user, files."""
import streamlit as st

from embedviz.analysis import catalogue
from embedviz.analysis import recommendations as recs
from embedviz.dashboard import links, services, state
from embedviz.dashboard import recommend_view as view
from embedviz.dashboard.sidebar import require_model, setup_page
from embedviz.viz import plots

data = setup_page("Recommend", ":material/recommend:")
st.title("Recommendations")
state.show_flash()
tab_user, tab_new, tab_files = st.tabs(["A real user", "Build a new user", "Save · load · export"])

with tab_files:
    st.markdown("**Open a saved model** — a `.npz` saved here or by `python -m embedviz train`. It carries the "
                "data set's ids, interactions and item titles, so nothing else is needed. Or a `.zip` of the "
                "output folder of `python -m embedviz train --engine spark` (Spark ALS factors; see "
                "`docs/scale.md`), with the item metadata if the job was given none.")
    uploaded = st.file_uploader("Saved model (.npz) or Spark output (.zip)", type=["npz", "zip"],
                                key="upload_model")
    spark_items = (st.file_uploader("Item metadata for the Spark output (optional: titles, genres)",
                                    type=["csv", "tsv", "txt", "dat", "gz", "parquet"], key="upload_model_items")
                   if uploaded is not None and uploaded.name.lower().endswith(".zip") else None)
    if uploaded is not None and st.button("Open this model", type="primary"):
        view.safe_load_session(uploaded, spark_items)

trained = require_model()
model, items = trained.model, data.items
params = links.read({"user": links.Text(), "k": links.Int(5, 50), "seen": links.Choice(("hide", "show"))})

with tab_user:
    user = view.pick_user(data, params.get("user"))
    left, right = st.columns(2)
    k = left.slider("How many recommendations", 5, 50, params.get("k", 10))
    exclude_seen = right.toggle("Hide items the user already has", value=params.get("seen", "hide") == "hide")
    links.write(user=data.interactions.user_ids[user], k=k, seen="hide" if exclude_seen else "show")
    frame = view.user_recommendations(trained, items, user, k, exclude_seen)
    history = recs.history_frame(trained.train or data.interactions, items, user)
    if "hit" in frame and trained.test is not None:
        hidden = trained.test.matrix[user].nnz
        hits = int((frame["hit"] == "✓").sum())
        st.success(f"The model never saw {hidden} of this user's interactions (held out). "
                   f"**{hits}** of them are in its top {k} (marked ✓).", icon=":material/target:")
    left, right = st.columns([2, 5])
    left.markdown(f"**History** ({trained.train.matrix[user].nnz if trained.train else '?'} items in training)")
    left.dataframe(history.drop(columns=["item", "genres"]), hide_index=True, height=420,
                   column_config=view.HISTORY_COLUMNS)
    right.markdown("**Recommended** — and the items in the history that contribute most to each score")
    right.dataframe(frame, hide_index=True, height=420, column_config=view.recommendation_columns(frame))

with tab_new:
    st.markdown("Pick a few items you like. The model folds a **new user** into the space — one exact solve "
                "against the fixed item vectors, no retraining — and recommends from there.")
    picked, values = view.pick_liked_items(data, data.titles)
    if picked:
        vector, ms = view.timed(model.fold_in, picked, values)
        frame, ms_rank = view.timed(recs.recommendation_frame, model, (picked, values), items, k=10,
                                    vector=vector, exclude=picked)
        st.caption(f"fold-in {ms:.1f} ms · scoring + reasons {ms_rank:.1f} ms")
        left, right = st.columns([3, 2])
        left.dataframe(frame, hide_index=True, column_config=view.recommendation_columns(frame))
        space = services.model_space(data, trained, "Items")
        xy = services.current_layout(space)
        at = view.new_user_position(space, xy, vector)
        right.plotly_chart(plots.new_user_map(xy, at, picked, frame.index.to_numpy(),
                                              catalogue.hover_text(space.table, space.popularity)))

with tab_files:
    st.divider()
    st.markdown("**Download**")
    from embedviz.data import session_io
    from embedviz.data.export import embeddings_frame, safe_text_frame

    def vectors():
        return embeddings_frame(data.interactions.item_ids, model.item_factors_, data.titles)

    a, b, c, d = st.columns(4)
    a.download_button("Model + data (.npz)", lambda: session_io.session_bytes(model, data.interactions, items,
                                                                              data.name),
                      "embedviz-model.npz", "application/octet-stream", icon=":material/download:")
    b.download_button("Item embeddings (CSV)", lambda: safe_text_frame(vectors()).to_csv(index=False),
                      "item_embeddings.csv", "text/csv", icon=":material/download:")
    c.download_button("Item embeddings (Parquet)", lambda: vectors().to_parquet(index=False),
                      "item_embeddings.parquet", "application/octet-stream", icon=":material/download:")
    d.download_button("Top-10 for every user (CSV)", lambda: safe_text_frame(recs.all_recommendations(
        model, data.interactions, items)).to_csv(index=False), "recommendations.csv", "text/csv",
        icon=":material/download:")
